/* nl.h - the LLVM native backend's internal interface (nl_ prefix).
 *
 * Files:
 *   nl_gen.c   nl_gen_   internal code (exec/ir.h) to LLVM IR, one codeset per LLVM module
 *   nl_simd.c  nl_simd_  the v128 instructions as LLVM vector IR
 *   nl_jit.c   nl_jit_   optimisation, object code, ORC LLJIT loading, the backend object,
 *                        AOT artifacts and the cache directory
 * The backend compiles ward's internal form, not Wasm: the validator, the
 * compiler's choice of memory access path per instruction and its fused
 * forms are the interpreter's, so both tiers run the same program.
 */
#ifndef WARD_NL_H
#define WARD_NL_H

#include "exec/native.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* Generates the LLVM module for codeset cs of m: bodies and entries named
 * "<prefix>_b<i>" and "<prefix>_e<i>" for defined function i; ok[i] says
 * whether function i was generated (false: it uses an instruction the
 * backend does not compile, and runs in the interpreter). Returns the
 * number generated, or -1 with *err set. */
int nl_gen_module(LLVMContextRef ctx, LLVMModuleRef mod, const w_module *m, const w_codeset *cs,
                  const char *prefix, bool *ok, w_err *err);

/* What nl_simd.c needs of the function being generated: its builder and
 * its frame slots (i64 allocas; a v128 is two consecutive slots). */
typedef struct nl_vgen {
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef B;
    LLVMValueRef *slots;
} nl_vgen;

/* Generates the lane operation op (simd.def) whose instruction words are
 * ip: reads its operand slots, writes its result slots. Returns false,
 * generating nothing of use, for an op it does not generate inline. */
bool nl_simd_op(const nl_vgen *v, uint32_t op, const uint32_t *ip);

/* The v128 load op `base` (V128_LOAD, the extending, splat and zero loads)
 * of the bytes at host pointer p (an address nl_gen.c's access paths
 * computed) into slots dst, dst+1. False if base is not one of those. */
bool nl_simd_load(const nl_vgen *v, uint32_t base, LLVMValueRef p, uint32_t dst);

/* load_lane: the v128 in slot src with lane `lane` (of `bytes` bytes)
 * replaced by the bytes at p, into slot dst. */
void nl_simd_load_lane(const nl_vgen *v, uint32_t bytes, uint32_t lane, LLVMValueRef p,
                       uint32_t src, uint32_t dst);

/* store_lane: lane `lane` (of `bytes` bytes) of the v128 in slot src,
 * zero-extended to i64. */
LLVMValueRef nl_simd_lane(const nl_vgen *v, uint32_t bytes, uint32_t lane, uint32_t src);

/* Whether generated code leaves the bounds of flat 32-bit memories to their
 * guard pages (nl_jit.c: true once the fault handler is installed, on
 * x86-64). Each such access is an inline asm instruction that lists itself
 * in the section NL_PCMAP_SECTION as {int32 pc - entry, uint32 function,
 * uint32 code word}; the object's symbols <prefix>_pcs and <prefix>_pce
 * mark the start and the end of that section's entries. */
bool nl_jit_guard(void);
/* Inner loops get fast copies (nl_gen.c); WARD_NATIVE_FAST=0: not. */
bool nl_jit_fast(void);
#define NL_PCMAP_SECTION ".ward_pcmap"
#define NL_PCMAP_ENTRY 12

#endif
