/* test_limits.c - each limit stops a runaway guest, and the SAME store and
 * instance run a normal call right after.
 *
 * Through include/ward.h and include/ward_wasi.h only: an endless loop under
 * fuel, under a timeout and under ward_store_interrupt(); unbounded
 * recursion (call stack exhausted); unbounded memory.grow under
 * max_memory_bytes (memory.grow returns -1, the guest sees the failure); and
 * blocking WASI calls (fd_read on a pipe that never gets data, poll_oneoff
 * sleeping, sock_accept with no client) stopped by the timeout and by
 * ward_store_interrupt() + ward_wasi_interrupt(). After every stop a normal
 * call on the same instance must succeed.
 * The last line is "N passed, M failed".
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ward.h"
#include "ward_wasi.h"

#include "../check.h"
#include "../vals.h"

/* `wat2wasm` of
 * (module
 *   (import "wasi_snapshot_preview1" "fd_read"
 *     (func $fd_read (param i32 i32 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "poll_oneoff"
 *     (func $poll (param i32 i32 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "sock_accept"
 *     (func $accept (param i32 i32 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (func (export "add") (param i32 i32) (result i32)
 *     (i32.add (local.get 0) (local.get 1)))
 *   (func (export "spin") (loop $l (br $l)))
 *   (func $deep (export "deep") (param i32) (result i32)
 *     (i32.add (i32.const 1) (call $deep (local.get 0))))
 *   ;; grows one page at a time until memory.grow fails; returns the pages
 *   ;; gained (the guest sees -1 and stops, the host lives on)
 *   (func (export "grow_all") (result i32) (local $n i32)
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
 *         (local.set $n (i32.add (local.get $n) (i32.const 1)))
 *         (br $l)))
 *     (local.get $n))
 *   (func (export "pages") (result i32) (memory.size))
 *   ;; reads up to 16 bytes from fd 0 into 64, retrying on EINTR (27) like
 *   ;; a careful program; returns the errno, the count at 8
 *   (func (export "read0") (result i32) (local $e i32)
 *     (i32.store (i32.const 0) (i32.const 64))
 *     (i32.store (i32.const 4) (i32.const 16))
 *     (loop $again
 *       (local.set $e (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1)
 *                                    (i32.const 8)))
 *       (br_if $again (i32.eq (local.get $e) (i32.const 27))))
 *     (local.get $e))
 *   ;; sleeps 60 s on the monotonic clock, retrying on EINTR
 *   (func (export "sleep") (result i32) (local $e i32)
 *     (i64.store (i32.const 128) (i64.const 0))
 *     (i32.store8 (i32.const 136) (i32.const 0))
 *     (i32.store (i32.const 144) (i32.const 1))
 *     (i64.store (i32.const 152) (i64.const 60000000000))
 *     (i64.store (i32.const 160) (i64.const 0))
 *     (i32.store16 (i32.const 168) (i32.const 0))
 *     (loop $again
 *       (local.set $e (call $poll (i32.const 128) (i32.const 256) (i32.const 1)
 *                                 (i32.const 300)))
 *       (br_if $again (i32.eq (local.get $e) (i32.const 27))))
 *     (local.get $e))
 *   ;; a blocking accept on fd 3, retrying on EINTR
 *   (func (export "accept3") (result i32) (local $e i32)
 *     (loop $again
 *       (local.set $e (call $accept (i32.const 3) (i32.const 0) (i32.const 320)))
 *       (br_if $again (i32.eq (local.get $e) (i32.const 27))))
 *     (local.get $e)))
 */
static const unsigned char limits_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x22, 0x06, 0x60, 0x04, 0x7f, 0x7f, 0x7f,
    0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x6c, 0x03, 0x16,
    0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72,
    0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x07, 0x66, 0x64, 0x5f, 0x72, 0x65, 0x61, 0x64, 0x00, 0x00,
    0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70,
    0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0b, 0x70, 0x6f, 0x6c, 0x6c, 0x5f, 0x6f, 0x6e, 0x65,
    0x6f, 0x66, 0x66, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
    0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0b, 0x73, 0x6f, 0x63,
    0x6b, 0x5f, 0x61, 0x63, 0x63, 0x65, 0x70, 0x74, 0x00, 0x01, 0x03, 0x09, 0x08, 0x02, 0x03, 0x04,
    0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x4b, 0x09, 0x06, 0x6d, 0x65,
    0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00, 0x03, 0x04, 0x73, 0x70, 0x69,
    0x6e, 0x00, 0x04, 0x04, 0x64, 0x65, 0x65, 0x70, 0x00, 0x05, 0x08, 0x67, 0x72, 0x6f, 0x77, 0x5f,
    0x61, 0x6c, 0x6c, 0x00, 0x06, 0x05, 0x70, 0x61, 0x67, 0x65, 0x73, 0x00, 0x07, 0x05, 0x72, 0x65,
    0x61, 0x64, 0x30, 0x00, 0x08, 0x05, 0x73, 0x6c, 0x65, 0x65, 0x70, 0x00, 0x09, 0x07, 0x61, 0x63,
    0x63, 0x65, 0x70, 0x74, 0x33, 0x00, 0x0a, 0x0a, 0xdc, 0x01, 0x08, 0x07, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x6a, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x09, 0x00, 0x41, 0x01, 0x20,
    0x00, 0x10, 0x05, 0x6a, 0x0b, 0x1e, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x41, 0x01, 0x40,
    0x00, 0x41, 0x7f, 0x46, 0x0d, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b,
    0x0b, 0x20, 0x00, 0x0b, 0x04, 0x00, 0x3f, 0x00, 0x0b, 0x2b, 0x01, 0x01, 0x7f, 0x41, 0x00, 0x41,
    0xc0, 0x00, 0x36, 0x02, 0x00, 0x41, 0x04, 0x41, 0x10, 0x36, 0x02, 0x00, 0x03, 0x40, 0x41, 0x00,
    0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x21, 0x00, 0x20, 0x00, 0x41, 0x1b, 0x46, 0x0d,
    0x00, 0x0b, 0x20, 0x00, 0x0b, 0x54, 0x01, 0x01, 0x7f, 0x41, 0x80, 0x01, 0x42, 0x00, 0x37, 0x03,
    0x00, 0x41, 0x88, 0x01, 0x41, 0x00, 0x3a, 0x00, 0x00, 0x41, 0x90, 0x01, 0x41, 0x01, 0x36, 0x02,
    0x00, 0x41, 0x98, 0x01, 0x42, 0x80, 0xb0, 0x9d, 0xc2, 0xdf, 0x01, 0x37, 0x03, 0x00, 0x41, 0xa0,
    0x01, 0x42, 0x00, 0x37, 0x03, 0x00, 0x41, 0xa8, 0x01, 0x41, 0x00, 0x3b, 0x01, 0x00, 0x03, 0x40,
    0x41, 0x80, 0x01, 0x41, 0x80, 0x02, 0x41, 0x01, 0x41, 0xac, 0x02, 0x10, 0x01, 0x21, 0x00, 0x20,
    0x00, 0x41, 0x1b, 0x46, 0x0d, 0x00, 0x0b, 0x20, 0x00, 0x0b, 0x1b, 0x01, 0x01, 0x7f, 0x03, 0x40,
    0x41, 0x03, 0x41, 0x00, 0x41, 0xc0, 0x02, 0x10, 0x02, 0x21, 0x00, 0x20, 0x00, 0x41, 0x1b, 0x46,
    0x0d, 0x00, 0x0b, 0x20, 0x00, 0x0b,
};

typedef struct fixture {
    ward_module *mod;
    ward_store *s;
    ward_linker *l;
    ward_wasi *w;
    ward_instance *inst;
} fixture;

/* One store and one instance for a whole series of stops. */
static bool fixture_new(fixture *f, ward_module *mod, const ward_store_config *cfg, int stdin_fd,
                        int sock)
{
    ward_wasi_config wc;
    ward_error err;
    ward_result res;
    memset(f, 0, sizeof *f);
    ward_wasi_config_init(&wc);
    wc.stdin_fd = stdin_fd;
    wc.sockets = &sock;
    wc.nsockets = sock >= 0 ? 1 : 0;
    f->mod = mod;
    f->w = ward_wasi_new(&wc, &err);
    f->s = ward_store_new(cfg);
    f->l = ward_linker_new();
    if (!f->w || !f->s || !f->l || !ward_wasi_define(f->w, f->s, f->l)) return false;
    f->inst = ward_instance_new(f->s, mod, f->l, &res);
    return f->inst != NULL;
}

static void fixture_free(fixture *f)
{
    ward_linker_free(f->l);
    ward_store_free(f->s);
    ward_wasi_free(f->w);
}

static ward_status call0(fixture *f, const char *name, ward_val *out, ward_result *res)
{
    ward_func *fn = ward_instance_func(f->inst, name);
    if (!fn) {
        memset(res, 0, sizeof *res);
        return WARD_ERROR;
    }
    return ward_func_call(f->s, fn, NULL, 0, out, out ? 1 : 0, res);
}

/* The normal call that must work after every stop. */
static bool still_works(fixture *f)
{
    ward_val args[2] = {i32v(40), i32v(2)}, out[1];
    ward_result res;
    out[0] = i32v(0);
    return ward_func_call(f->s, ward_instance_func(f->inst, "add"), args, 2, out, 1, &res) ==
               WARD_OK &&
           out[0].of.i32 == 42;
}

/* Interrupts a store (and its WASI context) from another thread. */
typedef struct stopper {
    fixture *f;
    unsigned delay_ms;
    bool wasi_too;
} stopper;

static void *stopper_main(void *arg)
{
    stopper *st = arg;
    struct timespec ts = {0, (long)st->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    ward_store_interrupt(st->f->s);
    if (st->wasi_too) ward_wasi_interrupt(st->f->w);
    return NULL;
}

/* Runs export `name` while another thread interrupts after delay_ms. */
static ward_status call_interrupted(fixture *f, const char *name, bool wasi_too, ward_result *res,
                                    double *secs)
{
    stopper st = {f, 100, wasi_too};
    pthread_t th;
    ward_val out[1] = {i32v(0)};
    double t0 = now_s();
    if (pthread_create(&th, NULL, stopper_main, &st) != 0) return WARD_ERROR;
    ward_status r = call0(f, name, strcmp(name, "spin") == 0 ? NULL : out, res);
    pthread_join(th, NULL);
    *secs = now_s() - t0;
    return r;
}

static void test_compute_limits(ward_module *mod)
{
    fixture f;
    ward_result res;
    ward_val out[1];
    ward_store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_memory_bytes = 4 * 65536; /* 4 pages */
    cfg.max_call_depth = 500;
    CHECK(fixture_new(&f, mod, &cfg, -1, -1));
    if (!f.inst) {
        fixture_free(&f);
        return;
    }
    CHECK(still_works(&f));

    /* Fuel: an endless loop runs out, then the same instance runs again. */
    ward_store_set_fuel(f.s, 10000);
    CHECK(call0(&f, "spin", NULL, &res) == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_OUT_OF_FUEL && strcmp(res.message, "all fuel consumed") == 0);
    ward_store_set_fuel(f.s, -1);
    CHECK(still_works(&f));
    /* ... and with fuel refilled rather than switched off. */
    ward_store_set_fuel(f.s, 1000);
    CHECK(still_works(&f));
    ward_store_set_fuel(f.s, -1);

    /* Timeout: the same loop stops at the deadline, promptly. */
    double t0 = now_s();
    ward_store_set_timeout(f.s, 150 * 1000000ull);
    CHECK(call0(&f, "spin", NULL, &res) == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_DEADLINE && strcmp(res.message, "deadline exceeded") == 0);
    CHECK(now_s() - t0 < 3.0);
    ward_store_set_timeout(f.s, 0);
    CHECK(still_works(&f));
    /* A generous deadline does not disturb a normal call. */
    ward_store_set_timeout(f.s, 10ull * 1000000000ull);
    CHECK(still_works(&f));
    ward_store_set_timeout(f.s, 0);

    /* Interrupt from another thread. */
    double secs = 0;
    CHECK(call_interrupted(&f, "spin", false, &res, &secs) == WARD_TRAP);
    CHECK(res.trap == WARD_TRAP_INTERRUPTED);
    CHECK(secs < 3.0);
    CHECK(still_works(&f));

    /* Unbounded recursion: call stack exhausted, twice in a row. */
    for (int i = 0; i < 2; i++) {
        ward_val arg = i32v(1);
        out[0] = i32v(0);
        CHECK(ward_func_call(f.s, ward_instance_func(f.inst, "deep"), &arg, 1, out, 1, &res) ==
              WARD_TRAP);
        CHECK(res.trap == WARD_TRAP_CALL_STACK_EXHAUSTED &&
              strcmp(res.message, "call stack exhausted") == 0);
        CHECK(still_works(&f));
    }

    /* Unbounded memory.grow: the guest sees -1 at the cap and returns. */
    out[0] = i32v(-5);
    CHECK(call0(&f, "grow_all", out, &res) == WARD_OK);
    CHECK(out[0].of.i32 == 3); /* from 1 page up to the 4-page cap */
    out[0] = i32v(0);
    CHECK(call0(&f, "pages", out, &res) == WARD_OK && out[0].of.i32 == 4);
    ward_memory *mem = ward_instance_memory(f.inst, "memory");
    CHECK(mem && ward_memory_grow(mem, 1) == -1); /* the host's grow obeys it too */
    CHECK(mem && ward_memory_size(mem) == 4 * 65536);
    out[0] = i32v(-5);
    CHECK(call0(&f, "grow_all", out, &res) == WARD_OK && out[0].of.i32 == 0);
    CHECK(still_works(&f));
    fixture_free(&f);
}

/* A listening TCP socket on 127.0.0.1, port chosen by the kernel. */
static int listen_loopback(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static void test_blocking_wasi(ward_module *mod)
{
    fixture f;
    ward_result res;
    ward_val out[1];
    int p[2];
    if (pipe(p) != 0) {
        CHECK(!"pipe");
        return;
    }
    int lfd = listen_loopback();
    CHECK(lfd >= 0);
    CHECK(fixture_new(&f, mod, NULL, p[0], lfd));
    if (!f.inst) goto done;

    /* The deadline ends a read that would wait forever, a long sleep and
     * an accept nobody answers; each time the instance is fine after. */
    static const char *const blockers[] = {"read0", "sleep", "accept3"};
    for (size_t i = 0; i < 3; i++) {
        double t0 = now_s();
        ward_store_set_timeout(f.s, 200 * 1000000ull);
        ward_wasi_set_timeout(f.w, 200 * 1000000ull);
        CHECK(call0(&f, blockers[i], out, &res) == WARD_TRAP);
        CHECK(res.trap == WARD_TRAP_DEADLINE);
        double dt = now_s() - t0;
        CHECK(dt >= 0.15 && dt < 3.0);
        if (dt >= 3.0) printf("  %s took %.2f s under a 200 ms timeout\n", blockers[i], dt);
        ward_store_set_timeout(f.s, 0);
        ward_wasi_set_timeout(f.w, 0);
        CHECK(still_works(&f));
    }

    /* wasi-deadline-traps: a blocking call that runs into the WASI deadline
     * ends the guest with the trap itself; it does not return EINTR for the
     * guest to act on before the store's check catches up (a guest could
     * exit 0 in between). The store's own deadline is set far later here,
     * so only the WASI layer can stop these guests (which retry on EINTR)
     * within a second. */
    for (size_t i = 0; i < 3; i++) {
        double t0 = now_s();
        ward_store_set_timeout(f.s, 5000 * 1000000ull);
        ward_wasi_set_timeout(f.w, 200 * 1000000ull);
        CHECK(call0(&f, blockers[i], out, &res) == WARD_TRAP);
        CHECK(res.trap == WARD_TRAP_DEADLINE);
        CHECK(strcmp(res.message, "deadline exceeded") == 0);
        double dt = now_s() - t0;
        CHECK(dt >= 0.15 && dt < 1.5);
        if (dt >= 1.5) printf("  %s: the WASI deadline took %.2f s to stop it\n", blockers[i], dt);
        ward_store_set_timeout(f.s, 0);
        ward_wasi_set_timeout(f.w, 0);
        CHECK(still_works(&f));
    }

    /* ward_store_interrupt() with ward_wasi_interrupt() wakes the same
     * blocking calls (no deadline set at all). */
    for (size_t i = 0; i < 3; i++) {
        double secs = 0;
        CHECK(call_interrupted(&f, blockers[i], true, &res, &secs) == WARD_TRAP);
        CHECK(res.trap == WARD_TRAP_INTERRUPTED);
        CHECK(secs < 3.0);
        if (secs >= 3.0) printf("  %s took %.2f s to be interrupted\n", blockers[i], secs);
        CHECK(still_works(&f));
    }

    /* After all that, blocking calls work normally again: data in the
     * pipe is read, not mistaken for an interrupt. */
    CHECK(write(p[1], "hello", 5) == 5);
    out[0] = i32v(-1);
    CHECK(call0(&f, "read0", out, &res) == WARD_OK && out[0].of.i32 == 0);
    ward_memory *mem = ward_instance_memory(f.inst, "memory");
    char buf[8] = {0};
    uint32_t n = 0;
    CHECK(mem && ward_memory_read(mem, 8, &n, 4) && n == 5);
    CHECK(mem && ward_memory_read(mem, 64, buf, 5) && memcmp(buf, "hello", 5) == 0);

    /* A wake-up given while nothing blocks is kept for the next blocking
     * call, which sees EINTR once (the guest above retries) and goes on. */
    ward_wasi_interrupt(f.w);
    CHECK(write(p[1], "again", 5) == 5);
    out[0] = i32v(-1);
    CHECK(call0(&f, "read0", out, &res) == WARD_OK && out[0].of.i32 == 0);
done:
    fixture_free(&f);
    close(p[0]);
    close(p[1]);
    if (lfd >= 0) close(lfd);
}

int main(void)
{
    ward_error err;
    ward_module *mod = ward_module_new(limits_wasm, sizeof limits_wasm, 0, &err);
    CHECK(mod != NULL);
    if (!mod) {
        printf("module: %s\n", err.message);
    } else {
        test_compute_limits(mod);
        test_blocking_wasi(mod);
        ward_module_free(mod);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
