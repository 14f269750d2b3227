/* spectest.h - the "spectest" host module that the spec test scripts import.
 *
 * The objects are created in the store `s` (which owns them and frees them
 * with itself) and defined in `l` under module name "spectest"; the linker
 * only borrows them, so `s` must outlive every use of `l` for instantiation.
 */
#ifndef WARD_TESTS_SPECTEST_H
#define WARD_TESTS_SPECTEST_H

#include <stdbool.h>

#include "ward.h"

/* Defines print, print_i32, print_i64, print_f32, print_f64, print_i32_f32,
 * print_f64_f64 (functions that do nothing), global_i32/global_i64 (666),
 * global_f32/global_f64 (666.6), table (funcref, 10, max 20) and memory
 * (1 page, max 2). Returns false if any object could not be created or
 * defined (out of memory); what was defined before stays defined. */
bool spectest_define(ward_store *s, ward_linker *l);

#endif
