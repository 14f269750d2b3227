/* c_test.h - what the C tests of tests/native share (run.sh, c_test):
 * the module named on the command line, with the native backend
 * installed. */
#ifndef WARD_TESTS_NATIVE_C_TEST_H
#define WARD_TESTS_NATIVE_C_TEST_H

#include "ward.h"
#include "ward_native.h"

#include <stdio.h>

/* Reads argv[1] (the only argument) into buf, at most cap bytes, and
 * installs the LLVM backend; the module's length, 0 if it cannot be read
 * (the test then exits with status 2). */
static size_t ct_module(int argc, char **argv, uint8_t *buf, size_t cap)
{
    if (argc != 2) return 0;
    FILE *f = fopen(argv[1], "rb");
    size_t len = f ? fread(buf, 1, cap, f) : 0;
    if (f) fclose(f);
    if (len) ward_native_install(ward_native_llvm());
    return len;
}

#endif
