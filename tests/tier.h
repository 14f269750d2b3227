/* tier.h - the execution tier of ward's C test programs. With
 * WARD_TEST_TIER=native in the environment, tier_store_new creates stores
 * in the native tier (docs/native.md), installing the LLVM backend on first
 * use with WARD_TEST_CACHE (if set) as its cache directory; otherwise, and
 * in a program linked against libward.a rather than libward-native.a, it is
 * ward_store_new; at exit the program then prints a line of the native
 * tier's statistics. The backend's functions are weak: only a program linked
 * with libward-native has them, and asking for the native tier without
 * them is a failure (exit 2), not a silent interpreter run. */
#ifndef WARD_TESTS_TIER_H
#define WARD_TESTS_TIER_H

#include "ward.h"
#include "ward_native.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ward_native_backend *ward_native_llvm(void) __attribute__((weak));
extern void ward_native_llvm_options(int opt_level, const char *cache_dir) __attribute__((weak));
extern void ward_native_llvm_stats(ward_native_stats *out) __attribute__((weak));

/* At exit: what the native tier did, so a log shows that it ran. */
static void tier_report(void)
{
    ward_native_stats st;
    ward_native_llvm_stats(&st);
    printf("native tier: %llu modules compiled, %llu from the cache; %llu functions native, "
           "%llu interpreted\n",
           (unsigned long long)st.modules_compiled, (unsigned long long)st.cache_hits,
           (unsigned long long)st.funcs_native, (unsigned long long)st.funcs_interp);
}

/* True when the tests run in the native tier (installs the backend once). */
static inline bool tier_native(void)
{
    static int state = -1;
    if (state >= 0) return state == 1;
    const char *t = getenv("WARD_TEST_TIER");
    state = t && strcmp(t, "native") == 0;
    if (state && !ward_native_llvm) {
        fprintf(stderr, "WARD_TEST_TIER=native, but this program was linked without "
                        "libward-native\n");
        exit(2);
    }
    if (state) {
        /* LLVM -O2, the default of ward run -C native. */
        ward_native_llvm_options(2, getenv("WARD_TEST_CACHE"));
        ward_native_install(ward_native_llvm());
        atexit(tier_report);
    }
    return state == 1;
}

/* ward_store_new(c) with the tier of the tests (c is not modified). */
static inline ward_store *tier_store_new(const ward_store_config *c)
{
    ward_store_config cfg;
    if (c) {
        cfg = *c;
    } else {
        memset(&cfg, 0, sizeof cfg);
    }
    cfg.tier = tier_native() ? WARD_TIER_NATIVE : WARD_TIER_INTERP;
    return ward_store_new(&cfg);
}

#endif
