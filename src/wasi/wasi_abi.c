/* wasi_abi.c - the wasi_snapshot_preview1 imports.
 *
 * One host function per import. Each decodes its arguments (guest pointers
 * are 32-bit addresses), checks the descriptor's rights, calls wasi_os_* and
 * encodes results into guest memory through wasi_mem_*. Every guest value is
 * hostile: a bad pointer is EFAULT, a bad flag EINVAL, a missing right
 * ENOTCAPABLE; nothing a guest passes can make the host crash or block
 * past the context's deadline.
 *
 * Struct layouts are those of the witx definitions (little-endian, natural
 * alignment): filestat 64 bytes, fdstat 24, prestat 8, iovec 8, dirent 24 +
 * name, subscription 48, event 32.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi.h"

#define ABI_IOV_MAX 1024        /* host iovecs per call: Linux's IOV_MAX */
#define ABI_POLL_MAX (1u << 16) /* subscriptions per poll_oneoff */
#define ABI_READLINK_MAX 4096

#define A32(i) ((uint32_t)args[i].of.i32)
#define A64(i) ((uint64_t)args[i].of.i64)
#define ABI_FN(name)                                                                               \
    static int abi_##name(ward_caller *c, void *data, const ward_val *args, ward_val *res)
#define ABI_SETUP                                                                                  \
    ward_wasi *w = data;                                                                           \
    ward_memory *m = ward_caller_memory(c);                                                        \
    wasi_errno e = WASI_ESUCCESS;                                                                  \
    (void)w;                                                                                       \
    (void)m;                                                                                       \
    (void)args;                                                                                    \
    (void)e

static int abi_ret(ward_val *res, wasi_errno e)
{
    res[0].of.i32 = (int32_t)e;
    return 0;
}

/* Ends an import that may have waited. A wait that ran into the deadline
 * ends the guest with the deadline trap: an errno (EINTR) would let it go
 * on, and even exit 0, before the store's own check stops it. */
static int abi_end(ward_caller *c, ward_val *res, wasi_errno e)
{
    if (e == WASI_XDEADLINE) return ward_caller_trap_code(c, WARD_TRAP_DEADLINE);
    return abi_ret(res, e);
}

/* Looks up a directory descriptor for a path operation. */
static wasi_fd *abi_dir(ward_wasi *w, uint32_t fd, uint64_t need, wasi_errno *e)
{
    wasi_fd *f = wasi_fd_get(w, fd, need, e);
    if (f && f->type != WASI_FILETYPE_DIRECTORY) {
        *e = WASI_ENOTDIR;
        return NULL;
    }
    return f;
}

static void abi_put_filestat(uint8_t b[64], const wasi_filestat *st)
{
    memset(b, 0, 64);
    memcpy(b, &st->dev, 8);
    memcpy(b + 8, &st->ino, 8);
    b[16] = st->filetype;
    memcpy(b + 24, &st->nlink, 8);
    memcpy(b + 32, &st->size, 8);
    memcpy(b + 40, &st->atim, 8);
    memcpy(b + 48, &st->mtim, 8);
    memcpy(b + 56, &st->ctim, 8);
}

/* ---- args, environment ------------------------------------------------------ */

static wasi_errno abi_strings_get(ward_memory *m, char **v, size_t n, uint32_t ptrs, uint32_t buf)
{
    uint64_t at = buf;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        if (at > UINT32_MAX || (uint64_t)ptrs + 4 * i > UINT32_MAX ||
            !wasi_mem_put_u32(m, (uint32_t)(ptrs + 4 * i), (uint32_t)at) ||
            !ward_memory_write(m, at, v[i], len))
            return WASI_EFAULT;
        at += len;
    }
    return WASI_ESUCCESS;
}

ABI_FN(args_get)
{
    ABI_SETUP;
    return abi_ret(res, m ? abi_strings_get(m, w->argv, w->argc, A32(0), A32(1)) : WASI_EFAULT);
}

ABI_FN(args_sizes_get)
{
    ABI_SETUP;
    if (!wasi_mem_put_u32(m, A32(0), (uint32_t)w->argc) ||
        !wasi_mem_put_u32(m, A32(1), (uint32_t)w->argv_bytes))
        e = WASI_EFAULT;
    return abi_ret(res, e);
}

ABI_FN(environ_get)
{
    ABI_SETUP;
    return abi_ret(res, m ? abi_strings_get(m, w->envp, w->envc, A32(0), A32(1)) : WASI_EFAULT);
}

ABI_FN(environ_sizes_get)
{
    ABI_SETUP;
    if (!wasi_mem_put_u32(m, A32(0), (uint32_t)w->envc) ||
        !wasi_mem_put_u32(m, A32(1), (uint32_t)w->envp_bytes))
        e = WASI_EFAULT;
    return abi_ret(res, e);
}

/* ---- clocks, random, scheduling, process ---------------------------------- */

ABI_FN(clock_res_get)
{
    ABI_SETUP;
    uint64_t v = 0;
    e = wasi_os_clock_res(A32(0), &v);
    if (!e && !wasi_mem_put_u64(m, A32(1), v)) e = WASI_EFAULT;
    return abi_ret(res, e);
}

ABI_FN(clock_time_get)
{
    ABI_SETUP;
    uint64_t v = 0;
    e = wasi_os_clock_time(A32(0), &v); /* args[1], the precision, is a hint */
    if (!e && !wasi_mem_put_u64(m, A32(2), v)) e = WASI_EFAULT;
    return abi_ret(res, e);
}

ABI_FN(random_get)
{
    ABI_SETUP;
    uint64_t at = A32(0), left = A32(1);
    if (at + left > UINT32_MAX + 1ull) return abi_ret(res, WASI_EFAULT);
    /* Check every run first (a paged memory may have a read-only page in
     * the middle): a faulting call writes nothing. */
    for (uint64_t a = at, l = left; l > 0;) {
        size_t avail = 0;
        if (!m || !ward_memory_span(m, a, (size_t)l, true, &avail) || avail == 0)
            return abi_ret(res, WASI_EFAULT);
        a += avail;
        l -= avail;
    }
    while (!e && left > 0) {
        size_t avail = 0;
        void *p = m ? ward_memory_span(m, at, (size_t)left, true, &avail) : NULL;
        if (!p || avail == 0) return abi_ret(res, WASI_EFAULT);
        e = wasi_os_random(p, avail);
        at += avail;
        left -= avail;
    }
    return abi_ret(res, e);
}

ABI_FN(sched_yield)
{
    ABI_SETUP;
    return abi_ret(res, wasi_os_sched_yield());
}

static int abi_proc_exit(ward_caller *c, void *data, const ward_val *args, ward_val *res)
{
    (void)data;
    (void)res;
    return ward_caller_exit(c, args[0].of.i32);
}

ABI_FN(proc_raise)
{
    ABI_SETUP;
    static const char *const names[] = {
        "NONE", "HUP",  "INT",  "QUIT",   "ILL",  "TRAP",  "ABRT", "BUS",  "FPE",  "KILL", "USR1",
        "SEGV", "USR2", "PIPE", "ALRM",   "TERM", "CHLD",  "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG",  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR",  "SYS"};
    uint32_t sig = A32(0);
    if (sig >= sizeof names / sizeof names[0]) return abi_ret(res, WASI_EINVAL);
    /* Signals whose default action is to do nothing (or to stop, which a
     * sandbox does not offer) return at once; every other one ends the
     * guest abnormally, as its default action would. The host process
     * itself never receives a signal from a guest. */
    switch (sig) {
    case 0:  /* NONE */
    case 16: /* CHLD */
    case 17: /* CONT */
    case 18: /* STOP */
    case 19: /* TSTP */
    case 20: /* TTIN */
    case 21: /* TTOU */
    case 22: /* URG */
    case 27: /* WINCH */ return abi_ret(res, WASI_ESUCCESS);
    default: {
        char msg[64];
        snprintf(msg, sizeof msg, "guest raised signal SIG%s", names[sig]);
        return ward_caller_trap(c, msg);
    }
    }
}

/* ---- descriptors ------------------------------------------------------------ */

ABI_FN(fd_advise)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_ADVISE), &e);
    if (f && A32(3) > 5)
        e = WASI_EINVAL;
    else if (f)
        e = f->type == WASI_FILETYPE_DIRECTORY
                ? WASI_EBADF
                : wasi_os_advise(f->host, A64(1), A64(2), (uint8_t)A32(3));
    return abi_ret(res, e);
}

ABI_FN(fd_allocate)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_ALLOCATE), &e);
    if (f) e = wasi_os_allocate(f->host, A64(1), A64(2));
    return abi_ret(res, e);
}

ABI_FN(fd_close)
{
    ABI_SETUP;
    return abi_ret(res, wasi_fd_close(w, A32(0)));
}

ABI_FN(fd_datasync)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_DATASYNC), &e);
    if (f) e = wasi_os_sync(f->host, true);
    return abi_ret(res, e);
}

ABI_FN(fd_sync)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_SYNC), &e);
    if (f) e = wasi_os_sync(f->host, false);
    return abi_ret(res, e);
}

ABI_FN(fd_fdstat_get)
{
    ABI_SETUP;
    uint16_t flags = 0;
    wasi_fd *f = wasi_fd_get(w, A32(0), 0, &e);
    if (f) e = wasi_os_get_fdflags(f->host, &flags);
    if (!e) {
        uint8_t b[24];
        memset(b, 0, sizeof b);
        b[0] = f->type;
        memcpy(b + 2, &flags, 2);
        memcpy(b + 8, &f->rights_base, 8);
        memcpy(b + 16, &f->rights_inheriting, 8);
        if (!m || !ward_memory_write(m, A32(1), b, sizeof b)) e = WASI_EFAULT;
    }
    return abi_ret(res, e);
}

ABI_FN(fd_fdstat_set_flags)
{
    ABI_SETUP;
    uint32_t flags = A32(1);
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_FDSTAT_SET_FLAGS), &e);
    if (f) e = (flags & ~31u) ? WASI_EINVAL : wasi_os_set_fdflags(f->host, (uint16_t)flags);
    return abi_ret(res, e);
}

ABI_FN(fd_fdstat_set_rights)
{
    ABI_SETUP;
    uint64_t base = A64(1), inh = A64(2);
    wasi_fd *f = wasi_fd_get(w, A32(0), 0, &e);
    if (f) {
        /* Rights can only be dropped, never regained. */
        if ((base & ~f->rights_base) || (inh & ~f->rights_inheriting))
            e = WASI_ENOTCAPABLE;
        else {
            f->rights_base = base;
            f->rights_inheriting = inh;
        }
    }
    return abi_ret(res, e);
}

ABI_FN(fd_filestat_get)
{
    ABI_SETUP;
    wasi_filestat st;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_FILESTAT_GET), &e);
    if (f) e = wasi_os_fstat(f->host, &st);
    if (!e) {
        uint8_t b[64];
        abi_put_filestat(b, &st);
        if (!m || !ward_memory_write(m, A32(1), b, sizeof b)) e = WASI_EFAULT;
    }
    return abi_ret(res, e);
}

ABI_FN(fd_filestat_set_size)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_FILESTAT_SET_SIZE), &e);
    if (f) e = wasi_os_ftruncate(f->host, A64(1));
    return abi_ret(res, e);
}

ABI_FN(fd_filestat_set_times)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_FILESTAT_SET_TIMES), &e);
    if (f)
        e = A32(3) > 15 ? WASI_EINVAL : wasi_os_futimes(f->host, A64(1), A64(2), (uint16_t)A32(3));
    return abi_ret(res, e);
}

/* Shared by fd_read, fd_write, fd_pread, fd_pwrite: `pos` < 0 uses the
 * descriptor's offset. The count is only written on success. */
static wasi_errno abi_rw(ward_wasi *w, ward_memory *m, uint32_t fd, uint32_t iovs, uint32_t n,
                         bool write, bool positioned, uint64_t pos, uint32_t out)
{
    struct iovec iov[ABI_IOV_MAX];
    size_t niov = 0, total = 0, done = 0;
    wasi_errno e;
    uint64_t need = write ? WASI_RIGHT(FD_WRITE) : WASI_RIGHT(FD_READ);
    if (positioned) need |= WASI_RIGHT(FD_SEEK);
    wasi_fd *f = wasi_fd_get(w, fd, need, &e);
    if (!f) return e;
    if (f->type == WASI_FILETYPE_DIRECTORY) return WASI_EISDIR;
    /* Check the result pointer first, so that data is never consumed and
     * then lost because the count cannot be stored. */
    if (!wasi_mem_put_u32(m, out, 0)) return WASI_EFAULT;
    e = wasi_mem_iovecs(m, iovs, n, !write, iov, ABI_IOV_MAX, &niov, &total);
    if (e) return e;
    if (niov > 0) {
        if (positioned)
            e = write ? wasi_os_pwritev(f->host, iov, niov, pos, &done)
                      : wasi_os_preadv(f->host, iov, niov, pos, &done);
        else
            e = write ? wasi_os_writev(f->host, iov, niov, &done)
                      : wasi_os_readv(w, f->host, iov, niov, &done);
    }
    if (!e && !wasi_mem_put_u32(m, out, (uint32_t)done)) e = WASI_EFAULT;
    return e;
}

ABI_FN(fd_read)
{
    ABI_SETUP;
    return abi_end(c, res, abi_rw(w, m, A32(0), A32(1), A32(2), false, false, 0, A32(3)));
}

ABI_FN(fd_write)
{
    ABI_SETUP;
    return abi_ret(res, abi_rw(w, m, A32(0), A32(1), A32(2), true, false, 0, A32(3)));
}

ABI_FN(fd_pread)
{
    ABI_SETUP;
    return abi_ret(res, abi_rw(w, m, A32(0), A32(1), A32(2), false, true, A64(3), A32(4)));
}

ABI_FN(fd_pwrite)
{
    ABI_SETUP;
    return abi_ret(res, abi_rw(w, m, A32(0), A32(1), A32(2), true, true, A64(3), A32(4)));
}

ABI_FN(fd_prestat_get)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), 0, &e);
    if (f && !f->preopen) e = WASI_EBADF;
    if (!e) {
        uint8_t b[8] = {0};
        uint32_t len = (uint32_t)strlen(f->preopen);
        memcpy(b + 4, &len, 4); /* tag 0: a directory */
        if (!m || !ward_memory_write(m, A32(1), b, sizeof b)) e = WASI_EFAULT;
    }
    return abi_ret(res, e);
}

ABI_FN(fd_prestat_dir_name)
{
    ABI_SETUP;
    wasi_fd *f = wasi_fd_get(w, A32(0), 0, &e);
    if (f && !f->preopen) e = WASI_EBADF;
    if (!e) {
        size_t len = strlen(f->preopen);
        if (A32(2) < len)
            e = WASI_ENAMETOOLONG;
        else if (!m || !ward_memory_write(m, A32(1), f->preopen, len))
            e = WASI_EFAULT;
    }
    return abi_ret(res, e);
}

typedef struct {
    ward_memory *m;
    uint64_t at;
} abi_put_ctx;

/* Writes a piece of a dirent buffer into guest memory, checked like every
 * host write (no bounce buffer the size of the guest's). */
static bool abi_put(void *ctx, size_t pos, const void *src, size_t n)
{
    abi_put_ctx *p = ctx;
    return ward_memory_write(p->m, p->at + pos, src, n);
}

ABI_FN(fd_readdir)
{
    ABI_SETUP;
    uint64_t at = A32(1), len = A32(2);
    size_t used = 0;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(FD_READDIR), &e);
    if (!f) return abi_ret(res, e);
    if (!wasi_mem_put_u32(m, A32(4), 0) || at + len > UINT32_MAX + 1ull)
        return abi_ret(res, WASI_EFAULT);
    if (len == 0) return abi_ret(res, WASI_ESUCCESS);
    /* The buffer's start must be writable (tag included) before anything is
     * read; the rest is checked as each piece is written. */
    size_t avail = 0;
    if (!ward_memory_span(m, at, (size_t)len, true, &avail)) return abi_ret(res, WASI_EFAULT);
    abi_put_ctx put = {m, at};
    e = wasi_os_readdir(f, A64(3), abi_put, &put, (size_t)len, &used);
    if (!e && !wasi_mem_put_u32(m, A32(4), (uint32_t)used)) e = WASI_EFAULT;
    return abi_ret(res, e);
}

ABI_FN(fd_renumber)
{
    ABI_SETUP;
    return abi_ret(res, wasi_fd_renumber(w, A32(0), A32(1)));
}

ABI_FN(fd_seek)
{
    ABI_SETUP;
    uint64_t pos = 0;
    uint32_t whence = A32(2);
    /* A query of the position needs only the tell right. */
    uint64_t need = (A64(1) == 0 && whence == 1) ? WASI_RIGHT(FD_TELL) : WASI_RIGHT(FD_SEEK);
    wasi_fd *f = wasi_fd_get(w, A32(0), need, &e);
    if (f && !wasi_mem_put_u64(m, A32(3), 0))
        e = WASI_EFAULT;
    else if (f)
        e = whence > 2 ? WASI_EINVAL
                       : wasi_os_seek(f->host, (int64_t)A64(1), (uint8_t)whence, &pos);
    if (f && !e && !wasi_mem_put_u64(m, A32(3), pos)) e = WASI_EFAULT;
    return abi_ret(res, e);
}

ABI_FN(fd_tell)
{
    ABI_SETUP;
    uint64_t pos = 0;
    wasi_fd *f = wasi_fd_get(w, A32(0), WASI_RIGHT(FD_TELL), &e);
    if (f) e = wasi_os_seek(f->host, 0, 1, &pos);
    if (!e && !wasi_mem_put_u64(m, A32(1), pos)) e = WASI_EFAULT;
    return abi_ret(res, e);
}

/* ---- paths ----------------------------------------------------------------- */

ABI_FN(path_create_directory)
{
    ABI_SETUP;
    char *path = NULL;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(PATH_CREATE_DIRECTORY), &e);
    if (f) e = wasi_mem_path(m, A32(1), A32(2), &path);
    if (!e) e = wasi_os_path_mkdir(f->host, path);
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_filestat_get)
{
    ABI_SETUP;
    char *path = NULL;
    wasi_filestat st;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(PATH_FILESTAT_GET), &e);
    if (f) e = wasi_mem_path(m, A32(2), A32(3), &path);
    if (!e) e = wasi_os_path_stat(f->host, path, A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &st);
    if (!e) {
        uint8_t b[64];
        abi_put_filestat(b, &st);
        if (!ward_memory_write(m, A32(4), b, sizeof b)) e = WASI_EFAULT;
    }
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_filestat_set_times)
{
    ABI_SETUP;
    char *path = NULL;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(PATH_FILESTAT_SET_TIMES), &e);
    if (f) e = wasi_mem_path(m, A32(2), A32(3), &path);
    if (!e && A32(6) > 15) e = WASI_EINVAL;
    if (!e)
        e = wasi_os_path_utimes(f->host, path, A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, A64(4), A64(5),
                                (uint16_t)A32(6));
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_link)
{
    ABI_SETUP;
    char *from = NULL, *to = NULL;
    wasi_fd *fa = abi_dir(w, A32(0), WASI_RIGHT(PATH_LINK_SOURCE), &e);
    wasi_fd *fb = NULL;
    if (fa) fb = abi_dir(w, A32(4), WASI_RIGHT(PATH_LINK_TARGET), &e);
    if (fb) e = wasi_mem_path(m, A32(2), A32(3), &from);
    if (fb && !e) e = wasi_mem_path(m, A32(5), A32(6), &to);
    if (fb && !e)
        e = wasi_os_path_link(fa->host, from, A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, fb->host, to);
    free(from);
    free(to);
    return abi_ret(res, e);
}

ABI_FN(path_open)
{
    ABI_SETUP;
    char *path = NULL;
    int fd = -1;
    uint8_t type = 0;
    uint32_t oflags = A32(4), fdflags = A32(7), newfd = 0;
    uint64_t need = WASI_RIGHT(PATH_OPEN);
    if (oflags & WASI_O_CREAT) need |= WASI_RIGHT(PATH_CREATE_FILE);
    if (oflags & WASI_O_TRUNC) need |= WASI_RIGHT(PATH_FILESTAT_SET_SIZE);
    wasi_fd *f = abi_dir(w, A32(0), need, &e);
    if (!f) goto done;
    if ((oflags & ~15u) || (fdflags & ~31u)) {
        e = WASI_EINVAL;
        goto done;
    }
    /* A new descriptor gets at most what its directory may hand down; the
     * rest of what the guest asks for is left out, not refused (as wasmtime,
     * which ignores rights, and as Rust's std expects: "implementations may
     * give us fewer rights silently"), and fd_fdstat_get shows what it got.
     * So NOTCAPABLE from path_open keeps one meaning: the path leads outside
     * (a right the directory itself lacks for the open is NOTCAPABLE above,
     * as for any call). */
    uint64_t base = A64(5) & f->rights_inheriting, inh = A64(6) & f->rights_inheriting;
    if (!wasi_mem_put_u32(m, A32(8), 0)) {
        e = WASI_EFAULT;
        goto done;
    }
    e = wasi_mem_path(m, A32(2), A32(3), &path);
    if (e) goto done;
    bool rd = (base & (WASI_RIGHT(FD_READ) | WASI_RIGHT(FD_READDIR))) != 0;
    /* Write rights open the file for writing, so a directory (O_DIRECTORY
     * or not) is ISDIR, as POSIX open() says; its contents change through
     * the path_* calls. */
    bool wr = (base & (WASI_RIGHT(FD_DATASYNC) | WASI_RIGHT(FD_WRITE) | WASI_RIGHT(FD_ALLOCATE) |
                       WASI_RIGHT(FD_FILESTAT_SET_SIZE))) != 0;
    e = wasi_os_path_open(f->host, path, A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, (uint16_t)oflags,
                          (uint16_t)fdflags, rd, wr, &fd, &type);
    if (e) goto done;
    if (!wasi_fd_add(w, fd, type, base, inh, NULL, &newfd, &e))
        goto done; /* fd was closed by wasi_fd_add */
    if (!wasi_mem_put_u32(m, A32(8), newfd)) {
        wasi_fd_close(w, newfd);
        e = WASI_EFAULT;
    }
done:
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_readlink)
{
    ABI_SETUP;
    char *path = NULL;
    char buf[ABI_READLINK_MAX];
    size_t used = 0;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(PATH_READLINK), &e);
    if (f) e = wasi_mem_path(m, A32(1), A32(2), &path);
    if (!e) e = wasi_os_path_readlink(f->host, path, buf, sizeof buf, &used);
    if (!e) {
        if (used > A32(4)) used = A32(4); /* WASI truncates to the guest's buffer */
        if (!ward_memory_write(m, A32(3), buf, used) ||
            !wasi_mem_put_u32(m, A32(5), (uint32_t)used))
            e = WASI_EFAULT;
    }
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_remove_directory)
{
    ABI_SETUP;
    char *path = NULL;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(PATH_REMOVE_DIRECTORY), &e);
    if (f) e = wasi_mem_path(m, A32(1), A32(2), &path);
    if (!e) e = wasi_os_path_rmdir(f->host, path);
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_rename)
{
    ABI_SETUP;
    char *from = NULL, *to = NULL;
    wasi_fd *fa = abi_dir(w, A32(0), WASI_RIGHT(PATH_RENAME_SOURCE), &e);
    wasi_fd *fb = NULL;
    if (fa) fb = abi_dir(w, A32(3), WASI_RIGHT(PATH_RENAME_TARGET), &e);
    if (fb) e = wasi_mem_path(m, A32(1), A32(2), &from);
    if (fb && !e) e = wasi_mem_path(m, A32(4), A32(5), &to);
    if (fb && !e) e = wasi_os_path_rename(fa->host, from, fb->host, to);
    free(from);
    free(to);
    return abi_ret(res, e);
}

ABI_FN(path_symlink)
{
    ABI_SETUP;
    char *target = NULL, *path = NULL;
    wasi_fd *f = abi_dir(w, A32(2), WASI_RIGHT(PATH_SYMLINK), &e);
    if (f) e = wasi_mem_path(m, A32(0), A32(1), &target);
    if (f && !e) e = wasi_mem_path(m, A32(3), A32(4), &path);
    if (f && !e) e = wasi_os_path_symlink(target, f->host, path);
    free(target);
    free(path);
    return abi_ret(res, e);
}

ABI_FN(path_unlink_file)
{
    ABI_SETUP;
    char *path = NULL;
    wasi_fd *f = abi_dir(w, A32(0), WASI_RIGHT(PATH_UNLINK_FILE), &e);
    if (f) e = wasi_mem_path(m, A32(1), A32(2), &path);
    if (!e) e = wasi_os_path_unlink(f->host, path);
    free(path);
    return abi_ret(res, e);
}

/* ---- poll_oneoff ------------------------------------------------------------ */

typedef struct abi_sub {
    uint64_t userdata;
    uint8_t type;     /* 0 clock, 1 fd_read, 2 fd_write */
    wasi_errno error; /* set: the event fires at once with this error */
    uint64_t expiry;  /* clock: CLOCK_MONOTONIC ns */
    int32_t pollfd;   /* fd kinds: index into the poll set, or -1 */
} abi_sub;

static wasi_errno abi_poll(ward_wasi *w, ward_memory *m, uint32_t in, uint32_t out, uint32_t n,
                           uint32_t *nevents)
{
    wasi_errno e = WASI_ESUCCESS;
    uint8_t *raw = NULL;
    abi_sub *subs = NULL;
    wasi_pollfd *pfds = NULL;
    size_t npfd = 0;
    bool immediate = false;
    uint64_t now = wasi_os_monotonic_ns(), timeout = UINT64_MAX;
    *nevents = 0;
    if (n == 0 || n > ABI_POLL_MAX) return WASI_EINVAL;
    raw = malloc((size_t)n * 48);
    subs = calloc(n, sizeof *subs);
    pfds = calloc(n, sizeof *pfds);
    if (!raw || !subs || !pfds) {
        e = WASI_ENOMEM;
        goto done;
    }
    if (!m || !ward_memory_read(m, in, raw, (size_t)n * 48) ||
        (uint64_t)out + 32ull * n > UINT32_MAX + 1ull) {
        e = WASI_EFAULT;
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = raw + 48 * (size_t)i;
        abi_sub *sub = &subs[i];
        memcpy(&sub->userdata, s, 8);
        sub->type = s[8];
        sub->pollfd = -1;
        if (sub->type == 0) {
            uint32_t id;
            uint64_t t, at;
            uint16_t flags;
            memcpy(&id, s + 16, 4);
            memcpy(&t, s + 24, 8);
            memcpy(&flags, s + 40, 2);
            if (id == 2 || id == 3) {
                /* CPU time: the guest's own clock does not advance while it
                 * waits (it is the only thread of its instance), so no wait
                 * could end; and firing at once would read as time having
                 * passed. The call fails, as POSIX clock_nanosleep() does on
                 * a CPU-time clock (ENOTSUP; wasmtime: EINVAL), and
                 * wasi-libc's clock_nanosleep() returns it. */
                e = WASI_ENOTSUP;
                goto done;
            } else if (id > 3 || (flags & ~1u)) {
                sub->error = WASI_EINVAL;
            } else {
                uint64_t rel = t;
                if ((flags & 1) && !wasi_os_clock_time(id, &at))
                    rel = t > at ? t - at : 0; /* absolute: time left from now */
                sub->expiry = now + rel < now ? UINT64_MAX : now + rel;
                if (rel < timeout) timeout = rel;
                continue;
            }
            immediate = true;
        } else if (sub->type == 1 || sub->type == 2) {
            uint32_t fd;
            memcpy(&fd, s + 16, 4);
            wasi_fd *f = wasi_fd_get(w, fd, WASI_RIGHT(POLL_FD_READWRITE), &sub->error);
            if (!f) {
                immediate = true;
                continue;
            }
            sub->pollfd = (int32_t)npfd;
            pfds[npfd].fd = f->host;
            pfds[npfd].write = sub->type == 2;
            npfd++;
        } else {
            e = WASI_EINVAL;
            goto done;
        }
    }
    if (immediate) timeout = 0;
    if (w->deadline_ns) /* never wait past the guest's deadline */
        timeout = w->deadline_ns <= now
                      ? 0
                      : (w->deadline_ns - now < timeout ? w->deadline_ns - now : timeout);
    e = wasi_os_poll(w, pfds, npfd, timeout);
    if (e) goto done;
    now = wasi_os_monotonic_ns();
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        abi_sub *sub = &subs[i];
        uint8_t ev[32];
        uint64_t nbytes = 0;
        uint16_t flags = 0;
        if (sub->error == WASI_ESUCCESS) {
            if (sub->type == 0 && sub->expiry > now) continue;
            if (sub->type != 0) {
                wasi_pollfd *p = &pfds[sub->pollfd];
                if (!p->ready) continue;
                sub->error = p->error;
                nbytes = p->nbytes;
                flags = p->hangup ? 1 : 0;
            }
        }
        memset(ev, 0, sizeof ev);
        memcpy(ev, &sub->userdata, 8);
        uint16_t err = (uint16_t)sub->error;
        memcpy(ev + 8, &err, 2);
        ev[10] = sub->type;
        memcpy(ev + 16, &nbytes, 8);
        memcpy(ev + 24, &flags, 2);
        if (!ward_memory_write(m, (uint64_t)out + 32ull * k, ev, sizeof ev)) {
            e = WASI_EFAULT;
            goto done;
        }
        k++;
    }
    /* Cut short by the deadline with nothing to report: the guest's time is
     * up (the import traps), rather than return from a sleep that did not
     * happen. */
    if (k == 0 && w->deadline_ns && now >= w->deadline_ns) e = WASI_XDEADLINE;
    *nevents = k;
done:
    free(raw);
    free(subs);
    free(pfds);
    return e;
}

ABI_FN(poll_oneoff)
{
    ABI_SETUP;
    uint32_t nevents = 0;
    if (!wasi_mem_put_u32(m, A32(3), 0)) return abi_ret(res, WASI_EFAULT);
    e = abi_poll(w, m, A32(0), A32(1), A32(2), &nevents);
    if (!e && !wasi_mem_put_u32(m, A32(3), nevents)) e = WASI_EFAULT;
    return abi_end(c, res, e);
}

/* ---- sockets ---------------------------------------------------------------- */

/* Looks up a socket: a descriptor of another kind is ENOTSOCK (checked
 * before rights, since only sockets ever hold the socket rights). */
static wasi_fd *abi_sock(ward_wasi *w, uint32_t fd, uint64_t need, wasi_errno *e)
{
    wasi_fd *f = wasi_fd_get(w, fd, 0, e);
    if (f && f->type != WASI_FILETYPE_SOCKET_STREAM && f->type != WASI_FILETYPE_SOCKET_DGRAM) {
        *e = WASI_ENOTSOCK;
        return NULL;
    }
    return f ? wasi_fd_get(w, fd, need, e) : NULL;
}

ABI_FN(sock_accept)
{
    ABI_SETUP;
    int fd = -1;
    uint32_t newfd = 0, flags = A32(1);
    wasi_fd *f = abi_sock(w, A32(0), WASI_RIGHT(SOCK_ACCEPT), &e);
    if (f && (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK))
        e = WASI_EINVAL;
    else if (f && !wasi_mem_put_u32(m, A32(2), 0))
        e = WASI_EFAULT;
    else if (f)
        e = wasi_os_sock_accept(w, f->host, flags & WASI_FDFLAG_NONBLOCK, &fd);
    if (f && !e &&
        wasi_fd_add(w, fd, wasi_os_filetype_of(fd), WASI_RIGHTS_SOCKET, 0, NULL, &newfd, &e) &&
        !wasi_mem_put_u32(m, A32(2), newfd)) {
        wasi_fd_close(w, newfd);
        e = WASI_EFAULT;
    }
    return abi_end(c, res, e);
}

ABI_FN(sock_recv)
{
    ABI_SETUP;
    struct iovec iov[ABI_IOV_MAX];
    size_t niov = 0, total = 0, done = 0;
    uint16_t roflags = 0;
    wasi_fd *f = abi_sock(w, A32(0), WASI_RIGHT(FD_READ), &e);
    if (f && (A32(3) & ~3u))
        e = WASI_EINVAL;
    else if (f && (!wasi_mem_put_u32(m, A32(4), 0) || !ward_memory_write(m, A32(5), &roflags, 2)))
        e = WASI_EFAULT;
    else if (f)
        e = wasi_mem_iovecs(m, A32(1), A32(2), true, iov, ABI_IOV_MAX, &niov, &total);
    if (f && !e && niov > 0)
        e = wasi_os_sock_recv(w, f->host, iov, niov, (uint16_t)A32(3), &done, &roflags);
    if (f && !e &&
        (!wasi_mem_put_u32(m, A32(4), (uint32_t)done) ||
         !ward_memory_write(m, A32(5), &roflags, 2)))
        e = WASI_EFAULT;
    return abi_end(c, res, e);
}

ABI_FN(sock_send)
{
    ABI_SETUP;
    struct iovec iov[ABI_IOV_MAX];
    size_t niov = 0, total = 0, done = 0;
    wasi_fd *f = abi_sock(w, A32(0), WASI_RIGHT(FD_WRITE), &e);
    if (f && A32(3) != 0)
        e = WASI_EINVAL;
    else if (f && !wasi_mem_put_u32(m, A32(4), 0))
        e = WASI_EFAULT;
    else if (f)
        e = wasi_mem_iovecs(m, A32(1), A32(2), false, iov, ABI_IOV_MAX, &niov, &total);
    if (f && !e && niov > 0) e = wasi_os_sock_send(w, f->host, iov, niov, &done);
    if (f && !e && !wasi_mem_put_u32(m, A32(4), (uint32_t)done)) e = WASI_EFAULT;
    return abi_end(c, res, e);
}

ABI_FN(sock_shutdown)
{
    ABI_SETUP;
    wasi_fd *f = abi_sock(w, A32(0), WASI_RIGHT(SOCK_SHUTDOWN), &e);
    if (f) e = wasi_os_sock_shutdown(f->host, (uint8_t)(A32(1) > 3 ? 0 : A32(1)));
    return abi_ret(res, e);
}

/* ---- the import table ---------------------------------------------------- */

typedef struct abi_import {
    const char *name;
    const char *params; /* 'i' i32, 'I' i64 */
    bool has_result;    /* every import but proc_exit returns an errno */
    ward_host_fn fn;
} abi_import;

static const abi_import abi_imports[] = {
    {"args_get", "ii", true, abi_args_get},
    {"args_sizes_get", "ii", true, abi_args_sizes_get},
    {"environ_get", "ii", true, abi_environ_get},
    {"environ_sizes_get", "ii", true, abi_environ_sizes_get},
    {"clock_res_get", "ii", true, abi_clock_res_get},
    {"clock_time_get", "iIi", true, abi_clock_time_get},
    {"fd_advise", "iIIi", true, abi_fd_advise},
    {"fd_allocate", "iII", true, abi_fd_allocate},
    {"fd_close", "i", true, abi_fd_close},
    {"fd_datasync", "i", true, abi_fd_datasync},
    {"fd_fdstat_get", "ii", true, abi_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", true, abi_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", true, abi_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", true, abi_fd_filestat_get},
    {"fd_filestat_set_size", "iI", true, abi_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", true, abi_fd_filestat_set_times},
    {"fd_pread", "iiiIi", true, abi_fd_pread},
    {"fd_prestat_get", "ii", true, abi_fd_prestat_get},
    {"fd_prestat_dir_name", "iii", true, abi_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", true, abi_fd_pwrite},
    {"fd_read", "iiii", true, abi_fd_read},
    {"fd_readdir", "iiiIi", true, abi_fd_readdir},
    {"fd_renumber", "ii", true, abi_fd_renumber},
    {"fd_seek", "iIii", true, abi_fd_seek},
    {"fd_sync", "i", true, abi_fd_sync},
    {"fd_tell", "ii", true, abi_fd_tell},
    {"fd_write", "iiii", true, abi_fd_write},
    {"path_create_directory", "iii", true, abi_path_create_directory},
    {"path_filestat_get", "iiiii", true, abi_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", true, abi_path_filestat_set_times},
    {"path_link", "iiiiiii", true, abi_path_link},
    {"path_open", "iiiiiIIii", true, abi_path_open},
    {"path_readlink", "iiiiii", true, abi_path_readlink},
    {"path_remove_directory", "iii", true, abi_path_remove_directory},
    {"path_rename", "iiiiii", true, abi_path_rename},
    {"path_symlink", "iiiii", true, abi_path_symlink},
    {"path_unlink_file", "iii", true, abi_path_unlink_file},
    {"poll_oneoff", "iiii", true, abi_poll_oneoff},
    {"proc_exit", "i", false, abi_proc_exit},
    {"proc_raise", "i", true, abi_proc_raise},
    {"random_get", "ii", true, abi_random_get},
    {"sched_yield", "", true, abi_sched_yield},
    {"sock_accept", "iii", true, abi_sock_accept},
    {"sock_recv", "iiiiii", true, abi_sock_recv},
    {"sock_send", "iiiii", true, abi_sock_send},
    {"sock_shutdown", "ii", true, abi_sock_shutdown},
};

bool wasi_abi_define(ward_wasi *w, ward_store *s, ward_linker *l)
{
    static const ward_valkind result[1] = {WARD_I32};
    for (size_t i = 0; i < sizeof abi_imports / sizeof abi_imports[0]; i++) {
        const abi_import *imp = &abi_imports[i];
        ward_valkind params[16];
        size_t np = strlen(imp->params);
        for (size_t k = 0; k < np; k++)
            params[k] = imp->params[k] == 'I' ? WARD_I64 : WARD_I32;
        ward_func *f =
            ward_func_new(s, params, np, result, imp->has_result ? 1 : 0, imp->fn, w, NULL);
        if (!f) return false;
        ward_extern ext;
        ext.kind = WARD_EXTERN_FUNC;
        ext.of.func = f;
        if (!ward_linker_define(l, "wasi_snapshot_preview1", imp->name, ext)) return false;
    }
    return true;
}
