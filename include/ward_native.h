/* ward_native.h - ward's native tier through LLVM (docs/native.md).
 *
 * Not part of libward: these functions live in libward-native (the native/
 * folder), which links LLVM 19 and is built into the ward program. An
 * embedder that links it installs the backend once and then asks for the
 * native tier per store:
 *
 *     ward_native_install(ward_native_llvm());
 *     ward_store_config cfg = {.tier = WARD_TIER_NATIVE};
 *
 * Code is compiled on first use of a module (per memory configuration),
 * shared by every instance and clone of it in the process, and with a
 * cache directory reused across processes.
 */
#ifndef WARD_NATIVE_API_H
#define WARD_NATIVE_API_H

#include "ward.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The LLVM backend (a static object; never freed). */
WARD_API const ward_native_backend *ward_native_llvm(void);

/* opt_level 0-3 (LLVM's pipelines default<O0..O3>; 2 is the default);
 * cache_dir NULL or "" for none. Set before the first compilation. */
WARD_API void ward_native_llvm_options(int opt_level, const char *cache_dir);

typedef struct ward_native_stats {
    uint64_t modules_compiled; /* by LLVM in this process */
    uint64_t cache_hits;       /* loaded from the cache directory */
    uint64_t artifact_loads;   /* loaded from an AOT artifact */
    uint64_t funcs_native;     /* functions with native code (per compiled codeset) */
    uint64_t funcs_interp;     /* functions left to the interpreter */
    double compile_ms;         /* LLVM time (generation, optimisation, code) */
    uint64_t code_bytes;       /* Wasm bytes of the modules compiled */
    uint64_t object_bytes;     /* object code produced */
} ward_native_stats;
WARD_API void ward_native_llvm_stats(ward_native_stats *out);
WARD_API const char *ward_native_llvm_version(void);

/* AOT: compiles the Wasm module (features: WARD_FEATURE_*) for stores of
 * memory_mode / mem_safety into an artifact (*out, malloc'ed, the caller
 * frees it). False with a message in err on failure. */
WARD_API bool ward_native_compile_artifact(const uint8_t *wasm, size_t len, uint32_t features,
                                           int memory_mode, bool mem_safety, uint8_t **out,
                                           size_t *out_len, char *err, size_t errlen);
/* Compiles as ward_native_compile_artifact does, without the artifact:
 * the object code alone (what libward's ward_module_native_load takes)
 * and what it was made for (the serverless node's compile helper). */
typedef struct ward_native_object {
    uint8_t *code; /* malloc'ed ELF object; the caller frees it */
    size_t len;
    char cpu[64];             /* LLVM's CPU name, NUL-padded */
    uint8_t cpu_features[32]; /* BLAKE3 of LLVM's CPU feature string */
    uint32_t opt_level;
} ward_native_object;
WARD_API bool ward_native_compile_object(const uint8_t *wasm, size_t len, uint32_t features,
                                         int memory_mode, bool mem_safety, ward_native_object *out,
                                         char *err, size_t errlen);
/* Checks an artifact (length, hash, ward version, CPU, flags) and makes its
 * code available to the first module with its Wasm bytes (*wasm points
 * into a; the caller keeps a alive until then). False with a message in
 * err, before anything runs, when any check fails. */
WARD_API bool ward_native_load_artifact(const uint8_t *a, size_t len, int memory_mode,
                                        bool mem_safety, const uint8_t **wasm, size_t *wasm_len,
                                        uint32_t *features, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
