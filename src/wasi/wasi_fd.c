/* wasi_fd.c - the guest's descriptor table.
 *
 * Guest fds index a growable array of slots; a slot owns one host descriptor.
 * New descriptors take the lowest free slot, as POSIX does, so programs that
 * assume it keep working. The table never grows past max_fds, which bounds
 * what one guest can hold of the host's descriptors.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi.h"

uint64_t wasi_fd_max_rights(uint8_t type)
{
    switch (type) {
    case WASI_FILETYPE_DIRECTORY: return WASI_RIGHTS_DIRECTORY;
    case WASI_FILETYPE_CHARACTER_DEVICE:
        return WASI_RIGHTS_TTY; /* no seek/tell: wasi-libc's isatty() looks for that */
    case WASI_FILETYPE_SOCKET_STREAM:
    case WASI_FILETYPE_SOCKET_DGRAM: return WASI_RIGHTS_SOCKET;
    default: return WASI_RIGHTS_REGULAR;
    }
}

wasi_fd *wasi_fd_get(ward_wasi *w, uint32_t fd, uint64_t need, wasi_errno *e)
{
    if (fd >= w->nfds || w->fds[fd].host < 0) {
        *e = WASI_EBADF;
        return NULL;
    }
    wasi_fd *f = &w->fds[fd];
    if ((f->rights_base & need) != need) {
        *e = WASI_ENOTCAPABLE;
        return NULL;
    }
    *e = WASI_ESUCCESS;
    return f;
}

void wasi_fd_release(wasi_fd *f)
{
    wasi_os_dir_free(f->dir);
    wasi_os_close(f->host);
    free(f->preopen);
    memset(f, 0, sizeof *f);
    f->host = -1;
}

bool wasi_fd_add(ward_wasi *w, int host, uint8_t type, uint64_t base, uint64_t inheriting,
                 const char *preopen, uint32_t *out, wasi_errno *e)
{
    uint32_t i = 0;
    while (i < w->nfds && w->fds[i].host != -1) /* -2: a reserved stdio hole */
        i++;
    if (i == w->nfds) {
        if (w->nfds >= w->max_fds) {
            *e = WASI_ENFILE;
            goto fail;
        }
        uint32_t n = w->nfds ? w->nfds * 2 : 8;
        if (n > w->max_fds) n = w->max_fds;
        if (w->store && !ward_store_charge(w->store, (uint64_t)(n - w->nfds) * WASI_SLOT_BYTES)) {
            *e = WASI_ENOMEM; /* the store's budget is spent */
            goto fail;
        }
        wasi_fd *grown = realloc(w->fds, (size_t)n * sizeof *grown);
        if (!grown) {
            if (w->store) ward_store_uncharge(w->store, (uint64_t)(n - w->nfds) * WASI_SLOT_BYTES);
            *e = WASI_ENOMEM;
            goto fail;
        }
        for (uint32_t k = w->nfds; k < n; k++) {
            memset(&grown[k], 0, sizeof grown[k]);
            grown[k].host = -1;
        }
        w->fds = grown;
        w->nfds = n;
    }
    wasi_fd *f = &w->fds[i];
    memset(f, 0, sizeof *f);
    if (preopen) {
        f->preopen = strdup(preopen);
        if (!f->preopen) {
            f->host = -1;
            *e = WASI_ENOMEM;
            goto fail;
        }
    }
    uint64_t max = wasi_fd_max_rights(type);
    f->host = host;
    f->type = type;
    f->rights_base = base & max;
    f->rights_inheriting = inheriting;
    *out = i;
    *e = WASI_ESUCCESS;
    return true;
fail:
    wasi_os_close(host);
    return false;
}

wasi_errno wasi_fd_close(ward_wasi *w, uint32_t fd)
{
    wasi_errno e;
    wasi_fd *f = wasi_fd_get(w, fd, 0, &e);
    if (!f) return e;
    wasi_fd_release(f);
    return WASI_ESUCCESS;
}

wasi_errno wasi_fd_renumber(ward_wasi *w, uint32_t from, uint32_t to)
{
    wasi_errno e;
    wasi_fd *src = wasi_fd_get(w, from, 0, &e);
    if (!src) return e;
    wasi_fd *dst = wasi_fd_get(w, to, 0, &e);
    if (!dst) return e;
    if (from == to) return WASI_ESUCCESS;
    wasi_fd_release(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
    src->host = -1;
    return WASI_ESUCCESS;
}
