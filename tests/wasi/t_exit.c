/* proc_exit: the exit code given as argv[1] becomes ward's exit status, and
 * nothing after proc_exit runs. */
#include <wasi/api.h>
#include "check.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    printf("exiting with %s\n", argv[1]);
    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[1]));
    puts("unreachable: still running after proc_exit");
    return 99;
}
