/* test_multimem.c - accesses to memories other than memory 0, one module
 * with memories of different modes (multi-memory, memory64).
 *
 * The store API gives every memory of a store one mode; the runtime layer
 * used here takes imported memories of any mode, so one instance can have
 * a flat memory 0 and a paged memory 1 and the other way round. For each
 * combination, and for a paged memory 1 without its span (every access
 * through the tables), it checks that the compiler picked memory 1's forms
 * from its mode (ir.h W_OP_*_M for flat, W_OP_*_MP for paged), then loads
 * and stores in memory 1: plain, SIMD and lane accesses, accesses that
 * straddle its two pages (the slow path gathers and scatters them when the
 * pages are not one span), the last bytes, an out-of-bounds trap and, on a
 * paged memory 1, a permission trap that writes nothing. Memory 0 must not
 * see any of it, and a 64-bit memory 2 traps on an address whose sum with
 * the offset overflows.
 *
 * The last line is "N passed, M failed".
 */
#include "base/base.h"
#include "decode/decode.h"
#include "exec/exec.h"
#include "exec/ir.h"
#include "mem/paged.h"
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>

#include "../check.h"

/* multimem.wasm: `wat2wasm --enable-all` of
 * (module
 *   (import "env" "a" (memory 1))          ;; memory 0
 *   (import "env" "b" (memory 2))          ;; memory 1
 *   (memory i64 1)                         ;; memory 2
 *   (func $ld (param i32) (result i64) local.get 0 i64.load 1)                  ;; 0
 *   (func $st (param i32 i64) local.get 0 local.get 1 i64.store 1)              ;; 1
 *   (func $ld16 (param i32) (result i32) local.get 0 i32.load16_u 1 offset=1)   ;; 2
 *   (func $ldv (param i32) (result i64)                                         ;; 3
 *     local.get 0 v128.load 1 i64x2.extract_lane 1)
 *   (func $stlane (param i32 i64)                                               ;; 4
 *     local.get 0 v128.const i64x2 0 0 local.get 1 i64x2.replace_lane 1
 *     v128.store32_lane 1 3)
 *   (func $ld0 (param i32) (result i64) local.get 0 i64.load 0)                 ;; 5
 *   (func $ld64 (param i64) (result i64) local.get 0 i64.load 2 offset=8))      ;; 6
 */
static const uint8_t multimem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x15, 0x04, 0x60, 0x01, 0x7f, 0x01,
    0x7e, 0x60, 0x02, 0x7f, 0x7e, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7e, 0x01,
    0x7e, 0x02, 0x13, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x61, 0x02, 0x00, 0x01, 0x03, 0x65,
    0x6e, 0x76, 0x01, 0x62, 0x02, 0x00, 0x02, 0x03, 0x08, 0x07, 0x00, 0x01, 0x02, 0x00, 0x01,
    0x00, 0x03, 0x05, 0x03, 0x01, 0x04, 0x01, 0x0a, 0x5e, 0x07, 0x08, 0x00, 0x20, 0x00, 0x29,
    0x43, 0x01, 0x00, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x37, 0x43, 0x01, 0x00, 0x0b,
    0x08, 0x00, 0x20, 0x00, 0x2f, 0x41, 0x01, 0x01, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0xfd, 0x00,
    0x44, 0x01, 0x00, 0xfd, 0x1d, 0x01, 0x0b, 0x21, 0x00, 0x20, 0x00, 0xfd, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
    0x01, 0xfd, 0x1e, 0x01, 0xfd, 0x5a, 0x42, 0x01, 0x00, 0x03, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x29, 0x03, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x29, 0x43, 0x02, 0x08, 0x0b,
};

enum { F_LD, F_ST, F_LD16, F_LDV, F_STLANE, F_LD0, F_LD64 };

static w_module *mod;

/* Does function f's code hold the handler word of op? */
static bool uses(const w_instance *in, uint32_t f, w_op op)
{
    const w_fcode *fc = in->funcs[f]->code;
    uint32_t w = vm_op_word(op);
    return fc->ncode > 0 && fc->code[0] == w;
}

static w_trap call(w_store *s, w_instance *in, uint32_t f, uint64_t a, uint64_t b, uint64_t *r)
{
    uint64_t args[2] = {a, b};
    w_trap t = vm_call(&s->exec, in->funcs[f], args);
    if (r) *r = args[0];
    return t;
}

/* mode0 and mode1: memory 0's and memory 1's; tables: memory 1 (paged)
 * without its span. */
static void run(uint8_t mode0, uint8_t mode1, bool tables)
{
    w_store s;
    w_err err;
    w_trap trap;
    uint64_t r = 0;
    char what[64];
    int failed_before = failed;
    snprintf(what, sizeof what, "memory 0 %s, memory 1 %s%s", mode0 ? "paged" : "flat",
             mode1 ? "paged" : "flat", tables ? " (tables)" : "");
    if (!rt_store_init(&s, 1 << 14, 100, NULL)) {
        CHECK(!"rt_store_init");
        return;
    }
    w_memtype t0 = {{1, 0, false, false, false}}, t1 = {{2, 0, false, false, false}};
    w_memory *m0 = rt_memory_new(&s, &t0, mode0, &err);
    w_memory *m1 = rt_memory_new(&s, &t1, mode1, &err);
    CHECK(m0 && m1);
    if (!m0 || !m1) goto out;
    if (tables) pg_no_span(m1);
    w_extern imports[2] = {{W_EXT_MEMORY, m0}, {W_EXT_MEMORY, m1}};
    w_instance *in = rt_instantiate(&s, mod, imports, W_MEM_FLAT, &err, &trap);
    CHECK(in != NULL);
    if (!in) {
        printf("FAIL %s: %s\n", what, err.msg);
        goto out;
    }

    /* The forms follow each memory's mode. */
    CHECK(uses(in, F_LD, mode1 ? W_OP_I64_LOAD_MP : W_OP_I64_LOAD_M));
    CHECK(uses(in, F_ST, mode1 ? W_OP_I64_STORE_MP : W_OP_I64_STORE_M));
    CHECK(uses(in, F_LDV, mode1 ? W_OP_V128_LOAD_MP : W_OP_V128_LOAD_M));
    CHECK(uses(in, F_LD0, mode0 ? W_OP_I64_LOAD_P : W_OP_I64_LOAD));
    CHECK(uses(in, F_LD64, W_OP_I64_LOAD_M)); /* memory 2: defined here, flat */

    /* Plain accesses, and memory 0 does not see them. */
    CHECK(call(&s, in, F_ST, 8, 0x1122334455667788ull, NULL) == W_TRAP_OK);
    CHECK(call(&s, in, F_LD, 8, 0, &r) == W_TRAP_OK && r == 0x1122334455667788ull);
    CHECK(call(&s, in, F_LD0, 8, 0, &r) == W_TRAP_OK && r == 0);
    CHECK(call(&s, in, F_LD16, 8, 0, &r) == W_TRAP_OK && r == 0x6677);

    /* Across the page boundary at 64 KiB, in every access kind. */
    CHECK(call(&s, in, F_ST, 65536 - 3, 0x0102030405060708ull, NULL) == W_TRAP_OK);
    CHECK(call(&s, in, F_LD, 65536 - 3, 0, &r) == W_TRAP_OK && r == 0x0102030405060708ull);
    uint8_t b[8];
    CHECK(mem_read(m1, 65536 - 3, b, 8) && b[0] == 0x08 && b[7] == 0x01);
    CHECK(call(&s, in, F_LD16, 65536 - 2, 0, &r) == W_TRAP_OK && r == 0x0506);
    CHECK(call(&s, in, F_LDV, 65536 - 11, 0, &r) == W_TRAP_OK && r == 0x0102030405060708ull);
    CHECK(call(&s, in, F_STLANE, 65536 - 2, 0xAABBCCDD00000000ull, NULL) == W_TRAP_OK);
    CHECK(mem_read(m1, 65536 - 2, b, 4) && b[0] == 0xDD && b[1] == 0xCC && b[2] == 0xBB &&
          b[3] == 0xAA);
    CHECK(call(&s, in, F_LD0, 65536 - 8, 0, &r) == W_TRAP_OK && r == 0);

    /* The last bytes, then one past them. */
    CHECK(call(&s, in, F_ST, 2 * 65536 - 8, 42, NULL) == W_TRAP_OK);
    CHECK(call(&s, in, F_LD, 2 * 65536 - 8, 0, &r) == W_TRAP_OK && r == 42);
    CHECK(call(&s, in, F_LD, 2 * 65536 - 7, 0, &r) == W_TRAP_MEM_OOB);
    CHECK(call(&s, in, F_ST, 2 * 65536 - 7, 1, NULL) == W_TRAP_MEM_OOB);
    CHECK(call(&s, in, F_LD16, 2 * 65536 - 2, 0, &r) == W_TRAP_MEM_OOB);
    CHECK(call(&s, in, F_LD, 0xFFFFFFFFu, 0, &r) == W_TRAP_MEM_OOB);
    CHECK(call(&s, in, F_LD, 2 * 65536 - 8, 0, &r) == W_TRAP_OK && r == 42);

    /* A read-only page 1: loads still work, a store traps with the page's
     * reason, and one that straddles into it writes nothing at all. */
    if (mode1 == W_MEM_PAGED) {
        CHECK(call(&s, in, F_ST, 65536 - 3, 0x0102030405060708ull, NULL) == W_TRAP_OK);
        CHECK(pg_protect(m1, 1, 1, PG_R, true));
        CHECK(call(&s, in, F_LD, 65536 - 3, 0, &r) == W_TRAP_OK && r == 0x0102030405060708ull);
        CHECK(call(&s, in, F_ST, 65536 + 16, 7, NULL) == W_TRAP_ACCESS_DENIED);
        CHECK(strstr(s.exec.trap_msg, "page 1 is read-only") != NULL);
        CHECK(call(&s, in, F_ST, 65536 - 4, 0x9999999999999999ull, NULL) == W_TRAP_ACCESS_DENIED);
        CHECK(strstr(s.exec.trap_msg, "page 1 is read-only") != NULL);
        CHECK(mem_read(m1, 65536 - 4, b, 8) && b[0] == 0 && b[1] == 0x08 && b[4] == 0x05);
        CHECK(call(&s, in, F_ST, 65536 - 16, 5, NULL) == W_TRAP_OK);
        CHECK(call(&s, in, F_LD, 65536 - 16, 0, &r) == W_TRAP_OK && r == 5);
    }

    /* Memory 2 (64-bit): address + offset overflows 64 bits. */
    CHECK(call(&s, in, F_LD64, 16, 0, &r) == W_TRAP_OK && r == 0);
    CHECK(call(&s, in, F_LD64, UINT64_MAX - 4, 0, &r) == W_TRAP_MEM_OOB);
    CHECK(call(&s, in, F_LD64, 65536 - 15, 0, &r) == W_TRAP_MEM_OOB);
out:
    rt_store_free(&s);
    if (failed != failed_before) printf("  (the failures above: %s)\n", what);
}

int main(void)
{
    w_err err;
    mod = dec_module_decode(multimem_wasm, sizeof multimem_wasm,
                            W_FEAT_MULTI_MEMORY | W_FEAT_MEMORY64, NULL, &err);
    CHECK(mod != NULL);
    if (!mod) {
        printf("FAIL decode: %s\n", err.msg);
        goto done;
    }
    CHECK(cmp_compile_module(mod, NULL, &err));
    mod->refcount = 1;
    for (uint8_t mode0 = W_MEM_FLAT; mode0 <= W_MEM_PAGED; mode0++) {
        run(mode0, W_MEM_FLAT, false);
        run(mode0, W_MEM_PAGED, false);
        run(mode0, W_MEM_PAGED, true);
    }
    rt_module_release(mod);
done:
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
