/* gw_link.c - the gateway's end of the protocol: one connection to the
 * monitor at a time, requests matched to replies by id, and the replay of
 * the store onto every new connection (a restarted monitor starts empty).
 *
 * A reader thread waits on the supervisor's control socket (new
 * connections arrive there as SCM_RIGHTS) and on the connection (replies).
 * When the connection ends, every request waiting on it fails at once
 * (the HTTP side answers 503): nothing waits on a dead monitor.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

#define GW_SLOTS 1024

typedef struct gw_slot {
    bool used, done;
    uint32_t id;
    uint64_t gen;
    uint8_t *reply;
    size_t len;
} gw_slot;

static pthread_mutex_t link_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t link_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;
static gw_slot slots[GW_SLOTS];
static int conn = -1;
static uint64_t conn_gen;
static bool ready; /* the store has been replayed onto the connection */
static uint32_t next_id = 1;
static const gw_config *cfg;

bool gw_link_ready(void)
{
    pthread_mutex_lock(&link_lock);
    bool r = ready;
    pthread_mutex_unlock(&link_lock);
    return r;
}

/* Fails every waiting request of connections other than `keep_gen`. */
static void fail_pending(void)
{
    for (int i = 0; i < GW_SLOTS; i++)
        if (slots[i].used && !slots[i].done) slots[i].done = true; /* reply NULL: gone */
    pthread_cond_broadcast(&link_cv);
}

/* A deadline timeout_ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(uint64_t timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)(timeout_ms / 1000);
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    return dl;
}

static int64_t call_raw(proto_buf *req, uint64_t timeout_ms, uint8_t **reply, size_t *len,
                        bool need_ready)
{
    pthread_mutex_lock(&link_lock);
    /* A request that arrives while the monitor (re)connects, or while the
     * store is replayed onto it (a restart of either side), waits for that
     * a while instead of failing at once: a restart costs clients time,
     * not errors. Requests in flight when a connection ends still fail at
     * once (fail_pending). */
    if (need_ready && !ready) {
        struct timespec dl = deadline_in(GW_READY_WAIT_MS);
        while (!ready && pthread_cond_timedwait(&link_cv, &link_lock, &dl) != ETIMEDOUT) {
        }
    }
    if (conn < 0 || (need_ready && !ready)) {
        pthread_mutex_unlock(&link_lock);
        return GW_DOWN;
    }
    gw_slot *s = NULL;
    for (int i = 0; i < GW_SLOTS && !s; i++)
        if (!slots[i].used) s = &slots[i];
    if (!s) {
        pthread_mutex_unlock(&link_lock);
        return GW_BUSY;
    }
    uint32_t id = next_id++;
    if (!next_id) next_id = 1;
    *s = (gw_slot){.used = true, .id = id, .gen = conn_gen};
    int fd = conn;
    uint64_t gen = conn_gen;
    pthread_mutex_unlock(&link_lock);

    /* the id goes into the header now that it is known */
    req->data[8] = (uint8_t)id;
    req->data[9] = (uint8_t)(id >> 8);
    req->data[10] = (uint8_t)(id >> 16);
    req->data[11] = (uint8_t)(id >> 24);
    pthread_mutex_lock(&send_lock);
    bool sent = proto_send(fd, req);
    pthread_mutex_unlock(&send_lock);

    struct timespec dl = deadline_in(timeout_ms);
    pthread_mutex_lock(&link_lock);
    int64_t rc = GW_OK;
    if (!sent) {
        rc = GW_DOWN;
    } else {
        while (!s->done && conn_gen == gen) {
            if (pthread_cond_timedwait(&link_cv, &link_lock, &dl) == ETIMEDOUT) break;
        }
        if (s->done && s->reply) {
            *reply = s->reply;
            *len = s->len;
        } else {
            rc = s->done || conn_gen != gen ? GW_DOWN : GW_TIMEOUT;
            free(s->reply);
        }
    }
    *s = (gw_slot){0};
    pthread_mutex_unlock(&link_lock);
    return rc;
}

int64_t gw_call(proto_buf *req, uint64_t timeout_ms, uint8_t **reply, size_t *len)
{
    return call_raw(req, timeout_ms, reply, len, true);
}

/* A request during replay: a reply of type OK or an error message in why.
 * For the deploy of function fn of tenant (NULL: another request), native
 * code in the OK is kept in the store: the monitor sends it when it did not
 * take the store's (none, or refused: from another node's run, changed). */
static bool replay_call(proto_buf *b, const char *tenant, const char *fn, char *why, size_t cap)
{
    uint8_t *raw = NULL;
    size_t len;
    static proto_msg m;
    const char *w;
    if (!proto_end(b) || call_raw(b, 60000, &raw, &len, false) != GW_OK) {
        snprintf(why, cap, "no answer");
        return false;
    }
    bool ok = proto_decode(raw, len, &m, &w) && m.type == PROTO_OK;
    const proto_field *code = ok && fn ? proto_get(&m, PROTO_F_NATIVE) : NULL;
    if (code) gw_store_put(tenant, "fn", fn, "native", code->data, code->len);
    if (!ok) {
        char msg[300] = "bad reply";
        proto_str(&m, PROTO_F_MESSAGE, msg, sizeof msg);
        snprintf(why, cap, "%s", msg);
    }
    free(raw);
    return ok;
}

/* Sends HELLO, every tenant's limits, then every function of the store. */
static void *replay(void *arg)
{
    uint64_t gen = (uint64_t)(uintptr_t)arg;
    proto_buf b = {0};
    char why[300];
    proto_begin(&b, PROTO_HELLO, 0);
    bool ok = replay_call(&b, NULL, NULL, why, sizeof why);
    for (size_t i = 0; ok && i < cfg->ntenants; i++) {
        const gw_tenant *t = &cfg->tenants[i];
        proto_begin(&b, PROTO_TENANT, 0);
        proto_put_str(&b, PROTO_F_TENANT, t->name);
        if (t->max_funcs) proto_put_u64(&b, PROTO_F_LIMIT_FUNCS, t->max_funcs);
        if (t->max_conc) proto_put_u64(&b, PROTO_F_LIMIT_CONC, t->max_conc);
        if (t->max_mem) proto_put_u64(&b, PROTO_F_LIMIT_MEM, t->max_mem);
        ok = replay_call(&b, NULL, NULL, why, sizeof why);
    }
    size_t n = 0, bad = 0;
    gw_fn_ref *refs = ok ? gw_store_all(&n) : NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (!gw_deploy_msg(&b, refs[i].tenant, refs[i].name, why, sizeof why)) {
            fprintf(stderr, "ward gateway: store: %s/%s: %s\n", refs[i].tenant, refs[i].name, why);
            bad++;
            continue;
        }
        if (!replay_call(&b, refs[i].tenant, refs[i].name, why, sizeof why)) {
            fprintf(stderr, "ward gateway: re-deploy of %s/%s refused: %s\n", refs[i].tenant,
                    refs[i].name, why);
            bad++;
        }
    }
    free(refs);
    proto_buf_free(&b);
    pthread_mutex_lock(&link_lock);
    if (conn_gen == gen && ok) ready = true;
    pthread_cond_broadcast(&link_cv);
    pthread_mutex_unlock(&link_lock);
    if (ok)
        fprintf(stderr,
                "ward gateway: monitor connected, %zu function(s) deployed from the store\n",
                n - bad);
    return NULL;
}

static void set_conn(int fd)
{
    pthread_mutex_lock(&send_lock);
    pthread_mutex_lock(&link_lock);
    if (conn >= 0) close(conn);
    conn = fd;
    conn_gen++;
    ready = false;
    fail_pending();
    uint64_t gen = conn_gen;
    pthread_mutex_unlock(&link_lock);
    pthread_mutex_unlock(&send_lock);
    if (fd >= 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, replay, (void *)(uintptr_t)gen) == 0) pthread_detach(t);
    }
}

static void *reader(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&link_lock);
        int fd = conn;
        pthread_mutex_unlock(&link_lock);
        struct pollfd p[2] = {{cfg->ctl_fd, POLLIN, 0}, {fd, POLLIN, 0}};
        int n = poll(p, fd >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(1);
        }
        if (p[0].revents) {
            int nfd = proto_recv_fd(cfg->ctl_fd);
            if (nfd == -1) _exit(0); /* the supervisor is gone */
            if (nfd >= 0) set_conn(nfd);
            continue;
        }
        if (fd < 0 || !p[1].revents) continue;
        uint8_t *raw;
        size_t len;
        const char *why;
        if (!proto_recv(fd, &raw, &len, &why)) {
            fprintf(stderr, "ward gateway: monitor connection lost (%s)\n", why);
            pthread_mutex_lock(&link_lock);
            bool same = conn == fd;
            pthread_mutex_unlock(&link_lock);
            if (same) set_conn(-1);
            continue;
        }
        uint32_t id = (uint32_t)raw[8] | (uint32_t)raw[9] << 8 | (uint32_t)raw[10] << 16 |
                      (uint32_t)raw[11] << 24;
        pthread_mutex_lock(&link_lock);
        gw_slot *s = NULL;
        for (int i = 0; i < GW_SLOTS && !s; i++)
            if (slots[i].used && !slots[i].done && slots[i].id == id) s = &slots[i];
        if (s) {
            s->reply = raw;
            s->len = len;
            s->done = true;
            pthread_cond_broadcast(&link_cv);
        } else {
            free(raw); /* its requester gave up */
        }
        pthread_mutex_unlock(&link_lock);
    }
    return NULL;
}

bool gw_link_start(const gw_config *c)
{
    cfg = c;
    pthread_t t;
    if (pthread_create(&t, NULL, reader, NULL) != 0) return false;
    pthread_detach(t);
    return true;
}
