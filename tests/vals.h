/* vals.h - helpers of the C test programs that use ward's public API. */
#ifndef WARD_TESTS_VALS_H
#define WARD_TESTS_VALS_H

#include <string.h>
#include <time.h>

#include "ward.h"

/* Values are zeroed whole, so that tests may compare all of `of`. */
static inline ward_val i32v(int32_t v)
{
    ward_val x;
    memset(&x, 0, sizeof x);
    x.kind = WARD_I32;
    x.of.i32 = v;
    return x;
}

static inline ward_val i64v(int64_t v)
{
    ward_val x;
    memset(&x, 0, sizeof x);
    x.kind = WARD_I64;
    x.of.i64 = v;
    return x;
}

/* Monotonic seconds. */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
