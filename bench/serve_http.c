/* serve_http.c - the HTTP side of bench/serve.sh: times POSTs to a ward
 * node over one keep-alive connection (libcurl).
 *   serve_http URL N [L]
 * Without L: N invocations of URL (a function's or a chain's /invoke) with
 * a 16-byte body; prints "http p50: X us" and "http p99: X us". With L:
 * the baseline of chaining through the network: for K = 1..L, N chains of
 * K hops done by the client, each hop one HTTP request to URL through the
 * node whose body is the previous hop's output (64 bytes, checked); prints
 * "http chain L=K p50: X us" and "http hop p50: X us", the median over
 * K = 2..L of (p50(K) - p50(1)) / (K - 1): the same estimator as the
 * monitor's "chain hop p50" (mon_bench.c), so the two compare like with
 * like. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct buf {
    char data[65536];
    size_t len;
} buf;

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    size_t k = size * n;
    if (k > sizeof b->data - b->len) k = sizeof b->data - b->len;
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return size * n;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static CURL *h;
static buf in, out;

/* One POST of src's bytes; the answer in `out`. False on any failure. */
static bool post(const buf *src)
{
    static char body[65536];
    size_t len = src->len;
    memcpy(body, src->data, len);
    out.len = 0;
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    long code = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), code != 200)) {
        fprintf(stderr, "serve_http: request failed (HTTP %ld)\n", code);
        return false;
    }
    return true;
}

/* p50 and p99 (us) of n runs of `hops` chained requests (0: single ones). */
static bool timed(int n, int hops, double *p50, double *p99)
{
    double *t = calloc((size_t)n, sizeof *t);
    if (!t) return false;
    for (int i = -n / 10; i < n; i++) {
        double t0 = now_us();
        for (int k = 0; k < (hops ? hops : 1); k++) {
            if (!post(k ? &out : &in)) return false;
            if (hops && out.len != 64) {
                fprintf(stderr, "serve_http: wrong answer (%zu bytes)\n", out.len);
                return false;
            }
        }
        if (i >= 0) t[i] = now_us() - t0;
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    *p50 = t[n / 2];
    *p99 = t[n * 99 / 100];
    free(t);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int n = atoi(argv[2]), hops = argc > 3 ? atoi(argv[3]) : 0;
    if (n < 10) n = 10;
    if (hops > 64) hops = 64;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Expect:");
    memset(in.data, 'a', 64);
    in.len = hops ? 64 : 16;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    double p50, p99, base = 0, per[64];
    if (!hops) {
        if (!timed(n, 0, &p50, &p99)) return 1;
        printf("http p50: %.1f us\nhttp p99: %.1f us\n", p50, p99);
    } else {
        for (int k = 1; k <= hops; k++) {
            if (!timed(n, k, &p50, &p99)) return 1;
            printf("http chain L=%d p50: %.1f us\n", k, p50);
            if (k == 1)
                base = p50;
            else
                per[k - 2] = (p50 - base) / (k - 1);
        }
        qsort(per, (size_t)(hops - 1), sizeof *per, cmp);
        printf("http hop p50: %.1f us\n", hops > 1 ? per[(hops - 1) / 2] : base);
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return 0;
}
