/* check.h - the one assertion macro of ward's C test programs. Each program
 * counts with it and ends by printing "N passed, M failed" (the line
 * tests/run_unit.sh and CI read) and exiting non-zero if anything failed. */
#ifndef WARD_TESTS_CHECK_H
#define WARD_TESTS_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                 \
        }                                                                                          \
    } while (0)

#endif
