/* test_interrupt.c - ward_store_interrupt() from another thread, many times
 * over, at random moments (issue 10: the flag is a C11 atomic and carries
 * its trap code), through include/ward.h only.
 *
 * A second thread interrupts a guest spinning in a loop (checks at loop
 * back-edges) or calling in a loop (checks at calls), after a random delay
 * of 0-300 us, so that some interrupts land before the call starts (they
 * stay pending for it) and some while it runs. Every call must end in the
 * trap "interrupted"; a 10 s deadline on the store turns a lost interrupt
 * into a failure instead of a hang. Then the deadline races the interrupt:
 * either trap may win, nothing else may happen. After each round the store
 * runs a normal call. Then the watchdog, which is woken only for a
 * deadline earlier than the one it sleeps until, stops a spinning call on
 * time after thousands of short calls under a long and a short timeout.
 * Meant to be run under ThreadSanitizer too.
 * The last line is "N passed, M failed".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ward.h"

#include "../check.h"
#include "../vals.h"

/* `wat2wasm` of
 * (module
 *   (func $nop)
 *   (func (export "spin") (loop $l (br $l)))
 *   (func (export "spin_calls") (loop $l (call $nop) (br $l)))
 *   (func (export "add") (param i32 i32) (result i32)
 *     (i32.add (local.get 0) (local.get 1))))
 */
static const unsigned char intr_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x00, 0x00, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x05, 0x04, 0x00, 0x00, 0x00, 0x01, 0x07, 0x1b, 0x03,
    0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x01, 0x0a, 0x73, 0x70, 0x69, 0x6e, 0x5f, 0x63, 0x61,
    0x6c, 0x6c, 0x73, 0x00, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00, 0x03, 0x0a, 0x1e, 0x04, 0x02,
    0x00, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x09, 0x00, 0x03, 0x40, 0x10,
    0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
};

#define ROUNDS 200

/* The handshake: the caller publishes the round it is about to run in
 * `go`; the interrupter answers in `sent` once it has interrupted it. */
typedef struct stopper {
    ward_store *s;
    atomic_int go, sent;
    atomic_bool quit;
    unsigned delay_us[ROUNDS];
} stopper;

static void sleep_us(unsigned us)
{
    struct timespec ts = {0, (long)us * 1000L};
    if (us) nanosleep(&ts, NULL);
}

static void *stopper_main(void *arg)
{
    stopper *st = arg;
    for (int round = 1; round <= ROUNDS; round++) {
        while (atomic_load(&st->go) < round) {
            if (atomic_load(&st->quit)) return NULL;
            sleep_us(20);
        }
        sleep_us(st->delay_us[round - 1]);
        ward_store_interrupt(st->s);
        atomic_store(&st->sent, round);
    }
    return NULL;
}

/* Interrupts a store once after a delay. */
typedef struct racer {
    ward_store *s;
    unsigned us;
} racer;

static void *racer_main(void *arg)
{
    racer *r = arg;
    sleep_us(r->us);
    ward_store_interrupt(r->s);
    return NULL;
}

static bool still_works(ward_store *s, ward_instance *inst)
{
    ward_val args[2] = {i32v(40), i32v(2)}, out[1] = {i32v(0)};
    ward_result res;
    return ward_func_call(s, ward_instance_func(inst, "add"), args, 2, out, 1, &res) == WARD_OK &&
           out[0].of.i32 == 42;
}

int main(void)
{
    ward_error err;
    ward_result res;
    stopper st;
    pthread_t th;
    memset(&st, 0, sizeof st);
    ward_module *mod = ward_module_new(intr_wasm, sizeof intr_wasm, 0, &err);
    st.s = ward_store_new(NULL);
    ward_instance *inst = mod && st.s ? ward_instance_new(st.s, mod, NULL, &res) : NULL;
    CHECK(inst != NULL);
    if (!inst) goto done;
    CHECK(still_works(st.s, inst));

    /* Delays 0-300 us, a fixed pseudo-random sequence; every fourth is 0. */
    uint32_t x = 12345;
    for (int i = 0; i < ROUNDS; i++) {
        x = x * 1103515245u + 12345u;
        st.delay_us[i] = i % 4 == 0 ? 0 : (x >> 16) % 300;
    }
    atomic_init(&st.go, 0);
    atomic_init(&st.sent, 0);
    atomic_init(&st.quit, false);
    CHECK(pthread_create(&th, NULL, stopper_main, &st) == 0);

    int interrupted = 0, works = 0;
    double t0 = now_s();
    ward_store_set_timeout(st.s, 10ull * 1000000000ull);
    for (int round = 1; round <= ROUNDS; round++) {
        const char *name = round % 2 ? "spin" : "spin_calls";
        atomic_store(&st.go, round);
        ward_status r =
            ward_func_call(st.s, ward_instance_func(inst, name), NULL, 0, NULL, 0, &res);
        /* The call can only have ended through the interrupt of this round. */
        while (atomic_load(&st.sent) < round)
            sleep_us(10);
        if (r == WARD_TRAP && res.trap == WARD_TRAP_INTERRUPTED &&
            strcmp(res.message, "interrupted") == 0)
            interrupted++;
        else
            printf("  round %d (%s): status %d, \"%s\"\n", round, name, r, res.message);
        works += still_works(st.s, inst);
        if (interrupted != round) break; /* a lost interrupt: do not wait 10 s again */
    }
    atomic_store(&st.quit, true);
    pthread_join(th, NULL);
    printf("  %d of %d interrupted, %.2f s\n", interrupted, ROUNDS, now_s() - t0);
    CHECK(interrupted == ROUNDS);
    CHECK(works == interrupted);

    /* The deadline (watchdog thread) against ward_store_interrupt(): the
     * first reason to stop wins; either way the store goes on. An interrupt
     * that comes after the call is pending for the next one, which the
     * normal call after each round takes (and clears as it ends). */
    int deadline = 0, intr = 0, other = 0;
    for (int round = 0; round < 20; round++) {
        racer rc = {st.s, 700u + 30u * (unsigned)round};
        pthread_t t2;
        ward_store_set_timeout(st.s, 1000000ull); /* 1 ms */
        bool started = pthread_create(&t2, NULL, racer_main, &rc) == 0;
        ward_status r =
            ward_func_call(st.s, ward_instance_func(inst, "spin"), NULL, 0, NULL, 0, &res);
        if (started) pthread_join(t2, NULL);
        ward_store_set_timeout(st.s, 0);
        if (r == WARD_TRAP && res.trap == WARD_TRAP_DEADLINE)
            deadline++;
        else if (r == WARD_TRAP && res.trap == WARD_TRAP_INTERRUPTED)
            intr++;
        else
            other++;
        works += still_works(st.s, inst);
    }
    printf("  deadline against interrupt: %d deadline, %d interrupted, %d other\n", deadline, intr,
           other);
    CHECK(other == 0);
    CHECK(works == interrupted + 20);

    /* The watchdog is woken only for a deadline earlier than the time it
     * sleeps until (platform.c). After many short calls under a long
     * timeout it sleeps for 10 s: a short deadline must still wake it. And
     * after many calls under a short timeout it sleeps until one of their
     * old deadlines: a spinning call's later deadline is found when it
     * wakes there. Either way the spin ends with the deadline's trap, on
     * time (the bound is generous for a loaded machine). */
    for (int pass = 0; pass < 2; pass++) {
        uint64_t quick = pass == 0 ? 10ull * 1000000000ull : 20ull * 1000000ull;
        int ok = 0;
        for (int i = 0; i < 2000; i++) {
            ward_store_set_timeout(st.s, quick);
            ok += still_works(st.s, inst);
        }
        CHECK(ok == 2000);
        double t1 = now_s();
        ward_store_set_timeout(st.s, 30ull * 1000000ull); /* 30 ms */
        ward_status r =
            ward_func_call(st.s, ward_instance_func(inst, "spin"), NULL, 0, NULL, 0, &res);
        double took = now_s() - t1;
        ward_store_set_timeout(st.s, 0);
        printf("  spin after 2000 calls under a %s timeout: stopped after %.0f ms\n",
               pass == 0 ? "10 s" : "20 ms", took * 1000.0);
        CHECK(r == WARD_TRAP && res.trap == WARD_TRAP_DEADLINE);
        CHECK(took >= 0.029 && took < 2.0);
        CHECK(still_works(st.s, inst));
    }
done:
    ward_store_free(st.s);
    ward_module_free(mod);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
