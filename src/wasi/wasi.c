/* wasi.c - creating and freeing a WASI context.
 *
 * The context copies the configuration so that embedders may free theirs at
 * once, and duplicates host descriptors so that the guest's fds are its own:
 * a guest closing fd 1 closes ward's copy, not the host's stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi.h"

#define WASI_DEFAULT_MAX_FDS 1024

void ward_wasi_config_init(ward_wasi_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->stdin_fd = 0;
    cfg->stdout_fd = 1;
    cfg->stderr_fd = 2;
}

static void wasi_set_error(ward_error *err, ward_error_code code, const char *fmt, const char *what,
                           const char *why)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->message, sizeof err->message, fmt, what, why);
}

/* Copies n strings; *bytes gets the sum of their lengths plus NULs, which is
 * what args_sizes_get and environ_sizes_get report. */
static char **wasi_copy_strings(const char *const *src, size_t n, size_t *bytes)
{
    char **dst = calloc(n + 1, sizeof *dst);
    *bytes = 0;
    if (!dst) return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *s = src[i] ? src[i] : "";
        size_t len = strlen(s);
        dst[i] = malloc(len + 1);
        if (!dst[i] || *bytes + len + 1 > UINT32_MAX) {
            for (size_t k = 0; k <= i; k++)
                free(dst[k]);
            free(dst);
            return NULL;
        }
        memcpy(dst[i], s, len + 1);
        *bytes += len + 1;
    }
    return dst;
}

static void wasi_free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

ward_wasi *ward_wasi_new(const ward_wasi_config *cfg, ward_error *err)
{
    ward_wasi_config defaults;
    if (!cfg) {
        ward_wasi_config_init(&defaults);
        cfg = &defaults;
    }
    ward_wasi *w = calloc(1, sizeof *w);
    if (!w) goto oom;
    w->wake_fd = -1;
    w->max_fds = cfg->max_fds ? cfg->max_fds : WASI_DEFAULT_MAX_FDS;
    if (w->max_fds < 3 + cfg->ndirs + cfg->nsockets)
        w->max_fds = (uint32_t)(3 + cfg->ndirs + cfg->nsockets);
    w->argc = cfg->argc;
    w->argv = wasi_copy_strings(cfg->argv, cfg->argc, &w->argv_bytes);
    w->envc = cfg->envc;
    w->envp = wasi_copy_strings(cfg->envp, cfg->envc, &w->envp_bytes);
    if (!w->argv || !w->envp) goto oom;
    if (wasi_os_wake_open(&w->wake_fd) != WASI_ESUCCESS) {
        wasi_set_error(err, WARD_ERROR_HOST_RESOURCE, "cannot create WASI context: %s%s",
                       "no eventfd", "");
        goto fail;
    }

    /* Three slots for stdio first, so that fd numbers match whatever is closed. */
    w->fds = calloc(8, sizeof *w->fds);
    if (!w->fds) goto oom;
    w->nfds = 8;
    for (uint32_t i = 0; i < w->nfds; i++)
        w->fds[i].host = -1;
    const int stdio[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
    for (uint32_t i = 0; i < 3; i++) {
        int d;
        uint8_t type;
        if (stdio[i] < 0) continue;
        if (wasi_os_dup(stdio[i], &d, &type) != WASI_ESUCCESS) {
            wasi_set_error(err, WARD_ERROR_HOST_RESOURCE,
                           "cannot duplicate host descriptor for %s%s", "stdio", "");
            goto fail;
        }
        w->fds[i].host = d;
        w->fds[i].type = type;
        w->fds[i].rights_base = wasi_fd_max_rights(type);
        w->fds[i].rights_inheriting = 0;
    }
    /* Stdio holes must not be filled by preopens: mark them taken while
     * adding, using a descriptor value that wasi_fd_release never closes. */
    bool hole[3];
    for (uint32_t i = 0; i < 3; i++) {
        hole[i] = w->fds[i].host < 0;
        if (hole[i]) w->fds[i].host = -2;
    }
    if (cfg->ndirs > 0 && !wasi_os_have_openat2()) {
        wasi_set_error(err, WARD_ERROR_HOST_RESOURCE, "cannot preopen %s: %s", "directories",
                       "the kernel lacks openat2 (Linux 5.6+), which confinement needs");
        goto fail_holes;
    }
    for (size_t i = 0; i < cfg->ndirs; i++) {
        const ward_wasi_preopen *p = &cfg->dirs[i];
        int fd = -1;
        uint32_t got;
        wasi_errno e;
        if (!p->host_path || !p->guest_path) {
            wasi_set_error(err, WARD_ERROR_INVALID_ARGUMENT, "cannot preopen %s: %s", "(null)",
                           "missing path");
            goto fail_holes;
        }
        if (wasi_os_open_preopen(p->host_path, &fd) != WASI_ESUCCESS) {
            wasi_set_error(err, WARD_ERROR_INVALID_ARGUMENT, "cannot preopen directory %s: %s",
                           p->host_path, "not an accessible directory");
            goto fail_holes;
        }
        if (!wasi_fd_add(w, fd, WASI_FILETYPE_DIRECTORY, WASI_RIGHTS_DIRECTORY, WASI_RIGHTS_ALL,
                         p->guest_path, &got, &e)) {
            wasi_set_error(err, WARD_ERROR_HOST_RESOURCE, "cannot preopen directory %s: %s",
                           p->host_path, "too many descriptors");
            goto fail_holes;
        }
    }
    for (size_t i = 0; i < cfg->nsockets; i++) {
        int fd = -1;
        uint8_t type;
        uint32_t got;
        wasi_errno e;
        if (wasi_os_dup(cfg->sockets[i], &fd, &type) != WASI_ESUCCESS ||
            !wasi_fd_add(w, fd, type, WASI_RIGHTS_SOCKET, WASI_RIGHTS_SOCKET, NULL, &got, &e)) {
            wasi_set_error(err, WARD_ERROR_INVALID_ARGUMENT, "cannot preopen %s: %s", "socket",
                           "bad descriptor");
            goto fail_holes;
        }
    }
    for (uint32_t i = 0; i < 3; i++)
        if (hole[i]) w->fds[i].host = -1;
    return w;

fail_holes:
    for (uint32_t i = 0; i < 3; i++)
        if (hole[i]) w->fds[i].host = -1;
    goto fail;
oom:
    wasi_set_error(err, WARD_ERROR_OUT_OF_MEMORY, "cannot create WASI context: %s%s",
                   "out of memory", "");
fail:
    ward_wasi_free(w);
    return NULL;
}

void ward_wasi_set_timeout(ward_wasi *w, uint64_t timeout_ns)
{
    if (!w) return;
    w->deadline_ns = timeout_ns ? wasi_os_monotonic_ns() + timeout_ns : 0;
}

void ward_wasi_interrupt(ward_wasi *w)
{
    if (w) wasi_os_wake(w->wake_fd);
}

bool ward_wasi_define(ward_wasi *w, ward_store *s, ward_linker *l)
{
    if (!w || !s || !l) return false;
    /* The context's state is the guest's too: its strings and descriptor
     * slots count against the store's budget (later slots as they come). */
    uint64_t state = w->argv_bytes + w->envp_bytes + (w->argc + w->envc) * sizeof(char *) +
                     (uint64_t)w->nfds * WASI_SLOT_BYTES;
    if (!ward_store_charge(s, state)) return false;
    w->store = s;
    return wasi_abi_define(w, s, l);
}

void ward_wasi_free(ward_wasi *w)
{
    if (!w) return;
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].host >= 0) wasi_fd_release(&w->fds[i]);
    free(w->fds);
    wasi_os_close(w->wake_fd);
    wasi_free_strings(w->argv, w->argc);
    wasi_free_strings(w->envp, w->envc);
    free(w);
}
