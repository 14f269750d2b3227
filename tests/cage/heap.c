/* heap.c - a C program whose allocator uses Cage's segments (through
 * include/ward_guest_cage.h and tools/cage-place), run by tests/cage/run.sh under
 * `ward run -W mem-safety,ptr-auth` with one scenario per argument:
 *   ok       allocate, use and free; print a checksum
 *   overflow write one granule past a 32-byte block (into its neighbour)
 *   uaf      read a block after freeing it
 *   double   free a block twice
 *   write    hand a tagged buffer to WASI fd_write
 *   stale    hand a freed buffer to fd_write (EFAULT)
 *   fptr     call through a signed function pointer
 *   forge    call through a forged one
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ward_guest_cage.h"

/* A bump allocator with a free list per size: every block is a segment of
 * its own, so its neighbours have other tags and, once freed, so does it. */
static _Alignas(16) unsigned char arena[1 << 20];
static size_t top;
static void *freed[64][8];
static int nfreed[64];

static size_t granules(size_t n)
{
    return n ? (n + 15) / 16 : 1;
}

static void *tmalloc(size_t n)
{
    size_t g = granules(n);
    void *p;
    if (g < 64 && nfreed[g] > 0)
        p = freed[g][--nfreed[g]];
    else if (top + g * 16 > sizeof arena)
        return NULL;
    else {
        p = arena + top;
        top += g * 16;
    }
    return ward_segment_new(p, g * 16);
}

static void tfree(void *p, size_t n)
{
    size_t g = granules(n);
    ward_segment_free(p, g * 16);
    if (g < 64 && nfreed[g] < 8) freed[g][nfreed[g]++] = WARD_UNTAGGED(p);
}

static int square(int x)
{
    return x * x;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "ok";
    if (!strcmp(what, "ok")) {
        uint32_t sum = 0;
        for (int round = 0; round < 100; round++) {
            unsigned char *blocks[16];
            for (int i = 0; i < 16; i++) {
                blocks[i] = tmalloc((size_t)(i * 7 + 1));
                memset(blocks[i], i + round, (size_t)(i * 7 + 1));
            }
            for (int i = 0; i < 16; i++) {
                for (int k = 0; k < i * 7 + 1; k++)
                    sum = sum * 31 + blocks[i][k];
                tfree(blocks[i], (size_t)(i * 7 + 1));
            }
        }
        printf("ok %08x\n", sum);
        return 0;
    }
    if (!strcmp(what, "overflow")) {
        char *a = tmalloc(32), *b = tmalloc(32);
        printf("tags %u %u\n", WARD_TAG_OF(a), WARD_TAG_OF(b));
        fflush(stdout);
        a[32] = 'x'; /* the first byte of b, through a */
        printf("not caught\n");
        return 0;
    }
    if (!strcmp(what, "uaf")) {
        char *a = tmalloc(64);
        strcpy(a, "secret");
        tfree(a, 64);
        printf("freed\n");
        fflush(stdout);
        printf("read after free: %c\n", *(volatile char *)a);
        return 0;
    }
    if (!strcmp(what, "double")) {
        char *a = tmalloc(16);
        tfree(a, 16);
        tfree(a, 16);
        printf("not caught\n");
        return 0;
    }
    if (!strcmp(what, "write") || !strcmp(what, "stale")) {
        char *a = tmalloc(32);
        strcpy(a, "hello from a segment\n");
        if (!strcmp(what, "stale")) tfree(a, 32);
        ssize_t n = write(1, a, strlen("hello from a segment\n"));
        if (n < 0) printf("write failed: %s\n", errno == EFAULT ? "EFAULT" : strerror(errno));
        return 0;
    }
    if (!strcmp(what, "fptr") || !strcmp(what, "forge")) {
        int (*volatile f)(int) = square;
        uint32_t s = ward_pointer_sign32((uint32_t)(uintptr_t)f);
        if (!strcmp(what, "forge")) s ^= 1u << 20;
        int (*g)(int) = (int (*)(int))(uintptr_t)ward_pointer_auth32(s);
        printf("square(7) = %d\n", g(7));
        return 0;
    }
    printf("unknown scenario %s\n", what);
    return 2;
}
