/* test_wasi_errno.c - the host errno -> WASI errno table (wasi_os_errno).
 *
 * The expected WASI numbers are written out here by hand from the witx
 * definition (typenames.witx, `$errno`), not taken from the X-macro list in
 * src/wasi/wasi.h, so that a wrong or swapped entry there fails this test.
 * Every Linux errno the table maps is checked, both the ones with a WASI
 * name of their own and the ones mapped to the nearest meaning, and so is
 * the fallback (EIO) for everything else.
 * The last line is "N passed, M failed".
 */
#include <errno.h>
#include <stdio.h>

#include "wasi/wasi.h"

static int passed, failed;

static void expect(const char *what, int host, int got, int want)
{
    if (got == want) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s (host errno %d): got WASI %d, want %d\n", what, host, got, want);
    }
}

#define MAP(host, want) expect(#host, host, (int)wasi_os_errno(host), want)

int main(void)
{
    /* Errnos with a WASI name of their own, in witx order. */
    MAP(0, 0);
    MAP(E2BIG, 1);
    MAP(EACCES, 2);
    MAP(EADDRINUSE, 3);
    MAP(EADDRNOTAVAIL, 4);
    MAP(EAFNOSUPPORT, 5);
    MAP(EAGAIN, 6);
    MAP(EALREADY, 7);
    MAP(EBADF, 8);
    MAP(EBADMSG, 9);
    MAP(EBUSY, 10);
    MAP(ECANCELED, 11);
    MAP(ECHILD, 12);
    MAP(ECONNABORTED, 13);
    MAP(ECONNREFUSED, 14);
    MAP(ECONNRESET, 15);
    MAP(EDEADLK, 16);
    MAP(EDESTADDRREQ, 17);
    MAP(EDOM, 18);
    MAP(EDQUOT, 19);
    MAP(EEXIST, 20);
    MAP(EFAULT, 21);
    MAP(EFBIG, 22);
    MAP(EHOSTUNREACH, 23);
    MAP(EIDRM, 24);
    MAP(EILSEQ, 25);
    MAP(EINPROGRESS, 26);
    MAP(EINTR, 27);
    MAP(EINVAL, 28);
    MAP(EIO, 29);
    MAP(EISCONN, 30);
    MAP(EISDIR, 31);
    MAP(ELOOP, 32);
    MAP(EMFILE, 33);
    MAP(EMLINK, 34);
    MAP(EMSGSIZE, 35);
    MAP(EMULTIHOP, 36);
    MAP(ENAMETOOLONG, 37);
    MAP(ENETDOWN, 38);
    MAP(ENETRESET, 39);
    MAP(ENETUNREACH, 40);
    MAP(ENFILE, 41);
    MAP(ENOBUFS, 42);
    MAP(ENODEV, 43);
    MAP(ENOENT, 44);
    MAP(ENOEXEC, 45);
    MAP(ENOLCK, 46);
    MAP(ENOLINK, 47);
    MAP(ENOMEM, 48);
    MAP(ENOMSG, 49);
    MAP(ENOPROTOOPT, 50);
    MAP(ENOSPC, 51);
    MAP(ENOSYS, 52);
    MAP(ENOTCONN, 53);
    MAP(ENOTDIR, 54);
    MAP(ENOTEMPTY, 55);
    MAP(ENOTRECOVERABLE, 56);
    MAP(ENOTSOCK, 57);
    MAP(ENOTSUP, 58);
    MAP(ENOTTY, 59);
    MAP(ENXIO, 60);
    MAP(EOVERFLOW, 61);
    MAP(EOWNERDEAD, 62);
    MAP(EPERM, 63);
    MAP(EPIPE, 64);
    MAP(EPROTO, 65);
    MAP(EPROTONOSUPPORT, 66);
    MAP(EPROTOTYPE, 67);
    MAP(ERANGE, 68);
    MAP(EROFS, 69);
    MAP(ESPIPE, 70);
    MAP(ESRCH, 71);
    MAP(ESTALE, 72);
    MAP(ETIMEDOUT, 73);
    MAP(ETXTBSY, 74);
    MAP(EXDEV, 75);

    /* Aliases and Linux errnos WASI has no name for. */
    MAP(EWOULDBLOCK, 6);
    MAP(EOPNOTSUPP, 58);
    MAP(EDEADLOCK, 16);
    MAP(ETIME, 73);
    MAP(ESHUTDOWN, 64);
    MAP(EHOSTDOWN, 23);
    MAP(EPFNOSUPPORT, 5);
    MAP(ESOCKTNOSUPPORT, 66);
    MAP(ENOTBLK, 58);
    MAP(ENOSR, 48);
    MAP(ERESTART, 27);
    MAP(EMEDIUMTYPE, 60);
    MAP(ENOMEDIUM, 60);
    MAP(EKEYEXPIRED, 2);
    MAP(EKEYREJECTED, 2);
    MAP(EKEYREVOKED, 2);
    MAP(ENOKEY, 2);

    /* Everything else is an I/O error, never success or a wild value. */
    MAP(ECHRNG, 29);
    MAP(EL2HLT, 29);
    MAP(EREMOTEIO, 29);
    MAP(EHWPOISON, 29);
    MAP(-1, 29);
    MAP(4095, 29);

    /* The enum's own values: the ones the layer returns by name. */
    expect("WASI_ENOTCAPABLE", 0, WASI_ENOTCAPABLE, 76);
    expect("WASI_ESUCCESS", 0, WASI_ESUCCESS, 0);
    expect("WASI_EXDEV", 0, WASI_EXDEV, 75);

    /* No mapped host errno lands outside WASI's range [0, 76]. */
    int out_of_range = 0;
    for (int e = 0; e < 4096; e++) {
        int w = (int)wasi_os_errno(e);
        if (w < 0 || w > 76 || (e != 0 && w == 0)) out_of_range++;
    }
    expect("every host errno in range", 0, out_of_range, 0);

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
