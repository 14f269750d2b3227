/* cage_test.c - memory safety (Cage) end to end through the public API.
 *
 *   cage_test DIR      (DIR holds cage.wasm, cage64.wasm, cagemm.wasm, big.wasm and
 *                       grow.wasm built by run.sh)
 *
 * 1. the feature gates: 0xFA is illegal without its feature, and a module
 *    using it needs a store that provides tags or keys;
 * 2. segments from Wasm, flat and paged, 32- and 64-bit: rules and traps;
 * 3. bulk operations and host access (ward_memory_read/write/span, WASI
 *    buffers) with tagged addresses;
 * 4. clones (tags copied, keys inherited or not), regions and transfers;
 * 5. pointer authentication across instances;
 * 6. the 256 MiB cap of tagged 32-bit memories;
 * 7. a differential: random programs of segments, accesses of every form
 *    and bulk operations against a checked reference model.
 * The last line is "N passed, M failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward.h"
#include "ward_wasi.h"

#include "../check.h"
#include "../tier.h"
#include "../vals.h"

static const char *dir;
static uint8_t *bytes_of(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 20];
    if (!f) {
        printf("FAIL cannot open %s\n", path);
        failed++;
        *n = 0;
        return buf;
    }
    *n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static const uint32_t cage_features =
    WARD_FEATURE_ALL | WARD_FEATURE_MEM_SAFETY | WARD_FEATURE_PTR_AUTH;

static ward_module *load(const char *name, uint32_t features, ward_error *err)
{
    size_t n;
    uint8_t *b = bytes_of(name, &n);
    return ward_module_new(b, n, features, err);
}

static ward_store *store(ward_memory_mode mode, bool tags, bool keys)
{
    ward_store_config c;
    memset(&c, 0, sizeof c);
    c.memory_mode = mode;
    c.mem_safety = tags;
    c.ptr_auth = keys;
    return tier_store_new(&c);
}

/* An instance of m in s with WASI (for cage.wasm's random_get). */
static ward_wasi *wasi;
static ward_instance *instance(ward_store *s, ward_module *m, ward_result *res)
{
    ward_linker *l = ward_linker_new();
    if (!wasi) {
        ward_wasi_config cfg;
        ward_error err;
        ward_wasi_config_init(&cfg);
        wasi = ward_wasi_new(&cfg, &err);
    }
    ward_wasi_define(wasi, s, l);
    ward_instance *in = ward_instance_new(s, m, l, res);
    ward_linker_free(l);
    return in;
}

static char trap_msg[256];

/* Calls export `name` with n arguments; result 0 in *out, trap text in trap_msg. */
static ward_status call(ward_store *s, ward_instance *in, const char *name, const ward_val *args,
                        size_t n, ward_val *out)
{
    ward_func *f = ward_instance_func(in, name);
    ward_val r[1];
    ward_result res;
    memset(r, 0, sizeof r);
    trap_msg[0] = '\0';
    if (!f) {
        printf("FAIL no export %s\n", name);
        failed++;
        return WARD_ERROR;
    }
    ward_status st = ward_func_call(s, f, args, n, r, 1, &res);
    if (out) *out = r[0];
    if (st != WARD_OK) snprintf(trap_msg, sizeof trap_msg, "%s", res.message);
    return st;
}

static ward_status call2(ward_store *s, ward_instance *in, const char *name, uint32_t a, uint32_t b,
                         ward_val *out)
{
    ward_val v[2] = {i32v((int32_t)a), i32v((int32_t)b)};
    return call(s, in, name, v, 2, out);
}

static ward_status call3(ward_store *s, ward_instance *in, const char *name, uint32_t a, uint32_t b,
                         uint32_t c)
{
    ward_val v[3] = {i32v((int32_t)a), i32v((int32_t)b), i32v((int32_t)c)};
    return call(s, in, name, v, 3, NULL);
}

/* segment.new through the export; 0 on a trap. */
static uint32_t seg_new(ward_store *s, ward_instance *in, uint32_t p, uint32_t n)
{
    ward_val r;
    if (call2(s, in, "new", p, n, &r) != WARD_OK) return 0;
    return (uint32_t)r.of.i32;
}

static unsigned tag32(uint32_t p)
{
    return p >> 28;
}

/* ---- 1. gates ------------------------------------------------------------------------- */

static void test_gates(void)
{
    ward_error err;
    ward_result res;
    ward_module *m = load("cage.wasm", WARD_FEATURE_ALL, &err);
    CHECK(m == NULL && strcmp(err.message, "illegal opcode") == 0 && err.has_offset);
    CHECK(err.code == WARD_ERROR_ILLEGAL_OPCODE);
    m = load("cage.wasm", WARD_FEATURE_ALL | WARD_FEATURE_MEM_SAFETY, &err);
    CHECK(m == NULL && strcmp(err.message, "illegal opcode") == 0); /* the pointer ops */
    m = load("cage.wasm", cage_features, &err);
    CHECK(m != NULL);
    if (!m) return;
    /* A store without tags or keys cannot run it. */
    ward_store *s = store(WARD_MEMORY_FLAT, false, true);
    CHECK(instance(s, m, &res) == NULL && res.status == WARD_ERROR);
    CHECK(strstr(res.message, "memory 0 is not tagged") != NULL);
    CHECK(res.error == WARD_ERROR_CAGE_UNAVAILABLE);
    ward_store_free(s);
    s = store(WARD_MEMORY_FLAT, true, false);
    CHECK(instance(s, m, &res) == NULL && strstr(res.message, "ptr-auth") != NULL);
    ward_store_free(s);
    s = store(WARD_MEMORY_FLAT, true, true);
    ward_instance *in = instance(s, m, &res);
    CHECK(in != NULL);
    ward_memory *mem = in ? ward_instance_memory(in, "mem") : NULL;
    CHECK(mem && ward_memory_is_tagged(mem));
    ward_store_free(s);
    ward_module_free(m);
}

/* ---- 2. segments ------------------------------------------------------------------------ */

static void test_segments(ward_module *m, ward_memory_mode mode)
{
    ward_result res;
    ward_store *s = store(mode, true, true);
    ward_instance *in = instance(s, m, &res);
    CHECK(in != NULL);
    if (!in) goto out;
    ward_memory *mem = ward_instance_memory(in, "mem");
    char want[128];
    uint32_t a = seg_new(s, in, 0x1000, 32), b = seg_new(s, in, 0x1020, 32);
    CHECK(a && b && tag32(a) && tag32(b) && tag32(a) != tag32(b));
    CHECK((a & 0x0FFFFFFF) == 0x1000 && (b & 0x0FFFFFFF) == 0x1020);
    CHECK(ward_memory_tag_get(mem, 0x1000) == (int)tag32(a));
    CHECK(ward_memory_tag_get(mem, b) == (int)tag32(b));
    /* Misaligned or partly out of bounds: traps, nothing tagged. */
    CHECK(call2(s, in, "new", 0x2008, 32, NULL) == WARD_TRAP);
    CHECK(strcmp(trap_msg, "invalid segment: address 0x2008 is not 16-byte aligned") == 0);
    CHECK(call2(s, in, "new", 0x2000, 17, NULL) == WARD_TRAP);
    CHECK(strcmp(trap_msg, "invalid segment: size 17 is not a multiple of 16") == 0);
    CHECK(call2(s, in, "new", 4 * 65536 - 16, 32, NULL) == WARD_TRAP);
    CHECK(strcmp(trap_msg, "out of bounds memory access") == 0);
    CHECK(ward_memory_tag_get(mem, 4 * 65536 - 16) == 0);
    /* Loads and stores through the tagged pointer: every form (plain,
     * SIMD, lanes, offsets, fused address arithmetic) checks every granule
     * it touches; an untagged pointer, or a neighbour's tag, traps. */
    {
        ward_val v1[1] = {i32v((int32_t)(a + 28))}, r;
        CHECK(call(s, in, "ld32", v1, 1, &r) == WARD_OK);
        v1[0] = i32v((int32_t)(a + 30)); /* straddles into b */
        CHECK(call(s, in, "ld32", v1, 1, &r) == WARD_TRAP);
        snprintf(want, sizeof want,
                 "memory tag mismatch: pointer tag %u, memory tag %u at address 0x1020", tag32(a),
                 tag32(b));
        CHECK(strcmp(trap_msg, want) == 0);
        v1[0] = i32v((int32_t)(a + 16));
        CHECK(call(s, in, "ldv", v1, 1, &r) == WARD_OK);
        v1[0] = i32v((int32_t)(a + 17));
        CHECK(call(s, in, "ldv", v1, 1, &r) == WARD_TRAP);
        v1[0] = i32v((int32_t)(a + 12)); /* offset=16: 0x101C .. 0x101F */
        CHECK(call(s, in, "ld_off", v1, 1, &r) == WARD_OK);
        v1[0] = i32v((int32_t)(a + 16)); /* offset=16: b's first granule */
        CHECK(call(s, in, "ld_off", v1, 1, &r) == WARD_TRAP);
        v1[0] = i32v((int32_t)(a + 24)); /* + 4 by i32.add: 0x101C */
        CHECK(call(s, in, "ld_a", v1, 1, &r) == WARD_OK);
        v1[0] = i32v((int32_t)(a + 28));
        CHECK(call(s, in, "ld_a", v1, 1, &r) == WARD_TRAP);
        v1[0] = i32v((int32_t)(a & 0x0FFFFFFF));
        CHECK(call(s, in, "ld8", v1, 1, &r) == WARD_TRAP);
        ward_val sv[2] = {i32v((int32_t)(a + 24)), i64v(7)};
        CHECK(call(s, in, "st64", sv, 2, NULL) == WARD_OK);
        sv[0] = i32v((int32_t)(a + 25));
        CHECK(call(s, in, "st64", sv, 2, NULL) == WARD_TRAP);
        sv[0] = i32v((int32_t)(b + 28));
        CHECK(call(s, in, "stlane", sv, 2, NULL) == WARD_OK);
        sv[0] = i32v((int32_t)(b + 29));
        CHECK(call(s, in, "stlane", sv, 2, NULL) == WARD_TRAP);
        /* an address past the end is out of bounds, whatever its tag */
        v1[0] = i32v((int32_t)(4 * 65536 - 2) | (int32_t)(tag32(b) << 28));
        CHECK(call(s, in, "ld32", v1, 1, &r) == WARD_TRAP);
        CHECK(strcmp(trap_msg, "out of bounds memory access") == 0);
    }
    /* A tagged pointer's tag bits are ignored by segment.new. */
    uint32_t c = seg_new(s, in, 0x70002000, 16);
    CHECK(c && (c & 0x0FFFFFFF) == 0x2000);
    /* free: needs the segment's tag. */
    CHECK(call2(s, in, "free", a ^ 0x10000000, 32, NULL) == WARD_TRAP);
    snprintf(want, sizeof want,
             "memory tag mismatch: pointer tag %u, memory tag %u at address 0x1000", tag32(a) ^ 1,
             tag32(a));
    CHECK(strcmp(trap_msg, want) == 0);
    CHECK(call2(s, in, "free", a, 32, NULL) == WARD_OK);
    CHECK(ward_memory_tag_get(mem, 0x1000) == 0);
    CHECK(call2(s, in, "free", a, 32, NULL) == WARD_TRAP); /* double free */
    /* set_tag retags and zeroes. */
    uint8_t x[4] = {1, 2, 3, 4}, y[4];
    CHECK(ward_memory_write(mem, b, x, 4));
    CHECK(call3(s, in, "set", b, 0x50000000, 32) == WARD_OK);
    CHECK(ward_memory_tag_get(mem, 0x1020) == 5);
    CHECK(!ward_memory_read(mem, b, y, 4) || tag32(b) == 5);
    CHECK(ward_memory_read(mem, 0x50001020, y, 4) && y[0] == 0 && y[3] == 0);
    /* memory64: the tag in bits 56-59. */
    ward_store_free(s);
    s = store(mode, true, false);
    ward_error err;
    ward_module *m64 = load("cage64.wasm", cage_features, &err);
    CHECK(m64 != NULL);
    in = m64 ? instance(s, m64, &res) : NULL;
    CHECK(in != NULL);
    if (in) {
        ward_val v[2] = {i64v(0x100), i64v(64)}, r;
        CHECK(call(s, in, "new", v, 2, &r) == WARD_OK);
        uint64_t p = (uint64_t)r.of.i64;
        CHECK((p & 0xF0FFFFFFFFFFFFFFull) == 0x100 && (p >> 56) != 0);
        mem = ward_instance_memory(in, "mem");
        CHECK(ward_memory_tag_get(mem, 0x130) == (int)(p >> 56));
        CHECK(ward_memory_tag_addr(mem, 0x130, 3) == 0x0300000000000130ull);
        /* Accesses (the layout-M tagged path): the tag is bits 56-59. */
        ward_val st[2] = {i64v((int64_t)p + 8), i64v(0x1122334455667788ll)}, r2;
        CHECK(call(s, in, "st64", st, 2, NULL) == WARD_OK);
        ward_val ld[1] = {i64v((int64_t)p + 8)};
        CHECK(call(s, in, "ld64", ld, 1, &r2) == WARD_OK && r2.of.i64 == 0x1122334455667788ll);
        ld[0] = i64v((int64_t)p + 63);
        CHECK(call(s, in, "ld8", ld, 1, &r2) == WARD_OK);
        ld[0] = i64v((int64_t)p + 64); /* the next granule: tag 0 */
        CHECK(call(s, in, "ld8", ld, 1, &r2) == WARD_TRAP);
        CHECK(strncmp(trap_msg, "memory tag mismatch", 19) == 0);
        ld[0] = i64v((int64_t)p + 56); /* a v128 load straddling into it */
        CHECK(call(s, in, "ldv", ld, 1, &r2) == WARD_TRAP);
        ld[0] = i64v((int64_t)p + 48);
        CHECK(call(s, in, "ldv", ld, 1, &r2) == WARD_OK);
        ld[0] = i64v(0x108); /* untagged */
        CHECK(call(s, in, "ld64", ld, 1, &r2) == WARD_TRAP);
        ld[0] = i64v((int64_t)(p | 0x0000F00000000000ull)); /* beyond the memory: bounds first */
        CHECK(call(s, in, "ld8", ld, 1, &r2) == WARD_TRAP &&
              strcmp(trap_msg, "out of bounds memory access") == 0);
        ward_val fl[3] = {i64v((int64_t)p), i32v(0x5A), i64v(64)};
        CHECK(call(s, in, "fill", fl, 3, NULL) == WARD_OK);
        fl[2] = i64v(65);
        CHECK(call(s, in, "fill", fl, 3, NULL) == WARD_TRAP);
        ward_val f[2] = {i64v((int64_t)p), i64v(64)};
        CHECK(call(s, in, "free", f, 2, NULL) == WARD_OK);
        CHECK(call(s, in, "free", f, 2, NULL) == WARD_TRAP);
        ld[0] = i64v((int64_t)p + 8); /* use after free */
        CHECK(call(s, in, "ld64", ld, 1, &r2) == WARD_TRAP);
    }
    ward_module_free(m64);
out:
    ward_store_free(s);
}

/* ---- 3. bulk operations and host access ----------------------------------------------------- */

static void test_bulk_host(ward_module *m, ward_memory_mode mode)
{
    ward_result res;
    ward_store *s = store(mode, true, true);
    ward_instance *in = instance(s, m, &res);
    CHECK(in != NULL);
    if (!in) goto out;
    ward_memory *mem = ward_instance_memory(in, "mem");
    /* Two neighbours across a page boundary. */
    uint32_t a = seg_new(s, in, 0x10000 - 32, 32), b = seg_new(s, in, 0x10000, 48);
    CHECK(a && b);
    /* fill: the whole range must carry the tag */
    CHECK(call3(s, in, "fill", a, 0xAA, 32) == WARD_OK);
    CHECK(call3(s, in, "fill", a, 0xAA, 33) == WARD_TRAP);
    CHECK(strstr(trap_msg, "memory tag mismatch: pointer tag") != NULL);
    CHECK(strstr(trap_msg, "at address 0x10000") != NULL);
    uint8_t buf[64];
    CHECK(ward_memory_read(mem, b, buf, 1) && buf[0] == 0); /* nothing written */
    /* copy: source and destination each checked against their own tag */
    CHECK(call3(s, in, "copy", b, a, 32) == WARD_OK);
    CHECK(ward_memory_read(mem, b, buf, 32) && buf[0] == 0xAA && buf[31] == 0xAA);
    CHECK(call3(s, in, "copy", b, a, 40) == WARD_TRAP);
    CHECK(call3(s, in, "copy", 0x3000, a, 32) == WARD_OK);
    CHECK(call3(s, in, "copy", a, 0x3000, 32) == WARD_OK);
    CHECK(call3(s, in, "copy", a + 16, a, 16) == WARD_OK); /* overlapping, one segment */
    /* init: from the passive segment into the tagged range */
    CHECK(call3(s, in, "init", b, 10, 16) == WARD_OK);
    CHECK(ward_memory_read(mem, b, buf, 3) && memcmp(buf, "abc", 3) == 0);
    CHECK(call3(s, in, "init", b & 0x0FFFFFFF, 10, 16) == WARD_TRAP);
    /* Host helpers: the address carries the tag; a span stops at a granule
     * of another tag. */
    CHECK(!ward_memory_read(mem, b & 0x0FFFFFFF, buf, 1));
    CHECK(!ward_memory_write(mem, b + 40, "0123456789", 10)); /* runs past b */
    CHECK(ward_memory_write(mem, b + 38, "0123456789", 10));
    size_t avail = 0;
    CHECK(ward_memory_span(mem, b + 8, 100, false, &avail) != NULL && avail == 40);
    CHECK(ward_memory_span(mem, a, 100, true, &avail) != NULL && avail == 32);
    CHECK(ward_memory_span(mem, a ^ 0x30000000, 4, true, &avail) == NULL);
    /* Host tagging. */
    CHECK(ward_memory_tag_set(mem, 0x5000, 64, 7));
    CHECK(!ward_memory_tag_set(mem, 0x5001, 64, 7));
    CHECK(ward_memory_write(mem, ward_memory_tag_addr(mem, 0x5000, 7), "hi", 2));
    CHECK(!ward_memory_write(mem, 0x5000, "hi", 2));
    CHECK(ward_memory_tag_get(mem, 0x503F) == 7 && ward_memory_tag_get(mem, 0x5040) == 0);
    CHECK(ward_memory_tag_get(mem, 4 * 65536) == -1);
    /* WASI buffers: random_get into a tagged buffer works through its
     * tagged address, fails (EFAULT = 21) through a stale one, and a buffer
     * running into another segment fails whole. */
    CHECK(call2(s, in, "fill_random", b, 48, NULL) == WARD_OK);
    ward_val r;
    CHECK(call2(s, in, "fill_random", b, 48, &r) == WARD_OK && r.of.i32 == 0);
    CHECK(call2(s, in, "fill_random", b & 0x0FFFFFFF, 48, &r) == WARD_OK && r.of.i32 == 21);
    CHECK(call2(s, in, "fill_random", a, 48, &r) == WARD_OK && r.of.i32 == 21);
    CHECK(ward_memory_read(mem, a + 16, buf, 16));
    CHECK(buf[0] == 0xAA && buf[15] == 0xAA); /* nothing written */
out:
    ward_store_free(s);
}

/* ---- 4. clones, regions, transfers ------------------------------------------------------------
 */

static void test_clones(ward_module *m, ward_memory_mode mode)
{
    ward_result res;
    ward_store *s = store(mode, true, true);
    ward_instance *t = instance(s, m, &res);
    CHECK(t != NULL);
    if (!t) goto out;
    uint32_t a = seg_new(s, t, 0x100, 64);
    CHECK(ward_memory_write(ward_instance_memory(t, "mem"), a, "template", 8));
    ward_val r, v[1] = {i32v(77)};
    CHECK(call(s, t, "sign32", v, 1, &r) == WARD_OK);
    uint32_t sig = (uint32_t)r.of.i32;
    ward_instance *c = ward_instance_clone(s, t, &res);
    CHECK(c != NULL);
    if (!c) goto out;
    ward_memory *cm = ward_instance_memory(c, "mem"), *tm = ward_instance_memory(t, "mem");
    uint8_t buf[8];
    /* The clone has the template's tags with its data. */
    CHECK(ward_memory_read(cm, a, buf, 8) && memcmp(buf, "template", 8) == 0);
    ward_val la[1] = {i32v((int32_t)a)}, lr;
    CHECK(call(s, c, "ld64", la, 1, &lr) == WARD_OK && memcmp(&lr.of.i64, "template", 8) == 0);
    la[0] = i32v((int32_t)(a & 0x0FFFFFFF));
    CHECK(call(s, c, "ld64", la, 1, &lr) == WARD_TRAP);
    /* A store in the clone copies the page (and its tags) first. */
    ward_val sa[2] = {i32v((int32_t)a), i64v(42)};
    CHECK(call(s, c, "st64", sa, 2, NULL) == WARD_OK);
    CHECK(call(s, c, "st64", (ward_val[]){i32v((int32_t)(a + 64)), i64v(1)}, 2, NULL) == WARD_TRAP);
    CHECK(ward_memory_read(tm, a, buf, 8) && memcmp(buf, "template", 8) == 0);
    CHECK(!ward_memory_read(cm, 0x100, buf, 8));
    /* Its segments are its own: freeing in the clone leaves the template's. */
    CHECK(call2(s, c, "free", a, 64, NULL) == WARD_OK);
    CHECK(ward_memory_tag_get(cm, 0x100) == 0 && ward_memory_tag_get(tm, 0x100) == (int)tag32(a));
    CHECK(ward_memory_read(tm, a, buf, 8) && memcmp(buf, "template", 8) == 0);
    /* The key is the template's by default: its signed pointers work. */
    ward_val sv[1] = {i32v((int32_t)sig)};
    CHECK(call(s, c, "auth32", sv, 1, &r) == WARD_OK && r.of.i32 == 77);
    ward_store_free(s);

    /* With WARD_CLONE_KEY_NEW the clone's key is its own. */
    ward_store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.memory_mode = mode;
    cfg.mem_safety = cfg.ptr_auth = true;
    cfg.clone_key = WARD_CLONE_KEY_NEW;
    s = tier_store_new(&cfg);
    t = instance(s, m, &res);
    CHECK(t && call(s, t, "sign32", v, 1, &r) == WARD_OK);
    sv[0] = i32v(r.of.i32);
    c = t ? ward_instance_clone(s, t, &res) : NULL;
    CHECK(c != NULL);
    if (c) {
        CHECK(call(s, c, "auth32", sv, 1, &r) == WARD_TRAP);
        CHECK(strncmp(trap_msg, "pointer authentication failed", 29) == 0);
        CHECK(call(s, t, "auth32", sv, 1, &r) == WARD_OK && r.of.i32 == 77);
    }
out:
    ward_store_free(s);
}

static void test_regions(ward_module *m)
{
    ward_result res;
    ward_store *s = store(WARD_MEMORY_PAGED, true, true);
    ward_instance *p = instance(s, m, &res), *q = instance(s, m, &res);
    CHECK(p && q);
    if (!p || !q) goto out;
    ward_memory *pm = ward_instance_memory(p, "mem"), *qm = ward_instance_memory(q, "mem");
    uint32_t a = seg_new(s, p, 0x10040, 32);
    CHECK(a && ward_memory_write(pm, a, "shared", 6));
    ward_region *r = ward_region_from_pages(pm, 1, 1);
    CHECK(r && ward_region_map(r, qm, 2, WARD_PERM_READ));
    uint8_t buf[8];
    uint32_t in_q = (a & 0xF0000000) | 0x20040;
    CHECK(ward_memory_read(qm, in_q, buf, 6) && memcmp(buf, "shared", 6) == 0);
    CHECK(!ward_memory_read(qm, 0x20040, buf, 6));
    ward_val v[1] = {i32v((int32_t)in_q)}, out;
    CHECK(call(s, q, "ld8", v, 1, &out) == WARD_OK);
    /* Retagging needs write access: q maps it read-only. */
    CHECK(call2(s, q, "free", in_q, 32, NULL) == WARD_TRAP);
    CHECK(strstr(trap_msg, "memory access denied") != NULL);
    /* The producer frees: the consumer's copy of the pointer goes stale. */
    CHECK(call2(s, p, "free", a, 32, NULL) == WARD_OK);
    CHECK(!ward_memory_read(qm, in_q, buf, 1) && ward_memory_read(qm, 0x20040, buf, 1));
    /* Transfer: the tags go with the frames. */
    uint32_t b = seg_new(s, p, 0x10080, 16);
    CHECK(ward_region_transfer(r, pm, qm, 3, false));
    CHECK(ward_memory_tag_get(qm, 0x30080) == (int)tag32(b));
    CHECK(ward_memory_tag_get(pm, 0x10080) == -1); /* unmapped */
    CHECK(call2(s, q, "free", (b & 0xF0000000) | 0x30080, 16, NULL) == WARD_OK);
    ward_region_free(r);
out:
    ward_store_free(s);
}

/* ---- 5. pointer authentication across instances --------------------------------------------- */

static void test_ptr_auth(ward_module *m)
{
    ward_result res;
    ward_store *s = store(WARD_MEMORY_FLAT, true, true);
    ward_instance *a = instance(s, m, &res), *b = instance(s, m, &res);
    CHECK(a && b);
    if (!a || !b) goto out;
    ward_val r, v[1] = {i64v(0x0300000000001230ll)};
    CHECK(call(s, a, "sign64", v, 1, &r) == WARD_OK);
    uint64_t sig = (uint64_t)r.of.i64;
    CHECK((sig & 0x0F00FFFFFFFFFFFFull) == 0x0300000000001230ull && sig != 0x0300000000001230ull);
    ward_val sv[1] = {i64v((int64_t)sig)};
    CHECK(call(s, a, "auth64", sv, 1, &r) == WARD_OK && r.of.i64 == 0x0300000000001230ll);
    CHECK(call(s, b, "auth64", sv, 1, &r) == WARD_TRAP);
    CHECK(strncmp(trap_msg, "pointer authentication failed: pointer 0x", 41) == 0);
    CHECK(call(s, b, "strip64", sv, 1, &r) == WARD_OK && r.of.i64 == 0x0300000000001230ll);
    ward_val w[1] = {i32v(0x10000)};
    CHECK(call(s, a, "sign32", w, 1, &r) == WARD_TRAP);
    CHECK(strstr(trap_msg, "bits (16-31) are in use") != NULL);
out:
    ward_store_free(s);
}

/* ---- 6. the 256 MiB cap -----------------------------------------------------------------------
 */

static void test_cap(void)
{
    ward_error err;
    ward_result res;
    ward_module *big = load("big.wasm", WARD_FEATURE_ALL, &err);
    ward_module *grow = load("grow.wasm", WARD_FEATURE_ALL, &err);
    CHECK(big && grow);
    if (!big || !grow) return;
    ward_store *s = store(WARD_MEMORY_FLAT, true, false);
    CHECK(ward_instance_new(s, big, NULL, &res) == NULL);
    CHECK(strstr(res.message, "too large for mem-safety") != NULL);
    CHECK(res.error == WARD_ERROR_MEMORY_LIMIT);
    CHECK(strstr(res.message, "256 MiB") != NULL);
    ward_instance *g = ward_instance_new(s, grow, NULL, &res);
    CHECK(g != NULL);
    if (g) {
        ward_val v[1] = {i32v(4096)}, r;
        CHECK(call(s, g, "grow", v, 1, &r) == WARD_OK && r.of.i32 == -1);
        v[0] = i32v(4095);
        CHECK(call(s, g, "grow", v, 1, &r) == WARD_OK && r.of.i32 == 1);
        v[0] = i32v(1);
        CHECK(call(s, g, "grow", v, 1, &r) == WARD_OK && r.of.i32 == -1);
    }
    ward_store_free(s);
    /* Untagged, the same module grows on. */
    s = store(WARD_MEMORY_FLAT, false, false);
    CHECK(ward_instance_new(s, big, NULL, &res) != NULL);
    ward_store_free(s);
    ward_module_free(big);
    ward_module_free(grow);
}

/* A tagged memory 1 (layout-M path), tagged by the host. */
static void test_memory1(ward_memory_mode mode)
{
    ward_error err;
    ward_result res;
    ward_module *m = load("cagemm.wasm", cage_features, &err);
    CHECK(m != NULL);
    if (!m) return;
    ward_store *s = store(mode, true, false);
    ward_instance *in = ward_instance_new(s, m, NULL, &res);
    CHECK(in != NULL);
    if (!in) goto out;
    ward_memory *m1 = ward_instance_memory(in, "mem1");
    CHECK(ward_memory_tag_set(m1, 0x10100, 64, 5));
    uint32_t p = (uint32_t)ward_memory_tag_addr(m1, 0x10100, 5);
    ward_val r, a[2] = {i32v((int32_t)(p + 60)), i32v(77)};
    CHECK(call(s, in, "st32", a, 2, NULL) == WARD_OK);
    CHECK(call(s, in, "ld32", a, 1, &r) == WARD_OK && r.of.i32 == 77);
    a[0] = i32v((int32_t)(p + 62)); /* straddles into tag 0 */
    CHECK(call(s, in, "ld32", a, 1, &r) == WARD_TRAP);
    CHECK(strcmp(trap_msg, "memory tag mismatch: pointer tag 5, memory tag 0 at address 0x10140") ==
          0);
    a[0] = i32v(0x10100); /* untagged */
    CHECK(call(s, in, "st32", a, 2, NULL) == WARD_TRAP);
    a[0] = i32v((int32_t)(p + 48));
    CHECK(call(s, in, "ldv", a, 1, &r) == WARD_OK);
    a[0] = i32v((int32_t)(p + 49));
    CHECK(call(s, in, "ldv", a, 1, &r) == WARD_TRAP);
    CHECK(call3(s, in, "fill", p, 1, 64) == WARD_OK);
    CHECK(call3(s, in, "fill", p, 1, 65) == WARD_TRAP);
    /* memory.copy from memory 1 (tagged source) to memory 0 (tag 0) */
    CHECK(call3(s, in, "copy01", 0x100, p, 64) == WARD_OK);
    CHECK(call3(s, in, "copy01", 0x100, 0x10100, 4) == WARD_TRAP);
out:
    ward_store_free(s);
    ward_module_free(m);
}

/* ---- 7. differential: random programs against a reference model ---------------------------
 * The model is the memory's bytes and a tag per granule, with the rules of
 * docs/cage.md written out plainly: an access of n bytes at ea needs
 * strip(ea) + n within the memory, then every granule touched to have
 * ea's tag. Each step runs one operation in ward (an export of cage.wasm,
 * or a host helper) and in the model, and compares the outcome (value, or
 * the kind of trap) and, every few steps, every byte and tag. */

typedef struct model {
    uint8_t *bytes, *tags; /* tags: one byte per granule */
    uint64_t size;
    uint32_t live[32]; /* pointers segment.new returned, some since freed */
    uint32_t live_n[32];
    int nlive;
} model;

enum { R_OK, R_OOB, R_TAG, R_SEG };

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The outcome of an access of n bytes at guest address ea (33 bits). */
static int md_check(const model *md, uint64_t ea, uint64_t n)
{
    unsigned tag = (unsigned)(ea >> 28) & 15;
    uint64_t sea = ea & ~((uint64_t)15 << 28);
    if (sea > md->size || n > md->size - sea) return R_OOB;
    for (uint64_t g = sea / 16; n && g <= (sea + n - 1) / 16; g++)
        if (md->tags[g] != tag) return R_TAG;
    return R_OK;
}

static int outcome(ward_status st)
{
    if (st == WARD_OK) return R_OK;
    if (!strncmp(trap_msg, "out of bounds", 13)) return R_OOB;
    if (!strncmp(trap_msg, "memory tag mismatch", 19)) return R_TAG;
    if (!strncmp(trap_msg, "invalid segment", 15)) return R_SEG;
    return -1;
}

static uint64_t md_load(const model *md, uint64_t sea, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && i < 8; i++)
        v |= (uint64_t)md->bytes[sea + i] << (8 * i);
    return v;
}

/* An address worth trying: a live (or freed) pointer plus a little, its
 * neighbourhood with a wrong tag, or anywhere. */
static uint32_t pick_ptr(const model *md)
{
    uint32_t r = (uint32_t)(rnd() % 10);
    int32_t delta = (int32_t)(rnd() % 80) - 24;
    if (md->nlive && r < 6) return md->live[rnd() % (uint64_t)md->nlive] + (uint32_t)delta;
    if (md->nlive && r < 8)
        return (md->live[rnd() % (uint64_t)md->nlive] ^ (uint32_t)(rnd() % 16) << 28) +
               (uint32_t)delta;
    if (r == 8) return (uint32_t)rnd();
    return (uint32_t)(rnd() % (md->size + 64));
}

/* Where segments go: a few windows, one across a page boundary. */
static uint32_t pick_seg_addr(const model *md)
{
    static const uint32_t win[] = {0x100, 0x8000, 0xFF00, 0x2FFC0};
    uint32_t a = win[rnd() % 4] + (uint32_t)(rnd() % 16) * 16;
    if (rnd() % 16 == 0) a += 8; /* misaligned */
    if (rnd() % 32 == 0) a = (uint32_t)(md->size - 16 * (rnd() % 4));
    return a;
}

static bool md_seg_ok(const model *md, uint64_t ea, uint64_t n, int *r)
{
    uint64_t sea = ea & ~((uint64_t)15 << 28);
    if (sea % 16 || n % 16) {
        *r = R_SEG;
        return false;
    }
    if (sea > md->size || n > md->size - sea) {
        *r = R_OOB;
        return false;
    }
    return true;
}

static const struct {
    const char *name;
    unsigned bytes;
    unsigned off; /* memarg offset */
    unsigned k;   /* i32.add immediate before the access */
    bool store;
    bool vec; /* v128 load: result is lane 1 ^ lane 0 */
} accesses[] = {
    {"ld8", 1, 0, 0, false, false},    {"ld16", 2, 0, 0, false, false},
    {"ld32", 4, 0, 0, false, false},   {"ld64", 8, 0, 0, false, false},
    {"ldv", 16, 0, 0, false, true},    {"ldsplat", 4, 0, 0, false, false},
    {"ld8x8", 8, 0, 0, false, false},  {"ldzero", 8, 0, 0, false, false},
    {"ldlane", 8, 0, 0, false, false}, {"ld_off", 4, 16, 0, false, false},
    {"ld_a", 4, 0, 4, false, false},   {"ld_f", 8, 0, 0, false, false},
    {"st8", 1, 0, 0, true, false},     {"st16", 2, 0, 0, true, false},
    {"st32", 4, 0, 0, true, false},    {"st64", 8, 0, 0, true, false},
    {"stv", 16, 0, 0, true, false},    {"stlane", 4, 0, 0, true, false},
    {"st_off", 4, 16, 0, true, false}, {"st_a", 4, 0, 4, true, false},
};
#define NACCESSES (sizeof accesses / sizeof accesses[0])

/* The value a load export returns for the bytes at sea. */
static uint64_t md_loaded(const model *md, unsigned i, uint64_t sea)
{
    const char *n = accesses[i].name;
    if (accesses[i].vec) return md_load(md, sea, 8) ^ md_load(md, sea + 8, 8);
    if (!strcmp(n, "ldsplat")) return md_load(md, sea, 4) * 0x100000001ull;
    if (!strcmp(n, "ld8x8")) {
        uint64_t v = 0;
        for (int k = 0; k < 4; k++)
            v |= (uint64_t)md->bytes[sea + 4 + k] << (16 * k);
        return v;
    }
    return md_load(md, sea, accesses[i].bytes);
}

static void md_store(model *md, unsigned i, uint64_t sea, uint64_t v)
{
    const char *n = accesses[i].name;
    for (unsigned k = 0; k < accesses[i].bytes; k++) {
        unsigned src = k;
        if (!strcmp(n, "stv")) src = k % 8;
        if (!strcmp(n, "stlane")) src = 4 + k; /* lane 3 of the i64x2 splat */
        md->bytes[sea + k] = (uint8_t)(v >> (8 * (src % 8)));
    }
}

static const char passive[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static void test_differential(ward_module *m, ward_memory_mode mode)
{
    ward_result res;
    ward_store *s = store(mode, true, true);
    ward_instance *in = instance(s, m, &res);
    CHECK(in != NULL);
    if (!in) {
        ward_store_free(s);
        return;
    }
    ward_memory *mem = ward_instance_memory(in, "mem");
    model md;
    memset(&md, 0, sizeof md);
    md.size = 4 * 65536;
    md.bytes = calloc(8 * 65536, 1);
    md.tags = calloc(8 * 65536 / 16, 1);
    int bad = 0, steps = 0, results[4] = {0};
    for (int step = 0; step < 20000 && bad < 10; step++, steps++) {
        unsigned op = (unsigned)(rnd() % 16);
        int want = R_OK, got;
        uint64_t wantv = 0, gotv = 0;
        ward_val r;
        memset(&r, 0, sizeof r);
        const char *what = "";
        if (op < 3) { /* segment.new */
            uint32_t a = pick_seg_addr(&md), n = (uint32_t)(rnd() % 7) * 16;
            if (rnd() % 16 == 0) n += 4;
            what = "new";
            got = outcome(call2(s, in, "new", a, n, &r));
            if (md_seg_ok(&md, a, n, &want)) {
                uint32_t p = (uint32_t)r.of.i32, sea = a & 0x0FFFFFFF;
                unsigned t = tag32(p);
                int before = sea ? md.tags[sea / 16 - 1] : -1;
                int after = sea + n < md.size ? md.tags[(sea + n) / 16] : -1;
                if (got == R_OK &&
                    (t == 0 || (int)t == before || (int)t == after || (p & 0x0FFFFFFF) != sea)) {
                    printf("FAIL new(0x%x, %u) = 0x%x next to tags %d %d\n", a, n, p, before,
                           after);
                    bad++;
                }
                memset(md.tags + sea / 16, (int)t, n / 16);
                memset(md.bytes + sea, 0, n);
                int slot = md.nlive < 32 ? md.nlive++ : (int)(rnd() % 32);
                md.live[slot] = p;
                md.live_n[slot] = n;
            }
        } else if (op < 5) { /* segment.free, of a live, stale or forged pointer */
            uint32_t p, n;
            if (!md.nlive) continue;
            int k = (int)(rnd() % (uint64_t)md.nlive);
            p = md.live[k];
            n = md.live_n[k];
            if (rnd() % 8 == 0) p ^= (uint32_t)(rnd() % 16) << 28;
            what = "free";
            got = outcome(call2(s, in, "free", p, n, NULL));
            if (md_seg_ok(&md, p, n, &want)) {
                want = md_check(&md, p, n);
                if (want == R_OK) memset(md.tags + (p & 0x0FFFFFFF) / 16, 0, n / 16);
            }
        } else if (op == 5) { /* segment.set_tag */
            uint32_t a = pick_seg_addr(&md), n = (uint32_t)(rnd() % 4) * 16;
            uint32_t t = (uint32_t)(rnd() % 16);
            what = "set";
            got = outcome(call3(s, in, "set", a, t << 28, n));
            if (md_seg_ok(&md, a, n, &want)) {
                memset(md.tags + (a & 0x0FFFFFFF) / 16, (int)t, n / 16);
                memset(md.bytes + (a & 0x0FFFFFFF), 0, n);
            }
        } else if (op < 11) { /* loads and stores of every form */
            unsigned i = (unsigned)(rnd() % NACCESSES);
            uint32_t a = pick_ptr(&md);
            uint64_t v = rnd();
            uint64_t ea = (uint64_t)(uint32_t)(a + accesses[i].k) + accesses[i].off;
            what = accesses[i].name;
            want = md_check(&md, ea, accesses[i].bytes);
            if (accesses[i].store) {
                ward_val args[2] = {i32v((int32_t)a), i64v((int64_t)v)};
                got = outcome(call(s, in, what, args, 2, NULL));
                if (want == R_OK) md_store(&md, i, ea & ~(15ull << 28), v);
            } else {
                ward_val args[1] = {i32v((int32_t)a)};
                got = outcome(call(s, in, what, args, 1, &r));
                gotv = (uint64_t)r.of.i64;
                if (want == R_OK) wantv = md_loaded(&md, i, ea & ~(15ull << 28));
            }
        } else if (op == 11) { /* memory.fill */
            uint32_t d = pick_ptr(&md), n = (uint32_t)(rnd() % 80);
            uint8_t v = (uint8_t)rnd();
            what = "fill";
            got = outcome(call3(s, in, "fill", d, v, n));
            want = md_check(&md, d, n);
            if (want == R_OK) memset(md.bytes + (d & 0x0FFFFFFF), v, n);
        } else if (op == 12) { /* memory.copy: each side against its own tag */
            uint32_t d = pick_ptr(&md), sr = pick_ptr(&md), n = (uint32_t)(rnd() % 80);
            what = "copy";
            got = outcome(call3(s, in, "copy", d, sr, n));
            int ws = md_check(&md, sr, n), wd = md_check(&md, d, n);
            want = ws == R_OOB ? R_OOB : wd == R_OOB ? R_OOB : ws != R_OK ? ws : wd;
            if (want == R_OK) memmove(md.bytes + (d & 0x0FFFFFFF), md.bytes + (sr & 0x0FFFFFFF), n);
        } else if (op == 13) { /* memory.init from the passive segment */
            uint32_t d = pick_ptr(&md), so = (uint32_t)(rnd() % 70), n = (uint32_t)(rnd() % 40);
            what = "init";
            got = outcome(call3(s, in, "init", d, so, n));
            want = so + n > sizeof passive - 1 ? R_OOB : md_check(&md, d, n);
            if (want == R_OK) memcpy(md.bytes + (d & 0x0FFFFFFF), passive + so, n);
        } else if (op == 14) { /* the host's side */
            uint32_t a = pick_ptr(&md), n = (uint32_t)(rnd() % 48);
            uint8_t buf[64];
            what = "host";
            want = md_check(&md, a, n);
            if (rnd() % 2) {
                for (uint32_t k = 0; k < n; k++)
                    buf[k] = (uint8_t)rnd();
                got = ward_memory_write(mem, a, buf, n) ? R_OK : R_TAG;
                if (want == R_OK) memcpy(md.bytes + (a & 0x0FFFFFFF), buf, n);
            } else {
                got = ward_memory_read(mem, a, buf, n) ? R_OK : R_TAG;
                if (got == R_OK && want == R_OK &&
                    memcmp(buf, md.bytes + (a & 0x0FFFFFFF), n) != 0) {
                    printf("FAIL host read at 0x%x differs\n", a);
                    bad++;
                }
            }
            if (want == R_OOB) want = R_TAG; /* the host only sees false */
        } else {                             /* grow, up to 8 pages */
            ward_val g[1] = {i32v(1)};
            what = "grow";
            if (md.size >= 8 * 65536) continue;
            got = outcome(call(s, in, "grow", g, 1, &r));
            if (got == R_OK && r.of.i32 == (int32_t)(md.size / 65536))
                md.size += 65536;
            else
                got = -1;
        }
        results[want < 0 ? 0 : want]++;
        if (got != want || gotv != wantv) {
            printf("FAIL differential (%d) step %d %s: ward %d (0x%llx, %s), model %d (0x%llx)\n",
                   mode, step, what, got, (unsigned long long)gotv, trap_msg, want,
                   (unsigned long long)wantv);
            bad++;
        }
        if (step % 500 == 499 || step == 19999) {
            /* every byte and every tag */
            uint8_t *b = malloc(md.size);
            for (uint64_t a = 0; a < md.size; a += 16) {
                int t = ward_memory_tag_get(mem, a);
                if (t != md.tags[a / 16]) {
                    printf("FAIL tag of 0x%llx: %d, model %d\n", (unsigned long long)a, t,
                           md.tags[a / 16]);
                    bad++;
                    break;
                }
                if (!ward_memory_read(mem, a | (uint64_t)t << 28, b + a, 16)) bad++;
            }
            if (memcmp(b, md.bytes, md.size) != 0) {
                printf("FAIL differential (%d): memory differs at step %d\n", mode, step);
                bad++;
            }
            free(b);
        }
    }
    CHECK(bad == 0);
    /* The programs reached every outcome, often. */
    CHECK(results[R_OK] > 1000 && results[R_TAG] > 300 && results[R_OOB] > 30 &&
          results[R_SEG] > 30);
    if (bad || failed || getenv("CAGE_VERBOSE"))
        printf("differential (%d): %d steps: %d ok, %d tag, %d oob, %d segment\n", mode, steps,
               results[R_OK], results[R_TAG], results[R_OOB], results[R_SEG]);
    free(md.bytes);
    free(md.tags);
    ward_store_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: cage_test DIR\n");
        return 2;
    }
    dir = argv[1];
    ward_error err;
    test_gates();
    ward_module *m = load("cage.wasm", cage_features, &err);
    CHECK(m != NULL);
    if (m) {
        test_segments(m, WARD_MEMORY_FLAT);
        test_segments(m, WARD_MEMORY_PAGED);
        test_bulk_host(m, WARD_MEMORY_FLAT);
        test_bulk_host(m, WARD_MEMORY_PAGED);
        test_bulk_host(m, WARD_MEMORY_PAGED_TABLES);
        test_clones(m, WARD_MEMORY_FLAT);
        test_clones(m, WARD_MEMORY_PAGED);
        test_regions(m);
        test_ptr_auth(m);
        test_memory1(WARD_MEMORY_FLAT);
        test_memory1(WARD_MEMORY_PAGED);
        test_differential(m, WARD_MEMORY_FLAT);
        test_differential(m, WARD_MEMORY_PAGED);
        test_differential(m, WARD_MEMORY_PAGED_TABLES);
        ward_module_free(m);
    }
    test_cap();
    if (wasi) ward_wasi_free(wasi);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
