/* test_api.c - the public API end to end, through include/ward.h only.
 *
 * Loads a small module, links host functions, calls exports, reads and writes
 * memory through the checked helpers, and checks traps (message, backtrace),
 * fuel, deadline, interrupt, exit, link errors and instantiation traps.
 * Exit status 0 = every check passed; the last line is "N passed, M failed".
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ward.h"

#include "../check.h"
#include "../vals.h"

/* main.wasm: `wat2wasm --debug-names` of
 * (module
 *   (import "env" "double" (func $double (param i32) (result i32)))
 *   (import "env" "fail" (func $fail))
 *   (import "env" "quit" (func $quit))
 *   (memory (export "mem") 1 4)
 *   (data (i32.const 16) "hello")
 *   (func (export "add") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.add)
 *   (func (export "call_double") (param i32) (result i32)
 *     local.get 0 call $double)
 *   (func (export "load8") (param i32) (result i32)
 *     local.get 0 i32.load8_u)
 *   (func (export "store32") (param i32 i32)
 *     local.get 0 local.get 1 i32.store)
 *   (func $inner (param i32) (result i32)
 *     local.get 0 i32.const 0 i32.div_s)
 *   (func $outer (export "div0") (param i32) (result i32)
 *     local.get 0 call $inner)
 *   (func (export "spin") (loop $l br $l))
 *   (func (export "host_fail") call $fail)
 *   (func (export "host_quit") call $quit)
 *   (func (export "grow") (param i32) (result i32)
 *     local.get 0 memory.grow)
 *   (func (export "f64id") (param f64) (result f64) local.get 0)
 *   (func (export "v128id") (param v128) (result v128) local.get 0)
 *   (func $runaway (export "runaway") call $runaway)
 *   (func $fac (export "fac") (param i64) (result i64)
 *     local.get 0 i64.eqz
 *     if (result i64) i64.const 1
 *     else local.get 0 local.get 0 i64.const 1 i64.sub call $fac i64.mul end)
 * )
 */
static const uint8_t main_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x23, 0x07, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01,
    0x7c, 0x01, 0x7c, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x60, 0x01, 0x7e, 0x01, 0x7e, 0x02, 0x24, 0x03,
    0x03, 0x65, 0x6e, 0x76, 0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x00, 0x00, 0x03, 0x65, 0x6e,
    0x76, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x71, 0x75, 0x69,
    0x74, 0x00, 0x01, 0x03, 0x0f, 0x0e, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00,
    0x04, 0x05, 0x01, 0x06, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x7b, 0x0e, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00, 0x03, 0x0b, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x64,
    0x6f, 0x75, 0x62, 0x6c, 0x65, 0x00, 0x04, 0x05, 0x6c, 0x6f, 0x61, 0x64, 0x38, 0x00, 0x05, 0x07,
    0x73, 0x74, 0x6f, 0x72, 0x65, 0x33, 0x32, 0x00, 0x06, 0x04, 0x64, 0x69, 0x76, 0x30, 0x00, 0x08,
    0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x09, 0x09, 0x68, 0x6f, 0x73, 0x74, 0x5f, 0x66, 0x61, 0x69,
    0x6c, 0x00, 0x0a, 0x09, 0x68, 0x6f, 0x73, 0x74, 0x5f, 0x71, 0x75, 0x69, 0x74, 0x00, 0x0b, 0x04,
    0x67, 0x72, 0x6f, 0x77, 0x00, 0x0c, 0x05, 0x66, 0x36, 0x34, 0x69, 0x64, 0x00, 0x0d, 0x06, 0x76,
    0x31, 0x32, 0x38, 0x69, 0x64, 0x00, 0x0e, 0x07, 0x72, 0x75, 0x6e, 0x61, 0x77, 0x61, 0x79, 0x00,
    0x0f, 0x03, 0x66, 0x61, 0x63, 0x00, 0x10, 0x0a, 0x6f, 0x0e, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x6a, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00,
    0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41,
    0x00, 0x6d, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x07, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00,
    0x0b, 0x0b, 0x04, 0x00, 0x10, 0x01, 0x0b, 0x04, 0x00, 0x10, 0x02, 0x0b, 0x06, 0x00, 0x20, 0x00,
    0x40, 0x00, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x04, 0x00, 0x10,
    0x0f, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x50, 0x04, 0x7e, 0x42, 0x01, 0x05, 0x20, 0x00, 0x20, 0x00,
    0x42, 0x01, 0x7d, 0x10, 0x10, 0x7e, 0x0b, 0x0b, 0x0b, 0x0b, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x05,
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x5d, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x31, 0x07, 0x00,
    0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x01, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x02, 0x04, 0x71,
    0x75, 0x69, 0x74, 0x07, 0x05, 0x69, 0x6e, 0x6e, 0x65, 0x72, 0x08, 0x05, 0x6f, 0x75, 0x74, 0x65,
    0x72, 0x0f, 0x07, 0x72, 0x75, 0x6e, 0x61, 0x77, 0x61, 0x79, 0x10, 0x03, 0x66, 0x61, 0x63, 0x02,
    0x23, 0x11, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00,
    0x07, 0x00, 0x08, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x0d, 0x00, 0x0e, 0x00,
    0x0f, 0x00, 0x10, 0x00,
};

/* oob.wasm: `wat2wasm` of
 * (module
 *   (memory 1)
 *   (data (i32.const 65535) "ab"))
 */
static const uint8_t oob_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01,
    0x0b, 0x0a, 0x01, 0x00, 0x41, 0xff, 0xff, 0x03, 0x0b, 0x02, 0x61, 0x62,
};

/* start_trap.wasm: `wat2wasm` of (module (func $s unreachable) (start $s)) */
static const uint8_t start_trap_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x08, 0x01, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
};

/* hostcall.wasm: `wat2wasm` of
 * (module (import "env" "f" (func $f)) (func (export "run") call $f)) */
static const uint8_t hostcall_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x09,
    0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01,
    0x03, 0x72, 0x75, 0x6e, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,
};

/* ---- host functions ------------------------------------------------------------ */

static int host_calls;

static int h_double(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    int *counter = data;
    (*counter)++;
    /* The caller is the instance, and its memory is reachable. */
    if (!ward_caller_instance(c) || !ward_caller_memory(c) || !ward_caller_store(c))
        return ward_caller_trap(c, "no caller context");
    results[0].of.i32 = args[0].of.i32 * 2;
    return 0;
}

static int h_fail(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data, (void)args, (void)results;
    return ward_caller_trap(c, "boom");
}

static int h_quit(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data, (void)args, (void)results;
    return ward_caller_exit(c, 3);
}

/* Traps with the code in *data through ward_caller_trap_code. */
static int h_trap_code(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)args, (void)results;
    return ward_caller_trap_code(c, *(const ward_trap_code *)data);
}

static int data_freed;
static void free_counter(void *p)
{
    (void)p;
    data_freed++;
}

/* Defines env.double / env.fail / env.quit in l. */
static void define_env(ward_store *s, ward_linker *l)
{
    static const ward_valkind i32k[] = {WARD_I32};
    ward_extern e;
    e.kind = WARD_EXTERN_FUNC;
    e.of.func = ward_func_new(s, i32k, 1, i32k, 1, h_double, &host_calls, free_counter);
    CHECK(e.of.func != NULL);
    CHECK(ward_linker_define(l, "env", "double", e));
    e.of.func = ward_func_new(s, NULL, 0, NULL, 0, h_fail, NULL, NULL);
    CHECK(ward_linker_define(l, "env", "fail", e));
    e.of.func = ward_func_new(s, NULL, 0, NULL, 0, h_quit, NULL, NULL);
    CHECK(ward_linker_define(l, "env", "quit", e));
}

static void *interrupter(void *arg)
{
    usleep(50 * 1000);
    ward_store_interrupt(arg);
    return NULL;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_bad_module(void)
{
    static const uint8_t junk[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
    ward_error err;
    ward_module *m = ward_module_new(junk, sizeof junk, 0, &err);
    CHECK(m == NULL);
    CHECK(err.message[0] != '\0');
}

/* Artifacts that are not (a valid one needs ward-native to make:
 * tests/native/run.sh runs those): each refused with its own message. */
static void test_bad_artifact(void)
{
    static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    uint8_t a[400] = "WARDAOT3";
    ward_error err;
    CHECK(!ward_is_artifact(wasm, sizeof wasm) && ward_is_artifact(a, sizeof a));
    CHECK(!ward_is_artifact(a, 7) && !ward_is_artifact(NULL, 0));
    CHECK(ward_module_new_artifact(NULL, a, sizeof a, -1, NULL, &err) == NULL);
    CHECK(err.code == WARD_ERROR_INVALID_ARGUMENT && strstr(err.message, "no store"));
    ward_store *s = ward_store_new(NULL);
    CHECK(ward_module_new_artifact(s, wasm, sizeof wasm, -1, NULL, &err) == NULL);
    CHECK(strstr(err.message, "not a ward native artifact") != NULL);
    CHECK(ward_module_new_artifact(s, a, sizeof a, -1, NULL, &err) == NULL);
    CHECK(strstr(err.message, "truncated") != NULL);
    a[7] = '2';
    CHECK(ward_module_new_artifact(s, a, sizeof a, -1, NULL, &err) == NULL);
    CHECK(strstr(err.message, "format 2") != NULL);
    /* The cache without LLVM: no entry is no error (tests/native/run.sh
     * has the entries ward-native writes). */
    bool hit = true;
    uint32_t nc = 7;
    CHECK(ward_module_new_cached(NULL, wasm, sizeof wasm, WARD_FEATURE_ALL, "/nonexistent", 2, &nc,
                                 &hit, &err) == NULL);
    CHECK(err.code == WARD_ERROR_INVALID_ARGUMENT && strstr(err.message, "no store") && !hit);
    CHECK(ward_module_new_cached(s, a, sizeof a, WARD_FEATURE_ALL, "/nonexistent", 2, &nc, &hit,
                                 &err) == NULL);
    CHECK(err.code != WARD_ERROR_NONE);
    hit = true;
    ward_module *m = ward_module_new_cached(s, wasm, sizeof wasm, WARD_FEATURE_ALL, "/nonexistent",
                                            2, &nc, &hit, &err);
    CHECK(m != NULL && !hit && nc == 0);
    ward_module_free(m);
    m = ward_module_new_cached(s, wasm, sizeof wasm, WARD_FEATURE_ALL, NULL, 2, NULL, NULL, NULL);
    CHECK(m != NULL);
    ward_module_free(m);
    ward_store_free(s);
}

static void test_link_errors(ward_module *m)
{
    ward_store *s = ward_store_new(NULL);
    ward_linker *l = ward_linker_new();
    ward_result res;
    CHECK(ward_instance_new(s, m, l, &res) == NULL);
    CHECK(res.status == WARD_ERROR);
    CHECK(strncmp(res.message, "unknown import", 14) == 0);

    /* env.double with the wrong type. */
    static const ward_valkind i64k[] = {WARD_I64};
    define_env(s, l);
    ward_extern e;
    e.kind = WARD_EXTERN_FUNC;
    e.of.func = ward_func_new(s, i64k, 1, i64k, 1, h_double, &host_calls, NULL);
    CHECK(ward_linker_define(l, "env", "double", e));
    CHECK(ward_instance_new(s, m, l, &res) == NULL);
    CHECK(res.status == WARD_ERROR);
    CHECK(strncmp(res.message, "incompatible import type", 24) == 0);

    /* A memory where a function is expected. */
    e.kind = WARD_EXTERN_MEMORY;
    e.of.memory = ward_memory_new(s, 1, 1, true, false);
    CHECK(e.of.memory != NULL);
    CHECK(ward_linker_define(l, "env", "double", e));
    CHECK(ward_instance_new(s, m, l, &res) == NULL);
    CHECK(strncmp(res.message, "incompatible import type", 24) == 0);
    ward_linker_free(l);
    ward_store_free(s);
}

/* A paged store instantiates the same module; its data segment is there. */
static void test_paged_store(ward_module *m)
{
    ward_store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.memory_mode = WARD_MEMORY_PAGED;
    ward_store *s = ward_store_new(&cfg);
    ward_linker *l = ward_linker_new();
    ward_result res;
    char buf[6] = {0};
    define_env(s, l);
    ward_instance *inst = ward_instance_new(s, m, l, &res);
    CHECK(inst != NULL);
    if (inst) {
        ward_memory *mem = ward_instance_memory(inst, "mem");
        CHECK(mem && ward_memory_read(mem, 16, buf, 5) && strcmp(buf, "hello") == 0);
    }
    ward_linker_free(l);
    ward_store_free(s);
}

static void test_instantiation_trap(void)
{
    ward_error err;
    ward_module *m = ward_module_new(oob_wasm, sizeof oob_wasm, 0, &err);
    CHECK(m != NULL);
    if (!m) return;
    ward_store *s = ward_store_new(NULL);
    ward_result res;
    CHECK(ward_instance_new(s, m, NULL, &res) == NULL);
    CHECK(res.status == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_MEMORY_OUT_OF_BOUNDS);
    /* segment-oob: the spec's text first, then which segment and why */
    CHECK(res.segment_trap);
    CHECK(strcmp(res.message, "out of bounds memory access: data segment 0 does not fit memory 0 "
                              "(offset 65535 + length 2 > size 65536)") == 0);
    CHECK(res.nframes == 0);
    CHECK(!ward_module_start(m, NULL));
    ward_module_free(m);

    /* A trap of the start function is not a segment's. */
    uint32_t sf = 99;
    m = ward_module_new(start_trap_wasm, sizeof start_trap_wasm, 0, &err);
    CHECK(m != NULL);
    if (!m) goto out;
    CHECK(ward_module_start(m, &sf) && sf == 0);
    CHECK(ward_instance_new(s, m, NULL, &res) == NULL);
    CHECK(res.status == WARD_TRAP && res.trap == WARD_TRAP_UNREACHABLE);
    CHECK(!res.segment_trap);
    CHECK(strcmp(res.message, "unreachable") == 0);
    CHECK(res.nframes == 1);
    ward_module_free(m);
out:
    ward_store_free(s);
}

/* A host function traps with the runtime's own codes and texts. */
static void test_caller_trap_code(void)
{
    ward_error err;
    ward_module *m = ward_module_new(hostcall_wasm, sizeof hostcall_wasm, 0, &err);
    CHECK(m != NULL);
    if (!m) return;
    static const struct {
        ward_trap_code code, want;
        const char *text;
    } cases[] = {
        {WARD_TRAP_DEADLINE, WARD_TRAP_DEADLINE, "deadline exceeded"},
        {WARD_TRAP_MEMORY_OUT_OF_BOUNDS, WARD_TRAP_MEMORY_OUT_OF_BOUNDS,
         "out of bounds memory access"},
        {WARD_TRAP_NONE, WARD_TRAP_HOST, "host function failed"},
        {(ward_trap_code)999, WARD_TRAP_HOST, "host function failed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ward_store *s = ward_store_new(NULL);
        ward_linker *l = ward_linker_new();
        ward_result res;
        ward_trap_code code = cases[i].code;
        ward_extern e;
        e.kind = WARD_EXTERN_FUNC;
        e.of.func = ward_func_new(s, NULL, 0, NULL, 0, h_trap_code, &code, NULL);
        CHECK(e.of.func && ward_linker_define(l, "env", "f", e));
        ward_instance *inst = ward_instance_new(s, m, l, &res);
        CHECK(inst != NULL);
        if (inst) {
            CHECK(ward_func_call(s, ward_instance_func(inst, "run"), NULL, 0, NULL, 0, &res) ==
                  WARD_TRAP);
            CHECK(res.trap == cases[i].want);
            CHECK(strcmp(res.message, cases[i].text) == 0);
            CHECK(res.nframes == 1); /* the guest function that called the host */
        }
        ward_linker_free(l);
        ward_store_free(s);
    }
    ward_module_free(m);
}

/* unsupported-proposals: a function body using an opcode of a proposal ward
 * does not implement names the proposal; other unknown opcodes stay
 * "illegal opcode". */
static void test_unsupported_proposals(void)
{
    static const struct {
        uint8_t ops[3];
        uint8_t nops;
        const char *want;
    } cases[] = {
        {{0xFE, 0x10}, 2, "unsupported proposal: threads"},
        {{0x12, 0x00}, 2, "unsupported proposal: tail calls (return_call)"},
        {{0x13, 0x00}, 2, "unsupported proposal: tail calls (return_call_indirect)"},
        {{0x06, 0x40}, 2, "unsupported proposal: exception handling (try)"},
        {{0x08, 0x00}, 2, "unsupported proposal: exception handling (throw)"},
        {{0x1F, 0x40}, 2, "unsupported proposal: exception handling (try_table)"},
        {{0x14, 0x00}, 2, "unsupported proposal: typed function references (call_ref)"},
        {{0xFB, 0x00}, 2, "unsupported proposal: garbage collection"},
        {{0xFD, 0x80, 0x02}, 3, "unsupported proposal: relaxed SIMD"},
        {{0xFC, 0x13}, 2, "unsupported proposal: wide arithmetic"},
        {{0x27}, 1, "illegal opcode"},
        {{0xFA, 0x00}, 2, "illegal opcode"},
        {{0xFF}, 1, "illegal opcode"},
        {{0xFD, 0xA0, 0x02}, 3, "illegal opcode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* (type (func)) (func) whose body is ops, then end */
        uint8_t b[64] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04,
                         0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a};
        size_t n = 19, nops = cases[i].nops;
        b[n++] = (uint8_t)(nops + 4); /* section size */
        b[n++] = 0x01;                /* one body */
        b[n++] = (uint8_t)(nops + 2); /* body size */
        b[n++] = 0x00;                /* no locals */
        memcpy(b + n, cases[i].ops, nops);
        n += nops;
        b[n++] = 0x0b;
        ward_error err;
        ward_module *m = ward_module_new(b, n, WARD_FEATURE_ALL, &err);
        CHECK(m == NULL);
        CHECK(strncmp(err.message, cases[i].want, strlen(cases[i].want)) == 0);
        CHECK(err.has_offset && err.offset == 23); /* the opcode */
        if (m || strncmp(err.message, cases[i].want, strlen(cases[i].want)) != 0)
            printf("  case %zu: got \"%s\"\n", i, m ? "a module" : err.message);
        ward_module_free(m);
    }
}

static void test_main(ward_module *m)
{
    ward_store *s = ward_store_new(NULL);
    ward_linker *l = ward_linker_new();
    ward_result res;
    ward_val args[2], out[2];
    CHECK(s && l);
    define_env(s, l);
    ward_instance *inst = ward_instance_new(s, m, l, &res);
    CHECK(inst != NULL);
    CHECK(res.status == WARD_OK);
    if (!inst) {
        printf("instantiation failed: %s\n", res.message);
        goto out;
    }
    /* The instance keeps the module alive: drop ours early on purpose. */
    ward_module_free(m);
    CHECK(ward_instance_module(inst) == m);

    /* Plain call. */
    ward_func *add = ward_instance_func(inst, "add");
    CHECK(add && ward_func_param_count(add) == 2 && ward_func_result_count(add) == 1);
    CHECK(add && ward_func_param_kind(add, 0) == WARD_I32);
    args[0] = i32v(2);
    args[1] = i32v(40);
    CHECK(ward_func_call(s, add, args, 2, out, 1, &res) == WARD_OK);
    CHECK(out[0].kind == WARD_I32 && out[0].of.i32 == 42);
    args[0] = i32v(-5);
    args[1] = i32v(2);
    CHECK(ward_func_call(s, add, args, 2, out, 1, &res) == WARD_OK && out[0].of.i32 == -3);

    /* Wrong argument count and kind are refused before running. */
    CHECK(ward_func_call(s, add, args, 1, out, 1, &res) == WARD_ERROR);
    CHECK(res.message[0] != '\0');
    args[1] = i64v(2);
    CHECK(ward_func_call(s, add, args, 2, out, 1, &res) == WARD_ERROR);
    CHECK(ward_func_call(s, add, NULL, 0, out, 0, &res) == WARD_ERROR);

    /* Through a host function. */
    host_calls = 0;
    args[0] = i32v(21);
    CHECK(ward_func_call(s, ward_instance_func(inst, "call_double"), args, 1, out, 1, &res) ==
          WARD_OK);
    CHECK(out[0].of.i32 == 42 && host_calls == 1);

    /* Memory: the data segment, helpers both ways. */
    ward_memory *mem = ward_instance_memory(inst, "mem");
    CHECK(mem != NULL);
    if (!mem) goto out;
    char buf[8] = {0};
    CHECK(ward_memory_size(mem) == 65536 && ward_memory_pages(mem) == 1 && !ward_memory_is64(mem));
    CHECK(ward_memory_read(mem, 16, buf, 5) && memcmp(buf, "hello", 5) == 0);
    CHECK(ward_memory_write(mem, 100, "Z", 1));
    args[0] = i32v(100);
    CHECK(ward_func_call(s, ward_instance_func(inst, "load8"), args, 1, out, 1, &res) == WARD_OK);
    CHECK(out[0].of.i32 == 'Z');
    args[0] = i32v(200);
    args[1] = i32v(0x11223344);
    CHECK(ward_func_call(s, ward_instance_func(inst, "store32"), args, 2, NULL, 0, &res) ==
          WARD_OK);
    uint32_t word = 0;
    CHECK(ward_memory_read(mem, 200, &word, 4) && word == 0x11223344u);

    /* Out-of-bounds host access is refused and copies nothing. */
    memset(buf, 'x', sizeof buf);
    CHECK(!ward_memory_read(mem, 65534, buf, 4));
    CHECK(buf[0] == 'x');
    CHECK(!ward_memory_read(mem, UINT64_MAX - 1, buf, 4));
    CHECK(!ward_memory_write(mem, 65536, "a", 1));
    CHECK(ward_memory_read(mem, 65532, buf, 4));
    size_t avail = 0;
    CHECK(ward_memory_span(mem, 65535, 100, false, &avail) != NULL && avail == 1);
    CHECK(ward_memory_span(mem, 65536, 1, false, &avail) == NULL);

    /* memory.grow from the guest and from the host, within the max of 4. */
    args[0] = i32v(1);
    CHECK(ward_func_call(s, ward_instance_func(inst, "grow"), args, 1, out, 1, &res) == WARD_OK);
    CHECK(out[0].of.i32 == 1 && ward_memory_pages(mem) == 2);
    CHECK(ward_memory_grow(mem, 2) == 2);
    CHECK(ward_memory_grow(mem, 1) == -1);
    CHECK(ward_memory_read(mem, 4 * 65536 - 4, &word, 4) && word == 0);

    /* Exact float bits and v128 lanes survive the round trip. */
    memset(args, 0, sizeof args);
    args[0].kind = WARD_F64;
    args[0].of.f64_bits = 0x7ff4000000000001ull; /* signalling NaN with payload */
    CHECK(ward_func_call(s, ward_instance_func(inst, "f64id"), args, 1, out, 1, &res) == WARD_OK);
    CHECK(out[0].kind == WARD_F64 && out[0].of.f64_bits == 0x7ff4000000000001ull);
    args[0].kind = WARD_V128;
    for (int i = 0; i < 16; i++)
        args[0].of.v128[i] = (uint8_t)(i * 17);
    CHECK(ward_func_call(s, ward_instance_func(inst, "v128id"), args, 1, out, 1, &res) == WARD_OK);
    CHECK(out[0].kind == WARD_V128 && memcmp(out[0].of.v128, args[0].of.v128, 16) == 0);

    /* Recursion well below the limit works. */
    args[0] = i64v(20);
    CHECK(ward_func_call(s, ward_instance_func(inst, "fac"), args, 1, out, 1, &res) == WARD_OK);
    CHECK(out[0].of.i64 == 2432902008176640000ll);

    /* A trap: the spec's message, and a backtrace innermost first with names. */
    args[0] = i32v(1);
    CHECK(ward_func_call(s, ward_instance_func(inst, "div0"), args, 1, out, 1, &res) == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_INTEGER_DIVIDE_BY_ZERO);
    CHECK(strcmp(res.message, "integer divide by zero") == 0);
    CHECK(strcmp(ward_trap_message(res.trap), "integer divide by zero") == 0);
    CHECK(res.nframes >= 2);
    if (res.nframes >= 2) {
        CHECK(res.frames[0].func_index == 7);
        CHECK(res.frames[0].func_name && strcmp(res.frames[0].func_name, "inner") == 0);
        CHECK(res.frames[0].module_offset > 0);
        CHECK(res.frames[1].func_index == 8);
    }
    /* The store stays usable after a trap. */
    args[0] = i32v(1);
    args[1] = i32v(1);
    CHECK(ward_func_call(s, add, args, 2, out, 1, &res) == WARD_OK && out[0].of.i32 == 2);

    /* Runaway recursion ends cleanly. */
    CHECK(ward_func_call(s, ward_instance_func(inst, "runaway"), NULL, 0, NULL, 0, &res) ==
          WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_CALL_STACK_EXHAUSTED);
    CHECK(strcmp(res.message, "call stack exhausted") == 0);

    /* Host trap and host exit. */
    CHECK(ward_func_call(s, ward_instance_func(inst, "host_fail"), NULL, 0, NULL, 0, &res) ==
          WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_HOST && strcmp(res.message, "boom") == 0);
    CHECK(ward_func_call(s, ward_instance_func(inst, "host_quit"), NULL, 0, NULL, 0, &res) ==
          WARD_EXIT);
    CHECK(res.exit_code == 3);

    /* Fuel runs out in an endless loop. */
    ward_func *spin = ward_instance_func(inst, "spin");
    ward_store_set_fuel(s, 1000);
    CHECK(ward_store_get_fuel(s) == 1000);
    CHECK(ward_func_call(s, spin, NULL, 0, NULL, 0, &res) == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_OUT_OF_FUEL);
    CHECK(strcmp(res.message, "all fuel consumed") == 0);
    CHECK(ward_store_get_fuel(s) == 0);
    ward_store_set_fuel(s, -1);
    CHECK(ward_store_get_fuel(s) == -1);

    /* A deadline stops the same loop, promptly. */
    double t0 = now_s();
    ward_store_set_timeout(s, 100 * 1000 * 1000ull);
    CHECK(ward_func_call(s, spin, NULL, 0, NULL, 0, &res) == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_DEADLINE);
    CHECK(strcmp(res.message, "deadline exceeded") == 0);
    double dt = now_s() - t0;
    CHECK(dt >= 0.09 && dt < 3.0);
    /* A passed deadline keeps failing calls; clearing it lets them run. */
    CHECK(ward_func_call(s, spin, NULL, 0, NULL, 0, &res) == WARD_TRAP);
    ward_store_set_timeout(s, 0);
    args[0] = i32v(1);
    args[1] = i32v(2);
    CHECK(ward_func_call(s, add, args, 2, out, 1, &res) == WARD_OK && out[0].of.i32 == 3);

    /* An interrupt from another thread. */
    pthread_t th;
    if (pthread_create(&th, NULL, interrupter, s) == 0) {
        CHECK(ward_func_call(s, spin, NULL, 0, NULL, 0, &res) == WARD_TRAP);
        CHECK(res.trap == WARD_TRAP_INTERRUPTED);
        pthread_join(th, NULL);
        CHECK(ward_func_call(s, add, args, 2, out, 1, &res) == WARD_OK);
    }

    /* Globals made by the host. */
    ward_global *g = ward_global_new(s, i32v(5), false);
    CHECK(g && ward_global_get(g).of.i32 == 5 && ward_global_get(g).kind == WARD_I32);
    CHECK(g && !ward_global_set(g, i32v(6)));
    ward_global *gm = ward_global_new(s, i64v(5), true);
    CHECK(gm && ward_global_set(gm, i64v(-9)) && ward_global_get(gm).of.i64 == -9);
    CHECK(gm && !ward_global_set(gm, i32v(1)));

    /* Exports list. */
    ward_extern_kind kind;
    CHECK(ward_module_export_count(m) == 14);
    CHECK(strcmp(ward_module_export_name(m, 0, &kind), "mem") == 0 && kind == WARD_EXTERN_MEMORY);
    const char *modname = NULL;
    CHECK(ward_module_import_count(m) == 3);
    CHECK(strcmp(ward_module_import_name(m, 1, &modname, &kind), "fail") == 0 &&
          strcmp(modname, "env") == 0 && kind == WARD_EXTERN_FUNC);

    /* A second instance links against the first one's exports. */
    ward_linker *l2 = ward_linker_new();
    CHECK(ward_linker_define_instance(l2, "first", inst));
    ward_extern e;
    CHECK(ward_instance_export(inst, "add", &e) && e.kind == WARD_EXTERN_FUNC);
    CHECK(!ward_instance_export(inst, "nope", &e));
    ward_linker_free(l2);
out:
    ward_linker_free(l);
    data_freed = 0;
    ward_store_free(s);
    CHECK(data_freed >= 1); /* h_double's data_free ran with the store */
}

int main(void)
{
    alarm(60); /* a hang is a failure, not a lost run */
    test_bad_module();
    test_bad_artifact();
    test_instantiation_trap();
    test_caller_trap_code();
    test_unsupported_proposals();
    ward_error err;
    ward_module *m = ward_module_new(main_wasm, sizeof main_wasm, 0, &err);
    CHECK(m != NULL);
    if (m) {
        test_link_errors(m);
        test_paged_store(m);
        test_main(m); /* drops the last reference to m */
    } else {
        printf("module failed: %s\n", err.message);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
