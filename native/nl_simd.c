/* nl_simd.c - the v128 instructions as LLVM vector IR (nl.h).
 *
 * A v128 value lives in two consecutive i64 slots (exec/ir.h). Every
 * operation reads its operands as <2 x i64> (two slot loads and two
 * insertelements), bitcasts them to its lane shape, computes with LLVM's
 * vector instructions and intrinsics, and writes the result back as two
 * i64 slots. SROA turns the slots into registers and instcombine removes
 * the extract/insert pairs between operations, so a chain of lane
 * operations stays in vector registers.
 *
 * The semantics are simd.h's (the interpreter's), lane for lane:
 *  - integer lanes wrap; shift counts are taken modulo the lane width;
 *    saturating, min/max, abs are LLVM's intrinsics of the same meaning;
 *  - lane indexes (immediates, validated) are masked to the lane count, as
 *    simd.h does; swizzle's run-time indexes of 16 and above give 0;
 *  - float add, sub, mul, div, demote and promote are constrained
 *    intrinsics, as in nl_gen.c, so LLVM folds no identity that would pass
 *    a signalling NaN through; min and max follow Wasm's NaN and -0 rules
 *    (nl_vminmax); abs and neg only touch the sign bit;
 *  - float-to-int conversions saturate (llvm.fpto[su]i.sat: NaN gives 0).
 * Memory accesses are not here: nl_gen.c computes the address through its
 * access paths (nl_addr) and passes the host pointer of the bytes.
 */
#include "nl.h"

#include <string.h>

/* Lane shapes. */
typedef enum nl_lk { NL_I8, NL_I16, NL_I32, NL_I64, NL_F32, NL_F64 } nl_lk;

/* Operand layouts (simd.def's shapes). */
typedef enum nl_vsh {
    NL_SH_NONE,
    NL_SH_V_V,
    NL_SH_VV_V,
    NL_SH_VVV_V,
    NL_SH_V_I,
    NL_SH_VI_V,
    NL_SH_I_V,
    NL_SH_L_V,
    NL_SH_F_V,
    NL_SH_D_V,
    NL_SH_EXTRACT_I,
    NL_SH_EXTRACT_L,
    NL_SH_EXTRACT_F,
    NL_SH_EXTRACT_D,
    NL_SH_REPLACE_I,
    NL_SH_REPLACE_L,
    NL_SH_REPLACE_F,
    NL_SH_REPLACE_D,
    NL_SH_SHUFFLE
} nl_vsh;

typedef struct nl_vx {
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef B;
    LLVMValueRef *slots;
    LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, v128; /* v128: <2 x i64> */
} nl_vx;

static void nl_vx_init(nl_vx *x, const nl_vgen *v)
{
    x->C = v->C;
    x->M = v->M;
    x->B = v->B;
    x->slots = v->slots;
    x->i1 = LLVMInt1TypeInContext(x->C);
    x->i8 = LLVMInt8TypeInContext(x->C);
    x->i16 = LLVMInt16TypeInContext(x->C);
    x->i32 = LLVMInt32TypeInContext(x->C);
    x->i64 = LLVMInt64TypeInContext(x->C);
    x->f32 = LLVMFloatTypeInContext(x->C);
    x->f64 = LLVMDoubleTypeInContext(x->C);
    x->v128 = LLVMVectorType(x->i64, 2);
}

static unsigned nl_lanes(nl_lk k)
{
    static const unsigned n[] = {16, 8, 4, 2, 4, 2};
    return n[k];
}

static LLVMTypeRef nl_elem(nl_vx *x, nl_lk k)
{
    LLVMTypeRef t[] = {x->i8, x->i16, x->i32, x->i64, x->f32, x->f64};
    return t[k];
}

/* The vector type of shape k. */
static LLVMTypeRef nl_vty(nl_vx *x, nl_lk k)
{
    return LLVMVectorType(nl_elem(x, k), nl_lanes(k));
}

/* The integer shape of the same lane width (f32 -> i32, f64 -> i64). */
static nl_lk nl_int_lk(nl_lk k)
{
    return k == NL_F32 ? NL_I32 : k == NL_F64 ? NL_I64 : k;
}

/* The integer lane shape of an access of `bytes` bytes. */
static nl_lk nl_lk_bytes(uint32_t bytes)
{
    return bytes == 1 ? NL_I8 : bytes == 2 ? NL_I16 : bytes == 4 ? NL_I32 : NL_I64;
}

/* ---- slots and shapes ----------------------------------------------------------------- */

static LLVMValueRef nl_vrd(nl_vx *x, uint32_t s, nl_lk k)
{
    LLVMValueRef v = LLVMGetPoison(x->v128);
    for (uint32_t i = 0; i < 2; i++) {
        LLVMValueRef e = LLVMBuildLoad2(x->B, x->i64, x->slots[s + i], "");
        v = LLVMBuildInsertElement(x->B, v, e, LLVMConstInt(x->i32, i, 0), "");
    }
    return LLVMBuildBitCast(x->B, v, nl_vty(x, k), "");
}

static void nl_vwr(nl_vx *x, uint32_t s, LLVMValueRef v)
{
    v = LLVMBuildBitCast(x->B, v, x->v128, "");
    for (uint32_t i = 0; i < 2; i++) {
        LLVMValueRef e = LLVMBuildExtractElement(x->B, v, LLVMConstInt(x->i32, i, 0), "");
        LLVMBuildStore(x->B, e, x->slots[s + i]);
    }
}

/* A scalar slot as i32 or i64; a scalar written zero-extended (the slot
 * encoding). */
static LLVMValueRef nl_srd(nl_vx *x, uint32_t s, bool wide)
{
    LLVMValueRef v = LLVMBuildLoad2(x->B, x->i64, x->slots[s], "");
    return wide ? v : LLVMBuildTrunc(x->B, v, x->i32, "");
}

static void nl_swr(nl_vx *x, uint32_t s, LLVMValueRef v)
{
    if (LLVMTypeOf(v) != x->i64) v = LLVMBuildZExt(x->B, v, x->i64, "");
    LLVMBuildStore(x->B, v, x->slots[s]);
}

/* v (any 128-bit vector) seen as shape k. */
static LLVMValueRef nl_as(nl_vx *x, LLVMValueRef v, nl_lk k)
{
    return LLVMBuildBitCast(x->B, v, nl_vty(x, k), "");
}

/* The integer constant v of type t, truncated to its width. */
static LLVMValueRef nl_ci(LLVMTypeRef t, uint64_t v)
{
    unsigned w = LLVMGetIntTypeWidth(t);
    return LLVMConstInt(t, w < 64 ? v & (((uint64_t)1 << w) - 1) : v, 0);
}

/* A vector of shape k with every lane the constant (integer) v. */
static LLVMValueRef nl_csplat(nl_vx *x, nl_lk k, uint64_t v)
{
    LLVMValueRef e[16];
    for (unsigned i = 0; i < nl_lanes(k); i++)
        e[i] = nl_ci(nl_elem(x, k), v);
    return LLVMConstVector(e, nl_lanes(k));
}

/* A vector of n lanes, every one the scalar s. */
static LLVMValueRef nl_splat(nl_vx *x, LLVMValueRef s, unsigned n)
{
    LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(s), n);
    LLVMValueRef v = LLVMBuildInsertElement(x->B, LLVMGetPoison(vt), s, nl_ci(x->i32, 0), "");
    LLVMValueRef mask = LLVMConstNull(LLVMVectorType(x->i32, n));
    return LLVMBuildShuffleVector(x->B, v, LLVMGetPoison(vt), mask, "");
}

/* shufflevector a, b with lanes idx[0..n). */
static LLVMValueRef nl_shuf(nl_vx *x, LLVMValueRef a, LLVMValueRef b, const unsigned *idx,
                            unsigned n)
{
    LLVMValueRef m[32];
    for (unsigned i = 0; i < n; i++)
        m[i] = nl_ci(x->i32, idx[i]);
    return LLVMBuildShuffleVector(x->B, a, b, LLVMConstVector(m, n), "");
}

/* Lanes first, first+step, ... (n of them) of a. */
static LLVMValueRef nl_pick(nl_vx *x, LLVMValueRef a, unsigned first, unsigned step, unsigned n)
{
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < n; i++)
        idx[i] = first + i * step;
    return nl_shuf(x, a, LLVMGetPoison(LLVMTypeOf(a)), idx, n);
}

/* The concatenation of a and b (same type, n lanes each). */
static LLVMValueRef nl_concat(nl_vx *x, LLVMValueRef a, LLVMValueRef b, unsigned n)
{
    unsigned idx[32] = {0};
    for (unsigned i = 0; i < 2 * n; i++)
        idx[i] = i;
    return nl_shuf(x, a, b, idx, 2 * n);
}

/* The low or high half of v (shape k), extended to the double width. */
static LLVMValueRef nl_half_ext(nl_vx *x, LLVMValueRef v, nl_lk k, bool high, bool sgn)
{
    unsigned n = nl_lanes(k) / 2;
    LLVMValueRef h = nl_pick(x, nl_as(x, v, k), high ? n : 0, 1, n);
    LLVMTypeRef wt = nl_vty(x, (nl_lk)(k + 1));
    return sgn ? LLVMBuildSExt(x->B, h, wt, "") : LLVMBuildZExt(x->B, h, wt, "");
}

static LLVMValueRef nl_vcall(nl_vx *x, const char *name, LLVMTypeRef *tys, unsigned ntys,
                             LLVMValueRef *args, unsigned nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(x->M, id, tys, ntys);
    return LLVMBuildCall2(x->B, LLVMIntrinsicGetType(x->C, id, tys, ntys), f, args, nargs, "");
}

/* The intrinsic `name` overloaded on its first operand's type, of the
 * operand a and, if not NULL, b. */
static LLVMValueRef nl_vover(nl_vx *x, const char *name, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef args[] = {a, b};
    return nl_vcall(x, name, &t, 1, args, b ? 2 : 1);
}

/* A constrained FP intrinsic (see nl_gen.c: no folding past a signalling
 * NaN): tys are its overload types, `round` whether it takes a rounding
 * mode. */
static LLVMValueRef nl_vstrict(nl_vx *x, const char *name, LLVMTypeRef *tys, unsigned ntys,
                               LLVMValueRef a, LLVMValueRef b, bool round)
{
    static const char rm[] = "round.tonearest", eb[] = "fpexcept.maytrap";
    LLVMValueRef args[4];
    unsigned n = 0;
    args[n++] = a;
    if (b) args[n++] = b;
    if (round) args[n++] = LLVMMetadataAsValue(x->C, LLVMMDStringInContext2(x->C, rm, 15));
    args[n++] = LLVMMetadataAsValue(x->C, LLVMMDStringInContext2(x->C, eb, 16));
    LLVMValueRef c = nl_vcall(x, name, tys, ntys, args, n);
    unsigned kind = LLVMGetEnumAttributeKindForName("strictfp", 8);
    LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(x->C, kind, 0));
    return c;
}

static LLVMValueRef nl_varith(nl_vx *x, const char *op, LLVMValueRef a, LLVMValueRef b)
{
    char name[64] = "llvm.experimental.constrained.";
    strcat(name, op);
    LLVMTypeRef t = LLVMTypeOf(a);
    return nl_vstrict(x, name, &t, 1, a, b, true);
}

/* Per-lane compare: all ones where true. */
static LLVMValueRef nl_vicmp(nl_vx *x, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b, nl_lk k)
{
    LLVMValueRef c = LLVMBuildICmp(x->B, p, nl_as(x, a, k), nl_as(x, b, k), "");
    return LLVMBuildSExt(x->B, c, nl_vty(x, k), "");
}

static LLVMValueRef nl_vfcmp(nl_vx *x, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b, nl_lk k)
{
    LLVMValueRef c = LLVMBuildFCmp(x->B, p, nl_as(x, a, k), nl_as(x, b, k), "");
    return LLVMBuildSExt(x->B, c, nl_vty(x, nl_int_lk(k)), "");
}

/* Wasm's min and max, lane by lane as simd__fmin32 and friends: a NaN
 * operand gives a + b (a quiet NaN), equal operands combine their bits (OR
 * for min: -0 wins; AND for max: +0 wins), otherwise the smaller or the
 * larger. */
static LLVMValueRef nl_vminmax(nl_vx *x, bool min, LLVMValueRef a, LLVMValueRef b, nl_lk k)
{
    LLVMBuilderRef B = x->B;
    nl_lk ik = nl_int_lk(k);
    a = nl_as(x, a, k), b = nl_as(x, b, k);
    LLVMValueRef pick = LLVMBuildFCmp(B, min ? LLVMRealOLT : LLVMRealOGT, a, b, "");
    LLVMValueRef r = LLVMBuildSelect(B, pick, a, b, "");
    LLVMValueRef ai = nl_as(x, a, ik), bi = nl_as(x, b, ik);
    LLVMValueRef both = min ? LLVMBuildOr(B, ai, bi, "") : LLVMBuildAnd(B, ai, bi, "");
    LLVMValueRef eq = LLVMBuildFCmp(B, LLVMRealOEQ, a, b, "");
    r = LLVMBuildSelect(B, eq, nl_as(x, both, k), r, "");
    LLVMValueRef nan = LLVMBuildFCmp(B, LLVMRealUNO, a, b, "");
    return LLVMBuildSelect(B, nan, nl_varith(x, "fadd", a, b), r, "");
}

/* Shift of every lane of a (shape k) by the i32 n modulo the lane width. */
static LLVMValueRef nl_vshift(nl_vx *x, LLVMOpcode opc, LLVMValueRef a, LLVMValueRef n, nl_lk k)
{
    LLVMTypeRef et = nl_elem(x, k);
    unsigned w = LLVMGetIntTypeWidth(et);
    n = LLVMBuildAnd(x->B, n, nl_ci(x->i32, w - 1), "");
    if (w < 32) n = LLVMBuildTrunc(x->B, n, et, "");
    if (w > 32) n = LLVMBuildZExt(x->B, n, et, "");
    return LLVMBuildBinOp(x->B, opc, nl_as(x, a, k), nl_splat(x, n, nl_lanes(k)), "");
}

/* The signed lanes of the concatenation of a and b (shape k), clamped to
 * the half-width range (signed or unsigned) and narrowed. */
static LLVMValueRef nl_narrow(nl_vx *x, LLVMValueRef a, LLVMValueRef b, nl_lk k, bool sgn)
{
    unsigned n = nl_lanes(k), w = LLVMGetIntTypeWidth(nl_elem(x, k)) / 2;
    LLVMValueRef v = nl_concat(x, nl_as(x, a, k), nl_as(x, b, k), n);
    int64_t lo = sgn ? -((int64_t)1 << (w - 1)) : 0;
    int64_t hi = sgn ? ((int64_t)1 << (w - 1)) - 1 : ((int64_t)1 << w) - 1;
    LLVMValueRef los[16], his[16];
    for (unsigned i = 0; i < 2 * n; i++) {
        los[i] = nl_ci(nl_elem(x, k), (uint64_t)lo);
        his[i] = nl_ci(nl_elem(x, k), (uint64_t)hi);
    }
    v = nl_vover(x, "llvm.smax", v, LLVMConstVector(los, 2 * n));
    v = nl_vover(x, "llvm.smin", v, LLVMConstVector(his, 2 * n));
    return LLVMBuildTrunc(x->B, v, nl_vty(x, (nl_lk)(k - 1)), "");
}

/* The even and odd lanes of a (shape k) extended and added: extadd_pairwise. */
static LLVMValueRef nl_pairwise(nl_vx *x, LLVMValueRef a, nl_lk k, bool sgn)
{
    unsigned n = nl_lanes(k) / 2;
    a = nl_as(x, a, k);
    LLVMTypeRef wt = nl_vty(x, (nl_lk)(k + 1));
    LLVMValueRef e = nl_pick(x, a, 0, 2, n), o = nl_pick(x, a, 1, 2, n);
    e = sgn ? LLVMBuildSExt(x->B, e, wt, "") : LLVMBuildZExt(x->B, e, wt, "");
    o = sgn ? LLVMBuildSExt(x->B, o, wt, "") : LLVMBuildZExt(x->B, o, wt, "");
    return LLVMBuildAdd(x->B, e, o, "");
}

/* extmul: the low or high halves of a and b (shape k) extended and multiplied. */
static LLVMValueRef nl_extmul(nl_vx *x, LLVMValueRef a, LLVMValueRef b, nl_lk k, bool high,
                              bool sgn)
{
    return LLVMBuildMul(x->B, nl_half_ext(x, a, k, high, sgn), nl_half_ext(x, b, k, high, sgn), "");
}

/* avgr_u: (a + b + 1) / 2 without overflow, in the double width. */
static LLVMValueRef nl_avgr(nl_vx *x, LLVMValueRef a, LLVMValueRef b, nl_lk k)
{
    LLVMTypeRef wt = LLVMVectorType(
        LLVMIntTypeInContext(x->C, 2 * LLVMGetIntTypeWidth(nl_elem(x, k))), nl_lanes(k));
    LLVMValueRef s = LLVMBuildAdd(x->B, LLVMBuildZExt(x->B, nl_as(x, a, k), wt, ""),
                                  LLVMBuildZExt(x->B, nl_as(x, b, k), wt, ""), "");
    LLVMValueRef one[16];
    for (unsigned i = 0; i < nl_lanes(k); i++)
        one[i] = nl_ci(LLVMGetElementType(wt), 1);
    LLVMValueRef ones = LLVMConstVector(one, nl_lanes(k));
    s = LLVMBuildLShr(x->B, LLVMBuildAdd(x->B, s, ones, ""), ones, "");
    return LLVMBuildTrunc(x->B, s, nl_vty(x, k), "");
}

/* q15mulr_sat_s: (a * b + 0x4000) >> 15, saturated to i16, in i32 lanes. */
static LLVMValueRef nl_q15(nl_vx *x, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef w8 = LLVMVectorType(x->i32, 8);
    LLVMValueRef p = LLVMBuildMul(x->B, LLVMBuildSExt(x->B, nl_as(x, a, NL_I16), w8, ""),
                                  LLVMBuildSExt(x->B, nl_as(x, b, NL_I16), w8, ""), "");
    LLVMValueRef c[8], s[8], hi[8];
    for (unsigned i = 0; i < 8; i++) {
        c[i] = nl_ci(x->i32, 0x4000);
        s[i] = nl_ci(x->i32, 15);
        hi[i] = nl_ci(x->i32, 0x7fff);
    }
    p = LLVMBuildAShr(x->B, LLVMBuildAdd(x->B, p, LLVMConstVector(c, 8), ""), LLVMConstVector(s, 8),
                      "");
    /* Only -32768 * -32768 exceeds the range, and only upwards. */
    p = nl_vover(x, "llvm.smin", p, LLVMConstVector(hi, 8));
    return LLVMBuildTrunc(x->B, p, nl_vty(x, NL_I16), "");
}

/* i32x4.dot_i16x8_s: products of the i16 lanes in i32, adjacent pairs added. */
static LLVMValueRef nl_dot(nl_vx *x, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef w8 = LLVMVectorType(x->i32, 8);
    LLVMValueRef p = LLVMBuildMul(x->B, LLVMBuildSExt(x->B, nl_as(x, a, NL_I16), w8, ""),
                                  LLVMBuildSExt(x->B, nl_as(x, b, NL_I16), w8, ""), "");
    return LLVMBuildAdd(x->B, nl_pick(x, p, 0, 2, 4), nl_pick(x, p, 1, 2, 4), "");
}

/* Whether the code is for an x86-64 CPU with SSSE3 (pshufb): the host's,
 * as nl_jit.c's target machine. 0 unknown, 1 no, 2 yes. */
static _Atomic int nl_pshufb;

static bool nl_has_pshufb(void)
{
    int v = nl_pshufb;
    if (!v) {
        char *triple = LLVMGetDefaultTargetTriple(), *feat = LLVMGetHostCPUFeatures();
        v = !strncmp(triple, "x86_64", 6) && strstr(feat, "+ssse3") ? 2 : 1;
        LLVMDisposeMessage(triple);
        LLVMDisposeMessage(feat);
        nl_pshufb = v;
    }
    return v == 2;
}

/* swizzle: lane i is a[b[i]] for b[i] < 16, else 0. The indexes are run-time
 * values. On x86 pshufb, whose lane is 0 where the index's top bit is set:
 * an unsigned saturating add of 0x70 sets it for every index above 15 and
 * keeps the low four bits of the others. Elsewhere one dynamic extract per
 * lane. */
static LLVMValueRef nl_swizzle(nl_vx *x, LLVMValueRef a, LLVMValueRef b)
{
    a = nl_as(x, a, NL_I8), b = nl_as(x, b, NL_I8);
    if (nl_has_pshufb()) {
        LLVMValueRef idx = nl_vover(x, "llvm.uadd.sat", b, nl_csplat(x, NL_I8, 0x70));
        LLVMValueRef args[] = {a, idx};
        return nl_vcall(x, "llvm.x86.ssse3.pshuf.b.128", NULL, 0, args, 2);
    }
    LLVMValueRef r = LLVMConstNull(nl_vty(x, NL_I8));
    for (unsigned i = 0; i < 16; i++) {
        LLVMValueRef idx = LLVMBuildExtractElement(x->B, b, nl_ci(x->i32, i), "");
        LLVMValueRef in = LLVMBuildICmp(x->B, LLVMIntULT, idx, nl_ci(x->i8, 16), "");
        LLVMValueRef at =
            LLVMBuildZExt(x->B, LLVMBuildAnd(x->B, idx, nl_ci(x->i8, 15), ""), x->i32, "");
        LLVMValueRef e = LLVMBuildExtractElement(x->B, a, at, "");
        e = LLVMBuildSelect(x->B, in, e, nl_ci(x->i8, 0), "");
        r = LLVMBuildInsertElement(x->B, r, e, nl_ci(x->i32, i), "");
    }
    return r;
}

/* ---- operations by shape ---------------------------------------------------------------- */

static nl_vsh nl_vshape(uint32_t op)
{
    switch ((w_op)op) {
        /* clang-format off */
#define SIMD(NAME, code, shape, lanes) case W_OP_##NAME: return NL_SH_##shape;
#include "exec/simd.def"
    /* clang-format on */
    default: return NL_SH_NONE;
    }
}

/* The lane shape an op's name starts with (its result's, mostly). */
static nl_lk nl_vlk(uint32_t op)
{
    const char *name = "";
    switch ((w_op)op) {
#define SIMD(NAME, code, shape, lanes)                                                             \
    case W_OP_##NAME:                                                                              \
        name = #NAME;                                                                              \
        break;
#include "exec/simd.def"
    default: break;
    }
    static const struct {
        const char *p;
        nl_lk k;
    } pre[] = {{"I8X16", NL_I8},  {"I16X8", NL_I16}, {"I32X4", NL_I32},
               {"I64X2", NL_I64}, {"F32X4", NL_F32}, {"F64X2", NL_F64}};
    for (unsigned i = 0; i < 6; i++)
        if (!strncmp(name, pre[i].p, 5)) return pre[i].k;
    return NL_I64;
}

/* (v128) -> v128. */
static LLVMValueRef nl_v_v(nl_vx *x, uint32_t op, LLVMValueRef a)
{
    LLVMBuilderRef B = x->B;
    nl_lk k = nl_vlk(op);
    switch ((w_op)op) {
    case W_OP_V128_NOT: return LLVMBuildNot(B, a, "");
    case W_OP_I8X16_ABS:
    case W_OP_I16X8_ABS:
    case W_OP_I32X4_ABS:
    case W_OP_I64X2_ABS: {
        LLVMValueRef v = nl_as(x, a, k);
        return nl_vover(x, "llvm.abs", v, LLVMConstInt(x->i1, 0, 0));
    }
    case W_OP_I8X16_NEG:
    case W_OP_I16X8_NEG:
    case W_OP_I32X4_NEG:
    case W_OP_I64X2_NEG: return LLVMBuildNeg(B, nl_as(x, a, k), "");
    case W_OP_I8X16_POPCNT: return nl_vover(x, "llvm.ctpop", nl_as(x, a, k), NULL);
    case W_OP_F32X4_ABS:
    case W_OP_F64X2_ABS: {
        nl_lk ik = nl_int_lk(k);
        uint64_t sign = (uint64_t)1 << (LLVMGetIntTypeWidth(nl_elem(x, ik)) - 1);
        return LLVMBuildAnd(B, nl_as(x, a, ik), nl_csplat(x, ik, ~sign), "");
    }
    case W_OP_F32X4_NEG:
    case W_OP_F64X2_NEG: {
        nl_lk ik = nl_int_lk(k);
        uint64_t sign = (uint64_t)1 << (LLVMGetIntTypeWidth(nl_elem(x, ik)) - 1);
        return LLVMBuildXor(B, nl_as(x, a, ik), nl_csplat(x, ik, sign), "");
    }
    case W_OP_F32X4_SQRT:
    case W_OP_F64X2_SQRT: return nl_vover(x, "llvm.sqrt", nl_as(x, a, k), NULL);
    case W_OP_F32X4_CEIL:
    case W_OP_F64X2_CEIL: return nl_vover(x, "llvm.ceil", nl_as(x, a, k), NULL);
    case W_OP_F32X4_FLOOR:
    case W_OP_F64X2_FLOOR: return nl_vover(x, "llvm.floor", nl_as(x, a, k), NULL);
    case W_OP_F32X4_TRUNC:
    case W_OP_F64X2_TRUNC: return nl_vover(x, "llvm.trunc", nl_as(x, a, k), NULL);
    case W_OP_F32X4_NEAREST:
    case W_OP_F64X2_NEAREST: return nl_vover(x, "llvm.roundeven", nl_as(x, a, k), NULL);
    case W_OP_I16X8_EXTADD_PAIRWISE_I8X16_S: return nl_pairwise(x, a, NL_I8, true);
    case W_OP_I16X8_EXTADD_PAIRWISE_I8X16_U: return nl_pairwise(x, a, NL_I8, false);
    case W_OP_I32X4_EXTADD_PAIRWISE_I16X8_S: return nl_pairwise(x, a, NL_I16, true);
    case W_OP_I32X4_EXTADD_PAIRWISE_I16X8_U: return nl_pairwise(x, a, NL_I16, false);
    case W_OP_I16X8_EXTEND_LOW_I8X16_S: return nl_half_ext(x, a, NL_I8, false, true);
    case W_OP_I16X8_EXTEND_HIGH_I8X16_S: return nl_half_ext(x, a, NL_I8, true, true);
    case W_OP_I16X8_EXTEND_LOW_I8X16_U: return nl_half_ext(x, a, NL_I8, false, false);
    case W_OP_I16X8_EXTEND_HIGH_I8X16_U: return nl_half_ext(x, a, NL_I8, true, false);
    case W_OP_I32X4_EXTEND_LOW_I16X8_S: return nl_half_ext(x, a, NL_I16, false, true);
    case W_OP_I32X4_EXTEND_HIGH_I16X8_S: return nl_half_ext(x, a, NL_I16, true, true);
    case W_OP_I32X4_EXTEND_LOW_I16X8_U: return nl_half_ext(x, a, NL_I16, false, false);
    case W_OP_I32X4_EXTEND_HIGH_I16X8_U: return nl_half_ext(x, a, NL_I16, true, false);
    case W_OP_I64X2_EXTEND_LOW_I32X4_S: return nl_half_ext(x, a, NL_I32, false, true);
    case W_OP_I64X2_EXTEND_HIGH_I32X4_S: return nl_half_ext(x, a, NL_I32, true, true);
    case W_OP_I64X2_EXTEND_LOW_I32X4_U: return nl_half_ext(x, a, NL_I32, false, false);
    case W_OP_I64X2_EXTEND_HIGH_I32X4_U: return nl_half_ext(x, a, NL_I32, true, false);
    case W_OP_F32X4_DEMOTE_F64X2_ZERO: {
        LLVMTypeRef tys[] = {LLVMVectorType(x->f32, 2), nl_vty(x, NL_F64)};
        LLVMValueRef d = nl_vstrict(x, "llvm.experimental.constrained.fptrunc", tys, 2,
                                    nl_as(x, a, NL_F64), NULL, true);
        return nl_concat(x, d, LLVMConstNull(tys[0]), 2);
    }
    case W_OP_F64X2_PROMOTE_LOW_F32X4: {
        LLVMTypeRef tys[] = {nl_vty(x, NL_F64), LLVMVectorType(x->f32, 2)};
        LLVMValueRef lo = nl_pick(x, nl_as(x, a, NL_F32), 0, 1, 2);
        return nl_vstrict(x, "llvm.experimental.constrained.fpext", tys, 2, lo, NULL, false);
    }
    case W_OP_I32X4_TRUNC_SAT_F32X4_S:
    case W_OP_I32X4_TRUNC_SAT_F32X4_U: {
        bool sgn = op == W_OP_I32X4_TRUNC_SAT_F32X4_S;
        LLVMTypeRef tys[] = {nl_vty(x, NL_I32), nl_vty(x, NL_F32)};
        LLVMValueRef f = nl_as(x, a, NL_F32);
        return nl_vcall(x, sgn ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &f, 1);
    }
    case W_OP_I32X4_TRUNC_SAT_F64X2_S_ZERO:
    case W_OP_I32X4_TRUNC_SAT_F64X2_U_ZERO: {
        bool sgn = op == W_OP_I32X4_TRUNC_SAT_F64X2_S_ZERO;
        LLVMTypeRef tys[] = {LLVMVectorType(x->i32, 2), nl_vty(x, NL_F64)};
        LLVMValueRef f = nl_as(x, a, NL_F64);
        LLVMValueRef r = nl_vcall(x, sgn ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &f, 1);
        return nl_concat(x, r, LLVMConstNull(tys[0]), 2);
    }
    case W_OP_F32X4_CONVERT_I32X4_S:
        return LLVMBuildSIToFP(B, nl_as(x, a, NL_I32), nl_vty(x, k), "");
    case W_OP_F32X4_CONVERT_I32X4_U:
        return LLVMBuildUIToFP(B, nl_as(x, a, NL_I32), nl_vty(x, k), "");
    case W_OP_F64X2_CONVERT_LOW_I32X4_S:
        return LLVMBuildSIToFP(B, nl_pick(x, nl_as(x, a, NL_I32), 0, 1, 2), nl_vty(x, k), "");
    case W_OP_F64X2_CONVERT_LOW_I32X4_U:
        return LLVMBuildUIToFP(B, nl_pick(x, nl_as(x, a, NL_I32), 0, 1, 2), nl_vty(x, k), "");
    default: return NULL;
    }
}

/* The lane-wise binary operations that are one LLVM intrinsic of the
 * same meaning. */
static const struct {
    uint16_t op;
    const char *name;
} nl_vbin[] = {
    {W_OP_I8X16_ADD_SAT_S, "llvm.sadd.sat"}, {W_OP_I16X8_ADD_SAT_S, "llvm.sadd.sat"},
    {W_OP_I8X16_ADD_SAT_U, "llvm.uadd.sat"}, {W_OP_I16X8_ADD_SAT_U, "llvm.uadd.sat"},
    {W_OP_I8X16_SUB_SAT_S, "llvm.ssub.sat"}, {W_OP_I16X8_SUB_SAT_S, "llvm.ssub.sat"},
    {W_OP_I8X16_SUB_SAT_U, "llvm.usub.sat"}, {W_OP_I16X8_SUB_SAT_U, "llvm.usub.sat"},
    {W_OP_I8X16_MIN_S, "llvm.smin"},         {W_OP_I16X8_MIN_S, "llvm.smin"},
    {W_OP_I32X4_MIN_S, "llvm.smin"},         {W_OP_I8X16_MIN_U, "llvm.umin"},
    {W_OP_I16X8_MIN_U, "llvm.umin"},         {W_OP_I32X4_MIN_U, "llvm.umin"},
    {W_OP_I8X16_MAX_S, "llvm.smax"},         {W_OP_I16X8_MAX_S, "llvm.smax"},
    {W_OP_I32X4_MAX_S, "llvm.smax"},         {W_OP_I8X16_MAX_U, "llvm.umax"},
    {W_OP_I16X8_MAX_U, "llvm.umax"},         {W_OP_I32X4_MAX_U, "llvm.umax"},
};

/* (v128, v128) -> v128. */
static LLVMValueRef nl_vv_v(nl_vx *x, uint32_t op, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef B = x->B;
    nl_lk k = nl_vlk(op);
    for (size_t i = 0; i < sizeof nl_vbin / sizeof nl_vbin[0]; i++)
        if (nl_vbin[i].op == op)
            return nl_vover(x, nl_vbin[i].name, nl_as(x, a, k), nl_as(x, b, k));
    switch ((w_op)op) {
    case W_OP_I8X16_SWIZZLE: return nl_swizzle(x, a, b);
    case W_OP_I8X16_EQ:
    case W_OP_I16X8_EQ:
    case W_OP_I32X4_EQ:
    case W_OP_I64X2_EQ: return nl_vicmp(x, LLVMIntEQ, a, b, k);
    case W_OP_I8X16_NE:
    case W_OP_I16X8_NE:
    case W_OP_I32X4_NE:
    case W_OP_I64X2_NE: return nl_vicmp(x, LLVMIntNE, a, b, k);
    case W_OP_I8X16_LT_S:
    case W_OP_I16X8_LT_S:
    case W_OP_I32X4_LT_S:
    case W_OP_I64X2_LT_S: return nl_vicmp(x, LLVMIntSLT, a, b, k);
    case W_OP_I8X16_LT_U:
    case W_OP_I16X8_LT_U:
    case W_OP_I32X4_LT_U: return nl_vicmp(x, LLVMIntULT, a, b, k);
    case W_OP_I8X16_GT_S:
    case W_OP_I16X8_GT_S:
    case W_OP_I32X4_GT_S:
    case W_OP_I64X2_GT_S: return nl_vicmp(x, LLVMIntSGT, a, b, k);
    case W_OP_I8X16_GT_U:
    case W_OP_I16X8_GT_U:
    case W_OP_I32X4_GT_U: return nl_vicmp(x, LLVMIntUGT, a, b, k);
    case W_OP_I8X16_LE_S:
    case W_OP_I16X8_LE_S:
    case W_OP_I32X4_LE_S:
    case W_OP_I64X2_LE_S: return nl_vicmp(x, LLVMIntSLE, a, b, k);
    case W_OP_I8X16_LE_U:
    case W_OP_I16X8_LE_U:
    case W_OP_I32X4_LE_U: return nl_vicmp(x, LLVMIntULE, a, b, k);
    case W_OP_I8X16_GE_S:
    case W_OP_I16X8_GE_S:
    case W_OP_I32X4_GE_S:
    case W_OP_I64X2_GE_S: return nl_vicmp(x, LLVMIntSGE, a, b, k);
    case W_OP_I8X16_GE_U:
    case W_OP_I16X8_GE_U:
    case W_OP_I32X4_GE_U: return nl_vicmp(x, LLVMIntUGE, a, b, k);
    case W_OP_F32X4_EQ:
    case W_OP_F64X2_EQ: return nl_vfcmp(x, LLVMRealOEQ, a, b, k);
    case W_OP_F32X4_NE:
    case W_OP_F64X2_NE: return nl_vfcmp(x, LLVMRealUNE, a, b, k);
    case W_OP_F32X4_LT:
    case W_OP_F64X2_LT: return nl_vfcmp(x, LLVMRealOLT, a, b, k);
    case W_OP_F32X4_GT:
    case W_OP_F64X2_GT: return nl_vfcmp(x, LLVMRealOGT, a, b, k);
    case W_OP_F32X4_LE:
    case W_OP_F64X2_LE: return nl_vfcmp(x, LLVMRealOLE, a, b, k);
    case W_OP_F32X4_GE:
    case W_OP_F64X2_GE: return nl_vfcmp(x, LLVMRealOGE, a, b, k);
    case W_OP_V128_AND: return LLVMBuildAnd(B, a, b, "");
    case W_OP_V128_ANDNOT: return LLVMBuildAnd(B, a, LLVMBuildNot(B, b, ""), "");
    case W_OP_V128_OR: return LLVMBuildOr(B, a, b, "");
    case W_OP_V128_XOR: return LLVMBuildXor(B, a, b, "");
    case W_OP_I8X16_NARROW_I16X8_S: return nl_narrow(x, a, b, NL_I16, true);
    case W_OP_I8X16_NARROW_I16X8_U: return nl_narrow(x, a, b, NL_I16, false);
    case W_OP_I16X8_NARROW_I32X4_S: return nl_narrow(x, a, b, NL_I32, true);
    case W_OP_I16X8_NARROW_I32X4_U: return nl_narrow(x, a, b, NL_I32, false);
    case W_OP_I8X16_ADD:
    case W_OP_I16X8_ADD:
    case W_OP_I32X4_ADD:
    case W_OP_I64X2_ADD: return LLVMBuildAdd(B, nl_as(x, a, k), nl_as(x, b, k), "");
    case W_OP_I8X16_SUB:
    case W_OP_I16X8_SUB:
    case W_OP_I32X4_SUB:
    case W_OP_I64X2_SUB: return LLVMBuildSub(B, nl_as(x, a, k), nl_as(x, b, k), "");
    case W_OP_I16X8_MUL:
    case W_OP_I32X4_MUL:
    case W_OP_I64X2_MUL: return LLVMBuildMul(B, nl_as(x, a, k), nl_as(x, b, k), "");
    case W_OP_I8X16_AVGR_U:
    case W_OP_I16X8_AVGR_U: return nl_avgr(x, a, b, k);
    case W_OP_I16X8_Q15MULR_SAT_S: return nl_q15(x, a, b);
    case W_OP_I32X4_DOT_I16X8_S: return nl_dot(x, a, b);
    case W_OP_I16X8_EXTMUL_LOW_I8X16_S: return nl_extmul(x, a, b, NL_I8, false, true);
    case W_OP_I16X8_EXTMUL_HIGH_I8X16_S: return nl_extmul(x, a, b, NL_I8, true, true);
    case W_OP_I16X8_EXTMUL_LOW_I8X16_U: return nl_extmul(x, a, b, NL_I8, false, false);
    case W_OP_I16X8_EXTMUL_HIGH_I8X16_U: return nl_extmul(x, a, b, NL_I8, true, false);
    case W_OP_I32X4_EXTMUL_LOW_I16X8_S: return nl_extmul(x, a, b, NL_I16, false, true);
    case W_OP_I32X4_EXTMUL_HIGH_I16X8_S: return nl_extmul(x, a, b, NL_I16, true, true);
    case W_OP_I32X4_EXTMUL_LOW_I16X8_U: return nl_extmul(x, a, b, NL_I16, false, false);
    case W_OP_I32X4_EXTMUL_HIGH_I16X8_U: return nl_extmul(x, a, b, NL_I16, true, false);
    case W_OP_I64X2_EXTMUL_LOW_I32X4_S: return nl_extmul(x, a, b, NL_I32, false, true);
    case W_OP_I64X2_EXTMUL_HIGH_I32X4_S: return nl_extmul(x, a, b, NL_I32, true, true);
    case W_OP_I64X2_EXTMUL_LOW_I32X4_U: return nl_extmul(x, a, b, NL_I32, false, false);
    case W_OP_I64X2_EXTMUL_HIGH_I32X4_U: return nl_extmul(x, a, b, NL_I32, true, false);
    case W_OP_F32X4_ADD:
    case W_OP_F64X2_ADD: return nl_varith(x, "fadd", nl_as(x, a, k), nl_as(x, b, k));
    case W_OP_F32X4_SUB:
    case W_OP_F64X2_SUB: return nl_varith(x, "fsub", nl_as(x, a, k), nl_as(x, b, k));
    case W_OP_F32X4_MUL:
    case W_OP_F64X2_MUL: return nl_varith(x, "fmul", nl_as(x, a, k), nl_as(x, b, k));
    case W_OP_F32X4_DIV:
    case W_OP_F64X2_DIV: return nl_varith(x, "fdiv", nl_as(x, a, k), nl_as(x, b, k));
    case W_OP_F32X4_MIN:
    case W_OP_F64X2_MIN: return nl_vminmax(x, true, a, b, k);
    case W_OP_F32X4_MAX:
    case W_OP_F64X2_MAX: return nl_vminmax(x, false, a, b, k);
    case W_OP_F32X4_PMIN:
    case W_OP_F64X2_PMIN: {
        /* b < a ? b : a, NaNs and zeros included (simd.h). */
        LLVMValueRef fa = nl_as(x, a, k), fb = nl_as(x, b, k);
        LLVMValueRef lt = LLVMBuildFCmp(B, LLVMRealOLT, fb, fa, "");
        return LLVMBuildSelect(B, lt, nl_as(x, b, nl_int_lk(k)), nl_as(x, a, nl_int_lk(k)), "");
    }
    case W_OP_F32X4_PMAX:
    case W_OP_F64X2_PMAX: {
        /* a < b ? b : a. */
        LLVMValueRef fa = nl_as(x, a, k), fb = nl_as(x, b, k);
        LLVMValueRef lt = LLVMBuildFCmp(B, LLVMRealOLT, fa, fb, "");
        return LLVMBuildSelect(B, lt, nl_as(x, b, nl_int_lk(k)), nl_as(x, a, nl_int_lk(k)), "");
    }
    default: return NULL;
    }
}

/* Bit i set where lane i of a (shape k) compares `p` to 0: an iN for N lanes. */
static LLVMValueRef nl_lanemask(nl_vx *x, LLVMIntPredicate p, LLVMValueRef a, nl_lk k)
{
    LLVMValueRef v = nl_as(x, a, k);
    LLVMValueRef c = LLVMBuildICmp(x->B, p, v, LLVMConstNull(LLVMTypeOf(v)), "");
    return LLVMBuildBitCast(x->B, c, LLVMIntTypeInContext(x->C, nl_lanes(k)), "");
}

/* (v128) -> i32: any_true, all_true, bitmask. */
static LLVMValueRef nl_v_i(nl_vx *x, uint32_t op, LLVMValueRef a)
{
    LLVMBuilderRef B = x->B;
    nl_lk k = nl_vlk(op);
    unsigned n = nl_lanes(k);
    LLVMTypeRef nbits = LLVMIntTypeInContext(x->C, n);
    switch ((w_op)op) {
    case W_OP_V128_ANY_TRUE: {
        LLVMValueRef w = LLVMBuildBitCast(B, a, LLVMIntTypeInContext(x->C, 128), "");
        return LLVMBuildICmp(B, LLVMIntNE, w, LLVMConstNull(LLVMTypeOf(w)), "");
    }
    case W_OP_I8X16_ALL_TRUE:
    case W_OP_I16X8_ALL_TRUE:
    case W_OP_I32X4_ALL_TRUE:
    case W_OP_I64X2_ALL_TRUE:
        return LLVMBuildICmp(B, LLVMIntEQ, nl_lanemask(x, LLVMIntNE, a, k), LLVMConstAllOnes(nbits),
                             "");
    case W_OP_I8X16_BITMASK:
    case W_OP_I16X8_BITMASK:
    case W_OP_I32X4_BITMASK:
    case W_OP_I64X2_BITMASK: return nl_lanemask(x, LLVMIntSLT, a, k);
    default: return NULL;
    }
}

/* (v128, i32) -> v128: the shifts. */
static LLVMValueRef nl_vi_v(nl_vx *x, uint32_t op, LLVMValueRef a, LLVMValueRef n)
{
    nl_lk k = nl_vlk(op);
    switch ((w_op)op) {
    case W_OP_I8X16_SHL:
    case W_OP_I16X8_SHL:
    case W_OP_I32X4_SHL:
    case W_OP_I64X2_SHL: return nl_vshift(x, LLVMShl, a, n, k);
    case W_OP_I8X16_SHR_S:
    case W_OP_I16X8_SHR_S:
    case W_OP_I32X4_SHR_S:
    case W_OP_I64X2_SHR_S: return nl_vshift(x, LLVMAShr, a, n, k);
    case W_OP_I8X16_SHR_U:
    case W_OP_I16X8_SHR_U:
    case W_OP_I32X4_SHR_U:
    case W_OP_I64X2_SHR_U: return nl_vshift(x, LLVMLShr, a, n, k);
    default: return NULL;
    }
}

bool nl_simd_op(const nl_vgen *v, uint32_t op, const uint32_t *ip)
{
    nl_vx X, *x = &X;
    nl_vx_init(x, v);
    nl_vsh sh = nl_vshape(op);
    nl_lk k = nl_vlk(op), ik = nl_int_lk(k);
    LLVMValueRef r = NULL;
    uint32_t dst;
    switch (sh) {
    case NL_SH_V_V:
        r = nl_v_v(x, op, nl_vrd(x, ip[1], NL_I64));
        dst = ip[2];
        break;
    case NL_SH_VV_V:
        r = nl_vv_v(x, op, nl_vrd(x, ip[1], NL_I64), nl_vrd(x, ip[2], NL_I64));
        dst = ip[3];
        break;
    case NL_SH_VVV_V: {
        if (op != W_OP_V128_BITSELECT) return false;
        /* (v1 & c) | (v2 & ~c) */
        LLVMValueRef a = nl_vrd(x, ip[1], NL_I64), b = nl_vrd(x, ip[2], NL_I64);
        LLVMValueRef c = nl_vrd(x, ip[3], NL_I64);
        r = LLVMBuildOr(x->B, LLVMBuildAnd(x->B, a, c, ""),
                        LLVMBuildAnd(x->B, b, LLVMBuildNot(x->B, c, ""), ""), "");
        dst = ip[4];
        break;
    }
    case NL_SH_V_I:
        r = nl_v_i(x, op, nl_vrd(x, ip[1], NL_I64));
        if (!r) return false;
        nl_swr(x, ip[2], r);
        return true;
    case NL_SH_VI_V:
        r = nl_vi_v(x, op, nl_vrd(x, ip[1], NL_I64), nl_srd(x, ip[2], false));
        dst = ip[3];
        break;
    case NL_SH_I_V:
    case NL_SH_F_V: {
        /* i8/i16/i32 and f32 (as its bits) splats. */
        LLVMValueRef s = LLVMBuildTrunc(x->B, nl_srd(x, ip[1], true), nl_elem(x, ik), "");
        r = nl_splat(x, s, nl_lanes(ik));
        dst = ip[2];
        break;
    }
    case NL_SH_L_V:
    case NL_SH_D_V:
        r = nl_splat(x, nl_srd(x, ip[1], true), 2);
        dst = ip[2];
        break;
    case NL_SH_EXTRACT_I:
    case NL_SH_EXTRACT_L:
    case NL_SH_EXTRACT_F:
    case NL_SH_EXTRACT_D: {
        LLVMValueRef lane = nl_ci(x->i32, ip[3] & (nl_lanes(ik) - 1));
        LLVMValueRef e = LLVMBuildExtractElement(x->B, nl_vrd(x, ip[1], ik), lane, "");
        if (op == W_OP_I8X16_EXTRACT_LANE_S || op == W_OP_I16X8_EXTRACT_LANE_S)
            e = LLVMBuildSExt(x->B, e, x->i32, "");
        nl_swr(x, ip[2], e);
        return true;
    }
    case NL_SH_REPLACE_I:
    case NL_SH_REPLACE_L:
    case NL_SH_REPLACE_F:
    case NL_SH_REPLACE_D: {
        LLVMValueRef lane = nl_ci(x->i32, ip[4] & (nl_lanes(ik) - 1));
        LLVMValueRef s = nl_srd(x, ip[2], true);
        if (ik != NL_I64) s = LLVMBuildTrunc(x->B, s, nl_elem(x, ik), "");
        r = LLVMBuildInsertElement(x->B, nl_vrd(x, ip[1], ik), s, lane, "");
        dst = ip[3];
        break;
    }
    case NL_SH_SHUFFLE: {
        unsigned idx[16] = {0};
        for (unsigned i = 0; i < 16; i++)
            idx[i] = (ip[4 + i / 4] >> (8 * (i % 4))) & 31;
        r = nl_shuf(x, nl_vrd(x, ip[1], NL_I8), nl_vrd(x, ip[2], NL_I8), idx, 16);
        dst = ip[3];
        break;
    }
    default: return false;
    }
    if (!r) return false;
    nl_vwr(x, dst, r);
    return true;
}

/* ---- memory ------------------------------------------------------------------------------ */

static LLVMValueRef nl_vload1(nl_vx *x, LLVMTypeRef t, LLVMValueRef p)
{
    LLVMValueRef v = LLVMBuildLoad2(x->B, t, p, "");
    LLVMSetAlignment(v, 1);
    return v;
}

bool nl_simd_load(const nl_vgen *v, uint32_t base, LLVMValueRef p, uint32_t dst)
{
    nl_vx X, *x = &X;
    nl_vx_init(x, v);
    LLVMValueRef r;
    switch ((w_op)base) {
    case W_OP_V128_LOAD: r = nl_vload1(x, x->v128, p); break;
    case W_OP_V128_LOAD8X8_S:
    case W_OP_V128_LOAD8X8_U:
    case W_OP_V128_LOAD16X4_S:
    case W_OP_V128_LOAD16X4_U:
    case W_OP_V128_LOAD32X2_S:
    case W_OP_V128_LOAD32X2_U: {
        nl_lk k = base <= W_OP_V128_LOAD8X8_U    ? NL_I8
                  : base <= W_OP_V128_LOAD16X4_U ? NL_I16
                                                 : NL_I32;
        bool sgn = base == W_OP_V128_LOAD8X8_S || base == W_OP_V128_LOAD16X4_S ||
                   base == W_OP_V128_LOAD32X2_S;
        unsigned n = nl_lanes(k) / 2;
        LLVMValueRef h = nl_vload1(x, LLVMVectorType(nl_elem(x, k), n), p);
        LLVMTypeRef wt = nl_vty(x, (nl_lk)(k + 1));
        r = sgn ? LLVMBuildSExt(x->B, h, wt, "") : LLVMBuildZExt(x->B, h, wt, "");
        break;
    }
    case W_OP_V128_LOAD8_SPLAT:
    case W_OP_V128_LOAD16_SPLAT:
    case W_OP_V128_LOAD32_SPLAT:
    case W_OP_V128_LOAD64_SPLAT: {
        nl_lk k = base == W_OP_V128_LOAD8_SPLAT    ? NL_I8
                  : base == W_OP_V128_LOAD16_SPLAT ? NL_I16
                  : base == W_OP_V128_LOAD32_SPLAT ? NL_I32
                                                   : NL_I64;
        r = nl_splat(x, nl_vload1(x, nl_elem(x, k), p), nl_lanes(k));
        break;
    }
    case W_OP_V128_LOAD32_ZERO:
    case W_OP_V128_LOAD64_ZERO: {
        nl_lk k = base == W_OP_V128_LOAD32_ZERO ? NL_I32 : NL_I64;
        r = LLVMBuildInsertElement(x->B, LLVMConstNull(nl_vty(x, k)),
                                   nl_vload1(x, nl_elem(x, k), p), nl_ci(x->i32, 0), "");
        break;
    }
    default: return false;
    }
    nl_vwr(x, dst, r);
    return true;
}

void nl_simd_load_lane(const nl_vgen *v, uint32_t bytes, uint32_t lane, LLVMValueRef p,
                       uint32_t src, uint32_t dst)
{
    nl_vx X, *x = &X;
    nl_vx_init(x, v);
    nl_lk k = nl_lk_bytes(bytes);
    LLVMValueRef e = nl_vload1(x, nl_elem(x, k), p);
    LLVMValueRef at = nl_ci(x->i32, lane & (nl_lanes(k) - 1));
    nl_vwr(x, dst, LLVMBuildInsertElement(x->B, nl_vrd(x, src, k), e, at, ""));
}

LLVMValueRef nl_simd_lane(const nl_vgen *v, uint32_t bytes, uint32_t lane, uint32_t src)
{
    nl_vx X, *x = &X;
    nl_vx_init(x, v);
    nl_lk k = nl_lk_bytes(bytes);
    LLVMValueRef at = nl_ci(x->i32, lane & (nl_lanes(k) - 1));
    LLVMValueRef e = LLVMBuildExtractElement(x->B, nl_vrd(x, src, k), at, "");
    return k == NL_I64 ? e : LLVMBuildZExt(x->B, e, x->i64, "");
}
