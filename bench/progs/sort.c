/* sort.c - sorting int32 arrays: a hand-written quicksort (median of three,
 * insertion sort for short ranges) and a top-down mergesort. */
#include "bench.h"

#define N 600000

static void insertion(int32_t *a, int32_t lo, int32_t hi)
{
    for (int32_t i = lo + 1; i <= hi; i++) {
        int32_t v = a[i], j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(int32_t *a, int32_t i, int32_t j)
{
    int32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(int32_t *a, int32_t lo, int32_t hi)
{
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        int32_t pivot = a[mid], i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) swap(a, i++, j--);
        }
        /* Recurse on the smaller side to bound the stack depth. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

static void mergesort_rec(int32_t *a, int32_t *tmp, int32_t lo, int32_t hi)
{
    if (hi - lo < 16) {
        insertion(a, lo, hi);
        return;
    }
    int32_t mid = lo + (hi - lo) / 2;
    mergesort_rec(a, tmp, lo, mid);
    mergesort_rec(a, tmp, mid + 1, hi);
    int32_t i = lo, j = mid + 1, k = lo;
    while (i <= mid && j <= hi)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i <= mid)
        tmp[k++] = a[i++];
    while (j <= hi)
        tmp[k++] = a[j++];
    memcpy(a + lo, tmp + lo, (uint32_t)(hi - lo + 1) * sizeof(int32_t));
}

int main(void)
{
    int32_t *a = bench_alloc(N * sizeof(int32_t));
    int32_t *b = bench_alloc(N * sizeof(int32_t));
    int32_t *tmp = bench_alloc(N * sizeof(int32_t));
    uint32_t s = 5555;
    for (int32_t i = 0; i < N; i++)
        a[i] = b[i] = (int32_t)bench_rand(&s) % 1000000;

    double t0 = bench_now_ms();
    quicksort(a, 0, N - 1);
    mergesort_rec(b, tmp, 0, N - 1);
    double t1 = bench_now_ms();

    uint64_t h = BENCH_SEED;
    for (int32_t i = 0; i < N; i++) {
        if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) {
            fprintf(stderr, "sort: wrong order at %d\n", i);
            return 1;
        }
        h = bench_mix(h, (uint32_t)a[i]);
    }
    bench_report(h, t1 - t0);
    free(a);
    free(b);
    free(tmp);
    return 0;
}
