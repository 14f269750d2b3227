/* memops.c - memcpy/memset/memmove-heavy code: block copies of random sizes
 * (16 B to 64 KiB) between two 4 MiB buffers, fills, and overlapping moves. */
#include "bench.h"

#define BUF (4u << 20)
#define OPS 200000

int main(void)
{
    uint8_t *a = bench_alloc(BUF), *b = bench_alloc(BUF);
    uint32_t s = 8675309;
    for (uint32_t i = 0; i < BUF; i++)
        a[i] = (uint8_t)bench_rand(&s);
    memset(b, 0, BUF);

    double t0 = bench_now_ms();
    for (uint32_t i = 0; i < OPS; i++) {
        uint32_t r = bench_rand(&s);
        uint32_t len = 16u << (r % 13); /* 16 B .. 64 KiB */
        len += (r >> 4) & 15;           /* unaligned lengths too */
        uint32_t src = (bench_rand(&s) % (BUF - len));
        uint32_t dst = (bench_rand(&s) % (BUF - len));
        switch ((r >> 8) % 4) {
        case 0:
        case 1: memcpy(b + dst, a + src, len); break;
        case 2: memset(b + dst, (int)(r >> 16) & 0xff, len); break;
        case 3: memmove(a + dst, a + src, len); break;
        }
    }
    /* Four full-buffer passes: large copies dominate real programs' time. */
    for (int p = 0; p < 4; p++) {
        memcpy(a, b, BUF);
        memset(b + (uint32_t)p * 4096, p, BUF / 2);
    }
    double t1 = bench_now_ms();

    uint64_t h = BENCH_SEED;
    for (uint32_t i = 0; i < BUF; i += 8) {
        uint64_t va, vb;
        memcpy(&va, a + i, 8);
        memcpy(&vb, b + i, 8);
        h = bench_mix(h, va ^ (vb << 1));
    }
    bench_report(h, t1 - t0);
    free(a);
    free(b);
    return 0;
}
