/* api.c - the public API (include/ward.h) on top of the runtime.
 *
 * Handles are the internal objects, cast:
 *   ward_module = w_module, ward_instance = w_instance, ward_func = w_func,
 *   ward_memory = w_memory, ward_table = w_table, ward_global = w_globalinst.
 * Only ward_store, ward_linker and ward_caller are structs of this file.
 * The casts keep one object per concept (an exported memory is the very
 * w_memory the interpreter uses) at the price of trusting the embedder to
 * pass handles of the right store; the embedder is trusted, guest code is not.
 *
 * Values cross the API in the frame encoding of ir.h: i32/f32 zero-extended
 * to 8 bytes, v128 in two slots, funcref as w_func *, externref as is.
 */
#include "ward.h"

#include <stdarg.h>
#include <stdio.h>

#include "platform/platform.h"
#include "api/artifact.h"
#include "exec/nat_elf.h"
#include "exec/native.h"
#include "runtime/runtime.h"

#define API_DEFAULT_STACK (8u << 20)
#define API_DEFAULT_DEPTH 10000u

struct ward_store {
    w_store w;         /* first: w_exec * inside it leads back to the ward_store */
    uint8_t mem_mode;  /* W_MEM_* for memories created in this store */
    uint64_t deadline; /* absolute plat_now_ns() time, 0 = none */
    unsigned depth;    /* nesting of ward_func_call / instantiation */
    plat_watch watch;  /* registered while an outermost call runs */
    void *data;        /* the embedder's (ward_store_set_data) */
};

enum { API_OUT_NONE = 0, API_OUT_TRAP, API_OUT_EXIT };

struct ward_caller {
    w_exec *ex;
    ward_store *store;
    int outcome; /* API_OUT_* chosen by ward_caller_trap / _exit */
    w_trap trap; /* API_OUT_TRAP: the code */
};

typedef struct api_host {
    ward_host_fn fn;
    void *data;
    void (*data_free)(void *);
    ward_store *store;
    const w_functype *type;
} api_host;

/* ---- helpers --------------------------------------------------------------------- */

static ward_store *api_store_of(w_exec *ex)
{
    return (ward_store *)((char *)ex - offsetof(w_store, exec) - offsetof(ward_store, w));
}

static const char *api_kind_name(uint8_t k)
{
    switch (k) {
    case W_I32: return "i32";
    case W_I64: return "i64";
    case W_F32: return "f32";
    case W_F64: return "f64";
    case W_V128: return "v128";
    case W_FUNCREF: return "funcref";
    case W_EXTERNREF: return "externref";
    default: return "unknown";
    }
}

static bool api_kind_valid(int k)
{
    return k == WARD_I32 || k == WARD_I64 || k == WARD_F32 || k == WARD_F64 || k == WARD_V128 ||
           k == WARD_FUNCREF || k == WARD_EXTERNREF;
}

/* Writes v into slots (1 or 2 of them, per its kind). */
static void api_val_to_slots(const ward_val *v, uint64_t *slots)
{
    switch (v->kind) {
    case WARD_I32: slots[0] = (uint32_t)v->of.i32; break;
    case WARD_I64: slots[0] = (uint64_t)v->of.i64; break;
    case WARD_F32: slots[0] = v->of.f32_bits; break;
    case WARD_F64: slots[0] = v->of.f64_bits; break;
    case WARD_V128:
        slots[0] = w_rd64(v->of.v128);
        slots[1] = w_rd64(v->of.v128 + 8);
        break;
    case WARD_FUNCREF: slots[0] = (uint64_t)(uintptr_t)v->of.funcref; break;
    case WARD_EXTERNREF: slots[0] = v->of.externref; break;
    default: slots[0] = 0; break;
    }
}

static ward_val api_slots_to_val(uint8_t kind, const uint64_t *slots)
{
    ward_val v;
    memset(&v, 0, sizeof v);
    v.kind = (ward_valkind)kind;
    switch (kind) {
    case W_I32: v.of.i32 = (int32_t)(uint32_t)slots[0]; break;
    case W_I64: v.of.i64 = (int64_t)slots[0]; break;
    case W_F32: v.of.f32_bits = (uint32_t)slots[0]; break;
    case W_F64: v.of.f64_bits = slots[0]; break;
    case W_V128:
        w_wr64(v.of.v128, slots[0]);
        w_wr64(v.of.v128 + 8, slots[1]);
        break;
    case W_FUNCREF: v.of.funcref = (ward_func *)(uintptr_t)slots[0]; break;
    default: v.of.externref = slots[0]; break;
    }
    return v;
}

static void api_result_clear(ward_result *res)
{
    res->status = WARD_OK;
    res->trap = WARD_TRAP_NONE;
    res->exit_code = 0;
    res->error = WARD_ERROR_NONE;
    res->message[0] = '\0';
    res->nframes = 0;
    res->segment_trap = false;
}

static ward_status api_error(ward_result *res, w_errcode code, const char *fmt, ...) W_PRINTF(3, 4);
static ward_status api_error(ward_result *res, w_errcode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    res->status = WARD_ERROR;
    res->error = (ward_error_code)code;
    return WARD_ERROR;
}

/* The internal codes are the public ones (both enums come from the lists of
 * ward_errors.h), so they cross the API by a cast. */
_Static_assert((int)W_ERR_COUNT_ == WARD_ERROR_COUNT, "one error list");
_Static_assert((int)W_CAT_COUNT_ == WARD_CATEGORY_COUNT, "one category list");
_Static_assert((int)W_TRAP_PUBLIC_COUNT_ == WARD_TRAP_COUNT, "public traps first");

static void api_copy_err(ward_error *dst, const w_err *src)
{
    if (!dst) return;
    dst->code = (ward_error_code)src->code;
    snprintf(dst->message, sizeof dst->message, "%s", src->msg);
    dst->offset = src->offset;
    dst->has_offset = src->has_offset;
}

/* A failed instantiation or clone: the error in e. */
static void api_error_from(ward_result *res, const w_err *e)
{
    api_error(res, e->code, "%s", e->msg);
}

/* The internal code of a public one (the same value); W_TRAP_COUNT_ if
 * there is none. */
static w_trap api_w_trap(ward_trap_code t)
{
    return (unsigned)t < WARD_TRAP_COUNT ? (w_trap)t : W_TRAP_COUNT_;
}

const char *ward_trap_message(ward_trap_code t)
{
    if ((unsigned)t >= WARD_TRAP_COUNT) return "unknown trap";
    return w_trap_message((w_trap)t);
}

const char *ward_error_name(ward_error_code code)
{
    return w_err_name((w_errcode)code);
}

const char *ward_error_description(ward_error_code code)
{
    return w_err_description((w_errcode)code);
}

ward_error_category ward_error_category_of(ward_error_code code)
{
    return (ward_error_category)w_err_category((w_errcode)code);
}

const char *ward_error_category_text(ward_error_category category)
{
    return w_err_category_text((w_errcat)category);
}

/* Describes the trap (or exit) recorded in ex. */
static ward_status api_fill_trap(ward_result *res, const w_exec *ex, w_trap trap)
{
    if (trap == W_TRAP_EXIT) {
        res->status = WARD_EXIT;
        res->exit_code = ex->exit_code;
        snprintf(res->message, sizeof res->message, "exit with code %d", ex->exit_code);
        return WARD_EXIT;
    }
    res->status = WARD_TRAP;
    /* Every trap but EXIT (handled above) is public, with the same value;
     * a value out of range would be a bug, reported as a host failure. */
    res->trap = trap < W_TRAP_PUBLIC_COUNT_ ? (ward_trap_code)trap : WARD_TRAP_HOST;
    if (trap == W_TRAP_HOST && ex->trap_msg[0])
        snprintf(res->message, sizeof res->message, "%s", ex->trap_msg);
    else if (ex->trap_msg[0] && (trap == W_TRAP_ACCESS_DENIED || trap == W_TRAP_TAG_MISMATCH ||
                                 trap == W_TRAP_PTR_AUTH || trap == W_TRAP_SEGMENT))
        snprintf(res->message, sizeof res->message, "%s: %s", w_trap_message(trap), ex->trap_msg);
    else
        snprintf(res->message, sizeof res->message, "%s", w_trap_message(trap));
    uint32_t n = ex->nbt;
    if (n > W_MAX_BACKTRACE) n = W_MAX_BACKTRACE;
    if (n > WARD_MAX_FRAMES) n = WARD_MAX_FRAMES;
    res->nframes = 0;
    for (uint32_t i = 0; i < n; i++) {
        const w_func *fn = ex->bt[i].fn;
        ward_frame *fr = &res->frames[res->nframes];
        if (!fn) continue;
        fr->func_index = fn->code ? fn->code->func_index : fn->index;
        fr->func_name = fn->inst ? w_module_func_name(fn->inst->module, fr->func_index) : NULL;
        /* Caller frames record the return address, the word after their CALL:
         * look up the word before it so the offset names the call itself. */
        uint32_t pc = ex->bt[i].pc;
        if (i > 0 && pc > 0) pc--;
        fr->module_offset = fn->code ? cmp_src_offset(fn->code, pc) : 0;
        res->nframes++;
    }
    return WARD_TRAP;
}

/* Entering and leaving embedder-level calls: the outermost one owns the
 * deadline registration and resets the interrupt flag when it ends.
 * Host functions may call back into the store, nesting these calls in C:
 * each one must find VM_STACK_RESERVE bytes of native stack left (exec.h),
 * as vm_call does, since instantiation can run a host start function and
 * compile code without passing through vm_call. */
static bool api_enter(ward_store *s, ward_result *res)
{
    w_exec *ex = &s->w.exec;
    if (plat_stack_left() < VM_STACK_RESERVE) {
        api_result_clear(res);
        res->status = WARD_TRAP;
        res->trap = WARD_TRAP_CALL_STACK_EXHAUSTED;
        snprintf(res->message, sizeof res->message, "%s", w_trap_message(W_TRAP_STACK_EXHAUSTED));
        return false;
    }
    if (s->depth++ > 0) return true;
    /* An interrupt requested while idle stays pending for this call. */
    if (s->deadline) {
        if (plat_now_ns() >= s->deadline) {
            int none = 0;
            atomic_compare_exchange_strong_explicit(&ex->interrupt, &none, (int)W_TRAP_TIMEOUT,
                                                    memory_order_release, memory_order_relaxed);
        } else if (!plat_watch_add(&s->watch, s->deadline, &ex->interrupt, (int)W_TRAP_TIMEOUT)) {
            s->depth--;
            api_error(res, W_ERR_HOST_RESOURCE,
                      "cannot start the watchdog thread for the deadline");
            return false;
        }
    }
    return true;
}

static void api_leave(ward_store *s)
{
    if (--s->depth > 0) return;
    plat_watch_remove(&s->watch);
    atomic_store_explicit(&s->w.exec.interrupt, 0, memory_order_relaxed);
}

/* Runs fn with its arguments in slots (results come back in place). */
static w_trap api_invoke(w_exec *ex, w_func *fn, uint64_t *slots)
{
    ex->nbt = 0;
    ex->trap_msg[0] = '\0';
    return vm_call(ex, fn, slots);
}

/* ---- modules ---------------------------------------------------------------------- */

/* Decodes and compiles, giving up when *stop becomes nonzero. */
static ward_module *api_module_new(const uint8_t *bytes, size_t len, uint32_t features,
                                   const atomic_int *stop, ward_error *err)
{
    w_err e;
    memset(&e, 0, sizeof e);
    if (!bytes && len) {
        w_fail_nooff(&e, W_ERR_INVALID_ARGUMENT, "no module bytes");
        api_copy_err(err, &e);
        return NULL;
    }
    static const uint8_t empty[1];
    uint32_t known = WARD_FEATURE_ALL | WARD_FEATURE_MEM_SAFETY | WARD_FEATURE_PTR_AUTH;
    w_module *m = dec_module_decode(bytes ? bytes : empty, len, features & known, stop, &e);
    if (!m) {
        api_copy_err(err, &e);
        return NULL;
    }
    if (!cmp_compile_module(m, stop, &e)) {
        cmp_free_module_code(m);
        m->code = NULL;
        dec_module_free(m);
        api_copy_err(err, &e);
        return NULL;
    }
    m->refcount = 1;
    if (err) {
        err->code = WARD_ERROR_NONE;
        err->message[0] = '\0';
        err->has_offset = false;
        err->offset = 0;
    }
    return (ward_module *)m;
}

ward_module *ward_module_new(const uint8_t *bytes, size_t len, uint32_t features, ward_error *err)
{
    return api_module_new(bytes, len, features, NULL, err);
}

ward_module *ward_module_new_in(ward_store *s, const uint8_t *bytes, size_t len, uint32_t features,
                                ward_error *err)
{
    ward_result res;
    ward_error local;
    if (!err) err = &local;
    if (!s) return api_module_new(bytes, len, features, NULL, err);
    /* Loading runs like a call: the outermost one arms the deadline. */
    if (!api_enter(s, &res)) {
        snprintf(err->message, sizeof err->message, "%s", res.message);
        err->has_offset = false;
        err->offset = 0;
        return NULL;
    }
    w_exec *ex = &s->w.exec;
    ward_module *m = api_module_new(bytes, len, features, &ex->interrupt, err);
    int stop = atomic_load_explicit(&ex->interrupt, memory_order_acquire);
    if (!m && stop) {
        snprintf(err->message, sizeof err->message, "%s while loading",
                 w_trap_message((w_trap)stop));
        err->has_offset = false;
        err->offset = 0;
    }
    api_leave(s);
    return m;
}

void ward_module_free(ward_module *m)
{
    rt_module_release((w_module *)m);
}

size_t ward_module_export_count(const ward_module *m)
{
    return ((const w_module *)m)->nexports;
}

const char *ward_module_export_name(const ward_module *m, size_t i, ward_extern_kind *kind)
{
    const w_module *wm = (const w_module *)m;
    if (i >= wm->nexports) return NULL;
    if (kind) *kind = (ward_extern_kind)wm->exports[i].kind;
    return wm->exports[i].name;
}

size_t ward_module_import_count(const ward_module *m)
{
    return ((const w_module *)m)->nimports;
}

const char *ward_module_import_name(const ward_module *m, size_t i, const char **module,
                                    ward_extern_kind *kind)
{
    const w_module *wm = (const w_module *)m;
    if (i >= wm->nimports) return NULL;
    if (module) *module = wm->imports[i].module;
    if (kind) *kind = (ward_extern_kind)wm->imports[i].kind;
    return wm->imports[i].name;
}

bool ward_module_start(const ward_module *m, uint32_t *func_index)
{
    const w_module *wm = (const w_module *)m;
    if (!wm || !wm->has_start) return false;
    if (func_index) *func_index = wm->start;
    return true;
}

/* ---- stores ------------------------------------------------------------------------- */

ward_store *ward_store_new(const ward_store_config *cfg)
{
    ward_store_config c;
    memset(&c, 0, sizeof c);
    if (cfg) c = *cfg;
    size_t stack_bytes = c.max_stack_bytes ? c.max_stack_bytes : API_DEFAULT_STACK;
    size_t slots = stack_bytes / sizeof(uint64_t);
    if (slots < 64) slots = 64;
    uint32_t depth = c.max_call_depth ? c.max_call_depth : API_DEFAULT_DEPTH;
    w_limits_cfg lim;
    memset(&lim, 0, sizeof lim);
    lim.max_memory_bytes = c.max_memory_bytes;
    lim.paged_no_span = c.memory_mode == WARD_MEMORY_PAGED_TABLES;
    /* A single memory may always reach max_memory_bytes, whatever the
     * default sum says. */
    uint64_t inst_default = WARD_DEFAULT_INSTANCE_MEMORY;
    if (c.max_memory_bytes > inst_default) inst_default = c.max_memory_bytes;
    lim.instance_mem = c.max_instance_memory_bytes ? c.max_instance_memory_bytes : inst_default;
    lim.instance_vm =
        c.max_instance_reserve_bytes ? c.max_instance_reserve_bytes : WARD_DEFAULT_INSTANCE_RESERVE;
    lim.store_mem = c.max_store_memory_bytes ? c.max_store_memory_bytes : UINT64_MAX;
    lim.store_vm = c.max_store_reserve_bytes ? c.max_store_reserve_bytes : UINT64_MAX;
    lim.mem_tagged = c.mem_safety;
    lim.ptr_auth = c.ptr_auth;
    lim.clone_new_key = c.clone_key == WARD_CLONE_KEY_NEW;

    ward_store *s = w_calloc(1, sizeof *s);
    if (!s) return NULL;
    if (!rt_store_init(&s->w, slots, depth, &lim)) {
        w_free(s);
        return NULL;
    }
    s->mem_mode = c.memory_mode == WARD_MEMORY_FLAT ? W_MEM_FLAT : W_MEM_PAGED;
    s->w.exec.tier_native = c.tier == WARD_TIER_NATIVE;
    return s;
}

void ward_native_install(const ward_native_backend *b)
{
    nat_install((const w_native_backend *)(const void *)b);
}

bool ward_native_loader_init(void)
{
    return nat_guard_install();
}

/* The memory mode s was configured with, as ward_memory_mode. */
static ward_memory_mode api_store_mode(const ward_store *s)
{
    return s->mem_mode == W_MEM_FLAT   ? WARD_MEMORY_FLAT
           : s->w.limits.paged_no_span ? WARD_MEMORY_PAGED_TABLES
                                       : WARD_MEMORY_PAGED;
}

/* The memory modes (W_MEM_*) of the codeset rt_build picks for m's
 * memories in a store of this configuration (an imported memory is
 * assumed to be of the same mode); w_calloc'd, NULL if out of memory. */
static uint8_t *api_modes(const w_module *m, ward_memory_mode memory_mode, bool mem_safety)
{
    uint8_t *modes = w_calloc(m->nmems ? m->nmems : 1, 1);
    for (uint32_t i = 0; modes && i < m->nmems; i++)
        modes[i] = mem_safety                        ? (uint8_t)W_MEM_TAGGED
                   : memory_mode == WARD_MEMORY_FLAT ? (uint8_t)W_MEM_FLAT
                                                     : (uint8_t)W_MEM_PAGED;
    return modes;
}

/* Attaches obj to m's codeset for memories of mode memory_mode. */
static bool api_native_attach(w_module *m, ward_memory_mode memory_mode, bool mem_safety,
                              const uint8_t *obj, size_t len, uint32_t *ncompiled, char *err,
                              size_t errlen)
{
    uint32_t nc = 0;
    uint8_t *modes = api_modes(m, memory_mode, mem_safety);
    if (!modes) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    w_compile_cfg cfg = {m->nmems, modes};
    w_err werr;
    memset(&werr, 0, sizeof werr);
    const w_codeset *cs = cmp_codeset_for(m, &cfg, NULL, &werr);
    w_free(modes);
    if (!cs) {
        snprintf(err, errlen, "%s", werr.msg);
        return false;
    }
    if (!nat_elf_attach(cs, obj, len, &nc, err, errlen)) return false;
    if (ncompiled) *ncompiled = nc;
    return true;
}

bool ward_module_native_load(ward_module *mod, ward_memory_mode memory_mode, bool mem_safety,
                             const uint8_t *obj, size_t len, uint32_t *ncompiled, char *err,
                             size_t errlen)
{
    return api_native_attach((w_module *)mod, memory_mode, mem_safety, obj, len, ncompiled, err,
                             errlen);
}

bool ward_is_artifact(const uint8_t *bytes, size_t len)
{
    return bytes && art_is(bytes, len);
}

ward_module *ward_module_new_artifact(ward_store *s, const uint8_t *a, size_t len, int opt_level,
                                      uint32_t *ncompiled, ward_error *err)
{
    ward_error local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    if (!s || !a) {
        err->code = WARD_ERROR_INVALID_ARGUMENT;
        snprintf(err->message, sizeof err->message, "no %s", s ? "artifact bytes" : "store");
        return NULL;
    }
    w_artifact art;
    char msg[sizeof err->message - 16]; /* room for "artifact: " */
    bool tagged = s->w.limits.mem_tagged;
    ward_memory_mode mode = api_store_mode(s);
    bool ok = art_read(a, len, (int)mode, tagged, &art, msg, sizeof msg);
    if (ok && opt_level >= 0 && art.opt_level != (uint32_t)opt_level) {
        snprintf(msg, sizeof msg,
                 "artifact built with optimisation level %u, this run asks for %d: recompile it",
                 art.opt_level, opt_level);
        ok = false;
    }
    if (!ok) {
        err->code = WARD_ERROR_INVALID_ARGUMENT;
        snprintf(err->message, sizeof err->message, "%s", msg);
        return NULL;
    }
    ward_module *m = ward_module_new_in(s, art.wasm, art.wasm_len, art.features, err);
    if (!m) return NULL;
    if (!api_native_attach((w_module *)m, mode, tagged, art.obj, art.obj_len, ncompiled, msg,
                           sizeof msg)) {
        ward_module_free(m);
        err->code = WARD_ERROR_INVALID_ARGUMENT;
        snprintf(err->message, sizeof err->message, "artifact: %s", msg);
        return NULL;
    }
    return m;
}

ward_module *ward_module_new_cached(ward_store *s, const uint8_t *wasm, size_t len,
                                    uint32_t features, const char *dir, int opt_level,
                                    uint32_t *ncompiled, bool *hit, ward_error *err)
{
    ward_error local;
    if (!err) err = &local;
    if (hit) *hit = false;
    if (ncompiled) *ncompiled = 0;
    if (!s || !wasm) {
        memset(err, 0, sizeof *err);
        err->code = WARD_ERROR_INVALID_ARGUMENT;
        snprintf(err->message, sizeof err->message, "no %s", s ? "module bytes" : "store");
        return NULL;
    }
    ward_module *m = ward_module_new_in(s, wasm, len, features, err);
    if (!m || !dir || opt_level < 0) return m;
    w_module *wm = (w_module *)m;
    bool tagged = s->w.limits.mem_tagged;
    ward_memory_mode mode = api_store_mode(s);
    uint8_t *modes = api_modes(wm, mode, tagged), *a = NULL;
    char msg[200];
    w_artifact art;
    /* The same checks as an artifact's, and its Wasm must be this one. A
     * damaged entry, or one that does not load, is left to whoever
     * compiles the module next (it replaces it). */
    bool found = modes && nat_guard_install() &&
                 art_cache_find(dir, wasm, len, modes, wm->nmems, (uint32_t)opt_level, &a, &art);
    w_free(modes);
    if (found &&
        api_native_attach(wm, mode, tagged, art.obj, art.obj_len, ncompiled, msg, sizeof msg) &&
        hit)
        *hit = true;
    w_free(a);
    return m;
}

void ward_store_free(ward_store *s)
{
    if (!s) return;
    plat_watch_remove(&s->watch);
    rt_store_free(&s->w);
    w_free(s);
}

void ward_store_set_fuel(ward_store *s, int64_t fuel)
{
    s->w.exec.fuel_on = fuel >= 0;
    s->w.exec.fuel = fuel >= 0 ? fuel : 0;
}

int64_t ward_store_get_fuel(const ward_store *s)
{
    if (!s->w.exec.fuel_on) return -1;
    return s->w.exec.fuel > 0 ? s->w.exec.fuel : 0;
}

void ward_store_set_timeout(ward_store *s, uint64_t timeout_ns)
{
    if (timeout_ns == 0) {
        s->deadline = s->w.exec.deadline = 0;
        return;
    }
    uint64_t now = plat_now_ns();
    s->deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
    s->w.exec.deadline = s->deadline;
}

void ward_store_set_tier(ward_store *s, ward_tier tier)
{
    s->w.exec.tier_native = tier == WARD_TIER_NATIVE;
}

/* A lock-free atomic is what makes this safe from a signal handler. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "ward_store_interrupt needs a lock-free atomic_int");

bool ward_store_charge(ward_store *s, uint64_t bytes)
{
    return s && w_budget_charge(&s->w.budget, bytes, 0, NULL);
}

void ward_store_uncharge(ward_store *s, uint64_t bytes)
{
    if (s) w_budget_release(&s->w.budget, bytes, 0);
}

uint64_t ward_store_refusals(const ward_store *s)
{
    return s ? s->w.budget.refused : 0;
}

void ward_store_interrupt(ward_store *s)
{
    /* The trap code is the flag (exec.h): one release store, unless a stop
     * is already pending (a deadline that just passed keeps its code). */
    int none = 0;
    atomic_compare_exchange_strong_explicit(&s->w.exec.interrupt, &none, (int)W_TRAP_INTERRUPTED,
                                            memory_order_release, memory_order_relaxed);
}

void ward_store_set_data(ward_store *s, void *data)
{
    if (s) s->data = data;
}

void *ward_store_data(const ward_store *s)
{
    return s ? s->data : NULL;
}

/* ---- host functions ------------------------------------------------------------------- */

#define API_SMALL_VALS 16

static w_trap api_host_trampoline(w_exec *ex, void *data, uint64_t *slots)
{
    api_host *h = data;
    const w_functype *t = h->type;
    ward_val small_args[API_SMALL_VALS], small_res[API_SMALL_VALS];
    ward_val *args = small_args, *res = small_res;
    w_trap trap = W_TRAP_OK;

    if (t->nparams > API_SMALL_VALS) args = w_calloc(t->nparams, sizeof *args);
    if (t->nresults > API_SMALL_VALS) res = w_calloc(t->nresults, sizeof *res);
    if (!args || !res) {
        trap = W_TRAP_OOM;
        goto out;
    }
    for (uint32_t i = 0, k = 0; i < t->nparams; k += w_slots_of(t->params[i]), i++)
        args[i] = api_slots_to_val(t->params[i], &slots[k]);
    for (uint32_t i = 0; i < t->nresults; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].kind = (ward_valkind)t->results[i];
    }

    /* The store the call runs in, which for a clone in another store than
     * its template's is not the one h was created in. */
    ward_caller c = {ex, api_store_of(ex), API_OUT_NONE, W_TRAP_HOST};
    int rc = h->fn(&c, h->data, args, res);
    if (rc == 0 && c.outcome == API_OUT_NONE) {
        for (uint32_t i = 0, k = 0; i < t->nresults; k += w_slots_of(t->results[i]), i++) {
            /* The kind is the function's, whatever the host left in it. */
            res[i].kind = (ward_valkind)t->results[i];
            api_val_to_slots(&res[i], &slots[k]);
        }
    } else if (c.outcome == API_OUT_EXIT) {
        trap = W_TRAP_EXIT;
    } else if (c.outcome == API_OUT_TRAP) {
        trap = c.trap;
    } else {
        snprintf(ex->trap_msg, sizeof ex->trap_msg, "host function failed (returned %d)", rc);
        trap = W_TRAP_HOST;
    }
out:
    if (args != small_args) w_free(args);
    if (res != small_res) w_free(res);
    return trap;
}

static void api_host_free(void *p)
{
    api_host *h = p;
    if (h->data_free) h->data_free(h->data);
    w_free(h);
}

ward_func *ward_func_new(ward_store *s, const ward_valkind *params, size_t nparams,
                         const ward_valkind *results, size_t nresults, ward_host_fn fn, void *data,
                         void (*data_free)(void *))
{
    w_valtype *p = NULL, *r = NULL;
    w_func *f = NULL;
    api_host *h = NULL;
    w_err e;
    if (!s || !fn || nparams > W_MAX_PARAMS || nresults > W_MAX_RESULTS) goto out;
    if ((nparams && !params) || (nresults && !results)) goto out;
    p = w_malloc(nparams);
    r = w_malloc(nresults);
    h = w_calloc(1, sizeof *h);
    if (!p || !r || !h) goto out;
    for (size_t i = 0; i < nparams; i++) {
        if (!api_kind_valid(params[i])) goto out;
        p[i] = (w_valtype)params[i];
    }
    for (size_t i = 0; i < nresults; i++) {
        if (!api_kind_valid(results[i])) goto out;
        r[i] = (w_valtype)results[i];
    }
    h->fn = fn;
    h->data = data;
    h->data_free = data_free;
    h->store = s;
    f = rt_func_new_host(&s->w, p, (uint32_t)nparams, r, (uint32_t)nresults, api_host_trampoline, h,
                         api_host_free, &e);
    if (f) {
        h->type = f->type;
        h = NULL; /* the store owns it now */
    }
out:
    w_free(p);
    w_free(r);
    w_free(h);
    return (ward_func *)f;
}

ward_instance *ward_caller_instance(ward_caller *c)
{
    return (ward_instance *)c->ex->caller;
}

ward_memory *ward_caller_memory(ward_caller *c)
{
    w_instance *inst = c->ex->caller;
    if (!inst || inst->module->nmems == 0) return NULL;
    return (ward_memory *)inst->mems[0];
}

ward_store *ward_caller_store(ward_caller *c)
{
    return c->store ? c->store : api_store_of(c->ex);
}

int ward_caller_trap(ward_caller *c, const char *message)
{
    snprintf(c->ex->trap_msg, sizeof c->ex->trap_msg, "%s",
             message && message[0] ? message : w_trap_message(W_TRAP_HOST));
    c->outcome = API_OUT_TRAP;
    c->trap = W_TRAP_HOST;
    return -1;
}

int ward_caller_trap_code(ward_caller *c, ward_trap_code code)
{
    w_trap t = api_w_trap(code);
    if (t == W_TRAP_OK || t == W_TRAP_HOST || t == W_TRAP_COUNT_) return ward_caller_trap(c, NULL);
    c->ex->trap_msg[0] = '\0'; /* the code's own text */
    c->outcome = API_OUT_TRAP;
    c->trap = t;
    return -1;
}

int ward_caller_exit(ward_caller *c, int code)
{
    c->ex->exit_code = code;
    c->outcome = API_OUT_EXIT;
    return -2;
}

/* ---- linker: open addressing on (module, name) ---------------------------------------------- */

typedef struct api_link {
    char *module, *name; /* NULL module = empty slot */
    size_t mlen, nlen;
    uint64_t hash;
    ward_extern ext;
} api_link;

struct ward_linker {
    api_link *slots;
    size_t cap, count; /* cap is 0 or a power of two */
};

static uint64_t api_hash(const char *mod, size_t mlen, const char *name, size_t nlen)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a; 0xff separates the two parts */
    for (size_t i = 0; i < mlen; i++)
        h = (h ^ (uint8_t)mod[i]) * 1099511628211ull;
    h = (h ^ 0xffu) * 1099511628211ull;
    for (size_t i = 0; i < nlen; i++)
        h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
    return h;
}

static api_link *api_link_find(const ward_linker *l, const char *mod, size_t mlen, const char *name,
                               size_t nlen, uint64_t h)
{
    if (!l->cap) return NULL;
    for (size_t i = h & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
        api_link *e = &l->slots[i];
        if (!e->module) return e; /* the empty slot where it would go */
        if (e->hash == h && e->mlen == mlen && e->nlen == nlen && !memcmp(e->module, mod, mlen) &&
            !memcmp(e->name, name, nlen))
            return e;
    }
}

static bool api_link_grow(ward_linker *l)
{
    size_t cap = l->cap ? l->cap * 2 : 32;
    api_link *slots = w_calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < l->cap; i++) {
        api_link *e = &l->slots[i];
        if (!e->module) continue;
        size_t j = e->hash & (cap - 1);
        while (slots[j].module)
            j = (j + 1) & (cap - 1);
        slots[j] = *e;
    }
    w_free(l->slots);
    l->slots = slots;
    l->cap = cap;
    return true;
}

ward_linker *ward_linker_new(void)
{
    return w_calloc(1, sizeof(ward_linker));
}

void ward_linker_free(ward_linker *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->cap; i++) {
        w_free(l->slots[i].module);
        w_free(l->slots[i].name);
    }
    w_free(l->slots);
    w_free(l);
}

static bool api_linker_put(ward_linker *l, const char *mod, size_t mlen, const char *name,
                           size_t nlen, ward_extern ext)
{
    uint64_t h = api_hash(mod, mlen, name, nlen);
    /* Keep the load below 3/4 so probes stay short and always end. */
    if ((l->count + 1) * 4 > l->cap * 3 && !api_link_grow(l)) return false;
    api_link *e = api_link_find(l, mod, mlen, name, nlen, h);
    if (e->module) {
        e->ext = ext;
        return true;
    }
    char *mc = w_strndup(mod, mlen), *nc = w_strndup(name, nlen);
    if (!mc || !nc) {
        w_free(mc);
        w_free(nc);
        return false;
    }
    e->module = mc;
    e->name = nc;
    e->mlen = mlen;
    e->nlen = nlen;
    e->hash = h;
    e->ext = ext;
    l->count++;
    return true;
}

bool ward_linker_define(ward_linker *l, const char *module, const char *name, ward_extern ext)
{
    if (!l || !module || !name) return false;
    return api_linker_put(l, module, strlen(module), name, strlen(name), ext);
}

static bool api_export_extern(const w_instance *inst, const w_export *ex, ward_extern *out)
{
    out->kind = (ward_extern_kind)ex->kind;
    switch (ex->kind) {
    case W_EXT_FUNC: out->of.func = (ward_func *)inst->funcs[ex->index]; return true;
    case W_EXT_TABLE: out->of.table = (ward_table *)inst->tables[ex->index]; return true;
    case W_EXT_MEMORY: out->of.memory = (ward_memory *)inst->mems[ex->index]; return true;
    case W_EXT_GLOBAL: out->of.global = (ward_global *)inst->globals[ex->index]; return true;
    default: return false;
    }
}

bool ward_linker_define_instance(ward_linker *l, const char *module, ward_instance *inst)
{
    const w_instance *wi = (const w_instance *)inst;
    if (!l || !module || !wi) return false;
    size_t mlen = strlen(module);
    for (uint32_t i = 0; i < wi->module->nexports; i++) {
        const w_export *ex = &wi->module->exports[i];
        ward_extern ext;
        if (!api_export_extern(wi, ex, &ext)) continue;
        if (!api_linker_put(l, module, mlen, ex->name, ex->name_len, ext)) return false;
    }
    return true;
}

/* ---- instances --------------------------------------------------------------------------- */

static void *api_extern_obj(const ward_extern *e)
{
    switch (e->kind) {
    case WARD_EXTERN_FUNC: return e->of.func;
    case WARD_EXTERN_TABLE: return e->of.table;
    case WARD_EXTERN_MEMORY: return e->of.memory;
    case WARD_EXTERN_GLOBAL: return e->of.global;
    default: return NULL;
    }
}

ward_instance *ward_instance_new(ward_store *s, ward_module *m, const ward_linker *l,
                                 ward_result *res)
{
    ward_result local;
    w_module *wm = (w_module *)m;
    w_extern *imports = NULL;
    w_instance *inst = NULL;
    w_err e;
    w_trap trap = W_TRAP_OK;
    if (!res) res = &local;
    api_result_clear(res);
    memset(&e, 0, sizeof e);
    if (!s || !wm) {
        api_error(res, W_ERR_INVALID_ARGUMENT, "no store or module");
        goto out;
    }
    imports = w_calloc(wm->nimports, sizeof *imports);
    if (!imports) {
        api_error(res, W_ERR_OUT_OF_MEMORY, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < wm->nimports; i++) {
        const w_import *imp = &wm->imports[i];
        const api_link *ln = NULL;
        if (l) {
            ln = api_link_find(l, imp->module, imp->module_len, imp->name, imp->name_len,
                               api_hash(imp->module, imp->module_len, imp->name, imp->name_len));
        }
        if (ln && ln->module) {
            imports[i].kind = (uint8_t)ln->ext.kind;
            imports[i].obj = api_extern_obj(&ln->ext);
        }
    }
    if (!api_enter(s, res)) goto out;
    inst = rt_instantiate(&s->w, wm, imports, s->mem_mode, &e, &trap);
    if (!inst) {
        /* Compiling for the memories' access paths stops on the deadline
         * too: report that as the trap it is. */
        if (trap == W_TRAP_OK) {
            int stop = atomic_exchange_explicit(&s->w.exec.interrupt, 0, memory_order_acquire);
            if (stop) {
                trap = (w_trap)stop;
                s->w.exec.nbt = 0;
            }
        }
        if (trap == W_TRAP_OK) {
            api_error_from(res, &e);
        } else if (api_fill_trap(res, &s->w.exec, trap) == WARD_TRAP && e.msg[0]) {
            /* An active segment did not fit: the runtime says which. */
            res->segment_trap = true;
            snprintf(res->message, sizeof res->message, "%s: %s", w_trap_message(trap), e.msg);
        }
    }
    api_leave(s);
out:
    w_free(imports);
    return (ward_instance *)inst;
}

bool ward_instance_export(ward_instance *inst, const char *name, ward_extern *out)
{
    if (!name) return false;
    return ward_instance_export_n(inst, name, strlen(name), out);
}

bool ward_instance_export_n(ward_instance *inst, const char *name, size_t n, ward_extern *out)
{
    const w_instance *wi = (const w_instance *)inst;
    if (!wi || !name) return false;
    for (uint32_t i = 0; i < wi->module->nexports; i++) {
        const w_export *ex = &wi->module->exports[i];
        if (ex->name_len == n && !memcmp(ex->name, name, n)) {
            ward_extern tmp;
            if (!api_export_extern(wi, ex, &tmp)) return false;
            if (out) *out = tmp;
            return true;
        }
    }
    return false;
}

ward_func *ward_instance_func(ward_instance *inst, const char *name)
{
    ward_extern e;
    if (!ward_instance_export(inst, name, &e) || e.kind != WARD_EXTERN_FUNC) return NULL;
    return e.of.func;
}

ward_memory *ward_instance_memory(ward_instance *inst, const char *name)
{
    ward_extern e;
    if (!ward_instance_export(inst, name, &e) || e.kind != WARD_EXTERN_MEMORY) return NULL;
    return e.of.memory;
}

ward_module *ward_instance_module(ward_instance *inst)
{
    return (ward_module *)((w_instance *)inst)->module;
}

/* ---- calls -------------------------------------------------------------------------------- */

size_t ward_func_param_count(const ward_func *f)
{
    return ((const w_func *)f)->type->nparams;
}
size_t ward_func_result_count(const ward_func *f)
{
    return ((const w_func *)f)->type->nresults;
}

ward_valkind ward_func_param_kind(const ward_func *f, size_t i)
{
    const w_functype *t = ((const w_func *)f)->type;
    return i < t->nparams ? (ward_valkind)t->params[i] : (ward_valkind)0;
}

ward_valkind ward_func_result_kind(const ward_func *f, size_t i)
{
    const w_functype *t = ((const w_func *)f)->type;
    return i < t->nresults ? (ward_valkind)t->results[i] : (ward_valkind)0;
}

#define API_SMALL_SLOTS 32

ward_status ward_func_call(ward_store *s, ward_func *f, const ward_val *args, size_t nargs,
                           ward_val *results, size_t nresults, ward_result *res)
{
    ward_result local;
    w_func *fn = (w_func *)f;
    uint64_t small[API_SMALL_SLOTS];
    uint64_t *slots = small;
    ward_status st;
    if (!res) res = &local;
    api_result_clear(res);
    if (!s || !fn) return api_error(res, W_ERR_INVALID_ARGUMENT, "no store or function");
    const w_functype *t = fn->type;
    if (fn->inst && fn->inst->store != &s->w)
        return api_error(res, W_ERR_INVALID_ARGUMENT, "function belongs to another store");
    if (fn->inst && fn->inst->sealed)
        return api_error(res, W_ERR_INVALID_ARGUMENT,
                         "the function's instance is sealed (a template: call its clones)");
    if (nargs != t->nparams)
        return api_error(res, W_ERR_INVALID_ARGUMENT, "expected %u arguments, got %zu", t->nparams,
                         nargs);
    if (nargs && !args) return api_error(res, W_ERR_INVALID_ARGUMENT, "no arguments given");
    for (size_t i = 0; i < nargs; i++) {
        if ((int)args[i].kind != t->params[i])
            return api_error(res, W_ERR_INVALID_ARGUMENT, "argument %zu: expected %s, got %s", i,
                             api_kind_name(t->params[i]), api_kind_name((uint8_t)args[i].kind));
    }
    if (nresults < t->nresults || (t->nresults && !results))
        return api_error(res, W_ERR_INVALID_ARGUMENT,
                         "room for %zu results, the function returns %u", nresults, t->nresults);

    size_t nslots = t->param_slots > t->result_slots ? t->param_slots : t->result_slots;
    if (nslots > API_SMALL_SLOTS) {
        slots = w_calloc(nslots, sizeof *slots);
        if (!slots) return api_error(res, W_ERR_OUT_OF_MEMORY, "out of memory");
    } else {
        memset(small, 0, sizeof small);
    }
    for (size_t i = 0, k = 0; i < nargs; k += w_slots_of(t->params[i]), i++)
        api_val_to_slots(&args[i], &slots[k]);

    if (!api_enter(s, res)) {
        st = res->status;
        goto out;
    }
    w_trap trap = api_invoke(&s->w.exec, fn, slots);
    api_leave(s);

    if (trap == W_TRAP_OK) {
        for (size_t i = 0, k = 0; i < t->nresults; k += w_slots_of(t->results[i]), i++)
            results[i] = api_slots_to_val(t->results[i], &slots[k]);
        st = WARD_OK;
    } else {
        st = api_fill_trap(res, &s->w.exec, trap);
    }
out:
    if (slots != small) w_free(slots);
    return st;
}

/* ---- memory ------------------------------------------------------------------------------- */

uint64_t ward_memory_size(const ward_memory *m)
{
    return ((const w_memory *)m)->size;
}
uint64_t ward_memory_pages(const ward_memory *m)
{
    return ((const w_memory *)m)->pages;
}
bool ward_memory_is64(const ward_memory *m)
{
    return ((const w_memory *)m)->is64;
}

int64_t ward_memory_grow(ward_memory *m, uint64_t delta)
{
    return mem_grow((w_memory *)m, delta);
}

bool ward_memory_read(const ward_memory *m, uint64_t addr, void *dst, size_t len)
{
    if (!m || (len && !dst)) return false;
    return mem_read((const w_memory *)m, addr, dst, len);
}

bool ward_memory_write(ward_memory *m, uint64_t addr, const void *src, size_t len)
{
    if (!m || (len && !src)) return false;
    return mem_write((w_memory *)m, addr, src, len);
}

void *ward_memory_span(ward_memory *m, uint64_t addr, size_t len, bool writable, size_t *avail)
{
    if (!m) {
        if (avail) *avail = 0;
        return NULL;
    }
    return mem_span((w_memory *)m, addr, len, writable, avail);
}

/* ---- memory: tags ---------------------------------------------------------------------------- */

bool ward_memory_is_tagged(const ward_memory *m)
{
    return m && ((const w_memory *)m)->tagged;
}

int ward_memory_tag_get(const ward_memory *m, uint64_t addr)
{
    return m ? tag_lookup((const w_memory *)m, addr) : -1;
}

bool ward_memory_tag_set(ward_memory *m, uint64_t addr, uint64_t len, unsigned tag)
{
    w_memory *w = (w_memory *)m;
    return w && tag_set_range(w, mem_addr_strip(w, addr), len, tag);
}

uint64_t ward_memory_tag_addr(const ward_memory *m, uint64_t addr, unsigned tag)
{
    const w_memory *w = (const w_memory *)m;
    if (!w || !w->tagged) return addr;
    return mem_addr_strip(w, addr) | (uint64_t)(tag & 15) << w->tag_shift;
}

/* ---- tables and globals --------------------------------------------------------------------- */

ward_global *ward_global_new(ward_store *s, ward_val init, bool mut)
{
    w_err e;
    uint64_t v[2] = {0, 0};
    if (!s || !api_kind_valid(init.kind)) return NULL;
    api_val_to_slots(&init, v);
    return (ward_global *)rt_global_new(&s->w, (w_valtype)init.kind, mut, v, &e);
}

ward_val ward_global_get(const ward_global *g)
{
    const w_globalinst *wg = (const w_globalinst *)g;
    return api_slots_to_val(wg->type, wg->val);
}

bool ward_global_set(ward_global *g, ward_val v)
{
    w_globalinst *wg = (w_globalinst *)g;
    if (!wg || !wg->mut || (int)v.kind != wg->type) return false;
    uint64_t slots[2] = {0, 0};
    api_val_to_slots(&v, slots);
    wg->val[0] = slots[0];
    wg->val[1] = slots[1];
    return true;
}

ward_table *ward_table_new(ward_store *s, ward_valkind elem, uint32_t min, uint32_t max,
                           bool has_max)
{
    w_err e;
    if (!s || (elem != WARD_FUNCREF && elem != WARD_EXTERNREF) || (has_max && max < min))
        return NULL;
    w_tabletype t;
    memset(&t, 0, sizeof t);
    t.elem = (w_valtype)elem;
    t.lim.min = min;
    t.lim.max = max;
    t.lim.has_max = has_max;
    return (ward_table *)rt_table_new(&s->w, &t, &e);
}

ward_memory *ward_memory_new(ward_store *s, uint64_t min_pages, uint64_t max_pages, bool has_max,
                             bool is64)
{
    w_err e;
    uint64_t cap = is64 ? W_MAX_PAGES64 : W_MAX_PAGES32;
    if (!s || min_pages > cap || (has_max && (max_pages < min_pages || max_pages > cap)))
        return NULL;
    w_memtype t;
    memset(&t, 0, sizeof t);
    t.lim.min = min_pages;
    t.lim.max = max_pages;
    t.lim.has_max = has_max;
    t.lim.is64 = is64;
    return (ward_memory *)rt_memory_new(&s->w, &t, s->mem_mode, &e);
}

/* ---- clones ------------------------------------------------------------------------------------
 */

ward_instance *ward_instance_clone(ward_store *s, ward_instance *tmpl, ward_result *res)
{
    ward_result local;
    w_err e;
    if (!res) res = &local;
    api_result_clear(res);
    if (!s || !tmpl) {
        api_error(res, W_ERR_INVALID_ARGUMENT, "no store or template");
        return NULL;
    }
    w_instance *inst = rt_instance_clone(&s->w, (w_instance *)tmpl, &e);
    if (!inst) api_error_from(res, &e);
    return (ward_instance *)inst;
}

bool ward_instance_seal(ward_store *s, ward_instance *inst)
{
    w_instance *i = (w_instance *)inst;
    if (!s || !i || s->depth || i->store != &s->w) return false;
    rt_instance_seal(i);
    return true;
}

bool ward_instance_free(ward_store *s, ward_instance *inst)
{
    if (!s || !inst || s->depth) return false;
    return rt_instance_drop(&s->w, (w_instance *)inst);
}
