/* perm_model.c - the ward:mem permission lattice (src/mem/paged.h) checked
 * against a reference model.
 *
 *   perm_model DIR [FIRST_SEED [SEEDS [STEPS]]]     (defaults 1 6 3000)
 *
 * Three instances of DIR/permguest.wasm (8 pages each) share a paged store
 * (every odd seed: paged through the tables only). Each seed runs STEPS
 * random operations, host ones through the public API (ward_memory_protect,
 * ward_region_new, _from_pages, _map, _unmap, _transfer, _revoke, _grant,
 * _free, ward_memory_region) and guest ones through the ward:mem imports
 * (permguest exports them), and applies the same operation to a model kept
 * here: per page its frame, permission, ceiling, region and the handle the
 * guest mapped it through; per memory its handles; per region its frames and
 * the references the host holds; per frame the word at offset 16.
 *
 * After every step:
 *   - the operation's result is the model's (success, count, region);
 *   - for every page of every memory, a guest load and store and a host
 *     read and write at offset 16 succeed exactly when the model allows,
 *     trap with the model's message otherwise, and loads return the model's
 *     value (so each page maps the frame the model says);
 *   - the model itself keeps the lattice: perm <= ceiling on every page; a
 *     page mapped through a handle is within the handle; no guest operation
 *     raises what a memory can reach of any frame (the join of its pages'
 *     ceilings and its handles' permissions); after a host protect to p, what
 *     the guest derived (handles from publish, pages mapped through them)
 *     reaches at most p of those frames; after a transfer the source reaches
 *     at most read (or nothing) of the region; after a revoke nobody reaches
 *     it.
 * A failure prints the seed, the step and the operation, and ends the seed.
 * Each seed counts one check (it ran clean), and the run one more: every
 * kind of operation went both ways and each rule acted (a host protect
 * lowering a published handle, a transfer and a revoke taking handles, a
 * release unmapping pages and dissolving a region). Pages are picked half
 * of the time where the rules meet, so that they meet often. The last line
 * is "N passed, M failed".
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward.h"

#include "../check.h"
#include "../tier.h"
#include "../vals.h"

#define NM 3     /* memories */
#define NP 8     /* pages each */
#define MAXG 128 /* handles per memory the test keeps live at most */
#define OFF 16   /* the probed word of every page */
#define R WARD_PERM_READ
#define RW WARD_PERM_READ_WRITE

/* ---- the model ------------------------------------------------------------------------- */

typedef struct {
    int frame; /* -1: absent */
    int region;
    int via; /* the model handle slot the guest mapped it through, or -1 */
    uint8_t perm, ceil;
} mpage;

typedef struct {
    bool live;
    bool guest; /* from publish */
    int32_t h;  /* the real handle */
    int region;
    uint8_t perm;
} mgrant;

typedef struct {
    int n;
    int frames[NP];
    int host_refs;
    ward_region *ptr; /* NULL until the test has seen it */
} mregion;

static mpage pg[NM][NP];
static mgrant gr[NM][MAXG];
static mregion *reg;
static int nreg, capreg;
static uint32_t *val; /* per frame */
static int nframes, capframes;

/* ---- the system under test ----------------------------------------------------------------- */

static ward_store *st;
static ward_instance *inst[NM];
static ward_memory *mem[NM];

/* ---- the run -----------------------------------------------------------------------------------
 */

static uint64_t rng;
static uint64_t seed;
static int step;
static char opdesc[160];
static bool bad; /* this seed failed */

enum {
    H_PROTECT,
    H_NEW,
    H_FROM,
    H_MAP,
    H_UNMAP,
    H_TRANSFER,
    H_REVOKE,
    H_GRANT,
    H_FREE,
    H_LOOKUP,
    G_PROTECT,
    G_PUBLISH,
    G_MAP,
    G_UNMAP,
    G_RELEASE,
    G_PAGES,
    NOPS
};
static const char *opname[NOPS] = {
    "host protect", "host region_new", "host from_pages", "host map",
    "host unmap",   "host transfer",   "host revoke",     "host grant",
    "host free",    "host lookup",     "guest protect",   "guest publish",
    "guest map",    "guest unmap",     "guest release",   "guest region_pages"};
static int nok[NOPS], nfail[NOPS]; /* outcomes per kind in this seed */
/* Events of the rules each seed must see at least once. */
enum { E_PROTECT_LOWERS, E_TRANSFER_TAKES, E_REVOKE_TAKES, E_RELEASE_UNMAPS, E_DISSOLVE, NEVENTS };
static const char *evname[NEVENTS] = {"host protect lowers a published handle",
                                      "transfer takes a handle", "revoke takes a handle",
                                      "release unmaps pages", "release dissolves a region"};
static int nev[NEVENTS];

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int rn(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* The model's state, after a failure. */
static void dump(void)
{
    for (int m = 0; m < NM; m++) {
        printf("  m%d pages:", m);
        for (int i = 0; i < NP; i++) {
            const mpage *p = &pg[m][i];
            if (p->frame < 0)
                printf(" [-]");
            else
                printf(" [f%d r%d v%d %d/%d]", p->frame, p->region, p->via, p->perm, p->ceil);
        }
        printf("\n  m%d handles:", m);
        for (int g = 0; g < MAXG; g++)
            if (gr[m][g].live)
                printf(" %d=h%d r%d %s %d", g, gr[m][g].h, gr[m][g].region,
                       gr[m][g].guest ? "pub" : "host", gr[m][g].perm);
        printf("\n");
    }
    for (int r = 0; r < nreg; r++) {
        printf("  r%d (host %d):", r, reg[r].host_refs);
        for (int k = 0; k < reg[r].n; k++)
            printf(" f%d", reg[r].frames[k]);
        printf("\n");
    }
}

static void fail(const char *fmt, ...)
{
    if (bad) return;
    bad = true;
    va_list ap;
    printf("FAIL perm_model seed %" PRIu64 " step %d (%s): ", seed, step, opdesc);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (getenv("PERM_MODEL_DUMP")) dump();
}

static int new_frame(void)
{
    if (nframes == capframes) {
        capframes = capframes ? 2 * capframes : 64;
        val = realloc(val, (size_t)capframes * sizeof *val);
        if (!val) abort();
    }
    val[nframes] = 0;
    return nframes++;
}

static int new_region(int n)
{
    if (nreg == capreg) {
        capreg = capreg ? 2 * capreg : 64;
        reg = realloc(reg, (size_t)capreg * sizeof *reg);
        if (!reg) abort();
    }
    memset(&reg[nreg], 0, sizeof reg[nreg]);
    reg[nreg].n = n;
    return nreg++;
}

/* Records the real pointer of model region r, or checks it is the one seen. */
static void see_region(int r, ward_region *p)
{
    if (reg[r].ptr && reg[r].ptr != p)
        fail("region %d is %p, was %p", r, (void *)p, (void *)reg[r].ptr);
    reg[r].ptr = p;
}

static bool in_range(int64_t page, int64_t n)
{
    return page >= 0 && n >= 0 && page <= NP && n <= NP - page;
}

/* The model slot of real handle h in memory m, or -1. */
static int slot_of(int m, int64_t h)
{
    for (int g = 0; g < MAXG; g++)
        if (gr[m][g].live && gr[m][g].h == h) return g;
    return -1;
}

static int live_grants(int m)
{
    int n = 0;
    for (int g = 0; g < MAXG; g++)
        n += gr[m][g].live;
    return n;
}

/* A real handle just made: it must be new; returns its model slot. */
static int add_grant(int m, int64_t h, int region, uint8_t perm, bool guest)
{
    if (h < 0 || slot_of(m, h) >= 0) fail("handle %" PRId64 " is not a new handle", h);
    for (int g = 0; g < MAXG; g++) {
        if (!gr[m][g].live) {
            gr[m][g] = (mgrant){true, guest, (int32_t)h, region, perm};
            return g;
        }
    }
    abort(); /* the test keeps fewer than MAXG */
}

static void unmap_page(int m, int i)
{
    pg[m][i] = (mpage){-1, -1, -1, 0, 0};
}

static void map_pages(int r, int m, int at, uint8_t perm, int via)
{
    for (int k = 0; k < reg[r].n; k++)
        pg[m][at + k] = (mpage){reg[r].frames[k], r, via, perm, perm};
}

/* Everything m has of region r, lowered to perm (0: unmapped, dropped);
 * returns how many handles lost something. */
static int strip(int m, int r, uint8_t perm)
{
    int took = 0;
    for (int i = 0; i < NP; i++) {
        if (pg[m][i].region != r) continue;
        if (perm == 0) {
            unmap_page(m, i);
        } else {
            pg[m][i].perm &= perm;
            pg[m][i].ceil &= perm;
        }
    }
    for (int g = 0; g < MAXG; g++) {
        if (!gr[m][g].live || gr[m][g].region != r) continue;
        took += (gr[m][g].perm & ~perm) != 0;
        if (perm == 0)
            gr[m][g].live = false;
        else
            gr[m][g].perm &= perm;
    }
    return took;
}

/* Does anything but memory m's pages hold region r? */
static bool held_elsewhere(int m, int r)
{
    if (reg[r].host_refs) return true;
    for (int k = 0; k < NM; k++) {
        for (int g = 0; g < MAXG; g++)
            if (gr[k][g].live && gr[k][g].region == r) return true;
        if (k == m) continue;
        for (int i = 0; i < NP; i++)
            if (pg[k][i].region == r) return true;
    }
    return false;
}

/* What memory m can reach of frame f: the join of its pages' ceilings there
 * and of its handles of the region holding f; derived_only counts only what
 * the guest derived: handles from publish and pages mapped through them
 * (the host's grants are its own authority, like its maps). */
static uint8_t reach(int m, int f, bool derived_only)
{
    uint8_t p = 0;
    for (int i = 0; i < NP; i++) {
        const mpage *q = &pg[m][i];
        if (q->frame == f && (!derived_only || (q->via >= 0 && gr[m][q->via].guest))) p |= q->ceil;
    }
    for (int g = 0; g < MAXG; g++) {
        const mgrant *x = &gr[m][g];
        if (!x->live || (derived_only && !x->guest)) continue;
        for (int k = 0; k < reg[x->region].n; k++)
            if (reg[x->region].frames[k] == f) p |= x->perm;
    }
    return p;
}

static uint8_t (*reach_before)[NM];

static void snapshot_reach(void)
{
    reach_before = realloc(reach_before, (size_t)nframes * sizeof *reach_before);
    if (!reach_before) abort();
    for (int f = 0; f < nframes; f++)
        for (int m = 0; m < NM; m++)
            reach_before[f][m] = reach(m, f, false);
}

/* ---- calling the guest -------------------------------------------------------------------------
 */

/* Calls export name of memory m's instance; WARD_OK with *out, or the trap
 * message in msg. */
static ward_status gcall(int m, const char *name, const ward_val *a, size_t n, int32_t *out,
                         char *msg)
{
    ward_func *f = ward_instance_func(inst[m], name);
    ward_val r[1];
    ward_result res;
    memset(r, 0, sizeof r);
    ward_status s = ward_func_call(st, f, a, n, r, 1, &res);
    if (out) *out = r[0].of.i32;
    if (msg) snprintf(msg, 256, "%s", s == WARD_TRAP ? res.message : "");
    return s;
}

static int32_t gi(int m, const char *name, size_t n, int32_t a, int32_t b, int32_t c)
{
    ward_val v[3] = {i32v(a), i32v(b), i32v(c)};
    int32_t out = 0;
    char msg[256];
    if (gcall(m, name, v, n, &out, msg) != WARD_OK) {
        fail("%s trapped: %s", name, msg);
        return INT32_MIN;
    }
    return out;
}

/* ---- probing every page
 * ---------------------------------------------------------------------------- */

static void denied_msg(char *buf, int i, uint8_t perm)
{
    snprintf(buf, 256, "memory access denied: page %d is %s", i,
             perm == R ? "read-only" : "not accessible");
}

static void probe(void)
{
    for (int m = 0; m < NM; m++) {
        for (int i = 0; i < NP && !bad; i++) {
            const mpage *p = &pg[m][i];
            uint32_t addr = (uint32_t)i * 65536 + OFF;
            char want[256], msg[256];
            int32_t got = 0;
            /* guest load */
            ward_val a[2] = {i32v((int32_t)addr), i32v(0)};
            ward_status s = gcall(m, "ld", a, 1, &got, msg);
            if (p->frame < 0)
                snprintf(want, sizeof want, "out of bounds memory access");
            else if (!(p->perm & R))
                denied_msg(want, i, p->perm);
            else
                want[0] = 0;
            if (s == WARD_ERROR || strcmp(msg, want) != 0)
                fail("memory %d page %d: load gave '%s', model '%s'", m, i, msg, want);
            else if (!want[0] && (uint32_t)got != val[p->frame])
                fail("memory %d page %d: load gave %u, model %u (frame %d)", m, i, (unsigned)got,
                     (unsigned)val[p->frame], p->frame);
            /* guest store */
            uint32_t v = (uint32_t)rnd();
            a[1] = i32v((int32_t)v);
            s = gcall(m, "st", a, 2, NULL, msg);
            if (p->frame < 0)
                snprintf(want, sizeof want, "out of bounds memory access");
            else if (p->perm != RW)
                denied_msg(want, i, p->perm);
            else
                want[0] = 0;
            if (s == WARD_ERROR || strcmp(msg, want) != 0)
                fail("memory %d page %d: store gave '%s', model '%s'", m, i, msg, want);
            else if (!want[0])
                val[p->frame] = v;
            /* host read and write: the same rules */
            uint32_t x = 0;
            bool ok = ward_memory_read(mem[m], addr, &x, 4);
            bool may = p->frame >= 0 && (p->perm & R);
            if (ok != may || (ok && x != val[p->frame]))
                fail("memory %d page %d: host read %d (%u), model %d (%u)", m, i, ok, (unsigned)x,
                     may, may ? (unsigned)val[p->frame] : 0u);
            x = (uint32_t)rnd();
            ok = ward_memory_write(mem[m], addr, &x, 4);
            may = p->frame >= 0 && p->perm == RW;
            if (ok != may) fail("memory %d page %d: host write %d, model %d", m, i, ok, may);
            if (ok && may) val[p->frame] = x;
        }
    }
}

/* The lattice rules the model keeps (see the top), after operation op
 * (done: it changed something). */
static void check_model(int op, bool done, int m, int r, uint8_t perm, int page, int n)
{
    for (int k = 0; k < NM; k++) {
        for (int i = 0; i < NP; i++) {
            const mpage *p = &pg[k][i];
            if (p->frame < 0) continue;
            if (p->perm & ~p->ceil) fail("model: memory %d page %d perm above ceiling", k, i);
            if (p->via >= 0 && (p->ceil & ~gr[k][p->via].perm))
                fail("model: memory %d page %d above its handle", k, i);
        }
    }
    if (op >= G_PROTECT) {
        for (int f = 0; f < nframes; f++)
            for (int k = 0; k < NM; k++)
                if (reach(k, f, false) & ~reach_before[f][k])
                    fail("model: a guest operation raised memory %d's reach of frame %d", k, f);
    } else if (!done) {
        return;
    } else if (op == H_PROTECT) {
        for (int i = page; i < page + n; i++)
            if (pg[m][i].frame >= 0 && reach(m, pg[m][i].frame, true) & ~perm)
                fail("model: derived rights above the host's protect at page %d", i);
    } else if (op == H_TRANSFER) {
        for (int k = 0; k < reg[r].n; k++)
            if (reach(m, reg[r].frames[k], false) & ~perm)
                fail("model: the source of a transfer still reaches the region");
    } else if (op == H_REVOKE) {
        for (int k = 0; k < reg[r].n; k++)
            for (int q = 0; q < NM; q++)
                if (reach(q, reg[r].frames[k], false))
                    fail("model: memory %d still reaches a revoked region", q);
    }
}

/* ---- one step
 * ---------------------------------------------------------------------------------------- */

/* A region the host holds a reference to, or -1. */
static int pick_held(void)
{
    int cand[64], n = 0;
    for (int r = nreg - 1; r >= 0 && n < 64; r--)
        if (reg[r].host_refs > 0) cand[n++] = r;
    return n ? cand[rn(n)] : -1;
}

/* Does m hold a handle from publish of region r? */
static bool published_here(int m, int r)
{
    for (int g = 0; g < MAXG; g++)
        if (gr[m][g].live && gr[m][g].guest && gr[m][g].region == r) return true;
    return false;
}

/* A page of m for operation op to act on: half of the time one where the
 * rules meet (a page of a region for most operations; for host protect, one
 * whose region m's guest published; for publish and from_pages, a plain
 * present page), else anything in [-1, NP + 1]. */
static int pick_page(int m, int op)
{
    int cand[NP], n = 0;
    for (int i = 0; i < NP; i++) {
        const mpage *p = &pg[m][i];
        if (op == G_PUBLISH || op == H_FROM)
            n += p->frame >= 0 && p->region < 0 ? (cand[n] = i, 1) : 0;
        else if (op == H_PROTECT)
            n += p->region >= 0 && published_here(m, p->region) ? (cand[n] = i, 1) : 0;
        else
            n += p->region >= 0 ? (cand[n] = i, 1) : 0;
    }
    if (n && rn(2)) return cand[rn(n)];
    return rn(NP + 2) - (rn(8) == 0);
}

/* A memory that has pages or handles of region r, else any. */
static int pick_holder(int r)
{
    int cand[NM], n = 0;
    for (int k = 0; k < NM; k++) {
        bool has = false;
        for (int i = 0; i < NP; i++)
            has |= pg[k][i].region == r;
        for (int g = 0; g < MAXG; g++)
            has |= gr[k][g].live && gr[k][g].region == r;
        if (has) cand[n++] = k;
    }
    return n && rn(4) ? cand[rn(n)] : rn(NM);
}

/* A handle of m to try: mostly a live one, sometimes anything. */
static int32_t pick_handle(int m)
{
    int live[MAXG], n = 0;
    for (int g = 0; g < MAXG; g++)
        if (gr[m][g].live) live[n++] = g;
    if (n && rn(5) != 0) return gr[m][live[rn(n)]].h;
    return rn(40) - 1;
}

static uint8_t pick_perm(void)
{
    static const uint8_t p[] = {0, R, RW, R, RW, 2};
    return p[rn(6)];
}

static void do_step(void)
{
    int op = rn(NOPS);
    int m = rn(NM);
    int page = pick_page(m, op), n = rn(3) ? 1 : rn(4);
    uint8_t perm = pick_perm();
    int r = -1;
    bool ok = false;
    if (op >= G_PROTECT) snapshot_reach();
    if ((op == H_GRANT || op == H_LOOKUP || op == G_PUBLISH) && live_grants(m) >= MAXG - 2)
        op = G_RELEASE;
    switch (op) {
    case H_PROTECT: {
        snprintf(opdesc, sizeof opdesc, "host protect m%d %d+%d perm %d", m, page, n, perm);
        bool want = (perm == 0 || perm == R || perm == RW) && in_range(page, n);
        for (int i = page; want && i < page + n; i++)
            want = pg[m][i].frame >= 0;
        ok = ward_memory_protect(mem[m], (uint64_t)page, (uint64_t)n, (ward_perm)perm);
        if (ok != want) fail("got %d, model %d", ok, want);
        if (!want) break;
        for (int i = page; i < page + n; i++)
            for (int g = 0; g < MAXG; g++)
                if (gr[m][g].live && gr[m][g].guest && gr[m][g].region == pg[m][i].region &&
                    (gr[m][g].perm & ~perm)) {
                    gr[m][g].perm &= perm;
                    nev[E_PROTECT_LOWERS]++;
                }
        for (int i = page; i < page + n; i++) {
            pg[m][i].perm = pg[m][i].ceil = perm;
            pg[m][i].via = -1;
        }
        for (int i = 0; i < NP; i++) {
            mpage *p = &pg[m][i];
            if (p->via < 0) continue;
            p->ceil &= gr[m][p->via].perm;
            p->perm &= p->ceil;
        }
        break;
    }
    case H_NEW: {
        snprintf(opdesc, sizeof opdesc, "host region_new %d", n);
        ward_region *x = ward_region_new((uint64_t)n);
        ok = x != NULL;
        if (!ok) {
            fail("NULL");
            break;
        }
        r = new_region(n);
        for (int k = 0; k < n; k++)
            reg[r].frames[k] = new_frame();
        reg[r].host_refs = 1;
        see_region(r, x);
        break;
    }
    case H_FROM: {
        snprintf(opdesc, sizeof opdesc, "host from_pages m%d %d+%d", m, page, n);
        bool want = in_range(page, n);
        for (int i = page; want && i < page + n; i++)
            want = pg[m][i].frame >= 0 && pg[m][i].region < 0;
        ward_region *x = ward_region_from_pages(mem[m], (uint64_t)page, (uint64_t)n);
        ok = x != NULL;
        if (ok != want) fail("got %d, model %d", ok, want);
        if (!ok || !want) break;
        r = new_region(n);
        for (int k = 0; k < n; k++) {
            reg[r].frames[k] = pg[m][page + k].frame;
            pg[m][page + k].region = r;
        }
        reg[r].host_refs = 1;
        see_region(r, x);
        break;
    }
    case H_MAP: {
        r = pick_held();
        if (r < 0) return;
        snprintf(opdesc, sizeof opdesc, "host map r%d m%d at %d perm %d", r, m, page, perm);
        bool want = (perm == R || perm == RW) && in_range(page, reg[r].n);
        ok = ward_region_map(reg[r].ptr, mem[m], (uint64_t)page, (ward_perm)perm);
        if (ok != want) fail("got %d, model %d", ok, want);
        if (want) map_pages(r, m, page, perm, -1);
        break;
    }
    case H_UNMAP: {
        r = pick_held();
        if (r < 0) return;
        snprintf(opdesc, sizeof opdesc, "host unmap r%d m%d", r, m);
        uint64_t want = 0;
        for (int i = 0; i < NP; i++)
            if (pg[m][i].region == r) {
                unmap_page(m, i);
                want++;
            }
        uint64_t got = ward_region_unmap(reg[r].ptr, mem[m]);
        ok = got > 0;
        if (got != want) fail("got %" PRIu64 ", model %" PRIu64, got, want);
        break;
    }
    case H_TRANSFER: {
        r = pick_held();
        if (r < 0) return;
        m = pick_holder(r);
        int to = rn(NM);
        bool keep = rn(2);
        snprintf(opdesc, sizeof opdesc, "host transfer r%d m%d -> m%d at %d keep_read %d", r, m, to,
                 page, keep);
        bool want = m != to && in_range(page, reg[r].n);
        ok = ward_region_transfer(reg[r].ptr, mem[m], mem[to], (uint64_t)page, keep);
        if (ok != want) fail("got %d, model %d", ok, want);
        if (!want) break;
        nev[E_TRANSFER_TAKES] += strip(m, r, keep ? R : 0);
        map_pages(r, to, page, RW, -1);
        perm = keep ? R : 0;
        break;
    }
    case H_REVOKE: {
        r = pick_held();
        if (r < 0) return;
        snprintf(opdesc, sizeof opdesc, "host revoke r%d", r);
        ward_region_revoke(reg[r].ptr);
        for (int k = 0; k < NM; k++)
            nev[E_REVOKE_TAKES] += strip(k, r, 0);
        ok = true;
        break;
    }
    case H_GRANT: {
        r = pick_held();
        if (r < 0) return;
        snprintf(opdesc, sizeof opdesc, "host grant r%d m%d perm %d", r, m, perm);
        int64_t h = ward_region_grant(reg[r].ptr, mem[m], (ward_perm)perm);
        bool want = perm == R || perm == RW;
        ok = h >= 0;
        if (ok != want) fail("got %" PRId64 ", model %d", h, want);
        if (ok && want) add_grant(m, h, r, perm, false);
        break;
    }
    case H_FREE: {
        r = pick_held();
        if (r < 0) return;
        snprintf(opdesc, sizeof opdesc, "host free r%d", r);
        ward_region_free(reg[r].ptr);
        reg[r].host_refs--;
        ok = true;
        break;
    }
    case H_LOOKUP: {
        int32_t h = pick_handle(m);
        snprintf(opdesc, sizeof opdesc, "host lookup m%d handle %d", m, h);
        int g = slot_of(m, h);
        ward_region *x = ward_memory_region(mem[m], h);
        ok = x != NULL;
        if (ok != (g >= 0)) fail("got %p, model %d", (void *)x, g >= 0);
        if (!ok || g < 0) break;
        r = gr[m][g].region;
        see_region(r, x);
        ward_region_retain(x);
        reg[r].host_refs++;
        break;
    }
    case G_PROTECT: {
        snprintf(opdesc, sizeof opdesc, "guest protect m%d %d+%d perm %d", m, page, n, perm);
        bool want = (perm == 0 || perm == R || perm == RW) && in_range(page, n);
        for (int i = page; want && i < page + n; i++)
            want = pg[m][i].frame >= 0 && !(perm & ~pg[m][i].ceil);
        ok = gi(m, "protect", 3, page, n, perm) == 0;
        if (ok != want) fail("got %d, model %d", ok, want);
        for (int i = page; want && i < page + n; i++)
            pg[m][i].perm = perm;
        break;
    }
    case G_PUBLISH: {
        snprintf(opdesc, sizeof opdesc, "guest publish m%d %d+%d", m, page, n);
        bool want = in_range(page, n);
        uint8_t meet = RW;
        for (int i = page; want && i < page + n; i++) {
            want = pg[m][i].frame >= 0 && pg[m][i].region < 0;
            meet &= pg[m][i].perm;
        }
        int32_t h = gi(m, "publish", 2, page, n, 0);
        ok = h >= 0;
        if (ok != want) fail("got %d, model %d", h, want);
        if (!ok || !want) break;
        r = new_region(n);
        for (int k = 0; k < n; k++) {
            reg[r].frames[k] = pg[m][page + k].frame;
            pg[m][page + k].region = r;
        }
        add_grant(m, h, r, meet, true);
        break;
    }
    case G_MAP: {
        int32_t h = pick_handle(m);
        if (perm == 0 && rn(2)) perm = RW;
        snprintf(opdesc, sizeof opdesc, "guest map m%d handle %d at %d perm %d", m, h, page, perm);
        int g = slot_of(m, h);
        bool want = g >= 0 && (perm == R || perm == RW) && !(perm & ~gr[m][g].perm) &&
                    in_range(page, reg[gr[m][g].region].n);
        ok = gi(m, "map", 3, h, page, perm) == 0;
        if (ok != want) fail("got %d, model %d", ok, want);
        if (want) map_pages(gr[m][g].region, m, page, perm, g);
        break;
    }
    case G_UNMAP: {
        int32_t h = pick_handle(m);
        snprintf(opdesc, sizeof opdesc, "guest unmap m%d handle %d", m, h);
        int g = slot_of(m, h), want = -1;
        if (g >= 0) {
            want = 0;
            for (int i = 0; i < NP; i++)
                if (pg[m][i].region == gr[m][g].region) {
                    unmap_page(m, i);
                    want++;
                }
        }
        int32_t got = gi(m, "unmap", 1, h, 0, 0);
        ok = got > 0;
        if (got != want) fail("got %d, model %d", got, want);
        break;
    }
    case G_RELEASE: {
        int32_t h = pick_handle(m);
        snprintf(opdesc, sizeof opdesc, "guest release m%d handle %d", m, h);
        int g = slot_of(m, h);
        ok = gi(m, "release", 1, h, 0, 0) == 0;
        if (ok != (g >= 0)) fail("got %d, model %d", ok, g >= 0);
        if (g < 0) break;
        r = gr[m][g].region;
        for (int i = 0; i < NP; i++)
            if (pg[m][i].via == g) {
                unmap_page(m, i);
                nev[E_RELEASE_UNMAPS]++;
            }
        gr[m][g].live = false;
        /* Nobody else holds r and m holds each of its frames once: its
         * pages become plain pages. */
        bool once = !held_elsewhere(m, r);
        for (int k = 0; k < reg[r].n && once; k++) {
            int holders = 0;
            for (int i = 0; i < NP; i++)
                holders += pg[m][i].frame == reg[r].frames[k];
            once = holders == 1;
        }
        if (once)
            for (int i = 0; i < NP; i++)
                if (pg[m][i].region == r) {
                    pg[m][i].region = -1;
                    nev[E_DISSOLVE]++;
                }
        break;
    }
    case G_PAGES: {
        int32_t h = pick_handle(m);
        snprintf(opdesc, sizeof opdesc, "guest region_pages m%d handle %d", m, h);
        int g = slot_of(m, h);
        int32_t want = g >= 0 ? reg[gr[m][g].region].n : -1,
                got = gi(m, "region_pages", 1, h, 0, 0);
        ok = got >= 0;
        if (got != want) fail("got %d, model %d", got, want);
        break;
    }
    }
    if (getenv("PERM_MODEL_TRACE")) printf("%d: %s -> %d\n", step, opdesc, ok);
    if (ok)
        nok[op]++;
    else
        nfail[op]++;
    probe();
    check_model(op, ok, m, r, perm, page, n);
}

/* ---- seeds
 * --------------------------------------------------------------------------------------------- */

static bool run_seed(ward_module *mod, uint64_t s, int steps)
{
    seed = s;
    rng = s * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    for (int k = 0; k < 8; k++)
        rnd();
    bad = false;
    nreg = nframes = 0;
    memset(gr, 0, sizeof gr);
    memset(nok, 0, sizeof nok);
    memset(nfail, 0, sizeof nfail);
    memset(nev, 0, sizeof nev);
    ward_store_config c;
    memset(&c, 0, sizeof c);
    c.memory_mode = s % 2 ? WARD_MEMORY_PAGED_TABLES : WARD_MEMORY_PAGED;
    st = tier_store_new(&c);
    ward_linker *l = ward_linker_new();
    if (!st || !l || !ward_linker_define_guest_mem(l, st)) {
        printf("FAIL perm_model: cannot set up\n");
        return false;
    }
    for (int m = 0; m < NM; m++) {
        inst[m] = ward_instance_new(st, mod, l, NULL);
        mem[m] = inst[m] ? ward_instance_memory(inst[m], "mem") : NULL;
        if (!mem[m]) {
            printf("FAIL perm_model: cannot instantiate\n");
            return false;
        }
        for (int i = 0; i < NP; i++)
            pg[m][i] = (mpage){new_frame(), -1, -1, RW, RW};
    }
    ward_linker_free(l);
    for (step = 0; step < steps && !bad; step++)
        do_step();
    /* The host's references go, then the store (and the memories with it). */
    for (int r = 0; r < nreg; r++)
        while (reg[r].host_refs-- > 0)
            ward_region_free(reg[r].ptr);
    ward_store_free(st);
    if (bad) return false;
    return true;
}

int main(int argc, char **argv)
{
    alarm(600);
    const char *dir = argc > 1 ? argv[1] : "build/paged";
    uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    int seeds = argc > 3 ? atoi(argv[3]) : 6;
    int steps = argc > 4 ? atoi(argv[4]) : 3000;
    char path[1024];
    snprintf(path, sizeof path, "%s/permguest.wasm", dir);
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 16];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    ward_error err;
    ward_module *mod = len ? ward_module_new(buf, len, WARD_FEATURE_ALL, &err) : NULL;
    CHECK(mod != NULL);
    if (!mod) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    double t0 = now_s();
    long total = 0;
    int all_ok[NOPS] = {0}, all_fail[NOPS] = {0}, all_ev[NEVENTS] = {0};
    for (int k = 0; k < seeds; k++) {
        uint64_t s = first + (uint64_t)k;
        CHECK(run_seed(mod, s, steps));
        total += step;
        for (int op = 0; op < NOPS; op++) {
            all_ok[op] += nok[op];
            all_fail[op] += nfail[op];
        }
        for (int e = 0; e < NEVENTS; e++)
            all_ev[e] += nev[e];
    }
    /* The run meant something: every kind of operation both succeeded and
     * was refused (or, for those that cannot be refused, ran), and every
     * rule acted. */
    bool thin = false;
    for (int op = 0; op < NOPS; op++) {
        bool never_fails = op == H_NEW || op == H_REVOKE || op == H_FREE;
        if (all_ok[op] == 0 || (!never_fails && all_fail[op] == 0)) {
            printf("FAIL perm_model: %s: %d ok, %d refused\n", opname[op], all_ok[op],
                   all_fail[op]);
            thin = true;
        }
    }
    for (int e = 0; e < NEVENTS; e++) {
        if (!all_ev[e]) printf("FAIL perm_model: never saw: %s\n", evname[e]);
        thin |= !all_ev[e];
    }
    CHECK(!thin);
    printf("perm_model: %d seeds from %" PRIu64 ", %ld steps, %.1f s\n", seeds, first, total,
           now_s() - t0);
    ward_module_free(mod);
    free(reg);
    free(val);
    free(reach_before);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
