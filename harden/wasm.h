/* wasm.h - the module reader and writer of `ward harden` (harden.h).
 *
 * The rewriter works outside the trusted runtime, on bytes the caller has
 * already validated with ward_module_new; still, every read here is bounds
 * checked and an error is sticky: once a reader fails it returns zeros and
 * its message says where, so a malformed module ends in an error, never in
 * a crash. Prefix hdw_.
 */
#ifndef WARD_HARDEN_WASM_H
#define WARD_HARDEN_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing output buffer; `oom` is sticky. */
typedef struct hdw_buf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} hdw_buf;

void hdw_put(hdw_buf *b, const void *src, size_t n);
void hdw_byte(hdw_buf *b, uint8_t v);
void hdw_u32(hdw_buf *b, uint32_t v);              /* unsigned LEB128 */
void hdw_s64(hdw_buf *b, int64_t v);               /* signed LEB128 (i32.const, i64.const) */
void hdw_str(hdw_buf *b, const char *s, size_t n); /* a name: length, bytes */
/* A section: id, size, body. */
void hdw_put_section(hdw_buf *out, uint8_t id, const hdw_buf *body);
void hdw_free(hdw_buf *b);

/* A reader over [p, end); `err` is NULL until something fails. */
typedef struct hdw_rd {
    const uint8_t *p, *end, *base;
    const char *err;
} hdw_rd;

uint8_t hdw_get_byte(hdw_rd *r);
uint32_t hdw_get_u32(hdw_rd *r);
uint64_t hdw_get_u64(hdw_rd *r);
int64_t hdw_get_s64(hdw_rd *r, unsigned bits);
const uint8_t *hdw_get_bytes(hdw_rd *r, size_t n);
void hdw_fail(hdw_rd *r, const char *msg);

/* ---- the module -------------------------------------------------------------------- */

typedef struct hdw_type {
    uint32_t np, nr;
    const uint8_t *params, *results;
} hdw_type;

typedef struct hdw_section {
    uint8_t id;
    const uint8_t *body;
    size_t len;
    const uint8_t *name; /* custom sections: name (not 0-terminated) */
    uint32_t name_len;
} hdw_section;

typedef struct hdw_export {
    const uint8_t *name;
    uint32_t name_len;
    uint8_t kind;
    uint32_t idx;
} hdw_export;

typedef struct hdw_module {
    hdw_section *secs;
    size_t nsecs;
    hdw_type *types;
    uint32_t ntypes;
    uint32_t nfimports, nfuncs; /* imported functions, all functions */
    uint32_t *ftype;            /* type of every function */
    uint32_t nglobals;          /* imported and defined */
    uint8_t *gtype, *gmut;      /* of every global */
    uint32_t nmems;
    bool mem64;       /* memory 0 is a memory64 */
    uint64_t mem_min; /* memory 0's initial pages */
    hdw_export *exports;
    uint32_t nexports;
    const uint8_t **body; /* code of every defined function */
    uint32_t *body_len;
    /* From the "name" section: function and global names (NULL if none). */
    const uint8_t **fname;
    uint32_t *fname_len;
    const uint8_t **gname;
    uint32_t *gname_len;
    bool has_names;
} hdw_module;

/* Parses a module; false with *err set (a static string) if malformed. */
bool hdw_parse(hdw_module *m, const uint8_t *bytes, size_t len, const char **err);
void hdw_module_free(hdw_module *m);
/* Whether a name (pointer and length) equals the C string s. */
bool hdw_name_is(const uint8_t *name, uint32_t len, const char *s);

/* ---- instructions ------------------------------------------------------------------ */

/* One decoded instruction: opcode, sub-opcode for the prefixes 0xFA, 0xFC
 * and 0xFD, and the immediates the rewriter looks at. [start, end) is its
 * encoding. */
typedef struct hdw_instr {
    const uint8_t *start, *end;
    uint8_t op;
    uint32_t sub;
    uint32_t idx;  /* call, local.*, global.*, br, br_if, ref.func */
    int64_t value; /* i32.const, i64.const */
} hdw_instr;

/* Decodes the next instruction; false (with r->err) if it is malformed or
 * one the rewriter does not know. */
bool hdw_next(hdw_rd *r, hdw_instr *in);

#endif
