/* native.c - the native tier's side of the execution layer (native.h):
 * the backend registry, native code per codeset, the entry from C, and
 * the helpers native code calls. The helpers are the interpreter's
 * handlers written as functions over the operand values: the same checks
 * in the same order, the same traps and messages. */
#include "exec/native.h"
#include "exec/simd.h"
#include "mem/access.h"
#include "platform/platform.h"

#include <setjmp.h>
#include <stdatomic.h>

static const w_native_backend *_Atomic nat_the_backend;

void nat_install(const w_native_backend *b)
{
    atomic_store_explicit(&nat_the_backend, b, memory_order_release);
}

const w_native_backend *nat_backend(void)
{
    return atomic_load_explicit(&nat_the_backend, memory_order_acquire);
}

/* Waits for set's compilation until it is over (true) or, if stop is not
 * NULL, until *stop is raised or plat_now_ns() reaches until (false).
 * Polls, from every 20 us up to every 250 us: a compilation takes
 * milliseconds to seconds, so the wait adds at most a quarter of a
 * millisecond to it and the polls cost nothing measurable. */
static bool nat_wait(w_native_set *set, const atomic_int *stop, uint64_t until)
{
    uint64_t nap = 20000;
    while (!atomic_load_explicit(&set->ready, memory_order_acquire)) {
        if (stop && (atomic_load_explicit(stop, memory_order_relaxed) || plat_now_ns() >= until))
            return false;
        plat_sleep_ns(nap);
        if (nap < 250000) nap *= 2;
    }
    return true;
}

void nat_free_set(w_native_set *set)
{
    if (!set) return;
    /* Never while compiling: the compiler holds a reference to the module. */
    nat_wait(set, NULL, 0);
    if (set->backend && set->backend->release) set->backend->release(set);
    w_free(set->entries);
    w_free(set);
}

/* The compilation of set->cs, on its own thread (or the caller's, when no
 * thread can be started). It holds a reference to the module (taken by
 * nat_set_of), so a caller that stopped waiting may free the module: the
 * last release, here or there, frees the codeset and this set. */
static void nat_compile(void *arg)
{
    w_native_set *set = arg;
    w_module *m = (w_module *)set->m;
    w_err err;
    memset(&err, 0, sizeof err);
    /* A codeset the backend cannot compile keeps an empty set, so that it
     * is not tried again on every call: the interpreter runs it. */
    if (!set->backend->compile(set->m, set->cs, set, &err)) {
        set->ncompiled = 0;
        memset(set->entries, 0, set->nfuncs * sizeof *set->entries);
    }
    atomic_store_explicit(&set->ready, true, memory_order_release);
    cmp_module_release(m);
}

W_INLINE const w_native_set *nat_ready(w_native_set *set)
{
    return atomic_load_explicit(&set->ready, memory_order_acquire) && set->ncompiled ? set : NULL;
}

/* A set for cs's code by backend b, not attached yet (NULL if out of memory). */
static w_native_set *nat_set_new(const w_codeset *cs, const w_native_backend *b)
{
    w_native_set *set = w_calloc(1, sizeof *set);
    if (!set) return NULL;
    set->entries = w_calloc(cs->nfuncs ? cs->nfuncs : 1, sizeof *set->entries);
    if (!set->entries) {
        w_free(set);
        return NULL;
    }
    set->nfuncs = cs->nfuncs;
    set->backend = b;
    set->cs = cs;
    return set;
}

const w_native_set *nat_set_of(w_exec *ex, const w_module *m, const w_codeset *cs)
{
    w_native_set *set = atomic_load_explicit(&((w_codeset *)cs)->native, memory_order_acquire);
    if (W_LIKELY(set != NULL)) return nat_ready(set);
    const w_native_backend *b = nat_backend();
    if (!b) return NULL;
    set = nat_set_new(cs, b);
    if (!set) return NULL;
    set->m = m;
    /* Attach the set before compiling, so that a codeset is compiled once:
     * another thread (or this one, after giving up waiting) finds it and
     * runs the interpreter until it is ready. */
    w_native_set *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&((w_codeset *)cs)->native, &expected, set,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        w_free(set->entries);
        w_free(set);
        return nat_ready(expected);
    }
    cmp_module_retain((w_module *)m);
    if (!plat_thread_run(nat_compile, set)) nat_compile(set);
    /* With a deadline, wait for at most half the time left before it. */
    uint64_t until = UINT64_MAX;
    if (ex->deadline) {
        uint64_t now = plat_now_ns();
        until = now < ex->deadline ? now + (ex->deadline - now) / 2 : now;
    }
    nat_wait(set, &ex->interrupt, until);
    return nat_ready(set);
}

bool nat_attach(const w_codeset *cs, const w_native_backend *b, void *handle,
                const w_native_entry *entries)
{
    w_native_set *set = nat_set_new(cs, b);
    if (!set) return false;
    set->handle = handle;
    for (uint32_t i = 0; i < cs->nfuncs; i++) {
        set->entries[i] = entries[i];
        if (entries[i]) set->ncompiled++;
    }
    atomic_store_explicit(&set->ready, true, memory_order_relaxed);
    w_native_set *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&((w_codeset *)cs)->native, &expected, set,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        /* Not ours to release: the caller keeps its handle. */
        w_free(set->entries);
        w_free(set);
        return false;
    }
    return true;
}

w_native_entry nat_entry_of(w_exec *ex, const w_func *fn)
{
    if (!ex->tier_native || !fn->code || !fn->inst) return NULL;
    const w_codeset *cs = fn->inst->code;
    const w_native_set *set = nat_set_of(ex, fn->inst->module, cs);
    if (!set) return NULL;
    size_t i = (size_t)(fn->code - cs->funcs);
    return i < set->nfuncs ? set->entries[i] : NULL;
}

/* ---- guard pages (native.h) ------------------------------------------------------------
 * The code table: one slot per loaded object with sites, read by the fault
 * handler without a lock. A slot changes only under nat_code_lock, inside
 * a seqlock (seq odd while it changes), so the handler skips a slot it saw
 * change. A slot's sites are read only when the faulting pc lies in its
 * range, and then its code is running, so it is not being removed. */

#define NAT_CODE_MAX 1024

typedef struct nat_code {
    atomic_uint seq;
    _Atomic(const void *) owner;
    _Atomic(uintptr_t) lo, hi; /* first and last site's pc */
    _Atomic(const w_native_site *) sites;
    atomic_uint n;
} nat_code;

static nat_code nat_codes[NAT_CODE_MAX];
static atomic_uint nat_ncodes; /* slots ever used */
/* Registration is rare (once per loaded object): a spin lock will do. */
static atomic_flag nat_code_busy = ATOMIC_FLAG_INIT;

static void nat_code_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&nat_code_busy, memory_order_acquire)) {
    }
}

static void nat_code_unlock(void)
{
    atomic_flag_clear_explicit(&nat_code_busy, memory_order_release);
}

static void nat_code_set(nat_code *c, const void *owner, const w_native_site *sites, uint32_t n)
{
    unsigned seq = atomic_load_explicit(&c->seq, memory_order_relaxed);
    atomic_store_explicit(&c->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&c->owner, owner, memory_order_relaxed);
    atomic_store_explicit(&c->lo, n ? sites[0].pc : 0, memory_order_relaxed);
    atomic_store_explicit(&c->hi, n ? sites[n - 1].pc : 0, memory_order_relaxed);
    atomic_store_explicit(&c->sites, sites, memory_order_relaxed);
    atomic_store_explicit(&c->n, n, memory_order_relaxed);
    atomic_store_explicit(&c->seq, seq + 2, memory_order_release);
}

bool nat_code_add(const void *owner, const w_native_site *sites, uint32_t n)
{
    bool ok = false;
    if (n == 0) return true;
    nat_code_lock();
    unsigned used = atomic_load_explicit(&nat_ncodes, memory_order_relaxed);
    for (unsigned i = 0; i <= used && i < NAT_CODE_MAX; i++) {
        if (atomic_load_explicit(&nat_codes[i].owner, memory_order_relaxed) != NULL) continue;
        nat_code_set(&nat_codes[i], owner, sites, n);
        if (i == used) atomic_store_explicit(&nat_ncodes, used + 1, memory_order_release);
        ok = true;
        break;
    }
    nat_code_unlock();
    return ok;
}

void nat_code_remove(const void *owner)
{
    nat_code_lock();
    unsigned used = atomic_load_explicit(&nat_ncodes, memory_order_relaxed);
    for (unsigned i = 0; i < used; i++) {
        if (atomic_load_explicit(&nat_codes[i].owner, memory_order_relaxed) == owner)
            nat_code_set(&nat_codes[i], NULL, NULL, 0);
    }
    nat_code_unlock();
}

/* The site at pc and the owner of its code, or NULL. Async-signal-safe. */
static const w_native_site *nat_site_at(uintptr_t pc, const void **owner)
{
    unsigned used = atomic_load_explicit(&nat_ncodes, memory_order_acquire);
    for (unsigned i = 0; i < used; i++) {
        nat_code *c = &nat_codes[i];
        unsigned seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        if (seq & 1) continue;
        uintptr_t lo = atomic_load_explicit(&c->lo, memory_order_relaxed);
        uintptr_t hi = atomic_load_explicit(&c->hi, memory_order_relaxed);
        const w_native_site *s = atomic_load_explicit(&c->sites, memory_order_relaxed);
        uint32_t n = atomic_load_explicit(&c->n, memory_order_relaxed);
        const void *o = atomic_load_explicit(&c->owner, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&c->seq, memory_order_relaxed) != seq) continue;
        if (!s || pc < lo || pc > hi) continue;
        uint32_t a = 0, b = n;
        while (a < b) {
            uint32_t mid = a + (b - a) / 2;
            if (s[mid].pc < pc)
                a = mid + 1;
            else
                b = mid;
        }
        if (a < n && s[a].pc == pc) {
            *owner = o;
            return &s[a];
        }
    }
    return NULL;
}

/* The innermost nat_run of this thread: where a fault of its code goes. */
typedef struct nat_guard {
    sigjmp_buf jb;
    w_instance *inst;
    struct nat_guard *prev;
    const w_func *fn; /* the faulting access, set by nat_on_fault */
    uint32_t pc;
    /* A tagged memory's fault (nat_tag_fault): its memory (NULL for any
     * other fault), its trap, the address that trap names, its direction. */
    const w_memory *tmem;
    w_trap trap;
    uint64_t fault;
    bool write;
} nat_guard;

static _Thread_local nat_guard *nat_cur;

/* Is addr beyond the accessible bytes of a flat 32-bit memory of inst, in
 * its reservation (or the page after it, which an access straddling its
 * end names)? */
static bool nat_guard_addr(const w_instance *inst, uintptr_t addr)
{
    for (uint32_t i = 0; i < inst->module->nmems; i++) {
        const w_memory *m = inst->mems[i];
        if (m->mode != W_MEM_FLAT || m->is64 || m->tagged || !m->base) continue;
        uintptr_t base = (uintptr_t)m->base;
        if (addr >= base + m->size && addr - base < m->reserved + W_PAGE_SIZE) return true;
    }
    return false;
}

/* Is addr in the guarded arena of a paged 32-bit memory of inst (mem.h,
 * pg_guard), at or past its size, or in the page after the arena (an
 * access straddling its top)? Native code accesses such a memory with a
 * guarded instruction while its span is all of it, and any access of a
 * paged memory ending past its size is out of bounds, as the
 * interpreter's slow path answers (pg_check), whatever its pages. */
static bool nat_pguard_addr(const w_instance *inst, uintptr_t addr)
{
    for (uint32_t i = 0; i < inst->module->nmems; i++) {
        const w_memory *m = inst->mems[i];
        if (m->mode != W_MEM_PAGED || m->is64 || m->tagged || !m->pg_guard) continue;
        uintptr_t base = (uintptr_t)m->pg_guard;
        if (addr >= base + m->size && addr - base < W_MEM_RESERVE32 + W_PAGE_SIZE) return true;
    }
    return false;
}

/* ---- tagged flat memories without tags ----------------------------------------------
 * A tagged flat 32-bit memory while none of its granules has a tag
 * (tag_any false) is accessed like a flat one: one guarded instruction at
 * base + ea, ea the address (its tag bits included) plus the offset. Such
 * an access is legal exactly when ea + bytes <= size (an address with a
 * tag is at least 2^28, beyond every tagged 32-bit memory), and anything
 * else faults on the memory's reservation. Its trap is the memory layer's
 * (pg_check_access, as the slow path mem_load_slow / mem_store_slow
 * makes it): "out of bounds" when the address without its tag is out of
 * bounds, else the tag mismatch. That needs the access's ea and width,
 * which the fault address alone does not give (an access straddling the
 * end names the page after it, as one starting there does), so they come
 * from the instruction itself: one of nl_guard_asm's forms (native/nl_gen.c),
 * a mov whose memory operand is read with the registers of the fault
 * (plat_fault_gpr). */

/* The effective address and width of the guarded access instruction at
 * ip (x86-64, the forms nl_guard_load, nl_guard_store and nl_guard_vbytes
 * emit (movdqu for v128): an optional 66, F2 or F3 prefix, an optional
 * REX, the opcode, then any ModRM memory operand but a RIP-relative one:
 * a base, an index with its scale, or both, and a displacement of 0, 8 or
 * 32 bits), computed from the registers of the fault. False for anything
 * else. */
static bool nat_site_operand(const uint8_t *ip, uint64_t *ea, uint32_t *bytes, bool *write)
{
    unsigned pfx = 0, rex = 0;
    if (*ip == 0x66 || *ip == 0xf2 || *ip == 0xf3) pfx = *ip++;
    if ((*ip & 0xf0) == 0x40) rex = *ip++;
    bool w = (rex & 8) != 0;
    unsigned op = *ip++;
    switch (op) {
    case 0x88: *bytes = 1, *write = true; break;                           /* movb */
    case 0x89: *bytes = pfx == 0x66 ? 2 : w ? 8 : 4, *write = true; break; /* movw/l/q */
    case 0x8b: *bytes = w ? 8 : 4, *write = false; break;                  /* movl/q */
    case 0x63: *bytes = 4, *write = false; break;                          /* movslq */
    case 0x0f:
        switch (*ip++) {
        case 0x10: /* movss, movsd: load */
        case 0x11: /* store */
            if (pfx != 0xf2 && pfx != 0xf3) return false;
            *bytes = pfx == 0xf2 ? 8 : 4, *write = ip[-1] == 0x11;
            break;
        case 0x6f: /* movdqu: load */
        case 0x7f: /* store */
            if (pfx != 0xf3) return false;
            *bytes = 16, *write = ip[-1] == 0x7f;
            break;
        case 0xb6:                                    /* movzb */
        case 0xbe: *bytes = 1, *write = false; break; /* movsb */
        case 0xb7:                                    /* movzw */
        case 0xbf: *bytes = 2, *write = false; break; /* movsw */
        default: return false;
        }
        break;
    default: return false;
    }
    unsigned modrm = *ip++, mod = modrm >> 6, rm = modrm & 7;
    if (mod == 3 || (mod == 0 && rm == 5)) return false; /* a register; RIP-relative */
    uint64_t sum = 0, r;
    bool disp32 = mod == 2;
    if (rm == 4) { /* a SIB byte */
        unsigned sib = *ip++, index = ((sib >> 3) & 7) | (rex & 2) << 2;
        if (index != 4) { /* 4 without REX.X: no index */
            if (!plat_fault_gpr(index, &r)) return false;
            sum += r << (sib >> 6);
        }
        if (mod == 0 && (sib & 7) == 5) { /* no base, a 32-bit displacement */
            disp32 = true;
        } else {
            if (!plat_fault_gpr((sib & 7) | (rex & 1) << 3, &r)) return false;
            sum += r;
        }
    } else {
        if (!plat_fault_gpr(rm | (rex & 1) << 3, &r)) return false;
        sum += r;
    }
    if (disp32) {
        int32_t d;
        memcpy(&d, ip, 4);
        sum += (uint64_t)(int64_t)d;
    } else if (mod == 1) {
        sum += (uint64_t)(int64_t)(int8_t)ip[0];
    }
    *ea = sum;
    return true;
}

/* Is the fault at pc (a site of the running code), naming addr, an access
 * to a tagged flat 32-bit memory of gd's instance without tags that the
 * memory layer refuses? Then gd gets the memory, its trap and the address
 * the trap names. Async-signal-safe: the instruction's bytes, the fault's
 * registers and the memory's state (its size; tag_any, and its nibbles
 * only if it has tags by now) are plain reads. */
static bool nat_tag_fault(nat_guard *gd, uintptr_t pc, uintptr_t addr)
{
    uint64_t at, sea;
    uint32_t bytes;
    bool write;
    if (!nat_site_operand((const uint8_t *)pc, &at, &bytes, &write)) return false;
    const w_instance *inst = gd->inst;
    for (uint32_t i = 0; i < inst->module->nmems; i++) {
        const w_memory *m = inst->mems[i];
        if (!m->tagged || m->mode != W_MEM_FLAT || m->is64 || !m->base) continue;
        uintptr_t b = (uintptr_t)m->base;
        if (addr < b || addr - b >= m->reserved + W_PAGE_SIZE || at < b) continue;
        /* The access's address in the memory, its tag bits included. */
        gd->trap = pg_check_access(m, at - b, bytes, write, &sea, &gd->fault);
        if (gd->trap == W_TRAP_OK) return false;
        gd->tmem = m;
        gd->write = write;
        return true;
    }
    return false;
}

/* The fault handler (plat_fault_install): a site of the running code
 * faulting on a memory of the running instance is ours. Async-signal-safe:
 * the site table, the instance's memories and this thread's nat_cur (which
 * a thread running native code has touched already) are plain reads. */
static void nat_on_fault(uintptr_t pc, uintptr_t addr)
{
    const void *owner = NULL;
    const w_native_site *site = nat_site_at(pc, &owner);
    if (!site) return;
    nat_guard *gd = nat_cur;
    if (!gd) return;
    const w_instance *inst = gd->inst;
    const w_native_set *set =
        atomic_load_explicit(&((w_codeset *)inst->code)->native, memory_order_relaxed);
    if (!set || set->handle != owner || site->func >= set->nfuncs) return;
    if (!nat_guard_addr(inst, addr) && !nat_pguard_addr(inst, addr) && !nat_tag_fault(gd, pc, addr))
        return;
    gd->fn = inst->funcs[inst->module->nimported_funcs + site->func];
    gd->pc = site->irpc;
    siglongjmp(gd->jb, 1);
}

static w_trap nat_mem_trap(w_exec *ex, const w_func *fn, uint32_t pc, const w_memory *m, w_trap t,
                           uint64_t fault, bool write);

bool nat_guard_install(void)
{
    return plat_fault_install(nat_on_fault);
}

w_trap nat_run(w_exec *ex, w_func *fn, w_native_entry e, uint64_t *slots)
{
    uintptr_t saved = ex->nat_stack_lim;
    uintptr_t lim = plat_stack_limit();
    uint32_t nframes = ex->nframes;
    nat_guard gd;
    w_trap t;
    gd.inst = fn->inst;
    gd.prev = nat_cur;
    gd.tmem = NULL;
    /* Native code keeps what vm_call keeps free below it for host code. */
    ex->nat_stack_lim = lim ? lim + VM_STACK_RESERVE : 0;
    if (sigsetjmp(gd.jb, 0) == 0) {
        nat_cur = &gd;
        t = e(ex, fn->inst, slots);
    } else {
        /* A site faulted (nat_on_fault): its trap, with the frames native
         * code had pushed at that point, then back to ours. */
        t = gd.tmem ? nat_mem_trap(ex, gd.fn, gd.pc, gd.tmem, gd.trap, gd.fault, gd.write)
                    : nat_h_trap(ex, gd.fn, gd.pc, W_TRAP_MEM_OOB);
        ex->nframes = nframes;
    }
    nat_cur = gd.prev;
    ex->nat_stack_lim = saved;
    return t;
}

/* ---- helpers ------------------------------------------------------------------------- */

static const w_frame *nat_top(const w_exec *ex)
{
    return ex->frames + ex->nframes;
}

w_trap nat_h_trap(w_exec *ex, const w_func *fn, uint32_t pc, w_trap t)
{
    vm_record_trap(ex, t, fn, fn->code->code + pc, nat_top(ex), true);
    return t;
}

w_trap nat_h_interrupt(w_exec *ex, const w_func *fn, uint32_t pc)
{
    return nat_h_trap(ex, fn, pc, vm_take_interrupt(ex));
}

w_trap nat_h_fuel_bulk(w_exec *ex, const w_func *fn, uint32_t pc, uint64_t bytes)
{
    return vm_fuel_bulk(ex, bytes) ? W_TRAP_OK : nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
}

/* A memory trap at fault in m: with its detail unless out of bounds. */
static w_trap nat_mem_trap(w_exec *ex, const w_func *fn, uint32_t pc, const w_memory *m, w_trap t,
                           uint64_t fault, bool write)
{
    nat_h_trap(ex, fn, pc, t);
    if (t != W_TRAP_MEM_OOB) mem_trap_msg(m, t, fault, write, ex->trap_msg, sizeof ex->trap_msg);
    return t;
}

w_trap nat_h_call(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t ret_pc, w_func *callee,
                  uint64_t *slots, uint64_t *fp, uint32_t argbase)
{
    w_trap t;
    if (W_UNLIKELY(ex->fuel_on) && --ex->fuel < 0) {
        ex->fuel = 0;
        return nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
    }
    if (W_UNLIKELY(atomic_load_explicit(&ex->interrupt, memory_order_relaxed)))
        return nat_h_interrupt(ex, fn, pc);
    if (W_UNLIKELY(ex->nframes >= ex->max_frames))
        return nat_h_trap(ex, fn, pc, W_TRAP_STACK_EXHAUSTED);
    if (callee->host == NULL) {
        /* A guest function: its frame in the value stack and its locals'
         * fuel, as the interpreter's call checks them. */
        t = vm_frame_check(ex, ex->stack_end, fp + argbase, callee->code);
        if (W_UNLIKELY(t != W_TRAP_OK)) return nat_h_trap(ex, fn, pc, t);
        ex->sp = fp + argbase;
    } else {
        /* What a nested vm_call of the host may use starts above us. */
        ex->sp = fp + fn->code->frame_slots;
    }
    w_frame *fr = &ex->frames[ex->nframes];
    fr->ip = fn->code->code + ret_pc;
    fr->fp = NULL;
    fr->fn = (w_func *)fn;
    ex->nframes++;
    if (callee->host != NULL) {
        w_instance *saved_caller = ex->caller;
        ex->caller = fn->inst;
        ex->nbt = 0;
        t = callee->host(ex, callee->host_data, slots);
        ex->caller = saved_caller;
        ex->nframes--;
        if (W_UNLIKELY(t != W_TRAP_OK)) {
            /* As the interpreter: a trap of a nested call has its
             * backtrace, one of the host itself gets ours. */
            if (ex->nbt == 0) vm_record_trap(ex, t, fn, fn->code->code + pc, nat_top(ex), false);
            ex->trap = t;
        }
        return t;
    }
    w_native_entry e = nat_entry_of(ex, callee);
    /* Without native code, the interpreter runs it, above our frame. */
    t = e ? nat_run(ex, callee, e, slots) : vm_call_pushed(ex, callee, slots);
    ex->nframes--;
    return t;
}

W_INLINE bool nat_type_matches(const w_func *callee, const w_module *m, uint32_t typeidx)
{
    const w_functype *want = &m->types[typeidx];
    if (callee->type == want) return true;
    if (callee->inst && callee->inst->module == m) return callee->type->canon == want->canon;
    return dec_functype_equal(callee->type, want);
}

w_trap nat_h_indirect(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t tidx, uint32_t i,
                      uint32_t typeidx, w_func **out)
{
    const w_instance *inst = fn->inst;
    const w_table *t = inst->tables[tidx];
    if (W_UNLIKELY(i >= t->size)) return nat_h_trap(ex, fn, pc, W_TRAP_UNDEF_ELEM);
    w_func *callee = (w_func *)(uintptr_t)t->elems[i];
    if (W_UNLIKELY(callee == NULL)) return nat_h_trap(ex, fn, pc, W_TRAP_UNINIT_ELEM);
    if (W_UNLIKELY(!nat_type_matches(callee, inst->module, typeidx)))
        return nat_h_trap(ex, fn, pc, W_TRAP_IND_CALL_MISMATCH);
    *out = callee;
    return W_TRAP_OK;
}

/* The translate function of m's layout-M path (access.h): the fast cases
 * native code does not generate inline (a paged memory's tables, tags). */
static int nat_translate(uint8_t **p, bool write, const w_memory *m, uint64_t addr, uint64_t off,
                         uint32_t bytes)
{
    if (m->tagged) return mem_tagged(p, write, m, NULL, addr, off, bytes);
    if (m->mode == W_MEM_PAGED) return mem_paged(p, write, m, NULL, addr, off, bytes);
    return mem_flat(p, write, m, NULL, addr, off, bytes);
}

w_trap nat_h_load(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t mi, uint64_t addr,
                  uint64_t off, uint32_t bytes, uint8_t *out)
{
    const w_memory *m = fn->inst->mems[mi];
    uint8_t *p;
    int way = nat_translate(&p, false, m, addr, off, bytes);
    if (way > 0) {
        memcpy(out, p, bytes);
        return W_TRAP_OK;
    }
    if (way < 0) return nat_h_trap(ex, fn, pc, W_TRAP_MEM_OOB);
    uint64_t fault;
    w_trap t = mem_load_slow(m, addr, off, bytes, out, &fault);
    if (W_UNLIKELY(t != W_TRAP_OK)) return nat_mem_trap(ex, fn, pc, m, t, fault, false);
    return W_TRAP_OK;
}

w_trap nat_h_store(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t mi, uint64_t addr,
                   uint64_t off, uint32_t bytes, const uint8_t *in)
{
    w_memory *m = fn->inst->mems[mi];
    uint8_t *p;
    int way = nat_translate(&p, true, m, addr, off, bytes);
    if (way > 0) {
        memcpy(p, in, bytes);
        return W_TRAP_OK;
    }
    if (way < 0) return nat_h_trap(ex, fn, pc, W_TRAP_MEM_OOB);
    uint64_t fault;
    w_trap t = mem_store_slow(m, addr, off, in, bytes, &fault);
    if (W_UNLIKELY(t != W_TRAP_OK)) return nat_mem_trap(ex, fn, pc, m, t, fault, true);
    return W_TRAP_OK;
}

w_trap nat_h_memory_grow(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t mi, uint64_t delta,
                         uint64_t *out)
{
    w_memory *m = fn->inst->mems[mi];
    delta &= m->addr_mask;
    /* Paid for like a fill, if the grow can succeed (as the interpreter). */
    if (delta <= m->max_pages - m->pages && W_UNLIKELY(!vm_fuel_bulk(ex, delta * W_PAGE_SIZE)))
        return nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
    int64_t r = mem_grow(m, delta);
    *out = m->is64 ? (uint64_t)r : (uint64_t)(uint32_t)r;
    return W_TRAP_OK;
}

W_INLINE uint64_t nat_imm64(const uint32_t *w)
{
    return (uint64_t)w[0] | (uint64_t)w[1] << 32;
}

W_INLINE bool nat_range_ok(uint64_t start, uint64_t n, uint64_t size)
{
    return start <= size && n <= size - start;
}

/* The irregular instructions, as the interpreter's handlers (interp.c). */
w_trap nat_h_op(w_exec *ex, const w_func *fn, uint32_t pc, uint32_t op, uint64_t *v)
{
    w_instance *inst = fn->inst;
    const uint32_t *ip = fn->code->code + pc;
    w_trap t = W_TRAP_OK;
    switch ((w_op)op) {
    case W_OP_TABLE_GET: {
        const w_table *tb = inst->tables[ip[1]];
        uint32_t i = (uint32_t)v[2];
        if (W_UNLIKELY(i >= tb->size)) return nat_h_trap(ex, fn, pc, W_TRAP_TABLE_OOB);
        v[3] = tb->elems[i];
        return W_TRAP_OK;
    }
    case W_OP_TABLE_SET: {
        w_table *tb = inst->tables[ip[1]];
        uint32_t i = (uint32_t)v[2];
        if (W_UNLIKELY(i >= tb->size)) return nat_h_trap(ex, fn, pc, W_TRAP_TABLE_OOB);
        tb->elems[i] = v[3];
        return W_TRAP_OK;
    }
    case W_OP_TABLE_GROW: {
        w_table *tb = inst->tables[ip[1]];
        uint32_t n = (uint32_t)v[3];
        if (n <= tb->max - tb->size &&
            W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
            return nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
        v[4] = (uint32_t)tbl_grow(tb, n, v[2]);
        return W_TRAP_OK;
    }
    case W_OP_TABLE_FILL: {
        w_table *tb = inst->tables[ip[1]];
        uint32_t i = (uint32_t)v[2], n = (uint32_t)v[4];
        if (W_UNLIKELY(!nat_range_ok(i, n, tb->size)))
            return nat_h_trap(ex, fn, pc, W_TRAP_TABLE_OOB);
        if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
            return nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
        for (uint32_t k = 0; k < n; k++)
            tb->elems[i + k] = v[3];
        return W_TRAP_OK;
    }
    case W_OP_TABLE_COPY: {
        w_table *dt = inst->tables[ip[1]];
        const w_table *st = inst->tables[ip[2]];
        uint32_t d = (uint32_t)v[3], s = (uint32_t)v[4], n = (uint32_t)v[5];
        if (W_UNLIKELY(!nat_range_ok(d, n, dt->size) || !nat_range_ok(s, n, st->size)))
            return nat_h_trap(ex, fn, pc, W_TRAP_TABLE_OOB);
        if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
            return nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
        if (n) memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(uint64_t));
        return W_TRAP_OK;
    }
    case W_OP_TABLE_INIT: {
        w_table *tb = inst->tables[ip[1]];
        const w_elemrt *e = &inst->elems[ip[2]];
        uint32_t d = (uint32_t)v[3], s = (uint32_t)v[4], n = (uint32_t)v[5];
        if (W_UNLIKELY(!nat_range_ok(d, n, tb->size) || !nat_range_ok(s, n, e->len)))
            return nat_h_trap(ex, fn, pc, W_TRAP_TABLE_OOB);
        if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
            return nat_h_trap(ex, fn, pc, W_TRAP_FUEL);
        if (n) memmove(tb->elems + d, e->refs + s, (size_t)n * sizeof(uint64_t));
        return W_TRAP_OK;
    }
    case W_OP_ELEM_DROP: inst->elems[ip[1]].len = 0; return W_TRAP_OK;
    case W_OP_DATA_DROP: inst->datas[ip[1]].len = 0; return W_TRAP_OK;
    case W_OP_MEMORY_FILL: {
        w_memory *m = inst->mems[ip[1]];
        uint64_t d = v[2] & m->addr_mask, n = v[4] & m->addr_mask, fe;
        t = vm_memory_fill(ex, m, d, (uint8_t)v[3], n, &fe);
        if (W_UNLIKELY(t != W_TRAP_OK)) return nat_mem_trap(ex, fn, pc, m, t, fe, true);
        return W_TRAP_OK;
    }
    case W_OP_MEMORY_COPY: {
        w_memory *dm = inst->mems[ip[1]], *sm = inst->mems[ip[2]];
        uint64_t d = v[3] & dm->addr_mask, s = v[4] & sm->addr_mask;
        uint64_t n = (dm->is64 && sm->is64) ? v[5] : (uint32_t)v[5], fe;
        bool fw = false;
        t = vm_memory_copy(ex, dm, d, sm, s, n, &fe, &fw);
        if (W_UNLIKELY(t != W_TRAP_OK)) return nat_mem_trap(ex, fn, pc, fw ? dm : sm, t, fe, fw);
        return W_TRAP_OK;
    }
    case W_OP_MEMORY_INIT: {
        w_memory *m = inst->mems[ip[1]];
        uint64_t fe;
        t = vm_memory_init(ex, m, v[3] & m->addr_mask, &inst->datas[ip[2]], (uint32_t)v[4],
                           (uint32_t)v[5], &fe);
        if (W_UNLIKELY(t != W_TRAP_OK)) return nat_mem_trap(ex, fn, pc, m, t, fe, true);
        return W_TRAP_OK;
    }
    case W_OP_SEGMENT_NEW: {
        w_memory *m = inst->mems[ip[4]];
        uint64_t out = 0;
        t = tag_seg_new(m, v[1] & m->addr_mask, nat_imm64(ip + 5), v[2] & m->addr_mask, &out,
                        ex->trap_msg, sizeof ex->trap_msg);
        if (t == W_TRAP_OK) v[3] = out;
        break;
    }
    case W_OP_SEGMENT_SET_TAG: {
        w_memory *m = inst->mems[ip[4]];
        t = tag_seg_set(m, v[1] & m->addr_mask, nat_imm64(ip + 5), v[2] & m->addr_mask,
                        v[3] & m->addr_mask, ex->trap_msg, sizeof ex->trap_msg);
        break;
    }
    case W_OP_SEGMENT_FREE: {
        w_memory *m = inst->mems[ip[3]];
        t = tag_seg_free(m, v[1] & m->addr_mask, nat_imm64(ip + 4), v[2] & m->addr_mask,
                         ex->trap_msg, sizeof ex->trap_msg);
        break;
    }
    case W_OP_I64_POINTER_SIGN:
    case W_OP_I32_POINTER_SIGN:
    case W_OP_I64_POINTER_AUTH:
    case W_OP_I32_POINTER_AUTH: {
        bool is64 = op == W_OP_I64_POINTER_SIGN || op == W_OP_I64_POINTER_AUTH;
        bool sign = op == W_OP_I64_POINTER_SIGN || op == W_OP_I32_POINTER_SIGN;
        uint64_t r = 0, a = is64 ? v[1] : (uint32_t)v[1];
        t = sign ? pac_sign(inst, is64, a, &r, ex->trap_msg, sizeof ex->trap_msg)
                 : pac_auth(inst, is64, a, &r, ex->trap_msg, sizeof ex->trap_msg);
        if (t == W_TRAP_OK) v[2] = r;
        break;
    }
    case W_OP_I64_POINTER_STRIP: v[2] = pac_strip(inst, true, v[1]); return W_TRAP_OK;
    case W_OP_I32_POINTER_STRIP: v[2] = pac_strip(inst, false, (uint32_t)v[1]); return W_TRAP_OK;
    default: return nat_h_trap(ex, fn, pc, W_TRAP_UNREACHABLE);
    }
    /* The segment and pointer instructions: the detail is in trap_msg. */
    if (W_UNLIKELY(t != W_TRAP_OK))
        vm_record_trap(ex, t, fn, fn->code->code + pc, nat_top(ex), false);
    return t;
}

/* ---- SIMD ------------------------------------------------------------------------------ */

W_INLINE w_v128 nat_rdv(const uint64_t *v, uint32_t k)
{
    w_v128 x;
    memcpy(&x, v + 2 * k, 16);
    return x;
}

W_INLINE void nat_wrv(uint64_t *v, uint32_t k, w_v128 x)
{
    memcpy(v + 2 * k, &x, 16);
}

/* One case per shape of simd.def: operands from the pairs of their words. */
#define NAT_V(k) nat_rdv(v, k)
#define NAT_I(k) ((uint32_t)v[2 * (k)])
#define NAT_L(k) (v[2 * (k)])
#define NAT_SIMD_V_V(N) nat_wrv(v, 2, simd_##N(NAT_V(1)))
#define NAT_SIMD_VV_V(N) nat_wrv(v, 3, simd_##N(NAT_V(1), NAT_V(2)))
#define NAT_SIMD_VVV_V(N) nat_wrv(v, 4, simd_##N(NAT_V(1), NAT_V(2), NAT_V(3)))
#define NAT_SIMD_V_I(N) v[4] = (uint32_t)simd_##N(NAT_V(1))
#define NAT_SIMD_VI_V(N) nat_wrv(v, 3, simd_##N(NAT_V(1), NAT_I(2)))
#define NAT_SIMD_I_V(N) nat_wrv(v, 2, simd_##N(NAT_I(1)))
#define NAT_SIMD_L_V(N) nat_wrv(v, 2, simd_##N(NAT_L(1)))
#define NAT_SIMD_F_V(N) NAT_SIMD_I_V(N)
#define NAT_SIMD_D_V(N) NAT_SIMD_L_V(N)
#define NAT_SIMD_EXTRACT_I(N) v[4] = (uint32_t)simd_##N(NAT_V(1), ip[3])
#define NAT_SIMD_EXTRACT_L(N) v[4] = (uint64_t)simd_##N(NAT_V(1), ip[3])
#define NAT_SIMD_EXTRACT_F(N) NAT_SIMD_EXTRACT_I(N)
#define NAT_SIMD_EXTRACT_D(N) NAT_SIMD_EXTRACT_L(N)
#define NAT_SIMD_REPLACE_I(N) nat_wrv(v, 3, simd_##N(NAT_V(1), NAT_I(2), ip[4]))
#define NAT_SIMD_REPLACE_L(N) nat_wrv(v, 3, simd_##N(NAT_V(1), NAT_L(2), ip[4]))
#define NAT_SIMD_REPLACE_F(N) NAT_SIMD_REPLACE_I(N)
#define NAT_SIMD_REPLACE_D(N) NAT_SIMD_REPLACE_L(N)
#define NAT_SIMD_SHUFFLE(N)                                                                        \
    do {                                                                                           \
        w_v128 l;                                                                                  \
        memcpy(&l, ip + 4, 16);                                                                    \
        nat_wrv(v, 3, simd_##N(NAT_V(1), NAT_V(2), l));                                            \
    } while (0)

void nat_h_simd(uint32_t op, const uint32_t *ip, uint64_t *v)
{
    switch ((w_op)op) {
#define SIMD(NAME, code, shape, lanes)                                                             \
    case W_OP_##NAME:                                                                              \
        NAT_SIMD_##shape(NAME);                                                                    \
        break;
#include "exec/simd.def"
    default: break;
    }
}

void nat_h_vload(uint32_t op, const uint8_t *p, uint64_t *v)
{
    w_v128 x;
    memset(&x, 0, sizeof x);
    switch ((w_op)op) {
    case W_OP_V128_LOAD8X8_S:
        for (int i = 0; i < 8; i++)
            x.i16[i] = (int8_t)p[i];
        break;
    case W_OP_V128_LOAD8X8_U:
        for (int i = 0; i < 8; i++)
            x.u16[i] = p[i];
        break;
    case W_OP_V128_LOAD16X4_S:
        for (int i = 0; i < 4; i++) {
            int16_t h;
            memcpy(&h, p + 2 * i, 2);
            x.i32[i] = h;
        }
        break;
    case W_OP_V128_LOAD16X4_U:
        for (int i = 0; i < 4; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            x.u32[i] = h;
        }
        break;
    case W_OP_V128_LOAD32X2_S:
        for (int i = 0; i < 2; i++)
            x.i64[i] = (int32_t)w_rd32(p + 4 * i);
        break;
    case W_OP_V128_LOAD32X2_U:
        for (int i = 0; i < 2; i++)
            x.u64[i] = w_rd32(p + 4 * i);
        break;
    case W_OP_V128_LOAD8_SPLAT: memset(&x, p[0], 16); break;
    case W_OP_V128_LOAD16_SPLAT:
        for (int i = 0; i < 8; i++)
            memcpy(&x.u16[i], p, 2);
        break;
    case W_OP_V128_LOAD32_SPLAT:
        for (int i = 0; i < 4; i++)
            x.u32[i] = w_rd32(p);
        break;
    case W_OP_V128_LOAD64_SPLAT: x.u64[0] = x.u64[1] = w_rd64(p); break;
    case W_OP_V128_LOAD32_ZERO: x.u64[0] = w_rd32(p); break;
    case W_OP_V128_LOAD64_ZERO: x.u64[0] = w_rd64(p); break;
    default: memcpy(&x, p, 16); break;
    }
    memcpy(v, &x, 16);
}

const w_native_sym nat_helpers[] = {
    {"nat_h_simd", (void *)nat_h_simd},
    {"nat_h_vload", (void *)nat_h_vload},
    {"nat_h_trap", (void *)nat_h_trap},
    {"nat_h_interrupt", (void *)nat_h_interrupt},
    {"nat_h_fuel_bulk", (void *)nat_h_fuel_bulk},
    {"nat_h_call", (void *)nat_h_call},
    {"nat_h_indirect", (void *)nat_h_indirect},
    {"nat_h_load", (void *)nat_h_load},
    {"nat_h_store", (void *)nat_h_store},
    {"nat_h_memory_grow", (void *)nat_h_memory_grow},
    {"nat_h_op", (void *)nat_h_op},
};
const uint32_t nat_nhelpers = sizeof nat_helpers / sizeof nat_helpers[0];
