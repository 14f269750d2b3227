/* memory.c - linear memory objects (flat access path).
 *
 * A flat memory reserves its whole addressable range when it is created, so
 * `base` never moves and grow only has to commit more pages:
 *   - 32-bit memories reserve 8 GiB: the 4 GiB a 32-bit address can reach
 *     plus 4 GiB of guard, because address + 32-bit offset < 8 GiB. Any
 *     access beyond the committed size then faults instead of reaching
 *     another object, which lets the interpreter drop bounds checks later.
 *   - 64-bit memories cannot be covered that way; they reserve what they can
 *     ever grow to (declared max, store limit, MEM_CAP64 bytes, whichever is
 *     smallest, but at least their minimum) and are always bounds-checked.
 * Both the size and the reservation are charged to the owner's budget
 * (mem.h) before anything is mapped.
 * Committed pages that were never written read as zero, which is exactly the
 * state Wasm requires for new pages.
 *
 * Paged memories (paged.c) take their pages' frames from an arena of their
 * own (a 32-bit one's is guarded like a flat reservation, W_MEM_RESERVE32,
 * when the address space can be had) or from the shared pool, looked up in
 * page tables that reserve address space for every page index an access
 * can produce (2 MiB for a 32-bit memory) but occupy RAM only for the
 * memory's current pages. The budget is charged the arena's slots, not
 * its guard (inaccessible address space, given up by the arena when it
 * cannot be had).
 *
 * Host access (mem_read/mem_write/mem_span) goes through bounds checks with
 * overflow-safe arithmetic and, for paged memories, the pages' permissions;
 * for tagged memories (tag.c) the host's address carries a tag like the
 * guest's, which every granule touched must have.
 */
#include "mem/access.h"
#include "mem/paged.h"
#include "platform/platform.h"
#include "mem/mem.h"

#include <stdio.h>

#define MEM_RESERVE32 W_MEM_RESERVE32
#define MEM_CAP64 (16ull << 30)

static bool mem_commit_range(w_memory *m, uint64_t from, uint64_t to)
{
    if (to <= from) return true;
    if (!plat_commit(m->base + from, to - from)) return false;
    if (to >= W_MEM_HUGE_MIN) plat_advise_huge(m->base, to);
    return true;
}

/* The most pages a memory of these parameters can have, or false if
 * min_pages is already beyond that. */
static bool mem_max_pages(uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
                          uint64_t limit_bytes, uint8_t mode, uint64_t *out)
{
    bool tagged = (mode & W_MEM_INIT_TAGGED) != 0;
    mode &= (uint8_t)~W_MEM_INIT_TAGGED;
    uint64_t maxp = is64 ? W_MAX_PAGES64 : W_MAX_PAGES32;
    /* A tagged 32-bit memory's addresses must stay below the tag bits. */
    if (tagged && !is64 && maxp > W_TAG_MAX_PAGES32) maxp = W_TAG_MAX_PAGES32;
    if (has_max && max_pages < maxp) maxp = max_pages;
    if (limit_bytes && limit_bytes / W_PAGE_SIZE < maxp) maxp = limit_bytes / W_PAGE_SIZE;
    if (min_pages > maxp) return false;
    /* No machine can commit 2^48 bytes; refusing earlier keeps every
     * pages * W_PAGE_SIZE product below from overflowing. */
    if (min_pages > (1ull << 32)) return false;
    if (mode == W_MEM_PAGED || is64) {
        /* Page tables grow with the memory, and a memory64 cannot reserve
         * all it could address: cap both like a flat memory64's
         * reservation, so that a huge declared maximum cannot exhaust RAM
         * or address space (a larger minimum still gets its pages). */
        uint64_t cap = MEM_CAP64 / W_PAGE_SIZE;
        if (mode == W_MEM_PAGED && min_pages > cap) return false;
        if (maxp > cap) maxp = min_pages > cap ? min_pages : cap;
    }
    *out = maxp;
    return true;
}

/* Reservation of a flat memory that can grow to maxp pages. */
static uint64_t mem_flat_reserve(uint64_t maxp, bool is64)
{
    if (!is64) return MEM_RESERVE32;
    return (maxp ? maxp : 1) * W_PAGE_SIZE; /* keep base valid and non-NULL */
}

/* Address space of a paged memory that can grow to maxp pages: its hot
 * tables (two pointers and a byte per page index, for at least every index
 * a 32-bit access can compute) and, when 32-bit, its arena (a 64 KiB slot
 * and a record per page; see paged.c). An estimate from above. */
static uint64_t mem_paged_reserve(uint64_t maxp, bool is64)
{
    uint64_t n = maxp > PG_TABLE32 ? maxp : PG_TABLE32;
    uint64_t bytes = n * (2 * sizeof(uint8_t *) + 1) + 2 * PG_TLB_N * sizeof(w_pgtlb);
    if (!is64 && maxp <= PG_TABLE32 / 2) bytes += maxp * (W_PAGE_SIZE + 64);
    return bytes;
}

/* Address space of a memory (mode with its W_MEM_INIT_TAGGED flag) that can
 * grow to maxp pages: a tagged flat memory's tag array too (tag.c); a
 * tagged paged memory's tag table and the nibble arrays of the frames its
 * pages hold, one per page at most (paged.h, pg_tag_table). */
static uint64_t mem_reserve_of(uint64_t maxp, bool is64, uint8_t mode)
{
    bool tagged = (mode & W_MEM_INIT_TAGGED) != 0;
    mode &= (uint8_t)~W_MEM_INIT_TAGGED;
    if (mode == W_MEM_PAGED) {
        uint64_t n = maxp > PG_TABLE32 ? maxp : PG_TABLE32;
        uint64_t tags = tagged ? n * sizeof(uint8_t **) + maxp * PG_TAG_BYTES : 0;
        return mem_paged_reserve(maxp, is64) + tags;
    }
    return mem_flat_reserve(maxp, is64) + (tagged ? maxp * W_TAG_PAGE_BYTES : 0);
}

uint64_t mem_reserve_bytes(uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
                           uint64_t limit_bytes, uint8_t mode)
{
    uint64_t maxp;
    if (!mem_max_pages(min_pages, max_pages, has_max, is64, limit_bytes, mode, &maxp)) return 0;
    return mem_reserve_of(maxp, is64, mode);
}

bool mem_init(w_memory *m, uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
              uint64_t limit_bytes, uint8_t mode, w_budget *budget, w_err *err)
{
    uint64_t maxp, reserve;
    bool tagged = (mode & W_MEM_INIT_TAGGED) != 0;
    memset(m, 0, sizeof *m);
    if ((mode & (uint8_t)~W_MEM_INIT_TAGGED) != W_MEM_FLAT &&
        (mode & (uint8_t)~W_MEM_INIT_TAGGED) != W_MEM_PAGED)
        return w_fail_nooff(err, W_ERR_INVALID_ARGUMENT, "unknown memory mode %u", mode);
    if (!mem_max_pages(min_pages, max_pages, has_max, is64, limit_bytes, mode, &maxp))
        return w_fail_nooff(
            err, W_ERR_MEMORY_LIMIT, "a memory of %llu pages exceeds its limit of %llu bytes",
            (unsigned long long)min_pages,
            (unsigned long long)(limit_bytes
                                     ? limit_bytes
                                     : (is64 ? W_MAX_PAGES64 : W_MAX_PAGES32) * W_PAGE_SIZE));
    /* Address space charged: the memory's own and its tags' (tag.c). */
    uint64_t space = mem_reserve_of(maxp, is64, mode);
    mode &= (uint8_t)~W_MEM_INIT_TAGGED;
    reserve = mode == W_MEM_PAGED ? mem_paged_reserve(maxp, is64) : mem_flat_reserve(maxp, is64);
    /* Charged first: a memory the budget cannot pay for is never made. */
    if (!w_budget_charge(budget, min_pages * W_PAGE_SIZE, space, err)) return false;
    m->budget = budget;
    m->vm_charged = space;
    m->is64 = is64;
    m->addr_mask = is64 ? UINT64_MAX : UINT32_MAX;
    m->has_max = has_max;
    m->declared_max = has_max ? max_pages : 0;
    m->max_pages = maxp;

    if (mode == W_MEM_PAGED) {
        m->mode = W_MEM_PAGED;
        if (!pg_init(m, min_pages)) goto fail;
        m->pages = min_pages;
        m->size = min_pages * W_PAGE_SIZE;
        if (tagged && !tag_init(m)) {
            mem_release(m);
            return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        }
        return true;
    }

    uint8_t *base = plat_reserve(reserve);
    if (!base) goto fail;
    m->base = base;
    m->reserved = reserve;
    m->mode = W_MEM_FLAT;
    /* Growing past the reservation would move base. */
    if (m->max_pages > reserve / W_PAGE_SIZE) m->max_pages = reserve / W_PAGE_SIZE;
    if (!mem_commit_range(m, 0, min_pages * W_PAGE_SIZE)) {
        plat_release(base, reserve);
        goto fail;
    }
    m->pages = min_pages;
    m->size = min_pages * W_PAGE_SIZE;
    m->span = (w_span){base, m->size, base, m->size};
    if (tagged && !tag_init(m)) {
        mem_release(m);
        return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return true;
fail:
    w_budget_release(budget, min_pages * W_PAGE_SIZE, space);
    memset(m, 0, sizeof *m);
    return w_fail_nooff(err, W_ERR_MEMORY_LIMIT,
                        "cannot allocate a memory of %llu pages (%llu bytes of address space)",
                        (unsigned long long)min_pages, (unsigned long long)reserve);
}

int64_t mem_grow(w_memory *m, uint64_t delta)
{
    uint64_t old = m->pages;
    if (delta == 0) return (int64_t)old;
    if (delta > m->max_pages - old) return -1;
    uint64_t new_size = (old + delta) * W_PAGE_SIZE;
    if (m->mode != W_MEM_PAGED && new_size > m->reserved) return -1;
    if (!w_budget_charge(m->budget, delta * W_PAGE_SIZE, 0, NULL)) return -1;
    if (m->mode == W_MEM_PAGED ? !pg_grow(m, delta) : !mem_commit_range(m, m->size, new_size)) {
        w_budget_release(m->budget, delta * W_PAGE_SIZE, 0);
        return -1;
    }
    m->pages = old + delta;
    m->size = new_size;
    /* A flat memory's span is all of it; a paged one's follows its tables
     * (pg_grow keeps it). */
    if (m->mode != W_MEM_PAGED) m->span.rd_lim = m->span.wr_lim = new_size;
    return (int64_t)old;
}

void mem_release(w_memory *m)
{
    if (m->tagged) tag_release(m);
    if (m->mode == W_MEM_PAGED) pg_release(m);
    if (m->base) plat_release(m->base, m->reserved);
    w_budget_release(m->budget, m->size + m->guest_charged, m->vm_charged);
    memset(m, 0, sizeof *m);
}

bool mem_charge(w_memory *m, uint64_t bytes)
{
    return w_budget_charge(m->budget, bytes, 0, NULL);
}

void mem_uncharge(w_memory *m, uint64_t bytes)
{
    w_budget_release(m->budget, bytes, 0);
}

bool mem_guest_charge(w_memory *m, uint64_t total)
{
    if (total > m->guest_charged) {
        if (!w_budget_charge(m->budget, total - m->guest_charged, 0, NULL)) return false;
    } else {
        w_budget_release(m->budget, m->guest_charged - total, 0);
    }
    m->guest_charged = total;
    return true;
}

/* Is [addr, addr+len) inside the memory? Written so that nothing overflows. */
static bool mem_in_bounds(const w_memory *m, uint64_t addr, uint64_t len)
{
    return len <= m->size && addr <= m->size - len;
}

bool mem_read(const w_memory *m, uint64_t addr, void *dst, size_t len)
{
    uint64_t fault;
    if (m->mode == W_MEM_PAGED || m->tagged) return pg_read(m, addr, dst, len, &fault) == W_TRAP_OK;
    if (!mem_in_bounds(m, addr, len)) return false;
    if (len) memcpy(dst, m->base + addr, len);
    return true;
}

bool mem_write(w_memory *m, uint64_t addr, const void *src, size_t len)
{
    uint64_t fault;
    if (m->mode == W_MEM_PAGED || m->tagged)
        return pg_write(m, addr, src, len, &fault) == W_TRAP_OK;
    if (!mem_in_bounds(m, addr, len)) return false;
    if (len) memcpy(m->base + addr, src, len);
    return true;
}

/* ---- the slow path of the access paths (access.h) -------------------------------- */

w_trap mem_load_slow(const w_memory *m, uint64_t addr, uint64_t offset, uint32_t bytes,
                     uint8_t *tmp, uint64_t *fault)
{
    uint64_t ea;
    if (!mem_ea(addr, offset, bytes, &ea)) {
        *fault = UINT64_MAX;
        return W_TRAP_MEM_OOB;
    }
    *fault = ea;
    if (m->mode == W_MEM_PAGED || m->tagged) return pg_read(m, ea, tmp, bytes, fault);
    if (!mem_in_bounds(m, ea, bytes)) return W_TRAP_MEM_OOB;
    memcpy(tmp, m->base + ea, bytes);
    return W_TRAP_OK;
}

w_trap mem_store_slow(w_memory *m, uint64_t addr, uint64_t offset, const uint8_t *tmp,
                      uint32_t bytes, uint64_t *fault)
{
    uint64_t ea;
    if (!mem_ea(addr, offset, bytes, &ea)) {
        *fault = UINT64_MAX;
        return W_TRAP_MEM_OOB;
    }
    *fault = ea;
    if (m->mode == W_MEM_PAGED || m->tagged) return pg_write(m, ea, tmp, bytes, fault);
    if (!mem_in_bounds(m, ea, bytes)) return W_TRAP_MEM_OOB;
    memcpy(m->base + ea, tmp, bytes);
    return W_TRAP_OK;
}

void *mem_span(w_memory *m, uint64_t addr, size_t len, bool writable, size_t *avail)
{
    unsigned ptag = mem_addr_tag(m, addr);
    uint8_t *p;
    uint64_t run;
    if (avail) *avail = 0;
    addr = mem_addr_strip(m, addr);
    if (addr >= m->size) return NULL;
    if (m->mode == W_MEM_PAGED) {
        /* One page at most: the next page's frame is elsewhere. */
        uint64_t room = W_PAGE_SIZE - (addr & (W_PAGE_SIZE - 1));
        run = (uint64_t)len < room ? len : room;
        if (pg_translate(m, addr, run ? run : 1, writable, &p) != W_TRAP_OK) return NULL;
    } else {
        /* Flat memories are readable and writable throughout. */
        uint64_t rest = m->size - addr;
        run = (uint64_t)len < rest ? len : rest;
        p = m->base + addr;
    }
    /* A tagged memory's run ends at the first granule without the tag. */
    if (m->tagged && run) {
        run = tag_run(m, addr, run, ptag);
        if (run == 0) return NULL;
    }
    if (avail) *avail = (size_t)run;
    return p;
}

void mem_trap_msg(const w_memory *m, w_trap t, uint64_t fault, bool write, char *buf, size_t size)
{
    uint64_t sea = mem_addr_strip(m, fault);
    if (size) buf[0] = '\0';
    if (t == W_TRAP_ACCESS_DENIED && m->mode == W_MEM_PAGED) {
        pg_denied_msg(m, sea, write, buf, size);
    } else if (t == W_TRAP_TAG_MISMATCH) {
        snprintf(buf, size, "pointer tag %u, memory tag %u at address 0x%llx",
                 mem_addr_tag(m, fault), tag_get(m, sea), (unsigned long long)sea);
    }
}

void mem_seal(w_memory *m)
{
    if (m->mode == W_MEM_PAGED) pg_seal(m);
}

bool mem_clone(w_memory *dst, w_memory *src, w_budget *budget, w_err *err)
{
    if (src->mode == W_MEM_PAGED) {
        /* Shared frames cost nothing until written, but each may be: the
         * clone is charged as a memory of its own. */
        if (!w_budget_charge(budget, src->size, src->vm_charged, err)) return false;
        if (!pg_clone(dst, src)) {
            /* dst is a copy of src's fields: keep its release from
             * touching src's budget. */
            dst->budget = NULL;
            dst->guest_charged = 0;
            w_budget_release(budget, src->size, src->vm_charged);
            return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        }
        dst->budget = budget;
        dst->vm_charged = src->vm_charged;
        dst->guest_charged = 0; /* a clone holds no handles of its own */
    } else {
        /* A flat memory has nothing to share: copy it (tags included). */
        uint8_t mode = W_MEM_FLAT | (src->tagged ? W_MEM_INIT_TAGGED : 0);
        if (!mem_init(dst, src->pages, src->declared_max, src->has_max, src->is64,
                      src->max_pages * W_PAGE_SIZE, mode, budget, err))
            return false;
        if (src->size) memcpy(dst->base, src->base, src->size);
    }
    if (src->tagged && !tag_clone(dst, src))
        return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
    return true;
}
