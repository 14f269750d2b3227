/* tag.c - memory tags (Cage): the tag store of flat memories, tag checks
 * and the segment instructions, for flat and paged memories alike.
 *
 * A tag is 4 bits per 16-byte granule, kept as nibbles: granule g's tag is
 * in byte g / 2, the low nibble for even g. A flat memory's nibbles are one
 * array covering everything it can grow to (1/32 of it), mapped when a
 * tag is first set, so an untagged memory costs nothing and untouched
 * parts cost no RAM. A paged memory's nibbles live with each frame
 * (paged.c), so they travel with shared pages, regions and transfers, and
 * copy-on-write copies them with the data.
 *
 * Checks walk the nibbles a page at a time (flat: one run); until a memory
 * has its first tag (tag_any false) every granule is 0 and a check only
 * compares the pointer's tag with 0.
 *
 * segment.new draws its tags from a generator per memory: SipHash-2-4 of a
 * counter under a key from the OS's random source (taken at the first
 * draw), 16 tags per call. The guest cannot predict them without the key;
 * drawing from the OS for each segment would cost a system call per
 * allocation.
 */
#include "mem/paged.h"
#include "platform/platform.h"

#include <stdio.h>

typedef struct tag_mem {
    uint64_t tags_len; /* bytes of the flat tag array (mapped or not yet) */
    uint64_t key[2];   /* the tag generator */
    uint64_t ctr, pool;
    unsigned left; /* tags left in pool */
    bool seeded;
} tag_mem;

#define TAG_PAGE_GRANULES (W_PAGE_SIZE / W_TAG_GRANULE)

W_INLINE unsigned tag_nib(const uint8_t *t, uint64_t g)
{
    return t ? (t[g >> 1] >> ((g & 1) * 4)) & 15u : 0u;
}

/* Sets granules [g0, g1) of t to tag. */
static void tag_nibs_set(uint8_t *t, uint64_t g0, uint64_t g1, unsigned tag)
{
    if (g0 < g1 && (g0 & 1)) {
        t[g0 >> 1] = (uint8_t)((t[g0 >> 1] & 0x0f) | tag << 4);
        g0++;
    }
    if (g0 < g1 && (g1 & 1)) {
        g1--;
        t[g1 >> 1] = (uint8_t)((t[g1 >> 1] & 0xf0) | tag);
    }
    if (g0 < g1) memset(t + (g0 >> 1), (int)(tag * 0x11u), (size_t)((g1 - g0) >> 1));
}

/* The first granule of [g0, g1) in t whose tag is not `tag` (g1 if none);
 * t NULL means all 0. */
static uint64_t tag_nibs_scan(const uint8_t *t, uint64_t g0, uint64_t g1, unsigned tag)
{
    if (!t) return tag == 0 ? g1 : g0;
    if (g0 < g1 && (g0 & 1)) {
        if (tag_nib(t, g0) != tag) return g0;
        g0++;
    }
    uint8_t both = (uint8_t)(tag * 0x11u);
    for (; g0 + 1 < g1; g0 += 2) {
        if (t[g0 >> 1] != both) return tag_nib(t, g0) != tag ? g0 : g0 + 1;
    }
    if (g0 < g1 && tag_nib(t, g0) != tag) return g0;
    return g1;
}

/* ---- state --------------------------------------------------------------------------- */

bool tag_init(w_memory *m)
{
    m->tagged = true;
    m->tag_shift = m->is64 ? W_TAG_SHIFT64 : W_TAG_SHIFT32;
    m->tag_any = false;
    m->tags = NULL;
    m->tg = w_calloc(1, sizeof *m->tg);
    if (!m->tg) return false;
    /* A nibble per granule of everything the memory can grow to, and a
     * few bytes more, so that the access path may read two bytes of tags
     * at once at the last granule. */
    m->tg->tags_len = m->max_pages * W_TAG_PAGE_BYTES + 16;
    /* A paged memory's nibbles are its frames': the table that finds them. */
    return m->mode != W_MEM_PAGED || pg_tag_table(m);
}

void tag_release(w_memory *m)
{
    if (m->tags) plat_release(m->tags, m->tg->tags_len);
    w_free(m->tg);
    m->tags = NULL;
    m->tg = NULL;
}

/* A flat memory's tag array, mapped on first use; NULL if out of memory. */
static uint8_t *tag_flat_array(w_memory *m)
{
    if (!m->tags) {
        uint64_t page = plat_page_size();
        uint64_t n = (m->tg->tags_len + page - 1) / page * page;
        m->tg->tags_len = n ? n : page;
        m->tags = plat_map(m->tg->tags_len);
    }
    return m->tags;
}

bool tag_clone(w_memory *dst, const w_memory *src)
{
    /* The clone draws its own tags: its generator is not its template's.
     * (A flat clone was made tagged by mem_init already.) */
    if (!dst->tagged && !tag_init(dst)) return false;
    dst->tag_any = src->tag_any;
    if (src->mode == W_MEM_FLAT && src->tags) {
        if (!tag_flat_array(dst)) return false;
        memcpy(dst->tags, src->tags, (size_t)(src->size / W_TAG_GRANULE / 2));
    }
    return true;
}

/* ---- reading and checking -------------------------------------------------------------- */

/* The nibbles holding the granules of the page or run that contains sea,
 * and the granule index of sea in them. */
static const uint8_t *tag_where(const w_memory *m, uint64_t sea, uint64_t *g)
{
    if (m->mode == W_MEM_PAGED) {
        *g = (sea & (W_PAGE_SIZE - 1)) / W_TAG_GRANULE;
        return pg_page_tags(m, sea / W_PAGE_SIZE);
    }
    *g = sea / W_TAG_GRANULE;
    return m->tags;
}

unsigned tag_get(const w_memory *m, uint64_t sea)
{
    uint64_t g;
    if (!m->tagged || !m->tag_any) return 0;
    const uint8_t *t = tag_where(m, sea, &g);
    return tag_nib(t, g);
}

int tag_lookup(const w_memory *m, uint64_t ea)
{
    uint64_t fault, sea = mem_addr_strip(m, ea);
    if (!m->tagged || pg_check_any(m, sea, 1, false, &fault) == W_TRAP_MEM_OOB) return -1;
    return (int)tag_get(m, sea);
}

uint64_t tag_run(const w_memory *m, uint64_t sea, uint64_t len, unsigned ptag)
{
    uint64_t done = 0;
    if (!m->tagged || len == 0) return len;
    if (!m->tag_any) return ptag == 0 ? len : 0;
    while (done < len) {
        uint64_t a = sea + done, g;
        /* This page (paged) or everything (flat). */
        uint64_t room = m->mode == W_MEM_PAGED ? W_PAGE_SIZE - (a & (W_PAGE_SIZE - 1)) : len - done;
        uint64_t n = len - done < room ? len - done : room;
        const uint8_t *t = tag_where(m, a, &g);
        uint64_t g1 = g + ((a & (W_TAG_GRANULE - 1)) + n + W_TAG_GRANULE - 1) / W_TAG_GRANULE;
        uint64_t bad = tag_nibs_scan(t, g, g1, ptag);
        if (bad < g1) {
            /* Bytes of this run before the first granule that differs. */
            uint64_t ok = (bad - g) * W_TAG_GRANULE;
            uint64_t lead = a & (W_TAG_GRANULE - 1);
            return done + (ok > lead ? ok - lead : 0);
        }
        done += n;
    }
    return len;
}

w_trap tag_check(const w_memory *m, uint64_t sea, uint64_t len, unsigned ptag, uint64_t *fault)
{
    uint64_t ok = tag_run(m, sea, len, ptag);
    if (ok == len) return W_TRAP_OK;
    *fault = (sea + ok) | (uint64_t)ptag << m->tag_shift;
    return W_TRAP_TAG_MISMATCH;
}

/* ---- changing tags ------------------------------------------------------------------ */

/* Sets the tags of [sea, sea+len) (checked: in bounds, writable, 16-byte
 * granules) to tag. Paged pages become private first. False if out of
 * memory: pages before the one that failed are retagged. */
static bool tag_fill(w_memory *m, uint64_t sea, uint64_t len, unsigned tag)
{
    if (len == 0) return true;
    if (m->mode != W_MEM_PAGED) {
        if (!m->tags && tag == 0) return true; /* everything is 0 already */
        uint8_t *t = tag_flat_array(m);
        if (!t) return false;
        tag_nibs_set(t, sea / W_TAG_GRANULE, (sea + len) / W_TAG_GRANULE, tag);
        if (tag) m->tag_any = true;
        return true;
    }
    while (len) {
        uint64_t i = sea / W_PAGE_SIZE, off = sea & (W_PAGE_SIZE - 1);
        uint64_t n = len < W_PAGE_SIZE - off ? len : W_PAGE_SIZE - off;
        /* Clearing a page that has no tags changes nothing. */
        if (tag || pg_page_tags(m, i)) {
            uint8_t *t = pg_page_tags_mut(m, i);
            if (!t) return false;
            tag_nibs_set(t, off / W_TAG_GRANULE, (off + n) / W_TAG_GRANULE, tag);
        }
        sea += n;
        len -= n;
    }
    return true;
}

bool tag_set_range(w_memory *m, uint64_t sea, uint64_t len, unsigned tag)
{
    uint64_t fault;
    if (!m->tagged || tag > 15 || sea % W_TAG_GRANULE || len % W_TAG_GRANULE) return false;
    if (pg_check_any(m, sea, len, true, &fault) != W_TRAP_OK) return false;
    return tag_fill(m, sea, len, tag);
}

/* Refills m's generator with 16 tags; false if the OS has no random bytes. */
static W_NOINLINE bool tag_refill(tag_mem *tg)
{
    if (!tg->seeded) {
        if (!plat_random(tg->key, sizeof tg->key)) return false;
        tg->seeded = true;
    }
    tg->pool = w_siphash24(tg->key[0], tg->key[1], &tg->ctr, sizeof tg->ctr);
    tg->ctr++;
    tg->left = 16;
    return true;
}

/* The next tag of m's generator; false if the OS has no random bytes. */
static inline bool tag_draw(tag_mem *tg, unsigned *out)
{
    if (W_UNLIKELY(tg->left == 0) && !tag_refill(tg)) return false;
    *out = (unsigned)(tg->pool & 15);
    tg->pool >>= 4;
    tg->left--;
    return true;
}

/* A random tag for a new segment: never 0 (the free tag) nor either
 * neighbour's tag (-1: no neighbour), so that a linear overflow into the
 * next or previous segment and a use after free are always caught. */
static inline bool tag_pick(tag_mem *tg, int before, int after, unsigned *out)
{
    /* At least 13 of the 16 values qualify, so a few draws suffice; after
     * 64 (a chance of about 2^-136) take the smallest that does. */
    for (int i = 0; i < 64; i++) {
        unsigned t;
        if (!tag_draw(tg, &t)) return false;
        if (t != 0 && (int)t != before && (int)t != after) {
            *out = t;
            return true;
        }
    }
    *out = 1;
    while ((int)*out == before || (int)*out == after)
        (*out)++;
    return true;
}

/* The tag of the granule at sea if it exists and its page is present, else -1. */
static int tag_neighbour(const w_memory *m, uint64_t sea)
{
    uint64_t fault;
    if (m->mode != W_MEM_PAGED)
        return sea < m->size ? (int)tag_nib(m->tags, sea / W_TAG_GRANULE) : -1;
    if (pg_check_any(m, sea, 1, false, &fault) == W_TRAP_MEM_OOB) return -1;
    return (int)tag_get(m, sea);
}

/* Zeroes the checked range [sea, sea+size) of m; false if out of memory. */
static bool tag_zero(w_memory *m, uint64_t sea, uint64_t size)
{
    if (m->mode == W_MEM_PAGED) return pg_memset(m, sea, 0, size);
    memset(m->base + sea, 0, size);
    return true;
}

/* The checks every segment instruction makes: a tagged memory, the range
 * [*sea, *sea+size) with *sea = strip(ptr + off) 16-byte aligned, size a
 * multiple of 16, in bounds and writable. */
static w_trap tag_seg_range(w_memory *m, uint64_t ptr, uint64_t off, uint64_t size, uint64_t *sea,
                            uint64_t *ea, char *msg, size_t msize)
{
    uint64_t fault;
    msg[0] = '\0';
    if (!m->tagged) {
        snprintf(msg, msize, "the memory is not tagged (mem-safety is off)");
        return W_TRAP_SEGMENT;
    }
    *ea = ptr + off;
    if (*ea < ptr) return W_TRAP_MEM_OOB;
    *sea = mem_addr_strip(m, *ea);
    if (*sea % W_TAG_GRANULE) {
        snprintf(msg, msize, "address 0x%llx is not 16-byte aligned", (unsigned long long)*sea);
        return W_TRAP_SEGMENT;
    }
    if (size % W_TAG_GRANULE) {
        snprintf(msg, msize, "size %llu is not a multiple of 16", (unsigned long long)size);
        return W_TRAP_SEGMENT;
    }
    /* A flat memory is writable throughout: its bounds are all there is. */
    if (m->mode != W_MEM_PAGED)
        return size <= m->size && *sea <= m->size - size ? W_TRAP_OK : W_TRAP_MEM_OOB;
    w_trap t = pg_check_any(m, *sea, size, true, &fault);
    if (t != W_TRAP_OK) mem_trap_msg(m, t, fault, true, msg, msize);
    return t;
}

/* The common case of a segment instruction, an allocator's: a flat tagged
 * memory and a range that is aligned and in bounds. *sea is the range's
 * start then (true); anything else takes the general path (false), which
 * also words the trap. */
static inline bool tag_seg_flat(const w_memory *m, uint64_t ptr, uint64_t off, uint64_t size,
                                uint64_t *sea)
{
    uint64_t ea = ptr + off;
    if (m->mode != W_MEM_FLAT || !m->tagged || ea < ptr) return false;
    *sea = mem_addr_strip(m, ea);
    return ((*sea | size) & (W_TAG_GRANULE - 1)) == 0 && size <= m->size && *sea <= m->size - size;
}

w_trap tag_seg_new(w_memory *m, uint64_t ptr, uint64_t off, uint64_t size, uint64_t *out, char *msg,
                   size_t msize)
{
    uint64_t sea, ea;
    unsigned tag = 1;
    if (tag_seg_flat(m, ptr, off, size, &sea)) {
        uint8_t *t = tag_flat_array(m);
        uint64_t g0 = sea / W_TAG_GRANULE, g1 = (sea + size) / W_TAG_GRANULE;
        if (!t) return W_TRAP_OOM;
        int before = g0 ? (int)tag_nib(t, g0 - 1) : -1;
        int after = sea + size < m->size ? (int)tag_nib(t, g1) : -1;
        if (!tag_pick(m->tg, before, after, &tag)) goto no_random;
        tag_nibs_set(t, g0, g1, tag);
        m->tag_any = true;
        memset(m->base + sea, 0, size);
        uint64_t r = (sea | (uint64_t)tag << m->tag_shift) - off;
        *out = m->is64 ? r : (uint32_t)r;
        return W_TRAP_OK;
    }
    w_trap t = tag_seg_range(m, ptr, off, size, &sea, &ea, msg, msize);
    if (t != W_TRAP_OK) return t;
    int before = sea ? tag_neighbour(m, sea - W_TAG_GRANULE) : -1;
    int after = tag_neighbour(m, sea + size);
    if (!tag_pick(m->tg, before, after, &tag)) goto no_random;
    if (!tag_fill(m, sea, size, tag) || !tag_zero(m, sea, size)) return W_TRAP_OOM;
    uint64_t r = (sea | (uint64_t)tag << m->tag_shift) - off;
    *out = m->is64 ? r : (uint32_t)r;
    return W_TRAP_OK;
no_random:
    snprintf(msg, msize, "no random source for tags");
    return W_TRAP_SEGMENT;
}

w_trap tag_seg_set(w_memory *m, uint64_t ptr, uint64_t off, uint64_t tagsrc, uint64_t size,
                   char *msg, size_t msize)
{
    uint64_t sea, ea;
    w_trap t = tag_seg_range(m, ptr, off, size, &sea, &ea, msg, msize);
    if (t != W_TRAP_OK) return t;
    if (!tag_fill(m, sea, size, mem_addr_tag(m, tagsrc)) || !tag_zero(m, sea, size))
        return W_TRAP_OOM;
    return W_TRAP_OK;
}

w_trap tag_seg_free(w_memory *m, uint64_t ptr, uint64_t off, uint64_t size, char *msg, size_t msize)
{
    uint64_t sea, ea, fault;
    if (tag_seg_flat(m, ptr, off, size, &sea) && size) {
        uint64_t g0 = sea / W_TAG_GRANULE, g1 = (sea + size) / W_TAG_GRANULE;
        unsigned ptag = mem_addr_tag(m, ptr + off);
        /* Every granule must have the pointer's tag (NULL tags: all 0). */
        if (tag_nibs_scan(m->tags, g0, g1, ptag) == g1) {
            if (m->tags) tag_nibs_set(m->tags, g0, g1, 0);
            return W_TRAP_OK;
        }
    }
    w_trap t = tag_seg_range(m, ptr, off, size, &sea, &ea, msg, msize);
    if (t != W_TRAP_OK) return t;
    t = tag_check(m, sea, size, mem_addr_tag(m, ea), &fault);
    if (t != W_TRAP_OK) {
        mem_trap_msg(m, t, fault, true, msg, msize);
        return t;
    }
    return tag_fill(m, sea, size, 0) ? W_TRAP_OK : W_TRAP_OOM;
}
