/* bench.h - shared helpers for ward's benchmark programs.
 *
 * Every program builds both natively and for wasm32-wasi from the same source,
 * so everything here uses fixed-width types: `long` and `size_t` are 64 bits on
 * x86-64 but 32 bits on wasm32, and a checksum must not depend on that.
 *
 * A program times only its kernel (setup and validation excluded) and ends by
 * printing exactly two lines, which bench/run.sh parses:
 *     checksum: <16 hex digits>
 *     kernel_ms: <float>
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Folds a 64-bit value into a running checksum (FNV-1a over the 8 bytes). */
static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define BENCH_SEED 0xcbf29ce484222325ULL

/* The exact bits of a double: results must match bit for bit, which they do
 * because neither build contracts a*b+c into an FMA (x86-64 baseline has no
 * FMA; wasm has none) and no program calls libm beyond sqrt. */
static inline uint64_t bench_dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* xorshift32: deterministic input data. */
static inline uint32_t bench_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static inline void *bench_alloc(uint32_t bytes)
{
    void *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "out of memory (%u bytes)\n", (unsigned)bytes);
        exit(2);
    }
    return p;
}

static inline void bench_report(uint64_t checksum, double kernel_ms)
{
    printf("checksum: %016llx\n", (unsigned long long)checksum);
    printf("kernel_ms: %.3f\n", kernel_ms);
}

#endif
