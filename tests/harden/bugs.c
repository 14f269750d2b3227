/* bugs.c - real memory bugs for `ward harden` (tests/harden/run.sh).
 *
 *   bugs SCENARIO [N]
 *
 * Each scenario does one bug and then prints "MISSED <scenario>" and exits
 * 0: a plain run misses every one of them; a hardened run under `ward run
 * -W mem-safety` must trap (exit 134) before the line, where the design says
 * it does (docs/harden.md). "layout" and "sizes" check, without a bug, the
 * facts the heap wrappers rest on. The helpers are noinline and go through
 * volatile pointers so that clang -O2 keeps every access.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;

/* Writes p[i], as the program's code would. */
NOINLINE static void poke(char *p, long i, int v)
{
    ((volatile char *)p)[i] = (char)v;
}
NOINLINE static int peek(const char *p, long i)
{
    return ((const volatile char *)p)[i];
}
/* Hides where a pointer comes from (so -Wall does not see the bug). */
NOINLINE static void *launder(void *p)
{
    void *volatile q = p;
    return q;
}
NOINLINE static void fill(char *p, int n)
{
    for (int i = 0; i < n; i++)
        ((volatile char *)p)[i] = (char)i;
}

/* ---- heap -------------------------------------------------------------------- */

NOINLINE static void heap_off_by_one(int n)
{
    char *p = malloc((size_t)n);
    fill(p, n);
    poke(p, n, 1); /* one past the end */
    free(p);
}

NOINLINE static void heap_off_by_16(int n)
{
    char *p = malloc((size_t)n);
    fill(p, n + 16); /* a 16-byte overrun */
    free(p);
}

/* A write far past a block, into another live block: caught unless that
 * block's random tag happens to equal this one's. */
NOINLINE static void heap_far(void)
{
    char *blocks[8];
    for (int i = 0; i < 8; i++)
        blocks[i] = malloc(64);
    /* The distance between the blocks' addresses (without the tags a
     * hardened run puts in bits 28-31): an index that lands in blocks[5]. */
    long d = (long)((uintptr_t)blocks[5] & 0x0fffffff) - (long)((uintptr_t)blocks[0] & 0x0fffffff);
    poke(blocks[0], d + 8, 1);
    for (int i = 0; i < 8; i++)
        free(blocks[i]);
}

NOINLINE static void heap_underflow(void)
{
    char *p = malloc(32);
    sink = peek(p, -1); /* a read: a plain run must not break the allocator */
    free(p);
}

NOINLINE static void use_after_free(void)
{
    char *p = malloc(48);
    fill(p, 48);
    free(p);
    sink = peek(p, 8);
}

/* A stale pointer into a block that was freed and handed out again. */
NOINLINE static void use_after_reuse(void)
{
    char *p = malloc(48);
    free(p);
    char *q = malloc(48); /* the same chunk, a new tag */
    fill(q, 48);
    sink = peek(p, 8) + (p == q ? 0 : 1000);
    free(q);
}

NOINLINE static void double_free(void)
{
    char *p = malloc(64);
    free(p);
    free(launder(p));
}

NOINLINE static void invalid_free_interior(void)
{
    char *p = malloc(64);
    free(launder(p + 16));
}

static char global_buf[64];
NOINLINE static void invalid_free_global(void)
{
    free(launder(global_buf));
}

NOINLINE static void invalid_free_stack(void)
{
    _Alignas(16) char buf[64];
    fill(buf, 64);
    free(launder(buf));
}

NOINLINE static void realloc_stale(void)
{
    char *p = malloc(16);
    fill(p, 16);
    char *q = realloc(p, 4096);
    sink = peek(q, 15);
    poke(p, 0, 1); /* the old block: moved away */
    free(q);
}

/* ---- stack ------------------------------------------------------------------- */

/* A buffer in this frame overrun by 64 bytes: past the frame, into the
 * caller's. */
NOINLINE static void stack_callee(int n)
{
    char buf[32];
    fill(buf, n);
    sink = peek(buf, 3);
}
NOINLINE static void stack_overflow(void)
{
    char mine[64];
    fill(mine, 64);
    stack_callee(32 + 64);
    sink = peek(mine, 1);
}

NOINLINE static int *escape(void)
{
    int local[8];
    fill((char *)local, sizeof local);
    return launder(local);
}
NOINLINE static void use_after_return(void)
{
    int *p = escape();
    sink = ((volatile int *)p)[2];
}

/* ---- checks without a bug ------------------------------------------------------ */

/* Plain runs: wasi-libc's dlmalloc gives, for a request of round16(n) + 12
 * bytes (what the wrappers ask for), a 16-aligned block whose chunk header
 * (4 bytes at p - 4: size | flags) says the chunk is exactly round16(n) + 16
 * bytes long and in use, and the next chunk's header lies at p + chunk - 4:
 * both headers are outside [p, p + round16(n)), in the granules just below
 * and just above it. */
NOINLINE static int layout(void)
{
    int bad = 0;
    void *keep[256];
    for (int n = 0; n < 1100; n++) {
        size_t r = ((size_t)n + 15) & ~(size_t)15;
        char *p = launder(malloc(r + 12));
        uint32_t head = ((volatile uint32_t *)(void *)p)[-1];
        uint32_t chunk = head & ~7u;
        char *next = p + chunk; /* the next chunk's payload */
        uint32_t next_head = ((volatile uint32_t *)(void *)next)[-1];
        int ok = ((uintptr_t)p & 15) == 0 && chunk == r + 16 && (head & 2) &&
                 (next_head & 1) /* PINUSE: the previous chunk (ours) in use */;
        if (!ok) {
            printf("layout n=%d: p=%p head=%#x chunk=%u next head=%#x\n", n, (void *)p, head, chunk,
                   next_head);
            bad++;
        }
        keep[n % 256] = p;
        if (n % 256 == 255)
            for (int k = 0; k < 256; k++)
                free(keep[k]);
    }
    printf("layout: %d sizes checked, %d bad\n", 1100, bad);
    return bad;
}

/* Hardened runs: every block is 16-aligned, tagged, usable exactly up to
 * round16(n) (malloc_usable_size says so, and every byte of it can be
 * written), calloc's blocks are zero, realloc keeps the data. */
NOINLINE static int sizes(void)
{
    int bad = 0;
    for (int n = 0; n < 600; n++) {
        size_t r = ((size_t)n + 15) & ~(size_t)15;
        char *p = malloc((size_t)n);
        if (!p || ((uintptr_t)p & 15) || malloc_usable_size(p) != r) bad++;
        fill(p, (int)r);
        char *c = calloc((size_t)n, 1);
        for (int i = 0; i < n; i++)
            if (peek(c, i)) bad++;
        char *q = realloc(p, (size_t)n * 2 + 1);
        for (int i = 0; i < n; i++)
            if (peek(q, i) != (char)i) bad++;
        void *a = aligned_alloc(64, 64);
        void *m = NULL;
        if (((uintptr_t)a & 63) || posix_memalign(&m, 128, (size_t)n) || ((uintptr_t)m & 127))
            bad++;
        fill(a, 64);
        fill(m, n);
        free(a);
        free(m);
        free(q);
        free(c);
    }
    free(NULL);
    printf("sizes: %d bad\n", bad);
    return bad;
}

int main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";
    int n = argc > 2 ? atoi(argv[2]) : 32;
    if (!strcmp(s, "layout")) return layout() != 0;
    if (!strcmp(s, "sizes")) return sizes() != 0;
    if (!strcmp(s, "off_by_one"))
        heap_off_by_one(n);
    else if (!strcmp(s, "off_by_16"))
        heap_off_by_16(n);
    else if (!strcmp(s, "far"))
        heap_far();
    else if (!strcmp(s, "underflow"))
        heap_underflow();
    else if (!strcmp(s, "use_after_free"))
        use_after_free();
    else if (!strcmp(s, "use_after_reuse"))
        use_after_reuse();
    else if (!strcmp(s, "double_free"))
        double_free();
    else if (!strcmp(s, "invalid_free"))
        invalid_free_interior();
    else if (!strcmp(s, "invalid_free_global"))
        invalid_free_global();
    else if (!strcmp(s, "invalid_free_stack"))
        invalid_free_stack();
    else if (!strcmp(s, "realloc_stale"))
        realloc_stale();
    else if (!strcmp(s, "stack_overflow"))
        stack_overflow();
    else if (!strcmp(s, "use_after_return"))
        use_after_return();
    else {
        fprintf(stderr, "unknown scenario '%s'\n", s);
        return 2;
    }
    printf("MISSED %s\n", s);
    return 0;
}
