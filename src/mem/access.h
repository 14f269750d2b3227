/* access.h - the access paths of linear memory: how a load or store of the
 * interpreter turns a guest address into a host address.
 *
 * An access path is one always-inline translate function, mem_<path>. It
 * gets the access's effective address (or its address and offset), its
 * size and its direction, and returns
 *   a way, 1, 2, ...: *p is the host address of all `bytes` bytes, found
 *           by the function's way number k (span, cache, ...);
 *   MEM_OOB: the access is out of bounds (a trap, no slow path);
 *   MEM_SLOW: not decided here; the one exact slow path decides
 *           (mem_load_slow / mem_store_slow below) from the memory's own
 *           state: it gathers or scatters accesses that straddle two
 *           pages, traps at the exception entry, past the end or on a
 *           permission (with a message: mem_trap_msg), breaks copy-on-write.
 * Ways are numbered so that the caller can give each its own continuation:
 * once the function is inlined every return is a constant, and the
 * interpreter runs the access's body and dispatches separately on each way
 * (no join point on a fast path; VM_WAYS in interp.c). MEM_SLOW is always
 * allowed, so a fast part can be as small as the common case needs.
 *
 * The steps the paths are built from:
 *   span    the bytes [0, lim) at base + ea: all of a flat memory, the span
 *           of a paged one (paged.h). One compare and one addition.
 *   cache   the instruction's own translation-cache entry of a paged
 *           32-bit memory, found from its code address (paged.h, "The
 *           translation cache"); on a miss, its refill from the tables.
 *   tables  the page's entry in pg_rd or pg_wr (paged.h), bounds-checked.
 *
 * The compiler picks each access's path from its memory's mode (W_MEM_PATHS
 * below), and a memory's mode never changes. Still, no path can reach
 * outside a memory of another mode: a fast part reads nothing such a
 * memory lacks (the span exists for both modes; the tables are read only
 * for a page below the memory's size that the access does not straddle,
 * which a flat memory never sends there since its span ends at a page
 * boundary; a memory 0 that is not a paged 32-bit one has empty tables and
 * cache, the interpreter's vm_no_pages), and the paged paths are exact for
 * any memory, since whatever their fast part cannot decide goes to the
 * slow path. The flat paths answer MEM_OOB past the span, which is exact
 * for a flat memory.
 *
 * Effective addresses: memory 0's forms (layout 0 below) compute ea from a
 * 32-bit address and a 32-bit offset, so ea < 2^33 and ea + bytes cannot
 * overflow. The other forms take the address and a 64-bit offset apart and
 * check the sum (mem_ea).
 */
#ifndef WARD_ACCESS_H
#define WARD_ACCESS_H

#include "mem/paged.h"

/* ---- the list of access paths -------------------------------------------------
 *
 * W_MEM_PATHS(X, ...) calls X(PATH, fn, SUFFIX, LAYOUT, MODE, ...) once per
 * path, in order of preference. Everything that lists the forms of a
 * memory access is generated from it: the ops of ir.h (W_OP_<access>
 * <SUFFIX>), the interpreter's handlers, their label table and names, the
 * compiler's choice. The first path's SUFFIX is empty, so its forms carry
 * the names ops.def gives the accesses (the compiler names accesses so).
 *   PATH    the path's name (W_MEM_PATH_<PATH>)
 *   fn      its translate function, mem_<fn>
 *   SUFFIX  of the ops of its forms: I32_LOAD<SUFFIX>
 *   LAYOUT  0: memory 0 only, 32-bit, offset < 2^32; the instruction holds
 *             the offset in one word ([U offset], ops.def) and the
 *             translate function gets the interpreter's copy of memory 0's
 *             state: mem_<fn>(p, write, base, lim, pt, m0, code, ea, bytes)
 *             with base and lim memory 0's span for the direction, pt its
 *             pg_rd (VM_RELOAD_MEM0 in interp.c) and m0 memory 0 itself,
 *             for what the interpreter keeps no copy of. The fused forms
 *             (LOADA, STOREA, FLD) exist for these paths only.
 *           M: any memory, either width; the instruction holds the memory
 *             and a 64-bit offset ([U mem][L offset]) and the function gets
 *             the memory: mem_<fn>(p, write, m, code, addr, offset, bytes).
 *   MODE    the memories it is for (mem_path_mode: w_memory.mode, or
 *           W_MEM_TAGGED for every tagged memory).
 * The compiler (compile.c, cmp_path) gives an access the first path of the
 * memory's mode whose layout fits it: memory 0 of 32 bits takes a layout-0
 * path when its mode has one, anything else the layout-M path of its mode.
 * So every mode needs a layout-M path; a layout-0 one is an option.
 *
 * Adding a path is one translate function here and one entry in this list.
 * Cage's memory tagging (docs/cage.md) is the pair TAGGED0 and TAGGED, for
 * the mode W_MEM_TAGGED of every tagged memory, flat or paged underneath:
 * mem_tagged0 and mem_tagged below, whose doubtful cases the same slow path
 * decides (mem_load_slow / mem_store_slow go through pg_read / pg_write,
 * which strip the tag, check bounds and permissions, then the tag of every
 * granule: tag.c).
 */
/* clang-format off */
#define W_MEM_PATHS(X, ...)                                                                        \
    X(FLAT0,   flat0,   ,    0, W_MEM_FLAT,   __VA_ARGS__)                                         \
    X(PAGED0,  paged0,  _P,  0, W_MEM_PAGED,  __VA_ARGS__)                                         \
    X(FLAT,    flat,    _M,  M, W_MEM_FLAT,   __VA_ARGS__)                                         \
    X(PAGED,   paged,   _MP, M, W_MEM_PAGED,  __VA_ARGS__)                                         \
    X(TAGGED0, tagged0, _T,  0, W_MEM_TAGGED, __VA_ARGS__)                                         \
    X(TAGGED,  tagged,  _MT, M, W_MEM_TAGGED, __VA_ARGS__)
/* clang-format on */

typedef enum w_mem_path {
#define W_MEM_PATH_ENUM(PATH, fn, SUFFIX, LAYOUT, MODE, ...) W_MEM_PATH_##PATH,
    W_MEM_PATHS(W_MEM_PATH_ENUM, ~)
#undef W_MEM_PATH_ENUM
        W_MEM_NPATHS
} w_mem_path;

/* W_MEM_IF0(LAYOUT, x...) is x for a layout-0 path and nothing otherwise
 * (the fused forms); W_MEM_IS0(LAYOUT) is 1 or 0. */
#define W_MEM_IF0(LAYOUT, ...) W_MEM_IF0_##LAYOUT(__VA_ARGS__)
#define W_MEM_IF0_0(...) __VA_ARGS__
#define W_MEM_IF0_M(...)
#define W_MEM_IS0(LAYOUT) W_MEM_IS0_##LAYOUT
#define W_MEM_IS0_0 1
#define W_MEM_IS0_M 0

/* ---- the steps ---------------------------------------------------------------- */

/* span: if [ea, ea+bytes) lies in [0, lim), its host address is base + ea.
 * (A flat memory's span is all of it, so this is also the flat path.)
 * ea + bytes must not overflow. */
W_INLINE bool mem_span_at(uint8_t **p, uint8_t *base, uint64_t lim, uint64_t ea, uint32_t bytes)
{
    if (W_LIKELY(ea + bytes <= lim)) {
        *p = (uint8_t *)((uintptr_t)base + ea);
        return true;
    }
    return false;
}

/* cache: the entry of the instruction at `code` in the translation cache of
 * the 32-bit paged memory whose pg_rd is pt, in the loads' half or the
 * stores' half (PG_TLB_N entries further). Picked by the instruction's own
 * address, so finding it needs no load (paged.h): the entry's byte offset
 * is the address modulo the half's size, rounded down to an entry, one
 * AND. Fast forms are at least 16 bytes long (four words), so two of them
 * less than PG_TLB_N * 16 bytes (4 KiB) of code apart never share an
 * entry. */
W_INLINE w_pgtlb *mem_cache_entry(uint8_t *const *pt, bool write, const void *code)
{
    uintptr_t half = write ? PG_TLB_N * sizeof(w_pgtlb) : 0;
    return (w_pgtlb *)((uintptr_t)pt + PG_TLB32 + half +
                       ((uintptr_t)code & (PG_TLB_N - 1) * sizeof(w_pgtlb)));
}

/* Does the whole access lie in e's page? (Then its host address is
 * e->entry + ea.) The subtraction and the compare are off the access's
 * critical path, which is e->entry's load and one addition. The empty asm
 * keeps gcc from reassociating ea + PG_SIZE - end into a copy, a
 * subtraction and an addition (one instruction more than lea, sub). */
W_INLINE bool mem_cache_hit(const w_pgtlb *e, uint64_t ea, uint32_t bytes)
{
    uint64_t eb = ea + PG_SIZE;
    __asm__("" : "+r"(eb));
    return eb - e->end <= PG_SIZE - bytes;
}

/* A miss: page ea >> PG_SHIFT's entry in the table of the direction (pg_rd
 * at pt, or pg_wr PG_WR32 bytes further; no bounds check: the tables of a
 * 32-bit memory have an entry for every page index below 2^17). A frame,
 * and an access within the page, refill e, mark the page cached and give
 * the host address; anything else is the slow path's (false). */
W_INLINE bool mem_cache_fill(uint8_t **p, w_pgtlb *e, uint8_t *const *pt, bool write, uint64_t ea,
                             uint32_t bytes)
{
    uint64_t pg = ea >> PG_SHIFT;
    uintptr_t toff = write ? PG_WR32 : 0;
    uint8_t *t = *(uint8_t *const *)((uintptr_t)pt + toff + pg * sizeof(uint8_t *));
    if ((ea & (PG_SIZE - 1)) <= PG_SIZE - bytes && t != PG_EXC) {
        e->end = (pg + 1) << PG_SHIFT;
        e->entry = t;
        ((uint8_t *)((uintptr_t)pt + PG_CACHED32))[pg] = 1;
        *p = (uint8_t *)((uintptr_t)t + ea);
        return true;
    }
    return false;
}

/* tables: page ea >> PG_SHIFT's entry in t (pg_rd or pg_wr) if the page is
 * one of the memory's `pages` and the access stays in it. */
W_INLINE bool mem_tables_at(uint8_t **p, uint8_t *const *t, uint64_t pages, uint64_t ea,
                            uint32_t bytes)
{
    uint64_t pg = ea >> PG_SHIFT;
    if (W_LIKELY(pg < pages && (ea & (PG_SIZE - 1)) <= PG_SIZE - bytes)) {
        uint8_t *f = t[pg];
        if (W_LIKELY(f != PG_EXC)) {
            *p = (uint8_t *)((uintptr_t)f + ea);
            return true;
        }
    }
    return false;
}

/* ea = addr + offset, false if addr + offset + bytes overflows 64 bits
 * (such an access is out of bounds of every memory). */
W_INLINE bool mem_ea(uint64_t addr, uint64_t offset, uint32_t bytes, uint64_t *ea)
{
    uint64_t end;
    return !__builtin_add_overflow(addr, offset, ea) && !__builtin_add_overflow(*ea, bytes, &end);
}

/* ---- the paths (W_MEM_PATHS) --------------------------------------------------- */

/* What a translate function returns besides a way (1, 2, ...): see the top. */
#define MEM_OOB (-1)
#define MEM_SLOW 0

/* Asks for v in a register at this point. Memory 0's load limit is read
 * only by compares, which can take it from memory, so gcc's register
 * allocator may leave it on the stack, and whether it does depends on the
 * whole of vm_run: every load would then read it there. Its base address
 * is in a register anyway (loads address through it). */
W_INLINE void mem_in_register(uint64_t v)
{
    __asm__("" : : "r"(v));
}

/* FLAT0: memory 0, flat. Its span is all of it. */
W_INLINE int mem_flat0(uint8_t **p, bool write, uint8_t *base, uint64_t lim, uint8_t *const *pt,
                       const uint8_t *tags, const w_memory *m0, const void *code, uint64_t ea,
                       uint32_t bytes)
{
    (void)pt, (void)tags, (void)m0, (void)code;
    if (!write) mem_in_register(lim);
    return mem_span_at(p, base, lim, ea, bytes) ? 1 : MEM_OOB;
}

/* PAGED0: memory 0, paged: the span (flat speed for the memory's own
 * pages), else the instruction's cache entry, refilled from the tables on
 * a miss. */
W_INLINE int mem_paged0(uint8_t **p, bool write, uint8_t *base, uint64_t lim, uint8_t *const *pt,
                        const uint8_t *tags, const w_memory *m0, const void *code, uint64_t ea,
                        uint32_t bytes)
{
    (void)tags, (void)m0;
    if (!write) mem_in_register(lim);
    if (mem_span_at(p, base, lim, ea, bytes)) return 1;
    w_pgtlb *e = mem_cache_entry(pt, write, code);
    if (W_LIKELY(mem_cache_hit(e, ea, bytes))) {
        *p = (uint8_t *)((uintptr_t)e->entry + ea);
        return 2;
    }
    return mem_cache_fill(p, e, pt, write, ea, bytes) ? 3 : MEM_SLOW;
}

/* FLAT: any flat memory: its span, which is all of it. */
W_INLINE int mem_flat(uint8_t **p, bool write, const w_memory *m, const void *code, uint64_t addr,
                      uint64_t offset, uint32_t bytes)
{
    uint64_t ea;
    bool in;
    (void)code;
    if (W_UNLIKELY(!mem_ea(addr, offset, bytes, &ea))) return MEM_OOB;
    in = write ? mem_span_at(p, m->span.wr_base, m->span.wr_lim, ea, bytes)
               : mem_span_at(p, m->span.rd_base, m->span.rd_lim, ea, bytes);
    return in ? 1 : MEM_OOB;
}

/* PAGED: any paged memory: its span, else the tables. */
W_INLINE int mem_paged(uint8_t **p, bool write, const w_memory *m, const void *code, uint64_t addr,
                       uint64_t offset, uint32_t bytes)
{
    uint64_t ea;
    (void)code;
    if (W_UNLIKELY(!mem_ea(addr, offset, bytes, &ea))) return MEM_OOB;
    if (write) {
        if (mem_span_at(p, m->span.wr_base, m->span.wr_lim, ea, bytes)) return 1;
        return mem_tables_at(p, m->pg_wr, m->pages, ea, bytes) ? 2 : MEM_SLOW;
    }
    if (mem_span_at(p, m->span.rd_base, m->span.rd_lim, ea, bytes)) return 1;
    return mem_tables_at(p, m->pg_rd, m->pages, ea, bytes) ? 2 : MEM_SLOW;
}

/* ---- the tagged paths (Cage: tag.c, docs/cage.md) ----------------------------------
 * A tagged memory's address carries a tag in bits 28-31 (32-bit) or 56-59
 * (memory64); an access must lie in bounds once the tag is cleared and
 * every 16-byte granule it touches (one, or two for an access that crosses
 * a granule: bytes <= 16) must have that tag. Two fast cases:
 *   nothing tagged yet (tag_any false): every granule's tag is 0, so an
 *     untagged address is checked by the memory's own path (span, cache,
 *     tables) and anything else is doubtful (the span ends below 2^28, so
 *     an address with a tag never lies in it);
 *   a flat memory with tags: the address without its tag against the
 *     memory's size, then the granules' nibbles (mem_tag_at);
 *   a paged memory with tags, after its own ways: the address without its
 *     tag in a page of the tables, then the granules' nibbles of the
 *     page's frame, found through the tag table (mem_tag_paged_at).
 * Everything else (a mismatch, a straddle, out of bounds) goes to the
 * exact slow path, which also names the tags in its trap. */

/* Do the one or two granules an access of `bytes` bytes at byte offset
 * off of the nibbles at tags touches have tag `tag`? The nibbles of both
 * are read as one 16-bit word (the arrays have bytes to spare past their
 * last granule) and compared in one go. */
W_INLINE bool mem_tag_nibs(const uint8_t *tags, uint64_t off, uint64_t tag, uint32_t bytes)
{
    uint16_t w;
    memcpy(&w, tags + (off >> 5), 2); /* little-endian: granule g / 2 first */
    /* Granule g's nibble at the bottom, the next granule's above it. */
    uint32_t x = ((uint32_t)w >> ((off >> 2) & 4)) ^ (uint32_t)tag;
    if (W_UNLIKELY(x & 15)) return false;
    /* An access that crosses into the next granule needs its tag too. */
    if (W_UNLIKELY((off & 15) > 16 - bytes) && ((x >> 4) ^ (uint32_t)tag) & 15) return false;
    return true;
}

/* flat, with tags: is the access of `bytes` bytes at ea (with the tag
 * `tag` in bits `shift` up) in bounds of a memory of `size` bytes at base,
 * and does every granule it touches have that tag (its nibble in tags)?
 * Then *p is its host address. mem_tag_at: the same for memory m. */
W_INLINE bool mem_tag_at_in(uint8_t **p, uint8_t *base, uint64_t size, const uint8_t *tags,
                            uint64_t ea, unsigned shift, uint32_t bytes)
{
    uint64_t tag = (ea >> shift) & 15;
    uint64_t sea = ea - (tag << shift);
    if (W_UNLIKELY(sea + bytes > size)) return false;
    if (!mem_tag_nibs(tags, sea, tag, bytes)) return false;
    *p = base + sea;
    return true;
}

W_INLINE bool mem_tag_at(uint8_t **p, const w_memory *m, uint64_t ea, unsigned shift,
                         uint32_t bytes)
{
    return mem_tag_at_in(p, m->base, m->size, m->tags, ea, shift, bytes);
}

/* paged, with tags: is the access of `bytes` bytes at ea within one of
 * m's pages, present in the table of the direction, and does every granule
 * it touches have ea's tag (the page's frame's nibbles, through the tag
 * table; none: all 0)? Then *p is its host address. m may be any memory:
 * one without a tag table answers false. */
W_INLINE bool mem_tag_paged_at(uint8_t **p, bool write, const w_memory *m, uint64_t ea,
                               uint32_t bytes)
{
    if (!m->pg_tg) return false;
    uint64_t tag = (ea >> m->tag_shift) & 15;
    uint64_t sea = ea - (tag << m->tag_shift);
    uint64_t pg = sea >> PG_SHIFT, off = sea & (PG_SIZE - 1);
    if (pg >= m->pages || off > PG_SIZE - bytes) return false;
    uint8_t *e = (write ? m->pg_wr : m->pg_rd)[pg];
    if (e == PG_EXC) return false;
    const uint8_t *tags = *m->pg_tg[pg];
    if (tags ? !mem_tag_nibs(tags, off, tag, bytes) : tag != 0) return false;
    *p = (uint8_t *)((uintptr_t)e + sea);
    return true;
}

/* TAGGED0: memory 0 tagged. VM_RELOAD_MEM0 gives base and lim the span and
 * pt the tables (a paged memory; else empty ones) while nothing is tagged.
 * Once something is: for a flat memory, tags its tag array and base and
 * lim all of its bytes, so that the nibbles decide on the caller's
 * registers; for a paged one, an empty span and empty tables, and its
 * accesses, after missing in those, try mem_tag_paged_at on m0. tags is
 * NULL in every other case. */
W_INLINE int mem_tagged0(uint8_t **p, bool write, uint8_t *base, uint64_t lim, uint8_t *const *pt,
                         const uint8_t *tags, const w_memory *m0, const void *code, uint64_t ea,
                         uint32_t bytes)
{
    if (!write) mem_in_register(lim);
    if (tags) return mem_tag_at_in(p, base, lim, tags, ea, W_TAG_SHIFT32, bytes) ? 2 : MEM_SLOW;
    if (mem_span_at(p, base, lim, ea, bytes)) return 1;
    w_pgtlb *e = mem_cache_entry(pt, write, code);
    if (W_LIKELY(mem_cache_hit(e, ea, bytes))) {
        *p = (uint8_t *)((uintptr_t)e->entry + ea);
        return 3;
    }
    if (mem_cache_fill(p, e, pt, write, ea, bytes)) return 4;
    return mem_tag_paged_at(p, write, m0, ea, bytes) ? 5 : MEM_SLOW;
}

/* TAGGED: any tagged memory, either width. */
W_INLINE int mem_tagged(uint8_t **p, bool write, const w_memory *m, const void *code, uint64_t addr,
                        uint64_t offset, uint32_t bytes)
{
    uint64_t ea;
    (void)code;
    if (W_UNLIKELY(!mem_ea(addr, offset, bytes, &ea))) return MEM_OOB;
    if (m->tags) return mem_tag_at(p, m, ea, m->tag_shift, bytes) ? 1 : MEM_SLOW;
    if (m->tag_any) return mem_tag_paged_at(p, write, m, ea, bytes) ? 4 : MEM_SLOW;
    const w_span *sp = &m->span;
    if (mem_span_at(p, write ? sp->wr_base : sp->rd_base, write ? sp->wr_lim : sp->rd_lim, ea,
                    bytes))
        return 2;
    if (m->mode != W_MEM_PAGED) return MEM_SLOW;
    return mem_tables_at(p, write ? m->pg_wr : m->pg_rd, m->pages, ea, bytes) ? 3 : MEM_SLOW;
}

/* ---- the slow path (memory.c) ------------------------------------------------------ */

/* The exact slow path of every access path, for any memory: loads the
 * `bytes` bytes (at most 16) at addr + offset into tmp, or returns the trap
 * (W_TRAP_MEM_OOB, also when addr + offset overflows; W_TRAP_ACCESS_DENIED;
 * W_TRAP_OOM) with *fault the faulting address. */
w_trap mem_load_slow(const w_memory *m, uint64_t addr, uint64_t offset, uint32_t bytes,
                     uint8_t *tmp, uint64_t *fault);
/* Stores the `bytes` bytes of tmp at addr + offset: all of them, breaking
 * copy-on-write, or none and the trap. Paged memories' tables and span may
 * change (a copy-on-write page gets its own frame). */
w_trap mem_store_slow(w_memory *m, uint64_t addr, uint64_t offset, const uint8_t *tmp,
                      uint32_t bytes, uint64_t *fault);
/* The detail of a trap at *fault: mem_trap_msg (mem.h). */

#endif
