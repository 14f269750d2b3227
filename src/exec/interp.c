/* interp.c - the interpreter: runs the internal code described in ir.h.
 *
 * One function, vm_run, executes every instruction. It is written against
 * three dispatch macros (vmdispatch / vmcase / vmbreak, as in Lua): under GCC
 * and clang each handler ends in its own indirect jump through the handler
 * word (computed goto, "threaded code"); with -DWARD_SWITCH_DISPATCH the same
 * source becomes a portable loop around a switch.
 *
 * Under computed goto the handler word is the offset of the handler's label
 * from a base label inside vm_run. Offsets rather than absolute addresses
 * keep the words 32-bit and the compiled code position-independent. The
 * table of offsets is a static constant inside vm_run (label differences are
 * link-time constants), handed out by calling vm_run in "export" mode, so no
 * run-time initialisation can race.
 *
 * Interpreter state lives in locals so that the compiler keeps it in
 * registers: ip, fp, the running function and its instance, the frame stack
 * top, and the translation state of memory 0: its span, and its page table
 * when it is paged. Anything that can change those (calls, returns, host
 * calls, memory.grow, bulk operations, store slow paths) reloads them.
 * Region mapping, protection and transfer only happen between guest calls
 * or inside host functions, and they change table entries, never the
 * table's address.
 *
 * Loads and stores translate addresses with the access paths of the memory
 * layer (mem/access.h); the compiler picked each access's path from its
 * memory's mode.
 *
 * Wasm-to-wasm calls never recurse in C: they push a w_frame and continue in
 * the same loop. Only host functions that call back into wasm nest vm_run,
 * and that nesting is bounded by the native stack the thread really has
 * (vm_call keeps VM_STACK_RESERVE free, exec.h) as well as by max_frames.
 */
#include "base/base.h"
#include "exec/ir.h"
#include "exec/numeric.h"
#include "mem/access.h"
#include "exec/exec.h"
#include "exec/native.h"
#include "exec/simd.h"
#include "platform/platform.h"

#include <stdatomic.h>

/* ---- dispatch skeleton ------------------------------------------------------ */

/* Computed goto needs GCC or clang. Sanitizer builds use the switch too:
 * with computed goto every handler's indirect jump is an edge to every
 * handler, and clang's sanitizer instrumentation on that graph takes many
 * minutes and gigabytes to compile; the switch keeps it linear. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if !defined(WARD_SWITCH_DISPATCH) &&                                                              \
    ((!defined(__GNUC__) && !defined(__clang__)) || defined(__SANITIZE_ADDRESS__) ||               \
     __has_feature(address_sanitizer))
#define WARD_SWITCH_DISPATCH 1
#endif

/* Debug-only profiling build (-DWARD_OPSTATS, implies the switch): counts
 * every executed instruction, op pair and op triple and prints the hottest
 * at exit (see vm_opstat at the end of this file). */
#ifdef WARD_OPSTATS
#undef WARD_SWITCH_DISPATCH
#define WARD_SWITCH_DISPATCH 1
static uint32_t vm_opstat(uint32_t op);
#define VM_STAT(w) vm_opstat(w)
#else
#define VM_STAT(w) (w)
#endif

#ifdef WARD_SWITCH_DISPATCH
#define vmdispatch(w) switch (VM_STAT(w))
#define vmcase(NAME) case W_OP_##NAME:
#define vmbreak break
#define vmdefault                                                                                  \
    default:                                                                                       \
        VM_TRAP(W_TRAP_UNREACHABLE);
#else
#define VM_LBL(NAME) [W_OP_##NAME] = (int32_t)((char *)&&L_##NAME - (char *)&&vm_base)
#define VM_GOTO(w) goto *(void *)((char *)&&vm_base + (int32_t)(w))
#define vmdispatch(w)                                                                              \
    vm_base:                                                                                       \
    VM_GOTO(w);
#define vmcase(NAME) L_##NAME:
#define vmbreak VM_GOTO(*ip)
#define vmdefault
#endif

/* Advances past an instruction of n words and dispatches the next one. Not
 * wrapped in do/while: under the switch fallback vmbreak is `break`, which
 * must leave the switch. Use only as the last statement of a handler. */
#define NEXT(n)                                                                                    \
    ip += (n);                                                                                     \
    vmbreak

/* Raises a trap at the current instruction (ip still points at it). */
#define VM_TRAP(code)                                                                              \
    do {                                                                                           \
        trap = (code);                                                                             \
        goto vm_trap;                                                                              \
    } while (0)

/* Raises the memory trap in `trap` at the current instruction, a fault of
 * memory m_ at ea_; a trap with a detail (a permission fault: the page and
 * the reason; a tag mismatch: both tags and the address) carries it in
 * ex->trap_msg (mem_trap_msg). */
#define VM_MEM_TRAP(m_, ea_, write_)                                                               \
    do {                                                                                           \
        if (trap != W_TRAP_MEM_OOB) {                                                              \
            vm_record_trap(ex, trap, fn, ip, frp, true);                                           \
            mem_trap_msg((m_), trap, (ea_), (write_), ex->trap_msg, sizeof ex->trap_msg);          \
            goto vm_out;                                                                           \
        }                                                                                          \
        VM_TRAP(trap);                                                                             \
    } while (0)

/* Raises the trap in `trap` whose detail is already in ex->trap_msg. */
#define VM_TRAP_DETAIL()                                                                           \
    do {                                                                                           \
        vm_record_trap(ex, trap, fn, ip, frp, false);                                              \
        goto vm_out;                                                                               \
    } while (0)

/* Operand access: word k of the current instruction names a frame slot. */
#define SLOT(k) fp[ip[k]]
#define RI32(k) ((uint32_t)fp[ip[k]])
#define RI64(k) (fp[ip[k]])
#define RF32(k) w_f32((uint32_t)fp[ip[k]])
#define RF64(k) w_f64(fp[ip[k]])

/* Reloads what memory 0's forms (the layout-0 paths of mem/access.h) use:
 * the bytes [0, size) that loads may read at base + address and those
 * [0, wsize) that stores may write at wbase + address, memory 0's span
 * (all of a flat memory; paged.h for a paged one), and for a paged 32-bit
 * memory its page tables; otherwise empty tables (vm_no_pages), so that
 * the cache and the tables always miss and the exact slow path decides.
 * A tagged memory with tags (tag_any) gets neither: its paths then check
 * tags (mem_tagged0): a flat one with its tag array in mem0_tags and all
 * of its bytes as the span, a paged one through the slow path; tag_any
 * only changes in segment instructions and host calls, which reload.
 * The span is copied, not read in place, so that paged and flat accesses
 * are the same code on the same variables; every handler that can change
 * memory 0's tables (host calls, memory.grow, bulk operations, store slow
 * paths, which copy on write) must reload it before the next access. */
#define VM_RELOAD_MEM0()                                                                           \
    do {                                                                                           \
        mem0_m = NULL;                                                                             \
        mem0_tags = NULL;                                                                          \
        if (inst->module->nmems) {                                                                 \
            const w_memory *m0_ = mem0_m = inst->mems[0];                                          \
            mem0_base = m0_->span.rd_base;                                                         \
            mem0_size = m0_->span.rd_lim;                                                          \
            mem0_wbase = m0_->span.wr_base;                                                        \
            mem0_wsize = m0_->span.wr_lim;                                                         \
            mem0_pt = m0_->mode == W_MEM_PAGED && !m0_->is64 ? m0_->pg_rd : vm_no_pages;           \
            if (m0_->tag_any) { /* the tagged paths' "nothing tagged" view is empty */             \
                mem0_size = mem0_wsize = 0;                                                        \
                mem0_pt = vm_no_pages;                                                             \
                if (m0_->tags) { /* flat: the nibbles decide, on these registers */                \
                    mem0_tags = m0_->tags;                                                         \
                    mem0_base = mem0_wbase = m0_->base;                                            \
                    mem0_size = mem0_wsize = m0_->size;                                            \
                }                                                                                  \
            }                                                                                      \
        } else {                                                                                   \
            mem0_base = mem0_wbase = NULL;                                                         \
            mem0_size = mem0_wsize = 0;                                                            \
            mem0_pt = vm_no_pages;                                                                 \
        }                                                                                          \
    } while (0)

/* Fuel and interrupt checks, done at calls and loop back-edges. The
 * interrupt word is read relaxed (a plain load on every machine); only when
 * it is set does the exchange, with acquire ordering, take the trap code and
 * clear it, so a request that lands in between is not lost. */
#define VM_CHECK_LIMITS()                                                                          \
    do {                                                                                           \
        if (W_UNLIKELY(ex->fuel_on) && --ex->fuel < 0) {                                           \
            ex->fuel = 0;                                                                          \
            VM_TRAP(W_TRAP_FUEL);                                                                  \
        }                                                                                          \
        if (W_UNLIKELY(atomic_load_explicit(&ex->interrupt, memory_order_relaxed)))                \
            VM_TRAP(vm_take_interrupt(ex));                                                        \
    } while (0)

/* ---- small helpers ------------------------------------------------------------ */

/* The taken path of VM_CHECK_LIMITS: clears the interrupt word and returns
 * the trap it asked for. Out of line, so that the check in each handler
 * stays a load, a test and a branch (inlined, the exchange's address would
 * be computed ahead of the branch). */
W_NOINLINE w_trap vm_take_interrupt(w_exec *ex)
{
    int t = atomic_exchange_explicit(&ex->interrupt, 0, memory_order_acquire);
    return t != 0 ? (w_trap)t : W_TRAP_INTERRUPTED;
}

/* The page tables seen by memory 0's paged forms when memory 0 is not a
 * paged 32-bit memory, laid out as a paged memory's (paged.h): every table
 * entry PG_EXC and every cache entry empty, so an access can only take the
 * slow path, which decides it exactly, and nothing is ever written here.
 * Code compiled for a paged memory 0 only ever runs with one, so this is a
 * guard, never read in practice (zero-filled .bss: it costs address space,
 * no RAM). */
static uint8_t *vm_no_pages[PG_CACHED32 / sizeof(uint8_t *)];

W_INLINE uint64_t vm_imm64(const uint32_t *w)
{
    return (uint64_t)w[0] | (uint64_t)w[1] << 32;
}

W_INLINE w_v128 vm_rdv(const uint64_t *fp, uint32_t slot)
{
    w_v128 v;
    memcpy(&v, fp + slot, 16);
    return v;
}

W_INLINE void vm_wrv(uint64_t *fp, uint32_t slot, w_v128 v)
{
    memcpy(fp + slot, &v, 16);
}

/* An address operand of memory m: i64 for a 64-bit memory, else i32 (a
 * mask rather than a test of is64: no branch). */
W_INLINE uint64_t vm_addr(const w_memory *m, uint64_t slot)
{
    return slot & m->addr_mask;
}

/* Does [start, start+n) lie within [0, size)? n = 0 at start = size is fine. */
W_INLINE bool vm_range_ok(uint64_t start, uint64_t n, uint64_t size)
{
    return start <= size && n <= size - start;
}

/* Host address of the `bytes` bytes at addr+offset in flat memory m, or
 * NULL if any of them is out of bounds (including when addr+offset
 * overflows 64 bits). For the bulk operations; loads and stores use the
 * access paths (mem/access.h). */
W_INLINE uint8_t *vm_mem_at(const w_memory *m, uint64_t addr, uint64_t offset, uint64_t bytes)
{
    uint64_t ea = addr + offset;
    if (W_UNLIKELY(ea < addr)) return NULL;
    if (W_UNLIKELY(m->mode != W_MEM_FLAT)) return NULL;
    if (W_UNLIKELY(!vm_range_ok(ea, bytes, m->size))) return NULL;
    return m->base + ea;
}

/* ---- bulk operations -----------------------------------------------------------
 * memory.fill, memory.copy and memory.init can touch gigabytes in one
 * instruction. Each checks its whole range first (a trap leaves memory
 * untouched, as the spec says), then pays fuel by size (W_FUEL_BULK_BYTES
 * in exec.h), then works in chunks of VM_BULK_CHUNK bytes and looks at the
 * interrupt flag, which the deadline's watchdog sets, between chunks: so
 * neither fuel nor a timeout lets one instruction run for long. An
 * interrupted operation stops part-way and traps, which ends the call.
 * Table operations only pay fuel: a table has at most W_MAX_TABLE_SIZE
 * elements, a few milliseconds of work. */
#define VM_BULK_CHUNK ((uint64_t)1 << 20)

/* The trap for a pending interrupt (consuming it, as VM_CHECK_LIMITS
 * does), or W_TRAP_OK. */
static w_trap vm_interrupted(w_exec *ex)
{
    if (W_LIKELY(!atomic_load_explicit(&ex->interrupt, memory_order_relaxed))) return W_TRAP_OK;
    return vm_take_interrupt(ex);
}

/* Can [ea, ea+n) of m be accessed (written if `write`)? *fault: where not.
 * A tagged memory's ea carries a tag, which every granule must have. */
static w_trap vm_bulk_check(const w_memory *m, uint64_t ea, uint64_t n, bool write, uint64_t *fault)
{
    uint64_t sea;
    if (m->tagged) return pg_check_access(m, ea, n, write, &sea, fault);
    if (m->mode == W_MEM_PAGED) return pg_check(m, ea, n, write, fault);
    *fault = ea;
    return vm_range_ok(ea, n, m->size) ? W_TRAP_OK : W_TRAP_MEM_OOB;
}

/* memory.fill: n bytes of v at d in m. On a memory trap *fault is the
 * faulting address. */
W_NOINLINE w_trap vm_memory_fill(w_exec *ex, w_memory *m, uint64_t d, uint8_t v, uint64_t n,
                                 uint64_t *fault)
{
    w_trap t = vm_bulk_check(m, d, n, true, fault);
    if (t != W_TRAP_OK) return t;
    if (!vm_fuel_bulk(ex, n)) return W_TRAP_FUEL;
    /* Checked: a flat memory's bytes are at its base (d without its tag). */
    uint8_t *p = m->mode == W_MEM_PAGED ? NULL : vm_mem_at(m, mem_addr_strip(m, d), 0, n);
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < VM_BULK_CHUNK ? n - done : VM_BULK_CHUNK;
        if (p) {
            memset(p + done, v, k);
        } else {
            t = pg_fill(m, d + done, v, k, fault);
            if (t != W_TRAP_OK) return t;
        }
        done += k;
        if (done < n && (t = vm_interrupted(ex)) != W_TRAP_OK) return t;
    }
    return W_TRAP_OK;
}

/* memory.copy: n bytes from s in sm to d in dm, as memmove. On a memory
 * trap *fault is the faulting address, in dm if *fault_write else in sm. */
W_NOINLINE w_trap vm_memory_copy(w_exec *ex, w_memory *dm, uint64_t d, w_memory *sm, uint64_t s,
                                 uint64_t n, uint64_t *fault, bool *fault_write)
{
    uint64_t fs, fd;
    w_trap ts = vm_bulk_check(sm, s, n, false, &fs), td = vm_bulk_check(dm, d, n, true, &fd);
    /* Out of bounds anywhere wins over a permission fault. */
    if (ts == W_TRAP_MEM_OOB || (ts != W_TRAP_OK && td != W_TRAP_MEM_OOB)) {
        *fault = fs;
        *fault_write = false;
        return ts;
    }
    if (td != W_TRAP_OK) {
        *fault = fd;
        *fault_write = true;
        return td;
    }
    if (!vm_fuel_bulk(ex, n)) return W_TRAP_FUEL;
    bool paged = dm->mode == W_MEM_PAGED || sm->mode == W_MEM_PAGED;
    uint8_t *dp = paged ? NULL : vm_mem_at(dm, mem_addr_strip(dm, d), 0, n);
    const uint8_t *sp = paged ? NULL : vm_mem_at(sm, mem_addr_strip(sm, s), 0, n);
    /* Chunks from the top down when the destination is above the source,
     * so that overlapping ranges copy as memmove does. */
    bool back = dm == sm && d > s;
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < VM_BULK_CHUNK ? n - done : VM_BULK_CHUNK;
        uint64_t off = back ? n - done - k : done;
        if (!paged) {
            memmove(dp + off, sp + off, k);
        } else {
            w_trap t = pg_copy(dm, d + off, sm, s + off, k, fault, fault_write);
            if (t != W_TRAP_OK) return t;
        }
        done += k;
        w_trap t = done < n ? vm_interrupted(ex) : W_TRAP_OK;
        if (t != W_TRAP_OK) return t;
    }
    return W_TRAP_OK;
}

/* memory.init: n bytes of seg from s to d in m. *fault as memory.fill. */
W_NOINLINE w_trap vm_memory_init(w_exec *ex, w_memory *m, uint64_t d, const w_datart *seg,
                                 uint32_t s, uint32_t n, uint64_t *fault)
{
    *fault = d;
    if (!vm_range_ok(s, n, seg->len)) return W_TRAP_MEM_OOB;
    w_trap t = vm_bulk_check(m, d, n, true, fault);
    if (t != W_TRAP_OK) return t;
    if (!vm_fuel_bulk(ex, n)) return W_TRAP_FUEL;
    uint8_t *p = m->mode == W_MEM_PAGED ? NULL : vm_mem_at(m, mem_addr_strip(m, d), 0, n);
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < VM_BULK_CHUNK ? n - done : VM_BULK_CHUNK;
        if (p) {
            memcpy(p + done, seg->bytes + s + done, k);
        } else {
            t = pg_write(m, d + done, seg->bytes + s + done, k, fault);
            if (t != W_TRAP_OK) return t;
        }
        done += k;
        if (done < n && (t = vm_interrupted(ex)) != W_TRAP_OK) return t;
    }
    return W_TRAP_OK;
}

/* Does callee have type `typeidx` of module m? Within one module equal types
 * share a canonical index, so that is the fast path. */
W_INLINE bool vm_type_matches(const w_func *callee, const w_module *m, uint32_t typeidx)
{
    const w_functype *want = &m->types[typeidx];
    if (callee->type == want) return true;
    if (callee->inst && callee->inst->module == m) return callee->type->canon == want->canon;
    return dec_functype_equal(callee->type, want);
}

/* Records a trap and its backtrace: the trapping function at `ip`, then the
 * callers found in the frame stack below `top`, innermost first. The frame
 * stack is shared by nested vm_call activations (a host call pushes its
 * caller's frame too), so the backtrace continues through host calls. */
W_NOINLINE void vm_record_trap(w_exec *ex, w_trap t, const w_func *fn, const uint32_t *ip,
                               const w_frame *top, bool vm_origin)
{
    const w_frame *f = top;
    ex->trap = t;
    if (vm_origin) ex->trap_msg[0] = '\0';
    ex->nbt = 0;
    ex->bt[ex->nbt].fn = fn;
    ex->bt[ex->nbt].pc = (uint32_t)(ip - fn->code->code);
    ex->nbt++;
    while (f > ex->frames && ex->nbt < W_MAX_BACKTRACE) {
        f--;
        ex->bt[ex->nbt].fn = f->fn;
        ex->bt[ex->nbt].pc = (uint32_t)(f->ip - f->fn->code->code);
        ex->nbt++;
    }
}

/* ---- memory access bodies -----------------------------------------------------
 * One function per load/store kind; the handlers around them only compute
 * the host address (mem/access.h). `d` and `v` point at frame slots. */

W_INLINE void vm_ld_I32_LOAD(uint64_t *d, const uint8_t *p)
{
    *d = w_rd32(p);
}
W_INLINE void vm_ld_I64_LOAD(uint64_t *d, const uint8_t *p)
{
    *d = w_rd64(p);
}
W_INLINE void vm_ld_F32_LOAD(uint64_t *d, const uint8_t *p)
{
    *d = w_rd32(p);
}
W_INLINE void vm_ld_F64_LOAD(uint64_t *d, const uint8_t *p)
{
    *d = w_rd64(p);
}
W_INLINE void vm_ld_I32_LOAD8_S(uint64_t *d, const uint8_t *p)
{
    *d = (uint32_t)(int32_t)(int8_t)p[0];
}
W_INLINE void vm_ld_I32_LOAD8_U(uint64_t *d, const uint8_t *p)
{
    *d = p[0];
}
W_INLINE uint16_t vm_rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
W_INLINE void vm_ld_I32_LOAD16_S(uint64_t *d, const uint8_t *p)
{
    *d = (uint32_t)(int32_t)(int16_t)vm_rd16(p);
}
W_INLINE void vm_ld_I32_LOAD16_U(uint64_t *d, const uint8_t *p)
{
    *d = vm_rd16(p);
}
W_INLINE void vm_ld_I64_LOAD8_S(uint64_t *d, const uint8_t *p)
{
    *d = (uint64_t)(int64_t)(int8_t)p[0];
}
W_INLINE void vm_ld_I64_LOAD8_U(uint64_t *d, const uint8_t *p)
{
    *d = p[0];
}
W_INLINE void vm_ld_I64_LOAD16_S(uint64_t *d, const uint8_t *p)
{
    *d = (uint64_t)(int64_t)(int16_t)vm_rd16(p);
}
W_INLINE void vm_ld_I64_LOAD16_U(uint64_t *d, const uint8_t *p)
{
    *d = vm_rd16(p);
}
W_INLINE void vm_ld_I64_LOAD32_S(uint64_t *d, const uint8_t *p)
{
    *d = (uint64_t)(int64_t)(int32_t)w_rd32(p);
}
W_INLINE void vm_ld_I64_LOAD32_U(uint64_t *d, const uint8_t *p)
{
    *d = w_rd32(p);
}

W_INLINE void vm_ld_V128_LOAD(uint64_t *d, const uint8_t *p)
{
    memcpy(d, p, 16);
}
W_INLINE void vm_ld_V128_LOAD8X8_S(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    for (int i = 0; i < 8; i++)
        v.i16[i] = (int8_t)p[i];
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD8X8_U(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    for (int i = 0; i < 8; i++)
        v.u16[i] = p[i];
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD16X4_S(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    for (int i = 0; i < 4; i++)
        v.i32[i] = (int16_t)vm_rd16(p + 2 * i);
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD16X4_U(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    for (int i = 0; i < 4; i++)
        v.u32[i] = vm_rd16(p + 2 * i);
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD32X2_S(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    for (int i = 0; i < 2; i++)
        v.i64[i] = (int32_t)w_rd32(p + 4 * i);
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD32X2_U(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    for (int i = 0; i < 2; i++)
        v.u64[i] = w_rd32(p + 4 * i);
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD8_SPLAT(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    memset(&v, p[0], 16);
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD16_SPLAT(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    uint16_t x = vm_rd16(p);
    for (int i = 0; i < 8; i++)
        v.u16[i] = x;
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD32_SPLAT(uint64_t *d, const uint8_t *p)
{
    w_v128 v;
    uint32_t x = w_rd32(p);
    for (int i = 0; i < 4; i++)
        v.u32[i] = x;
    memcpy(d, &v, 16);
}
W_INLINE void vm_ld_V128_LOAD64_SPLAT(uint64_t *d, const uint8_t *p)
{
    uint64_t x = w_rd64(p);
    d[0] = x;
    d[1] = x;
}
W_INLINE void vm_ld_V128_LOAD32_ZERO(uint64_t *d, const uint8_t *p)
{
    d[0] = w_rd32(p);
    d[1] = 0;
}
W_INLINE void vm_ld_V128_LOAD64_ZERO(uint64_t *d, const uint8_t *p)
{
    d[0] = w_rd64(p);
    d[1] = 0;
}

W_INLINE void vm_st_I32_STORE(uint8_t *p, const uint64_t *v)
{
    w_wr32(p, (uint32_t)*v);
}
W_INLINE void vm_st_I64_STORE(uint8_t *p, const uint64_t *v)
{
    w_wr64(p, *v);
}
W_INLINE void vm_st_F32_STORE(uint8_t *p, const uint64_t *v)
{
    w_wr32(p, (uint32_t)*v);
}
W_INLINE void vm_st_F64_STORE(uint8_t *p, const uint64_t *v)
{
    w_wr64(p, *v);
}
W_INLINE void vm_st_I32_STORE8(uint8_t *p, const uint64_t *v)
{
    p[0] = (uint8_t)*v;
}
W_INLINE void vm_st_I32_STORE16(uint8_t *p, const uint64_t *v)
{
    uint16_t x = (uint16_t)*v;
    memcpy(p, &x, 2);
}
W_INLINE void vm_st_I64_STORE8(uint8_t *p, const uint64_t *v)
{
    p[0] = (uint8_t)*v;
}
W_INLINE void vm_st_I64_STORE16(uint8_t *p, const uint64_t *v)
{
    uint16_t x = (uint16_t)*v;
    memcpy(p, &x, 2);
}
W_INLINE void vm_st_I64_STORE32(uint8_t *p, const uint64_t *v)
{
    w_wr32(p, (uint32_t)*v);
}
W_INLINE void vm_st_V128_STORE(uint8_t *p, const uint64_t *v)
{
    memcpy(p, v, 16);
}

/* Lane accesses: `bytes` is the lane width; the lane index was validated by
 * the compiler, the mask only keeps a corrupt one inside the vector. */
W_INLINE void vm_ld_lane(uint64_t *d, const uint64_t *vec, const uint8_t *p, uint32_t bytes,
                         uint32_t lane)
{
    w_v128 v;
    memcpy(&v, vec, 16);
    memcpy(&v.u8[(lane & (16 / bytes - 1)) * bytes], p, bytes);
    memcpy(d, &v, 16);
}
W_INLINE void vm_st_lane(uint8_t *p, const uint64_t *vec, uint32_t bytes, uint32_t lane)
{
    w_v128 v;
    memcpy(&v, vec, 16);
    memcpy(p, &v.u8[(lane & (16 / bytes - 1)) * bytes], bytes);
}

/* ---- operations of the fused and immediate forms (ops.def: BINI, CMPBR) ------- */

W_INLINE uint32_t vm_add32(uint32_t a, uint32_t b)
{
    return a + b;
}
W_INLINE uint32_t vm_mul32(uint32_t a, uint32_t b)
{
    return a * b;
}
W_INLINE uint32_t vm_and32(uint32_t a, uint32_t b)
{
    return a & b;
}
W_INLINE uint32_t vm_or32(uint32_t a, uint32_t b)
{
    return a | b;
}
W_INLINE uint32_t vm_xor32(uint32_t a, uint32_t b)
{
    return a ^ b;
}
W_INLINE bool vm_eq32(uint32_t a, uint32_t b)
{
    return a == b;
}
W_INLINE bool vm_ne32(uint32_t a, uint32_t b)
{
    return a != b;
}
W_INLINE bool vm_lt_s32(uint32_t a, uint32_t b)
{
    return (int32_t)a < (int32_t)b;
}
W_INLINE bool vm_lt_u32(uint32_t a, uint32_t b)
{
    return a < b;
}
W_INLINE bool vm_gt_s32(uint32_t a, uint32_t b)
{
    return (int32_t)a > (int32_t)b;
}
W_INLINE bool vm_gt_u32(uint32_t a, uint32_t b)
{
    return a > b;
}
W_INLINE bool vm_le_s32(uint32_t a, uint32_t b)
{
    return (int32_t)a <= (int32_t)b;
}
W_INLINE bool vm_le_u32(uint32_t a, uint32_t b)
{
    return a <= b;
}
W_INLINE bool vm_ge_s32(uint32_t a, uint32_t b)
{
    return (int32_t)a >= (int32_t)b;
}
W_INLINE bool vm_ge_u32(uint32_t a, uint32_t b)
{
    return a >= b;
}
W_INLINE uint64_t vm_add64(uint64_t a, uint64_t b)
{
    return a + b;
}
W_INLINE uint64_t vm_mul64(uint64_t a, uint64_t b)
{
    return a * b;
}
W_INLINE uint64_t vm_and64(uint64_t a, uint64_t b)
{
    return a & b;
}
W_INLINE uint64_t vm_or64(uint64_t a, uint64_t b)
{
    return a | b;
}
W_INLINE uint64_t vm_xor64(uint64_t a, uint64_t b)
{
    return a ^ b;
}
W_INLINE bool vm_eq64(uint64_t a, uint64_t b)
{
    return a == b;
}
W_INLINE bool vm_ne64(uint64_t a, uint64_t b)
{
    return a != b;
}
W_INLINE bool vm_lt_s64(uint64_t a, uint64_t b)
{
    return (int64_t)a < (int64_t)b;
}
W_INLINE bool vm_lt_u64(uint64_t a, uint64_t b)
{
    return a < b;
}
W_INLINE bool vm_gt_s64(uint64_t a, uint64_t b)
{
    return (int64_t)a > (int64_t)b;
}
W_INLINE bool vm_gt_u64(uint64_t a, uint64_t b)
{
    return a > b;
}
W_INLINE bool vm_le_s64(uint64_t a, uint64_t b)
{
    return (int64_t)a <= (int64_t)b;
}
W_INLINE bool vm_le_u64(uint64_t a, uint64_t b)
{
    return a <= b;
}
W_INLINE bool vm_ge_s64(uint64_t a, uint64_t b)
{
    return (int64_t)a >= (int64_t)b;
}
W_INLINE bool vm_ge_u64(uint64_t a, uint64_t b)
{
    return a >= b;
}
W_INLINE double vm_fadd64(double a, double b)
{
    return a + b;
}
W_INLINE double vm_fsub64(double a, double b)
{
    return a - b;
}
W_INLINE double vm_fmul64(double a, double b)
{
    return a * b;
}
W_INLINE double vm_fdiv64(double a, double b)
{
    return a / b;
}

/* ---- the run loop ------------------------------------------------------------- */

/* Runs fn with its frame at fp (parameters in place, locals zeroed) until it
 * returns to this activation or traps. With labels_out != NULL it only
 * returns the handler label table (computed-goto builds). */
/* noinline/noclone: label offsets are only meaningful for one copy of the
 * function. no_sanitize: UBSan's pointer-overflow and alignment checks on
 * every fp[...] and ip+n multiply compile time by ten; slot indexes were
 * validated by the compiler, frames are 8-byte aligned by construction, and
 * AddressSanitizer still checks every actual access. */
#if defined(__clang__)
__attribute__((noinline, no_sanitize("pointer-overflow", "alignment")))
#elif defined(__GNUC__)
__attribute__((noinline, noclone, no_sanitize("pointer-overflow", "alignment")))
#endif
static w_trap
vm_run(w_exec *ex, w_func *fn, uint64_t *fp, const int32_t **labels_out)
{
#ifndef WARD_SWITCH_DISPATCH
#define CTRL(NAME) VM_LBL(NAME),
#define NUM(NAME, prefix, code, sig) VM_LBL(NAME),
/* Every form of a memory access (W_MEM_PATHS), the fused ones layout 0 only. */
#define VM_LBL_FORM(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) VM_LBL(NAME##SUFFIX),
#define VM_LBL_FORM0(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) W_MEM_IF0(LAYOUT, VM_LBL(NAME##SUFFIX), )
#define LOAD(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(VM_LBL_FORM, NAME)
#define STORE(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(VM_LBL_FORM, NAME)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(VM_LBL_FORM, NAME)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(VM_LBL_FORM, NAME)
#define BINI(NAME, BASE, T, FN) VM_LBL(NAME),
#define CMPBR(BASE, FN)                                                                            \
    VM_LBL(BR_##BASE), VM_LBL(BR_##BASE##_I), VM_LBL(LOOP_##BASE), VM_LBL(LOOP_##BASE##_I),
#define LOADA(NAME, BASE, bytes) W_MEM_PATHS(VM_LBL_FORM0, NAME)
#define STOREA(NAME, BASE, bytes) W_MEM_PATHS(VM_LBL_FORM0, NAME)
#define FLD(NAME, BASE, FN) W_MEM_PATHS(VM_LBL_FORM0, NAME)
#define SIMD(NAME, code, shape, lanes) VM_LBL(NAME),
    static const int32_t vm_labels[W_OP_COUNT_] = {
#include "exec/ops.def"
#include "exec/simd.def"
    };
    if (W_UNLIKELY(labels_out != NULL)) {
        *labels_out = vm_labels;
        return W_TRAP_OK;
    }
#else
    (void)labels_out;
#endif

    w_instance *inst = fn->inst;
    const uint32_t *ip = fn->code->code;
    w_frame *const frbase = ex->frames + ex->nframes;
    w_frame *const frend = ex->frames + ex->max_frames;
    w_frame *frp = frbase;
    uint64_t *const stack_end = ex->stack_end;
    uint8_t *mem0_base, *mem0_wbase; /* see VM_RELOAD_MEM0 */
    uint64_t mem0_size, mem0_wsize;
    uint8_t *const *mem0_pt;  /* pg_rd of a paged memory 0; pg_wr and the cache follow (paged.h) */
    const w_memory *mem0_m;   /* memory 0 itself (or NULL), for the tagged paths */
    const uint8_t *mem0_tags; /* a flat memory 0's tag array once it has tags, else NULL */
    /* volatile: kept in memory. It is written only on the way out (and by
     * bulk operations), and gcc would otherwise give it one of the few
     * callee-saved registers and spill memory 0's span instead. */
    volatile w_trap trap = W_TRAP_OK;
    /* Shared by CALL and CALL_INDIRECT on their way to vm_do_call. */
    w_func *callee;
    uint32_t argbase, call_len;

    VM_RELOAD_MEM0();

    for (;;) {
        vmdispatch(*ip)
        {
            /* ---- control ---------------------------------------------------- */
            vmcase(UNREACHABLE)
            {
                VM_TRAP(W_TRAP_UNREACHABLE);
            }
            vmcase(BR)
            {
                ip += (int32_t)ip[1];
                vmbreak;
            }
            vmcase(BR_LOOP)
            {
                VM_CHECK_LIMITS();
                ip += (int32_t)ip[1];
                vmbreak;
            }
            vmcase(BR_IF)
            {
                if (RI32(1) != 0)
                    ip += (int32_t)ip[2];
                else
                    ip += 3;
                vmbreak;
            }
            vmcase(BR_UNLESS)
            {
                if (RI32(1) == 0)
                    ip += (int32_t)ip[2];
                else
                    ip += 3;
                vmbreak;
            }
            vmcase(BR_TABLE)
            {
                uint32_t i = RI32(1), n = ip[2];
                if (i > n) i = n;
                ip += (int32_t)ip[3 + i];
                vmbreak;
            }
            vmcase(RETURN)
            {
                if (W_UNLIKELY(frp == frbase)) goto vm_done;
                frp--;
                ip = frp->ip;
                fp = frp->fp;
                fn = frp->fn;
                if (fn->inst != inst) {
                    inst = fn->inst;
                    VM_RELOAD_MEM0();
                }
                vmbreak;
            }
            vmcase(CALL)
            {
                callee = inst->funcs[ip[1]];
                argbase = ip[2];
                call_len = 3;
                goto vm_do_call;
            }
            vmcase(CALL_INDIRECT)
            {
                const w_table *t = inst->tables[ip[4]];
                uint32_t i = RI32(1);
                if (W_UNLIKELY(i >= t->size)) VM_TRAP(W_TRAP_UNDEF_ELEM);
                callee = (w_func *)(uintptr_t)t->elems[i];
                if (W_UNLIKELY(callee == NULL)) VM_TRAP(W_TRAP_UNINIT_ELEM);
                if (W_UNLIKELY(!vm_type_matches(callee, inst->module, ip[3])))
                    VM_TRAP(W_TRAP_IND_CALL_MISMATCH);
                argbase = ip[2];
                call_len = 5;
                goto vm_do_call;
            }

            /* ---- parametric, constants, references, globals ------------------ */
            vmcase(SELECT)
            {
                uint64_t a = SLOT(1), b = SLOT(2);
                uint32_t c = RI32(3);
                SLOT(4) = c ? a : b;
                NEXT(5);
            }
            vmcase(SELECT_V128)
            {
                w_v128 a = vm_rdv(fp, ip[1]), b = vm_rdv(fp, ip[2]);
                uint32_t c = RI32(3);
                vm_wrv(fp, ip[4], c ? a : b);
                NEXT(5);
            }
            vmcase(COPY)
            {
                SLOT(2) = SLOT(1);
                NEXT(3);
            }
            vmcase(COPY_V128)
            {
                w_v128 v = vm_rdv(fp, ip[1]);
                vm_wrv(fp, ip[2], v);
                NEXT(3);
            }
            vmcase(CONST32)
            {
                SLOT(1) = ip[2];
                NEXT(3);
            }
            vmcase(CONST64)
            {
                SLOT(1) = vm_imm64(ip + 2);
                NEXT(4);
            }
            vmcase(CONST_V128)
            {
                memcpy(&SLOT(1), ip + 2, 16);
                NEXT(6);
            }
            vmcase(REF_IS_NULL)
            {
                SLOT(2) = SLOT(1) == 0;
                NEXT(3);
            }
            vmcase(REF_FUNC)
            {
                SLOT(2) = (uint64_t)(uintptr_t)inst->funcs[ip[1]];
                NEXT(3);
            }
            vmcase(GLOBAL_GET)
            {
                SLOT(2) = inst->globals[ip[1]]->val[0];
                NEXT(3);
            }
            vmcase(GLOBAL_SET)
            {
                inst->globals[ip[1]]->val[0] = SLOT(2);
                NEXT(3);
            }
            vmcase(GLOBAL_GET_V128)
            {
                memcpy(&SLOT(2), inst->globals[ip[1]]->val, 16);
                NEXT(3);
            }
            vmcase(GLOBAL_SET_V128)
            {
                memcpy(inst->globals[ip[1]]->val, &SLOT(2), 16);
                NEXT(3);
            }

            /* ---- tables ------------------------------------------------------ */
            vmcase(TABLE_GET)
            {
                const w_table *t = inst->tables[ip[1]];
                uint32_t i = RI32(2);
                if (W_UNLIKELY(i >= t->size)) VM_TRAP(W_TRAP_TABLE_OOB);
                SLOT(3) = t->elems[i];
                NEXT(4);
            }
            vmcase(TABLE_SET)
            {
                w_table *t = inst->tables[ip[1]];
                uint32_t i = RI32(2);
                uint64_t v = SLOT(3);
                if (W_UNLIKELY(i >= t->size)) VM_TRAP(W_TRAP_TABLE_OOB);
                t->elems[i] = v;
                NEXT(4);
            }
            vmcase(TABLE_SIZE)
            {
                SLOT(2) = inst->tables[ip[1]]->size;
                NEXT(3);
            }
            vmcase(TABLE_GROW)
            {
                w_table *t = inst->tables[ip[1]];
                uint64_t init = SLOT(2);
                uint32_t n = RI32(3);
                /* Paid for only if it can succeed: a refused grow costs nothing. */
                if (n <= t->max - t->size &&
                    W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
                    VM_TRAP(W_TRAP_FUEL);
                int64_t r = tbl_grow(t, n, init);
                SLOT(4) = (uint32_t)r; /* -1 becomes 0xFFFFFFFF */
                NEXT(5);
            }
            vmcase(TABLE_FILL)
            {
                w_table *t = inst->tables[ip[1]];
                uint32_t i = RI32(2), n = RI32(4);
                uint64_t v = SLOT(3);
                if (W_UNLIKELY(!vm_range_ok(i, n, t->size))) VM_TRAP(W_TRAP_TABLE_OOB);
                if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
                    VM_TRAP(W_TRAP_FUEL);
                for (uint32_t k = 0; k < n; k++)
                    t->elems[i + k] = v;
                NEXT(5);
            }
            vmcase(TABLE_COPY)
            {
                w_table *dt = inst->tables[ip[1]];
                const w_table *st = inst->tables[ip[2]];
                uint32_t d = RI32(3), s = RI32(4), n = RI32(5);
                if (W_UNLIKELY(!vm_range_ok(d, n, dt->size) || !vm_range_ok(s, n, st->size)))
                    VM_TRAP(W_TRAP_TABLE_OOB);
                if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
                    VM_TRAP(W_TRAP_FUEL);
                if (n) memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(uint64_t));
                NEXT(6);
            }
            vmcase(TABLE_INIT)
            {
                w_table *t = inst->tables[ip[1]];
                const w_elemrt *e = &inst->elems[ip[2]];
                uint32_t d = RI32(3), s = RI32(4), n = RI32(5);
                if (W_UNLIKELY(!vm_range_ok(d, n, t->size) || !vm_range_ok(s, n, e->len)))
                    VM_TRAP(W_TRAP_TABLE_OOB);
                if (W_UNLIKELY(!vm_fuel_bulk(ex, (uint64_t)n * W_TABLE_ELEM_BYTES)))
                    VM_TRAP(W_TRAP_FUEL);
                if (n) memmove(t->elems + d, e->refs + s, (size_t)n * sizeof(uint64_t));
                NEXT(6);
            }
            vmcase(ELEM_DROP)
            {
                inst->elems[ip[1]].len = 0;
                NEXT(2);
            }

            /* ---- memory management -------------------------------------------- */
            vmcase(MEMORY_SIZE)
            {
                SLOT(2) = inst->mems[ip[1]]->pages;
                NEXT(3);
            }
            vmcase(MEMORY_GROW)
            {
                w_memory *m = inst->mems[ip[1]];
                uint64_t delta = vm_addr(m, SLOT(2));
                /* The new pages are zero and the guest may touch them all:
                 * paid for like a fill, if the grow can succeed. */
                if (delta <= m->max_pages - m->pages &&
                    W_UNLIKELY(!vm_fuel_bulk(ex, delta * W_PAGE_SIZE)))
                    VM_TRAP(W_TRAP_FUEL);
                int64_t r = mem_grow(m, delta);
                SLOT(3) = m->is64 ? (uint64_t)r : (uint64_t)(uint32_t)r;
                VM_RELOAD_MEM0();
                NEXT(4);
            }
            vmcase(MEMORY_FILL)
            {
                w_memory *m = inst->mems[ip[1]];
                uint64_t d = vm_addr(m, SLOT(2)), n = vm_addr(m, SLOT(4)), fe;
                trap = vm_memory_fill(ex, m, d, (uint8_t)SLOT(3), n, &fe);
                if (W_UNLIKELY(m->mode == W_MEM_PAGED)) VM_RELOAD_MEM0();
                if (W_UNLIKELY(trap != W_TRAP_OK)) VM_MEM_TRAP(m, fe, true);
                NEXT(5);
            }
            vmcase(MEMORY_COPY)
            {
                w_memory *dm = inst->mems[ip[1]], *sm = inst->mems[ip[2]];
                uint64_t d = vm_addr(dm, SLOT(3)), s = vm_addr(sm, SLOT(4));
                uint64_t n = (dm->is64 && sm->is64) ? SLOT(5) : RI32(5), fe;
                bool fw = false;
                trap = vm_memory_copy(ex, dm, d, sm, s, n, &fe, &fw);
                if (W_UNLIKELY(dm->mode == W_MEM_PAGED || sm->mode == W_MEM_PAGED))
                    VM_RELOAD_MEM0();
                if (W_UNLIKELY(trap != W_TRAP_OK)) VM_MEM_TRAP(fw ? dm : sm, fe, fw);
                NEXT(6);
            }
            vmcase(MEMORY_INIT)
            {
                w_memory *m = inst->mems[ip[1]];
                uint64_t fe;
                trap = vm_memory_init(ex, m, vm_addr(m, SLOT(3)), &inst->datas[ip[2]], RI32(4),
                                      RI32(5), &fe);
                if (W_UNLIKELY(m->mode == W_MEM_PAGED)) VM_RELOAD_MEM0();
                if (W_UNLIKELY(trap != W_TRAP_OK)) VM_MEM_TRAP(m, fe, true);
                NEXT(6);
            }
            vmcase(DATA_DROP)
            {
                inst->datas[ip[1]].len = 0;
                NEXT(2);
            }

            /* ---- memory safety (Cage; mem/tag.c, pac.c) ---------------------------
             * Segments change tags and zero memory, which on a paged memory
             * breaks copy-on-write, and a memory's first tag changes its
             * tagged paths' view (VM_RELOAD_MEM0): memory 0's state is
             * reloaded then. */
#define VM_SEG_RELOAD(m, had_tags)                                                                 \
    if ((m)->mode == W_MEM_PAGED || (m)->tag_any != (had_tags)) VM_RELOAD_MEM0()
            vmcase(SEGMENT_NEW)
            {
                w_memory *m = inst->mems[ip[4]];
                bool had = m->tag_any;
                uint64_t out = 0;
                trap = tag_seg_new(m, vm_addr(m, SLOT(1)), vm_imm64(ip + 5), vm_addr(m, SLOT(2)),
                                   &out, ex->trap_msg, sizeof ex->trap_msg);
                VM_SEG_RELOAD(m, had);
                if (W_UNLIKELY(trap != W_TRAP_OK)) VM_TRAP_DETAIL();
                SLOT(3) = out;
                NEXT(7);
            }
            vmcase(SEGMENT_SET_TAG)
            {
                w_memory *m = inst->mems[ip[4]];
                bool had = m->tag_any;
                trap = tag_seg_set(m, vm_addr(m, SLOT(1)), vm_imm64(ip + 5), vm_addr(m, SLOT(2)),
                                   vm_addr(m, SLOT(3)), ex->trap_msg, sizeof ex->trap_msg);
                VM_SEG_RELOAD(m, had);
                if (W_UNLIKELY(trap != W_TRAP_OK)) VM_TRAP_DETAIL();
                NEXT(7);
            }
            vmcase(SEGMENT_FREE)
            {
                w_memory *m = inst->mems[ip[3]];
                bool had = m->tag_any;
                trap = tag_seg_free(m, vm_addr(m, SLOT(1)), vm_imm64(ip + 4), vm_addr(m, SLOT(2)),
                                    ex->trap_msg, sizeof ex->trap_msg);
                VM_SEG_RELOAD(m, had);
                if (W_UNLIKELY(trap != W_TRAP_OK)) VM_TRAP_DETAIL();
                NEXT(6);
            }
            /* Pointer authentication (pac.c): wide is memory64's form. */
#define VM_PAC(fn, wide, ptr)                                                                      \
    {                                                                                              \
        uint64_t r = 0;                                                                            \
        trap = fn(inst, wide, ptr, &r, ex->trap_msg, sizeof ex->trap_msg);                         \
        if (W_UNLIKELY(trap != W_TRAP_OK)) VM_TRAP_DETAIL();                                       \
        SLOT(2) = r;                                                                               \
        NEXT(3);                                                                                   \
    }
            vmcase(I64_POINTER_SIGN) VM_PAC(pac_sign, true, RI64(1)) vmcase(I64_POINTER_AUTH)
                VM_PAC(pac_auth, true, RI64(1)) vmcase(I64_POINTER_STRIP)
            {
                SLOT(2) = pac_strip(inst, true, RI64(1));
                NEXT(3);
            }
            vmcase(I32_POINTER_SIGN) VM_PAC(pac_sign, false, RI32(1)) vmcase(I32_POINTER_AUTH)
                VM_PAC(pac_auth, false, RI32(1)) vmcase(I32_POINTER_STRIP)
            {
                SLOT(2) = pac_strip(inst, false, RI32(1));
                NEXT(3);
            }
#undef VM_PAC

            /* ---- loads and stores ------------------------------------------------
             * One handler per form of each access (W_MEM_PATHS in
             * mem/access.h): it computes the address, calls its path's
             * translate function and, when that finds the host address,
             * runs the access's body (vm_ld_* and vm_st_* above) on it and
             * dispatches; otherwise it traps or the exact slow path
             * decides. */
#define CTRL(NAME)
#define NUM(NAME, prefix, code, sig)
/* The handler skeleton of a form of either layout. VM_RD and VM_WR run
 * BODY with `p` at the host address of the `bytes` bytes the access reads
 * or writes, then dispatch past the instruction's n words, or leave with a
 * trap. XLAT is the call of the path's translate function (it sets p and
 * returns a way, MEM_OOB or MEM_SLOW: access.h); m_, addr_ and off_ are
 * the memory and the address the slow path gets.
 *   loads: the slow path gathers the bytes into tmp;
 *   stores: BODY writes into tmp first, and the slow path scatters all of
 *   it or nothing, which may copy a page on write: memory 0's state is
 *   reloaded then. */
#define VM_RD(XLAT, m_, addr_, off_, bytes, BODY, n)                                               \
    {                                                                                              \
        uint8_t *p;                                                                                \
        int way_ = (XLAT);                                                                         \
        VM_WAYS(way_, BODY, n)                                                                     \
        if (way_ < 0) VM_TRAP(W_TRAP_MEM_OOB);                                                     \
        uint8_t tmp[16];                                                                           \
        uint64_t fault;                                                                            \
        w_trap t_ = mem_load_slow((m_), (addr_), (off_), (bytes), tmp, &fault);                    \
        if (W_UNLIKELY(t_ != W_TRAP_OK)) {                                                         \
            trap = t_;                                                                             \
            VM_MEM_TRAP((m_), fault, false);                                                       \
        }                                                                                          \
        p = tmp;                                                                                   \
        BODY;                                                                                      \
        NEXT(n);                                                                                   \
    }
#define VM_WR(XLAT, m_, addr_, off_, bytes, BODY, n)                                               \
    {                                                                                              \
        uint8_t *p;                                                                                \
        int way_ = (XLAT);                                                                         \
        VM_WAYS(way_, BODY, n)                                                                     \
        if (way_ < 0) VM_TRAP(W_TRAP_MEM_OOB);                                                     \
        uint8_t tmp[16];                                                                           \
        uint64_t fault;                                                                            \
        p = tmp;                                                                                   \
        BODY;                                                                                      \
        w_trap t_ = mem_store_slow((m_), (addr_), (off_), tmp, (bytes), &fault);                   \
        VM_RELOAD_MEM0();                                                                          \
        if (W_UNLIKELY(t_ != W_TRAP_OK)) {                                                         \
            trap = t_;                                                                             \
            VM_MEM_TRAP((m_), fault, true);                                                        \
        }                                                                                          \
        NEXT(n);                                                                                   \
    }
/* Each way of the translate function that found p gets its own copy of
 * BODY and its own dispatch, rather than all of them joining one, so that
 * every fast path is one straight line (gcc's label alignment would pad a
 * join point on it with executed no-ops). Once the function is inlined
 * each of its returns is a constant, so these tests disappear and each way
 * goes straight to its copy; ways past the third share one. */
#define VM_WAYS(way, BODY, n)                                                                      \
    if (W_LIKELY((way) == 1)) {                                                                    \
        BODY;                                                                                      \
        NEXT(n);                                                                                   \
    }                                                                                              \
    if ((way) == 2) {                                                                              \
        BODY;                                                                                      \
        NEXT(n);                                                                                   \
    }                                                                                              \
    if ((way) >= 3) {                                                                              \
        BODY;                                                                                      \
        NEXT(n);                                                                                   \
    }
/* Layout 0: memory 0, whose state is in vm_run's locals (VM_RELOAD_MEM0);
 * ea is a 32-bit address plus a 32-bit offset. */
#define VM_RD0(fn, ea, bytes, BODY, n)                                                             \
    {                                                                                              \
        uint64_t ea_ = (ea);                                                                       \
        VM_RD(mem_##fn(&p, false, mem0_base, mem0_size, mem0_pt, mem0_tags, mem0_m, ip, ea_,       \
                       (bytes)),                                                                   \
              inst->mems[0], ea_, 0, bytes, BODY, n)                                               \
    }
#define VM_WR0(fn, ea, bytes, BODY, n)                                                             \
    {                                                                                              \
        uint64_t ea_ = (ea);                                                                       \
        VM_WR(mem_##fn(&p, true, mem0_wbase, mem0_wsize, mem0_pt, mem0_tags, mem0_m, ip, ea_,      \
                       (bytes)),                                                                   \
              inst->mems[0], ea_, 0, bytes, BODY, n)                                               \
    }
/* Layout M: memory ip[mi], the address in slot ip[1], the 64-bit offset at
 * word oi. */
#define VM_RDM(fn, mi, oi, bytes, BODY, n)                                                         \
    {                                                                                              \
        w_memory *m_ = inst->mems[ip[mi]];                                                         \
        uint64_t a_ = vm_addr(m_, SLOT(1)), o_ = vm_imm64(ip + (oi));                              \
        VM_RD(mem_##fn(&p, false, m_, ip, a_, o_, (bytes)), m_, a_, o_, bytes, BODY, n)            \
    }
#define VM_WRM(fn, mi, oi, bytes, BODY, n)                                                         \
    {                                                                                              \
        w_memory *m_ = inst->mems[ip[mi]];                                                         \
        uint64_t a_ = vm_addr(m_, SLOT(1)), o_ = vm_imm64(ip + (oi));                              \
        VM_WR(mem_##fn(&p, true, m_, ip, a_, o_, (bytes)), m_, a_, o_, bytes, BODY, n)             \
    }
/* One handler per form: vmcase(NAME<SUFFIX>) and the skeleton of its
 * layout. Operand words are in ops.def. */
#define VM_LOAD_0(fn, NAME, bytes)                                                                 \
    VM_RD0(fn, (uint64_t)RI32(1) + ip[3], bytes, vm_ld_##NAME(&SLOT(2), p), 4)
#define VM_LOAD_M(fn, NAME, bytes) VM_RDM(fn, 3, 4, bytes, vm_ld_##NAME(&SLOT(2), p), 6)
#define VM_LOAD(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, bytes)                                       \
    vmcase(NAME##SUFFIX) VM_LOAD_##LAYOUT(fn, NAME, bytes)
#define VM_STORE_0(fn, NAME, bytes)                                                                \
    VM_WR0(fn, (uint64_t)RI32(1) + ip[3], bytes, vm_st_##NAME(p, &SLOT(2)), 4)
#define VM_STORE_M(fn, NAME, bytes) VM_WRM(fn, 3, 4, bytes, vm_st_##NAME(p, &SLOT(2)), 6)
#define VM_STORE(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, bytes)                                      \
    vmcase(NAME##SUFFIX) VM_STORE_##LAYOUT(fn, NAME, bytes)
#define VM_LOAD_LANE_0(fn, bytes)                                                                  \
    VM_RD0(fn, (uint64_t)RI32(1) + ip[4], bytes,                                                   \
           vm_ld_lane(&SLOT(3), &SLOT(2), p, (bytes), ip[5]), 6)
#define VM_LOAD_LANE_M(fn, bytes)                                                                  \
    VM_RDM(fn, 4, 5, bytes, vm_ld_lane(&SLOT(3), &SLOT(2), p, (bytes), ip[7]), 8)
#define VM_LOAD_LANE(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, bytes)                                  \
    vmcase(NAME##SUFFIX) VM_LOAD_LANE_##LAYOUT(fn, bytes)
#define VM_STORE_LANE_0(fn, bytes)                                                                 \
    VM_WR0(fn, (uint64_t)RI32(1) + ip[3], bytes, vm_st_lane(p, &SLOT(2), (bytes), ip[4]), 5)
#define VM_STORE_LANE_M(fn, bytes)                                                                 \
    VM_WRM(fn, 3, 4, bytes, vm_st_lane(p, &SLOT(2), (bytes), ip[6]), 7)
#define VM_STORE_LANE(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, bytes)                                 \
    vmcase(NAME##SUFFIX) VM_STORE_LANE_##LAYOUT(fn, bytes)
#define LOAD(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(VM_LOAD, NAME, bytes)
#define STORE(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(VM_STORE, NAME, bytes)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(VM_LOAD_LANE, NAME, bytes)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(VM_STORE_LANE, NAME, bytes)
#include "exec/ops.def"

            /* ---- i32 comparisons -------------------------------------------------- */
            vmcase(I32_EQZ)
            {
                SLOT(2) = RI32(1) == 0;
                NEXT(3);
            }
            vmcase(I32_EQ)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a == b;
                NEXT(4);
            }
            vmcase(I32_NE)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a != b;
                NEXT(4);
            }
            vmcase(I32_LT_S)
            {
                int32_t a = (int32_t)RI32(1), b = (int32_t)RI32(2);
                SLOT(3) = a < b;
                NEXT(4);
            }
            vmcase(I32_LT_U)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a < b;
                NEXT(4);
            }
            vmcase(I32_GT_S)
            {
                int32_t a = (int32_t)RI32(1), b = (int32_t)RI32(2);
                SLOT(3) = a > b;
                NEXT(4);
            }
            vmcase(I32_GT_U)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a > b;
                NEXT(4);
            }
            vmcase(I32_LE_S)
            {
                int32_t a = (int32_t)RI32(1), b = (int32_t)RI32(2);
                SLOT(3) = a <= b;
                NEXT(4);
            }
            vmcase(I32_LE_U)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a <= b;
                NEXT(4);
            }
            vmcase(I32_GE_S)
            {
                int32_t a = (int32_t)RI32(1), b = (int32_t)RI32(2);
                SLOT(3) = a >= b;
                NEXT(4);
            }
            vmcase(I32_GE_U)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a >= b;
                NEXT(4);
            }

            /* ---- i64 comparisons -------------------------------------------------- */
            vmcase(I64_EQZ)
            {
                SLOT(2) = RI64(1) == 0;
                NEXT(3);
            }
            vmcase(I64_EQ)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a == b;
                NEXT(4);
            }
            vmcase(I64_NE)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a != b;
                NEXT(4);
            }
            vmcase(I64_LT_S)
            {
                int64_t a = (int64_t)RI64(1), b = (int64_t)RI64(2);
                SLOT(3) = a < b;
                NEXT(4);
            }
            vmcase(I64_LT_U)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a < b;
                NEXT(4);
            }
            vmcase(I64_GT_S)
            {
                int64_t a = (int64_t)RI64(1), b = (int64_t)RI64(2);
                SLOT(3) = a > b;
                NEXT(4);
            }
            vmcase(I64_GT_U)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a > b;
                NEXT(4);
            }
            vmcase(I64_LE_S)
            {
                int64_t a = (int64_t)RI64(1), b = (int64_t)RI64(2);
                SLOT(3) = a <= b;
                NEXT(4);
            }
            vmcase(I64_LE_U)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a <= b;
                NEXT(4);
            }
            vmcase(I64_GE_S)
            {
                int64_t a = (int64_t)RI64(1), b = (int64_t)RI64(2);
                SLOT(3) = a >= b;
                NEXT(4);
            }
            vmcase(I64_GE_U)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a >= b;
                NEXT(4);
            }

            /* ---- float comparisons (false whenever a NaN is involved, except ne) -- */
            vmcase(F32_EQ)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = a == b;
                NEXT(4);
            }
            vmcase(F32_NE)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = a != b;
                NEXT(4);
            }
            vmcase(F32_LT)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = a < b;
                NEXT(4);
            }
            vmcase(F32_GT)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = a > b;
                NEXT(4);
            }
            vmcase(F32_LE)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = a <= b;
                NEXT(4);
            }
            vmcase(F32_GE)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = a >= b;
                NEXT(4);
            }
            vmcase(F64_EQ)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = a == b;
                NEXT(4);
            }
            vmcase(F64_NE)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = a != b;
                NEXT(4);
            }
            vmcase(F64_LT)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = a < b;
                NEXT(4);
            }
            vmcase(F64_GT)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = a > b;
                NEXT(4);
            }
            vmcase(F64_LE)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = a <= b;
                NEXT(4);
            }
            vmcase(F64_GE)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = a >= b;
                NEXT(4);
            }

            /* ---- i32 arithmetic ---------------------------------------------------- */
            vmcase(I32_CLZ)
            {
                SLOT(2) = num_i32_clz(RI32(1));
                NEXT(3);
            }
            vmcase(I32_CTZ)
            {
                SLOT(2) = num_i32_ctz(RI32(1));
                NEXT(3);
            }
            vmcase(I32_POPCNT)
            {
                SLOT(2) = num_i32_popcnt(RI32(1));
                NEXT(3);
            }
            vmcase(I32_ADD)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = (uint32_t)(a + b);
                NEXT(4);
            }
            vmcase(I32_SUB)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = (uint32_t)(a - b);
                NEXT(4);
            }
            vmcase(I32_MUL)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = (uint32_t)(a * b);
                NEXT(4);
            }
            vmcase(I32_DIV_S)
            {
                uint32_t a = RI32(1), b = RI32(2), r;
                w_trap t = num_i32_div_s(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I32_DIV_U)
            {
                uint32_t a = RI32(1), b = RI32(2), r;
                w_trap t = num_i32_div_u(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I32_REM_S)
            {
                uint32_t a = RI32(1), b = RI32(2), r;
                w_trap t = num_i32_rem_s(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I32_REM_U)
            {
                uint32_t a = RI32(1), b = RI32(2), r;
                w_trap t = num_i32_rem_u(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I32_AND)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a & b;
                NEXT(4);
            }
            vmcase(I32_OR)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a | b;
                NEXT(4);
            }
            vmcase(I32_XOR)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = a ^ b;
                NEXT(4);
            }
            vmcase(I32_SHL)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = num_i32_shl(a, b);
                NEXT(4);
            }
            vmcase(I32_SHR_S)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = num_i32_shr_s(a, b);
                NEXT(4);
            }
            vmcase(I32_SHR_U)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = num_i32_shr_u(a, b);
                NEXT(4);
            }
            vmcase(I32_ROTL)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = num_i32_rotl(a, b);
                NEXT(4);
            }
            vmcase(I32_ROTR)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = num_i32_rotr(a, b);
                NEXT(4);
            }

            /* ---- i64 arithmetic ---------------------------------------------------- */
            vmcase(I64_CLZ)
            {
                SLOT(2) = num_i64_clz(RI64(1));
                NEXT(3);
            }
            vmcase(I64_CTZ)
            {
                SLOT(2) = num_i64_ctz(RI64(1));
                NEXT(3);
            }
            vmcase(I64_POPCNT)
            {
                SLOT(2) = num_i64_popcnt(RI64(1));
                NEXT(3);
            }
            vmcase(I64_ADD)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a + b;
                NEXT(4);
            }
            vmcase(I64_SUB)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a - b;
                NEXT(4);
            }
            vmcase(I64_MUL)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a * b;
                NEXT(4);
            }
            vmcase(I64_DIV_S)
            {
                uint64_t a = RI64(1), b = RI64(2), r;
                w_trap t = num_i64_div_s(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I64_DIV_U)
            {
                uint64_t a = RI64(1), b = RI64(2), r;
                w_trap t = num_i64_div_u(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I64_REM_S)
            {
                uint64_t a = RI64(1), b = RI64(2), r;
                w_trap t = num_i64_rem_s(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I64_REM_U)
            {
                uint64_t a = RI64(1), b = RI64(2), r;
                w_trap t = num_i64_rem_u(a, b, &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(3) = r;
                NEXT(4);
            }
            vmcase(I64_AND)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a & b;
                NEXT(4);
            }
            vmcase(I64_OR)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a | b;
                NEXT(4);
            }
            vmcase(I64_XOR)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = a ^ b;
                NEXT(4);
            }
            vmcase(I64_SHL)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = num_i64_shl(a, b);
                NEXT(4);
            }
            vmcase(I64_SHR_S)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = num_i64_shr_s(a, b);
                NEXT(4);
            }
            vmcase(I64_SHR_U)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = num_i64_shr_u(a, b);
                NEXT(4);
            }
            vmcase(I64_ROTL)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = num_i64_rotl(a, b);
                NEXT(4);
            }
            vmcase(I64_ROTR)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = num_i64_rotr(a, b);
                NEXT(4);
            }

            /* ---- f32 arithmetic ---------------------------------------------------- */
            vmcase(F32_ABS)
            {
                SLOT(2) = num_f32_abs(RI32(1));
                NEXT(3);
            }
            vmcase(F32_NEG)
            {
                SLOT(2) = num_f32_neg(RI32(1));
                NEXT(3);
            }
            vmcase(F32_CEIL)
            {
                SLOT(2) = w_f32_bits(num_f32_ceil(RF32(1)));
                NEXT(3);
            }
            vmcase(F32_FLOOR)
            {
                SLOT(2) = w_f32_bits(num_f32_floor(RF32(1)));
                NEXT(3);
            }
            vmcase(F32_TRUNC)
            {
                SLOT(2) = w_f32_bits(num_f32_trunc(RF32(1)));
                NEXT(3);
            }
            vmcase(F32_NEAREST)
            {
                SLOT(2) = w_f32_bits(num_f32_nearest(RF32(1)));
                NEXT(3);
            }
            vmcase(F32_SQRT)
            {
                SLOT(2) = w_f32_bits(num_f32_sqrt(RF32(1)));
                NEXT(3);
            }
            vmcase(F32_ADD)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = w_f32_bits(a + b);
                NEXT(4);
            }
            vmcase(F32_SUB)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = w_f32_bits(a - b);
                NEXT(4);
            }
            vmcase(F32_MUL)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = w_f32_bits(a * b);
                NEXT(4);
            }
            vmcase(F32_DIV)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = w_f32_bits(a / b);
                NEXT(4);
            }
            vmcase(F32_MIN)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = w_f32_bits(num_f32_min(a, b));
                NEXT(4);
            }
            vmcase(F32_MAX)
            {
                float a = RF32(1), b = RF32(2);
                SLOT(3) = w_f32_bits(num_f32_max(a, b));
                NEXT(4);
            }
            vmcase(F32_COPYSIGN)
            {
                uint32_t a = RI32(1), b = RI32(2);
                SLOT(3) = num_f32_copysign(a, b);
                NEXT(4);
            }

            /* ---- f64 arithmetic ---------------------------------------------------- */
            vmcase(F64_ABS)
            {
                SLOT(2) = num_f64_abs(RI64(1));
                NEXT(3);
            }
            vmcase(F64_NEG)
            {
                SLOT(2) = num_f64_neg(RI64(1));
                NEXT(3);
            }
            vmcase(F64_CEIL)
            {
                SLOT(2) = w_f64_bits(num_f64_ceil(RF64(1)));
                NEXT(3);
            }
            vmcase(F64_FLOOR)
            {
                SLOT(2) = w_f64_bits(num_f64_floor(RF64(1)));
                NEXT(3);
            }
            vmcase(F64_TRUNC)
            {
                SLOT(2) = w_f64_bits(num_f64_trunc(RF64(1)));
                NEXT(3);
            }
            vmcase(F64_NEAREST)
            {
                SLOT(2) = w_f64_bits(num_f64_nearest(RF64(1)));
                NEXT(3);
            }
            vmcase(F64_SQRT)
            {
                SLOT(2) = w_f64_bits(num_f64_sqrt(RF64(1)));
                NEXT(3);
            }
            vmcase(F64_ADD)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = w_f64_bits(a + b);
                NEXT(4);
            }
            vmcase(F64_SUB)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = w_f64_bits(a - b);
                NEXT(4);
            }
            vmcase(F64_MUL)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = w_f64_bits(a * b);
                NEXT(4);
            }
            vmcase(F64_DIV)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = w_f64_bits(a / b);
                NEXT(4);
            }
            vmcase(F64_MIN)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = w_f64_bits(num_f64_min(a, b));
                NEXT(4);
            }
            vmcase(F64_MAX)
            {
                double a = RF64(1), b = RF64(2);
                SLOT(3) = w_f64_bits(num_f64_max(a, b));
                NEXT(4);
            }
            vmcase(F64_COPYSIGN)
            {
                uint64_t a = RI64(1), b = RI64(2);
                SLOT(3) = num_f64_copysign(a, b);
                NEXT(4);
            }

            /* ---- conversions ------------------------------------------------------- */
            vmcase(I32_WRAP_I64)
            {
                SLOT(2) = (uint32_t)RI64(1);
                NEXT(3);
            }
            vmcase(I32_TRUNC_F32_S)
            {
                uint32_t r;
                w_trap t = num_i32_trunc_f32_s(RF32(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I32_TRUNC_F32_U)
            {
                uint32_t r;
                w_trap t = num_i32_trunc_f32_u(RF32(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I32_TRUNC_F64_S)
            {
                uint32_t r;
                w_trap t = num_i32_trunc_f64_s(RF64(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I32_TRUNC_F64_U)
            {
                uint32_t r;
                w_trap t = num_i32_trunc_f64_u(RF64(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I64_EXTEND_I32_S)
            {
                SLOT(2) = (uint64_t)(int64_t)(int32_t)RI32(1);
                NEXT(3);
            }
            vmcase(I64_EXTEND_I32_U)
            {
                SLOT(2) = RI32(1);
                NEXT(3);
            }
            vmcase(I64_TRUNC_F32_S)
            {
                uint64_t r;
                w_trap t = num_i64_trunc_f32_s(RF32(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I64_TRUNC_F32_U)
            {
                uint64_t r;
                w_trap t = num_i64_trunc_f32_u(RF32(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I64_TRUNC_F64_S)
            {
                uint64_t r;
                w_trap t = num_i64_trunc_f64_s(RF64(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(I64_TRUNC_F64_U)
            {
                uint64_t r;
                w_trap t = num_i64_trunc_f64_u(RF64(1), &r);
                if (W_UNLIKELY(t != W_TRAP_OK)) VM_TRAP(t);
                SLOT(2) = r;
                NEXT(3);
            }
            vmcase(F32_CONVERT_I32_S)
            {
                SLOT(2) = w_f32_bits(num_f32_convert_i32_s(RI32(1)));
                NEXT(3);
            }
            vmcase(F32_CONVERT_I32_U)
            {
                SLOT(2) = w_f32_bits(num_f32_convert_i32_u(RI32(1)));
                NEXT(3);
            }
            vmcase(F32_CONVERT_I64_S)
            {
                SLOT(2) = w_f32_bits(num_f32_convert_i64_s(RI64(1)));
                NEXT(3);
            }
            vmcase(F32_CONVERT_I64_U)
            {
                SLOT(2) = w_f32_bits(num_f32_convert_i64_u(RI64(1)));
                NEXT(3);
            }
            vmcase(F32_DEMOTE_F64)
            {
                SLOT(2) = w_f32_bits(num_f32_demote_f64(RF64(1)));
                NEXT(3);
            }
            vmcase(F64_CONVERT_I32_S)
            {
                SLOT(2) = w_f64_bits(num_f64_convert_i32_s(RI32(1)));
                NEXT(3);
            }
            vmcase(F64_CONVERT_I32_U)
            {
                SLOT(2) = w_f64_bits(num_f64_convert_i32_u(RI32(1)));
                NEXT(3);
            }
            vmcase(F64_CONVERT_I64_S)
            {
                SLOT(2) = w_f64_bits(num_f64_convert_i64_s(RI64(1)));
                NEXT(3);
            }
            vmcase(F64_CONVERT_I64_U)
            {
                SLOT(2) = w_f64_bits(num_f64_convert_i64_u(RI64(1)));
                NEXT(3);
            }
            vmcase(F64_PROMOTE_F32)
            {
                SLOT(2) = w_f64_bits(num_f64_promote_f32(RF32(1)));
                NEXT(3);
            }
            /* Reinterpretations are bit copies; i32/f32 keep the upper half zero. */
            vmcase(I32_REINTERPRET_F32)
            {
                SLOT(2) = RI32(1);
                NEXT(3);
            }
            vmcase(I64_REINTERPRET_F64)
            {
                SLOT(2) = RI64(1);
                NEXT(3);
            }
            vmcase(F32_REINTERPRET_I32)
            {
                SLOT(2) = RI32(1);
                NEXT(3);
            }
            vmcase(F64_REINTERPRET_I64)
            {
                SLOT(2) = RI64(1);
                NEXT(3);
            }
            vmcase(I32_EXTEND8_S)
            {
                SLOT(2) = num_i32_extend8_s(RI32(1));
                NEXT(3);
            }
            vmcase(I32_EXTEND16_S)
            {
                SLOT(2) = num_i32_extend16_s(RI32(1));
                NEXT(3);
            }
            vmcase(I64_EXTEND8_S)
            {
                SLOT(2) = num_i64_extend8_s(RI64(1));
                NEXT(3);
            }
            vmcase(I64_EXTEND16_S)
            {
                SLOT(2) = num_i64_extend16_s(RI64(1));
                NEXT(3);
            }
            vmcase(I64_EXTEND32_S)
            {
                SLOT(2) = num_i64_extend32_s(RI64(1));
                NEXT(3);
            }
            vmcase(I32_TRUNC_SAT_F32_S)
            {
                SLOT(2) = num_i32_trunc_sat_f32_s(RF32(1));
                NEXT(3);
            }
            vmcase(I32_TRUNC_SAT_F32_U)
            {
                SLOT(2) = num_i32_trunc_sat_f32_u(RF32(1));
                NEXT(3);
            }
            vmcase(I32_TRUNC_SAT_F64_S)
            {
                SLOT(2) = num_i32_trunc_sat_f64_s(RF64(1));
                NEXT(3);
            }
            vmcase(I32_TRUNC_SAT_F64_U)
            {
                SLOT(2) = num_i32_trunc_sat_f64_u(RF64(1));
                NEXT(3);
            }
            vmcase(I64_TRUNC_SAT_F32_S)
            {
                SLOT(2) = num_i64_trunc_sat_f32_s(RF32(1));
                NEXT(3);
            }
            vmcase(I64_TRUNC_SAT_F32_U)
            {
                SLOT(2) = num_i64_trunc_sat_f32_u(RF32(1));
                NEXT(3);
            }
            vmcase(I64_TRUNC_SAT_F64_S)
            {
                SLOT(2) = num_i64_trunc_sat_f64_s(RF64(1));
                NEXT(3);
            }
            vmcase(I64_TRUNC_SAT_F64_U)
            {
                SLOT(2) = num_i64_trunc_sat_f64_u(RF64(1));
                NEXT(3);
            }

            /* ---- SIMD ---------------------------------------------------------------
             * Generated per shape (simd.def documents layout and signature);
             * the lane work is in simd_NAME() from simd.h. Inputs are read
             * into locals before the output is written. */
#define VM_SIMD_V_V(N)                                                                             \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        vm_wrv(fp, ip[2], simd_##N(a));                                                            \
        NEXT(3);                                                                                   \
    }
#define VM_SIMD_VV_V(N)                                                                            \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]), b = vm_rdv(fp, ip[2]);                                       \
        vm_wrv(fp, ip[3], simd_##N(a, b));                                                         \
        NEXT(4);                                                                                   \
    }
#define VM_SIMD_VVV_V(N)                                                                           \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]), b = vm_rdv(fp, ip[2]), c = vm_rdv(fp, ip[3]);                \
        vm_wrv(fp, ip[4], simd_##N(a, b, c));                                                      \
        NEXT(5);                                                                                   \
    }
#define VM_SIMD_V_I(N)                                                                             \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        SLOT(2) = (uint32_t)simd_##N(a);                                                           \
        NEXT(3);                                                                                   \
    }
#define VM_SIMD_VI_V(N)                                                                            \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        uint32_t b = RI32(2);                                                                      \
        vm_wrv(fp, ip[3], simd_##N(a, b));                                                         \
        NEXT(4);                                                                                   \
    }
#define VM_SIMD_I_V(N)                                                                             \
    {                                                                                              \
        uint32_t a = RI32(1);                                                                      \
        vm_wrv(fp, ip[2], simd_##N(a));                                                            \
        NEXT(3);                                                                                   \
    }
#define VM_SIMD_L_V(N)                                                                             \
    {                                                                                              \
        uint64_t a = RI64(1);                                                                      \
        vm_wrv(fp, ip[2], simd_##N(a));                                                            \
        NEXT(3);                                                                                   \
    }
#define VM_SIMD_F_V(N) VM_SIMD_I_V(N)
#define VM_SIMD_D_V(N) VM_SIMD_L_V(N)
#define VM_SIMD_EXTRACT_I(N)                                                                       \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        SLOT(2) = (uint32_t)simd_##N(a, ip[3]);                                                    \
        NEXT(4);                                                                                   \
    }
#define VM_SIMD_EXTRACT_L(N)                                                                       \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        SLOT(2) = (uint64_t)simd_##N(a, ip[3]);                                                    \
        NEXT(4);                                                                                   \
    }
#define VM_SIMD_EXTRACT_F(N) VM_SIMD_EXTRACT_I(N)
#define VM_SIMD_EXTRACT_D(N) VM_SIMD_EXTRACT_L(N)
#define VM_SIMD_REPLACE_I(N)                                                                       \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        uint32_t b = RI32(2);                                                                      \
        vm_wrv(fp, ip[3], simd_##N(a, b, ip[4]));                                                  \
        NEXT(5);                                                                                   \
    }
#define VM_SIMD_REPLACE_L(N)                                                                       \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]);                                                              \
        uint64_t b = RI64(2);                                                                      \
        vm_wrv(fp, ip[3], simd_##N(a, b, ip[4]));                                                  \
        NEXT(5);                                                                                   \
    }
#define VM_SIMD_REPLACE_F(N) VM_SIMD_REPLACE_I(N)
#define VM_SIMD_REPLACE_D(N) VM_SIMD_REPLACE_L(N)
#define VM_SIMD_SHUFFLE(N)                                                                         \
    {                                                                                              \
        w_v128 a = vm_rdv(fp, ip[1]), b = vm_rdv(fp, ip[2]), l;                                    \
        memcpy(&l, ip + 4, 16);                                                                    \
        vm_wrv(fp, ip[3], simd_##N(a, b, l));                                                      \
        NEXT(8);                                                                                   \
    }
#define SIMD(NAME, code, shape, lanes) vmcase(NAME) VM_SIMD_##shape(NAME)
#include "exec/simd.def"

            /* ---- fused and immediate forms (ops.def: BINI, CMPBR) -------------------
             * Generated: each body is one call of the operation's function
             * above (vm_add32, num_i32_shl, vm_lt_s32, ...). */
#define BINI(NAME, BASE, T, FN) vmcase(NAME) VM_BINI_##T(FN)
#define VM_BINI_I(FN)                                                                              \
    {                                                                                              \
        SLOT(2) = (uint32_t)FN(RI32(1), ip[3]);                                                    \
        NEXT(4);                                                                                   \
    }
#define VM_BINI_L(FN)                                                                              \
    {                                                                                              \
        SLOT(2) = (uint64_t)FN(RI64(1), vm_imm64(ip + 3));                                         \
        NEXT(5);                                                                                   \
    }
#define VM_BINI_D(FN)                                                                              \
    {                                                                                              \
        SLOT(2) = w_f64_bits(FN(RF64(1), w_f64(vm_imm64(ip + 3))));                                \
        NEXT(5);                                                                                   \
    }
/* FLD, LOADA and STOREA: the layout-0 paths only (memory 0's forms). */
#define VM_FLD(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, FN)                                           \
    W_MEM_IF0(LAYOUT,                                                                              \
              vmcase(NAME##SUFFIX) VM_RD0(fn, (uint64_t)(uint32_t)(RI32(2) + ip[5]) + ip[4], 8,    \
                                          SLOT(3) = w_f64_bits(FN(RF64(1), w_f64(w_rd64(p)))), 6))
#define FLD(NAME, BASE, FN) W_MEM_PATHS(VM_FLD, NAME, FN)
#define CMPBR(BASE, FN)                                                                            \
    vmcase(BR_##BASE)                                                                              \
    {                                                                                              \
        ip += FN(RI32(1), RI32(2)) ? (int32_t)ip[3] : 4;                                           \
        vmbreak;                                                                                   \
    }                                                                                              \
    vmcase(BR_##BASE##_I)                                                                          \
    {                                                                                              \
        ip += FN(RI32(1), ip[2]) ? (int32_t)ip[3] : 4;                                             \
        vmbreak;                                                                                   \
    }                                                                                              \
    vmcase(LOOP_##BASE)                                                                            \
    {                                                                                              \
        if (FN(RI32(1), RI32(2))) {                                                                \
            VM_CHECK_LIMITS();                                                                     \
            ip += (int32_t)ip[3];                                                                  \
        } else {                                                                                   \
            ip += 4;                                                                               \
        }                                                                                          \
        vmbreak;                                                                                   \
    }                                                                                              \
    vmcase(LOOP_##BASE##_I)                                                                        \
    {                                                                                              \
        if (FN(RI32(1), ip[2])) {                                                                  \
            VM_CHECK_LIMITS();                                                                     \
            ip += (int32_t)ip[3];                                                                  \
        } else {                                                                                   \
            ip += 4;                                                                               \
        }                                                                                          \
        vmbreak;                                                                                   \
    }
#define VM_LOADA(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, BASE, bytes)                                \
    W_MEM_IF0(LAYOUT,                                                                              \
              vmcase(NAME##SUFFIX) VM_RD0(fn, (uint64_t)(uint32_t)(RI32(1) + ip[4]) + ip[3],       \
                                          bytes, vm_ld_##BASE(&SLOT(2), p), 5))
#define VM_STOREA(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, BASE, bytes)                               \
    W_MEM_IF0(LAYOUT,                                                                              \
              vmcase(NAME##SUFFIX) VM_WR0(fn, (uint64_t)(uint32_t)(RI32(1) + ip[4]) + ip[3],       \
                                          bytes, vm_st_##BASE(p, &SLOT(2)), 5))
#define LOADA(NAME, BASE, bytes) W_MEM_PATHS(VM_LOADA, NAME, BASE, bytes)
#define STOREA(NAME, BASE, bytes) W_MEM_PATHS(VM_STOREA, NAME, BASE, bytes)
#include "exec/ops.def"

            /* ---- calls (shared tail of CALL and CALL_INDIRECT) ----------------------
             * callee, argbase and call_len are set; ip is still at the call. */
        vm_do_call:
            VM_CHECK_LIMITS();
            if (W_UNLIKELY(frp == frend)) VM_TRAP(W_TRAP_STACK_EXHAUSTED);
            /* In the native tier a function with native code is called as
             * a host function is (native.h): its frames follow ours. */
            w_native_entry nent = NULL;
            if (callee->host != NULL ||
                (W_UNLIKELY(ex->tier_native) && (nent = nat_entry_of(ex, callee)) != NULL)) {
                /* The caller's frame is pushed so that a nested vm_call from
                 * the host lands above it and backtraces see through the
                 * host; ex->sp tells the nested call where free stack starts,
                 * and native code where its frame is (checked as below). */
                if (nent) {
                    w_trap ft = vm_frame_check(ex, stack_end, fp + argbase, callee->code);
                    if (W_UNLIKELY(ft != W_TRAP_OK)) VM_TRAP(ft);
                }
                w_instance *saved_caller = ex->caller;
                frp->ip = ip + call_len;
                frp->fp = fp;
                frp->fn = fn;
                frp++;
                ex->nframes = (uint32_t)(frp - ex->frames);
                ex->sp = nent ? fp + argbase : fp + fn->code->frame_slots;
                ex->caller = inst;
                ex->nbt = 0;
                trap = nent ? nat_run(ex, callee, nent, fp + argbase)
                            : callee->host(ex, callee->host_data, fp + argbase);
                ex->caller = saved_caller;
                frp--;
                VM_RELOAD_MEM0();
                if (W_UNLIKELY(trap != W_TRAP_OK)) {
                    /* A trap inside a nested vm_call already has its full
                     * backtrace; a trap raised by the host itself gets ours. */
                    if (ex->nbt == 0) vm_record_trap(ex, trap, fn, ip, frp, false);
                    ex->trap = trap;
                    goto vm_out;
                }
                ip += call_len;
                vmbreak;
            } else {
                const w_fcode *fc = callee->code;
                uint64_t *nfp = fp + argbase;
                /* Zeroing a large frame's locals is bulk work too. */
                w_trap ft = vm_frame_check(ex, stack_end, nfp, fc);
                if (W_UNLIKELY(ft != W_TRAP_OK)) VM_TRAP(ft);
                frp->ip = ip + call_len;
                frp->fp = fp;
                frp->fn = fn;
                frp++;
                fp = nfp;
                fn = callee;
                if (fc->local_slots)
                    memset(fp + fc->param_slots, 0, (size_t)fc->local_slots * sizeof(uint64_t));
                if (callee->inst != inst) {
                    inst = callee->inst;
                    VM_RELOAD_MEM0();
                }
                ip = fc->code;
                vmbreak;
            }

            vmdefault
        }
    }

vm_trap:
    vm_record_trap(ex, trap, fn, ip, frp, true);
    goto vm_out;
vm_done:
    trap = W_TRAP_OK;
vm_out:
    return trap;
}

/* ---- entry points ----------------------------------------------------------------- */

#ifndef WARD_SWITCH_DISPATCH
/* The label table, fetched once from vm_run. Racing first calls store the
 * same pointer, so a plain atomic publish is enough. */
static const int32_t *_Atomic vm_label_table;
#endif

uint32_t vm_op_word(w_op op)
{
    if ((unsigned)op >= (unsigned)W_OP_COUNT_) op = W_OP_UNREACHABLE;
#ifdef WARD_SWITCH_DISPATCH
    return (uint32_t)op;
#else
    const int32_t *t = atomic_load_explicit(&vm_label_table, memory_order_acquire);
    if (W_UNLIKELY(t == NULL)) {
        vm_run(NULL, NULL, NULL, &t);
        atomic_store_explicit(&vm_label_table, t, memory_order_release);
    }
    return (uint32_t)t[op];
#endif
}

/* vm_call and vm_call_pushed: the frame limit is max_frames + pushed. */
static w_trap vm_call_in(w_exec *ex, w_func *fn, uint64_t *args, uint32_t pushed)
{
    uint64_t *const entry_sp = ex->sp;
    const uint32_t entry_frames = ex->nframes;
    w_trap t;

    /* Host functions may call back in here (through the API), so this is
     * where C recursion happens: refuse a level the native stack cannot
     * hold, whatever its size. */
    if (W_UNLIKELY(plat_stack_left() < VM_STACK_RESERVE)) {
        t = W_TRAP_STACK_EXHAUSTED;
        ex->trap_msg[0] = '\0';
        ex->nbt = 0;
        goto out;
    }
    if (fn->host != NULL) {
        w_instance *saved_caller = ex->caller;
        ex->caller = NULL;
        ex->nbt = 0;
        t = fn->host(ex, fn->host_data, args);
        ex->caller = saved_caller;
        goto out;
    }

    const w_fcode *fc = fn->code;
    uint32_t need = fc->frame_slots;
    if (need < fc->param_slots + fc->local_slots) need = fc->param_slots + fc->local_slots;
    if (need < fc->result_slots) need = fc->result_slots;
    if (ex->nframes >= ex->max_frames + pushed || (size_t)(ex->stack_end - entry_sp) < need) {
        t = W_TRAP_STACK_EXHAUSTED;
        ex->trap_msg[0] = '\0';
        ex->nbt = 0;
        goto out;
    }
    if (W_UNLIKELY(ex->tier_native)) {
        /* Native code's frame is at ex->sp, checked as the interpreter's. */
        w_native_entry e = nat_entry_of(ex, fn);
        if (e) {
            t = nat_run(ex, fn, e, args);
            goto out;
        }
    }

    if (fc->param_slots) memcpy(entry_sp, args, (size_t)fc->param_slots * sizeof(uint64_t));
    if (fc->local_slots)
        memset(entry_sp + fc->param_slots, 0, (size_t)fc->local_slots * sizeof(uint64_t));
    t = vm_run(ex, fn, entry_sp, NULL);
    if (t == W_TRAP_OK && fc->result_slots)
        memcpy(args, entry_sp, (size_t)fc->result_slots * sizeof(uint64_t));

out:
    ex->sp = entry_sp;
    ex->nframes = entry_frames;
    ex->trap = t;
    return t;
}

w_trap vm_call(w_exec *ex, w_func *fn, uint64_t *args)
{
    return vm_call_in(ex, fn, args, 0);
}

w_trap vm_call_pushed(w_exec *ex, w_func *fn, uint64_t *args)
{
    return vm_call_in(ex, fn, args, 1);
}

bool vm_exec_init(w_exec *ex, size_t stack_slots, uint32_t max_frames)
{
    memset(ex, 0, sizeof *ex);
    if (stack_slots == 0 || max_frames == 0) return false;
    ex->stack = w_calloc(stack_slots, sizeof(uint64_t));
    ex->frames = w_calloc(max_frames, sizeof(w_frame));
    if (!ex->stack || !ex->frames) {
        vm_exec_free(ex);
        return false;
    }
    ex->stack_end = ex->stack + stack_slots;
    ex->sp = ex->stack;
    ex->max_frames = max_frames;
    atomic_init(&ex->interrupt, 0);
    return true;
}

void vm_exec_free(w_exec *ex)
{
    w_free(ex->stack);
    w_free(ex->frames);
    ex->stack = ex->stack_end = ex->sp = NULL;
    ex->frames = NULL;
    ex->nframes = 0;
    ex->max_frames = 0;
}

#ifdef WARD_OPSTATS
#include <stdio.h>
#include <stdlib.h>

static const char *const vm_op_names[W_OP_COUNT_] = {
#define CTRL(NAME) [W_OP_##NAME] = #NAME,
#define NUM(NAME, prefix, code, sig) [W_OP_##NAME] = #NAME,
#define VM_NAME_FORM(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) [W_OP_##NAME##SUFFIX] = #NAME #SUFFIX,
#define VM_NAME_FORM0(PATH, fn, SUFFIX, LAYOUT, MODE, NAME)                                        \
    W_MEM_IF0(LAYOUT, [W_OP_##NAME##SUFFIX] = #NAME #SUFFIX, )
#define LOAD(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(VM_NAME_FORM, NAME)
#define STORE(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(VM_NAME_FORM, NAME)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(VM_NAME_FORM, NAME)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(VM_NAME_FORM, NAME)
#define BINI(NAME, BASE, T, FN) [W_OP_##NAME] = #NAME,
#define CMPBR(BASE, FN)                                                                            \
    [W_OP_BR_##BASE] = "BR_" #BASE, [W_OP_BR_##BASE##_I] = "BR_" #BASE "_I",                       \
    [W_OP_LOOP_##BASE] = "LOOP_" #BASE, [W_OP_LOOP_##BASE##_I] = "LOOP_" #BASE "_I",
#define LOADA(NAME, BASE, bytes) W_MEM_PATHS(VM_NAME_FORM0, NAME)
#define STOREA(NAME, BASE, bytes) W_MEM_PATHS(VM_NAME_FORM0, NAME)
#define FLD(NAME, BASE, FN) W_MEM_PATHS(VM_NAME_FORM0, NAME)
#include "exec/ops.def"
#define SIMD(NAME, code, shape, lanes) [W_OP_##NAME] = #NAME,
#include "exec/simd.def"
};

/* Op n-grams in an open-addressing table keyed by (a, b, c) packed in 64 bits. */
#define VM_NGRAMS (1u << 20)
static struct vm_ngram {
    uint64_t key, n;
} * vm_ngrams;
static uint64_t vm_ops[W_OP_COUNT_], vm_total;
static uint32_t vm_prev1 = UINT32_MAX, vm_prev2 = UINT32_MAX;

static void vm_ngram_add(uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    uint32_t i = (uint32_t)(h >> 44);
    while (vm_ngrams[i].n && vm_ngrams[i].key != key)
        i = (i + 1) & (VM_NGRAMS - 1);
    vm_ngrams[i].key = key;
    vm_ngrams[i].n++;
}

static int vm_ngram_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct vm_ngram *)a)->n, y = ((const struct vm_ngram *)b)->n;
    return x < y ? 1 : x > y ? -1 : 0;
}

static const char *vm_opname(uint64_t op)
{
    return op < W_OP_COUNT_ && vm_op_names[op] ? vm_op_names[op] : "-";
}

static void vm_opstat_dump(void)
{
    uint32_t i, k, shown;
    FILE *f = stderr;
    const char *path = getenv("WARD_OPSTATS_FILE");
    if (path) f = fopen(path, "w");
    if (!f || !vm_ngrams) return;
    fprintf(f, "total %llu\n", (unsigned long long)vm_total);
    for (shown = 0; shown < 40; shown++) {
        uint32_t best = 0;
        for (i = 1; i < W_OP_COUNT_; i++)
            if (vm_ops[i] > vm_ops[best]) best = i;
        if (!vm_ops[best]) break;
        fprintf(f, "op %6.2f%% %s\n", 100.0 * (double)vm_ops[best] / (double)vm_total,
                vm_opname(best));
        vm_ops[best] = 0;
    }
    w_sort(vm_ngrams, VM_NGRAMS, sizeof *vm_ngrams, vm_ngram_cmp);
    for (k = 2; k <= 3; k++) {
        for (i = 0, shown = 0; i < VM_NGRAMS && shown < 40 && vm_ngrams[i].n; i++) {
            uint64_t key = vm_ngrams[i].key;
            if ((key >> 62) != k) continue;
            fprintf(f, "%s %6.2f%% %s %s", k == 2 ? "pair" : "triple",
                    100.0 * (double)vm_ngrams[i].n / (double)vm_total, vm_opname(key & 0xFFFFF),
                    vm_opname((key >> 20) & 0xFFFFF));
            if (k == 3) fprintf(f, " %s", vm_opname((key >> 40) & 0xFFFFF));
            fputc('\n', f);
            shown++;
        }
    }
    if (f != stderr) fclose(f);
}

static uint32_t vm_opstat(uint32_t op)
{
    if (!vm_ngrams) {
        vm_ngrams = calloc(VM_NGRAMS, sizeof *vm_ngrams);
        if (!vm_ngrams) abort();
        atexit(vm_opstat_dump);
    }
    vm_ops[op]++;
    vm_total++;
    if (vm_prev1 != UINT32_MAX) vm_ngram_add(2ull << 62 | (uint64_t)op << 20 | vm_prev1);
    if (vm_prev2 != UINT32_MAX)
        vm_ngram_add(3ull << 62 | (uint64_t)op << 40 | (uint64_t)vm_prev1 << 20 | vm_prev2);
    vm_prev2 = vm_prev1;
    vm_prev1 = op;
    return op;
}
#endif
