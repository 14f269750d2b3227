/* hello.c - start-up cost: the smallest useful WASI program. Not part of the
 * geomean; bench/run.sh times the whole process. */
#include <stdio.h>

int main(void)
{
    printf("hello, world\n");
    return 0;
}
