/* native.h - the native tier's hook into the execution layer (nat_).
 *
 * The native tier compiles a module's internal code (ir.h), one codeset at
 * a time, to machine code. The compiler itself depends on LLVM and so lives
 * outside the core runtime (native/, docs/native.md); what lives here is
 * libc only:
 *   - the backend interface the compiler implements (w_native_backend) and
 *     its registration, one process-wide backend;
 *   - the native code of a codeset (w_native_set), attached to the codeset
 *     on first use, so that every instance and clone of a module shares it;
 *   - the entry from C (nat_run), used by vm_call and by the interpreter
 *     when it calls a function that has native code;
 *   - the helpers native code calls for everything it does not generate
 *     inline (nat_h_*): traps and backtraces, calls it cannot make
 *     directly, memory slow paths, bulk and table operations, Cage's
 *     instructions. Their addresses are what the backend links against
 *     (nat_helpers), so native code never depends on where the library
 *     was loaded.
 *
 * Calling convention of native code (the backend generates both kinds):
 *   body:  w_trap f(w_exec *ex, w_func *fn, uint32_t depth, uint64_t *fp,
 *                   [uint64_t *res,] uint64_t arg0, ..., uint64_t arg<param_slots-1>)
 *          internal to the backend's code (its own convention, e.g. LLVM's
 *          fastcc); depth is ex->nframes while it runs; fp is where the
 *          interpreter's frame of the call would be in ex's value stack
 *          (native code never touches that stack, but checks calls against
 *          its size as the interpreter does); arguments and
 *          results in the slot encoding of ir.h; one result slot comes
 *          back with the trap ({w_trap, uint64_t}), more are written to
 *          res[0 .. result_slots). Calls within a module are direct calls
 *          of bodies.
 *   entry: w_trap f(w_exec *ex, w_instance *inst, uint64_t *slots)
 *          arguments in slots[0 .. param_slots), results back there; the
 *          body's fp is ex->sp, which its caller has checked.
 * A body returns W_TRAP_OK or a trap that is already recorded in ex (code,
 * message, backtrace). Native code keeps the interpreter's frame stack
 * (ex->frames, ex->nframes): every call pushes a w_frame whose ip is the
 * return point in the caller's internal code, so backtraces, the call
 * depth limit and nesting through host functions are the interpreter's.
 * It also checks the native stack against ex->nat_stack_lim in every
 * function's prologue, so a deep recursion on a small thread stack ends in
 * "call stack exhausted" as well. */
#ifndef WARD_NATIVE_H
#define WARD_NATIVE_H

#include "exec/exec.h"

typedef w_trap (*w_native_entry)(w_exec *ex, w_instance *inst, uint64_t *slots);

/* The native code of one codeset: entries[i] for defined function i (NULL:
 * the function runs in the interpreter, for instance because it uses an
 * instruction the backend does not compile). Owned by the codeset.
 * It is attached to the codeset when its compilation starts, on a thread
 * of its own; until `ready` (release/acquire) nothing else in it may be
 * read, and the codeset's functions run in the interpreter. */
typedef struct w_native_set {
    const struct w_native_backend *backend;
    void *handle;            /* the backend's */
    w_native_entry *entries; /* cs->nfuncs */
    uint32_t nfuncs;
    uint32_t ncompiled; /* entries that are not NULL */
    atomic_bool ready;  /* compilation over (successful or not) */
    const w_module *m;  /* what is being compiled, until ready */
    const w_codeset *cs;
} w_native_set;

typedef struct w_native_backend {
    const char *name;
    /* Compiles the functions of cs (module m) and fills set->entries and
     * set->handle. False with *err set if nothing could be compiled. */
    bool (*compile)(const w_module *m, const w_codeset *cs, w_native_set *set, w_err *err);
    /* Frees what compile made (set->handle). */
    void (*release)(w_native_set *set);
} w_native_backend;

/* Installs the process-wide backend (NULL removes it; codesets compiled
 * before keep theirs). */
void nat_install(const w_native_backend *b);
const w_native_backend *nat_backend(void);

/* The native entry of fn (a wasm function) when ex runs in the native tier
 * and fn's codeset has native code ready, else NULL. Starts compiling on
 * first use (then every instance and clone of the module shares the code). */
w_native_entry nat_entry_of(w_exec *ex, const w_func *fn);

/* The native code of cs; NULL if no backend is installed, compiling failed
 * or is still going on (then the interpreter runs the codeset's functions,
 * with the same semantics). The first use starts the compilation on a
 * thread of its own and waits for it, giving up (the interpreter takes
 * over, and the code is used from the first call after it is ready) when
 * ex->interrupt is raised or, with a deadline (ex->deadline), when half the
 * time left before it has passed: compiling never holds a guest past its
 * deadline, and leaves it at least half of its time. */
const w_native_set *nat_set_of(w_exec *ex, const w_module *m, const w_codeset *cs);

/* Attaches native code loaded outside any backend's compile (nat_elf.c:
 * object code made by another process) to cs, ready at once: entries
 * (cs->nfuncs, copied) and handle, freed through b->release with the
 * codeset. False if cs has native code already (or out of memory). */
bool nat_attach(const w_codeset *cs, const w_native_backend *b, void *handle,
                const w_native_entry *entries);

/* Frees cs's native code (compile.c, when the module's code goes; never
 * while it is being compiled: the compiler holds a module reference). */
void nat_free_set(w_native_set *set);

/* Runs fn through its native entry e with its arguments in slots (as
 * vm_call). The caller has checked the call depth and the value stack
 * for fn's frame at ex->sp, and pushed its own frame. */
w_trap nat_run(w_exec *ex, w_func *fn, w_native_entry e, uint64_t *slots);

/* ---- guard pages ----------------------------------------------------------------------
 * A flat 32-bit memory reserves all 8 GiB that base + address + offset can
 * reach, inaccessible beyond its size (mem/memory.c), so native code may
 * load and store there without a bounds check: an access out of bounds
 * faults on the reservation instead. The backend lists every such access
 * of the code it loads (a "site": the instruction's address, its function,
 * its word in the internal code), and a fault handler (plat_fault_install)
 * turns a fault of a site on a memory of the running instance, beyond the
 * memory's size, into the spec's "out of bounds memory access" with the
 * interpreter's backtrace: the innermost nat_run records it and returns it,
 * with ex->nframes back to what it was on entry. Any other fault is not
 * ours and goes on to the handler installed before (or ends the process). */

typedef struct w_native_site {
    uintptr_t pc;  /* the address of the access instruction */
    uint32_t func; /* defined function index in the codeset */
    uint32_t irpc; /* its code word in the internal code */
} w_native_site;

/* Installs the fault handler (once per process); false if the platform has
 * none, and then the backend must keep every bounds check. */
bool nat_guard_install(void);
/* Registers the sites of the code `owner` (the backend's handle in a
 * w_native_set: w_native_set.handle), sorted by pc; the array must stay
 * unchanged until nat_code_remove(owner). False if the table is full. */
bool nat_code_add(const void *owner, const w_native_site *sites, uint32_t n);
void nat_code_remove(const void *owner);

/* ---- helpers for native code ------------------------------------------------------
 * All return W_TRAP_OK or a trap; a trap they return is recorded in ex
 * with its backtrace (fn at code word pc, then ex's frame stack) unless
 * said otherwise. */

/* Records trap t raised by native code at word pc of fn; returns t. A
 * memory trap (fault given) gets its detail message. */
w_trap nat_h_trap(w_exec *ex, const w_func *fn, uint32_t pc, w_trap t);
/* The trap a pending interrupt asks for (clearing it), recorded. */
w_trap nat_h_interrupt(w_exec *ex, const w_func *fn, uint32_t pc);
/* Fuel for zeroing `bytes` of locals (or other bulk work) of a call. */
w_trap nat_h_fuel_bulk(w_exec *ex, const w_func *fn, uint32_t pc, uint64_t bytes);
/* A call native code does not make directly: host functions, functions of
 * other instances or without native code, with its arguments in slots.
 * Checks limits, depth and (for a guest callee at slot argbase of the
 * caller's frame fp) the value stack and the locals' fuel, and pushes the
 * caller's frame, as the interpreter's call does. */
w_trap nat_h_call(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t ret_pc, w_func *callee,
                  uint64_t *slots, uint64_t *fp, uint32_t argbase);
/* call_indirect's checks: *out the callee of table t at i with type typeidx. */
w_trap nat_h_indirect(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t tidx, uint32_t i,
                      uint32_t typeidx, w_func **out);
/* The slow path of a load / store of `bytes` at addr + off in memory mi. */
w_trap nat_h_load(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t mi, uint64_t addr,
                  uint64_t off, uint32_t bytes, uint8_t *out);
w_trap nat_h_store(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t mi, uint64_t addr,
                   uint64_t off, uint32_t bytes, const uint8_t *in);
/* memory.grow (the result in the memory's width), memory.size. */
w_trap nat_h_memory_grow(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t mi, uint64_t delta,
                         uint64_t *out);
/* The bulk, table and Cage instructions: op (w_op) at word pc of fn, with
 * v[k] the value of the frame slot that operand word k names (ops.def),
 * for every word that names one; results are written to v[k] of their
 * word. Immediates are read from the code. */
w_trap nat_h_op(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t op, uint64_t *v);

/* SIMD (simd.def), computed by simd.h as the interpreter does: op at the
 * instruction ip; v[2k], v[2k+1] hold the slots that operand word k names
 * (both slots of a v128, the first of a scalar); the result goes to the
 * pair of its word. */
void nat_h_simd(uint32_t op, const uint32_t *ip, uint64_t *v);
/* The v128 loads other than v128.load and the lane forms: v[0..1] = the
 * vector op (a V128_LOAD* base op) makes of the bytes at p. */
void nat_h_vload(uint32_t op, const uint8_t *p, uint64_t *v);

/* The helpers by name, for the backend to link native code against. */
typedef struct w_native_sym {
    const char *name;
    void *addr;
} w_native_sym;
extern const w_native_sym nat_helpers[];
extern const uint32_t nat_nhelpers;

#endif
