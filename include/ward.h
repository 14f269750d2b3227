/* ward.h - the public C API of the ward WebAssembly runtime.
 *
 * Objects and ownership
 *   ward_module    compiled code; created from bytes, reference counted.
 *                  Instances keep their module alive, so a module may be
 *                  freed (ward_module_free) while instances of it live.
 *   ward_store     owns every instance, function, memory, table and global
 *                  created in it; ward_store_free() frees them all. Limits
 *                  (fuel, deadline, stack, memory) apply per store: give
 *                  each tenant instance its own store to limit it alone.
 *   ward_linker    maps (module, name) to externs for instantiation; it
 *                  borrows the externs (they belong to their store).
 *   ward_instance, ward_func, ward_memory, ward_table, ward_global
 *                  borrowed pointers, valid until their store is freed.
 *
 * Threads: a store and everything in it must be used by one thread at a
 * time; ward_store_interrupt() is the exception (any thread, any time).
 * Modules are immutable and may be shared between threads once created.
 * Guest code runs on the calling thread's stack. Wasm-to-wasm calls do not
 * use it; a host function that calls back into guest code (ward_func_call,
 * ward_instance_new) nests, about 6.5 KiB a level (x86-64, -O2). Every such
 * entry needs 64 KiB left below it (more in unoptimised and sanitizer
 * builds), else it ends in WARD_TRAP_CALL_STACK_EXHAUSTED, on a stack of
 * any size; give threads that run guests at least 256 KiB.
 *
 * Errors: functions that can fail take a caller-allocated ward_error or
 * ward_result and fill it with a code to act on (ward_error_code, or
 * ward_trap_code for a trap; all listed in ward_errors.h) and a message to
 * show; nothing returned needs freeing unless stated.
 */
#ifndef WARD_H
#define WARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header (and of the library built with it). */
#define WARD_VERSION_MAJOR 0
#define WARD_VERSION_MINOR 2
#define WARD_VERSION_PATCH 0
#define WARD_VERSION "0.2.0"

/* WARD_API marks every function the library exports. The library is built
 * with -fvisibility=hidden, so its internal functions are not visible to the
 * program that links it (libward.so exports, and libward.a defines as global,
 * only the ward_ names declared in the public headers); tools/check-symbols.sh
 * checks it. An embedder may define WARD_API before including this header. */
#ifndef WARD_API
#if defined(__GNUC__) || defined(__clang__)
#define WARD_API __attribute__((visibility("default")))
#else
#define WARD_API
#endif
#endif

typedef struct ward_module ward_module;
typedef struct ward_store ward_store;
typedef struct ward_linker ward_linker;
typedef struct ward_instance ward_instance;
typedef struct ward_func ward_func;
typedef struct ward_memory ward_memory;
typedef struct ward_table ward_table;
typedef struct ward_global ward_global;
typedef struct ward_caller ward_caller;

/* ---- values ------------------------------------------------------------ */

typedef enum ward_valkind {
    WARD_I32 = 0x7F,
    WARD_I64 = 0x7E,
    WARD_F32 = 0x7D,
    WARD_F64 = 0x7C,
    WARD_V128 = 0x7B,
    WARD_FUNCREF = 0x70,
    WARD_EXTERNREF = 0x6F,
} ward_valkind;

/* A typed value. Floats are carried bit-exactly (NaN payloads preserved):
 * use the f32_bits/f64_bits members to set or read exact bits. */
typedef struct ward_val {
    ward_valkind kind;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16];   /* lane 0 first (little-endian) */
        ward_func *funcref; /* NULL = null */
        uint64_t externref; /* 0 = null; any other value is the host's */
    } of;
} ward_val;

/* ---- errors and outcomes ---------------------------------------------- */

/* What went wrong when loading, linking or instantiating a module (or when
 * the API refused a call): generated from WARD_ERROR_LIST (ward_errors.h). */
typedef enum ward_error_code {
#define WARD_ERROR_ENUM_(name, category, description) WARD_ERROR_##name,
    WARD_ERROR_LIST(WARD_ERROR_ENUM_)
#undef WARD_ERROR_ENUM_
} ward_error_code;

/* The kind of failure a code belongs to (WARD_CATEGORY_LIST). */
typedef enum ward_error_category {
#define WARD_CATEGORY_ENUM_(name, description) WARD_CATEGORY_##name,
    WARD_CATEGORY_LIST(WARD_CATEGORY_ENUM_)
#undef WARD_CATEGORY_ENUM_
} ward_error_category;

#define WARD_COUNT_ONE_(...) +1
/* The number of codes: codes are 0 .. WARD_ERROR_COUNT-1 (and so on). */
enum {
    WARD_ERROR_COUNT = 0 WARD_ERROR_LIST(WARD_COUNT_ONE_),
    WARD_CATEGORY_COUNT = 0 WARD_CATEGORY_LIST(WARD_COUNT_ONE_),
    WARD_TRAP_COUNT = 0 WARD_TRAP_LIST(WARD_COUNT_ONE_),
};
#undef WARD_COUNT_ONE_

typedef struct ward_error {
    ward_error_code code; /* WARD_ERROR_NONE on success */
    char message[256];    /* the rule broken, e.g. "type mismatch" (the spec's text) */
    size_t offset;        /* byte offset in the module, if has_offset */
    bool has_offset;
} ward_error;

/* The code's name as in the enum without its prefix ("TYPE_MISMATCH"),
 * its one-line description, and its category; static strings. A value
 * outside the enum gives "UNKNOWN", "unknown error code", WARD_CATEGORY_NONE. */
WARD_API const char *ward_error_name(ward_error_code code);
WARD_API const char *ward_error_description(ward_error_code code);
WARD_API ward_error_category ward_error_category_of(ward_error_code code);
/* "malformed binary", "invalid module", "link error", ... */
WARD_API const char *ward_error_category_text(ward_error_category category);

typedef enum ward_status {
    WARD_OK = 0,   /* the call returned results */
    WARD_TRAP = 1, /* the guest trapped (or a limit stopped it) */
    WARD_EXIT = 2, /* the guest called WASI proc_exit (or a host asked to exit) */
    WARD_ERROR = 3 /* the call could not be made (bad arguments, link error, ...) */
} ward_status;

/* Why the guest stopped: generated from WARD_TRAP_LIST (ward_errors.h),
 * which says which traps are public and why. */
typedef enum ward_trap_code {
#define WARD_TRAP_ENUM_(name, internal, text) WARD_TRAP_##name,
    WARD_TRAP_LIST(WARD_TRAP_ENUM_)
#undef WARD_TRAP_ENUM_
} ward_trap_code;

typedef struct ward_frame {
    uint32_t func_index;    /* in its module's function index space */
    const char *func_name;  /* from the name section, or NULL; valid while the module lives */
    uint64_t module_offset; /* byte offset of the instruction in the module */
} ward_frame;

#define WARD_MAX_FRAMES 32

/* The outcome of a call or an instantiation. */
typedef struct ward_result {
    ward_status status;
    ward_trap_code trap;   /* WARD_TRAP */
    int exit_code;         /* WARD_EXIT */
    ward_error_code error; /* WARD_ERROR: which (link, resource, usage, ...) */
    char message[256];     /* WARD_TRAP: the spec's text ("integer divide by zero");
                              WARD_ERROR: what went wrong */
    uint32_t nframes;      /* WARD_TRAP: backtrace, innermost first */
    ward_frame frames[WARD_MAX_FRAMES];
    /* WARD_TRAP from ward_instance_new: true if an active element or data
     * segment did not fit its table or memory (trap TABLE / MEMORY_OUT_OF_BOUNDS,
     * the message continues with which segment and why, e.g. "out of bounds
     * memory access: data segment 1 does not fit memory 0 (offset 65530 +
     * length 10 > size 65536)"; no function ran), false if the start
     * function trapped. */
    bool segment_trap;
} ward_result;

/* ---- configuration and modules ----------------------------------------- */

/* Features beyond Wasm 2.0 (which is always on). WARD_FEATURE_ALL is the
 * standard proposals; Cage's instructions (prefix 0xFA, docs/cage.md) are
 * asked for one by one, and a module using them also needs a store that
 * provides them (ward_store_config: mem_safety, ptr_auth). */
enum {
    WARD_FEATURE_MEMORY64 = 1u << 0,
    WARD_FEATURE_MULTI_MEMORY = 1u << 1,
    WARD_FEATURE_EXTENDED_CONST = 1u << 2,
    WARD_FEATURE_ALL = 0x7u,
    WARD_FEATURE_MEM_SAFETY = 1u << 3, /* segment.new, segment.set_tag, segment.free */
    WARD_FEATURE_PTR_AUTH = 1u << 4,   /* i64/i32.pointer_sign, _auth, _strip */
};

/* Decodes, validates and compiles a module. `bytes` is copied (the caller
 * keeps ownership). Returns NULL with *err filled on failure. Whatever the
 * input, the memory and time this takes are bounded in proportion to len:
 * a module that would make the compiler build or check more than a fixed
 * multiple of its size fails with "module too complex". */
WARD_API ward_module *ward_module_new(const uint8_t *bytes, size_t len, uint32_t features,
                                      ward_error *err);
/* The same under s's limits: its deadline (ward_store_set_timeout) and
 * ward_store_interrupt() stop decoding and compiling too, with the message
 * "deadline exceeded while loading" (or "interrupted while loading"). The
 * module does not belong to s: it outlives it and may be used in any store. */
WARD_API ward_module *ward_module_new_in(ward_store *s, const uint8_t *bytes, size_t len,
                                         uint32_t features, ward_error *err);
/* Drops the caller's reference. */
WARD_API void ward_module_free(ward_module *m);

/* Exports and imports of a module, for inspection. Strings stay valid while
 * the module lives. `kind` is one of WARD_EXTERN_*. */
typedef enum ward_extern_kind {
    WARD_EXTERN_FUNC = 0,
    WARD_EXTERN_TABLE = 1,
    WARD_EXTERN_MEMORY = 2,
    WARD_EXTERN_GLOBAL = 3,
} ward_extern_kind;

WARD_API size_t ward_module_export_count(const ward_module *m);
WARD_API const char *ward_module_export_name(const ward_module *m, size_t i,
                                             ward_extern_kind *kind);
WARD_API size_t ward_module_import_count(const ward_module *m);
WARD_API const char *ward_module_import_name(const ward_module *m, size_t i, const char **module,
                                             ward_extern_kind *kind);
/* Whether m has a start function (run by ward_instance_new); if so and
 * func_index is not NULL, its index in the function index space. */
WARD_API bool ward_module_start(const ward_module *m, uint32_t *func_index);

/* ---- stores and limits --------------------------------------------------- */

typedef enum ward_memory_mode {
    WARD_MEMORY_FLAT = 0,  /* one contiguous block (default) */
    WARD_MEMORY_PAGED = 1, /* page tables over shared frames: regions, protect, clones */
    /* WARD_MEMORY_PAGED without the span, the fast path for the run of a
     * memory's own pages from page 0: every access is translated through
     * the translation cache and the page tables. The same semantics; for
     * measuring that path (bench/paged.sh). */
    WARD_MEMORY_PAGED_TABLES = 2,
} ward_memory_mode;

/* Memory safety (Cage; docs/cage.md).
 *   mem_safety: every memory created in the store is tagged: a 4-bit tag
 *     per 16-byte granule (all 0 at first), addresses carry a tag in bits
 *     28-31 (32-bit memories, which are then capped at 256 MiB) or 56-59
 *     (memory64), and every access (loads, stores, SIMD, bulk operations,
 *     ward_memory_read/write/span, WASI) traps or fails unless every
 *     granule it touches has the address's tag. Untagged programs run
 *     unchanged: their addresses and the memory both carry tag 0.
 *   ptr_auth: every instance gets a secret key for pointer_sign/auth.
 *   clone_key: whether ward_instance_clone keeps the template's key. */
typedef enum ward_clone_key {
    WARD_CLONE_KEY_INHERIT = 0, /* the clone keeps its template's key (default): pointers
                                   the template signed, which its memory holds, authenticate */
    WARD_CLONE_KEY_NEW = 1,     /* the clone draws its own: they no longer do */
} ward_clone_key;

/* Budgets: what the guests of a store may make the host allocate. Each
 * instance has one, covering the current size of its linear memories, 8
 * bytes per element of its tables and its own state, and the address space
 * its memories reserve (8 GiB for a flat 32-bit memory, its maximum for a
 * memory64, about the maximum plus 2 MiB for a paged one). The store has
 * one over everything in it: its instances, the memories and tables the
 * host creates, and host state charged with ward_store_charge (WASI's).
 * Instantiation checks the minimum of everything a module defines before
 * making any of it; later growth that would exceed a budget fails
 * (memory.grow and table.grow return -1), as does a clone. */
#define WARD_DEFAULT_INSTANCE_MEMORY (1ull << 30)  /* 1 GiB */
#define WARD_DEFAULT_INSTANCE_RESERVE (1ull << 40) /* 1 TiB: 128 flat 32-bit memories */

/* Execution tier of a store (docs/native.md). WARD_TIER_NATIVE runs
 * functions as machine code compiled by the native backend installed with
 * ward_native_install (built into the ward program, not into libward:
 * include/ward_native.h); without one, or for a function the backend could
 * not compile, the interpreter runs with the same semantics. */
typedef enum ward_tier {
    WARD_TIER_INTERP = 0,
    WARD_TIER_NATIVE = 1,
} ward_tier;

typedef struct ward_store_config {
    size_t max_stack_bytes;    /* value stack size; 0 = default (8 MiB) */
    uint32_t max_call_depth;   /* 0 = default (10,000 frames) */
    uint64_t max_memory_bytes; /* per linear memory; 0 = no limit beyond the type */
    ward_memory_mode memory_mode;
    bool mem_safety;
    bool ptr_auth;
    ward_clone_key clone_key; /* for clones created in this store */
    /* Budgets in bytes; for each, 0 = the default and UINT64_MAX = none. */
    uint64_t max_instance_memory_bytes;  /* default WARD_DEFAULT_INSTANCE_MEMORY, or
                                            max_memory_bytes if that is larger */
    uint64_t max_instance_reserve_bytes; /* default WARD_DEFAULT_INSTANCE_RESERVE */
    uint64_t max_store_memory_bytes;     /* default none (the instances' own bound them) */
    uint64_t max_store_reserve_bytes;    /* default none */
    ward_tier tier;                      /* default WARD_TIER_INTERP */
} ward_store_config;

/* A native code backend (opaque; include/ward_native.h makes one). One per
 * process: installing replaces the previous one for code compiled from
 * then on; NULL removes it. */
typedef struct ward_native_backend ward_native_backend;
WARD_API void ward_native_install(const ward_native_backend *b);

/* Native code made by another process (the serverless node's compile
 * helper, docs/serve.md): libward loads x86-64 object code as ward-native's
 * code generator makes it (the object of a cache entry or an artifact)
 * without LLVM. ward_native_loader_init installs the fault handler that
 * guard pages need (once per process; call it before any sandbox forbids
 * sigaction); false if this platform has none. ward_module_native_load
 * checks and loads obj for m's code under memory_mode and mem_safety (the
 * configuration of the stores its instances will be made in) and attaches
 * it: every instance and clone of m in such a store, run in the native
 * tier, runs this code; nothing compiles per instance. False with a message
 * in err when obj is not such an object (truncated, garbled, for another
 * module) or m's code has native code already. *ncompiled: the functions
 * with native code (the others run in the interpreter). */
WARD_API bool ward_native_loader_init(void);
WARD_API bool ward_module_native_load(ward_module *m, ward_memory_mode memory_mode, bool mem_safety,
                                      const uint8_t *obj, size_t len, uint32_t *ncompiled,
                                      char *err, size_t errlen);

/* AOT artifacts (`ward compile`, docs/native.md): ward_is_artifact tells
 * whether bytes start like one. ward_module_new_artifact checks one
 * (length, hash, ward version, this CPU, the store's memory mode and
 * mem_safety; opt_level too unless -1) and makes its module in s with its
 * native code attached, without LLVM: run it in a store of tier
 * WARD_TIER_NATIVE. NULL with err (WARD_ERROR_INVALID_ARGUMENT and a
 * message) before anything runs when a check fails. An artifact is code:
 * its hash detects damage, not an attacker; load only trusted ones. */
WARD_API bool ward_is_artifact(const uint8_t *bytes, size_t len);
WARD_API ward_module *ward_module_new_artifact(ward_store *s, const uint8_t *a, size_t len,
                                               int opt_level, uint32_t *ncompiled, ward_error *err);

/* The native tier's cache directory without LLVM: ward_module_new_cached
 * makes the module of wasm in s (as ward_module_new_in; NULL with err if
 * the module is invalid) and attaches the native code that dir holds for
 * it, if any: an entry written by ward-native (`ward run -C native -C
 * cache=dir`, or ward_native_llvm_options in libward-native) for this
 * module, this CPU, this build of ward, the store's memory mode and
 * opt_level (0 to 3; 2 is ward's default). *hit says whether it did (then
 * run the module in a store of tier WARD_TIER_NATIVE; *ncompiled: its
 * functions with native code); a missing, damaged or unusable entry is not
 * an error, the module is returned without native code. */
WARD_API ward_module *ward_module_new_cached(ward_store *s, const uint8_t *wasm, size_t len,
                                             uint32_t features, const char *dir, int opt_level,
                                             uint32_t *ncompiled, bool *hit, ward_error *err);

/* Creates a store. cfg may be NULL for defaults. Returns NULL if out of memory. */
WARD_API ward_store *ward_store_new(const ward_store_config *cfg);
WARD_API void ward_store_free(ward_store *s);

/* Fuel: when set, each call and each loop iteration consumes one unit, and
 * instructions that write in bulk one more per WARD_FUEL_BULK_BYTES bytes:
 * memory.fill, memory.copy, memory.init, memory.grow (the bytes added),
 * table.fill, table.copy, table.init, table.grow (8 bytes per element), and
 * a call's zeroing of its locals (8 bytes per local, 16 per v128). An
 * instruction that cannot pay does nothing and traps with
 * WARD_TRAP_OUT_OF_FUEL, so fuel alone bounds a call's time. fuel < 0
 * disables. */
#define WARD_FUEL_BULK_BYTES 1024
WARD_API void ward_store_set_fuel(ward_store *s, int64_t fuel);
WARD_API int64_t ward_store_get_fuel(const ward_store *s);
/* Deadline: work in s after `timeout_ns` nanoseconds from now stops:
 * calls and instantiation trap with WARD_TRAP_DEADLINE (checked at calls,
 * loop back-edges, every MiB of a bulk memory operation, and while code is
 * compiled for an instance), ward_module_new_in fails. 0 disables. */
WARD_API void ward_store_set_timeout(ward_store *s, uint64_t timeout_ns);
/* The tier the next calls in s run in (as ward_store_config.tier). */
WARD_API void ward_store_set_tier(ward_store *s, ward_tier tier);
/* Asks the running guest to stop at its next check (trap WARD_TRAP_INTERRUPTED).
 * Safe from any thread or signal handler. */
WARD_API void ward_store_interrupt(ward_store *s);

/* Host state kept for the guests of s (a host module's descriptor table,
 * say) is charged to s's memory budget (max_store_memory_bytes) with
 * ward_store_charge, so that one limit covers it: false, charging nothing,
 * if that would exceed the budget. ward_store_uncharge gives bytes back. */
WARD_API bool ward_store_charge(ward_store *s, uint64_t bytes);
WARD_API void ward_store_uncharge(ward_store *s, uint64_t bytes);
/* How many charges s's own budget (max_store_memory_bytes and
 * max_store_reserve_bytes, not an instance's) has refused since s was
 * made: growth (memory.grow, table.grow, ward_memory_grow), memories,
 * tables and clones that failed at the store's limit, and failed
 * ward_store_charge calls (an instantiation that does not fit is refused
 * by a check before it charges anything, and not counted). An embedder that
 * bounds a guest through the store's budget learns from it whether that
 * bound is what the guest ran into. */
WARD_API uint64_t ward_store_refusals(const ward_store *s);

/* The embedder's pointer for s (NULL at first; ward never uses it). Host
 * functions reach it through ward_caller_store, the store the call runs
 * in: one host function shared by clones in several stores (see
 * ward_instance_clone) finds the state of the call at hand there. */
WARD_API void ward_store_set_data(ward_store *s, void *data);
WARD_API void *ward_store_data(const ward_store *s);

/* ---- host functions ---------------------------------------------------- */

/* A host function. args has nparams values, results has room for nresults
 * values (their kinds are preset). Return 0 on success; to trap, return
 * ward_caller_trap(...); to exit, return ward_caller_exit(...). */
typedef int (*ward_host_fn)(ward_caller *caller, void *data, const ward_val *args,
                            ward_val *results);

/* Creates a host function in s. `data` is passed to fn; if data_free is not
 * NULL it is called on data when the store is freed. */
WARD_API ward_func *ward_func_new(ward_store *s, const ward_valkind *params, size_t nparams,
                                  const ward_valkind *results, size_t nresults, ward_host_fn fn,
                                  void *data, void (*data_free)(void *));

/* Inside a host function: the calling instance (NULL if called by the
 * embedder directly), its memory 0 (NULL if none), and the store the call
 * runs in (for a clone in another store than its template's, the clone's,
 * not the one the host function was created in). */
WARD_API ward_instance *ward_caller_instance(ward_caller *c);
WARD_API ward_memory *ward_caller_memory(ward_caller *c);
WARD_API ward_store *ward_caller_store(ward_caller *c);
/* Makes the host function trap with a message; returns the value to return. */
WARD_API int ward_caller_trap(ward_caller *c, const char *message);
/* Makes the host function trap with one of the runtime's own codes and its
 * text, e.g. WARD_TRAP_DEADLINE ("deadline exceeded") when a wait it made
 * ran into the store's deadline. WARD_TRAP_NONE and WARD_TRAP_HOST trap as
 * ward_caller_trap(c, NULL). Returns the value to return. */
WARD_API int ward_caller_trap_code(ward_caller *c, ward_trap_code code);
/* Makes the host function end the whole call with WARD_EXIT and `code`. */
WARD_API int ward_caller_exit(ward_caller *c, int code);

/* ---- linking and instances ----------------------------------------------- */

typedef struct ward_extern {
    ward_extern_kind kind;
    union {
        ward_func *func;
        ward_table *table;
        ward_memory *memory;
        ward_global *global;
    } of;
} ward_extern;

WARD_API ward_linker *ward_linker_new(void);
WARD_API void ward_linker_free(ward_linker *l);
/* Defines (module, name) -> ext, replacing an earlier definition.
 * Returns false if out of memory. */
WARD_API bool ward_linker_define(ward_linker *l, const char *module, const char *name,
                                 ward_extern ext);
/* Defines every export of inst under module name `module`. */
WARD_API bool ward_linker_define_instance(ward_linker *l, const char *module, ward_instance *inst);

/* Instantiates m in s, resolving imports through l (l may be NULL if m has
 * none): allocates memories, tables and globals, initialises segments and
 * runs the start function. On failure returns NULL and *res says why:
 * WARD_ERROR for link errors ("unknown import", "incompatible import type"),
 * WARD_TRAP for a trap in segment initialisation or the start function
 * (res->segment_trap tells which; writes into imported tables/memories
 * before the trap stay, as the spec says), WARD_EXIT if the start function
 * exited. */
WARD_API ward_instance *ward_instance_new(ward_store *s, ward_module *m, const ward_linker *l,
                                          ward_result *res);

/* Looks up an export; returns false if absent. */
WARD_API bool ward_instance_export(ward_instance *inst, const char *name, ward_extern *out);
/* The same for a name of `len` bytes, which may contain NUL bytes (Wasm
 * names are any UTF-8 string, U+0000 included). */
WARD_API bool ward_instance_export_n(ward_instance *inst, const char *name, size_t len,
                                     ward_extern *out);
WARD_API ward_func *ward_instance_func(ward_instance *inst, const char *name);
WARD_API ward_memory *ward_instance_memory(ward_instance *inst, const char *name);
WARD_API ward_module *ward_instance_module(ward_instance *inst); /* borrowed */

/* ---- calls ------------------------------------------------------------- */

WARD_API size_t ward_func_param_count(const ward_func *f);
WARD_API size_t ward_func_result_count(const ward_func *f);
WARD_API ward_valkind ward_func_param_kind(const ward_func *f, size_t i);
WARD_API ward_valkind ward_func_result_kind(const ward_func *f, size_t i);

/* Calls f with nargs arguments (kinds must match the type). On WARD_OK the
 * results are written to results[0 .. ward_func_result_count(f)). */
WARD_API ward_status ward_func_call(ward_store *s, ward_func *f, const ward_val *args, size_t nargs,
                                    ward_val *results, size_t nresults, ward_result *res);

/* ---- memory: checked access -------------------------------------------- */
/* Host code never computes base + address itself: these helpers check bounds
 * (and, for paged memories, permissions) for every byte they touch. On a
 * tagged memory (mem_safety) addr carries a tag like a guest address, and
 * every granule touched must have it: a span ends before the first one
 * that does not. */

WARD_API uint64_t ward_memory_size(const ward_memory *m); /* bytes */
WARD_API uint64_t ward_memory_pages(const ward_memory *m);
WARD_API bool ward_memory_is64(const ward_memory *m);
/* Grows by delta pages; returns the old size in pages, or -1 on failure. */
WARD_API int64_t ward_memory_grow(ward_memory *m, uint64_t delta);
/* Copies len bytes. Returns false (copying nothing) if any byte of
 * [addr, addr+len) is out of bounds or not readable / writable. */
WARD_API bool ward_memory_read(const ward_memory *m, uint64_t addr, void *dst, size_t len);
WARD_API bool ward_memory_write(ward_memory *m, uint64_t addr, const void *src, size_t len);
/* Zero-copy access: a host pointer to the longest accessible run starting at
 * addr, at most len bytes, with *avail set to its length; NULL if addr itself
 * is not accessible. The pointer is valid until the guest runs again or the
 * memory is grown. Loop over runs to cover ranges that span pages. */
WARD_API void *ward_memory_span(ward_memory *m, uint64_t addr, size_t len, bool writable,
                                size_t *avail);

/* ---- memory: tags (stores with mem_safety) ----------------------------------
 * For host code that allocates in guest memory: it tags what it hands out
 * and gives the guest the address with the tag (ward_memory_tag_addr). */

/* Is m tagged? */
WARD_API bool ward_memory_is_tagged(const ward_memory *m);
/* The tag of the granule holding addr (its tag bits ignored); -1 if m is
 * not tagged or addr is out of bounds. */
WARD_API int ward_memory_tag_get(const ward_memory *m, uint64_t addr);
/* Sets the tags of [addr, addr+len) (tag bits of addr ignored; addr and
 * len multiples of 16) to tag (0-15), leaving the bytes as they are.
 * False, changing nothing, if m is not tagged, the range is misaligned,
 * out of bounds or not writable, or tag > 15. */
WARD_API bool ward_memory_tag_set(ward_memory *m, uint64_t addr, uint64_t len, unsigned tag);
/* addr (its tag bits replaced) carrying tag: what the guest must use to
 * access memory tagged `tag`. addr unchanged if m is not tagged. */
WARD_API uint64_t ward_memory_tag_addr(const ward_memory *m, uint64_t addr, unsigned tag);

/* ---- tables and globals -------------------------------------------------- */

WARD_API ward_global *ward_global_new(ward_store *s, ward_val init, bool mut);
WARD_API ward_val ward_global_get(const ward_global *g);
WARD_API bool ward_global_set(ward_global *g, ward_val v); /* false if immutable or wrong kind */
WARD_API ward_table *ward_table_new(ward_store *s, ward_valkind elem, uint32_t min, uint32_t max,
                                    bool has_max);
WARD_API ward_memory *ward_memory_new(ward_store *s, uint64_t min_pages, uint64_t max_pages,
                                      bool has_max, bool is64);

/* ---- paged memory: sharing, access control, clones ------------------------
 * Only for memories of stores created with WARD_MEMORY_PAGED; on a flat
 * memory these fail (false / NULL / 0). Pages are 64 KiB Wasm pages.
 *
 * Frames (the pages' storage) come from one reference-counted pool shared
 * by every store of the process. A region is a set of frames that several
 * memories (of any stores) can map at chosen page indexes; a page mapped
 * read-write by two memories is the same storage, so a store through one is
 * seen by the next load through the other. Every change below takes effect
 * at the very next access of every instance.
 *
 * Threads: a memory, and every region mapped into it, may only be changed
 * by the thread that runs the memory's store, while no guest code of that
 * store runs, or from inside one of its host functions.
 *
 * Traps: an access to an absent (unmapped) page traps as out of bounds; a
 * load from a page protected to none, or a store to a page that is not
 * read-write, traps with WARD_TRAP_ACCESS_DENIED and a message such as
 * "memory access denied: page 7 is read-only". Host access through
 * ward_memory_read/write/span honours the same permissions.
 *
 * Permissions are the lattice NONE < READ < READ_WRITE. What the host sets
 * is a ceiling for the guest: ward_memory_protect and ward_region_map set a
 * page's permission and its ceiling, ward_region_grant the most a handle
 * may be mapped with. Through ward:mem (ward_linker_define_guest_mem) the
 * guest only derives rights from these, each the meet of what it came
 * from: publish gives a handle the guest's current permission on the pages
 * (the lowest of them), map through a handle gives pages at most the
 * handle's. Lowering by the host reaches what the guest derived:
 * ward_memory_protect of a page mapping a region lowers the handles the
 * guest published of that region and the pages it mapped through them;
 * ward_region_transfer lowers every handle of the region held by `from` to
 * read (keep_read) or drops it; ward_region_revoke drops every handle of
 * the region everywhere. Raising a page again does not raise what was
 * derived from it. A dropped or released handle is unknown from then on. */

typedef struct ward_region ward_region;

typedef enum ward_perm {
    WARD_PERM_NONE = 0,
    WARD_PERM_READ = 1,
    WARD_PERM_READ_WRITE = 3,
} ward_perm;

/* A region of `pages` zeroed frames, mapped nowhere. The caller owns one
 * reference and drops it with ward_region_free(); each mapping and each
 * grant holds its own, so a region lives while it is mapped or granted. */
WARD_API ward_region *ward_region_new(uint64_t pages);
/* A region made of m's pages [page, page+n): the same frames, not copies
 * (m's pages keep mapping them with their permissions). NULL if a page is
 * absent, already belongs to a region, or out of memory. Caller owns a
 * reference. */
WARD_API ward_region *ward_region_from_pages(ward_memory *m, uint64_t page, uint64_t n);
WARD_API void ward_region_free(ward_region *r); /* drops the caller's reference */
WARD_API uint64_t ward_region_pages(const ward_region *r);

/* Maps r into m at page index `page` with perm READ or READ_WRITE: the
 * pages [page, page+pages(r)) (which must be within m's current size; grow
 * first if needed) are replaced. Mapping again with another page or perm
 * remaps (unmap first to move it). False on a bad range, perm or memory. */
WARD_API bool ward_region_map(ward_region *r, ward_memory *m, uint64_t page, ward_perm perm);
/* Unmaps every page of m that maps r; they become absent (accesses trap as
 * out of bounds). Returns the number of pages unmapped. */
WARD_API uint64_t ward_region_unmap(ward_region *r, ward_memory *m);
/* Unmaps r from every memory at once and drops every guest handle of it
 * (granted or published). r itself stays valid. */
WARD_API void ward_region_revoke(ward_region *r);
/* Moves r from `from` to `to`: `from` loses write access to its mapping of
 * r and to its guest's handles of r (keeps read access if keep_read, else
 * the pages are unmapped and the handles dropped) and `to` maps r
 * read-write at `page`. False (nothing changed) if the mapping in `to` is
 * impossible. */
WARD_API bool ward_region_transfer(ward_region *r, ward_memory *from, ward_memory *to,
                                   uint64_t page, bool keep_read);
/* Sets pages [page, page+n) of m to perm. The host is the authority: this
 * also sets the most the guest may give itself back with ward:mem protect,
 * and lowers what the guest derived from regions mapped there (above).
 * False (nothing changed) if a page is absent or out of range. */
WARD_API bool ward_memory_protect(ward_memory *m, uint64_t page, uint64_t n, ward_perm perm);

/* Grants r to the guest owning m: its ward:mem `map` may then map r with at
 * most `max_perm` (READ or READ_WRITE). Returns the handle the guest passes
 * to `map` (>= 0), or -1. The grant holds a reference to r until the guest
 * releases the handle, r is revoked or transferred away from m without
 * read, or m is freed. Handles of released grants are reused. */
WARD_API int64_t ward_region_grant(ward_region *r, ward_memory *m, ward_perm max_perm);
/* The region behind a handle of m (granted, or published by the guest with
 * ward:mem `publish`); borrowed, until the guest next runs (it may release
 * the handle): ward_region_retain to keep it. NULL if the handle is
 * unknown. */
WARD_API ward_region *ward_memory_region(ward_memory *m, int64_t handle);
WARD_API void ward_region_retain(ward_region *r);

/* Defines the guest import module "ward:mem" in l (functions created in s,
 * acting on the calling instance's memory 0; see include/ward_guest_mem.h):
 *   protect(page, count, perm) -> 0 | -1   perm never above the host's ceiling
 *   publish(page, count) -> handle | -1    pages become a region (shared); the
 *                                          handle carries at most the guest's
 *                                          current permission on them
 *   map(handle, page, perm) -> 0 | -1      a granted or published region,
 *                                          never with more than the handle
 *   unmap(handle) -> pages unmapped | -1
 *   release(handle) -> 0 | -1              gives the handle back (below)
 *   region_pages(handle) -> pages | -1
 * All arguments and results are i32. A guest holds at most 1024 handles
 * from publish at once (and 1 MiB of host memory for them); beyond that
 * publish returns -1. release unmaps the pages mapped through the handle;
 * a region the guest published that nothing else holds any more (no host
 * reference, no other memory or handle) dissolves, its pages staying as
 * plain pages. Returns false if out of memory. */
WARD_API bool ward_linker_define_guest_mem(ward_linker *l, ward_store *s);

/* Pages of m backed by a frame of its own: not shared with a template or a
 * region (a new memory's pages are its own from the start; a clone's only
 * once written). A page never written costs no RAM either way. */
WARD_API uint64_t ward_memory_private_pages(const ward_memory *m);

/* A copy-on-write clone of tmpl, created in s: imports are shared; globals,
 * tables and segment state are copied; every paged memory shares all
 * frames of tmpl read-only and copies a frame on the first store of either
 * side, so the clone's writes are never visible to tmpl or other clones
 * (and tmpl's later writes not to the clone). Flat memories are copied.
 * The start function is not run again. NULL with *res (WARD_ERROR) on
 * failure; the clone belongs to s like any instance.
 * s may be another store than tmpl's only if every import of tmpl's module
 * is a host function (ward_func_new): the clone shares those, and they run
 * in s (ward_caller_store; keep per-call state with ward_store_set_data).
 * tmpl's store must then outlive the clone. To clone one template on
 * several threads at once, each into its own store, seal it first. */
WARD_API ward_instance *ward_instance_clone(ward_store *s, ward_instance *tmpl, ward_result *res);

/* Seals inst, an instance of s, as a template: its paged memories' pages
 * become copy-on-write now (what a first clone would do), so that
 * ward_instance_clone only reads inst and may run on several threads at
 * once (each into its own store). From then on inst must not change: a
 * call of its functions fails (WARD_ERROR), and the embedder must not
 * write, grow, protect or map into its memories, tables or globals. It is
 * freed as before (with s, or ward_instance_free once no clone needs its
 * store). False if inst is not s's, or while a call runs in s. */
WARD_API bool ward_instance_seal(ward_store *s, ward_instance *inst);

/* Frees inst, an instance or clone created in s, before s is freed: for
 * an embedder that makes a clone per request and throws it away (its
 * private frames return to the pool at once). Every pointer into inst (its
 * functions, memories, tables, globals) becomes invalid. The caller must
 * make sure nothing refers to inst any more: none of its functions stored
 * in another instance's table or global, nor in a linker still used. False
 * (nothing freed) if inst is not s's, or while a call runs in s. */
WARD_API bool ward_instance_free(ward_store *s, ward_instance *inst);

/* The spec's text for a trap code ("integer divide by zero"); a static
 * string ("unknown trap" for a value outside the enum). */
WARD_API const char *ward_trap_message(ward_trap_code t);

#ifdef __cplusplus
}
#endif
#endif
