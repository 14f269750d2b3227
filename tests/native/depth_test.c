/* tests/native/depth_test.c - the call-depth limit where native code calls
 * a function that has none (docs/native.md, "Frames"):
 *
 *   depth_test DEPTH.cwasm DEPTH_LEAF.wasm
 *
 * libward alone, without the LLVM backend: depth.wat's code is the object
 * of `ward compile`'s artifact, loaded with ward_module_native_load (as the
 * serverless node does); depth_leaf.wat has no native code, so native code
 * calls it through nat_h_call and the interpreter runs it. Both modules are
 * instantiated in a store per tier with a small max_call_depth, and
 * `down n` (n native frames, then the leaf, which calls once more) is run
 * for every n around the limit: each result (a value, or the trap with its
 * message and backtrace depth) must be the same in both tiers, and the
 * interpreter must trap for some n and not for others (the limit is
 * crossed). Prints "N passed, N failed" last. */
#include "artifact.h"
#include "ward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH 40

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *b = malloc(16u << 20);
    *len = b ? fread(b, 1, 16u << 20, f) : 0;
    fclose(f);
    return b;
}

typedef struct outcome {
    ward_status status;
    int32_t value;
    ward_trap_code trap;
    char message[256];
    uint32_t nframes;
} outcome;

/* down(n) for n in [0, count) in a store of the given tier. */
static bool run_tier(ward_tier tier, ward_module *a, ward_module *b, outcome *out, int count)
{
    ward_store_config cfg = {0};
    cfg.max_call_depth = DEPTH;
    cfg.tier = tier;
    ward_store *s = ward_store_new(&cfg);
    ward_result res;
    ward_instance *ib = s ? ward_instance_new(s, b, NULL, &res) : NULL;
    ward_linker *l = ward_linker_new();
    if (!ib || !l || !ward_linker_define_instance(l, "leaf", ib)) return false;
    ward_instance *ia = ward_instance_new(s, a, l, &res);
    ward_func *down = ia ? ward_instance_func(ia, "down") : NULL;
    if (!down) return false;
    for (int n = 0; n < count; n++) {
        ward_val arg = {.kind = WARD_I32, .of.i32 = n}, r = {0};
        memset(&res, 0, sizeof res);
        out[n].status = ward_func_call(s, down, &arg, 1, &r, 1, &res);
        out[n].value = out[n].status == WARD_OK ? r.of.i32 : 0;
        out[n].trap = out[n].status == WARD_TRAP ? res.trap : 0;
        snprintf(out[n].message, sizeof out[n].message, "%s",
                 out[n].status == WARD_OK ? "" : res.message);
        out[n].nframes = out[n].status == WARD_TRAP ? res.nframes : 0;
    }
    ward_linker_free(l);
    ward_store_free(s);
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: depth_test DEPTH.cwasm DEPTH_LEAF.wasm\n");
        return 2;
    }
    size_t alen = 0, blen = 0;
    uint8_t *art = slurp(argv[1], &alen), *leaf = slurp(argv[2], &blen);
    const uint8_t *wasm, *obj;
    size_t wl, olen;
    if (!art || !leaf) return fprintf(stderr, "cannot read inputs\n"), 2;
    if (!art_parts(art, alen, &wasm, &wl, &obj, &olen))
        return fprintf(stderr, "not an artifact\n"), 2;
    if (!ward_native_loader_init()) return fprintf(stderr, "no fault handler\n"), 2;
    ward_error e;
    ward_module *a = ward_module_new(wasm, wl, 0, &e);
    ward_module *b = ward_module_new(leaf, blen, 0, &e);
    if (!a || !b) return fprintf(stderr, "modules do not load\n"), 2;
    char err[300] = "";
    uint32_t nc = 0;
    bool loaded =
        ward_module_native_load(a, WARD_MEMORY_FLAT, false, obj, olen, &nc, err, sizeof err);
    ok("depth.wat's native code loads", loaded && nc == 1, err);

    enum { COUNT = DEPTH + 4 };
    static outcome in[COUNT], nat[COUNT];
    ok("interpreter store runs", run_tier(WARD_TIER_INTERP, a, b, in, COUNT), "");
    ok("native store runs", run_tier(WARD_TIER_NATIVE, a, b, nat, COUNT), "");
    int traps = 0, fine = 0;
    for (int n = 0; n < COUNT; n++) {
        char what[64], detail[700];
        snprintf(what, sizeof what, "down %d: the same in both tiers", n);
        snprintf(detail, sizeof detail,
                 "interpreter status %d value %d trap %d [%s] %u frames; native status %d "
                 "value %d trap %d [%s] %u frames",
                 in[n].status, in[n].value, in[n].trap, in[n].message, in[n].nframes, nat[n].status,
                 nat[n].value, nat[n].trap, nat[n].message, nat[n].nframes);
        ok(what,
           in[n].status == nat[n].status && in[n].value == nat[n].value &&
               in[n].trap == nat[n].trap && !strcmp(in[n].message, nat[n].message) &&
               in[n].nframes == nat[n].nframes,
           detail);
        traps += in[n].status == WARD_TRAP;
        fine += in[n].status == WARD_OK;
    }
    char d[64];
    snprintf(d, sizeof d, "%d traps, %d results", traps, fine);
    ok("the runs cross the limit", traps > 0 && fine > 0, d);
    ward_module_free(a);
    ward_module_free(b);
    free(art);
    free(leaf);
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}
