/* rt.h - runtime objects: functions, memories, tables, globals, instances,
 * stores, and the execution context the interpreter runs in.
 *
 * Ownership: a store owns every object created in it (instances, functions,
 * memories, tables, globals) and frees them all in rt_store_free(). Objects are
 * shared by pointer: an imported memory is the exporting instance's object.
 */
#ifndef WARD_RT_H
#define WARD_RT_H

#include "base.h"
#include "ir.h"
#include "module.h"

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
    const w_functype *type;      /* owned by the module (wasm) or by the func (host) */
    struct w_instance *inst;     /* defining instance; NULL for host functions */
    const w_fcode *code;         /* compiled code; NULL for host functions */
    w_host_fn host;
    void *host_data;
    void (*host_data_free)(void *); /* called when the store is freed, may be NULL */
    uint32_t index;              /* index in the defining module, or 0 for host */
    w_functype owned_type;       /* storage for host functions' type */
} w_func;

/* The span of a paged memory, for loads (rd) and for stores (wr): pages
 * [0, lim / 64 KiB) all have the table entry `base` (host address = base +
 * guest address) and lim is the largest such bound (0 if page 0's entry is
 * the exception entry). */
typedef struct w_pgspan {
    uint8_t *rd_base;
    uint64_t rd_lim;
    uint8_t *wr_base;
    uint64_t wr_lim;
} w_pgspan;

/* From this size on, a memory's own pages ask for transparent huge pages:
 * they cut page faults several times on large arrays (and TLB misses on
 * strided ones), and small memories would only waste the zeroing of 2 MiB
 * at a time. */
#define W_MEM_HUGE_MIN (16ull << 20)

typedef struct w_memory {
    uint8_t *base;       /* flat: start of the reservation; never moves */
    uint64_t size;       /* current size in bytes = pages * 64 KiB */
    uint64_t pages;
    uint64_t max_pages;  /* effective maximum (declared max, capped by limits) */
    uint64_t reserved;   /* bytes of address space reserved at base */
    bool is64;
    bool has_max;
    uint8_t mode;        /* W_MEM_FLAT or W_MEM_PAGED */
    uint64_t declared_max; /* the type's max (for import matching) */
    /* Paged memories (paged.h): per page index, the entry used by loads and
     * the one used by stores. An entry is the frame's address biased by the
     * page's own guest address (host address = entry + guest address), or
     * pg_exc (NULL: the exception entry) when the access must take the slow
     * path (absent page, no permission, copy-on-write). */
    uint8_t **pg_rd;
    uint8_t **pg_wr;
    uint8_t *pg_exc;
    w_pgspan pg_span;  /* derived from the tables (paged.h, "The span") */
    struct pg_mem *pg; /* cold per-page state */
} w_memory;

typedef struct w_table {
    uint64_t *elems; /* funcref: w_func* as uint64; externref: host value; 0 = null */
    uint32_t size;
    uint32_t max;    /* effective maximum */
    bool has_max;
    uint64_t declared_max;
    w_valtype type;  /* W_FUNCREF or W_EXTERNREF */
} w_table;

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
    w_module *module;          /* holds a reference */
    struct w_store *store;
    const w_codeset *code;
    w_func **funcs;            /* module->nfuncs */
    w_table **tables;          /* module->ntables */
    w_memory **mems;           /* module->nmems */
    w_globalinst **globals;    /* module->nglobals */
    w_elemrt *elems;           /* module->nelems */
    w_datart *datas;           /* module->ndatas */
} w_instance;

typedef struct w_frame {
    const uint32_t *ip;  /* where to continue in the caller */
    uint64_t *fp;        /* caller's frame */
    w_func *fn;          /* caller */
} w_frame;

typedef struct w_btframe {
    const w_func *fn;
    uint32_t pc; /* code word index in fn->code */
} w_btframe;

#define W_MAX_BACKTRACE 32

/* The execution context: one per store, reused by nested calls
 * (host -> wasm -> host -> wasm shares the same stacks). */
typedef struct w_exec {
    uint64_t *stack;      /* value stack, `stack_slots` slots */
    uint64_t *stack_end;
    uint64_t *sp;         /* first free slot: vm_call places arguments here */
    w_frame *frames;      /* call frames */
    uint32_t nframes;     /* frames in use */
    uint32_t max_frames;  /* call depth limit */

    bool fuel_on;
    int64_t fuel;         /* consumed one unit per call and loop back-edge */
    volatile int interrupt; /* set asynchronously (timeout): stops at next check */
    w_trap interrupt_trap;  /* trap to raise when interrupt is seen */

    struct w_instance *caller; /* during a host call: the calling instance */

    /* Outcome of the last trap. */
    w_trap trap;
    int exit_code;          /* for W_TRAP_EXIT */
    char trap_msg[200];     /* detail for W_TRAP_HOST / W_TRAP_ACCESS_DENIED, may be "" */
    uint32_t nbt;
    w_btframe bt[W_MAX_BACKTRACE];
} w_exec;

/* Calls fn. Arguments in args[0 .. param_slots); on W_TRAP_OK the results are
 * in args[0 .. result_slots) (the buffer must hold the larger of the two). On
 * a trap, ex->trap, ex->bt and ex->trap_msg describe it; the context stays
 * usable. Never overflows the native stack: wasm-to-wasm calls do not
 * recurse in C; host<->wasm nesting is bounded by max_frames. */
w_trap vm_call(w_exec *ex, w_func *fn, uint64_t *args);

/* Sets up / tears down the stacks of an execution context. */
bool vm_exec_init(w_exec *ex, size_t stack_slots, uint32_t max_frames);
void vm_exec_free(w_exec *ex);

/* ---- memory.c: linear memory objects -------------------------------------- */

/* Creates a memory of min_pages (zeroed), growable to max_pages (if has_max)
 * and never beyond limit_bytes (0 = no extra limit). Flat memories reserve
 * their whole addressable range up front so that `base` never moves.
 * Returns false if the reservation or the commit fails. */
bool mem_init(w_memory *m, uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64,
              uint64_t limit_bytes, uint8_t mode);
/* Grows by delta pages (new pages zeroed). Returns the old size in pages,
 * or -1 if the maximum or the limit would be exceeded or memory is short. */
int64_t mem_grow(w_memory *m, uint64_t delta);
void mem_release(w_memory *m);
/* Makes dst (uninitialised) a private copy of src for an instance clone:
 * paged memories share src's frames copy-on-write, flat ones are copied.
 * Returns false if out of memory. */
bool mem_clone(w_memory *dst, w_memory *src);

/* ---- runtime.c ---------------------------------------------------------- */

/* Grows a table by delta elements set to init; returns the old size or -1. */
int64_t rt_table_grow(w_table *t, uint32_t delta, uint64_t init);


typedef struct w_limits_cfg {
    uint64_t max_memory_bytes;  /* per memory; 0 = no limit beyond the type */
    uint32_t max_table_elems;   /* 0 = W_MAX_TABLE_SIZE */
    bool paged_no_span;         /* paged memories without the span (paged.h) */
} w_limits_cfg;

typedef struct w_store {
    w_exec exec;
    w_limits_cfg limits;
    /* Everything the store owns, freed in reverse order. */
    void **objs;
    uint8_t *obj_kinds;
    size_t nobjs, cap_objs;
} w_store;

/* ---- additions by the runtime owner (memory.c / runtime.c) ---------------
 * Purely additive: the entry points api.c needs from memory.c and runtime.c. */

/* Checked host access to a memory (the only way host code touches guest
 * bytes). False, copying nothing, if any byte is out of bounds. */
bool mem_read(const w_memory *m, uint64_t addr, void *dst, size_t len);
bool mem_write(w_memory *m, uint64_t addr, const void *src, size_t len);
/* Longest accessible run at addr, at most len bytes (*avail = its length);
 * NULL if addr itself is not accessible. */
void *mem_span(w_memory *m, uint64_t addr, size_t len, bool writable, size_t *avail);

/* An import resolved by the embedder: kind W_EXT_* and the object
 * (w_func / w_table / w_memory / w_globalinst), obj NULL = not found. */
typedef struct w_extern {
    uint8_t kind;
    void *obj;
} w_extern;

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

/* Structural equality of function types (import matching, call_indirect
 * across modules). */
bool rt_functype_equal(const w_functype *a, const w_functype *b);

/* Module references: instances hold one. Release frees the module (and its
 * code) when the last reference goes. */
void rt_module_retain(w_module *m);
void rt_module_release(w_module *m);

/* Instantiates m in s with imports[0 .. m->nimports) resolved by the caller.
 * Defined memories get access path mem_mode (W_MEM_*). Returns the instance,
 * or NULL with either *trap == W_TRAP_OK and *err set (link or resource
 * error: "unknown import", "incompatible import type", ...), or *trap set
 * (segment bounds, start function trap or exit: details in s->exec). */
w_instance *rt_instantiate(w_store *s, w_module *m, const w_extern *imports, uint8_t mem_mode,
                           w_err *err, w_trap *trap);

/* A copy-on-write clone of tmpl in s (tmpl's store, or any store if its
 * module has no imports): imports shared, globals, tables and segments
 * copied, paged memories sharing every frame until the first store of
 * either side (flat memories are copied). NULL with *err on failure. */
w_instance *rt_instance_clone(w_store *s, w_instance *tmpl, w_err *err);

/* Evaluates a validated constant expression in inst (whose globals and
 * functions it may reference) into out[0..2). */
bool rt_eval_const(const w_instance *inst, const w_constexpr *ce, uint64_t out[2], w_err *err);

#endif
