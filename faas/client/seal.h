/* seal.h - the client's side of attestation and end-to-end encryption
 * (docs/attest.md): checking a node's evidence, pinning what it checked,
 * sealing inputs to the attested monitor and opening its sealed replies
 * and receipts. libsodium only; HTTP through client.h. */
#ifndef WARD_FAAS_CLIENT_SEAL_H
#define WARD_FAAS_CLIENT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest.h"
#include "client.h"

typedef struct wcs_opts {
    const char *expect;         /* --expect-measurement HEX (the function or chain) */
    const char *expect_monitor; /* --expect-monitor HEX */
    const char *platform;       /* --platform-key HEX, or a file holding it */
    const char *cache;          /* the cache folder; NULL: $WARD_ATTEST_CACHE or ~/.cache/ward */
    bool verbose, quiet;
} wcs_opts;

/* A verified monitor: its evidence and what the checks found. */
typedef struct wcs_peer {
    att_evidence ev;
    bool cached;       /* the same identity as the cache's last check */
    bool pinned_first; /* the subject's measurement was pinned now (first use) */
    char notes[512];   /* what was checked, for `ward client attest` and -v */
} wcs_peer;

/* Asks the node for evidence about kind ("functions", "chains" or NULL
 * for the monitor alone) NAME with a fresh nonce and checks it: the
 * monitor's signature, the nonce, the platform (pinned key or first use),
 * the expected monitor and subject measurements (the option, or the one
 * pinned at deploy or first use). False with why (a refusal) and *status
 * 1 (refused or the node's error) or 3 (unreachable). */
bool wcs_attest(const wc_conn *c, const char *kind, const char *name, const wcs_opts *o,
                wcs_peer *p, int *status, char *why, size_t cap);
/* Checks evidence bytes for nonce (the part of wcs_attest after HTTP). */
bool wcs_verify(const wc_conn *c, const uint8_t *ev, size_t n, const uint8_t nonce[ATT_NONCE],
                const char *kind, const char *name, const wcs_opts *o, wcs_peer *p, char *why,
                size_t cap);
/* Pins a measurement for kind/name on this node (after a deploy); NULL
 * forgets it (a chain redefined, a function removed: the next use pins). */
bool wcs_pin(const wc_conn *c, const wcs_opts *o, const char *kind, const char *name,
             const uint8_t m[ATT_HASH]);
/* Forgets the cached identity of the node (its keys changed). */
void wcs_forget(const wc_conn *c, const wcs_opts *o);

/* A session with an attested monitor: an ephemeral X25519 key. */
typedef struct wcs_session {
    uint8_t pk[ATT_PK], sk[ATT_KEY];
    att_session keys;
    uint8_t kx_pk[ATT_PK], sign_pk[ATT_PK];
} wcs_session;

/* What a reply is checked against. */
typedef struct wcs_pending {
    uint8_t nonce[ATT_XNONCE], in_hash[ATT_HASH], subject[ATT_HASH];
} wcs_pending;

bool wcs_session_new(wcs_session *s, const att_evidence *e);
void wcs_session_wipe(wcs_session *s);
/* A sealed request (malloc'ed, *len bytes); pend records what the reply
 * is checked against, the request's hash included. wcs_seal_unhashed
 * leaves pend->in_hash zero: for a request whose receipt a wcs_verifier
 * checks (it hashes the request there, off the request's path). */
uint8_t *wcs_seal(const wcs_session *s, const uint8_t subject[ATT_HASH], uint32_t flags,
                  const uint8_t *plain, size_t plen, size_t *len, wcs_pending *pend);
uint8_t *wcs_seal_unhashed(const wcs_session *s, const uint8_t subject[ATT_HASH], uint32_t flags,
                           const uint8_t *plain, size_t plen, size_t *len, wcs_pending *pend);
/* Opens a sealed reply: the receipt verified, the output decrypted into a
 * malloc'ed *plain (NUL-terminated, *plen bytes). False with why.
 * wcs_open_unchecked leaves the receipt alone (for a wcs_verifier): the
 * AEAD still proves that the output comes from the attested monitor and
 * answers this request. */
bool wcs_open(const wcs_session *s, const wcs_pending *pend, const uint8_t *rsp, size_t n,
              uint8_t **plain, size_t *plen, char *why, size_t cap);
bool wcs_open_unchecked(const wcs_session *s, const wcs_pending *pend, const uint8_t *rsp, size_t n,
                        uint8_t **plain, size_t *plen, char *why, size_t cap);

/* A receipt verifier: a thread that checks receipts handed to it as they
 * arrive, so that a client sending many requests does not wait for each
 * check (two hashes and an Ed25519 verification) before the next request,
 * yet pays for every check in the same run. Sound where the output may be
 * used before its receipt is checked: the AEAD (keyed through the attested
 * monitor's exchange key) already proves to this client that the output
 * comes from the attested monitor for this request; the receipt is what
 * proves it to others. `ward client invoke` checks inline instead
 * (wcs_open). The thread runs at nice +10: when cores are scarce the
 * requests go first and the checks wait.
 * wcs_verifier_new: NULL if out of memory or no thread.
 * push: copies pend (from wcs_seal_unhashed or wcs_seal), the sealed
 * request and the sealed reply (opened with wcs_open_unchecked); false if
 * out of memory (nothing queued). When 1,024 receipts or 64 MiB wait, the
 * caller checks the oldest itself.
 * drain: returns when every receipt pushed is checked; what the thread has
 * not begun, the caller checks itself.
 * free: drains, stops the thread, returns the number that failed (the
 * first reason in why), how many it checked and in how much CPU time of
 * the threads that checked (either may be NULL). */
typedef struct wcs_verifier wcs_verifier;
wcs_verifier *wcs_verifier_new(const wcs_session *s);
bool wcs_verifier_push(wcs_verifier *v, const wcs_pending *pend, const uint8_t *req, size_t req_len,
                       const uint8_t *rsp, size_t rsp_len);
void wcs_verifier_drain(wcs_verifier *v);
uint64_t wcs_verifier_free(wcs_verifier *v, uint64_t *checked, uint64_t *cpu_ns, char *why,
                           size_t cap);

#endif
