/* runtime.c - stores, the objects they own, import matching, constant
 * expressions and instantiation.
 *
 * Ownership: every object lives in exactly one store and is freed when the
 * store is freed, in reverse order of creation. An instance is a single store
 * object that also owns the functions, tables, memories and globals its
 * module defines (allocated as arrays inside rt_instance), so a failed
 * instantiation leaves nothing dangling: objects of a half-initialised
 * instance may already sit in imported tables (the spec keeps writes done
 * before a trap), and they stay valid until the store goes.
 */
#include <inttypes.h>

#include "mem/paged.h"
#include "platform/platform.h"
#include "runtime/runtime.h"

enum { RT_OBJ_INSTANCE = 1, RT_OBJ_FUNC, RT_OBJ_MEMORY, RT_OBJ_TABLE, RT_OBJ_GLOBAL };

/* The instance plus the storage for what its module defines. pub comes
 * first, so a w_instance * is also an rt_instance *. */
typedef struct rt_instance {
    w_instance pub;
    w_func *own_funcs;         /* module->nfuncdefs */
    w_table *own_tables;       /* ntables - nimported_tables */
    w_memory *own_mems;        /* nmems - nimported_mems */
    w_globalinst *own_globals; /* nglobaldefs */
    w_budget budget;           /* its memories', tables' and state's; parent: the store's */
    uint64_t state_charged;    /* bytes of the arrays above charged to budget */
    void *arrays;              /* one block holding every array above and in pub */
} rt_instance;

/* ---- modules ------------------------------------------------------------------- */

void rt_module_retain(w_module *m)
{
    cmp_module_retain(m);
}

void rt_module_release(w_module *m)
{
    cmp_module_release(m);
}

/* ---- stores ------------------------------------------------------------------------ */

bool rt_store_init(w_store *s, size_t stack_slots, uint32_t max_frames, const w_limits_cfg *lim)
{
    memset(s, 0, sizeof *s);
    if (lim) {
        s->limits = *lim;
    } else {
        s->limits.instance_mem = s->limits.instance_vm = UINT64_MAX;
        s->limits.store_mem = s->limits.store_vm = UINT64_MAX;
    }
    w_budget_init(&s->budget, "store", NULL, s->limits.store_mem, s->limits.store_vm);
    return vm_exec_init(&s->exec, stack_slots, max_frames);
}

static bool rt_store_add(w_store *s, uint8_t kind, void *obj)
{
    if (s->nobjs == s->cap_objs) {
        size_t cap = s->cap_objs ? s->cap_objs * 2 : 16;
        void **objs = w_realloc_array(s->objs, cap, sizeof *objs);
        if (!objs) return false;
        s->objs = objs;
        uint8_t *kinds = w_realloc(s->obj_kinds, cap);
        if (!kinds) return false;
        s->obj_kinds = kinds;
        s->cap_objs = cap;
    }
    s->objs[s->nobjs] = obj;
    s->obj_kinds[s->nobjs] = kind;
    s->nobjs++;
    return true;
}

static void rt_instance_free(rt_instance *ri)
{
    w_instance *inst = &ri->pub;
    w_module *m = inst->module;
    if (m) {
        if (ri->own_mems)
            for (uint32_t i = 0; i < m->nmems - m->nimported_mems; i++)
                mem_release(&ri->own_mems[i]);
        if (ri->own_tables)
            for (uint32_t i = 0; i < m->ntables - m->nimported_tables; i++)
                tbl_release(&ri->own_tables[i]);
        if (inst->elems)
            for (uint32_t i = 0; i < m->nelems; i++)
                w_free(inst->elems[i].refs);
    }
    w_free(ri->arrays);
    w_budget_release(&ri->budget, ri->state_charged, 0);
    rt_module_release(m);
    w_free(ri);
}

static void rt_func_free(w_func *f)
{
    if (f->host_data_free) f->host_data_free(f->host_data);
    w_free(f->owned_type.params);
    w_free(f->owned_type.results);
    w_free(f);
}

static void rt_obj_free(uint8_t kind, void *obj)
{
    switch (kind) {
    case RT_OBJ_INSTANCE: rt_instance_free(obj); break;
    case RT_OBJ_FUNC: rt_func_free(obj); break;
    case RT_OBJ_MEMORY:
        mem_release(obj);
        w_free(obj);
        break;
    case RT_OBJ_TABLE:
        tbl_release(obj);
        w_free(obj);
        break;
    case RT_OBJ_GLOBAL: w_free(obj); break;
    default: break;
    }
}

/* Frees one instance before its store: found from the end (clones are
 * usually the newest objects), its slot emptied, and trailing empty slots
 * dropped so that a store used for clone after clone does not grow. */
bool rt_instance_drop(w_store *s, w_instance *inst)
{
    for (size_t i = s->nobjs; i-- > 0;) {
        if (s->objs[i] != (void *)inst || s->obj_kinds[i] != RT_OBJ_INSTANCE) continue;
        rt_instance_free((rt_instance *)inst);
        s->objs[i] = NULL;
        s->obj_kinds[i] = 0;
        while (s->nobjs && !s->objs[s->nobjs - 1])
            s->nobjs--;
        return true;
    }
    return false;
}

void rt_store_free(w_store *s)
{
    /* Reverse order: later objects may refer to earlier ones (host data
     * that closes over an instance, say), never the other way round. */
    for (size_t i = s->nobjs; i-- > 0;)
        rt_obj_free(s->obj_kinds[i], s->objs[i]);
    w_free(s->objs);
    w_free(s->obj_kinds);
    s->objs = NULL;
    s->obj_kinds = NULL;
    s->nobjs = s->cap_objs = 0;
    vm_exec_free(&s->exec);
}

/* ---- tables ------------------------------------------------------------------------- */

static bool rt_table_init(w_table *t, const w_tabletype *type, const w_limits_cfg *lim,
                          w_budget *budget, w_err *err)
{
    uint64_t cap = lim->max_table_elems ? lim->max_table_elems : W_MAX_TABLE_SIZE;
    uint64_t max = type->lim.has_max && type->lim.max < cap ? type->lim.max : cap;
    return tbl_init(t, type->elem, type->lim.min, max, type->lim.has_max,
                    type->lim.has_max ? type->lim.max : 0, budget, err);
}

static bool rt_memory_init(w_memory *mem, const w_memtype *type, uint8_t mode,
                           const w_limits_cfg *lim, w_budget *budget, w_err *err)
{
    if (lim->mem_tagged && !type->lim.is64 && type->lim.min > W_TAG_MAX_PAGES32)
        return w_fail_nooff(err, W_ERR_MEMORY_LIMIT,
                            "memory of %llu pages is too large for mem-safety: a tagged 32-bit "
                            "memory holds at most 256 MiB (%llu pages; its addresses carry the "
                            "tag in bits 28-31)",
                            (unsigned long long)type->lim.min,
                            (unsigned long long)W_TAG_MAX_PAGES32);
    if (lim->mem_tagged) mode |= W_MEM_INIT_TAGGED;
    if (lim->max_memory_bytes && type->lim.min > lim->max_memory_bytes / W_PAGE_SIZE)
        return w_fail_nooff(
            err, W_ERR_MEMORY_LIMIT, "memory of %llu pages exceeds the store's limit of %llu bytes",
            (unsigned long long)type->lim.min, (unsigned long long)lim->max_memory_bytes);
    if (!mem_init(mem, type->lim.min, type->lim.max, type->lim.has_max, type->lim.is64,
                  lim->max_memory_bytes, mode, budget, err))
        return false;
    if (mem->mode == W_MEM_PAGED && lim->paged_no_span) pg_no_span(mem);
    return true;
}

/* ---- standalone objects --------------------------------------------------------------- */

w_func *rt_func_new_host(w_store *s, const w_valtype *params, uint32_t nparams,
                         const w_valtype *results, uint32_t nresults, w_host_fn fn, void *data,
                         void (*data_free)(void *), w_err *err)
{
    w_func *f = NULL;
    if (nparams > W_MAX_PARAMS || nresults > W_MAX_RESULTS) {
        w_fail_nooff(err, W_ERR_IMPLEMENTATION_LIMIT, "too many parameters or results");
        goto fail;
    }
    f = w_calloc(1, sizeof *f);
    if (!f) goto oom;
    w_functype *t = &f->owned_type;
    t->params = w_malloc(nparams);
    t->results = w_malloc(nresults);
    if (!t->params || !t->results) goto oom;
    for (uint32_t i = 0; i < nparams; i++) {
        t->params[i] = params[i];
        t->param_slots += w_slots_of(params[i]);
    }
    for (uint32_t i = 0; i < nresults; i++) {
        t->results[i] = results[i];
        t->result_slots += w_slots_of(results[i]);
    }
    t->nparams = nparams;
    t->nresults = nresults;
    /* A host type belongs to no module: no canonical index can match it, so
     * type checks against it must compare structurally. */
    t->canon = UINT32_MAX;
    f->type = t;
    f->host = fn;
    f->host_data = data;
    if (!rt_store_add(s, RT_OBJ_FUNC, f)) goto oom;
    /* Only now does the store own data: on failure the caller still does. */
    f->host_data_free = data_free;
    return f;
oom:
    w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
fail:
    if (f) {
        w_free(f->owned_type.params);
        w_free(f->owned_type.results);
        w_free(f);
    }
    return NULL;
}

w_memory *rt_memory_new(w_store *s, const w_memtype *type, uint8_t mode, w_err *err)
{
    w_memory *mem = w_calloc(1, sizeof *mem);
    if (!mem) {
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    if (!rt_memory_init(mem, type, mode, &s->limits, &s->budget, err)) goto fail;
    if (!rt_store_add(s, RT_OBJ_MEMORY, mem)) {
        mem_release(mem);
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    return mem;
fail:
    w_free(mem);
    return NULL;
}

w_table *rt_table_new(w_store *s, const w_tabletype *type, w_err *err)
{
    w_table *t = w_calloc(1, sizeof *t);
    if (!t) {
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    if (!rt_table_init(t, type, &s->limits, &s->budget, err)) goto fail;
    if (!rt_store_add(s, RT_OBJ_TABLE, t)) {
        tbl_release(t);
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    return t;
fail:
    w_free(t);
    return NULL;
}

w_globalinst *rt_global_new(w_store *s, w_valtype type, bool mut, const uint64_t val[2], w_err *err)
{
    w_globalinst *g = w_calloc(1, sizeof *g);
    if (!g || !rt_store_add(s, RT_OBJ_GLOBAL, g)) {
        w_free(g);
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    g->type = type;
    g->mut = mut;
    g->val[0] = val[0];
    g->val[1] = val[1];
    return g;
}

/* ---- constant expressions ---------------------------------------------------------------- */

/* Runs the decoded form of a validated constant expression (decode.h). The
 * decoder has checked every index and the stack's depth and types; the
 * checks here only keep a bug elsewhere from turning into a wild access. */
bool rt_eval_const(const w_instance *inst, const w_constexpr *ce, uint64_t out[2], w_err *err)
{
    const w_module *m = inst->module;
    uint64_t st[W_MAX_CONST_DEPTH][2];
    uint32_t sp = 0;

    if (ce->count > m->nconst_code || ce->first > m->nconst_code - ce->count)
        return w_fail(err, W_ERR_INTERNAL, ce->offset, "constant expression out of range");
    for (uint32_t i = 0; i < ce->count; i++) {
        const w_constinstr *in = &m->const_code[ce->first + i];
        uint64_t v0 = 0, v1 = 0;
        switch (in->op) {
        case W_CONST_PUSH:
            v0 = in->v[0];
            v1 = in->v[1];
            break;
        case W_CONST_GLOBAL_GET:
            if (in->index >= m->nglobals || !inst->globals[in->index])
                return w_fail(err, W_ERR_INTERNAL, ce->offset, "unknown global %u", in->index);
            v0 = inst->globals[in->index]->val[0];
            v1 = inst->globals[in->index]->val[1];
            break;
        case W_CONST_REF_FUNC:
            if (in->index >= m->nfuncs || !inst->funcs[in->index])
                return w_fail(err, W_ERR_INTERNAL, ce->offset, "unknown function %u", in->index);
            v0 = (uint64_t)(uintptr_t)inst->funcs[in->index];
            break;
        default: { /* the binary operators */
            if (sp < 2) return w_fail(err, W_ERR_INTERNAL, ce->offset, "type mismatch");
            uint64_t b = st[--sp][0], a = st[--sp][0];
            switch (in->op) {
            case W_CONST_I32_ADD: v0 = (uint32_t)(a + b); break;
            case W_CONST_I32_SUB: v0 = (uint32_t)(a - b); break;
            case W_CONST_I32_MUL: v0 = (uint32_t)(a * b); break;
            case W_CONST_I64_ADD: v0 = a + b; break;
            case W_CONST_I64_SUB: v0 = a - b; break;
            case W_CONST_I64_MUL: v0 = a * b; break;
            default:
                return w_fail(err, W_ERR_INTERNAL, ce->offset, "constant instruction %u",
                              (unsigned)in->op);
            }
            break;
        }
        }
        if (sp == W_MAX_CONST_DEPTH)
            return w_fail(err, W_ERR_INTERNAL, ce->offset, "constant expression too deep");
        st[sp][0] = v0;
        st[sp][1] = v1;
        sp++;
    }
    if (sp != 1) return w_fail(err, W_ERR_INTERNAL, ce->offset, "type mismatch");
    out[0] = st[0][0];
    out[1] = st[0][1];
    return true;
}

/* ---- instantiation ------------------------------------------------------------------------ */

static bool rt_limits_match(uint64_t cur_min, bool has_max, uint64_t max, const w_limits *want)
{
    if (cur_min < want->min) return false;
    if (want->has_max && (!has_max || max > want->max)) return false;
    return true;
}

static bool rt_import_matches(const w_module *m, const w_import *imp, const w_extern *ext)
{
    if (ext->kind != imp->kind) return false;
    switch (imp->kind) {
    case W_EXT_FUNC: {
        const w_func *f = ext->obj;
        return dec_functype_equal(f->type, &m->types[imp->u.func_type]);
    }
    case W_EXT_TABLE: {
        const w_table *t = ext->obj;
        return t->type == imp->u.table.elem &&
               rt_limits_match(t->size, t->has_max, t->declared_max, &imp->u.table.lim);
    }
    case W_EXT_MEMORY: {
        const w_memory *mem = ext->obj;
        return mem->is64 == imp->u.mem.lim.is64 &&
               rt_limits_match(mem->pages, mem->has_max, mem->declared_max, &imp->u.mem.lim);
    }
    case W_EXT_GLOBAL: {
        const w_globalinst *g = ext->obj;
        return g->type == imp->u.global.type && g->mut == imp->u.global.mut;
    }
    default: return false;
    }
}

static bool rt_check_imports(const w_module *m, const w_extern *imports, w_err *err)
{
    for (uint32_t i = 0; i < m->nimports; i++) {
        const w_import *imp = &m->imports[i];
        const w_extern *ext = imports ? &imports[i] : NULL;
        if (!ext || !ext->obj)
            return w_fail_nooff(err, W_ERR_UNKNOWN_IMPORT, "unknown import \"%s\" \"%s\"",
                                imp->module, imp->name);
        if (!rt_import_matches(m, imp, ext))
            return w_fail_nooff(err, W_ERR_INCOMPATIBLE_IMPORT,
                                "incompatible import type for \"%s\" \"%s\"", imp->module,
                                imp->name);
    }
    return true;
}

static w_trap rt_run_start(w_exec *ex, w_instance *inst, w_func *fn)
{
    uint64_t slots[2] = {0, 0};
    if (fn->host) {
        struct w_instance *saved = ex->caller;
        ex->caller = inst;
        ex->nbt = 0;
        ex->trap_msg[0] = '\0';
        w_trap t = fn->host(ex, fn->host_data, slots);
        ex->caller = saved;
        ex->trap = t;
        return t;
    }
    return vm_call(ex, fn, slots);
}

static void rt_set_trap(w_exec *ex, w_trap t)
{
    ex->trap = t;
    ex->nbt = 0;
    ex->trap_msg[0] = '\0';
}

/* Host memory an instance of m takes besides its memories and tables:
 * the instance, its per-module arrays and its element segments' copies. */
static uint64_t rt_state_bytes(const w_module *m)
{
    uint64_t b = sizeof(rt_instance);
    b += (uint64_t)m->nfuncs * sizeof(w_func *) + (uint64_t)m->nfuncdefs * sizeof(w_func);
    b += (uint64_t)m->ntables * (sizeof(w_table *) + sizeof(w_table));
    b += (uint64_t)m->nmems * (sizeof(w_memory *) + sizeof(w_memory));
    b += (uint64_t)m->nglobals * (sizeof(w_globalinst *) + sizeof(w_globalinst));
    b += (uint64_t)m->nelems * sizeof(w_elemrt) + (uint64_t)m->ndatas * sizeof(w_datart);
    for (uint32_t i = 0; i < m->nelems; i++)
        b += (uint64_t)m->elems[i].count * sizeof(uint64_t);
    return b;
}

static uint64_t rt_sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Sets up ri's budget under s's and charges its state (rt_state_bytes).
 * With `whole`, first checks that the minimum of everything the module
 * defines (memories' pages and reservations, tables' elements) fits too,
 * so that a module asking for more than the budget fails before anything
 * is allocated, however many memories or tables it declares. */
static bool rt_budget_open(w_store *s, rt_instance *ri, uint8_t mem_mode, bool whole, w_err *err)
{
    const w_module *m = ri->pub.module;
    uint64_t state = rt_state_bytes(m), mem = state, vm = 0;
    w_budget_init(&ri->budget, "instance", &s->budget, s->limits.instance_mem,
                  s->limits.instance_vm);
    if (whole) {
        for (uint32_t i = m->nimported_tables; i < m->ntables; i++)
            mem = rt_sat_add(mem, m->tables[i].lim.min * W_TABLE_ELEM_BYTES);
        for (uint32_t i = m->nimported_mems; i < m->nmems; i++) {
            const w_limits *l = &m->mems[i].lim;
            mem = rt_sat_add(mem, l->min * W_PAGE_SIZE); /* min <= 2^48 pages */
            uint8_t mode = mem_mode | (s->limits.mem_tagged ? W_MEM_INIT_TAGGED : 0);
            vm = rt_sat_add(vm, mem_reserve_bytes(l->min, l->max, l->has_max, l->is64,
                                                  s->limits.max_memory_bytes, mode));
        }
        if (!w_budget_fits(&ri->budget, mem, vm, err)) return false;
    }
    if (!w_budget_charge(&ri->budget, state, 0, err)) return false;
    ri->state_charged = state;
    return true;
}

/* Places an array of n items of `size` bytes at *off in a block (16-byte
 * aligned), advancing *off; returns its offset. */
static uint64_t rt_place(uint64_t *off, uint64_t n, uint64_t size)
{
    uint64_t at = (*off + 15) & ~(uint64_t)15;
    *off = at + n * size;
    return at;
}

/* Allocates every per-instance array for module m (zeroed), in one block:
 * an instance is made and freed per request by a serverless node, and ten
 * allocations were a tenth of a clone's cost. False if out of memory. */
static bool rt_alloc_arrays(rt_instance *ri, const w_module *m)
{
    w_instance *inst = &ri->pub;
    uint32_t nft = m->ntables - m->nimported_tables;
    uint32_t nfm = m->nmems - m->nimported_mems;
    /* Counts are 32-bit and sizes small: the total fits 64 bits. */
    uint64_t off = 0;
    uint64_t o_funcs = rt_place(&off, m->nfuncs, sizeof *inst->funcs);
    uint64_t o_tables = rt_place(&off, m->ntables, sizeof *inst->tables);
    uint64_t o_mems = rt_place(&off, m->nmems, sizeof *inst->mems);
    uint64_t o_globals = rt_place(&off, m->nglobals, sizeof *inst->globals);
    uint64_t o_elems = rt_place(&off, m->nelems, sizeof *inst->elems);
    uint64_t o_datas = rt_place(&off, m->ndatas, sizeof *inst->datas);
    uint64_t o_ofuncs = rt_place(&off, m->nfuncdefs, sizeof *ri->own_funcs);
    uint64_t o_otables = rt_place(&off, nft, sizeof *ri->own_tables);
    uint64_t o_omems = rt_place(&off, nfm, sizeof *ri->own_mems);
    uint64_t o_oglobals = rt_place(&off, m->nglobaldefs, sizeof *ri->own_globals);
    if (off > SIZE_MAX) return false;
    uint8_t *b = w_calloc(1, (size_t)off);
    if (!b) return false;
    ri->arrays = b;
    inst->funcs = (w_func **)(void *)(b + o_funcs);
    inst->tables = (w_table **)(void *)(b + o_tables);
    inst->mems = (w_memory **)(void *)(b + o_mems);
    inst->globals = (w_globalinst **)(void *)(b + o_globals);
    inst->elems = (w_elemrt *)(void *)(b + o_elems);
    inst->datas = (w_datart *)(void *)(b + o_datas);
    ri->own_funcs = (w_func *)(void *)(b + o_ofuncs);
    ri->own_tables = (w_table *)(void *)(b + o_otables);
    ri->own_mems = (w_memory *)(void *)(b + o_omems);
    ri->own_globals = (w_globalinst *)(void *)(b + o_oglobals);
    return true;
}

/* Pointer authentication: a fresh secret key for inst if its store asks for
 * keys. False if the OS has no random bytes. */
static bool rt_new_key(const w_store *s, w_instance *inst)
{
    inst->pac_on = s->limits.ptr_auth;
    inst->pac_tags = s->limits.mem_tagged;
    return !inst->pac_on || plat_random(inst->pac_key, sizeof inst->pac_key);
}

/* A module's Cage instructions need what they act on: segments a tagged
 * memory (every memory of the module, since an index can name any), the
 * pointer instructions a key. */
static bool rt_check_cage(const w_instance *inst, w_err *err)
{
    const w_module *m = inst->module;
    if (m->cage_uses & W_CAGE_SEGMENTS) {
        for (uint32_t i = 0; i < m->nmems; i++)
            if (!inst->mems[i]->tagged)
                return w_fail_nooff(err, W_ERR_CAGE_UNAVAILABLE,
                                    "the module uses segment instructions but memory %u is not "
                                    "tagged (turn mem-safety on)",
                                    i);
    }
    if ((m->cage_uses & W_CAGE_POINTERS) && !inst->pac_on)
        return w_fail_nooff(err, W_ERR_CAGE_UNAVAILABLE,
                            "the module uses pointer authentication but the store gives "
                            "instances no key (turn ptr-auth on)");
    return true;
}

/* Allocates the instance's arrays and fills in imports and defined objects
 * (everything but segments and start). */
static bool rt_build(w_store *s, rt_instance *ri, const w_extern *imports, uint8_t mem_mode,
                     w_err *err)
{
    w_instance *inst = &ri->pub;
    w_module *m = inst->module;
    uint32_t nft = m->ntables - m->nimported_tables;
    uint32_t nfm = m->nmems - m->nimported_mems;

    if (!rt_alloc_arrays(ri, m)) return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");

    uint32_t fi = 0, ti = 0, mi = 0, gi = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        void *obj = imports[i].obj;
        switch (m->imports[i].kind) {
        case W_EXT_FUNC: inst->funcs[fi++] = obj; break;
        case W_EXT_TABLE: inst->tables[ti++] = obj; break;
        case W_EXT_MEMORY: inst->mems[mi++] = obj; break;
        case W_EXT_GLOBAL: inst->globals[gi++] = obj; break;
        default: break;
        }
    }

    /* The code depends on each memory's access path (imported memories keep
     * theirs), so pick the codeset for this combination. */
    uint8_t *modes = w_calloc(m->nmems, 1);
    if (!modes) return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < m->nmems; i++)
        modes[i] = i < m->nimported_mems  ? mem_path_mode(inst->mems[i])
                   : s->limits.mem_tagged ? (uint8_t)W_MEM_TAGGED
                                          : mem_mode;
    w_compile_cfg cfg = {m->nmems, modes};
    inst->code = cmp_codeset_for(m, &cfg, &s->exec.interrupt, err);
    w_free(modes);
    if (!inst->code) return false;

    for (uint32_t i = 0; i < m->nfuncdefs; i++) {
        w_func *f = &ri->own_funcs[i];
        uint32_t idx = m->nimported_funcs + i;
        f->type = &m->types[m->func_types[idx]];
        f->inst = inst;
        f->code = &inst->code->funcs[i];
        f->index = idx;
        inst->funcs[idx] = f;
    }
    for (uint32_t i = 0; i < nft; i++) {
        if (!rt_table_init(&ri->own_tables[i], &m->tables[m->nimported_tables + i], &s->limits,
                           &ri->budget, err))
            return false;
        inst->tables[m->nimported_tables + i] = &ri->own_tables[i];
    }
    for (uint32_t i = 0; i < nfm; i++) {
        if (!rt_memory_init(&ri->own_mems[i], &m->mems[m->nimported_mems + i], mem_mode, &s->limits,
                            &ri->budget, err))
            return false;
        inst->mems[m->nimported_mems + i] = &ri->own_mems[i];
    }
    if (!rt_new_key(s, inst))
        return w_fail_nooff(err, W_ERR_HOST_RESOURCE, "no random source for the instance's key");
    if (!rt_check_cage(inst, err)) return false;
    /* In order: an initialiser may read imported and earlier globals. */
    for (uint32_t i = 0; i < m->nglobaldefs; i++) {
        w_globalinst *g = &ri->own_globals[i];
        g->type = m->globals[i].type.type;
        g->mut = m->globals[i].type.mut;
        if (!rt_eval_const(inst, &m->globals[i].init, g->val, err)) return false;
        inst->globals[m->nimported_globals + i] = g;
    }
    /* Element segments are all evaluated before any is copied (Wasm 2.0). */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const w_elemseg *seg = &m->elems[i];
        w_elemrt *er = &inst->elems[i];
        er->refs = w_calloc(seg->count, sizeof *er->refs);
        if (!er->refs) return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        er->len = seg->count;
        for (uint32_t j = 0; j < seg->count; j++) {
            if (seg->funcs) {
                uint32_t fidx = seg->funcs[j];
                if (fidx >= m->nfuncs)
                    return w_fail_nooff(err, W_ERR_UNKNOWN_FUNCTION, "unknown function %u", fidx);
                er->refs[j] = (uint64_t)(uintptr_t)inst->funcs[fidx];
            } else {
                uint64_t v[2];
                if (!rt_eval_const(inst, &seg->exprs[j], v, err)) return false;
                er->refs[j] = v[0];
            }
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        inst->datas[i].bytes = m->datas[i].bytes;
        inst->datas[i].len = m->datas[i].len;
    }
    return true;
}

/* Active segments, then start. Returns W_TRAP_OK or the trap that stopped
 * instantiation (already recorded in s->exec); a segment that does not fit
 * also says which in *err. */
static w_trap rt_initialise(w_store *s, w_instance *inst, w_err *err, bool *failed)
{
    w_module *m = inst->module;
    w_exec *ex = &s->exec;
    *failed = false;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const w_elemseg *seg = &m->elems[i];
        w_elemrt *er = &inst->elems[i];
        if (seg->mode == W_SEG_ACTIVE) {
            uint64_t off[2];
            if (!rt_eval_const(inst, &seg->offset, off, err)) goto fail;
            w_table *t = inst->tables[seg->table];
            uint32_t o = (uint32_t)off[0];
            if (er->len > t->size || o > t->size - er->len) {
                rt_set_trap(ex, W_TRAP_TABLE_OOB);
                w_fail_nooff(
                    err, W_ERR_SEGMENT_OUT_OF_BOUNDS,
                    "elem segment %u does not fit table %u (offset %u + length %u > size %u)", i,
                    seg->table, o, er->len, t->size);
                return W_TRAP_TABLE_OOB;
            }
            if (er->len) memcpy(&t->elems[o], er->refs, (size_t)er->len * sizeof *er->refs);
        }
        if (seg->mode != W_SEG_PASSIVE) { /* active and declarative ones are dropped */
            w_free(er->refs);
            er->refs = NULL;
            er->len = 0;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const w_dataseg *seg = &m->datas[i];
        if (seg->mode != W_SEG_ACTIVE) continue;
        uint64_t off[2];
        if (!rt_eval_const(inst, &seg->offset, off, err)) goto fail;
        w_memory *mem = inst->mems[seg->mem];
        uint64_t o = mem->is64 ? off[0] : (uint32_t)off[0];
        if (!mem_write(mem, o, seg->bytes, seg->len)) {
            rt_set_trap(ex, W_TRAP_MEM_OOB);
            if (seg->len > mem->size || o > mem->size - seg->len)
                w_fail_nooff(err, W_ERR_SEGMENT_OUT_OF_BOUNDS,
                             "data segment %u does not fit memory %u (offset %" PRIu64
                             " + length %" PRIu64 " > size %" PRIu64 ")",
                             i, seg->mem, o, (uint64_t)seg->len, mem->size);
            else /* within bounds: the host made a page of an imported memory read-only */
                w_fail_nooff(err, W_ERR_SEGMENT_OUT_OF_BOUNDS,
                             "data segment %u: memory %u denies the write at offset %" PRIu64, i,
                             seg->mem, o);
            return W_TRAP_MEM_OOB;
        }
        inst->datas[i].bytes = NULL;
        inst->datas[i].len = 0;
    }
    if (m->has_start) return rt_run_start(ex, inst, inst->funcs[m->start]);
    return W_TRAP_OK;
fail:
    *failed = true;
    return W_TRAP_OK;
}

w_instance *rt_instantiate(w_store *s, w_module *m, const w_extern *imports, uint8_t mem_mode,
                           w_err *err, w_trap *trap)
{
    rt_instance *ri = NULL;
    bool failed = false;
    *trap = W_TRAP_OK;
    if (!rt_check_imports(m, imports, err)) return NULL;
    ri = w_calloc(1, sizeof *ri);
    if (!ri) {
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    rt_module_retain(m);
    ri->pub.module = m;
    ri->pub.store = s;
    if (!rt_budget_open(s, ri, mem_mode, true, err) || !rt_build(s, ri, imports, mem_mode, err)) {
        /* Nothing of this instance has been shared yet: free it now. */
        rt_instance_free(ri);
        return NULL;
    }
    if (!rt_store_add(s, RT_OBJ_INSTANCE, ri)) {
        rt_instance_free(ri);
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    /* From here on the instance belongs to the store even if it fails: its
     * functions may already be in imported tables. */
    *trap = rt_initialise(s, &ri->pub, err, &failed);
    if (failed || *trap != W_TRAP_OK) return NULL;
    return &ri->pub;
}

/* ---- copy-on-write clones ---------------------------------------------------------------- */

void rt_instance_seal(w_instance *inst)
{
    const w_module *m = inst->module;
    rt_instance *ri = (rt_instance *)inst;
    for (uint32_t i = 0; i < m->nmems - m->nimported_mems; i++)
        mem_seal(&ri->own_mems[i]);
    inst->sealed = true;
}

/* A reference of the template mapped to the clone: the template's own
 * functions become the clone's, anything else (imports, null, externref)
 * stays as it is. */
static uint64_t rt_clone_ref(const rt_instance *t, rt_instance *c, uint64_t ref)
{
    const w_func *f = (const w_func *)(uintptr_t)ref;
    uint32_t n = t->pub.module->nfuncdefs;
    if (n && f >= t->own_funcs && f < t->own_funcs + n)
        return (uint64_t)(uintptr_t)&c->own_funcs[f - t->own_funcs];
    return ref;
}

w_instance *rt_instance_clone(w_store *s, w_instance *tmpl, w_err *err)
{
    rt_instance *t = (rt_instance *)tmpl;
    w_module *m = tmpl->module;
    /* In another store the clone may share only what is not the template
     * store's state: host functions (they run in the caller's store). An
     * imported memory, table, global or Wasm function would be changed by
     * calls running in two stores, which may be on two threads. */
    bool other = s != tmpl->store;
    for (uint32_t i = 0; other && i < m->nimported_funcs; i++)
        if (tmpl->funcs[i]->inst)
            return w_fail_nooff(err, W_ERR_INVALID_ARGUMENT,
                                "a clone in another store than its template's can share only "
                                "host functions (import %u is a Wasm function)",
                                i),
                   NULL;
    if (other && (m->nimported_tables || m->nimported_mems || m->nimported_globals))
        return w_fail_nooff(err, W_ERR_INVALID_ARGUMENT,
                            "a clone in another store than its template's can share only host "
                            "functions (the module imports a table, memory or global)"),
               NULL;
    rt_instance *ri = w_calloc(1, sizeof *ri);
    if (!ri) return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory"), NULL;
    w_instance *inst = &ri->pub;
    rt_module_retain(m);
    inst->module = m;
    inst->store = s;
    inst->code = tmpl->code;
    if (!rt_budget_open(s, ri, 0, false, err)) goto fail;
    if (!rt_alloc_arrays(ri, m)) goto oom;

    for (uint32_t i = 0; i < m->nimported_funcs; i++)
        inst->funcs[i] = tmpl->funcs[i];
    for (uint32_t i = 0; i < m->nfuncdefs; i++) {
        w_func *f = &ri->own_funcs[i];
        *f = t->own_funcs[i];
        f->inst = inst;
        inst->funcs[m->nimported_funcs + i] = f;
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        if (i < m->nimported_tables) {
            inst->tables[i] = tmpl->tables[i];
            continue;
        }
        const w_table *st = tmpl->tables[i];
        w_table *dt = &ri->own_tables[i - m->nimported_tables];
        if (!tbl_clone(dt, st, &ri->budget, err)) goto fail;
        for (uint32_t k = 0; k < st->size; k++)
            dt->elems[k] = rt_clone_ref(t, ri, dt->elems[k]);
        inst->tables[i] = dt;
    }
    for (uint32_t i = 0; i < m->nmems; i++) {
        if (i < m->nimported_mems) {
            inst->mems[i] = tmpl->mems[i];
            continue;
        }
        w_memory *dm = &ri->own_mems[i - m->nimported_mems];
        dm->mode = tmpl->mems[i]->mode;
        if (!mem_clone(dm, tmpl->mems[i], &ri->budget, err)) {
            mem_release(dm);
            goto fail;
        }
        inst->mems[i] = dm;
    }
    for (uint32_t i = 0; i < m->nglobals; i++) {
        if (i < m->nimported_globals) {
            inst->globals[i] = tmpl->globals[i];
            continue;
        }
        w_globalinst *g = &ri->own_globals[i - m->nimported_globals];
        *g = *tmpl->globals[i];
        if (g->type == W_FUNCREF) g->val[0] = rt_clone_ref(t, ri, g->val[0]);
        inst->globals[i] = g;
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const w_elemrt *se = &tmpl->elems[i];
        if (!se->len) continue;
        inst->elems[i].refs = w_calloc(se->len, sizeof *se->refs);
        if (!inst->elems[i].refs) goto oom;
        inst->elems[i].len = se->len;
        for (uint32_t k = 0; k < se->len; k++)
            inst->elems[i].refs[k] = rt_clone_ref(t, ri, se->refs[k]);
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        inst->datas[i] = tmpl->datas[i];
    /* The template's key, whose signed pointers the memory holds, unless
     * the clone's store wants a new one (then they no longer authenticate). */
    inst->pac_on = tmpl->pac_on;
    inst->pac_tags = tmpl->pac_tags;
    memcpy(inst->pac_key, tmpl->pac_key, sizeof inst->pac_key);
    if (tmpl->pac_on && s->limits.clone_new_key &&
        !plat_random(inst->pac_key, sizeof inst->pac_key)) {
        rt_instance_free(ri);
        return w_fail_nooff(err, W_ERR_HOST_RESOURCE, "no random source for the instance's key"),
               NULL;
    }
    if (!rt_store_add(s, RT_OBJ_INSTANCE, ri)) goto oom;
    return inst;
oom:
    w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
fail:
    rt_instance_free(ri);
    return NULL;
}
