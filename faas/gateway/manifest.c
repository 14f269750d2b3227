/* manifest.c - function manifests: JSON in, canonical JSON and protocol
 * fields out. The manifest is parsed here, outside the trusted part; the
 * monitor receives only numbers and strings it checks again. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

void gw_manifest_free(gw_manifest *m)
{
    for (size_t i = 0; i < m->nenv; i++)
        free(m->env[i]);
    for (size_t i = 0; i < m->nargs; i++)
        free(m->args[i]);
    m->nenv = m->nargs = 0;
}

static bool fail(char *err, size_t cap, const char *msg, const char *key)
{
    snprintf(err, cap, "manifest: %s%s%s", key ? key : "", key ? ": " : "", msg);
    return false;
}

/* A whole number in [lo, hi]. */
static bool get_u64(const cJSON *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(uint64_t)d) return false;
    *out = (uint64_t)d;
    return true;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return false;
    return true;
}

/* A JSON boolean into *out. */
static bool get_bool(const cJSON *v, bool *out)
{
    if (!cJSON_IsBool(v)) return false;
    *out = cJSON_IsTrue(v);
    return true;
}

/* "wasi": {"args": ["a", ...], "clocks": bool, "random": bool}: what the
 * trustlet's WASI grants beyond standard input and output (none by default).
 * There is nothing else to grant: the monitor has no files or sockets. */
static bool parse_wasi(const cJSON *w, gw_manifest *m, char *err, size_t cap)
{
    if (!cJSON_IsObject(w))
        return fail(err, cap, "an object of grants (args, clocks, random)", "wasi");
    size_t total = 0;
    for (const cJSON *g = w->child; g; g = g->next) {
        const char *k = g->string;
        if (!strcmp(k, "clocks") || !strcmp(k, "random")) {
            if (!get_bool(g, !strcmp(k, "clocks") ? &m->clocks : &m->random))
                return fail(err, cap, "true or false", k);
        } else if (!strcmp(k, "args")) {
            if (!cJSON_IsArray(g)) return fail(err, cap, "an array of strings", k);
            for (const cJSON *a = g->child; a; a = a->next) {
                if (!cJSON_IsString(a) || m->nargs == GW_MAX_ARGS)
                    return fail(err, cap, "at most 64 strings", k);
                size_t n = strlen(a->valuestring);
                total += n + 1;
                if (n > 4096 || total > 65536)
                    return fail(err, cap, "4 KiB an argument, 64 KiB in all at most", k);
                char *s = malloc(n + 1);
                if (!s) return fail(err, cap, "out of memory", k);
                memcpy(s, a->valuestring, n + 1);
                m->args[m->nargs++] = s;
            }
        } else {
            return fail(err, cap,
                        "unknown WASI grant (args, clocks, random; a function has no files, "
                        "directories or sockets to grant)",
                        k);
        }
    }
    return true;
}

/* "cage": {"mem_safety": bool, "ptr_auth": bool}: the Cage features of the
 * function's store, as `ward run -W mem-safety` / `-W ptr-auth`. */
static bool parse_cage(const cJSON *c, gw_manifest *m, char *err, size_t cap)
{
    if (!cJSON_IsObject(c)) return fail(err, cap, "an object (mem_safety, ptr_auth)", "cage");
    for (const cJSON *f = c->child; f; f = f->next) {
        bool *flag = !strcmp(f->string, "mem_safety") ? &m->mem_safety
                     : !strcmp(f->string, "ptr_auth") ? &m->ptr_auth
                                                      : NULL;
        if (!flag) return fail(err, cap, "unknown Cage flag (mem_safety, ptr_auth)", f->string);
        if (!get_bool(f, flag)) return fail(err, cap, "true or false", f->string);
    }
    return true;
}

bool gw_manifest_parse(const char *text, size_t len, gw_manifest *m, char *err, size_t cap)
{
    memset(m, 0, sizeof *m);
    snprintf(m->entry, sizeof m->entry, "_start");
    m->memory_mode = 1;
    m->timeout_ms = 10000;
    m->max_memory = 64u << 20;
    m->output_max = 1u << 20;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
        i++;
    if (i == len) return true;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return fail(err, cap, "not valid JSON", NULL);
    bool ok = false;
    if (!cJSON_IsObject(root)) {
        fail(err, cap, "not a JSON object", NULL);
        goto out;
    }
    for (cJSON *it = root->child; it; it = it->next) {
        const char *k = it->string;
        if (!strcmp(k, "entry") || !strcmp(k, "init")) {
            if (!cJSON_IsString(it) || !name_ok(it->valuestring)) {
                fail(err, cap, "an export name (1-63 printable bytes)", k);
                goto out;
            }
            snprintf(!strcmp(k, "entry") ? m->entry : m->init, 64, "%s", it->valuestring);
        } else if (!strcmp(k, "memory")) {
            if (cJSON_IsString(it) && !strcmp(it->valuestring, "paged"))
                m->memory_mode = 1;
            else if (cJSON_IsString(it) && !strcmp(it->valuestring, "flat"))
                m->memory_mode = 0;
            else {
                fail(err, cap, "\"flat\" or \"paged\"", k);
                goto out;
            }
        } else if (!strcmp(k, "limits")) {
            if (!cJSON_IsObject(it)) {
                fail(err, cap, "an object", k);
                goto out;
            }
            for (cJSON *l = it->child; l; l = l->next) {
                bool good;
                if (!strcmp(l->string, "fuel"))
                    good = get_u64(l, 0, 1ull << 62, &m->fuel);
                else if (!strcmp(l->string, "timeout_ms"))
                    good = get_u64(l, 1, GW_MAX_TIMEOUT_MS, &m->timeout_ms);
                else if (!strcmp(l->string, "memory"))
                    good = get_u64(l, 65536, 4ull << 30, &m->max_memory);
                else if (!strcmp(l->string, "output"))
                    good = get_u64(l, 1, 64u << 20, &m->output_max);
                else {
                    fail(err, cap, "unknown limit (fuel, timeout_ms, memory, output)", l->string);
                    goto out;
                }
                if (!good) {
                    fail(err, cap,
                         "out of range (fuel >= 0, timeout_ms 1..900000, memory 65536..4 GiB, "
                         "output 1..64 MiB)",
                         l->string);
                    goto out;
                }
            }
        } else if (!strcmp(k, "env")) {
            if (!cJSON_IsObject(it)) {
                fail(err, cap, "an object of strings", k);
                goto out;
            }
            for (cJSON *e = it->child; e; e = e->next) {
                if (!cJSON_IsString(e) || !e->string[0] || strchr(e->string, '=') ||
                    m->nenv == GW_MAX_ENV) {
                    fail(err, cap, "at most 64 NAME: \"value\" strings, names without '='", k);
                    goto out;
                }
                size_t n = strlen(e->string) + strlen(e->valuestring) + 2;
                if (n > 4096) {
                    fail(err, cap, "an entry longer than 4 KiB", k);
                    goto out;
                }
                char *s = malloc(n);
                if (!s) {
                    fail(err, cap, "out of memory", k);
                    goto out;
                }
                size_t kl = strlen(e->string);
                memcpy(s, e->string, kl);
                s[kl] = '=';
                memcpy(s + kl + 1, e->valuestring, n - kl - 1); /* with its NUL */
                m->env[m->nenv++] = s;
            }
        } else if (!strcmp(k, "wasi")) {
            if (!parse_wasi(it, m, err, cap)) goto out;
        } else if (!strcmp(k, "cage")) {
            if (!parse_cage(it, m, err, cap)) goto out;
        } else if (!strcmp(k, "tier")) {
            const char *t = cJSON_IsString(it) ? it->valuestring : "";
            m->tier = !strcmp(t, "interp")   ? GW_TIER_INTERP
                      : !strcmp(t, "native") ? GW_TIER_NATIVE
                                             : -1;
            if (m->tier < 0) {
                fail(err, cap, "\"interp\" or \"native\"", k);
                goto out;
            }
        } else {
            fail(err, cap, "unknown key (entry, init, memory, limits, env, wasi, cage, tier)", k);
            goto out;
        }
    }
    ok = true;
out:
    cJSON_Delete(root);
    if (!ok) gw_manifest_free(m);
    return ok;
}

char *gw_manifest_json(const gw_manifest *m)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddStringToObject(root, "entry", m->entry);
    if (m->init[0]) cJSON_AddStringToObject(root, "init", m->init);
    cJSON_AddStringToObject(root, "memory", m->memory_mode ? "paged" : "flat");
    cJSON *l = cJSON_AddObjectToObject(root, "limits");
    if (l) {
        cJSON_AddNumberToObject(l, "fuel", (double)m->fuel);
        cJSON_AddNumberToObject(l, "timeout_ms", (double)m->timeout_ms);
        cJSON_AddNumberToObject(l, "memory", (double)m->max_memory);
        cJSON_AddNumberToObject(l, "output", (double)m->output_max);
    }
    cJSON *env = cJSON_AddObjectToObject(root, "env");
    for (size_t i = 0; env && i < m->nenv; i++) {
        char name[4096];
        const char *eq = strchr(m->env[i], '=');
        size_t n = (size_t)(eq - m->env[i]);
        memcpy(name, m->env[i], n);
        name[n] = '\0';
        cJSON_AddStringToObject(env, name, eq + 1);
    }
    cJSON *w = cJSON_AddObjectToObject(root, "wasi");
    cJSON *args = w ? cJSON_AddArrayToObject(w, "args") : NULL;
    for (size_t i = 0; args && i < m->nargs; i++)
        cJSON_AddItemToArray(args, cJSON_CreateString(m->args[i]));
    if (w) cJSON_AddBoolToObject(w, "clocks", m->clocks);
    if (w) cJSON_AddBoolToObject(w, "random", m->random);
    cJSON *cg = cJSON_AddObjectToObject(root, "cage");
    if (cg) cJSON_AddBoolToObject(cg, "mem_safety", m->mem_safety);
    if (cg) cJSON_AddBoolToObject(cg, "ptr_auth", m->ptr_auth);
    /* Only when chosen: manifests without it read as they did before. */
    if (m->tier)
        cJSON_AddStringToObject(root, "tier", m->tier == GW_TIER_NATIVE ? "native" : "interp");
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}
