/* base.h - the base layer: types and helpers shared by every layer of ward.
 *
 * Layers (src/<layer>/, lowest first; a layer includes only its own and
 * lower layers' headers, each through the one header named here):
 *   base/base.h          w_*    types, errors and traps, allocation
 *   platform/platform.h  plat_  the only code that calls the OS
 *   decode/decode.h      dec_   binary decoder, module-level validation
 *   mem/mem.h            mem_ pg_ tbl_  linear memory (flat, paged), tables
 *   exec/exec.h          cmp_ vm_  compiler to internal code, interpreter
 *   runtime/runtime.h    rt_    stores, instances, linking, clones
 *   api/                 ward_  the public API (include/ward.h)
 *   wasi/                wasi_  WASI preview1 over the public API only
 * Public names are ward_* (include/); internal types shared between layers
 * are w_*; internal functions carry their file's prefix.
 *
 * ward assumes a little-endian host with IEEE-754 floats (x86-64, AArch64).
 */
#ifndef WARD_BASE_H
#define WARD_BASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The one public header below the API layer: it holds the lists of trap
 * and error codes, no API. */
#include "ward_errors.h"

#if defined(__GNUC__) || defined(__clang__)
#define W_LIKELY(x) __builtin_expect(!!(x), 1)
#define W_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define W_INLINE static inline __attribute__((always_inline))
#define W_NOINLINE __attribute__((noinline))
#define W_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define W_LIKELY(x) (x)
#define W_UNLIKELY(x) (x)
#define W_INLINE static inline
#define W_NOINLINE
#define W_PRINTF(a, b)
#endif

/* A 128-bit SIMD value. Lane 0 is at the lowest address, as in Wasm. */
typedef union w_v128 {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} w_v128;

/* Value types, with their binary encodings. */
enum {
    W_I32 = 0x7F,
    W_I64 = 0x7E,
    W_F32 = 0x7D,
    W_F64 = 0x7C,
    W_V128 = 0x7B,
    W_FUNCREF = 0x70,
    W_EXTERNREF = 0x6F,
};
typedef uint8_t w_valtype;

/* The Wasm page and the largest memories of each index type. */
#define W_PAGE_SIZE 65536ull
#define W_MAX_PAGES32 65536ull     /* 4 GiB */
#define W_MAX_PAGES64 (1ull << 48) /* 2^64 bytes / 64 KiB */

/* Number of 8-byte frame slots a value of type t occupies (v128: 2). */
W_INLINE uint32_t w_slots_of(w_valtype t)
{
    return t == W_V128 ? 2u : 1u;
}

/* Traps and errors come from the public tables (ward_errors.h), so the
 * internal codes have the public codes' values and the API passes them
 * through by a cast, with no mapping table.
 *
 * Traps: the public list, then the codes the runtime uses internally only.
 * EXIT unwinds the guest for WASI proc_exit; the API reports it as
 * WARD_EXIT, not as a trap (see WARD_TRAP_LIST). */
#define W_TRAP_INTERNAL_LIST(X) X(EXIT, "exit")

typedef enum w_trap {
#define W_TRAP_PUBLIC_ENUM(pub, name, msg) W_TRAP_##name,
    WARD_TRAP_LIST(W_TRAP_PUBLIC_ENUM)
#undef W_TRAP_PUBLIC_ENUM
#define W_TRAP_INTERNAL_ENUM(name, msg) W_TRAP_##name,
        W_TRAP_INTERNAL_LIST(W_TRAP_INTERNAL_ENUM)
#undef W_TRAP_INTERNAL_ENUM
            W_TRAP_COUNT_
} w_trap;

/* Codes below this one are public (ward_trap_code has the same values). */
#define W_TRAP_PUBLIC_COUNT_ W_TRAP_EXIT

/* The spec's message text for a trap code. */
const char *w_trap_message(w_trap t);

/* Decoding, validation, link and resource errors (WARD_ERROR_LIST). */
typedef enum w_errcode {
#define W_ERR_ENUM(name, category, description) W_ERR_##name,
    WARD_ERROR_LIST(W_ERR_ENUM)
#undef W_ERR_ENUM
        W_ERR_COUNT_
} w_errcode;

typedef enum w_errcat {
#define W_CAT_ENUM(name, description) W_CAT_##name,
    WARD_CATEGORY_LIST(W_CAT_ENUM)
#undef W_CAT_ENUM
        W_CAT_COUNT_
} w_errcat;

/* The code's name ("TYPE_MISMATCH"), description and category; "UNKNOWN",
 * "unknown error code" and W_CAT_NONE for a value outside the enum. */
const char *w_err_name(w_errcode code);
const char *w_err_description(w_errcode code);
w_errcat w_err_category(w_errcode code);
const char *w_err_category_text(w_errcat category);

/* An error: its code, a message naming the rule broken (the spec's text
 * where it has one) and, where it applies, the byte offset in the module.
 * Caller-allocated. */
typedef struct w_err {
    w_errcode code;
    char msg[240];
    size_t offset;
    bool has_offset;
} w_err;

/* Formats an error; returns false so callers can `return w_fail(...)`. */
bool w_fail(w_err *e, w_errcode code, size_t offset, const char *fmt, ...) W_PRINTF(4, 5);
bool w_fail_nooff(w_err *e, w_errcode code, const char *fmt, ...) W_PRINTF(3, 4);

/* Allocation. All of ward allocates through these so that tests can inject
 * failures (w_alloc_fail_after). They return NULL on failure, never abort. */
void *w_malloc(size_t n);
void *w_calloc(size_t n, size_t size);
void *w_realloc(void *p, size_t n);
/* Reallocate to n elements of size `size`, checking n*size for overflow. */
void *w_realloc_array(void *p, size_t n, size_t size);
void w_free(void *p);
char *w_strndup(const char *s, size_t n);
/* Test hook: make the allocation after `n` more successful ones fail (-1: never). */
void w_alloc_fail_after(long n);

/* Sorts n elements of `size` bytes at base by cmp (as qsort; not stable:
 * ward's comparators break ties themselves). A heap sort of ward's own:
 * glibc's qsort may ask the kernel for the machine's memory (sysinfo) the
 * first time it sorts more than 1 KiB, a system call a sandboxed embedder
 * (the node's monitor) need not allow; this one makes none and allocates
 * nothing. */
void w_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012) of len bytes at msg under the 128-bit key k0 | k1 << 64 (k0 is the
 * key's first 8 bytes, little-endian). siphash.c; the keyed MAC of pointer
 * authentication and the generator of memory tags (mem/tag.c). */
uint64_t w_siphash24(uint64_t k0, uint64_t k1, const void *msg, size_t len);
/* BLAKE3's 32-byte hash of p[0..n) (blake3.c): ward's artifacts, checked
 * without LLVM. */
void w_blake3(const void *p, size_t n, uint8_t out[32]);

/* Test hook: route every allocation above through these functions instead
 * of the C library's (NULL restores it). The fuzz target counts live and
 * peak bytes this way; the functions must behave like their libc namesakes. */
typedef struct w_alloc_hooks {
    void *(*malloc)(size_t n);
    void *(*calloc)(size_t n, size_t size);
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);
} w_alloc_hooks;
void w_alloc_set_hooks(const w_alloc_hooks *h);

/* ---- budget.c: what a tenant may make the host allocate ---------------------
 *
 * A budget counts two resources in bytes: memory the host may have to
 * back with RAM (linear memory pages, table elements, per-instance state,
 * host state such as WASI's) and address space it reserves (a flat
 * memory's guard region, paged memories' tables and arenas). An
 * instance's budget has its store's as parent; a charge succeeds only if
 * every level has room, and is then recorded at every level. A NULL
 * budget means no accounting (always succeeds). Not thread-safe: a
 * budget belongs to one store, which one thread uses at a time. */
typedef struct w_budget {
    const char *what;        /* "instance" or "store", for messages */
    struct w_budget *parent; /* charged as well, or NULL */
    uint64_t mem_limit, mem_used;
    uint64_t vm_limit, vm_used;
    uint64_t refused; /* charges that failed at this level's own limits */
} w_budget;

/* limits: UINT64_MAX for none. */
void w_budget_init(w_budget *b, const char *what, w_budget *parent, uint64_t mem_limit,
                   uint64_t vm_limit);
/* Charges mem bytes of memory and vm bytes of address space at every
 * level, or nothing: false, with *err (may be NULL) naming the level and
 * resource, if some level would exceed its limit. */
bool w_budget_charge(w_budget *b, uint64_t mem, uint64_t vm, w_err *err);
/* The same check without charging. */
bool w_budget_fits(const w_budget *b, uint64_t mem, uint64_t vm, w_err *err);
/* Gives back what a charge took. */
void w_budget_release(w_budget *b, uint64_t mem, uint64_t vm);

/* Unaligned little-endian loads and stores. */
W_INLINE uint32_t w_rd32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
W_INLINE uint64_t w_rd64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
W_INLINE void w_wr32(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
W_INLINE void w_wr64(void *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Float <-> bits without conversion (NaN payloads preserved). */
W_INLINE float w_f32(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
W_INLINE double w_f64(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    return d;
}
W_INLINE uint32_t w_f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
W_INLINE uint64_t w_f64_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

#endif
