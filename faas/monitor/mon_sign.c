/* mon_sign.c - the monitor's Ed25519 signatures on receipts, with their
 * expensive half computed ahead of time (docs/attest.md, "Receipt
 * signatures").
 *
 * An Ed25519 signature of M under the secret scalar a (public key
 * A = a*B) is (R, S) with R = r*B and S = r + k*a mod L, where
 * k = SHA-512(R || A || M) mod L. A verifier (crypto_sign_verify_detached)
 * checks S*B = R + k*A and never learns how r was chosen: RFC 8032 derives
 * r from a secret prefix and M (deterministic), hedged and XEdDSA-style
 * signers mix in fresh randomness; both verify the same way. What costs
 * time is R = r*B, a fixed-base scalar multiplication that does not depend
 * on M. Here a thread computes (r, R) pairs into a small pool in
 * sodium_malloc'ed memory; a receipt takes one pair and pays only one
 * SHA-512 and two scalar operations. Everything is libsodium's documented
 * primitives (crypto_scalarmult_ed25519_base_noclamp and the
 * crypto_core_ed25519_scalar_* functions); no field or group arithmetic
 * is written here.
 *
 * The one rule that matters: a nonce r must never sign two messages (two
 * signatures with one r and different k give a = (S1 - S2) / (k1 - k2)).
 * So r comes from 64 fresh random bytes, hashed with the signer's secret
 * prefix and a counter that never repeats in this process (a repeated
 * or predictable random source alone cannot repeat or reveal r), and each pair
 * is taken out of the pool under its lock and wiped from it before it is
 * used, then wiped after. The monitor never forks; the pool lives only in
 * this process's locked memory, wiped on exit with the keys.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define POOL 256u /* pairs kept ready */
#define LOW 128u  /* the thread refills below this */

typedef struct nonce_pair {
    uint8_t r[32], R[32];
} nonce_pair;

/* Secrets, in sodium_malloc'ed memory (locked, guarded, not in core dumps). */
typedef struct sign_secrets {
    uint8_t a[32];      /* the secret scalar, reduced mod L */
    uint8_t prefix[32]; /* the second half of SHA-512(seed): the signer's nonce key */
    nonce_pair pool[POOL];
} sign_secrets;

static struct {
    sign_secrets *sec;
    uint8_t pk[32];
    uint64_t counter; /* nonces made (under lock) */
    uint32_t n;       /* pairs in the pool */
    pthread_mutex_t lock;
    pthread_cond_t cv;
    bool started;
    uint64_t inline_made, refill_ns; /* counters */
} ms = {.lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The refill thread's own CPU time (not the time it waits for a core at its lower priority). */
static uint64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One fresh pair: r = SHA-512(prefix || 64 random bytes || counter) mod L,
 * never 0, and R = r*B. */
static void pair_make(nonce_pair *p)
{
    pthread_mutex_lock(&ms.lock);
    uint64_t c = ms.counter++;
    pthread_mutex_unlock(&ms.lock);
    uint8_t z[64], h[64], cb[8];
    for (int i = 0; i < 8; i++)
        cb[i] = (uint8_t)(c >> (8 * i));
    do {
        randombytes_buf(z, sizeof z);
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, ms.sec->prefix, 32);
        crypto_hash_sha512_update(&st, z, sizeof z);
        crypto_hash_sha512_update(&st, cb, sizeof cb);
        crypto_hash_sha512_final(&st, h);
        sodium_memzero(&st, sizeof st);
        crypto_core_ed25519_scalar_reduce(p->r, h);
        /* base_noclamp refuses r = 0 (and so an identity R) */
    } while (sodium_is_zero(p->r, 32) || crypto_scalarmult_ed25519_base_noclamp(p->R, p->r) != 0);
    sodium_memzero(z, sizeof z);
    sodium_memzero(h, sizeof h);
}

static void *refill_main(void *arg)
{
    (void)arg;
    /* Below the workers: a request never waits for a refill (an empty pool
     * makes its pair inline), and the refill takes idle time first. Set
     * here, before the sandbox forbids setpriority. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    pthread_mutex_lock(&ms.lock);
    ms.started = true;
    pthread_cond_broadcast(&ms.cv);
    for (;;) {
        while (ms.n >= LOW)
            pthread_cond_wait(&ms.cv, &ms.lock);
        while (ms.n < POOL) {
            pthread_mutex_unlock(&ms.lock);
            uint64_t t0 = thread_ns();
            nonce_pair p;
            pair_make(&p);
            uint64_t dt = thread_ns() - t0;
            pthread_mutex_lock(&ms.lock);
            ms.sec->pool[ms.n++] = p;
            ms.refill_ns += dt;
            sodium_memzero(&p, sizeof p);
        }
    }
    return NULL;
}

/* Signs m with the pool's next pair (or one made now): R || S into sig. */
static void sign_with_pool(uint8_t sig[64], const uint8_t *m, size_t n)
{
    nonce_pair p;
    bool have = false;
    pthread_mutex_lock(&ms.lock);
    if (ms.n) {
        /* taken out and wiped in the pool before anyone else can see it */
        ms.n--;
        p = ms.sec->pool[ms.n];
        sodium_memzero(&ms.sec->pool[ms.n], sizeof p);
        have = true;
    } else
        ms.inline_made++;
    if (ms.n < LOW) pthread_cond_signal(&ms.cv);
    pthread_mutex_unlock(&ms.lock);
    if (!have) pair_make(&p);
    uint8_t h[64], k[32], ka[32];
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, p.R, 32);
    crypto_hash_sha512_update(&st, ms.pk, 32);
    crypto_hash_sha512_update(&st, m, n);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(k, h);
    crypto_core_ed25519_scalar_mul(ka, k, ms.sec->a);
    memcpy(sig, p.R, 32);
    crypto_core_ed25519_scalar_add(sig + 32, p.r, ka);
    sodium_memzero(&p, sizeof p);
    sodium_memzero(ka, sizeof ka);
    sodium_memzero(&st, sizeof st);
}

bool mon_sign_init(const uint8_t sk[64], char *why, size_t cap)
{
    ms.sec = sodium_malloc(sizeof *ms.sec);
    if (!ms.sec) return snprintf(why, cap, "out of memory for the signing pool"), false;
    sodium_memzero(ms.sec, sizeof *ms.sec);
    /* The secret scalar as Ed25519 derives it (SHA-512 of the seed, clamped:
     * what sk_to_curve25519 returns), reduced mod L; the nonce key is the
     * hash's other half, as in RFC 8032. */
    uint8_t h[64], wide[64] = {0};
    crypto_hash_sha512(h, sk, 32);
    memcpy(ms.sec->prefix, h + 32, 32);
    crypto_sign_ed25519_sk_to_curve25519(wide, sk);
    crypto_core_ed25519_scalar_reduce(ms.sec->a, wide);
    sodium_memzero(h, sizeof h);
    sodium_memzero(wide, sizeof wide);
    crypto_sign_ed25519_sk_to_pk(ms.pk, sk);
    /* Refuse to start if a signature made this way does not verify as Ed25519. */
    static const uint8_t probe[] = "ward: receipt signer self-test";
    uint8_t sig[64];
    sign_with_pool(sig, probe, sizeof probe);
    ms.inline_made = 0;
    if (crypto_sign_verify_detached(sig, probe, sizeof probe, ms.pk) != 0)
        return snprintf(why, cap, "the receipt signer's self-test signature does not verify"),
               false;
    return true;
}

bool mon_sign_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, refill_main, NULL)) return false;
    pthread_detach(t);
    pthread_mutex_lock(&ms.lock);
    while (!ms.started)
        pthread_cond_wait(&ms.cv, &ms.lock);
    pthread_mutex_unlock(&ms.lock);
    return true;
}

void mon_sign_detached(uint8_t sig[64], const uint8_t *m, size_t n)
{
    sign_with_pool(sig, m, n);
}

void mon_sign_pool_drain(void)
{
    pthread_mutex_lock(&ms.lock);
    sodium_memzero(ms.sec->pool, sizeof ms.sec->pool);
    ms.n = 0;
    pthread_mutex_unlock(&ms.lock);
}

void mon_sign_wipe(void)
{
    /* no lock: called on exit paths, from a signal handler too */
    if (ms.sec) sodium_memzero(ms.sec, sizeof *ms.sec);
}

uint32_t mon_sign_counts(uint64_t *made, uint64_t *inl, uint64_t *refill_ns)
{
    pthread_mutex_lock(&ms.lock);
    uint32_t n = ms.n;
    *made = ms.counter;
    *inl = ms.inline_made;
    *refill_ns = ms.refill_ns;
    pthread_mutex_unlock(&ms.lock);
    return n;
}

void mon_sign_stats(proto_buf *b)
{
    uint64_t made, inl, ns;
    uint32_t n = mon_sign_counts(&made, &inl, &ns);
    mon_stat(b, "ward_monitor_receipt_nonces_total %llu", (unsigned long long)made);
    mon_stat(b, "ward_monitor_receipt_nonces_inline_total %llu", (unsigned long long)inl);
    mon_stat(b, "ward_monitor_receipt_nonces_ready %u", n);
    mon_stat(b, "ward_monitor_receipt_nonce_seconds_total %.9f", (double)ns / 1e9);
}
