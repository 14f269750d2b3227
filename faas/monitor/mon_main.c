/* mon_main.c - the monitor's process: start-up, the sandbox, and the loop
 * that reads the gateway's messages.
 *
 *   ward-monitor --ctl FD [--workers N] [--deploys N] [--queue N] [--timeout-ms N] [--no-sandbox]
 *                [--tier interp|native] [--no-native]
 *                [--compile-timeout-ms N] [--compile-memory-mib N]
 *
 * FD is a Unix socket to the supervisor (ward serve). The supervisor sends
 * the monitor each connection to a gateway over it (SCM_RIGHTS), so that a
 * restarted gateway reaches the same monitor and a restarted monitor the
 * same gateway, while the monitor itself opens nothing: after start-up it
 * only reads, writes and maps memory (mon_sandbox.c). It exits when the
 * supervisor goes away.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

mon_state mon = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .queue_cv = PTHREAD_COND_INITIALIZER,
    .out_lock = PTHREAD_MUTEX_INITIALIZER,
    .conn = -1,
};

/* ---- replies ------------------------------------------------------------------------ */

bool mon_send(uint64_t gen, proto_buf *b)
{
    bool ok = false;
    pthread_mutex_lock(&mon.out_lock);
    if (gen == mon.conn_gen && mon.conn >= 0) ok = proto_send(mon.conn, b);
    pthread_mutex_unlock(&mon.out_lock);
    return ok;
}

void mon_reply_error(uint64_t gen, uint32_t id, proto_status st, const char *msg, int64_t step)
{
    proto_buf b = {0};
    proto_begin(&b, PROTO_ERROR, id);
    proto_put_u64(&b, PROTO_F_STATUS, st);
    proto_put_str(&b, PROTO_F_MESSAGE, msg);
    if (step >= 0) proto_put_u64(&b, PROTO_F_STEP_INDEX, (uint64_t)step);
    if (proto_end(&b)) mon_send(gen, &b);
    proto_buf_free(&b);
}

static void reply_ok(uint64_t gen, uint32_t id)
{
    proto_buf b = {0};
    proto_begin(&b, PROTO_OK, id);
    proto_put_u64(&b, PROTO_F_STATUS, PROTO_ST_OK);
    if (proto_end(&b)) mon_send(gen, &b);
    proto_buf_free(&b);
}

/* ---- names, tenants, functions (under mon.lock) ------------------------------------- */

/* Tenant and function names: 1-63 bytes of [A-Za-z0-9_.-], not starting with '.'. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= PROTO_MAX_NAME || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static mon_tenant *tenant_get(const char *name)
{
    for (size_t i = 0; i < mon.ntenants; i++)
        if (!strcmp(mon.tenants[i]->name, name)) return mon.tenants[i];
    if (mon.ntenants == sizeof mon.tenants / sizeof *mon.tenants) return NULL;
    mon_tenant *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->max_funcs = 256;
    t->max_conc = 64;
    t->max_mem = 16ull << 30;
    mon.tenants[mon.ntenants++] = t;
    return t;
}

static size_t fn_find(const char *tenant, const char *name)
{
    for (size_t i = 0; i < mon.nfns; i++)
        if (!strcmp(mon.fns[i]->tenant, tenant) && !strcmp(mon.fns[i]->name, name)) return i;
    return (size_t)-1;
}

/* Removes entry i (the table's reference is dropped; templates follow). */
static void fn_remove(size_t i)
{
    mon_fn *fn = mon.fns[i];
    __atomic_store_n(&fn->dead, true, __ATOMIC_RELEASE);
    mon_tenant *t = tenant_get(fn->tenant);
    if (t && t->nfuncs) t->nfuncs--;
    mon.fns[i] = mon.fns[--mon.nfns];
    mon_fn_release(fn);
}

/* ---- handlers ------------------------------------------------------------------------ */

static void on_hello(uint64_t gen, const proto_msg *m)
{
    pthread_mutex_lock(&mon.lock);
    while (mon.nfns)
        fn_remove(mon.nfns - 1);
    pthread_mutex_unlock(&mon.lock);
    reply_ok(gen, m->id);
}

static void on_tenant(uint64_t gen, const proto_msg *m)
{
    char name[PROTO_MAX_NAME];
    if (!proto_str(m, PROTO_F_TENANT, name, sizeof name) || !name_ok(name))
        return mon_reply_error(gen, m->id, PROTO_ST_BAD_REQUEST, "bad tenant name", -1);
    pthread_mutex_lock(&mon.lock);
    mon_tenant *t = tenant_get(name);
    if (t) {
        proto_u64(m, PROTO_F_LIMIT_FUNCS, &t->max_funcs);
        proto_u64(m, PROTO_F_LIMIT_CONC, &t->max_conc);
        proto_u64(m, PROTO_F_LIMIT_MEM, &t->max_mem);
    }
    pthread_mutex_unlock(&mon.lock);
    if (!t) return mon_reply_error(gen, m->id, PROTO_ST_LIMIT, "too many tenants", -1);
    reply_ok(gen, m->id);
}

mon_fn *mon_fn_build(const proto_msg *m, uint64_t gen, proto_status *stp, char *msg, size_t msgcap)
{
    mon_fn *fn = calloc(1, sizeof *fn);
    if (!fn) {
        *stp = PROTO_ST_INTERNAL;
        snprintf(msg, msgcap, "out of memory");
        return NULL;
    }
    fn->refs = 1;
    const proto_field *wasm = proto_get(m, PROTO_F_WASM);
    proto_status st = PROTO_ST_BAD_REQUEST;
    if (!proto_str(m, PROTO_F_TENANT, fn->tenant, sizeof fn->tenant) || !name_ok(fn->tenant) ||
        !proto_str(m, PROTO_F_NAME, fn->name, sizeof fn->name) || !name_ok(fn->name) ||
        (!wasm && !proto_get(m, PROTO_F_SEALED))) {
        snprintf(msg, msgcap, "a deploy needs a tenant, a valid name and a module");
        goto fail;
    }
    pthread_mutex_lock(&mon.lock);
    fn->owner = tenant_get(fn->tenant);
    pthread_mutex_unlock(&mon.lock);
    if (!fn->owner) {
        st = PROTO_ST_LIMIT;
        snprintf(msg, msgcap, "too many tenants");
        goto fail;
    }
    if (!proto_str(m, PROTO_F_ENTRY, fn->entry, sizeof fn->entry))
        snprintf(fn->entry, sizeof fn->entry, "_start");
    if (!proto_str(m, PROTO_F_INIT, fn->init, sizeof fn->init)) fn->init[0] = '\0';
    uint64_t mode = 1, timeout_ms = 0;
    proto_u64(m, PROTO_F_MEMORY_MODE, &mode);
    if (mode > 1) {
        snprintf(msg, msgcap, "memory mode is 0 (flat) or 1 (paged)");
        goto fail;
    }
    fn->paged = mode == 1;
    proto_u64(m, PROTO_F_FUEL, &fn->fuel);
    proto_u64(m, PROTO_F_TIMEOUT_MS, &timeout_ms);
    fn->timeout_ns = (timeout_ms ? timeout_ms : mon.default_timeout_ns / 1000000u) * 1000000u;
    fn->max_memory = 64ull << 20;
    proto_u64(m, PROTO_F_MAX_MEMORY, &fn->max_memory);
    fn->output_max = 1u << 20;
    proto_u64(m, PROTO_F_OUTPUT_MAX, &fn->output_max);
    if (fn->max_memory < MON_PAGE || fn->max_memory > (4ull << 30) || fn->output_max == 0 ||
        fn->output_max > (64u << 20) || timeout_ms > MON_MAX_TIMEOUT_MS) {
        snprintf(
            msg, msgcap,
            "a limit out of range (memory 64 KiB..4 GiB, output 1 B..64 MiB, timeout <= 900 s)");
        goto fail;
    }
    proto_u64(m, PROTO_F_GRANTS, &fn->grants);
    proto_u64(m, PROTO_F_CAGE, &fn->cage);
    uint64_t tier = PROTO_TIER_DEFAULT;
    proto_u64(m, PROTO_F_TIER, &tier);
    if (tier > PROTO_TIER_NATIVE) {
        snprintf(msg, msgcap, "tier is 1 (interp) or 2 (native)");
        goto fail;
    }
    fn->native = tier == PROTO_TIER_NATIVE || (tier == PROTO_TIER_DEFAULT && mon.default_native);
    if (fn->grants & ~(uint64_t)PROTO_GRANT_ALL_ || fn->cage & ~(uint64_t)PROTO_CAGE_ALL_) {
        snprintf(msg, msgcap, "unknown WASI grant or Cage flag bits");
        goto fail;
    }
    fn->args[fn->nargs++] = fn->name;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const proto_field *f = &m->fields[i];
        if (f->tag != PROTO_F_ENV) continue;
        if (fn->nenv == MON_MAX_ENV || !memchr(f->data, '=', f->len)) {
            snprintf(msg, msgcap, "too many or malformed environment entries");
            goto fail;
        }
        char *e = malloc(f->len + 1);
        if (!e) goto oom;
        memcpy(e, f->data, f->len);
        e[f->len] = '\0';
        fn->env[fn->nenv++] = e;
    }
    size_t arg_bytes = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const proto_field *f = &m->fields[i];
        if (f->tag != PROTO_F_ARG) continue;
        arg_bytes += f->len + 1;
        if (fn->nargs == MON_MAX_ARGS + 1 || arg_bytes > 65536 + PROTO_MAX_NAME ||
            memchr(f->data, '\0', f->len)) {
            snprintf(msg, msgcap, "too many, too long or malformed arguments");
            goto fail;
        }
        char *a = malloc(f->len + 1);
        if (!a) goto oom;
        memcpy(a, f->data, f->len);
        a[f->len] = '\0';
        fn->args[fn->nargs++] = a;
    }
    proto_field opened; /* a sealed module, opened (mon_attest.c) */
    if (!wasm && proto_get(m, PROTO_F_SEALED)) {
        if (!mon_attest_module(m, fn, &st, msg, msgcap)) goto fail;
        opened = (proto_field){PROTO_F_WASM, (uint32_t)fn->plain_len, fn->plain};
        wasm = &opened;
    }
    ward_error err;
    uint32_t features = ((fn->cage & PROTO_CAGE_MEM_SAFETY) ? WARD_FEATURE_MEM_SAFETY : 0u) |
                        ((fn->cage & PROTO_CAGE_PTR_AUTH) ? WARD_FEATURE_PTR_AUTH : 0u);
    fn->module = ward_module_new(wasm->data, wasm->len, features, &err);
    st = PROTO_ST_BAD_MODULE;
    if (!fn->module) {
        if (err.has_offset)
            snprintf(msg, msgcap, "module: %s at byte %zu [%s]", err.message, err.offset,
                     ward_error_name(err.code));
        else
            snprintf(msg, msgcap, "module: %s [%s]", err.message, ward_error_name(err.code));
        goto fail;
    }
    /* Native code: compiled once, here, for the template and all its clones. */
    if (fn->native && !mon_native_build(fn, wasm->data, wasm->len, gen,
                                        proto_get(m, PROTO_F_NATIVE), &st, msg, msgcap))
        goto fail;
    mon_attest_measure(fn, m, wasm->data, wasm->len);
    st = PROTO_ST_BAD_MODULE;
    bool over_limit = false;
    if (!mon_fn_check(fn, &over_limit, msg, msgcap)) {
        if (over_limit) st = PROTO_ST_LIMIT;
        goto fail;
    }
    if (!mon_attest_deploy_check(fn, msg, msgcap)) {
        st = PROTO_ST_SEALED;
        goto fail;
    }
    return fn;
oom:
    st = PROTO_ST_INTERNAL;
    snprintf(msg, msgcap, "out of memory");
fail:
    mon_fn_release(fn);
    *stp = st;
    return NULL;
}

/* Publishes a deploy built on the deploy thread: under mon.lock, and only
 * for the connection it came on (a new connection starts with HELLO, which
 * forgets every function; the gateway then deploys its store again). */
bool mon_conn_is(uint64_t gen)
{
    pthread_mutex_lock(&mon.out_lock);
    bool same = gen == mon.conn_gen;
    pthread_mutex_unlock(&mon.out_lock);
    return same;
}

static void deploy_publish(uint64_t gen, const proto_msg *m)
{
    char msg[320];
    proto_status st;
    if (!mon_conn_is(gen)) return; /* its connection is gone: not worth building */
    mon_fn *fn = mon_fn_build(m, gen, &st, msg, sizeof msg);
    if (!fn) return mon_reply_error(gen, m->id, st, msg, -1);
    pthread_mutex_lock(&mon.lock);
    if (!mon_conn_is(gen)) {
        pthread_mutex_unlock(&mon.lock);
        mon_fn_release(fn);
        return; /* nobody to answer */
    }
    mon_tenant *t = tenant_get(fn->tenant);
    size_t old = fn_find(fn->tenant, fn->name);
    if (!t || (old == (size_t)-1 && t->nfuncs >= t->max_funcs)) {
        pthread_mutex_unlock(&mon.lock);
        st = PROTO_ST_LIMIT;
        snprintf(msg, sizeof msg, "tenant %s may deploy at most %llu functions", fn->tenant,
                 t ? (unsigned long long)t->max_funcs : 0ull);
        goto fail;
    }
    if (old != (size_t)-1) fn_remove(old);
    if (mon.nfns == mon.cap_fns) {
        size_t cap = mon.cap_fns ? 2 * mon.cap_fns : 64;
        mon_fn **a = realloc(mon.fns, cap * sizeof *a);
        if (!a) {
            pthread_mutex_unlock(&mon.lock);
            st = PROTO_ST_INTERNAL;
            snprintf(msg, sizeof msg, "out of memory");
            goto fail;
        }
        mon.fns = a;
        mon.cap_fns = cap;
    }
    fn->id = ++mon.next_fn_id;
    mon.fns[mon.nfns++] = fn;
    t->nfuncs++;
    __atomic_add_fetch(&fn->refs, 1, __ATOMIC_ACQ_REL); /* for the reply */
    pthread_mutex_unlock(&mon.lock);
    mon_attest_deploy_reply(gen, m->id, fn); /* OK with its measurement */
    mon_fn_release(fn);
    return;
fail:
    mon_fn_release(fn);
    mon_reply_error(gen, m->id, st, msg, -1);
}

/* ---- the deploy threads ---------------------------------------------------------------
 * Validation, compilation, instantiation and initialisation of a deploy
 * take as long as the module makes them (native compilation up to
 * --compile-timeout, init up to its timeout), so they happen on deploy
 * threads (--deploys, default 2), never on the thread that reads the
 * socket: invocations and control messages keep flowing meanwhile. A
 * tenant's deploys run one at a time, in the order they came (so the last
 * deploy of a function is the one that stays); different tenants' run side
 * by side, so that one tenant's slow deploys hold up no other tenant's as
 * long as fewer tenants than threads are deploying slowly. */

#define MON_DEPLOY_QUEUE 64u
#define MON_MAX_DEPLOYERS 16u

typedef struct mon_deploy {
    uint64_t gen;
    uint8_t *raw;
    size_t len;
    char tenant[PROTO_MAX_NAME]; /* "" if the message names none (it fails at once) */
} mon_deploy;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    mon_deploy q[MON_DEPLOY_QUEUE]; /* in arrival order */
    size_t len;
    char busy[MON_MAX_DEPLOYERS][PROTO_MAX_NAME]; /* the tenant each thread deploys for */
    unsigned ready;
} deploys = {.lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The first waiting deploy whose tenant no thread is deploying for (under
 * deploys.lock); -1 if none. */
static long deploy_next(unsigned nthreads)
{
    for (size_t i = 0; i < deploys.len; i++) {
        const char *t = deploys.q[i].tenant;
        bool busy = false;
        for (unsigned k = 0; k < nthreads && *t && !busy; k++)
            busy = !strcmp(deploys.busy[k], t);
        if (!busy) return (long)i;
    }
    return -1;
}

static unsigned deploy_threads;
static proto_msg *deploy_msgs; /* large: each thread's decoded message */

static void *deploy_main(void *arg)
{
    unsigned self = (unsigned)(uintptr_t)arg;
    proto_msg *m = &deploy_msgs[self];
    mon_warm_up(); /* this thread's stack bounds, before the sandbox */
    pthread_mutex_lock(&deploys.lock);
    deploys.ready++;
    pthread_cond_broadcast(&deploys.cv);
    for (;;) {
        long i;
        while ((i = deploy_next(deploy_threads)) < 0)
            pthread_cond_wait(&deploys.cv, &deploys.lock);
        mon_deploy d = deploys.q[i];
        memmove(&deploys.q[i], &deploys.q[i + 1], (deploys.len - (size_t)i - 1) * sizeof d);
        deploys.len--;
        memcpy(deploys.busy[self], d.tenant, sizeof d.tenant);
        pthread_mutex_unlock(&deploys.lock);
        const char *why;
        if (proto_decode(d.raw, d.len, m, &why)) /* decoded once already: cannot fail */
            deploy_publish(d.gen, m);
        free(d.raw);
        pthread_mutex_lock(&deploys.lock);
        deploys.busy[self][0] = '\0';
        pthread_cond_broadcast(&deploys.cv); /* this tenant's next deploy may go */
    }
    return NULL;
}

static bool deploy_threads_start(unsigned n)
{
    deploy_threads = n;
    deploy_msgs = calloc(n, sizeof *deploy_msgs);
    if (!deploy_msgs) return false;
    for (unsigned k = 0; k < n; k++) {
        pthread_t t;
        if (pthread_create(&t, NULL, deploy_main, (void *)(uintptr_t)k)) return false;
        pthread_detach(t);
    }
    pthread_mutex_lock(&deploys.lock);
    while (deploys.ready < n)
        pthread_cond_wait(&deploys.cv, &deploys.lock);
    pthread_mutex_unlock(&deploys.lock);
    return true;
}

/* Takes ownership of raw. */
static void on_deploy(uint64_t gen, const proto_msg *m, uint8_t *raw, size_t len)
{
    mon_deploy d = {.gen = gen, .raw = raw, .len = len};
    if (!proto_str(m, PROTO_F_TENANT, d.tenant, sizeof d.tenant)) d.tenant[0] = '\0';
    pthread_mutex_lock(&deploys.lock);
    bool full = deploys.len == MON_DEPLOY_QUEUE;
    if (!full) {
        deploys.q[deploys.len++] = d;
        pthread_cond_broadcast(&deploys.cv);
    }
    pthread_mutex_unlock(&deploys.lock);
    if (full) {
        mon_reply_error(gen, m->id, PROTO_ST_BUSY, "too many deploys waiting", -1);
        free(raw);
    }
}

static void on_undeploy(uint64_t gen, const proto_msg *m)
{
    char tenant[PROTO_MAX_NAME], name[PROTO_MAX_NAME];
    if (!proto_str(m, PROTO_F_TENANT, tenant, sizeof tenant) ||
        !proto_str(m, PROTO_F_NAME, name, sizeof name))
        return mon_reply_error(gen, m->id, PROTO_ST_BAD_REQUEST, "tenant and name needed", -1);
    pthread_mutex_lock(&mon.lock);
    size_t i = fn_find(tenant, name);
    if (i != (size_t)-1) fn_remove(i);
    pthread_mutex_unlock(&mon.lock);
    if (i == (size_t)-1)
        return mon_reply_error(gen, m->id, PROTO_ST_NOT_FOUND, "no such function", -1);
    reply_ok(gen, m->id);
}

/* Takes ownership of raw (the message m was decoded from). */
static void on_invoke(uint64_t gen, const proto_msg *m, uint8_t *raw)
{
    char tenant[PROTO_MAX_NAME], msg[200];
    proto_status st = PROTO_ST_BAD_REQUEST;
    int64_t bad_step = -1;
    mon_job *job = calloc(1, sizeof *job);
    if (!job) {
        free(raw);
        return mon_reply_error(gen, m->id, PROTO_ST_INTERNAL, "out of memory", -1);
    }
    job->raw = raw;
    job->conn_gen = gen;
    job->id = m->id;
    const proto_field *sealed = proto_get(m, PROTO_F_SEALED);
    if (sealed) { /* opened by the worker, straight into the input pages */
        job->sealed = sealed->data;
        job->sealed_len = sealed->len;
    }
    const proto_field *body = proto_get(m, PROTO_F_BODY);
    if (body) {
        job->body = body->data;
        job->body_len = body->len;
    }
    if (!proto_str(m, PROTO_F_TENANT, tenant, sizeof tenant)) {
        snprintf(msg, sizeof msg, "no tenant");
        goto fail;
    }
    pthread_mutex_lock(&mon.lock);
    job->tenant = tenant_get(tenant);
    for (uint32_t i = 0; i < m->nfields && job->tenant; i++) {
        const proto_field *f = &m->fields[i];
        if (f->tag != PROTO_F_STEP) continue;
        if (job->nsteps == MON_MAX_STEPS) {
            snprintf(msg, sizeof msg, "a chain has at most %u steps", MON_MAX_STEPS);
            goto fail_locked;
        }
        uint32_t s = job->nsteps++;
        size_t pos = 0;
        while (pos <= f->len) {
            const uint8_t *comma = memchr(f->data + pos, ',', f->len - pos);
            size_t n = comma ? (size_t)(comma - (f->data + pos)) : f->len - pos;
            char name[PROTO_MAX_NAME];
            if (n == 0 || n >= sizeof name || job->width[s] == MON_MAX_GROUP) {
                snprintf(msg, sizeof msg, "step %u: bad function list (at most %u per step)", s,
                         MON_MAX_GROUP);
                goto fail_locked;
            }
            memcpy(name, f->data + pos, n);
            name[n] = '\0';
            size_t k = fn_find(tenant, name);
            if (k == (size_t)-1) {
                st = PROTO_ST_NOT_FOUND;
                bad_step = s;
                snprintf(msg, sizeof msg, "step %u: no function %s", s, name);
                goto fail_locked;
            }
            mon_fn *fn = mon.fns[k];
            __atomic_add_fetch(&fn->refs, 1, __ATOMIC_ACQ_REL);
            job->fns[s][job->width[s]++] = fn;
            pos += n + 1;
        }
    }
    if (!job->tenant || !job->nsteps) {
        snprintf(msg, sizeof msg, job->tenant ? "nothing to invoke" : "too many tenants");
        goto fail_locked;
    }
    mon_tenant *t = job->tenant;
    /* Memory: what the tenant's templates and trustlets use now (mon_mem.c),
     * and the request body's frames, must fit its limit. */
    uint64_t body_bytes = (job->body_len + MON_PAGE - 1) / MON_PAGE * MON_PAGE;
    if (t->running >= t->max_conc) {
        st = PROTO_ST_LIMIT;
        snprintf(msg, sizeof msg, "tenant %s is at its limit of %llu concurrent invocations",
                 t->name, (unsigned long long)t->max_conc);
        goto fail_locked;
    }
    if (!mon_mem_admit(t, body_bytes, msg, sizeof msg)) {
        st = PROTO_ST_LIMIT;
        goto fail_locked;
    }
    t->running++;
    pthread_mutex_unlock(&mon.lock);
    if (!mon_enqueue(job)) {
        pthread_mutex_lock(&mon.lock);
        t->running--;
        pthread_mutex_unlock(&mon.lock);
        st = PROTO_ST_BUSY;
        snprintf(msg, sizeof msg, "the monitor's queue is full");
        goto fail;
    }
    return;
fail_locked:
    pthread_mutex_unlock(&mon.lock);
fail:
    mon_reply_error(gen, m->id, st, msg, bad_step);
    mon_job_free(job);
}

void mon_stat(proto_buf *b, const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    proto_put_str(b, PROTO_F_STAT, line);
}

static void on_stats(uint64_t gen, const proto_msg *m)
{
    proto_buf b = {0};
    proto_begin(&b, PROTO_COUNTERS, m->id);
    pthread_mutex_lock(&mon.lock);
#define STAT(...) mon_stat(&b, __VA_ARGS__)
    STAT("ward_monitor_invocations_total %llu", (unsigned long long)mon.invocations);
    STAT("ward_monitor_errors_total %llu", (unsigned long long)mon.errors);
    STAT("ward_monitor_busy_total %llu", (unsigned long long)mon.busy_rejects);
    STAT("ward_monitor_clones_total %llu", (unsigned long long)mon.clones);
    STAT("ward_monitor_clone_seconds_total %.9f", (double)mon.clone_ns / 1e9);
    STAT("ward_monitor_queue_depth %llu", (unsigned long long)mon.qlen);
    STAT("ward_monitor_trustlets_alive %llu", (unsigned long long)mon.alive);
    STAT("ward_monitor_templates %llu", (unsigned long long)mon.templates);
    STAT("ward_monitor_functions %llu", (unsigned long long)mon.nfns);
    STAT("ward_monitor_workers %u", mon.nworkers);
    uint64_t cum = 0, mem = 0;
    for (int i = 0; i < MON_NBUCKETS; i++) {
        cum += mon.hist[i];
        STAT("ward_monitor_invocation_seconds_bucket{le=\"%g\"} %llu", mon_bucket_us[i] / 1e6,
             (unsigned long long)cum);
    }
    cum += mon.hist[MON_NBUCKETS];
    STAT("ward_monitor_invocation_seconds_bucket{le=\"+Inf\"} %llu", (unsigned long long)cum);
    STAT("ward_monitor_invocation_seconds_sum %.6f", mon.lat_sum_us / 1e6);
    STAT("ward_monitor_invocation_seconds_count %llu", (unsigned long long)cum);
    for (size_t i = 0; i < mon.ntenants; i++) {
        const mon_tenant *t = mon.tenants[i];
        uint64_t now, peak;
        mon_mem_read(t, &now, &peak);
        mem += now;
        STAT("ward_monitor_tenant_running{tenant=\"%s\"} %llu", t->name,
             (unsigned long long)t->running);
        STAT("ward_monitor_tenant_memory_bytes{tenant=\"%s\"} %llu", t->name,
             (unsigned long long)now);
        STAT("ward_monitor_tenant_memory_peak_bytes{tenant=\"%s\"} %llu", t->name,
             (unsigned long long)peak);
        STAT("ward_monitor_tenant_memory_limit_bytes{tenant=\"%s\"} %llu", t->name,
             (unsigned long long)t->max_mem);
    }
    STAT("ward_monitor_memory_bytes %llu", (unsigned long long)mem);
#undef STAT
    mon_attest_stats(&b);
    mon_native_stats(&b);
    pthread_mutex_unlock(&mon.lock);
    if (proto_end(&b)) mon_send(gen, &b);
    proto_buf_free(&b);
}

/* One message from the gateway; takes ownership of raw. */
static void handle(uint64_t gen, uint8_t *raw, size_t len, proto_msg *m)
{
    const char *why;
    if (!proto_decode(raw, len, m, &why)) {
        /* The header was read already, so the id is there even if the rest is bad. */
        uint32_t id = len >= 12 ? (uint32_t)raw[8] | (uint32_t)raw[9] << 8 |
                                      (uint32_t)raw[10] << 16 | (uint32_t)raw[11] << 24
                                : 0;
        free(raw);
        return mon_reply_error(gen, id, PROTO_ST_BAD_REQUEST, why, -1);
    }
    switch (m->type) {
    case PROTO_HELLO: on_hello(gen, m); break;
    case PROTO_TENANT: on_tenant(gen, m); break;
    case PROTO_DEPLOY: on_deploy(gen, m, raw, len); return; /* owns raw now */
    case PROTO_UNDEPLOY: on_undeploy(gen, m); break;
    case PROTO_INVOKE: on_invoke(gen, m, raw); return; /* owns raw now */
    case PROTO_STATS: on_stats(gen, m); break;
    case PROTO_ATTEST: mon_attest_on_attest(gen, m); break;
    default: mon_reply_error(gen, m->id, PROTO_ST_BAD_REQUEST, "not a request", -1); break;
    }
    free(raw);
}

static void set_conn(int fd)
{
    pthread_mutex_lock(&mon.out_lock);
    if (mon.conn >= 0) close(mon.conn);
    mon.conn = fd;
    mon.conn_gen++;
    pthread_mutex_unlock(&mon.out_lock);
}

int main(int argc, char **argv)
{
    int ctl = -1, key_fd = -1;
    unsigned workers = 2, deployers = 2;
    size_t queue = 256;
    bool sandbox = true, want_native = true;
    unsigned long compile_ms = 120000, compile_mib = 4096;
    const char *attest = NULL;
    mon.default_timeout_ns = 10000000000ull;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--ctl") && v)
            ctl = atoi(argv[++i]);
        else if (!strcmp(a, "--code-key-fd") && v)
            key_fd = atoi(argv[++i]);
        else if (!strcmp(a, "--workers") && v)
            workers = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--deploys") && v)
            deployers = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--queue") && v)
            queue = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--timeout-ms") && v)
            mon.default_timeout_ns = strtoull(argv[++i], NULL, 10) * 1000000u;
        else if (!strcmp(a, "--bench"))
            return mon_bench(argc - i - 1, argv + i + 1);
        else if (!strcmp(a, "--attest") && v)
            attest = argv[++i];
        else if (!strcmp(a, "--no-sandbox"))
            sandbox = false;
        else if (!strcmp(a, "--no-native"))
            want_native = false;
        else if (!strcmp(a, "--compile-timeout-ms") && v)
            compile_ms = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--compile-memory-mib") && v)
            compile_mib = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--tier") && v && (!strcmp(v, "interp") || !strcmp(v, "native")))
            mon.default_native = !strcmp(argv[++i], "native");
        else if (!strcmp(a, "--print-sandbox")) {
            printf("%s\n", mon_sandbox_allowed());
            return 0;
        } else {
            fprintf(stderr, "ward-monitor: unknown option %s\n", a);
            return 2;
        }
    }
    if (ctl < 0 || workers < 1 || workers > 256 || deployers < 1 || deployers > MON_MAX_DEPLOYERS ||
        queue < 1 || queue > 65536 || compile_ms < 1 || compile_ms > 3600000 ||
        compile_mib > (1u << 30)) {
        fprintf(
            stderr,
            "usage: ward-monitor --ctl FD [--workers 1..256] [--deploys 1..16] [--queue 1..65536] "
            "[--timeout-ms N] [--attest none|sim:KEYFILE|tsm] [--no-sandbox]\n"
            "       [--code-key-fd FD]"
            "       [--tier interp|native] [--no-native] [--compile-timeout-ms "
            "1..3600000]\n       [--compile-memory-mib N (0: no limit)]\n");
        return 2;
    }
    if (!mon_native_key(key_fd)) {
        fprintf(stderr, "ward-monitor: --code-key-fd %d: no key\n", key_fd);
        return 2;
    }
    /* The compile helper, forked before any thread starts. */
    bool native =
        mon_native_start(want_native, deployers, (uint32_t)compile_ms, (uint32_t)compile_mib);
    /* Without it, native deploys are refused with the reason (a node
     * started with --tier native too: its functions can say "interp"). */
    if (!native && want_native && strstr(mon_native_why(), "no native backend"))
        fprintf(stderr, "ward-monitor: %s: native-tier deploys are refused\n", mon_native_why());
    {
        /* Measured with the executable: the configuration that changes what
         * it does, and the compile helper's executable (its code makes the
         * machine code of native functions). */
        char config[480], why[400], hex[129] = "none";
        uint8_t h[64];
        if (native && mon_native_exe_hash(h))
            for (int i = 0; i < 64; i++)
                snprintf(hex + 2 * i, 3, "%02x", h[i]);
        snprintf(config, sizeof config,
                 "workers=%u deploys=%u queue=%zu timeout_ns=%llu sandbox=%d tier=%s native=%s "
                 "compile_timeout_ms=%lu compile_memory_mib=%lu",
                 workers, deployers, queue, (unsigned long long)mon.default_timeout_ns, sandbox,
                 mon.default_native ? "native" : "interp", hex, compile_ms, compile_mib);
        if (!mon_attest_init(attest, config, why, sizeof why)) {
            fprintf(stderr, "ward-monitor: %s\n", why);
            return 1;
        }
        mon_native_platform_key();
    }
    mon_warm_up();
    if (!mon_workers_start(workers, queue) || !deploy_threads_start(deployers)) {
        fprintf(stderr, "ward-monitor: cannot start workers\n");
        return 1;
    }
    if (sandbox) {
        char why[200];
        if (!mon_sandbox(why, sizeof why)) {
            fprintf(stderr, "ward-monitor: sandbox: %s\n", why);
            return 1;
        }
    }
    static proto_msg msg; /* large: fields of one message at a time */
    for (;;) {
        struct pollfd p[2] = {{ctl, POLLIN, 0}, {mon.conn, POLLIN, 0}};
        int n = poll(p, mon.conn >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (p[0].revents) {
            int fd = proto_recv_fd(ctl);
            if (fd == -1) return 0; /* the supervisor is gone */
            if (fd >= 0) set_conn(fd);
            continue;
        }
        if (mon.conn >= 0 && p[1].revents) {
            uint8_t *raw;
            size_t len;
            const char *why;
            uint64_t gen = mon.conn_gen;
            if (!proto_recv(mon.conn, &raw, &len, &why)) {
                /* EOF or a stream that lost its framing: drop the connection;
                 * the supervisor sends the next one. */
                set_conn(-1);
                continue;
            }
            handle(gen, raw, len, &msg);
        }
    }
}
