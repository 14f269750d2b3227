/* wasm.c - reading and writing modules for `ward harden` (wasm.h). */
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

/* ---- writing ----------------------------------------------------------------------- */

void hdw_put(hdw_buf *b, const void *src, size_t n)
{
    if (b->oom || n == 0) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

void hdw_byte(hdw_buf *b, uint8_t v)
{
    hdw_put(b, &v, 1);
}

void hdw_u32(hdw_buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v) byte |= 0x80;
        hdw_byte(b, byte);
    } while (v);
}

void hdw_s64(hdw_buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7; /* arithmetic: gcc and clang shift signed values so */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        if (!done) byte |= 0x80;
        hdw_byte(b, byte);
        if (done) return;
    }
}

void hdw_str(hdw_buf *b, const char *s, size_t n)
{
    hdw_u32(b, (uint32_t)n);
    hdw_put(b, s, n);
}

void hdw_put_section(hdw_buf *out, uint8_t id, const hdw_buf *body)
{
    hdw_byte(out, id);
    hdw_u32(out, (uint32_t)body->n);
    hdw_put(out, body->p, body->n);
    if (body->oom) out->oom = true;
}

void hdw_free(hdw_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- reading ----------------------------------------------------------------------- */

void hdw_fail(hdw_rd *r, const char *msg)
{
    if (!r->err) r->err = msg;
    r->p = r->end;
}

uint8_t hdw_get_byte(hdw_rd *r)
{
    if (r->p >= r->end) {
        hdw_fail(r, "unexpected end of the module");
        return 0;
    }
    return *r->p++;
}

uint64_t hdw_get_u64(hdw_rd *r)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        uint8_t b = hdw_get_byte(r);
        if (r->err) return 0;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) return v;
    }
    hdw_fail(r, "LEB128 number too long");
    return 0;
}

uint32_t hdw_get_u32(hdw_rd *r)
{
    uint64_t v = hdw_get_u64(r);
    if (v > UINT32_MAX) {
        hdw_fail(r, "integer too large");
        return 0;
    }
    return (uint32_t)v;
}

int64_t hdw_get_s64(hdw_rd *r, unsigned bits)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = hdw_get_byte(r);
        if (r->err) return 0;
        if (shift >= bits + 7) {
            hdw_fail(r, "LEB128 number too long");
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

const uint8_t *hdw_get_bytes(hdw_rd *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        hdw_fail(r, "unexpected end of the module");
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

bool hdw_name_is(const uint8_t *name, uint32_t len, const char *s)
{
    return name && strlen(s) == len && memcmp(name, s, len) == 0;
}

/* ---- the module -------------------------------------------------------------------- */

/* A count of items that take at least `each` bytes each: bounded by what is left. */
static uint32_t get_count(hdw_rd *r, size_t each)
{
    uint32_t n = hdw_get_u32(r);
    if ((size_t)(r->end - r->p) / each < n) {
        hdw_fail(r, "count larger than the section");
        return 0;
    }
    return n;
}

static void *zalloc(size_t n, size_t size, hdw_rd *r)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) hdw_fail(r, "out of memory");
    return p;
}

static void skip_limits(hdw_rd *r, bool *is64, uint64_t *min)
{
    uint8_t flags = hdw_get_byte(r);
    uint64_t lo = hdw_get_u64(r);
    if (flags & 1) hdw_get_u64(r);
    if (is64) *is64 = flags & 4;
    if (min) *min = lo;
}

static void parse_types(hdw_module *m, hdw_rd *r)
{
    m->ntypes = get_count(r, 3);
    m->types = zalloc(m->ntypes, sizeof *m->types, r);
    for (uint32_t i = 0; i < m->ntypes && !r->err; i++) {
        if (hdw_get_byte(r) != 0x60) hdw_fail(r, "a type is not a function type");
        hdw_type *t = &m->types[i];
        t->np = get_count(r, 1);
        t->params = hdw_get_bytes(r, t->np);
        t->nr = get_count(r, 1);
        t->results = hdw_get_bytes(r, t->nr);
    }
}

static void mem_seen(hdw_module *m, bool is64, uint64_t min)
{
    if (m->nmems++ == 0) {
        m->mem64 = is64;
        m->mem_min = min;
    }
}

static void parse_imports(hdw_module *m, hdw_rd r, const char **err)
{
    uint32_t n = get_count(&r, 4);
    /* Globals and functions are counted first, then described. */
    m->gtype = zalloc(n, 1, &r);
    m->gmut = zalloc(n, 1, &r);
    m->ftype = zalloc(n, sizeof *m->ftype, &r);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        uint32_t len = hdw_get_u32(&r);
        hdw_get_bytes(&r, len);
        len = hdw_get_u32(&r);
        hdw_get_bytes(&r, len);
        uint8_t kind = hdw_get_byte(&r);
        bool is64;
        uint64_t min;
        switch (kind) {
        case 0: m->ftype[m->nfimports++] = hdw_get_u32(&r); break;
        case 1:
            hdw_get_byte(&r);
            skip_limits(&r, NULL, NULL);
            break;
        case 2:
            skip_limits(&r, &is64, &min);
            mem_seen(m, is64, min);
            break;
        case 3:
            m->gtype[m->nglobals] = hdw_get_byte(&r);
            m->gmut[m->nglobals++] = hdw_get_byte(&r);
            break;
        default: hdw_fail(&r, "unknown import kind");
        }
    }
    if (r.err) *err = r.err;
}

/* Skips a constant expression up to its `end`. */
static void skip_const(hdw_rd *r)
{
    hdw_instr in;
    while (!r->err && hdw_next(r, &in))
        if (in.op == 0x0B) return;
}

static void parse_globals(hdw_module *m, hdw_rd *r)
{
    uint32_t n = get_count(r, 3);
    uint8_t *t = realloc(m->gtype, (size_t)m->nglobals + n + 1);
    if (t) m->gtype = t;
    uint8_t *u = realloc(m->gmut, (size_t)m->nglobals + n + 1);
    if (u) m->gmut = u;
    if (!t || !u) {
        hdw_fail(r, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < n && !r->err; i++) {
        m->gtype[m->nglobals] = hdw_get_byte(r);
        m->gmut[m->nglobals++] = hdw_get_byte(r);
        skip_const(r);
    }
}

static void parse_exports(hdw_module *m, hdw_rd *r)
{
    m->nexports = get_count(r, 3);
    m->exports = zalloc(m->nexports, sizeof *m->exports, r);
    for (uint32_t i = 0; i < m->nexports && !r->err; i++) {
        hdw_export *e = &m->exports[i];
        e->name_len = hdw_get_u32(r);
        e->name = hdw_get_bytes(r, e->name_len);
        e->kind = hdw_get_byte(r);
        e->idx = hdw_get_u32(r);
    }
}

/* A name map (index, name)* into names[0..limit). */
static void parse_name_map(hdw_rd r, uint32_t limit, const uint8_t **names, uint32_t *lens)
{
    uint32_t n = get_count(&r, 2);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        uint32_t idx = hdw_get_u32(&r), len = hdw_get_u32(&r);
        const uint8_t *s = hdw_get_bytes(&r, len);
        if (idx < limit && s) {
            names[idx] = s;
            lens[idx] = len;
        }
    }
}

static void parse_names(hdw_module *m, hdw_rd r)
{
    m->fname = zalloc(m->nfuncs, sizeof *m->fname, &r);
    m->fname_len = zalloc(m->nfuncs, sizeof *m->fname_len, &r);
    m->gname = zalloc(m->nglobals, sizeof *m->gname, &r);
    m->gname_len = zalloc(m->nglobals, sizeof *m->gname_len, &r);
    while (!r.err && r.p < r.end) {
        uint8_t id = hdw_get_byte(&r);
        uint32_t size = hdw_get_u32(&r);
        const uint8_t *p = hdw_get_bytes(&r, size);
        if (!p) break;
        hdw_rd sub = {p, p + size, r.base, NULL};
        if (id == 1) parse_name_map(sub, m->nfuncs, m->fname, m->fname_len);
        if (id == 7) parse_name_map(sub, m->nglobals, m->gname, m->gname_len);
    }
    /* A malformed name section is ignored, as engines do. */
    m->has_names = !r.err;
    if (r.err) {
        free(m->fname);
        free(m->fname_len);
        free(m->gname);
        free(m->gname_len);
        m->fname = m->gname = NULL;
        m->fname_len = m->gname_len = NULL;
    }
}

bool hdw_parse(hdw_module *m, const uint8_t *bytes, size_t len, const char **err)
{
    memset(m, 0, sizeof *m);
    *err = NULL;
    if (len < 8 || memcmp(bytes, "\0asm\1\0\0\0", 8) != 0) {
        *err = "not a WebAssembly module (bad magic or version)";
        return false;
    }
    hdw_rd r = {bytes + 8, bytes + len, bytes, NULL};
    size_t cap = 0;
    size_t names = SIZE_MAX; /* the name section's index in m->secs (which grows) */
    uint32_t ndefs = 0, seen = 0;
    while (!r.err && r.p < r.end) {
        uint8_t id = hdw_get_byte(&r);
        uint32_t size = hdw_get_u32(&r);
        const uint8_t *body = hdw_get_bytes(&r, size);
        if (!body) break;
        if (m->nsecs == cap) {
            cap = cap ? cap * 2 : 16;
            hdw_section *s = realloc(m->secs, cap * sizeof *s);
            if (!s) {
                hdw_fail(&r, "out of memory");
                break;
            }
            m->secs = s;
        }
        if (id != 0 && (id > 31 || (seen & (1u << id)))) {
            hdw_fail(&r, "a section appears twice, or has an unknown id");
            break;
        }
        seen |= id ? 1u << id : 0;
        hdw_section *s = &m->secs[m->nsecs++];
        memset(s, 0, sizeof *s);
        s->id = id;
        s->body = body;
        s->len = size;
        hdw_rd sr = {body, body + size, bytes, NULL};
        switch (id) {
        case 0:
            s->name_len = hdw_get_u32(&sr);
            s->name = hdw_get_bytes(&sr, s->name_len);
            if (sr.err) hdw_fail(&r, "malformed custom section");
            if (hdw_name_is(s->name, s->name_len, "name")) names = m->nsecs - 1;
            break;
        case 1: parse_types(m, &sr); break;
        case 2: parse_imports(m, sr, &r.err); break;
        case 3: {
            ndefs = get_count(&sr, 1);
            uint32_t *ft = realloc(m->ftype, ((size_t)m->nfimports + ndefs + 1) * sizeof *ft);
            if (!ft) {
                hdw_fail(&r, "out of memory");
                break;
            }
            m->ftype = ft;
            for (uint32_t i = 0; i < ndefs; i++)
                ft[m->nfimports + i] = hdw_get_u32(&sr);
            m->nfuncs = m->nfimports + ndefs;
            break;
        }
        case 5: {
            uint32_t n = get_count(&sr, 2);
            for (uint32_t i = 0; i < n && !sr.err; i++) {
                bool is64;
                uint64_t min;
                skip_limits(&sr, &is64, &min);
                mem_seen(m, is64, min);
            }
            break;
        }
        case 6: parse_globals(m, &sr); break;
        case 7: parse_exports(m, &sr); break;
        case 10: {
            uint32_t n = get_count(&sr, 1);
            if (n != ndefs) {
                hdw_fail(&r, "function and code sections disagree");
                break;
            }
            m->body = zalloc(n, sizeof *m->body, &r);
            m->body_len = zalloc(n, sizeof *m->body_len, &r);
            for (uint32_t i = 0; i < n && !sr.err && m->body; i++) {
                m->body_len[i] = hdw_get_u32(&sr);
                m->body[i] = hdw_get_bytes(&sr, m->body_len[i]);
            }
            break;
        }
        default: break;
        }
        if (sr.err) hdw_fail(&r, sr.err);
    }
    if (!m->ftype) m->ftype = zalloc(1, sizeof *m->ftype, &r);
    if (m->nfuncs < m->nfimports) m->nfuncs = m->nfimports;
    if (!r.err && m->nfuncs > m->nfimports && !m->body) hdw_fail(&r, "no code section");
    for (uint32_t i = 0; i < m->nfuncs && !r.err; i++)
        if (m->ftype[i] >= m->ntypes) hdw_fail(&r, "a function has an unknown type");
    if (!r.err && names != SIZE_MAX) {
        const hdw_section *ns = &m->secs[names];
        hdw_rd nr = {ns->name + ns->name_len, ns->body + ns->len, bytes, NULL};
        parse_names(m, nr);
    }
    if (r.err) {
        *err = r.err;
        hdw_module_free(m);
        return false;
    }
    return true;
}

void hdw_module_free(hdw_module *m)
{
    free(m->secs);
    free(m->types);
    free(m->ftype);
    free(m->gtype);
    free(m->gmut);
    free(m->exports);
    free(m->body);
    free(m->body_len);
    free(m->fname);
    free(m->fname_len);
    free(m->gname);
    free(m->gname_len);
    memset(m, 0, sizeof *m);
}

/* ---- instructions ------------------------------------------------------------------ */

static void skip_memarg(hdw_rd *r)
{
    uint32_t flags = hdw_get_u32(r);
    if (flags & 0x40) hdw_get_u32(r);
    hdw_get_u64(r);
}

bool hdw_next(hdw_rd *r, hdw_instr *in)
{
    memset(in, 0, sizeof *in);
    in->start = r->p;
    uint8_t op = in->op = hdw_get_byte(r);
    uint32_t n;
    switch (op) {
    case 0x02:
    case 0x03:
    case 0x04: hdw_get_s64(r, 33); break; /* block type */
    case 0x0C:
    case 0x0D:
    case 0x10:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0xD2: in->idx = hdw_get_u32(r); break;
    case 0x0E:
        n = hdw_get_u32(r);
        for (uint64_t i = 0; i <= n && !r->err; i++)
            hdw_get_u32(r);
        break;
    case 0x11:
        in->idx = hdw_get_u32(r);
        hdw_get_u32(r);
        break;
    case 0x1C:
        n = hdw_get_u32(r);
        hdw_get_bytes(r, n);
        break;
    case 0x3F:
    case 0x40: hdw_get_u32(r); break;
    case 0x41: in->value = hdw_get_s64(r, 32); break;
    case 0x42: in->value = hdw_get_s64(r, 64); break;
    case 0x43: hdw_get_bytes(r, 4); break;
    case 0x44: hdw_get_bytes(r, 8); break;
    case 0xD0: hdw_get_byte(r); break;
    case 0xFC:
        in->sub = hdw_get_u32(r);
        if (in->sub == 8 || in->sub == 10 || in->sub == 12 || in->sub == 14) {
            hdw_get_u32(r);
            hdw_get_u32(r);
        } else if (in->sub == 9 || in->sub == 11 || in->sub == 13 ||
                   (in->sub >= 15 && in->sub <= 17)) {
            hdw_get_u32(r);
        } else if (in->sub > 17) {
            hdw_fail(r, "unknown instruction after prefix 0xFC");
        }
        break;
    case 0xFD:
        in->sub = hdw_get_u32(r);
        if (in->sub <= 11 || in->sub == 92 || in->sub == 93) {
            skip_memarg(r);
        } else if (in->sub == 12 || in->sub == 13) {
            hdw_get_bytes(r, 16);
        } else if (in->sub >= 21 && in->sub <= 34) {
            hdw_get_byte(r);
        } else if (in->sub >= 84 && in->sub <= 91) {
            skip_memarg(r);
            hdw_get_byte(r);
        }
        break;
    case 0xFA:
        in->sub = hdw_get_u32(r);
        if (in->sub <= 2) skip_memarg(r);
        break;
    default:
        if (op >= 0x28 && op <= 0x3E) {
            skip_memarg(r);
        } else if ((op >= 0x06 && op <= 0x09) || op == 0x12 || op == 0x13 ||
                   (op >= 0x14 && op <= 0x19) || op == 0xFB || op == 0xFE) {
            hdw_fail(r, "an instruction ward harden does not know (exceptions, tail calls, "
                        "GC or threads)");
        }
        break;
    }
    in->end = r->p;
    return !r->err;
}
