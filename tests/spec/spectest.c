/* spectest.c - the "spectest" host module, built through the public API only
 * so that it exercises exactly what an embedder would use. */
#include "spectest.h"

#include <stddef.h>

/* The print functions exist only to be imported and called; the scripts
 * never check their output, and printing would only interleave with the
 * runner's report, so they do nothing. */
static int spectest_print(ward_caller *caller, void *data, const ward_val *args, ward_val *results)
{
    (void)caller;
    (void)data;
    (void)args;
    (void)results;
    return 0;
}

typedef struct spectest_fn {
    const char *name;
    ward_valkind params[2];
    size_t nparams;
} spectest_fn;

static const spectest_fn spectest_fns[] = {
    {"print", {WARD_I32, WARD_I32}, 0},         {"print_i32", {WARD_I32, WARD_I32}, 1},
    {"print_i64", {WARD_I64, WARD_I32}, 1},     {"print_f32", {WARD_F32, WARD_I32}, 1},
    {"print_f64", {WARD_F64, WARD_I32}, 1},     {"print_i32_f32", {WARD_I32, WARD_F32}, 2},
    {"print_f64_f64", {WARD_F64, WARD_F64}, 2},
};

static bool spectest_define_global(ward_store *s, ward_linker *l, const char *name, ward_val init)
{
    ward_global *g = ward_global_new(s, init, false);
    if (g == NULL) return false;
    ward_extern ext = {.kind = WARD_EXTERN_GLOBAL, .of.global = g};
    return ward_linker_define(l, "spectest", name, ext);
}

bool spectest_define(ward_store *s, ward_linker *l)
{
    for (size_t i = 0; i < sizeof spectest_fns / sizeof spectest_fns[0]; i++) {
        const spectest_fn *d = &spectest_fns[i];
        ward_func *f = ward_func_new(s, d->params, d->nparams, NULL, 0, spectest_print, NULL, NULL);
        if (f == NULL) return false;
        ward_extern ext = {.kind = WARD_EXTERN_FUNC, .of.func = f};
        if (!ward_linker_define(l, "spectest", d->name, ext)) return false;
    }

    ward_val v;
    v = (ward_val){.kind = WARD_I32, .of.i32 = 666};
    if (!spectest_define_global(s, l, "global_i32", v)) return false;
    v = (ward_val){.kind = WARD_I64, .of.i64 = 666};
    if (!spectest_define_global(s, l, "global_i64", v)) return false;
    v = (ward_val){.kind = WARD_F32, .of.f32 = 666.6f};
    if (!spectest_define_global(s, l, "global_f32", v)) return false;
    v = (ward_val){.kind = WARD_F64, .of.f64 = 666.6};
    if (!spectest_define_global(s, l, "global_f64", v)) return false;

    ward_table *t = ward_table_new(s, WARD_FUNCREF, 10, 20, true);
    if (t == NULL) return false;
    ward_extern text = {.kind = WARD_EXTERN_TABLE, .of.table = t};
    if (!ward_linker_define(l, "spectest", "table", text)) return false;

    ward_memory *m = ward_memory_new(s, 1, 2, true, false);
    if (m == NULL) return false;
    ward_extern mext = {.kind = WARD_EXTERN_MEMORY, .of.memory = m};
    return ward_linker_define(l, "spectest", "memory", mext);
}
