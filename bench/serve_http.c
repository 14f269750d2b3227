/* serve_http.c - the HTTP side of bench/serve.sh: times POSTs to a ward
 * node over one keep-alive connection (libcurl).
 *   serve_http URL N [L]
 * Without L: N invocations of URL (a function's /invoke) with a 16-byte
 * body; prints "http p50: X us" and "http p99: X us". With L: N chains
 * of L hops done by the client, each hop an HTTP call whose body is the
 * previous output (the way functions chain through the network); prints
 * "http hop p50: X us" (the chain's time / L, median). */
#include <curl/curl.h>
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

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int n = atoi(argv[2]), hops = argc > 3 ? atoi(argv[3]) : 0;
    if (n < 10) n = 10;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Expect:");
    static buf in, out;
    memset(in.data, 'a', 64);
    in.len = hops ? 64 : 16;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    double *t = calloc((size_t)n, sizeof *t);
    for (int i = -n / 10; i < n; i++) {
        double t0 = now_us();
        for (int k = 0; k < (hops ? hops : 1); k++) {
            buf *src = k ? &out : &in;
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
                return 1;
            }
            if (hops && out.len != 64) {
                fprintf(stderr, "serve_http: wrong answer (%zu bytes)\n", out.len);
                return 1;
            }
        }
        if (i >= 0) t[i] = (now_us() - t0) / (hops ? hops : 1);
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    if (hops)
        printf("http hop p50: %.1f us\n", t[n / 2]);
    else
        printf("http p50: %.1f us\nhttp p99: %.1f us\n", t[n / 2], t[n * 99 / 100]);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    free(t);
    return 0;
}
