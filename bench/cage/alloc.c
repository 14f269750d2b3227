/* alloc.c - an allocation-heavy program whose allocator can use Cage's
 * segments, for bench/cage.sh ("segments/plain").
 *
 * Built twice from this source: plain, and with -DSEGMENTS, where every
 * block the allocator hands out is a segment (ward_segment_new: a fresh
 * tag, different from its neighbours') and every block it takes back is
 * retagged free (ward_segment_free) before it goes on its free list, so an
 * overflow into a neighbour or a use after free traps. The allocator is the
 * same in both builds (size classes of 16-byte granules, free lists, a bump
 * region), so their difference is the segments and the tag checks alone.
 * Run the plain build with `ward run` and the other with `ward run -W
 * mem-safety`; the checksums must agree.
 *
 *   alloc.wasm trees|table|churn
 *     trees  binary trees of depth 16 built, checked and freed (two
 *            pointers per node: one granule), as in binary-trees
 *     table  a chained hash table of string keys: inserts, lookups and
 *            deletes with keys of 4-60 bytes
 *     churn  4096 live blocks of 16-1024 bytes replaced at random, each
 *            written whole and read back
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../progs/bench.h"

#ifdef SEGMENTS
#include "ward_guest_cage.h"
#define SEG_NEW(p, n) ward_segment_new((p), (n))
#define SEG_FREE(p, n) ward_segment_free((p), (n))
#define UNTAG(p) WARD_UNTAGGED(p)
#else
#define SEG_NEW(p, n) (p)
#define SEG_FREE(p, n) ((void)(p), (void)(n))
#define UNTAG(p) ((void *)(p))
#endif

/* ---- the allocator ------------------------------------------------------------ */

#define CLASSES 64 /* blocks of 1..64 granules */
static _Alignas(16) unsigned char heap[48u << 20];
static uint32_t top;
static void *free_list[CLASSES + 1];

static uint32_t granules(uint32_t n)
{
    return n ? (n + 15) / 16 : 1;
}

static void *xmalloc(uint32_t n)
{
    uint32_t g = granules(n);
    void *p = g <= CLASSES ? free_list[g] : NULL;
    if (p) {
        /* The free block is tag 0: its link is read through the plain address. */
        free_list[g] = *(void **)p;
    } else {
        if (top + g * 16 > sizeof heap) {
            fprintf(stderr, "out of heap\n");
            exit(2);
        }
        p = heap + top;
        top += g * 16;
    }
    p = SEG_NEW(p, g * 16);
#ifndef SEGMENTS
    memset(p, 0, g * 16); /* segment.new zeroes; so does the plain build */
#endif
    return p;
}

static void xfree(void *p, uint32_t n)
{
    uint32_t g = granules(n);
    SEG_FREE(p, g * 16);
    p = UNTAG(p);
    if (g <= CLASSES) {
        *(void **)p = free_list[g];
        free_list[g] = p;
    }
}

/* ---- trees ------------------------------------------------------------------------ */

typedef struct tnode {
    struct tnode *l, *r;
} tnode;

static tnode *tree(int depth)
{
    tnode *t = xmalloc(sizeof *t);
    if (depth > 0) {
        t->l = tree(depth - 1);
        t->r = tree(depth - 1);
    }
    return t;
}

static uint32_t check(const tnode *t)
{
    return t->l ? 1 + check(t->l) + check(t->r) : 1;
}

static void drop(tnode *t)
{
    if (t->l) {
        drop(t->l);
        drop(t->r);
    }
    xfree(t, sizeof *t);
}

static uint64_t run_trees(void)
{
    uint64_t h = BENCH_SEED;
    tnode *longlived = tree(14);
    for (int round = 0; round < 12; round++) {
        tnode *t = tree(16);
        h = bench_mix(h, check(t));
        drop(t);
    }
    h = bench_mix(h, check(longlived));
    drop(longlived);
    return h;
}

/* ---- a hash table of strings ---------------------------------------------------------- */

typedef struct entry {
    struct entry *next;
    uint32_t len, value;
    char key[];
} entry;

#define BUCKETS 4096

static uint32_t hash(const char *k, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)k[i]) * 16777619u;
    return h;
}

static uint64_t run_table(void)
{
    entry **b = xmalloc(BUCKETS * sizeof *b);
    uint32_t s = 99, live = 0;
    uint64_t h = BENCH_SEED;
    char key[64];
    for (int op = 0; op < 200000; op++) {
        uint32_t n = 4 + bench_rand(&s) % 57, kid = bench_rand(&s) % 20000;
        for (uint32_t i = 0; i < n; i++)
            key[i] = (char)('a' + (kid * 7 + i * 13) % 26);
        uint32_t at = hash(key, n) % BUCKETS;
        entry **pp = &b[at];
        while (*pp && ((*pp)->len != n || memcmp((*pp)->key, key, n) != 0))
            pp = &(*pp)->next;
        uint32_t what = bench_rand(&s) % 3;
        if (*pp && what == 0) { /* delete */
            entry *e = *pp;
            *pp = e->next;
            h = bench_mix(h, e->value);
            xfree(e, sizeof *e + e->len);
            live--;
        } else if (*pp) { /* look up and update */
            (*pp)->value += kid;
            h = bench_mix(h, (*pp)->value);
        } else { /* insert */
            entry *e = xmalloc(sizeof *e + n);
            e->len = n;
            e->value = kid;
            memcpy(e->key, key, n);
            e->next = b[at];
            b[at] = e;
            live++;
        }
    }
    for (uint32_t i = 0; i < BUCKETS; i++) {
        while (b[i]) {
            entry *e = b[i];
            b[i] = e->next;
            h = bench_mix(h, e->value + e->len);
            xfree(e, sizeof *e + e->len);
        }
    }
    xfree(b, BUCKETS * sizeof *b);
    return bench_mix(h, live);
}

/* ---- churn --------------------------------------------------------------------------- */

#define LIVE 4096

static uint64_t run_churn(void)
{
    static unsigned char *blk[LIVE];
    static uint32_t len[LIVE];
    uint32_t s = 7;
    uint64_t h = BENCH_SEED;
    for (int i = 0; i < LIVE; i++) {
        len[i] = 16 + bench_rand(&s) % 1009;
        blk[i] = xmalloc(len[i]);
    }
    for (int op = 0; op < 200000; op++) {
        uint32_t i = bench_rand(&s) % LIVE;
        uint32_t sum = 0;
        for (uint32_t k = 0; k < len[i]; k += 8)
            sum += blk[i][k];
        h = bench_mix(h, sum);
        xfree(blk[i], len[i]);
        len[i] = 16 + bench_rand(&s) % 1009;
        blk[i] = xmalloc(len[i]);
        memset(blk[i], (int)(op & 0xff), len[i]);
    }
    for (int i = 0; i < LIVE; i++)
        xfree(blk[i], len[i]);
    return h;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "trees";
    double t0 = bench_now_ms();
    uint64_t h;
    if (!strcmp(what, "trees"))
        h = run_trees();
    else if (!strcmp(what, "table"))
        h = run_table();
    else if (!strcmp(what, "churn"))
        h = run_churn();
    else {
        fprintf(stderr, "usage: alloc trees|table|churn\n");
        return 2;
    }
    bench_report(h, bench_now_ms() - t0);
    return 0;
}
