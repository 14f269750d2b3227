/* mon_native.c - native code for the node's functions (docs/serve.md,
 * "Native code").
 *
 * The monitor links no LLVM. At start (before its sandbox) it hashes
 * ward-native (next to its own executable, or $WARD_NATIVE), starts it as
 * its compile helpers (`ward-native --compile-server 3`, exec'd from the
 * descriptor it hashed, each on a socketpair of its own: one per deploy
 * thread), and installs libward's fault handler for guard pages. At the
 * deploy of a native-tier function the deploy thread takes a helper that
 * is free, sends it the module (the bytes it measured) with
 * the function's memory mode and Cage flags, and loads the object code it
 * answers with through libward's own loader (ward_module_native_load):
 * once per deploy; the template and every clone of it run that code.
 * The object's SHA-512, the CPU and the optimisation level the helper
 * names go into the function's measurement (mon_attest.c). A compilation
 * whose deploy's connection goes away meanwhile (the gateway restarted:
 * nobody takes the answer, and the new gateway deploys its store again)
 * is cancelled, so that it holds neither the helper nor the tenant's next
 * deploys.
 *
 * The code for the store (PROTO_F_NATIVE, proto.h): the helper's answer
 * behind a MAC, BLAKE2b keyed with the node's code key, over what the
 * answer depends on: the helper's executable, the module and its memory
 * mode and Cage flags. The code key is derived from the store key when
 * the platform has one (sim: the same for every monitor of this program
 * with this platform key, so a new `ward serve` on the same store uses
 * it too), else the supervisor's (the same for each monitor one `ward
 * serve` starts). The gateway keeps it (it holds the module in the clear
 * anyway) but cannot change it: changed by one bit, or made by another
 * helper or for another module, it is refused and the module is compiled
 * as ever. A sealed module's code is sealed instead (XChaCha20-Poly1305
 * under a key derived from the store key, the same data associated), as
 * the module itself is for the store: the gateway can neither read nor
 * change it. So a restarted monitor loads its store's code instead of
 * compiling all of it again, and never runs code its own helper did not
 * make.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

/* A compilation's deadline and memory are the helper's to enforce (it
 * kills the child that compiles); the deploy thread waits that long and
 * MN_GRACE_MS more before it takes the helper itself for hung. */
#define MN_GRACE_MS 30000
#define MN_MAX_OBJECT (512u << 20)
#define MN_CACHE_BYTES (256u << 20) /* objects kept for deploys of the same module again */
#define MN_CHECK_MS 200             /* how often a waiting deploy looks at its connection */
#define MN_MAC 32u
#define MN_STORE_MAX (PROTO_MAX_PAYLOAD - (1u << 20)) /* a reply with it must fit */

/* The code keys' labels under the store key (mon_attest_derive): the MAC
 * of a module's code, and the sealing of a sealed module's code. */
#define MN_CODE_LABEL "ward-native-code-1"
#define MN_SEAL_LABEL "ward-native-sealed-1"
#define MN_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define MN_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

/* The helper's answers, kept by what they depend on (the module's bytes,
 * memory mode, Cage flags: the helper's output is the same for the same
 * input): a gateway that reconnects deploys its whole store again (HELLO
 * forgets every function), and that must not compile everything again.
 * The newest first; the oldest go past MN_CACHE_BYTES. */
typedef struct mn_entry {
    uint8_t key[64];
    uint8_t *reply; /* cpu[64] features[32] opt[4], the object */
    size_t len;
    struct mn_entry *next;
} mn_entry;

#define MN_MAX_HELPERS 16

static struct {
    pthread_mutex_t lock;            /* the helpers' state, the cache, loading */
    pthread_cond_t free_cv;          /* a helper became free (or was lost) */
    int fd[MN_MAX_HELPERS];          /* each helper's socket; -1: lost or never started */
    bool busy[MN_MAX_HELPERS];       /* a deploy thread is talking to it */
    unsigned nhelpers, alive;        /* started; not lost */
    uint32_t timeout_ms, memory_mib; /* of each compilation (ward serve --compile-*) */
    char why[300];                   /* why there is no native code (alive == 0) */
    uint8_t exe_hash[64];
    bool have_exe;
    uint8_t code_key[32]; /* PROTO_F_NATIVE's MAC */
    bool key_kept;        /* code_key is the platform's (mon_native_platform_key) */
    mn_entry *cache;      /* under lock */
    size_t cache_bytes;
    /* counters, under stat_lock (a STATS reply must not wait for a compilation) */
    pthread_mutex_t stat_lock;
    bool available;
    uint64_t compiles, failures, cancelled, object_bytes, functions, cache_hits;
    uint64_t store_hits, store_refused;
    double seconds;
} mn = {.lock = PTHREAD_MUTEX_INITIALIZER,
        .free_cv = PTHREAD_COND_INITIALIZER,
        .stat_lock = PTHREAD_MUTEX_INITIALIZER};

/* Where a deploy's code came from. */
enum { MN_FAILED, MN_CANCELLED, MN_COMPILED, MN_CACHED, MN_STORED };

static void mn_count(int how, uint64_t bytes, uint32_t funcs, double seconds)
{
    pthread_mutex_lock(&mn.stat_lock);
    if (how == MN_FAILED) {
        mn.failures++;
    } else if (how == MN_CANCELLED) {
        mn.cancelled++;
    } else {
        mn.cache_hits += how == MN_CACHED;
        mn.store_hits += how == MN_STORED;
        mn.functions += funcs;
    }
    if (how == MN_COMPILED) {
        mn.compiles++;
        mn.object_bytes += bytes;
        mn.seconds += seconds;
    }
    pthread_mutex_unlock(&mn.stat_lock);
}

bool mon_native_key(int fd)
{
    if (fd < 0) {
        randombytes_buf(mn.code_key, sizeof mn.code_key);
        return true;
    }
    bool ok = proto_read_all(fd, mn.code_key, sizeof mn.code_key);
    close(fd);
    return ok;
}

void mon_native_platform_key(void)
{
    uint8_t k[32];
    if (!mon_attest_derive(MN_CODE_LABEL, k)) return;
    memcpy(mn.code_key, k, sizeof k);
    sodium_memzero(k, sizeof k);
    mn.key_kept = true;
}

/* The MAC of the code for the store: what the helper answered (reply, n
 * bytes) for the module and configuration of key. */
static void mn_mac(uint8_t out[MN_MAC], const uint8_t key[64], const uint8_t *reply, size_t n)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, mn.code_key, sizeof mn.code_key, MN_MAC);
    crypto_generichash_update(&st, (const uint8_t *)"ward-native-store-1", 19);
    crypto_generichash_update(&st, mn.exe_hash, sizeof mn.exe_hash);
    crypto_generichash_update(&st, key, 64);
    crypto_generichash_update(&st, reply, n);
    crypto_generichash_final(&st, out, MN_MAC);
}

/* The sealing key of a sealed module's code (under the store key; false
 * without one) and its associated data: what the code depends on, as
 * mn_mac's. */
static bool mn_seal_key(uint8_t k[32], uint8_t ad[128], const uint8_t key[64])
{
    memcpy(ad, mn.exe_hash, 64);
    memcpy(ad + 64, key, 64);
    return mon_attest_derive(MN_SEAL_LABEL, k);
}

/* The helper's answer (reply, n bytes) for the module and configuration of
 * key, in the store's form: behind a MAC, or for a sealed module sealed
 * (nonce, ciphertext, tag). NULL if there is none (no store key for a
 * sealed module, out of memory, too large for the reply). */
static uint8_t *mn_store_make(const mon_fn *fn, const uint8_t key[64], const uint8_t *reply,
                              size_t n, size_t module_len, size_t *len)
{
    /* a sealed module's code goes in the same reply as the module sealed
     * for the store (mon_attest_deploy_reply): both must fit */
    uint64_t need = fn->sealed ? (uint64_t)n + MN_NONCE + MN_TAG + 2 * (uint64_t)module_len
                               : (uint64_t)n + MN_MAC;
    *len = fn->sealed ? n + MN_NONCE + MN_TAG : n + MN_MAC;
    uint8_t k[32], ad[128], *out = need <= MN_STORE_MAX ? malloc(*len) : NULL;
    if (!out) return NULL;
    if (!fn->sealed) {
        mn_mac(out, key, reply, n);
        memcpy(out + MN_MAC, reply, n);
        return out;
    }
    if (!mn_seal_key(k, ad, key)) {
        free(out);
        return NULL;
    }
    randombytes_buf(out, MN_NONCE);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + MN_NONCE, NULL, reply, n, ad, sizeof ad, NULL,
                                               out, k);
    sodium_memzero(k, sizeof k);
    return out;
}

/* mn_store_make's inverse: the answer in stored (*n bytes, malloc'd), or
 * NULL if it does not check (another key, module or helper, changed, cut). */
static uint8_t *mn_store_open(const mon_fn *fn, const uint8_t key[64], const proto_field *stored,
                              uint64_t *n)
{
    size_t over = fn->sealed ? MN_NONCE + MN_TAG : MN_MAC;
    if (stored->len < over + 100) return NULL;
    *n = stored->len - over;
    uint8_t k[32], ad[128], mac[MN_MAC], *out = malloc(*n);
    if (!out) return NULL;
    bool ok;
    if (!fn->sealed) {
        mn_mac(mac, key, stored->data + MN_MAC, *n);
        ok = !sodium_memcmp(mac, stored->data, MN_MAC);
        if (ok) memcpy(out, stored->data + MN_MAC, *n);
    } else {
        ok = mn_seal_key(k, ad, key) &&
             crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, stored->data + MN_NONCE,
                                                        stored->len - MN_NONCE, ad, sizeof ad,
                                                        stored->data, k) == 0;
        sodium_memzero(k, sizeof k);
    }
    if (!ok) free(out);
    return ok ? out : NULL;
}

static bool mn_hash_fd(int fd, uint8_t out[64])
{
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    uint8_t buf[65536];
    for (;;) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return false;
        if (k == 0) break;
        crypto_hash_sha512_update(&st, buf, (size_t)k);
    }
    crypto_hash_sha512_final(&st, out);
    return true;
}

/* Starts one helper from exe (hashed already); its socket, or -1 with
 * mn.why. */
static int mn_spawn(int exe)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(mn.why, sizeof mn.why, "socketpair: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The helper gets its socket as descriptor 3 and nothing else. */
        if (dup2(sv[1], 3) < 0) _exit(127);
        for (int fd = 4; fd < 1024; fd++)
            if (fd != exe) close(fd);
        char *argv[] = {"ward-native", "--compile-server", "3", NULL};
        extern char **environ;
        fexecve(exe, argv, environ);
        _exit(127);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        snprintf(mn.why, sizeof mn.why, "fork: %s", strerror(errno));
        return -1;
    }
    return sv[0];
}

bool mon_native_start(bool want, unsigned helpers, uint32_t timeout_ms, uint32_t memory_mib)
{
    mn.timeout_ms = timeout_ms;
    mn.memory_mib = memory_mib;
    for (unsigned i = 0; i < MN_MAX_HELPERS; i++)
        mn.fd[i] = -1;
    if (!want) {
        snprintf(mn.why, sizeof mn.why, "the node was started with --no-native");
        return false;
    }
    char path[4096];
    const char *env = getenv("WARD_NATIVE");
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        ssize_t len = readlink("/proc/self/exe", path, sizeof path - 16);
        if (len <= 0) {
            snprintf(mn.why, sizeof mn.why, "cannot find its own executable");
            return false;
        }
        path[len] = '\0';
        char *slash = strrchr(path, '/');
        snprintf(slash ? slash + 1 : path, 16, "ward-native");
    }
    int exe = open(path, O_RDONLY | O_CLOEXEC);
    if (exe < 0) {
        snprintf(mn.why, sizeof mn.why, "this node has no native backend (%.200s: %s)", path,
                 strerror(errno));
        return false;
    }
    if (!mn_hash_fd(exe, mn.exe_hash)) {
        close(exe);
        snprintf(mn.why, sizeof mn.why, "cannot read %.200s", path);
        return false;
    }
    mn.have_exe = true;
    /* Above the descriptors the child sets up (3: its socket). */
    int high = fcntl(exe, F_DUPFD_CLOEXEC, 10);
    close(exe);
    if (high < 0) {
        snprintf(mn.why, sizeof mn.why, "fcntl: %s", strerror(errno));
        return false;
    }
    exe = high;
    if (helpers < 1) helpers = 1;
    if (helpers > MN_MAX_HELPERS) helpers = MN_MAX_HELPERS;
    for (unsigned i = 0; i < helpers; i++) {
        mn.fd[i] = mn_spawn(exe);
        if (mn.fd[i] < 0) break;
        mn.nhelpers++;
    }
    close(exe);
    mn.alive = mn.nhelpers;
    /* Guard pages of loaded code need the fault handler: installed now,
     * the sandbox forbids sigaction later. */
    if (mn.alive && !ward_native_loader_init()) {
        snprintf(mn.why, sizeof mn.why, "no fault handler for guard pages on this platform");
        mn.alive = 0;
    }
    if (!mn.alive) {
        for (unsigned i = 0; i < mn.nhelpers; i++)
            close(mn.fd[i]), mn.fd[i] = -1;
        return false;
    }
    mn.available = true;
    return true;
}

const char *mon_native_why(void)
{
    return mn.why;
}

bool mon_native_exe_hash(uint8_t out[64])
{
    if (mn.have_exe) memcpy(out, mn.exe_hash, 64);
    return mn.have_exe;
}

/* Writes all of p, without SIGPIPE if the helper is gone. */
static bool mn_send(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        struct iovec v = {(void *)b, n};
        struct msghdr mh = {.msg_iov = &v, .msg_iovlen = 1};
        ssize_t k = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        b += k, n -= (size_t)k;
    }
    return true;
}

/* Monotonic time in seconds. */
static double mn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mn_ms(void)
{
    return (uint64_t)(mn_now() * 1000.0);
}

/* Reads n bytes from helper fd until until_ms. While gen is set and the
 * helper has not been told yet (*cancelled), a gone connection gen tells it
 * to stop (compile_server.c: "WNCX"); its answer comes at once then. */
static bool mn_recv(int fd, void *p, size_t n, uint64_t until_ms, uint64_t gen, bool *cancelled)
{
    static const uint8_t cancel[32] = {'W', 'N', 'C', 'X'};
    uint8_t *b = p;
    while (n) {
        uint64_t now = mn_ms();
        if (now >= until_ms) return false;
        bool watch = gen && !*cancelled;
        struct pollfd pf = {fd, POLLIN, 0};
        uint64_t left = until_ms - now;
        int r = poll(&pf, 1, (int)(watch && left > MN_CHECK_MS ? MN_CHECK_MS : left));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0 && watch && !mon_conn_is(gen)) {
            if (!mn_send(fd, cancel, sizeof cancel)) return false;
            *cancelled = true;
        }
        if (r == 0) continue;
        if (r < 0) return false;
        ssize_t k = read(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        b += k, n -= (size_t)k;
    }
    return true;
}

static void mn_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t mn_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Helper i is gone (or hung; under mn.lock): it is not used again, and
 * with the last one goes native code. msg gets what the deploy that saw
 * it says. */
static void mn_lost(unsigned i, const char *what, char *msg, size_t cap)
{
    close(mn.fd[i]);
    mn.fd[i] = -1;
    mn.alive--;
    mn_count(MN_FAILED, 0, 0, 0);
    snprintf(msg, cap, "tier native: the compile helper %s%s", what,
             mn.alive ? "" : "; native code is unavailable until the node restarts");
    if (!mn.alive)
        snprintf(mn.why, sizeof mn.why,
                 "the compile helper %s; native code is unavailable until the node restarts", what);
    pthread_mutex_lock(&mn.stat_lock);
    mn.available = mn.alive > 0;
    pthread_mutex_unlock(&mn.stat_lock);
}

bool mon_native_build(mon_fn *fn, const uint8_t *wasm, size_t len, uint64_t gen,
                      const proto_field *stored, proto_status *st, char *msg, size_t cap)
{
    bool ok = false;
    *st = PROTO_ST_INTERNAL;
    uint8_t *obj = NULL;
    double t0 = mn_now();
    uint8_t h[32], key[64];
    {
        crypto_hash_sha512_state ks;
        uint8_t cfg[2] = {fn->paged ? 1 : 0, (uint8_t)fn->cage};
        crypto_hash_sha512_init(&ks);
        crypto_hash_sha512_update(&ks, cfg, sizeof cfg);
        crypto_hash_sha512_update(&ks, wasm, len);
        crypto_hash_sha512_final(&ks, key);
    }
    uint64_t n = 0;
    bool cancelled = false;
    int how = MN_COMPILED;
    int hi = -1; /* the helper this deploy talks to */
    if (stored && (obj = mn_store_open(fn, key, stored, &n))) how = MN_STORED;
    if (stored && how != MN_STORED) {
        pthread_mutex_lock(&mn.stat_lock);
        mn.store_refused++;
        pthread_mutex_unlock(&mn.stat_lock);
    }
    pthread_mutex_lock(&mn.lock);
    /* The code kept from an earlier deploy, or a free helper; looked for
     * again after each wait (the deploy waited for may have compiled this
     * module). */
    for (;;) {
        if (!mn.alive) {
            *st = PROTO_ST_BAD_REQUEST;
            snprintf(msg, cap, "tier native: %s", mn.why);
            goto out;
        }
        if (how == MN_STORED) goto load; /* (loaded only with the fault handler in place) */
        for (mn_entry **pp = &mn.cache; *pp; pp = &(*pp)->next) {
            if (memcmp((*pp)->key, key, 64) != 0) continue;
            mn_entry *e = *pp;
            *pp = e->next; /* to the front */
            e->next = mn.cache;
            mn.cache = e;
            obj = malloc(e->len);
            if (!obj) {
                snprintf(msg, cap, "out of memory");
                goto out;
            }
            memcpy(obj, e->reply, e->len);
            n = e->len;
            how = MN_CACHED;
            break;
        }
        if (how == MN_CACHED) goto load;
        for (unsigned i = 0; i < mn.nhelpers && hi < 0; i++)
            if (mn.fd[i] >= 0 && !mn.busy[i]) hi = (int)i;
        if (hi >= 0) break;
        pthread_cond_wait(&mn.free_cv, &mn.lock);
    }
    mn.busy[hi] = true;
    int fd = mn.fd[hi];
    pthread_mutex_unlock(&mn.lock);

    /* The request and its answer, without the lock. */
    const char *lost = NULL;
    uint32_t status = 0;
    memcpy(h, "WNC2", 4);
    mn_put32(h + 4, fn->paged ? 1u : 0u);
    mn_put32(h + 8, (fn->cage & PROTO_CAGE_MEM_SAFETY) ? 1u : 0u);
    mn_put32(h + 12, ((fn->cage & PROTO_CAGE_MEM_SAFETY) ? WARD_FEATURE_MEM_SAFETY : 0u) |
                         ((fn->cage & PROTO_CAGE_PTR_AUTH) ? WARD_FEATURE_PTR_AUTH : 0u));
    mn_put32(h + 16, mn.timeout_ms);
    mn_put32(h + 20, mn.memory_mib);
    for (int i = 0; i < 8; i++)
        h[24 + i] = (uint8_t)((uint64_t)len >> (8 * i));
    uint64_t until = mn_ms() + mn.timeout_ms + MN_GRACE_MS;
    uint8_t r[16];
    if (!mn_send(fd, h, sizeof h) || !mn_send(fd, wasm, len)) {
        lost = "is gone";
    } else if (!mn_recv(fd, r, sizeof r, until, gen, &cancelled) || memcmp(r, "WNC2", 4) != 0) {
        lost = "died or did not answer in time";
    } else {
        status = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;
        n = mn_get64(r + 8);
        if (n > MN_MAX_OBJECT || (status == 0 && n < 100))
            lost = "sent a malformed reply";
        else if (!(obj = malloc(n ? n : 1)) || !mn_recv(fd, obj, n, until, 0, &cancelled))
            lost = "died while answering";
    }

    pthread_mutex_lock(&mn.lock);
    mn.busy[hi] = false;
    if (lost) mn_lost((unsigned)hi, lost, msg, cap);
    pthread_cond_broadcast(&mn.free_cv);
    if (lost) goto out;
    if (status != 0 && cancelled) {
        mn_count(MN_CANCELLED, 0, 0, 0);
        snprintf(msg, cap, "tier native: compiling cancelled: the deploy's connection is gone");
        goto out;
    }
    if (status != 0) {
        mn_count(MN_FAILED, 0, 0, 0);
        *st = PROTO_ST_BAD_MODULE;
        snprintf(msg, cap, "tier native: compiling failed: %.*s", (int)(n < 240 ? n : 240),
                 (const char *)obj);
        goto out;
    }
load:
    /* cpu[64] features[32] opt[4], then the object */
    memcpy(fn->nat_cpu, obj, 64);
    fn->nat_cpu[63] = '\0';
    memcpy(fn->nat_features, obj + 64, 32);
    fn->nat_opt = (uint32_t)obj[96] | (uint32_t)obj[97] << 8 | (uint32_t)obj[98] << 16 |
                  (uint32_t)obj[99] << 24;
    crypto_hash_sha512(fn->nat_object, obj + 100, n - 100);
    char err[300];
    uint32_t nc = 0;
    if (!ward_module_native_load(fn->module, fn->paged ? WARD_MEMORY_PAGED : WARD_MEMORY_FLAT,
                                 (fn->cage & PROTO_CAGE_MEM_SAFETY) != 0, obj + 100, n - 100, &nc,
                                 err, sizeof err)) {
        mn_count(MN_FAILED, 0, 0, 0);
        *st = PROTO_ST_BAD_MODULE;
        snprintf(msg, cap, "tier native: loading the code failed: %s", err);
        goto out;
    }
    fn->nat_funcs = nc;
    mn_count(how, n - 100, nc, mn_now() - t0);
    if (how != MN_STORED) fn->nat_store = mn_store_make(fn, key, obj, n, len, &fn->nat_store_len);
    /* Kept once (two tenants' deploys of one module may have compiled it
     * side by side). */
    bool kept_already = false;
    for (mn_entry *e = mn.cache; e && !kept_already; e = e->next)
        kept_already = !memcmp(e->key, key, 64);
    if (how != MN_CACHED && !kept_already && n <= MN_CACHE_BYTES) {
        mn_entry *e = malloc(sizeof *e);
        if (e) {
            memcpy(e->key, key, 64);
            e->reply = obj;
            e->len = n;
            e->next = mn.cache;
            mn.cache = e;
            mn.cache_bytes += n;
            obj = NULL;
            /* the oldest go */
            mn_entry **pp = &mn.cache;
            size_t kept = 0;
            while (*pp && kept + (*pp)->len <= MN_CACHE_BYTES)
                kept += (*pp)->len, pp = &(*pp)->next;
            while (*pp) {
                mn_entry *old = *pp;
                *pp = old->next;
                mn.cache_bytes -= old->len;
                free(old->reply);
                free(old);
            }
        }
    }
    ok = true;
out:
    free(obj);
    pthread_mutex_unlock(&mn.lock);
    return ok;
}

void mon_native_stats(proto_buf *b)
{
    pthread_mutex_lock(&mn.stat_lock);
    mon_stat(b, "ward_monitor_native_available %d", mn.available);
    mon_stat(b, "ward_monitor_native_compiles_total %llu", (unsigned long long)mn.compiles);
    mon_stat(b, "ward_monitor_native_failures_total %llu", (unsigned long long)mn.failures);
    mon_stat(b, "ward_monitor_native_cancelled_total %llu", (unsigned long long)mn.cancelled);
    mon_stat(b, "ward_monitor_native_cache_hits_total %llu", (unsigned long long)mn.cache_hits);
    mon_stat(b, "ward_monitor_native_store_hits_total %llu", (unsigned long long)mn.store_hits);
    mon_stat(b, "ward_monitor_native_store_refused_total %llu",
             (unsigned long long)mn.store_refused);
    /* 1: the store's code outlives this `ward serve` (mon_native_platform_key) */
    mon_stat(b, "ward_monitor_native_platform_key %d", mn.key_kept);
    mon_stat(b, "ward_monitor_native_functions_total %llu", (unsigned long long)mn.functions);
    mon_stat(b, "ward_monitor_native_object_bytes_total %llu", (unsigned long long)mn.object_bytes);
    mon_stat(b, "ward_monitor_native_compile_seconds_total %.6f", mn.seconds);
    pthread_mutex_unlock(&mn.stat_lock);
}
