/* share_clone.c - benchmarks of paged memory's sharing and clones.
 *
 *   share_clone share_clone.wasm
 *
 * Sharing: N consumers (1, 4, 16, 64), each in its own store, scan a
 * dataset of S MiB (1, 16, 256), one 8-byte load per cache line. "copy":
 * each consumer gets its own copy (flat memory, ward_memory_write); "map":
 * the dataset is one region mapped read-only into every consumer (paged).
 * Reported: setup + scan time and the growth of this process's RSS.
 * Copies that would need more than 2 GiB are skipped.
 *
 * Clones: time of ward_instance_clone against ward_instance_new (paged and
 * flat) of a 17-page module, and RSS per idle clone (and per clone after
 * each wrote one page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ward.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double rss_mib(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

static ward_store *mkstore(ward_memory_mode mode)
{
    ward_store_config c;
    memset(&c, 0, sizeof c);
    c.memory_mode = mode;
    c.max_stack_bytes = 64 << 10;
    return ward_store_new(&c);
}

static ward_val i32v(int32_t v)
{
    ward_val x = {.kind = WARD_I32, .of.i32 = v};
    return x;
}

static int64_t scan(ward_store *s, ward_instance *in, uint32_t at, uint32_t n)
{
    ward_val a[2] = {i32v((int32_t)at), i32v((int32_t)n)}, r;
    ward_result res;
    if (ward_func_call(s, ward_instance_func(in, "scan"), a, 2, &r, 1, &res) != WARD_OK) {
        fprintf(stderr, "scan trapped: %s\n", res.message);
        exit(1);
    }
    return r.of.i64;
}

#define MAXC 64

static void share(ward_module *m, int nc, uint32_t mib, uint8_t *data)
{
    uint32_t bytes = mib << 20, pages = bytes >> 16, at = 32; /* dataset at page 32 */
    ward_store *st[MAXC];
    ward_instance *in[MAXC];
    int64_t want = 0;
    for (uint32_t i = 0; i < bytes; i += 64)
        want += *(int64_t *)(data + i);
    for (int mode = 0; mode < 2; mode++) {
        if (mode == 0 && (uint64_t)nc * mib > 2048) {
            printf("share N=%-2d S=%3u MiB copy: skipped (%llu MiB)\n", nc, mib,
                   (unsigned long long)nc * mib);
            continue;
        }
        double r0 = rss_mib(), t0 = now_ms();
        ward_region *reg = NULL;
        if (mode == 1) {
            /* The producer side: a region holding the dataset. */
            reg = ward_region_new(pages);
            ward_store *ps = mkstore(WARD_MEMORY_PAGED);
            ward_instance *p = ward_instance_new(ps, m, NULL, NULL);
            ward_memory *pm = ward_instance_memory(p, "mem");
            ward_memory_grow(pm, at + pages - 17);
            ward_region_map(reg, pm, at, WARD_PERM_READ_WRITE);
            ward_memory_write(pm, (uint64_t)at << 16, data, bytes);
            ward_store_free(ps); /* the region keeps the frames */
        }
        for (int k = 0; k < nc; k++) {
            st[k] = mkstore(mode ? WARD_MEMORY_PAGED : WARD_MEMORY_FLAT);
            in[k] = ward_instance_new(st[k], m, NULL, NULL);
            ward_memory *mm = ward_instance_memory(in[k], "mem");
            ward_memory_grow(mm, at + pages - 17);
            if (mode == 0)
                ward_memory_write(mm, (uint64_t)at << 16, data, bytes);
            else if (!ward_region_map(reg, mm, at, WARD_PERM_READ))
                fprintf(stderr, "map failed\n");
        }
        double t1 = now_ms();
        for (int k = 0; k < nc; k++)
            if (scan(st[k], in[k], at << 16, bytes) != want) fprintf(stderr, "bad scan\n");
        double t2 = now_ms(), r1 = rss_mib();
        printf("share N=%-2d S=%3u MiB %s: setup %8.2f ms  scan %8.2f ms  total %8.2f ms  RSS "
               "+%7.1f MiB\n",
               nc, mib, mode ? "map " : "copy", t1 - t0, t2 - t1, t2 - t0, r1 - r0);
        for (int k = 0; k < nc; k++)
            ward_store_free(st[k]);
        if (reg) ward_region_free(reg);
    }
}

static void clones(ward_module *m)
{
    enum { N = 1000 };
    static ward_instance *c[N];
    ward_store *s = mkstore(WARD_MEMORY_PAGED);
    ward_instance *t = ward_instance_new(s, m, NULL, NULL);
    ward_result res;
    for (int k = 0; k < 3; k++)
        ward_instance_clone(s, t, &res); /* warm the allocator */
    double r0 = rss_mib(), t0 = now_ms();
    for (int k = 0; k < N; k++) {
        c[k] = ward_instance_clone(s, t, &res);
        if (!c[k]) {
            fprintf(stderr, "clone failed: %s\n", res.message);
            exit(1);
        }
    }
    double t1 = now_ms(), r1 = rss_mib();
    for (int k = 0; k < N; k++) {
        ward_val a[1] = {i32v(4096)};
        ward_func_call(s, ward_instance_func(c[k], "touch"), a, 1, NULL, 0, &res);
    }
    double r2 = rss_mib();
    printf("clone: %.2f us per clone, idle RSS %.1f KiB per clone, after one store %.1f KiB per "
           "clone\n",
           (t1 - t0) * 1e3 / N, (r1 - r0) * 1024 / N, (r2 - r0) * 1024 / N);
    ward_store_free(s);
    for (int mode = 0; mode < 2; mode++) {
        s = mkstore(mode ? WARD_MEMORY_PAGED : WARD_MEMORY_FLAT);
        r0 = rss_mib();
        t0 = now_ms();
        for (int k = 0; k < N; k++)
            ward_instance_new(s, m, NULL, NULL);
        t1 = now_ms();
        r1 = rss_mib();
        printf("instantiate afresh (%s): %.2f us per instance, RSS %.1f KiB per instance\n",
               mode ? "paged" : "flat", (t1 - t0) * 1e3 / N, (r1 - r0) * 1024 / N);
        ward_store_free(s);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ward_error err;
    ward_module *m = ward_module_new(buf, n, WARD_FEATURE_ALL, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    uint8_t *data = malloc(256u << 20);
    for (size_t i = 0; i < (256u << 20); i++)
        data[i] = (uint8_t)(i * 2654435761u >> 13);
    static const int ns[] = {1, 4, 16, 64};
    static const uint32_t ss[] = {1, 16, 256};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 4; b++)
            share(m, ns[b], ss[a], data);
    clones(m);
    free(data);
    ward_module_free(m);
    return 0;
}
