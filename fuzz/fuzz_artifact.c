/* fuzz_artifact.c - libFuzzer target for the AOT artifact reader
 * (src/api/artifact.c): every input is read as it is, and once more with
 * its final hash made right, so that the fields behind the hash check (the
 * lengths, the version, the CPU identity, the memory flags) are reached
 * too. Whatever is read must lie inside the input; nothing may crash. Run
 * by tests/native/run.sh under ASan and UBSan (fuzz_driver.c, seeded with
 * a real artifact). */
#include "api/artifact.h"

#include <stdlib.h>
#include <string.h>

static void inside(const uint8_t *b, size_t n, const uint8_t *p, size_t len)
{
    if (p < b || len > n || (size_t)(p - b) > n - len) abort();
}

static void read_one(const uint8_t *b, size_t n)
{
    w_artifact a;
    char err[300];
    for (int tagged = 0; tagged < 2; tagged++) {
        if (!art_read(b, n, 0, tagged, &a, err, sizeof err)) {
            if (!err[0] || strlen(err) >= sizeof err) abort();
            continue;
        }
        inside(b, n, a.wasm, a.wasm_len);
        inside(b, n, a.key, 32);
        inside(b, n, a.obj, a.obj_len);
        inside(b, n, a.cpu_features, 32);
        if (a.wasm_len + a.obj_len + 220 + 40 + 32 != n) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_one(data, size);
    if (size < 32) return 0;
    uint8_t *b = malloc(size);
    if (!b) return 0;
    memcpy(b, data, size);
    w_blake3(b, size - 32, b + size - 32);
    read_one(b, size);
    free(b);
    return 0;
}
