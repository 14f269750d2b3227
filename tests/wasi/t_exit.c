/* proc_exit: the exit code given as argv[1] (decimal or 0x hex, any 32-bit
 * value) is passed to proc_exit as it is, and nothing after proc_exit runs.
 * run.sh checks which statuses ward can report and which it refuses. */
#include <wasi/api.h>
#include "check.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    printf("exiting with %s\n", argv[1]);
    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)strtoul(argv[1], NULL, 0));
    puts("unreachable: still running after proc_exit");
    return 99;
}
