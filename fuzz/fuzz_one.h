/* fuzz_one.h - one fuzz iteration, shared by the libFuzzer target
 * (fuzz/fuzz_module.c) and the regression test (tests/unit/test_regress.c)
 * so that every crash the fuzzer finds is replayed by `make test` exactly.
 *
 * Decodes, validates and compiles arbitrary bytes; if that succeeds,
 * instantiates it under fuel, stack and memory limits with the spec suite's
 * "spectest" host module available for imports (most seeds import from it;
 * other imports fail to link, which exercises the link checks), and calls
 * every exported function with zero arguments. The memory mode follows
 * the input's length (flat, paged, paged through the tables only), and so
 * does memory safety (every other triple of lengths decodes Cage's 0xFA
 * instructions and runs with tagged memories and pointer keys), so every
 * access path is fuzzed. */
#ifndef WARD_FUZZ_ONE_H
#define WARD_FUZZ_ONE_H

#include <string.h>

#include "ward.h"
#include "../tests/spec/spectest.h"

static ward_val fuzz_zero(ward_valkind k)
{
    ward_val v;
    memset(&v, 0, sizeof v);
    v.kind = k;
    return v;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
    ward_error err;
    bool cage = (size / 3) % 2 == 1;
    uint32_t features = WARD_FEATURE_ALL;
    if (cage) features |= WARD_FEATURE_MEM_SAFETY | WARD_FEATURE_PTR_AUTH;
    ward_module *m = ward_module_new(data, size, features, &err);
    if (!m) return 0;
    ward_store_config cfg = {
        .max_stack_bytes = 256 * 1024,
        .max_call_depth = 500,
        .max_memory_bytes = 64ull << 20,
        .memory_mode = size % 3 == 0   ? WARD_MEMORY_FLAT
                       : size % 3 == 1 ? WARD_MEMORY_PAGED
                                       : WARD_MEMORY_PAGED_TABLES,
        .mem_safety = cage,
        .ptr_auth = cage,
    };
    ward_linker *l = NULL;
    ward_store *s = ward_store_new(&cfg);
    if (!s) goto done_module;
    l = ward_linker_new();
    if (!l || !spectest_define(s, l)) goto done_store;
    ward_store_set_fuel(s, 20000);

    ward_result res;
    ward_instance *inst = ward_instance_new(s, m, l, &res);
    if (!inst) goto done_store;

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
done_store:
    if (l) ward_linker_free(l);
    ward_store_free(s);
done_module:
    ward_module_free(m);
    return 0;
}

#endif
