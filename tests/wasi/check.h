/* check.h - tiny assertion helpers for the WASI guest tests. Each test is a
 * WASI command that checks its own results, prints "ok <name>" at the end and
 * exits 0; the first failed check prints its line and exits 1. */
#ifndef WASI_TEST_CHECK_H
#define WASI_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, #cond, errno,    \
                    strerror(errno));                                                              \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* A raw WASI call must return exactly this errno. */
#define CHECK_ERR(call, want)                                                                      \
    do {                                                                                           \
        int got_ = (int)(call);                                                                    \
        if (got_ != (int)(want)) {                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s returned %d, want %d\n", __FILE__, __LINE__, #call,    \
                    got_, (int)(want));                                                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* A raw WASI call must fail (any errno). */
#define CHECK_FAILS(call)                                                                          \
    do {                                                                                           \
        int got_ = (int)(call);                                                                    \
        if (got_ == 0) {                                                                           \
            fprintf(stderr, "FAIL %s:%d: %s succeeded\n", __FILE__, __LINE__, #call);              \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Under node:wasi (the reference run.sh can use before ward works) a few
 * corners behave differently; run.sh sets WARD_REF=node there. */
#define UNDER_NODE() (getenv("WARD_REF") != NULL)

#endif
