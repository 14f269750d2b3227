/* matmul.c - dense double matrix multiply C = A * B (i-k-j order, as in
 * PolyBench gemm with alpha = beta = 1). */
#include "bench.h"

#define N 512

static double A[N][N], B[N][N], C[N][N];

int main(void)
{
    uint32_t s = 12345;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(bench_rand(&s) % 1000) / 100.0 - 5.0;
            B[i][j] = (double)(bench_rand(&s) % 1000) / 100.0 - 5.0;
            C[i][j] = 0.0;
        }

    double t0 = bench_now_ms();
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                double a = A[i][k];
                for (int j = 0; j < N; j++)
                    C[i][j] += a * B[k][j];
            }
    double t1 = bench_now_ms();

    uint64_t h = BENCH_SEED;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = bench_mix(h, bench_dbits(C[i][j]));
    bench_report(h, t1 - t0);
    return 0;
}
