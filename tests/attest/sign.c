/* sign.c - the monitor's receipt signer (faas/monitor/mon_sign.c), alone:
 * its signatures are Ed25519 signatures (crypto_sign_verify_detached and
 * the client's att_receipt_verify accept them), no two share a nonce R,
 * a changed receipt is refused, and the inline path (an empty pool) and
 * the pool path both sign; the client's verifier thread (wcs_verifier)
 * accepts them all and counts each changed one. Prints "N checks passed" or the first failure. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest.h"
#include "client/seal.h"
#include "monitor/monitor.h"

void mon_stat(proto_buf *b, const char *fmt, ...)
{
    (void)b;
    (void)fmt;
}

#define N 600 /* receipts per phase: more than the pool holds */

static int checks;
static uint8_t seen[3 * N][32];
static int nseen;

#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            fprintf(stderr, "sign: " __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* n receipts over random hashes, signed back to back (so that a drained
 * pool cannot be refilled between them), then checked: each verifies both
 * ways, each changed byte class is refused; their R are kept for the
 * uniqueness check. */
static void receipts(const uint8_t pk[32], int n, const char *phase)
{
    static struct {
        uint8_t subject[ATT_HASH], in[ATT_HASH], out[ATT_HASH], rc[ATT_RECEIPT], m[ATT_RECEIPT_MSG];
    } r[N];
    for (int i = 0; i < n; i++) {
        randombytes_buf(r[i].subject, ATT_HASH);
        randombytes_buf(r[i].in, ATT_HASH);
        randombytes_buf(r[i].out, ATT_HASH);
        att_receipt_body(r[i].rc, r[i].m, r[i].subject, r[i].in, r[i].out, pk);
    }
    for (int i = 0; i < n; i++)
        mon_sign_detached(r[i].rc + ATT_RECEIPT - ATT_SIG, r[i].m, ATT_RECEIPT_MSG);
    for (int i = 0; i < n; i++) {
        uint8_t *subject = r[i].subject, *in = r[i].in, *out = r[i].out, *rc = r[i].rc, *m = r[i].m;
        uint8_t *sig = rc + ATT_RECEIPT - ATT_SIG;
        const char *why = "";
        CHECK(crypto_sign_verify_detached(sig, m, ATT_RECEIPT_MSG, pk) == 0,
              "%s %d: crypto_sign_verify_detached refuses the signature", phase, i);
        CHECK(att_receipt_verify(rc, pk, subject, in, out, &why), "%s %d: the client refuses: %s",
              phase, i, why);
        memcpy(seen[nseen++], sig, 32);
        /* a flipped bit anywhere in the receipt, or other expectations */
        size_t at = randombytes_uniform(ATT_RECEIPT);
        uint8_t bad[ATT_RECEIPT];
        memcpy(bad, rc, sizeof bad);
        bad[at] ^= (uint8_t)(1u << randombytes_uniform(8));
        CHECK(!att_receipt_verify(bad, pk, subject, in, out, &why),
              "%s %d: a receipt changed at byte %zu is accepted", phase, i, at);
        uint8_t other[ATT_HASH];
        memcpy(other, out, sizeof other);
        other[i % ATT_HASH] ^= 1;
        CHECK(!att_receipt_verify(rc, pk, subject, in, other, &why),
              "%s %d: a receipt for another output is accepted", phase, i);
        /* S + L is the same scalar, not canonical: refused (malleability) */
        memcpy(bad, rc, sizeof bad);
        static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                      0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                      0,    0,    0,    0,    0,    0,    0,    0,
                                      0,    0,    0,    0,    0,    0,    0,    0x10};
        uint8_t *s = bad + ATT_RECEIPT - 32;
        unsigned carry = 0;
        for (int k = 0; k < 32; k++) {
            carry += s[k] + L[k];
            s[k] = (uint8_t)carry;
            carry >>= 8;
        }
        CHECK(!att_receipt_verify(bad, pk, subject, in, out, &why), "%s %d: S + L is accepted",
              phase, i);
    }
}

/* A sealed reply of REPLY_PLAIN bytes for pend, as the monitor makes it
 * (mon_attest_seal), its receipt signed by mon_sign over the request's
 * and the reply's hashes. */
#define REPLY_PLAIN 100
#define REPLY (ATT_RSP_CHUNKS + 4 + REPLY_PLAIN + ATT_TAG)
static void make_reply(uint8_t out[REPLY], const wcs_pending *pend, const uint8_t *req,
                       size_t req_len, const uint8_t pk[32], const uint8_t key[ATT_KEY])
{
    uint8_t plain[REPLY_PLAIN], h[32], in_hash[ATT_HASH], out_hash[ATT_HASH], m[ATT_RECEIPT_MSG];
    randombytes_buf(plain, sizeof plain);
    memset(out, 0, ATT_RSP_CHUNKS);
    memcpy(out, "WARDRSP1", 8);
    out[8] = 1; /* one chunk */
    memcpy(out + 16, pend->nonce, ATT_XNONCE);
    randombytes_buf(out + 40, ATT_XNONCE);
    att_rsp_ad_hash(h, out, pend->subject);
    att_chunk_seal(out + ATT_RSP_CHUNKS, plain, sizeof plain, key, out + 40, h, 0, true);
    att_hash(in_hash, req, req_len);
    att_hash(out_hash, out + ATT_RSP_CHUNKS, REPLY - ATT_RSP_CHUNKS);
    att_receipt_body(out + ATT_RSP_HDR, m, pend->subject, in_hash, out_hash, pk);
    mon_sign_detached(out + ATT_RSP_HDR + ATT_RECEIPT - ATT_SIG, m, sizeof m);
}

int main(void)
{
    char why[200];
    if (sodium_init() < 0) return 2;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    CHECK(mon_sign_init(sk, why, sizeof why), "init: %s", why);
    uint64_t made, inl, ns;

    /* 1: no thread yet, so the pool is empty: every pair is made inline. */
    receipts(pk, N, "inline");
    CHECK(mon_sign_counts(&made, &inl, &ns) == 0 && inl == N, "inline: %llu of %d made inline",
          (unsigned long long)inl, N);

    /* 2: the thread fills the pool; receipts take pairs from it. */
    CHECK(mon_sign_start(), "the refill thread does not start");
    struct timespec nap = {0, 5000000};
    for (int t = 0; t < 2000 && mon_sign_counts(&made, &inl, &ns) < 200; t++)
        nanosleep(&nap, NULL);
    CHECK(mon_sign_counts(&made, &inl, &ns) >= 200, "the pool does not fill");
    receipts(pk, N, "pool");
    uint64_t made2, inl2;
    mon_sign_counts(&made2, &inl2, &ns);
    CHECK(inl2 - inl < N, "pool: every pair was made inline (%llu)",
          (unsigned long long)(inl2 - inl));
    CHECK(ns > 0, "pool: the refill thread's time is not counted");

    /* 3: drained under load: pool and inline pairs mixed, still correct. */
    for (int i = 0; i < N; i += 50) {
        mon_sign_pool_drain();
        receipts(pk, 50, "drained");
    }
    uint64_t inl3;
    mon_sign_counts(&made, &inl3, &ns);
    CHECK(inl3 > inl2, "drained: no pair was made inline");

    /* Every nonce R differs (a repeated r would give the key away). */
    qsort(seen, (size_t)nseen, 32, cmp32);
    for (int i = 1; i < nseen; i++)
        CHECK(memcmp(seen[i - 1], seen[i], 32), "two signatures share the nonce R");

    /* The client's verifier thread: every good receipt passes, every changed
     * request, reply or receipt is counted. */
    wcs_session sess;
    memset(&sess, 0, sizeof sess);
    memcpy(sess.sign_pk, pk, 32);
    wcs_verifier *v = wcs_verifier_new(&sess);
    CHECK(v, "no verifier thread");
    int bad = 0;
    for (int i = 0; i < N; i++) {
        wcs_pending pend;
        uint8_t req[300], rsp[REPLY], key[ATT_KEY];
        randombytes_buf(&pend, sizeof pend);
        randombytes_buf(req, sizeof req);
        randombytes_buf(key, sizeof key);
        make_reply(rsp, &pend, req, sizeof req, pk, key);
        if (i % 7 == 3) {
            /* the request, the receipt or the reply's ciphertext changed */
            uint8_t *what[3] = {req + randombytes_uniform(sizeof req),
                                rsp + ATT_RSP_HDR + randombytes_uniform(ATT_RECEIPT),
                                rsp + ATT_RSP_CHUNKS + 4 + randombytes_uniform(REPLY_PLAIN + 16)};
            *what[i % 3] ^= 0x10;
            bad++;
        }
        CHECK(wcs_verifier_push(v, &pend, req, sizeof req, rsp, sizeof rsp), "verifier: push");
    }
    uint64_t checked = 0, cpu = 0, failed = wcs_verifier_free(v, &checked, &cpu, why, sizeof why);
    CHECK(checked == N && failed == (uint64_t)bad,
          "verifier: %llu of %llu refused, %d were changed (%s)", (unsigned long long)failed,
          (unsigned long long)checked, bad, why);
    CHECK(cpu > 0, "verifier: no CPU time counted");

    /* Wiped: the secret scalar is gone, a signature no longer verifies. */
    mon_sign_wipe();
    uint8_t m[16] = "after the wipe", sig[64];
    mon_sign_detached(sig, m, sizeof m);
    CHECK(crypto_sign_verify_detached(sig, m, sizeof m, pk) != 0, "wipe: the key still signs");
    printf("%d signatures, %llu pairs made (%llu inline), all R distinct: %d checks passed\n",
           nseen, (unsigned long long)made, (unsigned long long)inl3, checks);
    return 0;
}
