/* nl_gen.c - ward's internal code to LLVM IR (nl.h).
 *
 * One LLVM function (a "body", native.h's calling convention) per compiled
 * function, plus an entry wrapper for calls from C. Every frame slot of
 * the internal code becomes an i64 alloca; LLVM's SROA and mem2reg turn
 * them into registers. i32 and f32 values are kept zero-extended, as the
 * interpreter keeps them, so COPY and SELECT move slots without knowing
 * their type.
 *
 * What the interpreter keeps in registers, native code keeps in allocas:
 * the span of every memory the function uses (its base and limit for
 * loads and for stores), reloaded from the memory after anything that may
 * change it (calls, memory.grow, bulk and Cage instructions, the slow path
 * of a store). Guest stores cannot alias an alloca, so the span stays in
 * registers across loops. An access inside the span is one compare and
 * one load or store; anything else calls the path's exact slow path
 * (nat_h_load / nat_h_store), which runs the memory layer's translate
 * functions: a paged memory's tables, a tagged memory's tag check.
 */
#include "nl.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the instruction table ------------------------------------------------------- */

enum {
    K_NONE = 0,
    K_CTRL,
    K_NUM,
    K_LOAD,
    K_STORE,
    K_LOAD_LANE,
    K_STORE_LANE,
    K_BINI,
    K_BR,
    K_BRI,
    K_LOOP,
    K_LOOPI,
    K_LOADA,
    K_STOREA,
    K_FLD,
    K_SIMD
};

typedef struct nl_opinfo {
    uint8_t kind;
    uint8_t len;     /* words, 0 = variable (BR_TABLE) */
    uint8_t layout0; /* memory forms: layout 0 */
    uint8_t path;    /* memory forms: W_MEM_PATH_* */
    uint8_t bytes;   /* memory forms */
    char sig[12];    /* NUM: "II_I" and so on; BINI: T; SIMD: its shape */
    uint16_t base;   /* the plain op of a memory form, BINI, CMPBR, FLD */
} nl_opinfo;

static nl_opinfo nl_ops[W_OP_COUNT_];

static void nl_ops_init(void)
{
    static bool done;
    if (done) return;
#define CTRL(NAME) nl_ops[W_OP_##NAME] = (nl_opinfo){.kind = K_CTRL};
#define NUM(NAME, prefix, code, SIG)                                                               \
    nl_ops[W_OP_##NAME] = (nl_opinfo){.kind = K_NUM, .sig = #SIG, .base = W_OP_##NAME};
#define NL_FORM(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, KIND, NB)                                    \
    nl_ops[W_OP_##NAME##SUFFIX] = (nl_opinfo){.kind = KIND,                                        \
                                              .layout0 = W_MEM_IS0(LAYOUT),                        \
                                              .path = W_MEM_PATH_##PATH,                           \
                                              .bytes = NB,                                         \
                                              .base = W_OP_##NAME};
#define NL_FORM0(PATH, fn, SUFFIX, LAYOUT, MODE, NAME, KIND, NB, BASE)                             \
    W_MEM_IF0(LAYOUT, nl_ops[W_OP_##NAME##SUFFIX] = (nl_opinfo){.kind = KIND,                      \
                                                                .layout0 = 1,                      \
                                                                .path = W_MEM_PATH_##PATH,         \
                                                                .bytes = NB,                       \
                                                                .base = W_OP_##BASE};)
#define LOAD(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(NL_FORM, NAME, K_LOAD, bytes)
#define STORE(NAME, prefix, code, type, bytes, maxalign) W_MEM_PATHS(NL_FORM, NAME, K_STORE, bytes)
#define LOAD_LANE(NAME, code, bytes, maxalign, lanes) W_MEM_PATHS(NL_FORM, NAME, K_LOAD_LANE, bytes)
#define STORE_LANE(NAME, code, bytes, maxalign, lanes)                                             \
    W_MEM_PATHS(NL_FORM, NAME, K_STORE_LANE, bytes)
#define BINI(NAME, BASE, T, FN)                                                                    \
    nl_ops[W_OP_##NAME] = (nl_opinfo){.kind = K_BINI, .sig = #T, .base = W_OP_##BASE};
#define CMPBR(BASE, FN)                                                                            \
    nl_ops[W_OP_BR_##BASE] = (nl_opinfo){.kind = K_BR, .len = 4, .base = W_OP_##BASE};             \
    nl_ops[W_OP_BR_##BASE##_I] = (nl_opinfo){.kind = K_BRI, .len = 4, .base = W_OP_##BASE};        \
    nl_ops[W_OP_LOOP_##BASE] = (nl_opinfo){.kind = K_LOOP, .len = 4, .base = W_OP_##BASE};         \
    nl_ops[W_OP_LOOP_##BASE##_I] = (nl_opinfo){.kind = K_LOOPI, .len = 4, .base = W_OP_##BASE};
#define LOADA(NAME, BASE, bytes) W_MEM_PATHS(NL_FORM0, NAME, K_LOADA, bytes, BASE)
#define STOREA(NAME, BASE, bytes) W_MEM_PATHS(NL_FORM0, NAME, K_STOREA, bytes, BASE)
#define FLD(NAME, BASE, FN) W_MEM_PATHS(NL_FORM0, NAME, K_FLD, 8, BASE)
#include "exec/ops.def"
#undef NL_FORM
#undef NL_FORM0
#define SIMD(NAME, code, shape, lanes)                                                             \
    nl_ops[W_OP_##NAME] = (nl_opinfo){.kind = K_SIMD, .sig = #shape};
#include "exec/simd.def"
    /* Lengths. */
    for (int op = 0; op < W_OP_COUNT_; op++) {
        nl_opinfo *o = &nl_ops[op];
        switch (o->kind) {
        case K_NUM: o->len = o->sig[2] == '_' ? 4 : 3; break;
        case K_LOAD:
        case K_STORE: o->len = o->layout0 ? 4 : 6; break;
        case K_LOAD_LANE: o->len = o->layout0 ? 6 : 8; break;
        case K_SIMD: {
            const char *sh = o->sig;
            o->len = !strcmp(sh, "SHUFFLE")                       ? 8
                     : !strncmp(sh, "REPLACE", 7)                 ? 5
                     : !strncmp(sh, "EXTRACT", 7)                 ? 4
                     : !strcmp(sh, "VVV_V")                       ? 5
                     : !strcmp(sh, "VV_V") || !strcmp(sh, "VI_V") ? 4
                                                                  : 3;
            break;
        }
        case K_STORE_LANE: o->len = o->layout0 ? 5 : 7; break;
        case K_BINI: o->len = o->sig[0] == 'I' ? 4 : 5; break;
        case K_LOADA:
        case K_STOREA: o->len = 5; break;
        case K_FLD: o->len = 6; break;
        default: break;
        }
    }
    static const struct {
        uint16_t op;
        uint8_t len;
    } ctrl[] = {
        {W_OP_UNREACHABLE, 1},
        {W_OP_BR, 2},
        {W_OP_BR_LOOP, 2},
        {W_OP_BR_IF, 3},
        {W_OP_BR_UNLESS, 3},
        {W_OP_BR_TABLE, 0},
        {W_OP_RETURN, 1},
        {W_OP_CALL, 3},
        {W_OP_CALL_INDIRECT, 5},
        {W_OP_SELECT, 5},
        {W_OP_SELECT_V128, 5},
        {W_OP_COPY, 3},
        {W_OP_COPY_V128, 3},
        {W_OP_CONST32, 3},
        {W_OP_CONST64, 4},
        {W_OP_CONST_V128, 6},
        {W_OP_REF_IS_NULL, 3},
        {W_OP_REF_FUNC, 3},
        {W_OP_GLOBAL_GET, 3},
        {W_OP_GLOBAL_SET, 3},
        {W_OP_GLOBAL_GET_V128, 3},
        {W_OP_GLOBAL_SET_V128, 3},
        {W_OP_TABLE_GET, 4},
        {W_OP_TABLE_SET, 4},
        {W_OP_TABLE_SIZE, 3},
        {W_OP_TABLE_GROW, 5},
        {W_OP_TABLE_FILL, 5},
        {W_OP_TABLE_COPY, 6},
        {W_OP_TABLE_INIT, 6},
        {W_OP_ELEM_DROP, 2},
        {W_OP_MEMORY_SIZE, 3},
        {W_OP_MEMORY_GROW, 4},
        {W_OP_MEMORY_FILL, 5},
        {W_OP_MEMORY_COPY, 6},
        {W_OP_MEMORY_INIT, 6},
        {W_OP_DATA_DROP, 2},
        {W_OP_SEGMENT_NEW, 7},
        {W_OP_SEGMENT_SET_TAG, 7},
        {W_OP_SEGMENT_FREE, 6},
        {W_OP_I64_POINTER_SIGN, 3},
        {W_OP_I64_POINTER_AUTH, 3},
        {W_OP_I64_POINTER_STRIP, 3},
        {W_OP_I32_POINTER_SIGN, 3},
        {W_OP_I32_POINTER_AUTH, 3},
        {W_OP_I32_POINTER_STRIP, 3},
    };
    for (size_t i = 0; i < sizeof ctrl / sizeof ctrl[0]; i++)
        nl_ops[ctrl[i].op].len = ctrl[i].len;
    done = true;
}

/* Handler word -> op: vm_op_word is a bijection (one handler per op). */
typedef struct nl_wordop {
    uint32_t word;
    uint32_t op;
} nl_wordop;
static nl_wordop nl_words[W_OP_COUNT_];

static int nl_wordop_cmp(const void *a, const void *b)
{
    uint32_t x = ((const nl_wordop *)a)->word, y = ((const nl_wordop *)b)->word;
    return x < y ? -1 : x > y;
}

static void nl_words_init(void)
{
    static bool done;
    if (done) return;
    for (uint32_t op = 0; op < W_OP_COUNT_; op++)
        nl_words[op] = (nl_wordop){vm_op_word((w_op)op), op};
    qsort(nl_words, W_OP_COUNT_, sizeof nl_words[0], nl_wordop_cmp);
    done = true;
}

static int nl_op_of(uint32_t word)
{
    size_t lo = 0, hi = W_OP_COUNT_;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (nl_words[mid].word < word)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < W_OP_COUNT_ && nl_words[lo].word == word ? (int)nl_words[lo].op : -1;
}

/* ---- generator state ---------------------------------------------------------------- */

typedef struct nl_mem {
    LLVMValueRef rd_base, rd_lim, wr_base, wr_lim; /* allocas */
    /* The other paths' state (nl_reload, nl_addr_ways), allocas too: the
     * tables (pg_rd, pg_wr) and the pages they may be read for (0: none,
     * the memory is flat), a tagged paged memory's tag table; a tagged
     * flat memory's tag nibbles once it has tags (else NULL), its base and
     * its size. */
    LLVMValueRef pg_rd, pg_wr, pages, pg_tg, tags, tbase, tsize;
    /* A paged 32-bit memory's guarded arena while its span is all of it
     * (nl_pguard), else NULL. */
    LLVMValueRef gbase;
    /* i1: a tagged flat 32-bit memory without tags, whose accesses are
     * guarded (nl_tag_guarded); NULL where no access can be. */
    LLVMValueRef notags;
    bool used;
} nl_mem;

/* An inner loop with a fast copy (nl_fast_find): code words [head, end),
 * its back edge at `back`; the copy's entry (pre) and the block every
 * entry of it passes (outer); the slots that count up by a constant
 * (their shadows are allocas) and those whose value entering the loop is
 * made opaque (read by float operations or moved). */
#define NL_FAST_IVS 16
#define NL_FAST_OPAQUE 64
typedef struct nl_floop {
    uint32_t head, end, back;
    LLVMBasicBlockRef pre, outer;
    uint32_t niv, iv[NL_FAST_IVS];
    uint32_t nop, opq[NL_FAST_OPAQUE];
} nl_floop;

/* A slot's state in a fast copy (nl_fast_loop): the i64 shadow of its i32
 * value in the current block (NULL: its zero extension, made when read),
 * its bound (below 2^bits) and its parts (shadow = zext(base) + rest, base
 * a slot the loop does not write, or NL_NO_BASE); the alloca of an
 * induction slot's shadow (iv; ivcur: for the loop being generated); a
 * base pointer made at pre (nl_fast_basep); whether the loop writes it; and
 * while planning, whether the block makes it (no shadow at its start). */
typedef struct nl_slotfast {
    LLVMValueRef sh, rest, iv, ivcur, bptr;
    uint32_t base;
    uint8_t bits;
    bool written, dirty;
    bool seen, carried; /* nl_fast_carried_of */
} nl_slotfast;

/* A code word's state for fast copies: the copy's block starting there, the
 * copy's entry if a loop starts there, and a constant or immediate of it
 * made opaque at pre. */
typedef struct nl_pcfast {
    LLVMBasicBlockRef fbb, pre;
    LLVMValueRef fconst;
} nl_pcfast;

typedef struct nl_gen {
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef B;
    LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, ptr, v2i64;
    const w_module *m;
    const w_codeset *cs;
    LLVMValueRef *bodies; /* per defined function, NULL if not generated */
    LLVMTypeRef *body_types;
    LLVMValueRef body_table;
    /* helpers */
    LLVMTypeRef t_trap, t_interrupt, t_fuel, t_call, t_indirect, t_load, t_store, t_grow, t_op;
    LLVMValueRef h_trap, h_interrupt, h_fuel, h_call, h_indirect, h_load, h_store, h_grow, h_op;
    LLVMTypeRef t_simd, t_vload;
    LLVMValueRef h_simd, h_vload;
    /* nat_h_load and nat_h_store behind wrappers that save every register
     * (nl_preserving): the slow paths of the paged and tagged paths */
    LLVMValueRef h_load_pa, h_store_pa;
    LLVMValueRef span_p;         /* nl_addr_ways: the span's address, in *span */
    LLVMValueRef tag_ways[2][5]; /* nl_tag_way, by width and access size */
    LLVMTypeRef t_tag_way;
    /* the function being generated */
    const w_fcode *fc;
    LLVMValueRef fn, ex, inst, res, wfn, codebase;
    LLVMValueRef depth; /* i32: ex->nframes while this body runs (its callers' frames) */
    LLVMValueRef fp;    /* i64: where the interpreter's frame of this body would be in ex's
                         * value stack (its fp): calls check the stack's size with it */
    bool ret1;          /* one result slot: the body returns {trap, value} */
    LLVMValueRef *slots;
    LLVMValueRef callbuf, tmp, vbuf;
    LLVMBasicBlockRef *bb; /* per code word: the block starting there, or NULL */
    nl_mem *mems;
    uint32_t pc; /* the instruction being generated */
    bool *moves; /* per defined function: may a call of it change a span? */
    uint32_t nslots;
    unsigned md_invariant; /* the "invariant.load" metadata kind */
    const char *unsupported;
    /* Fast copies of inner loops (nl_fast_find, nl_fast_loop). */
    nl_floop *floops;
    uint32_t nfloops;
    nl_floop *fl;                /* the fast copy being generated, else NULL */
    nl_slotfast *fs, *fs_save;   /* per slot; fs_save: nl_fast_plan's copy */
    nl_pcfast *fpc;              /* per code word */
    LLVMValueRef budget, again;  /* allocas: back edges left before a limit check; one is due */
    LLVMValueRef fbase, flim[4]; /* memory 0's span of stores; limits by log2 of access size */
    LLVMValueRef pre_at;         /* pre's last instruction: base pointers go before it */
    /* nl_fast_plan: the block's accesses, checked at its start */
    bool planning, plan_ok;
    uint32_t plan_n, plan_i;
    LLVMValueRef plan_ea[64], plan_rest[64];
    uint32_t plan_base[64];
} nl_gen;

static LLVMValueRef nl_c32(nl_gen *g, uint64_t v)
{
    return LLVMConstInt(g->i32, v, false);
}
static LLVMValueRef nl_c64(nl_gen *g, uint64_t v)
{
    return LLVMConstInt(g->i64, v, false);
}

/* Pointer to byte offset off of p. */
static LLVMValueRef nl_at(nl_gen *g, LLVMValueRef p, uint64_t off)
{
    if (off == 0) return p;
    LLVMValueRef idx = nl_c64(g, off);
    return LLVMBuildInBoundsGEP2(g->B, g->i8, p, &idx, 1, "");
}

static LLVMValueRef nl_ld(nl_gen *g, LLVMTypeRef t, LLVMValueRef p, uint64_t off)
{
    return LLVMBuildLoad2(g->B, t, nl_at(g, p, off), "");
}

static void nl_st(nl_gen *g, LLVMValueRef v, LLVMValueRef p, uint64_t off)
{
    LLVMBuildStore(g->B, v, nl_at(g, p, off));
}

/* A load of what does not change while native code runs (the instance's
 * function table, a function's code, the frame array and its size): LLVM
 * may merge such loads across calls and hoist them out of loops. */
static LLVMValueRef nl_ld_inv(nl_gen *g, LLVMTypeRef t, LLVMValueRef p, uint64_t off)
{
    LLVMValueRef v = nl_ld(g, t, p, off);
    LLVMSetMetadata(v, g->md_invariant,
                    LLVMMetadataAsValue(g->C, LLVMMDNodeInContext2(g->C, NULL, 0)));
    return v;
}

/* Element i of an array of pointers at p. */
static LLVMValueRef nl_ptr_at(nl_gen *g, LLVMValueRef arr, uint64_t i)
{
    return nl_ld(g, g->ptr, arr, i * sizeof(void *));
}

static LLVMValueRef nl_intrinsic(nl_gen *g, const char *name, LLVMTypeRef *tys, unsigned ntys,
                                 LLVMValueRef *args, unsigned nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(g->M, id, tys, ntys);
    LLVMTypeRef ft = LLVMIntrinsicGetType(g->C, id, tys, ntys);
    return LLVMBuildCall2(g->B, ft, f, args, nargs, "");
}

/* ---- slots --------------------------------------------------------------------------- */

static LLVMValueRef nl_rd64(nl_gen *g, uint32_t s)
{
    return LLVMBuildLoad2(g->B, g->i64, g->slots[s], "");
}
static LLVMValueRef nl_rd32(nl_gen *g, uint32_t s)
{
    return LLVMBuildTrunc(g->B, nl_rd64(g, s), g->i32, "");
}
static LLVMValueRef nl_rdf32(nl_gen *g, uint32_t s)
{
    return LLVMBuildBitCast(g->B, nl_rd32(g, s), g->f32, "");
}
static LLVMValueRef nl_rdf64(nl_gen *g, uint32_t s)
{
    return LLVMBuildBitCast(g->B, nl_rd64(g, s), g->f64, "");
}
static void nl_wr64(nl_gen *g, uint32_t s, LLVMValueRef v)
{
    LLVMBuildStore(g->B, v, g->slots[s]);
}
/* Writes v (any scalar type) in the slot encoding: zero-extended. */
static void nl_wr(nl_gen *g, uint32_t s, LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    if (t == g->f32) v = LLVMBuildBitCast(g->B, v, g->i32, "");
    if (t == g->f64) v = LLVMBuildBitCast(g->B, v, g->i64, "");
    if (LLVMTypeOf(v) != g->i64) v = LLVMBuildZExt(g->B, v, g->i64, "");
    nl_wr64(g, s, v);
}

/* A value of type c (I L F D) from slot s. */
static LLVMValueRef nl_rd_typed(nl_gen *g, char c, uint32_t s)
{
    switch (c) {
    case 'I': return nl_rd32(g, s);
    case 'L': return nl_rd64(g, s);
    case 'F': return nl_rdf32(g, s);
    default: return nl_rdf64(g, s);
    }
}

/* ---- traps and control --------------------------------------------------------------- */

static LLVMBasicBlockRef nl_block(nl_gen *g, const char *name)
{
    return LLVMAppendBasicBlockInContext(g->C, g->fn, name);
}

/* Returns trap code t (an i32 value) from the function; a body with one
 * result returns {t, undefined}. */
static void nl_ret_trap(nl_gen *g, LLVMValueRef t)
{
    if (g->ret1) {
        LLVMValueRef r = LLVMGetUndef(LLVMGetReturnType(LLVMGlobalGetValueType(g->fn)));
        LLVMBuildRet(g->B, LLVMBuildInsertValue(g->B, r, t, 0, ""));
        return;
    }
    LLVMBuildRet(g->B, t);
}

/* Raises trap `code` at the current instruction. */
static void nl_raise(nl_gen *g, w_trap code)
{
    LLVMValueRef args[] = {g->ex, g->wfn, nl_c32(g, g->pc), nl_c32(g, code)};
    nl_ret_trap(g, LLVMBuildCall2(g->B, g->t_trap, g->h_trap, args, 4, ""));
}

/* if (cond) raise code; continues in a new block. */
static void nl_trap_if(nl_gen *g, LLVMValueRef cond, w_trap code)
{
    LLVMBasicBlockRef t = nl_block(g, "trap"), c = nl_block(g, "");
    LLVMBuildCondBr(g->B, cond, t, c);
    LLVMPositionBuilderAtEnd(g->B, t);
    nl_raise(g, code);
    LLVMPositionBuilderAtEnd(g->B, c);
}

/* if (r != 0) return r (a helper's recorded trap). */
static void nl_check(nl_gen *g, LLVMValueRef r)
{
    LLVMBasicBlockRef t = nl_block(g, "trapped"), c = nl_block(g, "");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, r, nl_c32(g, 0), ""), t, c);
    LLVMPositionBuilderAtEnd(g->B, t);
    nl_ret_trap(g, r);
    LLVMPositionBuilderAtEnd(g->B, c);
}

/* Marks the conditional branch br as taken (to its first successor)
 * about once in `rare` times. */
static void nl_unlikely(nl_gen *g, LLVMValueRef br, unsigned rare)
{
    LLVMMetadataRef md[] = {
        LLVMMDStringInContext2(g->C, "branch_weights", 14),
        LLVMValueAsMetadata(nl_c32(g, 1)),
        LLVMValueAsMetadata(nl_c32(g, rare)),
    };
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(g->C, "prof", 4),
                    LLVMMetadataAsValue(g->C, LLVMMDNodeInContext2(g->C, md, 3)));
}

/* Marks the conditional branch br as taken (its first successor) about
 * always, or about never (likely false): the paths' fast ways over their
 * other ways and slow path, for block placement and register allocation. */
static void nl_expect(nl_gen *g, LLVMValueRef br, bool likely)
{
    LLVMMetadataRef md[3] = {
        LLVMMDStringInContext2(g->C, "branch_weights", 14),
        LLVMValueAsMetadata(nl_c32(g, likely ? 2000 : 1)),
        LLVMValueAsMetadata(nl_c32(g, likely ? 1 : 2000)),
    };
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(g->C, "prof", 4),
                    LLVMMetadataAsValue(g->C, LLVMMDNodeInContext2(g->C, md, 3)));
}

/* Fuel and interrupt, as VM_CHECK_LIMITS. The common case (fuel off, no
 * interrupt) is one relaxed 64-bit load of ex->interrupt and ex->fuel_on
 * together (exec.h keeps them in one aligned word) and one branch; when
 * it is not 0, the same checks as the interpreter's, in its order. */
static void nl_limits(nl_gen *g)
{
    _Static_assert(offsetof(w_exec, interrupt) % 8 == 0 &&
                       offsetof(w_exec, fuel_on) == offsetof(w_exec, interrupt) + 4 &&
                       sizeof(atomic_int) == 4,
                   "w_exec: interrupt and fuel_on share one aligned 64-bit word");
    LLVMValueRef w = LLVMBuildLoad2(g->B, g->i64, nl_at(g, g->ex, offsetof(w_exec, interrupt)), "");
    LLVMSetOrdering(w, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(w, 8);
    LLVMBasicBlockRef lb = nl_block(g, "limits"), fb = nl_block(g, "fuel"),
                      ib = nl_block(g, "intr"), cb = nl_block(g, "");
    nl_unlikely(g,
                LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, w, nl_c64(g, 0), ""), lb, cb),
                1u << 20);
    LLVMPositionBuilderAtEnd(g->B, lb);
    LLVMValueRef on = nl_ld(g, g->i8, g->ex, offsetof(w_exec, fuel_on));
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, on, LLVMConstInt(g->i8, 0, 0), ""), fb,
                    ib);
    LLVMPositionBuilderAtEnd(g->B, fb);
    LLVMValueRef fp = nl_at(g, g->ex, offsetof(w_exec, fuel));
    LLVMValueRef f = LLVMBuildSub(g->B, LLVMBuildLoad2(g->B, g->i64, fp, ""), nl_c64(g, 1), "");
    LLVMBuildStore(g->B, f, fp);
    LLVMBasicBlockRef out = nl_block(g, "nofuel");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntSLT, f, nl_c64(g, 0), ""), out, ib);
    LLVMPositionBuilderAtEnd(g->B, out);
    LLVMBuildStore(g->B, nl_c64(g, 0), fp);
    nl_raise(g, W_TRAP_FUEL);
    LLVMPositionBuilderAtEnd(g->B, ib);
    LLVMValueRef iv =
        LLVMBuildLoad2(g->B, g->i32, nl_at(g, g->ex, offsetof(w_exec, interrupt)), "");
    LLVMSetOrdering(iv, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(iv, 4);
    LLVMBasicBlockRef tb = nl_block(g, "interrupted");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, iv, nl_c32(g, 0), ""), tb, cb);
    LLVMPositionBuilderAtEnd(g->B, tb);
    LLVMValueRef args[] = {g->ex, g->wfn, nl_c32(g, g->pc)};
    nl_ret_trap(g, LLVMBuildCall2(g->B, g->t_interrupt, g->h_interrupt, args, 3, ""));
    LLVMPositionBuilderAtEnd(g->B, cb);
}

/* ---- memories -------------------------------------------------------------------------- */

static bool nl_is64(nl_gen *g, uint32_t mi)
{
    return g->m->mems[mi].lim.is64;
}

static uint8_t nl_mode(nl_gen *g, uint32_t mi)
{
    return g->cs->cfg.mem_mode ? g->cs->cfg.mem_mode[mi] : W_MEM_FLAT;
}

/* Does an access of memory mi by path `path` have a guarded form for while
 * the memory is flat and has no tags (nl_tag_guard)? A tagged 32-bit
 * memory's, where guard pages are on (nl_jit_guard). */
static bool nl_tag_guarded(nl_gen *g, uint32_t mi, uint8_t path)
{
    return (path == W_MEM_PATH_TAGGED0 || path == W_MEM_PATH_TAGGED) &&
           nl_mode(g, mi) == W_MEM_TAGGED && !nl_is64(g, mi) && nl_jit_guard();
}

/* The state of memory m (the w_memory pointer) that the paged and tagged
 * paths read besides the span (nl_addr_ways): the tables and the number
 * of pages they may be read for, which is 0 unless m is paged (the
 * compiler's choice of path follows the mode, but this keeps a path from
 * reading tables a memory does not have); for a tagged memory its tag
 * table (paged), its nibbles while it is flat and has tags
 * (VM_RELOAD_MEM0's mem0_tags), with its base and size. */
static void nl_reload_ways(nl_gen *g, nl_mem *mm, LLVMValueRef m, uint8_t mode)
{
    LLVMValueRef kind = nl_ld(g, g->i8, m, offsetof(w_memory, mode));
    LLVMValueRef paged =
        LLVMBuildICmp(g->B, LLVMIntEQ, kind, LLVMConstInt(g->i8, W_MEM_PAGED, 0), "");
    LLVMValueRef pages = nl_ld(g, g->i64, m, offsetof(w_memory, pages));
    LLVMBuildStore(g->B, LLVMBuildSelect(g->B, paged, pages, nl_c64(g, 0), ""), mm->pages);
    LLVMBuildStore(g->B, nl_ld(g, g->ptr, m, offsetof(w_memory, pg_rd)), mm->pg_rd);
    LLVMBuildStore(g->B, nl_ld(g, g->ptr, m, offsetof(w_memory, pg_wr)), mm->pg_wr);
    if (mode != W_MEM_TAGGED) return;
    LLVMBuildStore(g->B, nl_ld(g, g->ptr, m, offsetof(w_memory, pg_tg)), mm->pg_tg);
    LLVMValueRef a = nl_ld(g, g->i8, m, offsetof(w_memory, tag_any));
    LLVMValueRef any = LLVMBuildICmp(g->B, LLVMIntNE, a, LLVMConstInt(g->i8, 0, 0), "");
    LLVMValueRef tags = nl_ld(g, g->ptr, m, offsetof(w_memory, tags));
    LLVMValueRef none = LLVMConstPointerNull(g->ptr);
    LLVMBuildStore(g->B, LLVMBuildSelect(g->B, any, tags, none, ""), mm->tags);
    LLVMBuildStore(g->B, nl_ld(g, g->ptr, m, offsetof(w_memory, base)), mm->tbase);
    LLVMBuildStore(g->B, nl_ld(g, g->i64, m, offsetof(w_memory, size)), mm->tsize);
}

/* A paged 32-bit memory where guard pages are on (nl_pguard): every
 * reload gives mm->gbase (the guarded arena's base while the span is all
 * of the memory, else NULL; nl_reload_gbase), and only when it is NULL the
 * state the ways read (the span, the tables, the pages: nl_reload_mem).
 * Every access of such a memory branches on mm->gbase (nl_guard_split),
 * so the ways run only after a reload that loaded their state, and the
 * state holds until the next reload, as for any memory. With the guarded
 * form on, a reload (after every call) is four loads instead of twelve:
 * in call-heavy code (malloc, recursion) that was most of the cost of a
 * paged memory (ptrchase's trees 172 -> 145 ms, flat 127). */
static bool nl_lazy(nl_gen *g, uint32_t mi)
{
    return nl_mode(g, mi) == W_MEM_PAGED && !nl_is64(g, mi) && nl_jit_guard();
}

static LLVMValueRef nl_reload_gbase(nl_gen *g, nl_mem *mm, LLVMValueRef m)
{
    /* The span is all of it, from the guarded arena's base (mem.h,
     * pg_guard; a flat memory's pg_guard is NULL). */
    LLVMValueRef gb = nl_ld(g, g->ptr, m, offsetof(w_memory, pg_guard));
    LLVMValueRef wb = nl_ld(g, g->ptr, m, offsetof(w_memory, span.wr_base));
    LLVMValueRef wl = nl_ld(g, g->i64, m, offsetof(w_memory, span.wr_lim));
    LLVMValueRef size = nl_ld(g, g->i64, m, offsetof(w_memory, size));
    LLVMValueRef total = LLVMBuildAnd(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, wl, size, ""),
                                      LLVMBuildICmp(g->B, LLVMIntEQ, wb, gb, ""), "");
    LLVMValueRef v = LLVMBuildSelect(g->B, total, gb, LLVMConstPointerNull(g->ptr), "");
    LLVMBuildStore(g->B, v, mm->gbase);
    return v;
}

static void nl_reload_mem(nl_gen *g, uint32_t i, LLVMValueRef m);

/* The pointer to memory mi's w_memory. */
static LLVMValueRef nl_mem_ptr(nl_gen *g, uint32_t mi)
{
    return nl_ptr_at(g, nl_ld(g, g->ptr, g->inst, offsetof(w_instance, mems)), mi);
}

/* Reloads the state of the memories the function uses (VM_RELOAD_MEM0):
 * the span, and for the paged and tagged paths the state of their other
 * fast ways (nl_reload_ways). A tagged memory with tags has an empty span
 * here: its accesses take the tag check's way (flat) or the slow path
 * (paged). A tagged memory whose accesses have a guarded form also gets
 * its flag (flat, no tags); while it is true only the span is read (the
 * v128 accesses, which keep their check, find everything there), and the
 * other ways are given nothing (no nibbles, no pages: the slow path),
 * as nl_reload_ways would give a flat memory without tags. */
static void nl_reload(nl_gen *g)
{
    LLVMValueRef mems = NULL;
    for (uint32_t i = 0; i < g->m->nmems; i++) {
        if (!g->mems[i].used) continue;
        if (!mems) mems = nl_ld(g, g->ptr, g->inst, offsetof(w_instance, mems));
        LLVMValueRef m = nl_ptr_at(g, mems, i);
        if (!nl_lazy(g, i)) {
            nl_reload_mem(g, i, m);
            continue;
        }
        /* The rest only while the guarded form is off. */
        LLVMValueRef gb = nl_reload_gbase(g, &g->mems[i], m);
        LLVMBasicBlockRef full = nl_block(g, "reload"), done = nl_block(g, "");
        nl_expect(g, LLVMBuildCondBr(g->B, LLVMBuildIsNull(g->B, gb, ""), full, done), false);
        LLVMPositionBuilderAtEnd(g->B, full);
        nl_reload_mem(g, i, m);
        LLVMBuildBr(g->B, done);
        LLVMPositionBuilderAtEnd(g->B, done);
    }
}

/* The state of memory i (m its w_memory) that its accesses read, loaded. */
static void nl_reload_mem(nl_gen *g, uint32_t i, LLVMValueRef m)
{
    nl_mem *mm = &g->mems[i];
    LLVMValueRef rb = nl_ld(g, g->ptr, m, offsetof(w_memory, span.rd_base));
    LLVMValueRef rl = nl_ld(g, g->i64, m, offsetof(w_memory, span.rd_lim));
    LLVMValueRef wb = nl_ld(g, g->ptr, m, offsetof(w_memory, span.wr_base));
    LLVMValueRef wl = nl_ld(g, g->i64, m, offsetof(w_memory, span.wr_lim));
    LLVMValueRef any = NULL;
    if (nl_mode(g, i) == W_MEM_TAGGED) {
        LLVMValueRef a = nl_ld(g, g->i8, m, offsetof(w_memory, tag_any));
        any = LLVMBuildICmp(g->B, LLVMIntNE, a, LLVMConstInt(g->i8, 0, 0), "");
        rl = LLVMBuildSelect(g->B, any, nl_c64(g, 0), rl, "");
        wl = LLVMBuildSelect(g->B, any, nl_c64(g, 0), wl, "");
    }
    LLVMBuildStore(g->B, rb, mm->rd_base);
    LLVMBuildStore(g->B, rl, mm->rd_lim);
    LLVMBuildStore(g->B, wb, mm->wr_base);
    LLVMBuildStore(g->B, wl, mm->wr_lim);
    if (nl_mode(g, i) == W_MEM_FLAT) return;
    if (!mm->notags) {
        nl_reload_ways(g, mm, m, nl_mode(g, i));
        return;
    }
    /* Flat (a paged memory's span is not its reservation) and no tags. */
    LLVMValueRef kind = nl_ld(g, g->i8, m, offsetof(w_memory, mode));
    LLVMValueRef flat =
        LLVMBuildICmp(g->B, LLVMIntEQ, kind, LLVMConstInt(g->i8, W_MEM_FLAT, 0), "");
    LLVMValueRef on = LLVMBuildAnd(g->B, flat, LLVMBuildNot(g->B, any, ""), "");
    LLVMBuildStore(g->B, on, mm->notags);
    LLVMBasicBlockRef skip = nl_block(g, ""), full = nl_block(g, "reload"), done = nl_block(g, "");
    nl_expect(g, LLVMBuildCondBr(g->B, on, skip, full), true);
    LLVMPositionBuilderAtEnd(g->B, skip);
    LLVMBuildStore(g->B, nl_c64(g, 0), mm->pages);
    LLVMBuildStore(g->B, LLVMConstPointerNull(g->ptr), mm->tags);
    LLVMBuildBr(g->B, done);
    LLVMPositionBuilderAtEnd(g->B, full);
    nl_reload_ways(g, mm, m, nl_mode(g, i));
    LLVMBuildBr(g->B, done);
    LLVMPositionBuilderAtEnd(g->B, done);
}

/* A wrapper of helper h (type t) that saves and restores every register
 * (LLVM's preserve_all convention), cold and never inlined: a loop whose
 * accesses have a slow path then keeps its values in registers across the
 * call instead of spilling them around it on the hot path, as it would
 * have to with a C call, which clobbers every caller-saved register. */
static LLVMValueRef nl_preserving(nl_gen *g, const char *name, LLVMTypeRef t, LLVMValueRef h)
{
    LLVMValueRef f = LLVMAddFunction(g->M, name, t);
    LLVMSetLinkage(f, LLVMInternalLinkage);
    LLVMSetFunctionCallConv(f, LLVMPreserveAllCallConv);
    const char *attrs[] = {"cold", "noinline"};
    for (unsigned k = 0; k < 2; k++) {
        unsigned id = LLVMGetEnumAttributeKindForName(attrs[k], strlen(attrs[k]));
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(g->C, id, 0));
    }
    LLVMBasicBlockRef bb = LLVMGetInsertBlock(g->B);
    LLVMPositionBuilderAtEnd(g->B, LLVMAppendBasicBlockInContext(g->C, f, "entry"));
    unsigned n = LLVMCountParams(f);
    LLVMValueRef args[8];
    for (unsigned k = 0; k < n && k < 8; k++)
        args[k] = LLVMGetParam(f, k);
    LLVMBuildRet(g->B, LLVMBuildCall2(g->B, t, h, args, n, ""));
    if (bb) LLVMPositionBuilderAtEnd(g->B, bb);
    return f;
}

static LLVMValueRef nl_call_preserving(nl_gen *g, LLVMTypeRef t, LLVMValueRef f, LLVMValueRef *args,
                                       unsigned n)
{
    LLVMValueRef c = LLVMBuildCall2(g->B, t, f, args, n, "");
    LLVMSetInstructionCallConv(c, LLVMPreserveAllCallConv);
    return c;
}

/* ea = addr + off of memory mi, as i64; for memory64 *bad says whether
 * addr + off + bytes overflows (NULL for a 32-bit memory, where it cannot:
 * both are below 2^32). */
static LLVMValueRef nl_ea(nl_gen *g, uint32_t mi, LLVMValueRef addr, LLVMValueRef off,
                          uint32_t bytes, LLVMValueRef *bad)
{
    *bad = NULL;
    if (!nl_is64(g, mi)) return LLVMBuildAdd(g->B, addr, off, "");
    LLVMTypeRef tys[] = {g->i64};
    LLVMValueRef a1[] = {addr, off};
    LLVMValueRef r1 = nl_intrinsic(g, "llvm.uadd.with.overflow", tys, 1, a1, 2);
    LLVMValueRef ea = LLVMBuildExtractValue(g->B, r1, 0, "");
    LLVMValueRef a2[] = {ea, nl_c64(g, bytes)};
    LLVMValueRef r2 = nl_intrinsic(g, "llvm.uadd.with.overflow", tys, 1, a2, 2);
    *bad = LLVMBuildOr(g->B, LLVMBuildExtractValue(g->B, r1, 1, ""),
                       LLVMBuildExtractValue(g->B, r2, 1, ""), "");
    return ea;
}

/* cond, and not bad (if any). */
static LLVMValueRef nl_and_ok(nl_gen *g, LLVMValueRef cond, LLVMValueRef bad)
{
    return bad ? LLVMBuildAnd(g->B, cond, LLVMBuildNot(g->B, bad, ""), "") : cond;
}

/* Do the one or two granules an access of `bytes` bytes at byte offset
 * off of the nibbles at tags touches have tag `tag`? (access.h's
 * mem_tag_nibs: both nibbles from one 16-bit word.) */
static LLVMValueRef nl_tag_nibs(nl_gen *g, LLVMValueRef tags, LLVMValueRef off, LLVMValueRef tag,
                                uint32_t bytes)
{
    LLVMValueRef at = LLVMBuildLShr(g->B, off, nl_c64(g, 5), "");
    LLVMValueRef w = LLVMBuildLoad2(g->B, g->i16, LLVMBuildGEP2(g->B, g->i8, tags, &at, 1, ""), "");
    LLVMSetAlignment(w, 1);
    LLVMValueRef sh =
        LLVMBuildAnd(g->B, LLVMBuildLShr(g->B, off, nl_c64(g, 2), ""), nl_c64(g, 4), "");
    LLVMValueRef x = LLVMBuildXor(
        g->B, LLVMBuildLShr(g->B, LLVMBuildZExt(g->B, w, g->i64, ""), sh, ""), tag, "");
    LLVMValueRef ok =
        LLVMBuildICmp(g->B, LLVMIntEQ, LLVMBuildAnd(g->B, x, nl_c64(g, 15), ""), nl_c64(g, 0), "");
    if (bytes == 1) return ok;
    /* An access that crosses into the next granule needs its tag too. */
    LLVMValueRef cross = LLVMBuildICmp(g->B, LLVMIntUGT, LLVMBuildAnd(g->B, off, nl_c64(g, 15), ""),
                                       nl_c64(g, 16 - bytes), "");
    LLVMValueRef x2 =
        LLVMBuildAnd(g->B, LLVMBuildXor(g->B, LLVMBuildLShr(g->B, x, nl_c64(g, 4), ""), tag, ""),
                     nl_c64(g, 15), "");
    LLVMValueRef miss =
        LLVMBuildAnd(g->B, cross, LLVMBuildICmp(g->B, LLVMIntNE, x2, nl_c64(g, 0), ""), "");
    return LLVMBuildAnd(g->B, ok, LLVMBuildNot(g->B, miss, ""), "");
}

/* The tag ways of the tagged paths, one function per access size and tag
 * position in the module (made on first use), generated once rather than
 * at every access: inline, their dozen blocks per access made LLVM's
 * compile time of large functions several times longer. Called with
 * preserve_all (nl_preserving), so the caller's registers stay live.
 *   ptr f(i32 flat, i64 ea, ptr a1, ptr a2, i64 a3)
 * returns the host address of the access of `bytes` bytes at ea, or NULL
 * (the slow path decides):
 *   flat (a tagged flat memory with tags: mem_tag_at_in): a1 its nibbles,
 *     a2 its base, a3 its size: the address without its tag within the
 *     memory and the one or two granules it touches carrying its tag;
 *   else (a tagged paged memory: mem_tag_paged_at): a1 the table of the
 *     direction, a2 the tag table, a3 the pages: the page of the address
 *     without its tag present and the access within it, and the granules
 *     carrying its tag in the page's frame's nibbles (none: tag 0). */
static LLVMValueRef nl_tag_way(nl_gen *g, uint32_t bytes, bool is64)
{
    unsigned bi = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : bytes == 8 ? 3 : 4;
    LLVMValueRef *slot = &g->tag_ways[is64][bi];
    if (*slot) return *slot;
    LLVMTypeRef ps[] = {g->i32, g->i64, g->ptr, g->ptr, g->i64};
    LLVMTypeRef ft = LLVMFunctionType(g->ptr, ps, 5, 0);
    g->t_tag_way = ft;
    char name[32];
    snprintf(name, sizeof name, "nl_tag_way%u_%u", bytes, is64 ? 64 : 32);
    LLVMValueRef f = *slot = LLVMAddFunction(g->M, name, ft);
    LLVMSetLinkage(f, LLVMInternalLinkage);
    LLVMSetFunctionCallConv(f, LLVMPreserveAllCallConv);
    unsigned k = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, k, 0));
    LLVMBasicBlockRef back = LLVMGetInsertBlock(g->B);
    LLVMValueRef fn = g->fn;
    g->fn = f;
    LLVMPositionBuilderAtEnd(g->B, nl_block(g, "entry"));
    LLVMValueRef flat = LLVMGetParam(f, 0), ea = LLVMGetParam(f, 1), a1 = LLVMGetParam(f, 2),
                 a2 = LLVMGetParam(f, 3), a3 = LLVMGetParam(f, 4);
    LLVMValueRef shift = nl_c64(g, is64 ? W_TAG_SHIFT64 : W_TAG_SHIFT32);
    LLVMValueRef tag = LLVMBuildAnd(g->B, LLVMBuildLShr(g->B, ea, shift, ""), nl_c64(g, 15), "");
    LLVMValueRef sea = LLVMBuildSub(g->B, ea, LLVMBuildShl(g->B, tag, shift, ""), "");
    LLVMBasicBlockRef fb = nl_block(g, "flat"), pb = nl_block(g, "paged"), no = nl_block(g, "no");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, flat, nl_c32(g, 0), ""), fb, pb);
    LLVMPositionBuilderAtEnd(g->B, no);
    LLVMBuildRet(g->B, LLVMConstPointerNull(g->ptr));
    /* flat */
    LLVMPositionBuilderAtEnd(g->B, fb);
    LLVMValueRef send = LLVMBuildAdd(g->B, sea, nl_c64(g, bytes), "");
    LLVMBasicBlockRef fc = nl_block(g, "");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntULE, send, a3, ""), fc, no);
    LLVMPositionBuilderAtEnd(g->B, fc);
    LLVMValueRef okf = nl_tag_nibs(g, a1, sea, tag, bytes);
    LLVMBasicBlockRef fr = nl_block(g, "");
    LLVMBuildCondBr(g->B, okf, fr, no);
    LLVMPositionBuilderAtEnd(g->B, fr);
    LLVMBuildRet(g->B, LLVMBuildGEP2(g->B, g->i8, a2, &sea, 1, ""));
    /* paged */
    LLVMPositionBuilderAtEnd(g->B, pb);
    LLVMValueRef pg = LLVMBuildLShr(g->B, sea, nl_c64(g, PG_SHIFT), "");
    LLVMValueRef poff = LLVMBuildAnd(g->B, sea, nl_c64(g, PG_SIZE - 1), "");
    LLVMValueRef inp =
        LLVMBuildAnd(g->B, LLVMBuildICmp(g->B, LLVMIntULT, pg, a3, ""),
                     LLVMBuildICmp(g->B, LLVMIntULE, poff, nl_c64(g, PG_SIZE - bytes), ""), "");
    LLVMBasicBlockRef pe = nl_block(g, ""), pt = nl_block(g, ""), pz = nl_block(g, ""),
                      pn = nl_block(g, ""), pr = nl_block(g, "");
    LLVMBuildCondBr(g->B, inp, pe, no);
    LLVMPositionBuilderAtEnd(g->B, pe);
    LLVMValueRef e = LLVMBuildLoad2(g->B, g->ptr, LLVMBuildGEP2(g->B, g->ptr, a1, &pg, 1, ""), "");
    LLVMBuildCondBr(g->B, LLVMBuildIsNull(g->B, e, ""), no, pt);
    /* A present page has its frame's entry in the tag table (pg_sync). */
    LLVMPositionBuilderAtEnd(g->B, pt);
    LLVMValueRef fp = LLVMBuildLoad2(g->B, g->ptr, LLVMBuildGEP2(g->B, g->ptr, a2, &pg, 1, ""), "");
    LLVMValueRef tags = LLVMBuildLoad2(g->B, g->ptr, fp, "");
    LLVMBuildCondBr(g->B, LLVMBuildIsNull(g->B, tags, ""), pz, pn);
    LLVMPositionBuilderAtEnd(g->B, pz);
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, tag, nl_c64(g, 0), ""), pr, no);
    LLVMPositionBuilderAtEnd(g->B, pn);
    LLVMBuildCondBr(g->B, nl_tag_nibs(g, tags, poff, tag, bytes), pr, no);
    LLVMPositionBuilderAtEnd(g->B, pr);
    LLVMBuildRet(g->B, LLVMBuildGEP2(g->B, g->i8, e, &sea, 1, ""));
    g->fn = fn;
    if (back) LLVMPositionBuilderAtEnd(g->B, back);
    return f;
}

/* The fast ways of the paged and tagged paths (access.h's mem_paged0,
 * mem_paged, mem_tagged0, mem_tagged) for the `bytes` bytes at addr + off
 * of memory mi. Each way finds a bias b such that b + ea is the host
 * address of the whole access:
 *   span    ea + bytes within the span: the span's base;
 *   tables  (paged paths) the page ea >> 16 one of the pages the tables
 *           may be read for (nl_reload_ways), the access within it, and
 *           the page's entry in pg_rd (loads) or pg_wr (stores) not the
 *           exception entry: the entry;
 *   tags    (tagged paths) nl_tag_way, for a flat memory with tags or a
 *           paged one: its address - ea.
 * The ways join in one block, where the result (b + ea) is built, so a
 * load or store there addresses base + index as a flat one does; with
 * span given, the span's way is left out of the join, in a block of its
 * own (*span, its address in g->span_p), for the caller's own access.
 * Anything else branches to *slow (a new block, left empty for the
 * caller), which must run the exact slow path (nat_h_load / nat_h_store):
 * straddles, absent or read-only pages, copy-on-write, tag mismatches,
 * out of bounds.
 *
 * Loads use the span of stores. Its pages are private and writable, and
 * their load entries are the same (pg_sync), so this is exact; and what a
 * store's slow path changes (copy-on-write gives a page a frame of its
 * own) can only add pages to that span, never take one away, while it can
 * cut the span of loads (a clone's load span runs over its template's
 * frames). Table entries and nibbles are read from memory at each access.
 * So a store's slow path leaves every value kept here valid (a span at
 * worst smaller than the memory's now), and native code reloads nothing
 * after it: the state stays in registers across loops that store. */
static LLVMValueRef nl_addr_ways(nl_gen *g, uint32_t mi, uint8_t path, LLVMValueRef addr,
                                 LLVMValueRef off, uint32_t bytes, bool write,
                                 LLVMBasicBlockRef *slow, LLVMBasicBlockRef *span)
{
    nl_mem *mm = &g->mems[mi];
    LLVMValueRef bad;
    LLVMValueRef ea = nl_ea(g, mi, addr, off, bytes, &bad);
    bool tagged = path == W_MEM_PATH_TAGGED0 || path == W_MEM_PATH_TAGGED;
    LLVMBasicBlockRef join = nl_block(g, "way"), sl = nl_block(g, "slow");
    LLVMValueRef biases[2];
    LLVMBasicBlockRef froms[2];
    unsigned n = 0;
    /* span */
    LLVMValueRef base = LLVMBuildLoad2(g->B, g->ptr, mm->wr_base, "");
    LLVMValueRef lim = LLVMBuildLoad2(g->B, g->i64, mm->wr_lim, "");
    LLVMValueRef end = LLVMBuildAdd(g->B, ea, nl_c64(g, bytes), "");
    LLVMValueRef in = nl_and_ok(g, LLVMBuildICmp(g->B, LLVMIntULE, end, lim, ""), bad);
    LLVMBasicBlockRef next = nl_block(g, "notspan");
    if (span) {
        *span = nl_block(g, "span");
        nl_expect(g, LLVMBuildCondBr(g->B, in, *span, next), true);
    } else {
        biases[n] = base, froms[n++] = LLVMGetInsertBlock(g->B);
        nl_expect(g, LLVMBuildCondBr(g->B, in, join, next), true);
    }
    LLVMPositionBuilderAtEnd(g->B, next);
    LLVMValueRef tbl = LLVMBuildLoad2(g->B, g->ptr, write ? mm->pg_wr : mm->pg_rd, "");
    LLVMValueRef pages = LLVMBuildLoad2(g->B, g->i64, mm->pages, "");
    if (tagged) {
        /* tags: the way function, on this memory's state (loop-invariant) */
        if (bad) {
            LLVMBasicBlockRef ok = nl_block(g, "");
            nl_expect(g, LLVMBuildCondBr(g->B, bad, sl, ok), false);
            LLVMPositionBuilderAtEnd(g->B, ok);
        }
        LLVMValueRef tags = LLVMBuildLoad2(g->B, g->ptr, mm->tags, "");
        LLVMValueRef flat = LLVMBuildIsNotNull(g->B, tags, "");
        LLVMValueRef args[] = {
            LLVMBuildZExt(g->B, flat, g->i32, ""),
            ea,
            LLVMBuildSelect(g->B, flat, tags, tbl, ""),
            LLVMBuildSelect(g->B, flat, LLVMBuildLoad2(g->B, g->ptr, mm->tbase, ""),
                            LLVMBuildLoad2(g->B, g->ptr, mm->pg_tg, ""), ""),
            LLVMBuildSelect(g->B, flat, LLVMBuildLoad2(g->B, g->i64, mm->tsize, ""), pages, ""),
        };
        LLVMValueRef f = nl_tag_way(g, bytes, nl_is64(g, mi));
        LLVMValueRef p = LLVMBuildCall2(g->B, g->t_tag_way, f, args, 5, "");
        LLVMSetInstructionCallConv(p, LLVMPreserveAllCallConv);
        LLVMValueRef neg = LLVMBuildNeg(g->B, ea, "");
        biases[n] = LLVMBuildGEP2(g->B, g->i8, p, &neg, 1, "");
        froms[n++] = LLVMGetInsertBlock(g->B);
        nl_expect(g, LLVMBuildCondBr(g->B, LLVMBuildIsNull(g->B, p, ""), sl, join), false);
    } else {
        /* tables */
        LLVMValueRef pg = LLVMBuildLShr(g->B, ea, nl_c64(g, PG_SHIFT), "");
        LLVMValueRef poff = LLVMBuildAnd(g->B, ea, nl_c64(g, PG_SIZE - 1), "");
        LLVMValueRef inpage = LLVMBuildICmp(g->B, LLVMIntULE, poff, nl_c64(g, PG_SIZE - bytes), "");
        LLVMValueRef tok =
            LLVMBuildAnd(g->B, LLVMBuildICmp(g->B, LLVMIntULT, pg, pages, ""), inpage, "");
        LLVMBasicBlockRef te = nl_block(g, "entry");
        nl_expect(g, LLVMBuildCondBr(g->B, nl_and_ok(g, tok, bad), te, sl), true);
        LLVMPositionBuilderAtEnd(g->B, te);
        LLVMValueRef e =
            LLVMBuildLoad2(g->B, g->ptr, LLVMBuildGEP2(g->B, g->ptr, tbl, &pg, 1, ""), "");
        biases[n] = e, froms[n++] = te;
        nl_expect(g, LLVMBuildCondBr(g->B, LLVMBuildIsNull(g->B, e, ""), sl, join), false);
    }
    LLVMPositionBuilderAtEnd(g->B, join);
    LLVMValueRef b = LLVMBuildPhi(g->B, g->ptr, "");
    LLVMAddIncoming(b, biases, froms, n);
    *slow = sl;
    LLVMValueRef p = LLVMBuildGEP2(g->B, g->i8, b, &ea, 1, "");
    if (span) {
        /* The span's own address, in its block (left open for the caller). */
        LLVMPositionBuilderAtEnd(g->B, *span);
        g->span_p = LLVMBuildGEP2(g->B, g->i8, base, &ea, 1, "");
        LLVMPositionBuilderAtEnd(g->B, join);
    }
    return p;
}

/* The slow path of a load of `bytes` bytes at addr + off of memory mi, at
 * the end of the current block: nat_h_load leaves them in g->tmp. */
static void nl_load_slow(nl_gen *g, uint32_t mi, LLVMValueRef addr, LLVMValueRef off,
                         uint32_t bytes)
{
    LLVMValueRef args[] = {g->ex, g->wfn, nl_c32(g, g->pc), nl_c32(g, mi),
                           addr,  off,    nl_c32(g, bytes), g->tmp};
    nl_check(g, nl_call_preserving(g, g->t_load, g->h_load_pa, args, 8));
}

/* The host address of the `bytes` bytes at addr + off in memory mi, for a
 * load (write false) or a store: inside the span, base + ea; otherwise
 * flat paths trap and the others try their other fast ways (nl_addr_ways)
 * and then take the slow path, which for a load leaves the bytes in g->tmp
 * (returned) and for a store is done by the caller (*slow gets the block
 * to continue in; NULL = no slow path). addr is the i64 address operand
 * (zero-extended for 32-bit memories), off the offset (an i64 constant or
 * value). */
static LLVMValueRef nl_addr(nl_gen *g, uint32_t mi, uint8_t path, LLVMValueRef addr,
                            LLVMValueRef off, uint32_t bytes, bool write, LLVMBasicBlockRef *slow)
{
    nl_mem *mm = &g->mems[mi];
    bool flat = path == W_MEM_PATH_FLAT0 || path == W_MEM_PATH_FLAT;
    if (!flat) {
        LLVMValueRef p = nl_addr_ways(g, mi, path, addr, off, bytes, write, slow, NULL);
        if (write) return p;
        LLVMBasicBlockRef fast_end = LLVMGetInsertBlock(g->B), sl = *slow;
        LLVMBasicBlockRef join = nl_block(g, "");
        LLVMBuildBr(g->B, join);
        LLVMPositionBuilderAtEnd(g->B, sl);
        nl_load_slow(g, mi, addr, off, bytes);
        LLVMBasicBlockRef slow_end = LLVMGetInsertBlock(g->B);
        LLVMBuildBr(g->B, join);
        LLVMPositionBuilderAtEnd(g->B, join);
        LLVMValueRef phi = LLVMBuildPhi(g->B, g->ptr, "");
        LLVMValueRef vals[] = {p, g->tmp};
        LLVMBasicBlockRef blocks[] = {fast_end, slow_end};
        LLVMAddIncoming(phi, vals, blocks, 2);
        *slow = NULL;
        return phi;
    }
    LLVMValueRef bad;
    LLVMValueRef ea = nl_ea(g, mi, addr, off, bytes, &bad);
    LLVMValueRef base = LLVMBuildLoad2(g->B, g->ptr, write ? mm->wr_base : mm->rd_base, "");
    LLVMValueRef lim = LLVMBuildLoad2(g->B, g->i64, write ? mm->wr_lim : mm->rd_lim, "");
    LLVMValueRef end = LLVMBuildAdd(g->B, ea, nl_c64(g, bytes), "");
    LLVMValueRef in = nl_and_ok(g, LLVMBuildICmp(g->B, LLVMIntULE, end, lim, ""), bad);
    LLVMBasicBlockRef fast = nl_block(g, "in"), out = nl_block(g, "out");
    LLVMBuildCondBr(g->B, in, fast, out);
    LLVMPositionBuilderAtEnd(g->B, out);
    nl_raise(g, W_TRAP_MEM_OOB);
    *slow = NULL;
    LLVMPositionBuilderAtEnd(g->B, fast);
    return LLVMBuildGEP2(g->B, g->i8, base, &ea, 1, "");
}

/* The value of type t at addr + off of memory mi (a load of `bytes`
 * bytes). On the paged and tagged paths each way loads for itself (the
 * fast ways from their joint address, the slow path from g->tmp) and the
 * values join, so the fast load addresses base + index directly. */
static LLVMValueRef nl_load_at(nl_gen *g, LLVMTypeRef t, uint32_t mi, uint8_t path,
                               LLVMValueRef addr, LLVMValueRef off, uint32_t bytes)
{
    LLVMBasicBlockRef slow, span;
    bool flat = path == W_MEM_PATH_FLAT0 || path == W_MEM_PATH_FLAT;
    if (flat) {
        LLVMValueRef v =
            LLVMBuildLoad2(g->B, t, nl_addr(g, mi, path, addr, off, bytes, false, &slow), "");
        LLVMSetAlignment(v, 1);
        return v;
    }
    LLVMValueRef p = nl_addr_ways(g, mi, path, addr, off, bytes, false, &slow, &span);
    LLVMBasicBlockRef join = nl_block(g, "");
    LLVMValueRef vals[3];
    LLVMBasicBlockRef blocks[3];
    for (unsigned k = 0; k < 3; k++) {
        /* the other fast ways (where nl_addr_ways left off), the span, the slow path */
        if (k == 1) LLVMPositionBuilderAtEnd(g->B, span), p = g->span_p;
        if (k == 2) {
            LLVMPositionBuilderAtEnd(g->B, slow);
            nl_load_slow(g, mi, addr, off, bytes);
            p = g->tmp;
        }
        vals[k] = LLVMBuildLoad2(g->B, t, p, "");
        LLVMSetAlignment(vals[k], 1);
        blocks[k] = LLVMGetInsertBlock(g->B);
        LLVMBuildBr(g->B, join);
    }
    LLVMPositionBuilderAtEnd(g->B, join);
    LLVMValueRef phi = LLVMBuildPhi(g->B, t, "");
    LLVMAddIncoming(phi, vals, blocks, 3);
    return phi;
}

/* ---- guard pages ------------------------------------------------------------------------
 * An access of a flat 32-bit memory needs no bounds check when the fault
 * handler is installed (nl_jit_guard): base + zext(addr) + offset (offset
 * below 2^32) stays inside the memory's 8 GiB reservation, which is
 * inaccessible beyond its size, so an access out of bounds faults and the
 * handler (exec/native.c) makes the trap. The access is one instruction of
 * inline asm that records its address, function and code word in the
 * section NL_PCMAP_SECTION ("sites", native.h): exact whatever LLVM does
 * around it, where debug locations and !pcsections are lost or moved when
 * a load is folded into its user. A volatile asm with no memory attributes
 * is never deleted, duplicated without its record, or moved across another
 * access, a call or a store to globals, so memory and globals at a trap
 * are the interpreter's. */

static bool nl_guarded(nl_gen *g, uint32_t mi, uint8_t path)
{
    return (path == W_MEM_PATH_FLAT0 || path == W_MEM_PATH_FLAT) && !nl_is64(g, mi) &&
           nl_jit_guard();
}

/* Guarded accesses of a paged 32-bit memory (docs/native.md, "Guard pages"):
 * while its span of stores is all of it and starts at its guarded arena
 * (mem.h, pg_guard; nl_reload_gbase keeps that arena's base in mm->gbase,
 * NULL otherwise), an access is legal iff ea + bytes <= size, and the
 * arena faults past the size as a flat memory's reservation does; the
 * interpreter's slow path answers "out of bounds memory access" for any
 * such access of a paged memory (pg_check), whatever its pages. So the
 * access branches on mm->gbase: not NULL, one guarded instruction on it;
 * NULL, the path's ways as before (nl_guard_split). */
static LLVMValueRef nl_pguard(nl_gen *g, uint32_t mi, LLVMBasicBlockRef *ways)
{
    if (!nl_lazy(g, mi)) return NULL; /* every access of such a memory: see nl_lazy */
    LLVMValueRef gb = LLVMBuildLoad2(g->B, g->ptr, g->mems[mi].gbase, "");
    LLVMBasicBlockRef yes = nl_block(g, "pguard");
    *ways = nl_block(g, "pways");
    nl_expect(g, LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, gb, ""), yes, *ways), true);
    LLVMPositionBuilderAtEnd(g->B, yes);
    return gb;
}

/* The address of a guarded access: base + addr + off, unchecked (flat: the
 * loads' base is the stores'). The access instruction's addressing is
 * LLVM's choice (nl_guard_asm). */
static LLVMValueRef nl_guard_at(nl_gen *g, LLVMValueRef base, LLVMValueRef addr, LLVMValueRef off)
{
    LLVMValueRef ea = LLVMBuildAdd(g->B, addr, off, "");
    return LLVMBuildGEP2(g->B, g->i8, base, &ea, 1, "");
}

/* The same on flat memory mi (its base). */
static LLVMValueRef nl_guard_addr(nl_gen *g, uint32_t mi, LLVMValueRef addr, LLVMValueRef off)
{
    return nl_guard_at(g, LLVMBuildLoad2(g->B, g->ptr, g->mems[mi].rd_base, ""), addr, off);
}

/* One access instruction with its site record. insn is its AT&T text with
 * %s for the memory operand and $0 for the value register, of type vt: i64
 * in a general register, float or double in an SSE register. A load
 * returns the value its instruction leaves in $0; a store (v not NULL)
 * writes v. The memory operand is an address operand ("p"): LLVM selects
 * it as it would a load's (base, index, scale and displacement, folded
 * from the address arithmetic), and the fault handler decodes whichever
 * it chose (nat_site_operand). Not "*m": in the strictfp functions native
 * code uses, an asm with a memory operand is followed by an fwait
 * (X86InsertWait). Registers for base and index cost a lea per access
 * where LLVM had folded constants into the address (jacobi2d 108 ms with
 * them, 76 ms with "p"). */
static LLVMValueRef nl_guard_asm(nl_gen *g, const char *insn, LLVMValueRef at, LLVMValueRef v,
                                 LLVMTypeRef vt)
{
    char ins[96], text[320];
    uint32_t fi = (uint32_t)(g->fc - g->cs->funcs);
    snprintf(ins, sizeof ins, insn, "$1");
    snprintf(text, sizeof text,
             "1: %s\n\t.pushsection " NL_PCMAP_SECTION ",\"a\",@progbits\n\t.long 1b - .\n\t"
             ".long %u, %u\n\t.popsection",
             ins, fi, g->pc);
    bool store = v != NULL, fp = vt != g->i64;
    const char *cons = store ? (fp ? "x,p" : "r,p") : (fp ? "=x,p" : "=r,p");
    LLVMValueRef args[2] = {v, at};
    LLVMTypeRef params[2] = {vt, g->ptr};
    LLVMTypeRef ft = store ? LLVMFunctionType(LLVMVoidTypeInContext(g->C), params, 2, 0)
                           : LLVMFunctionType(vt, params + 1, 1, 0);
    LLVMValueRef fn = LLVMGetInlineAsm(ft, text, strlen(text), (char *)cons, strlen(cons), true,
                                       false, LLVMInlineAsmDialectATT, false);
    return LLVMBuildCall2(g->B, ft, fn, store ? args : args + 1, store ? 2 : 1, "");
}

/* The value load op `base` reads (a guarded access), as i64 in the slot
 * encoding: the instruction extends it as the op does (writing a 32-bit
 * register clears the upper half). Float loads go to an SSE register,
 * where their users want them. */
static LLVMValueRef nl_guard_load(nl_gen *g, uint32_t base, LLVMValueRef a)
{
    const char *insn;
    switch (base) {
    case W_OP_F32_LOAD: {
        LLVMValueRef f = nl_guard_asm(g, "movss %s, $0", a, NULL, g->f32);
        return LLVMBuildZExt(g->B, LLVMBuildBitCast(g->B, f, g->i32, ""), g->i64, "");
    }
    case W_OP_F64_LOAD:
        return LLVMBuildBitCast(g->B, nl_guard_asm(g, "movsd %s, $0", a, NULL, g->f64), g->i64, "");
    case W_OP_I32_LOAD:
    case W_OP_I64_LOAD32_U: insn = "movl %s, ${0:k}"; break;
    case W_OP_I64_LOAD32_S: insn = "movslq %s, ${0:q}"; break;
    case W_OP_I64_LOAD: insn = "movq %s, ${0:q}"; break;
    case W_OP_I32_LOAD8_U:
    case W_OP_I64_LOAD8_U: insn = "movzbl %s, ${0:k}"; break;
    case W_OP_I32_LOAD8_S: insn = "movsbl %s, ${0:k}"; break;
    case W_OP_I64_LOAD8_S: insn = "movsbq %s, ${0:q}"; break;
    case W_OP_I32_LOAD16_U:
    case W_OP_I64_LOAD16_U: insn = "movzwl %s, ${0:k}"; break;
    case W_OP_I32_LOAD16_S: insn = "movswl %s, ${0:k}"; break;
    default: insn = "movswq %s, ${0:q}"; break; /* I64_LOAD16_S */
    }
    return nl_guard_asm(g, insn, a, NULL, g->i64);
}

/* A guarded store by op `base` of the low `bytes` bytes of v (i64, the
 * slot): floats from an SSE register, where their producers leave them. */
static void nl_guard_store(nl_gen *g, uint32_t base, uint32_t bytes, LLVMValueRef a, LLVMValueRef v)
{
    if (base == W_OP_V128_STORE) {
        nl_guard_asm(g, "movdqu $0, %s", a, v, LLVMTypeOf(v));
        return;
    }
    if (base == W_OP_F64_STORE) {
        nl_guard_asm(g, "movsd $0, %s", a, LLVMBuildBitCast(g->B, v, g->f64, ""), g->f64);
        return;
    }
    if (base == W_OP_F32_STORE) {
        LLVMValueRef f = LLVMBuildBitCast(g->B, LLVMBuildTrunc(g->B, v, g->i32, ""), g->f32, "");
        nl_guard_asm(g, "movss $0, %s", a, f, g->f32);
        return;
    }
    const char *insn = bytes == 1   ? "movb ${0:b}, %s"
                       : bytes == 2 ? "movw ${0:w}, %s"
                       : bytes == 4 ? "movl ${0:k}, %s"
                                    : "movq ${0:q}, %s";
    nl_guard_asm(g, insn, a, v, g->i64);
}

/* Tagged flat 32-bit memories without tags. While no granule of such a
 * memory has a tag (tag_any false), an access at ea (its tag bits
 * included) is legal exactly when ea + bytes <= size, as for a flat
 * memory: an address with a tag is at least 2^28, beyond the memory. So
 * the access is a guarded instruction too, and a fault on it is the trap
 * the memory layer names for it (nat_tag_fault in exec/native.c: out of
 * bounds, or the tag mismatch with its message). The state is the flag
 * mm->notags (nl_reload, after anything that can set a tag: Cage's
 * instructions, calls that may run them or host code); while it is false
 * (tags, or a paged memory) the access takes the tagged path's ways.
 * nl_tag_guard branches on the flag and leaves the builder in the guarded
 * block, returning the memory's base (*ways the block of the ways). */
static LLVMValueRef nl_tag_guard(nl_gen *g, uint32_t mi, LLVMBasicBlockRef *ways)
{
    LLVMBasicBlockRef gb = nl_block(g, "notags");
    *ways = nl_block(g, "tags");
    LLVMValueRef on = LLVMBuildLoad2(g->B, g->i1, g->mems[mi].notags, "");
    nl_expect(g, LLVMBuildCondBr(g->B, on, gb, *ways), true);
    LLVMPositionBuilderAtEnd(g->B, gb);
    return LLVMBuildLoad2(g->B, g->ptr, g->mems[mi].rd_base, "");
}

/* An access of memory mi by `path` that is one guarded instruction while
 * a state of the memory holds (a tagged flat memory without tags, a paged
 * memory whose span is whole) and the path's ways otherwise: branches on
 * that state and leaves the builder in the guarded block, returning the
 * base the guarded access adds its address to and *ways the block where
 * the ways go; NULL (nothing generated) for any other access. The
 * caller generates the guarded access, then the ways in *ways, and joins
 * them with nl_guard_join. */
static LLVMValueRef nl_guard_split(nl_gen *g, uint32_t mi, uint8_t path, LLVMBasicBlockRef *ways)
{
    if (nl_tag_guarded(g, mi, path)) return nl_tag_guard(g, mi, ways);
    return nl_pguard(g, mi, ways);
}

/* Joins the guarded block `gend` (its value gv, or none) with the ways'
 * current block (value wv); the join's value. */
static LLVMValueRef nl_guard_join(nl_gen *g, LLVMBasicBlockRef gend, LLVMValueRef gv,
                                  LLVMValueRef wv)
{
    LLVMBasicBlockRef wend = LLVMGetInsertBlock(g->B), join = nl_block(g, "");
    LLVMBuildBr(g->B, join);
    LLVMPositionBuilderAtEnd(g->B, gend);
    LLVMBuildBr(g->B, join);
    LLVMPositionBuilderAtEnd(g->B, join);
    if (!gv) return NULL;
    LLVMValueRef phi = LLVMBuildPhi(g->B, LLVMTypeOf(gv), "");
    LLVMValueRef vals[] = {gv, wv};
    LLVMBasicBlockRef blocks[] = {gend, wend};
    LLVMAddIncoming(phi, vals, blocks, 2);
    return phi;
}

/* The `bytes` bytes (1, 2, 4, 8 or 16) a guarded v128 access reads at a,
 * by one guarded instruction, put in g->tmp: the SIMD code builds its
 * value from there as from memory (the alloca does not escape, so SROA
 * keeps the bytes in registers). */
static LLVMValueRef nl_guard_vbytes(nl_gen *g, LLVMValueRef a, uint32_t bytes)
{
    LLVMValueRef v;
    if (bytes == 16)
        v = nl_guard_asm(g, "movdqu %s, $0", a, NULL, LLVMVectorType(g->i64, 2));
    else
        v = nl_guard_load(g,
                          bytes == 8   ? W_OP_I64_LOAD
                          : bytes == 4 ? W_OP_I64_LOAD32_U
                          : bytes == 2 ? W_OP_I64_LOAD16_U
                                       : W_OP_I64_LOAD8_U,
                          a);
    LLVMValueRef s = LLVMBuildStore(g->B, v, g->tmp);
    LLVMSetAlignment(s, 8);
    return g->tmp;
}

/* A pointer to the `bytes` bytes a v128 load reads at addr + off of
 * memory mi: guarded where the memory allows (nl_guard_vbytes), else by
 * the path's check or ways (nl_addr). */
static LLVMValueRef nl_vbytes(nl_gen *g, uint8_t path, uint32_t mi, LLVMValueRef addr,
                              LLVMValueRef off, uint32_t bytes)
{
    LLVMBasicBlockRef slow, ways;
    if (nl_guarded(g, mi, path)) return nl_guard_vbytes(g, nl_guard_addr(g, mi, addr, off), bytes);
    LLVMValueRef gb = nl_guard_split(g, mi, path, &ways);
    if (!gb) return nl_addr(g, mi, path, addr, off, bytes, false, &slow);
    LLVMValueRef gp = nl_guard_vbytes(g, nl_guard_at(g, gb, addr, off), bytes);
    LLVMBasicBlockRef gend = LLVMGetInsertBlock(g->B);
    LLVMPositionBuilderAtEnd(g->B, ways);
    return nl_guard_join(g, gend, gp, nl_addr(g, mi, path, addr, off, bytes, false, &slow));
}

/* The value of a load op `base` (t the type it reads, sx signed) by the
 * path's check or ways, not guarded (nl_load_value), in the slot encoding. */
/* v, loaded as type t by load op `base` (sx: sign-extending), in the slot
 * encoding (i64). */
static LLVMValueRef nl_load_ext(nl_gen *g, LLVMTypeRef t, bool sx, uint32_t base, LLVMValueRef v)
{
    if (t == g->i64) return v;
    if (!sx) return LLVMBuildZExt(g->B, v, g->i64, "");
    /* i32 results stay zero-extended in their slot. */
    if (base == W_OP_I32_LOAD8_S || base == W_OP_I32_LOAD16_S)
        return LLVMBuildZExt(g->B, LLVMBuildSExt(g->B, v, g->i32, ""), g->i64, "");
    return LLVMBuildSExt(g->B, v, g->i64, "");
}

static LLVMValueRef nl_load_ways_value(nl_gen *g, LLVMTypeRef t, bool sx, uint32_t base,
                                       uint32_t mi, uint8_t path, LLVMValueRef addr,
                                       LLVMValueRef off, uint32_t bytes)
{
    return nl_load_ext(g, t, sx, base, nl_load_at(g, t, mi, path, addr, off, bytes));
}

/* The type load op `base` reads, and whether it sign-extends. */
static LLVMTypeRef nl_load_type(nl_gen *g, uint32_t base, bool *sx)
{
    LLVMTypeRef t;
    *sx = false;
    switch (base) {
    case W_OP_I32_LOAD:
    case W_OP_F32_LOAD:
    case W_OP_I64_LOAD32_U: t = g->i32; break;
    case W_OP_I64_LOAD32_S: t = g->i32, *sx = true; break;
    case W_OP_I64_LOAD:
    case W_OP_F64_LOAD: t = g->i64; break;
    case W_OP_I32_LOAD8_U:
    case W_OP_I64_LOAD8_U: t = g->i8; break;
    case W_OP_I32_LOAD8_S:
    case W_OP_I64_LOAD8_S: t = g->i8, *sx = true; break;
    case W_OP_I32_LOAD16_U:
    case W_OP_I64_LOAD16_U: t = g->i16; break;
    default: t = g->i16, *sx = true; break; /* I32_LOAD16_S, I64_LOAD16_S */
    }
    return t;
}

/* The value a load op `base` reads at addr + off of memory mi, in the
 * slot encoding (i64). */
static LLVMValueRef nl_load_value(nl_gen *g, uint32_t base, uint8_t path, uint32_t mi,
                                  LLVMValueRef addr, LLVMValueRef off, uint32_t bytes)
{
    bool sx;
    LLVMTypeRef t = nl_load_type(g, base, &sx);
    if (nl_guarded(g, mi, path)) return nl_guard_load(g, base, nl_guard_addr(g, mi, addr, off));
    LLVMBasicBlockRef ways;
    LLVMValueRef gb = nl_guard_split(g, mi, path, &ways);
    if (!gb) return nl_load_ways_value(g, t, sx, base, mi, path, addr, off, bytes);
    LLVMValueRef gv = nl_guard_load(g, base, nl_guard_at(g, gb, addr, off));
    LLVMBasicBlockRef gend = LLVMGetInsertBlock(g->B);
    LLVMPositionBuilderAtEnd(g->B, ways);
    return nl_guard_join(g, gend, gv,
                         nl_load_ways_value(g, t, sx, base, mi, path, addr, off, bytes));
}

/* The narrow value a store op `base` writes, from slot value v (i64). */
static LLVMValueRef nl_store_value(nl_gen *g, uint32_t base, LLVMValueRef v)
{
    switch (base) {
    case W_OP_V128_STORE: /* <2 x i64> (nl_vstore) */
    case W_OP_I64_STORE:
    case W_OP_F64_STORE: return v;
    case W_OP_I32_STORE:
    case W_OP_F32_STORE:
    case W_OP_I64_STORE32: return LLVMBuildTrunc(g->B, v, g->i32, "");
    case W_OP_I32_STORE16:
    case W_OP_I64_STORE16: return LLVMBuildTrunc(g->B, v, g->i16, "");
    default: return LLVMBuildTrunc(g->B, v, g->i8, "");
    }
}

/* A load: dst = base-op's value at addr + off of memory mi. */
static void nl_load(nl_gen *g, uint32_t base, uint8_t path, uint32_t mi, LLVMValueRef addr,
                    LLVMValueRef off, uint32_t bytes, uint32_t dst)
{
    nl_wr64(g, dst, nl_load_value(g, base, path, mi, addr, off, bytes));
}

static void nl_store_ways(nl_gen *g, uint32_t base, uint8_t path, uint32_t mi, LLVMValueRef addr,
                          LLVMValueRef off, uint32_t bytes, LLVMValueRef v);

static void nl_store(nl_gen *g, uint32_t base, uint8_t path, uint32_t mi, LLVMValueRef addr,
                     LLVMValueRef off, uint32_t bytes, LLVMValueRef v)
{
    if (nl_guarded(g, mi, path)) {
        nl_guard_store(g, base, bytes, nl_guard_addr(g, mi, addr, off), v);
        return;
    }
    LLVMBasicBlockRef ways;
    LLVMValueRef gb = nl_guard_split(g, mi, path, &ways);
    if (!gb) {
        nl_store_ways(g, base, path, mi, addr, off, bytes, v);
        return;
    }
    nl_guard_store(g, base, bytes, nl_guard_at(g, gb, addr, off), v);
    LLVMBasicBlockRef gend = LLVMGetInsertBlock(g->B);
    LLVMPositionBuilderAtEnd(g->B, ways);
    nl_store_ways(g, base, path, mi, addr, off, bytes, v);
    nl_guard_join(g, gend, NULL, NULL);
}

/* A store by the access path's check or ways (not guarded: nl_store). */
static void nl_store_ways(nl_gen *g, uint32_t base, uint8_t path, uint32_t mi, LLVMValueRef addr,
                          LLVMValueRef off, uint32_t bytes, LLVMValueRef v)
{
    LLVMBasicBlockRef slow, span = NULL;
    LLVMValueRef nv = nl_store_value(g, base, v);
    bool flat = path == W_MEM_PATH_FLAT0 || path == W_MEM_PATH_FLAT;
    LLVMValueRef p = flat ? nl_addr(g, mi, path, addr, off, bytes, true, &slow)
                          : nl_addr_ways(g, mi, path, addr, off, bytes, true, &slow, &span);
    LLVMValueRef s = LLVMBuildStore(g->B, nv, p);
    LLVMSetAlignment(s, 1);
    if (!slow) return;
    LLVMBasicBlockRef join = nl_block(g, "");
    LLVMBuildBr(g->B, join);
    /* The span's own store (nl_addr_ways). */
    LLVMPositionBuilderAtEnd(g->B, span);
    s = LLVMBuildStore(g->B, nv, g->span_p);
    LLVMSetAlignment(s, 1);
    LLVMBuildBr(g->B, join);
    LLVMPositionBuilderAtEnd(g->B, slow);
    s = LLVMBuildStore(g->B, nv, g->tmp);
    LLVMSetAlignment(s, 1);
    LLVMValueRef args[] = {g->ex, g->wfn, nl_c32(g, g->pc), nl_c32(g, mi),
                           addr,  off,    nl_c32(g, bytes), g->tmp};
    nl_check(g, nl_call_preserving(g, g->t_store, g->h_store_pa, args, 8));
    /* A store may have copied a page (copy-on-write), which changes no
     * state the fast ways keep (nl_addr_ways): nothing to reload. */
    LLVMBuildBr(g->B, join);
    LLVMPositionBuilderAtEnd(g->B, join);
}

/* The address operand of memory mi in slot s, as i64. */
static LLVMValueRef nl_addr_operand(nl_gen *g, uint32_t mi, uint32_t s)
{
    return nl_is64(g, mi) ? nl_rd64(g, s) : LLVMBuildZExt(g->B, nl_rd32(g, s), g->i64, "");
}

static uint64_t nl_imm64(const uint32_t *w)
{
    return (uint64_t)w[0] | (uint64_t)w[1] << 32;
}

/* The memory operands of an access whose address is in slot ip[1] and
 * whose memory words start at ip[k] (ir.h): layout 0 has the offset
 * there (memory 0), the others the memory index and a 64-bit offset; a
 * fused form (LOADA, STOREA, FLD: layout 0 only) adds its constant
 * ip[k + 1] to the address in 32 bits. Returns the memory index. */
static uint32_t nl_mem_args(nl_gen *g, const uint32_t *ip, uint32_t k, bool layout0, bool fused,
                            LLVMValueRef *addr, LLVMValueRef *off)
{
    if (!layout0) {
        *addr = nl_addr_operand(g, ip[k], ip[1]);
        *off = nl_c64(g, nl_imm64(ip + k + 1));
        return ip[k];
    }
    LLVMValueRef a = nl_rd32(g, ip[1]);
    if (fused) a = LLVMBuildAdd(g->B, a, nl_c32(g, ip[k + 1]), "");
    *addr = LLVMBuildZExt(g->B, a, g->i64, "");
    *off = nl_c64(g, ip[k]);
    return 0;
}

/* ---- numeric -------------------------------------------------------------------------- */

static LLVMValueRef nl_icmp(nl_gen *g, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildZExt(g->B, LLVMBuildICmp(g->B, p, a, b, ""), g->i32, "");
}
static LLVMValueRef nl_fcmp(nl_gen *g, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildZExt(g->B, LLVMBuildFCmp(g->B, p, a, b, ""), g->i32, "");
}
static LLVMValueRef nl_un(nl_gen *g, const char *name, LLVMValueRef a)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    return nl_intrinsic(g, name, &t, 1, &a, 1);
}
static LLVMValueRef nl_bin(nl_gen *g, const char *name, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef args[] = {a, b};
    return nl_intrinsic(g, name, &t, 1, args, 2);
}
static LLVMValueRef nl_bits(nl_gen *g, const char *name, LLVMValueRef a)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef args[] = {a, LLVMConstInt(g->i1, 0, 0)};
    return nl_intrinsic(g, name, &t, 1, args, 2);
}
static LLVMValueRef nl_rot(nl_gen *g, const char *name, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef args[] = {a, a, b};
    return nl_intrinsic(g, name, &t, 1, args, 3);
}
/* Shift count modulo the width. */
static LLVMValueRef nl_shc(nl_gen *g, LLVMValueRef b)
{
    unsigned w = LLVMGetIntTypeWidth(LLVMTypeOf(b));
    return LLVMBuildAnd(g->B, b, LLVMConstInt(LLVMTypeOf(b), w - 1, 0), "");
}

/* Integer division and remainder with the spec's traps. */
static LLVMValueRef nl_divrem(nl_gen *g, bool sgn, bool rem, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    unsigned w = LLVMGetIntTypeWidth(t);
    nl_trap_if(g, LLVMBuildICmp(g->B, LLVMIntEQ, b, LLVMConstInt(t, 0, 0), ""),
               W_TRAP_INT_DIV_ZERO);
    if (!sgn) return rem ? LLVMBuildURem(g->B, a, b, "") : LLVMBuildUDiv(g->B, a, b, "");
    LLVMValueRef minus1 = LLVMBuildICmp(g->B, LLVMIntEQ, b, LLVMConstAllOnes(t), "");
    if (!rem) {
        LLVMValueRef min =
            LLVMBuildICmp(g->B, LLVMIntEQ, a, LLVMConstInt(t, (uint64_t)1 << (w - 1), 0), "");
        nl_trap_if(g, LLVMBuildAnd(g->B, min, minus1, ""), W_TRAP_INT_OVERFLOW);
        return LLVMBuildSDiv(g->B, a, b, "");
    }
    /* x rem -1 is 0; the machine's instruction would fault on INT_MIN. */
    LLVMValueRef safe_b = LLVMBuildSelect(g->B, minus1, LLVMConstInt(t, 1, 0), b, "");
    return LLVMBuildSRem(g->B, a, safe_b, "");
}

/* Trapping float-to-int truncation: NaN is an invalid conversion, a value
 * whose truncation is outside the target range an overflow. The bounds are
 * exclusive, as doubles (every f32 widens exactly). */
static LLVMValueRef nl_trunc(nl_gen *g, LLVMValueRef a, LLVMTypeRef to, bool sgn)
{
    LLVMValueRef d = LLVMTypeOf(a) == g->f32 ? LLVMBuildFPExt(g->B, a, g->f64, "") : a;
    nl_trap_if(g, LLVMBuildFCmp(g->B, LLVMRealUNO, d, d, ""), W_TRAP_INVALID_CONV);
    bool is64 = to == g->i64;
    double lo, hi;
    if (sgn) {
        lo = is64 ? -9223372036854777856.0 : -2147483649.0;
        hi = is64 ? 9223372036854775808.0 : 2147483648.0;
    } else {
        lo = -1.0;
        hi = is64 ? 18446744073709551616.0 : 4294967296.0;
    }
    LLVMValueRef ok =
        LLVMBuildAnd(g->B, LLVMBuildFCmp(g->B, LLVMRealOGT, d, LLVMConstReal(g->f64, lo), ""),
                     LLVMBuildFCmp(g->B, LLVMRealOLT, d, LLVMConstReal(g->f64, hi), ""), "");
    nl_trap_if(g, LLVMBuildNot(g->B, ok, ""), W_TRAP_INT_OVERFLOW);
    return sgn ? LLVMBuildFPToSI(g->B, d, to, "") : LLVMBuildFPToUI(g->B, d, to, "");
}

static LLVMValueRef nl_trunc_sat(nl_gen *g, LLVMValueRef a, LLVMTypeRef to, bool sgn)
{
    LLVMTypeRef tys[] = {to, LLVMTypeOf(a)};
    return nl_intrinsic(g, sgn ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &a, 1);
}

/* Functions with constrained FP operations are strictfp, and so must be
 * everything that inlines them. */
static void nl_strictfp(nl_gen *g, LLVMValueRef f)
{
    unsigned k = LLVMGetEnumAttributeKindForName("strictfp", 8);
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, k, 0));
}

/* fadd, fsub, fmul, fdiv (and the conversions between f32 and f64) as
 * LLVM's constrained intrinsics: the same machine instructions, but LLVM
 * does not fold identities like x - 0.0 or x * 1.0 to x, which would pass
 * a signalling NaN through where Wasm requires an arithmetic (quiet) one.
 * They also stay in the FP registers: no quieting code is needed. */
static LLVMValueRef nl_md(nl_gen *g, const char *s)
{
    return LLVMMetadataAsValue(g->C, LLVMMDStringInContext2(g->C, s, strlen(s)));
}

static LLVMValueRef nl_strict(nl_gen *g, const char *name, LLVMTypeRef *tys, unsigned ntys,
                              LLVMValueRef *ops, unsigned nops, bool rounding)
{
    LLVMValueRef args[4];
    unsigned n = 0;
    for (unsigned i = 0; i < nops; i++)
        args[n++] = ops[i];
    if (rounding) args[n++] = nl_md(g, "round.tonearest");
    args[n++] = nl_md(g, "fpexcept.maytrap");
    LLVMValueRef c = nl_intrinsic(g, name, tys, ntys, args, n);
    unsigned k = LLVMGetEnumAttributeKindForName("strictfp", 8);
    LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, k, 0));
    return c;
}

static LLVMValueRef nl_farith(nl_gen *g, const char *name, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef ops[] = {a, b};
    return nl_strict(g, name, &t, 1, ops, 2, true);
}

/* min and max, Wasm's way: a NaN operand gives a quiet NaN (an addition
 * of the operands, which quiets), -0 is below +0 (equal operands combine
 * their bits: OR for min, AND for max), otherwise the smaller or larger.
 * (LLVM's minimum/maximum intrinsics cannot be selected on x86 in the
 * strictfp functions native code uses.) */
static LLVMValueRef nl_minmax(nl_gen *g, bool min, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef ft = LLVMTypeOf(a);
    LLVMTypeRef it = ft == g->f32 ? g->i32 : g->i64;
    LLVMValueRef pick = LLVMBuildFCmp(g->B, min ? LLVMRealOLT : LLVMRealOGT, a, b, "");
    LLVMValueRef r = LLVMBuildSelect(g->B, pick, a, b, "");
    LLVMValueRef ab = LLVMBuildBitCast(g->B, a, it, ""), bb = LLVMBuildBitCast(g->B, b, it, "");
    LLVMValueRef both = min ? LLVMBuildOr(g->B, ab, bb, "") : LLVMBuildAnd(g->B, ab, bb, "");
    LLVMValueRef eq = LLVMBuildFCmp(g->B, LLVMRealOEQ, a, b, "");
    r = LLVMBuildSelect(g->B, eq, LLVMBuildBitCast(g->B, both, ft, ""), r, "");
    LLVMValueRef nan = LLVMBuildFCmp(g->B, LLVMRealUNO, a, b, "");
    return LLVMBuildSelect(g->B, nan, nl_farith(g, "llvm.experimental.constrained.fadd", a, b), r,
                           "");
}

/* The value of numeric op `op` on a (and b for binary ops); NULL if the
 * op is not a scalar numeric one. Comparisons give i32. */
static LLVMValueRef nl_num(nl_gen *g, uint32_t op, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef B = g->B;
    switch ((w_op)op) {
    case W_OP_I32_EQZ: return nl_icmp(g, LLVMIntEQ, a, nl_c32(g, 0));
    case W_OP_I64_EQZ: return nl_icmp(g, LLVMIntEQ, a, nl_c64(g, 0));
    case W_OP_I32_EQ:
    case W_OP_I64_EQ: return nl_icmp(g, LLVMIntEQ, a, b);
    case W_OP_I32_NE:
    case W_OP_I64_NE: return nl_icmp(g, LLVMIntNE, a, b);
    case W_OP_I32_LT_S:
    case W_OP_I64_LT_S: return nl_icmp(g, LLVMIntSLT, a, b);
    case W_OP_I32_LT_U:
    case W_OP_I64_LT_U: return nl_icmp(g, LLVMIntULT, a, b);
    case W_OP_I32_GT_S:
    case W_OP_I64_GT_S: return nl_icmp(g, LLVMIntSGT, a, b);
    case W_OP_I32_GT_U:
    case W_OP_I64_GT_U: return nl_icmp(g, LLVMIntUGT, a, b);
    case W_OP_I32_LE_S:
    case W_OP_I64_LE_S: return nl_icmp(g, LLVMIntSLE, a, b);
    case W_OP_I32_LE_U:
    case W_OP_I64_LE_U: return nl_icmp(g, LLVMIntULE, a, b);
    case W_OP_I32_GE_S:
    case W_OP_I64_GE_S: return nl_icmp(g, LLVMIntSGE, a, b);
    case W_OP_I32_GE_U:
    case W_OP_I64_GE_U: return nl_icmp(g, LLVMIntUGE, a, b);
    case W_OP_F32_EQ:
    case W_OP_F64_EQ: return nl_fcmp(g, LLVMRealOEQ, a, b);
    case W_OP_F32_NE:
    case W_OP_F64_NE: return nl_fcmp(g, LLVMRealUNE, a, b);
    case W_OP_F32_LT:
    case W_OP_F64_LT: return nl_fcmp(g, LLVMRealOLT, a, b);
    case W_OP_F32_GT:
    case W_OP_F64_GT: return nl_fcmp(g, LLVMRealOGT, a, b);
    case W_OP_F32_LE:
    case W_OP_F64_LE: return nl_fcmp(g, LLVMRealOLE, a, b);
    case W_OP_F32_GE:
    case W_OP_F64_GE: return nl_fcmp(g, LLVMRealOGE, a, b);
    case W_OP_I32_CLZ:
    case W_OP_I64_CLZ: return nl_bits(g, "llvm.ctlz", a);
    case W_OP_I32_CTZ:
    case W_OP_I64_CTZ: return nl_bits(g, "llvm.cttz", a);
    case W_OP_I32_POPCNT:
    case W_OP_I64_POPCNT: return nl_un(g, "llvm.ctpop", a);
    case W_OP_I32_ADD:
    case W_OP_I64_ADD: return LLVMBuildAdd(B, a, b, "");
    case W_OP_I32_SUB:
    case W_OP_I64_SUB: return LLVMBuildSub(B, a, b, "");
    case W_OP_I32_MUL:
    case W_OP_I64_MUL: return LLVMBuildMul(B, a, b, "");
    case W_OP_I32_DIV_S:
    case W_OP_I64_DIV_S: return nl_divrem(g, true, false, a, b);
    case W_OP_I32_DIV_U:
    case W_OP_I64_DIV_U: return nl_divrem(g, false, false, a, b);
    case W_OP_I32_REM_S:
    case W_OP_I64_REM_S: return nl_divrem(g, true, true, a, b);
    case W_OP_I32_REM_U:
    case W_OP_I64_REM_U: return nl_divrem(g, false, true, a, b);
    case W_OP_I32_AND:
    case W_OP_I64_AND: return LLVMBuildAnd(B, a, b, "");
    case W_OP_I32_OR:
    case W_OP_I64_OR: return LLVMBuildOr(B, a, b, "");
    case W_OP_I32_XOR:
    case W_OP_I64_XOR: return LLVMBuildXor(B, a, b, "");
    case W_OP_I32_SHL:
    case W_OP_I64_SHL: return LLVMBuildShl(B, a, nl_shc(g, b), "");
    case W_OP_I32_SHR_S:
    case W_OP_I64_SHR_S: return LLVMBuildAShr(B, a, nl_shc(g, b), "");
    case W_OP_I32_SHR_U:
    case W_OP_I64_SHR_U: return LLVMBuildLShr(B, a, nl_shc(g, b), "");
    case W_OP_I32_ROTL:
    case W_OP_I64_ROTL: return nl_rot(g, "llvm.fshl", a, b);
    case W_OP_I32_ROTR:
    case W_OP_I64_ROTR: return nl_rot(g, "llvm.fshr", a, b);
    case W_OP_F32_ABS:
    case W_OP_F64_ABS: return nl_un(g, "llvm.fabs", a);
    case W_OP_F32_NEG:
    case W_OP_F64_NEG: return LLVMBuildFNeg(B, a, "");
    case W_OP_F32_CEIL:
    case W_OP_F64_CEIL: return nl_un(g, "llvm.ceil", a);
    case W_OP_F32_FLOOR:
    case W_OP_F64_FLOOR: return nl_un(g, "llvm.floor", a);
    case W_OP_F32_TRUNC:
    case W_OP_F64_TRUNC: return nl_un(g, "llvm.trunc", a);
    case W_OP_F32_NEAREST:
    case W_OP_F64_NEAREST: return nl_un(g, "llvm.roundeven", a);
    case W_OP_F32_SQRT:
    case W_OP_F64_SQRT: return nl_un(g, "llvm.sqrt", a);
    case W_OP_F32_ADD:
    case W_OP_F64_ADD:
        if (g->fl) return LLVMBuildFAdd(B, a, b, ""); /* a fast copy (nl_fast_loop) */
        return nl_farith(g, "llvm.experimental.constrained.fadd", a, b);
    case W_OP_F32_SUB:
    case W_OP_F64_SUB:
        if (g->fl) return LLVMBuildFSub(B, a, b, ""); /* a fast copy (nl_fast_loop) */
        return nl_farith(g, "llvm.experimental.constrained.fsub", a, b);
    case W_OP_F32_MUL:
    case W_OP_F64_MUL:
        if (g->fl) return LLVMBuildFMul(B, a, b, ""); /* a fast copy (nl_fast_loop) */
        return nl_farith(g, "llvm.experimental.constrained.fmul", a, b);
    case W_OP_F32_DIV:
    case W_OP_F64_DIV:
        if (g->fl) return LLVMBuildFDiv(B, a, b, ""); /* a fast copy (nl_fast_loop) */
        return nl_farith(g, "llvm.experimental.constrained.fdiv", a, b);
    case W_OP_F32_MIN:
    case W_OP_F64_MIN: return nl_minmax(g, true, a, b);
    case W_OP_F32_MAX:
    case W_OP_F64_MAX: return nl_minmax(g, false, a, b);
    case W_OP_F32_COPYSIGN:
    case W_OP_F64_COPYSIGN: return nl_bin(g, "llvm.copysign", a, b);
    case W_OP_I32_WRAP_I64: return LLVMBuildTrunc(B, a, g->i32, "");
    case W_OP_I32_TRUNC_F32_S:
    case W_OP_I32_TRUNC_F64_S: return nl_trunc(g, a, g->i32, true);
    case W_OP_I32_TRUNC_F32_U:
    case W_OP_I32_TRUNC_F64_U: return nl_trunc(g, a, g->i32, false);
    case W_OP_I64_TRUNC_F32_S:
    case W_OP_I64_TRUNC_F64_S: return nl_trunc(g, a, g->i64, true);
    case W_OP_I64_TRUNC_F32_U:
    case W_OP_I64_TRUNC_F64_U: return nl_trunc(g, a, g->i64, false);
    case W_OP_I64_EXTEND_I32_S: return LLVMBuildSExt(B, a, g->i64, "");
    case W_OP_I64_EXTEND_I32_U: return LLVMBuildZExt(B, a, g->i64, "");
    case W_OP_F32_CONVERT_I32_S:
    case W_OP_F32_CONVERT_I64_S: return LLVMBuildSIToFP(B, a, g->f32, "");
    case W_OP_F32_CONVERT_I32_U:
    case W_OP_F32_CONVERT_I64_U: return LLVMBuildUIToFP(B, a, g->f32, "");
    case W_OP_F64_CONVERT_I32_S:
    case W_OP_F64_CONVERT_I64_S: return LLVMBuildSIToFP(B, a, g->f64, "");
    case W_OP_F64_CONVERT_I32_U:
    case W_OP_F64_CONVERT_I64_U: return LLVMBuildUIToFP(B, a, g->f64, "");
    case W_OP_F32_DEMOTE_F64: {
        LLVMTypeRef tys[] = {g->f32, g->f64};
        return nl_strict(g, "llvm.experimental.constrained.fptrunc", tys, 2, &a, 1, true);
    }
    case W_OP_F64_PROMOTE_F32: {
        LLVMTypeRef tys[] = {g->f64, g->f32};
        return nl_strict(g, "llvm.experimental.constrained.fpext", tys, 2, &a, 1, false);
    }
    case W_OP_I32_REINTERPRET_F32: return LLVMBuildBitCast(B, a, g->i32, "");
    case W_OP_I64_REINTERPRET_F64: return LLVMBuildBitCast(B, a, g->i64, "");
    case W_OP_F32_REINTERPRET_I32: return LLVMBuildBitCast(B, a, g->f32, "");
    case W_OP_F64_REINTERPRET_I64: return LLVMBuildBitCast(B, a, g->f64, "");
    case W_OP_I32_EXTEND8_S: return LLVMBuildSExt(B, LLVMBuildTrunc(B, a, g->i8, ""), g->i32, "");
    case W_OP_I32_EXTEND16_S: return LLVMBuildSExt(B, LLVMBuildTrunc(B, a, g->i16, ""), g->i32, "");
    case W_OP_I64_EXTEND8_S: return LLVMBuildSExt(B, LLVMBuildTrunc(B, a, g->i8, ""), g->i64, "");
    case W_OP_I64_EXTEND16_S: return LLVMBuildSExt(B, LLVMBuildTrunc(B, a, g->i16, ""), g->i64, "");
    case W_OP_I64_EXTEND32_S: return LLVMBuildSExt(B, LLVMBuildTrunc(B, a, g->i32, ""), g->i64, "");
    case W_OP_I32_TRUNC_SAT_F32_S:
    case W_OP_I32_TRUNC_SAT_F64_S: return nl_trunc_sat(g, a, g->i32, true);
    case W_OP_I32_TRUNC_SAT_F32_U:
    case W_OP_I32_TRUNC_SAT_F64_U: return nl_trunc_sat(g, a, g->i32, false);
    case W_OP_I64_TRUNC_SAT_F32_S:
    case W_OP_I64_TRUNC_SAT_F64_S: return nl_trunc_sat(g, a, g->i64, true);
    case W_OP_I64_TRUNC_SAT_F32_U:
    case W_OP_I64_TRUNC_SAT_F64_U: return nl_trunc_sat(g, a, g->i64, false);
    default: return NULL;
    }
}

/* ---- calls ------------------------------------------------------------------------------- */

/* The fixed parameters of a body: ex, its w_func, the frame depth, the
 * frame's place in the value stack, and `res` (NL_RES) only for more than
 * one result slot. */
enum { NL_RES = 4 };
static uint32_t nl_fixed(uint32_t result_slots)
{
    return result_slots > 1 ? NL_RES + 1 : NL_RES;
}

/* A body's type (native.h): w_trap f(w_exec *ex, w_func *fn, uint32_t
 * depth, uint64_t *fp, [uint64_t *res,] i64 args...), returning {w_trap,
 * i64} instead when it has exactly one result slot, so that the common
 * result comes back in a register. fp is passed as an i64: it is only
 * compared and moved, never dereferenced. */
static LLVMTypeRef nl_body_type(nl_gen *g, uint32_t param_slots, uint32_t result_slots)
{
    uint32_t nf = nl_fixed(result_slots);
    LLVMTypeRef *ps = calloc(param_slots + NL_RES + 1, sizeof *ps);
    ps[0] = ps[1] = ps[NL_RES] = g->ptr;
    ps[2] = g->i32;
    ps[3] = g->i64;
    for (uint32_t i = 0; i < param_slots; i++)
        ps[nf + i] = g->i64;
    LLVMTypeRef ret = g->i32;
    if (result_slots == 1) {
        LLVMTypeRef el[] = {g->i32, g->i64};
        ret = LLVMStructTypeInContext(g->C, el, 2, 0);
    }
    LLVMTypeRef t = LLVMFunctionType(ret, ps, param_slots + nf, 0);
    free(ps);
    return t;
}

/* Fuel for zeroing a callee's locals (as the interpreter's call). */
static void nl_local_fuel(nl_gen *g, LLVMValueRef local_slots)
{
    LLVMValueRef on = nl_ld(g, g->i8, g->ex, offsetof(w_exec, fuel_on));
    LLVMBasicBlockRef fb = nl_block(g, "lfuel"), cb = nl_block(g, "");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, on, LLVMConstInt(g->i8, 0, 0), ""), fb,
                    cb);
    LLVMPositionBuilderAtEnd(g->B, fb);
    LLVMValueRef bytes =
        LLVMBuildMul(g->B, LLVMBuildZExt(g->B, local_slots, g->i64, ""), nl_c64(g, 8), "");
    LLVMValueRef args[] = {g->ex, g->wfn, nl_c32(g, g->pc), bytes};
    nl_check(g, LLVMBuildCall2(g->B, g->t_fuel, g->h_fuel, args, 4, ""));
    LLVMBuildBr(g->B, cb);
    LLVMPositionBuilderAtEnd(g->B, cb);
}

/* A call's checks before its frame is pushed, in the interpreter's order:
 * the call depth, then whether the callee's frame (frame_slots, i32) fits
 * in the value stack at slot argbase of ours, then the fuel for zeroing
 * its locals (local_slots, i32; NULL: it has too few to be charged). The
 * interpreter's value stack is not used by native code, but its size is a
 * limit (ward_store_config.max_stack_bytes), kept exactly: a recursion
 * ends at the same depth in both tiers. */
static void nl_call_checks(nl_gen *g, uint32_t argbase, LLVMValueRef frame_slots,
                           LLVMValueRef local_slots)
{
    LLVMValueRef max = nl_ld_inv(g, g->i32, g->ex, offsetof(w_exec, max_frames));
    nl_trap_if(g, LLVMBuildICmp(g->B, LLVMIntUGE, g->depth, max, ""), W_TRAP_STACK_EXHAUSTED);
    LLVMValueRef end = nl_ld_inv(g, g->i64, g->ex, offsetof(w_exec, stack_end));
    LLVMValueRef need = LLVMBuildAdd(
        g->B, nl_c64(g, (uint64_t)argbase * 8),
        LLVMBuildMul(g->B, LLVMBuildZExt(g->B, frame_slots, g->i64, ""), nl_c64(g, 8), ""), "");
    nl_trap_if(g, LLVMBuildICmp(g->B, LLVMIntUGT, LLVMBuildAdd(g->B, g->fp, need, ""), end, ""),
               W_TRAP_STACK_EXHAUSTED);
    if (local_slots) nl_local_fuel(g, local_slots);
}

/* Pushes the caller's frame (interpreter-compatible: backtraces and the
 * depth limit, which nl_call_checks has checked). Only ip and fn: a
 * native frame's fp is never read (the interpreter reads fp only when it
 * returns into a frame of its own). The depth is the body's parameter, so
 * ex->nframes is only written. */
static void nl_push_frame(nl_gen *g, uint32_t ret_pc)
{
    LLVMValueRef frames = nl_ld_inv(g, g->ptr, g->ex, offsetof(w_exec, frames));
    LLVMValueRef off = LLVMBuildMul(g->B, LLVMBuildZExt(g->B, g->depth, g->i64, ""),
                                    nl_c64(g, sizeof(w_frame)), "");
    LLVMValueRef fr = LLVMBuildInBoundsGEP2(g->B, g->i8, frames, &off, 1, "");
    nl_st(g, nl_at(g, g->codebase, (uint64_t)ret_pc * 4), fr, offsetof(w_frame, ip));
    nl_st(g, g->wfn, fr, offsetof(w_frame, fn));
    nl_st(g, LLVMBuildAdd(g->B, g->depth, nl_c32(g, 1), ""), g->ex, offsetof(w_exec, nframes));
}

/* A call of body `callee` (function type ft, w_func cfn) with the
 * arguments at slot argbase; results back to argbase. */
static void nl_call_body(nl_gen *g, LLVMTypeRef ft, LLVMValueRef callee, LLVMValueRef cfn,
                         uint32_t argbase, uint32_t ps, uint32_t rs, uint32_t ret_pc, bool reload)
{
    nl_push_frame(g, ret_pc);
    uint32_t nf = nl_fixed(rs);
    LLVMValueRef *args = calloc(ps + nf, sizeof *args);
    args[0] = g->ex;
    args[1] = cfn;
    args[2] = LLVMBuildAdd(g->B, g->depth, nl_c32(g, 1), "");
    args[3] = LLVMBuildAdd(g->B, g->fp, nl_c64(g, (uint64_t)argbase * 8), "");
    if (nf > NL_RES) args[NL_RES] = g->callbuf;
    for (uint32_t i = 0; i < ps; i++)
        args[nf + i] = nl_rd64(g, argbase + i);
    LLVMValueRef r = LLVMBuildCall2(g->B, ft, callee, args, ps + nf, "");
    LLVMSetInstructionCallConv(r, LLVMFastCallConv);
    free(args);
    nl_st(g, g->depth, g->ex, offsetof(w_exec, nframes));
    if (rs == 1) {
        nl_check(g, LLVMBuildExtractValue(g->B, r, 0, ""));
        nl_wr64(g, argbase, LLVMBuildExtractValue(g->B, r, 1, ""));
    } else {
        nl_check(g, r);
        for (uint32_t i = 0; i < rs; i++)
            nl_wr64(g, argbase + i, nl_ld(g, g->i64, g->callbuf, i * 8));
    }
    if (reload) nl_reload(g);
}

/* A call through nat_h_call (host functions, other instances, functions
 * without native code). */
static void nl_call_helper(nl_gen *g, LLVMValueRef callee, uint32_t argbase, uint32_t ps,
                           uint32_t rs, uint32_t ret_pc)
{
    for (uint32_t i = 0; i < ps; i++)
        nl_st(g, nl_rd64(g, argbase + i), g->callbuf, i * 8);
    LLVMValueRef fp = LLVMBuildIntToPtr(g->B, g->fp, g->ptr, "");
    LLVMValueRef args[] = {g->ex,      g->wfn, nl_c32(g, g->pc),  nl_c32(g, ret_pc), callee,
                           g->callbuf, fp,     nl_c32(g, argbase)};
    nl_check(g, LLVMBuildCall2(g->B, g->t_call, g->h_call, args, 8, ""));
    for (uint32_t i = 0; i < rs; i++)
        nl_wr64(g, argbase + i, nl_ld(g, g->i64, g->callbuf, i * 8));
    nl_reload(g);
}

/* Function j's w_func in this instance (itself for a recursive call). */
static LLVMValueRef nl_func_of(nl_gen *g, uint32_t j)
{
    if (j == g->m->nimported_funcs + (uint32_t)(g->fc - g->cs->funcs)) return g->wfn;
    LLVMValueRef funcs = nl_ld_inv(g, g->ptr, g->inst, offsetof(w_instance, funcs));
    return nl_ld_inv(g, g->ptr, funcs, (uint64_t)j * sizeof(void *));
}

static void nl_call(nl_gen *g, const uint32_t *ip)
{
    uint32_t j = ip[1], argbase = ip[2];
    const w_functype *ft = &g->m->types[g->m->func_types[j]];
    uint32_t nimp = g->m->nimported_funcs;
    if (j >= nimp && g->bodies[j - nimp]) {
        const w_fcode *cfc = &g->cs->funcs[j - nimp];
        nl_limits(g);
        nl_call_checks(g, argbase, nl_c32(g, cfc->frame_slots),
                       (uint64_t)cfc->local_slots * 8 >= W_FUEL_BULK_BYTES
                           ? nl_c32(g, cfc->local_slots)
                           : NULL);
        nl_call_body(g, g->body_types[j - nimp], g->bodies[j - nimp], nl_func_of(g, j), argbase,
                     ft->param_slots, ft->result_slots, g->pc + 3, g->moves[j - nimp]);
        return;
    }
    nl_call_helper(g, nl_func_of(g, j), argbase, ft->param_slots, ft->result_slots, g->pc + 3);
}

/* call_indirect. The common case is checked inline: the index inside the
 * table, a function of this instance whose type is the expected one (by
 * canonical index, as nat_type_matches within a module) and that has a
 * body; it is then called directly. Anything else (a trap, a function of
 * another instance, a host function) goes through nat_h_indirect, which
 * makes the checks in the interpreter's order, and then to a body or
 * nat_h_call. */
static void nl_call_indirect(nl_gen *g, const uint32_t *ip)
{
    uint32_t argbase = ip[2], typeidx = ip[3], tidx = ip[4];
    const w_functype *ft = &g->m->types[typeidx];
    /* The bodies this call can reach are the functions of this module of
     * its type: whether any of them may change a span (then the spans are
     * reloaded after the call) or has locals enough to be charged fuel. */
    bool moves = false, big = false;
    for (uint32_t i = 0; i < g->cs->nfuncs; i++) {
        if (g->m->types[g->m->func_types[g->m->nimported_funcs + i]].canon != ft->canon) continue;
        moves = moves || g->moves[i];
        big = big || (uint64_t)g->cs->funcs[i].local_slots * 8 >= W_FUEL_BULK_BYTES;
    }
    LLVMValueRef elem = nl_rd32(g, ip[1]);
    LLVMBasicBlockRef check = nl_block(g, "check"), other = nl_block(g, "other"),
                      fast = nl_block(g, "native"), slow = nl_block(g, "helper"),
                      join = nl_block(g, "");
    /* The inline checks; a failing one goes to `check`. */
    LLVMValueRef tables = nl_ld_inv(g, g->ptr, g->inst, offsetof(w_instance, tables));
    LLVMValueRef t = nl_ld_inv(g, g->ptr, tables, (uint64_t)tidx * sizeof(void *));
    LLVMValueRef size = nl_ld(g, g->i32, t, offsetof(w_table, size));
    LLVMBasicBlockRef b1 = nl_block(g, "inside");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntULT, elem, size, ""), b1, check);
    LLVMPositionBuilderAtEnd(g->B, b1);
    LLVMValueRef elems = nl_ld(g, g->ptr, t, offsetof(w_table, elems));
    LLVMValueRef ei = LLVMBuildZExt(g->B, elem, g->i64, "");
    LLVMValueRef ep = LLVMBuildInBoundsGEP2(g->B, g->ptr, elems, &ei, 1, "");
    LLVMValueRef c1 = LLVMBuildLoad2(g->B, g->ptr, ep, "");
    LLVMBasicBlockRef b2 = nl_block(g, "nonnull");
    LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, c1, ""), b2, check);
    LLVMPositionBuilderAtEnd(g->B, b2);
    LLVMValueRef cinst = nl_ld_inv(g, g->ptr, c1, offsetof(w_func, inst));
    LLVMBasicBlockRef b3 = nl_block(g, "same");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, cinst, g->inst, ""), b3, check);
    LLVMPositionBuilderAtEnd(g->B, b3);
    LLVMValueRef cty = nl_ld_inv(g, g->ptr, c1, offsetof(w_func, type));
    LLVMValueRef canon = nl_ld_inv(g, g->i32, cty, offsetof(w_functype, canon));
    LLVMBasicBlockRef b4 = nl_block(g, "typed");
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, canon, nl_c32(g, ft->canon), ""), b4,
                    check);
    LLVMPositionBuilderAtEnd(g->B, b4);
    LLVMBasicBlockRef b4_end = b4;
    LLVMBuildBr(g->B, other);
    /* The helper's checks (and traps). */
    LLVMPositionBuilderAtEnd(g->B, check);
    LLVMValueRef args[] = {
        g->ex, g->wfn, nl_c32(g, g->pc), nl_c32(g, tidx), elem, nl_c32(g, typeidx), g->vbuf};
    nl_check(g, LLVMBuildCall2(g->B, g->t_indirect, g->h_indirect, args, 7, ""));
    LLVMValueRef c2 = LLVMBuildLoad2(g->B, g->ptr, g->vbuf, "");
    LLVMValueRef same =
        LLVMBuildICmp(g->B, LLVMIntEQ, nl_ld(g, g->ptr, c2, offsetof(w_func, inst)), g->inst, "");
    LLVMBasicBlockRef check_end = LLVMGetInsertBlock(g->B);
    LLVMBuildCondBr(g->B, same, other, slow);
    /* A function of this instance: its body, if it has one. */
    LLVMPositionBuilderAtEnd(g->B, other);
    LLVMValueRef callee = LLVMBuildPhi(g->B, g->ptr, "");
    LLVMValueRef cv[] = {c1, c2};
    LLVMBasicBlockRef cb[] = {b4_end, check_end};
    LLVMAddIncoming(callee, cv, cb, 2);
    LLVMValueRef idx = nl_ld_inv(g, g->i32, callee, offsetof(w_func, index));
    idx = LLVMBuildSub(g->B, idx, nl_c32(g, g->m->nimported_funcs), "");
    LLVMValueRef gi[] = {nl_c64(g, 0), LLVMBuildZExt(g->B, idx, g->i64, "")};
    LLVMValueRef bp = LLVMBuildInBoundsGEP2(g->B, LLVMGlobalGetValueType(g->body_table),
                                            g->body_table, gi, 2, "");
    LLVMValueRef body = LLVMBuildLoad2(g->B, g->ptr, bp, "");
    LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, body, ""), fast, slow);
    LLVMPositionBuilderAtEnd(g->B, fast);
    nl_limits(g);
    LLVMValueRef code = nl_ld_inv(g, g->ptr, callee, offsetof(w_func, code));
    nl_call_checks(g, argbase, nl_ld_inv(g, g->i32, code, offsetof(w_fcode, frame_slots)),
                   big ? nl_ld_inv(g, g->i32, code, offsetof(w_fcode, local_slots)) : NULL);
    nl_call_body(g, nl_body_type(g, ft->param_slots, ft->result_slots), body, callee, argbase,
                 ft->param_slots, ft->result_slots, g->pc + 5, moves);
    LLVMBuildBr(g->B, join);
    LLVMPositionBuilderAtEnd(g->B, slow);
    LLVMValueRef hcallee = LLVMBuildPhi(g->B, g->ptr, "");
    LLVMValueRef hv[] = {c2, callee};
    LLVMBasicBlockRef hb[] = {check_end, other};
    LLVMAddIncoming(hcallee, hv, hb, 2);
    nl_call_helper(g, hcallee, argbase, ft->param_slots, ft->result_slots, g->pc + 5);
    LLVMBuildBr(g->B, join);
    LLVMPositionBuilderAtEnd(g->B, join);
}

/* ---- irregular instructions through nat_h_op ------------------------------------------- */

/* Which operand words of op name slots read (in) and written (out), as
 * bit masks over word positions. */
static bool nl_op_slots(uint32_t op, uint32_t *in, uint32_t *out)
{
    *in = *out = 0;
    switch ((w_op)op) {
    case W_OP_TABLE_GET: *in = 1u << 2, *out = 1u << 3; return true;
    case W_OP_TABLE_SET: *in = 3u << 2; return true;
    case W_OP_TABLE_GROW: *in = 3u << 2, *out = 1u << 4; return true;
    case W_OP_TABLE_FILL:
    case W_OP_MEMORY_FILL: *in = 7u << 2; return true;
    case W_OP_TABLE_COPY:
    case W_OP_TABLE_INIT:
    case W_OP_MEMORY_COPY:
    case W_OP_MEMORY_INIT: *in = 7u << 3; return true;
    case W_OP_ELEM_DROP:
    case W_OP_DATA_DROP: return true;
    case W_OP_SEGMENT_NEW: *in = 3u << 1, *out = 1u << 3; return true;
    case W_OP_SEGMENT_SET_TAG: *in = 7u << 1; return true;
    case W_OP_SEGMENT_FREE: *in = 3u << 1; return true;
    case W_OP_I64_POINTER_SIGN:
    case W_OP_I64_POINTER_AUTH:
    case W_OP_I64_POINTER_STRIP:
    case W_OP_I32_POINTER_SIGN:
    case W_OP_I32_POINTER_AUTH:
    case W_OP_I32_POINTER_STRIP: *in = 1u << 1, *out = 1u << 2; return true;
    default: return false;
    }
}

static void nl_helper_op(nl_gen *g, uint32_t op, const uint32_t *ip, uint32_t in, uint32_t out)
{
    for (uint32_t k = 1; k < 8; k++)
        if (in & (1u << k)) nl_st(g, nl_rd64(g, ip[k]), g->vbuf, k * 8);
    LLVMValueRef args[] = {g->ex, g->wfn, nl_c32(g, g->pc), nl_c32(g, op), g->vbuf};
    nl_check(g, LLVMBuildCall2(g->B, g->t_op, g->h_op, args, 5, ""));
    for (uint32_t k = 1; k < 8; k++)
        if (out & (1u << k)) nl_wr64(g, ip[k], nl_ld(g, g->i64, g->vbuf, k * 8));
    nl_reload(g);
}

/* ---- SIMD --------------------------------------------------------------------------------
 * v128 values live in two slots. The lane operations and the v128 loads are
 * LLVM vector IR (nl_simd.c); an op nl_simd.c does not generate runs in
 * nat_h_simd (simd.h, the interpreter's code). Memory accesses take the
 * access paths here (nl_addr). */

static nl_vgen nl_vgen_of(nl_gen *g)
{
    return (nl_vgen){g->C, g->M, g->B, g->slots};
}

static void nl_pair_out(nl_gen *g, uint32_t k, uint32_t slot, bool vec)
{
    nl_st(g, nl_rd64(g, slot), g->vbuf, 16 * k);
    if (vec) nl_st(g, nl_rd64(g, slot + 1), g->vbuf, 16 * k + 8);
}

static void nl_pair_in(nl_gen *g, uint32_t k, uint32_t slot, bool vec)
{
    nl_wr64(g, slot, nl_ld(g, g->i64, g->vbuf, 16 * k));
    if (vec) nl_wr64(g, slot + 1, nl_ld(g, g->i64, g->vbuf, 16 * k + 8));
}

static void nl_simd(nl_gen *g, uint32_t op, const uint32_t *ip)
{
    nl_vgen v = nl_vgen_of(g);
    if (nl_simd_op(&v, op, ip)) return;
    const char *sh = nl_ops[op].sig;
    /* Operand words and whether each is a vector; the last is the result. */
    bool v1 = sh[0] == 'V' || !strncmp(sh, "EXTRACT", 7) || !strncmp(sh, "REPLACE", 7) ||
              !strcmp(sh, "SHUFFLE");
    uint32_t nin = !strcmp(sh, "VVV_V") ? 3
                   : (!strcmp(sh, "VV_V") || !strcmp(sh, "VI_V") || !strncmp(sh, "REPLACE", 7) ||
                      !strcmp(sh, "SHUFFLE"))
                       ? 2
                       : 1;
    bool v2 = !strcmp(sh, "VV_V") || !strcmp(sh, "VVV_V") || !strcmp(sh, "SHUFFLE");
    bool vout = !(sh[2] == 'I' && sh[1] == '_') && strncmp(sh, "EXTRACT", 7) != 0;
    nl_pair_out(g, 1, ip[1], v1);
    if (nin >= 2) nl_pair_out(g, 2, ip[2], v2);
    if (nin >= 3) nl_pair_out(g, 3, ip[3], true);
    LLVMValueRef ipp = nl_at(g, g->codebase, (uint64_t)g->pc * 4);
    LLVMValueRef args[] = {nl_c32(g, op), ipp, g->vbuf};
    LLVMBuildCall2(g->B, g->t_simd, g->h_simd, args, 3, "");
    nl_pair_in(g, nin + 1, ip[nin + 1], vout);
}

/* The width-matching scalar store op of an access of `bytes` bytes. */
static uint32_t nl_store_op(uint32_t bytes)
{
    return bytes == 1   ? W_OP_I32_STORE8
           : bytes == 2 ? W_OP_I32_STORE16
           : bytes == 4 ? W_OP_I32_STORE
                        : W_OP_I64_STORE;
}

/* v128 loads: inline (nl_simd_load), anything else through nat_h_vload. */
static void nl_vload(nl_gen *g, uint32_t base, uint8_t path, uint32_t mi, LLVMValueRef addr,
                     LLVMValueRef off, uint32_t bytes, uint32_t dst)
{
    LLVMValueRef p = nl_vbytes(g, path, mi, addr, off, bytes);
    nl_vgen v = nl_vgen_of(g);
    if (nl_simd_load(&v, base, p, dst)) return;
    LLVMValueRef args[] = {nl_c32(g, base), p, g->vbuf};
    LLVMBuildCall2(g->B, g->t_vload, g->h_vload, args, 3, "");
    nl_pair_in(g, 0, dst, true);
}

/* v128.store: the vector in slots src, src + 1 as <2 x i64>, stored as the
 * scalar stores are (nl_store). */
static void nl_vstore(nl_gen *g, uint8_t path, uint32_t mi, LLVMValueRef addr, LLVMValueRef off,
                      uint32_t src)
{
    LLVMTypeRef vt = LLVMVectorType(g->i64, 2);
    LLVMValueRef v =
        LLVMBuildInsertElement(g->B, LLVMGetUndef(vt), nl_rd64(g, src), nl_c32(g, 0), "");
    v = LLVMBuildInsertElement(g->B, v, nl_rd64(g, src + 1), nl_c32(g, 1), "");
    nl_store(g, W_OP_V128_STORE, path, mi, addr, off, 16, v);
}

/* load_lane / store_lane: the lane is `bytes` bytes at lane * bytes. */
static void nl_lane(nl_gen *g, const nl_opinfo *o, const uint32_t *ip)
{
    bool load = o->kind == K_LOAD_LANE;
    /* A load's memory words follow its source vector's slot (ip[3]). */
    uint32_t k = load ? 4 : 3;
    LLVMValueRef addr, off;
    uint32_t mi = nl_mem_args(g, ip, k, o->layout0, false, &addr, &off);
    uint32_t lane = ip[k + (o->layout0 ? 1 : 3)];
    nl_vgen v = nl_vgen_of(g);
    if (load) {
        LLVMValueRef p = nl_vbytes(g, o->path, mi, addr, off, o->bytes);
        nl_simd_load_lane(&v, o->bytes, lane, p, ip[2], ip[3]);
    } else {
        LLVMValueRef x = nl_simd_lane(&v, o->bytes, lane, ip[2]);
        nl_store(g, nl_store_op(o->bytes), o->path, mi, addr, off, o->bytes, x);
    }
}

/* ---- one function -------------------------------------------------------------------- */

/* First pass: block leaders, memories used, anything unsupported. */
static bool nl_scan(nl_gen *g, bool *leader)
{
    const uint32_t *code = g->fc->code;
    uint32_t n = g->fc->ncode;
    leader[0] = true;
    for (uint32_t pc = 0; pc < n;) {
        int op = nl_op_of(code[pc]);
        if (op < 0) {
            g->unsupported = "unknown handler word";
            return false;
        }
        const nl_opinfo *o = &nl_ops[op];
        uint32_t len = o->len;
        if (op == W_OP_BR_TABLE) len = 4 + code[pc + 2];
        if (len == 0 || pc + len > n) {
            g->unsupported = "malformed code";
            return false;
        }
        switch (o->kind) {
        case K_LOAD_LANE: g->mems[o->layout0 ? 0 : code[pc + 4]].used = true; break;
        case K_STORE_LANE:
        case K_LOAD:
        case K_STORE: g->mems[o->layout0 ? 0 : code[pc + 3]].used = true; break;
        case K_LOADA:
        case K_STOREA:
        case K_FLD: g->mems[0].used = true; break;
        case K_BR:
        case K_BRI:
        case K_LOOP:
        case K_LOOPI: {
            uint32_t t = pc + code[pc + 3];
            if (t >= n) goto bad;
            leader[t] = true;
            break;
        }
        default: break;
        }
        switch (op) {
        case W_OP_BR:
        case W_OP_BR_LOOP:
        case W_OP_BR_IF:
        case W_OP_BR_UNLESS: {
            uint32_t t = pc + code[pc + len - 1];
            if (t >= n) goto bad;
            leader[t] = true;
            break;
        }
        case W_OP_BR_TABLE:
            for (uint32_t k = 0; k <= code[pc + 2]; k++) {
                uint32_t t = pc + code[pc + 3 + k];
                if (t >= n) goto bad;
                leader[t] = true;
            }
            break;
        case W_OP_MEMORY_SIZE:
        case W_OP_MEMORY_GROW:
        case W_OP_MEMORY_FILL: g->mems[code[pc + 1]].used = true; break;
        case W_OP_MEMORY_COPY:
            g->mems[code[pc + 1]].used = true;
            g->mems[code[pc + 2]].used = true;
            break;
        case W_OP_MEMORY_INIT: g->mems[code[pc + 1]].used = true; break;
        default: break;
        }
        pc += len;
        if (pc < n) {
            switch (op) {
            case W_OP_BR:
            case W_OP_BR_LOOP:
            case W_OP_BR_IF:
            case W_OP_BR_UNLESS:
            case W_OP_BR_TABLE:
            case W_OP_RETURN:
            case W_OP_UNREACHABLE: leader[pc] = true; break;
            default:
                if (o->kind == K_BR || o->kind == K_BRI || o->kind == K_LOOP || o->kind == K_LOOPI)
                    leader[pc] = true;
                break;
            }
        }
    }
    return true;
bad:
    g->unsupported = "branch out of the function";
    return false;
}

/* Which functions may change a memory's span (or its tags) when called:
 * those that grow a memory, run a bulk or Cage instruction, call outside
 * the module or indirectly, or call such a function. (A store's slow path
 * changes nothing the fast paths keep: nl_addr_ways.) After a direct call
 * of any other, the caller keeps its spans in registers (no reload). */
static void nl_moves(nl_gen *g, const bool *ok)
{
    uint32_t nf = g->cs->nfuncs, nimp = g->m->nimported_funcs;
    for (uint32_t i = 0; i < nf; i++) {
        const w_fcode *fc = &g->cs->funcs[i];
        if (!ok[i]) {
            g->moves[i] = true;
            continue;
        }
        for (uint32_t pc = 0; pc < fc->ncode && !g->moves[i];) {
            int op = nl_op_of(fc->code[pc]);
            if (op < 0) {
                g->moves[i] = true;
                break;
            }
            const nl_opinfo *o = &nl_ops[op];
            uint32_t len = op == W_OP_BR_TABLE ? 4 + fc->code[pc + 2] : o->len;
            switch (op) {
            case W_OP_MEMORY_GROW:
            case W_OP_MEMORY_FILL:
            case W_OP_MEMORY_COPY:
            case W_OP_MEMORY_INIT:
            case W_OP_SEGMENT_NEW:
            case W_OP_SEGMENT_SET_TAG:
            case W_OP_SEGMENT_FREE:
            case W_OP_CALL_INDIRECT: g->moves[i] = true; break;
            case W_OP_CALL:
                if (fc->code[pc + 1] < nimp) g->moves[i] = true;
                break;
            default: break;
            }
            pc += len;
        }
    }
    /* Through direct calls, to a fixpoint. */
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t i = 0; i < nf; i++) {
            const w_fcode *fc = &g->cs->funcs[i];
            for (uint32_t pc = 0; pc < fc->ncode && !g->moves[i];) {
                int op = nl_op_of(fc->code[pc]);
                if (op < 0) break;
                uint32_t len = op == W_OP_BR_TABLE ? 4 + fc->code[pc + 2] : nl_ops[op].len;
                if (op == W_OP_CALL && fc->code[pc + 1] >= nimp &&
                    g->moves[fc->code[pc + 1] - nimp]) {
                    g->moves[i] = true;
                    changed = true;
                }
                pc += len;
            }
        }
    }
}

/* Jumps to the block at code word t. */
/* The block of code word t: in a fast copy, its own block where t lies in
 * the loop, else the function's. */
static LLVMBasicBlockRef nl_target(nl_gen *g, uint32_t t)
{
    if (g->fl && t >= g->fl->head && t < g->fl->end) return g->fpc[t].fbb;
    return g->bb[t];
}

static void nl_goto(nl_gen *g, uint32_t t)
{
    LLVMBuildBr(g->B, nl_target(g, t));
}

/* ---- fast copies of inner loops ----------------------------------------------------------
 * docs/native.md, "Fast loops". An inner loop without calls, memory
 * growth, bulk, SIMD or Cage instructions, whose accesses are of memory 0
 * (32 bits), gets a second copy of its code that LLVM can vectorise, all
 * three exact:
 *   P  an access checks a shadow of its address against the span of
 *      stores and then loads or stores plainly; a failing check goes on
 *      in the loop's ordinary code at that instruction (all state is in
 *      the slots), which does the access exactly and runs the loop to its
 *      end. A shadow is an i64 congruent to the i32 address mod 2^32 and
 *      never negative, built from the slots' own shadows without wrapping
 *      (nl_fast_shadow); an induction slot (s = s + c, c a positive
 *      constant) has one carried in an alloca, zext(s) where the loop is
 *      entered. A passing check (shadow < umin(usub.sat(limit, size - 1),
 *      2^33)) means shadow + size <= limit <= 2^32, so no i32 operation of
 *      the address wrapped and the address is the shadow: SCEV counts such
 *      a check (docs/native-vectorise/13).
 *   N  the back edge counts down a budget (1 while fuel is on, so fuel is
 *      charged at each back edge exactly; NL_FAST_BUDGET otherwise) and
 *      checks the limits, as the ordinary code does at every back edge,
 *      only when it runs out, in a block that every entry of the loop
 *      passes (`outer`, with an empty volatile asm LLVM cannot thread
 *      away), so the loop stays a loop of its own (docs/native-vectorise/
 *      11, 14).
 *   F  float addition, subtraction, multiplication and division are plain
 *      LLVM operations, which LLVM folds only with a constant operand (x *
 *      1.0 to x passes a signalling NaN through); so no float value in
 *      the copy can be a constant LLVM sees: the slots read by float
 *      operations or moved, as the loop is entered, constants whose bits
 *      are +-0, +-1 or a NaN as f32 or f64, float immediates and floats
 *      made from integers go through an empty asm (nl_opaque, hoisted). */

#define NL_FAST_BUDGET 4096u
#define NL_FAST_MAX_WORDS 4096u /* longer loops keep their ordinary code only */

/* v unchanged, through an empty asm LLVM cannot see through (no side
 * effects, no memory: hoisted, never folded). */
static LLVMValueRef nl_opaque(nl_gen *g, LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    bool fp = t == g->f32 || t == g->f64;
    LLVMTypeRef ft = LLVMFunctionType(t, &t, 1, 0);
    LLVMValueRef a = LLVMGetInlineAsm(ft, "", 0, fp ? "=x,0" : "=r,0", 4, false, false,
                                      LLVMInlineAsmDialectATT, false);
    LLVMValueRef c = LLVMBuildCall2(g->B, ft, a, &v, 1, "");
    LLVMAddCallSiteAttribute(
        c, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(g->C, LLVMGetEnumAttributeKindForName("memory", 6), 0));
    LLVMAddCallSiteAttribute(
        c, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(g->C, LLVMGetEnumAttributeKindForName("nounwind", 8), 0));
    return c;
}

/* The fast copy's budget of back edges: 1 while fuel is on, so that each
 * back edge is charged as in the ordinary code. */
static void nl_fast_budget(nl_gen *g)
{
    LLVMValueRef on = nl_ld(g, g->i8, g->ex, offsetof(w_exec, fuel_on));
    LLVMValueRef fuel = LLVMBuildICmp(g->B, LLVMIntNE, on, LLVMConstInt(g->i8, 0, 0), "");
    LLVMBuildStore(g->B, LLVMBuildSelect(g->B, fuel, nl_c32(g, 1), nl_c32(g, NL_FAST_BUDGET), ""),
                   g->budget);
    LLVMBuildStore(g->B, LLVMConstInt(g->i1, 0, 0), g->again);
}

/* A back edge to t, taken: the limits, then t; in a fast copy, its own
 * back edge counts down the budget and checks the limits at `outer` when
 * it runs out. */
static void nl_back_edge(nl_gen *g, uint32_t t)
{
    if (!g->fl || t != g->fl->head) {
        nl_limits(g);
        nl_goto(g, t);
        return;
    }
    LLVMValueRef b =
        LLVMBuildSub(g->B, LLVMBuildLoad2(g->B, g->i32, g->budget, ""), nl_c32(g, 1), "");
    LLVMBuildStore(g->B, b, g->budget);
    LLVMBasicBlockRef due = nl_block(g, "due");
    nl_expect(g,
              LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, b, nl_c32(g, 0), ""),
                              g->fpc[t].fbb, due),
              true);
    LLVMPositionBuilderAtEnd(g->B, due);
    LLVMBuildStore(g->B, LLVMConstInt(g->i1, 1, 0), g->again);
    LLVMBuildBr(g->B, g->fl->outer);
}

/* Generates one instruction at g->pc. Returns false if it ended the block
 * (a branch, return or trap) so that nothing falls through. */
static bool nl_instr(nl_gen *g, uint32_t op, const uint32_t *ip)
{
    const nl_opinfo *o = &nl_ops[op];
    uint32_t pc = g->pc;
    switch (o->kind) {
    case K_NUM: {
        const char *sig = o->sig;
        bool bin = sig[2] == '_';
        LLVMValueRef a = nl_rd_typed(g, sig[0], ip[1]);
        LLVMValueRef b = bin ? nl_rd_typed(g, sig[1], ip[2]) : NULL;
        LLVMValueRef r = nl_num(g, op, a, b);
        /* A float made from integer bits may be a constant LLVM folds with
         * (nl_fast_loop, "F"). */
        if (g->fl && (sig[bin ? 3 : 2] == 'F' || sig[bin ? 3 : 2] == 'D') && sig[0] != 'F' &&
            sig[0] != 'D')
            r = nl_opaque(g, r);
        nl_wr(g, ip[bin ? 3 : 2], r);
        return true;
    }
    case K_BINI: {
        char t = o->sig[0];
        LLVMValueRef a = nl_rd_typed(g, t, ip[1]), b;
        if (t == 'I')
            b = nl_c32(g, ip[3]);
        else if (t == 'L')
            b = nl_c64(g, nl_imm64(ip + 3));
        else
            b = LLVMBuildBitCast(g->B, nl_c64(g, nl_imm64(ip + 3)), g->f64, "");
        if (g->fl && t != 'I' && t != 'L') b = g->fpc[pc].fconst; /* nl_fast_loop, "F" */
        nl_wr(g, ip[2], nl_num(g, o->base, a, b));
        return true;
    }
    case K_BR:
    case K_BRI:
    case K_LOOP:
    case K_LOOPI: {
        LLVMValueRef a = nl_rd32(g, ip[1]);
        LLVMValueRef b =
            (o->kind == K_BRI || o->kind == K_LOOPI) ? nl_c32(g, ip[2]) : nl_rd32(g, ip[2]);
        LLVMValueRef c = LLVMBuildTrunc(g->B, nl_num(g, o->base, a, b), g->i1, "");
        uint32_t t = pc + ip[3];
        if (o->kind == K_BR || o->kind == K_BRI) {
            LLVMBuildCondBr(g->B, c, nl_target(g, t), nl_target(g, pc + 4));
        } else {
            LLVMBasicBlockRef taken = nl_block(g, "back");
            LLVMBuildCondBr(g->B, c, taken, nl_target(g, pc + 4));
            LLVMPositionBuilderAtEnd(g->B, taken);
            nl_back_edge(g, t);
        }
        return false;
    }
    case K_SIMD: nl_simd(g, op, ip); return true;
    case K_LOAD_LANE:
    case K_STORE_LANE: nl_lane(g, o, ip); return true;
    case K_LOAD:
    case K_LOADA:
    case K_FLD: {
        /* FLD's words are LOADA's one further on (ip[1] is its f64 operand). */
        bool fld = o->kind == K_FLD;
        LLVMValueRef addr, off;
        uint32_t mi =
            nl_mem_args(g, fld ? ip + 1 : ip, 3, o->layout0, o->kind != K_LOAD, &addr, &off);
        if (fld) {
            LLVMValueRef v = nl_load_value(g, W_OP_F64_LOAD, o->path, 0, addr, off, 8);
            v = LLVMBuildBitCast(g->B, v, g->f64, "");
            nl_wr(g, ip[3], nl_num(g, o->base, nl_rdf64(g, ip[1]), v));
            return true;
        }
        if (o->base >= W_OP_V128_LOAD && o->base <= W_OP_V128_STORE)
            nl_vload(g, o->base, o->path, mi, addr, off, o->bytes, ip[2]);
        else
            nl_load(g, o->base, o->path, mi, addr, off, o->bytes, ip[2]);
        return true;
    }
    case K_STORE:
    case K_STOREA: {
        LLVMValueRef addr, off;
        uint32_t mi = nl_mem_args(g, ip, 3, o->layout0, o->kind == K_STOREA, &addr, &off);
        if (o->base == W_OP_V128_STORE)
            nl_vstore(g, o->path, mi, addr, off, ip[2]);
        else
            nl_store(g, o->base, o->path, mi, addr, off, o->bytes, nl_rd64(g, ip[2]));
        return true;
    }
    default: break;
    }

    switch ((w_op)op) {
    case W_OP_UNREACHABLE: nl_raise(g, W_TRAP_UNREACHABLE); return false;
    case W_OP_BR: nl_goto(g, pc + ip[1]); return false;
    case W_OP_BR_LOOP: nl_back_edge(g, pc + ip[1]); return false;
    case W_OP_BR_IF:
    case W_OP_BR_UNLESS: {
        LLVMValueRef c = LLVMBuildICmp(g->B, op == W_OP_BR_IF ? LLVMIntNE : LLVMIntEQ,
                                       nl_rd32(g, ip[1]), nl_c32(g, 0), "");
        LLVMBuildCondBr(g->B, c, nl_target(g, pc + ip[2]), nl_target(g, pc + 3));
        return false;
    }
    case W_OP_BR_TABLE: {
        uint32_t n = ip[2];
        LLVMValueRef sw = LLVMBuildSwitch(g->B, nl_rd32(g, ip[1]), nl_target(g, pc + ip[3 + n]), n);
        for (uint32_t k = 0; k < n; k++)
            LLVMAddCase(sw, nl_c32(g, k), nl_target(g, pc + ip[3 + k]));
        return false;
    }
    case W_OP_RETURN:
        if (g->ret1) {
            LLVMValueRef r = LLVMGetUndef(LLVMGetReturnType(LLVMGlobalGetValueType(g->fn)));
            r = LLVMBuildInsertValue(g->B, r, nl_c32(g, W_TRAP_OK), 0, "");
            LLVMBuildRet(g->B, LLVMBuildInsertValue(g->B, r, nl_rd64(g, 0), 1, ""));
            return false;
        }
        for (uint32_t i = 0; i < g->fc->result_slots; i++)
            nl_st(g, nl_rd64(g, i), g->res, i * 8);
        LLVMBuildRet(g->B, nl_c32(g, W_TRAP_OK));
        return false;
    case W_OP_CALL: nl_call(g, ip); return true;
    case W_OP_CALL_INDIRECT: nl_call_indirect(g, ip); return true;
    case W_OP_SELECT:
    case W_OP_SELECT_V128: {
        LLVMValueRef c = LLVMBuildICmp(g->B, LLVMIntNE, nl_rd32(g, ip[3]), nl_c32(g, 0), "");
        uint32_t n = op == W_OP_SELECT ? 1 : 2;
        LLVMValueRef v[2];
        for (uint32_t k = 0; k < n; k++)
            v[k] = LLVMBuildSelect(g->B, c, nl_rd64(g, ip[1] + k), nl_rd64(g, ip[2] + k), "");
        for (uint32_t k = 0; k < n; k++)
            nl_wr64(g, ip[4] + k, v[k]);
        return true;
    }
    case W_OP_COPY: nl_wr64(g, ip[2], nl_rd64(g, ip[1])); return true;
    case W_OP_COPY_V128: {
        LLVMValueRef a = nl_rd64(g, ip[1]), b = nl_rd64(g, ip[1] + 1);
        nl_wr64(g, ip[2], a);
        nl_wr64(g, ip[2] + 1, b);
        return true;
    }
    case W_OP_CONST32: nl_wr64(g, ip[1], nl_c64(g, ip[2])); return true;
    case W_OP_CONST64: nl_wr64(g, ip[1], nl_c64(g, nl_imm64(ip + 2))); return true;
    case W_OP_CONST_V128:
        nl_wr64(g, ip[1], nl_c64(g, nl_imm64(ip + 2)));
        nl_wr64(g, ip[1] + 1, nl_c64(g, nl_imm64(ip + 4)));
        return true;
    case W_OP_REF_IS_NULL:
        nl_wr(g, ip[2], nl_icmp(g, LLVMIntEQ, nl_rd64(g, ip[1]), nl_c64(g, 0)));
        return true;
    case W_OP_REF_FUNC: {
        LLVMValueRef funcs = nl_ld(g, g->ptr, g->inst, offsetof(w_instance, funcs));
        nl_wr64(g, ip[2], LLVMBuildPtrToInt(g->B, nl_ptr_at(g, funcs, ip[1]), g->i64, ""));
        return true;
    }
    case W_OP_GLOBAL_GET:
    case W_OP_GLOBAL_GET_V128:
    case W_OP_GLOBAL_SET:
    case W_OP_GLOBAL_SET_V128: {
        LLVMValueRef gl =
            nl_ptr_at(g, nl_ld(g, g->ptr, g->inst, offsetof(w_instance, globals)), ip[1]);
        uint32_t n = (op == W_OP_GLOBAL_GET || op == W_OP_GLOBAL_SET) ? 1 : 2;
        bool get = op == W_OP_GLOBAL_GET || op == W_OP_GLOBAL_GET_V128;
        for (uint32_t k = 0; k < n; k++) {
            if (get)
                nl_wr64(g, ip[2] + k, nl_ld(g, g->i64, gl, offsetof(w_globalinst, val) + 8 * k));
            else
                nl_st(g, nl_rd64(g, ip[2] + k), gl, offsetof(w_globalinst, val) + 8 * k);
        }
        return true;
    }
    case W_OP_TABLE_SIZE: {
        LLVMValueRef t =
            nl_ptr_at(g, nl_ld(g, g->ptr, g->inst, offsetof(w_instance, tables)), ip[1]);
        nl_wr(g, ip[2], nl_ld(g, g->i32, t, offsetof(w_table, size)));
        return true;
    }
    case W_OP_MEMORY_SIZE: {
        LLVMValueRef m = nl_mem_ptr(g, ip[1]);
        nl_wr64(g, ip[2], nl_ld(g, g->i64, m, offsetof(w_memory, pages)));
        return true;
    }
    case W_OP_MEMORY_GROW: {
        LLVMValueRef args[] = {g->ex,  g->wfn, nl_c32(g, pc), nl_c32(g, ip[1]), nl_rd64(g, ip[2]),
                               g->vbuf};
        nl_check(g, LLVMBuildCall2(g->B, g->t_grow, g->h_grow, args, 6, ""));
        nl_wr64(g, ip[3], nl_ld(g, g->i64, g->vbuf, 0));
        nl_reload(g);
        return true;
    }
    default: break;
    }
    uint32_t in, out;
    if (nl_op_slots(op, &in, &out)) {
        nl_helper_op(g, op, ip, in, out);
        return true;
    }
    /* nl_scan rejected everything else. */
    nl_raise(g, W_TRAP_UNREACHABLE);
    return false;
}

/* ---- fast copies: finding the loops, generating them ----------------------------------- */

/* The length in words of op at code[pc]. */
static uint32_t nl_op_len(const uint32_t *code, uint32_t pc, uint32_t op)
{
    return op == W_OP_BR_TABLE ? 4 + code[pc + 2] : nl_ops[op].len;
}

/* Whether kind is a scalar or fused memory access (loads, stores, FLD). */
static bool nl_is_access(uint8_t kind)
{
    return kind == K_LOAD || kind == K_STORE || kind == K_LOADA || kind == K_STOREA ||
           kind == K_FLD;
}

/* The op of a handler word nl_scan has checked. */
static uint32_t nl_fast_op_of(uint32_t word)
{
    int op = nl_op_of(word);
    return op < 0 ? W_OP_UNREACHABLE : (uint32_t)op;
}

/* The target of the back edge at pc (op), or UINT32_MAX if it is none. */
static uint32_t nl_back_target(const uint32_t *code, uint32_t pc, int op)
{
    uint8_t k = nl_ops[op].kind;
    if (k == K_LOOP || k == K_LOOPI) return pc + code[pc + 3];
    if (op == W_OP_BR_LOOP) return pc + code[pc + 1];
    return UINT32_MAX;
}

/* Whether op at pc may be in the fast copy of the loop whose back edge is
 * at back: instructions nl_fast_instr has a fast form of or that change no
 * state the copy keeps (no call, growth, bulk, table, SIMD or Cage
 * instruction), and no branch but the back edge (a copy is one block:
 * nl_fast_find). *access: it is a memory access. */
static bool nl_fast_op(nl_gen *g, uint32_t op, const uint32_t *ip, uint32_t pc, uint32_t back,
                       bool *access)
{
    const nl_opinfo *o = &nl_ops[op];
    switch (o->kind) {
    case K_NUM:
    case K_BINI: return true;
    case K_LOOP:
    case K_LOOPI: return pc == back;
    default: break;
    }
    if (nl_is_access(o->kind)) {
        if (o->base >= W_OP_V128_LOAD && o->base <= W_OP_V128_STORE) return false;
        if (!o->layout0 && ip[3] != 0) return false;
        *access = true;
        return !nl_is64(g, 0);
    }
    switch (op) {
    case W_OP_BR_LOOP: return pc == back;
    case W_OP_SELECT:
    case W_OP_COPY:
    case W_OP_CONST32:
    case W_OP_CONST64:
    case W_OP_GLOBAL_GET:
    case W_OP_GLOBAL_SET:
    case W_OP_MEMORY_SIZE: return true;
    default: return false;
    }
}

/* Adds slot s to a list of at most cap; false if it is full. */
static bool nl_slot_add(uint32_t *list, uint32_t *n, uint32_t cap, uint32_t s)
{
    for (uint32_t i = 0; i < *n; i++)
        if (list[i] == s) return true;
    if (*n == cap) return false;
    list[(*n)++] = s;
    return true;
}

static bool nl_fast_dst(uint32_t op, const uint32_t *ip, uint32_t *dst);

/* The slots op (at ip) reads (the ops nl_fast_op lets in), at most 3 in
 * in; their number. */
static unsigned nl_fast_inputs(uint32_t op, const uint32_t *ip, uint32_t in[3])
{
    const nl_opinfo *o = &nl_ops[op];
    unsigned n = 0;
    switch (o->kind) {
    case K_NUM:
        in[n++] = ip[1];
        if (o->sig[2] == '_') in[n++] = ip[2];
        return n;
    case K_LOOP:
    case K_FLD:
    case K_STORE:
    case K_STOREA: in[n++] = ip[2]; /* fall through */
    case K_BINI:
    case K_LOOPI:
    case K_LOAD:
    case K_LOADA: in[n++] = ip[1]; return n;
    default: break;
    }
    switch (op) {
    case W_OP_SELECT: in[n++] = ip[3]; in[n++] = ip[2]; /* fall through */
    case W_OP_COPY: in[n++] = ip[1]; return n;
    case W_OP_GLOBAL_SET: in[n++] = ip[2]; return n;
    default: return 0;
    }
}

/* Marks the slots loop fl carries from one iteration to the next, those it
 * reads before it writes them (in code order, which its one block
 * follows), in g->fs[].carried; one pass over the loop. */
static void nl_fast_carried_of(nl_gen *g, const nl_floop *fl)
{
    const uint32_t *code = g->fc->code;
    for (uint32_t i = 0; i < g->nslots; i++)
        g->fs[i].seen = g->fs[i].carried = false;
    for (uint32_t pc = fl->head, dst; pc < fl->end;
         pc += nl_op_len(code, pc, nl_fast_op_of(code[pc]))) {
        uint32_t op = nl_fast_op_of(code[pc]), in[3];
        unsigned k = nl_fast_inputs(op, code + pc, in);
        for (unsigned i = 0; i < k; i++)
            if (!g->fs[in[i]].seen) g->fs[in[i]].seen = g->fs[in[i]].carried = true;
        if (nl_fast_dst(op, code + pc, &dst)) g->fs[dst].seen = true;
    }
}

/* The slots of loop fl's carried shadows (the slots it carries that it
 * writes with an add, shift or multiply by a constant or an add:
 * nl_fast_shadow; such a slot is a local, of type i32) and of its opaque
 * entry values (nl_floop), after nl_fast_carried_of. False if there are
 * too many, or if the loop carries anything else: a carried float (a sum,
 * a value loaded for the next iteration) keeps LLVM from vectorising a
 * loop with exits in the middle, and a copy it does not vectorise is
 * slower than the ordinary code (checks where guard pages need none). */
static bool nl_fast_slots(nl_gen *g, nl_floop *fl)
{
    const uint32_t *code = g->fc->code;
    for (uint32_t pc = fl->head; pc < fl->end;) {
        uint32_t op = nl_fast_op_of(code[pc]), dst;
        const nl_opinfo *o = &nl_ops[op];
        const uint32_t *ip = code + pc;
        bool ok = true;
        if (nl_fast_dst(op, ip, &dst) && g->fs[dst].carried &&
            ((o->kind == K_BINI && o->sig[0] == 'I' &&
              (o->base == W_OP_I32_ADD || o->base == W_OP_I32_SHL || o->base == W_OP_I32_MUL)) ||
             (o->kind == K_NUM && op == W_OP_I32_ADD)))
            ok = nl_slot_add(fl->iv, &fl->niv, NL_FAST_IVS, dst);
        if (o->kind == K_NUM) {
            bool bin = o->sig[2] == '_';
            if (o->sig[0] == 'F' || o->sig[0] == 'D')
                ok = ok && nl_slot_add(fl->opq, &fl->nop, NL_FAST_OPAQUE, ip[1]);
            if (bin && (o->sig[1] == 'F' || o->sig[1] == 'D'))
                ok = ok && nl_slot_add(fl->opq, &fl->nop, NL_FAST_OPAQUE, ip[2]);
        } else if (o->kind == K_BINI && o->sig[0] != 'I' && o->sig[0] != 'L') {
            ok = ok && nl_slot_add(fl->opq, &fl->nop, NL_FAST_OPAQUE, ip[1]);
        } else if (o->kind == K_FLD || op == W_OP_COPY) {
            ok = ok && nl_slot_add(fl->opq, &fl->nop, NL_FAST_OPAQUE, ip[1]);
        } else if (op == W_OP_SELECT) {
            ok = ok && nl_slot_add(fl->opq, &fl->nop, NL_FAST_OPAQUE, ip[1]) &&
                 nl_slot_add(fl->opq, &fl->nop, NL_FAST_OPAQUE, ip[2]);
        }
        if (!ok) return false;
        pc += nl_op_len(code, pc, op);
    }
    /* every other write of a carried slot is to an induction slot */
    for (uint32_t pc = fl->head, dst; pc < fl->end;
         pc += nl_op_len(code, pc, nl_fast_op_of(code[pc]))) {
        if (!nl_fast_dst(nl_fast_op_of(code[pc]), code + pc, &dst) || !g->fs[dst].carried) continue;
        uint32_t i = 0;
        while (i < fl->niv && fl->iv[i] != dst)
            i++;
        if (i == fl->niv) return false;
    }
    return true;
}

/* Finds the loops that get a fast copy (after nl_scan), marks their
 * accesses in reentry (where the fast copy leaves for the ordinary code,
 * which starts a block there), and makes their blocks and allocas (the
 * builder is in the entry block). */
static void nl_fast_find(nl_gen *g, const bool *leader, bool *reentry)
{
    const uint32_t *code = g->fc->code;
    uint32_t n = g->fc->ncode;
    g->nfloops = 0;
    if (!g->mems || g->m->nmems == 0 || !g->mems[0].used) return;
    for (uint32_t pc = 0; pc < n;) {
        uint32_t op = nl_fast_op_of(code[pc]);
        uint32_t len = nl_op_len(code, pc, op);
        uint32_t head = nl_back_target(code, pc, op);
        pc += len;
        if (head >= pc - len || pc - head > NL_FAST_MAX_WORDS) continue;
        nl_floop fl = {.head = head, .end = pc, .back = pc - len};
        /* Only loops LLVM can vectorise get a copy: one block (no branch
         * inside), float arithmetic, nothing carried but induction slots
         * (nl_fast_slots); a copy it does not vectorise costs more than it
         * gives. */
        bool ok = true, access = false, fp = false;
        for (uint32_t q = head; q < fl.end && ok; q += nl_op_len(code, q, nl_fast_op_of(code[q]))) {
            uint32_t oq = nl_fast_op_of(code[q]);
            ok = nl_fast_op(g, oq, code + q, q, fl.back, &access) && (q == head || !leader[q]);
            uint32_t b =
                nl_ops[oq].kind == K_FLD || nl_ops[oq].kind == K_BINI ? nl_ops[oq].base : oq;
            fp = fp || (b >= W_OP_F32_ADD && b <= W_OP_F32_DIV) ||
                 (b >= W_OP_F64_ADD && b <= W_OP_F64_DIV);
        }
        if (!ok || !access || !fp) continue;
        nl_fast_carried_of(g, &fl);
        if (!nl_fast_slots(g, &fl)) continue;
        nl_floop *a = realloc(g->floops, (g->nfloops + 1) * sizeof *a);
        if (!a) break; /* (the loops found so far get their copies) */
        g->floops = a;
        g->floops[g->nfloops++] = fl;
    }
    if (!g->nfloops) return;
    g->budget = LLVMBuildAlloca(g->B, g->i32, "budget");
    g->again = LLVMBuildAlloca(g->B, g->i1, "again");
    for (uint32_t i = 0; i < g->nfloops; i++) {
        nl_floop *fl = &g->floops[i];
        fl->pre = nl_block(g, "pre");
        fl->outer = nl_block(g, "outer");
        g->fpc[fl->head].pre = fl->pre;
        for (uint32_t k = 0; k < fl->niv; k++)
            if (!g->fs[fl->iv[k]].iv) g->fs[fl->iv[k]].iv = LLVMBuildAlloca(g->B, g->i64, "iv");
        for (uint32_t q = fl->head; q < fl->end; q += nl_op_len(code, q, nl_fast_op_of(code[q])))
            if (nl_is_access(nl_ops[nl_fast_op_of(code[q])].kind) || q == fl->back)
                reentry[q] = true;
    }
}

#define NL_NO_BASE UINT32_MAX

/* The shadow of slot s's i32 value (nl_fast_loop, "P"), its bound (*bits:
 * below 2^*bits) and its parts (*base, *rest: shadow = zext(base) +
 * rest; base NL_NO_BASE: rest is the shadow). A slot the loop does not
 * write is its own base: accesses from one base get a base pointer of
 * their own (nl_fast_basep). While planning, NULL for a slot the block
 * makes. */
static LLVMValueRef nl_sh_parts(nl_gen *g, uint32_t s, uint8_t *bits, uint32_t *base,
                                LLVMValueRef *rest)
{
    if (g->planning && g->fs[s].dirty) return NULL; /* made by the block: not known at its start */
    if (!g->fs[s].sh) {
        g->fs[s].sh = LLVMBuildZExt(g->B, nl_rd32(g, s), g->i64, "");
        g->fs[s].bits = 32;
        bool inv = !g->fs[s].written && !g->fs[s].ivcur;
        g->fs[s].base = inv ? s : NL_NO_BASE;
        g->fs[s].rest = inv ? nl_c64(g, 0) : g->fs[s].sh;
    }
    *bits = g->fs[s].bits;
    *base = g->fs[s].base;
    *rest = g->fs[s].rest;
    return g->fs[s].sh;
}

static LLVMValueRef nl_sh_of(nl_gen *g, uint32_t s, uint8_t *bits)
{
    uint32_t base;
    LLVMValueRef rest;
    return nl_sh_parts(g, s, bits, &base, &rest);
}

/* i64 instruction i, which wraps neither way (its operands and result are
 * below 2^62): flagged so, for SCEV. */
static LLVMValueRef nl_nw(LLVMValueRef i)
{
    if (LLVMIsAInstruction(i)) {
        LLVMSetNUW(i, 1);
        LLVMSetNSW(i, 1);
    }
    return i;
}

/* a + b for shadows (bounds ba, bb), or NULL if it might reach 2^62 (or
 * either is NULL). */
static LLVMValueRef nl_sh_add(nl_gen *g, LLVMValueRef a, uint8_t ba, LLVMValueRef b, uint8_t bb,
                              uint8_t *bits)
{
    *bits = (uint8_t)((ba > bb ? ba : bb) + 1);
    if (!a || !b || *bits > 62) return NULL;
    return nl_nw(LLVMBuildAdd(g->B, a, b, ""));
}

/* The shadow op (at ip) will give the slot it writes, from the state
 * before it, with its parts (nl_sh_parts); NULL: none but the value's
 * zero extension. */
static LLVMValueRef nl_fast_shadow(nl_gen *g, uint32_t op, const uint32_t *ip, uint8_t *bits,
                                   uint32_t *base, LLVMValueRef *rest)
{
    const nl_opinfo *o = &nl_ops[op];
    uint8_t ba, bb;
    uint32_t pa, pb;
    LLVMValueRef ra, rb;
    *base = NL_NO_BASE;
    if (o->kind == K_BINI && o->sig[0] == 'I') {
        uint32_t c = ip[3];
        LLVMValueRef a = NULL, r;
        if (o->base == W_OP_I32_ADD && c < 0x80000000u) {
            if (!(a = nl_sh_parts(g, ip[1], &ba, &pa, &ra))) return NULL;
            r = nl_sh_add(g, a, ba, nl_c64(g, c), 31, bits);
            if (r && pa != NL_NO_BASE)
                *base = pa, *rest = nl_nw(LLVMBuildAdd(g->B, ra, nl_c64(g, c), ""));
            else
                *rest = r;
            return r;
        }
        if (o->base == W_OP_I32_SHL) {
            if (!(a = nl_sh_of(g, ip[1], &ba))) return NULL;
            *bits = (uint8_t)(ba + (c & 31));
            r = *bits > 62 ? NULL : nl_nw(LLVMBuildShl(g->B, a, nl_c64(g, c & 31), ""));
            *rest = r;
            return r;
        }
        if (o->base == W_OP_I32_MUL && c < 65536) {
            if (!(a = nl_sh_of(g, ip[1], &ba))) return NULL;
            *bits = (uint8_t)(ba + 16);
            r = *bits > 62 ? NULL : nl_nw(LLVMBuildMul(g->B, a, nl_c64(g, c), ""));
            *rest = r;
            return r;
        }
        return NULL;
    }
    if (o->kind == K_NUM && op == W_OP_I32_ADD) {
        LLVMValueRef a = nl_sh_parts(g, ip[1], &ba, &pa, &ra);
        LLVMValueRef b = nl_sh_parts(g, ip[2], &bb, &pb, &rb);
        LLVMValueRef r = nl_sh_add(g, a, ba, b, bb, bits);
        *rest = r;
        if (r && pa != NL_NO_BASE)
            *base = pa, *rest = nl_nw(LLVMBuildAdd(g->B, ra, b, ""));
        else if (r && pb != NL_NO_BASE)
            *base = pb, *rest = nl_nw(LLVMBuildAdd(g->B, a, rb, ""));
        return r;
    }
    if (op == W_OP_COPY && g->fs[ip[1]].sh) return nl_sh_parts(g, ip[1], bits, base, rest);
    if (op == W_OP_CONST32) {
        *bits = 32;
        *rest = nl_c64(g, ip[2]);
        return *rest;
    }
    return NULL;
}

/* The slot op (at ip) writes, if it writes exactly one i64 slot. */
static bool nl_fast_dst(uint32_t op, const uint32_t *ip, uint32_t *dst)
{
    const nl_opinfo *o = &nl_ops[op];
    switch (o->kind) {
    case K_NUM: *dst = ip[o->sig[2] == '_' ? 3 : 2]; return true;
    case K_BINI: *dst = ip[2]; return true;
    case K_LOAD:
    case K_LOADA: *dst = ip[2]; return true;
    case K_FLD: *dst = ip[3]; return true;
    default: break;
    }
    switch (op) {
    case W_OP_SELECT: *dst = ip[4]; return true;
    case W_OP_COPY:
    case W_OP_GLOBAL_GET:
    case W_OP_MEMORY_SIZE: *dst = ip[2]; return true;
    case W_OP_CONST32:
    case W_OP_CONST64: *dst = ip[1]; return true;
    default: return false;
    }
}

/* Slot dst was written: its shadow is now sh (NULL: its zero extension,
 * made when read) with parts base and rest, and an induction slot's
 * alloca follows. */
static void nl_sh_set(nl_gen *g, uint32_t dst, LLVMValueRef sh, uint8_t bits, uint32_t base,
                      LLVMValueRef rest)
{
    g->fs[dst].sh = sh;
    g->fs[dst].bits = bits;
    g->fs[dst].base = sh ? base : NL_NO_BASE;
    g->fs[dst].rest = sh ? rest : NULL;
    if (!g->fs[dst].ivcur) return;
    if (!sh) sh = LLVMBuildZExt(g->B, nl_rd32(g, dst), g->i64, "");
    LLVMBuildStore(g->B, sh, g->fs[dst].ivcur);
}

/* Whether a constant's bits are, as f32 (32) or f64 (64), +-0, +-1 or a
 * NaN: the constant operands LLVM folds an operation with into one of its
 * operands (or its negation). */
static bool nl_fold_const(uint64_t v, bool is64)
{
    if (!is64) {
        uint32_t a = (uint32_t)v & 0x7fffffffu;
        return a == 0 || a == 0x3f800000u || a > 0x7f800000u;
    }
    uint64_t a = v & 0x7fffffffffffffffull;
    return a == 0 || a == 0x3ff0000000000000ull || a > 0x7ff0000000000000ull;
}

/* The shadow of the address of the access at ip (the effective address,
 * offset included) and the log2 of its size (*k); while planning, NULL if
 * the block makes the address. */
static LLVMValueRef nl_fast_ea(nl_gen *g, const nl_opinfo *o, const uint32_t *ip, unsigned *k,
                               uint32_t *base, LLVMValueRef *rest)
{
    bool fld = o->kind == K_FLD;
    bool fused = o->kind == K_LOADA || o->kind == K_STOREA || fld;
    const uint32_t *mp = fld ? ip + 1 : ip; /* as nl_mem_args reads them */
    uint8_t bits;
    LLVMValueRef r;
    LLVMValueRef sh = nl_sh_parts(g, mp[1], &bits, base, &r);
    uint64_t off = o->layout0 ? mp[3] : nl_imm64(mp + 4);
    if (o->layout0 && fused) off += mp[4]; /* below 2^33: no wrap of the shadow */
    uint32_t bytes = fld ? 8 : o->bytes;
    *k = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3;
    if (g->planning && (!sh || bits > 60)) return NULL;
    if (!sh || bits > 60) {
        LLVMValueRef a = nl_rd32(g, mp[1]);
        if (o->layout0 && fused) a = LLVMBuildAdd(g->B, a, nl_c32(g, mp[4]), "");
        sh = LLVMBuildZExt(g->B, a, g->i64, "");
        off = o->layout0 ? mp[3] : nl_imm64(mp + 4);
        *base = NL_NO_BASE;
        r = sh;
    }
    LLVMValueRef ea = nl_nw(LLVMBuildAdd(g->B, sh, nl_c64(g, off), ""));
    *rest = *base == NL_NO_BASE ? ea : nl_nw(LLVMBuildAdd(g->B, r, nl_c64(g, off), ""));
    return ea;
}

/* The base pointer of accesses whose shadow has base slot b (nl_sh_parts):
 * the span's base plus b's value, made once at the loop's entry and
 * passed through an empty asm, so that LLVM takes it for an object of its
 * own. Its loop access analysis then checks at run time whether two such
 * bases' accesses overlap (exactly as it does for two C arrays), while it
 * tells accesses from one base apart by their constant distance; with one
 * base (the memory) for all, it would check every pair, a pair like p[0]
 * and p[1] of a loop unrolled by two included, which always overlap. */
static LLVMValueRef nl_fast_basep(nl_gen *g, uint32_t b)
{
    if (g->fs[b].bptr) return g->fs[b].bptr;
    LLVMBasicBlockRef here = LLVMGetInsertBlock(g->B);
    LLVMPositionBuilderBefore(g->B, g->pre_at);
    LLVMValueRef off = LLVMBuildZExt(g->B, nl_rd32(g, b), g->i64, "");
    LLVMValueRef p = LLVMBuildInBoundsGEP2(g->B, g->i8, g->fbase, &off, 1, "");
    g->fs[b].bptr = nl_opaque(g, p);
    LLVMPositionBuilderAtEnd(g->B, here);
    return g->fs[b].bptr;
}

/* Plans the fast block starting at `start`: when the address of each of
 * its accesses is known at its start (from the slots' values there, not
 * from what the block computes), their checks are made there, one branch
 * each to the ordinary code at `start` (nothing of the block has run), and
 * the accesses then have no exit of their own: a loop whose exits are all
 * at its head carries no value out of the middle of an iteration, which
 * the vectoriser requires. Else each access checks for itself. */
static void nl_fast_plan(nl_gen *g, const nl_floop *fl, uint32_t start, const bool *leader)
{
    const uint32_t *code = g->fc->code;
    unsigned ks[64];
    g->plan_ok = false;
    g->plan_n = g->plan_i = 0;
    memcpy(g->fs_save, g->fs, g->nslots * sizeof *g->fs);
    for (uint32_t i = 0; i < g->nslots; i++)
        g->fs[i].dirty = false;
    g->planning = true;
    bool ok = true;
    for (uint32_t pc = start; ok && pc < fl->end && (pc == start || !leader[pc]);) {
        uint32_t op = nl_fast_op_of(code[pc]), dst;
        const nl_opinfo *o = &nl_ops[op];
        const uint32_t *ip = code + pc;
        if (nl_is_access(o->kind)) {
            if (g->plan_n == 64) break;
            LLVMValueRef ea = nl_fast_ea(g, o, ip, &ks[g->plan_n], &g->plan_base[g->plan_n],
                                         &g->plan_rest[g->plan_n]);
            ok = ea != NULL;
            g->plan_ea[g->plan_n++] = ea;
        }
        if (nl_fast_dst(op, ip, &dst)) {
            uint8_t bits = 32;
            uint32_t base = NL_NO_BASE;
            LLVMValueRef rest = NULL;
            LLVMValueRef sh = nl_fast_shadow(g, op, ip, &bits, &base, &rest);
            g->fs[dst].sh = sh;
            g->fs[dst].bits = bits;
            g->fs[dst].base = base;
            g->fs[dst].rest = rest;
            g->fs[dst].dirty = !sh;
        }
        pc += nl_op_len(code, pc, op);
    }
    g->planning = false;
    memcpy(g->fs, g->fs_save, g->nslots * sizeof *g->fs);
    if (!ok || g->plan_n == 0 || g->plan_n == 64) {
        g->plan_n = 0;
        return;
    }
    for (uint32_t i = 0; i < g->plan_n; i++) {
        LLVMBasicBlockRef go = nl_block(g, "in");
        LLVMValueRef c = LLVMBuildICmp(g->B, LLVMIntULT, g->plan_ea[i], g->flim[ks[i]], "");
        nl_expect(g, LLVMBuildCondBr(g->B, c, go, g->bb[start]), true);
        LLVMPositionBuilderAtEnd(g->B, go);
    }
    g->plan_ok = true;
}

/* A memory access in a fast copy: the shadow's check, then a plain load
 * or store from the span of stores; a failing check leaves for the
 * ordinary code at this instruction. */
static void nl_fast_access(nl_gen *g, const nl_opinfo *o, const uint32_t *ip)
{
    bool fld = o->kind == K_FLD, load = o->kind != K_STORE && o->kind != K_STOREA;
    LLVMValueRef ea, rest;
    uint32_t base;
    if (g->plan_ok) {
        /* checked at the block's start */
        base = g->plan_base[g->plan_i];
        rest = g->plan_rest[g->plan_i];
        ea = g->plan_ea[g->plan_i++];
    } else {
        unsigned k;
        ea = nl_fast_ea(g, o, ip, &k, &base, &rest);
        LLVMBasicBlockRef in = nl_block(g, "in");
        nl_expect(g,
                  LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntULT, ea, g->flim[k], ""), in,
                                  g->bb[g->pc]),
                  true);
        LLVMPositionBuilderAtEnd(g->B, in);
    }
    /* inside the span (checked): in bounds */
    LLVMValueRef p = base == NL_NO_BASE
                         ? LLVMBuildInBoundsGEP2(g->B, g->i8, g->fbase, &ea, 1, "")
                         : LLVMBuildInBoundsGEP2(g->B, g->i8, nl_fast_basep(g, base), &rest, 1, "");
    /* Floats are loaded and stored as floats: an access of another type at
     * the same place is a dependence LLVM's loop access analysis cannot
     * resolve (it would check at run time, and fail). */
    if (!load) {
        LLVMValueRef v = nl_store_value(g, o->base, nl_rd64(g, ip[2]));
        if (o->base == W_OP_F64_STORE) v = LLVMBuildBitCast(g->B, v, g->f64, "");
        if (o->base == W_OP_F32_STORE) v = LLVMBuildBitCast(g->B, v, g->f32, "");
        LLVMValueRef st = LLVMBuildStore(g->B, v, p);
        LLVMSetAlignment(st, 1);
        return;
    }
    uint32_t lop = fld ? W_OP_F64_LOAD : o->base, dst = fld ? ip[3] : ip[2];
    bool sx;
    LLVMTypeRef t = nl_load_type(g, lop, &sx);
    LLVMTypeRef ft = lop == W_OP_F64_LOAD ? g->f64 : lop == W_OP_F32_LOAD ? g->f32 : t;
    LLVMValueRef v = LLVMBuildLoad2(g->B, ft, p, "");
    LLVMSetAlignment(v, 1);
    if (ft != t) v = LLVMBuildBitCast(g->B, v, t, "");
    v = nl_load_ext(g, t, sx, lop, v);
    if (fld)
        nl_wr(g, dst,
              nl_num(g, o->base, nl_rdf64(g, ip[1]), LLVMBuildBitCast(g->B, v, g->f64, "")));
    else
        nl_wr64(g, dst, v);
    nl_sh_set(g, dst, NULL, 0, NL_NO_BASE, NULL);
}

/* The back edge of a fast copy when its compare is of a slot with a
 * shadow against a bound, counting up (ne, lt, le): made on the shadow,
 * where SCEV can count it. Within range (below 2^32, or 2^31 for a signed
 * compare) the shadow is the value, else the ordinary code takes over at
 * the back edge; `ne` goes on while shadow < bound (equal: the loop ends;
 * above: the ordinary code, which goes on exactly as Wasm says). False if
 * the compare is of another kind (nl_instr makes it). */
static bool nl_fast_latch(nl_gen *g, const nl_opinfo *o, const uint32_t *ip)
{
    uint32_t base = o->base;
    bool sgn = base == W_OP_I32_LT_S || base == W_OP_I32_LE_S;
    if (!g->fs[ip[1]].sh ||
        !(sgn || base == W_OP_I32_NE || base == W_OP_I32_LT_U || base == W_OP_I32_LE_U))
        return false;
    uint8_t bits;
    LLVMValueRef sh = nl_sh_of(g, ip[1], &bits), bound;
    if (o->kind == K_LOOPI)
        bound = nl_c64(g, sgn ? (uint64_t)(int64_t)(int32_t)ip[2] : ip[2]);
    else if (sgn)
        bound = LLVMBuildSExt(g->B, nl_rd32(g, ip[2]), g->i64, "");
    else
        bound = LLVMBuildZExt(g->B, nl_rd32(g, ip[2]), g->i64, "");
    LLVMBasicBlockRef go = nl_block(g, "");
    LLVMValueRef in =
        LLVMBuildICmp(g->B, LLVMIntULT, sh, nl_c64(g, sgn ? 1ull << 31 : 1ull << 32), "");
    nl_expect(g, LLVMBuildCondBr(g->B, in, go, g->bb[g->pc]), true);
    LLVMPositionBuilderAtEnd(g->B, go);
    LLVMIntPredicate p = base == W_OP_I32_LT_S   ? LLVMIntSLT
                         : base == W_OP_I32_LE_S ? LLVMIntSLE
                         : base == W_OP_I32_LE_U ? LLVMIntULE
                                                 : LLVMIntULT;
    LLVMBasicBlockRef taken = nl_block(g, "back"), other = nl_block(g, "");
    LLVMBasicBlockRef exit = nl_target(g, g->pc + 4);
    LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, p, sh, bound, ""), taken, other);
    LLVMPositionBuilderAtEnd(g->B, other);
    if (base == W_OP_I32_NE)
        LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, sh, bound, ""), exit, g->bb[g->pc]);
    else
        LLVMBuildBr(g->B, exit);
    LLVMPositionBuilderAtEnd(g->B, taken);
    nl_back_edge(g, g->fl->head);
    return true;
}

/* One instruction of a fast copy (nl_instr's contract). */
static bool nl_fast_instr(nl_gen *g, uint32_t op, const uint32_t *ip)
{
    const nl_opinfo *o = &nl_ops[op];
    switch (o->kind) {
    case K_LOAD:
    case K_LOADA:
    case K_FLD:
    case K_STORE:
    case K_STOREA: nl_fast_access(g, o, ip); return true;
    case K_LOOP:
    case K_LOOPI:
        if (g->pc == g->fl->back && nl_fast_latch(g, o, ip)) return false;
        break;
    default: break;
    }
    if ((op == W_OP_CONST32 || op == W_OP_CONST64) && g->fpc[g->pc].fconst) {
        nl_wr(g, ip[1], g->fpc[g->pc].fconst);
        /* the value is hidden from LLVM, its shadow need not be */
        LLVMValueRef c = op == W_OP_CONST32 ? nl_c64(g, ip[2]) : NULL;
        nl_sh_set(g, ip[1], c, 32, NL_NO_BASE, c);
        return true;
    }
    uint32_t dst, base = NL_NO_BASE;
    uint8_t bits = 0;
    LLVMValueRef rest = NULL;
    bool writes = nl_fast_dst(op, ip, &dst);
    LLVMValueRef sh = writes ? nl_fast_shadow(g, op, ip, &bits, &base, &rest) : NULL;
    bool live = nl_instr(g, op, ip);
    if (writes) nl_sh_set(g, dst, sh, bits, base, rest);
    return live;
}

/* At the start of each block of a fast copy: the carried shadows, loaded
 * and below 2^32 (else the loop goes on in its ordinary code, from this
 * block's start: nothing of the block has run), so that within the block
 * every shadow stays far below 2^62 (nl_sh_add) and its nuw operations
 * hold; a shadow below 2^32 is exactly its slot's value. */
static void nl_fast_carried(nl_gen *g, const nl_floop *fl, uint32_t pc)
{
    LLVMValueRef v[NL_FAST_IVS];
    for (uint32_t i = 0; i < fl->niv; i++) {
        /* a branch each: an exit SCEV can count (an `and` of them is not) */
        v[i] = LLVMBuildLoad2(g->B, g->i64, g->fs[fl->iv[i]].ivcur, "");
        LLVMValueRef c = LLVMBuildICmp(g->B, LLVMIntULT, v[i], nl_c64(g, 1ull << 32), "");
        LLVMBasicBlockRef go = nl_block(g, "");
        nl_expect(g, LLVMBuildCondBr(g->B, c, go, g->bb[pc]), true);
        LLVMPositionBuilderAtEnd(g->B, go);
    }
    /* Below 2^32 the shadow is the value (an i32 local's, zero-extended):
     * written back, so that the slot is no value LLVM must carry around
     * the loop beside its shadow (a masked one it cannot vectorise). */
    for (uint32_t i = 0; i < fl->niv; i++) {
        uint32_t s = fl->iv[i];
        g->fs[s].sh = g->fs[s].rest = v[i];
        g->fs[s].bits = 32;
        g->fs[s].base = NL_NO_BASE;
        nl_wr64(g, s, v[i]);
    }
}

/* Generates loop fl's fast copy, from its entry fl->pre (after the
 * function's ordinary code, whose entry into the loop goes to fl->pre). */
static void nl_fast_loop(nl_gen *g, nl_floop *fl, const bool *leader)
{
    const uint32_t *code = g->fc->code;
    for (uint32_t pc = fl->head; pc < fl->end; pc++)
        g->fpc[pc].fbb = leader[pc] ? nl_block(g, "fast") : NULL;
    LLVMPositionBuilderAtEnd(g->B, fl->pre);
    nl_mem *mm = &g->mems[0];
    g->fbase = LLVMBuildLoad2(g->B, g->ptr, mm->wr_base, "");
    LLVMValueRef wl = LLVMBuildLoad2(g->B, g->i64, mm->wr_lim, "");
    for (unsigned k = 0; k < 4; k++) {
        LLVMTypeRef t = g->i64;
        LLVMValueRef a[2] = {wl, nl_c64(g, (1u << k) - 1)};
        LLVMValueRef b[2] = {nl_intrinsic(g, "llvm.usub.sat", &t, 1, a, 2), nl_c64(g, 1ull << 33)};
        g->flim[k] = nl_intrinsic(g, "llvm.umin", &t, 1, b, 2);
    }
    /* (only values the loop reads before writing them: a temporary's value
     * here is its last iteration's, which this must not keep alive) */
    nl_fast_carried_of(g, fl);
    for (uint32_t i = 0; i < fl->nop; i++)
        if (g->fs[fl->opq[i]].carried) nl_wr64(g, fl->opq[i], nl_opaque(g, nl_rd64(g, fl->opq[i])));
    /* The copy's float immediates and foldable constants, opaque once here
     * (an asm in the loop would stay there: LLVM does not hoist it); the
     * slots the loop writes. */
    for (uint32_t i = 0; i < g->nslots; i++)
        g->fs[i].bptr = NULL, g->fs[i].written = false;
    for (uint32_t pc = fl->head, dst; pc < fl->end;) {
        uint32_t op = nl_fast_op_of(code[pc]);
        const nl_opinfo *o = &nl_ops[op];
        const uint32_t *ip = code + pc;
        if (nl_fast_dst(op, ip, &dst)) g->fs[dst].written = true;
        g->fpc[pc].fconst = NULL;
        if (o->kind == K_BINI && o->sig[0] != 'I' && o->sig[0] != 'L')
            g->fpc[pc].fconst =
                nl_opaque(g, LLVMBuildBitCast(g->B, nl_c64(g, nl_imm64(ip + 3)), g->f64, ""));
        else if (op == W_OP_CONST32 && nl_fold_const(ip[2], false))
            g->fpc[pc].fconst = nl_opaque(g, nl_c32(g, ip[2]));
        else if (op == W_OP_CONST64 && nl_fold_const(nl_imm64(ip + 2), true))
            g->fpc[pc].fconst = nl_opaque(g, nl_c64(g, nl_imm64(ip + 2)));
        pc += nl_op_len(code, pc, op);
    }
    for (uint32_t i = 0; i < fl->niv; i++) {
        uint32_t s = fl->iv[i];
        g->fs[s].ivcur = g->fs[s].iv;
        LLVMBuildStore(g->B, LLVMBuildZExt(g->B, nl_rd32(g, s), g->i64, ""), g->fs[s].ivcur);
    }
    nl_fast_budget(g);
    g->pre_at = LLVMBuildBr(g->B, fl->outer);
    /* outer: every entry of the loop, the limits when the budget ran out */
    LLVMPositionBuilderAtEnd(g->B, fl->outer);
    LLVMTypeRef vt = LLVMFunctionType(LLVMVoidTypeInContext(g->C), NULL, 0, 0);
    LLVMBuildCall2(g->B, vt,
                   LLVMGetInlineAsm(vt, "", 0, "", 0, true, false, LLVMInlineAsmDialectATT, false),
                   NULL, 0, "");
    LLVMBasicBlockRef chk = nl_block(g, "check");
    nl_expect(
        g,
        LLVMBuildCondBr(g->B, LLVMBuildLoad2(g->B, g->i1, g->again, ""), chk, g->fpc[fl->head].fbb),
        false);
    LLVMPositionBuilderAtEnd(g->B, chk);
    g->pc = fl->back;
    nl_limits(g);
    nl_fast_budget(g);
    LLVMBuildBr(g->B, g->fpc[fl->head].fbb);
    /* the body */
    g->fl = fl;
    bool live = false;
    for (uint32_t pc = fl->head; pc < fl->end;) {
        uint32_t op = nl_fast_op_of(code[pc]);
        uint32_t len = nl_op_len(code, pc, op);
        if (g->fpc[pc].fbb) {
            if (live) LLVMBuildBr(g->B, g->fpc[pc].fbb);
            LLVMPositionBuilderAtEnd(g->B, g->fpc[pc].fbb);
            for (uint32_t i = 0; i < g->nslots; i++)
                g->fs[i].sh = NULL;
            live = true;
            nl_fast_carried(g, fl, pc);
            nl_fast_plan(g, fl, pc, leader);
        }
        if (live) {
            g->pc = pc;
            live = nl_fast_instr(g, (uint32_t)op, code + pc);
        }
        pc += len;
    }
    if (live) LLVMBuildBr(g->B, g->bb[fl->end]);
    g->plan_ok = false;
    for (uint32_t i = 0; i < fl->niv; i++)
        g->fs[fl->iv[i]].ivcur = NULL;
    g->fl = NULL;
}

static bool nl_scan_only(nl_gen *g, uint32_t i)
{
    g->fc = &g->cs->funcs[i];
    bool *leader = calloc(g->fc->ncode + 1, sizeof *leader);
    if (!leader) return false;
    g->unsupported = NULL;
    bool ok = nl_scan(g, leader);
    free(leader);
    return ok;
}

/* The largest frame (as estimated for the stack check) of a function
 * that may skip the check because it calls nothing. */
#define NL_LEAF_FRAME 4096u

/* Does fc call nothing (no call, call_indirect)? Helpers do not count:
 * none of them calls guest or host code. */
static bool nl_is_leaf(const w_fcode *fc)
{
    for (uint32_t pc = 0; pc < fc->ncode;) {
        int op = nl_op_of(fc->code[pc]);
        if (op < 0 || op == W_OP_CALL || op == W_OP_CALL_INDIRECT) return false;
        pc += op == W_OP_BR_TABLE ? 4 + fc->code[pc + 2] : nl_ops[op].len;
    }
    return true;
}

static void nl_function_free(nl_gen *g)
{
    free(g->bb), free(g->slots), free(g->fs), free(g->fs_save), free(g->fpc), free(g->floops);
    g->bb = NULL, g->slots = NULL, g->fs = g->fs_save = NULL, g->fpc = NULL;
    g->floops = NULL;
    g->nfloops = 0;
}

static bool nl_function(nl_gen *g, uint32_t i)
{
    const w_fcode *fc = g->fc = &g->cs->funcs[i];
    LLVMValueRef fn = g->fn = g->bodies[i];
    uint32_t n = fc->ncode;
    uint32_t nslots = fc->frame_slots;
    if (nslots < fc->param_slots + fc->local_slots) nslots = fc->param_slots + fc->local_slots;
    if (nslots < fc->result_slots) nslots = fc->result_slots;
    g->bb = calloc(n + 1, sizeof *g->bb);
    g->slots = calloc(nslots + 1, sizeof *g->slots);
    bool *leader = calloc(n + 1, sizeof *leader);
    bool *reentry = calloc(n + 1, sizeof *reentry);
    g->fs = calloc(nslots + 1, sizeof *g->fs);
    g->fs_save = calloc(nslots + 1, sizeof *g->fs_save);
    g->fpc = calloc(n + 1, sizeof *g->fpc);
    g->planning = g->plan_ok = false;
    g->floops = NULL;
    g->nfloops = 0;
    g->fl = NULL;
    if (!g->bb || !g->slots || !leader || !reentry || !g->fs || !g->fs_save || !g->fpc) {
        nl_function_free(g);
        free(leader), free(reentry);
        return false;
    }
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->C, fn, "entry");
    LLVMPositionBuilderAtEnd(g->B, entry);
    uint32_t nf = nl_fixed(fc->result_slots);
    g->ex = LLVMGetParam(fn, 0);
    g->wfn = LLVMGetParam(fn, 1);
    g->depth = LLVMGetParam(fn, 2);
    g->fp = LLVMGetParam(fn, 3);
    g->res = nf > NL_RES ? LLVMGetParam(fn, NL_RES) : NULL;
    g->ret1 = fc->result_slots == 1;
    for (uint32_t s = 0; s < nslots; s++)
        g->slots[s] = LLVMBuildAlloca(g->B, g->i64, "");
    LLVMTypeRef bufty = LLVMArrayType2(g->i64, nslots + 2);
    g->callbuf = LLVMBuildAlloca(g->B, bufty, "callbuf");
    g->tmp = LLVMBuildAlloca(g->B, LLVMArrayType2(g->i64, 2), "tmp");
    g->vbuf = LLVMBuildAlloca(g->B, LLVMArrayType2(g->i64, 16), "v");
    g->nslots = nslots;
    for (uint32_t k = 0; k < g->m->nmems; k++) {
        nl_mem *mm = &g->mems[k];
        mm->rd_base = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->wr_base = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->rd_lim = LLVMBuildAlloca(g->B, g->i64, "");
        mm->wr_lim = LLVMBuildAlloca(g->B, g->i64, "");
        mm->pg_rd = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->pg_wr = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->pages = LLVMBuildAlloca(g->B, g->i64, "");
        mm->pg_tg = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->tags = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->tbase = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->tsize = LLVMBuildAlloca(g->B, g->i64, "");
        mm->gbase = LLVMBuildAlloca(g->B, g->ptr, "");
        mm->notags =
            nl_tag_guarded(g, k, W_MEM_PATH_TAGGED) ? LLVMBuildAlloca(g->B, g->i1, "") : NULL;
    }
    g->pc = 0;
    /* The interpreter's view of this function, for frames and traps: its
     * instance and code, which never change (loads LLVM may merge). */
    g->inst = nl_ld_inv(g, g->ptr, g->wfn, offsetof(w_func, inst));
    g->codebase = nl_ld_inv(g, g->ptr, nl_ld_inv(g, g->ptr, g->wfn, offsetof(w_func, code)),
                            offsetof(w_fcode, code));
    /* The native stack: this frame must fit above the limit. A function
     * that calls nothing and has a small frame skips the check: the
     * limit keeps VM_STACK_RESERVE (64 KiB) free below its caller's
     * checked frame (or below nat_run), meant for host code, which such a
     * function never calls; its frame and the helpers it may call (traps,
     * memory slow paths, bulk operations: a few KiB) fit in it. */
    uint64_t need = 256 + (uint64_t)nslots * 16;
    if (!nl_is_leaf(fc) || need > NL_LEAF_FRAME) {
        /* Where this frame is: the address of a byte in it (unlike
         * llvm.frameaddress, this does not force a frame pointer). */
        LLVMValueRef mark = LLVMBuildAlloca(g->B, g->i8, "sp");
        LLVMValueRef sp = LLVMBuildPtrToInt(g->B, mark, g->i64, "");
        LLVMValueRef lim = nl_ld(g, g->i64, g->ex, offsetof(w_exec, nat_stack_lim));
        LLVMValueRef low =
            LLVMBuildICmp(g->B, LLVMIntULT, sp, LLVMBuildAdd(g->B, lim, nl_c64(g, need), ""), "");
        nl_trap_if(g, low, W_TRAP_STACK_EXHAUSTED);
    }
    for (uint32_t s = 0; s < fc->param_slots; s++)
        nl_wr64(g, s, LLVMGetParam(fn, nf + s));
    for (uint32_t s = 0; s < fc->local_slots; s++)
        nl_wr64(g, fc->param_slots + s, nl_c64(g, 0));
    for (uint32_t k = 0; k < g->m->nmems; k++)
        g->mems[k].used = false;
    bool ok = nl_scan(g, leader);
    if (ok) {
        if (nl_jit_fast()) nl_fast_find(g, leader, reentry);
        nl_reload(g);
        for (uint32_t pc = 0; pc < n; pc++)
            if (leader[pc] || reentry[pc]) g->bb[pc] = nl_block(g, "");
        /* A loop with a fast copy is entered there (nl_fast_loop). */
        LLVMBuildBr(g->B, g->fpc[0].pre ? g->fpc[0].pre : g->bb[0]);
        bool live = false;
        for (uint32_t pc = 0; pc < n;) {
            int op = nl_op_of(fc->code[pc]);
            if (g->bb[pc]) {
                if (live) LLVMBuildBr(g->B, g->fpc[pc].pre ? g->fpc[pc].pre : g->bb[pc]);
                LLVMPositionBuilderAtEnd(g->B, g->bb[pc]);
                live = true;
            }
            uint32_t len = op == W_OP_BR_TABLE ? 4 + fc->code[pc + 2] : nl_ops[op].len;
            if (live) {
                g->pc = pc;
                live = nl_instr(g, (uint32_t)op, fc->code + pc);
            }
            pc += len;
        }
        /* Internal code ends in RETURN; anything after is unreachable. */
        if (live) LLVMBuildUnreachable(g->B);
        for (uint32_t i = 0; i < g->nfloops; i++)
            nl_fast_loop(g, &g->floops[i], leader);
    }
    nl_function_free(g);
    free(leader), free(reentry);
    return ok;
}

/* Neither native code nor the helpers it calls unwind (traps are return
 * values), which spares LLVM unwind paths. */
static void nl_nounwind(nl_gen *g, LLVMValueRef f)
{
    unsigned k = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, k, 0));
}

/* The entry wrapper of body i: arguments from slots, results back there. */
static void nl_entry(nl_gen *g, uint32_t i, const char *name)
{
    const w_fcode *fc = &g->cs->funcs[i];
    LLVMTypeRef ps[] = {g->ptr, g->ptr, g->ptr};
    LLVMValueRef f = LLVMAddFunction(g->M, name, LLVMFunctionType(g->i32, ps, 3, 0));
    /* Not strictfp, so the body is never inlined here: inlined into a
     * strictfp function, a fast copy's plain float operations would be
     * made constrained (nl_fast_loop, "F"), and not vectorised. */
    nl_nounwind(g, f);
    LLVMPositionBuilderAtEnd(g->B, LLVMAppendBasicBlockInContext(g->C, f, "entry"));
    LLVMValueRef ex = LLVMGetParam(f, 0), inst = LLVMGetParam(f, 1), slots = LLVMGetParam(f, 2);
    uint32_t nf = nl_fixed(fc->result_slots);
    LLVMValueRef *args = calloc(fc->param_slots + nf, sizeof *args);
    LLVMValueRef funcs = nl_ld(g, g->ptr, inst, offsetof(w_instance, funcs));
    args[0] = ex;
    args[1] = nl_ptr_at(g, funcs, g->m->nimported_funcs + i);
    args[2] = nl_ld(g, g->i32, ex, offsetof(w_exec, nframes));
    args[3] = nl_ld(g, g->i64, ex, offsetof(w_exec, sp));
    if (nf > NL_RES) args[NL_RES] = slots;
    for (uint32_t s = 0; s < fc->param_slots; s++)
        args[nf + s] = nl_ld(g, g->i64, slots, s * 8);
    LLVMValueRef r =
        LLVMBuildCall2(g->B, g->body_types[i], g->bodies[i], args, fc->param_slots + nf, "");
    LLVMSetInstructionCallConv(r, LLVMFastCallConv);
    free(args);
    if (fc->result_slots == 1) {
        nl_st(g, LLVMBuildExtractValue(g->B, r, 1, ""), slots, 0);
        r = LLVMBuildExtractValue(g->B, r, 0, "");
    }
    LLVMBuildRet(g->B, r);
}

static LLVMValueRef nl_declare(nl_gen *g, const char *name, LLVMTypeRef *t, LLVMTypeRef ret,
                               LLVMTypeRef *ps, unsigned n, bool cold)
{
    *t = LLVMFunctionType(ret, ps, n, 0);
    LLVMValueRef f = LLVMAddFunction(g->M, name, *t);
    nl_nounwind(g, f);
    if (cold) {
        unsigned k = LLVMGetEnumAttributeKindForName("cold", 4);
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, k, 0));
    }
    return f;
}

int nl_gen_module(LLVMContextRef ctx, LLVMModuleRef mod, const w_module *m, const w_codeset *cs,
                  const char *prefix, bool *ok, w_err *err)
{
    nl_ops_init();
    nl_words_init();
    nl_gen G, *g = &G;
    memset(g, 0, sizeof G);
    g->C = ctx;
    g->M = mod;
    g->B = LLVMCreateBuilderInContext(ctx);
    g->m = m;
    g->cs = cs;
    g->i1 = LLVMInt1TypeInContext(ctx);
    g->i8 = LLVMInt8TypeInContext(ctx);
    g->i16 = LLVMInt16TypeInContext(ctx);
    g->i32 = LLVMInt32TypeInContext(ctx);
    g->i64 = LLVMInt64TypeInContext(ctx);
    g->f32 = LLVMFloatTypeInContext(ctx);
    g->f64 = LLVMDoubleTypeInContext(ctx);
    g->ptr = LLVMPointerTypeInContext(ctx, 0);
    g->md_invariant = LLVMGetMDKindIDInContext(ctx, "invariant.load", 14);
    LLVMTypeRef P = g->ptr, I32 = g->i32, I64 = g->i64;
    {
        LLVMTypeRef a[] = {P, P, I32, I32};
        g->h_trap = nl_declare(g, "nat_h_trap", &g->t_trap, I32, a, 4, true);
        g->h_interrupt = nl_declare(g, "nat_h_interrupt", &g->t_interrupt, I32, a, 3, true);
    }
    {
        LLVMTypeRef a[] = {P, P, I32, I64};
        g->h_fuel = nl_declare(g, "nat_h_fuel_bulk", &g->t_fuel, I32, a, 4, false);
    }
    {
        LLVMTypeRef a[] = {P, P, I32, I32, P, P, P, I32};
        g->h_call = nl_declare(g, "nat_h_call", &g->t_call, I32, a, 8, false);
    }
    {
        LLVMTypeRef a[] = {P, P, I32, I32, I32, I32, P};
        g->h_indirect = nl_declare(g, "nat_h_indirect", &g->t_indirect, I32, a, 7, false);
    }
    {
        LLVMTypeRef a[] = {P, P, I32, I32, I64, I64, I32, P};
        g->h_load = nl_declare(g, "nat_h_load", &g->t_load, I32, a, 8, false);
        g->h_store = nl_declare(g, "nat_h_store", &g->t_store, I32, a, 8, false);
        g->h_load_pa = nl_preserving(g, "nl_load_slow", g->t_load, g->h_load);
        g->h_store_pa = nl_preserving(g, "nl_store_slow", g->t_store, g->h_store);
    }
    {
        LLVMTypeRef a[] = {P, P, I32, I32, I64, P};
        g->h_grow = nl_declare(g, "nat_h_memory_grow", &g->t_grow, I32, a, 6, false);
    }
    {
        LLVMTypeRef a[] = {P, P, I32, I32, P};
        g->h_op = nl_declare(g, "nat_h_op", &g->t_op, I32, a, 5, false);
    }
    {
        LLVMTypeRef a[] = {I32, P, P};
        LLVMTypeRef v = LLVMVoidTypeInContext(ctx);
        g->h_simd = nl_declare(g, "nat_h_simd", &g->t_simd, v, a, 3, false);
        g->h_vload = nl_declare(g, "nat_h_vload", &g->t_vload, v, a, 3, false);
    }
    uint32_t nf = cs->nfuncs;
    g->bodies = calloc(nf + 1, sizeof *g->bodies);
    g->body_types = calloc(nf + 1, sizeof *g->body_types);
    g->mems = calloc(m->nmems + 1, sizeof *g->mems);
    LLVMValueRef *table = calloc(nf + 1, sizeof *table);
    if (!g->bodies || !g->body_types || !g->mems || !table) {
        w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory generating native code");
        free(g->bodies), free(g->body_types), free(g->mems), free(table);
        LLVMDisposeBuilder(g->B);
        return -1;
    }
    char name[96];
    for (uint32_t i = 0; i < nf; i++) {
        snprintf(name, sizeof name, "%s_b%u", prefix, i);
        g->body_types[i] = nl_body_type(g, cs->funcs[i].param_slots, cs->funcs[i].result_slots);
        g->bodies[i] = LLVMAddFunction(mod, name, g->body_types[i]);
        LLVMSetLinkage(g->bodies[i], LLVMInternalLinkage);
        LLVMSetFunctionCallConv(g->bodies[i], LLVMFastCallConv);
        nl_nounwind(g, g->bodies[i]);
        nl_strictfp(g, g->bodies[i]);
    }
    /* The bodies by defined index, for call_indirect; NULL where a
     * function stays in the interpreter (filled in below). */
    LLVMTypeRef tt = LLVMArrayType2(g->ptr, nf);
    snprintf(name, sizeof name, "%s_table", prefix);
    g->body_table = LLVMAddGlobal(mod, tt, name);
    LLVMSetLinkage(g->body_table, LLVMInternalLinkage);
    LLVMSetGlobalConstant(g->body_table, 1);
    int count = 0;
    /* Which functions can be generated decides which direct calls are
     * calls of bodies: scan them all first. */
    for (uint32_t i = 0; i < nf; i++) {
        ok[i] = nl_scan_only(g, i);
        if (!ok[i]) {
            LLVMDeleteFunction(g->bodies[i]);
            g->bodies[i] = NULL;
        }
    }
    g->moves = calloc(nf + 1, sizeof *g->moves);
    nl_moves(g, ok);
    for (uint32_t i = 0; i < nf; i++)
        if (ok[i]) ok[i] = nl_function(g, i);
    free(g->moves);
    for (uint32_t i = 0; i < nf; i++) {
        table[i] = ok[i] ? g->bodies[i] : LLVMConstPointerNull(g->ptr);
        if (ok[i]) {
            snprintf(name, sizeof name, "%s_e%u", prefix, i);
            nl_entry(g, i, name);
            count++;
        }
    }
    LLVMSetInitializer(g->body_table, LLVMConstArray2(g->ptr, table, nf));
    free(table);
    free(g->bodies), free(g->body_types), free(g->mems);
    LLVMDisposeBuilder(g->B);
    return count;
}
