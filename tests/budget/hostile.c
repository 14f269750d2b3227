/* hostile.c - writes the hostile modules of issue 11 (small inputs that
 * once made ward spend gigabytes or seconds before any limit applied), so
 * that no large binary has to be committed.
 *
 *   hostile OUTDIR [NAME...]   writes OUTDIR/NAME.wasm for each NAME (all by default)
 *
 * Each module is encoded by hand below; tests/budget/run.sh runs them
 * under `ward run` and checks that each ends in a clean error, or under
 * its limits, in bounded time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable byte buffer and the Wasm encodings ------------------------ */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) {
            perror("hostile");
            exit(1);
        }
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void byte(buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void bytes(buf *b, const char *s, size_t n)
{
    put(b, s, n);
}

static void uleb(buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        byte(b, c | (v ? 0x80 : 0));
    } while (v);
}

static void sleb(buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7F;
        v >>= 7; /* arithmetic shift on every compiler ward supports */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            byte(b, c);
            return;
        }
        byte(b, c | 0x80);
    }
}

static void section(buf *mod, uint8_t id, buf *body)
{
    byte(mod, id);
    uleb(mod, body->n);
    put(mod, body->p, body->n);
    body->n = 0;
}

static void header(buf *mod)
{
    bytes(mod, "\0asm\1\0\0\0", 8);
}

/* Type section with the single type [] -> []. */
static void type_void(buf *mod)
{
    buf s = {0};
    uleb(&s, 1);
    bytes(&s, "\x60\x00\x00", 3);
    section(mod, 1, &s);
    free(s.p);
}

/* Function section: n functions of type 0. */
static void funcs(buf *mod, uint32_t n)
{
    buf s = {0};
    uleb(&s, n);
    for (uint32_t i = 0; i < n; i++)
        byte(&s, 0);
    section(mod, 3, &s);
    free(s.p);
}

/* Export section: function 0 as "_start". */
static void export_start(buf *mod)
{
    buf s = {0};
    uleb(&s, 1);
    uleb(&s, 6);
    bytes(&s, "_start", 6);
    byte(&s, 0x00);
    uleb(&s, 0);
    section(mod, 7, &s);
    free(s.p);
}

/* Code section with one body: no locals, then code (which ends in `end`). */
static void code1(buf *mod, buf *code)
{
    buf s = {0};
    uleb(&s, 1);
    uleb(&s, code->n + 1);
    uleb(&s, 0); /* no local declarations */
    put(&s, code->p, code->n);
    section(mod, 10, &s);
    free(s.p);
}

/* ---- the inputs ------------------------------------------------------------ */

/* Item 1: functions each declaring W_MAX_LOCALS locals in a few bytes.
 * 40,000 functions: 320 KB; 1,000,000: 8 MB. */
static void gen_locals(buf *m, uint32_t nfuncs, uint8_t type)
{
    buf s = {0};
    header(m);
    type_void(m);
    funcs(m, nfuncs);
    uleb(&s, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) {
        byte(&s, 6);                  /* body size */
        byte(&s, 1);                  /* one group */
        bytes(&s, "\xd0\x86\x03", 3); /* 50,000 */
        byte(&s, type);               /* of type */
        byte(&s, 0x0b);               /* end */
    }
    section(m, 10, &s);
    free(s.p);
}

static void gen_locals_320k(buf *m)
{
    gen_locals(m, 40000, 0x7f);
}

static void gen_locals_8m(buf *m)
{
    gen_locals(m, 1000000, 0x7f);
}

/* Calls of a function with 50,000 v128 locals (800 KB of frame to zero at
 * each call), in a loop: fuel must pay for the zeroing. */
static void gen_call_locals(buf *m)
{
    buf s = {0};
    header(m);
    type_void(m);
    funcs(m, 2);
    export_start(m);
    uleb(&s, 2);
    /* 0: loop { call 1; br 0 } */
    bytes(&s, "\x09\x00\x03\x40\x10\x01\x0c\x00\x0b\x0b", 10);
    /* 1: (local v128 x 50,000) */
    bytes(&s, "\x06\x01\xd0\x86\x03\x7b\x0b", 7);
    section(m, 10, &s);
    free(s.p);
}

/* Validation and code slack per function: functions of a type with 1,000
 * results whose 8-byte bodies each make the compiler build thousands of
 * code words and stack entries (a call pushes 1,000 results, a return
 * copies them). */
static void gen_compile_slack(buf *m, uint32_t nfuncs)
{
    buf s = {0};
    header(m);
    uleb(&s, 1);
    byte(&s, 0x60);
    uleb(&s, 0);
    uleb(&s, 1000);
    for (int i = 0; i < 1000; i++)
        byte(&s, 0x7f);
    section(m, 1, &s);
    funcs(m, nfuncs);
    uleb(&s, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) {
        /* (local i32) unreachable; call 0; return; end: the local moves
         * the results' slots off the return slots, so return copies. */
        bytes(&s, "\x08\x01\x01\x7f\x00\x10\x00\x0f\x0b", 9);
    }
    section(m, 10, &s);
    free(s.p);
}

static void gen_compile_slack_1m(buf *m)
{
    gen_compile_slack(m, 140000);
}

/* Item 2a: 100,000 tables of 10,000,000 funcref elements each. */
static void gen_tables_declared(buf *m)
{
    buf s = {0};
    header(m);
    uleb(&s, 100000);
    for (int i = 0; i < 100000; i++) {
        bytes(&s, "\x70\x00", 2);
        uleb(&s, 10000000);
    }
    section(m, 4, &s);
    free(s.p);
}

/* Item 2b: 20 such tables, each filled with null by _start. */
static void gen_tables_filled(buf *m)
{
    buf s = {0}, c = {0};
    header(m);
    type_void(m);
    funcs(m, 1);
    uleb(&s, 20);
    for (int i = 0; i < 20; i++) {
        bytes(&s, "\x70\x00", 2);
        uleb(&s, 10000000);
    }
    section(m, 4, &s);
    export_start(m);
    for (int i = 0; i < 20; i++) {
        bytes(&c, "\x41\x00\xd0\x70\x41", 5); /* i32.const 0, ref.null func, i32.const */
        sleb(&c, 10000000);
        bytes(&c, "\xfc\x11", 2); /* table.fill i */
        uleb(&c, (uint64_t)i);
    }
    byte(&c, 0x0b);
    code1(m, &c);
    free(s.p);
    free(c.p);
}

/* Item 3a: 32 memories of 64 MiB, each filled by _start. */
static void gen_memories_32x64m(buf *m)
{
    buf s = {0}, c = {0};
    header(m);
    type_void(m);
    funcs(m, 1);
    uleb(&s, 32);
    for (int i = 0; i < 32; i++) {
        byte(&s, 0x00);
        uleb(&s, 1024);
    }
    section(m, 5, &s);
    export_start(m);
    for (int i = 0; i < 32; i++) {
        bytes(&c, "\x41\x00\x41\x01\x41", 5); /* i32.const 0, i32.const 1, i32.const */
        sleb(&c, 64 << 20);
        bytes(&c, "\xfc\x0b", 2); /* memory.fill i */
        uleb(&c, (uint64_t)i);
    }
    byte(&c, 0x0b);
    code1(m, &c);
    free(s.p);
    free(c.p);
}

/* Item 3b: 100,000 memories of 0 pages. */
static void gen_memories_100k(buf *m)
{
    buf s = {0};
    header(m);
    uleb(&s, 100000);
    for (int i = 0; i < 100000; i++)
        bytes(&s, "\x00\x00", 2);
    section(m, 5, &s);
    free(s.p);
}

/* Item 3c: a memory64 of 64 TiB (2^30 pages), written by _start at its
 * first, a middle and its last 8 bytes. */
static void gen_memory64_64t(buf *m)
{
    buf s = {0}, c = {0};
    static const uint64_t at[3] = {0, 1ull << 45, (1ull << 46) - 8};
    header(m);
    type_void(m);
    funcs(m, 1);
    uleb(&s, 1);
    byte(&s, 0x04);
    uleb(&s, 1ull << 30);
    section(m, 5, &s);
    export_start(m);
    for (int i = 0; i < 3; i++) {
        byte(&c, 0x42); /* i64.const address */
        sleb(&c, (int64_t)at[i]);
        bytes(&c, "\x42\x7f", 2);     /* i64.const -1 */
        bytes(&c, "\x37\x03\x00", 3); /* i64.store align=8 offset=0 */
    }
    byte(&c, 0x0b);
    code1(m, &c);
    free(s.p);
    free(c.p);
}

/* Item 6: a 4 GiB memory that _start fills, all of it but one byte, in an
 * endless loop. */
static void gen_fill_loop(buf *m)
{
    buf s = {0}, c = {0};
    header(m);
    type_void(m);
    funcs(m, 1);
    uleb(&s, 1);
    byte(&s, 0x00);
    uleb(&s, 65536);
    section(m, 5, &s);
    export_start(m);
    /* loop { memory.fill(0, 1, 0xffffffff); br 0 } */
    bytes(&c, "\x03\x40\x41\x00\x41\x01\x41\x7f\xfc\x0b\x00\x0c\x00\x0b\x0b", 15);
    code1(m, &c);
    free(s.p);
    free(c.p);
}

/* The same loop over a 1 GiB memory and 1 GiB fills: small enough for the
 * default instance budget, large enough that one fill takes a while. */
static void gen_fill_loop_1g(buf *m)
{
    buf s = {0}, c = {0};
    header(m);
    type_void(m);
    funcs(m, 1);
    uleb(&s, 1);
    byte(&s, 0x00);
    uleb(&s, 16384);
    section(m, 5, &s);
    export_start(m);
    bytes(&c, "\x03\x40\x41\x00\x41\x01\x41", 7);
    sleb(&c, 1 << 30);
    bytes(&c, "\xfc\x0b\x00\x0c\x00\x0b\x0b", 7);
    code1(m, &c);
    free(s.p);
    free(c.p);
}

static const struct {
    const char *name;
    void (*gen)(buf *);
} inputs[] = {
    {"locals_320k", gen_locals_320k},         {"locals_8m", gen_locals_8m},
    {"call_locals", gen_call_locals},         {"compile_slack", gen_compile_slack_1m},
    {"tables_declared", gen_tables_declared}, {"tables_filled", gen_tables_filled},
    {"memories_32x64m", gen_memories_32x64m}, {"memories_100k", gen_memories_100k},
    {"memory64_64t", gen_memory64_64t},       {"fill_loop", gen_fill_loop},
    {"fill_loop_1g", gen_fill_loop_1g},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hostile OUTDIR [NAME...]\n");
        return 2;
    }
    size_t n = sizeof inputs / sizeof inputs[0];
    for (size_t i = 0; i < n; i++) {
        bool want = argc == 2;
        for (int a = 2; a < argc; a++)
            want = want || strcmp(argv[a], inputs[i].name) == 0;
        if (!want) continue;
        buf m = {0};
        inputs[i].gen(&m);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wasm", argv[1], inputs[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(m.p, 1, m.n, f) != m.n || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        free(m.p);
    }
    return 0;
}
