/* wasi.h - internals of ward's WASI preview1 layer.
 *
 * Files and prefixes (all wasi_*):
 *   wasi.c      ward_wasi_new/free: the context, its config copy and preopens
 *   wasi_fd.c   wasi_fd_*   the guest's descriptor table and rights checks
 *   wasi_mem.c  wasi_mem_*  guest memory through ward_memory_* (never base+ptr)
 *   wasi_abi.c  wasi_abi_*  one host function per WASI import: decodes the
 *                           guest ABI, checks rights, encodes results
 *   wasi_os.c   wasi_os_*   every call into the host OS, returning WASI errnos
 *
 * The layer sits above the core runtime and uses only include/ward.h.
 */
#ifndef WARD_WASI_INTERNAL_H
#define WARD_WASI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "ward.h"
#include "ward_wasi.h"

/* ---- errno: WASI's values, from the witx definition ---------------------- */

/* Errnos that have a Linux errno of the same name, E<name>. */
/* clang-format off */
#define WASI_ERRNO_HOST_LIST(X)                                                                    \
    X(2BIG, 1) X(ACCES, 2) X(ADDRINUSE, 3) X(ADDRNOTAVAIL, 4) X(AFNOSUPPORT, 5) X(AGAIN, 6)        \
    X(ALREADY, 7) X(BADF, 8) X(BADMSG, 9) X(BUSY, 10) X(CANCELED, 11) X(CHILD, 12)                 \
    X(CONNABORTED, 13) X(CONNREFUSED, 14) X(CONNRESET, 15) X(DEADLK, 16) X(DESTADDRREQ, 17)        \
    X(DOM, 18) X(DQUOT, 19) X(EXIST, 20) X(FAULT, 21) X(FBIG, 22) X(HOSTUNREACH, 23) X(IDRM, 24)   \
    X(ILSEQ, 25) X(INPROGRESS, 26) X(INTR, 27) X(INVAL, 28) X(IO, 29) X(ISCONN, 30) X(ISDIR, 31)   \
    X(LOOP, 32) X(MFILE, 33) X(MLINK, 34) X(MSGSIZE, 35) X(MULTIHOP, 36) X(NAMETOOLONG, 37)        \
    X(NETDOWN, 38) X(NETRESET, 39) X(NETUNREACH, 40) X(NFILE, 41) X(NOBUFS, 42) X(NODEV, 43)       \
    X(NOENT, 44) X(NOEXEC, 45) X(NOLCK, 46) X(NOLINK, 47) X(NOMEM, 48) X(NOMSG, 49)                \
    X(NOPROTOOPT, 50) X(NOSPC, 51) X(NOSYS, 52) X(NOTCONN, 53) X(NOTDIR, 54) X(NOTEMPTY, 55)       \
    X(NOTRECOVERABLE, 56) X(NOTSOCK, 57) X(NOTSUP, 58) X(NOTTY, 59) X(NXIO, 60) X(OVERFLOW, 61)    \
    X(OWNERDEAD, 62) X(PERM, 63) X(PIPE, 64) X(PROTO, 65) X(PROTONOSUPPORT, 66) X(PROTOTYPE, 67)   \
    X(RANGE, 68) X(ROFS, 69) X(SPIPE, 70) X(SRCH, 71) X(STALE, 72) X(TIMEDOUT, 73) X(TXTBSY, 74)   \
    X(XDEV, 75)
/* clang-format on */

typedef enum wasi_errno {
    WASI_ESUCCESS = 0,
#define WASI_ERRNO_ENUM(name, val) WASI_E##name = val,
    WASI_ERRNO_HOST_LIST(WASI_ERRNO_ENUM)
#undef WASI_ERRNO_ENUM
        WASI_ENOTCAPABLE = 76,
    /* Not a WASI errno and never given to the guest: a wait ran into the
     * context's deadline, so the import ends the guest with the deadline
     * trap instead of returning (wasi_abi.c, abi_end). */
    WASI_XDEADLINE = 0x10000,
} wasi_errno;

/* ---- other WASI constants --------------------------------------------------- */

enum {
    WASI_FILETYPE_UNKNOWN = 0,
    WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2,
    WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4,
    WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6,
    WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

enum { /* fdflags */
       WASI_FDFLAG_APPEND = 1,
       WASI_FDFLAG_DSYNC = 2,
       WASI_FDFLAG_NONBLOCK = 4,
       WASI_FDFLAG_RSYNC = 8,
       WASI_FDFLAG_SYNC = 16,
};

enum { /* oflags */
       WASI_O_CREAT = 1,
       WASI_O_DIRECTORY = 2,
       WASI_O_EXCL = 4,
       WASI_O_TRUNC = 8,
};

enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };

enum { /* fstflags */
       WASI_FST_ATIM = 1,
       WASI_FST_ATIM_NOW = 2,
       WASI_FST_MTIM = 4,
       WASI_FST_MTIM_NOW = 8,
};

enum { /* rights, one bit each */
       WASI_R_FD_DATASYNC = 0,
       WASI_R_FD_READ,
       WASI_R_FD_SEEK,
       WASI_R_FD_FDSTAT_SET_FLAGS,
       WASI_R_FD_SYNC,
       WASI_R_FD_TELL,
       WASI_R_FD_WRITE,
       WASI_R_FD_ADVISE,
       WASI_R_FD_ALLOCATE,
       WASI_R_PATH_CREATE_DIRECTORY,
       WASI_R_PATH_CREATE_FILE,
       WASI_R_PATH_LINK_SOURCE,
       WASI_R_PATH_LINK_TARGET,
       WASI_R_PATH_OPEN,
       WASI_R_FD_READDIR,
       WASI_R_PATH_READLINK,
       WASI_R_PATH_RENAME_SOURCE,
       WASI_R_PATH_RENAME_TARGET,
       WASI_R_PATH_FILESTAT_GET,
       WASI_R_PATH_FILESTAT_SET_SIZE,
       WASI_R_PATH_FILESTAT_SET_TIMES,
       WASI_R_FD_FILESTAT_GET,
       WASI_R_FD_FILESTAT_SET_SIZE,
       WASI_R_FD_FILESTAT_SET_TIMES,
       WASI_R_PATH_SYMLINK,
       WASI_R_PATH_REMOVE_DIRECTORY,
       WASI_R_PATH_UNLINK_FILE,
       WASI_R_POLL_FD_READWRITE,
       WASI_R_SOCK_SHUTDOWN,
       WASI_R_SOCK_ACCEPT,
       WASI_R_COUNT_
};
#define WASI_RIGHT(r) ((uint64_t)1 << WASI_R_##r)
#define WASI_RIGHTS_ALL (((uint64_t)1 << WASI_R_COUNT_) - 1)

/* Rights that make sense on each kind of descriptor; a descriptor never holds
 * more than these, whatever the guest asks for. */
#define WASI_RIGHTS_REGULAR                                                                        \
    (WASI_RIGHT(FD_DATASYNC) | WASI_RIGHT(FD_READ) | WASI_RIGHT(FD_SEEK) |                         \
     WASI_RIGHT(FD_FDSTAT_SET_FLAGS) | WASI_RIGHT(FD_SYNC) | WASI_RIGHT(FD_TELL) |                 \
     WASI_RIGHT(FD_WRITE) | WASI_RIGHT(FD_ADVISE) | WASI_RIGHT(FD_ALLOCATE) |                      \
     WASI_RIGHT(FD_FILESTAT_GET) | WASI_RIGHT(FD_FILESTAT_SET_SIZE) |                              \
     WASI_RIGHT(FD_FILESTAT_SET_TIMES) | WASI_RIGHT(POLL_FD_READWRITE))
#define WASI_RIGHTS_DIRECTORY                                                                      \
    (WASI_RIGHT(FD_FDSTAT_SET_FLAGS) | WASI_RIGHT(FD_SYNC) | WASI_RIGHT(FD_ADVISE) |               \
     WASI_RIGHT(PATH_CREATE_DIRECTORY) | WASI_RIGHT(PATH_CREATE_FILE) |                            \
     WASI_RIGHT(PATH_LINK_SOURCE) | WASI_RIGHT(PATH_LINK_TARGET) | WASI_RIGHT(PATH_OPEN) |         \
     WASI_RIGHT(FD_READDIR) | WASI_RIGHT(PATH_READLINK) | WASI_RIGHT(PATH_RENAME_SOURCE) |         \
     WASI_RIGHT(PATH_RENAME_TARGET) | WASI_RIGHT(PATH_FILESTAT_GET) |                              \
     WASI_RIGHT(PATH_FILESTAT_SET_SIZE) | WASI_RIGHT(PATH_FILESTAT_SET_TIMES) |                    \
     WASI_RIGHT(FD_FILESTAT_GET) | WASI_RIGHT(FD_FILESTAT_SET_TIMES) | WASI_RIGHT(PATH_SYMLINK) |  \
     WASI_RIGHT(PATH_REMOVE_DIRECTORY) | WASI_RIGHT(PATH_UNLINK_FILE) |                            \
     WASI_RIGHT(POLL_FD_READWRITE))
#define WASI_RIGHTS_TTY                                                                            \
    (WASI_RIGHT(FD_READ) | WASI_RIGHT(FD_FDSTAT_SET_FLAGS) | WASI_RIGHT(FD_WRITE) |                \
     WASI_RIGHT(FD_FILESTAT_GET) | WASI_RIGHT(POLL_FD_READWRITE))
#define WASI_RIGHTS_SOCKET (WASI_RIGHTS_TTY | WASI_RIGHT(SOCK_SHUTDOWN) | WASI_RIGHT(SOCK_ACCEPT))

/* ---- the context ---------------------------------------------------------- */

/* One guest descriptor. host < 0 marks a free slot. */
typedef struct wasi_fd {
    int host;
    uint8_t type;  /* WASI_FILETYPE_* */
    char *preopen; /* guest path of a preopened directory, else NULL */
    uint64_t rights_base;
    uint64_t rights_inheriting;
    void *dir;           /* DIR * kept between fd_readdir calls, or NULL */
    uint64_t dir_cookie; /* index of the entry dir will return next */
} wasi_fd;

struct ward_wasi {
    char **argv; /* argc strings, NUL-terminated */
    size_t argc;
    size_t argv_bytes; /* sum of strlen + 1 */
    char **envp;
    size_t envc;
    size_t envp_bytes;
    wasi_fd *fds;
    uint32_t nfds;        /* slots in fds */
    uint32_t max_fds;     /* most slots the guest may use */
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
    int wake_fd;          /* eventfd signalled by ward_wasi_interrupt() */
    ward_store *store;    /* the store it was last defined in: charged for its state */
};

/* Host memory one descriptor slot may hold, charged to the store's budget
 * (ward_store_charge) for every slot the table has: the slot and what an
 * open directory keeps (the C library's DIR buffer, 32 KiB, and its path). */
#define WASI_SLOT_BYTES (sizeof(wasi_fd) + 36u * 1024u)

/* ---- wasi_fd.c ------------------------------------------------------------ */

/* Looks up guest fd `fd` and checks that it holds every right in `need`.
 * Returns the entry or NULL with *e = BADF / NOTCAPABLE. */
wasi_fd *wasi_fd_get(ward_wasi *w, uint32_t fd, uint64_t need, wasi_errno *e);
/* Puts host descriptor `host` into the lowest free slot (taking ownership:
 * on failure it is closed). Returns the guest fd or sets *e (NFILE, NOMEM). */
bool wasi_fd_add(ward_wasi *w, int host, uint8_t type, uint64_t base, uint64_t inheriting,
                 const char *preopen, uint32_t *out, wasi_errno *e);
/* Closes and frees one slot. */
void wasi_fd_release(wasi_fd *f);
wasi_errno wasi_fd_close(ward_wasi *w, uint32_t fd);
wasi_errno wasi_fd_renumber(ward_wasi *w, uint32_t from, uint32_t to);
/* The rights a descriptor of this type may have at most. */
uint64_t wasi_fd_max_rights(uint8_t type);

/* ---- wasi_mem.c ----------------------------------------------------------- */

bool wasi_mem_u32(ward_memory *m, uint32_t addr, uint32_t *out);
bool wasi_mem_put_u32(ward_memory *m, uint32_t addr, uint32_t v);
bool wasi_mem_put_u64(ward_memory *m, uint32_t addr, uint64_t v);
/* Copies a guest string of len bytes into a new NUL-terminated host string.
 * Fails with FAULT (out of bounds), INVAL (contains NUL), NAMETOOLONG, NOMEM. */
wasi_errno wasi_mem_path(ward_memory *m, uint32_t addr, uint32_t len, char **out);
/* Turns a guest iovec array into host iovecs pointing into guest memory
 * (ward_memory_span runs), at most `max` of them. Fails with FAULT if any
 * buffer it reaches is not accessible. *total is the byte count covered. */
wasi_errno wasi_mem_iovecs(ward_memory *m, uint32_t iovs, uint32_t n, bool writable,
                           struct iovec *out, size_t max, size_t *nout, size_t *total);

/* ---- wasi_os.c: every host call; results are WASI errnos ------------------- */

typedef struct wasi_filestat {
    uint64_t dev, ino;
    uint8_t filetype;
    uint64_t nlink, size, atim, mtim, ctim;
} wasi_filestat;

wasi_errno wasi_os_errno(int host_errno);
uint64_t wasi_os_monotonic_ns(void);
bool wasi_os_have_openat2(void);
/* Opens a preopened directory of the host (O_PATH is not used: readdir and
 * fdstat need a real descriptor). */
wasi_errno wasi_os_open_preopen(const char *host_path, int *out);
/* dup()s a host descriptor with O_CLOEXEC and reports its WASI filetype. */
wasi_errno wasi_os_dup(int fd, int *out, uint8_t *type);
void wasi_os_close(int fd);
void wasi_os_dir_free(void *dir);
uint8_t wasi_os_filetype_of(int fd);

wasi_errno wasi_os_clock_res(uint32_t id, uint64_t *out);
wasi_errno wasi_os_clock_time(uint32_t id, uint64_t *out);
wasi_errno wasi_os_random(void *buf, size_t len);
wasi_errno wasi_os_sched_yield(void);

/* The wake-up descriptor behind ward_wasi_interrupt(): wake_open creates it,
 * wake signals it (async-signal-safe). */
wasi_errno wasi_os_wake_open(int *out);
void wasi_os_wake(int wake_fd);
/* Before a call that would block on a pipe, terminal or socket: waits until
 * fd is readable (or writable), but gives up at the context's deadline
 * (XDEADLINE: the import then traps) or with EINTR when
 * ward_wasi_interrupt() wakes it (the store's own check then ends the guest
 * at its next loop or call), so that a wait never outlives the guest.
 * Regular files, directories and non-blocking descriptors return at once. */
wasi_errno wasi_os_wait(ward_wasi *w, int fd, bool write);
wasi_errno wasi_os_readv(ward_wasi *w, int fd, const struct iovec *iov, size_t n, size_t *done);
wasi_errno wasi_os_writev(int fd, const struct iovec *iov, size_t n, size_t *done);
wasi_errno wasi_os_preadv(int fd, const struct iovec *iov, size_t n, uint64_t off, size_t *done);
wasi_errno wasi_os_pwritev(int fd, const struct iovec *iov, size_t n, uint64_t off, size_t *done);
wasi_errno wasi_os_seek(int fd, int64_t off, uint8_t whence, uint64_t *out);
wasi_errno wasi_os_advise(int fd, uint64_t off, uint64_t len, uint8_t advice);
wasi_errno wasi_os_allocate(int fd, uint64_t off, uint64_t len);
wasi_errno wasi_os_sync(int fd, bool data_only);
wasi_errno wasi_os_get_fdflags(int fd, uint16_t *out);
wasi_errno wasi_os_set_fdflags(int fd, uint16_t flags);
wasi_errno wasi_os_fstat(int fd, wasi_filestat *out);
wasi_errno wasi_os_ftruncate(int fd, uint64_t size);
wasi_errno wasi_os_futimes(int fd, uint64_t atim, uint64_t mtim, uint16_t fst);
/* Reads directory entries of fd starting at entry index `cookie`, encoding
 * them as WASI dirents into a buffer of len bytes (the last may be cut off,
 * as WASI wants) that put() writes piece by piece, at byte pos of it; a
 * put() that fails makes it return EFAULT. */
typedef bool (*wasi_put_fn)(void *ctx, size_t pos, const void *src, size_t n);
wasi_errno wasi_os_readdir(wasi_fd *f, uint64_t cookie, wasi_put_fn put, void *ctx, size_t len,
                           size_t *used);

/* Path operations, all confined beneath dirfd. */
wasi_errno wasi_os_path_open(int dirfd, const char *path, bool follow, uint16_t oflags,
                             uint16_t fdflags, bool read, bool write, int *out, uint8_t *type);
wasi_errno wasi_os_path_mkdir(int dirfd, const char *path);
wasi_errno wasi_os_path_rmdir(int dirfd, const char *path);
wasi_errno wasi_os_path_unlink(int dirfd, const char *path);
wasi_errno wasi_os_path_stat(int dirfd, const char *path, bool follow, wasi_filestat *out);
wasi_errno wasi_os_path_utimes(int dirfd, const char *path, bool follow, uint64_t atim,
                               uint64_t mtim, uint16_t fst);
wasi_errno wasi_os_path_link(int olddir, const char *oldpath, bool follow, int newdir,
                             const char *newpath);
wasi_errno wasi_os_path_rename(int olddir, const char *oldpath, int newdir, const char *newpath);
wasi_errno wasi_os_path_symlink(const char *target, int dirfd, const char *path);
wasi_errno wasi_os_path_readlink(int dirfd, const char *path, char *buf, size_t len, size_t *used);

/* poll_oneoff's waiting: waits until one of fds is ready (readable, or
 * writable if .write) or timeout_ns passes (UINT64_MAX: forever); with n = 0
 * it just sleeps. Regular files are always ready. A ward_wasi_interrupt()
 * ends the wait with EINTR. The caller bounds timeout_ns by the deadline. */
typedef struct wasi_pollfd {
    int fd;
    bool write;
    bool ready;
    bool hangup;
    wasi_errno error;
    uint64_t nbytes;
} wasi_pollfd;
wasi_errno wasi_os_poll(ward_wasi *w, wasi_pollfd *fds, size_t n, uint64_t timeout_ns);

/* Blocking socket calls wait through wasi_os_wait() first. */
wasi_errno wasi_os_sock_accept(ward_wasi *w, int fd, bool nonblock, int *out);
wasi_errno wasi_os_sock_recv(ward_wasi *w, int fd, const struct iovec *iov, size_t n,
                             uint16_t riflags, size_t *done, uint16_t *roflags);
wasi_errno wasi_os_sock_send(ward_wasi *w, int fd, const struct iovec *iov, size_t n, size_t *done);
wasi_errno wasi_os_sock_shutdown(int fd, uint8_t how);

/* ---- wasi_abi.c ----------------------------------------------------------- */

bool wasi_abi_define(ward_wasi *w, ward_store *s, ward_linker *l);

#endif
