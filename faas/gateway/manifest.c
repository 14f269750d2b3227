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
    m->nenv = 0;
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
                    good = get_u64(l, 1, 60000, &m->timeout_ms);
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
                         "out of range (fuel >= 0, timeout_ms 1..60000, memory 65536..4 GiB, "
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
            if (!cJSON_IsObject(it) || it->child) {
                fail(err, cap,
                     "no WASI grant (files, sockets) is available to functions yet: use {}", k);
                goto out;
            }
        } else if (!strcmp(k, "cage")) {
            if (!cJSON_IsObject(it) || it->child) {
                fail(err, cap, "Cage memory tagging is not available yet: use {}", k);
                goto out;
            }
        } else {
            fail(err, cap, "unknown key (entry, init, memory, limits, env, wasi, cage)", k);
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
    cJSON_AddObjectToObject(root, "wasi");
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}
