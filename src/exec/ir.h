/* ir.h - ward's internal code: what compile.c emits and interp.c runs.
 *
 * Encoding. A function's code is an array of 32-bit words. Each instruction
 * is one handler word followed by its operand words (layouts in ops.def and
 * simd.def). The handler word is whatever vm_op_word(op) returns: the offset
 * of the handler's label under computed-goto dispatch, the op number under
 * the portable switch. The compiler never interprets handler words.
 *
 * Frames. Every value lives in an 8-byte slot of the current frame `fp`:
 *   fp[0 .. param_slots)                    parameters
 *   fp[param_slots .. +local_slots)         declared locals (zeroed on entry)
 *   fp[param_slots+local_slots .. frame_slots)  operand stack, max height
 * v128 values take two consecutive slots. The operand stack position of
 * every value is known at compile time, so operands are slot indexes and the
 * interpreter never pushes or pops. i32 and f32 producers write all 8 bytes
 * (upper 4 zero); consumers read only what the type needs.
 *
 * Calls. CALL's argbase is the slot of the first argument in the caller's
 * frame; the callee's fp is fp+argbase, so arguments are passed in place and
 * results come back in place (callee writes them to its fp[0..] before
 * RETURN). The compiler reserves max(param_slots, result_slots) there.
 *
 * Block results. Branches carry no values: before a branch the compiler emits
 * COPY/COPY_V128 instructions that move results to the target label's slots.
 * A label's result slots are the slots at the label's stack height.
 *
 * References. funcref slots hold a `w_func *` (NULL = null); externref slots
 * hold the host's 64-bit value (0 = null).
 */
#ifndef WARD_IR_H
#define WARD_IR_H

#include "base/base.h"
#include "decode/decode.h"
#include "mem/access.h"

#include <stdatomic.h>

typedef enum w_op {
#define CTRL(NAME) W_OP_##NAME,
#define NUM(NAME, prefix, code, sig) W_OP_##NAME,
/* Every memory access has one form per access path (W_MEM_PATHS in
 * mem/access.h): NAME<SUFFIX>, e.g. I32_LOAD, I32_LOAD_P, I32_LOAD_M,
 * I32_LOAD_MP; the fused forms (LOADA, STOREA, FLD) only for the paths of
 * layout 0. The compiler picks a form by path, never by position. */
#define W_OP_FORM(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) W_OP_##NAME##SUFFIX,
#define W_OP_FORM0(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) W_MEM_IF0(LAYOUT, W_OP_##NAME##SUFFIX, )
#define LOAD(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(W_OP_FORM, NAME)
#define STORE(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(W_OP_FORM, NAME)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(W_OP_FORM, NAME)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(W_OP_FORM, NAME)
#define BINI(NAME, BASE, T, FN) W_OP_##NAME,
#define CMPBR(BASE, FN) W_OP_BR_##BASE, W_OP_BR_##BASE##_I, W_OP_LOOP_##BASE, W_OP_LOOP_##BASE##_I,
#define LOADA(NAME, BASE, bytes) W_MEM_PATHS(W_OP_FORM0, NAME)
#define STOREA(NAME, BASE, bytes) W_MEM_PATHS(W_OP_FORM0, NAME)
#define FLD(NAME, BASE, FN) W_MEM_PATHS(W_OP_FORM0, NAME)
#include "exec/ops.def"
#undef W_OP_FORM
#undef W_OP_FORM0
#define SIMD(NAME, code, shape, lanes) W_OP_##NAME,
#include "exec/simd.def"
    W_OP_COUNT_
} w_op;

/* The handler word for op (see above). Defined in interp.c. */
uint32_t vm_op_word(w_op op);

typedef struct w_compile_cfg {
    uint32_t nmems;
    const uint8_t *mem_mode; /* nmems entries of W_MEM_* (mem/mem.h); NULL = all flat.
                              * The path of each access follows from its
                              * memory's mode (W_MEM_PATHS in mem/access.h). */
} w_compile_cfg;

/* A compiled function. Immutable once built. */
typedef struct w_fcode {
    const uint32_t *code; /* ncode words */
    uint32_t ncode;
    uint32_t param_slots;  /* slots of the parameters */
    uint32_t local_slots;  /* slots of the declared locals (zeroed on entry) */
    uint32_t frame_slots;  /* params + locals + maximum operand stack */
    uint32_t result_slots; /* slots of the results */
    uint32_t func_index;   /* index in the module's function index space */
    /* Source map for backtraces: nsrc pairs {code word index, module byte
     * offset}, sorted by code word index, one per emitted instruction that
     * can trap or call. */
    const uint32_t *src;
    uint32_t nsrc;
} w_fcode;

/* All compiled functions of a module for one memory configuration. */
typedef struct w_codeset {
    uint32_t nfuncs; /* = module->nfuncdefs; funcs[i] is function nimported_funcs+i */
    w_fcode *funcs;
    w_compile_cfg cfg; /* owned copy */
    /* Native code (native.h), attached on first use in the native tier. */
    struct w_native_set *_Atomic native;
    struct w_codeset *next; /* other configurations of the same module */
} w_codeset;

/* Validates every function body of m and compiles it for the all-flat
 * configuration, attaching the result as m->code. Returns false with *err
 * set (offset of the offending instruction + the rule) on invalid code.
 * Work and code are bounded in proportion to the module's size (a module
 * beyond is "module too complex"); if *stop (may be NULL) becomes nonzero
 * meanwhile, compiling gives up with dec_msg_stopped. */
bool cmp_compile_module(w_module *m, const atomic_int *stop, w_err *err);

/* The code of m for cfg (compiled on first use and cached on the module;
 * m->code must already exist). Returns NULL if out of memory or stopped. */
const w_codeset *cmp_codeset_for(w_module *m, const w_compile_cfg *cfg, const atomic_int *stop,
                                 w_err *err);

/* Frees every codeset attached to m. */
void cmp_free_module_code(w_module *m);

/* A reference to m (atomic: modules are shared by threads); the last
 * release frees its code and the module (runtime.h's rt_module_retain and
 * rt_module_release are these; the native tier's compiler thread holds one
 * while it compiles). */
void cmp_module_retain(w_module *m);
void cmp_module_release(w_module *m);

/* Module byte offset of the instruction at code word `pc` of f (0 if unknown). */
uint32_t cmp_src_offset(const w_fcode *f, uint32_t pc);

#endif
