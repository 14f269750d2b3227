/* Unbounded allocation under -W max-memory-size=8MiB: memory.grow fails at
 * the cap, so malloc returns NULL and the guest carries on (the host does not
 * die, nor does the guest trap). Prints how many MiB it got. */
#include <stdint.h>
#include "check.h"

int main(void)
{
    void *blocks[4096];
    int n = 0;
    while (n < 4096 && (blocks[n] = malloc(1 << 20)) != NULL) {
        memset(blocks[n], 0xA5, 1 << 20); /* touch it: the pages are real */
        n++;
    }
    CHECK(n < 4096);         /* the cap was hit */
    CHECK(n >= 4 && n <= 8); /* ... and it is 8 MiB */
    /* malloc wants more than a page at a time: take what pages are left,
     * one by one, and the memory ends at exactly 8 MiB. */
    for (int i = 0; i < 128 && __builtin_wasm_memory_grow(0, 1) != (size_t)-1; i++)
        ;
    CHECK(__builtin_wasm_memory_size(0) == 8 * 16); /* pages of 64 KiB */
    CHECK(__builtin_wasm_memory_grow(0, 1) == (size_t)-1);
    while (n > 0)
        free(blocks[--n]);
    void *again = malloc(1 << 20); /* freed memory is usable again */
    CHECK(again != NULL);
    free(again);
    puts("ok oom");
    return 0;
}
