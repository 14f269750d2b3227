/* simd.c - SIMD: loops the compiler vectorises (int32 multiply-add with a
 * reduction, float saxpy) and, for wasm, explicit wasm_simd128.h intrinsics
 * (u8 rounding average and saturating add) with a portable C fallback that
 * computes exactly the same bytes. bench/run.sh builds the wasm version with
 * the flags below; natively the same source builds without them.
 *
 * BENCH_WASM_FLAGS: -msimd128
 */
#include "bench.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 16384
#define REPS 6000

static int32_t ia[N], ib[N], ic[N];
static float fx[N], fy[N];
static uint8_t ua[N], ub[N], uc[N];

static uint32_t int_kernel(void)
{
    uint32_t sum = 0;
    for (int i = 0; i < N; i++) {
        ia[i] = ib[i] * ic[i] + (ia[i] >> 3);
        sum += (uint32_t)(ia[i] ^ ib[i]);
    }
    return sum;
}

static void float_kernel(float alpha)
{
    for (int i = 0; i < N; i++)
        fy[i] = alpha * fx[i] + fy[i] * 0.5f;
}

static void byte_kernel(void)
{
#ifdef __wasm_simd128__
    for (int i = 0; i < N; i += 16) {
        v128_t a = wasm_v128_load(ua + i), b = wasm_v128_load(ub + i);
        v128_t avg = wasm_u8x16_avgr(a, b);
        wasm_v128_store(uc + i, wasm_u8x16_add_sat(avg, a));
        wasm_v128_store(ua + i, wasm_i8x16_sub(avg, b));
    }
#else
    for (int i = 0; i < N; i++) {
        uint32_t avg = ((uint32_t)ua[i] + ub[i] + 1) >> 1;
        uint32_t sat = avg + ua[i];
        uc[i] = (uint8_t)(sat > 255 ? 255 : sat);
        ua[i] = (uint8_t)(avg - ub[i]);
    }
#endif
}

int main(void)
{
    uint32_t s = 1618;
    for (int i = 0; i < N; i++) {
        ia[i] = (int32_t)bench_rand(&s);
        ib[i] = (int32_t)(bench_rand(&s) % 2001) - 1000;
        ic[i] = (int32_t)(bench_rand(&s) % 2001) - 1000;
        fx[i] = (float)(bench_rand(&s) % 10000) / 1000.0f;
        fy[i] = 0.0f;
        ua[i] = (uint8_t)bench_rand(&s);
        ub[i] = (uint8_t)bench_rand(&s);
    }

    uint64_t h = BENCH_SEED;
    double t0 = bench_now_ms();
    for (int r = 0; r < REPS; r++) {
        h = bench_mix(h, int_kernel());
        float_kernel(1.0f + (float)r / 1024.0f);
        byte_kernel();
    }
    double t1 = bench_now_ms();

    uint32_t fsum = 0, bsum = 0;
    for (int i = 0; i < N; i++) {
        uint32_t u;
        memcpy(&u, &fy[i], 4);
        fsum = fsum * 31 + u;
        bsum = bsum * 31 + uc[i] + ((uint32_t)ua[i] << 8);
    }
    bench_report(bench_mix(bench_mix(h, fsum), bsum), t1 - t0);
    return 0;
}
