/* paged.c - paged linear memory: the frame pool, page tables, permissions,
 * copy-on-write, regions and grants (see paged.h for the model).
 *
 * Every page has cold state (pg_page): its frame (NULL = absent), its
 * permission and the ceiling the guest may not exceed, whether the frame is
 * copy-on-write, the region it maps (if any) and the grant the guest mapped
 * it through (if it did). The two hot tables are a pure function of that
 * state, recomputed by pg_sync() whenever it changes, so a change takes
 * effect at the very next access.
 */
#include "mem/paged.h"

#include <stdatomic.h>
#include <stdio.h>

#include "platform/platform.h"

#define PG_CHUNK_FRAMES 32u /* frames per pool chunk (2 MiB) */

struct pg_frame {
    uint8_t *data;
    atomic_uint refs;
    pg_frame *next_free;
    struct pg_arena *arena; /* the arena whose slot this is, or NULL (the pool) */
    atomic_bool held;       /* arena slots: in use */
    bool used;              /* held before and not zeroed since: maybe not zero */
    /* Tag nibbles of the frame's granules (PG_TAG_BYTES), NULL while
     * all are 0. Set once while the frame lives; freed with the frame. */
    uint8_t *tags;
};

/* A memory's arena: one reservation with a slot for each page index the
 * memory can have, frame i at base + i * 64 KiB. The memory takes a page's
 * private frame from its own slot when the slot is free, so that a memory
 * whose pages are all its own is one contiguous block with all table
 * entries equal, which the span (paged.h) turns into flat-speed access.
 * Slot frames are ordinary frames otherwise (shared, published, kept by
 * regions and clones); the arena lives until the memory and every slot
 * frame have let go. The slot records are allocated whole (zeroed,
 * untouched ones cost no RAM) because frames are referred to by address.
 *
 * Guard. An arena is, like a flat 32-bit memory, a reservation of
 * W_MEM_RESERVE32 bytes (8 GiB, address space only) of which the slots
 * [0, open) are accessible: memory.grow opens more (pg_arena_fit), and a
 * kept arena given to a smaller memory closes the slots above the new
 * size. Only slots below the memory's size are ever held (sizes never
 * shrink, and an arena is reused only once nobody holds a slot), so
 * closing slots never takes a frame from a memory that still uses it.
 * While exactly the slots below its memory's size are open, an access
 * past the size faults, as in a flat memory (mem.h, pg_guard), and native
 * code accesses a memory whose span of stores is all of it without a
 * check. A clone is the exception: its arena keeps the slots a previous
 * memory opened (it is not guarded until it grows to them), since a
 * clone's span is rarely whole (its pages are its template's until it
 * writes them all) and a serverless node makes a clone per invocation,
 * often grown for its input: closing and reopening slots for each took
 * two mprotect calls per invocation, which tripled a chain hop's cost
 * (bench/serve.sh). If the reservation is refused (ulimit -v) the arena
 * is the old unguarded block of n slots, all open; if an mprotect fails,
 * the arena stays unguarded from then on. */
typedef struct pg_arena {
    atomic_uint refs; /* the memory's own, plus one per held slot */
    uint64_t n;
    uint8_t *base;
    uint64_t bytes; /* reserved at base */
    uint64_t open;  /* slots [0, open) are accessible; the rest are not, if guarded */
    bool guarded;
    pg_frame *slots;
    /* Slots marked used, and 1 + the highest one ever used: what a kept
     * arena holds in RAM (see "Recycling"). Changed only by the owning
     * memory's thread, or under the pool lock once the arena is kept. */
    uint64_t nused, hi;
    struct pg_arena *next_kept;
} pg_arena;

typedef struct pg_page {
    pg_frame *frame;   /* NULL: absent (unmapped), accesses are out of bounds */
    pg_region *region; /* the region this page maps, or NULL */
    uint32_t via;      /* 1 + the grant the guest mapped this page through; 0 if not */
    uint8_t perm;      /* PG_NONE, PG_R or PG_RW */
    uint8_t ceil;      /* the most the guest may have here: perm <= ceil */
    bool cow;          /* the frame is shared: copy before the first store */
} pg_page;

/* A handle of the guest: a region it may map, and with at most what. */
typedef struct pg_grant {
    pg_region *r;  /* NULL: a free slot */
    uint32_t next; /* free slots: 1 + the next free slot, 0 at the end */
    uint8_t perm;
    bool guest; /* made by publish: bounded by the memory's pages of r */
} pg_grant_t;

/* A region a memory refers to: how many of its pages map it and how many
 * of its grants name it. The entry holds one reference to r and puts the
 * memory in r->users; it goes when both counts are zero (pg_sweep). */
typedef struct pg_use {
    pg_region *r;
    uint64_t pages;
    uint32_t grants;
} pg_use;

typedef struct pg_mem {
    pg_arena *arena; /* NULL until the memory first needs a private frame */
    pg_page *pages;
    uint64_t cap; /* entries allocated in pages, pg_rd, pg_wr */
    pg_use *uses; /* the regions this memory refers to */
    size_t nuses, cap_uses;
    pg_grant_t *grants; /* handle i is grants[i] */
    uint32_t ngrants;   /* slots ever used (live or free) */
    uint32_t cap_grants;
    uint32_t free_grant; /* 1 + the first free slot, 0: none */
    pg_usage guest;      /* what the guest's publish holds now */
    uint64_t tbl_len;    /* entries of each hot table (see pg_tables_new) */
    bool no_span;        /* pg_no_span */
    bool is_clone;       /* a clone's pages start as a template's: no huge pages */
    bool sealed;         /* pg_seal: clones only read it */
} pg_mem;

struct pg_region {
    atomic_uint refs; /* the host's, plus one per memory in users */
    uint64_t n;
    pg_frame **frames; /* one reference each */
    w_memory **users;  /* memories with pages mapping this region or grants of it */
    size_t nusers, cap_users;
    /* Guards users: memories of different threads may map and unmap one
     * region at once (paged.h, "Threads"). */
    atomic_flag ulock;
};

/* ---- the frame pool -------------------------------------------------------------- */

/* Recycling. Creating a memory used to map its tables and its arena and
 * destroying it to unmap them: three mmap and three munmap calls for every
 * clone of a serverless node, and each munmap (or madvise) of touched pages
 * makes the kernel flush the TLBs of every core running the process. So:
 *   - the hot tables of a 32-bit memory (one size for all) are kept when the
 *     memory goes, their entries for its pages and the translation cache
 *     cleared by memset (the rest was never written), up to PG_KEEP_TABLES;
 *   - an arena is kept when its last reference goes, up to PG_KEEP_ARENAS,
 *     and given to the next memory with as many slots; its slots keep their
 *     `used` marks and a used slot is zeroed (memset, no system call) when
 *     next taken, or not at all when the taker overwrites the whole frame;
 *   - a pool frame is zeroed the same way when next allocated.
 * What kept arenas and free pool frames hold in RAM is bounded: past
 * PG_KEEP_DIRTY used frames in all, an arena's used slots (or a pool frame)
 * are given back to the OS (one madvise) before being kept, so a burst of
 * large memories does not stay resident. Nothing is ever read from a used
 * frame before it is zeroed or overwritten: a new memory never sees an old
 * one's data. */
#define PG_KEEP_TABLES 64u
#define PG_KEEP_ARENAS 64u
#define PG_KEEP_DIRTY 512u        /* frames (32 MiB) */
#define PG_KEEP_TABLE_PAGES 4096u /* a larger memory's tables are unmapped */

static struct {
    atomic_flag lock;
    pg_frame *free;
    uint64_t chunks;
    uint64_t dirty; /* used frames among the free pool frames and in kept arenas */
    uint8_t **tables[PG_KEEP_TABLES];
    unsigned ntables;
    pg_arena *arenas; /* kept arenas, a list */
    unsigned narenas;
} pg_pool = {ATOMIC_FLAG_INIT, NULL, 0, 0, {NULL}, 0, NULL, 0};

/* Backs every never-written page; never written itself (it is const). */
static const uint8_t pg_zero_data[PG_SIZE] __attribute__((aligned(64)));
static pg_frame pg_zero = {(uint8_t *)pg_zero_data, 1, NULL, NULL, false, false, NULL};

static void pg_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&pg_pool.lock, memory_order_acquire))
        ;
}
static void pg_unlock(void)
{
    atomic_flag_clear_explicit(&pg_pool.lock, memory_order_release);
}

/* A frame with one reference, or NULL: zeroed, unless `fill` (the caller
 * overwrites all of it at once). */
static pg_frame *pg_frame_alloc(bool fill)
{
    pg_frame *f;
    pg_lock();
    if (!pg_pool.free) {
        pg_frame *meta = w_calloc(PG_CHUNK_FRAMES, sizeof *meta);
        uint8_t *data = meta ? plat_map(PG_CHUNK_FRAMES * PG_SIZE) : NULL;
        if (!data) {
            w_free(meta);
            pg_unlock();
            return NULL;
        }
        for (uint32_t i = 0; i < PG_CHUNK_FRAMES; i++) {
            meta[i].data = data + i * PG_SIZE;
            meta[i].next_free = pg_pool.free;
            pg_pool.free = &meta[i];
        }
        pg_pool.chunks++;
    }
    f = pg_pool.free;
    pg_pool.free = f->next_free;
    if (f->used) pg_pool.dirty--;
    pg_unlock();
    atomic_store_explicit(&f->refs, 1, memory_order_relaxed);
    f->next_free = NULL;
    if (f->used && !fill) memset(f->data, 0, PG_SIZE);
    f->used = false;
    return f;
}

static void pg_frame_retain(pg_frame *f)
{
    if (f != &pg_zero) atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

static void pg_arena_unmap(pg_arena *a)
{
    plat_release(a->base, a->bytes);
    plat_release(a->slots, a->n * sizeof *a->slots);
    w_free(a);
}

/* The last reference to a is gone: keep it for the next memory of its
 * size (see "Recycling"), or unmap it. */
static void pg_arena_release(pg_arena *a)
{
    if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1) return;
    pg_lock();
    bool keep = pg_pool.narenas < PG_KEEP_ARENAS;
    bool discard = keep && pg_pool.dirty + a->nused > PG_KEEP_DIRTY;
    if (keep && !discard) {
        pg_pool.dirty += a->nused;
        a->next_kept = pg_pool.arenas;
        pg_pool.arenas = a;
        pg_pool.narenas++;
    }
    pg_unlock();
    if (!keep) {
        pg_arena_unmap(a);
        return;
    }
    if (!discard) return;
    /* Too much kept in RAM already: this one's used slots go back to the
     * OS first (nobody else can reach a now). */
    plat_discard(a->base, a->hi * PG_SIZE);
    for (uint64_t i = 0; i < a->hi; i++)
        a->slots[i].used = false;
    a->nused = a->hi = 0;
    pg_lock();
    a->next_kept = pg_pool.arenas;
    pg_pool.arenas = a;
    pg_pool.narenas++;
    pg_unlock();
}

/* A kept arena of n slots, or NULL. */
static pg_arena *pg_arena_reuse(uint64_t n)
{
    pg_arena *a = NULL;
    pg_lock();
    for (pg_arena **pp = &pg_pool.arenas; *pp; pp = &(*pp)->next_kept) {
        if ((*pp)->n != n) continue;
        a = *pp;
        *pp = a->next_kept;
        pg_pool.narenas--;
        pg_pool.dirty -= a->nused;
        break;
    }
    pg_unlock();
    if (a) {
        a->next_kept = NULL;
        atomic_store_explicit(&a->refs, 1, memory_order_relaxed);
    }
    return a;
}

static void pg_frame_release(pg_frame *f)
{
    if (!f || f == &pg_zero) return;
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
    w_free(f->tags); /* the next holder's granules start at tag 0 */
    f->tags = NULL;
    if (f->arena) {
        /* Free again; zeroed when the slot is next taken (pg_slot). */
        pg_arena *a = f->arena;
        atomic_store_explicit(&f->held, false, memory_order_release);
        pg_arena_release(a);
        return;
    }
    /* Back to the pool, zeroed when next allocated; past the bound on what
     * the pool keeps in RAM, back to zero and the RAM to the OS now. */
    pg_lock();
    bool keep = pg_pool.dirty < PG_KEEP_DIRTY;
    if (keep) pg_pool.dirty++;
    pg_unlock();
    if (!keep) plat_discard(f->data, PG_SIZE);
    f->used = keep;
    pg_lock();
    f->next_free = pg_pool.free;
    pg_pool.free = f;
    pg_unlock();
}

/* Slots for every page index m can have: 32-bit memories only (a 64-bit
 * one's maximum can exceed any reservation). */
static uint64_t pg_arena_len(const w_memory *m)
{
    return m->is64 || m->max_pages > PG_TABLE32 / 2 ? 0 : m->max_pages;
}

/* A new arena of n slots, guarded if the reservation can be had (see
 * "Guard" above), none of them open; NULL if out of memory. */
static pg_arena *pg_arena_new(uint64_t n)
{
    pg_arena *a = w_calloc(1, sizeof *a);
    pg_frame *slots = a ? plat_map(n * sizeof *slots) : NULL;
    if (!slots) {
        w_free(a);
        return NULL;
    }
    a->base = plat_reserve(W_MEM_RESERVE32);
    a->bytes = W_MEM_RESERVE32;
    a->guarded = a->base != NULL;
    if (!a->base) {
        /* No room for the guard: the n slots, all open. */
        a->base = plat_map(n * PG_SIZE);
        a->bytes = a->open = n;
        a->bytes *= PG_SIZE;
    }
    if (!a->base) {
        plat_release(slots, n * sizeof *slots);
        w_free(a);
        return NULL;
    }
    atomic_init(&a->refs, 1);
    a->n = n;
    a->slots = slots;
    return a;
}

/* m has `pages` pages now: opens the slots [0, pages) of its guarded
 * arena, closes those above unless m is a clone (see "Guard"), and sets
 * m->pg_guard, the arena's base if exactly m's slots are open. False if
 * some slot below pages stays closed. */
static bool pg_arena_fit(w_memory *m, uint64_t pages)
{
    pg_arena *a = m->pg->arena;
    if (pages > a->n) pages = a->n;
    if (a->guarded && pages > a->open) {
        if (plat_commit(a->base + a->open * PG_SIZE, (pages - a->open) * PG_SIZE))
            a->open = pages;
        else
            a->guarded = false; /* maybe part of it is open now */
    } else if (a->guarded && pages < a->open && !m->pg->is_clone) {
        if (plat_decommit(a->base + pages * PG_SIZE, (a->open - pages) * PG_SIZE))
            a->open = pages;
        else
            a->guarded = false;
    }
    m->pg_guard = a->guarded && a->open == pages ? a->base : NULL;
    return pages <= a->open;
}

/* Creates m's arena, its slots [0, pages) open, if it has none yet; false
 * if it cannot have one. */
static bool pg_slot_ready(w_memory *m, uint64_t pages)
{
    pg_mem *pg = m->pg;
    if (!pg->arena) {
        uint64_t n = pg_arena_len(m);
        if (!n) return false;
        if (!(pg->arena = pg_arena_reuse(n)) && !(pg->arena = pg_arena_new(n))) return false;
        pg_arena_fit(m, pages);
    }
    return true;
}

/* A frame with one reference for page i of m, zeroed unless `fill` (the
 * caller overwrites all of it): its arena slot if that is free, else NULL
 * (the caller takes one from the pool). Only m's own thread takes slots
 * (paged.h, "Threads"); any thread may free one. */
static pg_frame *pg_slot(w_memory *m, uint64_t i, bool fill)
{
    if (!pg_slot_ready(m, m->pages)) return NULL;
    pg_arena *a = m->pg->arena;
    if (i >= a->open) return NULL;
    pg_frame *f = &a->slots[i];
    if (atomic_load_explicit(&f->held, memory_order_acquire)) return NULL;
    atomic_store_explicit(&f->held, true, memory_order_relaxed);
    f->data = a->base + i * PG_SIZE;
    f->arena = a;
    if (f->used && !fill) memset(f->data, 0, PG_SIZE); /* back to zero */
    if (!f->used) {
        f->used = true;
        a->nused++;
        if (i >= a->hi) a->hi = i + 1;
    }
    atomic_store_explicit(&f->refs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return f;
}

/* A frame for page i of m, zeroed unless `fill`: its arena slot, else one
 * from the pool. */
static pg_frame *pg_frame_for(w_memory *m, uint64_t i, bool fill)
{
    pg_frame *f = pg_slot(m, i, fill);
    return f ? f : pg_frame_alloc(fill);
}

/* Is page i's arena slot free and never used (zero, costing nothing)? */
static bool pg_slot_clean(w_memory *m, uint64_t i)
{
    if (!pg_slot_ready(m, m->pages) || i >= m->pg->arena->open) return false;
    const pg_frame *f = &m->pg->arena->slots[i];
    return !f->used && !atomic_load_explicit(&f->held, memory_order_acquire);
}

/* ---- page state and tables -------------------------------------------------------- */

/* The table entry of page i backed by data (see paged.h: biased by the
 * page's own address). In the unlikely case that the biased value is 0,
 * which would read as PG_EXC, the page simply always takes the slow path. */
static uint8_t *pg_entry(const uint8_t *data, uint64_t i)
{
    return (uint8_t *)((uintptr_t)data - (uintptr_t)(i << PG_SHIFT));
}

/* The translation cache of m and its cached bytes (one per page: the cache
 * may hold the page), after the two tables in their mapping (paged.h). */
static w_pgtlb *pg_tlb(const w_memory *m)
{
    return (w_pgtlb *)(void *)(m->pg_wr + m->pg->tbl_len);
}
static uint8_t *pg_cached(const w_memory *m)
{
    return (uint8_t *)(pg_tlb(m) + 2 * PG_TLB_N);
}

/* Keeps one direction's span exact after table t's entry i changed: the
 * longest run of pages from 0 whose entries all equal t[0] (none if t[0] is
 * the exception entry). */
static void pg_span_fix(uint8_t **base, uint64_t *lim, uint8_t *const *t, uint64_t n, uint64_t i)
{
    uint64_t len = *lim >> PG_SHIFT;
    if (i == 0) {
        *base = t[0];
        len = 0;
    } else if (i < len) {
        if (t[i] != *base) *lim = i << PG_SHIFT;
        return;
    } else if (i > len) {
        return;
    }
    if (*base != PG_EXC)
        while (len < n && t[len] == *base)
            len++;
    *lim = len << PG_SHIFT;
}

/* Recomputes the table entries of page i from its cold state; if they
 * change, the translation cache lets go of the page and the span follows
 * (paged.h). */
static void pg_sync(w_memory *m, uint64_t i)
{
    const pg_page *p = &m->pg->pages[i];
    uint8_t *data = p->frame ? p->frame->data : NULL;
    uint8_t *rd = data && (p->perm & PG_R) ? pg_entry(data, i) : PG_EXC;
    uint8_t *wr = data && p->perm == PG_RW && !p->cow ? pg_entry(data, i) : PG_EXC;
    if (pg_cached(m)[i] && (rd != m->pg_rd[i] || wr != m->pg_wr[i])) {
        w_pgtlb *t = pg_tlb(m);
        for (unsigned k = 0; k < 2 * PG_TLB_N; k++)
            if (t[k].end == (i + 1) << PG_SHIFT) t[k] = (w_pgtlb){0, NULL};
        pg_cached(m)[i] = 0;
    }
    m->pg_rd[i] = rd;
    m->pg_wr[i] = wr;
    if (m->pg_tg) m->pg_tg[i] = p->frame ? &p->frame->tags : NULL;
    if (m->pg->no_span) return;
    w_span *sp = &m->span;
    pg_span_fix(&sp->rd_base, &sp->rd_lim, m->pg_rd, m->pg->tbl_len, i);
    pg_span_fix(&sp->wr_base, &sp->wr_lim, m->pg_wr, m->pg->tbl_len, i);
}

/* Entries of each hot table: every page index a fast-form access of a
 * 32-bit memory can compute (PG_TABLE32), or the most pages the memory can
 * ever have, whichever is larger. */
static uint64_t pg_table_len(const w_memory *m)
{
    return m->max_pages > PG_TABLE32 ? m->max_pages : PG_TABLE32;
}

/* Bytes of the mapping that holds the hot tables, the translation cache
 * and the cached bytes of a memory with tables of n entries. */
static uint64_t pg_tables_bytes(uint64_t n)
{
    uint64_t page = plat_page_size();
    uint64_t bytes = 2 * n * sizeof(uint8_t *) + 2 * PG_TLB_N * sizeof(w_pgtlb) + n;
    return (bytes + page - 1) / page * page;
}

/* Bytes of the mapping that holds a tag table of n entries (pg_tag_table). */
static uint64_t pg_tag_table_bytes(uint64_t n)
{
    uint64_t page = plat_page_size();
    return (n * sizeof(uint8_t **) + page - 1) / page * page;
}

/* The hot tables of m, its translation cache and cached bytes, in one
 * mapping laid out as paged.h says (the interpreter relies on the offsets
 * for 32-bit memories). The mapping is committed but only what existing
 * pages and accesses use is ever written; untouched parts of an anonymous
 * mapping read as zero, which is PG_EXC, an empty cache entry and "not
 * cached", and cost no RAM. So the resident cost follows the memory's
 * pages (16 bytes per page, in 4 KiB steps) plus the cache once used, while
 * every index below tbl_len is a valid entry and the fast path needs no
 * bounds check. */
static bool pg_tables_new(w_memory *m)
{
    uint64_t n = pg_table_len(m);
    if (n > ((uint64_t)1 << 32)) return false;
    uint8_t **t = NULL;
    if (n == PG_TABLE32) {
        pg_lock();
        if (pg_pool.ntables) t = pg_pool.tables[--pg_pool.ntables];
        pg_unlock();
    }
    if (!t) t = plat_map(pg_tables_bytes(n));
    if (!t) return false;
    m->pg_rd = t;
    m->pg_wr = t + n;
    m->pg->tbl_len = n;
    return true;
}

/* Makes room for `pages` entries of cold state (new ones absent); the hot
 * tables already cover every page the memory can have. */
static bool pg_reserve(w_memory *m, uint64_t pages)
{
    pg_mem *pg = m->pg;
    if (pages <= pg->cap) return true;
    if (pages > pg->tbl_len) return false;
    uint64_t cap = pg->cap ? pg->cap : 4;
    while (cap < pages)
        cap *= 2;
    if (cap > pg->tbl_len) cap = pg->tbl_len;
    pg_page *np = w_realloc_array(pg->pages, (size_t)cap, sizeof *np);
    if (!np) return false;
    pg->pages = np;
    memset(np + pg->cap, 0, (size_t)(cap - pg->cap) * sizeof *np);
    pg->cap = cap;
    return true;
}

/* Pages [from, to) become fresh zero pages, read-write: their arena slots
 * (zero, and costing no RAM until written), or where there is none, the
 * shared zero frame, copy-on-write. A clone's page whose slot was used
 * before (a recycled arena) gets the zero frame too and its slot only when
 * first written, zeroed then: a clone's pages are rarely one run anyway
 * (its first pages are its template's), and the host often replaces grown
 * pages at once (a serverless node maps its input there). A large memory's
 * slots get huge pages as a flat memory's block does (W_MEM_HUGE_MIN),
 * except a clone's, whose slots hold single copied pages. */
static void pg_zero_pages(w_memory *m, uint64_t from, uint64_t to)
{
    /* (No arena for no pages: pg_clone's pg_init is not yet a clone's.) */
    bool slots = to > from && pg_slot_ready(m, to) && pg_arena_fit(m, to);
    if (to * PG_SIZE >= W_MEM_HUGE_MIN && !m->pg->is_clone && slots)
        plat_advise_huge(m->pg->arena->base, to * PG_SIZE);
    for (uint64_t i = from; i < to; i++) {
        pg_page *p = &m->pg->pages[i];
        p->frame = !m->pg->is_clone || pg_slot_clean(m, i) ? pg_slot(m, i, false) : NULL;
        p->cow = !p->frame;
        if (!p->frame) p->frame = &pg_zero;
        p->region = NULL;
        p->via = 0;
        p->perm = p->ceil = PG_RW;
        pg_sync(m, i);
    }
}

bool pg_init(w_memory *m, uint64_t pages)
{
    pg_mem *pg = w_calloc(1, sizeof *pg);
    if (!pg) return false;
    m->pg = pg;
    m->pg_exc = PG_EXC;
    m->pg_guard = NULL; /* a clone starts from a copy */
    m->span = (w_span){NULL, 0, NULL, 0};
    if (!pg_tables_new(m) || !pg_reserve(m, pages)) {
        pg_release(m);
        return false;
    }
    pg_zero_pages(m, 0, pages);
    return true;
}

void pg_no_span(w_memory *m)
{
    m->pg->no_span = true;
    m->span = (w_span){NULL, 0, NULL, 0};
}

bool pg_grow(w_memory *m, uint64_t delta)
{
    if (!pg_reserve(m, m->pages + delta)) return false;
    pg_zero_pages(m, m->pages, m->pages + delta);
    return true;
}

/* Keeps m's tables for the next memory (see "Recycling"), cleared: the
 * entries of its pages (no other entry was ever written), the translation
 * cache and the cached bytes. Tables of large memories are unmapped. */
static void pg_tables_free(w_memory *m)
{
    pg_mem *pg = m->pg;
    if (pg->tbl_len == PG_TABLE32 && pg->cap <= PG_KEEP_TABLE_PAGES) {
        memset(m->pg_rd, 0, pg->cap * sizeof *m->pg_rd);
        memset(m->pg_wr, 0, pg->cap * sizeof *m->pg_wr);
        memset(pg_tlb(m), 0, 2 * PG_TLB_N * sizeof(w_pgtlb));
        memset(pg_cached(m), 0, pg->cap);
        pg_lock();
        bool kept = pg_pool.ntables < PG_KEEP_TABLES;
        if (kept) pg_pool.tables[pg_pool.ntables++] = m->pg_rd;
        pg_unlock();
        if (kept) return;
    }
    plat_release(m->pg_rd, pg_tables_bytes(pg->tbl_len));
}

static void pg_users_lock(pg_region *r)
{
    while (atomic_flag_test_and_set_explicit(&r->ulock, memory_order_acquire))
        ;
}
static void pg_users_unlock(pg_region *r)
{
    atomic_flag_clear_explicit(&r->ulock, memory_order_release);
}

static void pg_region_drop_user(pg_region *r, w_memory *m)
{
    pg_users_lock(r);
    for (size_t i = 0; i < r->nusers; i++) {
        if (r->users[i] == m) {
            r->users[i] = r->users[--r->nusers];
            break;
        }
    }
    pg_users_unlock(r);
}

void pg_release(w_memory *m)
{
    pg_mem *pg = m->pg;
    if (!pg) return;
    for (uint64_t i = 0; i < pg->cap; i++)
        pg_frame_release(pg->pages[i].frame);
    for (size_t i = 0; i < pg->nuses; i++) {
        pg_region_drop_user(pg->uses[i].r, m);
        pg_region_release(pg->uses[i].r);
    }
    pg_arena_release(pg->arena);
    w_free(pg->grants);
    w_free(pg->uses);
    w_free(pg->pages);
    if (m->pg_rd) pg_tables_free(m);
    if (m->pg_tg) plat_release(m->pg_tg, pg_tag_table_bytes(pg->tbl_len));
    m->pg_tg = NULL;
    w_free(pg);
    m->pg = NULL;
    m->pg_rd = m->pg_wr = NULL;
    m->pg_exc = NULL;
    m->pg_guard = NULL;
    m->span = (w_span){NULL, 0, NULL, 0};
}

/* Gives f (fresh, no tags) a copy of src's tags; false if out of memory. */
static bool pg_copy_tags(pg_frame *f, const pg_frame *src)
{
    if (!src->tags) return true;
    f->tags = w_calloc(1, PG_TAG_BYTES);
    if (!f->tags) return false;
    memcpy(f->tags, src->tags, W_TAG_PAGE_BYTES);
    return true;
}

/* Gives page i a private frame (its store may then go straight to it). */
static bool pg_unshare(w_memory *m, uint64_t i)
{
    pg_page *p = &m->pg->pages[i];
    if (!p->cow) return true;
    if (p->frame != &pg_zero && atomic_load_explicit(&p->frame->refs, memory_order_acquire) == 1) {
        p->cow = false; /* every other holder let go */
    } else {
        pg_frame *f = pg_frame_for(m, i, p->frame != &pg_zero);
        if (!f) return false;
        if (!pg_copy_tags(f, p->frame)) {
            pg_frame_release(f);
            return false;
        }
        if (p->frame != &pg_zero) memcpy(f->data, p->frame->data, PG_SIZE);
        pg_frame_release(p->frame);
        p->frame = f;
        p->cow = false;
    }
    pg_sync(m, i);
    return true;
}

/* ---- access -------------------------------------------------------------------------- */

static bool pg_in_bounds(const w_memory *m, uint64_t ea, uint64_t len)
{
    return len <= m->size && ea <= m->size - len;
}

/* Can page i be accessed this way? */
static w_trap pg_page_check(const w_memory *m, uint64_t i, bool write)
{
    const pg_page *p = &m->pg->pages[i];
    if (!p->frame) return W_TRAP_MEM_OOB;
    if (write ? p->perm != PG_RW : !(p->perm & PG_R)) return W_TRAP_ACCESS_DENIED;
    return W_TRAP_OK;
}

w_trap pg_check(const w_memory *m, uint64_t ea, uint64_t len, bool write, uint64_t *fault_ea)
{
    *fault_ea = ea;
    if (!pg_in_bounds(m, ea, len)) return W_TRAP_MEM_OOB;
    if (len == 0) return W_TRAP_OK;
    uint64_t last = (ea + len - 1) >> PG_SHIFT;
    /* Absent pages are out of bounds, which wins over a permission fault. */
    w_trap denied = W_TRAP_OK;
    uint64_t denied_ea = ea;
    for (uint64_t i = ea >> PG_SHIFT; i <= last; i++) {
        w_trap t = pg_page_check(m, i, write);
        uint64_t at = i << PG_SHIFT > ea ? i << PG_SHIFT : ea;
        if (t == W_TRAP_MEM_OOB) {
            *fault_ea = at;
            return t;
        }
        if (t != W_TRAP_OK && denied == W_TRAP_OK) {
            denied = t;
            denied_ea = at;
        }
    }
    *fault_ea = denied_ea;
    return denied;
}

w_trap pg_translate(w_memory *m, uint64_t ea, uint64_t len, bool write, uint8_t **p)
{
    uint64_t fe;
    w_trap t = pg_check(m, ea, len, write, &fe);
    if (t != W_TRAP_OK) return t;
    uint64_t i = ea >> PG_SHIFT;
    if (write && !pg_unshare(m, i)) return W_TRAP_OOM;
    *p = m->pg->pages[i].frame->data + (ea & (PG_SIZE - 1));
    return W_TRAP_OK;
}

void pg_denied_msg(const w_memory *m, uint64_t ea, bool write, char *buf, size_t size)
{
    uint64_t i = ea >> PG_SHIFT;
    const char *what = "not accessible";
    if (m->pg && i < m->pages && m->pg->pages[i].perm == PG_R) what = "read-only";
    (void)write;
    snprintf(buf, size, "page %llu is %s", (unsigned long long)i, what);
}

/* The host run for [ea, ea+len) of m starting at ea: up to the end of the
 * page (paged) or of the range (flat). The range was checked. */
static uint8_t *pg_run(w_memory *m, uint64_t ea, uint64_t len, bool write, uint64_t *run)
{
    if (m->mode != W_MEM_PAGED) {
        *run = len;
        return m->base + ea;
    }
    uint64_t off = ea & (PG_SIZE - 1), room = PG_SIZE - off;
    uint64_t i = ea >> PG_SHIFT;
    *run = len < room ? len : room;
    if (write && !pg_unshare(m, i)) return NULL;
    return m->pg->pages[i].frame->data + off;
}

w_trap pg_check_any(const w_memory *m, uint64_t sea, uint64_t len, bool write, uint64_t *fault_ea)
{
    if (m->mode == W_MEM_PAGED) return pg_check(m, sea, len, write, fault_ea);
    *fault_ea = sea;
    return pg_in_bounds(m, sea, len) ? W_TRAP_OK : W_TRAP_MEM_OOB;
}

w_trap pg_check_access(const w_memory *m, uint64_t ea, uint64_t len, bool write, uint64_t *sea,
                       uint64_t *fault_ea)
{
    *sea = mem_addr_strip(m, ea);
    w_trap t = pg_check_any(m, *sea, len, write, fault_ea);
    if (t == W_TRAP_OK && m->tagged) t = tag_check(m, *sea, len, mem_addr_tag(m, ea), fault_ea);
    return t;
}

w_trap pg_read(const w_memory *m, uint64_t ea, void *dst, uint64_t len, uint64_t *fault_ea)
{
    w_trap t = pg_check_access(m, ea, len, false, &ea, fault_ea);
    if (t != W_TRAP_OK) return t;
    uint8_t *d = dst;
    while (len) {
        uint64_t run;
        const uint8_t *s = pg_run((w_memory *)m, ea, len, false, &run);
        memcpy(d, s, run);
        d += run;
        ea += run;
        len -= run;
    }
    return W_TRAP_OK;
}

w_trap pg_write(w_memory *m, uint64_t ea, const void *src, uint64_t len, uint64_t *fault_ea)
{
    w_trap t = pg_check_access(m, ea, len, true, &ea, fault_ea);
    if (t != W_TRAP_OK) return t;
    const uint8_t *s = src;
    while (len) {
        uint64_t run;
        uint8_t *d = pg_run(m, ea, len, true, &run);
        if (!d) return W_TRAP_OOM;
        memcpy(d, s, run);
        s += run;
        ea += run;
        len -= run;
    }
    return W_TRAP_OK;
}

bool pg_memset(w_memory *m, uint64_t sea, uint8_t v, uint64_t len)
{
    while (len) {
        uint64_t run;
        uint8_t *d = pg_run(m, sea, len, true, &run);
        if (!d) return false;
        memset(d, v, run);
        sea += run;
        len -= run;
    }
    return true;
}

w_trap pg_fill(w_memory *m, uint64_t ea, uint8_t v, uint64_t len, uint64_t *fault_ea)
{
    w_trap t = pg_check_access(m, ea, len, true, &ea, fault_ea);
    if (t != W_TRAP_OK) return t;
    return pg_memset(m, ea, v, len) ? W_TRAP_OK : W_TRAP_OOM;
}

w_trap pg_copy(w_memory *dm, uint64_t d, const w_memory *sm, uint64_t s, uint64_t len,
               uint64_t *fault_ea, bool *fault_write)
{
    uint64_t fs, fd;
    w_trap ts = pg_check_access(sm, s, len, false, &s, &fs);
    w_trap td = pg_check_access(dm, d, len, true, &d, &fd);
    if (ts == W_TRAP_MEM_OOB || (ts != W_TRAP_OK && td != W_TRAP_MEM_OOB)) {
        *fault_ea = fs;
        *fault_write = false;
        return ts;
    }
    if (td != W_TRAP_OK) {
        *fault_ea = fd;
        *fault_write = true;
        return td;
    }
    /* Chunks no longer than what is left in the current source and
     * destination pages; backwards when the destination is above the
     * source, so that overlapping ranges copy as memmove does. */
    bool back = dm == sm && d > s;
    while (len) {
        uint64_t rd, rs, n;
        if (!back) {
            uint8_t *dp = pg_run(dm, d, len, true, &rd);
            const uint8_t *sp = pg_run((w_memory *)sm, s, len, false, &rs);
            if (!dp) return W_TRAP_OOM;
            n = rd < rs ? rd : rs;
            memmove(dp, sp, n);
            d += n;
            s += n;
        } else {
            /* The last chunk: bytes [end-n, end) in both. */
            uint64_t de = d + len, se = s + len;
            uint64_t dn = ((de - 1) & (PG_SIZE - 1)) + 1, sn = ((se - 1) & (PG_SIZE - 1)) + 1;
            if (dm->mode != W_MEM_PAGED) dn = len;
            if (sm->mode != W_MEM_PAGED) sn = len;
            n = dn < sn ? dn : sn;
            if (n > len) n = len;
            uint8_t *dp = pg_run(dm, de - n, n, true, &rd);
            const uint8_t *sp = pg_run((w_memory *)sm, se - n, n, false, &rs);
            if (!dp) return W_TRAP_OOM;
            memmove(dp, sp, n);
        }
        len -= n;
    }
    return W_TRAP_OK;
}

static void pg_bound_published(w_memory *m, uint64_t page, uint64_t n, uint8_t perm);

bool pg_protect(w_memory *m, uint64_t page, uint64_t n, uint8_t perm, bool host)
{
    if (perm != PG_NONE && perm != PG_R && perm != PG_RW) return false;
    if (page > m->pages || n > m->pages - page) return false;
    for (uint64_t i = page; i < page + n; i++) {
        const pg_page *p = &m->pg->pages[i];
        if (!p->frame) return false;
        if (!host && (perm & ~p->ceil)) return false;
    }
    if (host) pg_bound_published(m, page, n, perm);
    for (uint64_t i = page; i < page + n; i++) {
        pg_page *p = &m->pg->pages[i];
        p->perm = perm;
        if (host) {
            /* The host sets this page's ceiling itself, so it no longer
             * follows the grant it may have been mapped through. */
            p->ceil = perm;
            p->via = 0;
        }
        pg_sync(m, i);
    }
    return true;
}

uint64_t pg_private_frames(const w_memory *m)
{
    uint64_t n = 0;
    if (!m->pg) return 0;
    for (uint64_t i = 0; i < m->pages; i++) {
        const pg_page *p = &m->pg->pages[i];
        if (p->frame && p->frame != &pg_zero && !p->cow && !p->region) n++;
    }
    return n;
}

bool pg_clone(w_memory *dst, w_memory *src)
{
    uint8_t mode = dst->mode;
    *dst = *src;
    /* The tag state is the clone's own (tag_clone, after this). */
    dst->tagged = false;
    dst->tags = NULL;
    dst->tg = NULL;
    dst->pg = NULL;
    dst->pg_rd = dst->pg_wr = NULL;
    dst->pg_tg = NULL;
    dst->mode = mode;
    if (!pg_init(dst, 0) || !pg_reserve(dst, src->pages)) return false;
    dst->pg->no_span = src->pg->no_span;
    dst->pg->is_clone = true;
    for (uint64_t i = 0; i < src->pages; i++) {
        pg_page *sp = &src->pg->pages[i], *dp = &dst->pg->pages[i];
        *dp = *sp;
        dp->region = NULL;
        dp->via = 0; /* the clone has no grants */
        if (sp->frame && sp->region) {
            /* Region pages are shared on purpose and keep changing: the
             * clone gets a snapshot of its own. */
            pg_frame *f = pg_frame_for(dst, i, true);
            if (!f) return false;
            if (!pg_copy_tags(f, sp->frame)) {
                pg_frame_release(f);
                return false;
            }
            memcpy(f->data, sp->frame->data, PG_SIZE);
            dp->frame = f;
            dp->cow = false;
        } else if (sp->frame) {
            pg_frame_retain(sp->frame);
            dp->cow = true;
            /* The template's private frame is now shared too (a sealed
             * template's already is). */
            if (!sp->cow) {
                sp->cow = true;
                pg_sync(src, i);
            }
        }
        pg_sync(dst, i);
    }
    return true;
}

void pg_seal(w_memory *m)
{
    for (uint64_t i = 0; i < m->pages; i++) {
        pg_page *p = &m->pg->pages[i];
        if (p->frame && !p->region && !p->cow) {
            p->cow = true;
            pg_sync(m, i);
        }
    }
    m->pg->sealed = true;
}

/* ---- tags ------------------------------------------------------------------------------ */

bool pg_tag_table(w_memory *m)
{
    if (m->pg_tg) return true;
    /* Like the hot tables: untouched entries read as NULL and cost no RAM. */
    uint8_t ***t = plat_map(pg_tag_table_bytes(m->pg->tbl_len));
    if (!t) return false;
    for (uint64_t i = 0; i < m->pg->cap; i++) {
        pg_frame *f = m->pg->pages[i].frame;
        t[i] = f ? &f->tags : NULL;
    }
    m->pg_tg = t;
    return true;
}

const uint8_t *pg_page_tags(const w_memory *m, uint64_t i)
{
    const pg_frame *f = i < m->pages ? m->pg->pages[i].frame : NULL;
    return f ? f->tags : NULL;
}

uint8_t *pg_page_tags_mut(w_memory *m, uint64_t i)
{
    if (!pg_unshare(m, i)) return NULL;
    pg_page *p = &m->pg->pages[i];
    pg_frame *f = p->frame;
    if (!f->tags) {
        f->tags = w_calloc(1, PG_TAG_BYTES);
        if (!f->tags) return NULL;
        /* Every memory that maps the frame may now meet a tag: a region's
         * other users too (copy-on-write frames are never retagged while
         * shared: pg_unshare above made this one private). */
        if (p->region) {
            pg_users_lock(p->region);
            for (size_t k = 0; k < p->region->nusers; k++)
                p->region->users[k]->tag_any = true;
            pg_users_unlock(p->region);
        }
    }
    m->tag_any = true;
    return f->tags;
}

/* ---- regions ---------------------------------------------------------------------------- */

static pg_region *pg_region_alloc(uint64_t n)
{
    pg_region *r = w_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->frames = w_calloc(n ? (size_t)n : 1, sizeof *r->frames);
    if (!r->frames) {
        w_free(r);
        return NULL;
    }
    atomic_store(&r->refs, 1);
    atomic_flag_clear(&r->ulock);
    r->n = n;
    return r;
}

pg_region *pg_region_new(uint64_t n)
{
    if (n > ((uint64_t)1 << 32)) return NULL;
    pg_region *r = pg_region_alloc(n);
    if (!r) return NULL;
    for (uint64_t i = 0; i < n; i++) {
        r->frames[i] = pg_frame_alloc(false);
        if (!r->frames[i]) {
            pg_region_release(r);
            return NULL;
        }
    }
    return r;
}

void pg_region_retain(pg_region *r)
{
    atomic_fetch_add(&r->refs, 1);
}

void pg_region_release(pg_region *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1) return;
    for (uint64_t i = 0; i < r->n; i++)
        pg_frame_release(r->frames[i]);
    w_free(r->frames);
    w_free(r->users);
    w_free(r);
}

uint64_t pg_region_pages(const pg_region *r)
{
    return r->n;
}

/* m's entry for r (pg_use), or NULL. */
static pg_use *pg_use_find(const w_memory *m, const pg_region *r)
{
    pg_mem *pg = m->pg;
    for (size_t i = 0; i < pg->nuses; i++)
        if (pg->uses[i].r == r) return &pg->uses[i];
    return NULL;
}

/* m's entry for r, added empty if there is none; NULL if out of memory.
 * The pointer is good until the next pg_use_get or pg_sweep on m. */
static pg_use *pg_use_get(w_memory *m, pg_region *r)
{
    pg_mem *pg = m->pg;
    pg_use *u = pg_use_find(m, r);
    if (u) return u;
    if (pg->nuses == pg->cap_uses) {
        size_t c = pg->cap_uses ? 2 * pg->cap_uses : 4;
        pg_use *nu = w_realloc_array(pg->uses, c, sizeof *nu);
        if (!nu) return NULL;
        pg->uses = nu;
        pg->cap_uses = c;
    }
    pg_users_lock(r);
    if (r->nusers == r->cap_users) {
        size_t c = r->cap_users ? 2 * r->cap_users : 4;
        w_memory **nu = w_realloc_array(r->users, c, sizeof *nu);
        if (!nu) {
            pg_users_unlock(r);
            return NULL;
        }
        r->users = nu;
        r->cap_users = c;
    }
    r->users[r->nusers++] = m;
    pg_users_unlock(r);
    pg_region_retain(r);
    u = &pg->uses[pg->nuses++];
    *u = (pg_use){r, 0, 0};
    return u;
}

/* Lets go of every region m no longer refers to. That may drop a region's
 * last reference: a caller that still needs r after this holds its own. */
static void pg_sweep(w_memory *m)
{
    pg_mem *pg = m->pg;
    for (size_t i = 0; i < pg->nuses;) {
        pg_use u = pg->uses[i];
        if (u.pages || u.grants) {
            i++;
            continue;
        }
        pg->uses[i] = pg->uses[--pg->nuses];
        pg_region_drop_user(u.r, m);
        pg_region_release(u.r);
    }
}

/* Page p of m stops counting as a page of its region (the caller sweeps). */
static void pg_leave_region(w_memory *m, pg_page *p)
{
    if (!p->region) return;
    pg_use_find(m, p->region)->pages--;
    p->region = NULL;
    p->via = 0;
}

/* Page i loses its frame and becomes absent (the caller sweeps). */
static void pg_unmap_page(w_memory *m, uint64_t i)
{
    pg_page *p = &m->pg->pages[i];
    pg_leave_region(m, p);
    pg_frame_release(p->frame);
    memset(p, 0, sizeof *p);
    pg_sync(m, i);
}

/* m's pages of r become plain pages that keep their frames (the caller
 * sweeps; nobody else may hold r, or they would stop sharing with m). */
static void pg_dissolve(w_memory *m, pg_region *r)
{
    for (uint64_t i = 0; i < m->pages; i++)
        if (m->pg->pages[i].region == r) pg_leave_region(m, &m->pg->pages[i]);
}

pg_region *pg_region_from_pages(w_memory *m, uint64_t page, uint64_t n)
{
    if (m->mode != W_MEM_PAGED || page > m->pages || n > m->pages - page) return NULL;
    for (uint64_t i = page; i < page + n; i++)
        if (!m->pg->pages[i].frame || m->pg->pages[i].region) return NULL;
    pg_region *r = pg_region_alloc(n);
    if (!r) return NULL;
    for (uint64_t k = 0; k < n; k++) {
        /* A shared frame must become the page's own before it is published,
         * or a later copy-on-write would leave the region behind. */
        if (!pg_unshare(m, page + k)) {
            pg_region_release(r);
            return NULL;
        }
    }
    pg_use *u = n ? pg_use_get(m, r) : NULL;
    if (n && !u) {
        pg_region_release(r);
        return NULL;
    }
    for (uint64_t k = 0; k < n; k++) {
        pg_page *p = &m->pg->pages[page + k];
        r->frames[k] = p->frame;
        pg_frame_retain(p->frame);
        p->region = r;
    }
    if (u) u->pages += n;
    return r;
}

/* Maps r at page `at` of m with perm as both permission and ceiling; the
 * pages follow grant via - 1 (0: mapped by the host). */
static bool pg_map(pg_region *r, w_memory *m, uint64_t at, uint8_t perm, uint32_t via)
{
    if (m->mode != W_MEM_PAGED || (perm != PG_R && perm != PG_RW)) return false;
    if (at > m->pages || r->n > m->pages - at) return false;
    if (r->n == 0) return true;
    pg_use *u = pg_use_get(m, r);
    if (!u) return false;
    for (uint64_t k = 0; k < r->n; k++) {
        pg_page *p = &m->pg->pages[at + k];
        if (p->region != r) {
            pg_leave_region(m, p);
            u->pages++;
        }
        pg_frame_retain(r->frames[k]);
        pg_frame_release(p->frame);
        p->frame = r->frames[k];
        if (p->frame->tags) m->tag_any = true;
        p->region = r;
        p->via = via;
        p->perm = p->ceil = perm;
        p->cow = false;
        pg_sync(m, at + k);
    }
    pg_sweep(m); /* regions whose last page here was replaced */
    return true;
}

bool pg_region_map(pg_region *r, w_memory *m, uint64_t at, uint8_t perm)
{
    return pg_map(r, m, at, perm, 0);
}

uint64_t pg_region_unmap(pg_region *r, w_memory *m)
{
    uint64_t n = 0;
    if (m->mode != W_MEM_PAGED) return 0;
    pg_use *u = pg_use_find(m, r);
    if (!u || !u->pages) return 0;
    for (uint64_t i = 0; i < m->pages; i++) {
        if (m->pg->pages[i].region == r) {
            pg_unmap_page(m, i);
            n++;
        }
    }
    pg_sweep(m);
    return n;
}

/* ---- grants: the guest's handles ---------------------------------------------------------- */

static pg_grant_t *pg_grant_at(const w_memory *m, uint64_t h)
{
    const pg_mem *pg = m->pg;
    if (!pg || h >= pg->ngrants || !pg->grants[h].r) return NULL;
    return &pg->grants[h];
}

uint64_t pg_publish_cost(uint64_t n)
{
    return sizeof(pg_region) + n * sizeof(pg_frame *) + sizeof(pg_grant_t) + sizeof(pg_use) +
           sizeof(w_memory *);
}

/* A new handle of m for r: a free slot if there is one, else a new one
 * (the array doubles, so n grants cost O(n)). Handles stay below 2^31,
 * the guest's i32. -1 if out of memory or handles. */
static int64_t pg_grant_add(w_memory *m, pg_region *r, uint8_t perm, bool guest)
{
    pg_mem *pg = m->pg;
    if (!pg->free_grant && pg->ngrants == pg->cap_grants) {
        if (pg->cap_grants >= INT32_MAX) return -1;
        uint32_t c = pg->cap_grants ? pg->cap_grants : 4;
        c = c > INT32_MAX / 2 ? INT32_MAX : 2 * c;
        pg_grant_t *g = w_realloc_array(pg->grants, c, sizeof *g);
        if (!g) return -1;
        pg->grants = g;
        pg->cap_grants = c;
    }
    pg_use *u = pg_use_get(m, r);
    if (!u) return -1;
    uint32_t h;
    if (pg->free_grant) {
        h = pg->free_grant - 1;
        pg->free_grant = pg->grants[h].next;
    } else {
        h = pg->ngrants++;
    }
    u->grants++;
    pg->grants[h] = (pg_grant_t){r, 0, perm, guest};
    if (guest) {
        pg->guest.handles++;
        pg->guest.bytes += pg_publish_cost(r->n);
    }
    return h;
}

/* Handle h of m becomes free (the caller unmapped what was mapped through
 * it, and sweeps). */
static void pg_grant_drop(w_memory *m, uint32_t h)
{
    pg_mem *pg = m->pg;
    pg_grant_t *g = &pg->grants[h];
    pg_use_find(m, g->r)->grants--;
    if (g->guest) {
        pg->guest.handles--;
        pg->guest.bytes -= pg_publish_cost(g->r->n);
    }
    *g = (pg_grant_t){NULL, pg->free_grant, PG_NONE, false};
    pg->free_grant = h + 1;
}

int64_t pg_grant(w_memory *m, pg_region *r, uint8_t perm)
{
    if (!m->pg || (perm != PG_R && perm != PG_RW)) return -1;
    return pg_grant_add(m, r, perm, false);
}

pg_region *pg_granted(const w_memory *m, uint64_t handle, uint8_t *perm)
{
    const pg_grant_t *g = pg_grant_at(m, handle);
    if (!g) return NULL;
    if (perm) *perm = g->perm;
    return g->r;
}

/* Pages of m mapped through a grant get at most the grant's permission. */
static void pg_clamp_via(w_memory *m)
{
    pg_mem *pg = m->pg;
    for (uint64_t i = 0; i < m->pages; i++) {
        pg_page *p = &pg->pages[i];
        if (!p->via || !(p->ceil & ~pg->grants[p->via - 1].perm)) continue;
        p->ceil &= pg->grants[p->via - 1].perm;
        p->perm &= p->ceil;
        pg_sync(m, i);
    }
}

/* The host lowers pages [page, page+n) of m to perm: the guest's handles
 * from publish of the regions mapped there follow, and so do the pages
 * mapped through them (paged.h). Each run of pages of one region scans the
 * handles once. */
static void pg_bound_published(w_memory *m, uint64_t page, uint64_t n, uint8_t perm)
{
    pg_mem *pg = m->pg;
    const pg_region *last = NULL;
    bool lowered = false;
    if (perm == PG_RW || !pg->guest.handles) return;
    for (uint64_t i = page; i < page + n; i++) {
        const pg_region *r = pg->pages[i].region;
        if (!r || r == last) continue;
        last = r;
        for (uint32_t h = 0; h < pg->ngrants; h++) {
            pg_grant_t *g = &pg->grants[h];
            if (g->r != r || !g->guest || !(g->perm & ~perm)) continue;
            g->perm &= perm;
            lowered = true;
        }
    }
    if (lowered) pg_clamp_via(m);
}

/* May r dissolve into m's pages? Only if nobody else can name it (its one
 * reference is m's entry, which no handle uses) and each of its frames is
 * held by exactly one page of m: a frame held by two pages would stay
 * shared between two plain pages, out of reach of a later region's revoke.
 * A region frame's references are the region's and one per page holding it
 * (pages outside regions never hold a region's frame), so the count says. */
static bool pg_dissolvable(w_memory *m, pg_region *r)
{
    const pg_use *u = pg_use_find(m, r);
    if (!u || u->grants || r->nusers != 1 || atomic_load(&r->refs) != 1) return false;
    for (uint64_t k = 0; k < r->n; k++)
        if (atomic_load_explicit(&r->frames[k]->refs, memory_order_acquire) != 2) return false;
    return true;
}

int64_t pg_publish(w_memory *m, uint64_t page, uint64_t n)
{
    if (m->mode != W_MEM_PAGED || page > m->pages || n > m->pages - page) return -1;
    uint8_t perm = PG_RW;
    for (uint64_t i = page; i < page + n; i++)
        perm &= m->pg->pages[i].perm;
    pg_region *r = pg_region_from_pages(m, page, n);
    if (!r) return -1;
    int64_t h = pg_grant_add(m, r, perm, true);
    if (h < 0) {
        pg_dissolve(m, r);
        pg_sweep(m);
    }
    pg_region_release(r); /* m's entry holds it now, or it goes */
    return h;
}

bool pg_map_granted(w_memory *m, uint64_t handle, uint64_t at, uint8_t perm)
{
    const pg_grant_t *g = pg_grant_at(m, handle);
    if (!g || (perm != PG_R && perm != PG_RW) || (perm & ~g->perm)) return false;
    return pg_map(g->r, m, at, perm, (uint32_t)handle + 1);
}

bool pg_ungrant(w_memory *m, uint64_t handle)
{
    const pg_grant_t *g = pg_grant_at(m, handle);
    if (!g) return false;
    pg_region *r = g->r;
    for (uint64_t i = 0; i < m->pages; i++)
        if (m->pg->pages[i].via == handle + 1) pg_unmap_page(m, i);
    pg_grant_drop(m, (uint32_t)handle);
    if (pg_dissolvable(m, r)) pg_dissolve(m, r);
    pg_sweep(m);
    return true;
}

/* Lowers everything m has of r, its pages and its handles, to perm;
 * PG_NONE unmaps the pages and drops the handles. */
static void pg_strip(w_memory *m, pg_region *r, uint8_t perm)
{
    pg_mem *pg = m->pg;
    for (uint64_t i = 0; i < m->pages; i++) {
        pg_page *p = &pg->pages[i];
        if (p->region != r) continue;
        if (perm == PG_NONE) {
            pg_unmap_page(m, i);
        } else {
            p->perm &= perm;
            p->ceil &= perm;
            pg_sync(m, i);
        }
    }
    for (uint32_t h = 0; h < pg->ngrants; h++) {
        if (pg->grants[h].r != r) continue;
        if (perm == PG_NONE)
            pg_grant_drop(m, h);
        else
            pg->grants[h].perm &= perm;
    }
    pg_sweep(m);
}

void pg_region_revoke(pg_region *r)
{
    pg_region_retain(r); /* the last user may hold the last reference */
    while (r->nusers)
        pg_strip(r->users[r->nusers - 1], r, PG_NONE);
    pg_region_release(r);
}

bool pg_region_transfer(pg_region *r, w_memory *from, w_memory *to, uint64_t at, bool keep_read)
{
    if (from == to || from->mode != W_MEM_PAGED || to->mode != W_MEM_PAGED) return false;
    if (at > to->pages || r->n > to->pages - at) return false;
    /* The one step that can fail comes first, so that failing changes nothing. */
    if (r->n && !pg_use_get(to, r)) return false;
    /* The source loses write access first, so at no point can both write. */
    pg_strip(from, r, keep_read ? PG_R : PG_NONE);
    return pg_map(r, to, at, PG_RW, 0);
}

pg_usage pg_guest_usage(const w_memory *m)
{
    return m->pg ? m->pg->guest : (pg_usage){0, 0};
}
