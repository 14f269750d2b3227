/* nw.c - sequence alignment: Needleman-Wunsch global alignment score with
 * linear gap penalty, and Levenshtein edit distance, over two random DNA
 * strings, each with two rolling DP rows. */
#include "bench.h"

#define LEN 5000

static char a[LEN], b[LEN];
static int32_t prev[LEN + 1], cur[LEN + 1];

static int32_t max3(int32_t x, int32_t y, int32_t z)
{
    int32_t m = x > y ? x : y;
    return m > z ? m : z;
}

static int32_t min3(int32_t x, int32_t y, int32_t z)
{
    int32_t m = x < y ? x : y;
    return m < z ? m : z;
}

static int32_t needleman_wunsch(void)
{
    const int32_t gap = -2, match = 3, mismatch = -1;
    for (int j = 0; j <= LEN; j++)
        prev[j] = j * gap;
    for (int i = 1; i <= LEN; i++) {
        cur[0] = i * gap;
        for (int j = 1; j <= LEN; j++) {
            int32_t d = prev[j - 1] + (a[i - 1] == b[j - 1] ? match : mismatch);
            cur[j] = max3(d, prev[j] + gap, cur[j - 1] + gap);
        }
        memcpy(prev, cur, sizeof cur);
    }
    return prev[LEN];
}

static int32_t edit_distance(void)
{
    for (int j = 0; j <= LEN; j++)
        prev[j] = j;
    for (int i = 1; i <= LEN; i++) {
        cur[0] = i;
        for (int j = 1; j <= LEN; j++)
            cur[j] = min3(prev[j - 1] + (a[i - 1] != b[j - 1]), prev[j] + 1, cur[j - 1] + 1);
        memcpy(prev, cur, sizeof cur);
    }
    return prev[LEN];
}

int main(void)
{
    static const char dna[4] = {'A', 'C', 'G', 'T'};
    uint32_t s = 99;
    for (int i = 0; i < LEN; i++) {
        a[i] = dna[bench_rand(&s) & 3];
        b[i] = dna[bench_rand(&s) & 3];
    }

    double t0 = bench_now_ms();
    int32_t score = needleman_wunsch();
    int32_t dist = edit_distance();
    double t1 = bench_now_ms();

    uint64_t h = bench_mix(bench_mix(BENCH_SEED, (uint32_t)score), (uint32_t)dist);
    bench_report(h, t1 - t0);
    return 0;
}
