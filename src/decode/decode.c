/* decode.c - the binary decoder and module-level validator.
 *
 * dec_module_decode() reads a whole Wasm 2.0 binary (plus the memory64,
 * multi-memory and extended-const proposals when enabled), checks every rule
 * of the binary format and of "Validation > Modules" except function bodies,
 * and builds a w_module. Function bodies are only delimited here; compile.c
 * validates and compiles them with the LEB128 readers defined below.
 *
 * Hostile input: every count is checked against the bytes that remain
 * before anything is allocated for it, so allocation is bounded by the input
 * size (and by the limits in module.h). Lookups that could be quadratic
 * (type canonicalisation, duplicate export names) sort instead.
 *
 * Error messages are the spec test suite's texts, so that a runner can
 * compare them by prefix; offsets are module byte offsets.
 */
#include "decode/decode.h"

static const char dec_msg_eos[] = "unexpected end of section or function";
const char dec_msg_stopped[] = "stopped: deadline exceeded or interrupted";

/* ---- LEB128 and byte readers ----------------------------------------------- */

/* Slow path shared by all LEB readers: reads at most ceil(bits/7) bytes.
 * In the last byte the bits beyond `bits` must be a zero extension
 * (unsigned) or a sign extension (signed) of the value. */
static W_NOINLINE bool dec_leb(w_reader *r, unsigned bits, bool is_signed, uint64_t *out)
{
    const uint8_t *start = r->p, *p = r->p;
    /* The reference reads a value from the module's byte stream and checks
     * the section's end afterwards, so a value running past the end is
     * judged as a number first ("too long", "too large") and only then as
     * "unexpected end". */
    const uint8_t *lim = r->lim && r->lim > r->end ? r->lim : r->end;
    unsigned maxbytes = (bits + 6) / 7;
    unsigned shift = 0;
    uint64_t result = 0;
    uint8_t b = 0;

    for (unsigned i = 0; i < maxbytes; i++) {
        if (p >= lim) {
            w_fail(r->err, W_ERR_UNEXPECTED_END, (size_t)(start - r->base), dec_msg_eos);
            return false;
        }
        b = *p++;
        if (i == maxbytes - 1) {
            unsigned used = bits - shift; /* value bits in this byte: 1..7 */
            if (b & 0x80) {
                w_fail(r->err, W_ERR_INTEGER_TOO_LONG, (size_t)(start - r->base),
                       "integer representation too long");
                return false;
            }
            if (!is_signed) {
                if (b >> used) {
                    w_fail(r->err, W_ERR_INTEGER_TOO_LARGE, (size_t)(start - r->base),
                           "integer too large");
                    return false;
                }
            } else {
                /* Bits used-1 .. 6 (the sign bit and everything above it)
                 * must be all zeros or all ones. */
                uint8_t mask = (uint8_t)((0x7Fu >> (used - 1)) << (used - 1));
                uint8_t hi = b & mask;
                if (hi != 0 && hi != mask) {
                    w_fail(r->err, W_ERR_INTEGER_TOO_LARGE, (size_t)(start - r->base),
                           "integer too large");
                    return false;
                }
            }
        }
        result |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (p > r->end) {
        w_fail(r->err, W_ERR_UNEXPECTED_END, (size_t)(start - r->base), dec_msg_eos);
        return false;
    }
    if (is_signed && shift < 64 && (b & 0x40)) result |= ~0ull << shift;
    r->p = p;
    *out = result;
    return true;
}

bool dec_u32(w_reader *r, uint32_t *out)
{
    uint64_t v;
    if (W_LIKELY(r->p < r->end && *r->p < 0x80)) {
        *out = *r->p++;
        return true;
    }
    if (!dec_leb(r, 32, false, &v)) return false;
    *out = (uint32_t)v;
    return true;
}

bool dec_s32(w_reader *r, int32_t *out)
{
    uint64_t v;
    if (W_LIKELY(r->p < r->end && *r->p < 0x80)) {
        uint8_t b = *r->p++;
        *out = (b & 0x40) ? (int32_t)b - 0x80 : (int32_t)b;
        return true;
    }
    if (!dec_leb(r, 32, true, &v)) return false;
    *out = (int32_t)(uint32_t)v;
    return true;
}

bool dec_s33(w_reader *r, int64_t *out)
{
    uint64_t v;
    if (W_LIKELY(r->p < r->end && *r->p < 0x80)) { /* block types are one byte */
        uint8_t b = *r->p++;
        *out = (b & 0x40) ? (int64_t)b - 0x80 : (int64_t)b;
        return true;
    }
    if (!dec_leb(r, 33, true, &v)) return false;
    *out = (int64_t)v;
    return true;
}

bool dec_u64(w_reader *r, uint64_t *out)
{
    if (W_LIKELY(r->p < r->end && *r->p < 0x80)) {
        *out = *r->p++;
        return true;
    }
    return dec_leb(r, 64, false, out);
}

bool dec_s64(w_reader *r, int64_t *out)
{
    uint64_t v;
    if (W_LIKELY(r->p < r->end && *r->p < 0x80)) {
        uint8_t b = *r->p++;
        *out = (b & 0x40) ? (int64_t)b - 0x80 : (int64_t)b;
        return true;
    }
    if (!dec_leb(r, 64, true, &v)) return false;
    *out = (int64_t)v;
    return true;
}

bool dec_byte(w_reader *r, uint8_t *out)
{
    if (W_UNLIKELY(r->p >= r->end)) {
        w_fail(r->err, W_ERR_UNEXPECTED_END, dec_offset(r), dec_msg_eos);
        return false;
    }
    *out = *r->p++;
    return true;
}

bool dec_bytes(w_reader *r, size_t n, const uint8_t **out)
{
    if (W_UNLIKELY(n > (size_t)(r->end - r->p))) {
        w_fail(r->err, W_ERR_UNEXPECTED_END, dec_offset(r), dec_msg_eos);
        return false;
    }
    *out = r->p;
    r->p += n;
    return true;
}

/* ---- decoder state ------------------------------------------------------------ */

/* Section order ranks: the binary format's order, with datacount (id 12)
 * placed between element (9) and code (10). */
enum {
    DEC_RANK_TYPE = 1,
    DEC_RANK_IMPORT,
    DEC_RANK_FUNC,
    DEC_RANK_TABLE,
    DEC_RANK_MEM,
    DEC_RANK_GLOBAL,
    DEC_RANK_EXPORT,
    DEC_RANK_START,
    DEC_RANK_ELEM,
    DEC_RANK_DATACOUNT,
    DEC_RANK_CODE,
    DEC_RANK_DATA,
};

typedef struct dec_ctx {
    w_module *m;
    w_err *err;
    uint32_t features;
    bool funcs_built, tables_built, mems_built, globals_built;
    bool has_code, has_data;
    bool code_mismatch;      /* code entries != function declarations */
    uint32_t cap_const_code; /* capacity of m->const_code */
    size_t code_mismatch_at;
    /* First "name" custom section, parsed once everything else is known. */
    const uint8_t *names, *names_end;
    const atomic_int *stop; /* set asynchronously: give up (deadline, interrupt) */
} dec_ctx;

/* Checked every 1,024 entries of every section: decoding is linear in the
 * input, but a deadline set before loading must also cut a long one short. */
static bool dec_poll(dec_ctx *c, uint32_t i)
{
    if ((i & 1023) != 0 || !c->stop || !atomic_load_explicit(c->stop, memory_order_relaxed))
        return true;
    return w_fail_nooff(c->err, W_ERR_STOPPED, "%s", dec_msg_stopped);
}

static size_t dec_left(const w_reader *r)
{
    return (size_t)(r->end - r->p);
}

/* Reads a vector length and checks it against the limit and against the
 * bytes left (each entry takes at least min_bytes), so that the caller can
 * allocate `*n` entries safely. */
static bool dec_count(w_reader *r, size_t min_bytes, uint32_t limit, const char *what, uint32_t *n)
{
    size_t at = dec_offset(r);
    if (!dec_u32(r, n)) return false;
    if (*n > limit) {
        w_fail(r->err, W_ERR_IMPLEMENTATION_LIMIT, at, "too many %s (limit %u)", what, limit);
        return false;
    }
    if ((size_t)*n > dec_left(r) / min_bytes) {
        w_fail(r->err, W_ERR_UNEXPECTED_END, at, dec_msg_eos);
        return false;
    }
    return true;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool dec_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len > n - i) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        if (cp > 0x10FFFF) return false;
        i += len;
    }
    return true;
}

/* A name: length-prefixed UTF-8. */
static bool dec_name(w_reader *r, const uint8_t **s, uint32_t *len)
{
    size_t at;
    if (!dec_u32(r, len)) return false;
    at = dec_offset(r);
    if (*len > dec_left(r)) {
        w_fail(r->err, W_ERR_LENGTH_OUT_OF_BOUNDS, at, "length out of bounds");
        return false;
    }
    if (!dec_utf8_valid(r->p, *len)) {
        w_fail(r->err, W_ERR_MALFORMED_UTF8, at, "malformed UTF-8 encoding");
        return false;
    }
    *s = r->p;
    r->p += *len;
    return true;
}

static bool dec_is_valtype(uint8_t b)
{
    return b == W_I32 || b == W_I64 || b == W_F32 || b == W_F64 || b == W_V128 || b == W_FUNCREF ||
           b == W_EXTERNREF;
}

static bool dec_valtype(w_reader *r, w_valtype *t)
{
    size_t at = dec_offset(r);
    uint8_t b;
    if (!dec_byte(r, &b)) return false;
    if (!dec_is_valtype(b)) {
        w_fail(r->err, W_ERR_MALFORMED_TYPE, at, "malformed value type 0x%02x", b);
        return false;
    }
    *t = b;
    return true;
}

static bool dec_reftype(w_reader *r, w_valtype *t)
{
    size_t at = dec_offset(r);
    uint8_t b;
    if (!dec_byte(r, &b)) return false;
    if (b != W_FUNCREF && b != W_EXTERNREF) {
        w_fail(r->err, W_ERR_MALFORMED_TYPE, at, "malformed reference type");
        return false;
    }
    *t = b;
    return true;
}

/* Limits of a table (is_mem false) or memory. The flags are one byte; the
 * core suite expects LEB-style messages for bad flags, the memory64 suite
 * "malformed limits flags". Shared (threads) memories are rejected. */
static bool dec_limits(dec_ctx *c, w_reader *r, bool is_mem, w_limits *lim)
{
    size_t at = dec_offset(r);
    bool m64 = (c->features & W_FEAT_MEMORY64) != 0;
    uint8_t flags;
    memset(lim, 0, sizeof *lim);
    if (!dec_byte(r, &flags)) return false;
    if (is_mem && (flags == 0x02 || flags == 0x03)) {
        w_fail(r->err, m64 ? W_ERR_MALFORMED_FLAGS : W_ERR_INTEGER_TOO_LARGE, at,
               m64 ? "malformed limits flags (unsupported proposal: threads, shared memory)"
                   : "integer too large (unsupported proposal: threads, shared memory)");
        return false;
    }
    if (!(flags <= 0x01 || (is_mem && m64 && (flags == 0x04 || flags == 0x05)))) {
        if (m64) {
            w_fail(r->err, W_ERR_MALFORMED_FLAGS, at, "malformed limits flags");
            return false;
        }
        {
            if (flags & 0x80)
                w_fail(r->err, W_ERR_INTEGER_TOO_LONG, at, "integer representation too long");
            else
                w_fail(r->err, W_ERR_INTEGER_TOO_LARGE, at, "integer too large");
            return false;
        }
    }
    lim->has_max = (flags & 0x01) != 0;
    lim->is64 = (flags & 0x04) != 0;
    if (lim->is64) {
        if (!dec_u64(r, &lim->min)) return false;
        if (lim->has_max && !dec_u64(r, &lim->max)) return false;
    } else if (is_mem && m64) {
        /* The memory64 suite reads 32-bit limits as u64 as well and checks
         * the range afterwards ("integer too large" on unused bits). */
        if (!dec_u64(r, &lim->min)) return false;
        if (lim->has_max && !dec_u64(r, &lim->max)) return false;
    } else {
        uint32_t v;
        if (!dec_u32(r, &v)) return false;
        lim->min = v;
        if (lim->has_max) {
            if (!dec_u32(r, &v)) return false;
            lim->max = v;
        }
    }
    if (is_mem) {
        uint64_t cap = lim->is64 ? W_MAX_PAGES64 : W_MAX_PAGES32;
        if (lim->min > cap || (lim->has_max && lim->max > cap)) {
            w_fail(r->err, W_ERR_INVALID_LIMITS, at,
                   lim->is64 ? "memory size must be at most 2^48 pages"
                             : "memory size must be at most 65536 pages (4GiB)");
            return false;
        }
    }
    if (lim->has_max && lim->min > lim->max) {
        w_fail(r->err, W_ERR_INVALID_LIMITS, at, "size minimum must not be greater than maximum");
        return false;
    }
    return true;
}

static bool dec_tabletype(dec_ctx *c, w_reader *r, w_tabletype *t)
{
    if (!dec_reftype(r, &t->elem)) return false;
    return dec_limits(c, r, false, &t->lim);
}

static bool dec_globaltype(w_reader *r, w_globaltype *g)
{
    size_t at;
    uint8_t mut;
    if (!dec_valtype(r, &g->type)) return false;
    at = dec_offset(r);
    if (!dec_byte(r, &mut)) return false;
    if (mut > 1) {
        w_fail(r->err, W_ERR_MALFORMED_TYPE, at, "malformed mutability");
        return false;
    }
    g->mut = mut == 1;
    return true;
}

static void dec_mark_ref(w_module *m, uint32_t f)
{
    m->declared_refs[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* ---- index spaces ----------------------------------------------------------- */

/* Each index space is built (imports first) when its own section is read, or
 * with no defined entries as soon as a later section needs it. */
static bool dec_build_funcs(dec_ctx *c, uint32_t ndefs)
{
    w_module *m = c->m;
    uint32_t n = m->nimported_funcs + ndefs, k = 0;
    c->funcs_built = true;
    m->func_types = w_calloc(n, sizeof *m->func_types);
    m->declared_refs = w_calloc((n + 7) / 8, 1);
    if (ndefs) m->funcdefs = w_calloc(ndefs, sizeof *m->funcdefs);
    if (!m->func_types || !m->declared_refs || (ndefs && !m->funcdefs)) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == W_EXT_FUNC) m->func_types[k++] = m->imports[i].u.func_type;
    m->nfuncs = n;
    m->nfuncdefs = ndefs;
    return true;
}

static bool dec_build_tables(dec_ctx *c, uint32_t ndefs)
{
    w_module *m = c->m;
    uint32_t n = m->nimported_tables + ndefs, k = 0;
    c->tables_built = true;
    m->tables = w_calloc(n, sizeof *m->tables);
    if (!m->tables) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == W_EXT_TABLE) m->tables[k++] = m->imports[i].u.table;
    m->ntables = m->nimported_tables;
    return true;
}

static bool dec_build_mems(dec_ctx *c, uint32_t ndefs)
{
    w_module *m = c->m;
    uint32_t n = m->nimported_mems + ndefs, k = 0;
    c->mems_built = true;
    m->mems = w_calloc(n, sizeof *m->mems);
    if (!m->mems) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == W_EXT_MEMORY) m->mems[k++] = m->imports[i].u.mem;
    m->nmems = m->nimported_mems;
    return true;
}

static bool dec_build_globals(dec_ctx *c, uint32_t ndefs)
{
    w_module *m = c->m;
    uint32_t n = m->nimported_globals + ndefs, k = 0;
    c->globals_built = true;
    m->global_types = w_calloc(n, sizeof *m->global_types);
    if (ndefs) m->globals = w_calloc(ndefs, sizeof *m->globals);
    if (!m->global_types || (ndefs && !m->globals)) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == W_EXT_GLOBAL) m->global_types[k++] = m->imports[i].u.global;
    m->nglobals = m->nimported_globals;
    return true;
}

/* Builds, with no defined entries, every index space whose section comes
 * before `rank` and was absent. */
static bool dec_ensure_spaces(dec_ctx *c, int rank)
{
    if (rank > DEC_RANK_FUNC && !c->funcs_built && !dec_build_funcs(c, 0)) return false;
    if (rank > DEC_RANK_TABLE && !c->tables_built && !dec_build_tables(c, 0)) return false;
    if (rank > DEC_RANK_MEM && !c->mems_built && !dec_build_mems(c, 0)) return false;
    if (rank > DEC_RANK_GLOBAL && !c->globals_built && !dec_build_globals(c, 0)) return false;
    return true;
}

/* ---- constant expressions ------------------------------------------------------ */

/* Opcodes that exist in Wasm 2.0 (so a non-constant one is "constant
 * expression required" rather than "illegal opcode"). */
static bool dec_known_opcode(uint8_t op)
{
    return op <= 0x05 || (op >= 0x0B && op <= 0x11) || (op >= 0x1A && op <= 0x1C) ||
           (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xC4) || (op >= 0xD0 && op <= 0xD2) ||
           op == 0xFC || op == 0xFD;
}

/* Appends one instruction to the module's constant code. The array is
 * bounded by the input: every instruction takes at least one byte of it. */
static bool dec_const_emit(dec_ctx *c, const w_constinstr *in)
{
    w_module *m = c->m;
    if (m->nconst_code == c->cap_const_code) {
        uint64_t cap = c->cap_const_code ? (uint64_t)c->cap_const_code * 2 : 16;
        if (cap > UINT32_MAX) cap = UINT32_MAX;
        if (m->nconst_code == cap)
            return w_fail_nooff(c->err, W_ERR_IMPLEMENTATION_LIMIT,
                                "too many constant instructions");
        w_constinstr *p = w_realloc_array(m->const_code, (size_t)cap, sizeof *p);
        if (!p) return w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        m->const_code = p;
        c->cap_const_code = (uint32_t)cap;
    }
    m->const_code[m->nconst_code++] = *in;
    return true;
}

/* Validates a constant expression whose result must be `expect` and appends
 * its decoded form to the module's constant code (the final `end` is not
 * kept). Only imported immutable globals may be read, as in the Wasm 2.0
 * spec and its test suite. */
static bool dec_constexpr(dec_ctx *c, w_reader *r, w_valtype expect, w_constexpr *out)
{
    w_module *m = c->m;
    size_t start = dec_offset(r);
    uint32_t first = m->nconst_code;
    w_valtype stack[W_MAX_CONST_DEPTH];
    unsigned sp = 0;
    bool ext = (c->features & W_FEAT_EXTENDED_CONST) != 0;

    for (;;) {
        size_t at = dec_offset(r);
        uint8_t op;
        w_valtype t = 0;
        w_constinstr in = {W_CONST_PUSH, 0, {0, 0}};
        const uint8_t *b;
        if (!dec_byte(r, &op)) return false;
        switch (op) {
        case 0x0B:
            if (sp != 1 || stack[0] != expect)
                return w_fail(c->err, W_ERR_TYPE_MISMATCH, at, "type mismatch");
            out->first = first;
            out->count = m->nconst_code - first;
            out->offset = start;
            return true;
        case 0x41: { /* i32.const */
            int32_t v;
            if (!dec_s32(r, &v)) return false;
            in.v[0] = (uint32_t)v;
            t = W_I32;
            break;
        }
        case 0x42: { /* i64.const */
            int64_t v;
            if (!dec_s64(r, &v)) return false;
            in.v[0] = (uint64_t)v;
            t = W_I64;
            break;
        }
        case 0x43: /* f32.const */
            if (!dec_bytes(r, 4, &b)) return false;
            in.v[0] = w_rd32(b);
            t = W_F32;
            break;
        case 0x44: /* f64.const */
            if (!dec_bytes(r, 8, &b)) return false;
            in.v[0] = w_rd64(b);
            t = W_F64;
            break;
        case 0xFD: { /* v128.const is the only constant SIMD instruction */
            uint32_t sub;
            if (!dec_u32(r, &sub)) return false;
            if (sub != 12)
                return w_fail(c->err, W_ERR_CONSTANT_REQUIRED, at, "constant expression required");
            if (!dec_bytes(r, 16, &b)) return false;
            in.v[0] = w_rd64(b);
            in.v[1] = w_rd64(b + 8);
            t = W_V128;
            break;
        }
        case 0xD0: /* ref.null t: pushes 0 */
            if (!dec_reftype(r, &t)) return false;
            break;
        case 0xD2: { /* ref.func */
            uint32_t f;
            size_t fat = dec_offset(r);
            if (!dec_u32(r, &f)) return false;
            if (f >= m->nfuncs)
                return w_fail(c->err, W_ERR_UNKNOWN_FUNCTION, fat, "unknown function %u", f);
            dec_mark_ref(m, f);
            in.op = W_CONST_REF_FUNC;
            in.index = f;
            t = W_FUNCREF;
            break;
        }
        case 0x23: { /* global.get */
            uint32_t g;
            size_t gat = dec_offset(r);
            if (!dec_u32(r, &g)) return false;
            if (g >= m->nimported_globals)
                return w_fail(c->err, W_ERR_UNKNOWN_GLOBAL, gat, "unknown global %u", g);
            if (m->global_types[g].mut)
                return w_fail(c->err, W_ERR_CONSTANT_REQUIRED, at, "constant expression required");
            in.op = W_CONST_GLOBAL_GET;
            in.index = g;
            t = m->global_types[g].type;
            break;
        }
        case 0x6A:
        case 0x6B:
        case 0x6C: /* i32.add/sub/mul */
        case 0x7C:
        case 0x7D:
        case 0x7E: /* i64.add/sub/mul */
            if (!ext)
                return w_fail(c->err, W_ERR_CONSTANT_REQUIRED, at, "constant expression required");
            t = op <= 0x6C ? W_I32 : W_I64;
            if (sp < 2 || stack[sp - 1] != t || stack[sp - 2] != t)
                return w_fail(c->err, W_ERR_TYPE_MISMATCH, at, "type mismatch");
            sp -= 2;
            in.op = (uint8_t)(op <= 0x6C ? W_CONST_I32_ADD + (op - 0x6A)
                                         : W_CONST_I64_ADD + (op - 0x7C));
            break;
        default:
            if (dec_known_opcode(op))
                return w_fail(c->err, W_ERR_CONSTANT_REQUIRED, at, "constant expression required");
            return w_fail(c->err, W_ERR_ILLEGAL_OPCODE, at, "illegal opcode 0x%02x", op);
        }
        if (sp == W_MAX_CONST_DEPTH)
            return w_fail(c->err, W_ERR_IMPLEMENTATION_LIMIT, at, "constant expression too deep");
        if (!dec_const_emit(c, &in)) return false;
        stack[sp++] = t;
    }
}

/* ---- sections ----------------------------------------------------------------- */

/* Orders types structurally, ties by position, so that structurally equal
 * types form runs led by the lowest index. Sorting rather than hashing keeps
 * the worst case O(n log n) whatever names or types a hostile module picks. */
static int dec_cmp_type(const void *a, const void *b)
{
    const w_functype *x = *(const w_functype *const *)a, *y = *(const w_functype *const *)b;
    int d;
    if (x->nparams != y->nparams) return x->nparams < y->nparams ? -1 : 1;
    if (x->nresults != y->nresults) return x->nresults < y->nresults ? -1 : 1;
    /* params and results are one allocation (see dec_sec_type) */
    d = memcmp(x->params, y->params, (size_t)x->nparams + x->nresults);
    if (d) return d;
    return x < y ? -1 : (x > y);
}

static bool dec_canon_types(dec_ctx *c)
{
    w_module *m = c->m;
    const w_functype **order = w_calloc(m->ntypes, sizeof *order);
    const w_functype *lead = NULL;
    if (!order) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < m->ntypes; i++)
        order[i] = &m->types[i];
    w_sort(order, m->ntypes, sizeof *order, dec_cmp_type);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        w_functype *t = &m->types[order[i] - m->types];
        /* A run of equal types starts wherever the type differs from the
         * run's leader. */
        if (!lead || lead->nparams != t->nparams || lead->nresults != t->nresults ||
            memcmp(lead->params, t->params, (size_t)t->nparams + t->nresults) != 0)
            lead = t;
        t->canon = (uint32_t)(lead - m->types);
    }
    w_free(order);
    return true;
}

static bool dec_sec_type(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_TYPES, "types", &n)) return false;
    m->types = w_calloc(n, sizeof *m->types);
    if (!m->types) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        w_functype *t = &m->types[i];
        size_t at = dec_offset(r);
        uint8_t form;
        uint32_t np, nr;
        const uint8_t *pp, *rp;
        if (!dec_byte(r, &form)) return false;
        /* The reference reads the form as a signed LEB: 0x80+ is too long. */
        if (form & 0x80) {
            w_fail(c->err, W_ERR_INTEGER_TOO_LONG, at, "integer representation too long");
            return false;
        }
        if (form != 0x60) {
            w_fail(c->err, W_ERR_MALFORMED_TYPE, at, "malformed function type 0x%02x", form);
            return false;
        }
        if (!dec_count(r, 1, W_MAX_PARAMS, "params", &np) || !dec_bytes(r, np, &pp)) return false;
        if (!dec_count(r, 1, W_MAX_RESULTS, "results", &nr) || !dec_bytes(r, nr, &rp)) return false;
        /* params and results share one allocation; results follow params. */
        t->params = w_malloc((size_t)np + nr);
        if (!t->params) {
            w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
            return false;
        }
        t->results = t->params + np;
        m->ntypes = i + 1;
        t->nparams = np;
        t->nresults = nr;
        for (uint32_t k = 0; k < np + nr; k++) {
            uint8_t b = k < np ? pp[k] : rp[k - np];
            if (!dec_is_valtype(b)) {
                w_fail(c->err, W_ERR_MALFORMED_TYPE,
                       (size_t)((k < np ? pp + k : rp + k - np) - r->base),
                       "malformed value type 0x%02x", b);
                return false;
            }
            t->params[k] = b;
            if (k < np)
                t->param_slots += w_slots_of(b);
            else
                t->result_slots += w_slots_of(b);
        }
    }
    return dec_canon_types(c);
}

static bool dec_sec_import(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_IMPORTS, "imports", &n)) return false;
    m->imports = w_calloc(n, sizeof *m->imports);
    if (!m->imports) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        w_import *im = &m->imports[i];
        const uint8_t *mod, *nm;
        size_t at;
        uint8_t kind;
        if (!dec_name(r, &mod, &im->module_len) || !dec_name(r, &nm, &im->name_len)) return false;
        im->module = w_strndup((const char *)mod, im->module_len);
        im->name = w_strndup((const char *)nm, im->name_len);
        m->nimports = i + 1;
        if (!im->module || !im->name) {
            w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
            return false;
        }
        at = dec_offset(r);
        if (!dec_byte(r, &kind)) return false;
        im->kind = kind;
        switch (kind) {
        case W_EXT_FUNC: {
            size_t tat = dec_offset(r);
            if (!dec_u32(r, &im->u.func_type)) return false;
            if (im->u.func_type >= m->ntypes) {
                w_fail(c->err, W_ERR_UNKNOWN_TYPE, tat, "unknown type %u", im->u.func_type);
                return false;
            }
            if (++m->nimported_funcs > W_MAX_FUNCS) {
                w_fail(c->err, W_ERR_IMPLEMENTATION_LIMIT, at, "too many functions");
                return false;
            }
            break;
        }
        case W_EXT_TABLE:
            if (!dec_tabletype(c, r, &im->u.table)) return false;
            m->nimported_tables++;
            break;
        case W_EXT_MEMORY:
            if (!dec_limits(c, r, true, &im->u.mem.lim)) return false;
            if (++m->nimported_mems > 1 && !(c->features & W_FEAT_MULTI_MEMORY)) {
                w_fail(c->err, W_ERR_MULTIPLE_MEMORIES, at, "multiple memories");
                return false;
            }
            break;
        case W_EXT_GLOBAL:
            if (!dec_globaltype(r, &im->u.global)) return false;
            m->nimported_globals++;
            break;
        default: {
            w_fail(c->err, W_ERR_MALFORMED_FLAGS, at, "malformed import kind");
            return false;
        }
        }
    }
    return true;
}

static bool dec_sec_func(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_FUNCS - m->nimported_funcs, "functions", &n)) return false;
    if (!dec_build_funcs(c, n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        size_t at = dec_offset(r);
        uint32_t t;
        if (!dec_u32(r, &t)) return false;
        if (t >= m->ntypes) {
            w_fail(c->err, W_ERR_UNKNOWN_TYPE, at, "unknown type %u", t);
            return false;
        }
        m->funcdefs[i].type = t;
        m->func_types[m->nimported_funcs + i] = t;
    }
    return true;
}

static bool dec_sec_table(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_TABLES - m->nimported_tables, "tables", &n)) return false;
    if (!dec_build_tables(c, n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        if (!dec_tabletype(c, r, &m->tables[m->ntables])) return false;
        m->ntables++;
    }
    return true;
}

static bool dec_sec_mem(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_MEMORIES - m->nimported_mems, "memories", &n)) return false;
    if (!dec_build_mems(c, n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        size_t at = dec_offset(r);
        if (!dec_limits(c, r, true, &m->mems[m->nmems].lim)) return false;
        if (++m->nmems > 1 && !(c->features & W_FEAT_MULTI_MEMORY)) {
            w_fail(c->err, W_ERR_MULTIPLE_MEMORIES, at, "multiple memories");
            return false;
        }
    }
    return true;
}

static bool dec_sec_global(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_GLOBALS - m->nimported_globals, "globals", &n)) return false;
    if (!dec_build_globals(c, n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        w_global *g = &m->globals[i];
        if (!dec_globaltype(r, &g->type)) return false;
        if (!dec_constexpr(c, r, g->type.type, &g->init)) return false;
        m->global_types[m->nglobals++] = g->type;
        m->nglobaldefs = i + 1;
    }
    return true;
}

/* Orders exports by name, ties by position (see dec_cmp_type). */
static int dec_cmp_export(const void *a, const void *b)
{
    const w_export *x = *(const w_export *const *)a, *y = *(const w_export *const *)b;
    int d;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    d = memcmp(x->name, y->name, x->name_len);
    if (d) return d;
    return x < y ? -1 : (x > y);
}

static bool dec_sec_export(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    const w_export **order = NULL;
    size_t *offsets = NULL;
    bool ok = false;
    if (!dec_count(r, 1, W_MAX_EXPORTS, "exports", &n)) return false;
    m->exports = w_calloc(n, sizeof *m->exports);
    order = w_calloc(n, sizeof *order);
    offsets = w_calloc(n, sizeof *offsets);
    if (!m->exports || !order || !offsets) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) goto done;
        w_export *ex = &m->exports[i];
        const uint8_t *nm;
        size_t kat, iat;
        uint8_t kind;
        uint32_t limit = 0;
        offsets[i] = dec_offset(r);
        if (!dec_name(r, &nm, &ex->name_len)) goto done;
        ex->name = w_strndup((const char *)nm, ex->name_len);
        m->nexports = i + 1;
        if (!ex->name) {
            w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
            goto done;
        }
        kat = dec_offset(r);
        if (!dec_byte(r, &kind)) goto done;
        iat = dec_offset(r);
        if (!dec_u32(r, &ex->index)) goto done;
        ex->kind = kind;
        switch (kind) {
        case W_EXT_FUNC: limit = m->nfuncs; break;
        case W_EXT_TABLE: limit = m->ntables; break;
        case W_EXT_MEMORY: limit = m->nmems; break;
        case W_EXT_GLOBAL: limit = m->nglobals; break;
        default: w_fail(c->err, W_ERR_MALFORMED_FLAGS, kat, "malformed export kind"); goto done;
        }
        if (ex->index >= limit) {
            static const char *const names[] = {"function", "table", "memory", "global"};
            static const w_errcode codes[] = {W_ERR_UNKNOWN_FUNCTION, W_ERR_UNKNOWN_TABLE,
                                              W_ERR_UNKNOWN_MEMORY, W_ERR_UNKNOWN_GLOBAL};
            w_fail(c->err, codes[kind], iat, "unknown %s %u", names[kind], ex->index);
            goto done;
        }
        if (kind == W_EXT_FUNC) dec_mark_ref(m, ex->index);
        order[i] = ex;
    }
    w_sort(order, n, sizeof *order, dec_cmp_export);
    for (uint32_t i = 1; i < n; i++) {
        if (order[i]->name_len == order[i - 1]->name_len &&
            memcmp(order[i]->name, order[i - 1]->name, order[i]->name_len) == 0) {
            w_fail(c->err, W_ERR_DUPLICATE_EXPORT, offsets[order[i] - m->exports],
                   "duplicate export name");
            goto done;
        }
    }
    ok = true;
done:
    w_free(order);
    w_free(offsets);
    return ok;
}

static bool dec_sec_start(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    size_t at = dec_offset(r);
    const w_functype *t;
    if (!dec_u32(r, &m->start)) return false;
    if (m->start >= m->nfuncs) {
        w_fail(c->err, W_ERR_UNKNOWN_FUNCTION, at, "unknown function %u", m->start);
        return false;
    }
    t = &m->types[m->func_types[m->start]];
    if (t->nparams || t->nresults) {
        w_fail(c->err, W_ERR_INVALID_START, at, "start function must have type [] -> []");
        return false;
    }
    m->has_start = true;
    return true;
}

static bool dec_elem(dec_ctx *c, w_reader *r, w_elemseg *s)
{
    w_module *m = c->m;
    size_t at = dec_offset(r);
    uint32_t flags;
    if (!dec_u32(r, &flags)) return false;
    if (flags > 7) {
        w_fail(c->err, W_ERR_MALFORMED_FLAGS, at, "malformed elements segment kind");
        return false;
    }
    /* bit 0: passive/declarative; bit 1: explicit table (active) or
     * declarative; bit 2: expressions instead of function indexes. */
    s->type = W_FUNCREF;
    if (flags & 1)
        s->mode = (flags & 2) ? W_SEG_DECLARATIVE : W_SEG_PASSIVE;
    else
        s->mode = W_SEG_ACTIVE;
    if (s->mode == W_SEG_ACTIVE) {
        size_t tat = dec_offset(r);
        if ((flags & 2) && !dec_u32(r, &s->table)) return false;
        if (s->table >= m->ntables) {
            w_fail(c->err, W_ERR_UNKNOWN_TABLE, tat, "unknown table %u", s->table);
            return false;
        }
        if (!dec_constexpr(c, r, W_I32, &s->offset)) return false;
    }
    if (flags & 3) { /* explicit element kind or reference type */
        if (flags & 4) {
            if (!dec_reftype(r, &s->type)) return false;
        } else {
            size_t kat = dec_offset(r);
            uint8_t kind;
            if (!dec_byte(r, &kind)) return false;
            if (kind != 0x00) {
                w_fail(c->err, W_ERR_MALFORMED_FLAGS, kat, "malformed element kind");
                return false;
            }
        }
    }
    if (s->mode == W_SEG_ACTIVE && m->tables[s->table].elem != s->type) {
        w_fail(c->err, W_ERR_TYPE_MISMATCH, at, "type mismatch");
        return false;
    }
    if (flags & 4) {
        if (!dec_count(r, 1, UINT32_MAX, "elements", &s->count)) return false;
        s->exprs = w_calloc(s->count, sizeof *s->exprs);
        if (!s->exprs) {
            w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
            return false;
        }
        for (uint32_t i = 0; i < s->count; i++)
            if (!dec_constexpr(c, r, s->type, &s->exprs[i])) return false;
    } else {
        if (!dec_count(r, 1, UINT32_MAX, "elements", &s->count)) return false;
        s->funcs = w_calloc(s->count, sizeof *s->funcs);
        if (!s->funcs) {
            w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
            return false;
        }
        for (uint32_t i = 0; i < s->count; i++) {
            size_t fat = dec_offset(r);
            if (!dec_u32(r, &s->funcs[i])) return false;
            if (s->funcs[i] >= m->nfuncs) {
                w_fail(c->err, W_ERR_UNKNOWN_FUNCTION, fat, "unknown function %u", s->funcs[i]);
                return false;
            }
            dec_mark_ref(m, s->funcs[i]);
        }
    }
    return true;
}

static bool dec_sec_elem(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_ELEM_SEGS, "element segments", &n)) return false;
    m->elems = w_calloc(n, sizeof *m->elems);
    if (!m->elems) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        m->nelems = i + 1; /* counted first so a half-built segment is freed */
        if (!dec_elem(c, r, &m->elems[i])) return false;
    }
    return true;
}

static bool dec_sec_datacount(dec_ctx *c, w_reader *r)
{
    if (!dec_u32(r, &c->m->datacount)) return false;
    c->m->has_datacount = true;
    return true;
}

/* One code entry: local declarations, then the body (validated by
 * compile.c). The locals' total is summed in 64 bits so that hostile counts
 * cannot wrap around the limit. */
static bool dec_code_entry(dec_ctx *c, w_reader *r, w_funcdef *f)
{
    w_module *m = c->m;
    size_t entry_at = dec_offset(r), at;
    uint32_t size, ngroups;
    uint64_t total;
    const uint8_t *groups;
    w_reader b;
    if (!dec_u32(r, &size)) return false;
    at = dec_offset(r);
    if (size > dec_left(r)) {
        w_fail(c->err, W_ERR_LENGTH_OUT_OF_BOUNDS, at, "length out of bounds");
        return false;
    }
    if (size > W_MAX_BODY_SIZE) {
        w_fail(c->err, W_ERR_IMPLEMENTATION_LIMIT, entry_at, "function body too large");
        return false;
    }
    b = *r;
    b.end = r->p + size;
    r->p += size;
    f->entry_offset = entry_at;

    if (!dec_count(&b, 1, UINT32_MAX, "local declarations", &ngroups)) return false;
    groups = b.p;
    total = m->types[f->type].nparams;
    for (uint32_t i = 0; i < ngroups; i++) {
        size_t gat = dec_offset(&b);
        uint32_t cnt;
        w_valtype t;
        if (!dec_u32(&b, &cnt) || !dec_valtype(&b, &t)) return false;
        total += cnt;
        if (total > W_MAX_LOCALS) {
            w_fail(c->err, W_ERR_TOO_MANY_LOCALS, gat, "too many locals");
            return false;
        }
    }
    f->nlocals = (uint32_t)(total - m->types[f->type].nparams);
    /* Second pass over the (already checked) declarations records them as
     * groups: memory in proportion to the bytes that declare them (each
     * group takes at least two), never to the count of locals. */
    if (ngroups) {
        f->groups = w_calloc(ngroups, sizeof *f->groups);
        if (!f->groups) {
            w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
            return false;
        }
    }
    b.p = groups;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t cnt;
        w_valtype t;
        if (!dec_u32(&b, &cnt) || !dec_valtype(&b, &t)) return false;
        if (cnt == 0) continue;
        f->groups[f->ngroups].count = cnt;
        f->groups[f->ngroups].type = t;
        f->ngroups++;
    }
    f->body = b.p;
    f->body_len = (size_t)(b.end - b.p);
    f->body_offset = dec_offset(&b);
    return true;
}

static bool dec_sec_code(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    size_t at = dec_offset(r);
    uint32_t n;
    if (!dec_u32(r, &n)) return false;
    c->has_code = true;
    if (n != m->nfuncdefs) {
        /* Reported after the remaining sections, so that a misplaced section
         * later on is diagnosed first, as in the reference interpreter. */
        c->code_mismatch = true;
        c->code_mismatch_at = at;
        r->p = r->end;
        return true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        if (!dec_code_entry(c, r, &m->funcdefs[i])) return false;
    }
    return true;
}

static bool dec_sec_data(dec_ctx *c, w_reader *r)
{
    w_module *m = c->m;
    size_t at = dec_offset(r);
    uint32_t n;
    if (!dec_count(r, 1, W_MAX_DATA_SEGS, "data segments", &n)) return false;
    if (m->has_datacount && n != m->datacount) {
        w_fail(c->err, W_ERR_INCONSISTENT_LENGTHS, at,
               "data count and data section have inconsistent lengths");
        return false;
    }
    c->has_data = true;
    m->datas = w_calloc(n, sizeof *m->datas);
    if (!m->datas) {
        w_fail_nooff(c->err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!dec_poll(c, i)) return false;
        w_dataseg *d = &m->datas[i];
        size_t sat = dec_offset(r), lat;
        uint32_t flags, len;
        if (!dec_u32(r, &flags)) return false;
        if (flags > 2) {
            w_fail(c->err, W_ERR_MALFORMED_FLAGS, sat, "malformed data segment kind");
            return false;
        }
        d->mode = flags == 1 ? W_SEG_PASSIVE : W_SEG_ACTIVE;
        if (d->mode == W_SEG_ACTIVE) {
            size_t mat = dec_offset(r);
            if (flags == 2 && !dec_u32(r, &d->mem)) return false;
            if (d->mem >= m->nmems) {
                w_fail(c->err, W_ERR_UNKNOWN_MEMORY, mat, "unknown memory %u", d->mem);
                return false;
            }
            if (!dec_constexpr(c, r, m->mems[d->mem].lim.is64 ? W_I64 : W_I32, &d->offset))
                return false;
        }
        if (!dec_u32(r, &len)) return false;
        lat = dec_offset(r);
        if (len > dec_left(r)) {
            w_fail(c->err, W_ERR_UNEXPECTED_END, lat, dec_msg_eos);
            return false;
        }
        d->bytes = r->p;
        d->len = len;
        r->p += len;
        m->ndatas = i + 1;
    }
    return true;
}

/* ---- name section (best effort) ------------------------------------------------ */

/* Parses the "name" custom section. Any defect makes it return false and the
 * caller drops what was parsed: a malformed name section is never an error. */
static bool dec_names(dec_ctx *c)
{
    w_module *m = c->m;
    w_err scratch;
    w_reader r = {m->bytes, c->names, c->names_end, &scratch, NULL};
    int last_id = -1;
    while (r.p < r.end) {
        uint8_t id;
        uint32_t size;
        w_reader s;
        if (!dec_byte(&r, &id) || !dec_u32(&r, &size) || size > dec_left(&r)) return false;
        if ((int)id <= last_id) return false; /* subsections are ordered, each at most once */
        last_id = id;
        s = r;
        s.end = r.p + size;
        r.p += size;
        if (id == 0) {
            const uint8_t *nm;
            uint32_t len;
            if (!dec_name(&s, &nm, &len) || s.p != s.end) return false;
            m->module_name = w_strndup((const char *)nm, len);
            if (!m->module_name) return false;
        } else if (id == 1) {
            uint32_t n, prev = 0;
            if (!dec_count(&s, 2, UINT32_MAX, "names", &n)) return false;
            if (m->nfuncs == 0) return n == 0;
            m->func_names = w_calloc(m->nfuncs, sizeof *m->func_names);
            if (!m->func_names) return false;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t idx, len;
                const uint8_t *nm;
                if (!dec_u32(&s, &idx) || !dec_name(&s, &nm, &len)) return false;
                /* Indexes are strictly increasing, so each is named once. */
                if (idx >= m->nfuncs || (i > 0 && idx <= prev)) return false;
                prev = idx;
                m->func_names[idx] = w_strndup((const char *)nm, len);
                if (!m->func_names[idx]) return false;
            }
            if (s.p != s.end) return false;
        }
    }
    return true;
}

static void dec_free_names(w_module *m)
{
    if (m->func_names)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            w_free(m->func_names[i]);
    w_free(m->func_names);
    w_free(m->module_name);
    m->func_names = NULL;
    m->module_name = NULL;
}

/* ---- the module ------------------------------------------------------------------ */

static int dec_rank(uint8_t id)
{
    static const int ranks[13] = {0,
                                  DEC_RANK_TYPE,
                                  DEC_RANK_IMPORT,
                                  DEC_RANK_FUNC,
                                  DEC_RANK_TABLE,
                                  DEC_RANK_MEM,
                                  DEC_RANK_GLOBAL,
                                  DEC_RANK_EXPORT,
                                  DEC_RANK_START,
                                  DEC_RANK_ELEM,
                                  DEC_RANK_CODE,
                                  DEC_RANK_DATA,
                                  DEC_RANK_DATACOUNT};
    return ranks[id];
}

static bool dec_custom(dec_ctx *c, w_reader *r)
{
    const uint8_t *nm;
    uint32_t len;
    if (!dec_name(r, &nm, &len)) return false;
    if (len == 4 && memcmp(nm, "name", 4) == 0 && !c->names) {
        c->names = r->p;
        c->names_end = r->end;
    }
    r->p = r->end; /* the payload is uninterpreted */
    return true;
}

static bool dec_section(dec_ctx *c, uint8_t id, w_reader *r)
{
    switch (id) {
    case 0: return dec_custom(c, r);
    case 1: return dec_sec_type(c, r);
    case 2: return dec_sec_import(c, r);
    case 3: return dec_sec_func(c, r);
    case 4: return dec_sec_table(c, r);
    case 5: return dec_sec_mem(c, r);
    case 6: return dec_sec_global(c, r);
    case 7: return dec_sec_export(c, r);
    case 8: return dec_sec_start(c, r);
    case 9: return dec_sec_elem(c, r);
    case 10: return dec_sec_code(c, r);
    case 11: return dec_sec_data(c, r);
    default: return dec_sec_datacount(c, r);
    }
}

static bool dec_header(w_reader *r)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    size_t have = dec_left(r);
    /* The suite wants "unexpected end" for any input shorter than the magic. */
    if (have < 4) {
        w_fail(r->err, W_ERR_UNEXPECTED_END, have, "unexpected end");
        return false;
    }
    if (memcmp(r->p, magic, 4) != 0) {
        w_fail(r->err, W_ERR_BAD_MAGIC, 0, "magic header not detected");
        return false;
    }
    if (have < 8) {
        w_fail(r->err, W_ERR_UNEXPECTED_END, have, "unexpected end");
        return false;
    }
    if (memcmp(r->p + 4, version, 4) != 0) {
        w_fail(r->err, W_ERR_BAD_VERSION, 4, "unknown binary version");
        return false;
    }
    r->p += 8;
    return true;
}

static bool dec_module_body(dec_ctx *c)
{
    w_module *m = c->m;
    w_reader r = {m->bytes, m->bytes, m->bytes + m->size, c->err, m->bytes + m->size};
    int last_rank = 0;

    if (!dec_header(&r)) return false;
    while (r.p < r.end) {
        size_t at = dec_offset(&r), sat;
        uint8_t id;
        uint32_t size;
        w_reader s;
        id = *r.p++;
        if (id > 12) {
            w_fail(c->err, W_ERR_MALFORMED_SECTION_ID, at, "malformed section id");
            return false;
        }
        if (!dec_u32(&r, &size)) {
            /* Outside any section the spec says just "unexpected end". */
            if (c->err->code == W_ERR_UNEXPECTED_END)
                w_fail(c->err, W_ERR_UNEXPECTED_END, c->err->offset, "unexpected end");
            return false;
        }
        sat = dec_offset(&r);
        if (size > dec_left(&r)) {
            w_fail(c->err, W_ERR_LENGTH_OUT_OF_BOUNDS, sat, "length out of bounds");
            return false;
        }
        s = r;
        s.end = r.p + size;
        r.p += size;
        if (id != 0) {
            int rank = dec_rank(id);
            if (rank <= last_rank) {
                w_fail(c->err, W_ERR_SECTION_ORDER, at, "unexpected content after last section");
                return false;
            }
            last_rank = rank;
            if (!dec_ensure_spaces(c, rank)) return false;
        }
        if (!dec_section(c, id, &s)) return false;
        if (s.p != s.end) {
            w_fail(c->err, W_ERR_SECTION_SIZE_MISMATCH, dec_offset(&s), "section size mismatch");
            return false;
        }
    }
    if (!dec_ensure_spaces(c, DEC_RANK_DATA + 1)) return false;
    if (c->code_mismatch) {
        w_fail(c->err, W_ERR_INCONSISTENT_LENGTHS, c->code_mismatch_at,
               "function and code section have inconsistent lengths");
        return false;
    }
    if (!c->has_code && m->nfuncdefs) {
        w_fail(c->err, W_ERR_INCONSISTENT_LENGTHS, m->size,
               "function and code section have inconsistent lengths");
        return false;
    }
    if (!c->has_data && m->has_datacount && m->datacount) {
        w_fail(c->err, W_ERR_INCONSISTENT_LENGTHS, m->size,
               "data count and data section have inconsistent lengths");
        return false;
    }
    /* The constant code grew by doubling: give the slack back (a failure
     * to shrink keeps the larger block, which is as good). */
    if (m->nconst_code && m->nconst_code < c->cap_const_code) {
        w_constinstr *p = w_realloc_array(m->const_code, m->nconst_code, sizeof *p);
        if (p) m->const_code = p;
    }
    if (c->names && !dec_names(c)) dec_free_names(m);
    return true;
}

w_module *dec_module_decode(const uint8_t *bytes, size_t len, uint32_t features,
                            const atomic_int *stop, w_err *err)
{
    w_err local;
    dec_ctx c;
    w_module *m;
    if (!err) err = &local;
    m = w_calloc(1, sizeof *m);
    if (!m) {
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    memset(&c, 0, sizeof c);
    c.m = m;
    c.err = err;
    c.features = features;
    c.stop = stop;
    m->features = features;
    m->bytes = w_malloc(len);
    if (!m->bytes) {
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if (len) memcpy(m->bytes, bytes, len);
    m->size = len;
    if (!dec_module_body(&c)) goto fail;
    return m;
fail:
    dec_module_free(m);
    return NULL;
}

void dec_module_free(w_module *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        w_free(m->types[i].params);
    w_free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        w_free((void *)m->imports[i].module);
        w_free((void *)m->imports[i].name);
    }
    w_free(m->imports);
    w_free(m->func_types);
    w_free(m->tables);
    w_free(m->mems);
    w_free(m->global_types);
    if (m->funcdefs)
        for (uint32_t i = 0; i < m->nfuncdefs; i++)
            w_free(m->funcdefs[i].groups);
    w_free(m->funcdefs);
    w_free(m->globals);
    for (uint32_t i = 0; i < m->nexports; i++)
        w_free((void *)m->exports[i].name);
    w_free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++) {
        w_free(m->elems[i].funcs);
        w_free(m->elems[i].exprs);
    }
    w_free(m->elems);
    w_free(m->datas);
    w_free(m->const_code);
    w_free(m->declared_refs);
    dec_free_names(m);
    w_free(m->bytes);
    w_free(m);
}

bool dec_functype_equal(const w_functype *a, const w_functype *b)
{
    if (a == b) return true;
    if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
    if (a->nparams && memcmp(a->params, b->params, a->nparams) != 0) return false;
    if (a->nresults && memcmp(a->results, b->results, a->nresults) != 0) return false;
    return true;
}
