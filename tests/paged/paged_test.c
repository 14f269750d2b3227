/* paged_test.c - paged memory end to end through the public API.
 *
 *   paged_test DIR      (DIR holds diff.wasm, share.wasm, wasi_fault.wasm,
 *                        producer.wasm and consumer.wasm built by run.sh)
 *
 * 1. differential: random sequences of loads, stores (scalar, SIMD, lanes,
 *    page-crossing offsets), fill/copy/init and grows on a flat and a paged
 *    instance (with the span, and through the tables only); every result,
 *    trap and finally every byte must agree.
 * 2. sharing: a producer's pages mapped read-only into many consumers; a
 *    consumer's store traps "page N is read-only"; revocation is immediate.
 * 3. transfer: the source can no longer write, the destination can.
 * 4. clones: writes in each clone stay private; the template is unchanged.
 * 5. host access and WASI honour permissions (EFAULT, nothing written).
 * 6. guest programs in C using ward_guest_mem.h (publish, protect, map).
 * 7. the translation cache of paged memory 0: an instruction that already
 *    holds a page sees every change of it (protect, remap, unmap, copy-on-
 *    write) at its very next access, and instructions that share entries
 *    stay exact.
 * 8. ward:mem permissions and limits (issue 11, items 4 and 5; the rules
 *    themselves are checked against a model by perm_model.c): publish
 *    cannot leak, and no publish/map sequence escapes the host's protect,
 *    transfer or revoke.
 * The last line is "N passed, M failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward.h"
#include "ward_wasi.h"

#include "../check.h"
#include "../tier.h"
#include "../vals.h"

static const char *dir;

static ward_module *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("FAIL cannot open %s\n", path);
        failed++;
        return NULL;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ward_error err;
    ward_module *m = ward_module_new(buf, n, WARD_FEATURE_ALL, &err);
    if (!m) printf("FAIL %s: %s\n", name, err.message);
    CHECK(m != NULL);
    return m;
}

static ward_store *store(ward_memory_mode mode)
{
    ward_store_config c;
    memset(&c, 0, sizeof c);
    c.memory_mode = mode;
    return tier_store_new(&c);
}

/* Calls export `name`; returns the status and puts result 0 (if any) in *out
 * and the trap message in msg. */
static ward_status call(ward_store *s, ward_instance *in, const char *name, const ward_val *args,
                        size_t n, ward_val *out, char *msg)
{
    ward_func *f = ward_instance_func(in, name);
    ward_val r[1];
    ward_result res;
    memset(r, 0, sizeof r);
    if (!f) {
        printf("FAIL no export %s\n", name);
        failed++;
        return WARD_ERROR;
    }
    ward_status st = ward_func_call(s, f, args, n, r, 1, &res);
    if (out) *out = st == WARD_OK && ward_func_result_count(f) ? r[0] : i64v(0);
    if (msg) snprintf(msg, 256, "%s", st == WARD_TRAP ? res.message : "");
    return st;
}

static int32_t call_i32(ward_store *s, ward_instance *in, const char *name, const ward_val *a,
                        size_t n)
{
    ward_val r;
    if (call(s, in, name, a, n, &r, NULL) != WARD_OK) return INT32_MIN;
    return r.of.i32;
}

/* ---- 1. differential ---------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Addresses that matter: near page boundaries and near the end. */
static uint32_t pick_addr(uint32_t pages)
{
    uint32_t r = (uint32_t)rnd() % 8;
    uint32_t page = (uint32_t)(rnd() % (pages + 1));
    int32_t delta = (int32_t)(rnd() % 40) - 20;
    if (r == 0) return (uint32_t)rnd();
    if (r == 1) return (uint32_t)(rnd() % (pages * 65536u + 64));
    return (uint32_t)((int64_t)page * 65536 + delta);
}

static void test_differential(ward_module *m, ward_memory_mode mode)
{
    static const char *loads[] = {"ld8",   "ld16", "ld32",   "ld64",    "ld64o",
                                  "ldf64", "ldv",  "ldv8x8", "ldsplat", "ldlane"};
    static const char *stores[] = {"st8", "st16", "st32", "st64", "st64o", "stv", "stlane"};
    ward_store *sf = store(WARD_MEMORY_FLAT), *sp = store(mode);
    ward_instance *fi = ward_instance_new(sf, m, NULL, NULL);
    ward_instance *pi = ward_instance_new(sp, m, NULL, NULL);
    CHECK(fi && pi);
    if (!fi || !pi) goto out;
    int mismatches = 0, traps = 0;
    for (int step = 0; step < 200000 && mismatches < 5; step++) {
        uint32_t pages = (uint32_t)call_i32(sf, fi, "size", NULL, 0);
        uint32_t op = (uint32_t)(rnd() % 100);
        ward_val args[3], rf, rp;
        const char *name;
        size_t n;
        if (op < 40) {
            name = loads[rnd() % (sizeof loads / sizeof *loads)];
            args[0] = i32v((int32_t)pick_addr(pages));
            n = 1;
        } else if (op < 80) {
            name = stores[rnd() % (sizeof stores / sizeof *stores)];
            args[0] = i32v((int32_t)pick_addr(pages));
            args[1] = i64v((int64_t)rnd());
            n = 2;
        } else if (op < 99) {
            static const char *bulk[] = {"fill", "copy", "init"};
            name = bulk[rnd() % 3];
            args[0] = i32v((int32_t)pick_addr(pages));
            args[1] = i32v(name[0] == 'i'   ? (int32_t)(rnd() % 80)
                           : name[0] == 'f' ? (int32_t)(rnd() % 256)
                                            : (int32_t)pick_addr(pages));
            args[2] = i32v((int32_t)(rnd() % 4 == 0 ? rnd() % 200000 : rnd() % 300));
            n = 3;
        } else {
            name = "grow";
            args[0] = i32v((int32_t)(rnd() % 3));
            n = 1;
        }
        char mf[256], mp[256];
        ward_status a = call(sf, fi, name, args, n, &rf, mf);
        ward_status b = call(sp, pi, name, args, n, &rp, mp);
        bool same = a == b && strcmp(mf, mp) == 0 &&
                    (a != WARD_OK || memcmp(&rf.of, &rp.of, sizeof rf.of) == 0);
        traps += a == WARD_TRAP;
        if (!same) {
            mismatches++;
            printf("FAIL differential step %d: %s(%d) flat %d '%s' paged %d '%s'\n", step, name,
                   args[0].of.i32, a, mf, b, mp);
        }
    }
    CHECK(mismatches == 0);
    CHECK(traps > 1000); /* the sequence really exercised the bounds */
    ward_memory *mf = ward_instance_memory(fi, "mem"), *mp = ward_instance_memory(pi, "mem");
    CHECK(ward_memory_size(mf) == ward_memory_size(mp));
    size_t sz = (size_t)ward_memory_size(mf);
    uint8_t *a = malloc(sz), *b = malloc(sz);
    CHECK(a && b && ward_memory_read(mf, 0, a, sz) && ward_memory_read(mp, 0, b, sz) &&
          memcmp(a, b, sz) == 0);
    free(a);
    free(b);
out:
    ward_store_free(sf);
    ward_store_free(sp);
}

/* ---- 2. sharing and revocation ----------------------------------------------------------- */

#define NCONS 16

static void test_sharing(ward_module *m)
{
    ward_store *ps = store(WARD_MEMORY_PAGED);
    ward_instance *prod = ward_instance_new(ps, m, NULL, NULL);
    CHECK(prod != NULL);
    if (!prod) return;
    ward_memory *pm = ward_instance_memory(prod, "mem");
    /* The producer writes a dataset in its pages 1..2. */
    uint32_t expect = 0;
    for (uint32_t i = 0; i < 2 * 65536; i += 4) {
        ward_val a[2] = {i32v((int32_t)(65536 + i)), i32v((int32_t)(i * 2654435761u))};
        call(ps, prod, "st", a, 2, NULL, NULL);
    }
    uint8_t *data = malloc(2 * 65536);
    CHECK(ward_memory_read(pm, 65536, data, 2 * 65536));
    for (uint32_t i = 0; i < 2 * 65536; i++)
        expect += data[i];
    free(data);
    ward_region *r = ward_region_from_pages(pm, 1, 2);
    CHECK(r && ward_region_pages(r) == 2);

    ward_store *cs[NCONS];
    ward_instance *ci[NCONS];
    for (int k = 0; k < NCONS; k++) {
        cs[k] = store(WARD_MEMORY_PAGED);
        ci[k] = ward_instance_new(cs[k], m, NULL, NULL);
        CHECK(ci[k] && ward_region_map(r, ward_instance_memory(ci[k], "mem"), 2, WARD_PERM_READ));
        ward_val a[2] = {i32v(2 * 65536), i32v(2 * 65536)};
        CHECK(call_i32(cs[k], ci[k], "sum", a, 2) == (int32_t)expect);
    }
    /* A consumer's store traps, names the page, and changes nothing. */
    char msg[256];
    ward_val st[2] = {i32v(3 * 65536 + 8), i32v(77)};
    CHECK(call(cs[0], ci[0], "st", st, 2, NULL, msg) == WARD_TRAP);
    CHECK(strcmp(msg, "memory access denied: page 3 is read-only") == 0);
    ward_val ld[1] = {i32v(65536 + 8)};
    CHECK(call_i32(ps, prod, "ld", ld, 1) != 77);
    /* Host writes honour the permission too. */
    CHECK(!ward_memory_write(ward_instance_memory(ci[0], "mem"), 3 * 65536, "x", 1));
    /* The producer's later writes are seen at once. */
    ward_val pst[2] = {i32v(65536 + 8), i32v(4242)};
    call(ps, prod, "st", pst, 2, NULL, NULL);
    ward_val cld[1] = {i32v(2 * 65536 + 8)};
    CHECK(call_i32(cs[5], ci[5], "ld", cld, 1) == 4242);
    /* Revocation: the very next access traps out of bounds, in every consumer. */
    ward_region_revoke(r);
    for (int k = 0; k < NCONS; k++) {
        CHECK(call(cs[k], ci[k], "ld", cld, 1, NULL, msg) == WARD_TRAP &&
              strcmp(msg, "out of bounds memory access") == 0);
    }
    ward_region_free(r);
    for (int k = 0; k < NCONS; k++)
        ward_store_free(cs[k]);
    ward_store_free(ps);
}

/* ---- 3. transfer --------------------------------------------------------------------------- */

static void test_transfer(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *a = ward_instance_new(s, m, NULL, NULL),
                  *b = ward_instance_new(s, m, NULL, NULL);
    CHECK(a && b);
    if (!a || !b) goto out;
    ward_memory *ma = ward_instance_memory(a, "mem"), *mb = ward_instance_memory(b, "mem");
    ward_region *r = ward_region_new(1);
    CHECK(r && ward_region_map(r, ma, 3, WARD_PERM_READ_WRITE));
    ward_val st[2] = {i32v(3 * 65536 + 4), i32v(1234)};
    CHECK(call(s, a, "st", st, 2, NULL, NULL) == WARD_OK);
    CHECK(ward_region_transfer(r, ma, mb, 1, true));
    char msg[256];
    CHECK(call(s, a, "st", st, 2, NULL, msg) == WARD_TRAP);
    CHECK(strstr(msg, "page 3 is read-only") != NULL);
    ward_val lb[1] = {i32v(65536 + 4)};
    CHECK(call_i32(s, b, "ld", lb, 1) == 1234);
    ward_val stb[2] = {i32v(65536 + 4), i32v(99)};
    CHECK(call(s, b, "st", stb, 2, NULL, NULL) == WARD_OK);
    ward_val la[1] = {i32v(3 * 65536 + 4)};
    CHECK(call_i32(s, a, "ld", la, 1) == 99); /* kept read access sees the new owner's writes */
    /* Transfer back without read access: the source loses the pages. */
    CHECK(ward_region_transfer(r, mb, ma, 3, false));
    CHECK(call(s, b, "ld", lb, 1, NULL, msg) == WARD_TRAP &&
          strcmp(msg, "out of bounds memory access") == 0);
    CHECK(call(s, a, "st", st, 2, NULL, NULL) == WARD_OK);
    /* Host protect, and the guest's data stay. */
    CHECK(ward_memory_protect(ma, 0, 1, WARD_PERM_NONE));
    ward_val l0[1] = {i32v(8)};
    CHECK(call(s, a, "ld", l0, 1, NULL, msg) == WARD_TRAP &&
          strcmp(msg, "memory access denied: page 0 is not accessible") == 0);
    ward_region_free(r);
out:
    ward_store_free(s);
}

/* ---- 4. clones ------------------------------------------------------------------------------ */

static void test_clones(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *t = ward_instance_new(s, m, NULL, NULL);
    CHECK(t != NULL);
    if (!t) goto out;
    ward_val st[2] = {i32v(200), i32v(5)};
    call(s, t, "st", st, 2, NULL, NULL);
    ward_instance *c[8];
    ward_result res;
    for (int k = 0; k < 8; k++) {
        c[k] = ward_instance_clone(s, t, &res);
        CHECK(c[k] != NULL);
        if (!c[k]) goto out;
        CHECK(ward_memory_private_pages(ward_instance_memory(c[k], "mem")) == 0);
    }
    for (int k = 0; k < 8; k++) {
        ward_val a[2] = {i32v(200), i32v(1000 + k)};
        CHECK(call(s, c[k], "st", a, 2, NULL, NULL) == WARD_OK);
        ward_val b[2] = {i32v(3 * 65536), i32v(k)};
        CHECK(call(s, c[k], "st", b, 2, NULL, NULL) == WARD_OK);
    }
    ward_val l[1] = {i32v(200)};
    CHECK(call_i32(s, t, "ld", l, 1) == 5);
    CHECK(call_i32(s, t, "count", NULL, 0) == 1);
    char buf[9] = {0};
    for (int k = 0; k < 8; k++) {
        CHECK(call_i32(s, c[k], "ld", l, 1) == 1000 + k);
        CHECK(call_i32(s, c[k], "count", NULL, 0) == 3); /* global copied, then private */
        ward_memory *cm = ward_instance_memory(c[k], "mem");
        CHECK(ward_memory_read(cm, 100, buf, 8) && strcmp(buf, "template") == 0);
        CHECK(ward_memory_private_pages(cm) == 2);
    }
    /* The template's writes after cloning are not seen by clones either. */
    ward_val ts[2] = {i32v(104), i32v(0x21212121)};
    call(s, t, "st", ts, 2, NULL, NULL);
    CHECK(ward_memory_read(ward_instance_memory(c[3], "mem"), 100, buf, 8) &&
          strcmp(buf, "template") == 0);
    /* Grow in a clone only. */
    ward_val g[1] = {i32v(1)};
    CHECK(call_i32(s, c[0], "grow", g, 1) == 4);
    CHECK(ward_memory_pages(ward_instance_memory(t, "mem")) == 4);
out:
    ward_store_free(s);
}

/* ward_instance_free: a clone per request, thrown away. Freeing one clone
 * leaves the template and the other clones intact; a region taken from a
 * freed clone's pages keeps its frames; a clone cannot be freed twice, nor
 * by another store, nor while a call runs in its store. */
typedef struct free_try {
    ward_instance *victim;
    bool freed;
} free_try;

static int free_in_call(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)args, (void)results;
    free_try *ft = data;
    ft->freed = ward_instance_free(ward_caller_store(c), ft->victim);
    return 0;
}

static void test_clone_free(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED), *other = store(WARD_MEMORY_PAGED);
    ward_instance *t = ward_instance_new(s, m, NULL, NULL);
    CHECK(t != NULL);
    if (!t) goto out;
    ward_val st[2] = {i32v(200), i32v(5)};
    call(s, t, "st", st, 2, NULL, NULL);
    ward_result res;
    ward_instance *keep = ward_instance_clone(s, t, &res);
    CHECK(keep != NULL);
    if (!keep) goto out;
    ward_val k7[2] = {i32v(200), i32v(7)};
    call(s, keep, "st", k7, 2, NULL, NULL);
    ward_val l[1] = {i32v(200)};
    for (int i = 0; i < 2000; i++) {
        ward_instance *c = ward_instance_clone(s, t, &res);
        if (!c) {
            CHECK(c != NULL);
            break;
        }
        ward_val a[2] = {i32v(200), i32v(1000 + i)};
        bool ok =
            call(s, c, "st", a, 2, NULL, NULL) == WARD_OK && call_i32(s, c, "ld", l, 1) == 1000 + i;
        if (i % 500 == 0) CHECK(!ward_instance_free(other, c)); /* not other's */
        if (!ok || !ward_instance_free(s, c)) {
            CHECK(ok);
            break;
        }
    }
    CHECK(call_i32(s, t, "ld", l, 1) == 5);
    CHECK(call_i32(s, keep, "ld", l, 1) == 7);
    /* A region of a clone's pages outlives the clone. */
    ward_instance *c = ward_instance_clone(s, t, &res);
    CHECK(c != NULL);
    if (!c) goto out;
    ward_val a[2] = {i32v(3 * 65536 + 8), i32v(0x5a5a5a5a)};
    call(s, c, "st", a, 2, NULL, NULL);
    ward_region *r = ward_region_from_pages(ward_instance_memory(c, "mem"), 3, 1);
    CHECK(r != NULL);
    CHECK(ward_instance_free(s, c));
    CHECK(!ward_instance_free(s, c)); /* gone already */
    if (r) {
        ward_memory *mem = ward_memory_new(other, 1, 4, true, false);
        uint32_t v = 0;
        CHECK(mem && ward_region_map(r, mem, 0, WARD_PERM_READ) &&
              ward_memory_read(mem, 8, &v, 4) && v == 0x5a5a5a5a);
        ward_region_free(r);
    }
    /* Not while a call runs in the store. */
    ward_valkind none[1];
    free_try ft = {keep, true};
    ward_func *f = ward_func_new(s, none, 0, none, 0, free_in_call, &ft, NULL);
    CHECK(f && ward_func_call(s, f, NULL, 0, NULL, 0, &res) == WARD_OK && !ft.freed);
    CHECK(call_i32(s, keep, "ld", l, 1) == 7);
    CHECK(ward_instance_free(s, keep));
out:
    ward_store_free(s);
    ward_store_free(other);
}

/* ---- 5. WASI and host access honour permissions ---------------------------------------------- */

static void test_wasi_fault(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_linker *l = ward_linker_new();
    ward_wasi_config cfg;
    ward_wasi_config_init(&cfg);
    ward_error err;
    ward_wasi *w = ward_wasi_new(&cfg, &err);
    CHECK(w && ward_wasi_define(w, s, l));
    ward_instance *in = ward_instance_new(s, m, l, NULL);
    CHECK(in != NULL);
    if (!in) goto out;
    ward_memory *mem = ward_instance_memory(in, "mem");
    CHECK(ward_memory_protect(mem, 1, 1, WARD_PERM_READ));
    /* 64 bytes straddling pages 0 and 1: EFAULT (21), nothing written. */
    ward_val a[2] = {i32v(65536 - 32), i32v(64)};
    CHECK(call_i32(s, in, "fill_random", a, 2) == 21);
    uint8_t buf[64], zero[64] = {0};
    CHECK(ward_memory_read(mem, 65536 - 32, buf, 64) && memcmp(buf, zero, 64) == 0);
    ward_val b[2] = {i32v(100), i32v(64)};
    CHECK(call_i32(s, in, "fill_random", b, 2) == 0);
    /* Host helpers: a write across into the read-only page writes nothing. */
    CHECK(!ward_memory_write(mem, 65536 - 2, "abcd", 4));
    CHECK(ward_memory_read(mem, 65536 - 2, buf, 2) && buf[0] == 0 && buf[1] == 0);
    size_t avail = 0;
    CHECK(ward_memory_span(mem, 65536 + 5, 10, true, &avail) == NULL);
    CHECK(ward_memory_span(mem, 65536 + 5, 10, false, &avail) != NULL && avail == 10);
    CHECK(ward_memory_span(mem, 65536 - 5, 10, false, &avail) != NULL && avail == 5);
out:
    ward_linker_free(l);
    ward_store_free(s);
    if (w) ward_wasi_free(w);
}

/* ---- 7. the translation cache never goes stale --------------------------------------------- */

/* What the host import poke(pass) of tlb.wasm does on pass 0: the test sets
 * tlb_action and the objects it acts on. */
static void (*tlb_action)(void);
static ward_memory *tlb_mem;
static ward_region *tlb_ra, *tlb_rb;

static int tlb_poke(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)c;
    (void)data;
    (void)results;
    if (args[0].of.i32 == 0 && tlb_action) tlb_action();
    return 0;
}
static void tlb_protect_none(void)
{
    CHECK(ward_memory_protect(tlb_mem, 1, 1, WARD_PERM_NONE));
}
static void tlb_protect_read(void)
{
    CHECK(ward_memory_protect(tlb_mem, 2, 1, WARD_PERM_READ));
}
static void tlb_map_b_read(void)
{
    CHECK(ward_region_map(tlb_rb, tlb_mem, 3, WARD_PERM_READ));
}
static void tlb_map_b_rw(void)
{
    CHECK(ward_region_map(tlb_rb, tlb_mem, 3, WARD_PERM_READ_WRITE));
}
static void tlb_unmap_a(void)
{
    CHECK(ward_region_unmap(tlb_ra, tlb_mem) == 1);
}

/* One instance of tlb.wasm in s with poke linked; NULL on failure. */
static ward_instance *tlb_instance(ward_store *s, ward_module *m)
{
    ward_valkind p[1] = {WARD_I32};
    ward_func *f = ward_func_new(s, p, 1, NULL, 0, tlb_poke, NULL, NULL);
    ward_linker *l = ward_linker_new();
    ward_extern e = {.kind = WARD_EXTERN_FUNC, .of.func = f};
    CHECK(f && l && ward_linker_define(l, "host", "poke", e));
    ward_instance *in = ward_instance_new(s, m, l, NULL);
    CHECK(in != NULL);
    ward_linker_free(l);
    if (in) tlb_mem = ward_instance_memory(in, "mem");
    return in;
}

static uint32_t rd32(ward_memory *mem, uint64_t at)
{
    uint32_t v = 0;
    CHECK(ward_memory_read(mem, at, &v, 4));
    return v;
}

/* With span_off, page 0 is a region's first, so that no page is in the
 * span (paged.h) and every access goes through the translation cache;
 * without, pages leave the span as the tables change. */
static void test_tlb(ward_module *m, bool span_off)
{
    char msg[256];
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *in = tlb_instance(s, m);
    ward_region *r0 = NULL;
    if (!in) goto out;
    ward_memory *mem = tlb_mem;
    if (span_off) {
        r0 = ward_region_new(1);
        CHECK(r0 && ward_region_map(r0, mem, 0, WARD_PERM_READ_WRITE));
    }
    /* Protection lowered between two loads through one instruction. */
    CHECK(ward_memory_write(mem, 65536 + 8, "\x05\0\0\0", 4));
    tlb_action = NULL;
    ward_val a1[1] = {i32v(65536 + 8)};
    CHECK(call_i32(s, in, "ld2", a1, 1) == 10); /* warm, then warm again */
    tlb_action = tlb_protect_none;
    CHECK(call(s, in, "ld2", a1, 1, NULL, msg) == WARD_TRAP &&
          strcmp(msg, "memory access denied: page 1 is not accessible") == 0);
    /* A store site, page made read-only in between: the second store traps
     * and the first one's value stays. */
    tlb_action = tlb_protect_read;
    ward_val a2[2] = {i32v(2 * 65536 + 12), i32v(70)};
    CHECK(call(s, in, "st2", a2, 2, NULL, msg) == WARD_TRAP &&
          strcmp(msg, "memory access denied: page 2 is read-only") == 0);
    CHECK(rd32(mem, 2 * 65536 + 12) == 70);
    /* A region replaced by another under a warm load site, then unmapped. */
    tlb_ra = ward_region_new(1);
    tlb_rb = ward_region_new(1);
    CHECK(tlb_ra && tlb_rb);
    if (!tlb_ra || !tlb_rb) goto out;
    CHECK(ward_region_map(tlb_ra, mem, 3, WARD_PERM_READ_WRITE));
    CHECK(ward_memory_write(mem, 3 * 65536 + 8, "\x6f\0\0\0", 4)); /* 111 in A */
    CHECK(ward_region_map(tlb_rb, mem, 3, WARD_PERM_READ_WRITE));
    CHECK(ward_memory_write(mem, 3 * 65536 + 8, "\xde\0\0\0", 4)); /* 222 in B */
    CHECK(ward_region_map(tlb_ra, mem, 3, WARD_PERM_READ_WRITE));
    tlb_action = tlb_map_b_read;
    ward_val a3[1] = {i32v(3 * 65536 + 8)};
    CHECK(call_i32(s, in, "ld2", a3, 1) == 333);
    CHECK(ward_region_map(tlb_ra, mem, 3, WARD_PERM_READ_WRITE));
    tlb_action = tlb_unmap_a;
    CHECK(call(s, in, "ld2", a3, 1, NULL, msg) == WARD_TRAP &&
          strcmp(msg, "out of bounds memory access") == 0);
    /* A warm store site whose page is remapped: each region gets its store. */
    CHECK(ward_region_map(tlb_ra, mem, 3, WARD_PERM_READ_WRITE));
    tlb_action = tlb_map_b_rw;
    ward_val a4[2] = {i32v(3 * 65536 + 16), i32v(500)};
    CHECK(call(s, in, "st2", a4, 2, NULL, NULL) == WARD_OK);
    CHECK(rd32(mem, 3 * 65536 + 16) == 501);
    CHECK(ward_region_map(tlb_ra, mem, 3, WARD_PERM_READ));
    CHECK(rd32(mem, 3 * 65536 + 16) == 500);
    tlb_action = NULL;
    /* Copy-on-write under warm sites: in a clone, the load before the first
     * store reads the shared frame and the load after it the private copy;
     * the template and a second clone keep the old value. */
    ward_val a5[2] = {i32v(40), i32v(9)};
    CHECK(ward_memory_write(mem, 40, "\x05\0\0\0", 4));
    ward_result res;
    ward_instance *c1 = ward_instance_clone(s, in, &res), *c2 = ward_instance_clone(s, in, &res);
    CHECK(c1 && c2);
    if (!c1 || !c2) goto out;
    CHECK(call_i32(s, c1, "rmw", a5, 2) == 5009);
    CHECK(rd32(mem, 40) == 5 && rd32(ward_instance_memory(c2, "mem"), 40) == 5);
    /* The template's own warm store site, after a clone made its page
     * shared: its next store must copy, not write into the clone's view. */
    ward_val a6[2] = {i32v(40), i32v(6)};
    CHECK(call_i32(s, in, "rmw", a6, 2) == 5006);
    ward_instance *c3 = ward_instance_clone(s, in, &res);
    CHECK(c3 != NULL);
    ward_val a7[2] = {i32v(40), i32v(7)};
    CHECK(call_i32(s, in, "rmw", a7, 2) == 6007);
    if (c3) CHECK(rd32(ward_instance_memory(c3, "mem"), 40) == 6);
    CHECK(rd32(ward_instance_memory(c2, "mem"), 40) == 5);
    /* A bulk store that copies on write, between two loads in a clone. */
    ward_instance *c4 = ward_instance_clone(s, in, &res);
    CHECK(c4 != NULL);
    ward_val a8[2] = {i32v(40), i32v(1)};
    if (c4) CHECK(call_i32(s, c4, "fill", a8, 2) == 7000 + 0x01010101);
    CHECK(rd32(mem, 40) == 7);
out:
    tlb_action = NULL;
    if (r0) ward_region_free(r0);
    if (tlb_ra) ward_region_free(tlb_ra);
    if (tlb_rb) ward_region_free(tlb_rb);
    tlb_ra = tlb_rb = NULL;
    ward_store_free(s);
}

/* Instructions that share cache entries (tlbshare.wasm, built by run.sh):
 * alt(a) runs 96 times s = (s + [a]) ^ [a + 65536], stores s at a + 131072,
 * twice over; flat and paged must give what the host computes, with page 1
 * and page 2 cached in turn by entries the instructions share. */
static void test_tlb_shared(ward_module *m)
{
    uint32_t want = 0;
    for (int k = 0; k < 2 * 96; k++)
        want = (want + 0x01020304u) ^ 0x50607080u;
    for (int mode = 0; mode < 2; mode++) {
        ward_store *s = store(mode ? WARD_MEMORY_PAGED : WARD_MEMORY_FLAT);
        ward_instance *in = ward_instance_new(s, m, NULL, NULL);
        CHECK(in != NULL);
        if (in) {
            ward_memory *mem = ward_instance_memory(in, "mem");
            CHECK(ward_memory_write(mem, 65536 + 20, "\x04\x03\x02\x01", 4));
            CHECK(ward_memory_write(mem, 2 * 65536 + 20, "\x80\x70\x60\x50", 4));
            ward_val a[1] = {i32v(65536 + 20)};
            CHECK(call_i32(s, in, "alt", a, 1) == (int32_t)want);
            CHECK(rd32(mem, 3 * 65536 + 20) == want);
        }
        ward_store_free(s);
    }
}

/* ---- 6. guest programs with ward:mem ----------------------------------------------------------
 */

static void test_guest(ward_module *prodm, ward_module *consm)
{
    ward_store *ps = store(WARD_MEMORY_PAGED);
    ward_linker *pl = ward_linker_new();
    ward_wasi_config cfg;
    ward_wasi_config_init(&cfg);
    ward_error err;
    ward_wasi *pw = ward_wasi_new(&cfg, &err);
    CHECK(pw && ward_wasi_define(pw, ps, pl) && ward_linker_define_guest_mem(pl, ps));
    ward_instance *prod = ward_instance_new(ps, prodm, pl, NULL);
    CHECK(prod != NULL);
    if (!prod) goto out;
    /* produce() fills a dataset, protects it read-only, publishes it and
     * returns the region handle; checksum() is what consumers must find. */
    int32_t h = call_i32(ps, prod, "produce", NULL, 0);
    CHECK(h >= 0);
    int32_t sum = call_i32(ps, prod, "checksum", NULL, 0);
    char msg[256];
    CHECK(call(ps, prod, "scribble", NULL, 0, NULL, msg) == WARD_TRAP &&
          strstr(msg, "is read-only") != NULL);
    ward_memory *pm = ward_instance_memory(prod, "memory");
    ward_region *r = ward_memory_region(pm, h);
    CHECK(r != NULL);
    if (!r) goto out;
    for (int k = 0; k < 4; k++) {
        ward_store *cs = store(WARD_MEMORY_PAGED);
        ward_linker *cl = ward_linker_new();
        ward_wasi *cw = ward_wasi_new(&cfg, &err);
        CHECK(cw && ward_wasi_define(cw, cs, cl) && ward_linker_define_guest_mem(cl, cs));
        ward_instance *c = ward_instance_new(cs, consm, cl, NULL);
        CHECK(c != NULL);
        if (c) {
            ward_memory *cm = ward_instance_memory(c, "memory");
            int64_t g = ward_region_grant(r, cm, WARD_PERM_READ);
            ward_val a[1] = {i32v((int32_t)g)};
            /* Asking for write access is refused; read-only succeeds. */
            CHECK(call_i32(cs, c, "try_map_rw", a, 1) == -1);
            CHECK(call_i32(cs, c, "consume", a, 1) == sum);
            CHECK(call(cs, c, "poke", NULL, 0, NULL, msg) == WARD_TRAP &&
                  strstr(msg, "is read-only") != NULL);
            /* A guest cannot lift a host-imposed protection. */
            CHECK(call_i32(cs, c, "unprotect", NULL, 0) == -1);
        }
        ward_linker_free(cl);
        ward_store_free(cs);
        if (cw) ward_wasi_free(cw);
    }
out:
    ward_linker_free(pl);
    ward_store_free(ps);
    if (pw) ward_wasi_free(pw);
}

/* ---- 8. ward:mem permissions and limits ----------------------------------------------------- */

/* An instance of permguest.wasm in s with ward:mem linked; NULL on failure. */
static ward_instance *perm_instance(ward_store *s, ward_module *m)
{
    ward_linker *l = ward_linker_new();
    CHECK(l && ward_linker_define_guest_mem(l, s));
    ward_instance *in = l ? ward_instance_new(s, m, l, NULL) : NULL;
    CHECK(in != NULL);
    ward_linker_free(l);
    return in;
}

/* Calls a permguest export with up to three i32 arguments. */
static int32_t g3(ward_store *s, ward_instance *in, const char *name, size_t n, int32_t a,
                  int32_t b, int32_t c)
{
    ward_val v[3] = {i32v(a), i32v(b), i32v(c)};
    return call_i32(s, in, name, v, n);
}

/* A guest store of v at addr: "" if it worked, else the trap message. */
static const char *gst(ward_store *s, ward_instance *in, uint32_t addr, int32_t v)
{
    static char msg[256];
    ward_val a[2] = {i32v((int32_t)addr), i32v(v)};
    if (call(s, in, "st", a, 2, NULL, msg) == WARD_OK) msg[0] = 0;
    return msg;
}

static uint64_t rss_bytes(void)
{
    unsigned long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
        fclose(f);
    }
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Item 4: a guest looping on publish(0, 0) grew host memory without bound
 * (a region and a handle per call, never freed). Now publish stops at the
 * per-memory cap with -1, nothing grows, and a guest that releases its
 * handles can publish forever in constant space. */
static void test_guest_mem_publish_leak(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *in = perm_instance(s, m);
    if (!in) goto out;
    uint64_t before = rss_bytes();
    int32_t ok = g3(s, in, "publish_loop", 3, 0, 0, 1000000);
    uint64_t after = rss_bytes();
    /* RSS can also shrink meanwhile (pages given back): that is no growth,
     * not a wrapped difference. */
    uint64_t grown = after > before ? after - before : 0;
    CHECK(ok > 0 && ok <= 4096);
    CHECK(grown < (32u << 20)); /* about 110 MB before the fix */
    if (grown >= (32u << 20))
        printf("  publish_loop: %d handles, RSS +%llu bytes\n", ok, (unsigned long long)grown);
    CHECK(g3(s, in, "publish", 2, 0, 0, 0) == -1); /* at the cap: a clean -1 */
    /* Released handles are reused: the table stays as small as what is held. */
    CHECK(g3(s, in, "release_all", 1, ok, 0, 0) == ok);
    int32_t maxh = g3(s, in, "publish_release_loop", 3, 0, 0, 200000);
    CHECK(maxh >= 0 && maxh < ok);
    maxh = g3(s, in, "publish_release_loop", 3, 2, 3, 20000); /* real pages: they dissolve */
    CHECK(maxh >= 0 && maxh < ok);
    CHECK(g3(s, in, "release", 1, maxh + 1, 0, 0) == -1);
out:
    ward_store_free(s);
}

/* What a guest makes through ward:mem publish is paid from its instance's
 * and store's budget too: with a few KiB of room left in the store, publish
 * runs out long before the per-memory cap of 1024 handles, with a clean -1,
 * and releasing the handles gives the room back. */
static void test_guest_mem_publish_budget(ward_module *m)
{
    ward_store_config c;
    memset(&c, 0, sizeof c);
    c.memory_mode = WARD_MEMORY_PAGED;
    c.max_store_memory_bytes = 64u << 20;
    ward_store *s = tier_store_new(&c);
    ward_instance *in = s ? perm_instance(s, m) : NULL;
    if (!in) goto out;
    int fills = 0;
    while (fills < (1 << 15) && ward_store_charge(s, 4096))
        fills++;
    CHECK(fills > 0 && fills < (1 << 15));
    ward_store_uncharge(s, 2 * 4096); /* leaves 8 to 12 KiB of room */
    int32_t ok = g3(s, in, "publish_loop", 3, 0, 0, 4096);
    CHECK(ok > 0 && ok < 1024);
    CHECK(!ward_store_charge(s, 8192)); /* the handles hold the room */
    CHECK(g3(s, in, "release_all", 1, ok, 0, 0) == ok);
    CHECK(ward_store_charge(s, 8192)); /* given back */
out:
    if (s) ward_store_free(s);
}

/* Item 5a: the host makes page 2 read-only; the guest's protect back is
 * refused, but publish(2, 1) used to grant read-write, and map(h, 5, RW)
 * then wrote the read-only page. The other order too: the guest publishes
 * and maps first, then the host's protect must reach the alias. */
static void test_guest_mem_protect_escape_via_publish(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *in = perm_instance(s, m);
    if (!in) goto out;
    ward_memory *mem = ward_instance_memory(in, "mem");
    CHECK(ward_memory_write(mem, 2 * 65536 + 8, "\x2a\0\0\0", 4));
    CHECK(ward_memory_protect(mem, 2, 1, WARD_PERM_READ));
    CHECK(g3(s, in, "protect", 3, 2, 1, WARD_PERM_READ_WRITE) == -1);
    int32_t h = g3(s, in, "publish", 2, 2, 1, 0);
    CHECK(h >= 0);
    CHECK(g3(s, in, "map", 3, h, 5, WARD_PERM_READ_WRITE) == -1);
    /* Page 5 is still the guest's own page: the store does not reach page 2. */
    CHECK(strcmp(gst(s, in, 5 * 65536 + 8, 7), "") == 0 && rd32(mem, 2 * 65536 + 8) == 42);
    CHECK(g3(s, in, "map", 3, h, 5, WARD_PERM_READ) == 0);
    CHECK(strcmp(gst(s, in, 5 * 65536 + 8, 7), "memory access denied: page 5 is read-only") == 0);
    CHECK(g3(s, in, "protect", 3, 5, 1, WARD_PERM_READ_WRITE) == -1);
    CHECK(rd32(mem, 2 * 65536 + 8) == 42 && rd32(mem, 5 * 65536 + 8) == 42);

    /* Published and mapped read-write first; the host's protect of the
     * published page then lowers the handle and the alias with it. */
    int32_t h3 = g3(s, in, "publish", 2, 3, 1, 0);
    CHECK(h3 >= 0 && g3(s, in, "map", 3, h3, 6, WARD_PERM_READ_WRITE) == 0);
    CHECK(strcmp(gst(s, in, 6 * 65536 + 8, 9), "") == 0 && rd32(mem, 3 * 65536 + 8) == 9);
    CHECK(ward_memory_protect(mem, 3, 1, WARD_PERM_READ));
    CHECK(strcmp(gst(s, in, 6 * 65536 + 8, 10), "memory access denied: page 6 is read-only") == 0);
    CHECK(g3(s, in, "protect", 3, 6, 1, WARD_PERM_READ_WRITE) == -1);
    CHECK(g3(s, in, "map", 3, h3, 7, WARD_PERM_READ_WRITE) == -1);
    CHECK(rd32(mem, 3 * 65536 + 8) == 9);
    /* Raising the page again does not raise what the guest derived. */
    CHECK(ward_memory_protect(mem, 3, 1, WARD_PERM_READ_WRITE));
    CHECK(g3(s, in, "map", 3, h3, 7, WARD_PERM_READ_WRITE) == -1);
    CHECK(strcmp(gst(s, in, 3 * 65536 + 8, 11), "") == 0);
out:
    ward_store_free(s);
}

/* Item 5b: the guest publishes page 3; the host transfers the region to
 * another instance keeping read access; the guest used to re-map its own
 * handle read-write and write into the other instance's page. */
static void test_guest_mem_transfer_keeps_guest_grant(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *a = perm_instance(s, m), *b = perm_instance(s, m);
    if (!a || !b) goto out;
    ward_memory *ma = ward_instance_memory(a, "mem"), *mb = ward_instance_memory(b, "mem");
    int32_t h = g3(s, a, "publish", 2, 3, 1, 0);
    CHECK(h >= 0);
    ward_region *r = ward_memory_region(ma, h);
    CHECK(r != NULL);
    if (!r) goto out;
    ward_region_retain(r);
    CHECK(ward_region_transfer(r, ma, mb, 1, true));
    CHECK(strcmp(gst(s, b, 65536 + 8, 5), "") == 0);
    CHECK(g3(s, a, "map", 3, h, 5, WARD_PERM_READ_WRITE) == -1);
    CHECK(strcmp(gst(s, a, 3 * 65536 + 8, 6), "memory access denied: page 3 is read-only") == 0);
    CHECK(g3(s, a, "map", 3, h, 5, WARD_PERM_READ) == 0); /* kept read: still readable */
    CHECK(strcmp(gst(s, a, 5 * 65536 + 8, 6), "memory access denied: page 5 is read-only") == 0);
    CHECK(rd32(ma, 5 * 65536 + 8) == 5 && rd32(mb, 65536 + 8) == 5);
    /* Back to a, then to b without read: a's handle is gone. */
    CHECK(ward_region_transfer(r, mb, ma, 3, false));
    CHECK(ward_region_transfer(r, ma, mb, 1, false));
    CHECK(g3(s, a, "region_pages", 1, h, 0, 0) == -1);
    CHECK(g3(s, a, "map", 3, h, 5, WARD_PERM_READ) == -1);
    CHECK(strcmp(gst(s, a, 5 * 65536 + 8, 6), "out of bounds memory access") == 0);
    /* A revoke takes every handle of the region, the host's grants too. */
    int64_t hb = ward_region_grant(r, mb, WARD_PERM_READ);
    CHECK(hb >= 0 && g3(s, b, "region_pages", 1, (int32_t)hb, 0, 0) == 1);
    ward_region_revoke(r);
    CHECK(g3(s, b, "region_pages", 1, (int32_t)hb, 0, 0) == -1);
    CHECK(ward_memory_region(mb, hb) == NULL);
    ward_region_free(r);
out:
    ward_store_free(s);
}

/* release: pages mapped through the handle go; a published region nobody
 * else holds dissolves, so its pages can be published again; one the host
 * kept stays a region. */
static void test_guest_mem_release(ward_module *m)
{
    ward_store *s = store(WARD_MEMORY_PAGED);
    ward_instance *in = perm_instance(s, m);
    if (!in) goto out;
    ward_memory *mem = ward_instance_memory(in, "mem");
    int32_t h = g3(s, in, "publish", 2, 1, 2, 0);
    CHECK(h >= 0 && g3(s, in, "map", 3, h, 4, WARD_PERM_READ_WRITE) == 0);
    CHECK(strcmp(gst(s, in, 5 * 65536, 3), "") == 0 && rd32(mem, 2 * 65536) == 3);
    CHECK(g3(s, in, "publish", 2, 1, 1, 0) == -1); /* already a region */
    CHECK(g3(s, in, "release", 1, h, 0, 0) == 0);
    CHECK(g3(s, in, "release", 1, h, 0, 0) == -1);
    CHECK(strcmp(gst(s, in, 5 * 65536, 3), "out of bounds memory access") == 0);
    CHECK(strcmp(gst(s, in, 2 * 65536, 4), "") == 0); /* the published pages stay */
    h = g3(s, in, "publish", 2, 1, 2, 0);
    CHECK(h >= 0);
    ward_region *r = ward_memory_region(mem, h);
    CHECK(r != NULL);
    if (r) ward_region_retain(r);
    CHECK(g3(s, in, "release", 1, h, 0, 0) == 0);
    CHECK(g3(s, in, "publish", 2, 1, 2, 0) == -1); /* the host holds it */
    if (r) {
        CHECK(ward_region_pages(r) == 2);
        ward_region_free(r);
    }
    /* A region whose frame two pages hold does not dissolve: they would stay
     * sharing it as plain pages, and a later region of one of them could
     * not revoke the other. (Page 6 was mapped through the handle, then the
     * host set its permission, so release leaves it.) */
    h = g3(s, in, "publish", 2, 3, 1, 0);
    CHECK(h >= 0 && g3(s, in, "map", 3, h, 6, WARD_PERM_READ_WRITE) == 0);
    CHECK(ward_memory_protect(mem, 6, 1, WARD_PERM_READ_WRITE));
    CHECK(g3(s, in, "release", 1, h, 0, 0) == 0);
    CHECK(g3(s, in, "publish", 2, 3, 1, 0) == -1);
    CHECK(ward_region_from_pages(mem, 6, 1) == NULL);
    CHECK(strcmp(gst(s, in, 6 * 65536, 12), "") == 0 && rd32(mem, 3 * 65536) == 12);
out:
    ward_store_free(s);
}

int main(int argc, char **argv)
{
    alarm(300);
    dir = argc > 1 ? argv[1] : "build/paged";
    ward_module *diff = load("diff.wasm"), *share = load("share.wasm");
    ward_module *wf = load("wasi_fault.wasm");
    ward_module *prod = load("producer.wasm"), *cons = load("consumer.wasm");
    ward_module *tlb = load("tlb.wasm"), *tlbshare = load("tlbshare.wasm");
    ward_module *perm = load("permguest.wasm");
    if (diff) {
        test_differential(diff, WARD_MEMORY_PAGED);
        test_differential(diff, WARD_MEMORY_PAGED_TABLES);
    }
    if (share) {
        test_sharing(share);
        test_transfer(share);
        test_clones(share);
        test_clone_free(share);
    }
    if (wf) test_wasi_fault(wf);
    if (prod && cons) test_guest(prod, cons);
    if (tlb) {
        test_tlb(tlb, false);
        test_tlb(tlb, true);
    }
    if (tlbshare) test_tlb_shared(tlbshare);
    if (perm) {
        test_guest_mem_publish_leak(perm);
        test_guest_mem_publish_budget(perm);
        test_guest_mem_protect_escape_via_publish(perm);
        test_guest_mem_transfer_keeps_guest_grant(perm);
        test_guest_mem_release(perm);
    }
    ward_module_free(diff);
    ward_module_free(share);
    ward_module_free(wf);
    ward_module_free(prod);
    ward_module_free(cons);
    ward_module_free(tlb);
    ward_module_free(tlbshare);
    ward_module_free(perm);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
