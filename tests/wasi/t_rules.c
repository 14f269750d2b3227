/* WASI rules from issue 11, one per mode (argv[1]), each run by run.sh as a
 * test of that name; every mode prints "ok <mode>" when all its checks pass.
 *
 *   path-open-dir-write     opening a directory with write rights is ISDIR,
 *                           as POSIX open() of a directory for writing is
 *   symlink-absolute        a symlink with an absolute target is refused
 *                           (EPERM): it would point outside the sandbox
 *   symlink-trailing-slash  path_symlink to "name/" where name is not a
 *                           directory is NOTDIR, as POSIX symlink() says
 *   path-open-rights        rights a directory cannot hand down are left out
 *                           of the new descriptor; path_open does not fail
 *                           with NOTCAPABLE, which stays the answer to a path
 *                           leading outside
 *   poll-cputime            poll_oneoff on a CPU-time clock fails at once
 *                           with NOTSUP instead of firing as if time passed
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

#define R(x) __WASI_RIGHTS_##x

static __wasi_fd_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t of,
                           __wasi_rights_t base, __wasi_rights_t inh, __wasi_errno_t *e)
{
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    *e = __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, of, base, inh, 0, &fd);
    return fd;
}

/* path_open must give exactly `want`, closing any descriptor it opened. */
static int open_errno(__wasi_fd_t dir, const char *path, __wasi_oflags_t of, __wasi_rights_t base)
{
    __wasi_errno_t e;
    __wasi_fd_t fd = open_at(dir, path, of, base, 0, &e);
    if (e == 0) CHECK(__wasi_fd_close(fd) == 0);
    return e;
}

static void path_open_dir_write(void)
{
    CHECK(mkdir("sub", 0755) == 0);
    const __wasi_rights_t rw = R(FD_READ) | R(FD_WRITE);
    CHECK_ERR(open_errno(3, ".", __WASI_OFLAGS_DIRECTORY, rw), __WASI_ERRNO_ISDIR);
    CHECK_ERR(open_errno(3, ".", __WASI_OFLAGS_DIRECTORY, R(FD_WRITE)), __WASI_ERRNO_ISDIR);
    CHECK_ERR(open_errno(3, "sub", __WASI_OFLAGS_DIRECTORY, rw), __WASI_ERRNO_ISDIR);
    CHECK_ERR(open_errno(3, "sub", 0, rw), __WASI_ERRNO_ISDIR);
    CHECK_ERR(open_errno(3, "sub", __WASI_OFLAGS_DIRECTORY, R(FD_FILESTAT_SET_SIZE)),
              __WASI_ERRNO_ISDIR);
    /* Reading a directory is fine, and so is libc's O_RDONLY open. */
    CHECK_ERR(open_errno(3, "sub", __WASI_OFLAGS_DIRECTORY, R(FD_READ) | R(FD_READDIR)), 0);
    int fd = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0 && close(fd) == 0);
    errno = 0;
    CHECK(open("sub", O_RDWR | O_DIRECTORY) < 0 && errno == EISDIR);
    CHECK(open("sub", O_WRONLY) < 0 && errno == EISDIR);
}

static void symlink_absolute(void)
{
    static const char *const targets[] = {"/", "/etc/passwd", "//x", "/sandbox/file"};
    struct stat st;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        CHECK_ERR(__wasi_path_symlink(targets[i], 3, "link"), __WASI_ERRNO_PERM);
        CHECK(lstat("link", &st) < 0 && errno == ENOENT);
    }
    errno = 0;
    CHECK(symlink("/", "link2") < 0 && errno == EPERM);
    /* A relative target is stored as it is, even a dangling one. */
    CHECK_ERR(__wasi_path_symlink("file", 3, "link"), 0);
    CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
}

static void symlink_trailing_slash(void)
{
    int fd = open("file", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && close(fd) == 0);
    CHECK(mkdir("dir", 0755) == 0);
    CHECK(symlink("file", "to_file") == 0);
    CHECK(symlink("dir", "to_dir") == 0);
    CHECK(symlink("nowhere", "dangling") == 0);
    CHECK_ERR(__wasi_path_symlink("source", 3, "file/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERR(__wasi_path_symlink("source", 3, "to_file/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERR(__wasi_path_symlink("source", 3, "dangling/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERR(__wasi_path_symlink("source", 3, "dir/"), __WASI_ERRNO_EXIST);
    CHECK_ERR(__wasi_path_symlink("source", 3, "to_dir/"), __WASI_ERRNO_EXIST);
    CHECK_ERR(__wasi_path_symlink("source", 3, "missing/"), __WASI_ERRNO_NOENT);
    CHECK_ERR(__wasi_path_symlink("source", 3, "file"), __WASI_ERRNO_EXIST);
    struct stat st;
    CHECK(stat("file", &st) == 0 && S_ISREG(st.st_mode)); /* untouched */
}

static void path_open_rights(void)
{
    __wasi_errno_t e;
    __wasi_fdstat_t st;
    int fd = open("file", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "abc", 3) == 3 && close(fd) == 0);
    CHECK(mkdir("sub", 0755) == 0);
    fd = open("sub/inner", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && close(fd) == 0);

    /* Every bit set, defined rights or not: the file gets what the preopen
     * may hand down and what applies to a regular file. */
    __wasi_fd_t f = open_at(3, "file", 0, ~(__wasi_rights_t)0, ~(__wasi_rights_t)0, &e);
    CHECK_ERR(e, 0);
    CHECK_ERR(__wasi_fd_fdstat_get(f, &st), 0);
    CHECK((st.fs_rights_base & (R(FD_READ) | R(FD_WRITE))) == (R(FD_READ) | R(FD_WRITE)));
    CHECK((st.fs_rights_base & R(FD_READDIR)) == 0);
    CHECK((st.fs_rights_base >> 40) == 0);
    CHECK_ERR(__wasi_fd_close(f), 0);

    /* A directory that may hand down reading only. */
    __wasi_fd_t d = open_at(3, "sub", __WASI_OFLAGS_DIRECTORY, R(PATH_OPEN) | R(FD_READDIR),
                            R(FD_READ) | R(FD_SEEK) | R(FD_FILESTAT_GET), &e);
    CHECK_ERR(e, 0);
    f = open_at(d, "inner", 0, R(FD_READ) | R(FD_WRITE) | ((__wasi_rights_t)1 << 40), 0, &e);
    CHECK_ERR(e, 0);
    CHECK_ERR(__wasi_fd_fdstat_get(f, &st), 0);
    CHECK(st.fs_rights_base == R(FD_READ));
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n = 0;
    CHECK_ERR(__wasi_fd_write(f, &iov, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERR(__wasi_fd_close(f), 0);
    /* Asking for inheriting rights the directory lacks: left out too. */
    f = open_at(d, "inner", 0, R(FD_READ), R(FD_WRITE) | R(FD_READ), &e);
    CHECK_ERR(e, 0);
    CHECK_ERR(__wasi_fd_fdstat_get(f, &st), 0);
    CHECK(st.fs_rights_inheriting == R(FD_READ));
    CHECK_ERR(__wasi_fd_close(f), 0);
    /* NOTCAPABLE still means the path leads outside. */
    (void)open_at(d, "../../secret", 0, R(FD_READ), 0, &e);
    CHECK_ERR(e, __WASI_ERRNO_NOTCAPABLE);
    (void)open_at(3, "../secret", 0, R(FD_READ), 0, &e);
    CHECK_ERR(e, __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERR(__wasi_fd_close(d), 0);
}

static uint64_t mono_ns(void)
{
    __wasi_timestamp_t t = 0;
    CHECK_ERR(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t), 0);
    return t;
}

static void clock_sub(__wasi_subscription_t *s, uint64_t ud, __wasi_clockid_t id, uint64_t ns,
                      __wasi_subclockflags_t flags)
{
    memset(s, 0, sizeof *s);
    s->userdata = ud;
    s->u.tag = __WASI_EVENTTYPE_CLOCK;
    s->u.u.clock.id = id;
    s->u.u.clock.timeout = ns;
    s->u.u.clock.flags = flags;
}

static void poll_cputime(void)
{
    const uint64_t hour = 3600ull * 1000000000u;
    static const __wasi_clockid_t cpu[] = {__WASI_CLOCKID_PROCESS_CPUTIME_ID,
                                           __WASI_CLOCKID_THREAD_CPUTIME_ID};
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    __wasi_size_t n;
    uint64_t t0 = mono_ns();
    for (size_t i = 0; i < 2; i++) {
        /* alone, relative and absolute */
        n = 99;
        clock_sub(&s[0], 1, cpu[i], hour, 0);
        CHECK_ERR(__wasi_poll_oneoff(s, ev, 1, &n), __WASI_ERRNO_NOTSUP);
        CHECK(n == 0);
        clock_sub(&s[0], 1, cpu[i], hour, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
        CHECK_ERR(__wasi_poll_oneoff(s, ev, 1, &n), __WASI_ERRNO_NOTSUP);
        /* next to a monotonic timer that could fire */
        clock_sub(&s[0], 1, __WASI_CLOCKID_MONOTONIC, 1000000u, 0);
        clock_sub(&s[1], 2, cpu[i], hour, 0);
        CHECK_ERR(__wasi_poll_oneoff(s, ev, 2, &n), __WASI_ERRNO_NOTSUP);
    }
    /* libc's sleep on the CPU clock reports it cannot. */
    struct timespec ts = {3600, 0};
    CHECK(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL) == ENOTSUP);
    CHECK(mono_ns() - t0 < 1000000000u); /* at once, not after an hour */
    /* The monotonic clock still sleeps. */
    clock_sub(&s[0], 5, __WASI_CLOCKID_MONOTONIC, 5000000u, 0);
    CHECK_ERR(__wasi_poll_oneoff(s, ev, 1, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 5 && ev[0].error == 0);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } modes[] = {
        {"path-open-dir-write", path_open_dir_write},
        {"symlink-absolute", symlink_absolute},
        {"symlink-trailing-slash", symlink_trailing_slash},
        {"path-open-rights", path_open_rights},
        {"poll-cputime", poll_cputime},
    };
    CHECK(argc == 2);
    CHECK(chdir("/sandbox") == 0);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) != 0) continue;
        modes[i].fn();
        printf("ok %s\n", argv[1]);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
