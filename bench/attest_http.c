/* attest_http.c - the HTTP side of bench/attest.sh: the cost of
 * attestation and end-to-end encryption against the same requests in the
 * clear, in the same run, over one keep-alive connection (libcurl).
 *   attest_http BASE_URL FUNCTION N [SIZE]
 * FUNCTION echoes its input (bench/serve/hop.wat). First M attestation
 * round trips (request, evidence checked as `ward client` checks it);
 * then N requests of each of three kinds, in blocks of BLOCK requests of
 * one kind, the kinds in turn (the order rotating): in the clear; sealed
 * with the receipt checked at once, before the next request (as `ward
 * client invoke` does); sealed with the receipt handed to a verifier
 * thread (wcs_verifier, at nice +10) that checks it while the next
 * requests run. The verifier's work competes with those requests for the
 * same cores; at the end of each of its blocks the client checks itself
 * what the thread has not begun and waits for the rest, and that time
 * counts in the block's time (the throughput), so no check is left for
 * after the measurement. SIZE bytes each (default
 * 1024), every answer compared with the input, every receipt checked: one
 * that fails makes the run fail. Prints the medians, the overheads, the
 * throughput of each kind, and the time in the monitor of each
 * (X-Ward-Time-Us), whose difference is what sealing adds there. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bench_http.h"
#include "client/seal.h"

typedef struct buf {
    bench_body body; /* the response body (CURLOPT_WRITEDATA) */
    double monitor_us;
} buf;

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    if (size * n > 15 && !strncasecmp(p, "X-Ward-Time-Us:", 15)) b->monitor_us = atof(p + 15);
    return size * n;
}

static double median(double *v, int n)
{
    return bench_median(v, (size_t)n);
}

static CURL *h;
static struct curl_slist *plain_hs, *sealed_hs;

static bool post(const char *url, bool sealed, const uint8_t *body, size_t len, buf *out)
{
    out->body.len = 0;
    out->monitor_us = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sealed ? sealed_hs : plain_hs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    long code = 0;
    if (curl_easy_perform(h) != CURLE_OK) return false;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200)
        fprintf(stderr, "attest_http: HTTP %ld: %.*s\n", code, (int)out->body.len,
                (const char *)out->body.data);
    return code == 200;
}

#define BLOCK 25

enum { PLAIN, INLINE, CONC, KINDS };

int main(int argc, char **argv)
{
    if (argc < 4 || sodium_init() < 0) return 2;
    const char *base = argv[1], *fn = argv[2];
    int n = atoi(argv[3]), m = n / 10 < 20 ? 20 : n / 10;
    size_t size = argc > 4 ? (size_t)atol(argv[4]) : 1024;
    n = n < BLOCK ? BLOCK : n / BLOCK * BLOCK;
    char url_inv[1024], url_att[1024], why[600];
    snprintf(url_inv, sizeof url_inv, "%s/v1/functions/%s/invoke", base, fn);
    snprintf(url_att, sizeof url_att, "%s/v1/functions/%s/attest", base, fn);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    plain_hs = curl_slist_append(NULL, "Expect:");
    sealed_hs = curl_slist_append(curl_slist_append(NULL, "Expect:"), "X-Ward-Sealed: 1");
    static buf out;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bench_on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
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
        double t0 = bench_now_us();
        if (!post(url_att, false, nonce, sizeof nonce, &out) ||
            !wcs_verify(&conn, out.body.data, out.body.len, nonce, "functions", fn, &opts, &peer,
                        why, sizeof why)) {
            fprintf(stderr, "attest_http: attestation failed: %s\n", why);
            return 1;
        }
        ta[i] = bench_now_us() - t0;
    }
    wcs_session s;
    if (!wcs_session_new(&s, &peer.ev)) return 1;
    wcs_verifier *v = wcs_verifier_new(&s);
    if (!v) return fprintf(stderr, "attest_http: no verifier thread\n"), 1;

    uint8_t *in = malloc(size);
    for (size_t i = 0; i < size; i++)
        in[i] = (uint8_t)('a' + i % 26);
    double *lat[KINDS], *mon[KINDS], total[KINDS] = {0}, drain_us = 0;
    double *cli = calloc((size_t)n, sizeof *cli); /* the client's sealing and opening */
    for (int k = 0; k < KINDS; k++) {
        lat[k] = calloc((size_t)n, sizeof *lat[k]);
        mon[k] = calloc((size_t)n, sizeof *mon[k]);
    }
    int nblocks = n / BLOCK, warm = nblocks / 10 > 0 ? nblocks / 10 : 1;
    for (int j = -warm; j < nblocks; j++) { /* a tenth to warm up */
        for (int r = 0; r < KINDS; r++) {
            int kind = (r + (j < 0 ? -j : j)) % KINDS;
            double tb = bench_now_us();
            for (int b = 0; b < BLOCK; b++) {
                int i = j * BLOCK + b; /* the sample's index when j >= 0 */
                double t0 = bench_now_us();
                if (kind == PLAIN) {
                    if (!post(url_inv, false, in, size, &out) || out.body.len != size ||
                        memcmp(out.body.data, in, size))
                        return fprintf(stderr, "attest_http: wrong plain answer\n"), 1;
                } else {
                    wcs_pending pend;
                    size_t slen, plen;
                    uint8_t *plain;
                    uint8_t *sb =
                        kind == CONC
                            ? wcs_seal_unhashed(&s, peer.ev.subject, 0, in, size, &slen, &pend)
                            : wcs_seal(&s, peer.ev.subject, 0, in, size, &slen, &pend);
                    double t1 = bench_now_us();
                    if (!sb || !post(url_inv, true, sb, slen, &out))
                        return fprintf(stderr, "attest_http: sealed request failed\n"), 1;
                    double t2 = bench_now_us();
                    bool opened = kind == CONC
                                      ? wcs_open_unchecked(&s, &pend, out.body.data, out.body.len,
                                                           &plain, &plen, why, sizeof why)
                                      : wcs_open(&s, &pend, out.body.data, out.body.len, &plain,
                                                 &plen, why, sizeof why);
                    if (!opened)
                        return fprintf(stderr, "attest_http: sealed reply refused: %s\n", why), 1;
                    bool same = plen == size && !memcmp(plain, in, size);
                    free(plain);
                    if (!same) return fprintf(stderr, "attest_http: wrong sealed answer\n"), 1;
                    if (kind == CONC &&
                        !wcs_verifier_push(v, &pend, sb, slen, out.body.data, out.body.len))
                        return fprintf(stderr, "attest_http: out of memory\n"), 1;
                    free(sb);
                    if (kind == CONC && j >= 0) cli[i] = t1 - t0 + bench_now_us() - t2;
                }
                if (j >= 0) lat[kind][i] = bench_now_us() - t0, mon[kind][i] = out.monitor_us;
            }
            if (kind == CONC) { /* every receipt of the block checked before it ends */
                double t0 = bench_now_us();
                wcs_verifier_drain(v);
                if (j >= 0) drain_us += bench_now_us() - t0;
            }
            if (j >= 0) total[kind] += bench_now_us() - tb;
        }
    }
    uint64_t checked = 0, cpu_ns = 0,
             failed = wcs_verifier_free(v, &checked, &cpu_ns, why, sizeof why);
    wcs_session_wipe(&s);
    if (failed || checked != (uint64_t)(n + warm * BLOCK))
        return fprintf(stderr, "attest_http: %llu of %llu receipts failed: %s\n",
                       (unsigned long long)failed, (unsigned long long)checked, why),
               1;
    double p50[KINDS], m50[KINDS];
    for (int k = 0; k < KINDS; k++) {
        p50[k] = median(lat[k], n);
        m50[k] = median(mon[k], n);
    }
    const char *sz = size == 1024 ? "1KiB" : "size";
    printf("attestation round trip p50: %.0f us (%d, evidence checked)\n", median(ta, m), m);
    printf("plain %zuB invoke p50: %.1f us, %.0f per s\n", size, p50[PLAIN],
           n / total[PLAIN] * 1e6);
    printf("sealed %zuB invoke, receipt verified inline, p50: %.1f us, %.0f per s\n", size,
           p50[INLINE], n / total[INLINE] * 1e6);
    printf("sealed %zuB invoke, receipt verified concurrently, p50: %.1f us, %.0f per s "
           "(%llu receipts checked, 0 failed; waits for (or checks left by) the verifier at block "
           "ends: %.1f us "
           "per request)\n",
           size, p50[CONC], n / total[CONC] * 1e6, (unsigned long long)checked, drain_us / n);
    printf("client: sealing + opening p50 %.1f us per request; the verifier thread %.1f us of CPU "
           "per receipt\n",
           median(cli, n), checked ? (double)cpu_ns / 1e3 / (double)checked : 0);
    printf("time in the monitor p50: plain %.1f us, sealed %.1f us\n", m50[PLAIN], m50[CONC]);
    printf("monitor added per request: %.1f us\n", m50[CONC] - m50[PLAIN]);
    printf("throughput sealed/plain: %.2f (receipt verified concurrently), %.2f (inline)\n",
           total[PLAIN] / total[CONC], total[PLAIN] / total[INLINE]);
    printf("e2e overhead %s, receipt verified inline: %.0f%%\n", sz,
           (p50[INLINE] / p50[PLAIN] - 1) * 100);
    printf("e2e overhead %s: %.0f%%\n", sz, (p50[CONC] / p50[PLAIN] - 1) * 100);
    curl_easy_cleanup(h);
    return 0;
}
