/* test_interp.c - the interpreter on hand-assembled code.
 *
 * Each test builds w_fcode arrays with vm_op_word(), wires them into a
 * hand-made instance (memory from plain calloc), runs them through vm_call
 * and checks results, traps and backtraces. No decoder or compiler is
 * involved, so this isolates interp.c and numeric.h.
 *
 * Exit status 0 when every check passed; the last line is "N passed, M failed".
 */
#include "base/base.h"
#include "exec/ir.h"
#include "decode/decode.h"
#include "exec/numeric.h"
#include "runtime/runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../check.h"

/* ---- a tiny assembler ------------------------------------------------------ */

typedef struct tasm {
    uint32_t w[1024];
    uint32_t n;
} tasm;

static uint32_t emit_op(tasm *a, w_op op, const uint32_t *args, size_t nargs)
{
    uint32_t at = a->n;
    a->w[a->n++] = vm_op_word(op);
    for (size_t i = 0; i < nargs; i++)
        a->w[a->n++] = args[i];
    return at;
}

/* OP(a, NAME, operands...) appends one instruction and returns its position. */
#define OP(a, NAME, ...)                                                                           \
    emit_op((a), W_OP_##NAME, (const uint32_t[]){__VA_ARGS__},                                     \
            sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))
#define OP0(a, NAME) emit_op((a), W_OP_##NAME, NULL, 0)

/* Sets the branch operand `word` of the instruction at `insn` to reach `target`. */
static void patch(tasm *a, uint32_t insn, uint32_t word, uint32_t target)
{
    a->w[insn + word] = (uint32_t)((int32_t)target - (int32_t)insn);
}

/* ---- a hand-made module and instance --------------------------------------- */

#define MAXF 16
static w_valtype vt_i32[4] = {W_I32, W_I32, W_I32, W_I32};
static w_valtype vt_i64[2] = {W_I64, W_I64};
static w_functype types[4];
static w_module mod;
static w_instance inst;
static w_func funcs[MAXF];
static w_func *funcptrs[MAXF];
static w_fcode fcodes[MAXF];
static uint32_t *codes[MAXF];
static w_memory mem0, mem1;
static w_memory *mems[2] = {&mem0, &mem1};
static w_table table0;
static w_table *tables[1] = {&table0};
static w_globalinst glob0;
static w_globalinst *globals[1] = {&glob0};
static uint64_t elem_refs[3];
static w_elemrt elems[1];
static const uint8_t data_bytes[] = "hello";
static w_datart datas[1];
static w_exec ex;

static void setup(void)
{
    /* type 0: (i32) -> i32, type 1: (i64) -> i64, type 2: (i32 i32) -> i32, type 3: () -> () */
    types[0] = (w_functype){1, 1, vt_i32, vt_i32, 1, 1, 0};
    types[1] = (w_functype){1, 1, vt_i64, vt_i64, 1, 1, 1};
    types[2] = (w_functype){2, 1, vt_i32, vt_i32, 2, 1, 2};
    types[3] = (w_functype){0, 0, NULL, NULL, 0, 0, 3};
    mod.ntypes = 4;
    mod.types = types;
    mod.nmems = 2;
    mod.ntables = 1;
    mod.nglobals = 1;
    mod.nfuncs = MAXF;
    for (int i = 0; i < MAXF; i++)
        funcptrs[i] = &funcs[i];
    inst.module = &mod;
    inst.funcs = funcptrs;
    inst.mems = mems;
    inst.tables = tables;
    inst.globals = globals;
    inst.elems = elems;
    inst.datas = datas;

    mem0.base = calloc(1, W_PAGE_SIZE);
    mem0.size = W_PAGE_SIZE;
    mem0.pages = 1;
    mem0.max_pages = 1;
    mem0.has_max = true;
    mem0.mode = W_MEM_FLAT;
    mem0.addr_mask = UINT32_MAX;
    mem0.span = (w_span){mem0.base, mem0.size, mem0.base, mem0.size};
    /* memory 1 is "64-bit" with 1 page, used by the generic forms */
    mem1 = mem0;
    mem1.base = calloc(1, W_PAGE_SIZE);
    mem1.is64 = true;
    mem1.addr_mask = UINT64_MAX;
    mem1.span = (w_span){mem1.base, mem1.size, mem1.base, mem1.size};

    table0.max = 8;
    table0.has_max = true;
    table0.size = 4;
    table0.elems = w_calloc(table0.max, sizeof(uint64_t));
    table0.type = W_FUNCREF;
    elems[0].refs = elem_refs;
    elems[0].len = 3;
    datas[0].bytes = data_bytes;
    datas[0].len = 5;

    if (!vm_exec_init(&ex, 1 << 16, 500)) {
        printf("vm_exec_init failed\n");
        exit(1);
    }
}

static void teardown(void)
{
    for (int i = 0; i < MAXF; i++)
        free(codes[i]);
    free(mem0.base);
    free(mem1.base);
    w_free(table0.elems);
    vm_exec_free(&ex);
}

/* Installs code as function idx of the instance. */
static w_func *def(uint32_t idx, const tasm *a, uint32_t type, uint32_t params, uint32_t locals,
                   uint32_t frame, uint32_t results)
{
    free(codes[idx]);
    codes[idx] = malloc(a->n * sizeof(uint32_t));
    memcpy(codes[idx], a->w, a->n * sizeof(uint32_t));
    fcodes[idx] = (w_fcode){codes[idx], a->n, params, locals, frame, results, idx, NULL, 0};
    funcs[idx] = (w_func){0};
    funcs[idx].type = &types[type];
    funcs[idx].inst = &inst;
    funcs[idx].code = &fcodes[idx];
    funcs[idx].index = idx;
    return &funcs[idx];
}

static w_func *def_host(uint32_t idx, uint32_t type, w_host_fn fn, void *data)
{
    funcs[idx] = (w_func){0};
    funcs[idx].type = &types[type];
    funcs[idx].host = fn;
    funcs[idx].host_data = data;
    return &funcs[idx];
}

static uint64_t f32b(float f)
{
    return w_f32_bits(f);
}
static uint64_t f64b(double d)
{
    return w_f64_bits(d);
}

/* Runs a one-instruction numeric function: slots 0,1 inputs, slot 2 output. */
static w_trap unop(w_op op, uint64_t a, uint64_t *out)
{
    tasm t = {0};
    uint32_t args[2] = {0, 2};
    uint64_t s[2] = {a, 0};
    emit_op(&t, op, args, 2);
    OP(&t, COPY, 2, 0);
    OP0(&t, RETURN);
    w_trap r = vm_call(&ex, def(15, &t, 0, 1, 0, 3, 1), s);
    *out = s[0];
    return r;
}
static w_trap binop(w_op op, uint64_t a, uint64_t b, uint64_t *out)
{
    tasm t = {0};
    uint32_t args[3] = {0, 1, 2};
    uint64_t s[2] = {a, b};
    emit_op(&t, op, args, 3);
    OP(&t, COPY, 2, 0);
    OP0(&t, RETURN);
    w_trap r = vm_call(&ex, def(15, &t, 2, 2, 0, 3, 1), s);
    *out = s[0];
    return r;
}

/* ---- tests --------------------------------------------------------------------- */

/* sum(n) = n + (n-1) + ... + 1 with a loop; slots: 0 n, 1 acc, 2 tmp */
static w_func *build_sum(uint32_t idx)
{
    tasm a = {0};
    uint32_t loop = a.n;
    uint32_t brx = OP(&a, BR_UNLESS, 0, 0);
    OP(&a, I32_ADD, 1, 0, 1);
    OP(&a, CONST32, 2, 1);
    OP(&a, I32_SUB, 0, 2, 0);
    uint32_t back = OP(&a, BR_LOOP, 0);
    patch(&a, back, 1, loop);
    patch(&a, brx, 2, a.n);
    OP(&a, COPY, 1, 0);
    OP0(&a, RETURN);
    return def(idx, &a, 0, 1, 1, 3, 1);
}

static void test_loop_and_fuel(void)
{
    w_func *f = build_sum(0);
    uint64_t s[1] = {100};
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 5050);
    s[0] = 0;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 0);

    ex.fuel_on = true;
    ex.fuel = 10;
    s[0] = 100;
    CHECK(vm_call(&ex, f, s) == W_TRAP_FUEL);
    CHECK(ex.trap == W_TRAP_FUEL && ex.nbt == 1 && ex.bt[0].fn == f);
    ex.fuel = 1000;
    s[0] = 100;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 5050 && ex.fuel == 900);
    ex.fuel_on = false;

    atomic_store(&ex.interrupt, (int)W_TRAP_TIMEOUT);
    s[0] = 100;
    CHECK(vm_call(&ex, f, s) == W_TRAP_TIMEOUT && atomic_load(&ex.interrupt) == 0);
    s[0] = 3;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 6);
    CHECK(ex.sp == ex.stack && ex.nframes == 0);
}

/* fac(n) for i64 through CALL recursion; slots: 0 n, 1 tmp, 2 arg/result */
static void test_factorial(void)
{
    tasm a = {0};
    OP(&a, I64_EQZ, 0, 1);
    uint32_t br = OP(&a, BR_UNLESS, 1, 0);
    OP(&a, CONST64, 0, 1, 0);
    OP0(&a, RETURN);
    patch(&a, br, 2, a.n);
    OP(&a, CONST64, 2, 1, 0);
    OP(&a, I64_SUB, 0, 2, 2);
    OP(&a, CALL, 1, 2);
    OP(&a, I64_MUL, 0, 2, 0);
    OP0(&a, RETURN);
    w_func *f = def(1, &a, 1, 1, 0, 3, 1);
    uint64_t s[1] = {20};
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 2432902008176640000ull);
    s[0] = 0;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 1);
    CHECK(ex.nframes == 0 && ex.sp == ex.stack);
}

static void test_div_traps(void)
{
    uint64_t r = 0;
    CHECK(binop(W_OP_I32_DIV_S, 7, 0, &r) == W_TRAP_INT_DIV_ZERO);
    CHECK(!strcmp(w_trap_message(ex.trap), "integer divide by zero"));
    CHECK(ex.nbt == 1 && ex.bt[0].pc == 0 && ex.bt[0].fn == &funcs[15]);
    CHECK(binop(W_OP_I32_DIV_S, 0x80000000u, 0xFFFFFFFFu, &r) == W_TRAP_INT_OVERFLOW);
    CHECK(binop(W_OP_I32_REM_S, 0x80000000u, 0xFFFFFFFFu, &r) == W_TRAP_OK && r == 0);
    CHECK(binop(W_OP_I32_DIV_S, (uint32_t)-7, 2, &r) == W_TRAP_OK && r == (uint32_t)-3);
    CHECK(binop(W_OP_I32_REM_S, (uint32_t)-7, 2, &r) == W_TRAP_OK && r == (uint32_t)-1);
    CHECK(binop(W_OP_I32_DIV_U, 0xFFFFFFFFu, 2, &r) == W_TRAP_OK && r == 0x7FFFFFFFu);
    CHECK(binop(W_OP_I64_DIV_S, 1ull << 63, ~0ull, &r) == W_TRAP_INT_OVERFLOW);
    CHECK(binop(W_OP_I64_REM_S, 1ull << 63, ~0ull, &r) == W_TRAP_OK && r == 0);
    CHECK(binop(W_OP_I64_REM_U, 5, 0, &r) == W_TRAP_INT_DIV_ZERO);
    /* i32 results are zero-extended in their slot */
    CHECK(binop(W_OP_I32_SUB, 0, 1, &r) == W_TRAP_OK && r == 0xFFFFFFFFull);
}

static void test_int_ops(void)
{
    uint64_t r = 0;
    CHECK(unop(W_OP_I32_CLZ, 0, &r) == W_TRAP_OK && r == 32);
    CHECK(unop(W_OP_I32_CTZ, 0, &r) == W_TRAP_OK && r == 32);
    CHECK(unop(W_OP_I64_CLZ, 0, &r) == W_TRAP_OK && r == 64);
    CHECK(unop(W_OP_I64_CTZ, 0x8000000000000000ull, &r) == W_TRAP_OK && r == 63);
    CHECK(unop(W_OP_I32_POPCNT, 0xFFFFFFFFu, &r) == W_TRAP_OK && r == 32);
    CHECK(binop(W_OP_I32_SHL, 1, 33, &r) == W_TRAP_OK && r == 2);
    CHECK(binop(W_OP_I32_SHR_S, 0x80000000u, 31, &r) == W_TRAP_OK && r == 0xFFFFFFFFu);
    CHECK(binop(W_OP_I32_ROTL, 0x80000001u, 1, &r) == W_TRAP_OK && r == 3);
    CHECK(binop(W_OP_I32_ROTR, 1, 0, &r) == W_TRAP_OK && r == 1);
    CHECK(binop(W_OP_I64_ROTR, 1, 65, &r) == W_TRAP_OK && r == 0x8000000000000000ull);
    CHECK(binop(W_OP_I32_LT_S, 0xFFFFFFFFu, 0, &r) == W_TRAP_OK && r == 1);
    CHECK(binop(W_OP_I32_LT_U, 0xFFFFFFFFu, 0, &r) == W_TRAP_OK && r == 0);
    CHECK(unop(W_OP_I32_EXTEND8_S, 0x80, &r) == W_TRAP_OK && r == 0xFFFFFF80u);
    CHECK(unop(W_OP_I64_EXTEND32_S, 0x80000000u, &r) == W_TRAP_OK && r == 0xFFFFFFFF80000000ull);
    CHECK(unop(W_OP_I64_EXTEND_I32_S, 0xFFFFFFFFu, &r) == W_TRAP_OK && r == ~0ull);
    CHECK(unop(W_OP_I32_WRAP_I64, 0x123456789ull, &r) == W_TRAP_OK && r == 0x23456789u);
}

static void test_floats(void)
{
    uint64_t r = 0;
    CHECK(binop(W_OP_F32_MIN, f32b(-0.0f), f32b(0.0f), &r) == 0 && r == 0x80000000u);
    CHECK(binop(W_OP_F32_MIN, f32b(0.0f), f32b(-0.0f), &r) == 0 && r == 0x80000000u);
    CHECK(binop(W_OP_F32_MAX, f32b(-0.0f), f32b(0.0f), &r) == 0 && r == 0);
    CHECK(binop(W_OP_F64_MIN, f64b(-0.0), f64b(0.0), &r) == 0 && r == 0x8000000000000000ull);
    CHECK(binop(W_OP_F64_MAX, f64b(1.0), 0x7FF4000000000000ull, &r) == 0 &&
          (r & 0x7FF8000000000000ull) == 0x7FF8000000000000ull); /* arithmetic NaN */
    CHECK(binop(W_OP_F32_MIN, 0x7FC00000u, f32b(1.0f), &r) == 0 && r == 0x7FC00000u);
    CHECK(unop(W_OP_F32_NEAREST, f32b(2.5f), &r) == 0 && r == f32b(2.0f));
    CHECK(unop(W_OP_F32_NEAREST, f32b(3.5f), &r) == 0 && r == f32b(4.0f));
    CHECK(unop(W_OP_F64_NEAREST, f64b(-0.5), &r) == 0 && r == 0x8000000000000000ull);
    CHECK(unop(W_OP_F64_NEAREST, f64b(4503599627370497.0), &r) == 0 &&
          r == f64b(4503599627370497.0));
    CHECK(unop(W_OP_F32_CEIL, f32b(-0.5f), &r) == 0 && r == 0x80000000u);
    CHECK(unop(W_OP_F32_FLOOR, 0x7FA00000u, &r) == 0 && r == 0x7FE00000u); /* sNaN quieted */
    CHECK(unop(W_OP_F64_TRUNC, f64b(-1.7), &r) == 0 && r == f64b(-1.0));
    /* abs/neg/copysign are bit operations: a signalling NaN stays signalling */
    CHECK(unop(W_OP_F32_NEG, 0x7FA00001u, &r) == 0 && r == 0xFFA00001u);
    CHECK(unop(W_OP_F64_ABS, 0xFFF0000000000001ull, &r) == 0 && r == 0x7FF0000000000001ull);
    CHECK(binop(W_OP_F32_COPYSIGN, 0x7FA00001u, 0x80000000u, &r) == 0 && r == 0xFFA00001u);
    CHECK(unop(W_OP_F32_SQRT, f32b(-1.0f), &r) == 0 && (r & 0x7FC00000u) == 0x7FC00000u);
    CHECK(binop(W_OP_F32_ADD, f32b(1.5f), f32b(2.25f), &r) == 0 && r == f32b(3.75f));
    CHECK(binop(W_OP_F64_DIV, f64b(1.0), f64b(0.0), &r) == 0 && r == f64b(INFINITY));
    CHECK(binop(W_OP_F32_EQ, 0x7FC00000u, 0x7FC00000u, &r) == 0 && r == 0);
    CHECK(binop(W_OP_F32_NE, 0x7FC00000u, 0x7FC00000u, &r) == 0 && r == 1);
    CHECK(binop(W_OP_F64_LE, f64b(-0.0), f64b(0.0), &r) == 0 && r == 1);

    /* trunc boundaries */
    CHECK(unop(W_OP_I32_TRUNC_F32_S, f32b(2147483648.0f), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(!strcmp(w_trap_message(ex.trap), "integer overflow"));
    CHECK(unop(W_OP_I32_TRUNC_F32_S, f32b(-2147483648.0f), &r) == 0 && r == 0x80000000u);
    CHECK(unop(W_OP_I32_TRUNC_F32_S, f32b(-2147483904.0f), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(unop(W_OP_I32_TRUNC_F32_S, 0x7FC00000u, &r) == W_TRAP_INVALID_CONV);
    CHECK(!strcmp(w_trap_message(ex.trap), "invalid conversion to integer"));
    CHECK(unop(W_OP_I32_TRUNC_F64_S, f64b(-2147483648.9), &r) == 0 && r == 0x80000000u);
    CHECK(unop(W_OP_I32_TRUNC_F64_S, f64b(-2147483649.0), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(unop(W_OP_I32_TRUNC_F64_S, f64b(2147483647.9), &r) == 0 && r == 0x7FFFFFFFu);
    CHECK(unop(W_OP_I32_TRUNC_F64_U, f64b(-0.9), &r) == 0 && r == 0);
    CHECK(unop(W_OP_I32_TRUNC_F64_U, f64b(-1.0), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(unop(W_OP_I32_TRUNC_F64_U, f64b(4294967295.9), &r) == 0 && r == 0xFFFFFFFFu);
    CHECK(unop(W_OP_I32_TRUNC_F64_U, f64b(4294967296.0), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(unop(W_OP_I32_TRUNC_F32_U, f32b(4294967040.0f), &r) == 0 && r == 4294967040u);
    CHECK(unop(W_OP_I64_TRUNC_F64_S, f64b(9223372036854775808.0), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(unop(W_OP_I64_TRUNC_F64_S, f64b(-9223372036854775808.0), &r) == 0 &&
          r == 0x8000000000000000ull);
    CHECK(unop(W_OP_I64_TRUNC_F32_U, f32b(18446742974197923840.0f), &r) == 0 &&
          r == 18446742974197923840ull);
    CHECK(unop(W_OP_I64_TRUNC_F32_U, f32b(18446744073709551616.0f), &r) == W_TRAP_INT_OVERFLOW);
    CHECK(unop(W_OP_I64_TRUNC_F64_U, f64b(-0.99), &r) == 0 && r == 0);
    /* saturating */
    CHECK(unop(W_OP_I32_TRUNC_SAT_F32_S, 0x7FC00000u, &r) == 0 && r == 0);
    CHECK(unop(W_OP_I32_TRUNC_SAT_F32_S, f32b(-1e10f), &r) == 0 && r == 0x80000000u);
    CHECK(unop(W_OP_I32_TRUNC_SAT_F64_U, f64b(1e10), &r) == 0 && r == 0xFFFFFFFFu);
    CHECK(unop(W_OP_I64_TRUNC_SAT_F64_S, f64b(INFINITY), &r) == 0 && r == 0x7FFFFFFFFFFFFFFFull);
    CHECK(unop(W_OP_I64_TRUNC_SAT_F32_U, f32b(-INFINITY), &r) == 0 && r == 0);
    /* conversions */
    CHECK(unop(W_OP_F32_CONVERT_I64_U, 0x8000008000000001ull, &r) == 0 && r == 0x5F000001u);
    CHECK(unop(W_OP_F64_CONVERT_I64_U, 0xFFFFFFFFFFFFFFFFull, &r) == 0 &&
          r == f64b(18446744073709551616.0));
    CHECK(unop(W_OP_F32_CONVERT_I32_U, 0xFFFFFFFFu, &r) == 0 && r == f32b(4294967296.0f));
    CHECK(unop(W_OP_F32_CONVERT_I32_S, 0xFFFFFFFFu, &r) == 0 && r == f32b(-1.0f));
    CHECK(unop(W_OP_F32_DEMOTE_F64, f64b(1e300), &r) == 0 && r == f32b(INFINITY));
    CHECK(unop(W_OP_F64_PROMOTE_F32, 0x7FC00000u, &r) == 0 && r == 0x7FF8000000000000ull);
    CHECK(unop(W_OP_F32_REINTERPRET_I32, 0x7FA00001u, &r) == 0 && r == 0x7FA00001u);
}

static void test_stack_exhaustion(void)
{
    /* f() { f(); } : frames run out (max_frames = 500) */
    tasm a = {0};
    OP(&a, CALL, 2, 0);
    OP0(&a, RETURN);
    w_func *f = def(2, &a, 3, 0, 0, 1, 0);
    uint64_t s[1] = {0};
    CHECK(vm_call(&ex, f, s) == W_TRAP_STACK_EXHAUSTED);
    CHECK(!strcmp(w_trap_message(ex.trap), "call stack exhausted"));
    CHECK(ex.nbt == W_MAX_BACKTRACE && ex.bt[0].pc == 0 && ex.bt[1].fn == f && ex.bt[1].pc == 3);
    CHECK(ex.nframes == 0 && ex.sp == ex.stack);

    /* big frames: the value stack (65536 slots) runs out before the frames */
    tasm b = {0};
    OP(&b, CALL, 3, 999);
    OP0(&b, RETURN);
    w_func *big = def(3, &b, 3, 0, 0, 1000, 0);
    ex.max_frames = 100000;
    CHECK(vm_call(&ex, big, s) == W_TRAP_STACK_EXHAUSTED);
    ex.max_frames = 500;
    CHECK(ex.nframes == 0 && ex.sp == ex.stack);
    /* the context is still usable */
    w_func *g = build_sum(3);
    s[0] = 4;
    CHECK(vm_call(&ex, g, s) == W_TRAP_OK && s[0] == 10);
}

/* Host functions: add, a failing one, and one that calls back into wasm. */
static w_instance *last_caller;

static w_trap host_add(w_exec *e, void *data, uint64_t *slots)
{
    (void)data;
    last_caller = e->caller;
    slots[0] = (uint32_t)(slots[0] + slots[1]);
    return W_TRAP_OK;
}
static w_trap host_fail(w_exec *e, void *data, uint64_t *slots)
{
    (void)data;
    (void)slots;
    snprintf(e->trap_msg, sizeof e->trap_msg, "boom");
    return W_TRAP_HOST;
}
static w_trap host_reenter(w_exec *e, void *data, uint64_t *slots)
{
    /* calls wasm function `data` (sum) with its argument */
    uint64_t s[1] = {slots[0]};
    w_trap t = vm_call(e, (w_func *)data, s);
    if (t != W_TRAP_OK) return t;
    slots[0] = s[0];
    return W_TRAP_OK;
}

static void test_host_calls(void)
{
    def_host(4, 2, host_add, NULL);
    def_host(5, 3, host_fail, NULL);
    w_func *sum = build_sum(6);
    def_host(7, 0, host_reenter, sum);

    /* g(a, b) = host_add(a, b) + 1; slots 0 a, 1 b, 2.. args */
    tasm a = {0};
    OP(&a, COPY, 0, 2);
    OP(&a, COPY, 1, 3);
    OP(&a, CALL, 4, 2);
    OP(&a, CONST32, 3, 1);
    OP(&a, I32_ADD, 2, 3, 0);
    OP0(&a, RETURN);
    w_func *g = def(8, &a, 2, 2, 0, 4, 1);
    uint64_t s[2] = {40, 1};
    CHECK(vm_call(&ex, g, s) == W_TRAP_OK && s[0] == 42 && last_caller == &inst);

    /* h() calls host_fail: trap propagates with the host's message */
    tasm b = {0};
    OP(&b, CONST32, 0, 7);
    OP(&b, CALL, 5, 1);
    OP0(&b, RETURN);
    w_func *h = def(9, &b, 3, 0, 0, 2, 0);
    CHECK(vm_call(&ex, h, s) == W_TRAP_HOST && !strcmp(ex.trap_msg, "boom"));
    CHECK(ex.nbt == 1 && ex.bt[0].fn == h && ex.bt[0].pc == 3);
    CHECK(ex.nframes == 0 && ex.sp == ex.stack);

    /* k(n) = host_reenter(n) -> sum(n): nested vm_call */
    tasm c = {0};
    OP(&c, COPY, 0, 1);
    OP(&c, CALL, 7, 1);
    OP(&c, COPY, 1, 0);
    OP0(&c, RETURN);
    w_func *k = def(10, &c, 0, 1, 0, 2, 1);
    s[0] = 10;
    CHECK(vm_call(&ex, k, s) == W_TRAP_OK && s[0] == 55);
    /* trap inside the nested call: backtrace goes through the host frame */
    ex.fuel_on = true;
    ex.fuel = 5;
    s[0] = 100;
    CHECK(vm_call(&ex, k, s) == W_TRAP_FUEL);
    CHECK(ex.nbt == 2 && ex.bt[0].fn == sum && ex.bt[1].fn == k && ex.bt[1].pc == 6);
    ex.fuel_on = false;
    CHECK(ex.nframes == 0 && ex.sp == ex.stack);

    /* host function called directly from the embedder */
    s[0] = 2;
    s[1] = 3;
    CHECK(vm_call(&ex, &funcs[4], s) == W_TRAP_OK && s[0] == 5 && last_caller == NULL);
}

static void test_memory(void)
{
    /* store(addr, val) then load(addr) with the fast forms; slots 0 addr, 1 val */
    tasm a = {0};
    OP(&a, I32_STORE, 0, 1, 0);
    OP(&a, I32_LOAD8_S, 0, 2, 3);
    OP(&a, I32_LOAD, 0, 0, 0);
    OP(&a, I32_ADD, 0, 2, 0);
    OP0(&a, RETURN);
    w_func *f = def(11, &a, 2, 2, 0, 3, 1);
    uint64_t s[2] = {100, 0x80112233u};
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == (uint32_t)(0x80112233u - 128));
    s[0] = 65532;
    s[1] = 7;
    /* load8 at 65532+3 is fine, at the end */
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 7);
    s[0] = 65533;
    CHECK(vm_call(&ex, f, s) == W_TRAP_MEM_OOB);
    CHECK(!strcmp(w_trap_message(ex.trap), "out of bounds memory access"));
    CHECK(ex.bt[0].pc == 0);
    s[0] = 0xFFFFFFFFu;
    CHECK(vm_call(&ex, f, s) == W_TRAP_MEM_OOB);

    /* generic forms on memory 1 (64-bit): i64 addresses and 64-bit offsets */
    tasm b = {0};
    OP(&b, I64_STORE_M, 0, 1, 1, 8, 0);
    OP(&b, I64_LOAD_M, 0, 0, 1, 8, 0);
    OP0(&b, RETURN);
    w_func *g = def(12, &b, 1, 2, 0, 2, 1);
    s[0] = 10;
    s[1] = 0x1122334455667788ull;
    CHECK(vm_call(&ex, g, s) == W_TRAP_OK && s[0] == 0x1122334455667788ull);
    CHECK(w_rd64((uint8_t *)mem1.base + 18) == 0x1122334455667788ull);
    s[0] = 65536 - 16;
    CHECK(vm_call(&ex, g, s) == W_TRAP_OK);
    s[0] = 65536 - 15;
    CHECK(vm_call(&ex, g, s) == W_TRAP_MEM_OOB);
    s[0] = 0xFFFFFFFFFFFFFFFCull; /* addr + offset overflows */
    CHECK(vm_call(&ex, g, s) == W_TRAP_MEM_OOB);

    /* bulk: fill, copy (overlapping), init, with bounds checked first */
    tasm c = {0};
    OP(&c, MEMORY_FILL, 0, 0, 1, 2);
    OP(&c, MEMORY_COPY, 0, 0, 3, 0, 2);
    OP(&c, MEMORY_INIT, 0, 0, 4, 5, 6);
    OP0(&c, RETURN);
    w_func *h = def(13, &c, 3, 7, 0, 7, 0);
    memset(mem0.base, 0, 64);
    uint64_t v[7] = {0,  0xAB, 4, 2,
                     10, 1,    4}; /* fill [0,4)=AB; copy [0,4)->[2,6); init "ello" at 10 */
    CHECK(vm_call(&ex, h, v) == W_TRAP_OK);
    CHECK(mem0.base[0] == 0xAB && mem0.base[5] == 0xAB && mem0.base[6] == 0 &&
          !memcmp(mem0.base + 10, "ello", 4));
    uint64_t v2[7] = {65536, 1, 0, 65536, 65536, 5, 0}; /* n = 0 at the exact end: fine */
    CHECK(vm_call(&ex, h, v2) == W_TRAP_OK);
    uint64_t v3[7] = {65535, 0x11, 2, 0, 0, 0, 0}; /* fill crosses the end: nothing written */
    CHECK(vm_call(&ex, h, v3) == W_TRAP_MEM_OOB && mem0.base[65535] == 0);
    uint64_t v4[7] = {0, 0, 0, 0, 0, 4, 2}; /* init past the segment's end */
    CHECK(vm_call(&ex, h, v4) == W_TRAP_MEM_OOB);
    uint64_t v5[7] = {65537, 0, 0, 0, 0, 0, 0}; /* n = 0 but d past the end */
    CHECK(vm_call(&ex, h, v5) == W_TRAP_MEM_OOB);

    /* data.drop then init of 0 bytes at 0 is fine, of 1 byte traps */
    tasm d = {0};
    OP(&d, DATA_DROP, 0);
    OP(&d, MEMORY_INIT, 0, 0, 0, 1, 2);
    OP0(&d, RETURN);
    w_func *k = def(14, &d, 3, 3, 0, 3, 0);
    uint64_t v6[3] = {0, 0, 0};
    CHECK(vm_call(&ex, k, v6) == W_TRAP_OK);
    uint64_t v7[3] = {0, 0, 1};
    CHECK(vm_call(&ex, k, v7) == W_TRAP_MEM_OOB);
    datas[0].len = 5;

    /* memory.size and a failing memory.grow */
    uint64_t r;
    tasm e = {0};
    OP(&e, MEMORY_GROW, 0, 0, 1);
    OP(&e, MEMORY_SIZE, 0, 0);
    OP(&e, I32_ADD, 0, 1, 0);
    OP0(&e, RETURN);
    w_func *gr = def(15, &e, 0, 1, 0, 2, 1);
    uint64_t v8[1] = {5};
    CHECK(vm_call(&ex, gr, v8) == W_TRAP_OK && v8[0] == 0); /* -1 + 1 pages */
    (void)r;
}

static void test_simd_memory(void)
{
    memset(mem0.base, 0, 64);
    for (int i = 0; i < 16; i++)
        mem0.base[i] = (uint8_t)(0xF0 + i);
    uint64_t s[8] = {0};
    tasm a = {0};
    OP(&a, V128_LOAD8X8_S, 0, 2, 0);         /* slots 2,3 */
    OP(&a, V128_LOAD32_ZERO, 0, 4, 4);       /* slots 4,5 */
    OP(&a, V128_LOAD16_LANE, 0, 2, 6, 0, 7); /* lane 7 of slots 2,3 := bytes 0..1 -> slots 6,7 */
    OP(&a, V128_STORE32_LANE, 1, 4, 0, 0);   /* store lane 0 of slots 4,5 at addr s[1] */
    OP(&a, COPY_V128, 6, 0);
    OP0(&a, RETURN);
    w_func *f = def(15, &a, 3, 2, 0, 8, 2);
    s[0] = 0;
    s[1] = 32;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK);
    w_v128 v;
    memcpy(&v, s, 16);
    CHECK(v.i16[0] == (int8_t)0xF0 && v.i16[6] == (int8_t)0xF6 && v.u16[7] == 0xF1F0);
    CHECK(w_rd32(mem0.base + 32) == 0xF7F6F5F4u);
    s[0] = 65530;
    s[1] = 0;
    CHECK(vm_call(&ex, f, s) == W_TRAP_MEM_OOB);
}

static void test_br_table_select(void)
{
    /* f(i) = [10, 20, 30][min(i, 2)] via br_table; then select(f, 99, i & 1) */
    tasm a = {0};
    uint32_t bt = OP(&a, BR_TABLE, 0, 2, 0, 0, 0);
    uint32_t c0 = OP(&a, CONST32, 1, 10);
    uint32_t b0 = OP(&a, BR, 0);
    uint32_t c1 = OP(&a, CONST32, 1, 20);
    uint32_t b1 = OP(&a, BR, 0);
    uint32_t c2 = OP(&a, CONST32, 1, 30);
    uint32_t end = a.n;
    OP(&a, CONST32, 2, 99);
    OP(&a, CONST32, 3, 1);
    OP(&a, I32_AND, 0, 3, 3);
    OP(&a, SELECT, 1, 2, 3, 0);
    OP0(&a, RETURN);
    patch(&a, bt, 3, c0);
    patch(&a, bt, 4, c1);
    patch(&a, bt, 5, c2);
    patch(&a, b0, 1, end);
    patch(&a, b1, 1, end);
    w_func *f = def(15, &a, 0, 1, 0, 4, 1);
    uint64_t s[1];
    s[0] = 0;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 99);
    s[0] = 1;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 20);
    s[0] = 3;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 30);
    s[0] = 1000;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 99);
    s[0] = 0xFFFFFFFFu;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 30);
}

static void test_tables_and_indirect(void)
{
    /* callee 0: sum (type 0), installed at table[1]; table[0] null;
     * table[2] = fac (type 1, mismatch) */
    build_sum(0);
    table0.elems[0] = 0;
    table0.elems[1] = (uint64_t)(uintptr_t)&funcs[0];
    table0.elems[2] = (uint64_t)(uintptr_t)&funcs[1];
    /* f(i, n) = call_indirect type 0 table[i](n); slots 0 i, 1 n, 2 arg */
    tasm a = {0};
    OP(&a, COPY, 1, 2);
    OP(&a, CALL_INDIRECT, 0, 2, 0, 0);
    OP(&a, COPY, 2, 0);
    OP0(&a, RETURN);
    w_func *f = def(14, &a, 2, 2, 0, 3, 1);
    uint64_t s[2] = {1, 4};
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 10);
    s[0] = 0;
    CHECK(vm_call(&ex, f, s) == W_TRAP_UNINIT_ELEM);
    CHECK(!strcmp(w_trap_message(ex.trap), "uninitialized element"));
    s[0] = 2;
    CHECK(vm_call(&ex, f, s) == W_TRAP_IND_CALL_MISMATCH);
    s[0] = 4;
    CHECK(vm_call(&ex, f, s) == W_TRAP_UNDEF_ELEM);
    /* a structurally equal type of another module matches; the call switches
     * to the other instance and back */
    static w_functype other = {1, 1, vt_i32, vt_i32, 1, 1, 7};
    static w_module mod2;
    static w_instance inst2;
    static w_func foreign;
    mod2 = mod;
    inst2 = inst;
    inst2.module = &mod2;
    foreign = funcs[0];
    foreign.type = &other;
    foreign.inst = &inst2;
    table0.elems[3] = (uint64_t)(uintptr_t)&foreign;
    s[0] = 3;
    s[1] = 5;
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 15);
    other.results = vt_i64;
    s[0] = 3;
    CHECK(vm_call(&ex, f, s) == W_TRAP_IND_CALL_MISMATCH);

    /* table ops: size, grow, get/set, fill, copy, init, elem.drop, ref ops */
    tasm b = {0};
    OP(&b, TABLE_SIZE, 0, 1); /* s1 = 4 */
    OP(&b, REF_FUNC, 0, 2);   /* s2 = &funcs[0] */
    OP(&b, CONST32, 3, 2);
    OP(&b, TABLE_GROW, 0, 2, 3, 4); /* s4 = 4, size 6 */
    OP(&b, CONST32, 3, 5);
    OP(&b, TABLE_GET, 0, 3, 5); /* s5 = table[5] = funcs[0] */
    OP(&b, REF_IS_NULL, 5, 6);  /* s6 = 0 */
    OP(&b, I32_ADD, 1, 4, 1);   /* 8 */
    OP(&b, I32_ADD, 1, 6, 0);
    OP0(&b, RETURN);
    w_func *g = def(13, &b, 0, 1, 0, 7, 1);
    uint64_t r[1] = {0};
    CHECK(vm_call(&ex, g, r) == W_TRAP_OK && r[0] == 8 && table0.size == 6 &&
          table0.elems[5] == (uint64_t)(uintptr_t)&funcs[0]);
    /* grow beyond max fails with -1 */
    tasm c = {0};
    OP(&c, CONST32, 1, 100);
    OP(&c, TABLE_GROW, 0, 1, 1, 0);
    OP0(&c, RETURN);
    w_func *h = def(12, &c, 0, 1, 0, 2, 1);
    CHECK(vm_call(&ex, h, r) == W_TRAP_OK && r[0] == 0xFFFFFFFFu && table0.size == 6);

    /* init table[d..] from elem 0 [s..s+n), fill, copy, bounds */
    elem_refs[0] = 11;
    elem_refs[1] = 22;
    elem_refs[2] = 33;
    tasm d = {0};
    OP(&d, TABLE_INIT, 0, 0, 0, 1, 2); /* [U table][U elem][S d][S s][S n] */
    OP0(&d, RETURN);
    w_func *k = def(11, &d, 3, 3, 0, 3, 0);
    uint64_t v1[3] = {4, 1, 2};
    CHECK(vm_call(&ex, k, v1) == W_TRAP_OK && table0.elems[4] == 22 && table0.elems[5] == 33);
    uint64_t v2[3] = {5, 1, 2};
    CHECK(vm_call(&ex, k, v2) == W_TRAP_TABLE_OOB && table0.elems[5] == 33);
    CHECK(!strcmp(w_trap_message(ex.trap), "out of bounds table access"));
    uint64_t v3[3] = {6, 3, 0};
    CHECK(vm_call(&ex, k, v3) == W_TRAP_OK);
    tasm e = {0};
    OP(&e, TABLE_FILL, 0, 0, 1, 2);
    OP(&e, TABLE_COPY, 0, 0, 0, 0, 2); /* d = s = i: no-op but checked */
    OP(&e, ELEM_DROP, 0);
    OP0(&e, RETURN);
    w_func *m = def(10, &e, 3, 3, 0, 3, 0);
    uint64_t v4[3] = {1, 77, 2};
    CHECK(vm_call(&ex, m, v4) == W_TRAP_OK && table0.elems[1] == 77 && table0.elems[2] == 77 &&
          table0.elems[3] != 77 && elems[0].len == 0);
    uint64_t v5[3] = {5, 77, 2};
    CHECK(vm_call(&ex, m, v5) == W_TRAP_TABLE_OOB && table0.elems[5] == 33);
    uint64_t v6[3] = {4, 1, 2};
    CHECK(vm_call(&ex, k, v6) == W_TRAP_TABLE_OOB); /* dropped segment */
    elems[0].len = 3;

    /* TABLE_SET / TABLE_GET out of bounds */
    tasm t = {0};
    OP(&t, TABLE_SET, 0, 0, 1);
    OP(&t, TABLE_GET, 0, 0, 0);
    OP0(&t, RETURN);
    w_func *ts = def(9, &t, 2, 2, 0, 2, 1);
    uint64_t v7[2] = {0, 1234};
    CHECK(vm_call(&ex, ts, v7) == W_TRAP_OK && v7[0] == 1234);
    uint64_t v8[2] = {6, 1234};
    CHECK(vm_call(&ex, ts, v8) == W_TRAP_TABLE_OOB);
    table0.size = 4;
}

static void test_globals_consts(void)
{
    tasm a = {0};
    OP(&a, CONST64, 1, 0x89ABCDEFu, 0x01234567u);
    OP(&a, GLOBAL_SET, 0, 1);
    OP(&a, GLOBAL_GET, 0, 0);
    OP(&a, CONST_V128, 2, 1, 2, 3, 4);
    OP(&a, GLOBAL_SET_V128, 0, 2);
    OP(&a, SELECT_V128, 2, 2, 0, 4);
    OP0(&a, RETURN);
    w_func *f = def(15, &a, 1, 1, 0, 6, 1);
    uint64_t s[1] = {0};
    CHECK(vm_call(&ex, f, s) == W_TRAP_OK && s[0] == 0x0123456789ABCDEFull);
    CHECK(glob0.val[0] == 0x0000000200000001ull && glob0.val[1] == 0x0000000400000003ull);
}

static void test_unreachable_and_backtrace(void)
{
    /* a() calls b() which hits unreachable */
    tasm b = {0};
    OP(&b, CONST32, 0, 1);
    OP0(&b, UNREACHABLE);
    w_func *fb = def(3, &b, 3, 0, 0, 1, 0);
    tasm a = {0};
    OP(&a, CONST32, 0, 1);
    OP(&a, CALL, 3, 1);
    OP0(&a, RETURN);
    w_func *fa = def(2, &a, 3, 0, 0, 2, 0);
    uint64_t s[1];
    CHECK(vm_call(&ex, fa, s) == W_TRAP_UNREACHABLE);
    CHECK(ex.nbt == 2 && ex.bt[0].fn == fb && ex.bt[0].pc == 3 && ex.bt[1].fn == fa &&
          ex.bt[1].pc == 6);
}

static void test_op_words(void)
{
    /* distinct handler words for distinct ops, stable across calls */
    CHECK(vm_op_word(W_OP_I32_ADD) != vm_op_word(W_OP_I32_SUB));
    CHECK(vm_op_word(W_OP_I32_ADD) == vm_op_word(W_OP_I32_ADD));
    CHECK(vm_op_word(W_OP_I64_LOAD) != vm_op_word(W_OP_I64_LOAD_M));
}

int main(void)
{
    setup();
    test_op_words();
    test_loop_and_fuel();
    test_factorial();
    test_div_traps();
    test_int_ops();
    test_floats();
    test_stack_exhaustion();
    test_host_calls();
    test_memory();
    test_simd_memory();
    test_br_table_select();
    test_tables_and_indirect();
    test_globals_consts();
    test_unreachable_and_backtrace();
    teardown();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
