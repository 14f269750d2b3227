/* floyd.c - all-pairs shortest paths (Floyd-Warshall) on a random sparse
 * directed graph with int32 weights. */
#include "bench.h"

#define N 500
#define INF 0x3fffffff

static int32_t D[N][N];

int main(void)
{
    uint32_t s = 4242;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            uint32_t r = bench_rand(&s);
            D[i][j] = i == j ? 0 : (r % 8 == 0 ? (int32_t)(r >> 8) % 1000 + 1 : INF);
        }

    double t0 = bench_now_ms();
    for (int k = 0; k < N; k++)
        for (int i = 0; i < N; i++) {
            int32_t dik = D[i][k];
            if (dik == INF) continue;
            for (int j = 0; j < N; j++) {
                int32_t via = dik + D[k][j];
                if (via < D[i][j]) D[i][j] = via;
            }
        }
    double t1 = bench_now_ms();

    uint64_t h = BENCH_SEED;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = bench_mix(h, (uint32_t)D[i][j]);
    bench_report(h, t1 - t0);
    return 0;
}
