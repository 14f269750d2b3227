/* fuzz_one.h - one fuzz iteration, shared by the libFuzzer target
 * (fuzz/fuzz_module.c) and the regression test (tests/unit/test_regress.c)
 * so that every finding of the fuzzer is replayed by `make test` exactly.
 *
 * Decodes, validates and compiles arbitrary bytes; if that succeeds,
 * instantiates it under fuel, stack, memory and budget limits with the spec
 * suite's "spectest" host module available for imports (most seeds import
 * from it; other imports fail to link, which exercises the link checks),
 * and calls every exported function with zero arguments. The memory mode
 * follows the input's length (flat, paged, paged through the tables only),
 * and so does memory safety (every other triple of lengths decodes Cage's
 * 0xFA instructions and runs with tagged memories and pointer keys), so
 * that every access path is fuzzed.
 *
 * Besides crashes and sanitizer reports, the budget is an oracle: all of
 * this runs under one store deadline, set before loading, and the run is a
 * finding (fuzz_finding says which) if it
 *   - makes the host allocate, at its peak, more than FUZZ_AMPLIFICATION
 *     times the input's size plus the configured limits (the instance
 *     budget, the value stack) plus FUZZ_SLACK: counted exactly for the
 *     heap (every ward allocation goes through w_alloc hooks that track
 *     live bytes), and as the growth of the process's peak resident set
 *     (Linux: reset through /proc/self/clear_refs, read from VmHWM) for
 *     everything, mappings included; or
 *   - takes longer than the deadline plus FUZZ_GRACE_NS (loading,
 *     compiling and instantiating included). */
#ifndef WARD_FUZZ_ONE_H
#define WARD_FUZZ_ONE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward.h"
#include "base/base.h"
#include "../tests/spec/spectest.h"

#define FUZZ_MEMORY (64ull << 20)    /* per linear memory */
#define FUZZ_INSTANCE (128ull << 20) /* the instance's budget */
#define FUZZ_STACK (256u * 1024u)
#define FUZZ_TIMEOUT_NS 1000000000ull /* the store's deadline */
#define FUZZ_GRACE_NS 2000000000ull
#define FUZZ_AMPLIFICATION 128u
#define FUZZ_SLACK (32ull << 20)

/* Why the last run was a finding ("" if it was not). */
static char fuzz_finding[256];

/* ---- heap accounting: a size header in front of every allocation ------------- */

#define FUZZ_HDR 16u
static size_t fuzz_live, fuzz_peak;

static void *fuzz_track(char *p, size_t n)
{
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    fuzz_live += n;
    if (fuzz_live > fuzz_peak) fuzz_peak = fuzz_live;
    return p + FUZZ_HDR;
}

static void *fuzz_malloc(size_t n)
{
    return n > SIZE_MAX - FUZZ_HDR ? NULL : fuzz_track(malloc(n + FUZZ_HDR), n);
}

static void *fuzz_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes) || bytes > SIZE_MAX - FUZZ_HDR) return NULL;
    return fuzz_track(calloc(1, bytes + FUZZ_HDR), bytes);
}

static void fuzz_free(void *p)
{
    size_t n;
    if (!p) return;
    char *h = (char *)p - FUZZ_HDR;
    memcpy(&n, h, sizeof n);
    fuzz_live -= n;
    free(h);
}

static void *fuzz_realloc(void *p, size_t n)
{
    size_t old = 0;
    char *h = p ? (char *)p - FUZZ_HDR : NULL;
    if (n > SIZE_MAX - FUZZ_HDR) return NULL;
    if (h) memcpy(&old, h, sizeof old);
    char *q = realloc(h, n + FUZZ_HDR);
    if (!q) return NULL;
    fuzz_live -= old;
    return fuzz_track(q, n);
}

static const w_alloc_hooks fuzz_hooks = {fuzz_malloc, fuzz_calloc, fuzz_realloc, fuzz_free};

/* ---- resident set: peak since the last reset (Linux), -1 if unknown ------------ */

static long fuzz_status_kib(const char *field)
{
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Makes the peak resident set the current one; false if the kernel cannot. */
static bool fuzz_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static uint64_t fuzz_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- one run ----------------------------------------------------------------- */

static ward_val fuzz_zero(ward_valkind k)
{
    ward_val v;
    memset(&v, 0, sizeof v);
    v.kind = k;
    return v;
}

/* Loads, instantiates and calls; the part the oracle measures. */
static void fuzz_run(const uint8_t *data, size_t size)
{
    ward_error err;
    bool cage = (size / 3) % 2 == 1;
    uint32_t features = WARD_FEATURE_ALL;
    if (cage) features |= WARD_FEATURE_MEM_SAFETY | WARD_FEATURE_PTR_AUTH;
    ward_module *m = NULL;
    ward_linker *l = NULL;
    ward_store_config cfg = {
        .max_stack_bytes = FUZZ_STACK,
        .max_call_depth = 500,
        .max_memory_bytes = FUZZ_MEMORY,
        .memory_mode = size % 3 == 0   ? WARD_MEMORY_FLAT
                       : size % 3 == 1 ? WARD_MEMORY_PAGED
                                       : WARD_MEMORY_PAGED_TABLES,
        .mem_safety = cage,
        .ptr_auth = cage,
        .max_instance_memory_bytes = FUZZ_INSTANCE,
    };
    ward_store *s = ward_store_new(&cfg);
    if (!s) return;
    ward_store_set_timeout(s, FUZZ_TIMEOUT_NS);
    m = ward_module_new_in(s, data, size, features, &err);
    if (!m) goto done;
    l = ward_linker_new();
    if (!l || !spectest_define(s, l)) goto done;
    ward_store_set_fuel(s, 20000);

    ward_result res;
    ward_instance *inst = ward_instance_new(s, m, l, &res);
    if (!inst) goto done;

    size_t nexp = ward_module_export_count(m);
    for (size_t i = 0; i < nexp; i++) {
        ward_extern_kind kind;
        const char *name = ward_module_export_name(m, i, &kind);
        if (kind != WARD_EXTERN_FUNC) continue;
        ward_func *f = ward_instance_func(inst, name);
        if (!f) continue;
        ward_val args[16], results[16];
        size_t np = ward_func_param_count(f), nr = ward_func_result_count(f);
        if (np > 16 || nr > 16) continue;
        for (size_t a = 0; a < np; a++)
            args[a] = fuzz_zero(ward_func_param_kind(f, a));
        ward_store_set_fuel(s, 20000);
        ward_func_call(s, f, args, np, results, nr, &res);
    }
done:
    if (l) ward_linker_free(l);
    ward_store_free(s);
    ward_module_free(m);
}

/* Installs the heap accounting. Must run before ward allocates anything
 * in the process (a block allocated without the size header must not be
 * freed with it), and stays for good; fuzz_one calls it. */
static void fuzz_init(void)
{
    static bool hooked;
    if (hooked) return;
    w_alloc_set_hooks(&fuzz_hooks);
    hooked = true;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
    fuzz_init();
    fuzz_finding[0] = '\0';
    uint64_t bound = (uint64_t)size * FUZZ_AMPLIFICATION + FUZZ_INSTANCE + FUZZ_STACK + FUZZ_SLACK;
    size_t heap_base = fuzz_live;
    fuzz_peak = fuzz_live;
    long rss_base = fuzz_rss_reset() ? fuzz_status_kib("VmRSS:") : -1;
    uint64_t t0 = fuzz_now_ns();

    fuzz_run(data, size);

    uint64_t took = fuzz_now_ns() - t0;
    long rss_peak = rss_base >= 0 ? fuzz_status_kib("VmHWM:") : -1;
    uint64_t heap = fuzz_peak - heap_base;
    uint64_t rss =
        rss_base >= 0 && rss_peak > rss_base ? (uint64_t)(rss_peak - rss_base) * 1024 : 0;
    if (heap > bound)
        snprintf(fuzz_finding, sizeof fuzz_finding,
                 "heap peak %llu bytes for a %zu-byte input (bound %llu)", (unsigned long long)heap,
                 size, (unsigned long long)bound);
    else if (rss > bound)
        snprintf(fuzz_finding, sizeof fuzz_finding,
                 "resident set grew %llu bytes for a %zu-byte input (bound %llu)",
                 (unsigned long long)rss, size, (unsigned long long)bound);
    else if (took > FUZZ_TIMEOUT_NS + FUZZ_GRACE_NS)
        snprintf(fuzz_finding, sizeof fuzz_finding,
                 "took %.2f s for a %zu-byte input (deadline %.2f s)", took / 1e9, size,
                 FUZZ_TIMEOUT_NS / 1e9);
    return 0;
}

#endif
