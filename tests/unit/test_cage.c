/* test_cage.c - the pieces of Cage in ward, below the API: SipHash-2-4
 * against its published vectors, the tag store and segment rules of
 * mem/tag.c on flat and paged memories (host paths, straddling runs,
 * clones, regions, transfers), and pointer authentication (exec/pac.c).
 *
 * Exit status 0 when every check passed; the last line is "N passed, M failed".
 */
#include "base/base.h"
#include "exec/exec.h"
#include "mem/paged.h"

#include <stdio.h>
#include <string.h>

#include "../check.h"

/* ---- SipHash-2-4 ----------------------------------------------------------------------- */

static void test_siphash(void)
{
    /* Key 00 01 .. 0f (k0, k1 little-endian), message 00 01 .. (n-1). */
    const uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
    uint8_t msg[64];
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* The SipHash paper, appendix A: the 15-byte message. */
    CHECK(w_siphash24(k0, k1, msg, 15) == 0xa129ca6149be45e5ull);
    /* The reference implementation's vectors (vectors.h, vectors_sip64)
     * for messages of 0 to 9 bytes: empty, a partial last word, exactly one
     * word, one word and a partial one. */
    static const uint64_t want[] = {
        0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
        0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
        0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull,
    };
    for (size_t n = 0; n < sizeof want / sizeof want[0]; n++) {
        uint64_t h = w_siphash24(k0, k1, msg, n);
        if (h != want[n]) printf("siphash of %zu bytes: %016llx\n", n, (unsigned long long)h);
        CHECK(h == want[n]);
    }
    /* A different key gives a different hash. */
    CHECK(w_siphash24(k0 ^ 1, k1, msg, 15) != 0xa129ca6149be45e5ull);
}

/* ---- tags -------------------------------------------------------------------------------- */

static char msg[200];

static bool new_mem(w_memory *m, uint64_t pages, bool is64, uint8_t mode)
{
    return mem_init(m, pages, 0, false, is64, 0, mode | W_MEM_INIT_TAGGED, NULL, NULL);
}

static uint64_t tagged(const w_memory *m, uint64_t a, unsigned tag)
{
    return a | (uint64_t)tag << m->tag_shift;
}

static void test_segments(uint8_t mode, bool is64)
{
    w_memory m;
    uint64_t p = 0, q = 0, fault;
    uint8_t buf[64];
    CHECK(new_mem(&m, 2, is64, mode));
    CHECK(m.tagged && m.tag_shift == (is64 ? 56 : 28));
    /* Nothing is tagged: untagged addresses work, tagged ones do not. */
    CHECK(mem_write(&m, 100, "abc", 3));
    CHECK(!mem_write(&m, tagged(&m, 100, 1), "abc", 3));
    CHECK(tag_lookup(&m, 100) == 0 && !m.tag_any);

    /* Alignment, size and bounds: the whole range, not its first granule. */
    CHECK(tag_seg_new(&m, 8, 0, 32, &p, msg, sizeof msg) == W_TRAP_SEGMENT);
    CHECK(strstr(msg, "not 16-byte aligned") != NULL);
    CHECK(tag_seg_new(&m, 16, 0, 24, &p, msg, sizeof msg) == W_TRAP_SEGMENT);
    CHECK(strstr(msg, "multiple of 16") != NULL);
    CHECK(tag_seg_new(&m, 2 * W_PAGE_SIZE - 32, 0, 48, &p, msg, sizeof msg) == W_TRAP_MEM_OOB);
    CHECK(tag_seg_new(&m, 2 * W_PAGE_SIZE - 32, 0, 32, &p, msg, sizeof msg) == W_TRAP_OK);
    CHECK(!is64 || tag_seg_new(&m, UINT64_MAX - 15, 32, 16, &p, msg, sizeof msg) == W_TRAP_MEM_OOB);

    /* A segment: non-zero tag, zeroed, tagged pointer returned; the memarg
     * offset is part of the address and comes off the result. */
    CHECK(mem_write(&m, 0x100, "junkjunkjunkjunkjunk", 20));
    CHECK(tag_seg_new(&m, 0xF0, 0x10, 32, &p, msg, sizeof msg) == W_TRAP_OK);
    unsigned t = mem_addr_tag(&m, p + 0x10);
    CHECK(t != 0 && mem_addr_strip(&m, p) == 0xF0);
    CHECK(tag_lookup(&m, 0x100) == (int)t && tag_lookup(&m, 0x110) == (int)t);
    CHECK(tag_lookup(&m, 0xF0) == 0 && tag_lookup(&m, 0x120) == 0);
    memset(buf, 1, sizeof buf);
    CHECK(mem_read(&m, p + 0x10, buf, 32));
    CHECK(buf[0] == 0 && buf[19] == 0 && buf[31] == 0);
    /* Host access needs the tag on every granule touched. */
    CHECK(!mem_read(&m, 0x100, buf, 1));
    CHECK(!mem_read(&m, p + 0x10 + 30, buf, 4)); /* straddles into tag 0 */
    CHECK(mem_read(&m, p + 0x10 + 28, buf, 4));
    CHECK(!mem_read(&m, 0x0FC, buf, 8)); /* from tag 0 into the segment */
    size_t avail = 0;
    CHECK(mem_span(&m, p + 0x10 + 8, 100, false, &avail) != NULL && avail == 24);
    CHECK(mem_span(&m, 0x100, 16, false, &avail) == NULL && avail == 0);
    CHECK(mem_span(&m, 0x0F8, 100, true, &avail) != NULL && avail == 8);
    CHECK(pg_write(&m, 0x0F8, buf, 16, &fault) == W_TRAP_TAG_MISMATCH);
    CHECK(mem_addr_strip(&m, fault) == 0x100 && mem_addr_tag(&m, fault) == 0);
    mem_trap_msg(&m, W_TRAP_TAG_MISMATCH, fault, true, msg, sizeof msg);
    char want[80];
    snprintf(want, sizeof want, "pointer tag 0, memory tag %u at address 0x100", t);
    CHECK(strcmp(msg, want) == 0);
    /* Bulk: a fill through the tagged pointer, a copy out of it. */
    CHECK(pg_fill(&m, p + 0x10, 7, 32, &fault) == W_TRAP_OK);
    CHECK(pg_fill(&m, p + 0x10, 7, 33, &fault) == W_TRAP_TAG_MISMATCH);
    CHECK(pg_copy(&m, 0x200, &m, p + 0x10, 32, &fault, &(bool){false}) == W_TRAP_OK);
    CHECK(mem_read(&m, 0x200, buf, 32) && buf[0] == 7 && buf[31] == 7);
    CHECK(pg_copy(&m, p + 0x10, &m, 0x200, 32, &fault, &(bool){false}) == W_TRAP_OK);

    /* The next segment never shares a neighbour's tag. */
    bool all_ok = true;
    for (int i = 0; i < 200; i++) {
        all_ok &= tag_seg_new(&m, 0x120, 0, 16, &q, msg, sizeof msg) == W_TRAP_OK;
        unsigned u = mem_addr_tag(&m, q);
        all_ok &= u != 0 && u != t;
        /* a segment between two tagged ones differs from both */
        all_ok &= tag_seg_new(&m, 0x140, 0, 16, &q, msg, sizeof msg) == W_TRAP_OK;
        all_ok &= tag_seg_new(&m, 0x130, 0, 16, &q, msg, sizeof msg) == W_TRAP_OK;
        unsigned mid = mem_addr_tag(&m, q);
        all_ok &= mid != 0 && mid != (unsigned)tag_lookup(&m, 0x120) &&
                  mid != (unsigned)tag_lookup(&m, 0x140);
    }
    CHECK(all_ok);
    /* Tags are random: 200 draws next to tag t see most of the 14 others. */
    {
        bool seen[16] = {false};
        int kinds = 0;
        for (int i = 0; i < 200; i++) {
            if (tag_seg_new(&m, 0x120, 0, 16, &q, msg, sizeof msg) != W_TRAP_OK) break;
            seen[mem_addr_tag(&m, q)] = true;
        }
        for (int i = 0; i < 16; i++)
            kinds += seen[i];
        CHECK(kinds >= 10 && !seen[0]);
    }

    /* set_tag: the tag tagsrc carries (one other than t), zeroed. */
    unsigned nt = t == 9 ? 10 : 9;
    CHECK(mem_write(&m, p + 0x10, "xx", 2));
    CHECK(tag_seg_set(&m, p, 0x10, tagged(&m, 0, nt), 32, msg, sizeof msg) == W_TRAP_OK);
    CHECK(tag_lookup(&m, 0x100) == (int)nt && tag_lookup(&m, 0x110) == (int)nt);
    CHECK(mem_read(&m, tagged(&m, 0x100, nt), buf, 2) && buf[0] == 0 && buf[1] == 0);
    CHECK(!mem_read(&m, p + 0x10, buf, 2)); /* the old tag is stale */
    p = tagged(&m, 0x100, nt);

    /* free: the pointer must carry the tag; then every copy of it traps. */
    CHECK(tag_seg_free(&m, tagged(&m, 0x100, 8), 0, 32, msg, sizeof msg) == W_TRAP_TAG_MISMATCH);
    snprintf(want, sizeof want, "pointer tag 8, memory tag %u at address 0x100", nt);
    CHECK(strcmp(msg, want) == 0);
    CHECK(tag_seg_free(&m, p, 0, 32, msg, sizeof msg) == W_TRAP_OK);
    CHECK(tag_lookup(&m, 0x100) == 0 && tag_lookup(&m, 0x110) == 0);
    CHECK(!mem_read(&m, p, buf, 1));                                           /* use after free */
    CHECK(tag_seg_free(&m, p, 0, 32, msg, sizeof msg) == W_TRAP_TAG_MISMATCH); /* double free */
    CHECK(mem_read(&m, 0x100, buf, 1));

    /* Host tagging. */
    CHECK(tag_set_range(&m, 0x400, 64, 3));
    CHECK(!tag_set_range(&m, 0x408, 64, 3) && !tag_set_range(&m, 0x400, 60, 3));
    CHECK(!tag_set_range(&m, 0x400, 64, 16));
    CHECK(!tag_set_range(&m, 2 * W_PAGE_SIZE - 16, 32, 3));
    CHECK(tag_lookup(&m, tagged(&m, 0x43F, 5)) == 3 && tag_lookup(&m, 0x440) == 0);
    CHECK(tag_lookup(&m, 2 * W_PAGE_SIZE) == -1);

    /* Grown pages start untagged. */
    CHECK(mem_grow(&m, 1) == 2);
    CHECK(tag_lookup(&m, 2 * W_PAGE_SIZE + 16) == 0);
    CHECK(tag_seg_new(&m, 2 * W_PAGE_SIZE - 16, 0, 32, &q, msg, sizeof msg) == W_TRAP_OK);
    CHECK(mem_write(&m, q, "0123456789abcdef0123456789abcdef", 32)); /* across two pages */
    CHECK(tag_lookup(&m, 2 * W_PAGE_SIZE) == (int)mem_addr_tag(&m, q));
    mem_release(&m);
}

static void test_limits32(void)
{
    w_memory m;
    /* A tagged 32-bit memory holds at most 256 MiB. */
    CHECK(!mem_init(&m, W_TAG_MAX_PAGES32 + 1, 0, false, false, 0, W_MEM_FLAT | W_MEM_INIT_TAGGED,
                    NULL, NULL));
    CHECK(mem_init(&m, 1, 0, false, false, 0, W_MEM_FLAT | W_MEM_INIT_TAGGED, NULL, NULL));
    CHECK(m.max_pages == W_TAG_MAX_PAGES32);
    CHECK(mem_grow(&m, W_TAG_MAX_PAGES32) == -1);
    CHECK(mem_grow(&m, W_TAG_MAX_PAGES32 - 1) == 1);
    mem_release(&m);
    CHECK(mem_init(&m, 1, 0, false, false, 0, W_MEM_PAGED | W_MEM_INIT_TAGGED, NULL, NULL));
    CHECK(m.max_pages == W_TAG_MAX_PAGES32 && mem_grow(&m, W_TAG_MAX_PAGES32) == -1);
    mem_release(&m);
    /* memory64 is not capped by tags. */
    CHECK(mem_init(&m, 1, 8192, true, true, 0, W_MEM_FLAT | W_MEM_INIT_TAGGED, NULL, NULL));
    CHECK(m.max_pages == 8192);
    mem_release(&m);
}

/* Clones: a flat clone copies the tags; a paged clone shares frames with
 * their tags and copies both on a write of either side. */
static void test_clone(uint8_t mode)
{
    w_memory m, c;
    uint64_t p, q;
    uint8_t b[4];
    CHECK(new_mem(&m, 2, false, mode));
    CHECK(tag_seg_new(&m, 0x10000, 0, 64, &p, msg, sizeof msg) == W_TRAP_OK);
    CHECK(mem_write(&m, p, "tmpl", 4));
    memset(&c, 0, sizeof c);
    c.mode = m.mode;
    CHECK(mem_clone(&c, &m, NULL, NULL));
    CHECK(c.tagged && c.tag_any);
    CHECK(mem_read(&c, p, b, 4) && memcmp(b, "tmpl", 4) == 0);
    CHECK(!mem_read(&c, 0x10000, b, 4));
    /* The clone's segments do not touch the template's tags. */
    CHECK(tag_seg_free(&c, p, 0, 64, msg, sizeof msg) == W_TRAP_OK);
    CHECK(tag_seg_new(&c, 0x10000, 0, 32, &q, msg, sizeof msg) == W_TRAP_OK);
    CHECK(mem_read(&m, p, b, 4) && memcmp(b, "tmpl", 4) == 0);
    CHECK(tag_lookup(&m, 0x10020) == (int)mem_addr_tag(&m, p));
    CHECK(tag_lookup(&c, 0x10020) == 0);
    /* The template's writes stay its own too. */
    CHECK(tag_seg_set(&m, p, 0, 0, 64, msg, sizeof msg) == W_TRAP_OK);
    CHECK(tag_lookup(&c, 0x10000) == (int)mem_addr_tag(&c, q));
    if (mode == W_MEM_PAGED) CHECK(pg_private_frames(&c) >= 1);
    mem_release(&c);
    mem_release(&m);
}

/* Regions and transfers: tags are the frames', so every memory mapping a
 * region sees the tags any of them sets. */
static void test_regions(void)
{
    w_memory a, b;
    uint64_t p;
    uint8_t x[4];
    CHECK(new_mem(&a, 4, false, W_MEM_PAGED));
    CHECK(new_mem(&b, 4, false, W_MEM_PAGED));
    pg_region *r = pg_region_from_pages(&a, 1, 2);
    CHECK(r != NULL);
    CHECK(pg_region_map(r, &b, 2, PG_RW));
    CHECK(!b.tag_any);
    /* a segment made through a is tagged in b at once */
    CHECK(tag_seg_new(&a, 0x10000 + 0x40, 0, 32, &p, msg, sizeof msg) == W_TRAP_OK);
    CHECK(b.tag_any);
    uint64_t in_b = tagged(&b, 0x20040, mem_addr_tag(&a, p));
    CHECK(mem_write(&a, p, "abcd", 4));
    CHECK(mem_read(&b, in_b, x, 4) && memcmp(x, "abcd", 4) == 0);
    CHECK(!mem_read(&b, 0x20040, x, 4));
    /* ... and freed through b, a's pointer is stale */
    CHECK(tag_seg_free(&b, in_b, 0, 32, msg, sizeof msg) == W_TRAP_OK);
    CHECK(!mem_read(&a, p, x, 4) && mem_read(&a, 0x10040, x, 4));
    /* transfer: the tags go with the frames */
    CHECK(tag_seg_new(&a, 0x10080, 0, 16, &p, msg, sizeof msg) == W_TRAP_OK);
    w_memory c;
    CHECK(new_mem(&c, 8, false, W_MEM_PAGED));
    pg_region_unmap(r, &b);
    CHECK(pg_region_transfer(r, &a, &c, 4, true)); /* a keeps read access */
    CHECK(c.tag_any);
    CHECK(tag_lookup(&c, 0x40080) == (int)mem_addr_tag(&a, p));
    CHECK(mem_read(&c, tagged(&c, 0x40080, mem_addr_tag(&a, p)), x, 4));
    /* a's read-only mapping cannot retag */
    CHECK(tag_seg_free(&a, p, 0, 16, msg, sizeof msg) == W_TRAP_ACCESS_DENIED);
    pg_region_release(r);
    mem_release(&c);
    mem_release(&b);
    mem_release(&a);
}

/* ---- pointer authentication --------------------------------------------------------------- */

static void test_pac(void)
{
    w_instance a, b;
    uint64_t s, s2, out;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.pac_on = b.pac_on = true;
    a.pac_key[0] = 1, a.pac_key[1] = 2;
    b.pac_key[0] = 3, b.pac_key[1] = 4;
    /* No key: the instructions trap. */
    w_instance none;
    memset(&none, 0, sizeof none);
    CHECK(pac_sign(&none, true, 0x1000, &s, msg, sizeof msg) == W_TRAP_PTR_AUTH);

    /* i64 without tags: the MAC is bits 48-63. */
    CHECK(pac_sign(&a, true, 0x123456789abcull, &s, msg, sizeof msg) == W_TRAP_OK);
    CHECK((s & 0xFFFFFFFFFFFFull) == 0x123456789abcull);
    CHECK(pac_auth(&a, true, s, &out, msg, sizeof msg) == W_TRAP_OK && out == 0x123456789abcull);
    CHECK(pac_strip(&a, true, s) == 0x123456789abcull);
    CHECK(pac_auth(&b, true, s, &out, msg, sizeof msg) == W_TRAP_PTR_AUTH);     /* other instance */
    CHECK(pac_auth(&a, true, s ^ 1, &out, msg, sizeof msg) == W_TRAP_PTR_AUTH); /* changed */
    CHECK(pac_auth(&a, true, 0x123456789abcull, &out, msg, sizeof msg) == W_TRAP_PTR_AUTH);
    CHECK(pac_sign(&a, true, s, &out, msg, sizeof msg) == W_TRAP_PTR_AUTH); /* bits in use */
    CHECK(strstr(msg, "48-63") != NULL);

    /* i64 with tags: the tag bits 56-59 stay, covered by the 12-bit MAC. */
    a.pac_tags = true;
    uint64_t tp = 0x0500000000001230ull;
    CHECK(pac_sign(&a, true, tp, &s, msg, sizeof msg) == W_TRAP_OK);
    CHECK((s & 0x0F00FFFFFFFFFFFFull) == tp);
    CHECK(pac_auth(&a, true, s, &out, msg, sizeof msg) == W_TRAP_OK && out == tp);
    CHECK(pac_auth(&a, true, s ^ 0x0100000000000000ull, &out, msg, sizeof msg) ==
          W_TRAP_PTR_AUTH); /* retagged */
    CHECK(pac_sign(&a, true, 0x0001000000000000ull, &s2, msg, sizeof msg) == W_TRAP_PTR_AUTH);
    CHECK(strstr(msg, "48-55, 60-63") != NULL);
    a.pac_tags = false;

    /* i32: values below 2^16, the MAC in bits 16-31. */
    CHECK(pac_sign(&a, false, 42, &s, msg, sizeof msg) == W_TRAP_OK);
    CHECK((s & 0xFFFF) == 42 && s <= UINT32_MAX);
    CHECK(pac_auth(&a, false, s, &out, msg, sizeof msg) == W_TRAP_OK && out == 42);
    CHECK(pac_auth(&b, false, s, &out, msg, sizeof msg) == W_TRAP_PTR_AUTH);
    CHECK(pac_strip(&a, false, s) == 42);
    CHECK(pac_sign(&a, false, 0x10000, &s, msg, sizeof msg) == W_TRAP_PTR_AUTH);
    /* The i32 and i64 MACs of the same value differ (different messages). */
    CHECK(pac_sign(&a, false, 7, &s, msg, sizeof msg) == W_TRAP_OK);
    CHECK(pac_sign(&a, true, 7, &s2, msg, sizeof msg) == W_TRAP_OK);
    CHECK((s >> 16) != (s2 >> 48) || (s >> 16) == 0);

    /* A guessed MAC passes about once in 2^16: of every MAC for value 9
     * under instance b, one is right. */
    int ok = 0;
    for (uint32_t mac = 0; mac < 65536; mac++)
        ok += pac_auth(&b, false, 9 | mac << 16, &out, msg, sizeof msg) == W_TRAP_OK;
    CHECK(ok == 1);
}

int main(void)
{
    test_siphash();
    test_segments(W_MEM_FLAT, false);
    test_segments(W_MEM_PAGED, false);
    test_segments(W_MEM_FLAT, true);
    test_segments(W_MEM_PAGED, true);
    test_limits32();
    test_clone(W_MEM_FLAT);
    test_clone(W_MEM_PAGED);
    test_regions();
    test_pac();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
