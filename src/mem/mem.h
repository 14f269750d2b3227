/* mem.h - the memory layer's interface: linear memories (flat or paged) and
 * tables, the objects a module's loads, stores and table instructions act on.
 *
 * Files and prefixes:
 *   memory.c  mem_*  linear memory objects: create, grow, clone, checked host access,
 *                    the exact slow path of loads and stores
 *   access.h  mem_*  the access paths: inline translation of the interpreter's
 *                    loads and stores, one function per path (W_MEM_PATHS)
 *   paged.c   pg_*   the paged access path (WAVEN): frames, tables, regions (paged.h)
 *   tag.c     tag_*  memory tags (Cage): the tag store, tag checks, segments
 *   table.c   tbl_*  tables of references
 *
 * The layer sits on base and platform only. It knows nothing of modules,
 * instances or code: limits arrive as numbers, and the budget a memory or
 * table is charged to (w_budget, base.h) as a pointer. Every object here
 * charges its owner's budget before it takes host memory or address space
 * and gives the same back when it is released: a memory its current size
 * (pages * 64 KiB) and its reservation, a table 8 bytes per element.
 */
#ifndef WARD_MEM_H
#define WARD_MEM_H

#include "base/base.h"

/* Modes a memory can have; the compiler picks each access's path from its
 * memory's mode (W_MEM_PATHS in mem/access.h, w_compile_cfg in exec/ir.h). */
enum { W_MEM_FLAT = 0, W_MEM_PAGED = 1 };
/* A flag mem_init's mode may carry: the memory is tagged (tag.c). */
#define W_MEM_INIT_TAGGED 0x10u
/* The access-path mode of a tagged memory, flat or paged underneath (its
 * w_memory.mode stays W_MEM_FLAT or W_MEM_PAGED): the compiler gives its
 * accesses the tagged paths (mem/access.h). mem_path_mode below. */
enum { W_MEM_TAGGED = 2 };

/* Memory tagging (Cage). A tagged memory has a 4-bit tag per 16-byte
 * granule, all 0 at first, and its addresses carry a tag in 4 high bits:
 * bits 28-31 for a 32-bit memory, 56-59 for memory64. An access of n bytes
 * at the effective address ea (operand + memarg offset, so an offset that
 * carries into the tag bits changes the tag, as it does on the hardware)
 * is bounds-checked with the tag bits removed and then needs every granule
 * it touches to have the tag ea carries. A tagged 32-bit memory therefore
 * holds at most 2^28 bytes (W_TAG_MAX_PAGES32). */
#define W_TAG_GRANULE 16u
#define W_TAG_SHIFT32 28u
#define W_TAG_SHIFT64 56u
#define W_TAG_MAX_PAGES32 4096ull /* 256 MiB */
/* Tag bytes per 64 KiB page: a nibble per granule. */
#define W_TAG_PAGE_BYTES (W_PAGE_SIZE / W_TAG_GRANULE / 2)

/* The span of a memory, for loads (rd) and for stores (wr): the bytes
 * [0, lim) that are at base + guest address. A flat memory's span is all
 * of it (base, size). A paged memory's is the run of pages from page 0
 * whose table entries all equal `base`, lim the largest such bound (0 if
 * page 0's entry is the exception entry; paged.h, "The span"). */
typedef struct w_span {
    uint8_t *rd_base;
    uint64_t rd_lim;
    uint8_t *wr_base;
    uint64_t wr_lim;
} w_span;

/* From this size on, a memory's own pages ask for transparent huge pages:
 * they cut page faults several times on large arrays (and TLB misses on
 * strided ones), and small memories would only waste the zeroing of 2 MiB
 * at a time. */
#define W_MEM_HUGE_MIN (16ull << 20)

/* Address space a flat 32-bit memory reserves, and a paged one's guarded
 * arena: all that base + 32-bit address + 32-bit offset can reach. */
#define W_MEM_RESERVE32 (8ull << 30)

typedef struct w_memory {
    uint8_t *base; /* flat: start of the reservation; never moves */
    uint64_t size; /* current size in bytes = pages * 64 KiB */
    uint64_t pages;
    uint64_t max_pages; /* effective maximum (declared max, capped by limits) */
    uint64_t reserved;  /* bytes of address space reserved at base */
    bool is64;
    bool has_max;
    uint64_t addr_mask;    /* UINT32_MAX, or UINT64_MAX if is64: an address operand's bits */
    uint8_t mode;          /* W_MEM_FLAT or W_MEM_PAGED */
    uint64_t declared_max; /* the type's max (for import matching) */
    /* Paged memories (paged.h): per page index, the entry used by loads and
     * the one used by stores. An entry is the frame's address biased by the
     * page's own guest address (host address = entry + guest address), or
     * pg_exc (NULL: the exception entry) when the access must take the slow
     * path (absent page, no permission, copy-on-write). */
    uint8_t **pg_rd;
    uint8_t **pg_wr;
    uint8_t *pg_exc;
    /* A paged 32-bit memory's arena (paged.c, "Guard") while it is
     * guarded: its base, every byte from base + size to base +
     * W_MEM_RESERVE32 inaccessible. NULL otherwise. While the span of stores is the whole
     * memory (wr_lim == size) and starts there (wr_base == pg_guard), an
     * access at ea (< 2^33) is base + ea if ea + bytes <= size and faults
     * otherwise, exactly as in a flat 32-bit memory. */
    uint8_t *pg_guard;
    w_span span;            /* flat: all of it; paged: derived from the tables */
    struct pg_mem *pg;      /* cold per-page state */
    w_budget *budget;       /* the owner's: charged size and vm_charged; NULL = none */
    uint64_t vm_charged;    /* address space charged for this memory */
    uint64_t guest_charged; /* host memory of guest-made regions charged (mem_guest_charge) */
    /* Tags (tag.c), for a memory created with W_MEM_INIT_TAGGED. tag_any is
     * false only while every granule's tag is 0 (then a check is "the
     * pointer's tag is 0"). A flat memory's tags are nibbles at `tags`,
     * granule g in byte g / 2 (low nibble first), NULL until a tag is
     * set; a paged memory's are kept with each frame (paged.c). */
    bool tagged;
    bool tag_any;
    uint8_t tag_shift; /* W_TAG_SHIFT32 or W_TAG_SHIFT64 */
    uint8_t *tags;
    /* A tagged paged memory's tag table (paged.h, pg_tag_table): per page
     * index, where its frame keeps its nibbles' address. NULL otherwise. */
    uint8_t ***pg_tg;
    struct tag_mem *tg; /* cold state: tag generator, size of `tags` */
} w_memory;

/* The mode that picks m's access paths (w_compile_cfg.mem_mode). */
W_INLINE uint8_t mem_path_mode(const w_memory *m)
{
    return m->tagged ? (uint8_t)W_MEM_TAGGED : m->mode;
}

/* ---- memory.c: linear memory objects -------------------------------------- */

/* Creates a memory of min_pages (zeroed), growable to max_pages (if has_max)
 * and never beyond limit_bytes (0 = no extra limit), charged to budget
 * (may be NULL). Flat memories reserve their whole addressable range up
 * front so that `base` never moves. Returns false with *err set if the
 * budget has no room, the size is out of range, or the reservation or
 * the commit fails. */
bool mem_init(w_memory *m, uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
              uint64_t limit_bytes, uint8_t mode, w_budget *budget, w_err *err);
/* Address space a memory of these parameters reserves (what mem_init
 * charges besides its size), so that a caller can check a whole set of
 * memories against a budget before creating any. */
uint64_t mem_reserve_bytes(uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
                           uint64_t limit_bytes, uint8_t mode);
/* Grows by delta pages (new pages zeroed). Returns the old size in pages,
 * or -1 if the maximum, the limit or the budget would be exceeded or memory
 * is short. */
int64_t mem_grow(w_memory *m, uint64_t delta);
void mem_release(w_memory *m);
/* Makes dst (uninitialised) a private copy of src for an instance clone,
 * charged to budget: paged memories share src's frames copy-on-write, flat
 * ones are copied. Returns false with *err set on failure. */
bool mem_clone(w_memory *dst, w_memory *src, w_budget *budget, w_err *err);
/* Prepares m to be cloned from several threads at once (pg_seal for a
 * paged memory; a flat one's clone reads it only anyway). m must not change
 * afterwards. */
void mem_seal(w_memory *m);

/* Host memory held on behalf of m's guest beyond its pages (regions it
 * publishes, grants, per-page records): charged to m's owner's budget by
 * whoever allocates it, given back with mem_uncharge when freed. False
 * (nothing charged) if the budget has no room. */
bool mem_charge(w_memory *m, uint64_t bytes);
void mem_uncharge(w_memory *m, uint64_t bytes);
/* Sets what m's guest holds in host memory of its own making (the regions
 * and handles of ward:mem publish) to `total` bytes in the owner's budget:
 * charges the difference when it grows, false (nothing charged) if the
 * budget has no room; gives back the difference when it shrinks. The
 * charge is dropped when m is released. */
bool mem_guest_charge(w_memory *m, uint64_t total);

/* Checked host access to a memory (the only way host code touches guest
 * bytes). False, copying nothing, if any byte is out of bounds. */
bool mem_read(const w_memory *m, uint64_t addr, void *dst, size_t len);
bool mem_write(w_memory *m, uint64_t addr, const void *src, size_t len);
/* Longest accessible run at addr, at most len bytes (*avail = its length);
 * NULL if addr itself is not accessible. */
void *mem_span(w_memory *m, uint64_t addr, size_t len, bool writable, size_t *avail);

/* Formats the detail of a memory trap at guest address `fault` (as the
 * checked copies below report it): "page 7 is read-only" for
 * W_TRAP_ACCESS_DENIED, "pointer tag 3, memory tag 5 at address 0x4a0"
 * for W_TRAP_TAG_MISMATCH, "" otherwise. */
void mem_trap_msg(const w_memory *m, w_trap t, uint64_t fault, bool write, char *buf, size_t size);

/* ---- tag.c: memory tags (Cage) ------------------------------------------------ */

/* The tag a guest address of m carries (0 for an untagged memory). */
W_INLINE unsigned mem_addr_tag(const w_memory *m, uint64_t ea)
{
    return m->tagged ? (unsigned)(ea >> m->tag_shift) & 15u : 0u;
}
/* The address without its tag. */
W_INLINE uint64_t mem_addr_strip(const w_memory *m, uint64_t ea)
{
    return m->tagged ? ea & ~((uint64_t)15 << m->tag_shift) : ea;
}

/* Sets up the tag state of a tagged memory (mem_init), copies it for a
 * clone (a flat memory's tags are copied; a paged one's travel with its
 * frames) and frees it (mem_release). */
bool tag_init(w_memory *m);
bool tag_clone(w_memory *dst, const w_memory *src);
void tag_release(w_memory *m);

/* The tag of the granule holding the untagged address sea (0 if its page
 * is absent). The caller checked bounds. */
unsigned tag_get(const w_memory *m, uint64_t sea);
/* The tag of the granule holding guest address ea (its tag bits ignored);
 * -1 if m is not tagged or ea is out of bounds (or its page absent). */
int tag_lookup(const w_memory *m, uint64_t ea);
/* Does every granule of [sea, sea+len) (untagged, in bounds, pages
 * present) have tag ptag? W_TRAP_OK, or W_TRAP_TAG_MISMATCH with *fault
 * the first byte whose granule differs, carrying ptag. */
w_trap tag_check(const w_memory *m, uint64_t sea, uint64_t len, unsigned ptag, uint64_t *fault);
/* Bytes from sea (at most len) whose granules all have tag ptag. */
uint64_t tag_run(const w_memory *m, uint64_t sea, uint64_t len, unsigned ptag);
/* Host side (ward_memory_tag_set): sets the tags of [sea, sea+len) to tag
 * without touching the data; sea and len multiples of 16, in bounds and
 * writable. False (nothing changed) otherwise or if out of memory. */
bool tag_set_range(w_memory *m, uint64_t sea, uint64_t len, unsigned tag);

/* The segment instructions on m: the range is [strip(ptr + off), +size),
 * which must be 16-byte aligned with size a multiple of 16, in bounds and
 * writable. On a trap, msg (size msize) holds its detail ("" for out of
 * bounds) and nothing was changed.
 *   new:     tags the range with a random non-zero tag that differs from
 *            the tags of the granules just before and after it, zeroes
 *            it and sets *out to the pointer that, with the same offset,
 *            addresses the range with its tag (modulo 2^32 for 32-bit).
 *   set_tag: tags and zeroes the range with the tag tagsrc carries.
 *   free:    ptr + off must carry the range's tag (a double free or a
 *            free through a stale pointer traps as a tag mismatch); the
 *            range gets tag 0. */
w_trap tag_seg_new(w_memory *m, uint64_t ptr, uint64_t off, uint64_t size, uint64_t *out, char *msg,
                   size_t msize);
w_trap tag_seg_set(w_memory *m, uint64_t ptr, uint64_t off, uint64_t tagsrc, uint64_t size,
                   char *msg, size_t msize);
w_trap tag_seg_free(w_memory *m, uint64_t ptr, uint64_t off, uint64_t size, char *msg,
                    size_t msize);

/* ---- table.c: tables ---------------------------------------------------------- */

typedef struct w_table {
    uint64_t *elems; /* funcref: w_func* as uint64; externref: host value; 0 = null */
    uint32_t size;
    uint32_t max; /* effective maximum */
    bool has_max;
    uint64_t declared_max;
    w_valtype type;   /* W_FUNCREF or W_EXTERNREF */
    w_budget *budget; /* the owner's, charged 8 bytes per element; NULL = none */
} w_table;

/* Bytes of host memory per table element (what the budget is charged). */
#define W_TABLE_ELEM_BYTES 8u

/* Creates a table of min elements (null), growable to max, charged to
 * budget (may be NULL). False with *err set if min exceeds max, the budget
 * has no room or memory is short. */
bool tbl_init(w_table *t, w_valtype type, uint64_t min, uint64_t max, bool has_max,
              uint64_t declared_max, w_budget *budget, w_err *err);
/* Makes dst (uninitialised) a table like src, charged to budget, with
 * elements copied from src; false with *err set on failure. */
bool tbl_clone(w_table *dst, const w_table *src, w_budget *budget, w_err *err);
/* Grows by delta elements set to init; returns the old size or -1 (also
 * when the budget has no room). */
int64_t tbl_grow(w_table *t, uint32_t delta, uint64_t init);
void tbl_release(w_table *t);

#endif
