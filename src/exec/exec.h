/* exec.h - the execution layer's interface: the objects code runs on
 * (functions, globals, instances, the execution context), compilation of a
 * module's functions to internal code (ir.h), and the interpreter.
 *
 * Files and prefixes:
 *   compile.c  cmp_   function-body validation and compilation to IR (one pass)
 *   interp.c   vm_    the interpreter
 *   pac.c      pac_   pointer authentication (Cage's pointer_sign/auth/strip)
 *   simd.h     simd_  v128 lane operations
 *   numeric.h  num_   scalar numeric helpers (float rules, conversions)
 *
 * The runtime layer (runtime/) creates and links these objects; this layer
 * only reads and runs them. Ownership: a store owns every object created in
 * it and frees them all in rt_store_free(). Objects are shared by pointer: an
 * imported memory is the exporting instance's object.
 */
#ifndef WARD_EXEC_H
#define WARD_EXEC_H

#include "base/base.h"
#include "decode/decode.h"
#include "exec/ir.h"
#include "mem/mem.h"

#include <stdatomic.h>

struct w_exec;
struct w_instance;
struct w_store;

/* Host function (internal form). Arguments are in slots[0 .. param_slots),
 * results must be written to slots[0 .. result_slots) (same encoding as
 * frames: i32/f32 zero-extended in 8 bytes, v128 in two slots). Return
 * W_TRAP_OK, or a trap code (for W_TRAP_HOST set ex->trap_msg; for
 * W_TRAP_EXIT set ex->exit_code). ex->caller is the calling instance (NULL
 * when called directly from the embedder). */
typedef w_trap (*w_host_fn)(struct w_exec *ex, void *data, uint64_t *slots);

typedef struct w_func {
    const w_functype *type;  /* owned by the module (wasm) or by the func (host) */
    struct w_instance *inst; /* defining instance; NULL for host functions */
    const w_fcode *code;     /* compiled code; NULL for host functions */
    w_host_fn host;
    void *host_data;
    void (*host_data_free)(void *); /* called when the store is freed, may be NULL */
    uint32_t index;                 /* index in the defining module, or 0 for host */
    w_functype owned_type;          /* storage for host functions' type */
} w_func;

typedef struct w_globalinst {
    uint64_t val[2]; /* v128 uses both */
    w_valtype type;
    bool mut;
} w_globalinst;

/* Element and data segments at run time: dropped ones have len 0. */
typedef struct w_elemrt {
    uint64_t *refs;
    uint32_t len;
} w_elemrt;

typedef struct w_datart {
    const uint8_t *bytes;
    uint64_t len;
} w_datart;

typedef struct w_instance {
    w_module *module; /* holds a reference */
    struct w_store *store;
    const w_codeset *code;
    w_func **funcs;         /* module->nfuncs */
    w_table **tables;       /* module->ntables */
    w_memory **mems;        /* module->nmems */
    w_globalinst **globals; /* module->nglobals */
    w_elemrt *elems;        /* module->nelems */
    w_datart *datas;        /* module->ndatas */
    /* Pointer authentication (pac.c): the instance's secret key, if it has
     * one (pac_on); pac_tags leaves bits 56-59 of an i64 pointer to the
     * memory tag (mem-safety on) instead of the MAC. */
    uint64_t pac_key[2];
    bool pac_on;
    bool pac_tags;
    bool sealed; /* a template for clones on any thread (rt_instance_seal): never runs */
} w_instance;

typedef struct w_frame {
    const uint32_t *ip; /* where to continue in the caller */
    uint64_t *fp;       /* caller's frame */
    w_func *fn;         /* caller */
} w_frame;

typedef struct w_btframe {
    const w_func *fn;
    uint32_t pc; /* code word index in fn->code */
} w_btframe;

#define W_MAX_BACKTRACE 32

/* Fuel: one unit per call and per loop back-edge, and one more per
 * W_FUEL_BULK_BYTES bytes that an instruction writes in bulk: memory.fill,
 * memory.copy, memory.init and memory.grow (the bytes added), table.fill,
 * table.copy, table.init and table.grow (8 bytes per element), and the
 * locals a call zeroes (8 bytes per slot). Charged before the work, so an
 * instruction that cannot pay traps with "all fuel consumed" having done
 * nothing; fuel alone then bounds the time of any run. Bulk operations
 * also check for an interrupt (the deadline) every VM_BULK_CHUNK bytes. */
#define W_FUEL_BULK_BYTES 1024u

/* The execution context: one per store, reused by nested calls
 * (host -> wasm -> host -> wasm shares the same stacks). */
typedef struct w_exec {
    uint64_t *stack; /* value stack, `stack_slots` slots */
    uint64_t *stack_end;
    uint64_t *sp;        /* first free slot: vm_call places arguments here */
    w_frame *frames;     /* call frames */
    uint32_t nframes;    /* frames in use */
    uint32_t max_frames; /* call depth limit */

    int64_t fuel; /* consumed as W_FUEL_BULK_BYTES says */
    /* 0, or the trap (W_TRAP_INTERRUPTED, W_TRAP_TIMEOUT) to raise at the
     * next check: set from other threads (the watchdog, the embedder) with
     * release ordering and only while 0, so the first reason wins; the
     * interpreter takes it with an acquiring exchange. One word, so a trap
     * code is never seen without its flag or the other way round. */
    _Alignas(8) atomic_int interrupt;
    /* In the same aligned 8 bytes as interrupt (the rest zeroed by
     * vm_exec_init): native code reads both as one 64-bit word at every
     * call and loop back-edge, and looks closer only when it is not 0. */
    bool fuel_on;

    struct w_instance *caller; /* during a host call: the calling instance */

    /* The native tier (native.h): run functions that have native code
     * natively (per store); the lowest native stack address native code
     * may use, set on every entry (nat_run). */
    bool tier_native;
    uintptr_t nat_stack_lim;
    /* The store's deadline (plat_now_ns time, 0 = none): how long a call
     * may wait for native code to be compiled (nat_set_of). */
    uint64_t deadline;

    /* Outcome of the last trap. */
    w_trap trap;
    int exit_code;      /* for W_TRAP_EXIT */
    char trap_msg[200]; /* detail for W_TRAP_HOST / W_TRAP_ACCESS_DENIED, may be "" */
    uint32_t nbt;
    w_btframe bt[W_MAX_BACKTRACE];
} w_exec;

/* ---- pac.c: pointer authentication ------------------------------------------------------
 * A keyed MAC (SipHash-2-4 under the instance's key) of a pointer, kept in
 * the pointer's unused high bits (docs/cage.md):
 *   i64: the address is bits 0-47; the MAC takes bits 48-63 (16 bits), or
 *        with tags on bits 48-55 and 60-63 (12 bits: 56-59 are the tag,
 *        which the MAC covers);
 *   i32: the value must be below 2^16 (a table index); the MAC takes bits
 *        16-31 (16 bits).
 * sign traps if the MAC bits of v are not all 0 (nothing would be left to
 * authenticate); auth traps if the MAC is not v's under this instance's key
 * and otherwise returns v without it, as strip does unchecked. On a trap,
 * msg (size n) holds the detail. */
w_trap pac_sign(const w_instance *inst, bool is64, uint64_t v, uint64_t *out, char *msg, size_t n);
w_trap pac_auth(const w_instance *inst, bool is64, uint64_t v, uint64_t *out, char *msg, size_t n);
uint64_t pac_strip(const w_instance *inst, bool is64, uint64_t v);

/* Native stack every entry into guest code (vm_call, and the API's calls
 * and instantiations) requires below its own frame, or it ends in
 * W_TRAP_STACK_EXHAUSTED. Wasm-to-wasm calls do not recurse in C; only a
 * host function that calls back nests. Measured on x86-64 with gcc 12 -O2
 * (tests/unit/test_stack.c prints it), one level of wasm -> host -> wasm
 * costs 6.4 KiB: vm_run's frame 3.0 KiB, ward_func_call's 1.4 KiB, the
 * API's trampoline 0.9 KiB, and the host function's own. Below a check,
 * the deepest path that does not come back through one is a host function
 * body: WASI's fd_read/fd_write (a 16.5 KiB frame, then libc) reaches 23-26
 * KiB below the caller of ward_func_call, a printf of a long double 34 KiB;
 * a signal handler's frame (up to 4 KiB with AVX-512 state) or a lazy
 * binding may come on top. Hence 56 KiB for host code plus 8 KiB for
 * vm_run's frame: 64 KiB. vm_run's frame is what depends on the build most:
 * 59-71 KiB unoptimised (gcc, clang; each handler keeps its own locals, a
 * level costs 63 KiB), 18-30 KiB under AddressSanitizer at -O1 (clang, gcc;
 * a level 23 KiB, the printf path 52 KiB), 85-278 KiB under
 * AddressSanitizer unoptimised (a level 286 KiB with clang); sanitizers
 * also double what host code needs (redzones, interceptors). */
#define VM_STACK_HOST_RESERVE ((size_t)56 << 10)
#ifdef __OPTIMIZE__
#define VM_STACK_RUN_FRAME ((size_t)8 << 10)
#else
#define VM_STACK_RUN_FRAME ((size_t)96 << 10)
#endif
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define VM_STACK_RESERVE (2 * VM_STACK_HOST_RESERVE + 4 * VM_STACK_RUN_FRAME)
#else
#define VM_STACK_RESERVE (VM_STACK_HOST_RESERVE + VM_STACK_RUN_FRAME)
#endif

/* Calls fn. Arguments in args[0 .. param_slots); on W_TRAP_OK the results are
 * in args[0 .. result_slots) (the buffer must hold the larger of the two). On
 * a trap, ex->trap, ex->bt and ex->trap_msg describe it; the context stays
 * usable. Never overflows the native stack: with less than VM_STACK_RESERVE
 * left on this thread (plat_stack_left) it returns W_TRAP_STACK_EXHAUSTED
 * at once; the frame count is bounded by max_frames. */
w_trap vm_call(w_exec *ex, w_func *fn, uint64_t *args);
/* vm_call for a guest function called from native code (nat_h_call), whose
 * caller's frame is pushed and was checked against max_frames: as with the
 * interpreter's own calls, the callee runs even as the max_frames-th frame
 * (only its calls trap). */
w_trap vm_call_pushed(w_exec *ex, w_func *fn, uint64_t *args);

/* Charges the fuel for writing `bytes` in bulk (both tiers); false (no
 * fuel left, and none kept) if there is not enough. */
W_INLINE bool vm_fuel_bulk(w_exec *ex, uint64_t bytes)
{
    if (W_LIKELY(!ex->fuel_on)) return true;
    uint64_t units = bytes / W_FUEL_BULK_BYTES;
    if (units > (uint64_t)ex->fuel) {
        ex->fuel = 0;
        return false;
    }
    ex->fuel -= (int64_t)units;
    return true;
}

/* A call's checks of guest function fc with its frame at nfp in the value
 * stack (which ends at end), in this order (both tiers): the frame must
 * fit (W_TRAP_STACK_EXHAUSTED), then zeroing its locals is charged
 * (W_TRAP_FUEL). W_TRAP_OK if the call may go on. */
W_INLINE w_trap vm_frame_check(w_exec *ex, const uint64_t *end, const uint64_t *nfp,
                               const w_fcode *fc)
{
    if (W_UNLIKELY((size_t)(end - nfp) < fc->frame_slots)) return W_TRAP_STACK_EXHAUSTED;
    if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)fc->local_slots * sizeof(uint64_t))))
        return W_TRAP_FUEL;
    return W_TRAP_OK;
}

/* Shared with the native tier's helpers (native.c): the interpreter's
 * own bulk operations, interrupt and trap recording (interp.c). */
w_trap vm_take_interrupt(w_exec *ex);
w_trap vm_memory_fill(w_exec *ex, w_memory *m, uint64_t d, uint8_t v, uint64_t n, uint64_t *fault);
w_trap vm_memory_copy(w_exec *ex, w_memory *dm, uint64_t d, w_memory *sm, uint64_t s, uint64_t n,
                      uint64_t *fault, bool *fault_write);
w_trap vm_memory_init(w_exec *ex, w_memory *m, uint64_t d, const w_datart *seg, uint32_t s,
                      uint32_t n, uint64_t *fault);
void vm_record_trap(w_exec *ex, w_trap t, const w_func *fn, const uint32_t *ip, const w_frame *top,
                    bool vm_origin);

/* Sets up / tears down the stacks of an execution context. */
bool vm_exec_init(w_exec *ex, size_t stack_slots, uint32_t max_frames);
void vm_exec_free(w_exec *ex);

#endif
