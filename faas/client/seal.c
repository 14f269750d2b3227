/* seal.c - the client's side of attestation and sealed invocations
 * (seal.h, docs/attest.md).
 *
 * The cache (one small text file per node URL and token, in
 * $WARD_ATTEST_CACHE or ~/.cache/ward) keeps what the client decided to
 * trust: the platform key seen first (unless one is pinned), the monitor
 * identity checked last, and the measurement of each function and chain
 * (from the client's own deploy, or the first use). It holds no secret:
 * every session key is ephemeral and wiped.
 */
#include "seal.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t wcs_once = PTHREAD_ONCE_INIT;
static int wcs_sodium;

static void wcs_init(void)
{
    wcs_sodium = sodium_init();
}

/* ---- the cache ------------------------------------------------------------------------ */

#define CACHE_LINES 512

typedef struct cache {
    char path[4096];
    size_t n;
    char *key[CACHE_LINES], *val[CACHE_LINES];
} cache;

static void cache_free(cache *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->key[i]), free(k->val[i]);
    k->n = 0;
}

static bool cache_open(const wc_conn *c, const wcs_opts *o, cache *k)
{
    memset(k, 0, sizeof *k);
    char dir[3800];
    const char *env = o->cache ? o->cache : getenv("WARD_ATTEST_CACHE");
    if (env && env[0])
        snprintf(dir, sizeof dir, "%s", env);
    else if (getenv("XDG_CACHE_HOME"))
        snprintf(dir, sizeof dir, "%s/ward", getenv("XDG_CACHE_HOME"));
    else if (getenv("HOME")) {
        snprintf(dir, sizeof dir, "%s/.cache", getenv("HOME"));
        mkdir(dir, 0700);
        snprintf(dir, sizeof dir, "%s/.cache/ward", getenv("HOME"));
    } else
        return false;
    if (mkdir(dir, 0700) && errno != EEXIST) return false;
    uint8_t h[16];
    char hex[33];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)c->url, strlen(c->url) + 1);
    if (c->token) crypto_generichash_update(&st, (const uint8_t *)c->token, strlen(c->token));
    crypto_generichash_final(&st, h, sizeof h);
    att_hex(hex, h, sizeof h);
    snprintf(k->path, sizeof k->path, "%s/node-%s", dir, hex);
    FILE *f = fopen(k->path, "r");
    if (!f) return true;
    char line[1024];
    while (k->n < CACHE_LINES && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = '\0';
        k->key[k->n] = strdup(line);
        k->val[k->n] = strdup(sp + 1);
        if (k->key[k->n] && k->val[k->n]) k->n++;
    }
    fclose(f);
    return true;
}

static const char *cache_get(const cache *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->key[i], key)) return k->val[i];
    return NULL;
}

static void cache_set(cache *k, const char *key, const char *val)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->key[i], key)) {
            if (!val) { /* delete */
                free(k->key[i]), free(k->val[i]);
                k->key[i] = k->key[k->n - 1];
                k->val[i] = k->val[k->n - 1];
                k->n--;
                return;
            }
            char *v = strdup(val);
            if (v) free(k->val[i]), k->val[i] = v;
            return;
        }
    if (!val || k->n == CACHE_LINES) return;
    k->key[k->n] = strdup(key);
    k->val[k->n] = strdup(val);
    if (k->key[k->n] && k->val[k->n]) k->n++;
}

static void cache_save(const cache *k)
{
    if (!k->path[0]) return;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", k->path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    for (size_t i = 0; i < k->n; i++)
        fprintf(f, "%s %s\n", k->key[i], k->val[i]);
    if (fclose(f) == 0)
        rename(tmp, k->path);
    else
        unlink(tmp);
}

/* ---- evidence ---------------------------------------------------------------------------- */

/* The pinned platform key: HEX, or a file that holds it. */
static bool platform_pin(const char *spec, uint8_t pk[ATT_PK], char *why, size_t cap)
{
    if (att_unhex(pk, ATT_PK, spec)) return true;
    FILE *f = fopen(spec, "r");
    char buf[200] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
        if (att_unhex(pk, ATT_PK, buf)) return true;
    }
    snprintf(why, cap,
             "--platform-key %s: not 64 hex digits nor a file holding them (`ward client "
             "platform-key FILE` prints a key file's public key)",
             spec);
    return false;
}

static void note(wcs_peer *p, const char *fmt, const char *arg)
{
    size_t n = strlen(p->notes);
    snprintf(p->notes + n, sizeof p->notes - n, fmt, arg);
}

bool wcs_verify(const wc_conn *c, const uint8_t *evb, size_t n, const uint8_t nonce[ATT_NONCE],
                const char *kind, const char *name, const wcs_opts *o, wcs_peer *p, char *why,
                size_t cap)
{
    pthread_once(&wcs_once, wcs_init);
    memset(p, 0, sizeof *p);
    att_evidence *e = &p->ev;
    const char *w;
    char hex[2 * ATT_HASH + 1], want[2 * ATT_HASH + 1];
    if (wcs_sodium < 0) return snprintf(why, cap, "libsodium does not initialise"), false;
    if (!att_evidence_decode(evb, n, e, &w)) return snprintf(why, cap, "evidence: %s", w), false;
    if (sodium_memcmp(e->nonce, nonce, ATT_NONCE))
        return snprintf(why, cap,
                        "evidence for another nonce: not fresh (replayed or forged evidence)"),
               false;
    note(p, "%s", "monitor signature ok, nonce fresh");
    cache k;
    bool have_cache = cache_open(c, o, &k);
    uint8_t pin[ATT_PK];
    bool pinned = false, ok = false;
    const char *tofu = have_cache ? cache_get(&k, "platform") : NULL;
    if (o->platform) {
        if (!platform_pin(o->platform, pin, why, cap)) goto out;
        pinned = true;
    } else if (tofu && att_unhex(pin, ATT_PK, tofu)) {
        pinned = true;
    }
    if (o->expect_monitor) {
        att_hex(hex, e->monitor, ATT_HASH);
        if (strcasecmp(hex, o->expect_monitor)) {
            snprintf(why, cap, "the monitor measures %.32s..., not the expected %.32s...", hex,
                     o->expect_monitor);
            goto out;
        }
        note(p, "%s", ", monitor measurement as expected");
    }
    char pkhex[2 * ATT_PK + 1];
    att_hex(pkhex, e->platform_pk, ATT_PK);
    if (e->platform == ATT_PLATFORM_SIM) {
        uint8_t sm[ATT_SIM_MSG];
        att_sim_message(sm, e);
        if (crypto_sign_verify_detached(e->platform_sig, sm, sizeof sm, e->platform_pk) != 0) {
            snprintf(why, cap, "the platform signature on the evidence does not verify");
            goto out;
        }
        if (pinned && sodium_memcmp(pin, e->platform_pk, ATT_PK)) {
            char ph[2 * ATT_PK + 1];
            att_hex(ph, pin, ATT_PK);
            snprintf(why, cap,
                     "evidence signed by another platform key (%.16s...) than the one %s "
                     "(%.16s...): refusing",
                     pkhex, o->platform ? "pinned" : "trusted at first use", ph);
            goto out;
        }
        note(p, ", SIMULATED platform signature ok (%s)",
             pinned ? "pinned key" : "key trusted on first use");
        if (!pinned && !o->quiet)
            fprintf(stderr,
                    "ward client: trusting the SIMULATED platform key %.16s... of %s on first "
                    "use (pin it with --platform-key)\n",
                    pkhex, c->url);
        if (have_cache) cache_set(&k, "platform", pkhex); /* the first seen, or the pinned one */
    } else if (e->platform == ATT_PLATFORM_TSM) {
        att_tsm_report r;
        uint8_t rd[ATT_HASH];
        if (!att_tsm_parse(e->tsm, e->tsm_len, &r, &w)) {
            snprintf(why, cap, "tsm report: %s", w);
            goto out;
        }
        att_tsm_report_data(rd, e->monitor, e->sign_pk, e->kx_pk);
        if (sodium_memcmp(rd, r.report_data, 64)) {
            snprintf(why, cap, "the hardware report does not bind the monitor's keys");
            goto out;
        }
        if (o->platform) {
            snprintf(why, cap, "a sim platform key is pinned but the node reports tsm");
            goto out;
        }
        note(p, ", %s binds the keys (its hardware signature is NOT checked by ward client)",
             r.format);
    } else {
        if (pinned) {
            snprintf(why, cap,
                     "the node has no platform (UNATTESTED) but a platform key is %s: refusing",
                     o->platform ? "pinned" : "trusted from an earlier use");
            goto out;
        }
        note(p, "%s", ", UNATTESTED (no platform vouches for the keys)");
        if (!o->quiet)
            fprintf(stderr,
                    "ward client: %s is UNATTESTED (ward serve --attest none): its keys "
                    "are vouched for by nobody\n",
                    c->url);
    }
    /* the monitor identity: cached per node */
    char id[3 * 2 * ATT_HASH + 8];
    att_hex(id, e->monitor, ATT_HASH);
    att_hex(id + 2 * ATT_HASH, e->sign_pk, ATT_PK);
    att_hex(id + 2 * ATT_HASH + 2 * ATT_PK, e->kx_pk, ATT_PK);
    const char *last = have_cache ? cache_get(&k, "identity") : NULL;
    p->cached = last && !strcmp(last, id);
    if (have_cache && !p->cached) cache_set(&k, "identity", id);
    note(p, "%s", p->cached ? ", identity as cached" : ", new identity cached");
    /* the subject */
    if (kind) {
        char key[200];
        snprintf(key, sizeof key, "m:%s/%s", kind, name);
        att_hex(hex, e->subject, ATT_HASH);
        const char *expect = o->expect ? o->expect : have_cache ? cache_get(&k, key) : NULL;
        if (expect) {
            snprintf(want, sizeof want, "%s", expect);
            if (strcasecmp(hex, want)) {
                snprintf(why, cap,
                         "measurement mismatch for %s %s: the node runs %.32s..., expected "
                         "%.32s... (%s): refusing to send any data",
                         kind, name, hex, want,
                         o->expect ? "--expect-measurement"
                                   : "pinned; if the change is wanted, check the new code and "
                                     "pass --expect-measurement with its measurement");
                goto out;
            }
            if (o->expect && have_cache) cache_set(&k, key, hex); /* re-pinned as told */
            note(p, ", %s", o->expect ? "measurement as expected" : "measurement as pinned");
        } else {
            p->pinned_first = true;
            if (have_cache) cache_set(&k, key, hex);
            note(p, "%s", ", measurement pinned on first use");
        }
    }
    ok = true;
out:
    if (have_cache) {
        if (ok) cache_save(&k);
        cache_free(&k);
    }
    return ok;
}

bool wcs_attest(const wc_conn *c, const char *kind, const char *name, const wcs_opts *o,
                wcs_peer *p, int *status, char *why, size_t cap)
{
    pthread_once(&wcs_once, wcs_init);
    uint8_t nonce[ATT_NONCE];
    char path[300];
    wc_resp r;
    randombytes_buf(nonce, sizeof nonce);
    if (kind)
        snprintf(path, sizeof path, "/v1/%s/%s/attest", kind, name);
    else
        snprintf(path, sizeof path, "/v1/attest");
    wc_request(c, "POST", path, NULL, nonce, sizeof nonce, &r);
    *status = 1;
    if (!r.status) {
        *status = 3;
        snprintf(why, cap, "%s: %s", c->url, r.error);
        wc_resp_free(&r);
        return false;
    }
    if (r.status != 200) {
        snprintf(why, cap, "attestation: HTTP %ld: %s", r.status, r.body);
        wc_resp_free(&r);
        return false;
    }
    bool ok = wcs_verify(c, (const uint8_t *)r.body, r.len, nonce, kind, name, o, p, why, cap);
    wc_resp_free(&r);
    return ok;
}

bool wcs_pin(const wc_conn *c, const wcs_opts *o, const char *kind, const char *name,
             const uint8_t m[ATT_HASH])
{
    pthread_once(&wcs_once, wcs_init);
    cache k;
    if (!cache_open(c, o, &k)) return false;
    char key[200], hex[2 * ATT_HASH + 1];
    snprintf(key, sizeof key, "m:%s/%s", kind, name);
    if (m) att_hex(hex, m, ATT_HASH);
    cache_set(&k, key, m ? hex : NULL);
    cache_save(&k);
    cache_free(&k);
    return true;
}

void wcs_forget(const wc_conn *c, const wcs_opts *o)
{
    cache k;
    if (!cache_open(c, o, &k)) return;
    cache_set(&k, "identity", NULL);
    cache_save(&k);
    cache_free(&k);
}

/* ---- sessions ----------------------------------------------------------------------------- */

bool wcs_session_new(wcs_session *s, const att_evidence *e)
{
    pthread_once(&wcs_once, wcs_init);
    crypto_kx_keypair(s->pk, s->sk);
    memcpy(s->kx_pk, e->kx_pk, ATT_PK);
    memcpy(s->sign_pk, e->sign_pk, ATT_PK);
    /* rx: what the monitor sends (m2c); tx: what we send (c2m) */
    return crypto_kx_client_session_keys(s->keys.m2c, s->keys.c2m, s->pk, s->sk, e->kx_pk) == 0;
}

void wcs_session_wipe(wcs_session *s)
{
    sodium_memzero(s, sizeof *s);
}

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t *seal_req(const wcs_session *s, const uint8_t subject[ATT_HASH], uint32_t flags,
                         const uint8_t *plain, size_t plen, size_t *len, wcs_pending *pend,
                         bool hash)
{
    *len = att_sealed_len(ATT_REQ_HDR, plen);
    uint8_t *out = malloc(*len);
    if (!out) return NULL;
    att_req_seal(out, &s->keys, s->kx_pk, s->pk, subject, flags, real_ns(), plain, plen);
    memcpy(pend->nonce, out + 152, ATT_XNONCE);
    memcpy(pend->subject, subject, ATT_HASH);
    if (hash)
        att_hash(pend->in_hash, out, *len);
    else
        memset(pend->in_hash, 0, ATT_HASH);
    return out;
}

uint8_t *wcs_seal(const wcs_session *s, const uint8_t subject[ATT_HASH], uint32_t flags,
                  const uint8_t *plain, size_t plen, size_t *len, wcs_pending *pend)
{
    return seal_req(s, subject, flags, plain, plen, len, pend, true);
}

uint8_t *wcs_seal_unhashed(const wcs_session *s, const uint8_t subject[ATT_HASH], uint32_t flags,
                           const uint8_t *plain, size_t plen, size_t *len, wcs_pending *pend)
{
    return seal_req(s, subject, flags, plain, plen, len, pend, false);
}

/* The receipt of parsed reply r against what was sent (pend, and the
 * hash of the sealed request). */
static bool receipt_ok(const uint8_t sign_pk[ATT_PK], const wcs_pending *pend,
                       const uint8_t in_hash[ATT_HASH], const att_rsp *r, char *why, size_t cap)
{
    const char *w;
    uint8_t out_hash[ATT_HASH];
    att_hash(out_hash, r->chunks, r->chunks_len);
    if (att_receipt_verify(r->receipt, sign_pk, pend->subject, in_hash, out_hash, &w)) return true;
    snprintf(why, cap, "receipt: %s", w);
    return false;
}

static bool open_reply(const wcs_session *s, const wcs_pending *pend, const uint8_t *rsp, size_t n,
                       uint8_t **plain, size_t *plen, bool check, char *why, size_t cap)
{
    att_rsp r;
    const char *w;
    *plain = NULL;
    if (!att_rsp_parse(rsp, n, &r, &w)) return snprintf(why, cap, "sealed reply: %s", w), false;
    if (sodium_memcmp(r.req_nonce, pend->nonce, ATT_XNONCE))
        return snprintf(why, cap, "sealed reply: the answer to another request"), false;
    if (check && !receipt_ok(s->sign_pk, pend, pend->in_hash, &r, why, cap)) {
        size_t k = strlen(why);
        snprintf(why + k, cap > k ? cap - k : 0, ": refusing the output");
        return false;
    }
    uint8_t hash[32];
    att_rsp_ad_hash(hash, rsp, pend->subject);
    uint8_t *out = malloc(r.plain_len + 1);
    if (!out) return snprintf(why, cap, "out of memory"), false;
    const uint8_t *p = r.chunks;
    size_t off = 0;
    for (uint32_t i = 0; i < r.nchunks; i++) {
        uint32_t len =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (!att_chunk_open(out + off, p, s->keys.m2c, r.nonce, hash, i, i + 1 == r.nchunks)) {
            sodium_memzero(out, r.plain_len);
            free(out);
            return snprintf(why, cap, "sealed reply: the output does not authenticate"), false;
        }
        off += len;
        p += 4 + len + ATT_TAG;
    }
    out[r.plain_len] = '\0';
    *plain = out;
    *plen = r.plain_len;
    return true;
}

bool wcs_open(const wcs_session *s, const wcs_pending *pend, const uint8_t *rsp, size_t n,
              uint8_t **plain, size_t *plen, char *why, size_t cap)
{
    return open_reply(s, pend, rsp, n, plain, plen, true, why, cap);
}

bool wcs_open_unchecked(const wcs_session *s, const wcs_pending *pend, const uint8_t *rsp, size_t n,
                        uint8_t **plain, size_t *plen, char *why, size_t cap)
{
    return open_reply(s, pend, rsp, n, plain, plen, false, why, cap);
}

/* ---- the receipt verifier --------------------------------------------------------------- */

#define VERIFIER_QUEUE 1024u
#define VERIFIER_BYTES (64u << 20) /* most bytes of messages queued */

typedef struct verifier_item {
    wcs_pending pend;
    uint8_t *msgs; /* the sealed request, then the sealed reply (malloc'ed) */
    size_t req_len, rsp_len;
} verifier_item;

struct wcs_verifier {
    uint8_t sign_pk[ATT_PK]; /* the attested monitor's */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more, done; /* an item pushed; an item checked or room made */
    verifier_item q[VERIFIER_QUEUE];
    size_t head, len, bytes;
    unsigned busy; /* checks under way (the thread's, the caller's) */
    bool stop;
    uint64_t checked, failed, cpu_ns; /* cpu_ns: of every thread that checked */
    char why[200];
};

/* Takes the oldest receipt and checks it, in the calling thread (v->lock
 * held on entry and on return, released during the check). */
static void verify_next(wcs_verifier *v)
{
    verifier_item it = v->q[v->head];
    v->head = (v->head + 1) % VERIFIER_QUEUE;
    v->len--;
    v->bytes -= it.req_len + it.rsp_len;
    v->busy++;
    pthread_mutex_unlock(&v->lock);
    char why[200] = "";
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    uint8_t in_hash[ATT_HASH];
    att_rsp r;
    const char *w;
    att_hash(in_hash, it.msgs, it.req_len);
    bool ok = att_rsp_parse(it.msgs + it.req_len, it.rsp_len, &r, &w);
    if (!ok) snprintf(why, sizeof why, "sealed reply: %s", w);
    ok = ok && receipt_ok(v->sign_pk, &it.pend, in_hash, &r, why, sizeof why);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    free(it.msgs);
    pthread_mutex_lock(&v->lock);
    v->cpu_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
    v->busy--;
    v->checked++;
    if (!ok && !v->failed++) snprintf(v->why, sizeof v->why, "%s", why);
    pthread_cond_broadcast(&v->done);
}

static void *verifier_main(void *arg)
{
    wcs_verifier *v = arg;
    /* Background work: the thread that waits for the answers goes first
     * when cores are scarce (a best effort: refused, it runs as it is);
     * whatever is left when the caller drains, the caller checks itself. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    pthread_mutex_lock(&v->lock);
    for (;;) {
        while (!v->len && !v->stop)
            pthread_cond_wait(&v->more, &v->lock);
        if (!v->len) break;
        verify_next(v);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

wcs_verifier *wcs_verifier_new(const wcs_session *s)
{
    wcs_verifier *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    memcpy(v->sign_pk, s->sign_pk, ATT_PK);
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->more, NULL);
    pthread_cond_init(&v->done, NULL);
    if (pthread_create(&v->thread, NULL, verifier_main, v)) {
        free(v);
        return NULL;
    }
    return v;
}

bool wcs_verifier_push(wcs_verifier *v, const wcs_pending *pend, const uint8_t *req, size_t req_len,
                       const uint8_t *rsp, size_t rsp_len)
{
    uint8_t *msgs = malloc(req_len + rsp_len ? req_len + rsp_len : 1);
    if (!msgs) return false;
    memcpy(msgs, req, req_len);
    memcpy(msgs + req_len, rsp, rsp_len);
    pthread_mutex_lock(&v->lock);
    /* full (in count or bytes): the caller checks the oldest itself */
    while (v->len == VERIFIER_QUEUE || (v->len && v->bytes + req_len + rsp_len > VERIFIER_BYTES))
        verify_next(v);
    v->q[(v->head + v->len) % VERIFIER_QUEUE] =
        (verifier_item){.pend = *pend, .msgs = msgs, .req_len = req_len, .rsp_len = rsp_len};
    v->len++;
    v->bytes += req_len + rsp_len;
    pthread_cond_signal(&v->more);
    pthread_mutex_unlock(&v->lock);
    return true;
}

void wcs_verifier_drain(wcs_verifier *v)
{
    pthread_mutex_lock(&v->lock);
    while (v->len) /* what the thread has not begun, the caller checks */
        verify_next(v);
    while (v->busy)
        pthread_cond_wait(&v->done, &v->lock);
    pthread_mutex_unlock(&v->lock);
}

uint64_t wcs_verifier_free(wcs_verifier *v, uint64_t *checked, uint64_t *cpu_ns, char *why,
                           size_t cap)
{
    wcs_verifier_drain(v);
    pthread_mutex_lock(&v->lock);
    v->stop = true;
    pthread_cond_signal(&v->more);
    pthread_mutex_unlock(&v->lock);
    pthread_join(v->thread, NULL);
    uint64_t failed = v->failed;
    if (checked) *checked = v->checked;
    if (cpu_ns) *cpu_ns = v->cpu_ns;
    if (why && cap) snprintf(why, cap, "%s", failed ? v->why : "");
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->more);
    pthread_cond_destroy(&v->done);
    free(v);
    return failed;
}
