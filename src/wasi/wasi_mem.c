/* wasi_mem.c - guest memory as the WASI layer sees it.
 *
 * Every guest pointer is a 32-bit address checked by ward_memory_read/write
 * or turned into host runs by ward_memory_span, which apply the memory's own
 * bounds and page permissions. Nothing here computes base + address.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi.h"

/* Longest path the layer accepts from a guest, NUL excluded. */
#define WASI_PATH_MAX 4096

bool wasi_mem_u32(ward_memory *m, uint32_t addr, uint32_t *out)
{
    uint8_t b[4];
    if (!m || !ward_memory_read(m, addr, b, 4)) return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

bool wasi_mem_put_u32(ward_memory *m, uint32_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return m && ward_memory_write(m, addr, b, 4);
}

bool wasi_mem_put_u64(ward_memory *m, uint32_t addr, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return m && ward_memory_write(m, addr, b, 8);
}

wasi_errno wasi_mem_path(ward_memory *m, uint32_t addr, uint32_t len, char **out)
{
    *out = NULL;
    if (!m) return WASI_EFAULT;
    if (len > WASI_PATH_MAX) return WASI_ENAMETOOLONG;
    char *s = malloc((size_t)len + 1);
    if (!s) return WASI_ENOMEM;
    if (!ward_memory_read(m, addr, s, len)) {
        free(s);
        return WASI_EFAULT;
    }
    s[len] = '\0';
    if (memchr(s, '\0', len)) { /* a NUL would silently shorten the path */
        free(s);
        return WASI_EINVAL;
    }
    *out = s;
    return WASI_ESUCCESS;
}

wasi_errno wasi_mem_iovecs(ward_memory *m, uint32_t iovs, uint32_t n, bool writable,
                           struct iovec *out, size_t max, size_t *nout, size_t *total)
{
    size_t k = 0, sum = 0;
    *nout = 0;
    *total = 0;
    if (!m) return WASI_EFAULT;
    for (uint32_t i = 0; i < n && k < max; i++) {
        uint32_t buf, len;
        uint64_t at = (uint64_t)iovs + 8u * i;
        if (at + 8 > UINT32_MAX + 1ull || !wasi_mem_u32(m, (uint32_t)at, &buf) ||
            !wasi_mem_u32(m, (uint32_t)at + 4, &len))
            return WASI_EFAULT;
        /* The whole of every buffer must be valid, or the call does nothing. */
        if ((uint64_t)buf + len > UINT32_MAX + 1ull) return WASI_EFAULT;
        uint64_t a = buf, left = len;
        while (left > 0) {
            size_t avail = 0;
            void *p = ward_memory_span(m, a, (size_t)left, writable, &avail);
            if (!p || avail == 0) return WASI_EFAULT;
            if (k < max) {
                out[k].iov_base = p;
                out[k].iov_len = avail;
                k++;
                sum += avail;
            }
            a += avail;
            left -= avail;
        }
        /* A host iovec can only cover SSIZE_MAX bytes in total; staying far
         * below keeps sums exact. Short transfers are legal. */
        if (sum > ((size_t)1 << 30)) break;
    }
    *nout = k;
    *total = sum;
    return WASI_ESUCCESS;
}
