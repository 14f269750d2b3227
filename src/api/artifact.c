/* artifact.c - ward's AOT artifacts, format 3 (the layout is in artifact.h). */
#include "api/artifact.h"
#include "mem/mem.h"
#include "platform/platform.h"
#include "ward.h"

#include <stdio.h>

/* The code generator's sources (Makefile): a cache entry made by another
 * build of it, same version or not, is never found. */
#ifndef WARD_NATIVE_KEY
#error "WARD_NATIVE_KEY (the hash of the code generator's sources) is not defined"
#endif

#define ART_HDR (8 + 16 + 64 + 32 + 32 + 48 + 4 + 4 + 4 + 8)
#define ART_HASH 32

static void art_put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t art_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A NUL-padded field of n bytes as a string (out holds n + 1). */
static void art_str(char *out, const uint8_t *p, size_t n)
{
    memcpy(out, p, n);
    out[n] = 0;
}

bool art_is(const uint8_t *a, size_t len)
{
    return len >= 8 && memcmp(a, "WARDAOT", 7) == 0;
}

bool art_read(const uint8_t *a, size_t len, int memory_mode, bool mem_safety, w_artifact *out,
              char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!art_is(a, len)) {
        snprintf(err, errlen, "not a ward native artifact");
        return false;
    }
    if (a[7] != '3') {
        snprintf(err, errlen,
                 "artifact of format %c, this ward reads format 3 (which libward checks "
                 "without LLVM): recompile it",
                 a[7]);
        return false;
    }
    /* The header, the Wasm, the key, the object's length, the object and
     * the hash: the two lengths must add up to the file's. */
    const size_t fixed = ART_HDR + 32 + 8 + ART_HASH;
    uint64_t wl = len >= fixed ? art_get(a + ART_HDR - 8, 8) : 0;
    uint64_t ol = len >= fixed && wl <= len - fixed ? art_get(a + ART_HDR + wl + 32, 8) : 0;
    if (len < fixed || wl > len - fixed || ol != len - fixed - wl) {
        snprintf(err, errlen, "artifact truncated or with trailing bytes (%zu bytes)", len);
        return false;
    }
    uint8_t h[ART_HASH];
    w_blake3(a, len - ART_HASH, h);
    if (memcmp(h, a + len - ART_HASH, ART_HASH) != 0) {
        snprintf(err, errlen, "artifact hash mismatch: the file was modified");
        return false;
    }
    char ver[17], brand[49], here[49];
    art_str(ver, a + 8, 16);
    art_str(out->cpu, a + 24, 64);
    art_str(brand, a + 152, 48);
    if (strcmp(ver, WARD_VERSION) != 0) {
        snprintf(err, errlen, "artifact built by ward %s, this is ward %s: recompile it", ver,
                 WARD_VERSION);
        return false;
    }
    uint8_t id[32];
    if (!plat_cpu_identity(id, here)) {
        snprintf(err, errlen, "this platform cannot tell its CPU from another");
        return false;
    }
    if (memcmp(id, a + 120, 32) != 0) {
        snprintf(err, errlen,
                 "artifact built for another CPU (%s, %s%s; this one is %s): recompile it",
                 out->cpu, brand, strcmp(brand, here) ? "" : " with other features", here);
        return false;
    }
    uint32_t mm = (uint32_t)art_get(a + 204, 4);
    uint32_t want = (uint32_t)memory_mode | (mem_safety ? 0x100u : 0);
    if (mm != want) {
        static const char *const names[] = {"flat", "paged", "paged-tables"};
        uint32_t m = mm & 0xff;
        snprintf(err, errlen,
                 "artifact built for -X memory=%s%s, this run uses -X memory=%s%s: run it with "
                 "those options or recompile it",
                 m < 3 ? names[m] : "?", mm & 0x100 ? " -W mem-safety" : "",
                 (unsigned)memory_mode < 3 ? names[memory_mode] : "?",
                 mem_safety ? " -W mem-safety" : "");
        return false;
    }
    out->cpu_features = a + 88;
    out->opt_level = (uint32_t)art_get(a + 200, 4);
    out->features = (uint32_t)art_get(a + 208, 4);
    out->wasm = a + ART_HDR;
    out->wasm_len = wl;
    out->key = a + ART_HDR + wl;
    out->obj = a + ART_HDR + wl + 32 + 8;
    out->obj_len = ol;
    return true;
}

size_t art_size(const w_artifact *in)
{
    return ART_HDR + in->wasm_len + 32 + 8 + in->obj_len + ART_HASH;
}

bool art_write(const w_artifact *in, int memory_mode, bool mem_safety, uint8_t *a, char *err,
               size_t errlen)
{
    uint8_t id[32];
    char brand[49];
    if (!plat_cpu_identity(id, brand)) {
        snprintf(err, errlen, "this platform cannot tell its CPU from another");
        return false;
    }
    memset(a, 0, ART_HDR);
    memcpy(a, "WARDAOT3", 8);
    memcpy(a + 8, WARD_VERSION, strlen(WARD_VERSION)); /* NUL-padded to 16 */
    memcpy(a + 24, in->cpu, strnlen(in->cpu, 64));
    memcpy(a + 88, in->cpu_features, 32);
    memcpy(a + 120, id, 32);
    memcpy(a + 152, brand, strlen(brand)); /* 48 at most */
    art_put(a + 200, in->opt_level, 4);
    art_put(a + 204, (uint32_t)memory_mode | (mem_safety ? 0x100u : 0), 4);
    art_put(a + 208, in->features, 4);
    art_put(a + 212, in->wasm_len, 8);
    size_t k = ART_HDR;
    memcpy(a + k, in->wasm, in->wasm_len), k += in->wasm_len;
    memcpy(a + k, in->key, 32), k += 32;
    art_put(a + k, in->obj_len, 8), k += 8;
    memcpy(a + k, in->obj, in->obj_len), k += in->obj_len;
    w_blake3(a, k, a + k);
    return true;
}

void art_cache_mode(const uint8_t *modes, uint32_t n, int *memory_mode, bool *tagged)
{
    *tagged = n && modes[0] == W_MEM_TAGGED;
    *memory_mode = n && modes[0] == W_MEM_PAGED ? WARD_MEMORY_PAGED : WARD_MEMORY_FLAT;
}

static bool art_cache_name(const uint8_t *wasm, size_t len, const uint8_t *modes, uint32_t n,
                           uint32_t opt_level, char name[72])
{
    /* "ward-cache-1", version, generator, CPU identity, opt, n, modes,
     * then the Wasm's own hash (the modes are at most 2^32 bytes). */
    uint8_t id[32], h[32];
    char brand[49];
    if (!plat_cpu_identity(id, brand)) return false;
    size_t vl = strlen(WARD_VERSION) + 1, gl = strlen(WARD_NATIVE_KEY) + 1;
    size_t total = 12 + vl + gl + 32 + 4 + 4 + (size_t)n + 32;
    uint8_t *buf = w_malloc(total);
    if (!buf) return false;
    size_t k = 0;
    memcpy(buf + k, "ward-cache-1", 12), k += 12;
    memcpy(buf + k, WARD_VERSION, vl), k += vl;
    memcpy(buf + k, WARD_NATIVE_KEY, gl), k += gl;
    memcpy(buf + k, id, 32), k += 32;
    art_put(buf + k, opt_level, 4), k += 4;
    art_put(buf + k, n, 4), k += 4;
    if (n) memcpy(buf + k, modes, n), k += n;
    w_blake3(wasm, len, buf + k), k += 32;
    w_blake3(buf, k, h);
    w_free(buf);
    for (int i = 0; i < 32; i++)
        snprintf(name + 2 * i, 3, "%02x", h[i]);
    memcpy(name + 64, ".cwasm", 7);
    return true;
}

bool art_cache_path(const char *dir, const uint8_t *wasm, size_t len, const uint8_t *modes,
                    uint32_t n, uint32_t opt_level, char *path, size_t cap)
{
    char name[72];
    if (!dir || !art_cache_name(wasm, len, modes, n, opt_level, name)) return false;
    return (size_t)snprintf(path, cap, "%s/%s", dir, name) < cap;
}

bool art_cache_find(const char *dir, const uint8_t *wasm, size_t len, const uint8_t *modes,
                    uint32_t n, uint32_t opt_level, uint8_t **buf, w_artifact *out)
{
    char path[4096], err[200];
    *buf = NULL;
    if (!art_cache_path(dir, wasm, len, modes, n, opt_level, path, sizeof path)) return false;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    uint8_t *a = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size > 0 && size <= (1L << 31) && fseek(f, 0, SEEK_SET) == 0) {
        a = w_malloc((size_t)size);
        if (a && fread(a, 1, (size_t)size, f) != (size_t)size) w_free(a), a = NULL;
    }
    fclose(f);
    int mode;
    bool tagged;
    art_cache_mode(modes, n, &mode, &tagged);
    if (!a || !art_read(a, (size_t)size, mode, tagged, out, err, sizeof err) ||
        out->opt_level != opt_level || out->wasm_len != len || memcmp(out->wasm, wasm, len) != 0 ||
        out->obj_len == 0) {
        w_free(a);
        return false;
    }
    *buf = a;
    return true;
}
