/* Real socket traffic through a socket preopened with `ward run --tcplisten`.
 *
 * run.sh starts this guest, then connects from the host with a client that
 * sends "PING <token>\n", reads the reply until EOF and closes. The guest:
 * finds the listening socket among its preopens, waits for the connection
 * with poll_oneoff, accepts it (a second, non-blocking accept says EAGAIN), receives the request
 * (peeking first), sends "PONG <token>\n", shuts down its writing side, and waits for the client's
 * close (recv returns 0, poll reports a hangup). Every result is checked.
 *
 * With the argument "block" it only calls a blocking sock_accept that no
 * client ever satisfies: -W timeout must still stop it.
 */
#include <wasi/api.h>
#include "check.h"

#define WAIT_NS (20ull * 1000000000ull) /* far above what any step needs */

/* The first preopened stream socket, or -1. */
static int find_listener(void)
{
    for (int fd = 3; fd < 64; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &st) == 0 &&
            st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM)
            return fd;
    }
    return -1;
}

/* Waits for fd to become readable, or at most WAIT_NS; returns the event. */
static __wasi_event_t wait_readable(int fd)
{
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    memset(s, 0, sizeof s);
    s[0].userdata = 1;
    s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    s[0].u.u.fd_read.file_descriptor = (__wasi_fd_t)fd;
    s[1].userdata = 2;
    s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[1].u.u.clock.timeout = WAIT_NS;
    CHECK_ERR(__wasi_poll_oneoff(s, ev, 2, &n), 0);
    CHECK(n == 1); /* the fd, never the far-away clock */
    CHECK(ev[0].userdata == 1 && ev[0].type == __WASI_EVENTTYPE_FD_READ);
    CHECK(ev[0].error == 0);
    return ev[0];
}

static size_t recv_some(int fd, char *buf, size_t len, __wasi_riflags_t flags)
{
    __wasi_iovec_t iov = {(uint8_t *)buf, len};
    __wasi_size_t got = 12345;
    __wasi_roflags_t ro = 0xFFFF;
    CHECK_ERR(__wasi_sock_recv((__wasi_fd_t)fd, &iov, 1, flags, &got, &ro), 0);
    CHECK(got <= len && ro == 0);
    return got;
}

int main(int argc, char **argv)
{
    int lfd = find_listener();
    CHECK(lfd >= 3);
    __wasi_fdstat_t st;
    CHECK_ERR(__wasi_fd_fdstat_get((__wasi_fd_t)lfd, &st), 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT);
    __wasi_fd_t conn = 0;

    if (argc > 1 && strcmp(argv[1], "block") == 0) {
        __wasi_errno_t r = __wasi_sock_accept((__wasi_fd_t)lfd, 0, &conn);
        printf("accept returned %d\n", r); /* only past the deadline, if at all */
        for (;;)
            ;
    }

    /* A pending connection makes the listener readable; accepting it does
     * not block then. */
    wait_readable(lfd);
    CHECK_ERR(__wasi_sock_accept((__wasi_fd_t)lfd, 0, &conn), 0);
    CHECK(conn > (__wasi_fd_t)lfd);
    CHECK_ERR(__wasi_fd_fdstat_get(conn, &st), 0);
    CHECK(st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_SOCK_SHUTDOWN);
    CHECK((st.fs_flags & __WASI_FDFLAGS_NONBLOCK) == 0);
    /* The one client is taken: a second non-blocking accept finds nobody. */
    __wasi_fd_t none = 0;
    CHECK_ERR(__wasi_sock_accept((__wasi_fd_t)lfd, __WASI_FDFLAGS_NONBLOCK, &none),
              __WASI_ERRNO_AGAIN);
    CHECK_ERR(__wasi_sock_accept((__wasi_fd_t)lfd, 0x10, &none), __WASI_ERRNO_INVAL);

    /* The request, up to its newline. Peek first: the bytes stay queued. */
    char req[128], peek[128];
    size_t have = 0;
    __wasi_event_t ev = wait_readable(conn);
    CHECK(ev.fd_readwrite.nbytes > 0);
    size_t np = recv_some(conn, peek, sizeof peek, __WASI_RIFLAGS_RECV_PEEK);
    CHECK(np > 0);
    for (int i = 0; i < 100 && (have == 0 || req[have - 1] != '\n'); i++) {
        CHECK(have < sizeof req - 1);
        size_t got = recv_some(conn, req + have, sizeof req - 1 - have, 0);
        CHECK(got > 0); /* the client does not close before our reply */
        have += got;
    }
    req[have] = '\0';
    CHECK(have >= np && memcmp(req, peek, np) == 0);
    CHECK(have > 6 && memcmp(req, "PING ", 5) == 0 && req[have - 1] == '\n');

    /* The reply, in two buffers, then the writing side is shut. */
    char reply[128];
    snprintf(reply, sizeof reply, "PONG %s", req + 5);
    size_t rlen = strlen(reply);
    __wasi_ciovec_t out[2] = {{(const uint8_t *)reply, 5}, {(const uint8_t *)reply + 5, rlen - 5}};
    __wasi_size_t sent = 0;
    CHECK_ERR(__wasi_sock_send(conn, out, 2, 0, &sent), 0);
    CHECK(sent == rlen);
    CHECK_ERR(__wasi_sock_send(conn, out, 1, 1, &sent), __WASI_ERRNO_INVAL); /* no siflags exist */
    CHECK_ERR(__wasi_sock_shutdown(conn, 0), __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR), 0);
    CHECK_ERR(__wasi_sock_send(conn, out, 1, 0, &sent), __WASI_ERRNO_PIPE);

    /* The client reads to EOF and closes: readable with nothing to read,
     * then recv says 0 (end of stream). Both sides shut down: a hangup. */
    ev = wait_readable(conn);
    CHECK(ev.fd_readwrite.nbytes == 0);
    CHECK(recv_some(conn, req, sizeof req, 0) == 0);
    ev = wait_readable(conn);
    CHECK(ev.fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP);

    /* Socket calls on something that is not a socket. */
    CHECK_ERR(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
    CHECK_ERR(__wasi_fd_close(conn), 0);
    CHECK_ERR(__wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
    puts("ok sock");
    return 0;
}
