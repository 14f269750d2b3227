/* cage-place.c - writes Cage's instructions into a module through
 * placeholders, since wabt and clang do not know them.
 *
 *   cage-place IN.wasm OUT.wasm
 *
 * A module (from wat2wasm, or C compiled with clang --target=wasm32-wasi
 * and include/ward_guest_cage.h) imports placeholder functions from the module
 * "ward:cage", named after the instructions (docs/cage.md):
 *
 *   segment.new      (T ptr, T size) -> T          T = i32, or i64 for memory64
 *   segment.set_tag  (T ptr, T tagsrc, T size) -> ()
 *   segment.free     (T ptr, T size) -> ()
 *   i64.pointer_sign, i64.pointer_auth, i64.pointer_strip   (i64) -> i64
 *   i32.pointer_sign, i32.pointer_auth, i32.pointer_strip   (i32) -> i32
 *
 * Every `call` of a placeholder becomes the instruction (0xFA prefix;
 * segments act on memory 0 with offset 0), which has the same stack
 * signature. The placeholder imports are removed, so every other function
 * index (calls, ref.func, exports, start, element segments) is renumbered;
 * the "name" section, whose function indexes would be stale, is dropped.
 * Anything else is copied as it is. A placeholder that is exported,
 * referenced as a value (ref.func, tables) or imported with the wrong
 * type is an error.
 *
 * The C here reads untrusted input carefully but is a build tool, not part
 * of the runtime: on malformed input it reports and exits 1.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffers ---------------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cage-place: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) die("out of memory");
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_byte(buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_u32(buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v) byte |= 0x80;
        put_byte(b, byte);
    } while (v);
}

/* ---- reading ----------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p, *end;
} rd;

static uint8_t get_byte(rd *r)
{
    if (r->p >= r->end) die("unexpected end of the module");
    return *r->p++;
}

static uint64_t get_leb(rd *r, unsigned max_bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < max_bytes; i++) {
        uint8_t b = get_byte(r);
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) return v;
    }
    die("LEB128 number too long");
    return 0;
}

static uint32_t get_u32(rd *r)
{
    uint64_t v = get_leb(r, 5);
    if (v > UINT32_MAX) die("integer too large");
    return (uint32_t)v;
}

/* Copies a LEB128 number of at most max_bytes as it is. */
static void copy_leb(rd *r, buf *out, unsigned max_bytes)
{
    const uint8_t *s = r->p;
    get_leb(r, max_bytes);
    put(out, s, (size_t)(r->p - s));
}

static void copy_bytes(rd *r, buf *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n) die("unexpected end of the module");
    put(out, r->p, n);
    r->p += n;
}

/* ---- the placeholders ---------------------------------------------------------------- */

typedef struct placeholder {
    const char *name;
    uint8_t sub;   /* 0xFA sub-opcode */
    int nparams;   /* of type T */
    bool result;   /* returns a T */
    bool memarg;   /* segment instructions */
    uint8_t fixed; /* 0: T is the memory's index type; else the value type */
} placeholder;

static const placeholder places[] = {
    {"segment.new", 0, 2, true, true, 0},           {"segment.set_tag", 1, 3, false, true, 0},
    {"segment.free", 2, 2, false, true, 0},         {"i64.pointer_sign", 4, 1, true, false, 0x7e},
    {"i64.pointer_auth", 5, 1, true, false, 0x7e},  {"i64.pointer_strip", 6, 1, true, false, 0x7e},
    {"i32.pointer_sign", 7, 1, true, false, 0x7f},  {"i32.pointer_auth", 8, 1, true, false, 0x7f},
    {"i32.pointer_strip", 9, 1, true, false, 0x7f},
};
#define NPLACES (sizeof places / sizeof places[0])

typedef struct functype {
    uint32_t np, nr;
    uint8_t params[4], results[2];
    bool small; /* fits the arrays (placeholders always do) */
} functype;

typedef struct module {
    functype *types;
    uint32_t ntypes;
    uint32_t nfuncimports; /* before removal */
    /* Per function index of the input: the placeholder (index into places)
     * or -1, and the new index (valid when not a placeholder). */
    int *place;
    uint32_t *newidx;
    uint32_t nfuncs; /* imported functions known so far, plus defined ones */
    uint32_t nremoved;
} module;

static void read_types(module *m, rd r)
{
    m->ntypes = get_u32(&r);
    if (m->ntypes > (size_t)(r.end - r.p)) die("type count too large");
    m->types = calloc(m->ntypes ? m->ntypes : 1, sizeof *m->types);
    if (!m->types) die("out of memory");
    for (uint32_t i = 0; i < m->ntypes; i++) {
        functype *t = &m->types[i];
        if (get_byte(&r) != 0x60) die("type %u is not a function type", i);
        t->small = true;
        t->np = get_u32(&r);
        for (uint32_t k = 0; k < t->np; k++) {
            uint8_t v = get_byte(&r);
            if (k < 4) t->params[k] = v;
        }
        t->nr = get_u32(&r);
        for (uint32_t k = 0; k < t->nr; k++) {
            uint8_t v = get_byte(&r);
            if (k < 2) t->results[k] = v;
        }
        t->small = t->np <= 4 && t->nr <= 2;
    }
}

/* Which placeholder an import is (-1: none); checks its type. */
static int find_place(const module *m, const char *name, uint32_t nlen, uint32_t type)
{
    for (size_t i = 0; i < NPLACES; i++) {
        const placeholder *pl = &places[i];
        if (strlen(pl->name) != nlen || memcmp(pl->name, name, nlen) != 0) continue;
        if (type >= m->ntypes) die("import ward:cage %s: unknown type %u", pl->name, type);
        const functype *t = &m->types[type];
        uint8_t want = t->np ? t->params[0] : 0;
        bool ok = t->small && (int)t->np == pl->nparams && t->nr == (pl->result ? 1u : 0u);
        if (pl->fixed) ok = ok && want == pl->fixed;
        ok = ok && (want == 0x7f || want == 0x7e);
        for (uint32_t k = 0; ok && k < t->np; k++)
            ok = t->params[k] == want;
        if (ok && pl->result) ok = t->results[0] == want;
        if (!ok) die("import ward:cage %s has the wrong type", pl->name);
        return (int)i;
    }
    die("unknown placeholder ward:cage %.*s", (int)nlen, name);
    return -1;
}

/* The import section without the placeholders; fills m->place. */
static void rewrite_imports(module *m, rd r, buf *out)
{
    uint32_t n = get_u32(&r), kept = 0;
    buf body = {0};
    m->place = calloc(n ? n : 1, sizeof *m->place);
    if (!m->place) die("out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *start = r.p;
        uint32_t mlen = get_u32(&r);
        if ((size_t)(r.end - r.p) < mlen) die("import name too long");
        const char *mod = (const char *)r.p;
        r.p += mlen;
        uint32_t nlen = get_u32(&r);
        if ((size_t)(r.end - r.p) < nlen) die("import name too long");
        const char *name = (const char *)r.p;
        r.p += nlen;
        uint8_t kind = get_byte(&r);
        bool cage = mlen == 9 && memcmp(mod, "ward:cage", 9) == 0;
        switch (kind) {
        case 0: {
            uint32_t type = get_u32(&r);
            int pl = cage ? find_place(m, name, nlen, type) : -1;
            m->place[m->nfuncimports++] = pl;
            if (pl >= 0) {
                m->nremoved++;
                continue;
            }
            break;
        }
        case 1: /* table: reftype, limits */
            get_byte(&r);
            /* fallthrough */
        case 2: { /* memory: limits */
            uint8_t flags = get_byte(&r);
            get_leb(&r, 10);
            if (flags & 1) get_leb(&r, 10);
            break;
        }
        case 3:
            get_byte(&r);
            get_byte(&r);
            break;
        default: die("unknown import kind %u", kind);
        }
        if (cage) die("ward:cage imports must be functions");
        put(&body, start, (size_t)(r.p - start));
        kept++;
    }
    put_u32(out, kept);
    put(out, body.p, body.n);
    free(body.p);
}

/* Sizes the index maps for ndefs defined functions. */
static void number_functions(module *m, uint32_t ndefs)
{
    m->nfuncs = m->nfuncimports + ndefs;
    int *pl = realloc(m->place, (m->nfuncs ? m->nfuncs : 1) * sizeof *pl);
    m->newidx = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *m->newidx);
    if (!pl || !m->newidx) die("out of memory");
    m->place = pl;
    uint32_t next = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (i >= m->nfuncimports) m->place[i] = -1;
        if (m->place[i] < 0) m->newidx[i] = next++;
    }
}

/* A function index used as a value or export: renumbered. */
static void put_funcidx(const module *m, buf *out, uint32_t idx, const char *what)
{
    if (idx >= m->nfuncs) die("%s names unknown function %u", what, idx);
    if (m->place[idx] >= 0)
        die("%s names placeholder %s, which is not a function", what, places[m->place[idx]].name);
    put_u32(out, m->newidx[idx]);
}

/* A memarg: flags (with a memory index if bit 6 is set), offset. */
static void copy_memarg(rd *r, buf *out)
{
    const uint8_t *s = r->p;
    uint32_t flags = get_u32(r);
    if (flags & 0x40) get_u32(r);
    get_leb(r, 10);
    put(out, s, (size_t)(r->p - s));
}

/* Copies one instruction (opcode already read) with its immediates,
 * rewriting calls and function references. */
static void copy_instr(const module *m, rd *r, buf *out, uint8_t op)
{
    uint32_t n, sub;
    if (op == 0x10) { /* call */
        uint32_t idx = get_u32(r);
        if (idx >= m->nfuncs) die("call of unknown function %u", idx);
        if (m->place[idx] >= 0) {
            const placeholder *pl = &places[m->place[idx]];
            put_byte(out, 0xFA);
            put_u32(out, pl->sub);
            if (pl->memarg) {
                put_byte(out, 4); /* alignment 2^4: a granule */
                put_byte(out, 0); /* offset 0 */
            }
            return;
        }
        put_byte(out, op);
        put_u32(out, m->newidx[idx]);
        return;
    }
    if (op == 0xD2) { /* ref.func */
        put_byte(out, op);
        put_funcidx(m, out, get_u32(r), "ref.func");
        return;
    }
    put_byte(out, op);
    switch (op) {
    case 0x02:
    case 0x03:
    case 0x04: copy_leb(r, out, 5); break; /* block type (s33) */
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x3F:
    case 0x40: copy_leb(r, out, 5); break;
    case 0x0E:
        n = get_u32(r);
        put_u32(out, n);
        for (uint64_t i = 0; i <= n; i++)
            copy_leb(r, out, 5);
        break;
    case 0x11:
        copy_leb(r, out, 5);
        copy_leb(r, out, 5);
        break;
    case 0x1C:
        n = get_u32(r);
        put_u32(out, n);
        copy_bytes(r, out, n);
        break;
    case 0x41: copy_leb(r, out, 5); break;
    case 0x42: copy_leb(r, out, 10); break;
    case 0x43: copy_bytes(r, out, 4); break;
    case 0x44: copy_bytes(r, out, 8); break;
    case 0xD0: copy_bytes(r, out, 1); break;
    case 0xFC:
        sub = get_u32(r);
        put_u32(out, sub);
        if (sub == 8 || sub == 10 || sub == 12 || sub == 14) {
            copy_leb(r, out, 5);
            copy_leb(r, out, 5);
        } else if (sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17)) {
            copy_leb(r, out, 5);
        } else if (sub > 17) {
            die("unknown instruction 0xFC %u", sub);
        }
        break;
    case 0xFD:
        sub = get_u32(r);
        put_u32(out, sub);
        if (sub <= 11 || sub == 92 || sub == 93) {
            copy_memarg(r, out);
        } else if (sub == 12 || sub == 13) {
            copy_bytes(r, out, 16);
        } else if (sub >= 21 && sub <= 34) {
            copy_bytes(r, out, 1);
        } else if (sub >= 84 && sub <= 91) {
            copy_memarg(r, out);
            copy_bytes(r, out, 1);
        }
        break;
    case 0xFA:
        sub = get_u32(r);
        put_u32(out, sub);
        if (sub <= 2) copy_memarg(r, out);
        break;
    default:
        if ((op >= 0x28 && op <= 0x3E)) copy_memarg(r, out);
        break;
    }
}

/* A constant expression, up to and including its `end`. */
static void copy_const(const module *m, rd *r, buf *out)
{
    for (;;) {
        uint8_t op = get_byte(r);
        if (op == 0x0B) {
            put_byte(out, op);
            return;
        }
        copy_instr(m, r, out, op);
    }
}

static void rewrite_code(const module *m, rd r, buf *out)
{
    uint32_t n = get_u32(&r);
    put_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size = get_u32(&r);
        if ((size_t)(r.end - r.p) < size) die("function body %u too long", i);
        rd b = {r.p, r.p + size};
        r.p += size;
        buf body = {0};
        uint32_t groups = get_u32(&b);
        put_u32(&body, groups);
        for (uint32_t k = 0; k < groups; k++) {
            copy_leb(&b, &body, 5);
            copy_bytes(&b, &body, 1);
        }
        while (b.p < b.end)
            copy_instr(m, &b, &body, get_byte(&b));
        put_u32(out, (uint32_t)body.n);
        put(out, body.p, body.n);
        free(body.p);
    }
}

static void rewrite_exports(const module *m, rd r, buf *out)
{
    uint32_t n = get_u32(&r);
    put_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = get_u32(&r);
        put_u32(out, len);
        copy_bytes(&r, out, len);
        uint8_t kind = get_byte(&r);
        put_byte(out, kind);
        if (kind == 0)
            put_funcidx(m, out, get_u32(&r), "an export");
        else
            copy_leb(&r, out, 5);
    }
}

static void rewrite_globals(const module *m, rd r, buf *out)
{
    uint32_t n = get_u32(&r);
    put_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
        copy_bytes(&r, out, 2); /* value type, mutability */
        copy_const(m, &r, out);
    }
}

static void rewrite_elems(const module *m, rd r, buf *out)
{
    uint32_t n = get_u32(&r);
    put_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t flags = get_u32(&r);
        put_u32(out, flags);
        if (flags > 7) die("element segment %u: unknown form %u", i, flags);
        bool passive_or_decl = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
        if (!passive_or_decl) {
            if (explicit_table) copy_leb(&r, out, 5);
            copy_const(m, &r, out);
        }
        /* elemkind (0x00) or reference type, except in forms 0 and 4 */
        if (flags != 0 && flags != 4) copy_bytes(&r, out, 1);
        uint32_t count = get_u32(&r);
        put_u32(out, count);
        for (uint32_t k = 0; k < count; k++) {
            if (exprs)
                copy_const(m, &r, out);
            else
                put_funcidx(m, out, get_u32(&r), "an element segment");
        }
    }
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open %s", path);
    buf b = {0};
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(&b, chunk, n);
    fclose(f);
    *len = b.n;
    return b.p;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cage-place IN.wasm OUT.wasm\n");
        return 2;
    }
    size_t len;
    uint8_t *in = read_all(argv[1], &len);
    if (len < 8 || memcmp(in, "\0asm\1\0\0\0", 8) != 0) die("%s is not a Wasm module", argv[1]);
    module m = {0};
    buf out = {0};
    put(&out, in, 8);
    rd r = {in + 8, in + len};
    bool numbered = false;
    while (r.p < r.end) {
        uint8_t id = get_byte(&r);
        uint32_t size = get_u32(&r);
        if ((size_t)(r.end - r.p) < size) die("section %u too long", id);
        rd s = {r.p, r.p + size};
        r.p += size;
        buf body = {0};
        if (id == 0) {
            rd name = s;
            uint32_t nlen = get_u32(&name);
            if (nlen == 4 && (size_t)(name.end - name.p) >= 4 && !memcmp(name.p, "name", 4))
                continue; /* its function indexes would be stale */
            put(&body, s.p, size);
        } else if (id == 1) {
            read_types(&m, s);
            put(&body, s.p, size);
        } else if (id == 2) {
            rewrite_imports(&m, s, &body);
        } else if (id == 3) {
            rd f = s;
            number_functions(&m, get_u32(&f));
            numbered = true;
            put(&body, s.p, size);
        } else {
            /* Sections after the function section (or where it would be). */
            if (!numbered) {
                number_functions(&m, 0);
                numbered = true;
            }
            switch (id) {
            case 6: rewrite_globals(&m, s, &body); break;
            case 7: rewrite_exports(&m, s, &body); break;
            case 8: put_funcidx(&m, &body, get_u32(&s), "the start section"); break;
            case 9: rewrite_elems(&m, s, &body); break;
            case 10: rewrite_code(&m, s, &body); break;
            default: put(&body, s.p, size); break;
            }
        }
        put_byte(&out, id);
        put_u32(&out, (uint32_t)body.n);
        put(&out, body.p, body.n);
        free(body.p);
    }
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(out.p, 1, out.n, f) != out.n || fclose(f) != 0)
        die("cannot write %s", argv[2]);
    free(out.p);
    free(in);
    free(m.types);
    free(m.place);
    free(m.newidx);
    return 0;
}
