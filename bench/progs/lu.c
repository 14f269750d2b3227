/* lu.c - in-place LU decomposition without pivoting (Doolittle, as PolyBench
 * lu) of a diagonally dominant matrix, so no pivoting is needed. */
#include "bench.h"

#define N 800

static double A[N][N];

int main(void)
{
    uint32_t s = 777;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            A[i][j] = (double)(bench_rand(&s) % 2000) / 1000.0 - 1.0;
        A[i][i] += (double)N * 2.0;
    }

    double t0 = bench_now_ms();
    for (int k = 0; k < N; k++) {
        double inv = 1.0 / A[k][k];
        for (int i = k + 1; i < N; i++) {
            double l = A[i][k] * inv;
            A[i][k] = l;
            for (int j = k + 1; j < N; j++)
                A[i][j] -= l * A[k][j];
        }
    }
    double t1 = bench_now_ms();

    uint64_t h = BENCH_SEED;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = bench_mix(h, bench_dbits(A[i][j]));
    bench_report(h, t1 - t0);
    return 0;
}
