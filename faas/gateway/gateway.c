/* gateway.c - the HTTP API of a ward node (docs/serve.md): JSON for
 * control, raw bytes for data. One thread per connection (libmicrohttpd);
 * a request waits for the monitor's reply with a bound, and fails with 503
 * at once if the monitor goes away. Bodies pass through as bytes. */
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

/* Longest wait for the monitor: the longest function timeout (15 min) and a
 * minute for the queue; a dead monitor fails every wait at once. */
#define GW_WAIT_MS (GW_MAX_TIMEOUT_MS + 60000u)

static const gw_config *cfg;
static const double gw_bucket_us[] = {100,   250,   500,    1000,    2500,    5000,
                                      10000, 50000, 250000, 1000000, 10000000};
#define GW_NB (sizeof gw_bucket_us / sizeof *gw_bucket_us)

static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t st_codes[6]; /* by class: 1xx..5xx */
static uint64_t st_invokes, st_invoke_errors, st_hist[GW_NB + 1];
static double st_lat_sum_us;

typedef struct gw_req {
    char *buf;
    size_t len, cap;
    bool too_large;
} gw_req;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- responses ----------------------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const void *body, size_t len, const char *h1, const char *v1,
                               const char *h2, const char *v2)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    if (type) MHD_add_response_header(r, "Content-Type", type);
    if (h1) MHD_add_response_header(r, h1, v1);
    if (h2) MHD_add_response_header(r, h2, v2);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    pthread_mutex_lock(&stat_lock);
    if (status / 100 < 6) st_codes[status / 100]++;
    pthread_mutex_unlock(&stat_lock);
    return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!s)
        return respond(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, 0, 0, 0, 0);
    size_t n = strlen(s);
    enum MHD_Result r = respond(c, status, "application/json", s, n, NULL, NULL, NULL, NULL);
    free(s);
    return r;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *kind,
                             const char *msg, int64_t step)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    cJSON_AddStringToObject(j, "kind", kind);
    if (step >= 0) cJSON_AddNumberToObject(j, "step", (double)step);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) return MHD_NO;
    enum MHD_Result r = respond(c, status, "application/json", s, strlen(s), "X-Ward-Error", kind,
                                status == 503 ? "Retry-After" : NULL, "1");
    free(s);
    return r;
}

static unsigned http_of(proto_status st)
{
    switch (st) {
    case PROTO_ST_OK: return 200;
    case PROTO_ST_TIMEOUT: return 504;
    case PROTO_ST_NOT_FOUND: return 404;
    case PROTO_ST_BAD_MODULE: return 422;
    case PROTO_ST_BAD_REQUEST: return 400;
    case PROTO_ST_LIMIT: return 429;
    case PROTO_ST_BUSY: return 503;
    case PROTO_ST_UNSUPPORTED: return 501;
    case PROTO_ST_SEALED: return 403;
    default: return 500; /* trap, exit, fuel, memory, internal */
    }
}

/* Sends req to the monitor and answers for it: an error reply or a link
 * failure becomes the HTTP error; an OK reply is left in *m (with *raw to
 * free) and MHD_YES + *answered = false. */
static enum MHD_Result ask(struct MHD_Connection *c, proto_buf *req, proto_msg *m, uint8_t **raw,
                           bool *answered)
{
    size_t len;
    const char *why;
    *answered = true;
    *raw = NULL;
    if (!proto_end(req))
        return error(c, 413, "too_large", "the request does not fit a message", -1);
    int64_t rc = gw_call(req, GW_WAIT_MS, raw, &len);
    if (rc == GW_DOWN)
        return error(c, 503, "unavailable", "the monitor is not available (restarting?)", -1);
    if (rc == GW_TIMEOUT) return error(c, 504, "timeout", "no answer from the monitor in time", -1);
    if (rc == GW_BUSY) return error(c, 503, "busy", "too many requests in flight", -1);
    if (!proto_decode(*raw, len, m, &why)) {
        free(*raw);
        *raw = NULL;
        return error(c, 502, "protocol", why, -1);
    }
    if (m->type == PROTO_ERROR) {
        uint64_t st = PROTO_ST_INTERNAL, step;
        char msg[400] = "error";
        proto_u64(m, PROTO_F_STATUS, &st);
        proto_str(m, PROTO_F_MESSAGE, msg, sizeof msg);
        int64_t stp = proto_u64(m, PROTO_F_STEP_INDEX, &step) ? (int64_t)step : -1;
        enum MHD_Result r =
            error(c, http_of((proto_status)st), proto_status_text((proto_status)st), msg, stp);
        free(*raw);
        *raw = NULL;
        return r;
    }
    *answered = false;
    return MHD_YES;
}

/* ---- tenants --------------------------------------------------------------------------- */

static const char *tenant_of(struct MHD_Connection *c)
{
    if (cfg->ntenants == 0) return "default";
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7)) return NULL;
    h += 7;
    for (size_t i = 0; i < cfg->ntenants; i++) {
        const char *t = cfg->tenants[i].token;
        size_t a = strlen(t), b = strlen(h);
        unsigned diff = a != b;
        for (size_t k = 0; k < a && k < b; k++)
            diff |= (unsigned)(t[k] ^ h[k]);
        if (!diff) return cfg->tenants[i].name;
    }
    return NULL;
}

/* ---- handlers --------------------------------------------------------------------------- */

static bool is_sealed(struct MHD_Connection *c);

static cJSON *fn_json(const char *tenant, const char *name)
{
    size_t mlen, wlen = 0;
    char *json = gw_store_get(tenant, "fn", name, "json", &mlen);
    char *wasm = gw_store_get(tenant, "fn", name, "wasm", &wlen);
    free(wasm);
    if (!json) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "size", (double)wlen);
    cJSON *m = cJSON_Parse(json);
    if (m) cJSON_AddItemToObject(o, "manifest", m);
    free(json);
    return o;
}

static enum MHD_Result deploy(struct MHD_Connection *c, const char *tenant, const char *name,
                              gw_req *r)
{
    const char *mtext = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Ward-Manifest");
    gw_manifest man;
    char why[300];
    if (!gw_manifest_parse(mtext ? mtext : "", mtext ? strlen(mtext) : 0, &man, why, sizeof why))
        return error(c, 400, "bad_manifest", why, -1);
    if (!r->len) {
        gw_manifest_free(&man);
        return error(c, 400, "bad_module", "no module: the body is the .wasm file", -1);
    }
    proto_buf b = {0};
    gw_deploy_build(&b, tenant, name, r->buf, r->len, &man);
    proto_msg *m = malloc(sizeof *m);
    uint8_t *raw = NULL;
    bool answered = true;
    enum MHD_Result ret = m ? ask(c, &b, m, &raw, &answered) : MHD_NO;
    proto_buf_free(&b);
    if (m && !answered) {
        char *json = gw_manifest_json(&man);
        /* A sealed module: the store keeps the monitor's sealing of it, never plaintext. */
        const proto_field *stored = proto_get(m, PROTO_F_SEALED);
        const void *mod = r->buf;
        size_t modlen = r->len;
        if (is_sealed(c)) {
            mod = stored ? stored->data : NULL;
            modlen = stored ? stored->len : 0;
        }
        if (!mod) {
            ret = error(c, 502, "protocol", "the monitor returned no sealed module to store", -1);
        } else if (!json || !gw_store_put(tenant, "fn", name, "wasm", mod, modlen) ||
                   !gw_store_put(tenant, "fn", name, "json", json, strlen(json))) {
            ret = error(c, 500, "store", "the function store could not be written", -1);
        } else {
            /* Native code for the next monitor (proto.h, PROTO_F_NATIVE):
             * only worth keeping, so a failed write costs a compilation
             * after a restart, nothing else; an old one goes. */
            const proto_field *code = proto_get(m, PROTO_F_NATIVE);
            if (!code || !gw_store_put(tenant, "fn", name, "native", code->data, code->len))
                gw_store_del(tenant, "fn", name, "native");
            /* The tier the monitor runs it in (a manifest without one: the
             * node's default); ward client measures native code itself. */
            uint64_t tier = PROTO_TIER_INTERP;
            proto_u64(m, PROTO_F_TIER, &tier);
            cJSON *o = fn_json(tenant, name);
            if (o)
                cJSON_AddStringToObject(o, "tier", tier == PROTO_TIER_NATIVE ? "native" : "interp");
            ret = respond_json(c, 201, o);
        }
        free(json);
    }
    free(raw);
    free(m);
    gw_manifest_free(&man);
    return ret;
}

static enum MHD_Result undeploy(struct MHD_Connection *c, const char *tenant, const char *name)
{
    size_t len;
    char *json = gw_store_get(tenant, "fn", name, "json", &len);
    if (!json) return error(c, 404, "not_found", "no such function", -1);
    free(json);
    proto_buf b = {0};
    proto_begin(&b, PROTO_UNDEPLOY, 0);
    proto_put_str(&b, PROTO_F_TENANT, tenant);
    proto_put_str(&b, PROTO_F_NAME, name);
    proto_end(&b);
    uint8_t *raw = NULL;
    size_t rlen;
    int64_t rc = gw_call(&b, GW_WAIT_MS, &raw, &rlen);
    proto_buf_free(&b);
    free(raw);
    if (rc != GW_OK) return error(c, 503, "unavailable", "the monitor is not available", -1);
    /* A function the monitor did not have (refused at replay) is removed all the same. */
    gw_store_del(tenant, "fn", name, "wasm");
    gw_store_del(tenant, "fn", name, "json");
    gw_store_del(tenant, "fn", name, "native");
    return respond(c, 204, NULL, "", 0, NULL, NULL, NULL, NULL);
}

/* ---- sealed data and attestation (docs/attest.md): bytes the gateway cannot read ---- */

/* A request whose body is sealed by the client (X-Ward-Sealed: 1). */
static bool is_sealed(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Ward-Sealed");
    return h && !strcmp(h, "1");
}

static enum MHD_Result respond_sealed(struct MHD_Connection *c, const proto_field *body,
                                      const char *time_us)
{
    if (!body) return error(c, 502, "protocol", "the monitor's reply is not sealed", -1);
    return respond(c, 200, "application/x-ward-sealed", body->data, body->len, "X-Ward-Sealed", "1",
                   "X-Ward-Time-Us", time_us);
}

/* POST /v1/attest, /v1/functions/NAME/attest, /v1/chains/NAME/attest: the
 * body is the client's 32-byte nonce, the answer the monitor's evidence. */
static bool chain_steps(const char *tenant, const char *name, proto_buf *b);
static enum MHD_Result attest(struct MHD_Connection *c, const char *tenant, const char *kind,
                              const char *name, gw_req *r)
{
    proto_buf b = {0};
    proto_begin(&b, PROTO_ATTEST, 0);
    proto_put_str(&b, PROTO_F_TENANT, tenant);
    proto_put(&b, PROTO_F_NONCE, r->buf, r->len);
    if (kind && !strcmp(kind, "fn")) {
        proto_put_str(&b, PROTO_F_STEP, name);
    } else if (kind && !chain_steps(tenant, name, &b)) {
        proto_buf_free(&b);
        return error(c, 404, "not_found", "no such chain", -1);
    }
    proto_msg *m = malloc(sizeof *m);
    uint8_t *raw = NULL;
    bool answered = true;
    enum MHD_Result ret = m ? ask(c, &b, m, &raw, &answered) : MHD_NO;
    proto_buf_free(&b);
    if (m && !answered) {
        const proto_field *ev = proto_get(m, PROTO_F_EVIDENCE);
        ret = ev ? respond(c, 200, "application/x-ward-evidence", ev->data, ev->len, NULL, NULL,
                           NULL, NULL)
                 : error(c, 502, "protocol", "no evidence in the monitor's reply", -1);
    }
    free(raw);
    free(m);
    return ret;
}

static enum MHD_Result invoke_monitor(struct MHD_Connection *c, const char *tenant, proto_buf *b,
                                      gw_req *r);

/* Invocations of each tenant (cfg->tenants) waiting for the monitor here.
 * The monitor enforces a tenant's concurrency limit; the gateway answers
 * what is plainly over it itself, so that a tenant flooding past its limit
 * costs the monitor nothing. */
static pthread_mutex_t conc_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t conc_waiting[GW_MAX_TENANTS];

/* The tenant's index in cfg->tenants if it has a concurrency limit, or -1. */
static int conc_slot(const char *tenant)
{
    for (size_t i = 0; i < cfg->ntenants; i++)
        if (!strcmp(cfg->tenants[i].name, tenant)) return cfg->tenants[i].max_conc ? (int)i : -1;
    return -1;
}

static enum MHD_Result invoke(struct MHD_Connection *c, const char *tenant, proto_buf *b, gw_req *r)
{
    int slot = conc_slot(tenant);
    if (slot >= 0) {
        pthread_mutex_lock(&conc_lock);
        bool over = conc_waiting[slot] >= cfg->tenants[slot].max_conc;
        if (!over) conc_waiting[slot]++;
        pthread_mutex_unlock(&conc_lock);
        if (over) {
            pthread_mutex_lock(&stat_lock);
            st_invokes++;
            st_invoke_errors++;
            pthread_mutex_unlock(&stat_lock);
            char msg[200];
            snprintf(msg, sizeof msg, "tenant %s is at its limit of %llu concurrent invocations",
                     tenant, (unsigned long long)cfg->tenants[slot].max_conc);
            return error(c, 429, "limit", msg, -1);
        }
    }
    enum MHD_Result ret = invoke_monitor(c, tenant, b, r);
    if (slot >= 0) {
        pthread_mutex_lock(&conc_lock);
        conc_waiting[slot]--;
        pthread_mutex_unlock(&conc_lock);
    }
    return ret;
}

static enum MHD_Result invoke_monitor(struct MHD_Connection *c, const char *tenant, proto_buf *b,
                                      gw_req *r)
{
    uint64_t t0 = now_us();
    bool sealed = is_sealed(c);
    proto_put_str(b, PROTO_F_TENANT, tenant);
    proto_put(b, sealed ? PROTO_F_SEALED : PROTO_F_BODY, r->buf, r->len);
    proto_msg *m = malloc(sizeof *m);
    uint8_t *raw = NULL;
    bool answered = true;
    enum MHD_Result ret = m ? ask(c, b, m, &raw, &answered) : MHD_NO;
    if (m && !answered) {
        const proto_field *body = proto_get(m, sealed ? PROTO_F_SEALED : PROTO_F_BODY);
        uint64_t ns = 0, cns = 0;
        proto_u64(m, PROTO_F_TIME_NS, &ns);
        proto_u64(m, PROTO_F_CLONE_NS, &cns);
        char t1[32], t2[32];
        snprintf(t1, sizeof t1, "%.1f", (double)ns / 1000.0);
        snprintf(t2, sizeof t2, "%.1f", (double)cns / 1000.0);
        if (sealed)
            ret = respond_sealed(c, body, t1);
        else
            ret =
                respond(c, 200, "application/octet-stream", body ? body->data : (const uint8_t *)"",
                        body ? body->len : 0, "X-Ward-Time-Us", t1, "X-Ward-Clone-Us", t2);
    }
    double us = (double)(now_us() - t0);
    pthread_mutex_lock(&stat_lock);
    st_invokes++;
    if (answered) st_invoke_errors++;
    size_t k = 0;
    while (k < GW_NB && us > gw_bucket_us[k])
        k++;
    st_hist[k]++;
    st_lat_sum_us += us;
    pthread_mutex_unlock(&stat_lock);
    free(raw);
    free(m);
    return ret;
}

/* A chain definition: {"steps": ["a", ["b", "c"], "d"]}; 1..16 steps, a
 * step a name or a list of 1..8 names (a fan-out whose outputs are joined
 * in order). Returns the canonical JSON (malloc'ed) or NULL with why. */
static char *chain_parse(const char *tenant, const char *text, size_t len, char *why, size_t cap,
                         unsigned *status)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    cJSON *steps = root ? cJSON_GetObjectItemCaseSensitive(root, "steps") : NULL;
    cJSON *out = cJSON_CreateObject(), *osteps = cJSON_AddArrayToObject(out, "steps");
    char *res = NULL;
    *status = 400;
    int n = cJSON_GetArraySize(steps);
    if (!cJSON_IsObject(root) || !cJSON_IsArray(steps) || n < 1 || n > 16) {
        snprintf(why, cap, "a chain is {\"steps\": [...]} with 1 to 16 steps");
        goto out;
    }
    for (cJSON *s = steps->child; s; s = s->next) {
        cJSON *group = cJSON_CreateArray();
        cJSON_AddItemToArray(osteps, group);
        int w = cJSON_IsArray(s) ? cJSON_GetArraySize(s) : 1;
        if (w < 1 || w > 8) {
            snprintf(why, cap, "a step is a function name or a list of 1 to 8 names");
            goto out;
        }
        for (int i = 0; i < w; i++) {
            cJSON *nm = cJSON_IsArray(s) ? cJSON_GetArrayItem(s, i) : s;
            if (!cJSON_IsString(nm) || !gw_name_ok(nm->valuestring)) {
                snprintf(why, cap, "a step names functions by their names");
                goto out;
            }
            size_t l;
            char *j = gw_store_get(tenant, "fn", nm->valuestring, "json", &l);
            if (!j) {
                snprintf(why, cap, "no function %s", nm->valuestring);
                *status = 404;
                goto out;
            }
            free(j);
            cJSON_AddItemToArray(group, cJSON_CreateString(nm->valuestring));
        }
    }
    res = cJSON_PrintUnformatted(out);
out:
    cJSON_Delete(root);
    cJSON_Delete(out);
    return res;
}

/* Adds the STEP fields of a stored chain to b. */
static bool chain_steps(const char *tenant, const char *name, proto_buf *b)
{
    size_t len;
    char *text = gw_store_get(tenant, "chain", name, "json", &len);
    if (!text) return false;
    cJSON *root = cJSON_Parse(text);
    free(text);
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    bool ok = cJSON_IsArray(steps);
    for (cJSON *s = ok ? steps->child : NULL; s; s = s->next) {
        char line[16 * 64] = "";
        for (cJSON *f = s->child; f; f = f->next) {
            if (!cJSON_IsString(f)) continue;
            if (line[0]) strncat(line, ",", sizeof line - strlen(line) - 1);
            strncat(line, f->valuestring, sizeof line - strlen(line) - 1);
        }
        proto_put_str(b, PROTO_F_STEP, line);
    }
    cJSON_Delete(root);
    return ok;
}

static enum MHD_Result list(struct MHD_Connection *c, const char *tenant, const char *kind)
{
    size_t n;
    char(*names)[64] = gw_store_list(tenant, kind, &n);
    cJSON *o = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(o, !strcmp(kind, "fn") ? "functions" : "chains");
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(kind, "fn")) {
            cJSON *f = fn_json(tenant, names[i]);
            if (f) cJSON_AddItemToArray(a, f);
        } else {
            size_t l;
            char *t = gw_store_get(tenant, "chain", names[i], "json", &l);
            cJSON *ch = t ? cJSON_Parse(t) : NULL;
            free(t);
            if (ch) {
                cJSON_AddStringToObject(ch, "name", names[i]);
                cJSON_AddItemToArray(a, ch);
            }
        }
    }
    free(names);
    return respond_json(c, 200, o);
}

static enum MHD_Result metrics(struct MHD_Connection *c)
{
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    if (!out) return MHD_NO;
#define OUT(...) len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, __VA_ARGS__)
    pthread_mutex_lock(&stat_lock);
    OUT("# TYPE ward_http_responses_total counter\n");
    for (int k = 1; k < 6; k++)
        OUT("ward_http_responses_total{class=\"%dxx\"} %llu\n", k, (unsigned long long)st_codes[k]);
    OUT("# TYPE ward_invocations_total counter\nward_invocations_total %llu\n",
        (unsigned long long)st_invokes);
    OUT("# TYPE ward_invocation_errors_total counter\nward_invocation_errors_total %llu\n",
        (unsigned long long)st_invoke_errors);
    OUT("# TYPE ward_http_invocation_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t k = 0; k < GW_NB; k++) {
        cum += st_hist[k];
        OUT("ward_http_invocation_seconds_bucket{le=\"%g\"} %llu\n", gw_bucket_us[k] / 1e6,
            (unsigned long long)cum);
    }
    cum += st_hist[GW_NB];
    OUT("ward_http_invocation_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    OUT("ward_http_invocation_seconds_sum %.6f\nward_http_invocation_seconds_count %llu\n",
        st_lat_sum_us / 1e6, (unsigned long long)cum);
    pthread_mutex_unlock(&stat_lock);
    proto_buf b = {0};
    proto_begin(&b, PROTO_STATS, 0);
    proto_end(&b);
    uint8_t *raw = NULL;
    size_t rlen;
    bool up = gw_link_ready() && gw_call(&b, 5000, &raw, &rlen) == GW_OK; /* no wait if down */
    proto_buf_free(&b);
    OUT("# TYPE ward_monitor_up gauge\nward_monitor_up %d\n", up ? 1 : 0);
    proto_msg *m = up ? malloc(sizeof *m) : NULL;
    const char *why;
    if (m && proto_decode(raw, rlen, m, &why))
        for (uint32_t i = 0; i < m->nfields; i++)
            if (m->fields[i].tag == PROTO_F_STAT)
                OUT("%.*s\n", (int)m->fields[i].len, (const char *)m->fields[i].data);
#undef OUT
    free(m);
    free(raw);
    if (len >= cap) len = cap - 1;
    enum MHD_Result r =
        respond(c, 200, "text/plain; version=0.0.4", out, len, NULL, NULL, NULL, NULL);
    free(out);
    return r;
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method,
                             gw_req *r)
{
    bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), post = !strcmp(method, "POST"),
         del = !strcmp(method, "DELETE");
    if (!strcmp(url, "/v1/health")) {
        if (!get) return error(c, 405, "method", "GET only", -1);
        bool up = gw_link_ready();
        const char *s = up ? "{\"status\":\"ok\"}" : "{\"status\":\"monitor unavailable\"}";
        return respond(c, up ? 200 : 503, "application/json", s, strlen(s), NULL, NULL, NULL, NULL);
    }
    if (!strcmp(url, "/metrics")) return get ? metrics(c) : error(c, 405, "method", "GET only", -1);
    if (r->too_large) return error(c, 413, "too_large", "the request body is too large", -1);
    const char *tenant = tenant_of(c);
    if (!tenant)
        return error(c, 401, "unauthorized",
                     "no or unknown tenant token (Authorization: Bearer TOKEN)", -1);

    const char *kind = NULL, *rest = NULL;
    if (!strcmp(url, "/v1/attest"))
        return post ? attest(c, tenant, NULL, NULL, r) : error(c, 405, "method", "POST only", -1);
    if (!strncmp(url, "/v1/functions", 13))
        kind = "fn", rest = url + 13;
    else if (!strncmp(url, "/v1/chains", 10))
        kind = "chain", rest = url + 10;
    else
        return error(c, 404, "not_found", "no such resource", -1);
    if (!*rest) {
        if (!get) return error(c, 405, "method", "GET only", -1);
        return list(c, tenant, kind);
    }
    if (*rest != '/') return error(c, 404, "not_found", "no such resource", -1);
    rest++;
    char name[64];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n >= sizeof name)
        return error(c, 400, "bad_name", "a name is 1-63 bytes of [A-Za-z0-9_.-]", -1);
    memcpy(name, rest, n);
    name[n] = '\0';
    if (!gw_name_ok(name))
        return error(c, 400, "bad_name", "a name is 1-63 bytes of [A-Za-z0-9_.-]", -1);
    bool is_fn = !strcmp(kind, "fn");
    if (slash && !strcmp(slash, "/attest"))
        return post ? attest(c, tenant, kind, name, r) : error(c, 405, "method", "POST only", -1);
    if (slash) {
        if (strcmp(slash, "/invoke")) return error(c, 404, "not_found", "no such resource", -1);
        if (!post) return error(c, 405, "method", "POST only", -1);
        proto_buf b = {0};
        proto_begin(&b, PROTO_INVOKE, 0);
        if (is_fn) {
            proto_put_str(&b, PROTO_F_STEP, name);
        } else if (!chain_steps(tenant, name, &b)) {
            proto_buf_free(&b);
            return error(c, 404, "not_found", "no such chain", -1);
        }
        enum MHD_Result ret = invoke(c, tenant, &b, r);
        proto_buf_free(&b);
        return ret;
    }
    if (get) {
        if (is_fn) {
            cJSON *f = fn_json(tenant, name);
            return f ? respond_json(c, 200, f) : error(c, 404, "not_found", "no such function", -1);
        }
        size_t l;
        char *t = gw_store_get(tenant, "chain", name, "json", &l);
        if (!t) return error(c, 404, "not_found", "no such chain", -1);
        cJSON *ch = cJSON_Parse(t);
        free(t);
        if (ch) cJSON_AddStringToObject(ch, "name", name);
        return respond_json(c, 200, ch);
    }
    if (put && is_fn) return deploy(c, tenant, name, r);
    if (put) {
        char why[200];
        unsigned status;
        char *canon = chain_parse(tenant, r->buf ? r->buf : "", r->len, why, sizeof why, &status);
        if (!canon) return error(c, status, status == 404 ? "not_found" : "bad_chain", why, -1);
        bool ok = gw_store_put(tenant, "chain", name, "json", canon, strlen(canon));
        enum MHD_Result ret =
            ok ? respond(c, 201, "application/json", canon, strlen(canon), 0, 0, 0, 0)
               : error(c, 500, "store", "the store could not be written", -1);
        free(canon);
        return ret;
    }
    if (del && is_fn) return undeploy(c, tenant, name);
    if (del) {
        if (!gw_store_del(tenant, "chain", name, "json"))
            return error(c, 404, "not_found", "no such chain", -1);
        return respond(c, 204, NULL, "", 0, NULL, NULL, NULL, NULL);
    }
    return error(c, 405, "method", "method not allowed here", -1);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version;
    gw_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > cfg->max_body) {
            r->too_large = true;
            return error(c, 413, "too_large", "the request body is too large", -1);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large) {
            if (r->len + *upload_size > cfg->max_body) {
                r->too_large = true;
            } else {
                if (r->len + *upload_size + 1 > r->cap) {
                    size_t cap = r->cap ? r->cap : 4096;
                    while (cap < r->len + *upload_size + 1)
                        cap *= 2;
                    char *b = realloc(r->buf, cap);
                    if (!b) return MHD_NO;
                    r->buf = b;
                    r->cap = cap;
                }
                memcpy(r->buf + r->len, upload, *upload_size);
                r->len += *upload_size;
                r->buf[r->len] = '\0';
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return route(c, url, method, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    gw_req *r = *con_cls;
    if (r) {
        free(r->buf);
        free(r);
    }
    *con_cls = NULL;
}

int gw_main(const gw_config *c)
{
    cfg = c;
    gw_store_init(c->store);
    if (!gw_link_start(c)) return 1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_LISTEN_SOCKET, c->listen_fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "ward gateway: cannot start the HTTP server\n");
        return 1;
    }
    for (;;)
        pause();
}
