/* nat_elf.h - a loader of the native backend's object code without LLVM
 * (nat_elf_): x86-64 relocatable ELF, as ward-native's code generator
 * makes it (the bytes of a cache entry or an AOT artifact's record).
 *
 * The serverless node's monitor (docs/serve.md) links no LLVM: a helper
 * process compiles, the monitor loads the object here and attaches it to
 * the template's codeset (native.h's nat_attach), so that every clone runs
 * the same machine code. The loader maps the allocated sections (text
 * read-execute, constants and the entry table read-only after
 * relocation), resolves the undefined symbols against the helpers of
 * native.h (nat_helpers) and a few C library functions through stubs of
 * its own (jmp through a read-only slot, so the code may lie anywhere),
 * applies the relocation kinds the backend emits (64, PC32, PLT32,
 * GOTPCREL and its relaxable forms, 32, 32S, PC64) and refuses anything
 * else. Every offset, index and name of the object is checked before use:
 * a truncated or garbled object is refused with a message, never a crash
 * (the code itself is what the compiler made; it is not verified).
 */
#ifndef WARD_NAT_ELF_H
#define WARD_NAT_ELF_H

#include "exec/native.h"

typedef struct nat_elf_image {
    uint8_t *base; /* the mapping */
    uint64_t size;
    uint64_t text_size;      /* [base, base + text_size): the code (and the stubs) */
    uint64_t code_size;      /* of which the object's own code (entries point there) */
    w_native_entry *entries; /* nfuncs */
    uint32_t nfuncs;
    uint32_t ncompiled;
    w_native_site *sites; /* sorted by pc */
    uint32_t nsites;
} nat_elf_image;

/* Loads obj for a codeset of nfuncs defined functions (UINT32_MAX: as many
 * as the object's entry table has). NULL with a message in err (n bytes)
 * if it is not such an object. */
nat_elf_image *nat_elf_load(const uint8_t *obj, size_t len, uint32_t nfuncs, char *err, size_t n);
void nat_elf_free(nat_elf_image *im);

/* Loads obj and attaches it to cs (nat_attach): every instance and clone
 * that runs cs in the native tier runs this code. Registers its guard-page
 * sites (the fault handler must be installed: nat_guard_install, before
 * any sandbox forbids it). *ncompiled: functions with native code. */
bool nat_elf_attach(const w_codeset *cs, const uint8_t *obj, size_t len, uint32_t *ncompiled,
                    char *err, size_t n);

#endif
