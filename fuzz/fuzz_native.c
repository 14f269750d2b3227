/* fuzz_native.c - differential fuzz target: the native tier against the
 * interpreter (docs/native.md). Each input is loaded into two stores that
 * differ only in their tier (memory mode and Cage follow the input's
 * length, as in fuzz_one.h), instantiated with the spectest host module,
 * and every exported function is called with zero arguments under the
 * same fuel. After instantiation and after every call the two must agree
 * on: the outcome (ok, trap, error) and its trap code and message, the
 * backtrace's functions, the results (NaNs agree with any NaN: the spec
 * leaves payloads open and LLVM may fold constant NaN arithmetic), the fuel
 * left, and the contents of every exported memory. A difference aborts.
 *
 * Built with libFuzzer (make fuzz-native) or with fuzz_driver.c over
 * modules that binaryen generates (tests/native/fuzz.sh, in make test). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/spec/spectest.h"
#include "ward.h"
#include "ward_native.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counters for the driver's summary. */
long fuzz_native_modules, fuzz_native_calls;

typedef struct side {
    uint64_t log; /* a hash of everything the module logged (fuzzing-support) */
    ward_store *s;
    ward_linker *l;
    ward_module *m;
    ward_instance *inst;
} side;

static void side_free(side *x)
{
    if (x->l) ward_linker_free(x->l);
    if (x->s) ward_store_free(x->s);
    if (x->m) ward_module_free(x->m);
}

static void fn_fail(const char *what, const char *name)
{
    fprintf(stderr, "native tier differs from the interpreter: %s (export '%s')\n", what,
            name ? name : "");
    abort();
}

static bool same_val(const ward_val *a, const ward_val *b)
{
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case WARD_I32: return a->of.i32 == b->of.i32;
    case WARD_I64: return a->of.i64 == b->of.i64;
    case WARD_F32:
        return (isnan(a->of.f32) && isnan(b->of.f32)) || a->of.f32_bits == b->of.f32_bits;
    case WARD_F64:
        return (isnan(a->of.f64) && isnan(b->of.f64)) || a->of.f64_bits == b->of.f64_bits;
    case WARD_V128: return memcmp(a->of.v128, b->of.v128, 16) == 0;
    case WARD_EXTERNREF: return a->of.externref == b->of.externref;
    default: return (a->of.funcref == NULL) == (b->of.funcref == NULL);
    }
}

static void same_result(const ward_result *a, const ward_result *b, const char *name)
{
    if (a->status != b->status) fn_fail("status", name);
    if (a->status == WARD_TRAP) {
        if (a->trap != b->trap) fn_fail("trap code", name);
        if (strcmp(a->message, b->message) != 0) fn_fail("trap message", name);
        if (a->nframes != b->nframes) fn_fail("backtrace length", name);
        for (uint32_t i = 0; i < a->nframes; i++)
            if (a->frames[i].func_index != b->frames[i].func_index ||
                a->frames[i].module_offset != b->frames[i].module_offset)
                fn_fail("backtrace frame", name);
    }
}

/* With FUZZ_NATIVE_NAN_SIGN set (tests/native/fuzz.sh, for the modules of
 * fastloop_gen.py): whether the k bytes at a and b differ only in the sign
 * of NaNs, as f64 words (8-aligned) or f32 words. The spec leaves a NaN
 * result's sign open, and in a fast copy (docs/native.md, "Fast loops")
 * LLVM may move a negation past a multiplication; the ordinary code
 * computes in the interpreter's order. */
static bool nan_signs_only(const uint8_t *a, const uint8_t *b, size_t k)
{
    static int on = -1;
    if (on < 0) on = getenv("FUZZ_NATIVE_NAN_SIGN") != NULL;
    if (!on) return false;
    for (size_t i = 0; i + 8 <= k; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8), memcpy(&y, b + i, 8);
        if (x == y) continue;
        uint64_t m = 0x7fffffffffffffffull;
        if ((x & m) == (y & m) && (x & m) > 0x7ff0000000000000ull) continue;
        for (size_t h = 0; h < 8; h += 4) {
            uint32_t u = (uint32_t)(x >> (8 * h)), v = (uint32_t)(y >> (8 * h));
            if (u != v &&
                !((u & 0x7fffffffu) == (v & 0x7fffffffu) && (u & 0x7fffffffu) > 0x7f800000u))
                return false;
        }
    }
    return k % 8 == 0;
}

static void same_memories(side *a, side *b, const char *after)
{
    size_t n = ward_module_export_count(a->m);
    for (size_t i = 0; i < n; i++) {
        ward_extern_kind kind;
        const char *name = ward_module_export_name(a->m, i, &kind);
        if (kind != WARD_EXTERN_MEMORY) continue;
        ward_memory *ma = ward_instance_memory(a->inst, name);
        ward_memory *mb = ward_instance_memory(b->inst, name);
        if (!ma || !mb) continue;
        uint64_t sa = ward_memory_size(ma), sb = ward_memory_size(mb);
        if (sa != sb) fn_fail("memory size", after);
        static uint8_t ba[1 << 16], bb[1 << 16];
        for (uint64_t off = 0; off < sa; off += sizeof ba) {
            size_t k = sa - off < sizeof ba ? (size_t)(sa - off) : sizeof ba;
            bool ra = ward_memory_read(ma, off, ba, k), rb = ward_memory_read(mb, off, bb, k);
            if (ra != rb || (ra && memcmp(ba, bb, k) != 0 && !nan_signs_only(ba, bb, k))) {
                /* where, to tell a wrong store from a NaN's other bits */
                size_t d = 0;
                while (ra && d < k && ba[d] == bb[d])
                    d++;
                d &= ~(size_t)7;
                uint64_t va = 0, vb = 0;
                if (ra && d + 8 <= k) memcpy(&va, ba + d, 8), memcpy(&vb, bb + d, 8);
                fprintf(stderr, "memory differs at %llu: %016llx (interpreter), %016llx (native)\n",
                        (unsigned long long)(off + d), (unsigned long long)va,
                        (unsigned long long)vb);
                fn_fail("memory contents", after);
            }
        }
    }
}

/* binaryen's fuzzing-support.log-*: hash the value into the side's log,
 * compared between the tiers after every call. */
static int fuzz_log(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)c, (void)results;
    side *x = data;
    uint64_t v[2] = {0, 0};
    switch (args[0].kind) {
    case WARD_I32: v[0] = (uint32_t)args[0].of.i32; break;
    case WARD_I64: v[0] = (uint64_t)args[0].of.i64; break;
    case WARD_F32: v[0] = isnan(args[0].of.f32) ? 1 : args[0].of.f32_bits; break;
    case WARD_F64: v[0] = isnan(args[0].of.f64) ? 1 : args[0].of.f64_bits; break;
    case WARD_V128: memcpy(v, args[0].of.v128, 16); break;
    default: break;
    }
    x->log = (x->log ^ v[0]) * 0x100000001b3ull;
    x->log = (x->log ^ v[1]) * 0x100000001b3ull;
    return 0;
}

static bool fuzz_define_log(side *x)
{
    static const struct {
        const char *name;
        ward_valkind kind;
    } logs[] = {{"log-i32", WARD_I32},
                {"log-i64", WARD_I64},
                {"log-f32", WARD_F32},
                {"log-f64", WARD_F64},
                {"log-v128", WARD_V128}};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        ward_func *f = ward_func_new(x->s, &logs[i].kind, 1, NULL, 0, fuzz_log, x, NULL);
        ward_extern e = {.kind = WARD_EXTERN_FUNC, .of.func = f};
        if (!f || !ward_linker_define(x->l, "fuzzing-support", logs[i].name, e)) return false;
    }
    return true;
}

static bool side_new(side *x, const uint8_t *data, size_t size, bool native, ward_result *res)
{
    bool cage = (size / 3) % 2 == 1;
    uint32_t features = WARD_FEATURE_ALL;
    if (cage) features |= WARD_FEATURE_MEM_SAFETY | WARD_FEATURE_PTR_AUTH;
    ward_store_config cfg = {
        .max_stack_bytes = 256u * 1024u,
        .max_call_depth = 500,
        .max_memory_bytes = 16ull << 20,
        .memory_mode = size % 3 == 0   ? WARD_MEMORY_FLAT
                       : size % 3 == 1 ? WARD_MEMORY_PAGED
                                       : WARD_MEMORY_PAGED_TABLES,
        .mem_safety = cage,
        .ptr_auth = false, /* keys are random: signed values would differ */
        .tier = native ? WARD_TIER_NATIVE : WARD_TIER_INTERP,
    };
    ward_error err;
    memset(x, 0, sizeof *x);
    memset(res, 0, sizeof *res);
    x->s = ward_store_new(&cfg);
    if (!x->s) return false;
    x->m = ward_module_new_in(x->s, data, size, features, &err);
    if (!x->m) return false;
    x->l = ward_linker_new();
    if (!x->l || !spectest_define(x->s, x->l) || !fuzz_define_log(x)) return false;
    ward_store_set_fuel(x->s, 20000);
    x->inst = ward_instance_new(x->s, x->m, x->l, res);
    return x->inst != NULL;
}

static void fuzz_native_report(void)
{
    fprintf(stderr, "fuzz_native: %ld modules instantiated, %ld calls compared\n",
            fuzz_native_modules, fuzz_native_calls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool installed;
    if (!installed) atexit(fuzz_native_report);
    if (!installed) {
        ward_native_llvm_options(1, NULL);
        ward_native_install(ward_native_llvm());
        installed = true;
    }
    side a, b;
    ward_result ra, rb;
    bool oka = side_new(&a, data, size, false, &ra);
    bool okb = side_new(&b, data, size, true, &rb);
    if ((a.m == NULL) != (b.m == NULL)) fn_fail("module loading", "");
    if (oka != okb) fn_fail("instantiation", "");
    if (!oka) {
        if (a.m && a.l && b.l) same_result(&ra, &rb, "(instantiation)");
        goto done;
    }
    fuzz_native_modules++;
    same_memories(&a, &b, "(instantiation)");
    size_t nexp = ward_module_export_count(a.m);
    for (size_t i = 0; i < nexp; i++) {
        ward_extern_kind kind;
        const char *name = ward_module_export_name(a.m, i, &kind);
        if (kind != WARD_EXTERN_FUNC) continue;
        ward_func *fa = ward_instance_func(a.inst, name), *fb = ward_instance_func(b.inst, name);
        if (!fa || !fb) continue;
        ward_val args[16], va[16], vb[16];
        size_t np = ward_func_param_count(fa), nr = ward_func_result_count(fa);
        if (np > 16 || nr > 16) continue;
        for (size_t k = 0; k < np; k++) {
            memset(&args[k], 0, sizeof args[k]);
            args[k].kind = ward_func_param_kind(fa, k);
        }
        ward_store_set_fuel(a.s, 20000);
        ward_store_set_fuel(b.s, 20000);
        ward_func_call(a.s, fa, args, np, va, nr, &ra);
        ward_func_call(b.s, fb, args, np, vb, nr, &rb);
        fuzz_native_calls++;
        same_result(&ra, &rb, name);
        if (ra.status == WARD_OK)
            for (size_t k = 0; k < nr; k++)
                if (!same_val(&va[k], &vb[k])) fn_fail("result value", name);
        if (ward_store_get_fuel(a.s) != ward_store_get_fuel(b.s)) fn_fail("fuel left", name);
        if (a.log != b.log) fn_fail("values logged", name);
        same_memories(&a, &b, name);
    }
done:
    side_free(&a);
    side_free(&b);
    return 0;
}
