/* hostile.h - encoders for the hostile modules of issue 11: small inputs
 * that once made ward spend gigabytes or seconds before any limit applied.
 * Used by tests/budget/hostile.c (which writes them to files for the CLI
 * tests) and tests/unit/test_budget.c (which runs them through the API and
 * the fuzz target's budget oracle), so that no large binary is committed.
 *
 * hostile_inputs[] names each one; gen(b) appends the module to b. */
#ifndef WARD_TESTS_HOSTILE_H
#define WARD_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable byte buffer and the Wasm encodings ------------------------ */

typedef struct hbuf {
    uint8_t *p;
    size_t n, cap;
} hbuf;

static void hput(hbuf *b, const void *src, size_t n)
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

static void hbyte(hbuf *b, uint8_t v)
{
    hput(b, &v, 1);
}

static void hbytes(hbuf *b, const char *s, size_t n)
{
    hput(b, s, n);
}

static void huleb(hbuf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        hbyte(b, c | (v ? 0x80 : 0));
    } while (v);
}

static void hsleb(hbuf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7F;
        v >>= 7; /* arithmetic shift on every compiler ward supports */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            hbyte(b, c);
            return;
        }
        hbyte(b, c | 0x80);
    }
}

static void hsection(hbuf *mod, uint8_t id, hbuf *body)
{
    hbyte(mod, id);
    huleb(mod, body->n);
    hput(mod, body->p, body->n);
    body->n = 0;
}

static void hheader(hbuf *mod)
{
    hbytes(mod, "\0asm\1\0\0\0", 8);
}

/* Type section with the single type [] -> []. */
static void htype_void(hbuf *mod)
{
    hbuf s = {0};
    huleb(&s, 1);
    hbytes(&s, "\x60\x00\x00", 3);
    hsection(mod, 1, &s);
    free(s.p);
}

/* Function section: n functions of type 0. */
static void hfuncs(hbuf *mod, uint32_t n)
{
    hbuf s = {0};
    huleb(&s, n);
    for (uint32_t i = 0; i < n; i++)
        hbyte(&s, 0);
    hsection(mod, 3, &s);
    free(s.p);
}

/* Export section: function 0 as "_start". */
static void hexport_start(hbuf *mod)
{
    hbuf s = {0};
    huleb(&s, 1);
    huleb(&s, 6);
    hbytes(&s, "_start", 6);
    hbyte(&s, 0x00);
    huleb(&s, 0);
    hsection(mod, 7, &s);
    free(s.p);
}

/* Export section: function 0 as "_start" and memory 0 as "memory". */
static void hexport_start_mem(hbuf *mod)
{
    hbuf s = {0};
    huleb(&s, 2);
    huleb(&s, 6);
    hbytes(&s, "_start", 6);
    hbyte(&s, 0x00);
    huleb(&s, 0);
    huleb(&s, 6);
    hbytes(&s, "memory", 6);
    hbyte(&s, 0x02);
    huleb(&s, 0);
    hsection(mod, 7, &s);
    free(s.p);
}

/* Code section with one body: no locals, then code (which ends in `end`). */
static void hcode1(hbuf *mod, hbuf *code)
{
    hbuf s = {0};
    huleb(&s, 1);
    huleb(&s, code->n + 1);
    huleb(&s, 0); /* no local declarations */
    hput(&s, code->p, code->n);
    hsection(mod, 10, &s);
    free(s.p);
}

/* ---- the inputs ------------------------------------------------------------ */

/* Item 1: functions each declaring W_MAX_LOCALS locals in a few bytes.
 * 40,000 functions: 320 KB; 1,000,000: 8 MB. */
static void gen_locals(hbuf *m, uint32_t nfuncs, uint8_t type)
{
    hbuf s = {0};
    hheader(m);
    htype_void(m);
    hfuncs(m, nfuncs);
    huleb(&s, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) {
        hbyte(&s, 6);                  /* body size */
        hbyte(&s, 1);                  /* one group */
        hbytes(&s, "\xd0\x86\x03", 3); /* 50,000 */
        hbyte(&s, type);               /* of type */
        hbyte(&s, 0x0b);               /* end */
    }
    hsection(m, 10, &s);
    free(s.p);
}

static void gen_locals_320k(hbuf *m)
{
    gen_locals(m, 40000, 0x7f);
}

static void gen_locals_8m(hbuf *m)
{
    gen_locals(m, 1000000, 0x7f);
}

/* Calls of a function with 50,000 v128 locals (800 KB of frame to zero at
 * each call), in a loop: fuel must pay for the zeroing. */
static void gen_call_locals(hbuf *m)
{
    hbuf s = {0};
    hheader(m);
    htype_void(m);
    hfuncs(m, 2);
    hexport_start(m);
    huleb(&s, 2);
    /* 0: loop { call 1; br 0 } */
    hbytes(&s, "\x09\x00\x03\x40\x10\x01\x0c\x00\x0b\x0b", 10);
    /* 1: (local v128 x 50,000) */
    hbytes(&s, "\x06\x01\xd0\x86\x03\x7b\x0b", 7);
    hsection(m, 10, &s);
    free(s.p);
}

/* Validation and code slack per function: functions of a type with 1,000
 * results whose 8-byte bodies each make the compiler build thousands of
 * code words and stack entries (a call pushes 1,000 results, a return
 * copies them). */
static void gen_compile_slack(hbuf *m, uint32_t nfuncs)
{
    hbuf s = {0};
    hheader(m);
    huleb(&s, 1);
    hbyte(&s, 0x60);
    huleb(&s, 0);
    huleb(&s, 1000);
    for (int i = 0; i < 1000; i++)
        hbyte(&s, 0x7f);
    hsection(m, 1, &s);
    hfuncs(m, nfuncs);
    huleb(&s, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) {
        /* (local i32) unreachable; call 0; return; end: the local moves
         * the results' slots off the return slots, so return copies. */
        hbytes(&s, "\x08\x01\x01\x7f\x00\x10\x00\x0f\x0b", 9);
    }
    hsection(m, 10, &s);
    free(s.p);
}

static void gen_compile_slack_1m(hbuf *m)
{
    gen_compile_slack(m, 140000);
}

/* Item 2a: 100,000 tables of 10,000,000 funcref elements each. */
static void gen_tables_declared(hbuf *m)
{
    hbuf s = {0};
    hheader(m);
    huleb(&s, 100000);
    for (int i = 0; i < 100000; i++) {
        hbytes(&s, "\x70\x00", 2);
        huleb(&s, 10000000);
    }
    hsection(m, 4, &s);
    free(s.p);
}

/* Item 2b: 20 such tables, each filled with null by _start. */
static void gen_tables_filled(hbuf *m)
{
    hbuf s = {0}, c = {0};
    hheader(m);
    htype_void(m);
    hfuncs(m, 1);
    huleb(&s, 20);
    for (int i = 0; i < 20; i++) {
        hbytes(&s, "\x70\x00", 2);
        huleb(&s, 10000000);
    }
    hsection(m, 4, &s);
    hexport_start(m);
    for (int i = 0; i < 20; i++) {
        hbytes(&c, "\x41\x00\xd0\x70\x41", 5); /* i32.const 0, ref.null func, i32.const */
        hsleb(&c, 10000000);
        hbytes(&c, "\xfc\x11", 2); /* table.fill i */
        huleb(&c, (uint64_t)i);
    }
    hbyte(&c, 0x0b);
    hcode1(m, &c);
    free(s.p);
    free(c.p);
}

/* Item 3a: 32 memories of 64 MiB, each filled by _start. */
static void gen_memories_32x64m(hbuf *m)
{
    hbuf s = {0}, c = {0};
    hheader(m);
    htype_void(m);
    hfuncs(m, 1);
    huleb(&s, 32);
    for (int i = 0; i < 32; i++) {
        hbyte(&s, 0x00);
        huleb(&s, 1024);
    }
    hsection(m, 5, &s);
    hexport_start(m);
    for (int i = 0; i < 32; i++) {
        hbytes(&c, "\x41\x00\x41\x01\x41", 5); /* i32.const 0, i32.const 1, i32.const */
        hsleb(&c, 64 << 20);
        hbytes(&c, "\xfc\x0b", 2); /* memory.fill i */
        huleb(&c, (uint64_t)i);
    }
    hbyte(&c, 0x0b);
    hcode1(m, &c);
    free(s.p);
    free(c.p);
}

/* Item 3b: 100,000 memories of 0 pages. */
static void gen_memories_100k(hbuf *m)
{
    hbuf s = {0};
    hheader(m);
    huleb(&s, 100000);
    for (int i = 0; i < 100000; i++)
        hbytes(&s, "\x00\x00", 2);
    hsection(m, 5, &s);
    free(s.p);
}

/* Item 3c: a memory64 of 64 TiB (2^30 pages), written by _start at its
 * first, a middle and its last 8 bytes. */
static void gen_memory64_64t(hbuf *m)
{
    hbuf s = {0}, c = {0};
    static const uint64_t at[3] = {0, 1ull << 45, (1ull << 46) - 8};
    hheader(m);
    htype_void(m);
    hfuncs(m, 1);
    huleb(&s, 1);
    hbyte(&s, 0x04);
    huleb(&s, 1ull << 30);
    hsection(m, 5, &s);
    hexport_start(m);
    for (int i = 0; i < 3; i++) {
        hbyte(&c, 0x42); /* i64.const address */
        hsleb(&c, (int64_t)at[i]);
        hbytes(&c, "\x42\x7f", 2);     /* i64.const -1 */
        hbytes(&c, "\x37\x03\x00", 3); /* i64.store align=8 offset=0 */
    }
    hbyte(&c, 0x0b);
    hcode1(m, &c);
    free(s.p);
    free(c.p);
}

/* Item 6: a 4 GiB memory that _start fills, all of it but one byte, in an
 * endless loop. */
static void gen_fill_loop(hbuf *m)
{
    hbuf s = {0}, c = {0};
    hheader(m);
    htype_void(m);
    hfuncs(m, 1);
    huleb(&s, 1);
    hbyte(&s, 0x00);
    huleb(&s, 65536);
    hsection(m, 5, &s);
    hexport_start(m);
    /* loop { memory.fill(0, 1, 0xffffffff); br 0 } */
    hbytes(&c, "\x03\x40\x41\x00\x41\x01\x41\x7f\xfc\x0b\x00\x0c\x00\x0b\x0b", 15);
    hcode1(m, &c);
    free(s.p);
    free(c.p);
}

/* The same loop over a 1 GiB memory (exported) and 1 GiB fills: large
 * enough that one fill takes a while. */
static void gen_fill_loop_1g(hbuf *m)
{
    hbuf s = {0}, c = {0};
    hheader(m);
    htype_void(m);
    hfuncs(m, 1);
    huleb(&s, 1);
    hbyte(&s, 0x00);
    huleb(&s, 16384);
    hsection(m, 5, &s);
    hexport_start_mem(m);
    hbytes(&c, "\x03\x40\x41\x00\x41\x01\x41", 7);
    hsleb(&c, 1 << 30);
    hbytes(&c, "\xfc\x0b\x00\x0c\x00\x0b\x0b", 7);
    hcode1(m, &c);
    free(s.p);
    free(c.p);
}

static const struct {
    const char *name;
    void (*gen)(hbuf *);
} hostile_inputs[] = {
    {"locals_320k", gen_locals_320k},         {"locals_8m", gen_locals_8m},
    {"call_locals", gen_call_locals},         {"compile_slack", gen_compile_slack_1m},
    {"tables_declared", gen_tables_declared}, {"tables_filled", gen_tables_filled},
    {"memories_32x64m", gen_memories_32x64m}, {"memories_100k", gen_memories_100k},
    {"memory64_64t", gen_memory64_64t},       {"fill_loop", gen_fill_loop},
    {"fill_loop_1g", gen_fill_loop_1g},
};

#define HOSTILE_COUNT (sizeof hostile_inputs / sizeof hostile_inputs[0])

/* The module called `name` in a new buffer (*len bytes; free() it), or NULL. */
static uint8_t *hostile_module(const char *name, size_t *len)
{
    for (size_t i = 0; i < HOSTILE_COUNT; i++) {
        if (strcmp(hostile_inputs[i].name, name) != 0) continue;
        hbuf m = {0};
        hostile_inputs[i].gen(&m);
        *len = m.n;
        return m.p;
    }
    return NULL;
}

#endif
