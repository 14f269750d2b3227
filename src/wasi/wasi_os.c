/* wasi_os.c - every call the WASI layer makes into the host OS.
 *
 * Functions here take host descriptors and host buffers (already checked
 * against guest memory by the caller) and return WASI errnos, so the rest of
 * the layer never sees a host errno.
 *
 * Confinement: every path a guest gives is resolved beneath a directory
 * descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). The
 * kernel then refuses "..", absolute paths and symlinks that would leave the
 * directory, at every step of the walk and atomically with the lookup, which
 * a check done in user space cannot guarantee. Operations that act on a name
 * rather than open it (mkdir, unlink, rename, ...) first open the parent
 * beneath the directory with openat2, then use the *at() call on the last
 * component, which is a single name that is never "..".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wasi/wasi.h"

/* ---- errno and small helpers ------------------------------------------- */

wasi_errno wasi_os_errno(int e)
{
    switch (e) {
    case 0: return WASI_ESUCCESS;
#define WASI_ERRNO_CASE(name, val)                                                                 \
    case E##name: return WASI_E##name;
        WASI_ERRNO_HOST_LIST(WASI_ERRNO_CASE)
#undef WASI_ERRNO_CASE
        /* Linux errnos WASI has no name for, mapped to the nearest meaning. */
#if EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return WASI_ENOTSUP;
#endif
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return WASI_EAGAIN;
#endif
    case ETIME: return WASI_ETIMEDOUT;
    case ESHUTDOWN: return WASI_EPIPE;
    case EHOSTDOWN: return WASI_EHOSTUNREACH;
    case EPFNOSUPPORT: return WASI_EAFNOSUPPORT;
    case ESOCKTNOSUPPORT: return WASI_EPROTONOSUPPORT;
    case ENOTBLK: return WASI_ENOTSUP;
    case ENOSR: return WASI_ENOMEM;
    case ERESTART: return WASI_EINTR;
    case EMEDIUMTYPE:
    case ENOMEDIUM: return WASI_ENXIO;
    case EKEYEXPIRED:
    case EKEYREJECTED:
    case EKEYREVOKED:
    case ENOKEY: return WASI_EACCES;
    default: return WASI_EIO;
    }
}

static wasi_errno os_err(void)
{
    return wasi_os_errno(errno);
}

static uint64_t os_ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static struct timespec os_ns_ts(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ts;
}

uint64_t wasi_os_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return os_ts_ns(&ts);
}

static uint8_t os_filetype_mode(int fd, mode_t mode)
{
    if (S_ISREG(mode)) return WASI_FILETYPE_REGULAR_FILE;
    if (S_ISDIR(mode)) return WASI_FILETYPE_DIRECTORY;
    if (S_ISCHR(mode)) return WASI_FILETYPE_CHARACTER_DEVICE;
    if (S_ISBLK(mode)) return WASI_FILETYPE_BLOCK_DEVICE;
    if (S_ISLNK(mode)) return WASI_FILETYPE_SYMBOLIC_LINK;
    if (S_ISSOCK(mode)) {
        int type = 0;
        socklen_t len = sizeof type;
        if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
            return WASI_FILETYPE_SOCKET_DGRAM;
        return WASI_FILETYPE_SOCKET_STREAM;
    }
    return WASI_FILETYPE_UNKNOWN; /* pipes: WASI has no type for them */
}

uint8_t wasi_os_filetype_of(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return WASI_FILETYPE_UNKNOWN;
    return os_filetype_mode(fd, st.st_mode);
}

static void os_filestat(int fd, const struct stat *st, wasi_filestat *out)
{
    out->dev = (uint64_t)st->st_dev;
    out->ino = (uint64_t)st->st_ino;
    out->filetype = os_filetype_mode(fd, st->st_mode);
    out->nlink = (uint64_t)st->st_nlink;
    out->size = (uint64_t)st->st_size;
    out->atim = os_ts_ns(&st->st_atim);
    out->mtim = os_ts_ns(&st->st_mtim);
    out->ctim = os_ts_ns(&st->st_ctim);
}

void wasi_os_close(int fd)
{
    if (fd >= 0) close(fd); /* EINTR still closes on Linux; never retry */
}

void wasi_os_dir_free(void *dir)
{
    if (dir) closedir(dir);
}

wasi_errno wasi_os_dup(int fd, int *out, uint8_t *type)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) return os_err();
    *out = d;
    *type = wasi_os_filetype_of(d);
    return WASI_ESUCCESS;
}

/* ---- confined path resolution --------------------------------------------- */

static long os_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = (flags & O_CREAT) ? mode : 0; /* openat2 refuses a mode without O_CREAT */
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long r;
    do
        r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    while (r < 0 && errno == EINTR);
    return r;
}

/* An escape attempt is EXDEV from openat2; WASI calls that ENOTCAPABLE. */
static wasi_errno os_open_err(void)
{
    return errno == EXDEV ? WASI_ENOTCAPABLE : os_err();
}

bool wasi_os_have_openat2(void)
{
    long r = os_openat2(AT_FDCWD, ".", O_PATH | O_CLOEXEC, 0);
    if (r >= 0) {
        close((int)r);
        return true;
    }
    return errno != ENOSYS;
}

wasi_errno wasi_os_open_preopen(const char *host_path, int *out)
{
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return os_err();
    *out = fd;
    return WASI_ESUCCESS;
}

/* A path split into a parent directory (opened beneath the base directory)
 * and one last component to pass to an *at() call. */
typedef struct os_at {
    int dir;          /* the parent; equal to the base dirfd when !owned */
    bool owned;       /* dir must be closed */
    bool slash;       /* the path ended in '/': the target must be a directory */
    char *copy;       /* holds name */
    const char *name; /* last component: never empty, never "..", no '/' */
} os_at;

static void os_at_done(os_at *at)
{
    if (at->owned) close(at->dir);
    free(at->copy);
    at->owned = false;
    at->copy = NULL;
}

static wasi_errno os_at_resolve(int dirfd, const char *path, os_at *at)
{
    memset(at, 0, sizeof *at);
    at->dir = dirfd;
    size_t len = strlen(path);
    if (len == 0) return WASI_ENOENT;
    if (path[0] == '/') return WASI_ENOTCAPABLE;
    at->copy = malloc(len + 1);
    if (!at->copy) return WASI_ENOMEM;
    memcpy(at->copy, path, len + 1);
    while (len > 1 && at->copy[len - 1] == '/') {
        at->copy[--len] = '\0';
        at->slash = true;
    }
    char *cut = strrchr(at->copy, '/');
    const char *last = cut ? cut + 1 : at->copy;
    if (strcmp(last, "..") == 0) {
        /* "a/.." names a directory: open all of it beneath the base and
         * act on "." inside it, so no *at() call ever sees "..". */
        long r = os_openat2(dirfd, at->copy, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (r < 0) {
            wasi_errno e = os_open_err();
            os_at_done(at);
            return e;
        }
        at->dir = (int)r;
        at->owned = true;
        at->name = ".";
        return WASI_ESUCCESS;
    }
    if (cut) {
        *cut = '\0';
        long r = os_openat2(dirfd, at->copy, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (r < 0) {
            wasi_errno e = os_open_err();
            os_at_done(at);
            return e;
        }
        at->dir = (int)r;
        at->owned = true;
    }
    at->name = last;
    return WASI_ESUCCESS;
}

/* Opens path beneath dirfd as O_PATH, following symlinks (beneath too). */
static wasi_errno os_open_path(int dirfd, const char *path, bool follow, int *out)
{
    if (path[0] == '\0') return WASI_ENOENT;
    long r = os_openat2(dirfd, path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0);
    if (r < 0) return os_open_err();
    *out = (int)r;
    return WASI_ESUCCESS;
}

/* Names an open descriptor so that calls without an fd form can use it. */
static void os_proc_path(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* Refuses a path with a trailing '/' unless it names a directory. */
static wasi_errno os_at_check_slash(const os_at *at)
{
    struct stat st;
    if (!at->slash) return WASI_ESUCCESS;
    if (fstatat(at->dir, at->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return os_err();
    return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

wasi_errno wasi_os_path_open(int dirfd, const char *path, bool follow, uint16_t oflags,
                             uint16_t fdflags, bool read, bool write, int *out, uint8_t *type)
{
    if (path[0] == '\0') return WASI_ENOENT;
    int flags = O_CLOEXEC | O_NOCTTY;
    flags |= write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (oflags & WASI_O_CREAT) flags |= O_CREAT;
    if (oflags & WASI_O_DIRECTORY) flags |= O_DIRECTORY;
    if (oflags & WASI_O_EXCL) flags |= O_EXCL;
    if (oflags & WASI_O_TRUNC) flags |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND) flags |= O_APPEND;
    if (fdflags & WASI_FDFLAG_DSYNC) flags |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_RSYNC) flags |= O_RSYNC;
    if (fdflags & WASI_FDFLAG_SYNC) flags |= O_SYNC;
    if (!follow) flags |= O_NOFOLLOW;
    /* Always open non-blocking, so a FIFO in the preopen cannot block the
     * runtime in open(); the guest's own choice is restored below. */
    long r = os_openat2(dirfd, path, (uint64_t)(flags | O_NONBLOCK), 0666);
    if (r < 0) return os_open_err();
    int fd = (int)r;
    if (!(fdflags & WASI_FDFLAG_NONBLOCK)) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
            wasi_errno e = os_err();
            close(fd);
            return e;
        }
    }
    *out = fd;
    *type = wasi_os_filetype_of(fd);
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_path_mkdir(int dirfd, const char *path)
{
    os_at at;
    wasi_errno e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    if (mkdirat(at.dir, at.name, 0777) != 0) e = os_err();
    os_at_done(&at);
    return e;
}

wasi_errno wasi_os_path_rmdir(int dirfd, const char *path)
{
    os_at at;
    wasi_errno e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    if (unlinkat(at.dir, at.name, AT_REMOVEDIR) != 0) e = os_err();
    os_at_done(&at);
    return e;
}

wasi_errno wasi_os_path_unlink(int dirfd, const char *path)
{
    os_at at;
    struct stat st;
    wasi_errno e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    if (at.slash) {
        /* "name/" never names a file: say why the way POSIX does. */
        if (fstatat(at.dir, at.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            e = os_err();
        else
            e = S_ISDIR(st.st_mode) ? WASI_EISDIR : WASI_ENOTDIR;
        goto done;
    }
    if (unlinkat(at.dir, at.name, 0) != 0) e = os_err();
done:
    os_at_done(&at);
    return e;
}

wasi_errno wasi_os_path_stat(int dirfd, const char *path, bool follow, wasi_filestat *out)
{
    struct stat st;
    wasi_errno e;
    if (follow) {
        int fd = -1;
        e = os_open_path(dirfd, path, true, &fd);
        if (e) return e;
        if (fstat(fd, &st) != 0)
            e = os_err();
        else
            os_filestat(-1, &st, out);
        close(fd);
        return e;
    }
    os_at at;
    e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    if (fstatat(at.dir, at.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        e = os_err();
    else if (at.slash && !S_ISDIR(st.st_mode))
        e = WASI_ENOTDIR;
    else
        os_filestat(-1, &st, out);
    os_at_done(&at);
    return e;
}

static wasi_errno os_times(uint64_t atim, uint64_t mtim, uint16_t fst, struct timespec ts[2])
{
    if (((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW)) ||
        ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW)) || (fst & ~15u))
        return WASI_EINVAL;
    ts[0] = os_ns_ts(atim);
    ts[1] = os_ns_ts(mtim);
    if (fst & WASI_FST_ATIM_NOW)
        ts[0].tv_nsec = UTIME_NOW;
    else if (!(fst & WASI_FST_ATIM))
        ts[0].tv_nsec = UTIME_OMIT;
    if (fst & WASI_FST_MTIM_NOW)
        ts[1].tv_nsec = UTIME_NOW;
    else if (!(fst & WASI_FST_MTIM))
        ts[1].tv_nsec = UTIME_OMIT;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_path_utimes(int dirfd, const char *path, bool follow, uint64_t atim,
                               uint64_t mtim, uint16_t fst)
{
    struct timespec ts[2];
    wasi_errno e = os_times(atim, mtim, fst, ts);
    if (e) return e;
    if (follow) {
        /* utimensat() would follow a final symlink without RESOLVE_BENEATH:
         * open the target beneath first and name it through /proc. */
        int fd = -1;
        char name[64];
        e = os_open_path(dirfd, path, true, &fd);
        if (e) return e;
        os_proc_path(fd, name, sizeof name);
        if (utimensat(AT_FDCWD, name, ts, 0) != 0) e = os_err();
        close(fd);
        return e;
    }
    os_at at;
    e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    e = os_at_check_slash(&at);
    if (!e && utimensat(at.dir, at.name, ts, AT_SYMLINK_NOFOLLOW) != 0) e = os_err();
    os_at_done(&at);
    return e;
}

wasi_errno wasi_os_path_link(int olddir, const char *oldpath, bool follow, int newdir,
                             const char *newpath)
{
    os_at from, to;
    int fd = -1;
    wasi_errno e = os_at_resolve(newdir, newpath, &to);
    if (e) return e;
    if (follow) {
        /* linkat(AT_SYMLINK_FOLLOW) would follow an escaping symlink: open
         * the target beneath the directory, then link that very file. */
        char name[64];
        e = os_open_path(olddir, oldpath, true, &fd);
        if (e) goto done_to;
        os_proc_path(fd, name, sizeof name);
        if (linkat(AT_FDCWD, name, to.dir, to.name, AT_SYMLINK_FOLLOW) != 0) e = os_err();
        close(fd);
        goto done_to;
    }
    e = os_at_resolve(olddir, oldpath, &from);
    if (e) goto done_to;
    e = os_at_check_slash(&from);
    if (!e && to.slash) e = WASI_ENOENT;
    if (!e && linkat(from.dir, from.name, to.dir, to.name, 0) != 0) e = os_err();
    os_at_done(&from);
done_to:
    os_at_done(&to);
    return e;
}

wasi_errno wasi_os_path_rename(int olddir, const char *oldpath, int newdir, const char *newpath)
{
    os_at from, to;
    struct stat st;
    wasi_errno e = os_at_resolve(olddir, oldpath, &from);
    if (e) return e;
    e = os_at_resolve(newdir, newpath, &to);
    if (e) goto done_from;
    if (from.slash || to.slash) {
        /* A trailing '/' on either side only fits a directory source. */
        if (fstatat(from.dir, from.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            e = os_err();
        else if (!S_ISDIR(st.st_mode))
            e = WASI_ENOTDIR;
    }
    if (!e && renameat(from.dir, from.name, to.dir, to.name) != 0) e = os_err();
    os_at_done(&to);
done_from:
    os_at_done(&from);
    return e;
}

wasi_errno wasi_os_path_symlink(const char *target, int dirfd, const char *path)
{
    os_at at;
    struct stat st;
    if (target[0] == '\0') return WASI_ENOENT;
    /* The guest only ever follows a link beneath its preopens, but the link
     * stays in a host folder, where the host and its tools read an absolute
     * target as a host path: it points outside the sandbox whatever the
     * guest meant. Refused (EPERM) as node and wasmtime (cap-std) do.
     * Relative targets are stored as they are; following them is confined
     * like any path. */
    if (target[0] == '/') return WASI_EPERM;
    wasi_errno e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    if (at.slash) {
        /* "name/" can only name a directory, which symlink() never makes
         * (POSIX symlink()): EXIST if name is a directory or a link to one
         * (followed beneath dirfd), NOTDIR if it is any other file, NOENT
         * if there is nothing. */
        long r = os_openat2(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (r >= 0) {
            close((int)r);
            e = WASI_EEXIST;
        } else if (fstatat(at.dir, at.name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            e = os_err();
        } else {
            e = WASI_ENOTDIR;
        }
    } else if (symlinkat(target, at.dir, at.name) != 0) {
        e = os_err();
    }
    os_at_done(&at);
    return e;
}

wasi_errno wasi_os_path_readlink(int dirfd, const char *path, char *buf, size_t len, size_t *used)
{
    os_at at;
    wasi_errno e = os_at_resolve(dirfd, path, &at);
    if (e) return e;
    ssize_t n = at.slash ? -1 : readlinkat(at.dir, at.name, buf, len);
    if (at.slash)
        e = WASI_EINVAL;
    else if (n < 0)
        e = os_err();
    else
        *used = (size_t)n;
    os_at_done(&at);
    return e;
}

/* ---- descriptors ------------------------------------------------------------ */

wasi_errno wasi_os_wake_open(int *out)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return os_err();
    *out = fd;
    return WASI_ESUCCESS;
}

void wasi_os_wake(int wake_fd)
{
    /* Called from other threads and signal handlers: keep errno intact. */
    int saved = errno;
    uint64_t one = 1;
    if (wake_fd >= 0 && write(wake_fd, &one, sizeof one) < 0) {
        /* The counter is saturated: a wake-up is pending anyway. */
    }
    errno = saved;
}

/* Takes a pending wake-up, if any; true if there was one. */
static bool os_wake_take(int wake_fd)
{
    uint64_t v;
    return wake_fd >= 0 && read(wake_fd, &v, sizeof v) == (ssize_t)sizeof v;
}

wasi_errno wasi_os_wait(ward_wasi *w, int fd, bool write)
{
    struct stat st;
    if (!w) return WASI_ESUCCESS;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK) || fstat(fd, &st) != 0 || S_ISREG(st.st_mode) ||
        S_ISDIR(st.st_mode))
        return WASI_ESUCCESS; /* the call itself reports errors and EAGAIN */
    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = write ? POLLOUT : POLLIN},
                              {.fd = w->wake_fd, .events = POLLIN}};
        struct timespec ts, *tp = NULL;
        if (w->deadline_ns) {
            uint64_t now = wasi_os_monotonic_ns();
            if (now >= w->deadline_ns) return WASI_XDEADLINE;
            ts = os_ns_ts(w->deadline_ns - now);
            tp = &ts;
        }
        int r = ppoll(p, w->wake_fd >= 0 ? 2 : 1, tp, NULL);
        if (r < 0 && errno != EINTR) return os_err();
        if (r > 0 && (p[1].revents & POLLIN) && os_wake_take(w->wake_fd)) return WASI_EINTR;
        if (r > 0 && p[0].revents)
            return WASI_ESUCCESS; /* ready, or an error the call will report */
    }
}

/* One vectored read or write, at offset off (readv/writev when off < 0),
 * retried on EINTR; *done is the bytes moved. */
static wasi_errno os_rw(int fd, const struct iovec *iov, size_t n, int64_t off, bool write,
                        size_t *done)
{
    ssize_t r;
    do {
        if (off < 0)
            r = write ? writev(fd, iov, (int)n) : readv(fd, iov, (int)n);
        else
            r = write ? pwritev(fd, iov, (int)n, (off_t)off) : preadv(fd, iov, (int)n, (off_t)off);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return os_err();
    *done = (size_t)r;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_readv(ward_wasi *w, int fd, const struct iovec *iov, size_t n, size_t *done)
{
    wasi_errno e = wasi_os_wait(w, fd, false);
    if (e) return e;
    return os_rw(fd, iov, n, -1, false, done);
}

wasi_errno wasi_os_writev(int fd, const struct iovec *iov, size_t n, size_t *done)
{
    return os_rw(fd, iov, n, -1, true, done);
}

wasi_errno wasi_os_preadv(int fd, const struct iovec *iov, size_t n, uint64_t off, size_t *done)
{
    if (off > (uint64_t)INT64_MAX) return WASI_EINVAL;
    return os_rw(fd, iov, n, (int64_t)off, false, done);
}

wasi_errno wasi_os_pwritev(int fd, const struct iovec *iov, size_t n, uint64_t off, size_t *done)
{
    if (off > (uint64_t)INT64_MAX) return WASI_EINVAL;
    return os_rw(fd, iov, n, (int64_t)off, true, done);
}

wasi_errno wasi_os_seek(int fd, int64_t off, uint8_t whence, uint64_t *out)
{
    int how;
    switch (whence) { /* WASI: set 0, cur 1, end 2 */
    case 0: how = SEEK_SET; break;
    case 1: how = SEEK_CUR; break;
    case 2: how = SEEK_END; break;
    default: return WASI_EINVAL;
    }
    off_t r = lseek(fd, (off_t)off, how);
    if (r < 0) return os_err();
    *out = (uint64_t)r;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_advise(int fd, uint64_t off, uint64_t len, uint8_t advice)
{
    int adv;
    switch (advice) { /* WASI's order differs from POSIX's */
    case 0: adv = POSIX_FADV_NORMAL; break;
    case 1: adv = POSIX_FADV_SEQUENTIAL; break;
    case 2: adv = POSIX_FADV_RANDOM; break;
    case 3: adv = POSIX_FADV_WILLNEED; break;
    case 4: adv = POSIX_FADV_DONTNEED; break;
    case 5: adv = POSIX_FADV_NOREUSE; break;
    default: return WASI_EINVAL;
    }
    if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX) return WASI_EINVAL;
    return wasi_os_errno(posix_fadvise(fd, (off_t)off, (off_t)len, adv));
}

wasi_errno wasi_os_allocate(int fd, uint64_t off, uint64_t len)
{
    if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off) return WASI_EFBIG;
    if (len == 0) return WASI_EINVAL;
    return wasi_os_errno(posix_fallocate(fd, (off_t)off, (off_t)len));
}

wasi_errno wasi_os_sync(int fd, bool data_only)
{
    int r = data_only ? fdatasync(fd) : fsync(fd);
    return r == 0 ? WASI_ESUCCESS : os_err();
}

wasi_errno wasi_os_get_fdflags(int fd, uint16_t *out)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return os_err();
    uint16_t f = 0;
    if (fl & O_APPEND) f |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK) f |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC)
        f |= WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC; /* Linux: O_RSYNC == O_SYNC */
    else if (fl & O_DSYNC)
        f |= WASI_FDFLAG_DSYNC;
    *out = f;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_set_fdflags(int fd, uint16_t flags)
{
    uint16_t cur;
    wasi_errno e = wasi_os_get_fdflags(fd, &cur);
    if (e) return e;
    /* Linux cannot change the sync flags of an open file. */
    uint16_t sync = WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC;
    if ((flags & sync) != (cur & sync)) return WASI_ENOTSUP;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return os_err();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND) fl |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
    return fcntl(fd, F_SETFL, fl) == 0 ? WASI_ESUCCESS : os_err();
}

wasi_errno wasi_os_fstat(int fd, wasi_filestat *out)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return os_err();
    os_filestat(fd, &st, out);
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_ftruncate(int fd, uint64_t size)
{
    if (size > (uint64_t)INT64_MAX) return WASI_EFBIG;
    return ftruncate(fd, (off_t)size) == 0 ? WASI_ESUCCESS : os_err();
}

wasi_errno wasi_os_futimes(int fd, uint64_t atim, uint64_t mtim, uint16_t fst)
{
    struct timespec ts[2];
    wasi_errno e = os_times(atim, mtim, fst, ts);
    if (e) return e;
    return futimens(fd, ts) == 0 ? WASI_ESUCCESS : os_err();
}

/* ---- directories ----------------------------------------------------------- */

static uint8_t os_dirent_type(DIR *d, const struct dirent *de)
{
    switch (de->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case DT_FIFO: return WASI_FILETYPE_UNKNOWN;
    default: {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return WASI_FILETYPE_UNKNOWN;
        return os_filetype_mode(-1, st.st_mode);
    }
    }
}

/* Cookies are entry indexes: 0 is the start and an entry's d_next is its
 * index + 1. The DIR stream stays open on the descriptor so that reading a
 * directory from start to end costs one pass; a cookie behind the stream's
 * position rewinds it. */
wasi_errno wasi_os_readdir(wasi_fd *f, uint64_t cookie, wasi_put_fn put, void *ctx, size_t len,
                           size_t *used)
{
    DIR *d = f->dir;
    *used = 0;
    if (!d) {
        int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return os_err();
        d = fdopendir(fd);
        if (!d) {
            wasi_errno e = os_err();
            close(fd);
            return e;
        }
        f->dir = d;
        f->dir_cookie = 0;
    } else if (cookie < f->dir_cookie) {
        rewinddir(d);
        f->dir_cookie = 0;
    }
    while (f->dir_cookie < cookie) {
        errno = 0;
        if (!readdir(d)) return errno ? os_err() : WASI_ESUCCESS; /* past the end: nothing */
        f->dir_cookie++;
    }
    size_t pos = 0;
    while (pos < len) {
        long here = telldir(d);
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) return os_err();
            break;
        }
        size_t namlen = strlen(de->d_name);
        uint8_t hdr[24];
        uint64_t next = f->dir_cookie + 1, ino = (uint64_t)de->d_ino;
        uint32_t nl = (uint32_t)namlen;
        memset(hdr, 0, sizeof hdr);
        memcpy(hdr, &next, 8);
        memcpy(hdr + 8, &ino, 8);
        memcpy(hdr + 16, &nl, 4);
        hdr[20] = os_dirent_type(d, de);
        size_t n = len - pos < sizeof hdr ? len - pos : sizeof hdr;
        if (!put(ctx, pos, hdr, n)) return WASI_EFAULT;
        pos += n;
        n = len - pos < namlen ? len - pos : namlen;
        if (n && !put(ctx, pos, de->d_name, n)) return WASI_EFAULT;
        pos += n;
        if (n < namlen || pos == len) {
            /* Cut off (or exactly filling the buffer): the guest sees a full
             * buffer and asks again from this entry's cookie, so leave the
             * stream before it instead of rewinding then. */
            if (n < namlen)
                seekdir(d, here);
            else
                f->dir_cookie++;
            break;
        }
        f->dir_cookie++;
    }
    *used = pos;
    return WASI_ESUCCESS;
}

/* ---- clocks, random, scheduling ------------------------------------------- */

static bool os_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    if (id >= sizeof ids / sizeof ids[0]) return false;
    *out = ids[id];
    return true;
}

/* Reads WASI clock id with read (clock_getres or clock_gettime), in ns. */
static wasi_errno os_clock_read(uint32_t id, int (*read)(clockid_t, struct timespec *),
                                uint64_t *out)
{
    clockid_t c;
    struct timespec ts;
    if (!os_clock(id, &c)) return WASI_EINVAL;
    if (read(c, &ts) != 0) return os_err();
    *out = os_ts_ns(&ts);
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_clock_res(uint32_t id, uint64_t *out)
{
    return os_clock_read(id, clock_getres, out);
}

wasi_errno wasi_os_clock_time(uint32_t id, uint64_t *out)
{
    return os_clock_read(id, clock_gettime, out);
}

wasi_errno wasi_os_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = getrandom(p, len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return os_err();
        }
        p += r;
        len -= (size_t)r;
    }
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_sched_yield(void)
{
    sched_yield();
    return WASI_ESUCCESS;
}

/* ---- polling --------------------------------------------------------------- */

wasi_errno wasi_os_poll(ward_wasi *w, wasi_pollfd *fds, size_t n, uint64_t timeout_ns)
{
    size_t np = 0;
    bool any_ready = false;
    wasi_errno e = WASI_ESUCCESS;
    /* One slot more than n for the wake-up descriptor, which goes last. */
    struct pollfd *p = calloc(n + 1, sizeof *p);
    if (!p) return WASI_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        fds[i].ready = fds[i].hangup = false;
        fds[i].error = WASI_ESUCCESS;
        fds[i].nbytes = 0;
        if (fstat(fds[i].fd, &st) != 0) {
            fds[i].error = os_err();
            fds[i].ready = any_ready = true;
            continue;
        }
        if (S_ISREG(st.st_mode)) {
            /* Files never block; a read may return what lies past the offset. */
            off_t at = lseek(fds[i].fd, 0, SEEK_CUR);
            if (!fds[i].write && at >= 0 && st.st_size > at)
                fds[i].nbytes = (uint64_t)(st.st_size - at);
            fds[i].ready = any_ready = true;
            continue;
        }
        p[np].fd = fds[i].fd;
        p[np].events = fds[i].write ? POLLOUT : POLLIN;
        np++;
    }
    int wake = w ? w->wake_fd : -1;
    p[np].fd = wake; /* poll ignores a negative fd */
    p[np].events = POLLIN;
    struct timespec ts = os_ns_ts(any_ready ? 0 : timeout_ns);
    int r = ppoll(p, np + 1, timeout_ns == UINT64_MAX && !any_ready ? NULL : &ts, NULL);
    if (r < 0) {
        /* An interrupted wait just ends early: the guest sees no events. */
        e = errno == EINTR ? WASI_ESUCCESS : os_err();
        goto done;
    }
    if ((p[np].revents & POLLIN) && os_wake_take(wake)) {
        e = WASI_EINTR; /* ward_wasi_interrupt(): stop waiting, report nothing */
        goto done;
    }
    np = 0;
    for (size_t i = 0; i < n; i++) {
        if (fds[i].ready) continue;
        short rev = p[np++].revents;
        if (rev & POLLNVAL) {
            fds[i].error = WASI_EBADF;
            fds[i].ready = true;
        } else if (rev & (POLLERR)) {
            fds[i].error = WASI_EIO;
            fds[i].ready = true;
        } else if (rev & (POLLIN | POLLOUT | POLLHUP)) {
            fds[i].ready = true;
            fds[i].hangup = (rev & POLLHUP) != 0;
            int avail = 0;
            if (!fds[i].write && ioctl(fds[i].fd, FIONREAD, &avail) == 0 && avail > 0)
                fds[i].nbytes = (uint64_t)avail;
        }
    }
done:
    free(p);
    return e;
}

/* ---- sockets --------------------------------------------------------------- */

wasi_errno wasi_os_sock_accept(ward_wasi *w, int fd, bool nonblock, int *out)
{
    wasi_errno e = WASI_ESUCCESS;
    if (nonblock) {
        /* The flag asks for EAGAIN rather than a wait (and for a
         * non-blocking new socket), whatever mode the listener is in. */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, 0);
        if (n < 0) return os_err();
        if (n == 0) return WASI_EAGAIN;
    } else {
        e = wasi_os_wait(w, fd, false);
        if (e) return e;
    }
    int r;
    do
        r = accept4(fd, NULL, NULL, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
    while (r < 0 && errno == EINTR);
    if (r < 0) return os_err();
    *out = r;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_sock_recv(ward_wasi *w, int fd, const struct iovec *iov, size_t n,
                             uint16_t riflags, size_t *done, uint16_t *roflags)
{
    wasi_errno e = wasi_os_wait(w, fd, false);
    if (e) return e;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = (struct iovec *)iov;
    mh.msg_iovlen = n;
    int fl = 0;
    if (riflags & 1) fl |= MSG_PEEK;
    if (riflags & 2) fl |= MSG_WAITALL;
    ssize_t r;
    do
        r = recvmsg(fd, &mh, fl);
    while (r < 0 && errno == EINTR);
    if (r < 0) return os_err();
    *done = (size_t)r;
    *roflags = (mh.msg_flags & MSG_TRUNC) ? 1 : 0;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_sock_send(ward_wasi *w, int fd, const struct iovec *iov, size_t n, size_t *done)
{
    wasi_errno e = wasi_os_wait(w, fd, true);
    if (e) return e;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = (struct iovec *)iov;
    mh.msg_iovlen = n;
    ssize_t r;
    do
        r = sendmsg(fd, &mh, MSG_NOSIGNAL); /* a closed peer is EPIPE, not SIGPIPE */
    while (r < 0 && errno == EINTR);
    if (r < 0) return os_err();
    *done = (size_t)r;
    return WASI_ESUCCESS;
}

wasi_errno wasi_os_sock_shutdown(int fd, uint8_t how)
{
    int h;
    switch (how) { /* sdflags: rd 1, wr 2 */
    case 1: h = SHUT_RD; break;
    case 2: h = SHUT_WR; break;
    case 3: h = SHUT_RDWR; break;
    default: return WASI_EINVAL;
    }
    return shutdown(fd, h) == 0 ? WASI_ESUCCESS : os_err();
}
