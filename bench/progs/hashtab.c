/* hashtab.c - hash tables: open addressing with linear probing and
 * tombstones for uint32 keys (insert, lookup, delete), and a chained table
 * counting string keys. */
#include "bench.h"

#define CAP (1u << 18)
#define KEYS 150000
#define ROUNDS 6

static uint32_t keys[CAP];
static uint32_t vals[CAP];
static uint8_t used[CAP]; /* 0 empty, 1 full, 2 tombstone */

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static void oa_put(uint32_t k, uint32_t v)
{
    uint32_t i = hash32(k) & (CAP - 1), tomb = CAP;
    while (used[i]) {
        if (used[i] == 1 && keys[i] == k) {
            vals[i] = v;
            return;
        }
        if (used[i] == 2 && tomb == CAP) tomb = i;
        i = (i + 1) & (CAP - 1);
    }
    if (tomb != CAP) i = tomb;
    used[i] = 1;
    keys[i] = k;
    vals[i] = v;
}

static int oa_get(uint32_t k, uint32_t *v)
{
    uint32_t i = hash32(k) & (CAP - 1);
    while (used[i]) {
        if (used[i] == 1 && keys[i] == k) {
            *v = vals[i];
            return 1;
        }
        i = (i + 1) & (CAP - 1);
    }
    return 0;
}

static void oa_del(uint32_t k)
{
    uint32_t i = hash32(k) & (CAP - 1);
    while (used[i]) {
        if (used[i] == 1 && keys[i] == k) {
            used[i] = 2;
            return;
        }
        i = (i + 1) & (CAP - 1);
    }
}

/* Chained table of short strings. */
#define BUCKETS 4096
#define WORDS 60000

typedef struct entry {
    struct entry *next;
    uint32_t count;
    char word[12];
} entry;

static entry *bucket[BUCKETS];

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static void count_word(const char *w, entry *pool, uint32_t *npool)
{
    uint32_t b = hash_str(w) & (BUCKETS - 1);
    for (entry *e = bucket[b]; e; e = e->next)
        if (strcmp(e->word, w) == 0) {
            e->count++;
            return;
        }
    entry *e = &pool[(*npool)++];
    strcpy(e->word, w);
    e->count = 1;
    e->next = bucket[b];
    bucket[b] = e;
}

int main(void)
{
    uint32_t *ks = bench_alloc(KEYS * sizeof(uint32_t));
    uint32_t s = 271828;
    for (uint32_t i = 0; i < KEYS; i++)
        ks[i] = bench_rand(&s);
    char *words = bench_alloc(WORDS * 8);
    for (uint32_t i = 0; i < WORDS; i++) {
        uint32_t r = bench_rand(&s) % 20000; /* repeated words */
        snprintf(words + i * 8, 8, "w%u", (unsigned)r);
    }
    entry *pool = bench_alloc(WORDS * sizeof(entry));
    uint32_t npool = 0;

    uint64_t h = BENCH_SEED;
    double t0 = bench_now_ms();
    for (int round = 0; round < ROUNDS; round++) {
        for (uint32_t i = 0; i < KEYS; i++)
            oa_put(ks[i] ^ (uint32_t)round, i);
        uint32_t found = 0, sum = 0, v;
        for (uint32_t i = 0; i < KEYS * 2; i++)
            if (oa_get(ks[i % KEYS] ^ (uint32_t)(round + (i & 1)), &v)) {
                found++;
                sum += v;
            }
        for (uint32_t i = 0; i < KEYS; i += 2)
            oa_del(ks[i] ^ (uint32_t)round);
        for (uint32_t i = 0; i < KEYS; i++)
            if (oa_get(ks[i] ^ (uint32_t)round, &v)) {
                found++;
                sum ^= v;
            }
        h = bench_mix(bench_mix(h, found), sum);
        /* Start the next round empty: tombstones never turn back into empty
         * slots, so without this the table would fill up. */
        memset(used, 0, sizeof used);
    }
    for (int rep = 0; rep < 4; rep++)
        for (uint32_t i = 0; i < WORDS; i++)
            count_word(words + i * 8, pool, &npool);
    double t1 = bench_now_ms();

    uint32_t maxc = 0;
    for (uint32_t i = 0; i < npool; i++)
        if (pool[i].count > maxc) maxc = pool[i].count;
    h = bench_mix(bench_mix(h, npool), maxc);
    bench_report(h, t1 - t0);
    free(ks);
    free(words);
    free(pool);
    return 0;
}
