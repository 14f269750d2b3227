/* runtime.h - the runtime layer's interface: stores, the objects they own,
 * import matching, constant expressions, instantiation and clones (rt_*).
 *
 * Ownership: every object lives in exactly one store and is freed when the
 * store is freed, in reverse order of creation.
 */
#ifndef WARD_RUNTIME_H
#define WARD_RUNTIME_H

#include "base/base.h"
#include "decode/decode.h"
#include "exec/exec.h"
#include "mem/mem.h"

typedef struct w_limits_cfg {
    uint64_t max_memory_bytes; /* per memory; 0 = no limit beyond the type */
    uint32_t max_table_elems;  /* 0 = W_MAX_TABLE_SIZE */
    bool paged_no_span;        /* paged memories without the span (paged.h) */
    /* Budgets (w_budget, base.h), in bytes; UINT64_MAX = none (0 means 0).
     * An instance's covers its memories, tables and own state; the store's
     * everything in the store (its instances, the host's memories and
     * tables, host state charged to it). */
    uint64_t instance_mem, instance_vm;
    uint64_t store_mem, store_vm;
    /* Cage (docs/cage.md): every memory created in the store is tagged;
     * every instance gets a pointer-authentication key; a clone draws a
     * new key instead of keeping its template's. */
    bool mem_tagged;
    bool ptr_auth;
    bool clone_new_key;
} w_limits_cfg;

typedef struct w_store {
    w_exec exec;
    w_limits_cfg limits;
    w_budget budget; /* the store's; every instance's has it as parent */
    /* Everything the store owns, freed in reverse order. */
    void **objs;
    uint8_t *obj_kinds;
    size_t nobjs, cap_objs;
} w_store;

/* An import resolved by the embedder: kind W_EXT_* and the object
 * (w_func / w_table / w_memory / w_globalinst), obj NULL = not found. */
typedef struct w_extern {
    uint8_t kind;
    void *obj;
} w_extern;

/* lim must be given: its budgets have no defaults at this level. */
bool rt_store_init(w_store *s, size_t stack_slots, uint32_t max_frames, const w_limits_cfg *lim);
void rt_store_free(w_store *s); /* frees every object, then the exec context */

/* Standalone objects owned by s (NULL + *err on failure). */
w_func *rt_func_new_host(w_store *s, const w_valtype *params, uint32_t nparams,
                         const w_valtype *results, uint32_t nresults, w_host_fn fn, void *data,
                         void (*data_free)(void *), w_err *err);
w_memory *rt_memory_new(w_store *s, const w_memtype *type, uint8_t mode, w_err *err);
w_table *rt_table_new(w_store *s, const w_tabletype *type, w_err *err);
w_globalinst *rt_global_new(w_store *s, w_valtype type, bool mut, const uint64_t val[2],
                            w_err *err);

/* Module references: instances hold one. Release frees the module (and its
 * code) when the last reference goes. */
void rt_module_retain(w_module *m);
void rt_module_release(w_module *m);

/* Instantiates m in s with imports[0 .. m->nimports) resolved by the caller.
 * Defined memories get access path mem_mode (W_MEM_*). Everything the
 * instance defines is charged to its budget, and the minimum of all of it
 * is checked against the budget before anything is made. Compiling code
 * for the memories' access paths stops when s->exec.interrupt is set (the
 * deadline). Returns the instance,
 * or NULL with either *trap == W_TRAP_OK and *err set (link or resource
 * error: "unknown import", "incompatible import type", ...), or *trap set
 * (segment bounds, start function trap or exit: details in s->exec). For an
 * active segment that does not fit, *err also says which ("data segment 1
 * does not fit memory 0 (...)"); a trap or exit of the start function
 * leaves *err as it was. */
w_instance *rt_instantiate(w_store *s, w_module *m, const w_extern *imports, uint8_t mem_mode,
                           w_err *err, w_trap *trap);

/* A copy-on-write clone of tmpl in s (tmpl's store, or any store if every
 * import of its module is a host function; those then run in s): imports shared, globals, tables
 * and segments copied, paged memories sharing every frame until the first store of either side
 * (flat memories are copied), tags with their memories. The pointer-authentication key is tmpl's
 * (its memory holds pointers signed with it) unless s's limits ask for a new one (clone_new_key).
 * NULL with *err on failure. */
w_instance *rt_instance_clone(w_store *s, w_instance *tmpl, w_err *err);

/* Makes inst a template that rt_instance_clone may clone on several
 * threads at once (into different stores): its memories are sealed
 * (mem_seal) and inst->sealed set. inst must never run or change again. */
void rt_instance_seal(w_instance *inst);

/* Frees inst (an instance or clone of s) now rather than with s. The
 * caller guarantees nothing still refers to it (its functions in other
 * instances' tables, globals or a linker in use). False if inst is not
 * one of s's objects. */
bool rt_instance_drop(w_store *s, w_instance *inst);

/* Evaluates the decoded form of a validated constant expression (decode.h)
 * in inst, whose globals and functions it may reference, into out[0..2).
 * Fails (W_ERR_INTERNAL) only if the decoded form is inconsistent. */
bool rt_eval_const(const w_instance *inst, const w_constexpr *ce, uint64_t out[2], w_err *err);

#endif
