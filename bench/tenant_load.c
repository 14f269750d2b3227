/* tenant_load.c - the tenant isolation figure of bench/serve.sh (libcurl,
 * one keep-alive connection per process).
 *   tenant_load URL TOKEN N          N POSTs of "b<i>" to URL (a function
 *       that upper-cases its input), each answer checked; prints
 *       "p50 X" and "p99 X" in microseconds
 *   tenant_load --flood BASE TOKEN SECONDS
 *       for SECONDS, POSTs in turn to BASE/burn/invoke ("spin": a function
 *       that runs to its timeout), BASE/crash/invoke ("trap") and
 *       BASE/up/invoke, whatever they answer (429 included) */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_http.h"

int main(int argc, char **argv)
{
    bool flood = argc == 5 && !strcmp(argv[1], "--flood");
    if (argc != 4 && !flood) {
        fprintf(stderr,
                "usage: tenant_load URL TOKEN N | tenant_load --flood BASE TOKEN SECONDS\n");
        return 2;
    }
    argv += flood;
    CURL *h = curl_easy_init();
    char auth[200];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);
    struct curl_slist *hdr = curl_slist_append(NULL, auth);
    bench_body out = {0};
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bench_on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (flood) {
        double end = bench_now_us() + atof(argv[3]) * 1e6;
        static const char *const what[3][2] = {{"burn", "spin"}, {"crash", "trap"}, {"up", "a"}};
        char url[1024];
        for (unsigned i = 0; bench_now_us() < end; i++) {
            snprintf(url, sizeof url, "%s/%s/invoke", argv[1], what[i % 3][0]);
            curl_easy_setopt(h, CURLOPT_URL, url);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, what[i % 3][1]);
            out.len = 0;
            curl_easy_perform(h);
        }
        return 0;
    }
    int n = atoi(argv[3]);
    double *t = calloc((size_t)(n > 0 ? n : 1), sizeof *t);
    if (n < 1 || !t) return 2;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    for (int i = 0; i < n; i++) {
        char body[32], want[32];
        snprintf(body, sizeof body, "b%d", i);
        snprintf(want, sizeof want, "B%d", i);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        out.len = 0;
        double t0 = bench_now_us();
        CURLcode rc = curl_easy_perform(h);
        t[i] = bench_now_us() - t0;
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK || code != 200 || out.len != strlen(want) ||
            memcmp(out.data, want, out.len)) {
            fprintf(stderr, "tenant_load: request %d failed (HTTP %ld): %.*s\n", i, code,
                    (int)out.len, (const char *)out.data);
            return 1;
        }
    }
    qsort(t, (size_t)n, sizeof *t, bench_cmp);
    printf("p50 %.1f\np99 %.1f\n", t[n / 2], t[n * 99 / 100]);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(out.data);
    free(t);
    return 0;
}
