/* ptrchase.c - pointer chasing: a singly linked list laid out in random order
 * and traversed many times, then binary trees built and freed with malloc
 * (as in the Benchmarks Game binary-trees). */
#include "bench.h"

#define NODES 50000
#define LAPS 100
#define MAX_DEPTH 15

typedef struct lnode {
    struct lnode *next;
    uint32_t val;
} lnode;

typedef struct tnode {
    struct tnode *left, *right;
} tnode;

static tnode *tree_new(int depth)
{
    tnode *t = bench_alloc(sizeof *t);
    if (depth > 0) {
        t->left = tree_new(depth - 1);
        t->right = tree_new(depth - 1);
    } else {
        t->left = t->right = NULL;
    }
    return t;
}

static uint32_t tree_check(const tnode *t)
{
    return t->left ? 1 + tree_check(t->left) + tree_check(t->right) : 1;
}

static void tree_free(tnode *t)
{
    if (t->left) {
        tree_free(t->left);
        tree_free(t->right);
    }
    free(t);
}

int main(void)
{
    lnode *pool = bench_alloc(NODES * sizeof(lnode));
    uint32_t *perm = bench_alloc(NODES * sizeof(uint32_t));
    uint32_t s = 1234567;
    for (uint32_t i = 0; i < NODES; i++)
        perm[i] = i;
    for (uint32_t i = NODES - 1; i > 0; i--) {
        uint32_t j = bench_rand(&s) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < NODES; i++) {
        pool[perm[i]].next = i + 1 < NODES ? &pool[perm[i + 1]] : NULL;
        pool[perm[i]].val = bench_rand(&s) & 0xffff;
    }
    lnode *head = &pool[perm[0]];

    uint64_t h = BENCH_SEED;
    double t0 = bench_now_ms();
    for (int lap = 0; lap < LAPS; lap++) {
        uint32_t sum = 0;
        for (lnode *p = head; p; p = p->next)
            sum += p->val ^ (uint32_t)lap;
        h = bench_mix(h, sum);
    }
    tnode *longlived = tree_new(MAX_DEPTH);
    for (int d = 4; d <= MAX_DEPTH; d += 2) {
        uint32_t iters = 1u << (MAX_DEPTH - d + 4), check = 0;
        for (uint32_t i = 0; i < iters; i++) {
            tnode *t = tree_new(d);
            check += tree_check(t);
            tree_free(t);
        }
        h = bench_mix(h, check);
    }
    h = bench_mix(h, tree_check(longlived));
    tree_free(longlived);
    double t1 = bench_now_ms();

    bench_report(h, t1 - t0);
    free(pool);
    free(perm);
    return 0;
}
