/* A trap: ward must print "Error: wasm trap: unreachable" with a backtrace
 * and exit 134. The output before the trap must reach stdout. */
#include <stdio.h>

__attribute__((noinline)) static void crash(int depth)
{
    if (depth == 0) __builtin_trap();
    crash(depth - 1);
    puts("not reached");
}

int main(void)
{
    puts("before trap");
    fflush(stdout);
    crash(3);
    return 0;
}
