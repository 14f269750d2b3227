/* bench_http.h - what ward's HTTP benchmark clients share (serve_http.c,
 * tenant_load.c, attest_http.c): a clock in microseconds, sorting and the
 * median of samples, and a response body sink for libcurl. */
#ifndef WARD_BENCH_HTTP_H
#define WARD_BENCH_HTTP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v and returns its median (the upper one of an even count). */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp);
    return n ? v[n / 2] : 0;
}

/* A response body, grown as it arrives; len is reset by the caller. */
typedef struct bench_body {
    uint8_t *data;
    size_t len, cap;
} bench_body;

/* CURLOPT_WRITEFUNCTION for a bench_body (CURLOPT_WRITEDATA). */
static inline size_t bench_on_write(char *p, size_t size, size_t n, void *arg)
{
    bench_body *b = arg;
    size_t k = size * n;
    if (b->len + k > b->cap) {
        size_t cap = (b->len + k) * 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return k;
}

#endif
