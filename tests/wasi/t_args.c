/* Arguments and environment: args_get/args_sizes_get, environ_get/sizes_get.
 * run.sh passes: alpha "beta gamma" "" and WARD_T1=one, WARD_T2= (empty). */
#include <wasi/api.h>
#include "check.h"

extern char **environ;

int main(int argc, char **argv)
{
    CHECK(argc == 4);
    CHECK(strstr(argv[0], "t_args") != NULL);
    CHECK(strcmp(argv[1], "alpha") == 0);
    CHECK(strcmp(argv[2], "beta gamma") == 0);
    CHECK(strcmp(argv[3], "") == 0);
    CHECK(getenv("WARD_T1") && strcmp(getenv("WARD_T1"), "one") == 0);
    CHECK(getenv("WARD_T2") && strcmp(getenv("WARD_T2"), "") == 0);
    CHECK(getenv("WARD_NOT_SET") == NULL);
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    CHECK(n == (UNDER_NODE() ? 3 : 2)); /* nothing from the host leaks in */

    /* The raw calls agree with what libc saw. */
    __wasi_size_t c, sz;
    CHECK_ERR(__wasi_args_sizes_get(&c, &sz), 0);
    CHECK(c == 4);
    CHECK(sz == strlen(argv[0]) + 1 + 6 + 11 + 1);
    CHECK_ERR(__wasi_environ_sizes_get(&c, &sz), 0);
    CHECK(UNDER_NODE() || (c == 2 && sz == strlen("WARD_T1=one") + 1 + strlen("WARD_T2=") + 1));
    puts("ok args");
    return 0;
}
