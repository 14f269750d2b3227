/* test_stack.c - host <-> wasm recursion is bounded by the native stack the
 * thread really has (issue 10), through include/ward.h only.
 *
 * A guest export calls a host function that calls the export again, and so
 * on, until the runtime refuses a level; the same for instantiation, whose
 * start function is a host function that instantiates the module again. On
 * threads with 256 KiB, 1 MiB and 8 MiB stacks, on the main thread, and on
 * the main thread of child processes whose RLIMIT_STACK is 1 MiB or
 * unlimited, each recursion must end in the trap "call stack exhausted"
 * (never a crash), the store must run a normal call afterwards, and the
 * depth reached must grow with the stack. Against the runtime before the
 * stack budget (count limits: 256 API levels, 1000 interpreter levels) the
 * 1 MiB child and the 256 KiB thread died of SIGSEGV.
 * The last line is "N passed, M failed".
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ward.h"

#include "../check.h"
#include "../vals.h"

/* `wat2wasm` of
 * (module
 *   (import "env" "reenter" (func $reenter (param i32) (result i32)))
 *   (func (export "down") (param i32) (result i32)
 *     (call $reenter (i32.add (local.get 0) (i32.const 1))))
 *   (func (export "add") (param i32 i32) (result i32)
 *     (i32.add (local.get 0) (local.get 1)))
 *   (func (export "spin") (loop $l (br $l))))
 */
static const unsigned char stack_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x03, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x0f, 0x01, 0x03, 0x65,
    0x6e, 0x76, 0x07, 0x72, 0x65, 0x65, 0x6e, 0x74, 0x65, 0x72, 0x00, 0x00, 0x03, 0x04, 0x03,
    0x00, 0x01, 0x02, 0x07, 0x15, 0x03, 0x04, 0x64, 0x6f, 0x77, 0x6e, 0x00, 0x01, 0x03, 0x61,
    0x64, 0x64, 0x00, 0x02, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x03, 0x0a, 0x1b, 0x03, 0x09,
    0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x6a, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

/* `wat2wasm` of
 * (module
 *   (import "env" "again" (func $again))
 *   (start $again))
 * The start function is the host function itself. */
static const unsigned char start_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x0d,
    0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x61, 0x67, 0x61, 0x69, 0x6e, 0x00, 0x00, 0x08, 0x01, 0x00,
};

/* One recursion: what the host functions saw. */
typedef struct deep {
    ward_module *start_mod;
    ward_linker *l;
    ward_func *down;
    int max_depth;      /* deepest argument reenter() received */
    int levels;         /* calls of again() */
    uintptr_t frame[2]; /* reenter()'s frame at depths 1 and 2 */
    bool refused;       /* the innermost call failed; its outcome follows */
    ward_status status;
    ward_trap_code trap;
    char message[sizeof(((ward_result *)0)->message)];
} deep;

static void deep_reset(deep *d)
{
    d->max_depth = 0;
    d->levels = 0;
    d->refused = false;
    d->status = WARD_OK;
    d->trap = WARD_TRAP_NONE;
    d->message[0] = '\0';
}

/* Remembers the innermost failure (the first one seen) and passes it up. */
static int deep_refused(deep *d, ward_caller *c, const ward_result *res)
{
    if (!d->refused) {
        d->refused = true;
        d->status = res->status;
        d->trap = res->trap;
        snprintf(d->message, sizeof d->message, "%s", res->message);
    }
    return ward_caller_trap(c, res->message);
}

/* env.reenter(n): calls down(n) again, from inside the guest's call. */
static int h_reenter(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    deep *d = data;
    ward_val arg = i32v(args[0].of.i32);
    ward_result res;
    if (args[0].of.i32 > d->max_depth) d->max_depth = args[0].of.i32;
    if (args[0].of.i32 <= 2) d->frame[args[0].of.i32 - 1] = (uintptr_t)__builtin_frame_address(0);
    if (ward_func_call(ward_caller_store(c), d->down, &arg, 1, results, 1, &res) == WARD_OK)
        return 0;
    return deep_refused(d, c, &res);
}

/* env.again(): the start function; instantiates its own module again. */
static int h_again(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    deep *d = data;
    ward_result res;
    (void)args, (void)results;
    d->levels++;
    if (ward_instance_new(ward_caller_store(c), d->start_mod, d->l, &res)) return 0;
    return deep_refused(d, c, &res);
}

static bool still_works(ward_store *s, ward_instance *inst)
{
    ward_val args[2] = {i32v(40), i32v(2)}, out[1] = {i32v(0)};
    ward_result res;
    return ward_func_call(s, ward_instance_func(inst, "add"), args, 2, out, 1, &res) == WARD_OK &&
           out[0].of.i32 == 42;
}

/* The outcome of recurse() on one thread. */
typedef struct outcome {
    int depth;  /* wasm -> host -> wasm levels */
    long level; /* native stack one level takes, in bytes */
    int starts; /* nested instantiations */
    int failed; /* checks that failed on that thread */
} outcome;

static void expect_exhausted(const deep *d, ward_status st, const ward_result *res, int *bad)
{
    /* The innermost call is refused with the trap; the host functions pass
     * its message up as their own trap. */
    bool ok = st == WARD_TRAP && res->trap == WARD_TRAP_HOST &&
              strcmp(res->message, "call stack exhausted") == 0 && d->refused &&
              d->status == WARD_TRAP && d->trap == WARD_TRAP_CALL_STACK_EXHAUSTED &&
              strcmp(d->message, "call stack exhausted") == 0;
    if (!ok) {
        printf("  FAIL: status %d trap %d \"%s\"; innermost status %d trap %d \"%s\"\n", st,
               res->trap, res->message, d->status, d->trap, d->message);
        (*bad)++;
    }
}

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                               \
            out->failed++;                                                                         \
        }                                                                                          \
    } while (0)

/* Recurses as deep as the runtime lets this thread go, twice, then through
 * instantiation; checks the store after each. Counts failures in out (the
 * CHECK counters are not shared between threads). */
static void recurse(outcome *out)
{
    ward_error err;
    ward_result res;
    ward_store_config cfg;
    deep d;
    memset(out, 0, sizeof *out);
    memset(&d, 0, sizeof d);
    memset(&cfg, 0, sizeof cfg);
    /* Frames are not what runs out here: every level uses one. */
    cfg.max_call_depth = 1000000;
    ward_module *mod = ward_module_new(stack_wasm, sizeof stack_wasm, 0, &err);
    d.start_mod = ward_module_new(start_wasm, sizeof start_wasm, 0, &err);
    ward_store *s = ward_store_new(&cfg);
    d.l = ward_linker_new();
    static const ward_valkind i32[1] = {WARD_I32};
    ward_func *reenter = s ? ward_func_new(s, i32, 1, i32, 1, h_reenter, &d, NULL) : NULL;
    ward_func *again = s ? ward_func_new(s, NULL, 0, NULL, 0, h_again, &d, NULL) : NULL;
    ward_instance *inst = NULL;
    EXPECT(mod && d.start_mod && s && d.l && reenter && again);
    if (!mod || !d.start_mod || !s || !d.l || !reenter || !again) goto done;
    EXPECT(ward_linker_define(d.l, "env", "reenter",
                              (ward_extern){.kind = WARD_EXTERN_FUNC, .of.func = reenter}));
    EXPECT(ward_linker_define(d.l, "env", "again",
                              (ward_extern){.kind = WARD_EXTERN_FUNC, .of.func = again}));
    inst = ward_instance_new(s, mod, d.l, &res);
    EXPECT(inst != NULL);
    if (!inst) goto done;
    d.down = ward_instance_func(inst, "down");
    EXPECT(still_works(s, inst));

    /* wasm -> host -> wasm ... until refused, twice: the second run reaches
     * the same depth (nothing leaked from the first). */
    for (int round = 0; round < 2; round++) {
        ward_val arg = i32v(0), r = i32v(0);
        deep_reset(&d);
        ward_status st = ward_func_call(s, d.down, &arg, 1, &r, 1, &res);
        expect_exhausted(&d, st, &res, &out->failed);
        EXPECT(round == 0 || (d.max_depth >= out->depth - 1 && d.max_depth <= out->depth + 1));
        out->depth = d.max_depth;
        out->level = d.max_depth >= 2 ? (long)(d.frame[0] - d.frame[1]) : 0;
        EXPECT(still_works(s, inst));
    }

    /* start function -> host -> instantiation -> start function ... */
    deep_reset(&d);
    EXPECT(ward_instance_new(s, d.start_mod, d.l, &res) == NULL);
    expect_exhausted(&d, res.status, &res, &out->failed);
    out->starts = d.levels;
    EXPECT(still_works(s, inst));
done:
    ward_linker_free(d.l);
    ward_store_free(s);
    ward_module_free(d.start_mod);
    ward_module_free(mod);
}

static void *recurse_main(void *arg)
{
    recurse(arg);
    return NULL;
}

/* Runs recurse() on a new thread with a stack of `bytes`. */
static bool on_thread(size_t bytes, outcome *out)
{
    pthread_attr_t a;
    pthread_t t;
    bool ok = pthread_attr_init(&a) == 0 && pthread_attr_setstacksize(&a, bytes) == 0 &&
              pthread_create(&t, &a, recurse_main, out) == 0;
    pthread_attr_destroy(&a);
    if (ok) pthread_join(t, NULL);
    return ok;
}

static void report(const char *where, const outcome *o)
{
    printf("  %-38s depth %5d (%ld bytes a level), nested instantiations %5d\n", where, o->depth,
           o->level, o->starts);
    CHECK(o->failed == 0);
    CHECK(o->depth > 0 && o->starts > 0);
}

/* Runs recurse() on the main thread of a child process whose soft
 * RLIMIT_STACK is `limit` (set before the runtime first looks at the stack,
 * as when a program is started under `ulimit -s`). A crash of the child is
 * a failure; so is any failed check in it. */
static void in_child(rlim_t limit, const char *where)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0 ||
        (rl.rlim_max != RLIM_INFINITY && limit > rl.rlim_max)) {
        printf("  %-38s skipped (hard limit)\n", where);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        outcome o;
        rl.rlim_cur = limit;
        if (setrlimit(RLIMIT_STACK, &rl) != 0) _exit(3);
        recurse(&o);
        printf("  %-38s depth %5d (%ld bytes a level), nested instantiations %5d\n", where, o.depth,
               o.level, o.starts);
        fflush(stdout);
        _exit(o.failed == 0 && o.depth > 0 && o.starts > 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status)) printf("  %s: child killed by signal %d\n", where, WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Unoptimised AddressSanitizer builds keep about 500 KiB free below every
 * entry into guest code (src/exec/exec.h): nothing runs on 256 KiB. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if !defined(__OPTIMIZE__) && (defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer))
#define SMALLEST_STACK (1u << 20)
#define MIN_RATIO 4
#else
#define SMALLEST_STACK (256u << 10)
#define MIN_RATIO 10
#endif

int main(void)
{
    outcome small, mid, big, mainth;

    /* Children first: fork before this process has other threads. */
    in_child(1u << 20, "main thread, RLIMIT_STACK 1 MiB");
    in_child(RLIM_INFINITY, "main thread, RLIMIT_STACK unlimited");

    recurse(&mainth);
    report("main thread", &mainth);
    if (SMALLEST_STACK < (1u << 20)) {
        CHECK(on_thread(256u << 10, &small));
        report("thread with a 256 KiB stack", &small);
    }
    CHECK(on_thread(1u << 20, &mid));
    report("thread with a 1 MiB stack", &mid);
    if (SMALLEST_STACK >= (1u << 20)) {
        printf("  (no 256 KiB case: unoptimised AddressSanitizer build)\n");
        small = mid;
    }
    CHECK(on_thread(8u << 20, &big));
    report("thread with an 8 MiB stack", &big);

    /* The budget follows the stack: 8 MiB is 32 times 256 KiB, and with the
     * same reserve kept free on each the depth must grow at least 10-fold
     * (44-fold at -O2). */
    CHECK(mid.depth >= small.depth && big.depth > mid.depth);
    CHECK(big.depth >= MIN_RATIO * small.depth);
    CHECK(big.starts >= MIN_RATIO * small.starts);

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
