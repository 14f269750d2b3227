/* test_decode.c - unit tests of the binary decoder (src/decode.c): LEB128
 * readers, a module using every section, malformed/invalid modules with
 * the spec's messages, and w_sort, with which it sorts. Exit status 0 = all passed. */
#include "decode/decode.h"

#include <stdio.h>
#include <string.h>

#include "../check.h"

#define HDR 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00

/* ---- LEB128 readers ------------------------------------------------------- */

static w_reader reader(const uint8_t *b, size_t n, w_err *e)
{
    w_reader r = {b, b, b + n, e, NULL};
    return r;
}

static bool starts(const w_err *e, const char *prefix)
{
    return strncmp(e->msg, prefix, strlen(prefix)) == 0;
}

static void test_leb(void)
{
    w_err e;
    uint32_t u;
    int32_t s;
    int64_t s64;
    uint64_t u64;

    static const uint8_t u_max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    w_reader r = reader(u_max, sizeof u_max, &e);
    CHECK(dec_u32(&r, &u) && u == 0xFFFFFFFFu && r.p == u_max + 5);

    static const uint8_t u_big[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
    r = reader(u_big, sizeof u_big, &e);
    CHECK(!dec_u32(&r, &u) && starts(&e, "integer too large") && e.offset == 0);

    static const uint8_t u_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    r = reader(u_long, sizeof u_long, &e);
    CHECK(!dec_u32(&r, &u) && starts(&e, "integer representation too long"));

    static const uint8_t u_pad[] = {0x83, 0x80, 0x80, 0x80, 0x00}; /* 3, padded: allowed */
    r = reader(u_pad, sizeof u_pad, &e);
    CHECK(dec_u32(&r, &u) && u == 3);

    static const uint8_t trunc[] = {0x7F, 0x80, 0x80};
    r = reader(trunc, sizeof trunc, &e);
    CHECK(dec_u32(&r, &u) && u == 0x7F);
    CHECK(!dec_u32(&r, &u) && starts(&e, "unexpected end") && e.offset == 1);

    /* A value that runs past the section's end is judged as a number
     * against the module's bytes first, as the reference reads it. */
    r = reader(u_long, 3, &e);
    r.lim = u_long + sizeof u_long;
    CHECK(!dec_u32(&r, &u) && starts(&e, "integer representation too long"));
    r = reader(u_big, 2, &e);
    r.lim = u_big + sizeof u_big;
    CHECK(!dec_u32(&r, &u) && starts(&e, "integer too large"));
    r = reader(u_pad, 2, &e);
    r.lim = u_pad + sizeof u_pad;
    CHECK(!dec_u32(&r, &u) && starts(&e, "unexpected end") && r.p == u_pad);

    static const uint8_t s_neg[] = {0x7F}; /* -1 */
    r = reader(s_neg, 1, &e);
    CHECK(dec_s32(&r, &s) && s == -1);

    static const uint8_t s_min[] = {0x80, 0x80, 0x80, 0x80, 0x78}; /* INT32_MIN */
    r = reader(s_min, sizeof s_min, &e);
    CHECK(dec_s32(&r, &s) && s == INT32_MIN);

    static const uint8_t s_bad[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x4F}; /* -1, unused bits unset */
    r = reader(s_bad, sizeof s_bad, &e);
    CHECK(!dec_s32(&r, &s) && starts(&e, "integer too large"));

    static const uint8_t s_bad2[] = {0x80, 0x80, 0x80, 0x80, 0x70}; /* 0, unused bits set */
    r = reader(s_bad2, sizeof s_bad2, &e);
    CHECK(!dec_s32(&r, &s) && starts(&e, "integer too large"));

    static const uint8_t s33_max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}; /* 2^32 - 1 */
    r = reader(s33_max, sizeof s33_max, &e);
    CHECK(dec_s33(&r, &s64) && s64 == 0xFFFFFFFFll);

    static const uint8_t s33_blk[] = {0x40}; /* empty block type = -64 */
    r = reader(s33_blk, 1, &e);
    CHECK(dec_s33(&r, &s64) && s64 == -64);

    static const uint8_t u64_max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    r = reader(u64_max, sizeof u64_max, &e);
    CHECK(dec_u64(&r, &u64) && u64 == UINT64_MAX);

    static const uint8_t u64_big[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03};
    r = reader(u64_big, sizeof u64_big, &e);
    CHECK(!dec_u64(&r, &u64) && starts(&e, "integer too large"));

    static const uint8_t s64_min[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
    r = reader(s64_min, sizeof s64_min, &e);
    CHECK(dec_s64(&r, &s64) && s64 == INT64_MIN);

    static const uint8_t s64_bad[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x41};
    r = reader(s64_bad, sizeof s64_bad, &e);
    CHECK(!dec_s64(&r, &s64) && starts(&e, "integer too large"));

    static const uint8_t s64_long[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    r = reader(s64_long, sizeof s64_long, &e);
    CHECK(!dec_s64(&r, &s64) && starts(&e, "integer representation too long"));

    const uint8_t *bp;
    uint8_t byte;
    r = reader(u_max, sizeof u_max, &e);
    CHECK(dec_bytes(&r, 4, &bp) && bp == u_max && dec_byte(&r, &byte) && byte == 0x0F);
    CHECK(!dec_byte(&r, &byte) && starts(&e, "unexpected end"));
    r = reader(u_max, sizeof u_max, &e);
    CHECK(!dec_bytes(&r, 6, &bp) && r.p == u_max);
}

/* ---- a module with every section -------------------------------------------- */

static const uint8_t full_module[] = {
    HDR,
    /* types: [] -> [], [] -> [] (same), [i32] -> [i32] */
    0x01,
    0x0C,
    0x03,
    0x60,
    0x00,
    0x00,
    0x60,
    0x00,
    0x00,
    0x60,
    0x01,
    0x7F,
    0x01,
    0x7F,
    /* import "m" "g" (global i32) */
    0x02,
    0x08,
    0x01,
    0x01,
    'm',
    0x01,
    'g',
    0x03,
    0x7F,
    0x00,
    /* functions of types 0, 2, 1 */
    0x03,
    0x04,
    0x03,
    0x00,
    0x02,
    0x01,
    /* table funcref 1 */
    0x04,
    0x04,
    0x01,
    0x70,
    0x00,
    0x01,
    /* memory 1 2 */
    0x05,
    0x04,
    0x01,
    0x01,
    0x01,
    0x02,
    /* global funcref (ref.func 1) */
    0x06,
    0x06,
    0x01,
    0x70,
    0x00,
    0xD2,
    0x01,
    0x0B,
    /* exports "f0" func 0, "mem" memory 0 */
    0x07,
    0x0C,
    0x02,
    0x02,
    'f',
    '0',
    0x00,
    0x00,
    0x03,
    'm',
    'e',
    'm',
    0x02,
    0x00,
    /* start 2 */
    0x08,
    0x01,
    0x02,
    /* elem (global.get 0) func 0 */
    0x09,
    0x07,
    0x01,
    0x00,
    0x23,
    0x00,
    0x0B,
    0x01,
    0x00,
    /* datacount 1 */
    0x0C,
    0x01,
    0x01,
    /* code */
    0x0A,
    0x0E,
    0x03,
    0x02,
    0x00,
    0x0B,
    0x06,
    0x01,
    0x02,
    0x7E,
    0x20,
    0x00,
    0x0B,
    0x02,
    0x00,
    0x0B,
    /* data (i32.const 0) "hi" */
    0x0B,
    0x08,
    0x01,
    0x00,
    0x41,
    0x00,
    0x0B,
    0x02,
    'h',
    'i',
    /* name section: module "mod", function 1 "add" */
    0x00,
    0x13,
    0x04,
    'n',
    'a',
    'm',
    'e',
    0x00,
    0x04,
    0x03,
    'm',
    'o',
    'd',
    0x01,
    0x06,
    0x01,
    0x01,
    0x03,
    'a',
    'd',
    'd',
};

static void test_full(void)
{
    w_err e;
    w_module *m = dec_module_decode(full_module, sizeof full_module, 0, NULL, &e);
    CHECK(m != NULL);
    if (!m) {
        printf("  error: %s @%zu\n", e.msg, e.offset);
        return;
    }
    CHECK(m->bytes != full_module && m->size == sizeof full_module);
    CHECK(m->ntypes == 3 && m->types[0].canon == 0 && m->types[1].canon == 0 &&
          m->types[2].canon == 2);
    CHECK(m->types[2].nparams == 1 && m->types[2].params[0] == W_I32 &&
          m->types[2].results[0] == W_I32);
    CHECK(m->types[2].param_slots == 1 && m->types[2].result_slots == 1);
    CHECK(m->nimports == 1 && m->nimported_globals == 1 && strcmp(m->imports[0].module, "m") == 0 &&
          strcmp(m->imports[0].name, "g") == 0);
    CHECK(m->nfuncs == 3 && m->nfuncdefs == 3 && m->func_types[1] == 2 && m->func_types[2] == 1);
    CHECK(m->ntables == 1 && m->tables[0].elem == W_FUNCREF && m->tables[0].lim.min == 1);
    CHECK(m->nmems == 1 && m->mems[0].lim.has_max && m->mems[0].lim.max == 2 &&
          !m->mems[0].lim.is64);
    CHECK(m->nglobals == 2 && m->nglobaldefs == 1 && m->global_types[1].type == W_FUNCREF);
    /* Constant expressions come out decoded: ref.func 1, global.get 0. */
    CHECK(m->globals[0].init.count == 1 &&
          m->const_code[m->globals[0].init.first].op == W_CONST_REF_FUNC &&
          m->const_code[m->globals[0].init.first].index == 1);
    CHECK(m->nexports == 2 && strcmp(m->exports[1].name, "mem") == 0 &&
          m->exports[1].kind == W_EXT_MEMORY);
    CHECK(m->has_start && m->start == 2);
    CHECK(m->nelems == 1 && m->elems[0].mode == W_SEG_ACTIVE && m->elems[0].funcs &&
          m->elems[0].count == 1 && m->elems[0].offset.count == 1 &&
          m->const_code[m->elems[0].offset.first].op == W_CONST_GLOBAL_GET &&
          m->const_code[m->elems[0].offset.first].index == 0);
    CHECK(m->has_datacount && m->datacount == 1 && m->ndatas == 1 && m->datas[0].len == 2 &&
          memcmp(m->datas[0].bytes, "hi", 2) == 0);
    CHECK(m->funcdefs[1].nlocals == 2 && m->funcdefs[1].ngroups == 1 &&
          m->funcdefs[1].groups[0].count == 2 && m->funcdefs[1].groups[0].type == W_I64);
    CHECK(m->funcdefs[1].body_len == 3 && m->funcdefs[1].body[0] == 0x20);
    CHECK(m->bytes[m->funcdefs[1].body_offset] == 0x20);
    /* C.refs: exported and element functions, global initialisers; not start. */
    CHECK(w_module_func_declared(m, 0) && w_module_func_declared(m, 1) &&
          !w_module_func_declared(m, 2));
    CHECK(m->module_name && strcmp(m->module_name, "mod") == 0);
    CHECK(w_module_func_name(m, 1) && strcmp(w_module_func_name(m, 1), "add") == 0);
    CHECK(w_module_func_name(m, 0) == NULL);
    dec_module_free(m);

    /* Every allocation failing in turn must give a clean error, no leak. */
    for (long n = 0; n < 200; n++) {
        w_alloc_fail_after(n);
        m = dec_module_decode(full_module, sizeof full_module, 0, NULL, &e);
        w_alloc_fail_after(-1);
        if (m) {
            dec_module_free(m);
            CHECK(n > 10);
            break;
        }
        if (!starts(&e, "out of memory")) {
            CHECK(!"allocation failure gave another error");
            break;
        }
    }
}

/* ---- malformed and invalid modules -------------------------------------------- */

typedef struct dec_case {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    uint32_t features;
    const char *want; /* NULL = must decode */
} dec_case;

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static const dec_case cases[] = {
    {"empty", (const uint8_t *)"", 0, 0, "unexpected end"},
    {"short", BYTES(0x00, 0x61, 0x73), 0, "unexpected end"},
    {"magic", BYTES(0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00), 0,
     "magic header not detected"},
    {"version", BYTES(0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00), 0, "unknown binary version"},
    {"minimal", BYTES(HDR), 0, NULL},
    {"section id", BYTES(HDR, 0x0D, 0x00), 0, "malformed section id"},
    {"order", BYTES(HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00), 0,
     "unexpected content after last section"},
    {"duplicate section", BYTES(HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00), 0,
     "unexpected content after last section"},
    {"datacount before code", BYTES(HDR, 0x0C, 0x01, 0x00, 0x0A, 0x01, 0x00), 0, NULL},
    {"datacount after code", BYTES(HDR, 0x0A, 0x01, 0x00, 0x0C, 0x01, 0x00), 0,
     "unexpected content after last section"},
    {"section too long", BYTES(HDR, 0x01, 0x05, 0x00), 0, "length out of bounds"},
    {"size mismatch", BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00), 0,
     "section size mismatch"},
    {"custom overlong", BYTES(HDR, 0x00, 0x03, 0x02, 0xC0, 0x80), 0, "malformed UTF-8 encoding"},
    {"custom surrogate", BYTES(HDR, 0x00, 0x04, 0x03, 0xED, 0xA0, 0x80), 0,
     "malformed UTF-8 encoding"},
    {"custom > 10FFFF", BYTES(HDR, 0x00, 0x05, 0x04, 0xF4, 0x90, 0x80, 0x80), 0,
     "malformed UTF-8 encoding"},
    {"custom ok", BYTES(HDR, 0x00, 0x06, 0x04, 0xF0, 0x9F, 0x98, 0x80, 0xAA), 0, NULL},
    {"type form", BYTES(HDR, 0x01, 0x04, 0x01, 0x61, 0x00, 0x00), 0, "malformed function type"},
    {"value type", BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x40, 0x00), 0, "malformed value type"},
    {"import kind", BYTES(HDR, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04), 0, "malformed import kind"},
    {"unknown type", BYTES(HDR, 0x03, 0x02, 0x01, 0x00), 0, "unknown type"},
    {"no code", BYTES(HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00), 0,
     "function and code section have inconsistent lengths"},
    {"too many locals",
     BYTES(HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0A, 0x0C, 0x01, 0x0A,
           0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B),
     0, "too many locals"},
    {"table flags", BYTES(HDR, 0x04, 0x03, 0x01, 0x70, 0x02), 0, "integer too large"},
    {"table min>max", BYTES(HDR, 0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x01), 0,
     "size minimum must not be greater than maximum"},
    {"reftype", BYTES(HDR, 0x04, 0x04, 0x01, 0x7F, 0x00, 0x00), 0, "malformed reference type"},
    {"two memories", BYTES(HDR, 0x05, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00), 0, "multiple memories"},
    {"two memories mm", BYTES(HDR, 0x05, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00), W_FEAT_MULTI_MEMORY,
     NULL},
    {"mem pages", BYTES(HDR, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04), 0,
     "memory size must be at most 65536 pages (4GiB)"},
    {"mem min>max", BYTES(HDR, 0x05, 0x04, 0x01, 0x01, 0x02, 0x01), 0,
     "size minimum must not be greater than maximum"},
    {"mem shared", BYTES(HDR, 0x05, 0x04, 0x01, 0x03, 0x01, 0x01), 0, "integer too large"},
    {"mem64 off", BYTES(HDR, 0x05, 0x03, 0x01, 0x04, 0x01), 0, "integer too large"},
    {"mem64 on", BYTES(HDR, 0x05, 0x03, 0x01, 0x04, 0x01), W_FEAT_MEMORY64, NULL},
    {"mem64 big", BYTES(HDR, 0x05, 0x09, 0x01, 0x04, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40),
     W_FEAT_MEMORY64, "memory size must be at most 2^48 pages"},
    {"mutability", BYTES(HDR, 0x06, 0x06, 0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B), 0,
     "malformed mutability"},
    {"global type", BYTES(HDR, 0x06, 0x06, 0x01, 0x7E, 0x00, 0x41, 0x00, 0x0B), 0, "type mismatch"},
    {"global empty", BYTES(HDR, 0x06, 0x04, 0x01, 0x7F, 0x00, 0x0B), 0, "type mismatch"},
    {"global nop", BYTES(HDR, 0x06, 0x07, 0x01, 0x7F, 0x00, 0x01, 0x41, 0x00, 0x0B), 0,
     "constant expression required"},
    {"global unknown", BYTES(HDR, 0x06, 0x06, 0x01, 0x7F, 0x00, 0x23, 0x00, 0x0B), 0,
     "unknown global 0"},
    {"global defined",
     BYTES(HDR, 0x06, 0x0B, 0x02, 0x7F, 0x00, 0x41, 0x00, 0x0B, 0x7F, 0x00, 0x23, 0x00, 0x0B), 0,
     "unknown global 0"},
    {"global mutable import",
     BYTES(HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7F, 0x01, 0x06, 0x06, 0x01, 0x7F, 0x00, 0x23,
           0x00, 0x0B),
     0, "constant expression required"},
    {"extended const off",
     BYTES(HDR, 0x06, 0x09, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B), 0,
     "constant expression required"},
    {"extended const on",
     BYTES(HDR, 0x06, 0x09, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B),
     W_FEAT_EXTENDED_CONST, NULL},
    {"extended const mix",
     BYTES(HDR, 0x06, 0x09, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x42, 0x02, 0x6A, 0x0B),
     W_FEAT_EXTENDED_CONST, "type mismatch"},
    {"v128 const",
     BYTES(HDR, 0x06, 0x16, 0x01, 0x7B, 0x00, 0xFD, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
           14, 15, 16, 0x0B),
     0, NULL},
    {"illegal opcode", BYTES(HDR, 0x06, 0x05, 0x01, 0x7F, 0x00, 0x06, 0x0B), 0, "illegal opcode"},
    {"export dup",
     BYTES(HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x09, 0x02, 0x01,
           'a', 0x00, 0x00, 0x01, 'a', 0x00, 0x00, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B),
     0, "duplicate export name"},
    {"export unknown", BYTES(HDR, 0x07, 0x05, 0x01, 0x01, 'a', 0x02, 0x00), 0, "unknown memory 0"},
    {"start type",
     BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7F, 0x00, 0x03, 0x02, 0x01, 0x00, 0x08, 0x01, 0x00,
           0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B),
     0, "start function"},
    {"elem table type",
     BYTES(HDR, 0x04, 0x04, 0x01, 0x6F, 0x00, 0x01, 0x09, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x00),
     0, "type mismatch"},
    {"elem no table", BYTES(HDR, 0x09, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x00), 0,
     "unknown table 0"},
    {"elem exprs passive", BYTES(HDR, 0x09, 0x07, 0x01, 0x05, 0x6F, 0x01, 0xD0, 0x6F, 0x0B), 0,
     NULL},
    {"elem expr type", BYTES(HDR, 0x09, 0x07, 0x01, 0x05, 0x70, 0x01, 0xD0, 0x6F, 0x0B), 0,
     "type mismatch"},
    {"elem kind", BYTES(HDR, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00), 0, "malformed element kind"},
    {"data no memory", BYTES(HDR, 0x0B, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x00), 0,
     "unknown memory 0"},
    {"data passive", BYTES(HDR, 0x0B, 0x04, 0x01, 0x01, 0x01, 'x'), 0, NULL},
    {"data count", BYTES(HDR, 0x0C, 0x01, 0x02, 0x0B, 0x04, 0x01, 0x01, 0x01, 'x'), 0,
     "data count and data section have inconsistent lengths"},
    {"data count no data", BYTES(HDR, 0x0C, 0x01, 0x01), 0,
     "data count and data section have inconsistent lengths"},
    {"data too long", BYTES(HDR, 0x0B, 0x04, 0x01, 0x01, 0x02, 'x'), 0, "unexpected end"},
    {"bad name section ignored", BYTES(HDR, 0x00, 0x08, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x05, 0xFF),
     0, NULL},
};

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dec_case *c = &cases[i];
        w_err e;
        memset(&e, 0, sizeof e);
        w_module *m = dec_module_decode(c->bytes, c->len, c->features, NULL, &e);
        bool ok = c->want ? (!m && starts(&e, c->want)) : m != NULL;
        if (ok) {
            passed++;
        } else {
            failed++;
            printf("FAIL case '%s': want %s, got %s\n", c->name, c->want ? c->want : "success",
                   m ? "success" : e.msg);
        }
        if (m && strcmp(c->name, "mem64 on") == 0)
            CHECK(m->mems[0].lim.is64 && m->mems[0].lim.min == 1);
        if (m && strcmp(c->name, "bad name section ignored") == 0) CHECK(m->func_names == NULL);
        dec_module_free(m);
    }
}

/* Constant expressions come out of the decoder as {op, immediate}: values
 * already in the frame slot encoding, the end opcode dropped. */
static void test_const_decoded(void)
{
    /* (global i64 (i64.mul (i64.const -5) (i64.sub (global.get 0) (i64.const 3))))
     * (global v128 (v128.const i8x16 1 2 .. 16)) (global f32 (f32.const 1.5))
     * (global funcref (ref.null func)), with global 0 an imported i64. */
    static const uint8_t mod[] = {
        HDR,
        /* import "m" "g" (global i64) */
        0x02,
        0x08,
        0x01,
        0x01,
        'm',
        0x01,
        'g',
        0x03,
        0x7E,
        0x00,
        /* globals */
        0x06,
        0x2E,
        0x04,
        0x7E,
        0x00,
        0x42,
        0x7B,
        0x23,
        0x00,
        0x42,
        0x03,
        0x7D,
        0x7E,
        0x0B,
        0x7B,
        0x00,
        0xFD,
        0x0C,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        15,
        16,
        0x0B,
        0x7D,
        0x00,
        0x43,
        0x00,
        0x00,
        0xC0,
        0x3F,
        0x0B,
        0x70,
        0x00,
        0xD0,
        0x70,
        0x0B,
    };
    w_err e;
    w_module *m = dec_module_decode(mod, sizeof mod, W_FEAT_EXTENDED_CONST, NULL, &e);
    CHECK(m != NULL);
    if (!m) {
        printf("  error: %s @%zu\n", e.msg, e.offset);
        return;
    }
    CHECK(m->nglobaldefs == 4 && m->nconst_code == 8);
    const w_constexpr *x = &m->globals[0].init;
    const w_constinstr *k = &m->const_code[x->first];
    CHECK(x->count == 5 && x->offset == 23);
    CHECK(k[0].op == W_CONST_PUSH && k[0].v[0] == (uint64_t)-5 && k[0].v[1] == 0);
    CHECK(k[1].op == W_CONST_GLOBAL_GET && k[1].index == 0);
    CHECK(k[2].op == W_CONST_PUSH && k[2].v[0] == 3);
    CHECK(k[3].op == W_CONST_I64_SUB && k[4].op == W_CONST_I64_MUL);
    x = &m->globals[1].init;
    k = &m->const_code[x->first];
    CHECK(x->count == 1 && k->op == W_CONST_PUSH && k->v[0] == 0x0807060504030201ull &&
          k->v[1] == 0x100F0E0D0C0B0A09ull);
    x = &m->globals[2].init;
    k = &m->const_code[x->first];
    CHECK(x->count == 1 && k->op == W_CONST_PUSH && k->v[0] == 0x3FC00000u);
    x = &m->globals[3].init;
    k = &m->const_code[x->first];
    CHECK(x->count == 1 && k->op == W_CONST_PUSH && k->v[0] == 0);
    dec_module_free(m);
}

/* ---- w_sort (the decoder's sort of types and exports) ---------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    uint16_t key;
    uint8_t pad[9]; /* an odd size */
} rec11;

static int cmp_rec(const void *a, const void *b)
{
    return (int)((const rec11 *)a)->key - (int)((const rec11 *)b)->key;
}

static void test_sort(void)
{
    static uint32_t v[3000];
    static rec11 r[600];
    uint32_t x = 12345;
    for (size_t n = 0; n <= 3000; n = n < 20 ? n + 1 : n * 3) {
        for (size_t i = 0; i < n; i++)
            v[i] = (x = x * 1103515245u + 12345u) >> 20; /* with repeats */
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += v[i];
        w_sort(v, n, sizeof *v, cmp_u32);
        bool sorted = true;
        for (size_t i = 1; i < n; i++)
            sorted = sorted && v[i - 1] <= v[i];
        for (size_t i = 0; i < n; i++)
            sum -= v[i];
        CHECK(sorted && sum == 0);
    }
    for (size_t i = 0; i < 600; i++) {
        r[i].key = (uint16_t)(599 - i);
        memset(r[i].pad, (int)(r[i].key & 0xff), sizeof r[i].pad);
    }
    w_sort(r, 600, sizeof *r, cmp_rec);
    bool whole = true;
    for (size_t i = 0; i < 600; i++)
        whole = whole && r[i].key == i && r[i].pad[8] == (uint8_t)(i & 0xff);
    CHECK(whole);
}

int main(void)
{
    test_sort();
    test_leb();
    test_full();
    test_cases();
    test_const_decoded();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
