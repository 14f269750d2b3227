/* attest_http.c - the HTTP side of bench/attest.sh: the cost of
 * attestation and end-to-end encryption against the same requests in the
 * clear, in the same run, over one keep-alive connection (libcurl).
 *   attest_http BASE_URL FUNCTION N [SIZE]
 * FUNCTION echoes its input (bench/serve/hop.wat). First M attestation
 * round trips (request, evidence checked as `ward client` checks it);
 * then N rounds of three requests in turn (the order rotating): one in
 * the clear, one sealed with its receipt checked at once (as `ward client
 * invoke` does), one sealed with its receipt kept and checked after the
 * timed loop; SIZE bytes each (default 1024), every answer compared with
 * the input, every receipt checked. Prints the medians, the overheads,
 * the sequential throughput of each, and the time in the monitor of each
 * (X-Ward-Time-Us), whose difference is what sealing adds there. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/seal.h"

typedef struct buf {
    uint8_t *data;
    size_t len, cap;
    double monitor_us;
} buf;

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
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

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    if (size * n > 15 && !strncasecmp(p, "X-Ward-Time-Us:", 15)) b->monitor_us = atof(p + 15);
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

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static double sum(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

static CURL *h;
static struct curl_slist *plain_hs, *sealed_hs;

static bool post(const char *url, bool sealed, const uint8_t *body, size_t len, buf *out)
{
    out->len = 0;
    out->monitor_us = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sealed ? sealed_hs : plain_hs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    long code = 0;
    if (curl_easy_perform(h) != CURLE_OK) return false;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200)
        fprintf(stderr, "attest_http: HTTP %ld: %.*s\n", code, (int)out->len, out->data);
    return code == 200;
}

int main(int argc, char **argv)
{
    if (argc < 4 || sodium_init() < 0) return 2;
    const char *base = argv[1], *fn = argv[2];
    int n = atoi(argv[3]), m = n / 10 < 20 ? 20 : n / 10;
    size_t size = argc > 4 ? (size_t)atol(argv[4]) : 1024;
    if (n < 10) n = 10;
    char url_inv[1024], url_att[1024], why[600];
    snprintf(url_inv, sizeof url_inv, "%s/v1/functions/%s/invoke", base, fn);
    snprintf(url_att, sizeof url_att, "%s/v1/functions/%s/attest", base, fn);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    plain_hs = curl_slist_append(NULL, "Expect:");
    sealed_hs = curl_slist_append(curl_slist_append(NULL, "Expect:"), "X-Ward-Sealed: 1");
    static buf out;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &out);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    wc_conn conn = {.url = base};
    wcs_opts opts = {.quiet = true, .cache = getenv("WARD_ATTEST_CACHE")};

    /* attestation round trips: a fresh nonce, the evidence checked */
    double *ta = calloc((size_t)m, sizeof *ta);
    wcs_peer peer;
    for (int i = 0; i < m; i++) {
        uint8_t nonce[ATT_NONCE];
        randombytes_buf(nonce, sizeof nonce);
        double t0 = now_us();
        if (!post(url_att, false, nonce, sizeof nonce, &out) ||
            !wcs_verify(&conn, out.data, out.len, nonce, "functions", fn, &opts, &peer, why,
                        sizeof why)) {
            fprintf(stderr, "attest_http: attestation failed: %s\n", why);
            return 1;
        }
        ta[i] = now_us() - t0;
    }
    wcs_session s;
    if (!wcs_session_new(&s, &peer.ev)) return 1;

    uint8_t *in = malloc(size);
    for (size_t i = 0; i < size; i++)
        in[i] = (uint8_t)('a' + i % 26);
    double *tp = calloc((size_t)n, sizeof *tp), *ts = calloc((size_t)n, sizeof *ts);
    double *td = calloc((size_t)n, sizeof *td);
    double *mp = calloc((size_t)n, sizeof *mp), *ms = calloc((size_t)n, sizeof *ms);
    uint8_t(*later)[ATT_RECEIPT + ATT_HASH] = calloc((size_t)n, sizeof *later);
    wcs_pending *pends = calloc((size_t)n, sizeof *pends);
    for (int i = -n / 10; i < n; i++) { /* a tenth to warm up */
        for (int k = 0; k < 3; k++) {
            int kind = (k + (i < 0 ? 0 : i)) % 3; /* 0 plain, 1 sealed, 2 sealed, receipt later */
            bool sealed = kind != 0;
            double t0 = now_us(), dt;
            if (!sealed) {
                if (!post(url_inv, false, in, size, &out) || out.len != size ||
                    memcmp(out.data, in, size))
                    return fprintf(stderr, "attest_http: wrong plain answer\n"), 1;
                dt = now_us() - t0;
                if (i >= 0) tp[i] = dt, mp[i] = out.monitor_us;
            } else {
                wcs_pending pend;
                size_t slen, plen;
                uint8_t *sb = wcs_seal(&s, peer.ev.subject, 0, in, size, &slen, &pend), *plain;
                uint8_t *keep = kind == 2 ? later[i < 0 ? 0 : i] : NULL;
                if (!sb || !post(url_inv, true, sb, slen, &out) ||
                    !wcs_open(&s, &pend, out.data, out.len, &plain, &plen, keep, why, sizeof why))
                    return fprintf(stderr, "attest_http: sealed request failed: %s\n", why), 1;
                bool same = plen == size && !memcmp(plain, in, size);
                free(sb);
                free(plain);
                if (!same) return fprintf(stderr, "attest_http: wrong sealed answer\n"), 1;
                dt = now_us() - t0;
                if (i >= 0 && kind == 1) ts[i] = dt, ms[i] = out.monitor_us;
                if (i >= 0 && kind == 2) td[i] = dt, pends[i] = pend;
                if (i < 0 && kind == 2 && !wcs_receipt_check(&s, &pend, keep, why, sizeof why))
                    return fprintf(stderr, "attest_http: %s\n", why), 1;
            }
        }
    }
    for (int i = 0; i < n; i++) /* the receipts kept for later */
        if (!wcs_receipt_check(&s, &pends[i], later[i], why, sizeof why))
            return fprintf(stderr, "attest_http: request %d: %s\n", i, why), 1;
    wcs_session_wipe(&s);
    double tot_p = sum(tp, n), tot_s = sum(ts, n), tot_d = sum(td, n), p50d = median(td, n);
    double p50p = median(tp, n), p50s = median(ts, n), p50a = median(ta, m);
    double mp50 = median(mp, n), ms50 = median(ms, n);
    printf("attestation round trip p50: %.0f us (%d, evidence checked)\n", p50a, m);
    printf("plain %zuB invoke p50: %.1f us, %.0f per s\n", size, p50p, n / tot_p * 1e6);
    printf("sealed %zuB invoke p50: %.1f us, %.0f per s (sealed, opened, receipt checked)\n", size,
           p50s, n / tot_s * 1e6);
    printf("sealed %zuB invoke, receipt checked after, p50: %.1f us, %.0f per s\n", size, p50d,
           n / tot_d * 1e6);
    printf("time in the monitor p50: plain %.1f us, sealed %.1f us\n", mp50, ms50);
    printf("monitor added per request: %.1f us\n", ms50 - mp50);
    printf("throughput sealed/plain: %.2f\n", tot_p / tot_s);
    printf("e2e overhead %s, receipts checked after the loop: %.0f%%\n",
           size == 1024 ? "1KiB" : "size", (p50d / p50p - 1) * 100);
    printf("e2e overhead %s: %.0f%%\n", size == 1024 ? "1KiB" : "size", (p50s / p50p - 1) * 100);
    curl_easy_cleanup(h);
    return 0;
}
