/* decode.h - the decode layer's interface: a decoded, validated module (immutable once built).
 *
 * Produced by dec_module_decode() (decode.c), which checks the whole binary
 * format and every module-level rule; function bodies are validated and
 * compiled separately by cmp_compile_module() (compile.c). The module owns a
 * private copy of the input bytes; every `const uint8_t *` below points into
 * that copy and stays valid as long as the module lives.
 */
#ifndef WARD_MODULE_H
#define WARD_MODULE_H

#include "base/base.h"

/* Features beyond Wasm 2.0. Wasm 2.0 itself (sign-extension, non-trapping
 * float-to-int, multi-value, bulk memory, reference types, SIMD) is always on. */
enum {
    W_FEAT_MEMORY64 = 1u << 0,
    W_FEAT_MULTI_MEMORY = 1u << 1,
    W_FEAT_EXTENDED_CONST = 1u << 2,
    /* Cage's instructions (prefix 0xFA, docs/cage.md): segment.new,
     * segment.set_tag, segment.free; the pointer_sign/auth/strip forms. */
    W_FEAT_MEM_SAFETY = 1u << 3,
    W_FEAT_PTR_AUTH = 1u << 4,
};

/* What a module's code uses of those (w_module.cage_uses). */
enum { W_CAGE_SEGMENTS = 1u << 0, W_CAGE_POINTERS = 1u << 1 };

/* Implementation limits (same spirit as the JS API's limits). Exceeding one is
 * a validation error that names the limit. */
#define W_MAX_TYPES 1000000u
#define W_MAX_FUNCS 1000000u
#define W_MAX_IMPORTS 100000u
#define W_MAX_EXPORTS 100000u
#define W_MAX_GLOBALS 1000000u
#define W_MAX_DATA_SEGS 100000u
#define W_MAX_ELEM_SEGS 10000000u
#define W_MAX_TABLES 100000u
#define W_MAX_MEMORIES 100000u
#define W_MAX_PARAMS 1000u
#define W_MAX_RESULTS 1000u
#define W_MAX_LOCALS 50000u /* per function, params included */
#define W_MAX_BODY_SIZE 7654321u
#define W_MAX_TABLE_SIZE 10000000u

enum { W_EXT_FUNC = 0, W_EXT_TABLE = 1, W_EXT_MEMORY = 2, W_EXT_GLOBAL = 3 };

typedef struct w_functype {
    uint32_t nparams, nresults;
    w_valtype *params;     /* nparams entries */
    w_valtype *results;    /* nresults entries */
    uint32_t param_slots;  /* sum of w_slots_of(params) */
    uint32_t result_slots; /* sum of w_slots_of(results) */
    /* Index of the first type in the module that is structurally equal to this
     * one (so equal types within a module compare by canon index). */
    uint32_t canon;
} w_functype;

typedef struct w_limits {
    uint64_t min, max; /* max valid only if has_max; in pages (memory) or elements (table) */
    bool has_max;
    bool is64;   /* memory64 index type */
    bool shared; /* threads proposal: decoded but rejected for now */
} w_limits;

typedef struct w_tabletype {
    w_valtype elem; /* W_FUNCREF or W_EXTERNREF */
    w_limits lim;
} w_tabletype;

typedef struct w_memtype {
    w_limits lim;
} w_memtype;

typedef struct w_globaltype {
    w_valtype type;
    bool mut;
} w_globaltype;

/* Constant expressions are decoded and validated once, by the decoder, into
 * a short program for a stack machine whose values are in the frame slot
 * encoding (exec/ir.h: i32 and f32 zero-extended to 64 bits, v128 in two
 * words, references as pointers, null as 0). rt_eval_const() runs it at
 * instantiation and never looks at the binary. */
typedef enum w_constop {
    W_CONST_PUSH,       /* push v (every t.const, and ref.null as 0) */
    W_CONST_GLOBAL_GET, /* push the value of global `index` */
    W_CONST_REF_FUNC,   /* push a reference to function `index` */
    W_CONST_I32_ADD,    /* extended-const: pop b, pop a, push a op b */
    W_CONST_I32_SUB,
    W_CONST_I32_MUL,
    W_CONST_I64_ADD,
    W_CONST_I64_SUB,
    W_CONST_I64_MUL,
} w_constop;

typedef struct w_constinstr {
    uint8_t op;     /* W_CONST_* */
    uint32_t index; /* GLOBAL_GET, REF_FUNC: validated against the module */
    uint64_t v[2];  /* PUSH */
} w_constinstr;

/* The deepest operand stack a constant expression may need; deeper ones
 * are refused as an implementation limit, so evaluation needs no heap. */
#define W_MAX_CONST_DEPTH 64

/* A constant expression: instructions [first, first + count) of the
 * module's const_code, which leave exactly one value of the expected type. */
typedef struct w_constexpr {
    uint32_t first, count;
    size_t offset; /* byte offset in the module, for error messages */
} w_constexpr;

typedef struct w_import {
    const char *module; /* NUL-terminated copies (names may contain NUL: use *_len) */
    const char *name;
    uint32_t module_len, name_len;
    uint8_t kind; /* W_EXT_* */
    union {
        uint32_t func_type; /* type index */
        w_tabletype table;
        w_memtype mem;
        w_globaltype global;
    } u;
} w_import;

typedef struct w_export {
    const char *name; /* NUL-terminated copy */
    uint32_t name_len;
    uint8_t kind; /* W_EXT_* */
    uint32_t index;
} w_export;

typedef struct w_global {
    w_globaltype type;
    w_constexpr init;
} w_global;

/* A run of `count` declared locals of one type, as the binary declares
 * them: a body declaring 50,000 locals in five bytes costs one group, not
 * 50,000 entries. */
typedef struct w_localgroup {
    uint32_t count;
    w_valtype type;
} w_localgroup;

/* A function defined in the module (imports are not in this array). */
typedef struct w_funcdef {
    uint32_t type;        /* type index */
    uint32_t nlocals;     /* declared locals, params excluded */
    uint32_t ngroups;     /* entries of groups (empty groups left out) */
    w_localgroup *groups; /* the declarations, in order; NULL if none */
    const uint8_t *body;  /* instruction bytes after the local declarations, up to and
                             including the final `end` */
    size_t body_len;
    size_t body_offset;  /* module byte offset of body[0] */
    size_t entry_offset; /* module byte offset of the code entry's size field */
} w_funcdef;

enum { W_SEG_ACTIVE = 0, W_SEG_PASSIVE = 1, W_SEG_DECLARATIVE = 2 };

typedef struct w_elemseg {
    uint8_t mode;       /* W_SEG_* */
    w_valtype type;     /* W_FUNCREF or W_EXTERNREF */
    uint32_t table;     /* active only */
    w_constexpr offset; /* active only */
    uint32_t count;
    /* Exactly one of these is set: plain function indexes (the legacy
     * encodings 0-3), or one constant expression per item (encodings 4-7). */
    uint32_t *funcs;
    w_constexpr *exprs;
} w_elemseg;

typedef struct w_dataseg {
    uint8_t mode;       /* W_SEG_ACTIVE or W_SEG_PASSIVE */
    uint32_t mem;       /* active only */
    w_constexpr offset; /* active only */
    const uint8_t *bytes;
    size_t len;
} w_dataseg;

typedef struct w_module {
    uint8_t *bytes; /* owned copy of the binary */
    size_t size;
    uint32_t features; /* W_FEAT_* the module was decoded with */

    uint32_t ntypes;
    w_functype *types;

    uint32_t nimports;
    w_import *imports;
    /* Counts of imported entities; imported ones come first in each index space. */
    uint32_t nimported_funcs, nimported_tables, nimported_mems, nimported_globals;

    /* Whole index spaces (imports first), for validation and instantiation. */
    uint32_t nfuncs;      /* imported + defined */
    uint32_t *func_types; /* nfuncs entries: type index of every function */
    uint32_t ntables;
    w_tabletype *tables; /* ntables entries */
    uint32_t nmems;
    w_memtype *mems; /* nmems entries */
    uint32_t nglobals;
    w_globaltype *global_types; /* nglobals entries */

    uint32_t nfuncdefs; /* = nfuncs - nimported_funcs */
    w_funcdef *funcdefs;
    uint32_t nglobaldefs; /* = nglobals - nimported_globals */
    w_global *globals;    /* defined globals only */

    uint32_t nexports;
    w_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    w_elemseg *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    w_dataseg *datas;

    /* The instructions of every constant expression (w_constexpr). */
    w_constinstr *const_code;
    uint32_t nconst_code;

    /* Functions that may be referenced by ref.func in function bodies: those
     * named in exports, element segments, or globals' initialisers (C.refs).
     * Bitmap of nfuncs bits. */
    uint8_t *declared_refs;

    /* From the "name" custom section, if present and well-formed (a malformed
     * name section is ignored, as the spec allows). NULL entries = no name. */
    char *module_name;
    char **func_names; /* nfuncs entries or NULL */

    /* Compiled code, attached by cmp_compile_module() (exec/ir.h); the
     * decode layer never looks at it: whoever attached it frees it first. */
    struct w_codeset *code;
    uint8_t cage_uses; /* W_CAGE_*: set with code by cmp_compile_module */
    unsigned refcount;
} w_module;

/* Decodes and validates everything but function bodies. On success returns a
 * module that the caller frees with dec_module_free(); on failure returns NULL
 * and fills *err (offset + rule). `bytes` is copied; the caller keeps it.
 * Whatever the input, the module takes memory in proportion to its size.
 * If *stop (may be NULL) becomes nonzero meanwhile, decoding gives up with
 * the message dec_msg_stopped. */
w_module *dec_module_decode(const uint8_t *bytes, size_t len, uint32_t features,
                            const atomic_int *stop, w_err *err);
extern const char dec_msg_stopped[];
void dec_module_free(w_module *m);

/* Structural equality of function types (import matching, call_indirect
 * across modules). */
bool dec_functype_equal(const w_functype *a, const w_functype *b);

/* Reads one LEB128 value. These are the only LEB readers in ward (compile.c
 * uses them too). On error they set *err (with the offset of the value) and
 * return false: "integer representation too long", "integer too large",
 * "unexpected end". `*p` advances past the value on success. */
typedef struct w_reader {
    const uint8_t *base; /* start of the module (offsets are relative to it) */
    const uint8_t *p;    /* current position */
    const uint8_t *end;  /* end of the current section/body */
    w_err *err;
    const uint8_t *lim; /* end of the module, or NULL: how far a LEB128 value may be
                           read to classify it (see dec_leb) */
} w_reader;

bool dec_u32(w_reader *r, uint32_t *out);
bool dec_s32(w_reader *r, int32_t *out);
bool dec_s33(w_reader *r, int64_t *out); /* block types */
bool dec_u64(w_reader *r, uint64_t *out);
bool dec_s64(w_reader *r, int64_t *out);
bool dec_byte(w_reader *r, uint8_t *out);
bool dec_bytes(w_reader *r, size_t n, const uint8_t **out);
W_INLINE size_t dec_offset(const w_reader *r)
{
    return (size_t)(r->p - r->base);
}

/* Name of function `idx` from the name section, or NULL. */
W_INLINE const char *w_module_func_name(const w_module *m, uint32_t idx)
{
    return (m->func_names && idx < m->nfuncs) ? m->func_names[idx] : NULL;
}

/* Is function `idx` declared for ref.func (C.refs)? */
W_INLINE bool w_module_func_declared(const w_module *m, uint32_t idx)
{
    return idx < m->nfuncs && (m->declared_refs[idx >> 3] >> (idx & 7)) & 1;
}

#endif
