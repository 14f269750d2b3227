/* tests/native/guard.c - guard pages in the native tier through the C API
 * (docs/native.md, "Guard pages"): what tests/native/run.sh cannot see from
 * `ward run`. Usage: guard MODULE.wasm (tests/native/guard_api.wat). Each
 * check prints a line; the last line is "N passed, M failed", the status 0
 * only if none failed.
 *   - memory and globals after a trap in a loop: the stores before the
 *     faulting one happened, the faulting one did not (nor a straddling
 *     store's bytes inside memory);
 *   - a trap in native code entered again from a host function (nested
 *     nat_run): the inner call returns its trap, the outer one goes on, and
 *     a fault after that still traps with the outer backtrace;
 *   - faults in four threads at once, each with its own store;
 *   - chaining: in a child process, a segfault outside wasm (a null pointer,
 *     and one inside a memory's reservation from C code) still kills the
 *     process with SIGSEGV, and a handler installed before ward's still gets
 *     the faults that are not ward's. */
#include "ward.h"
#include "ward_native.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int pass, failn;
static uint8_t *wasm;
static size_t wasm_len;

static void check(bool ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (ok)
        pass++;
    else
        failn++;
}

typedef struct env {
    ward_store *s;
    ward_module *m;
    ward_instance *inst;
    ward_result inner; /* what the host function's nested call returned */
} env;

static ward_status call(env *e, const char *name, int32_t arg, bool has_arg, int32_t *out,
                        ward_result *res)
{
    ward_func *f = ward_instance_func(e->inst, name);
    ward_val a = {.kind = WARD_I32, .of.i32 = arg}, r = {.kind = WARD_I32};
    ward_status st =
        ward_func_call(e->s, f, &a, has_arg ? 1 : 0, &r, ward_func_result_count(f), res);
    if (out) *out = r.of.i32;
    return st;
}

static bool is_oob(const ward_result *res)
{
    return res->status == WARD_TRAP && strstr(res->message, "out of bounds memory access") != NULL;
}

/* The host function: calls "load" at its argument (native code again,
 * below this host frame); returns 1 if that trapped out of bounds. */
static int reenter(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    env *e = data;
    ward_result res;
    int32_t v = 0;
    ward_status st = call(e, "load", args[0].of.i32, true, &v, &res);
    (void)c;
    results[0].kind = WARD_I32;
    results[0].of.i32 = st == WARD_TRAP && is_oob(&res) ? 1 : 0;
    e->inner = res;
    return 0;
}

static bool env_new_in(env *e, ward_tier tier)
{
    ward_store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.tier = tier;
    memset(e, 0, sizeof *e);
    e->s = ward_store_new(&cfg);
    e->m = ward_module_new(wasm, wasm_len, 0, NULL);
    if (!e->s || !e->m) return false;
    ward_valkind i32 = WARD_I32;
    ward_func *h = ward_func_new(e->s, &i32, 1, &i32, 1, reenter, e, NULL);
    ward_linker *l = ward_linker_new();
    ward_extern x = {.kind = WARD_EXTERN_FUNC, .of.func = h};
    ward_linker_define(l, "host", "reenter", x);
    ward_result res;
    e->inst = ward_instance_new(e->s, e->m, l, &res);
    ward_linker_free(l);
    return e->inst != NULL;
}

static bool env_new(env *e)
{
    return env_new_in(e, WARD_TIER_NATIVE);
}

/* Same backtrace (functions and offsets)? */
static bool same_trace(const ward_result *a, const ward_result *b)
{
    if (a->status != b->status || a->nframes != b->nframes || strcmp(a->message, b->message))
        return false;
    for (uint32_t i = 0; i < a->nframes; i++)
        if (a->frames[i].func_index != b->frames[i].func_index ||
            a->frames[i].module_offset != b->frames[i].module_offset)
            return false;
    return true;
}

static void env_free(env *e)
{
    if (e->s) ward_store_free(e->s);
    if (e->m) ward_module_free(e->m);
}

static void after_trap(void)
{
    env e;
    ward_result res;
    int32_t v = 0;
    if (!env_new(&e)) {
        check(false, "instantiate");
        return;
    }
    check(call(&e, "fill", 0, true, NULL, &res) == WARD_TRAP && is_oob(&res) && res.nframes == 1,
          "a store loop ends in the out-of-bounds trap");
    call(&e, "count", 0, false, &v, &res);
    check(v == 16384, "every store before the faulting one counted (global after the trap)");
    call(&e, "peek", 65532, true, &v, &res);
    check(v == 65532, "the last store in bounds was made");
    check(call(&e, "straddle", 0, false, NULL, &res) == WARD_TRAP && is_oob(&res),
          "a store straddling the end traps");
    call(&e, "peek", 65532, true, &v, &res);
    check(v == 65532, "and writes none of its bytes");
    check(call(&e, "vstraddle", 0, false, NULL, &res) == WARD_TRAP && is_oob(&res),
          "a v128 store straddling the end traps");
    call(&e, "peek", 65532, true, &v, &res);
    check(v == 65532, "and writes none of its bytes either");
    /* The interpreter's outcome of the same nested calls is the reference. */
    env ie;
    ward_result ires;
    int32_t iv = 0;
    if (!env_new_in(&ie, WARD_TIER_INTERP)) {
        check(false, "instantiate (interpreter)");
        return;
    }
    call(&ie, "outer", 65530, true, &iv, &ires);
    call(&e, "outer", 65530, true, &v, &res);
    check(is_oob(&e.inner) && same_trace(&e.inner, &ie.inner),
          "nested through a host function: the inner call's trap and backtrace are the "
          "interpreter's");
    check(is_oob(&res) && same_trace(&res, &ires),
          "then a fault of the outer function: its trap and backtrace are the interpreter's");
    env_free(&ie);
    check(call(&e, "outer", 100, true, &v, &res) == WARD_OK && v == 5,
          "nested, no fault: the call returns");
    check(call(&e, "load", 65524, true, &v, &res) == WARD_OK && v == 65532, "the last word loads");
    env_free(&e);
}

static void *thread_main(void *arg)
{
    int *ok = arg;
    env e;
    ward_result res;
    *ok = env_new(&e);
    for (int i = 0; i < 200 && *ok; i++) {
        int32_t v = 0;
        *ok = call(&e, "load", 65529 + (i % 7), true, &v, &res) == WARD_TRAP && is_oob(&res) &&
              res.nframes == 2 && call(&e, "load", 65524 - 4 * i, true, &v, &res) == WARD_OK;
    }
    env_free(&e);
    return NULL;
}

static void threads(void)
{
    pthread_t t[4];
    int ok[4];
    bool all = true;
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, thread_main, &ok[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        all = all && ok[i];
    }
    check(all, "faults in four threads at once: each its own trap");
}

/* Runs fn in a child process; its wait status. */
static int in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn();
        _exit(0);
    }
    int st = 0;
    waitpid(p, &st, 0);
    return st;
}

/* A pointer the compiler cannot see is null. */
static volatile uintptr_t null_addr = 8;

static void null_fault(void)
{
    env e;
    ward_result res;
    if (!env_new(&e) || call(&e, "load", 70000, true, NULL, &res) != WARD_TRAP) _exit(3);
    *(volatile int *)null_addr = 1;
}

static void reservation_fault(void)
{
    env e;
    ward_result res;
    if (!env_new(&e) || call(&e, "load", 70000, true, NULL, &res) != WARD_TRAP) _exit(3);
    size_t avail = 0;
    uint8_t *p = ward_memory_span(ward_instance_memory(e.inst, "mem"), 0, 1, true, &avail);
    /* C code (not a site of native code) past the end of the memory: not
     * ward's fault to take. */
    ((volatile uint8_t *)p)[65536 + 4096] = 1;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    _exit(42);
}

static void chained_fault(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    env e;
    ward_result res;
    /* ward's handler goes in front of ours when native code first runs. */
    if (!env_new(&e) || call(&e, "load", 70000, true, NULL, &res) != WARD_TRAP || !is_oob(&res))
        _exit(3);
    *(volatile int *)null_addr = 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: guard MODULE.wasm\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    fseek(f, 0, SEEK_END);
    wasm_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    wasm = malloc(wasm_len);
    if (!wasm || fread(wasm, 1, wasm_len, f) != wasm_len) return 2;
    fclose(f);
    ward_native_install(ward_native_llvm());

    int st = in_child(chained_fault);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 42,
          "a fault outside wasm goes to the handler installed before ward's");
    st = in_child(null_fault);
    check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
          "a null pointer outside wasm still kills the process with SIGSEGV");
    st = in_child(reservation_fault);
    check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
          "a fault of C code inside a memory's reservation still kills the process");
    after_trap();
    threads();
    printf("%d passed, %d failed\n", pass, failn);
    free(wasm);
    return failn ? 1 : 0;
}
