/* compile.c - function-body validation and compilation to ward's IR.
 *
 * One pass per function body both validates it (the algorithm of the spec's
 * validation appendix, with memory64 and multi-memory) and emits the IR of
 * ir.h. The compile-time operand stack mirrors the validator's value stack;
 * every entry also records where its value lives at run time:
 *
 *   - in its "home", the fixed frame slot that belongs to its stack height, or
 *   - in the slot of a local (an alias): `local.get` emits nothing.
 *
 * Aliases are what make this compiler cheap to run: most operands are read
 * straight from locals. Their price is bookkeeping: before a local is written
 * every alias of it is copied to its home ("materialized"), and at the start
 * of every block, loop and if all aliases are materialized, because control
 * flow can merge there and a copy emitted on one path only would be missing
 * on the other. Each local keeps a list of its aliases threaded through the
 * stack entries (LIFO, like the stack), so both operations cost only the
 * aliases they touch.
 *
 * The second optimization is destination retargeting: when `local.set x`
 * consumes a value that the previous instruction just wrote to its home, the
 * compiler rewrites that instruction's dst operand to x's slot instead of
 * emitting a COPY. The interpreter reads all inputs of a handler before it
 * writes the output, so a dst equal to an input is fine.
 *
 * Code after unreachable/br/return is validated and compiled like any other
 * code (it is never executed): that keeps one code path for everything.
 */
#include "decode/decode.h"
#include "exec/ir.h"
#include "exec/native.h"
#include "mem/mem.h"

#include <stdint.h>

/* Type of an entry popped from the polymorphic stack ("Unknown"). */
#define CMP_UNKNOWN 0
#define CMP_NONE UINT32_MAX
/* Implementation limits on a single function. */
#define CMP_MAX_SLOTS (1u << 20)
#define CMP_MAX_DEPTH 100000u
#define CMP_MAX_CODE (1u << 26)
/* What a whole module may make the compiler build and do: code words and
 * validation pushes in proportion to the module's size, plus a fixed
 * allowance. Each function's own limits (a few times its body size plus a
 * constant) are drawn from these, so a module of many tiny functions cannot
 * multiply the per-function constants. The spec suite and real programs
 * need about 2 code words per module byte. */
#define CMP_CODE_PER_BYTE 8u
#define CMP_CODE_BASE (1u << 20)
#define CMP_PUSHES_PER_BYTE 32u
#define CMP_PUSHES_BASE (1u << 22)
/* The compiler checks the stop flag every this many instructions. */
#define CMP_POLL_EVERY 4096u

enum { CMP_K_BLOCK, CMP_K_LOOP, CMP_K_IF, CMP_K_ELSE, CMP_K_FUNC };

typedef struct cmp_val {
    w_valtype type; /* CMP_UNKNOWN only for values of unreachable code */
    int32_t local;  /* local this entry aliases, or -1 */
    int32_t prev;   /* stack index of the previous alias of the same local, or -1 */
    uint32_t home;  /* the entry's own operand-stack slot */
    uint32_t loc;   /* where the value is: home, or the aliased local's slot */
} cmp_val;

/* A group of declared locals in the function being compiled: locals
 * [first, first + count) have this type and slots from `slot` on. */
typedef struct cmp_lgroup {
    uint32_t first, slot;
    w_valtype type;
} cmp_lgroup;

/* Per local: the topmost alias of it on the stack (-1: none), valid only if
 * gen is the function's generation; anything else reads as -1. That way a
 * function with 50,000 locals costs nothing per local it never uses. */
typedef struct cmp_alias {
    int32_t head;
    uint32_t gen;
} cmp_alias;

typedef struct cmp_ctrl {
    uint8_t kind;
    bool unreachable;
    uint32_t np, nr;
    const w_valtype *p, *r;     /* block parameter and result types */
    uint32_t height;            /* stack entries below the frame */
    uint32_t base;              /* slot at that height: the label's slots start here */
    uint32_t loop_pc;           /* loop: code index of the loop start */
    uint32_t else_fix;          /* if: code index of the branch to patch, or CMP_NONE */
    uint32_t else_r;            /* if: code index of that branch's R word */
    uint32_t patches;           /* head of the forward-branch list, or CMP_NONE */
    uint32_t stub_gen, stub_pc; /* br_table: stub for this label in table `stub_gen` */
} cmp_ctrl;

/* A forward branch offset to fill in when the label's position is known. */
typedef struct cmp_patch {
    uint32_t word;  /* code index of the R word */
    uint32_t instr; /* code index of word 0 of the branch instruction */
    uint32_t next;
} cmp_patch;

typedef struct cmp {
    const w_module *m;
    const w_compile_cfg *cfg;
    w_err *err;
    w_reader r;
    size_t op_off; /* module offset of the instruction being compiled */
    bool multi_mem, mem64_feat;

    /* The module's allowances (CMP_CODE_PER_BYTE...), and the stop flag. */
    uint64_t code_left, pushes_module_left;
    const atomic_int *stop;
    uint32_t poll;
    uint32_t **type_pslots; /* per type: slots of its params (built on first use) */

    /* The function. */
    const w_functype *ft;
    uint32_t nlocals;       /* params included */
    const uint32_t *pslots; /* slot of each param (type_pslots of ft) */
    cmp_lgroup *lgroups;    /* the declared locals */
    uint32_t nlgroups, cap_lgroups;
    cmp_alias *alias; /* per local (see cmp_alias) */
    uint32_t cap_alias, gen;
    uint32_t stack_base; /* param_slots + local_slots */
    uint32_t max_slot;   /* highest slot used + 1 */

    cmp_val *vals;
    uint32_t nvals, cap_vals;
    uint32_t alias_lo; /* entries below this index are not aliases */
    cmp_ctrl *ctrls;
    uint32_t nctrl, cap_ctrl;
    cmp_patch *patches;
    uint32_t npatch, cap_patch;
    cmp_val *tmp;
    uint32_t cap_tmp;
    uint32_t *labels;
    uint32_t cap_labels;

    uint32_t *code;
    uint32_t ncode, cap_code, max_code;
    uint32_t *src; /* pairs {code index, module offset} */
    uint32_t nsrc, cap_src;

    /* Destination retargeting: the last emitted instruction (sequence number
     * `seq`) wrote stack entry `prod_val` through code word `prod_word`. */
    uint64_t seq, prod_seq;
    uint32_t prod_word, prod_val;
    /* Peepholes (see "Fusion" below): the last instruction emitted, if it
     * was a constant (k_*) or an i32 comparison (f_*), produced stack entry
     * *_val at code index *_pos and had sequence number *_seq. */
    uint64_t k_seq, f_seq, a_seq;
    uint32_t k_pos, k_val, f_pos, f_val, a_pos, a_val;
    uint32_t a_src, a_imm; /* a_*: an I32_ADD_I of slot a_src and a_imm */
    uint64_t l_seq;        /* l_*: a fast-form f64.load of (uint32_t)(l_addr + l_k) + l_off */
    uint32_t l_pos, l_val, l_addr, l_off, l_k;
    size_t l_src;      /* its module offset */
    w_mem_path l_path; /* its access path (a layout-0 one) */
    uint64_t k_imm;
    w_op f_op;            /* the comparison (register or _I form) */
    uint32_t f_a, f_b;    /* its operands: slots, or slot and immediate */
    uint32_t br_gen;      /* br_table generation, for stub sharing */
    uint64_t pushes_left; /* validation work budget of the function */
    uint8_t cage_uses;    /* W_CAGE_* met in the bodies compiled so far */
    /* The module's allowance, not the function's, sets the limit. */
    bool code_module_bound, pushes_module_bound;
} cmp;

static bool cmp_fail(cmp *c, w_errcode code, const char *msg)
{
    return w_fail(c->err, code, c->op_off, "%s", msg);
}

/* "unknown local 2": the reference's form for an index out of range. */
static bool cmp_fail_idx(cmp *c, w_errcode code, const char *what, uint64_t idx)
{
    return w_fail(c->err, code, c->op_off, "unknown %s %llu", what, (unsigned long long)idx);
}

static bool cmp_oom(cmp *c)
{
    return cmp_fail(c, W_ERR_OUT_OF_MEMORY, "out of memory");
}

/* A limit on code size or validation work was reached: the function's
 * own, or (module_bound) what is left of the module's (CMP_CODE_PER_BYTE). */
static bool cmp_too_complex(cmp *c, bool module_bound)
{
    return cmp_fail(c, W_ERR_IMPLEMENTATION_LIMIT,
                    module_bound ? "module too complex" : "function too complex");
}

/* Grows *pa (elements of `size` bytes, capacity *cap) to hold `need`. */
static bool cmp_grow(cmp *c, void **pa, uint32_t *cap, uint64_t need, size_t size)
{
    uint64_t n;
    void *p;
    if (need <= *cap) return true;
    n = *cap ? (uint64_t)*cap * 2 : 64;
    if (n < need) n = need;
    if (n > UINT32_MAX) n = need;
    if (n > UINT32_MAX) return cmp_fail(c, W_ERR_IMPLEMENTATION_LIMIT, "function too complex");
    p = w_realloc_array(*pa, (size_t)n, size);
    if (!p) return cmp_oom(c);
    *pa = p;
    *cap = (uint32_t)n;
    return true;
}

/* ---- code emission -------------------------------------------------------- */

static bool cmp_reserve(cmp *c, uint32_t n)
{
    if ((uint64_t)c->ncode + n > c->max_code) return cmp_too_complex(c, c->code_module_bound);
    return cmp_grow(c, (void **)&c->code, &c->cap_code, (uint64_t)c->ncode + n, sizeof(uint32_t));
}

W_INLINE void cmp_w(cmp *c, uint32_t w)
{
    c->code[c->ncode++] = w;
}

/* Instructions that can trap or call get a source-map entry. */
static bool cmp_op_traps(w_op op)
{
    switch (op) {
    case W_OP_UNREACHABLE:
    case W_OP_BR_LOOP:
    case W_OP_CALL:
    case W_OP_CALL_INDIRECT:
    case W_OP_TABLE_GET:
    case W_OP_TABLE_SET:
    case W_OP_TABLE_FILL:
    case W_OP_TABLE_COPY:
    case W_OP_TABLE_INIT:
    case W_OP_MEMORY_FILL:
    case W_OP_MEMORY_COPY:
    case W_OP_MEMORY_INIT:
    case W_OP_I32_DIV_S:
    case W_OP_I32_DIV_U:
    case W_OP_I32_REM_S:
    case W_OP_I32_REM_U:
    case W_OP_I64_DIV_S:
    case W_OP_I64_DIV_U:
    case W_OP_I64_REM_S:
    case W_OP_I64_REM_U:
    case W_OP_I32_TRUNC_F32_S:
    case W_OP_I32_TRUNC_F32_U:
    case W_OP_I32_TRUNC_F64_S:
    case W_OP_I32_TRUNC_F64_U:
    case W_OP_I64_TRUNC_F32_S:
    case W_OP_I64_TRUNC_F32_U:
    case W_OP_I64_TRUNC_F64_S:
    case W_OP_I64_TRUNC_F64_U:
    case W_OP_SEGMENT_NEW:
    case W_OP_SEGMENT_SET_TAG:
    case W_OP_SEGMENT_FREE:
    case W_OP_I64_POINTER_SIGN:
    case W_OP_I64_POINTER_AUTH:
    case W_OP_I32_POINTER_SIGN:
    case W_OP_I32_POINTER_AUTH:
#define CMP_CASE(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) case W_OP_##NAME##SUFFIX:
#define CMP_CASE0(PATH, fn, SUFFIX, LAYOUT, MODE, NAME) W_MEM_IF0(LAYOUT, case W_OP_##NAME##SUFFIX:)
#define LOAD(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(CMP_CASE, NAME)
#define STORE(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(CMP_CASE, NAME)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(CMP_CASE, NAME)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(CMP_CASE, NAME)
#define CMPBR(BASE, FN)                                                                            \
    case W_OP_LOOP_##BASE:                                                                         \
    case W_OP_LOOP_##BASE##_I:
#define LOADA(NAME, BASE, bytes) W_MEM_PATHS(CMP_CASE0, NAME)
#define STOREA(NAME, BASE, bytes) W_MEM_PATHS(CMP_CASE0, NAME)
#define FLD(NAME, BASE, FN) W_MEM_PATHS(CMP_CASE0, NAME)
#include "exec/ops.def"
#undef CMP_CASE
#undef CMP_CASE0
        return true;
    default: return false;
    }
}

/* Starts an instruction: reserves its handler word and `nops` operand words
 * (written with cmp_w), and records the source offset if it can trap. */
static bool cmp_op(cmp *c, w_op op, uint32_t nops)
{
    if (!cmp_reserve(c, 1 + nops)) return false;
    if (cmp_op_traps(op)) {
        if (!cmp_grow(c, (void **)&c->src, &c->cap_src, (uint64_t)c->nsrc * 2 + 2,
                      sizeof(uint32_t)))
            return false;
        c->src[c->nsrc * 2] = c->ncode;
        c->src[c->nsrc * 2 + 1] = (uint32_t)c->op_off;
        c->nsrc++;
    }
    c->seq++;
    cmp_w(c, vm_op_word(op));
    return true;
}

/* Marks the instruction just emitted as the producer of the top entry, whose
 * dst operand is code word `word` (see destination retargeting). */
static void cmp_produced(cmp *c, uint32_t word)
{
    c->prod_seq = c->seq;
    c->prod_word = word;
    c->prod_val = c->nvals - 1;
}

/* A branch target or merge point: no instruction before it may be rewritten. */
static void cmp_label_here(cmp *c)
{
    c->seq++;
}

static bool cmp_copy(cmp *c, w_valtype t, uint32_t src, uint32_t dst)
{
    if (src == dst || t == CMP_UNKNOWN) return true;
    if (!cmp_op(c, t == W_V128 ? W_OP_COPY_V128 : W_OP_COPY, 2)) return false;
    cmp_w(c, src);
    cmp_w(c, dst);
    return true;
}

/* ---- the operand stack ------------------------------------------------------ */

static uint32_t cmp_top_slot(const cmp *c)
{
    const cmp_val *v;
    if (!c->nvals) return c->stack_base;
    v = &c->vals[c->nvals - 1];
    return v->home + w_slots_of(v->type);
}

static cmp_ctrl *cmp_frame(cmp *c)
{
    return &c->ctrls[c->nctrl - 1];
}

/* Pushes a new entry of type t in its home; returns it (valid until the next
 * push) or NULL with the error set. */
static cmp_val *cmp_push(cmp *c, w_valtype t)
{
    uint32_t home = cmp_top_slot(c), end;
    cmp_val *v;
    end = home + w_slots_of(t);
    if (end > CMP_MAX_SLOTS) {
        cmp_fail(c, W_ERR_IMPLEMENTATION_LIMIT, "function too complex");
        return NULL;
    }
    if (c->pushes_left-- == 0) {
        cmp_too_complex(c, c->pushes_module_bound);
        return NULL;
    }
    if (!cmp_grow(c, (void **)&c->vals, &c->cap_vals, (uint64_t)c->nvals + 1, sizeof(cmp_val)))
        return NULL;
    if (end > c->max_slot) c->max_slot = end;
    v = &c->vals[c->nvals++];
    v->type = t;
    v->local = -1;
    v->prev = -1;
    v->home = home;
    v->loc = home;
    return v;
}

/* ---- locals ---------------------------------------------------------------
 * Parameters have their slots in the type's table (cmp_type_pslots);
 * declared locals are found by binary search over their groups, so that
 * nothing is built per declared local. */

static int32_t cmp_alias_head(const cmp *c, uint32_t x)
{
    return c->alias[x].gen == c->gen ? c->alias[x].head : -1;
}

static void cmp_set_alias_head(cmp *c, uint32_t x, int32_t i)
{
    c->alias[x].gen = c->gen;
    c->alias[x].head = i;
}

/* Type and slot of local x; false if the function has no local x. */
static bool cmp_local_at(const cmp *c, uint32_t x, w_valtype *t, uint32_t *slot)
{
    uint32_t lo = 0, hi = c->nlgroups;
    if (x >= c->nlocals) return false;
    if (x < c->ft->nparams) {
        *t = c->ft->params[x];
        *slot = c->pslots[x];
        return true;
    }
    /* The last group whose first local is at most x (there is one: x is
     * a declared local, and groups start at nparams). */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->lgroups[mid].first <= x)
            lo = mid;
        else
            hi = mid;
    }
    *t = c->lgroups[lo].type;
    *slot = c->lgroups[lo].slot + (x - c->lgroups[lo].first) * w_slots_of(*t);
    return true;
}

static bool cmp_push_alias(cmp *c, w_valtype t, uint32_t x)
{
    w_valtype lt;
    uint32_t slot = 0;
    cmp_val *v = cmp_push(c, t);
    if (!v) return false;
    cmp_local_at(c, x, &lt, &slot);
    v->local = (int32_t)x;
    v->loc = slot;
    v->prev = cmp_alias_head(c, x);
    cmp_set_alias_head(c, x, (int32_t)(c->nvals - 1));
    return true;
}

/* Pushes back an entry popped before, as type t (the spec's push after pop). */
static bool cmp_push_back(cmp *c, const cmp_val *v, w_valtype t)
{
    if (v->type != CMP_UNKNOWN && v->local >= 0) return cmp_push_alias(c, t, (uint32_t)v->local);
    return cmp_push(c, t) != NULL;
}

/* Pops one value, checking it against `expect` (CMP_UNKNOWN: any type). */
static bool cmp_pop(cmp *c, w_valtype expect, cmp_val *out)
{
    const cmp_ctrl *f = cmp_frame(c);
    if (c->nvals == f->height) {
        if (!f->unreachable) return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        out->type = CMP_UNKNOWN;
        out->local = -1;
        out->prev = -1;
        out->home = out->loc = cmp_top_slot(c);
        /* Dead code may name this slot: keep it inside the frame. */
        if (out->home + 2 > c->max_slot) c->max_slot = out->home + 2;
        return true;
    }
    *out = c->vals[--c->nvals];
    if (out->local >= 0) cmp_set_alias_head(c, (uint32_t)out->local, out->prev);
    if (c->alias_lo > c->nvals) c->alias_lo = c->nvals;
    if (expect != CMP_UNKNOWN && out->type != CMP_UNKNOWN && out->type != expect)
        return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
    return true;
}

/* Pops n values of the given types into c->tmp[0..n). */
static bool cmp_pop_vals(cmp *c, const w_valtype *types, uint32_t n)
{
    uint32_t i;
    if (!cmp_grow(c, (void **)&c->tmp, &c->cap_tmp, n, sizeof(cmp_val))) return false;
    for (i = n; i-- > 0;)
        if (!cmp_pop(c, types[i], &c->tmp[i])) return false;
    return true;
}

static bool cmp_push_back_vals(cmp *c, const w_valtype *types, uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        if (!cmp_push_back(c, &c->tmp[i], types[i])) return false;
    return true;
}

static bool cmp_is_num_or_vec(w_valtype t)
{
    return t == W_I32 || t == W_I64 || t == W_F32 || t == W_F64 || t == W_V128;
}

static bool cmp_is_ref(w_valtype t)
{
    return t == W_FUNCREF || t == W_EXTERNREF;
}

static bool cmp_is_valtype(uint8_t b)
{
    return cmp_is_num_or_vec(b) || cmp_is_ref(b);
}

/* Copies one alias to its home and forgets the alias (its list is fixed by
 * the caller). */
static bool cmp_materialize(cmp *c, cmp_val *v)
{
    if (!cmp_copy(c, v->type, v->loc, v->home)) return false;
    v->local = -1;
    v->prev = -1;
    v->loc = v->home;
    return true;
}

/* Materializes every alias on the stack. */
static bool cmp_materialize_all(cmp *c)
{
    uint32_t i;
    for (i = c->alias_lo; i < c->nvals; i++) {
        cmp_val *v = &c->vals[i];
        if (v->local < 0) continue;
        cmp_set_alias_head(c, (uint32_t)v->local, -1);
        if (!cmp_materialize(c, v)) return false;
    }
    c->alias_lo = c->nvals;
    return true;
}

/* Materializes the aliases of local x (before x is written). */
static bool cmp_materialize_local(cmp *c, uint32_t x)
{
    int32_t i = cmp_alias_head(c, x);
    while (i >= 0) {
        cmp_val *v = &c->vals[i];
        int32_t prev = v->prev;
        if (!cmp_materialize(c, v)) return false;
        i = prev;
    }
    cmp_set_alias_head(c, x, -1);
    return true;
}

/* Drops the entries above the frame's height: the rest of the block is
 * unreachable and its stack polymorphic. */
static void cmp_set_unreachable(cmp *c)
{
    cmp_ctrl *f = cmp_frame(c);
    cmp_val v = {0};
    while (c->nvals > f->height)
        cmp_pop(c, CMP_UNKNOWN, &v);
    f->unreachable = true;
}

/* ---- fusion ---------------------------------------------------------------------
 * Two peepholes at emission time. Each takes back the last instruction
 * emitted when the instruction being compiled turns out to be the only
 * consumer of its result:
 *   - a constant (CONST32/CONST64) used as an operand of an integer binary
 *     operation becomes that operation's immediate (ops.def BINI forms);
 *   - an i32 comparison used by br_if or if becomes part of the branch
 *     (CMPBR forms; loop back-edges included);
 *   - an i32.add of an immediate used as the address of a fast-form load or
 *     store becomes part of it (LOADA and STOREA forms; the sum still wraps
 *     at 32 bits before the offset is added, as the add would have);
 *     on every layout-0 path (memory 0's forms, flat and paged alike);
 *   - an f64.load used as the right operand of f64.add/sub/mul becomes part
 *     of it (FLD forms; a trap keeps the load's source offset).
 * "Last emitted" is checked by sequence number: any instruction or label in
 * between changes c->seq, and code after a label must stay where it is. The
 * entry must still be the one produced (same stack index, in its home, not
 * an alias): then the slot the removed instruction wrote is read by nobody
 * else, because the consumer pops the entry. */

/* Is stack entry idx the result of the instruction with sequence number seq
 * that produced entry val, and still only there? */
static bool cmp_is_pending(const cmp *c, uint64_t seq, uint32_t val, uint32_t idx)
{
    const cmp_val *v;
    if (seq != c->seq || val != idx || idx >= c->nvals) return false;
    if (idx < c->ctrls[c->nctrl - 1].height) return false;
    v = &c->vals[idx];
    return v->local < 0 && v->loc == v->home && v->type != CMP_UNKNOWN;
}

/* Is the top entry an i32 comparison that a branch can take over? */
static bool cmp_cmp_pending(const cmp *c)
{
    return c->nvals > 0 && cmp_is_pending(c, c->f_seq, c->f_val, c->nvals - 1);
}

/* Records that the instruction just emitted at pos is the comparison op
 * (register or _I form) of a and b and produced the top entry. */
static void cmp_note_cmp(cmp *c, w_op op, uint32_t pos, uint32_t a, uint32_t b)
{
    c->f_seq = c->seq;
    c->f_pos = pos;
    c->f_val = c->nvals - 1;
    c->f_op = op;
    c->f_a = a;
    c->f_b = b;
}

/* Takes back the code from index pos on, with its source-map entries. */
static void cmp_rewind(cmp *c, uint32_t pos)
{
    c->ncode = pos;
    while (c->nsrc && c->src[(c->nsrc - 1) * 2] >= pos)
        c->nsrc--;
}

/* The immediate form of a binary operation, or W_OP_COUNT_. */
static w_op cmp_imm_form(w_op op)
{
    /* clang-format off */
    switch (op) {
#define BINI(NAME, BASE, T, FN) case W_OP_##BASE: return W_OP_##NAME;
#include "exec/ops.def"
    /* clang-format on */
    default: return W_OP_COUNT_;
    }
}

/* The operation with its operands exchanged (a op b == b op' a), or W_OP_COUNT_. */
static w_op cmp_swapped(w_op op)
{
    switch (op) {
    case W_OP_I32_ADD:
    case W_OP_I32_MUL:
    case W_OP_I32_AND:
    case W_OP_I32_OR:
    case W_OP_I32_XOR:
    case W_OP_I32_EQ:
    case W_OP_I32_NE:
    case W_OP_I64_ADD:
    case W_OP_I64_MUL:
    case W_OP_I64_AND:
    case W_OP_I64_OR:
    case W_OP_I64_XOR:
    case W_OP_I64_EQ:
    case W_OP_I64_NE:
    case W_OP_F64_ADD:
    case W_OP_F64_MUL: return op;
    case W_OP_I32_LT_S: return W_OP_I32_GT_S;
    case W_OP_I32_LT_U: return W_OP_I32_GT_U;
    case W_OP_I32_GT_S: return W_OP_I32_LT_S;
    case W_OP_I32_GT_U: return W_OP_I32_LT_U;
    case W_OP_I32_LE_S: return W_OP_I32_GE_S;
    case W_OP_I32_LE_U: return W_OP_I32_GE_U;
    case W_OP_I32_GE_S: return W_OP_I32_LE_S;
    case W_OP_I32_GE_U: return W_OP_I32_LE_U;
    case W_OP_I64_LT_S: return W_OP_I64_GT_S;
    case W_OP_I64_LT_U: return W_OP_I64_GT_U;
    case W_OP_I64_GT_S: return W_OP_I64_LT_S;
    case W_OP_I64_GT_U: return W_OP_I64_LT_U;
    case W_OP_I64_LE_S: return W_OP_I64_GE_S;
    case W_OP_I64_LE_U: return W_OP_I64_GE_U;
    case W_OP_I64_GE_S: return W_OP_I64_LE_S;
    case W_OP_I64_GE_U: return W_OP_I64_LE_U;
    default: return W_OP_COUNT_;
    }
}

/* The i32 comparison (register or _I form) with the opposite result. */
static w_op cmp_negated(w_op op)
{
    static const w_op pairs[][2] = {
        {W_OP_I32_EQ, W_OP_I32_NE},         {W_OP_I32_LT_S, W_OP_I32_GE_S},
        {W_OP_I32_LT_U, W_OP_I32_GE_U},     {W_OP_I32_GT_S, W_OP_I32_LE_S},
        {W_OP_I32_GT_U, W_OP_I32_LE_U},     {W_OP_I32_EQ_I, W_OP_I32_NE_I},
        {W_OP_I32_LT_S_I, W_OP_I32_GE_S_I}, {W_OP_I32_LT_U_I, W_OP_I32_GE_U_I},
        {W_OP_I32_GT_S_I, W_OP_I32_LE_S_I}, {W_OP_I32_GT_U_I, W_OP_I32_LE_U_I},
    };
    size_t i;
    for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (pairs[i][0] == op) return pairs[i][1];
        if (pairs[i][1] == op) return pairs[i][0];
    }
    return W_OP_COUNT_;
}

/* The branch (or loop back-edge) form of an i32 comparison. */
static w_op cmp_branch_form(w_op op, bool loop)
{
    switch (op) {
#define CMPBR(BASE, FN)                                                                            \
    case W_OP_##BASE: return loop ? W_OP_LOOP_##BASE : W_OP_BR_##BASE;                             \
    case W_OP_##BASE##_I:                                                                          \
        return loop ? W_OP_LOOP_##BASE##_I : W_OP_BR_##BASE##_I;
#include "exec/ops.def"
    default: return W_OP_COUNT_;
    }
}

/* Emits a conditional jump on the popped i32 `cond`, taken when it is
 * nonzero (sense) or zero (!sense); `loop` asks for a back-edge form, which
 * checks limits when taken (only with sense). With `fuse` (cond is the
 * pending comparison, see cmp_cmp_pending) the comparison is taken back and
 * becomes part of the jump. Returns word 0 and the R word of the jump. */
static bool cmp_cond_jump(cmp *c, const cmp_val *cond, bool fuse, bool sense, bool loop,
                          uint32_t *instr, uint32_t *rword)
{
    w_op op;
    uint32_t a, b;
    if (fuse && c->f_seq == c->seq) {
        op = c->f_op;
        a = c->f_a;
        b = c->f_b;
        cmp_rewind(c, c->f_pos);
    } else if (loop || cond->type == CMP_UNKNOWN) {
        /* cond != 0 as a comparison with the immediate 0 */
        op = W_OP_I32_NE_I;
        a = cond->loc;
        b = 0;
    } else {
        *instr = c->ncode;
        if (!cmp_op(c, sense ? W_OP_BR_IF : W_OP_BR_UNLESS, 2)) return false;
        cmp_w(c, cond->loc);
        cmp_w(c, 0);
        *rword = *instr + 2;
        return true;
    }
    if (!sense) op = cmp_negated(op);
    op = cmp_branch_form(op, loop);
    *instr = c->ncode;
    if (!cmp_op(c, op, 3)) return false;
    cmp_w(c, a);
    cmp_w(c, b);
    cmp_w(c, 0);
    *rword = *instr + 3;
    return true;
}

/* Compiles the integer binary operation op with operand type t and result
 * type out in its immediate form if one operand is the constant emitted
 * last; *done says whether it did. */
static bool cmp_try_imm(cmp *c, w_op op, w_valtype t, w_valtype out, bool *done)
{
    cmp_val a = {0}, b = {0};
    uint32_t top, dstw, pos;
    uint64_t imm = c->k_imm;
    w_op iop = op;
    bool first = false; /* the constant is the left operand */
    *done = false;
    if (c->nvals < 2) return true;
    top = c->nvals - 1;
    if (c->vals[top].type != t || c->vals[top - 1].type != t) return true;
    if (!cmp_is_pending(c, c->k_seq, c->k_val, top)) {
        /* constant op x: only if the operation can take its operands swapped */
        if (!cmp_is_pending(c, c->k_seq, c->k_val, top - 1)) return true;
        first = true;
        iop = cmp_swapped(op);
        if (iop == W_OP_COUNT_) return true;
    } else if (op == W_OP_I32_SUB || op == W_OP_I64_SUB) {
        /* x - k = x + (-k), modulo 2^32 or 2^64 */
        iop = op == W_OP_I32_SUB ? W_OP_I32_ADD : W_OP_I64_ADD;
        imm = 0 - imm;
    }
    iop = cmp_imm_form(iop);
    if (iop == W_OP_COUNT_) return true;
    cmp_rewind(c, c->k_pos);
    if (!cmp_pop(c, t, &b) || !cmp_pop(c, t, &a)) return false;
    if (first) a = b;
    if (!cmp_push(c, out)) return false;
    pos = c->ncode;
    if (!cmp_op(c, iop, t == W_I32 ? 3 : 4)) return false;
    cmp_w(c, a.loc);
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    cmp_w(c, (uint32_t)imm);
    if (t != W_I32) cmp_w(c, (uint32_t)(imm >> 32));
    cmp_produced(c, dstw);
    if (t == W_I32 && out == W_I32 && cmp_branch_form(iop, false) != W_OP_COUNT_)
        cmp_note_cmp(c, iop, pos, a.loc, (uint32_t)imm);
    if (iop == W_OP_I32_ADD_I) {
        c->a_seq = c->seq;
        c->a_pos = pos;
        c->a_val = c->nvals - 1;
        c->a_src = a.loc;
        c->a_imm = (uint32_t)imm;
    }
    *done = true;
    return true;
}

/* ---- access paths ---------------------------------------------------------------
 * Every memory access has one form per access path (W_MEM_PATHS in
 * mem/access.h). The compiler names an access by its ops.def name, which
 * is the op of its first path's form (that path's SUFFIX is empty), picks
 * the access's path from its memory's mode, and emits the form of that
 * path. */

/* Effective mode of memory i under cfg. */
static uint8_t cmp_mode_of(const w_compile_cfg *cfg, uint32_t i)
{
    if (!cfg->mem_mode) return W_MEM_FLAT;
    return i < cfg->nmems ? cfg->mem_mode[i] : W_MEM_PAGED;
}

/* The path of an access to memory `mem`: the first one of W_MEM_PATHS for
 * the memory's mode whose layout fits (layout 0: memory 0, 32-bit); every
 * mode has a layout-M path. */
static w_mem_path cmp_path(const cmp *c, uint32_t mem)
{
    uint8_t mode = cmp_mode_of(c->cfg, mem);
    bool mem0 = mem == 0 && !c->m->mems[0].lim.is64;
#define CMP_PATH(PATH, fn, SUFFIX, LAYOUT, MODE, _)                                                \
    if ((MODE) == mode && (mem0 || !W_MEM_IS0(LAYOUT))) return W_MEM_PATH_##PATH;
    W_MEM_PATHS(CMP_PATH, ~)
#undef CMP_PATH
    return W_MEM_NPATHS; /* a mode without a layout-M path: a bug in W_MEM_PATHS */
}

/* Is the path's layout 0 (memory 0's short forms, [U offset])? */
static bool cmp_path_is0(w_mem_path path)
{
    switch (path) {
#define CMP_IS0(PATH, fn, SUFFIX, LAYOUT, MODE, _)                                                 \
    case W_MEM_PATH_##PATH: return W_MEM_IS0(LAYOUT);
        W_MEM_PATHS(CMP_IS0, ~)
#undef CMP_IS0
    default: return false;
    }
}

/* The form of access op (its ops.def name, a plain or fused access) on
 * path; W_OP_COUNT_ if there is none (fused forms have layout-0 paths
 * only). */
static w_op cmp_form(w_op op, w_mem_path path)
{
    /* clang-format off */
#define CMP_FORM(PATH, fn, SUFFIX, LAYOUT, MODE, NAME)                                             \
    case W_MEM_PATH_##PATH: return W_OP_##NAME##SUFFIX;
#define CMP_FORM0(PATH, fn, SUFFIX, LAYOUT, MODE, NAME)                                            \
    W_MEM_IF0(LAYOUT, case W_MEM_PATH_##PATH: return W_OP_##NAME##SUFFIX;)
#define CMP_FORMS(NAME, F)                                                                         \
    case W_OP_##NAME:                                                                              \
        switch (path) {                                                                            \
            W_MEM_PATHS(F, NAME)                                                                   \
        default: break;                                                                            \
        }                                                                                          \
        break;
    switch (op) {
#define LOAD(NAME, prefix, code, type, bytes, maxalign) CMP_FORMS(NAME, CMP_FORM)
#define STORE(NAME, prefix, code, type, bytes, maxalign) CMP_FORMS(NAME, CMP_FORM)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) CMP_FORMS(NAME, CMP_FORM)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes) CMP_FORMS(NAME, CMP_FORM)
#define LOADA(NAME, BASE, bytes) CMP_FORMS(NAME, CMP_FORM0)
#define STOREA(NAME, BASE, bytes) CMP_FORMS(NAME, CMP_FORM0)
#define FLD(NAME, BASE, FN) CMP_FORMS(NAME, CMP_FORM0)
#include "exec/ops.def"
#undef CMP_FORM
#undef CMP_FORM0
#undef CMP_FORMS
    default: break;
    }
    /* clang-format on */
    return W_OP_COUNT_;
}

/* The LOADA/STOREA form of a fast-form load or store, or W_OP_COUNT_. */
static w_op cmp_addr_form(w_op op)
{
    /* clang-format off */
    switch (op) {
#define LOADA(NAME, BASE, bytes) case W_OP_##BASE: return W_OP_##NAME;
#define STOREA(NAME, BASE, bytes) case W_OP_##BASE: return W_OP_##NAME;
#include "exec/ops.def"
    /* clang-format on */
    default: return W_OP_COUNT_;
    }
}

/* The FLD form of an f64 operation, or W_OP_COUNT_. */
static w_op cmp_load_form(w_op op)
{
    /* clang-format off */
    switch (op) {
#define FLD(NAME, BASE, FN) case W_OP_##BASE: return W_OP_##NAME;
#include "exec/ops.def"
    /* clang-format on */
    default: return W_OP_COUNT_;
    }
}

/* Records the fast-form f64.load just emitted at pos (see fusion) on path
 * (a layout-0 one). */
static void cmp_note_load(cmp *c, uint32_t pos, uint32_t addr, uint32_t off, uint32_t k,
                          w_mem_path path)
{
    c->l_seq = c->seq;
    c->l_pos = pos;
    c->l_val = c->nvals - 1;
    c->l_addr = addr;
    c->l_off = off;
    c->l_k = k;
    c->l_src = c->op_off;
    c->l_path = path;
}

/* Compiles the f64 operation op in its FLD form if an operand is the f64.load
 * emitted last; *done says whether it did. */
static bool cmp_try_load(cmp *c, w_op op, bool *done)
{
    cmp_val a = {0}, b = {0};
    uint32_t top, dstw;
    bool first = false; /* the load is the left operand */
    size_t here = c->op_off;
    w_op lop = cmp_load_form(op);
    *done = false;
    if (lop == W_OP_COUNT_ || c->nvals < 2) return true;
    top = c->nvals - 1;
    if (c->vals[top].type != W_F64 || c->vals[top - 1].type != W_F64) return true;
    if (!cmp_is_pending(c, c->l_seq, c->l_val, top)) {
        if (!cmp_is_pending(c, c->l_seq, c->l_val, top - 1) || cmp_swapped(op) != op) return true;
        first = true;
    }
    cmp_rewind(c, c->l_pos);
    if (!cmp_pop(c, W_F64, &b) || !cmp_pop(c, W_F64, &a)) return false;
    if (first) a = b;
    if (!cmp_push(c, W_F64)) return false;
    c->op_off = c->l_src; /* a trap is the load's */
    if (!cmp_op(c, cmp_form(lop, c->l_path), 5)) return false;
    c->op_off = here;
    cmp_w(c, a.loc);
    cmp_w(c, c->l_addr);
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    cmp_w(c, c->l_off);
    cmp_w(c, c->l_k);
    cmp_produced(c, dstw);
    *done = true;
    return true;
}

/* ---- control frames and branches -------------------------------------------- */

static uint32_t cmp_label_n(const cmp_ctrl *f)
{
    return f->kind == CMP_K_LOOP ? f->np : f->nr;
}
static const w_valtype *cmp_label_t(const cmp_ctrl *f)
{
    return f->kind == CMP_K_LOOP ? f->p : f->r;
}

static bool cmp_push_ctrl(cmp *c, uint8_t kind, uint32_t np, const w_valtype *p, uint32_t nr,
                          const w_valtype *r)
{
    cmp_ctrl *f;
    if (c->nctrl >= CMP_MAX_DEPTH)
        return cmp_fail(c, W_ERR_IMPLEMENTATION_LIMIT, "function too complex");
    if (!cmp_grow(c, (void **)&c->ctrls, &c->cap_ctrl, (uint64_t)c->nctrl + 1, sizeof(cmp_ctrl)))
        return false;
    f = &c->ctrls[c->nctrl++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->np = np;
    f->p = p;
    f->nr = nr;
    f->r = r;
    f->height = c->nvals;
    f->base = cmp_top_slot(c);
    f->else_fix = CMP_NONE;
    f->patches = CMP_NONE;
    return true;
}

static bool cmp_add_patch(cmp *c, cmp_ctrl *f, uint32_t word, uint32_t instr)
{
    cmp_patch *p;
    uint32_t fi = (uint32_t)(f - c->ctrls);
    if (!cmp_grow(c, (void **)&c->patches, &c->cap_patch, (uint64_t)c->npatch + 1,
                  sizeof(cmp_patch)))
        return false;
    f = &c->ctrls[fi];
    p = &c->patches[c->npatch];
    p->word = word;
    p->instr = instr;
    p->next = f->patches;
    f->patches = c->npatch++;
    return true;
}

static void cmp_set_rel(cmp *c, uint32_t word, uint32_t instr, uint32_t target)
{
    c->code[word] = (uint32_t)((int64_t)target - (int64_t)instr);
}

/* Copies the n values v[] (label types t[]) to fp[0..) and returns. Results
 * aliasing a local below their destination are first copied to their home,
 * since an earlier copy could overwrite that local. */
static bool cmp_return_seq(cmp *c, const cmp_val *v, const w_valtype *t, uint32_t n)
{
    uint32_t k, dst = 0;
    for (k = 0; k < n; k++) {
        if (v[k].type != CMP_UNKNOWN && v[k].local >= 0 && v[k].loc < dst)
            if (!cmp_copy(c, v[k].type, v[k].loc, v[k].home)) return false;
        dst += w_slots_of(t[k]);
    }
    dst = 0;
    for (k = 0; k < n; k++) {
        uint32_t src = v[k].loc;
        if (v[k].local >= 0 && v[k].loc < dst) src = v[k].home;
        if (!cmp_copy(c, v[k].type, src, dst)) return false;
        dst += w_slots_of(t[k]);
    }
    return cmp_op(c, W_OP_RETURN, 0);
}

/* Are the values v[] for a branch to frame f already in the label's slots? */
static bool cmp_vals_in_place(const cmp_ctrl *f, const cmp_val *v, uint32_t n)
{
    const w_valtype *t = cmp_label_t(f);
    uint32_t k, dst = f->base;
    for (k = 0; k < n; k++) {
        if (v[k].type != CMP_UNKNOWN && v[k].loc != dst) return false;
        dst += w_slots_of(t[k]);
    }
    return true;
}

/* Can a branch to frame f with values v[] jump straight there (no copies,
 * no back-edge check)? */
static bool cmp_branch_is_plain(const cmp_ctrl *f, const cmp_val *v, uint32_t n)
{
    if (f->kind == CMP_K_LOOP || f->kind == CMP_K_FUNC) return false;
    return cmp_vals_in_place(f, v, n);
}

/* Emits the moves of v[0..n) to the label of frame `fi` and the jump. Source
 * slots are above the label's slots or are locals, so ascending order is safe. */
static bool cmp_branch(cmp *c, uint32_t fi, const cmp_val *v, uint32_t n)
{
    cmp_ctrl *f = &c->ctrls[fi];
    const w_valtype *t = cmp_label_t(f);
    uint32_t k, dst = f->base, pos;
    if (f->kind == CMP_K_FUNC) return cmp_return_seq(c, v, t, n);
    for (k = 0; k < n; k++) {
        if (!cmp_copy(c, v[k].type, v[k].loc, dst)) return false;
        dst += w_slots_of(t[k]);
    }
    pos = c->ncode;
    if (f->kind == CMP_K_LOOP) {
        if (!cmp_op(c, W_OP_BR_LOOP, 1)) return false;
        cmp_w(c, 0);
        cmp_set_rel(c, pos + 1, pos, c->ctrls[fi].loop_pc);
        return true;
    }
    if (!cmp_op(c, W_OP_BR, 1)) return false;
    cmp_w(c, 0);
    return cmp_add_patch(c, &c->ctrls[fi], pos + 1, pos);
}

static bool cmp_read_label(cmp *c, uint32_t *depth, uint32_t *fi)
{
    if (!dec_u32(&c->r, depth)) return false;
    if (*depth >= c->nctrl) return cmp_fail_idx(c, W_ERR_UNKNOWN_LABEL, "label", *depth);
    *fi = c->nctrl - 1 - *depth;
    return true;
}

/* Block types: empty, one value type, or a type index (s33). */
static const w_valtype cmp_single[] = {W_I32, W_I64, W_F32, W_F64, W_V128, W_FUNCREF, W_EXTERNREF};

static bool cmp_blocktype(cmp *c, uint32_t *np, const w_valtype **p, uint32_t *nr,
                          const w_valtype **r)
{
    uint8_t b;
    int64_t x;
    unsigned i;
    *np = *nr = 0;
    *p = *r = NULL;
    if (c->r.p >= c->r.end) return dec_byte(&c->r, &b);
    b = *c->r.p;
    if (b == 0x40) {
        c->r.p++;
        return true;
    }
    for (i = 0; i < sizeof cmp_single; i++) {
        if (cmp_single[i] == b) {
            c->r.p++;
            *nr = 1;
            *r = &cmp_single[i];
            return true;
        }
    }
    if (!dec_s33(&c->r, &x)) return false;
    if (x < 0) return cmp_fail(c, W_ERR_MALFORMED_TYPE, "malformed value type");
    if ((uint64_t)x >= c->m->ntypes)
        return cmp_fail_idx(c, W_ERR_UNKNOWN_TYPE, "type", (uint64_t)x);
    *np = c->m->types[x].nparams;
    *p = c->m->types[x].params;
    *nr = c->m->types[x].nresults;
    *r = c->m->types[x].results;
    return true;
}

/* block, loop, if: the parameters move into the new frame, in their homes. */
static bool cmp_begin_block(cmp *c, uint8_t kind)
{
    uint32_t np, nr, k;
    const w_valtype *p, *r;
    cmp_val cond = {0};
    bool fuse = false;
    if (!cmp_blocktype(c, &np, &p, &nr, &r)) return false;
    if (kind == CMP_K_IF) {
        fuse = cmp_cmp_pending(c);
        if (!cmp_pop(c, W_I32, &cond)) return false;
    }
    if (!cmp_pop_vals(c, p, np)) return false;
    if (!cmp_materialize_all(c)) return false;
    if (!cmp_push_ctrl(c, kind, np, p, nr, r)) return false;
    for (k = 0; k < np; k++) {
        cmp_val *v = cmp_push(c, p[k]);
        if (!v) return false;
        if (!cmp_copy(c, c->tmp[k].type, c->tmp[k].loc, v->home)) return false;
    }
    if (kind == CMP_K_LOOP) {
        cmp_frame(c)->loop_pc = c->ncode;
        cmp_label_here(c);
    } else if (kind == CMP_K_IF) {
        uint32_t instr, rword;
        if (!cmp_cond_jump(c, &cond, fuse, false, false, &instr, &rword)) return false;
        cmp_frame(c)->else_fix = instr;
        cmp_frame(c)->else_r = rword;
    }
    return true;
}

/* Pops the frame's results (checking nothing else is left) and moves
 * fallthrough values that are not in their homes there. */
static bool cmp_results_home(cmp *c)
{
    cmp_ctrl *f = cmp_frame(c);
    uint32_t k;
    if (!cmp_pop_vals(c, f->r, f->nr)) return false;
    if (c->nvals != f->height) return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
    for (k = 0; k < f->nr; k++)
        if (!cmp_copy(c, c->tmp[k].type, c->tmp[k].loc, c->tmp[k].home)) return false;
    return true;
}

static bool cmp_else(cmp *c)
{
    cmp_ctrl *f = cmp_frame(c);
    uint32_t pos, k;
    if (f->kind != CMP_K_IF) return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "else without if");
    if (!cmp_results_home(c)) return false;
    pos = c->ncode;
    if (!cmp_op(c, W_OP_BR, 1)) return false;
    cmp_w(c, 0);
    f = cmp_frame(c);
    if (!cmp_add_patch(c, f, pos + 1, pos)) return false;
    f = cmp_frame(c);
    cmp_set_rel(c, f->else_r, f->else_fix, c->ncode);
    f->else_fix = CMP_NONE;
    f->kind = CMP_K_ELSE;
    f->unreachable = false;
    cmp_label_here(c);
    for (k = 0; k < f->np; k++)
        if (!cmp_push(c, cmp_frame(c)->p[k])) return false;
    return true;
}

/* `end`: returns true with *done set when the function's body is complete. */
static bool cmp_end(cmp *c, bool *done)
{
    cmp_ctrl *f = cmp_frame(c);
    uint32_t k, p, nr;
    const w_valtype *r;
    if (f->kind == CMP_K_FUNC) {
        if (!cmp_pop_vals(c, f->r, f->nr)) return false;
        if (c->nvals != f->height) return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        if (!cmp_return_seq(c, c->tmp, f->r, f->nr)) return false;
        c->nctrl--;
        *done = true;
        return true;
    }
    if (f->kind == CMP_K_IF) {
        if (f->np != f->nr || (f->np && memcmp(f->p, f->r, f->np) != 0))
            return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
    }
    if (!cmp_results_home(c)) return false;
    f = cmp_frame(c);
    if (f->else_fix != CMP_NONE) cmp_set_rel(c, f->else_r, f->else_fix, c->ncode);
    for (p = f->patches; p != CMP_NONE; p = c->patches[p].next)
        cmp_set_rel(c, c->patches[p].word, c->patches[p].instr, c->ncode);
    cmp_label_here(c);
    nr = f->nr;
    r = f->r;
    c->nctrl--;
    for (k = 0; k < nr; k++)
        if (!cmp_push(c, r[k])) return false;
    return true;
}

static bool cmp_br(cmp *c)
{
    uint32_t depth = 0, fi = 0;
    if (!cmp_read_label(c, &depth, &fi)) return false;
    if (!cmp_pop_vals(c, cmp_label_t(&c->ctrls[fi]), cmp_label_n(&c->ctrls[fi]))) return false;
    if (!cmp_branch(c, fi, c->tmp, cmp_label_n(&c->ctrls[fi]))) return false;
    cmp_set_unreachable(c);
    return true;
}

static bool cmp_br_if(cmp *c)
{
    uint32_t depth = 0, fi = 0, n, instr, rword;
    const w_valtype *t;
    cmp_val cond = {0};
    bool fuse;
    if (!cmp_read_label(c, &depth, &fi)) return false;
    fuse = cmp_cmp_pending(c);
    if (!cmp_pop(c, W_I32, &cond)) return false;
    n = cmp_label_n(&c->ctrls[fi]);
    t = cmp_label_t(&c->ctrls[fi]);
    if (!cmp_pop_vals(c, t, n)) return false;
    if (cmp_branch_is_plain(&c->ctrls[fi], c->tmp, n)) {
        if (!cmp_cond_jump(c, &cond, fuse, true, false, &instr, &rword)) return false;
        if (!cmp_add_patch(c, &c->ctrls[fi], rword, instr)) return false;
    } else if (c->ctrls[fi].kind == CMP_K_LOOP && cmp_vals_in_place(&c->ctrls[fi], c->tmp, n)) {
        /* A loop back-edge with nothing to move: one LOOP_* instruction. */
        if (!cmp_cond_jump(c, &cond, fuse, true, true, &instr, &rword)) return false;
        cmp_set_rel(c, rword, instr, c->ctrls[fi].loop_pc);
    } else {
        /* Loop targets go through BR_LOOP so that the back-edge is checked. */
        if (!cmp_cond_jump(c, &cond, fuse, false, false, &instr, &rword)) return false;
        if (!cmp_branch(c, fi, c->tmp, n)) return false;
        cmp_set_rel(c, rword, instr, c->ncode);
    }
    return cmp_push_back_vals(c, t, n);
}

static bool cmp_br_table(cmp *c)
{
    uint32_t n, i, k, fi = 0, depth = 0, arity, pos, gen;
    cmp_val idx = {0};
    if (!dec_u32(&c->r, &n)) return false;
    /* Every label takes at least one byte: this bounds the allocation. */
    if (n > (size_t)(c->r.end - c->r.p)) return cmp_fail(c, W_ERR_UNEXPECTED_END, "unexpected end");
    if (!cmp_grow(c, (void **)&c->labels, &c->cap_labels, (uint64_t)n + 1, sizeof(uint32_t)))
        return false;
    for (i = 0; i <= n; i++) {
        if (!cmp_read_label(c, &depth, &fi)) return false;
        c->labels[i] = fi;
    }
    if (!cmp_pop(c, W_I32, &idx)) return false;
    arity = cmp_label_n(&c->ctrls[c->labels[n]]);
    /* Validate each distinct target once (the check is idempotent). */
    gen = ++c->br_gen;
    for (i = 0; i < n; i++) {
        cmp_ctrl *f = &c->ctrls[c->labels[i]];
        if (cmp_label_n(f) != arity) return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        if (f->stub_gen == gen) continue;
        f->stub_gen = gen;
        /* The spec pushes back what it popped (Unknown stays Unknown), so
         * labels of different types meet after unreachable. */
        if (!cmp_pop_vals(c, cmp_label_t(f), arity)) return false;
        for (k = 0; k < arity; k++)
            if (!cmp_push_back(c, &c->tmp[k], c->tmp[k].type)) return false;
    }
    if (!cmp_pop_vals(c, cmp_label_t(&c->ctrls[c->labels[n]]), arity)) return false;

    pos = c->ncode;
    if (!cmp_op(c, W_OP_BR_TABLE, n + 3)) return false;
    cmp_w(c, idx.loc);
    cmp_w(c, n);
    for (i = 0; i <= n; i++)
        cmp_w(c, 0);
    gen = ++c->br_gen;
    for (i = 0; i <= n; i++) {
        cmp_ctrl *f = &c->ctrls[c->labels[i]];
        if (cmp_branch_is_plain(f, c->tmp, arity)) {
            if (!cmp_add_patch(c, f, pos + 3 + i, pos)) return false;
            continue;
        }
        if (f->stub_gen != gen) {
            f->stub_gen = gen;
            f->stub_pc = c->ncode;
            if (!cmp_branch(c, c->labels[i], c->tmp, arity)) return false;
        }
        cmp_set_rel(c, pos + 3 + i, pos, c->ctrls[c->labels[i]].stub_pc);
    }
    cmp_set_unreachable(c);
    return true;
}

static bool cmp_return(cmp *c)
{
    const cmp_ctrl *f = &c->ctrls[0];
    if (!cmp_pop_vals(c, f->r, f->nr)) return false;
    if (!cmp_return_seq(c, c->tmp, c->ctrls[0].r, c->ctrls[0].nr)) return false;
    cmp_set_unreachable(c);
    return true;
}

/* ---- calls ---------------------------------------------------------------- */

/* Pops the arguments of ft and moves them to consecutive homes from argbase. */
static bool cmp_call_args(cmp *c, const w_functype *ft, cmp_val *idx, uint32_t *argbase)
{
    uint32_t k, need;
    if (idx && !cmp_pop(c, W_I32, idx)) return false;
    if (!cmp_pop_vals(c, ft->params, ft->nparams)) return false;
    *argbase = cmp_top_slot(c);
    for (k = 0; k < ft->nparams; k++)
        if (!cmp_copy(c, c->tmp[k].type, c->tmp[k].loc, c->tmp[k].home)) return false;
    need = ft->param_slots > ft->result_slots ? ft->param_slots : ft->result_slots;
    if ((uint64_t)*argbase + need > CMP_MAX_SLOTS)
        return cmp_fail(c, W_ERR_IMPLEMENTATION_LIMIT, "function too complex");
    if (*argbase + need > c->max_slot) c->max_slot = *argbase + need;
    return true;
}

static bool cmp_push_results(cmp *c, const w_functype *ft)
{
    uint32_t k;
    for (k = 0; k < ft->nresults; k++)
        if (!cmp_push(c, ft->results[k])) return false;
    return true;
}

static bool cmp_call(cmp *c)
{
    uint32_t f, argbase;
    const w_functype *ft;
    if (!dec_u32(&c->r, &f)) return false;
    if (f >= c->m->nfuncs) return cmp_fail_idx(c, W_ERR_UNKNOWN_FUNCTION, "function", f);
    ft = &c->m->types[c->m->func_types[f]];
    if (!cmp_call_args(c, ft, NULL, &argbase)) return false;
    if (!cmp_op(c, W_OP_CALL, 2)) return false;
    cmp_w(c, f);
    cmp_w(c, argbase);
    return cmp_push_results(c, ft);
}

static bool cmp_call_indirect(cmp *c)
{
    uint32_t y, x, argbase;
    const w_functype *ft;
    cmp_val idx = {0};
    if (!dec_u32(&c->r, &y) || !dec_u32(&c->r, &x)) return false;
    if (x >= c->m->ntables) return cmp_fail_idx(c, W_ERR_UNKNOWN_TABLE, "table", x);
    if (y >= c->m->ntypes) return cmp_fail_idx(c, W_ERR_UNKNOWN_TYPE, "type", y);
    if (c->m->tables[x].elem != W_FUNCREF) return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
    ft = &c->m->types[y];
    if (!cmp_call_args(c, ft, &idx, &argbase)) return false;
    if (!cmp_op(c, W_OP_CALL_INDIRECT, 4)) return false;
    cmp_w(c, idx.loc);
    cmp_w(c, argbase);
    cmp_w(c, y);
    cmp_w(c, x);
    return cmp_push_results(c, ft);
}

/* ---- generic emitters ----------------------------------------------------------- */

static w_valtype cmp_sig_type(char ch)
{
    switch (ch) {
    case 'I': return W_I32;
    case 'L': return W_I64;
    case 'F': return W_F32;
    case 'D': return W_F64;
    case 'V': return W_V128;
    default: return CMP_UNKNOWN;
    }
}

/* Pops operands of types in[0..nin), pushes a result of type out and emits
 * op [S in...][S dst] + extra words; returns the result's home in *dst. */
static bool cmp_simple(cmp *c, w_op op, const w_valtype *in, uint32_t nin, w_valtype out,
                       uint32_t nextra, const uint32_t *extra)
{
    cmp_val a[3] = {{0}};
    cmp_val *v;
    uint32_t i, dstw;
    for (i = nin; i-- > 0;)
        if (!cmp_pop(c, in[i], &a[i])) return false;
    v = cmp_push(c, out);
    if (!v) return false;
    if (!cmp_op(c, op, nin + 1 + nextra)) return false;
    for (i = 0; i < nin; i++)
        cmp_w(c, a[i].loc);
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    for (i = 0; i < nextra; i++)
        cmp_w(c, extra[i]);
    cmp_produced(c, dstw);
    return true;
}

/* A signature string such as "II_I" or "VI_V" (ops.def / simd.def). */
static bool cmp_sig(cmp *c, w_op op, const char *sig)
{
    w_valtype in[3], out;
    uint32_t nin = 0, pos;
    bool done = false;
    while (*sig && *sig != '_' && nin < 3)
        in[nin++] = cmp_sig_type(*sig++);
    if (*sig != '_') return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "illegal opcode");
    out = cmp_sig_type(sig[1]);
    if (nin == 2 && (in[0] == W_I32 || in[0] == W_I64 || in[0] == W_F64) && in[0] == in[1]) {
        if (in[0] == W_F64 && !cmp_try_load(c, op, &done)) return false;
        if (!done && !cmp_try_imm(c, op, in[0], out, &done)) return false;
        if (done) return true;
    }
    pos = c->ncode;
    if (!cmp_simple(c, op, in, nin, out, 0, NULL)) return false;
    /* i32 comparisons can become part of a following branch (see fusion) */
    if (op == W_OP_I32_EQZ)
        cmp_note_cmp(c, W_OP_I32_EQ_I, pos, c->code[pos + 1], 0);
    else if (in[0] == W_I32 && nin == 2 && cmp_branch_form(op, false) != W_OP_COUNT_)
        cmp_note_cmp(c, op, pos, c->code[pos + 1], c->code[pos + 2]);
    return true;
}

static bool cmp_const(cmp *c, w_valtype t, const uint32_t *words, uint32_t nwords)
{
    uint32_t i, dstw;
    cmp_val *v = cmp_push(c, t);
    w_op op = nwords == 1 ? W_OP_CONST32 : nwords == 2 ? W_OP_CONST64 : W_OP_CONST_V128;
    if (!v) return false;
    if (!cmp_op(c, op, 1 + nwords)) return false;
    if ((t == W_I32 || t == W_I64 || t == W_F64) && nwords <= 2) {
        /* a candidate immediate (see fusion) */
        c->k_seq = c->seq;
        c->k_pos = c->ncode - 1;
        c->k_val = c->nvals - 1;
        c->k_imm = nwords == 2 ? (uint64_t)words[0] | (uint64_t)words[1] << 32 : words[0];
    }
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    for (i = 0; i < nwords; i++)
        cmp_w(c, words[i]);
    cmp_produced(c, dstw);
    return true;
}

/* Emits op [U imm...][S dst] for a new entry of type t. */
static bool cmp_imm_dst(cmp *c, w_op op, const uint32_t *imm, uint32_t nimm, w_valtype t)
{
    uint32_t i, dstw;
    if (!cmp_push(c, t)) return false;
    if (!cmp_op(c, op, nimm + 1)) return false;
    for (i = 0; i < nimm; i++)
        cmp_w(c, imm[i]);
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    cmp_produced(c, dstw);
    return true;
}

/* Emits op [U imm...][S v...] for values already popped. */
static bool cmp_imm_src(cmp *c, w_op op, const uint32_t *imm, uint32_t nimm, const cmp_val *v,
                        uint32_t nv)
{
    uint32_t i;
    if (!cmp_op(c, op, nimm + nv)) return false;
    for (i = 0; i < nimm; i++)
        cmp_w(c, imm[i]);
    for (i = 0; i < nv; i++)
        cmp_w(c, v[i].loc);
    return true;
}

/* ---- locals and globals ------------------------------------------------------- */

static bool cmp_local(cmp *c, uint8_t opcode)
{
    uint32_t x, slot;
    w_valtype t;
    cmp_val v = {0};
    bool retarget;
    if (!dec_u32(&c->r, &x)) return false;
    if (!cmp_local_at(c, x, &t, &slot)) return cmp_fail_idx(c, W_ERR_UNKNOWN_LOCAL, "local", x);
    if (opcode == 0x20) return cmp_push_alias(c, t, x);
    retarget = c->prod_seq == c->seq && c->nvals > cmp_frame(c)->height &&
               c->prod_val == c->nvals - 1 && c->vals[c->nvals - 1].local < 0;
    if (!cmp_pop(c, t, &v)) return false;
    if (cmp_alias_head(c, x) >= 0) {
        if (!cmp_materialize_local(c, x)) return false;
        retarget = false;
    }
    if (v.type == CMP_UNKNOWN) retarget = false;
    if (retarget)
        c->code[c->prod_word] = slot;
    else if (!cmp_copy(c, v.type, v.loc, slot))
        return false;
    if (opcode == 0x21) return true;
    /* local.tee: the value stays; after a retarget it lives only in x. */
    if (retarget) return cmp_push_alias(c, t, x);
    return cmp_push_back(c, &v, t);
}

static bool cmp_global(cmp *c, uint8_t opcode)
{
    uint32_t x;
    const w_globaltype *g;
    cmp_val v = {0};
    bool vec;
    if (!dec_u32(&c->r, &x)) return false;
    if (x >= c->m->nglobals) return cmp_fail_idx(c, W_ERR_UNKNOWN_GLOBAL, "global", x);
    g = &c->m->global_types[x];
    vec = g->type == W_V128;
    if (opcode == 0x23) {
        return cmp_imm_dst(c, vec ? W_OP_GLOBAL_GET_V128 : W_OP_GLOBAL_GET, &x, 1, g->type);
    }
    if (!g->mut) return cmp_fail(c, W_ERR_IMMUTABLE_GLOBAL, "global is immutable");
    if (!cmp_pop(c, g->type, &v)) return false;
    if (!cmp_op(c, vec ? W_OP_GLOBAL_SET_V128 : W_OP_GLOBAL_SET, 2)) return false;
    cmp_w(c, x);
    cmp_w(c, v.loc);
    return true;
}

/* ---- parametric and reference instructions ------------------------------------- */

static bool cmp_select(cmp *c, bool typed)
{
    cmp_val a = {0}, b = {0}, cond = {0};
    w_valtype t = CMP_UNKNOWN;
    uint32_t dstw;
    if (typed) {
        uint32_t n;
        uint8_t tb;
        if (!dec_u32(&c->r, &n)) return false;
        if (n != 1) return cmp_fail(c, W_ERR_INVALID_RESULT_ARITY, "invalid result arity");
        if (!dec_byte(&c->r, &tb)) return false;
        if (!cmp_is_valtype(tb)) return cmp_fail(c, W_ERR_MALFORMED_TYPE, "malformed value type");
        t = tb;
    }
    if (!cmp_pop(c, W_I32, &cond)) return false;
    if (!cmp_pop(c, t, &b) || !cmp_pop(c, t, &a)) return false;
    if (!typed) {
        if ((a.type != CMP_UNKNOWN && !cmp_is_num_or_vec(a.type)) ||
            (b.type != CMP_UNKNOWN && !cmp_is_num_or_vec(b.type)))
            return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        if (a.type != CMP_UNKNOWN && b.type != CMP_UNKNOWN && a.type != b.type)
            return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        t = a.type != CMP_UNKNOWN ? a.type : b.type;
    }
    if (!cmp_push(c, t)) return false;
    if (!cmp_op(c, t == W_V128 ? W_OP_SELECT_V128 : W_OP_SELECT, 4)) return false;
    cmp_w(c, a.loc);
    cmp_w(c, b.loc);
    cmp_w(c, cond.loc);
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    cmp_produced(c, dstw);
    return true;
}

static bool cmp_ref(cmp *c, uint8_t opcode)
{
    if (opcode == 0xD0) {
        uint8_t t;
        uint32_t zero[2] = {0, 0};
        if (!dec_byte(&c->r, &t)) return false;
        if (!cmp_is_ref(t)) return cmp_fail(c, W_ERR_MALFORMED_TYPE, "malformed reference type");
        return cmp_const(c, t, zero, 2);
    }
    if (opcode == 0xD1) {
        cmp_val v = {0};
        w_valtype in = CMP_UNKNOWN;
        if (!cmp_pop(c, CMP_UNKNOWN, &v)) return false;
        if (v.type != CMP_UNKNOWN && !cmp_is_ref(v.type))
            return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        /* push back so that cmp_simple pops it again with its location */
        if (!cmp_push_back(c, &v, v.type)) return false;
        return cmp_simple(c, W_OP_REF_IS_NULL, &in, 1, W_I32, 0, NULL);
    } else {
        uint32_t x;
        if (!dec_u32(&c->r, &x)) return false;
        if (x >= c->m->nfuncs) return cmp_fail_idx(c, W_ERR_UNKNOWN_FUNCTION, "function", x);
        if (!w_module_func_declared(c->m, x))
            return cmp_fail(c, W_ERR_UNDECLARED_REFERENCE, "undeclared function reference");
        return cmp_imm_dst(c, W_OP_REF_FUNC, &x, 1, W_FUNCREF);
    }
}

/* ---- tables ---------------------------------------------------------------------- */

static bool cmp_table_idx(cmp *c, uint32_t *x)
{
    if (!dec_u32(&c->r, x)) return false;
    if (*x >= c->m->ntables) return cmp_fail_idx(c, W_ERR_UNKNOWN_TABLE, "table", *x);
    return true;
}

static bool cmp_table_op(cmp *c, uint32_t sub)
{
    uint32_t imm[2];
    cmp_val v[3] = {{0}};
    w_valtype et;
    switch (sub) {
    case 0x25: /* table.get */
        if (!cmp_table_idx(c, &imm[0])) return false;
        et = c->m->tables[imm[0]].elem;
        {
            uint32_t dstw;
            if (!cmp_pop(c, W_I32, &v[0]) || !cmp_push(c, et)) return false;
            if (!cmp_op(c, W_OP_TABLE_GET, 3)) return false;
            cmp_w(c, imm[0]);
            cmp_w(c, v[0].loc);
            dstw = c->ncode;
            cmp_w(c, c->vals[c->nvals - 1].home);
            cmp_produced(c, dstw);
            return true;
        }
    case 0x26: /* table.set */
        if (!cmp_table_idx(c, &imm[0])) return false;
        et = c->m->tables[imm[0]].elem;
        if (!cmp_pop(c, et, &v[1]) || !cmp_pop(c, W_I32, &v[0])) return false;
        return cmp_imm_src(c, W_OP_TABLE_SET, imm, 1, v, 2);
    case 12: /* table.init elem table */
        if (!dec_u32(&c->r, &imm[1])) return false;
        if (!cmp_table_idx(c, &imm[0])) return false;
        if (imm[1] >= c->m->nelems)
            return cmp_fail_idx(c, W_ERR_UNKNOWN_ELEM, "elem segment", imm[1]);
        if (c->m->elems[imm[1]].type != c->m->tables[imm[0]].elem)
            return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        if (!cmp_pop(c, W_I32, &v[2]) || !cmp_pop(c, W_I32, &v[1]) || !cmp_pop(c, W_I32, &v[0]))
            return false;
        return cmp_imm_src(c, W_OP_TABLE_INIT, imm, 2, v, 3);
    case 13: /* elem.drop */
        if (!dec_u32(&c->r, &imm[0])) return false;
        if (imm[0] >= c->m->nelems)
            return cmp_fail_idx(c, W_ERR_UNKNOWN_ELEM, "elem segment", imm[0]);
        return cmp_imm_src(c, W_OP_ELEM_DROP, imm, 1, NULL, 0);
    case 14: /* table.copy dst src */
        if (!cmp_table_idx(c, &imm[0]) || !cmp_table_idx(c, &imm[1])) return false;
        if (c->m->tables[imm[0]].elem != c->m->tables[imm[1]].elem)
            return cmp_fail(c, W_ERR_TYPE_MISMATCH, "type mismatch");
        if (!cmp_pop(c, W_I32, &v[2]) || !cmp_pop(c, W_I32, &v[1]) || !cmp_pop(c, W_I32, &v[0]))
            return false;
        return cmp_imm_src(c, W_OP_TABLE_COPY, imm, 2, v, 3);
    case 15: /* table.grow */
    {
        uint32_t dstw;
        if (!cmp_table_idx(c, &imm[0])) return false;
        et = c->m->tables[imm[0]].elem;
        if (!cmp_pop(c, W_I32, &v[1]) || !cmp_pop(c, et, &v[0])) return false;
        if (!cmp_push(c, W_I32)) return false;
        if (!cmp_op(c, W_OP_TABLE_GROW, 4)) return false;
        cmp_w(c, imm[0]);
        cmp_w(c, v[0].loc);
        cmp_w(c, v[1].loc);
        dstw = c->ncode;
        cmp_w(c, c->vals[c->nvals - 1].home);
        cmp_produced(c, dstw);
        return true;
    }
    case 16: /* table.size */
        if (!cmp_table_idx(c, &imm[0])) return false;
        return cmp_imm_dst(c, W_OP_TABLE_SIZE, imm, 1, W_I32);
    case 17: /* table.fill */
        if (!cmp_table_idx(c, &imm[0])) return false;
        et = c->m->tables[imm[0]].elem;
        if (!cmp_pop(c, W_I32, &v[2]) || !cmp_pop(c, et, &v[1]) || !cmp_pop(c, W_I32, &v[0]))
            return false;
        return cmp_imm_src(c, W_OP_TABLE_FILL, imm, 1, v, 3);
    default: return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "illegal opcode");
    }
}

/* ---- memories ------------------------------------------------------------------- */

static bool cmp_mem_exists(cmp *c, uint32_t mem)
{
    if (mem >= c->m->nmems)
        return w_fail(c->err, W_ERR_UNKNOWN_MEMORY, c->op_off, "unknown memory %u", mem);
    return true;
}

/* The memory index of memory.size/grow/fill/copy/init: a reserved zero byte
 * unless multi-memory is enabled. */
static bool cmp_memidx(cmp *c, uint32_t *mem)
{
    if (c->multi_mem) {
        if (!dec_u32(&c->r, mem)) return false;
    } else {
        uint8_t b;
        if (!dec_byte(&c->r, &b)) return false;
        if (b != 0) return cmp_fail(c, W_ERR_ZERO_BYTE_EXPECTED, "zero byte expected");
        *mem = 0;
    }
    return true;
}

static w_valtype cmp_addr_type(const cmp *c, uint32_t mem)
{
    return c->m->mems[mem].lim.is64 ? W_I64 : W_I32;
}

/* Reads a memarg and checks it; *path is the access path of the access
 * (cmp_path). */
static bool cmp_memarg(cmp *c, uint32_t maxalign, uint32_t *mem, uint64_t *off, w_mem_path *path)
{
    uint32_t flags, off32;
    *mem = 0;
    if (!dec_u32(&c->r, &flags)) return false;
    if (c->multi_mem && (flags & 0x40)) {
        flags &= ~0x40u;
        if (!dec_u32(&c->r, mem)) return false;
    }
    if (c->mem64_feat) {
        if (!dec_u64(&c->r, off)) return false;
    } else {
        if (!dec_u32(&c->r, &off32)) return false;
        *off = off32;
    }
    /* Wasm 2.0 binaries: an exponent of 32 or more (bit 6 included) is
     * malformed. Multi-memory gives bit 6 a meaning and rejects bit 7 up. */
    if (flags >= (c->multi_mem ? 0x80u : 32u))
        return cmp_fail(c, W_ERR_MALFORMED_FLAGS, "malformed memop flags");
    if (!cmp_mem_exists(c, *mem)) return false;
    if (flags > maxalign)
        return cmp_fail(c, W_ERR_INVALID_ALIGNMENT, "alignment must not be larger than natural");
    if (!c->m->mems[*mem].lim.is64 && *off > UINT32_MAX)
        return cmp_fail(c, W_ERR_INVALID_OFFSET, "offset out of range");
    *path = cmp_path(c, *mem);
    if (*path == W_MEM_NPATHS)
        return cmp_fail(c, W_ERR_INTERNAL, "no access path for the memory's mode");
    return true;
}

/* Writes the memory part of a load/store: [U offset] (layout 0; the
 * memory is 32-bit, so the offset fits) or [U mem][L offset]. */
static void cmp_w_memarg(cmp *c, w_mem_path path, uint32_t mem, uint64_t off)
{
    if (cmp_path_is0(path)) {
        cmp_w(c, (uint32_t)off);
        return;
    }
    cmp_w(c, mem);
    cmp_w(c, (uint32_t)off);
    cmp_w(c, (uint32_t)(off >> 32));
}

static bool cmp_load(cmp *c, w_op op, w_valtype t, uint32_t maxalign)
{
    uint32_t mem, dstw;
    uint64_t off;
    w_mem_path path;
    bool fast;
    cmp_val a = {0};
    if (!cmp_memarg(c, maxalign, &mem, &off, &path)) return false;
    fast = cmp_path_is0(path);
    if (fast && c->nvals > 0 && cmp_addr_form(op) != W_OP_COUNT_ &&
        cmp_is_pending(c, c->a_seq, c->a_val, c->nvals - 1)) {
        /* the address is an i32.add of an immediate (see fusion) */
        cmp_rewind(c, c->a_pos);
        if (!cmp_pop(c, W_I32, &a) || !cmp_push(c, t)) return false;
        if (!cmp_op(c, cmp_form(cmp_addr_form(op), path), 4)) return false;
        cmp_w(c, c->a_src);
        dstw = c->ncode;
        cmp_w(c, c->vals[c->nvals - 1].home);
        cmp_w(c, (uint32_t)off);
        cmp_w(c, c->a_imm);
        cmp_produced(c, dstw);
        if (op == W_OP_F64_LOAD)
            cmp_note_load(c, dstw - 2, c->a_src, (uint32_t)off, c->a_imm, path);
        return true;
    }
    if (!cmp_pop(c, cmp_addr_type(c, mem), &a) || !cmp_push(c, t)) return false;
    if (!cmp_op(c, cmp_form(op, path), fast ? 3 : 5)) return false;
    cmp_w(c, a.loc);
    dstw = c->ncode;
    cmp_w(c, c->vals[c->nvals - 1].home);
    cmp_w_memarg(c, path, mem, off);
    cmp_produced(c, dstw);
    if (fast && op == W_OP_F64_LOAD) cmp_note_load(c, dstw - 2, a.loc, (uint32_t)off, 0, path);
    return true;
}

static bool cmp_store(cmp *c, w_op op, w_valtype t, uint32_t maxalign)
{
    uint32_t mem;
    uint64_t off;
    w_mem_path path;
    bool fast;
    cmp_val a = {0}, v = {0};
    if (!cmp_memarg(c, maxalign, &mem, &off, &path)) return false;
    fast = cmp_path_is0(path);
    if (fast && c->nvals > 1 && cmp_addr_form(op) != W_OP_COUNT_ &&
        cmp_is_pending(c, c->a_seq, c->a_val, c->nvals - 2)) {
        /* the address is an i32.add of an immediate (see fusion); the value
         * was computed without emitting code after it */
        cmp_rewind(c, c->a_pos);
        if (!cmp_pop(c, t, &v) || !cmp_pop(c, W_I32, &a)) return false;
        if (!cmp_op(c, cmp_form(cmp_addr_form(op), path), 4)) return false;
        cmp_w(c, c->a_src);
        cmp_w(c, v.loc);
        cmp_w(c, (uint32_t)off);
        cmp_w(c, c->a_imm);
        return true;
    }
    if (!cmp_pop(c, t, &v) || !cmp_pop(c, cmp_addr_type(c, mem), &a)) return false;
    if (!cmp_op(c, cmp_form(op, path), fast ? 3 : 5)) return false;
    cmp_w(c, a.loc);
    cmp_w(c, v.loc);
    cmp_w_memarg(c, path, mem, off);
    return true;
}

static bool cmp_lane_imm(cmp *c, uint32_t lanes, uint32_t *lane)
{
    uint8_t b;
    if (!dec_byte(&c->r, &b)) return false;
    if (b >= lanes) return cmp_fail(c, W_ERR_INVALID_LANE_INDEX, "invalid lane index");
    *lane = b;
    return true;
}

static bool cmp_lane_mem(cmp *c, w_op op, bool store, uint32_t maxalign, uint32_t lanes)
{
    uint32_t mem = 0, lane = 0, dstw = 0;
    uint64_t off;
    w_mem_path path;
    bool fast;
    cmp_val a = {0}, v = {0};
    if (!cmp_memarg(c, maxalign, &mem, &off, &path)) return false;
    fast = cmp_path_is0(path);
    if (!cmp_lane_imm(c, lanes, &lane)) return false;
    if (!cmp_pop(c, W_V128, &v) || !cmp_pop(c, cmp_addr_type(c, mem), &a)) return false;
    if (!store && !cmp_push(c, W_V128)) return false;
    if (!cmp_op(c, cmp_form(op, path), (store ? 2 : 3) + (fast ? 1 : 3) + 1)) return false;
    cmp_w(c, a.loc);
    cmp_w(c, v.loc);
    if (!store) {
        dstw = c->ncode;
        cmp_w(c, c->vals[c->nvals - 1].home);
    }
    cmp_w_memarg(c, path, mem, off);
    cmp_w(c, lane);
    if (!store) cmp_produced(c, dstw);
    return true;
}

/* Data segment indexes in code need the data count section (single-pass
 * decoders know the count before the code); an index beyond every segment
 * is reported as unknown first. */
static bool cmp_data_idx(cmp *c, uint32_t x)
{
    if (c->m->has_datacount ? x >= c->m->datacount : x >= c->m->ndatas)
        return cmp_fail_idx(c, W_ERR_UNKNOWN_DATA, "data segment", x);
    if (!c->m->has_datacount)
        return cmp_fail(c, W_ERR_DATA_COUNT_REQUIRED, "data count section required");
    return true;
}

static bool cmp_memory_op(cmp *c, uint32_t sub)
{
    uint32_t imm[2];
    cmp_val v[3] = {{0}};
    w_valtype at;
    switch (sub) {
    case 0x3F: /* memory.size */
        if (!cmp_memidx(c, &imm[0]) || !cmp_mem_exists(c, imm[0])) return false;
        return cmp_imm_dst(c, W_OP_MEMORY_SIZE, imm, 1, cmp_addr_type(c, imm[0]));
    case 0x40: /* memory.grow */
    {
        uint32_t dstw;
        if (!cmp_memidx(c, &imm[0]) || !cmp_mem_exists(c, imm[0])) return false;
        at = cmp_addr_type(c, imm[0]);
        if (!cmp_pop(c, at, &v[0]) || !cmp_push(c, at)) return false;
        if (!cmp_op(c, W_OP_MEMORY_GROW, 3)) return false;
        cmp_w(c, imm[0]);
        cmp_w(c, v[0].loc);
        dstw = c->ncode;
        cmp_w(c, c->vals[c->nvals - 1].home);
        cmp_produced(c, dstw);
        return true;
    }
    case 8: /* memory.init data mem */
        if (!dec_u32(&c->r, &imm[1]) || !cmp_memidx(c, &imm[0])) return false;
        if (!cmp_mem_exists(c, imm[0])) return false;
        if (!cmp_data_idx(c, imm[1])) return false;
        at = cmp_addr_type(c, imm[0]);
        if (!cmp_pop(c, W_I32, &v[2]) || !cmp_pop(c, W_I32, &v[1]) || !cmp_pop(c, at, &v[0]))
            return false;
        return cmp_imm_src(c, W_OP_MEMORY_INIT, imm, 2, v, 3);
    case 9: /* data.drop */
        if (!dec_u32(&c->r, &imm[0])) return false;
        if (!cmp_data_idx(c, imm[0])) return false;
        return cmp_imm_src(c, W_OP_DATA_DROP, imm, 1, NULL, 0);
    case 10: /* memory.copy dst src */
    {
        w_valtype dt, st;
        if (!cmp_memidx(c, &imm[0]) || !cmp_memidx(c, &imm[1])) return false;
        if (!cmp_mem_exists(c, imm[0]) || !cmp_mem_exists(c, imm[1])) return false;
        dt = cmp_addr_type(c, imm[0]);
        st = cmp_addr_type(c, imm[1]);
        if (!cmp_pop(c, dt == W_I64 && st == W_I64 ? W_I64 : W_I32, &v[2]) ||
            !cmp_pop(c, st, &v[1]) || !cmp_pop(c, dt, &v[0]))
            return false;
        return cmp_imm_src(c, W_OP_MEMORY_COPY, imm, 2, v, 3);
    }
    case 11: /* memory.fill */
        if (!cmp_memidx(c, &imm[0]) || !cmp_mem_exists(c, imm[0])) return false;
        at = cmp_addr_type(c, imm[0]);
        if (!cmp_pop(c, at, &v[2]) || !cmp_pop(c, W_I32, &v[1]) || !cmp_pop(c, at, &v[0]))
            return false;
        return cmp_imm_src(c, W_OP_MEMORY_FILL, imm, 1, v, 3);
    default: return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "illegal opcode");
    }
}

/* ---- table-driven instructions (ops.def, simd.def) -------------------------------- */

enum { CMP_T_NUM, CMP_T_LOAD, CMP_T_STORE, CMP_T_LOAD_LANE, CMP_T_STORE_LANE, CMP_T_SIMD };

typedef struct cmp_info {
    w_op op;
    uint8_t kind;
    w_valtype type;
    uint32_t maxalign, lanes;
    const char *sig; /* NUM signature or SIMD shape */
} cmp_info;

#define CMP_KEY(prefix, code) (((uint32_t)(prefix) << 16) | (uint32_t)(code))

static bool cmp_lookup(uint32_t key, cmp_info *i)
{
    switch (key) {
#define NUM(NAME, prefix, code, sig_)                                                              \
    case CMP_KEY(prefix, code):                                                                    \
        i->op = W_OP_##NAME;                                                                       \
        i->kind = CMP_T_NUM;                                                                       \
        i->sig = #sig_;                                                                            \
        return true;
#define LOAD(NAME, prefix, code, type_, bytes, maxalign_)                                          \
    case CMP_KEY(prefix, code):                                                                    \
        i->op = W_OP_##NAME;                                                                       \
        i->kind = CMP_T_LOAD;                                                                      \
        i->type = type_;                                                                           \
        i->maxalign = maxalign_;                                                                   \
        return true;
#define STORE(NAME, prefix, code, type_, bytes, maxalign_)                                         \
    case CMP_KEY(prefix, code):                                                                    \
        i->op = W_OP_##NAME;                                                                       \
        i->kind = CMP_T_STORE;                                                                     \
        i->type = type_;                                                                           \
        i->maxalign = maxalign_;                                                                   \
        return true;
#define LOAD_LANE(NAME, code, bytes, maxalign_, lanes_)                                            \
    case CMP_KEY(0xFD, code):                                                                      \
        i->op = W_OP_##NAME;                                                                       \
        i->kind = CMP_T_LOAD_LANE;                                                                 \
        i->maxalign = maxalign_;                                                                   \
        i->lanes = lanes_;                                                                         \
        return true;
#define STORE_LANE(NAME, code, bytes, maxalign_, lanes_)                                           \
    case CMP_KEY(0xFD, code):                                                                      \
        i->op = W_OP_##NAME;                                                                       \
        i->kind = CMP_T_STORE_LANE;                                                                \
        i->maxalign = maxalign_;                                                                   \
        i->lanes = lanes_;                                                                         \
        return true;
#include "exec/ops.def"
#define SIMD(NAME, code, shape, lanes_)                                                            \
    case CMP_KEY(0xFD, code):                                                                      \
        i->op = W_OP_##NAME;                                                                       \
        i->kind = CMP_T_SIMD;                                                                      \
        i->sig = #shape;                                                                           \
        i->lanes = lanes_;                                                                         \
        return true;
#include "exec/simd.def"
    default: return false;
    }
}

/* SIMD arithmetic by shape: plain signatures ("VV_V", "VI_V", ...), lane
 * extraction/replacement, and the shuffle. */
static bool cmp_simd(cmp *c, const cmp_info *i)
{
    const char *s = i->sig;
    uint32_t lane = 0;
    if (!strncmp(s, "EXTRACT_", 8)) {
        w_valtype in = W_V128;
        if (!cmp_lane_imm(c, i->lanes, &lane)) return false;
        return cmp_simple(c, i->op, &in, 1, cmp_sig_type(s[8]), 1, &lane);
    }
    if (!strncmp(s, "REPLACE_", 8)) {
        w_valtype in[2] = {W_V128, cmp_sig_type(s[8])};
        if (!cmp_lane_imm(c, i->lanes, &lane)) return false;
        return cmp_simple(c, i->op, in, 2, W_V128, 1, &lane);
    }
    if (!strcmp(s, "SHUFFLE")) {
        const uint8_t *b;
        uint32_t k, lanes[4];
        w_valtype in[2] = {W_V128, W_V128};
        if (!dec_bytes(&c->r, 16, &b)) return false;
        for (k = 0; k < 16; k++)
            if (b[k] >= 32) return cmp_fail(c, W_ERR_INVALID_LANE_INDEX, "invalid lane index");
        for (k = 0; k < 4; k++)
            lanes[k] = w_rd32(b + 4 * k);
        return cmp_simple(c, i->op, in, 2, W_V128, 4, lanes);
    }
    return cmp_sig(c, i->op, s);
}

/* The proposal an opcode ward does not accept belongs to, so that a module
 * built for one is told what it needs; NULL for an opcode of no proposal
 * ward knows ("illegal opcode"). */
static const char *cmp_unsupported_proposal(uint32_t key)
{
    static const struct {
        uint32_t key;
        const char *msg;
    } ops[] = {
        {0x06, "unsupported proposal: exception handling (try)"},
        {0x07, "unsupported proposal: exception handling (catch)"},
        {0x08, "unsupported proposal: exception handling (throw)"},
        {0x09, "unsupported proposal: exception handling (rethrow)"},
        {0x0A, "unsupported proposal: exception handling (throw_ref)"},
        {0x18, "unsupported proposal: exception handling (delegate)"},
        {0x19, "unsupported proposal: exception handling (catch_all)"},
        {0x1F, "unsupported proposal: exception handling (try_table)"},
        {0x12, "unsupported proposal: tail calls (return_call)"},
        {0x13, "unsupported proposal: tail calls (return_call_indirect)"},
        {0x14, "unsupported proposal: typed function references (call_ref)"},
        {0x15, "unsupported proposal: typed function references (return_call_ref)"},
        {0xD4, "unsupported proposal: typed function references (ref.as_non_null)"},
        {0xD5, "unsupported proposal: typed function references (br_on_null)"},
        {0xD6, "unsupported proposal: typed function references (br_on_non_null)"},
        {0xD3, "unsupported proposal: garbage collection (ref.eq)"},
        {0xFB, "unsupported proposal: garbage collection (0xFB instructions)"},
        {0xFE, "unsupported proposal: threads (0xFE atomic instructions)"},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (ops[k].key == key) return ops[k].msg;
    if (key >= CMP_KEY(0xFD, 0x100) && key <= CMP_KEY(0xFD, 0x113))
        return "unsupported proposal: relaxed SIMD";
    if (key >= CMP_KEY(0xFC, 0x13) && key <= CMP_KEY(0xFC, 0x16))
        return "unsupported proposal: wide arithmetic";
    return NULL;
}

static bool cmp_table_driven(cmp *c, uint32_t key)
{
    cmp_info i;
    memset(&i, 0, sizeof i);
    if (!cmp_lookup(key, &i)) {
        const char *proposal = cmp_unsupported_proposal(key);
        if (proposal) return cmp_fail(c, W_ERR_UNSUPPORTED_PROPOSAL, proposal);
        return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "illegal opcode");
    }
    switch (i.kind) {
    case CMP_T_NUM: return cmp_sig(c, i.op, i.sig);
    case CMP_T_LOAD: return cmp_load(c, i.op, i.type, i.maxalign);
    case CMP_T_STORE: return cmp_store(c, i.op, i.type, i.maxalign);
    case CMP_T_LOAD_LANE: return cmp_lane_mem(c, i.op, false, i.maxalign, i.lanes);
    case CMP_T_STORE_LANE: return cmp_lane_mem(c, i.op, true, i.maxalign, i.lanes);
    default: return cmp_simd(c, &i);
    }
}

/* ---- memory safety (Cage, prefix 0xFA; docs/cage.md) ------------------------------
 * Sub-opcodes 0-2 are the segment instructions, typed by their memory's
 * index type like loads and stores (i64 for memory64, i32 otherwise);
 * 4-6 are Cage's i64 pointer authentication, 7-9 ward's i32 forms. Each
 * group is accepted only with its feature (W_FEAT_MEM_SAFETY,
 * W_FEAT_PTR_AUTH); without it, and for 3 and 10 up, the opcode is
 * illegal. */

static bool cmp_segment(cmp *c, uint32_t sub)
{
    static const w_op ops[] = {W_OP_SEGMENT_NEW, W_OP_SEGMENT_SET_TAG, W_OP_SEGMENT_FREE};
    uint32_t mem, dstw = 0;
    uint64_t off;
    w_mem_path path;
    cmp_val v[3] = {{0}};
    /* Alignment up to a granule (2^4). */
    if (!cmp_memarg(c, 4, &mem, &off, &path)) return false;
    w_valtype at = cmp_addr_type(c, mem);
    uint32_t nv = sub == 1 ? 3 : 2;
    for (uint32_t i = nv; i-- > 0;)
        if (!cmp_pop(c, at, &v[i])) return false;
    if (sub == 0 && !cmp_push(c, at)) return false;
    if (!cmp_op(c, ops[sub], nv + (sub == 0) + 3)) return false;
    for (uint32_t i = 0; i < nv; i++)
        cmp_w(c, v[i].loc);
    if (sub == 0) {
        dstw = c->ncode;
        cmp_w(c, c->vals[c->nvals - 1].home);
    }
    cmp_w(c, mem);
    cmp_w(c, (uint32_t)off);
    cmp_w(c, (uint32_t)(off >> 32));
    if (sub == 0) cmp_produced(c, dstw);
    c->cage_uses |= W_CAGE_SEGMENTS;
    return true;
}

static bool cmp_cage(cmp *c, uint32_t sub)
{
    static const w_op ptr_ops[] = {
        W_OP_I64_POINTER_SIGN, W_OP_I64_POINTER_AUTH, W_OP_I64_POINTER_STRIP,
        W_OP_I32_POINTER_SIGN, W_OP_I32_POINTER_AUTH, W_OP_I32_POINTER_STRIP,
    };
    uint32_t features = c->m->features;
    if (sub <= 2 && (features & W_FEAT_MEM_SAFETY)) return cmp_segment(c, sub);
    if (sub >= 4 && sub <= 9 && (features & W_FEAT_PTR_AUTH)) {
        w_valtype t = sub <= 6 ? W_I64 : W_I32;
        c->cage_uses |= W_CAGE_POINTERS;
        return cmp_simple(c, ptr_ops[sub - 4], &t, 1, t, 0, NULL);
    }
    return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "illegal opcode");
}

/* ---- the instruction loop --------------------------------------------------------- */

static bool cmp_prefixed(cmp *c, uint8_t prefix)
{
    uint32_t sub;
    if (!dec_u32(&c->r, &sub)) return false;
    if (sub > 0xFFFF) return cmp_fail(c, W_ERR_ILLEGAL_OPCODE, "illegal opcode");
    if (prefix == 0xFA) return cmp_cage(c, sub);
    if (prefix == 0xFC) {
        if (sub >= 8 && sub <= 11) return cmp_memory_op(c, sub);
        if (sub >= 12 && sub <= 17) return cmp_table_op(c, sub);
        return cmp_table_driven(c, CMP_KEY(0xFC, sub));
    }
    if (sub == 12) { /* v128.const */
        const uint8_t *b;
        uint32_t w[4], k;
        if (!dec_bytes(&c->r, 16, &b)) return false;
        for (k = 0; k < 4; k++)
            w[k] = w_rd32(b + 4 * k);
        return cmp_const(c, W_V128, w, 4);
    }
    return cmp_table_driven(c, CMP_KEY(0xFD, sub));
}

static bool cmp_instr(cmp *c, uint8_t op, bool *done)
{
    cmp_val v = {0};
    switch (op) {
    case 0x00:
        if (!cmp_op(c, W_OP_UNREACHABLE, 0)) return false;
        cmp_set_unreachable(c);
        return true;
    case 0x01: return true;
    case 0x02: return cmp_begin_block(c, CMP_K_BLOCK);
    case 0x03: return cmp_begin_block(c, CMP_K_LOOP);
    case 0x04: return cmp_begin_block(c, CMP_K_IF);
    case 0x05: return cmp_else(c);
    case 0x0B: return cmp_end(c, done);
    case 0x0C: return cmp_br(c);
    case 0x0D: return cmp_br_if(c);
    case 0x0E: return cmp_br_table(c);
    case 0x0F: return cmp_return(c);
    case 0x10: return cmp_call(c);
    case 0x11: return cmp_call_indirect(c);
    case 0x1A: return cmp_pop(c, CMP_UNKNOWN, &v);
    case 0x1B: return cmp_select(c, false);
    case 0x1C: return cmp_select(c, true);
    case 0x20:
    case 0x21:
    case 0x22: return cmp_local(c, op);
    case 0x23:
    case 0x24: return cmp_global(c, op);
    case 0x25:
    case 0x26: return cmp_table_op(c, op);
    case 0x3F:
    case 0x40: return cmp_memory_op(c, op);
    case 0x41: {
        int32_t x;
        uint32_t w;
        if (!dec_s32(&c->r, &x)) return false;
        w = (uint32_t)x;
        return cmp_const(c, W_I32, &w, 1);
    }
    case 0x42: {
        int64_t x;
        uint32_t w[2];
        if (!dec_s64(&c->r, &x)) return false;
        w[0] = (uint32_t)(uint64_t)x;
        w[1] = (uint32_t)((uint64_t)x >> 32);
        return cmp_const(c, W_I64, w, 2);
    }
    case 0x43: {
        const uint8_t *b;
        uint32_t w;
        if (!dec_bytes(&c->r, 4, &b)) return false;
        w = w_rd32(b);
        return cmp_const(c, W_F32, &w, 1);
    }
    case 0x44: {
        const uint8_t *b;
        uint32_t w[2];
        if (!dec_bytes(&c->r, 8, &b)) return false;
        w[0] = w_rd32(b);
        w[1] = w_rd32(b + 4);
        return cmp_const(c, W_F64, w, 2);
    }
    case 0xD0:
    case 0xD1:
    case 0xD2: return cmp_ref(c, op);
    case 0xFA:
    case 0xFC:
    case 0xFD: return cmp_prefixed(c, op);
    default: return cmp_table_driven(c, CMP_KEY(0, op));
    }
}

/* Slots of the parameters of type `ti`, computed once per type and
 * codeset: memory in proportion to the type section, and no work per
 * function for a type with many parameters. NULL if out of memory. */
static const uint32_t *cmp_type_pslots(cmp *c, uint32_t ti)
{
    const w_functype *ft = &c->m->types[ti];
    if (!c->type_pslots) {
        c->type_pslots = w_calloc(c->m->ntypes, sizeof *c->type_pslots);
        if (!c->type_pslots) return NULL;
    }
    if (!c->type_pslots[ti]) {
        uint32_t *ps = w_malloc((size_t)(ft->nparams ? ft->nparams : 1) * sizeof *ps);
        if (!ps) return NULL;
        for (uint32_t i = 0, slot = 0; i < ft->nparams; slot += w_slots_of(ft->params[i]), i++)
            ps[i] = slot;
        c->type_pslots[ti] = ps;
    }
    return c->type_pslots[ti];
}

/* Sets up locals: params first, then declared locals, each w_slots_of
 * wide. The cost is in the number of groups, not of locals. */
static bool cmp_setup_locals(cmp *c, const w_funcdef *fd)
{
    uint64_t n = (uint64_t)c->ft->nparams + fd->nlocals;
    uint32_t slot = c->ft->param_slots, first = c->ft->nparams;
    if (n > W_MAX_LOCALS) return cmp_fail(c, W_ERR_TOO_MANY_LOCALS, "too many locals");
    c->pslots = cmp_type_pslots(c, fd->type);
    if (!c->pslots) return cmp_oom(c);
    if (!cmp_grow(c, (void **)&c->lgroups, &c->cap_lgroups, fd->ngroups, sizeof *c->lgroups))
        return false;
    for (uint32_t i = 0; i < fd->ngroups; i++) {
        const w_localgroup *g = &fd->groups[i];
        c->lgroups[i].first = first;
        c->lgroups[i].slot = slot;
        c->lgroups[i].type = g->type;
        first += g->count;
        slot += g->count * w_slots_of(g->type);
    }
    c->nlgroups = fd->ngroups;
    c->nlocals = (uint32_t)n;
    c->stack_base = slot;
    /* Alias heads: entries added now read as -1 (gen 0 is never current);
     * the new generation makes every older entry read as -1 as well. */
    if (n > c->cap_alias) {
        cmp_alias *a = w_realloc_array(c->alias, (size_t)n, sizeof *a);
        if (!a) return cmp_oom(c);
        memset(a + c->cap_alias, 0, (size_t)(n - c->cap_alias) * sizeof *a);
        c->alias = a;
        c->cap_alias = (uint32_t)n;
    }
    c->gen++;
    return true;
}

static bool cmp_function(cmp *c, uint32_t defidx, w_fcode *out)
{
    const w_module *m = c->m;
    const w_funcdef *fd = &m->funcdefs[defidx];
    bool done = false;
    uint8_t op;
    uint64_t maxc, pushes;

    c->ft = &m->types[fd->type];
    c->op_off = fd->body_offset;
    c->nvals = c->nctrl = c->npatch = c->ncode = c->nsrc = 0;
    c->alias_lo = 0;
    c->seq = 1;
    c->prod_seq = 0;
    c->k_seq = c->f_seq = c->a_seq = c->l_seq = 0;
    if (!cmp_setup_locals(c, fd)) return false;
    c->max_slot = c->stack_base;
    /* Each instruction emits a bounded number of words, except branches with
     * many values to move; this caps what a hostile body can make us build
     * (the spec suite needs at most 3.4 words per body byte). */
    maxc = (uint64_t)fd->body_len * 16 + 4096;
    if (maxc > CMP_MAX_CODE) maxc = CMP_MAX_CODE;
    /* Validation work is bounded the same way: branches and blocks with
     * large arities re-push many values per instruction byte. */
    pushes = (uint64_t)fd->body_len * 32 + 65536;
    /* Both come out of what is left of the module's allowances. */
    c->code_module_bound = maxc > c->code_left;
    c->pushes_module_bound = pushes > c->pushes_module_left;
    c->max_code = (uint32_t)(maxc < c->code_left ? maxc : c->code_left);
    c->pushes_left = pushes < c->pushes_module_left ? pushes : c->pushes_module_left;
    pushes = c->pushes_left;

    c->r.base = m->bytes;
    c->r.p = fd->body;
    c->r.end = fd->body + fd->body_len;
    c->r.err = c->err;
    c->r.lim = m->bytes + m->size;
    if (!cmp_push_ctrl(c, CMP_K_FUNC, 0, NULL, c->ft->nresults, c->ft->results)) return false;
    while (!done) {
        c->op_off = dec_offset(&c->r);
        if (c->poll++ % CMP_POLL_EVERY == 0 && c->stop &&
            atomic_load_explicit(c->stop, memory_order_relaxed))
            return w_fail_nooff(c->err, W_ERR_STOPPED, "%s", dec_msg_stopped);
        if (c->r.p >= c->r.end) return cmp_fail(c, W_ERR_END_EXPECTED, "END opcode expected");
        if (!dec_byte(&c->r, &op)) return false;
        if (!cmp_instr(c, op, &done)) return false;
    }
    if (c->r.p != c->r.end) {
        c->op_off = dec_offset(&c->r);
        return cmp_fail(c, W_ERR_END_EXPECTED, "END opcode expected");
    }

    /* Shrink-copy into the function's own arrays. */
    {
        uint32_t *code = w_malloc((size_t)c->ncode * sizeof *code);
        uint32_t *src = w_malloc((size_t)c->nsrc * 2 * sizeof *src);
        if (!code || !src) {
            w_free(code);
            w_free(src);
            return cmp_oom(c);
        }
        memcpy(code, c->code, (size_t)c->ncode * sizeof *code);
        if (c->nsrc) memcpy(src, c->src, (size_t)c->nsrc * 2 * sizeof *src);
        out->code = code;
        out->ncode = c->ncode;
        out->src = src;
        out->nsrc = c->nsrc;
    }
    out->param_slots = c->ft->param_slots;
    out->local_slots = c->stack_base - c->ft->param_slots;
    out->frame_slots = c->max_slot > c->ft->result_slots ? c->max_slot : c->ft->result_slots;
    out->result_slots = c->ft->result_slots;
    out->func_index = m->nimported_funcs + defidx;
    c->code_left -= c->ncode;
    c->pushes_module_left -= pushes - c->pushes_left;
    return true;
}

static void cmp_free_scratch(cmp *c)
{
    if (c->type_pslots)
        for (uint32_t i = 0; i < c->m->ntypes; i++)
            w_free(c->type_pslots[i]);
    w_free(c->type_pslots);
    w_free(c->lgroups);
    w_free(c->alias);
    w_free(c->vals);
    w_free(c->ctrls);
    w_free(c->patches);
    w_free(c->tmp);
    w_free(c->labels);
    w_free(c->code);
    w_free(c->src);
}

static void cmp_codeset_free(w_codeset *cs)
{
    uint32_t i;
    if (!cs) return;
    nat_free_set(atomic_load(&cs->native));
    for (i = 0; cs->funcs && i < cs->nfuncs; i++) {
        w_free((void *)cs->funcs[i].code);
        w_free((void *)cs->funcs[i].src);
    }
    w_free(cs->funcs);
    w_free((void *)cs->cfg.mem_mode);
    w_free(cs);
}

/* Compiles every function of m for cfg into a new codeset. */
static w_codeset *cmp_codeset_new(w_module *m, const w_compile_cfg *cfg, const atomic_int *stop,
                                  uint8_t *cage_uses, w_err *err)
{
    w_codeset *cs = w_calloc(1, sizeof *cs);
    cmp c;
    uint32_t i;
    bool ok = false;

    memset(&c, 0, sizeof c);
    if (!cs) goto oom;
    cs->nfuncs = m->nfuncdefs;
    cs->funcs = w_calloc(m->nfuncdefs ? m->nfuncdefs : 1, sizeof *cs->funcs);
    if (!cs->funcs) goto oom;
    cs->cfg.nmems = cfg->nmems;
    if (cfg->mem_mode) {
        uint8_t *mm = w_malloc(cfg->nmems ? cfg->nmems : 1);
        if (!mm) goto oom;
        if (cfg->nmems) memcpy(mm, cfg->mem_mode, cfg->nmems);
        cs->cfg.mem_mode = mm;
    }
    c.m = m;
    c.cfg = &cs->cfg;
    c.err = err;
    c.stop = stop;
    c.code_left = (uint64_t)m->size * CMP_CODE_PER_BYTE + CMP_CODE_BASE;
    c.pushes_module_left = (uint64_t)m->size * CMP_PUSHES_PER_BYTE + CMP_PUSHES_BASE;
    c.multi_mem = (m->features & W_FEAT_MULTI_MEMORY) != 0;
    c.mem64_feat = (m->features & W_FEAT_MEMORY64) != 0;
    for (i = 0; i < m->nfuncdefs; i++)
        if (!cmp_function(&c, i, &cs->funcs[i])) goto out;
    if (cage_uses) *cage_uses = c.cage_uses;
    ok = true;
    goto out;
oom:
    w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
out:
    cmp_free_scratch(&c);
    if (!ok) {
        cmp_codeset_free(cs);
        return NULL;
    }
    return cs;
}

bool cmp_compile_module(w_module *m, const atomic_int *stop, w_err *err)
{
    w_compile_cfg flat = {m->nmems, NULL};
    uint8_t uses = 0;
    w_codeset *cs = cmp_codeset_new(m, &flat, stop, &uses, err);
    if (!cs) return false;
    cmp_free_module_code(m);
    m->code = cs;
    m->cage_uses = uses;
    return true;
}

static bool cmp_cfg_equal(const w_module *m, const w_compile_cfg *a, const w_compile_cfg *b)
{
    uint32_t i;
    for (i = 0; i < m->nmems; i++)
        if (cmp_mode_of(a, i) != cmp_mode_of(b, i)) return false;
    return true;
}

const w_codeset *cmp_codeset_for(w_module *m, const w_compile_cfg *cfg, const atomic_int *stop,
                                 w_err *err)
{
    w_codeset *cs, *last = NULL;
    if (!m->code) {
        w_fail_nooff(err, W_ERR_INTERNAL, "module has no compiled code");
        return NULL;
    }
    for (cs = m->code; cs; cs = cs->next) {
        if (cmp_cfg_equal(m, &cs->cfg, cfg)) return cs;
        last = cs;
    }
    cs = cmp_codeset_new(m, cfg, stop, NULL, err);
    if (!cs) return NULL;
    last->next = cs;
    return cs;
}

void cmp_free_module_code(w_module *m)
{
    w_codeset *cs = m->code, *next;
    while (cs) {
        next = cs->next;
        cmp_codeset_free(cs);
        cs = next;
    }
    m->code = NULL;
}

void cmp_module_retain(w_module *m)
{
    /* Atomic: a module may be instantiated from several threads at once. */
    __atomic_add_fetch(&m->refcount, 1u, __ATOMIC_RELAXED);
}

void cmp_module_release(w_module *m)
{
    if (!m) return;
    if (__atomic_sub_fetch(&m->refcount, 1u, __ATOMIC_ACQ_REL) != 0) return;
    cmp_free_module_code(m);
    m->code = NULL;
    dec_module_free(m);
}

uint32_t cmp_src_offset(const w_fcode *f, uint32_t pc)
{
    uint32_t lo = 0, hi = f->nsrc;
    /* Last entry whose code index is <= pc. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->src[mid * 2] <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? f->src[(lo - 1) * 2 + 1] : 0;
}
