/* mem.h - the memory layer's interface: linear memories (flat or paged) and
 * tables, the objects a module's loads, stores and table instructions act on.
 *
 * Files and prefixes:
 *   memory.c  mem_*  linear memory objects: create, grow, clone, checked host access,
 *                    the exact slow path of loads and stores
 *   access.h  mem_*  the access paths: inline translation of the interpreter's
 *                    loads and stores, one function per path (W_MEM_PATHS)
 *   paged.c   pg_*   the paged access path (WAVEN): frames, tables, regions (paged.h)
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
    w_span span;            /* flat: all of it; paged: derived from the tables */
    struct pg_mem *pg;      /* cold per-page state */
    w_budget *budget;       /* the owner's: charged size and vm_charged; NULL = none */
    uint64_t vm_charged;    /* address space charged for this memory */
    uint64_t guest_charged; /* host memory of guest-made regions charged (mem_guest_charge) */
} w_memory;

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
