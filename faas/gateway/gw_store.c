/* gw_store.c - the function store: one folder per tenant under the store's
 * folder, t/TENANT/fn/NAME.wasm and NAME.json (the canonical manifest),
 * NAME.native (the monitor's native code for it, proto.h: PROTO_F_NATIVE),
 * t/TENANT/chain/NAME.json. What is acknowledged to a client is on disk
 * (written and renamed before the reply), so a restart of either process
 * loses nothing deployed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw.h"

static char root[4096];

bool gw_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64 || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

void gw_store_init(const char *dir)
{
    snprintf(root, sizeof root, "%s", dir);
}

static void path_of(char *p, size_t cap, const char *tenant, const char *kind, const char *name,
                    const char *ext)
{
    if (name)
        snprintf(p, cap, "%s/t/%s/%s/%s.%s", root, tenant, kind, name, ext);
    else
        snprintf(p, cap, "%s/t/%s/%s", root, tenant, kind);
}

static bool mkdirs(const char *tenant, const char *kind)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/t", root);
    if (mkdir(p, 0700) && errno != EEXIST) return false;
    snprintf(p, sizeof p, "%s/t/%s", root, tenant);
    if (mkdir(p, 0700) && errno != EEXIST) return false;
    snprintf(p, sizeof p, "%s/t/%s/%s", root, tenant, kind);
    return !mkdir(p, 0700) || errno == EEXIST;
}

bool gw_store_put(const char *tenant, const char *kind, const char *name, const char *ext,
                  const void *data, size_t len)
{
    char p[4200], tmp[4300];
    if (!mkdirs(tenant, kind)) return false;
    path_of(p, sizeof p, tenant, kind, name, ext);
    snprintf(tmp, sizeof tmp, "%s.tmp%d", p, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const char *d = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, d, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return false;
        }
        d += w;
        left -= (size_t)w;
    }
    if (fsync(fd) || close(fd) || rename(tmp, p)) {
        unlink(tmp);
        return false;
    }
    return true;
}

char *gw_store_get(const char *tenant, const char *kind, const char *name, const char *ext,
                   size_t *len)
{
    char p[4200];
    path_of(p, sizeof p, tenant, kind, name, ext);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
                if (len) *len = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

bool gw_store_del(const char *tenant, const char *kind, const char *name, const char *ext)
{
    char p[4200];
    path_of(p, sizeof p, tenant, kind, name, ext);
    return unlink(p) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

char (*gw_store_list(const char *tenant, const char *kind, size_t *n))[64]
{
    char p[4200];
    *n = 0;
    path_of(p, sizeof p, tenant, kind, NULL, NULL);
    DIR *d = opendir(p);
    char(*names)[64] = NULL;
    size_t cap = 0;
    if (!d) return NULL;
    const char *want = !strcmp(kind, "fn") ? ".wasm" : ".json";
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name), wl = strlen(want);
        if (len <= wl || len - wl >= 64 || strcmp(e->d_name + len - wl, want)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char(*a)[64] = realloc(names, cap * sizeof *names);
            if (!a) break;
            names = a;
        }
        memcpy(names[*n], e->d_name, len - wl);
        names[*n][len - wl] = '\0';
        if (gw_name_ok(names[*n])) (*n)++;
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

gw_fn_ref *gw_store_all(size_t *n)
{
    char p[4200];
    *n = 0;
    snprintf(p, sizeof p, "%s/t", root);
    DIR *d = opendir(p);
    if (!d) return NULL;
    gw_fn_ref *refs = NULL;
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!gw_name_ok(e->d_name)) continue;
        size_t k;
        char(*names)[64] = gw_store_list(e->d_name, "fn", &k);
        for (size_t i = 0; i < k; i++) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                gw_fn_ref *a = realloc(refs, cap * sizeof *refs);
                if (!a) break;
                refs = a;
            }
            snprintf(refs[*n].tenant, 64, "%.63s", e->d_name);
            snprintf(refs[*n].name, 64, "%s", names[i]);
            (*n)++;
        }
        free(names);
    }
    closedir(d);
    return refs;
}

bool gw_deploy_build(proto_buf *b, const char *tenant, const char *name, const void *wasm,
                     size_t len, const gw_manifest *m)
{
    proto_begin(b, PROTO_DEPLOY, 0);
    proto_put_str(b, PROTO_F_TENANT, tenant);
    proto_put_str(b, PROTO_F_NAME, name);
    /* A sealed module (by a client, or by the monitor for the store) goes
     * as SEALED: a module starts with "\0asm", a sealed one with "WARDREQ1". */
    bool sealed = len >= 8 && !memcmp(wasm, "WARDREQ1", 8);
    proto_put(b, sealed ? PROTO_F_SEALED : PROTO_F_WASM, wasm, len);
    proto_put_str(b, PROTO_F_ENTRY, m->entry);
    if (m->init[0]) proto_put_str(b, PROTO_F_INIT, m->init);
    proto_put_u64(b, PROTO_F_MEMORY_MODE, (uint64_t)m->memory_mode);
    proto_put_u64(b, PROTO_F_FUEL, m->fuel);
    proto_put_u64(b, PROTO_F_TIMEOUT_MS, m->timeout_ms);
    proto_put_u64(b, PROTO_F_MAX_MEMORY, m->max_memory);
    proto_put_u64(b, PROTO_F_OUTPUT_MAX, m->output_max);
    for (size_t i = 0; i < m->nenv; i++)
        proto_put_str(b, PROTO_F_ENV, m->env[i]);
    for (size_t i = 0; i < m->nargs; i++)
        proto_put_str(b, PROTO_F_ARG, m->args[i]);
    uint64_t grants = (m->clocks ? PROTO_GRANT_CLOCKS : 0u) | (m->random ? PROTO_GRANT_RANDOM : 0u);
    uint64_t cage =
        (m->mem_safety ? PROTO_CAGE_MEM_SAFETY : 0u) | (m->ptr_auth ? PROTO_CAGE_PTR_AUTH : 0u);
    if (grants) proto_put_u64(b, PROTO_F_GRANTS, grants);
    if (cage) proto_put_u64(b, PROTO_F_CAGE, cage);
    if (m->tier) proto_put_u64(b, PROTO_F_TIER, (uint64_t)m->tier);
    return !b->failed;
}

bool gw_deploy_msg(proto_buf *b, const char *tenant, const char *name, char *why, size_t cap)
{
    size_t wlen, mlen;
    char *wasm = gw_store_get(tenant, "fn", name, "wasm", &wlen);
    char *json = gw_store_get(tenant, "fn", name, "json", &mlen);
    gw_manifest m;
    bool ok = false;
    if (!wasm || !json)
        snprintf(why, cap, "module or manifest missing");
    else if (gw_manifest_parse(json, mlen, &m, why, cap)) {
        ok = gw_deploy_build(b, tenant, name, wasm, wlen, &m);
        gw_manifest_free(&m);
    }
    /* The monitor's native code, if kept and if the message can carry it
     * with the module (a monitor that cannot use it compiles). */
    size_t clen;
    char *code = ok ? gw_store_get(tenant, "fn", name, "native", &clen) : NULL;
    if (code && wlen + clen + (1u << 20) <= PROTO_MAX_PAYLOAD)
        proto_put(b, PROTO_F_NATIVE, code, clen);
    ok = ok && !b->failed;
    free(code);
    free(wasm);
    free(json);
    return ok;
}
