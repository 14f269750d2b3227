/* artifact.h - what the C tests that read `ward compile`'s artifacts share
 * (tests/native/depth_test.c, tests/serve/elf_load.c): PASS/FAIL lines
 * counted for the "N passed, N failed" line, and the Wasm module and the
 * object code inside an artifact. */
#ifndef WARD_TESTS_NATIVE_ARTIFACT_H
#define WARD_TESTS_NATIVE_ARTIFACT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

static int pass, fail;

static void ok(const char *what, bool cond, const char *detail)
{
    if (cond) {
        pass++;
        printf("PASS %s\n", what);
    } else {
        fail++;
        printf("FAIL %s: %s\n", what, detail);
    }
}

static uint64_t art_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The artifact a (len bytes), format 3 (src/api/artifact.h): a header (220
 * bytes, the Wasm length last), the Wasm bytes, the key and the object's
 * length (40 bytes), the object, the file's hash (32 bytes). False if it
 * is not laid out so. */
static bool art_parts(const uint8_t *a, size_t len, const uint8_t **wasm, size_t *wlen,
                      const uint8_t **obj, size_t *olen)
{
    const size_t hdr = 220;
    if (len < hdr + 40 + 32 || a[7] != '3') return false;
    uint64_t wl = art_get64(a + hdr - 8);
    if (wl > len - hdr - 40 - 32) return false;
    const uint8_t *rec = a + hdr + wl;
    uint64_t ol = art_get64(rec + 32);
    if (ol != len - hdr - wl - 40 - 32) return false;
    *wasm = a + hdr;
    *wlen = (size_t)wl;
    *obj = rec + 40;
    *olen = (size_t)ol;
    return true;
}

#endif
