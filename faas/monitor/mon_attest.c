/* mon_attest.c - the monitor's measurements, keys, evidence and sealed
 * data (docs/attest.md).
 *
 * At start (before the sandbox): libsodium is initialised, the monitor
 * hashes its own executable and configuration (its measurement),
 * generates an Ed25519 signing key and an X25519 key-exchange key in
 * locked memory that never leaves this process, and prepares its platform:
 *   none  no platform vouches for the keys (evidence says UNATTESTED);
 *   sim   a platform Ed25519 key from a file (32 bytes, or 64 hex digits),
 *         read once: evidence is signed with it and labelled SIMULATED;
 *   tsm   a hardware report through configfs-tsm, made once at start with
 *         the monitor measurement and both public keys as its report data.
 * Afterwards every operation here is computation on memory: hashing,
 * signing, X25519, AEAD, and getrandom (allowed by the sandbox).
 *
 * Sealed requests are opened straight into the frames of the trustlet's
 * input region, a chunk (one page) at a time, and the output is sealed
 * straight from the output pages into the reply. Sessions (the X25519
 * agreement with a client's ephemeral key) are cached; request nonces are
 * remembered for the replay window.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "monitor.h"

#define TSM_DIR "/sys/kernel/config/tsm/report"
#define REPLAY_WINDOW_NS (300ull * 1000000000ull) /* a request older than 5 minutes is refused */
#define REPLAY_SKEW_NS (60ull * 1000000000ull)    /* and one from more than a minute ahead */
#define REPLAY_SLOTS 65536u
#define SESSIONS 1024u

/* Secrets, in sodium_malloc'ed memory (locked, guarded, not in core dumps). */
typedef struct mon_secrets {
    uint8_t sign_sk[64], kx_sk[32];
    uint8_t platform_sk[64];
    uint8_t store_key[ATT_KEY];
    struct {
        uint8_t client_pk[ATT_PK];
        att_session keys;
        bool used;
    } sessions[SESSIONS];
} mon_secrets;

typedef struct replay_slot {
    uint8_t id[16];
    bool used;
} replay_slot;

static struct {
    bool ready;
    att_platform platform;
    char label[ATT_LABEL + 1];
    uint8_t monitor[ATT_HASH], exe[ATT_HASH];
    uint8_t sign_pk[ATT_PK], kx_pk[ATT_PK], platform_pk[ATT_PK];
    bool have_store_key;
    uint8_t *tsm;
    uint32_t tsm_len;
    mon_secrets *sec;
    pthread_mutex_t lock; /* sessions, replay cache, counters */
    replay_slot *replay;
    uint32_t replay_count;
    uint64_t replay_floor;
    /* counters */
    uint64_t sealed, crypto_ns, evidence, refused, replays, sessions_made;
} ma = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- start ------------------------------------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *len, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        if (n == cap) {
            if (cap >= max) break;
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(b);
            b = NULL;
        }
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return b;
}

/* SHA-512 of the file at path (the monitor's own executable). */
static bool hash_file(const char *path, uint8_t out[ATT_HASH])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    uint8_t buf[65536];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        crypto_hash_sha512_update(&st, buf, (size_t)r);
    }
    close(fd);
    crypto_hash_sha512_final(&st, out);
    return r == 0;
}

/* The platform key of `sim`: 32 bytes, or 64 hex digits (att_platform_seed). */
static bool sim_key(const char *path, char *why, size_t cap)
{
    size_t n;
    uint8_t *b = read_all(path, &n, 4096);
    uint8_t seed[32];
    if (!b) {
        snprintf(why, cap, "--attest sim: cannot read the platform key %s: %s", path,
                 strerror(errno));
        return false;
    }
    bool ok = att_platform_seed(seed, b, n);
    sodium_memzero(b, n);
    free(b);
    if (!ok) {
        snprintf(why, cap,
                 "--attest sim: %s is not a platform key (32 bytes or 64 hex digits; "
                 "`ward client platform-key --new FILE` makes one)",
                 path);
        return false;
    }
    crypto_sign_seed_keypair(ma.platform_pk, ma.sec->platform_sk, seed);
    /* The store key: the platform's secret and the monitor's code, so that
     * only this monitor program on this platform opens what it sealed. */
    crypto_generichash_state st;
    crypto_generichash_init(&st, seed, sizeof seed, ATT_KEY);
    crypto_generichash_update(&st, (const uint8_t *)"ward-store-1", 12);
    crypto_generichash_update(&st, ma.exe, ATT_HASH);
    crypto_generichash_final(&st, ma.sec->store_key, ATT_KEY);
    ma.have_store_key = true;
    sodium_memzero(seed, sizeof seed);
    return true;
}

bool mon_attest_derive(const char *label, uint8_t out[32])
{
    if (!ma.have_store_key) return false;
    crypto_generichash(out, 32, (const uint8_t *)label, strlen(label), ma.sec->store_key, ATT_KEY);
    return true;
}

static bool write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = write(fd, data, len) == (ssize_t)len;
    return close(fd) == 0 && ok;
}

/* One hardware report through configfs-tsm, with our keys as report data. */
static bool tsm_report(char *why, size_t cap)
{
    struct stat sb;
    if (stat(TSM_DIR, &sb) || !S_ISDIR(sb.st_mode)) {
        snprintf(why, cap,
                 "--attest tsm: %s does not exist: this machine offers no configfs-tsm "
                 "(it needs a confidential VM, TDX or SEV-SNP guest, with CONFIG_TSM_REPORTS "
                 "and configfs mounted); use --attest sim:KEYFILE to test without hardware",
                 TSM_DIR);
        return false;
    }
    char dir[128], p[192], provider[64] = "?";
    snprintf(dir, sizeof dir, TSM_DIR "/ward-%d", (int)getpid());
    if (mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(why, cap, "--attest tsm: cannot create %s: %s", dir, strerror(errno));
        return false;
    }
    uint8_t rd[ATT_HASH];
    att_tsm_report_data(rd, ma.monitor, ma.sign_pk, ma.kx_pk);
    size_t n = 0;
    uint8_t *blob = NULL;
    snprintf(p, sizeof p, "%s/inblob", dir);
    bool ok = write_file(p, rd, sizeof rd);
    if (ok) {
        snprintf(p, sizeof p, "%s/provider", dir);
        size_t pl;
        uint8_t *pv = read_all(p, &pl, 4096);
        if (pv) {
            snprintf(provider, sizeof provider, "%.*s",
                     (int)(pl && pv[pl - 1] == '\n' ? pl - 1 : pl), (const char *)pv);
            free(pv);
        }
        snprintf(p, sizeof p, "%s/outblob", dir);
        blob = read_all(p, &n, ATT_MAX_TSM);
    }
    rmdir(dir);
    att_tsm_report r;
    const char *w = "no report";
    if (!ok || !blob || !att_tsm_parse(blob, n, &r, &w) || memcmp(r.report_data, rd, 64)) {
        snprintf(why, cap, "--attest tsm: the report of provider %s is unusable: %s", provider,
                 !ok || !blob ? strerror(errno) : w);
        free(blob);
        return false;
    }
    ma.tsm = blob;
    ma.tsm_len = (uint32_t)n;
    snprintf(ma.label, sizeof ma.label, "tsm %s (%s)", provider, r.format);
    return true;
}

static void on_term(int sig)
{
    (void)sig;
    mon_attest_wipe();
    _exit(0);
}

bool mon_attest_init(const char *spec, const char *config, char *why, size_t cap)
{
    if (sodium_init() < 0) return snprintf(why, cap, "libsodium does not initialise"), false;
    ma.sec = sodium_malloc(sizeof *ma.sec);
    ma.replay = calloc(REPLAY_SLOTS, sizeof *ma.replay);
    if (!ma.sec || !ma.replay) return snprintf(why, cap, "out of memory for keys"), false;
    sodium_memzero(ma.sec, sizeof *ma.sec);
    if (!hash_file("/proc/self/exe", ma.exe))
        return snprintf(why, cap, "cannot read its own executable to measure it"), false;
    const char *kind = !spec || !strcmp(spec, "none") ? "none"
                       : !strcmp(spec, "tsm")         ? "tsm"
                       : !strncmp(spec, "sim:", 4)    ? "sim"
                                                      : NULL;
    if (!kind) return snprintf(why, cap, "--attest %s: none, sim:KEYFILE or tsm", spec), false;
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)"ward-monitor-1", 15);
    crypto_hash_sha512_update(&st, ma.exe, ATT_HASH);
    crypto_hash_sha512_update(&st, (const uint8_t *)config, strlen(config));
    crypto_hash_sha512_update(&st, (const uint8_t *)kind, strlen(kind));
    crypto_hash_sha512_final(&st, ma.monitor);
    crypto_sign_keypair(ma.sign_pk, ma.sec->sign_sk);
    if (!mon_sign_init(ma.sec->sign_sk, why, cap)) return false;
    if (!mon_sign_start())
        return snprintf(why, cap, "cannot start the receipt signer's thread"), false;
    crypto_kx_keypair(ma.kx_pk, ma.sec->kx_sk);
    if (!strcmp(kind, "sim")) {
        ma.platform = ATT_PLATFORM_SIM;
        snprintf(ma.label, sizeof ma.label, "SIMULATED platform (sim)");
        if (!sim_key(spec + 4, why, cap)) return false;
    } else if (!strcmp(kind, "tsm")) {
        ma.platform = ATT_PLATFORM_TSM;
        if (!tsm_report(why, cap)) return false;
    } else {
        ma.platform = ATT_PLATFORM_NONE;
        snprintf(ma.label, sizeof ma.label, "none: UNATTESTED");
    }
    atexit(mon_attest_wipe);
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    /* getrandom works and will keep working under the sandbox (the test
     * of randombytes after the filter is the first evidence's nonce). */
    uint8_t probe[8];
    randombytes_buf(probe, sizeof probe);
    ma.ready = true;
    char hex[2 * ATT_HASH + 1], pk[2 * ATT_PK + 1];
    att_hex(hex, ma.monitor, ATT_HASH);
    fprintf(stderr, "ward-monitor: measurement %.32s..., attestation %s", hex, ma.label);
    if (ma.platform == ATT_PLATFORM_SIM) {
        att_hex(pk, ma.platform_pk, ATT_PK);
        fprintf(stderr, ", platform key %s", pk);
    }
    fputc('\n', stderr);
    return true;
}

void mon_attest_wipe(void)
{
    if (ma.sec) sodium_memzero(ma.sec, sizeof *ma.sec);
    mon_sign_wipe();
}

/* ---- measurements --------------------------------------------------------------------- */

void mon_attest_measure(mon_fn *fn, const proto_msg *m, const uint8_t *wasm, size_t len)
{
    uint64_t timeout_ms = 0;
    proto_u64(m, PROTO_F_TIMEOUT_MS, &timeout_ms);
    /* fn->args[0] is the function's name, not the manifest's. */
    att_manifest am = {
        .entry = fn->entry,
        .init = fn->init,
        .paged = fn->paged,
        .fuel = fn->fuel,
        .timeout_ms = timeout_ms,
        .max_memory = fn->max_memory,
        .output_max = fn->output_max,
        .env = (const char *const *)fn->env,
        .nenv = fn->nenv,
        .args = fn->nargs ? (const char *const *)fn->args + 1 : NULL,
        .nargs = fn->nargs ? fn->nargs - 1 : 0,
        .clocks = fn->grants & PROTO_GRANT_CLOCKS,
        .random = fn->grants & PROTO_GRANT_RANDOM,
        .mem_safety = fn->cage & PROTO_CAGE_MEM_SAFETY,
        .ptr_auth = fn->cage & PROTO_CAGE_PTR_AUTH,
    };
    size_t cap = att_manifest_cap(&am);
    char *canon = malloc(cap);
    size_t n = canon ? att_manifest_canon(canon, cap, &am) : 0;
    if (n && fn->native)
        att_measure_fn_native(fn->measurement, wasm, len, canon, n, fn->nat_cpu, fn->nat_features,
                              fn->nat_opt, fn->nat_object);
    else if (n)
        att_measure_fn(fn->measurement, wasm, len, canon, n);
    else
        memset(fn->measurement, 0xff, ATT_HASH); /* matches nothing a client computes */
    free(canon);
}

/* ---- a module sealed for deploy -------------------------------------------------------- */

/* Opens a sealed request into a new buffer (the caller wipes and frees it). */
static uint8_t *open_req(const att_req *r, const att_session *s, const char **why)
{
    uint8_t *plain = malloc(r->plain_len ? r->plain_len : 1);
    if (!plain) return *why = "out of memory", NULL;
    if (!att_req_open(r, s, plain)) {
        sodium_memzero(plain, r->plain_len);
        free(plain);
        return *why = "the sealed data does not authenticate (changed on the way, or sealed "
                      "for other keys)",
               NULL;
    }
    return plain;
}

static bool session_get(const uint8_t client_pk[ATT_PK], att_session *out);

bool mon_attest_module(const proto_msg *m, mon_fn *fn, proto_status *st, char *msg, size_t cap)
{
    const proto_field *f = proto_get(m, PROTO_F_SEALED);
    att_req r;
    const char *why;
    att_session s;
    *st = PROTO_ST_SEALED;
    if (!ma.ready) return snprintf(msg, cap, "the monitor has no keys"), false;
    if (!f || !att_req_parse(f->data, f->len, &r, &why) || !(r.flags & ATT_REQ_DEPLOY)) {
        snprintf(msg, cap, "sealed module: %s", f ? "not a sealed module" : "none");
        return false;
    }
    bool stored = r.flags & ATT_REQ_STORE;
    if (stored) {
        if (!ma.have_store_key) {
            snprintf(msg, cap, "a module sealed for the store needs the sim platform's store key");
            return false;
        }
        memcpy(s.c2m, ma.sec->store_key, ATT_KEY);
    } else {
        if (!ma.have_store_key) {
            snprintf(msg, cap,
                     "a confidential deploy needs a store key to keep the module sealed across "
                     "restarts: only --attest sim has one");
            return false;
        }
        if (sodium_memcmp(r.kx_pk, ma.kx_pk, ATT_PK)) {
            snprintf(msg, cap,
                     "the module is sealed to another monitor key (the monitor "
                     "restarted?): attest again");
            return false;
        }
        if (!session_get(r.client_pk, &s)) {
            snprintf(msg, cap, "the client's key is not a valid X25519 key");
            return false;
        }
    }
    uint64_t t0 = mono_ns();
    fn->plain = open_req(&r, &s, &why);
    sodium_memzero(&s, sizeof s);
    if (!fn->plain) return snprintf(msg, cap, "sealed module: %s", why), false;
    fn->plain_len = r.plain_len;
    memcpy(fn->sealed_for, r.subject, ATT_HASH);
    fn->sealed = stored ? 2 : 1;
    pthread_mutex_lock(&ma.lock);
    ma.crypto_ns += mono_ns() - t0;
    pthread_mutex_unlock(&ma.lock);
    return true;
}

bool mon_attest_deploy_check(mon_fn *fn, char *msg, size_t cap)
{
    if (!fn->sealed) return true;
    if (sodium_memcmp(fn->sealed_for, fn->measurement, ATT_HASH)) {
        char a[2 * ATT_HASH + 1], b[2 * ATT_HASH + 1];
        att_hex(a, fn->measurement, ATT_HASH);
        att_hex(b, fn->sealed_for, ATT_HASH);
        snprintf(msg, cap,
                 "the module and manifest measure %.16s..., not %.16s... as sealed: the "
                 "manifest or module was changed on the way",
                 a, b);
        return false;
    }
    return true;
}

void mon_attest_fn_free(mon_fn *fn)
{
    free(fn->nat_store);
    fn->nat_store = NULL;
    if (fn->plain) {
        sodium_memzero(fn->plain, fn->plain_len);
        free(fn->plain);
        fn->plain = NULL;
    }
}

void mon_attest_deploy_reply(uint64_t gen, uint32_t id, mon_fn *fn)
{
    proto_buf b = {0};
    proto_begin(&b, PROTO_OK, id);
    proto_put_u64(&b, PROTO_F_STATUS, PROTO_ST_OK);
    proto_put(&b, PROTO_F_MEASUREMENT, fn->measurement, ATT_HASH);
    /* The tier the function runs in (the node's default resolved): a client
     * measures a native one with its object code (docs/attest.md). */
    proto_put_u64(&b, PROTO_F_TIER, fn->native ? PROTO_TIER_NATIVE : PROTO_TIER_INTERP);
    if (fn->nat_store) proto_put(&b, PROTO_F_NATIVE, fn->nat_store, fn->nat_store_len);
    if (fn->sealed == 1 && ma.have_store_key && fn->plain) {
        /* The store keeps the module sealed under the store key, so that a
         * restarted monitor can open it again and the gateway never can. */
        size_t n = att_sealed_len(ATT_REQ_HDR, fn->plain_len);
        uint8_t *dst = proto_put_space(&b, PROTO_F_SEALED, n);
        if (dst) {
            static const uint8_t zero[ATT_PK];
            att_session s;
            memcpy(s.c2m, ma.sec->store_key, ATT_KEY);
            att_req_seal(dst, &s, zero, zero, fn->measurement, ATT_REQ_DEPLOY | ATT_REQ_STORE, 0,
                         fn->plain, fn->plain_len);
            sodium_memzero(&s, sizeof s);
        }
    }
    mon_attest_fn_free(fn);
    if (proto_end(&b)) mon_send(gen, &b);
    proto_buf_free(&b);
}

/* ---- evidence ------------------------------------------------------------------------- */

/* The measurement of what the STEP fields of m name (under mon.lock);
 * zero when there are none. False with msg if a function is missing. */
static bool subject_of(const proto_msg *m, const char *tenant, uint8_t out[ATT_HASH], char *msg,
                       size_t cap)
{
    static uint8_t fns[MON_MAX_STEPS * MON_MAX_GROUP][ATT_HASH]; /* main thread only */
    uint32_t width[MON_MAX_STEPS], nsteps = 0, k = 0;
    memset(out, 0, ATT_HASH);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const proto_field *f = &m->fields[i];
        if (f->tag != PROTO_F_STEP) continue;
        if (nsteps == MON_MAX_STEPS) return snprintf(msg, cap, "too many steps"), false;
        width[nsteps] = 0;
        size_t pos = 0;
        while (pos <= f->len) {
            const uint8_t *comma = memchr(f->data + pos, ',', f->len - pos);
            size_t n = comma ? (size_t)(comma - (f->data + pos)) : f->len - pos;
            char name[PROTO_MAX_NAME];
            if (n == 0 || n >= sizeof name || width[nsteps] == MON_MAX_GROUP)
                return snprintf(msg, cap, "step %u: bad function list", nsteps), false;
            memcpy(name, f->data + pos, n);
            name[n] = '\0';
            mon_fn *fn = NULL;
            for (size_t j = 0; j < mon.nfns && !fn; j++)
                if (!strcmp(mon.fns[j]->tenant, tenant) && !strcmp(mon.fns[j]->name, name))
                    fn = mon.fns[j];
            if (!fn) return snprintf(msg, cap, "step %u: no function %s", nsteps, name), false;
            memcpy(fns[k++], fn->measurement, ATT_HASH);
            width[nsteps]++;
            pos += n + 1;
        }
        nsteps++;
    }
    if (nsteps) att_measure_chain(out, nsteps, width, (const uint8_t(*)[ATT_HASH])fns);
    return true;
}

void mon_attest_on_attest(uint64_t gen, const proto_msg *m)
{
    char tenant[PROTO_MAX_NAME] = "", msg[200];
    const proto_field *nonce = proto_get(m, PROTO_F_NONCE);
    if (!ma.ready)
        return mon_reply_error(gen, m->id, PROTO_ST_UNSUPPORTED, "the monitor has no keys", -1);
    if (!nonce || nonce->len != ATT_NONCE)
        return mon_reply_error(gen, m->id, PROTO_ST_BAD_REQUEST, "attest needs a 32-byte nonce",
                               -1);
    proto_str(m, PROTO_F_TENANT, tenant, sizeof tenant);
    att_evidence e;
    memset(&e, 0, sizeof e);
    pthread_mutex_lock(&mon.lock);
    bool ok = subject_of(m, tenant, e.subject, msg, sizeof msg);
    pthread_mutex_unlock(&mon.lock);
    if (!ok) return mon_reply_error(gen, m->id, PROTO_ST_NOT_FOUND, msg, -1);
    uint64_t t0 = mono_ns();
    e.platform = ma.platform;
    memcpy(e.monitor, ma.monitor, ATT_HASH);
    memcpy(e.sign_pk, ma.sign_pk, ATT_PK);
    memcpy(e.kx_pk, ma.kx_pk, ATT_PK);
    memcpy(e.nonce, nonce->data, ATT_NONCE);
    memcpy(e.label, ma.label, sizeof e.label);
    e.tsm = ma.tsm;
    e.tsm_len = ma.tsm_len;
    if (ma.platform == ATT_PLATFORM_SIM) {
        uint8_t sm[ATT_SIM_MSG];
        memcpy(e.platform_pk, ma.platform_pk, ATT_PK);
        att_sim_message(sm, &e);
        crypto_sign_detached(e.platform_sig, NULL, sm, sizeof sm, ma.sec->platform_sk);
    }
    proto_buf b = {0};
    proto_begin(&b, PROTO_EVIDENCE, m->id);
    proto_put_u64(&b, PROTO_F_STATUS, PROTO_ST_OK);
    uint8_t *dst = proto_put_space(&b, PROTO_F_EVIDENCE, att_evidence_size(e.tsm_len));
    if (dst) att_evidence_encode(&e, ma.sec->sign_sk, dst);
    proto_put(&b, PROTO_F_MEASUREMENT, e.subject, ATT_HASH);
    pthread_mutex_lock(&ma.lock);
    ma.evidence++;
    ma.crypto_ns += mono_ns() - t0;
    pthread_mutex_unlock(&ma.lock);
    if (proto_end(&b)) mon_send(gen, &b);
    proto_buf_free(&b);
}

/* ---- sessions and replays ----------------------------------------------------------------- */

static bool session_get(const uint8_t client_pk[ATT_PK], att_session *out)
{
    uint32_t h = ((uint32_t)client_pk[0] | (uint32_t)client_pk[1] << 8) % SESSIONS;
    pthread_mutex_lock(&ma.lock);
    if (ma.sec->sessions[h].used &&
        !sodium_memcmp(ma.sec->sessions[h].client_pk, client_pk, ATT_PK)) {
        *out = ma.sec->sessions[h].keys;
        pthread_mutex_unlock(&ma.lock);
        return true;
    }
    pthread_mutex_unlock(&ma.lock);
    att_session s;
    if (crypto_kx_server_session_keys(s.c2m, s.m2c, ma.kx_pk, ma.sec->kx_sk, client_pk) != 0)
        return false;
    pthread_mutex_lock(&ma.lock);
    memcpy(ma.sec->sessions[h].client_pk, client_pk, ATT_PK);
    ma.sec->sessions[h].keys = s;
    ma.sec->sessions[h].used = true;
    ma.sessions_made++;
    pthread_mutex_unlock(&ma.lock);
    *out = s;
    sodium_memzero(&s, sizeof s);
    return true;
}

/* Is the request nonce new? With insert, remembers it (under ma.lock). */
static const char *replay_check(const uint8_t nonce[ATT_XNONCE], uint64_t t, bool insert)
{
    uint64_t now = real_ns();
    if (t + REPLAY_WINDOW_NS < now || t > now + REPLAY_SKEW_NS)
        return "the request's time is outside the replay window (5 minutes; clocks apart?)";
    if (t < ma.replay_floor) return "the request is older than the replay cache (replayed?)";
    uint32_t h = ((uint32_t)nonce[0] | (uint32_t)nonce[1] << 8) % REPLAY_SLOTS;
    while (ma.replay[h].used) {
        if (!memcmp(ma.replay[h].id, nonce, 16)) return "replayed request (its nonce was seen)";
        h = (h + 1) % REPLAY_SLOTS;
    }
    if (!insert) return NULL;
    memcpy(ma.replay[h].id, nonce, 16);
    ma.replay[h].used = true;
    if (++ma.replay_count > REPLAY_SLOTS / 4 * 3) {
        /* Full: forget every nonce and refuse anything made before now. */
        memset(ma.replay, 0, REPLAY_SLOTS * sizeof *ma.replay);
        ma.replay_count = 0;
        ma.replay_floor = now;
    }
    return NULL;
}

/* ---- sealed invocations ------------------------------------------------------------------- */

static void job_subject(const mon_job *job, uint8_t out[ATT_HASH])
{
    uint8_t fns[MON_MAX_STEPS * MON_MAX_GROUP][ATT_HASH];
    size_t k = 0;
    for (uint32_t s = 0; s < job->nsteps; s++)
        for (uint32_t i = 0; i < job->width[s]; i++)
            memcpy(fns[k++], job->fns[s][i]->measurement, ATT_HASH);
    att_measure_chain(out, job->nsteps, job->width, (const uint8_t(*)[ATT_HASH])fns);
}

static bool refuse(proto_status *st, char *msg, size_t cap, const char *why)
{
    *st = PROTO_ST_SEALED;
    snprintf(msg, cap, "sealed request refused: %s", why);
    pthread_mutex_lock(&ma.lock);
    ma.refused++;
    pthread_mutex_unlock(&ma.lock);
    return false;
}

/* Zeroes the first len bytes of the region mapped at page 0 of scratch. */
static void scratch_wipe(ward_memory *scratch, size_t len)
{
    for (size_t off = 0, a; off < len; off += a) {
        void *p = ward_memory_span(scratch, off, len - off, true, &a);
        if (!p) break;
        sodium_memzero(p, a);
    }
}

bool mon_attest_open(ward_memory *scratch, mon_job *job, ward_region **rout, uint64_t *lenout,
                     proto_status *st, char *msg, size_t cap)
{
    uint64_t t0 = mono_ns();
    att_req r;
    const char *why;
    *rout = NULL;
    *lenout = 0;
    if (!ma.ready) return refuse(st, msg, cap, "the monitor has no keys");
    if (!att_req_parse(job->sealed, job->sealed_len, &r, &why)) return refuse(st, msg, cap, why);
    if (r.flags) return refuse(st, msg, cap, "a sealed module is not an invocation's input");
    if (sodium_memcmp(r.kx_pk, ma.kx_pk, ATT_PK))
        return refuse(st, msg, cap,
                      "sealed to another monitor key (the monitor restarted, or it is not the "
                      "one attested): attest again");
    uint8_t subject[ATT_HASH];
    job_subject(job, subject);
    if (sodium_memcmp(r.subject, subject, ATT_HASH))
        return refuse(st, msg, cap,
                      "sealed for another measurement: the function or chain is not the code "
                      "the client attested");
    pthread_mutex_lock(&ma.lock);
    why = replay_check(r.nonce, r.time_ns, false);
    pthread_mutex_unlock(&ma.lock);
    if (why) {
        if (!strncmp(why, "replayed", 8)) {
            pthread_mutex_lock(&ma.lock);
            ma.replays++;
            pthread_mutex_unlock(&ma.lock);
        }
        return refuse(st, msg, cap, why);
    }
    att_session s;
    if (!session_get(r.client_pk, &s))
        return refuse(st, msg, cap, "the client's key is not a valid X25519 key");

    /* Straight into the frames of the input region, a chunk at a time. */
    uint64_t pages = (r.plain_len + MON_PAGE - 1) / MON_PAGE;
    ward_region *reg = NULL;
    bool ok = true;
    why = "out of memory for the input";
    if (pages) {
        ok = mon_scratch_fit(scratch, pages) && (reg = ward_region_new(pages)) &&
             ward_region_map(reg, scratch, 0, WARD_PERM_READ_WRITE);
        const uint8_t *p = r.chunks;
        uint64_t off = 0;
        uint8_t *bounce = NULL;
        for (uint32_t i = 0; ok && i < r.nchunks; i++) {
            uint32_t len =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            size_t a = 0;
            uint8_t *dst = len ? ward_memory_span(scratch, off, len, true, &a) : NULL;
            bool direct = dst && a >= len;
            if (!direct && !bounce && !(bounce = malloc(ATT_CHUNK))) ok = false;
            if (ok && !att_chunk_open(direct ? dst : bounce, p, s.c2m, r.nonce, r.ad_hash, i,
                                      i + 1 == r.nchunks)) {
                ok = false;
                why = "the sealed input does not authenticate (changed on the way)";
            }
            if (ok && !direct) ok = ward_memory_write(scratch, off, bounce, len);
            off += len;
            p += 4 + len + ATT_TAG;
        }
        if (bounce) {
            sodium_memzero(bounce, ATT_CHUNK);
            free(bounce);
        }
        if (!ok && reg) scratch_wipe(scratch, r.plain_len);
        if (reg) ward_region_unmap(reg, scratch);
    } else {
        uint8_t none;
        if (!att_req_open(&r, &s, &none)) {
            ok = false;
            why = "the sealed input does not authenticate (changed on the way)";
        }
    }
    if (ok) {
        pthread_mutex_lock(&ma.lock);
        why = replay_check(r.nonce, r.time_ns, true);
        if (why && !strncmp(why, "replayed", 8)) ma.replays++;
        pthread_mutex_unlock(&ma.lock);
        ok = why == NULL;
    }
    if (!ok) {
        sodium_memzero(&s, sizeof s);
        if (reg) ward_region_free(reg);
        return refuse(st, msg, cap, why);
    }
    memcpy(job->seal.key, s.m2c, ATT_KEY);
    sodium_memzero(&s, sizeof s);
    memcpy(job->seal.req_nonce, r.nonce, ATT_XNONCE);
    memcpy(job->seal.subject, subject, ATT_HASH);
    att_hash(job->seal.in_hash, job->sealed, job->sealed_len);
    job->seal.ns = mono_ns() - t0;
    *rout = reg;
    *lenout = r.plain_len;
    return true;
}

bool mon_attest_seal(ward_memory *scratch, mon_job *job, ward_region *const *parts,
                     const uint64_t *lens, uint32_t nparts, proto_buf *b)
{
    uint64_t t0 = mono_ns();
    size_t total = 0, nch = 0;
    for (uint32_t i = 0; i < nparts; i++) {
        total += lens[i];
        nch += (lens[i] + ATT_CHUNK - 1) / ATT_CHUNK;
    }
    bool empty = nch == 0;
    if (empty) nch = 1;
    size_t size = ATT_RSP_CHUNKS + total + nch * (4 + ATT_TAG);
    uint8_t *out = proto_put_space(b, PROTO_F_SEALED, size);
    if (!out) {
        sodium_memzero(job->seal.key, ATT_KEY);
        return false;
    }
    memcpy(out, "WARDRSP1", 8);
    for (int k = 0; k < 4; k++) {
        out[8 + k] = (uint8_t)(nch >> (8 * k));
        out[12 + k] = 0;
    }
    memcpy(out + 16, job->seal.req_nonce, ATT_XNONCE);
    /* The reply's nonce: derived from the request's, which is unique under
     * the session (the replay cache refuses a second use) and the reply key
     * is not the request key; no getrandom system call on this path. */
    crypto_generichash(out + 40, ATT_XNONCE, job->seal.req_nonce, ATT_XNONCE,
                       (const uint8_t *)"ward-reply-nonce-key-0123456789ab", 32);
    uint8_t hash[32];
    att_rsp_ad_hash(hash, out, job->seal.subject);
    uint8_t *p = out + ATT_RSP_CHUNKS, *bounce = NULL;
    size_t idx = 0;
    bool ok = true;
    if (empty) att_chunk_seal(p, NULL, 0, job->seal.key, out + 40, hash, 0, true);
    for (uint32_t i = 0; ok && i < nparts; i++) {
        if (!lens[i]) continue;
        ok = mon_scratch_fit(scratch, ward_region_pages(parts[i])) &&
             ward_region_map(parts[i], scratch, 0, WARD_PERM_READ);
        for (uint64_t off = 0; ok && off < lens[i]; off += ATT_CHUNK) {
            uint32_t k = (uint32_t)(lens[i] - off < ATT_CHUNK ? lens[i] - off : ATT_CHUNK);
            size_t a = 0;
            const uint8_t *src = ward_memory_span(scratch, off, k, false, &a);
            if (!src || a < k) {
                if (!bounce && !(bounce = malloc(ATT_CHUNK))) ok = false;
                ok = ok && ward_memory_read(scratch, off, bounce, k);
                src = bounce;
            }
            if (ok) att_chunk_seal(p, src, k, job->seal.key, out + 40, hash, idx, idx + 1 == nch);
            idx++;
            p += 4 + k + ATT_TAG;
        }
        ward_region_unmap(parts[i], scratch);
    }
    if (bounce) {
        sodium_memzero(bounce, ATT_CHUNK);
        free(bounce);
    }
    sodium_memzero(job->seal.key, ATT_KEY);
    if (!ok) return false;
    uint8_t out_hash[ATT_HASH];
    att_hash(out_hash, out + ATT_RSP_CHUNKS, size - ATT_RSP_CHUNKS);
    uint8_t m[ATT_RECEIPT_MSG];
    att_receipt_body(out + ATT_RSP_HDR, m, job->seal.subject, job->seal.in_hash, out_hash,
                     ma.sign_pk);
    mon_sign_detached(out + ATT_RSP_HDR + ATT_RECEIPT - ATT_SIG, m, sizeof m);
    pthread_mutex_lock(&ma.lock);
    ma.sealed++;
    ma.crypto_ns += job->seal.ns + (mono_ns() - t0);
    pthread_mutex_unlock(&ma.lock);
    return true;
}

void mon_attest_job_free(mon_job *job)
{
    sodium_memzero(&job->seal, sizeof job->seal);
}

void mon_attest_stats(proto_buf *b)
{
    static const char *const kinds[] = {"none", "sim", "tsm"};
    pthread_mutex_lock(&ma.lock);
    mon_stat(b, "ward_monitor_attestation{platform=\"%s\",simulated=\"%s\"} 1", kinds[ma.platform],
             ma.platform == ATT_PLATFORM_SIM ? "SIMULATED" : "no");
    mon_stat(b, "ward_monitor_sealed_invocations_total %llu", (unsigned long long)ma.sealed);
    mon_stat(b, "ward_monitor_sealed_refused_total %llu", (unsigned long long)ma.refused);
    mon_stat(b, "ward_monitor_replays_refused_total %llu", (unsigned long long)ma.replays);
    mon_stat(b, "ward_monitor_evidence_total %llu", (unsigned long long)ma.evidence);
    mon_stat(b, "ward_monitor_sessions_total %llu", (unsigned long long)ma.sessions_made);
    mon_stat(b, "ward_monitor_crypto_seconds_total %.9f", (double)ma.crypto_ns / 1e9);
    pthread_mutex_unlock(&ma.lock);
    if (ma.ready) mon_sign_stats(b);
}
