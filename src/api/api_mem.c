/* api_mem.c - the public API of paged memory (include/ward.h: regions,
 * protect, grants) and the guest import module "ward:mem".
 *
 * ward_region is pg_region, cast. Everything here only checks arguments and
 * calls paged.c, which keeps the permission lattice (paged.h): a guest never
 * gets more than the host allowed, through any sequence of ward:mem calls.
 * What a guest creates (publish: a region and its handle) is admitted in
 * one place, am_guest_admit, against per-memory caps.
 */
#include "ward.h"

#include "mem/paged.h"

static w_memory *am_paged(ward_memory *m)
{
    w_memory *w = (w_memory *)m;
    return w && w->mode == W_MEM_PAGED ? w : NULL;
}

static bool am_perm_ok(int p)
{
    return p == PG_NONE || p == PG_R || p == PG_RW;
}

ward_region *ward_region_new(uint64_t pages)
{
    return (ward_region *)pg_region_new(pages);
}

ward_region *ward_region_from_pages(ward_memory *m, uint64_t page, uint64_t n)
{
    w_memory *w = am_paged(m);
    return w ? (ward_region *)pg_region_from_pages(w, page, n) : NULL;
}

void ward_region_free(ward_region *r)
{
    pg_region_release((pg_region *)r);
}
void ward_region_retain(ward_region *r)
{
    if (r) pg_region_retain((pg_region *)r);
}
uint64_t ward_region_pages(const ward_region *r)
{
    return r ? pg_region_pages((const pg_region *)r) : 0;
}

bool ward_region_map(ward_region *r, ward_memory *m, uint64_t page, ward_perm perm)
{
    w_memory *w = am_paged(m);
    return r && w && pg_region_map((pg_region *)r, w, page, (uint8_t)perm);
}

uint64_t ward_region_unmap(ward_region *r, ward_memory *m)
{
    w_memory *w = am_paged(m);
    return r && w ? pg_region_unmap((pg_region *)r, w) : 0;
}

void ward_region_revoke(ward_region *r)
{
    if (r) pg_region_revoke((pg_region *)r);
}

bool ward_region_transfer(ward_region *r, ward_memory *from, ward_memory *to, uint64_t page,
                          bool keep_read)
{
    w_memory *wf = am_paged(from), *wt = am_paged(to);
    return r && wf && wt && pg_region_transfer((pg_region *)r, wf, wt, page, keep_read);
}

bool ward_memory_protect(ward_memory *m, uint64_t page, uint64_t n, ward_perm perm)
{
    w_memory *w = am_paged(m);
    return w && am_perm_ok((int)perm) && pg_protect(w, page, n, (uint8_t)perm, true);
}

int64_t ward_region_grant(ward_region *r, ward_memory *m, ward_perm max_perm)
{
    w_memory *w = am_paged(m);
    if (!r || !w) return -1;
    return pg_grant(w, (pg_region *)r, (uint8_t)max_perm);
}

ward_region *ward_memory_region(ward_memory *m, int64_t handle)
{
    w_memory *w = am_paged(m);
    if (!w || handle < 0) return NULL;
    return (ward_region *)pg_granted(w, (uint64_t)handle, NULL);
}

uint64_t ward_memory_private_pages(const ward_memory *m)
{
    const w_memory *w = (const w_memory *)m;
    return w && w->mode == W_MEM_PAGED ? pg_private_frames(w) : 0;
}

/* ---- ward:mem, the guest's side ------------------------------------------------------------ */

/* The caller's memory 0 if it is paged. */
static w_memory *am_caller_mem(ward_caller *c)
{
    return am_paged(ward_caller_memory(c));
}

static uint32_t am_u32(const ward_val *v)
{
    return (uint32_t)v->of.i32;
}

static int am_protect(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    w_memory *m = am_caller_mem(c);
    int perm = args[2].of.i32;
    bool ok = m && am_perm_ok(perm) &&
              pg_protect(m, am_u32(&args[0]), am_u32(&args[1]), (uint8_t)perm, false);
    results[0].of.i32 = ok ? 0 : -1;
    return 0;
}

/* What the guest of one memory may hold at once of what it creates through
 * ward:mem: handles from publish (each with its region), and the host bytes
 * they keep. A guest's pages can each be in one region only, so the frames
 * of its regions are bounded by its memory already; these bound the rest. */
#define AM_GUEST_MAX_HANDLES 1024u
#define AM_GUEST_MAX_BYTES ((uint64_t)1 << 20)

/* The one place that admits what a guest creates: may the guest of m (the
 * caller's memory 0) publish one more region of n pages? Everything it
 * creates it can release, and the host's revoke or transfer can take it, so
 * the live count kept by paged.c (pg_guest_usage) is the exact use. A
 * store- or instance-wide budget hooks in here, and only here. */
static bool am_guest_admit(ward_caller *c, w_memory *m, uint64_t n)
{
    (void)c;
    pg_usage u = pg_guest_usage(m);
    uint64_t want = u.bytes + pg_publish_cost(n);
    if (u.handles >= AM_GUEST_MAX_HANDLES || want > AM_GUEST_MAX_BYTES) return false;
    /* The instance's (and store's) budget pays for it too, in advance;
     * am_guest_settle charges the exact use once the call is done. */
    return mem_guest_charge(m, want);
}

/* After a ward:mem call that may have created or dropped what the guest
 * holds: the budget is charged its exact use (shrinking always succeeds).
 * Handles the host's revoke or transfer dropped are given back here too,
 * at the guest's next publish or release, or when the memory goes. */
static void am_guest_settle(w_memory *m)
{
    (void)mem_guest_charge(m, pg_guest_usage(m).bytes);
}

static int am_publish(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    w_memory *m = am_caller_mem(c);
    uint32_t page = am_u32(&args[0]), n = am_u32(&args[1]);
    int64_t h = m && am_guest_admit(c, m, n) ? pg_publish(m, page, n) : -1;
    if (m) am_guest_settle(m);
    results[0].of.i32 = h >= 0 && h <= INT32_MAX ? (int32_t)h : -1;
    return 0;
}

static int am_map(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    w_memory *m = am_caller_mem(c);
    int perm = args[2].of.i32;
    bool ok = m && (perm == PG_R || perm == PG_RW) &&
              pg_map_granted(m, am_u32(&args[0]), am_u32(&args[1]), (uint8_t)perm);
    results[0].of.i32 = ok ? 0 : -1;
    return 0;
}

static int am_release(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    w_memory *m = am_caller_mem(c);
    results[0].of.i32 = m && pg_ungrant(m, am_u32(&args[0])) ? 0 : -1;
    if (m) am_guest_settle(m);
    return 0;
}

static int am_unmap(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    w_memory *m = am_caller_mem(c);
    pg_region *r = m ? pg_granted(m, am_u32(&args[0]), NULL) : NULL;
    uint64_t n = r ? pg_region_unmap(r, m) : 0;
    results[0].of.i32 = r ? (int32_t)(n > INT32_MAX ? INT32_MAX : n) : -1;
    return 0;
}

static int am_region_pages(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    w_memory *m = am_caller_mem(c);
    pg_region *r = m ? pg_granted(m, am_u32(&args[0]), NULL) : NULL;
    uint64_t n = r ? pg_region_pages(r) : 0;
    results[0].of.i32 = r ? (int32_t)(n > INT32_MAX ? INT32_MAX : n) : -1;
    return 0;
}

bool ward_linker_define_guest_mem(ward_linker *l, ward_store *s)
{
    static const ward_valkind i3[] = {WARD_I32, WARD_I32, WARD_I32};
    static const ward_valkind r1[] = {WARD_I32};
    static const struct {
        const char *name;
        size_t nparams;
        ward_host_fn fn;
    } fns[] = {
        {"protect", 3, am_protect}, {"publish", 2, am_publish},
        {"map", 3, am_map},         {"unmap", 1, am_unmap},
        {"release", 1, am_release}, {"region_pages", 1, am_region_pages},
    };
    if (!l || !s) return false;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        ward_func *f = ward_func_new(s, i3, fns[i].nparams, r1, 1, fns[i].fn, NULL, NULL);
        ward_extern e;
        if (!f) return false;
        e.kind = WARD_EXTERN_FUNC;
        e.of.func = f;
        if (!ward_linker_define(l, "ward:mem", fns[i].name, e)) return false;
    }
    return true;
}
