/* harden.h - `ward harden`: a binary rewriter that gives a module built by
 * stock clang and wasi-libc the protection of Cage's instructions
 * (docs/harden.md, docs/cage.md).
 *
 * It is a module transformer outside the trusted runtime: it reads bytes
 * and writes bytes, with libc only. The caller (cli/harden.c) validates the
 * input and the output with the public API (ward_module_new with
 * WARD_FEATURE_MEM_SAFETY). Prefix hd_.
 */
#ifndef WARD_HARDEN_H
#define WARD_HARDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --alloc ROLE=FUNC: the function that plays an allocator role (malloc,
 * free, calloc, realloc, aligned_alloc, posix_memalign, memalign,
 * malloc_usable_size), by name (name section or export) or by index. */
typedef struct hd_alloc_name {
    const char *role;
    const char *func;
} hd_alloc_name;

typedef struct hd_options {
    const hd_alloc_name *alloc;
    size_t nalloc;
    bool no_heap; /* harden the stack only (a module without an allocator) */
} hd_options;

/* What hd_harden made; both malloc'd, freed with hd_output_free. */
typedef struct hd_output {
    uint8_t *bytes;
    size_t len;
    char *report; /* what was found and done, several lines of text */
} hd_output;

/* Rewrites the module in[0..len). False with a message in err (a full
 * sentence, no trailing newline) if it cannot: malformed, no allocator
 * found, already hardened, a memory too large to tag. Deterministic: the
 * same input and options give the same bytes. */
bool hd_harden(const uint8_t *in, size_t len, const hd_options *opt, hd_output *out, char *err,
               size_t errlen);
void hd_output_free(hd_output *out);

/* The name of the custom section that records what was hardened. */
#define HD_SECTION "ward.harden"

#endif
