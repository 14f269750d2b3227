/* mon_bench.c - `ward-monitor --bench TRIVIAL.wasm HOP.wasm DENSITY.wasm [N]`:
 * the monitor's own invocation path timed in process (no socket, no HTTP,
 * no sandbox: it reads its modules from files, which a serving monitor
 * never does). Prints, one per line (bench/serve.sh parses them):
 *   trustlet clone+invoke p50: X us     (and p99) a request of 16 bytes to
 *                                       TRIVIAL: body into a region, clone,
 *                                       map, call, output pages out, free
 *   chain L=K p50: X us                 K steps of HOP (K = 1..16), 64 bytes
 *   chain hop p50: X us                 median over K=2..16 of (t(K)-t(1))/(K-1)
 *   idle trustlets per GiB: X           RSS growth of 2000 idle clones of DENSITY
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static mon_fn *load(const char *path, const char *name)
{
    FILE *f = fopen(path, "rb");
    if (!f) return perror(path), NULL;
    static uint8_t buf[8 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    proto_buf b = {0};
    proto_begin(&b, PROTO_DEPLOY, 1);
    proto_put_str(&b, PROTO_F_TENANT, "bench");
    proto_put_str(&b, PROTO_F_NAME, name);
    proto_put(&b, PROTO_F_WASM, buf, n);
    proto_put_u64(&b, PROTO_F_MAX_MEMORY, 64u << 20);
    proto_put_u64(&b, PROTO_F_OUTPUT_MAX, 65536);
    proto_end(&b);
    static proto_msg m;
    const char *why;
    char msg[300];
    proto_status st;
    mon_fn *fn = NULL;
    if (!proto_decode(b.data, b.len, &m, &why))
        fprintf(stderr, "bench: %s\n", why);
    else if (!(fn = mon_fn_build(&m, 0, &st, msg, sizeof msg)))
        fprintf(stderr, "bench: %s: %s\n", path, msg);
    proto_buf_free(&b);
    return fn;
}

/* p50 and p99 of n runs of a chain of `steps` copies of fn. */
static bool run(mon_worker *w, mon_fn *fn, uint32_t steps, size_t body, unsigned n, double *p50,
                double *p99)
{
    static mon_tenant tenant = {.name = "bench"};
    static uint8_t data[4096];
    memset(data, 'a', sizeof data);
    mon_job job;
    memset(&job, 0, sizeof job);
    job.tenant = &tenant;
    job.nsteps = steps;
    for (uint32_t s = 0; s < steps; s++) {
        job.width[s] = 1;
        job.fns[s][0] = fn;
    }
    job.body = data;
    job.body_len = body;
    uint64_t *t = calloc(n, sizeof *t);
    proto_buf b = {0};
    bool ok = t != NULL;
    for (unsigned i = 0; i < n + n / 10 && ok; i++) { /* the first tenth warms up */
        uint64_t t0 = ns_now();
        ok = mon_job_exec(w, &job, &b, t0);
        if (i >= n / 10) t[i - n / 10] = ns_now() - t0;
    }
    if (!ok) fprintf(stderr, "bench: an invocation failed\n");
    proto_buf_free(&b);
    if (ok) {
        qsort(t, n, sizeof *t, cmp_u64);
        *p50 = (double)t[n / 2] / 1000.0;
        *p99 = (double)t[n * 99 / 100] / 1000.0;
    }
    free(t);
    return ok;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void measure_rss(void *arg)
{
    *(long *)arg = rss_kib();
}

int mon_bench(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ward-monitor --bench TRIVIAL.wasm HOP.wasm DENSITY.wasm [N]\n");
        return 2;
    }
    unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 5000;
    if (n < 100) n = 100;
    mon.default_timeout_ns = 10000000000ull;
    mon_fn *trivial = load(argv[0], "trivial"), *hop = load(argv[1], "hop"),
           *dense = load(argv[2], "dense");
    mon_worker *w = mon_worker_new();
    if (!trivial || !hop || !dense || !w) return 1;
    double p50, p99, base = 0, hops[17];
    if (!run(w, trivial, 1, 16, n, &p50, &p99)) return 1;
    printf("trustlet clone+invoke p50: %.0f us\n", p50);
    printf("trustlet clone+invoke p99: %.0f us\n", p99);
    for (uint32_t l = 1; l <= MON_MAX_STEPS; l++) {
        if (!run(w, hop, l, 64, n / 4, &p50, &p99)) return 1;
        printf("chain L=%u p50: %.1f us\n", l, p50);
        if (l == 1)
            base = p50;
        else
            hops[l - 2] = (p50 - base) / (l - 1);
    }
    /* median of the per-hop figures of L = 2..16 */
    for (int i = 0; i < 15; i++)
        for (int k = i + 1; k < 15; k++)
            if (hops[k] < hops[i]) {
                double x = hops[i];
                hops[i] = hops[k];
                hops[k] = x;
            }
    printf("chain hop p50: %.1f us\n", hops[7]);
    unsigned k = 2000;
    long before = 0, after = 0;
    mon_clones_hold(w, dense, 1, measure_rss, &before); /* the template exists before */
    before = rss_kib();
    if (!mon_clones_hold(w, dense, k, measure_rss, &after)) return 1;
    double per = (double)(after - before) * 1024.0 / k;
    printf("idle trustlet bytes: %.0f\n", per);
    printf("idle trustlets per GiB: %.0f\n", per > 0 ? 1073741824.0 / per : 0.0);
    return 0;
}
