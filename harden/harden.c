/* harden.c - the rewrite of `ward harden` (harden.h, docs/harden.md).
 *
 * Three parts, each a pass over the module the reader (wasm.c) parsed:
 *
 * Heap. The allocator's entry points (malloc, free, ...) are found by the
 * name section, the exports or --alloc. Each gets a wrapper, appended as a
 * new function, and every call of the original from outside the allocator
 * (and every export and table entry of it) goes to the wrapper instead. The
 * wrappers know wasi-libc's dlmalloc (16-byte alignment, a 4-byte chunk
 * header just below the block, chunk sizes that are multiples of 16): they
 * ask for round16(n) + 12 bytes, which makes the chunk round16(n) + 16
 * long, and make [block, block + chunk - 16) a segment. So the last granule
 * of every chunk - which holds the next chunk's header - is never tagged:
 * allocator metadata is never reachable through a tagged pointer, and
 * between two blocks there is always a tag-0 granule, which catches every
 * linear overflow or underflow by up to 16 bytes. free checks the pointer,
 * retags the block to 0 (segment.free, which traps unless every granule
 * carries the pointer's tag) and then gives the untagged pointer to the
 * allocator. realloc always moves: new block, copy, free.
 *
 * Stack. LLVM's frame pattern (`global.get $__stack_pointer; i32.const N;
 * i32.sub`, or the same through locals at -O0) is found by a small abstract
 * interpretation of the start of each function. The frame base gets a new
 * tag (segment.new, which never repeats the tag of the granule above, the
 * caller's frame), the body is wrapped in a block so that every way out of
 * it (return, a branch to the function's label, its end) comes to one
 * epilogue, which retags the frame to 0 and restores __stack_pointer to the
 * value it had on entry.
 *
 * Function pointers are not signed: see docs/harden.md for why.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harden.h"
#include "wasm.h"

/* ---- allocator roles ------------------------------------------------------------------ */

enum {
    R_MALLOC,
    R_FREE,
    R_CALLOC,
    R_REALLOC,
    R_ALIGNED_ALLOC,
    R_POSIX_MEMALIGN,
    R_MEMALIGN,
    R_USABLE,
    NROLES
};

typedef struct role_info {
    const char *name;
    uint8_t np, nr; /* i32 params and results (wasm32) */
} role_info;

static const role_info roles[NROLES] = {
    {"malloc", 1, 1},        {"free", 1, 0},
    {"calloc", 2, 1},        {"realloc", 2, 1},
    {"aligned_alloc", 2, 1}, {"posix_memalign", 3, 1},
    {"memalign", 2, 1},      {"malloc_usable_size", 1, 1},
};

/* Helpers the wrappers share, appended before them. */
enum { H_INVALID, H_DOUBLE, H_LAYOUT, H_SEG, H_SIZE, NHELPERS };
static const char *const helper_names[NHELPERS] = {
    "__ward_harden_invalid_free", "__ward_harden_double_free",
    "__ward_harden_allocator_not_dlmalloc", "__ward_harden_segment", "__ward_harden_block_size"};

/* Requests above this are passed to the allocator as they are (they fail:
 * a tagged 32-bit memory holds at most 256 MiB). */
#define BIG_REQUEST 0x0FFFFF00u

/* ---- state ---------------------------------------------------------------------------- */

typedef struct hd {
    hdw_module m;
    const hd_options *opt;
    char *err;
    size_t errlen;
    bool failed;
    hdw_buf report;
    hdw_buf record; /* the ward.harden section's text */

    uint8_t ptr; /* 0x7f or 0x7e: the index type of memory 0 */
    uint32_t sp; /* __stack_pointer, or UINT32_MAX */
    const char *sp_how;
    int64_t role_func[NROLES]; /* function index, or -1 */
    const char *role_how[NROLES];
    bool heap;

    /* New functions: helpers, then one wrapper per role found. */
    uint32_t helper_idx[NHELPERS];
    uint32_t low; /* a new global: the lowest block the allocator gave */
    uint32_t wrap_idx[NROLES];
    uint32_t nnew;
    uint32_t new_type[NHELPERS + NROLES];
    hdw_buf new_body[NHELPERS + NROLES];
    const char *new_name[NHELPERS + NROLES];
    hdw_buf extra_types; /* appended type entries */
    uint32_t nextra_types;
    uint32_t *redirect; /* per function index: the index calls go to */

    /* counts for the report */
    uint32_t calls_redirected, frames, frames_skipped_alloca, frames_skipped_results,
        frames_skipped_size, funcs_with_sp, bound_checks, funcs_untagged_sp;
    uint64_t instrs_in, instrs_frames, instrs_wrappers;
} hd;

static void fail(hd *h, const char *fmt, ...)
{
    if (h->failed) return;
    h->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err, h->errlen, fmt, ap);
    va_end(ap);
}

static void out_printf(hdw_buf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0) hdw_put(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* A function's printable name: from the name section, or "function N". */
static const char *fname(const hd *h, uint32_t idx, char *tmp, size_t len)
{
    if (h->m.fname && idx < h->m.nfuncs && h->m.fname[idx]) {
        snprintf(tmp, len, "%.*s", (int)h->m.fname_len[idx], (const char *)h->m.fname[idx]);
    } else {
        snprintf(tmp, len, "(unnamed) function %" PRIu32, idx);
    }
    return tmp;
}

/* ---- finding things ------------------------------------------------------------------- */

static int64_t func_by_name(const hd *h, const char *name, const char **how)
{
    const hdw_module *m = &h->m;
    if (m->fname)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            if (hdw_name_is(m->fname[i], m->fname_len[i], name)) {
                *how = "name section";
                return i;
            }
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == 0 &&
            hdw_name_is(m->exports[i].name, m->exports[i].name_len, name)) {
            *how = "export";
            return m->exports[i].idx;
        }
    return -1;
}

/* A WASI command's export is a wrapper wasm-ld makes (X.command_export):
 * it forwards its parameters to X and then calls the destructors,
 *     local.get 0 ... local.get n-1; call X; [call D;] end
 * For such a function, X (of the same type); otherwise f itself. */
static uint32_t through_command_export(const hd *h, uint32_t f, bool *followed)
{
    *followed = false;
    if (f < h->m.nfimports || f >= h->m.nfuncs) return f;
    uint32_t di = f - h->m.nfimports;
    hdw_rd r = {h->m.body[di], h->m.body[di] + h->m.body_len[di], h->m.body[di], NULL};
    if (hdw_get_u32(&r) != 0) return f; /* no locals */
    const hdw_type *t = &h->m.types[h->m.ftype[f]];
    hdw_instr in;
    for (uint32_t i = 0; i < t->np; i++)
        if (!hdw_next(&r, &in) || in.op != 0x20 || in.idx != i) return f;
    if (!hdw_next(&r, &in) || in.op != 0x10 || in.idx >= h->m.nfuncs) return f;
    uint32_t target = in.idx;
    const hdw_type *tt = &h->m.types[h->m.ftype[target]];
    if (tt->np != t->np || tt->nr != t->nr || memcmp(tt->params, t->params, t->np) ||
        memcmp(tt->results, t->results, t->nr))
        return f;
    if (!hdw_next(&r, &in)) return f;
    if (in.op == 0x10) {
        const hdw_type *d = in.idx < h->m.nfuncs ? &h->m.types[h->m.ftype[in.idx]] : NULL;
        if (!d || d->np || d->nr || !hdw_next(&r, &in)) return f;
    }
    if (in.op != 0x0B || r.p != r.end) return f;
    *followed = true;
    return target;
}

static bool type_is(const hd *h, uint32_t func, uint32_t np, uint32_t nr, uint8_t t)
{
    const hdw_type *ty = &h->m.types[h->m.ftype[func]];
    if (ty->np != np || ty->nr != nr) return false;
    for (uint32_t i = 0; i < np; i++)
        if (ty->params[i] != t) return false;
    for (uint32_t i = 0; i < nr; i++)
        if (ty->results[i] != t) return false;
    return true;
}

static void find_allocator(hd *h)
{
    for (int r = 0; r < NROLES; r++)
        h->role_func[r] = -1;
    /* --alloc first: a name or an index. */
    for (size_t i = 0; i < h->opt->nalloc && !h->failed; i++) {
        const hd_alloc_name *a = &h->opt->alloc[i];
        int r;
        for (r = 0; r < NROLES; r++)
            if (strcmp(a->role, roles[r].name) == 0) break;
        if (r == NROLES) {
            fail(h,
                 "--alloc %s=%s: unknown role '%s' (malloc, free, calloc, realloc, "
                 "aligned_alloc, posix_memalign, memalign, malloc_usable_size)",
                 a->role, a->func, a->role);
            return;
        }
        char *end;
        unsigned long long v = strtoull(a->func, &end, 10);
        if (*a->func >= '0' && *a->func <= '9' && *end == 0) {
            if (v >= h->m.nfuncs) {
                fail(h, "--alloc %s=%s: the module has %" PRIu32 " functions", a->role, a->func,
                     h->m.nfuncs);
                return;
            }
            h->role_func[r] = (int64_t)v;
            h->role_how[r] = "--alloc (index)";
        } else {
            const char *how;
            h->role_func[r] = func_by_name(h, a->func, &how);
            if (h->role_func[r] < 0) {
                fail(h, "--alloc %s=%s: no function of that name (name section or exports)",
                     a->role, a->func);
                return;
            }
            h->role_how[r] = "--alloc (name)";
        }
    }
    for (int r = 0; r < NROLES; r++) {
        if (h->role_func[r] >= 0) continue;
        h->role_func[r] = func_by_name(h, roles[r].name, &h->role_how[r]);
        bool followed;
        if (h->role_func[r] >= 0 && !strcmp(h->role_how[r], "export")) {
            h->role_func[r] = through_command_export(h, (uint32_t)h->role_func[r], &followed);
            if (followed) h->role_how[r] = "export, through wasm-ld's command export wrapper";
        }
    }
    bool any = false;
    for (int r = 0; r < NROLES && !h->failed; r++) {
        int64_t f = h->role_func[r];
        if (f < 0) continue;
        char nm[128];
        if ((uint32_t)f < h->m.nfimports) {
            fail(h, "%s is %s, an import: ward harden wraps an allocator inside the module",
                 roles[r].name, fname(h, (uint32_t)f, nm, sizeof nm));
            return;
        }
        if (!type_is(h, (uint32_t)f, roles[r].np, roles[r].nr, 0x7f)) {
            fail(h, "%s (%s) does not have the type of wasi-libc's %s on wasm32", roles[r].name,
                 fname(h, (uint32_t)f, nm, sizeof nm), roles[r].name);
            return;
        }
        for (int q = 0; q < r; q++)
            if (h->role_func[q] == f) {
                fail(h, "%s and %s are the same function (%s)", roles[q].name, roles[r].name,
                     fname(h, (uint32_t)f, nm, sizeof nm));
                return;
            }
        any = true;
    }
    if (h->failed) return;
    if (h->opt->no_heap) {
        for (int r = 0; r < NROLES; r++)
            h->role_func[r] = -1;
        return;
    }
    if (!any) {
        if (!h->m.has_names) {
            fail(h, "cannot find the allocator: the module has no name section and exports "
                    "none of malloc, free, calloc, realloc, aligned_alloc, posix_memalign, "
                    "memalign (binaryen's wasm-opt, which clang runs at -O2 when it is on the "
                    "PATH, drops the names). Name them with --alloc malloc=INDEX,..., export "
                    "them (-Wl,--export=malloc,...) or harden the stack only with --no-heap");
            return;
        }
        return; /* the program allocates nothing: the stack only */
    }
    if (h->m.mem64) {
        fail(h, "the heap of a wasm64 module: ward harden knows the layout of wasi-libc's "
                "allocator on wasm32 only (harden the stack only with --no-heap)");
        return;
    }
    if (h->role_func[R_REALLOC] >= 0 && (h->role_func[R_MALLOC] < 0 || h->role_func[R_FREE] < 0)) {
        fail(h, "realloc was found but not malloc and free, which its wrapper needs (name them "
                "with --alloc)");
        return;
    }
    h->heap = true;
}

static void find_stack_pointer(hd *h)
{
    const hdw_module *m = &h->m;
    h->sp = UINT32_MAX;
    if (m->gname)
        for (uint32_t i = 0; i < m->nglobals; i++)
            if (hdw_name_is(m->gname[i], m->gname_len[i], "__stack_pointer")) {
                h->sp = i;
                h->sp_how = "name section";
            }
    for (uint32_t i = 0; i < m->nexports && h->sp == UINT32_MAX; i++)
        if (m->exports[i].kind == 3 &&
            hdw_name_is(m->exports[i].name, m->exports[i].name_len, "__stack_pointer")) {
            h->sp = m->exports[i].idx;
            h->sp_how = "export";
        }
    /* wasm-ld makes __stack_pointer global 0. */
    if (h->sp == UINT32_MAX && m->nglobals > 0 && !m->gname) {
        h->sp = 0;
        h->sp_how = "global 0, as wasm-ld places it (no names)";
    }
    if (h->sp != UINT32_MAX &&
        (h->sp >= m->nglobals || m->gtype[h->sp] != h->ptr || !m->gmut[h->sp]))
        h->sp = UINT32_MAX;
}

/* ---- types ---------------------------------------------------------------------------- */

static uint32_t type_index(hd *h, uint32_t np, const uint8_t *params, uint32_t nr,
                           const uint8_t *results)
{
    for (uint32_t i = 0; i < h->m.ntypes; i++) {
        const hdw_type *t = &h->m.types[i];
        if (t->np == np && t->nr == nr && !memcmp(t->params, params, np) &&
            !memcmp(t->results, results, nr))
            return i;
    }
    /* Appended types are few: look through the buffer's entries. */
    const uint8_t *p = h->extra_types.p;
    for (uint32_t i = 0; i < h->nextra_types; i++) {
        uint32_t tnp = p[1];
        uint32_t tnr = p[2 + tnp];
        if (tnp == np && tnr == nr && !memcmp(p + 2, params, np) &&
            !memcmp(p + 3 + tnp, results, nr))
            return h->m.ntypes + i;
        p += 3 + tnp + tnr;
    }
    hdw_byte(&h->extra_types, 0x60);
    hdw_byte(&h->extra_types, (uint8_t)np);
    hdw_put(&h->extra_types, params, np);
    hdw_byte(&h->extra_types, (uint8_t)nr);
    hdw_put(&h->extra_types, results, nr);
    return h->m.ntypes + h->nextra_types++;
}

/* ---- the heap wrappers ------------------------------------------------------------------ */

/* Instruction emitters for the wrappers (wasm32). */
#define OP(b, x) hdw_byte(b, (uint8_t)(x))
static void lget(hdw_buf *b, uint32_t i)
{
    OP(b, 0x20), hdw_u32(b, i);
}
static void lset(hdw_buf *b, uint32_t i)
{
    OP(b, 0x21), hdw_u32(b, i);
}
static void ltee(hdw_buf *b, uint32_t i)
{
    OP(b, 0x22), hdw_u32(b, i);
}
static void i32c(hdw_buf *b, int32_t v)
{
    OP(b, 0x41), hdw_s64(b, v);
}
static void call(hdw_buf *b, uint32_t f)
{
    OP(b, 0x10), hdw_u32(b, f);
}
static void if_(hdw_buf *b)
{
    OP(b, 0x04), OP(b, 0x40);
}
static void end(hdw_buf *b)
{
    OP(b, 0x0B);
}
static void ret(hdw_buf *b)
{
    OP(b, 0x0F);
}
static void gget(hdw_buf *b, uint32_t g)
{
    OP(b, 0x23), hdw_u32(b, g);
}
static void gset(hdw_buf *b, uint32_t g)
{
    OP(b, 0x24), hdw_u32(b, g);
}
/* segment.new / segment.free on memory 0, alignment 2^4, offset 0 */
static void seg(hdw_buf *b, uint8_t sub)
{
    OP(b, 0xFA), OP(b, sub), OP(b, 4), OP(b, 0);
}
/* round16(local n) + 12: what the wrappers ask the allocator for */
static void padded(hdw_buf *b, uint32_t n)
{
    lget(b, n), i32c(b, 15), OP(b, 0x6A), i32c(b, -16), OP(b, 0x71), i32c(b, 12), OP(b, 0x6A);
}
/* if (local n > BIG_REQUEST) return orig(locals args...) */
static void big_passthrough(hdw_buf *b, uint32_t n, uint32_t orig, uint32_t nargs)
{
    lget(b, n), i32c(b, (int32_t)BIG_REQUEST), OP(b, 0x4B), if_(b);
    for (uint32_t i = 0; i < nargs; i++)
        lget(b, i);
    call(b, orig), ret(b), end(b);
}

/* Adds a new function; its body gets locals from `locals` (pairs of count
 * and type, n pairs). Returns the buffer to write the instructions to. */
static hdw_buf *new_func(hd *h, uint32_t *idx, uint32_t type, const char *name, uint32_t n,
                         const uint8_t *locals)
{
    uint32_t k = h->nnew++;
    *idx = h->m.nfuncs + k;
    h->new_type[k] = type;
    h->new_name[k] = name;
    hdw_buf *b = &h->new_body[k];
    hdw_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        hdw_u32(b, locals[2 * i]);
        hdw_byte(b, locals[2 * i + 1]);
    }
    return b;
}

static uint32_t count_instrs(const hdw_buf *body)
{
    hdw_rd r = {body->p, body->p + body->n, body->p, NULL};
    uint32_t groups = hdw_get_u32(&r), n = 0;
    for (uint32_t i = 0; i < groups; i++) {
        hdw_get_u32(&r);
        hdw_get_byte(&r);
    }
    hdw_instr in;
    while (r.p < r.end && hdw_next(&r, &in))
        n++;
    return n;
}

static void build_wrappers(hd *h)
{
    static const uint8_t I = 0x7f;
    const uint8_t none[1] = {0}, i32x2[2] = {I, I}, i32x1[1] = {I};
    uint32_t t_void = type_index(h, 0, none, 0, none);
    uint32_t t_seg = type_index(h, 2, i32x2, 1, i32x1);
    uint32_t t_size = type_index(h, 1, i32x1, 1, i32x1);
    h->low = h->m.nglobals;
    hdw_buf *b;
    uint32_t *hi = h->helper_idx;

    /* Traps that name what went wrong in the backtrace. */
    for (int k = H_INVALID; k <= H_LAYOUT; k++) {
        b = new_func(h, &hi[k], t_void, helper_names[k], 0, NULL);
        OP(b, 0x00), end(b);
    }
    /* segment(m, n): m from the allocator (0 or a block of at least
     * round16(n) + 12 bytes) -> m as a tagged segment of chunk - 16 bytes. */
    const uint8_t l_seg[] = {1, I};
    b = new_func(h, &hi[H_SEG], t_seg, helper_names[H_SEG], 1, l_seg);
    lget(b, 0), OP(b, 0x45), if_(b), i32c(b, 0), ret(b), end(b);
    lget(b, 0), gget(b, h->low), OP(b, 0x49), if_(b), lget(b, 0), gset(b, h->low), end(b);
    lget(b, 0), i32c(b, 4), OP(b, 0x6B), OP(b, 0x28), OP(b, 2), OP(b, 0), lset(b, 2); /* head */
    lget(b, 0), i32c(b, 15), OP(b, 0x71);                                             /* m & 15 */
    lget(b, 2), i32c(b, 2), OP(b, 0x71), OP(b, 0x45), OP(b, 0x72); /* | !(head & CINUSE) */
    lget(b, 2), i32c(b, -8), OP(b, 0x71), i32c(b, 16), OP(b, 0x6B);
    lget(b, 1), OP(b, 0x49), OP(b, 0x72); /* | chunk - 16 < n */
    lget(b, 2), i32c(b, -8), OP(b, 0x71), i32c(b, 16), OP(b, 0x49), OP(b, 0x72); /* | chunk < 16 */
    if_(b), call(b, hi[H_LAYOUT]), end(b);
    lget(b, 0), lget(b, 2), i32c(b, -8), OP(b, 0x71), i32c(b, 16), OP(b, 0x6B), seg(b, 0);
    end(b);
    /* block_size(p): the segment size of a live block, or a trap. */
    const uint8_t l_size[] = {1, I};
    b = new_func(h, &hi[H_SIZE], t_size, helper_names[H_SIZE], 1, l_size);
    lget(b, 0), i32c(b, 28), OP(b, 0x76), OP(b, 0x45); /* no tag */
    lget(b, 0), i32c(b, 15), OP(b, 0x71), OP(b, 0x72); /* | not at a granule */
    /* | below every block the allocator gave: the stack or static data */
    lget(b, 0), i32c(b, 0x0FFFFFFF), OP(b, 0x71), gget(b, h->low), OP(b, 0x49), OP(b, 0x72);
    if_(b), call(b, hi[H_INVALID]), end(b);
    /* The header below the block, read untagged (its granule is tag 0). */
    lget(b, 0), i32c(b, 0x0FFFFFFF), OP(b, 0x71), i32c(b, 4), OP(b, 0x6B);
    OP(b, 0x28), OP(b, 2), OP(b, 0), ltee(b, 1);
    i32c(b, 2), OP(b, 0x71), OP(b, 0x45), if_(b), call(b, hi[H_DOUBLE]), end(b);
    lget(b, 1), i32c(b, -8), OP(b, 0x71), i32c(b, 16), OP(b, 0x6B);
    end(b);

    const int64_t *rf = h->role_func;
    uint32_t *w = h->wrap_idx;
    static const char *const wnames[NROLES] = {
        "__ward_harden_malloc",        "__ward_harden_free",
        "__ward_harden_calloc",        "__ward_harden_realloc",
        "__ward_harden_aligned_alloc", "__ward_harden_posix_memalign",
        "__ward_harden_memalign",      "__ward_harden_malloc_usable_size"};
    /* free and malloc first: realloc calls their wrappers. */
    static const int order[NROLES] = {R_MALLOC,   R_FREE,           R_CALLOC,  R_ALIGNED_ALLOC,
                                      R_MEMALIGN, R_POSIX_MEMALIGN, R_REALLOC, R_USABLE};
    for (int k = 0; k < NROLES; k++) {
        int r = order[k];
        if (rf[r] < 0) continue;
        uint32_t orig = (uint32_t)rf[r], type = h->m.ftype[orig];
        switch (r) {
        case R_MALLOC:
            b = new_func(h, &w[r], type, wnames[r], 0, NULL);
            big_passthrough(b, 0, orig, 1);
            padded(b, 0), call(b, orig), lget(b, 0), call(b, hi[H_SEG]), end(b);
            break;
        case R_FREE:
            b = new_func(h, &w[r], type, wnames[r], 0, NULL);
            lget(b, 0), OP(b, 0x45), if_(b), ret(b), end(b);
            lget(b, 0), lget(b, 0), call(b, hi[H_SIZE]), seg(b, 2);
            lget(b, 0), i32c(b, 0x0FFFFFFF), OP(b, 0x71), call(b, orig), end(b);
            break;
        case R_CALLOC: {
            const uint8_t l[] = {1, 0x7e, 1, I}; /* 2: the product (i64), 3: it as i32 */
            b = new_func(h, &w[r], type, wnames[r], 2, l);
            lget(b, 0), OP(b, 0xAD), lget(b, 1), OP(b, 0xAD), OP(b, 0x7E), ltee(b, 2);
            OP(b, 0x42), hdw_s64(b, BIG_REQUEST), OP(b, 0x56), if_(b);
            lget(b, 0), lget(b, 1), call(b, orig), ret(b), end(b);
            lget(b, 2), OP(b, 0xA7), lset(b, 3);
            i32c(b, 1), padded(b, 3), call(b, orig), lget(b, 3), call(b, hi[H_SEG]), end(b);
            break;
        }
        case R_ALIGNED_ALLOC:
        case R_MEMALIGN:
            b = new_func(h, &w[r], type, wnames[r], 0, NULL);
            big_passthrough(b, 1, orig, 2);
            /* alignment max(a, 16): a granule at least */
            lget(b, 0), i32c(b, 16), lget(b, 0), i32c(b, 16), OP(b, 0x4B), OP(b, 0x1B);
            padded(b, 1), call(b, orig), lget(b, 1), call(b, hi[H_SEG]), end(b);
            break;
        case R_POSIX_MEMALIGN: {
            const uint8_t l[] = {1, I}; /* 3: the result */
            b = new_func(h, &w[r], type, wnames[r], 1, l);
            big_passthrough(b, 2, orig, 3);
            lget(b, 0), lget(b, 1), padded(b, 2), call(b, orig), ltee(b, 3);
            if_(b), lget(b, 3), ret(b), end(b);
            lget(b, 0), lget(b, 0), OP(b, 0x28), OP(b, 2), OP(b, 0), lget(b, 2);
            call(b, hi[H_SEG]), OP(b, 0x36), OP(b, 2), OP(b, 0);
            i32c(b, 0), end(b);
            break;
        }
        case R_REALLOC: {
            const uint8_t l[] = {2, I}; /* 2: old size, 3: new block */
            b = new_func(h, &w[r], type, wnames[r], 1, l);
            lget(b, 0), OP(b, 0x45), if_(b), lget(b, 1), call(b, w[R_MALLOC]), ret(b), end(b);
            lget(b, 0), call(b, hi[H_SIZE]), lset(b, 2);
            lget(b, 1), call(b, w[R_MALLOC]), ltee(b, 3), OP(b, 0x45);
            if_(b), i32c(b, 0), ret(b), end(b);
            /* memory.copy(new, old, min(old size, n)) */
            lget(b, 3), lget(b, 0), lget(b, 2), lget(b, 1), lget(b, 2), lget(b, 1), OP(b, 0x49);
            OP(b, 0x1B), OP(b, 0xFC), OP(b, 10), OP(b, 0), OP(b, 0);
            lget(b, 0), call(b, w[R_FREE]), lget(b, 3), end(b);
            break;
        }
        case R_USABLE:
            b = new_func(h, &w[r], type, wnames[r], 0, NULL);
            lget(b, 0), OP(b, 0x45), if_(b), i32c(b, 0), ret(b), end(b);
            lget(b, 0), call(b, hi[H_SIZE]), end(b);
            break;
        }
        h->redirect[orig] = w[r];
    }
    for (uint32_t k = 0; k < h->nnew; k++)
        h->instrs_wrappers += count_instrs(&h->new_body[k]);
}

/* ---- rewriting code ---------------------------------------------------------------------- */

typedef struct absval {
    uint8_t kind; /* 0 unknown, 1 the stack pointer, 2 a constant */
    int64_t k;
} absval;

/* Finds LLVM's prologue among the first instructions: the index of the
 * `sub` that computes __stack_pointer - N (N > 0, a multiple of 16), or -1. */
static long find_prologue(const hd *h, const hdw_instr *ins, size_t n, uint32_t nlocals,
                          int64_t *frame)
{
    enum { DEPTH = 16, STEPS = 64 };
    absval st[DEPTH];
    int sp = 0;
    absval *loc = calloc(nlocals ? nlocals : 1, sizeof *loc);
    if (!loc) return -1;
    long found = -1;
    uint8_t sub = h->ptr == 0x7e ? 0x7D : 0x6B;
    for (size_t i = 0; i < n && i < STEPS; i++) {
        const hdw_instr *in = &ins[i];
        if (in->op == 0x23) {
            if (sp == DEPTH) break;
            st[sp++] = (absval){in->idx == h->sp ? 1 : 0, 0};
        } else if (in->op == 0x41 || in->op == 0x42) {
            if (sp == DEPTH) break;
            st[sp++] = (absval){2, in->value};
        } else if (in->op == 0x20) {
            if (sp == DEPTH || in->idx >= nlocals) break;
            st[sp++] = loc[in->idx];
        } else if (in->op == 0x21 || in->op == 0x22) {
            if (sp == 0 || in->idx >= nlocals) break;
            loc[in->idx] = st[sp - 1];
            if (in->op == 0x21) sp--;
        } else if (in->op == sub) {
            if (sp < 2) break;
            absval b = st[--sp], a = st[--sp];
            if (a.kind == 1 && b.kind == 2) {
                if (b.k > 0 && b.k % 16 == 0 && b.k <= (1 << 27)) {
                    found = (long)i;
                    *frame = b.k;
                } else {
                    *frame = -b.k; /* seen, but not a frame we can tag */
                }
                break;
            }
            st[sp++] = (absval){0, 0};
        } else {
            break;
        }
    }
    free(loc);
    return found;
}

/* Whether the local.get at ins[i] is a pointer compared with the size of
 * the memory in bytes, as wasi-libc's preopen table checks its strings
 * (`(uintptr_t)p < memory_size(0) * PAGESIZE`, in 64 bits):
 *     memory.size; i64.extend_i32_u; i64.const 16; i64.shl;
 *     local.get p; i64.extend_i32_u; (i64.le_u | i64.lt_u | i64.gt_u | i64.ge_u)
 * or the same with the two operands the other way round. A tagged pointer
 * is above every 32-bit memory's size; its address is what is bounded. */
static bool bound_check(const hd *h, const hdw_instr *ins, size_t n, size_t i)
{
    if (h->ptr != 0x7f || i + 2 >= n || ins[i + 1].op != 0xAD) return false;
    const hdw_instr *size = NULL;
    uint8_t cmp = 0;
    if (i >= 4) { /* the size first */
        size = &ins[i - 4];
        cmp = ins[i + 2].op;
    }
    bool first = size && size[0].op == 0x3F && size[1].op == 0xAD && size[2].op == 0x42 &&
                 size[2].value == 16 && size[3].op == 0x86;
    if (first && cmp >= 0x54 && cmp <= 0x5A) return true;
    if (i + 7 >= n) return false; /* the pointer first */
    size = &ins[i + 2];
    cmp = ins[i + 6].op;
    return size[0].op == 0x3F && size[1].op == 0xAD && size[2].op == 0x42 && size[2].value == 16 &&
           size[3].op == 0x86 && cmp >= 0x54 && cmp <= 0x5A;
}

/* Whether every `global.set $__stack_pointer` of a function is LLVM's:
 * the one that stores the new frame (the prologue's `SP - frame`) or an
 * epilogue's `X + frame` (at -O0 both go through locals). Anything else
 * moves the stack pointer again (a variable-length array, alloca) below a
 * frame that would be tagged, so the function keeps its frame untagged.
 * The values are followed through the stack and the locals as far as
 * constants, additions and subtractions go; anything else is unknown. */
static bool sets_ok(const hd *h, const hdw_instr *ins, size_t n, uint32_t nlocals, int64_t frame)
{
    enum { UNK, SPV, CONST, BASE, PLUS, DEPTH = 16 };
    uint8_t add = h->ptr == 0x7e ? 0x7C : 0x6A, sub = h->ptr == 0x7e ? 0x7D : 0x6B;
    absval st[DEPTH];
    int sp = 0;
    absval *loc = calloc(nlocals ? nlocals : 1, sizeof *loc);
    if (!loc) return false;
    bool ok = true;
#define POP() (sp > 0 ? st[--sp] : (absval){UNK, 0})
#define PUSH(v)                                                                                    \
    do {                                                                                           \
        if (sp == DEPTH) {                                                                         \
            memmove(st, st + 1, (DEPTH - 1) * sizeof *st);                                         \
            sp--;                                                                                  \
        }                                                                                          \
        st[sp++] = (v);                                                                            \
    } while (0)
    for (size_t j = 0; j < n && ok; j++) {
        const hdw_instr *in = &ins[j];
        absval a, c;
        if (in->op == 0x23) {
            PUSH(((absval){in->idx == h->sp ? SPV : UNK, 0}));
        } else if (in->op == 0x41 || in->op == 0x42) {
            PUSH(((absval){CONST, in->value}));
        } else if (in->op == 0x20) {
            PUSH((in->idx < nlocals ? loc[in->idx] : (absval){UNK, 0}));
        } else if (in->op == 0x21 || in->op == 0x22) {
            a = POP();
            if (in->idx < nlocals) loc[in->idx] = a;
            if (in->op == 0x22) PUSH(a);
        } else if (in->op == add) {
            c = POP(), a = POP();
            if (c.kind == CONST && a.kind != CONST)
                PUSH(((absval){PLUS, c.k}));
            else if (a.kind == CONST && c.kind != CONST)
                PUSH(((absval){PLUS, a.k}));
            else
                PUSH(((absval){UNK, 0}));
        } else if (in->op == sub) {
            c = POP(), a = POP();
            PUSH(((absval){a.kind == SPV && c.kind == CONST && c.k == frame ? BASE : UNK, 0}));
        } else if (in->op == 0x24 && in->idx == h->sp) {
            a = POP();
            ok = a.kind == BASE || (a.kind == PLUS && a.k == frame);
        } else {
            sp = 0; /* an instruction this does not follow: nothing known */
        }
    }
#undef POP
#undef PUSH
    free(loc);
    return ok;
}

static void tconst(const hd *h, hdw_buf *b, int64_t v)
{
    OP(b, h->ptr == 0x7e ? 0x42 : 0x41);
    hdw_s64(b, v);
}

/* Rewrites the body of defined function fi into out (size, body). */
static void rewrite_body(hd *h, uint32_t fi, hdw_buf *out)
{
    const hdw_module *m = &h->m;
    uint32_t di = fi - m->nfimports;
    hdw_rd r = {m->body[di], m->body[di] + m->body_len[di], m->body[di], NULL};
    bool allocator = false;
    for (int k = 0; k < NROLES; k++)
        if (h->role_func[k] == (int64_t)fi) allocator = true;

    /* locals */
    const hdw_type *ty = &m->types[m->ftype[fi]];
    uint32_t groups = hdw_get_u32(&r);
    const uint8_t *locals_start = r.p;
    uint64_t nlocals = ty->np;
    for (uint32_t g = 0; g < groups && !r.err; g++) {
        nlocals += hdw_get_u32(&r);
        hdw_get_byte(&r);
    }
    const uint8_t *locals_end = r.p;
    if (nlocals > 50000) nlocals = 0; /* no analysis of absurd functions */

    /* instructions */
    size_t n = 0, cap = 64;
    hdw_instr *ins = malloc(cap * sizeof *ins);
    uint32_t nget_sp = 0;
    while (ins && r.p < r.end) {
        if (n == cap) {
            hdw_instr *p = realloc(ins, 2 * cap * sizeof *ins);
            if (!p) break;
            ins = p;
            cap *= 2;
        }
        if (!hdw_next(&r, &ins[n])) break;
        if (ins[n].op == 0xFA) {
            fail(h,
                 "the module already uses Cage's instructions (0xFA) in function %" PRIu32
                 ": it was hardened already, or written for Cage",
                 fi);
            break;
        }
        if (ins[n].op == 0x23 && ins[n].idx == h->sp) nget_sp++;
        n++;
    }
    if (!ins || (r.err && !h->failed))
        fail(h, "function %" PRIu32 ": %s", fi, r.err ? r.err : "out of memory");
    if (h->failed) {
        free(ins);
        return;
    }
    h->instrs_in += n;

    /* the frame */
    int64_t frame = 0;
    long pro = -1;
    if (h->sp != UINT32_MAX && nget_sp > 0) {
        h->funcs_with_sp++;
        pro = find_prologue(h, ins, n, (uint32_t)nlocals, &frame);
        if (pro >= 0 && (nget_sp != 1 || !sets_ok(h, ins, n, (uint32_t)nlocals, frame))) {
            h->frames_skipped_alloca++; /* reads it again: alloca, a frame pointer */
            pro = -1;
        } else if (pro >= 0 && ty->nr > 1) {
            h->frames_skipped_results++;
            pro = -1;
        } else if (pro >= 0 && allocator) {
            pro = -1; /* the allocator's own entry points are left as they are */
        } else if (pro < 0 && frame < 0) {
            h->frames_skipped_size++;
        }
    }
    bool tag = pro >= 0;
    /* A function that uses the stack pointer without a tagged frame of its
     * own reads it without the caller's tag: its frame is tag 0 memory. */
    bool untag_sp = !tag && nget_sp > 0 && h->sp != UINT32_MAX;
    if (untag_sp) h->funcs_untagged_sp++;
    uint32_t l_saved = (uint32_t)nlocals, l_fp = l_saved + 1;

    hdw_buf b = {0};
    hdw_u32(&b, groups + (tag ? 1 : 0));
    hdw_put(&b, locals_start, (size_t)(locals_end - locals_start));
    if (tag) {
        hdw_u32(&b, 2);
        hdw_byte(&b, h->ptr);
        OP(&b, 0x23), hdw_u32(&b, h->sp), lset(&b, l_saved);
        OP(&b, 0x02), OP(&b, ty->nr ? ty->results[0] : 0x40);
        h->instrs_frames += 3;
        h->frames++;
    }
    uint32_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        const hdw_instr *in = &ins[i];
        uint8_t op = in->op;
        if (op == 0x23 && untag_sp && in->idx == h->sp) {
            hdw_put(&b, in->start, (size_t)(in->end - in->start));
            if (h->ptr == 0x7e)
                OP(&b, 0x42), hdw_s64(&b, (int64_t)0xF0FFFFFFFFFFFFFFull), OP(&b, 0x83);
            else
                i32c(&b, 0x0FFFFFFF), OP(&b, 0x71);
            continue;
        }
        if (op == 0x20 && !allocator && bound_check(h, ins, n, i)) {
            /* a pointer compared with the memory's size: without its tag */
            hdw_put(&b, in->start, (size_t)(in->end - in->start));
            i32c(&b, 0x0FFFFFFF), OP(&b, 0x71);
            h->bound_checks++;
            continue;
        }
        if ((op == 0x10 || op == 0xD2) && !allocator && in->idx < h->m.nfuncs &&
            h->redirect[in->idx] != in->idx) {
            OP(&b, op), hdw_u32(&b, h->redirect[in->idx]);
            h->calls_redirected++;
        } else if (op == 0x0F && tag) {
            OP(&b, 0x0C), hdw_u32(&b, depth); /* to the epilogue */
        } else if (op == 0x0B && depth == 0 && tag) {
            /* the end of the body: close the block, retag the frame to 0,
             * restore the caller's stack pointer. */
            end(&b);
            lget(&b, l_fp), tconst(h, &b, frame), seg(&b, 2);
            lget(&b, l_saved), OP(&b, 0x24), hdw_u32(&b, h->sp);
            end(&b);
            h->instrs_frames += 6;
        } else {
            hdw_put(&b, in->start, (size_t)(in->end - in->start));
        }
        if (op == 0x02 || op == 0x03 || op == 0x04) depth++;
        if (op == 0x0B && depth > 0) depth--;
        if ((long)i == pro) {
            tconst(h, &b, frame), seg(&b, 0), ltee(&b, l_fp);
            h->instrs_frames += 3;
        }
    }
    free(ins);
    hdw_u32(out, (uint32_t)b.n);
    hdw_put(out, b.p, b.n);
    if (b.oom) out->oom = true;
    hdw_free(&b);
}

static void rewrite_code(hd *h, const hdw_section *s, hdw_buf *out)
{
    hdw_u32(out, h->m.nfuncs - h->m.nfimports + h->nnew);
    for (uint32_t fi = h->m.nfimports; fi < h->m.nfuncs && !h->failed; fi++)
        rewrite_body(h, fi, out);
    for (uint32_t k = 0; k < h->nnew; k++) {
        hdw_u32(out, (uint32_t)h->new_body[k].n);
        hdw_put(out, h->new_body[k].p, h->new_body[k].n);
    }
    (void)s;
}

/* ---- the other sections ---------------------------------------------------------------- */

/* The body of a vector section after its count. */
static hdw_rd after_count(const hdw_section *s, uint32_t *count)
{
    hdw_rd r = {s->body, s->body + s->len, s->body, NULL};
    *count = hdw_get_u32(&r);
    return r;
}

static void rewrite_types(hd *h, const hdw_section *s, hdw_buf *out)
{
    uint32_t n;
    hdw_rd r = after_count(s, &n);
    hdw_u32(out, n + h->nextra_types);
    hdw_put(out, r.p, (size_t)(r.end - r.p));
    hdw_put(out, h->extra_types.p, h->extra_types.n);
}

static void rewrite_funcs(hd *h, const hdw_section *s, hdw_buf *out)
{
    uint32_t n;
    hdw_rd r = after_count(s, &n);
    hdw_u32(out, n + h->nnew);
    hdw_put(out, r.p, (size_t)(r.end - r.p));
    for (uint32_t k = 0; k < h->nnew; k++)
        hdw_u32(out, h->new_type[k]);
}

/* The global section with the wrappers' global appended: (mut i32),
 * starting above every address. */
static void rewrite_globals(const hdw_section *s, hdw_buf *out)
{
    uint32_t n = 0;
    hdw_rd r = {NULL, NULL, NULL, NULL};
    if (s) r = after_count(s, &n);
    hdw_u32(out, n + 1);
    if (s) hdw_put(out, r.p, (size_t)(r.end - r.p));
    const uint8_t g[] = {0x7f, 1, 0x41, 0x7f, 0x0B};
    hdw_put(out, g, sizeof g);
}

static void rewrite_exports(hd *h, hdw_buf *out)
{
    hdw_u32(out, h->m.nexports);
    for (uint32_t i = 0; i < h->m.nexports; i++) {
        const hdw_export *e = &h->m.exports[i];
        hdw_u32(out, e->name_len);
        hdw_put(out, e->name, e->name_len);
        hdw_byte(out, e->kind);
        hdw_u32(out, e->kind == 0 && e->idx < h->m.nfuncs ? h->redirect[e->idx] : e->idx);
    }
}

/* A constant expression, with ref.func redirected. */
static void copy_const(hd *h, hdw_rd *r, hdw_buf *out)
{
    hdw_instr in;
    while (!r->err && hdw_next(r, &in)) {
        if (in.op == 0xD2 && in.idx < h->m.nfuncs) {
            OP(out, 0xD2), hdw_u32(out, h->redirect[in.idx]);
        } else {
            hdw_put(out, in.start, (size_t)(in.end - in.start));
        }
        if (in.op == 0x0B) return;
    }
}

static void rewrite_elems(hd *h, const hdw_section *s, hdw_buf *out)
{
    uint32_t n;
    hdw_rd r = after_count(s, &n);
    hdw_u32(out, n);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        uint32_t flags = hdw_get_u32(&r);
        hdw_u32(out, flags);
        if (flags > 7) hdw_fail(&r, "unknown element segment form");
        if (!(flags & 1)) {
            if (flags & 2) hdw_u32(out, hdw_get_u32(&r));
            copy_const(h, &r, out);
        }
        if (flags & 3) hdw_byte(out, hdw_get_byte(&r)); /* elemkind or reftype */
        uint32_t count = hdw_get_u32(&r);
        hdw_u32(out, count);
        for (uint32_t k = 0; k < count && !r.err; k++) {
            if (flags & 4) {
                copy_const(h, &r, out);
            } else {
                uint32_t f = hdw_get_u32(&r);
                hdw_u32(out, f < h->m.nfuncs ? h->redirect[f] : f);
            }
        }
    }
    if (r.err) fail(h, "element section: %s", r.err);
}

/* The name section: its function names get the new functions'; the other
 * subsections are kept as they are. */
static void rewrite_names(hd *h, const hdw_section *s, hdw_buf *out)
{
    hdw_str(out, "name", 4);
    hdw_rd r = {s ? s->name + s->name_len : NULL, s ? s->body + s->len : NULL, NULL, NULL};
    bool done = false;
    while (s && !r.err && r.p < r.end) {
        const uint8_t *start = r.p;
        uint8_t id = hdw_get_byte(&r);
        uint32_t size = hdw_get_u32(&r);
        const uint8_t *p = hdw_get_bytes(&r, size);
        if (!p) break;
        if (id == 1) {
            hdw_rd sub = {p, p + size, NULL, NULL};
            uint32_t cnt = hdw_get_u32(&sub);
            hdw_buf map = {0};
            hdw_u32(&map, cnt + h->nnew);
            hdw_put(&map, sub.p, (size_t)(sub.end - sub.p));
            for (uint32_t k = 0; k < h->nnew; k++) {
                hdw_u32(&map, h->m.nfuncs + k);
                hdw_str(&map, h->new_name[k], strlen(h->new_name[k]));
            }
            hdw_put_section(out, 1, &map);
            hdw_free(&map);
            done = true;
        } else {
            if (id > 1 && !done && h->nnew) {
                /* no function names yet: ours go before the later subsections */
                hdw_buf map = {0};
                hdw_u32(&map, h->nnew);
                for (uint32_t k = 0; k < h->nnew; k++) {
                    hdw_u32(&map, h->m.nfuncs + k);
                    hdw_str(&map, h->new_name[k], strlen(h->new_name[k]));
                }
                hdw_put_section(out, 1, &map);
                hdw_free(&map);
                done = true;
            }
            hdw_put(out, start, (size_t)(r.p - start));
        }
    }
    if (!done && h->nnew) {
        hdw_buf map = {0};
        hdw_u32(&map, h->nnew);
        for (uint32_t k = 0; k < h->nnew; k++) {
            hdw_u32(&map, h->m.nfuncs + k);
            hdw_str(&map, h->new_name[k], strlen(h->new_name[k]));
        }
        hdw_put_section(out, 1, &map);
        hdw_free(&map);
    }
}

/* ---- the report and the record --------------------------------------------------------- */

static void write_report(hd *h)
{
    hdw_buf *b = &h->report;
    char nm[128];
    out_printf(b, "module: %s, %" PRIu32 " functions (%" PRIu32 " imported), %s\n",
               h->m.mem64 ? "wasm64" : "wasm32", h->m.nfuncs, h->m.nfimports,
               h->m.has_names ? "with a name section" : "no name section");
    out_printf(b, "heap:\n");
    if (!h->heap)
        out_printf(b, "  not hardened: %s\n",
                   h->opt->no_heap ? "--no-heap" : "the module has no allocator");
    for (int r = 0; r < NROLES && h->heap; r++) {
        if (h->role_func[r] < 0) {
            out_printf(b, "  %-19s not in the module\n", roles[r].name);
            continue;
        }
        out_printf(b, "  %-19s %s (function %" PRId64 ", by %s) -> wrapper %" PRIu32 "\n",
                   roles[r].name,
                   h->m.fname && h->m.fname[h->role_func[r]]
                       ? fname(h, (uint32_t)h->role_func[r], nm, sizeof nm)
                       : "(unnamed)",
                   h->role_func[r], h->role_how[r], h->wrap_idx[r]);
    }
    if (h->heap)
        out_printf(b,
                   "  %" PRIu32 " calls, exports and table entries now go to the wrappers; "
                   "blocks are segments of round16(n) bytes, with a tag-0 granule holding "
                   "dlmalloc's header between two blocks\n",
                   h->calls_redirected);
    out_printf(b, "stack:\n");
    if (h->sp == UINT32_MAX) {
        out_printf(b, "  not hardened: no __stack_pointer global found\n");
    } else {
        out_printf(b, "  __stack_pointer: global %" PRIu32 " (%s)\n", h->sp, h->sp_how);
        out_printf(b,
                   "  %" PRIu32 " of %" PRIu32
                   " functions that use it get a tagged frame; skipped: %" PRIu32
                   " that move it again (alloca), %" PRIu32 " with several results, %" PRIu32
                   " frames not a multiple of 16; %" PRIu32
                   " functions read it without the caller's tag (their frame is tag 0)\n",
                   h->frames, h->funcs_with_sp, h->frames_skipped_alloca, h->frames_skipped_results,
                   h->frames_skipped_size, h->funcs_untagged_sp);
    }
    if (h->bound_checks)
        out_printf(b,
                   "bounds: %" PRIu32 " comparisons of a pointer with the memory's size now "
                   "compare its address (the pointer without its tag)\n",
                   h->bound_checks);
    out_printf(b, "function pointers: not signed (a wasm32 table index is an i32 constant in "
                  "code and data that a linked module does not mark; see docs/harden.md)\n");
    out_printf(b,
               "instructions: %" PRIu64 " in the module, %" PRIu64 " added in frames (%" PRIu64
               " per tagged frame), %" PRIu64 " in %" PRIu32 " new functions\n",
               h->instrs_in, h->instrs_frames, h->frames ? h->instrs_frames / h->frames : 0,
               h->instrs_wrappers, h->nnew);
    hdw_byte(b, 0);

    hdw_buf *c = &h->record;
    out_printf(c, "ward harden 1\nmemory %s\n", h->m.mem64 ? "wasm64" : "wasm32");
    for (int r = 0; r < NROLES && h->heap; r++)
        if (h->role_func[r] >= 0)
            out_printf(c, "heap %s %" PRId64 " %" PRIu32 "\n", roles[r].name, h->role_func[r],
                       h->wrap_idx[r]);
    if (h->sp != UINT32_MAX)
        out_printf(c, "stack_pointer %" PRIu32 "\nframes %" PRIu32 "\n", h->sp, h->frames);
    out_printf(c, "function_pointers none\n");
}

/* ---- the whole ------------------------------------------------------------------------------ */

bool hd_harden(const uint8_t *in, size_t len, const hd_options *opt, hd_output *out, char *err,
               size_t errlen)
{
    static const hd_options none = {0};
    hd *h = calloc(1, sizeof *h);
    memset(out, 0, sizeof *out);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    h->opt = opt ? opt : &none;
    h->err = err;
    h->errlen = errlen;
    const char *perr;
    if (!hdw_parse(&h->m, in, len, &perr)) {
        fail(h, "%s", perr);
        free(h);
        return false;
    }
    hdw_module *m = &h->m;
    hdw_buf o = {0};
    for (size_t i = 0; i < m->nsecs; i++)
        if (m->secs[i].id == 0 && hdw_name_is(m->secs[i].name, m->secs[i].name_len, HD_SECTION))
            fail(h, "the module was hardened already (it has a \"%s\" section)", HD_SECTION);
    if (m->nmems == 0) fail(h, "the module has no memory: there is nothing to harden");
    h->ptr = m->mem64 ? 0x7e : 0x7f;
    if (!h->failed && !m->mem64 && m->mem_min > 4096)
        fail(h,
             "memory 0 starts at %" PRIu64 " pages: a tagged 32-bit memory holds at most "
             "256 MiB (4096 pages)",
             m->mem_min);
    h->redirect = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *h->redirect);
    if (!h->redirect) fail(h, "out of memory");
    for (uint32_t i = 0; i < m->nfuncs && h->redirect; i++)
        h->redirect[i] = i;
    if (!h->failed) find_allocator(h);
    if (!h->failed) find_stack_pointer(h);
    if (!h->failed && h->heap) build_wrappers(h);

    const hdw_section *names = NULL;
    hdw_put(&o, "\0asm\1\0\0\0", 8);
    bool globals_done = !h->heap;
    for (size_t i = 0; i < m->nsecs && !h->failed; i++) {
        const hdw_section *s = &m->secs[i];
        hdw_buf body = {0};
        if (!globals_done && (s->id == 6 || (s->id >= 7 && s->id <= 12))) {
            /* the global section, or where it would be */
            rewrite_globals(s->id == 6 ? s : NULL, &body);
            hdw_put_section(&o, 6, &body);
            hdw_free(&body);
            globals_done = true;
            if (s->id == 6) continue;
        }
        switch (s->id) {
        case 1: rewrite_types(h, s, &body); break;
        case 3: rewrite_funcs(h, s, &body); break;
        case 7: rewrite_exports(h, &body); break;
        case 9: rewrite_elems(h, s, &body); break;
        case 10: rewrite_code(h, s, &body); break;
        case 0:
            if (hdw_name_is(s->name, s->name_len, "name")) {
                names = s;
                rewrite_names(h, s, &body);
                break;
            }
            /* fallthrough */
        default: hdw_put(&body, s->body, s->len); break;
        }
        hdw_put_section(&o, s->id, &body);
        hdw_free(&body);
    }
    if (!h->failed) {
        if (!names && h->nnew) {
            hdw_buf body = {0};
            rewrite_names(h, NULL, &body);
            hdw_put_section(&o, 0, &body);
            hdw_free(&body);
        }
        write_report(h);
        hdw_buf body = {0};
        hdw_str(&body, HD_SECTION, strlen(HD_SECTION));
        hdw_put(&body, h->record.p, h->record.n);
        hdw_put_section(&o, 0, &body);
        hdw_free(&body);
    }
    if (!h->failed && (o.oom || h->report.oom)) fail(h, "out of memory");
    bool ok = !h->failed;
    if (ok) {
        out->bytes = o.p;
        out->len = o.n;
        out->report = (char *)h->report.p;
        h->report.p = NULL;
    } else {
        hdw_free(&o);
    }
    hdw_free(&h->report);
    hdw_free(&h->record);
    hdw_free(&h->extra_types);
    for (uint32_t k = 0; k < h->nnew; k++)
        hdw_free(&h->new_body[k]);
    free(h->redirect);
    hdw_module_free(&h->m);
    free(h);
    return ok;
}

void hd_output_free(hd_output *out)
{
    free(out->bytes);
    free(out->report);
    memset(out, 0, sizeof *out);
}
