/* artifact.h - ward's AOT artifacts (.cwasm, `ward compile`; docs/native.md,
 * "Code sharing, cache and AOT artifacts"), read and written without LLVM:
 * ward-native writes them (its object code and key), and both ward-native
 * and libward alone read them (libward's ELF loader runs the code, so
 * `ward run x.cwasm` does not load LLVM).
 *
 * Format 3, integers little endian:
 *   "WARDAOT3"                                        8
 *   ward version, NUL-padded                          16
 *   CPU name (LLVM's), NUL-padded                     64
 *   BLAKE3 of LLVM's CPU feature string               32
 *   CPU identity (plat_cpu_identity)                  32
 *   CPU brand, NUL-padded                             48
 *   optimisation level                                4
 *   memory mode (ward_memory_mode), | 0x100 if tagged 4
 *   Wasm features                                     4
 *   Wasm length                                       8, then the Wasm bytes
 *   key of the code                                   32
 *   object length                                     8, then the object
 *   BLAKE3 of everything above                        32
 * Reading checks, in order: the magic and format, the lengths (truncated
 * or with trailing bytes), the final hash (modified), the version, the CPU
 * identity, the memory flags. The hash detects damage, not an attacker who
 * rewrites the file: an artifact is code and must be trusted like a binary.
 */
#ifndef WARD_API_ARTIFACT_H
#define WARD_API_ARTIFACT_H

#include "base/base.h"

typedef struct w_artifact {
    const uint8_t *wasm; /* inside the artifact */
    size_t wasm_len;
    uint32_t features;
    uint32_t opt_level;
    const uint8_t *key; /* 32 bytes */
    const uint8_t *obj;
    size_t obj_len;
    char cpu[65];                /* LLVM's name of the CPU it was built on */
    const uint8_t *cpu_features; /* 32 bytes: BLAKE3 of LLVM's feature string */
} w_artifact;

/* The file starts like an artifact (any format: an old one gets its own
 * message from art_read). */
bool art_is(const uint8_t *a, size_t len);
/* Checks a (see above) for a run with memory_mode (ward_memory_mode) and
 * mem_safety and fills *out (pointers into a); false with a message
 * ("...: recompile it" where that helps). */
bool art_read(const uint8_t *a, size_t len, int memory_mode, bool mem_safety, w_artifact *out,
              char *err, size_t errlen);
/* The size of the artifact of in's fields, and the artifact written into
 * out (art_size(in) bytes) for this CPU; false if this platform has no CPU
 * identity (err says so). */
size_t art_size(const w_artifact *in);
bool art_write(const w_artifact *in, int memory_mode, bool mem_safety, uint8_t *out, char *err,
               size_t errlen);

/* The native code cache (-C cache=DIR, docs/native.md) keeps artifacts,
 * named so that libward finds one without LLVM and ward-native finds the
 * same one (it then checks the key inside against its own, which holds
 * LLVM's view of the CPU).
 * art_cache_mode: the memory mode and tagging an entry of code for memory
 * modes modes[0..n) (W_MEM_*) is written with. The code is the same for
 * paged and paged-tables stores, and for tagged stores of any mode, so an
 * entry says flat, paged, or flat and tagged.
 * art_cache_path: the entry's path in dir, named by a BLAKE3 hash of what
 * the code depends on that libward can see (ward's version, the code
 * generator's sources, the CPU identity, the optimisation level, the
 * modes, the Wasm bytes), 64 hex digits and ".cwasm"; false if this
 * platform has no CPU identity or the path does not fit.
 * art_cache_find: the entry of that path, checked as art_read checks an
 * artifact (for art_cache_mode's flags), at opt_level and holding this
 * Wasm: its bytes in *buf (w_malloc'd; free with w_free) and its fields in
 * *out; false if there is none or it is damaged or of other code. */
void art_cache_mode(const uint8_t *modes, uint32_t n, int *memory_mode, bool *tagged);
bool art_cache_path(const char *dir, const uint8_t *wasm, size_t len, const uint8_t *modes,
                    uint32_t n, uint32_t opt_level, char *path, size_t cap);
bool art_cache_find(const char *dir, const uint8_t *wasm, size_t len, const uint8_t *modes,
                    uint32_t n, uint32_t opt_level, uint8_t **buf, w_artifact *out);

#endif
