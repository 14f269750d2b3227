/* Clocks, random, sched_yield and sleeping (poll_oneoff with a clock). */
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

static uint64_t now(__wasi_clockid_t id)
{
    __wasi_timestamp_t t = 0;
    CHECK_ERR(__wasi_clock_time_get(id, 1, &t), 0);
    return t;
}

int main(void)
{
    __wasi_timestamp_t res;
    for (__wasi_clockid_t id = 0; id < 4; id++) {
        CHECK_ERR(__wasi_clock_res_get(id, &res), 0);
        CHECK(res > 0 && res <= 1000000000u);
        (void)now(id);
    }
    CHECK_ERR(__wasi_clock_res_get(99, &res), __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_clock_time_get(99, 0, &res), __WASI_ERRNO_INVAL);
    /* realtime is after 2020, monotonic does not go back */
    CHECK(now(__WASI_CLOCKID_REALTIME) > 1577836800ull * 1000000000u);
    uint64_t m1 = now(__WASI_CLOCKID_MONOTONIC);
    uint64_t c1 = now(__WASI_CLOCKID_PROCESS_CPUTIME_ID);
    volatile uint64_t spin = 0;
    for (int i = 0; i < 3000000; i++)
        spin += (uint64_t)i;
    uint64_t c2 = now(__WASI_CLOCKID_PROCESS_CPUTIME_ID);
    CHECK(c2 >= c1 && spin > 0);
    CHECK(now(__WASI_CLOCKID_THREAD_CPUTIME_ID) > 0);
    /* sleeping 30 ms: nanosleep is a poll_oneoff on a relative clock */
    struct timespec ts = {0, 30 * 1000000};
    CHECK(nanosleep(&ts, NULL) == 0);
    uint64_t m2 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(m2 - m1 >= 30 * 1000000u);
    /* an absolute deadline 20 ms ahead (node never wakes up from this) */
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 77;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = now(__WASI_CLOCKID_MONOTONIC) + 20 * 1000000u;
    sub.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    if (!UNDER_NODE()) {
        CHECK_ERR(__wasi_poll_oneoff(&sub, &ev, 1, &n), 0);
        CHECK(n == 1 && ev.userdata == 77 && ev.error == 0 && ev.type == __WASI_EVENTTYPE_CLOCK);
        CHECK(now(__WASI_CLOCKID_MONOTONIC) >= sub.u.u.clock.timeout);
    }
    /* no subscriptions is an error */
    CHECK_ERR(__wasi_poll_oneoff(&sub, &ev, 0, &n), __WASI_ERRNO_INVAL);
    /* random: fills the buffer, differs between calls */
    uint8_t a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_ERR(__wasi_random_get(a, sizeof a), 0);
    CHECK_ERR(__wasi_random_get(b, sizeof b), 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    int zeros = 0;
    for (size_t i = 0; i < sizeof a; i++)
        zeros += a[i] == 0;
    CHECK(zeros < 16);
    static uint8_t big[100000];
    CHECK(getentropy(big, 256) == 0);
    CHECK_ERR(__wasi_random_get(big, sizeof big), 0);
    CHECK_ERR(__wasi_sched_yield(), 0);
    puts("ok clock");
    return 0;
}
