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
 *     smallest) and are always bounds-checked.
 * Committed pages that were never written read as zero, which is exactly the
 * state Wasm requires for new pages.
 *
 * Paged memories (paged.c) reserve no memory of their own: their pages are
 * frames from the shared pool, looked up in page tables that reserve address
 * space for every page index an access can produce (2 MiB for a 32-bit
 * memory) but occupy RAM only for the memory's current pages.
 *
 * Host access (mem_read/mem_write/mem_span) goes through bounds checks with
 * overflow-safe arithmetic and, for paged memories, the pages' permissions;
 * for tagged memories (tag.c) the host's address carries a tag like the
 * guest's, which every granule touched must have.
 */
#include "mem/paged.h"
#include "platform/platform.h"
#include "mem/mem.h"

#include <stdio.h>

#define MEM_RESERVE32 (8ull << 30)
#define MEM_CAP64 (16ull << 30)

static bool mem_commit_range(w_memory *m, uint64_t from, uint64_t to)
{
    if (to <= from) return true;
    if (!plat_commit(m->base + from, to - from)) return false;
    if (to >= W_MEM_HUGE_MIN) plat_advise_huge(m->base, to);
    return true;
}

bool mem_init(w_memory *m, uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
              uint64_t limit_bytes, uint8_t mode)
{
    memset(m, 0, sizeof *m);
    bool tagged = (mode & W_MEM_TAGGED) != 0;
    mode &= (uint8_t)~W_MEM_TAGGED;
    if (mode != W_MEM_FLAT && mode != W_MEM_PAGED) return false;

    uint64_t maxp = is64 ? W_MAX_PAGES64 : W_MAX_PAGES32;
    /* A tagged 32-bit memory's addresses must stay below the tag bits. */
    if (tagged && !is64 && maxp > W_TAG_MAX_PAGES32) maxp = W_TAG_MAX_PAGES32;
    if (has_max && max_pages < maxp) maxp = max_pages;
    if (limit_bytes && limit_bytes / W_PAGE_SIZE < maxp) maxp = limit_bytes / W_PAGE_SIZE;
    if (min_pages > maxp) return false;
    /* No machine can commit 2^48 bytes; refusing earlier keeps every
     * pages * W_PAGE_SIZE product below from overflowing. */
    if (min_pages > (1ull << 32)) return false;

    if (mode == W_MEM_PAGED) {
        /* Page tables grow with the memory; cap them like a flat memory64's
         * reservation so that a huge declared maximum cannot exhaust RAM. */
        if (maxp > MEM_CAP64 / W_PAGE_SIZE) maxp = MEM_CAP64 / W_PAGE_SIZE;
        if (min_pages > maxp) return false;
        m->is64 = is64;
        m->has_max = has_max;
        m->declared_max = has_max ? max_pages : 0;
        m->max_pages = maxp;
        m->mode = W_MEM_PAGED;
        if (!pg_init(m, min_pages)) {
            memset(m, 0, sizeof *m);
            return false;
        }
        m->pages = min_pages;
        m->size = min_pages * W_PAGE_SIZE;
        if (tagged && !tag_init(m)) {
            mem_release(m);
            return false;
        }
        return true;
    }

    uint64_t reserve;
    if (!is64) {
        reserve = MEM_RESERVE32;
    } else {
        uint64_t rpages = maxp < MEM_CAP64 / W_PAGE_SIZE ? maxp : MEM_CAP64 / W_PAGE_SIZE;
        if (rpages < min_pages) rpages = min_pages; /* min <= maxp, so this is bounded */
        if (rpages == 0) rpages = 1;                /* keep base valid and non-NULL */
        reserve = rpages * W_PAGE_SIZE;
        /* Growing past the reservation would move base: make it the maximum. */
        if (maxp > rpages) maxp = rpages;
    }

    uint8_t *base = plat_reserve(reserve);
    if (!base) return false;
    m->base = base;
    m->reserved = reserve;
    m->is64 = is64;
    m->has_max = has_max;
    m->declared_max = has_max ? max_pages : 0;
    m->max_pages = maxp;
    m->mode = W_MEM_FLAT;
    if (!mem_commit_range(m, 0, min_pages * W_PAGE_SIZE)) {
        plat_release(base, reserve);
        memset(m, 0, sizeof *m);
        return false;
    }
    m->pages = min_pages;
    m->size = min_pages * W_PAGE_SIZE;
    if (tagged && !tag_init(m)) {
        mem_release(m);
        return false;
    }
    return true;
}

int64_t mem_grow(w_memory *m, uint64_t delta)
{
    uint64_t old = m->pages;
    if (delta == 0) return (int64_t)old;
    if (delta > m->max_pages - old) return -1;
    uint64_t new_size = (old + delta) * W_PAGE_SIZE;
    if (m->mode == W_MEM_PAGED) {
        if (!pg_grow(m, delta)) return -1;
        m->pages = old + delta;
        m->size = new_size;
        return (int64_t)old;
    }
    if (new_size > m->reserved) return -1;
    if (!mem_commit_range(m, m->size, new_size)) return -1;
    m->pages = old + delta;
    m->size = new_size;
    return (int64_t)old;
}

void mem_release(w_memory *m)
{
    if (m->tagged) tag_release(m);
    if (m->mode == W_MEM_PAGED) pg_release(m);
    if (m->base) plat_release(m->base, m->reserved);
    memset(m, 0, sizeof *m);
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

void mem_fault_msg(const w_memory *m, w_trap t, uint64_t fault, bool write, char *buf, size_t size)
{
    uint64_t sea = mem_addr_strip(m, fault);
    buf[0] = '\0';
    if (t == W_TRAP_ACCESS_DENIED) {
        pg_denied_msg(m, sea, write, buf, size);
    } else if (t == W_TRAP_TAG_MISMATCH) {
        snprintf(buf, size, "pointer tag %u, memory tag %u at address 0x%llx",
                 mem_addr_tag(m, fault), tag_get(m, sea), (unsigned long long)sea);
    }
}

bool mem_clone(w_memory *dst, w_memory *src)
{
    if (src->mode == W_MEM_PAGED) {
        if (!pg_clone(dst, src)) return false;
    } else {
        /* A flat memory has nothing to share: copy it. */
        if (!mem_init(dst, src->pages, src->declared_max, src->has_max, src->is64,
                      src->max_pages * W_PAGE_SIZE, W_MEM_FLAT))
            return false;
        if (src->size) memcpy(dst->base, src->base, src->size);
    }
    return !src->tagged || tag_clone(dst, src);
}
