/* jacobi2d.c - 2-D five-point Jacobi stencil (heat diffusion), two buffers
 * swapped each step, as PolyBench jacobi-2d. */
#include "bench.h"

#define N 700
#define STEPS 120

static double A[N][N], B[N][N];

int main(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = ((double)i * (j + 2) + 2) / N;
            B[i][j] = ((double)i * (j + 3) + 3) / N;
        }

    double t0 = bench_now_ms();
    for (int t = 0; t < STEPS; t++) {
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i + 1][j] + B[i - 1][j]);
    }
    double t1 = bench_now_ms();

    uint64_t h = BENCH_SEED;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = bench_mix(h, bench_dbits(A[i][j]));
    bench_report(h, t1 - t0);
    return 0;
}
