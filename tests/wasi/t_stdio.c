/* stdin/stdout/stderr: copies stdin to stdout upper-cased, counts bytes on
 * stderr. Also checks the fdstat of the stdio descriptors. */
#include <ctype.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

int main(void)
{
    __wasi_fdstat_t st;
    CHECK_ERR(__wasi_fd_fdstat_get(1, &st), 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    CHECK_ERR(__wasi_fd_fdstat_get(0, &st), 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
    char buf[1000];
    size_t total = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        CHECK(write(1, buf, (size_t)n) == n);
        total += (size_t)n;
    }
    CHECK(n == 0);
    /* Scatter/gather: one fd_write with three buffers. */
    __wasi_ciovec_t iov[3] = {
        {(const uint8_t *)"<", 1}, {(const uint8_t *)"", 0}, {(const uint8_t *)">\n", 2}};
    __wasi_size_t nw;
    CHECK_ERR(__wasi_fd_write(1, iov, 3, &nw), 0);
    CHECK(nw == 3);
    fprintf(stderr, "%zu bytes\n", total);
    /* Closing fd 1 closes the guest's copy only; writing then fails. */
    CHECK_ERR(__wasi_fd_close(1), 0);
    CHECK_ERR(__wasi_fd_write(1, iov, 1, &nw), __WASI_ERRNO_BADF);
    return 0;
}
