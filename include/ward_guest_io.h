/* ward_guest_io.h - for Wasm functions run by a ward serverless node
 * (`ward serve`): the import module "ward:io", data-centric I/O without
 * copies.
 *
 * An invocation's input is one or more parts (one for a request body; one
 * per function of a fan-out step before this one, in order), each in pages
 * the node mapped into this module's memory read-only: a store into them
 * traps ("memory access denied"). The output area is pages of this
 * module's own memory after them; write the result there and commit its
 * length. The node hands those pages, not a copy, to the next function of
 * a chain. A plain WASI command needs none of this: its stdin reads the
 * same input pages and its stdout appends to the same output area.
 *
 * Compile with clang --target=wasm32-wasi; the attributes below name the
 * imports, so no linker flags are needed.
 */
#ifndef WARD_GUEST_IO_H
#define WARD_GUEST_IO_H

#include <stdint.h>

#define WARD_IO_IMPORT(name) __attribute__((import_module("ward:io"), import_name(name)))

/* Number of input parts (0 for an empty request). */
WARD_IO_IMPORT("input_count") int32_t ward_io_input_count(void);
/* Address and length of part i; -1 if there is no part i. */
WARD_IO_IMPORT("input_ptr") int32_t ward_io_input_ptr(int32_t i);
WARD_IO_IMPORT("input_len") int32_t ward_io_input_len(int32_t i);
/* The output area: its address and capacity in bytes (the manifest's
 * limits.output). */
WARD_IO_IMPORT("output_ptr") int32_t ward_io_output_ptr(void);
WARD_IO_IMPORT("output_cap") int32_t ward_io_output_cap(void);
/* Sets the output's length (the bytes from output_ptr on): 0, or -1 if
 * len is above the capacity. The last call counts; none means no output. */
WARD_IO_IMPORT("output_commit") int32_t ward_io_output_commit(int32_t len);

#undef WARD_IO_IMPORT

/* Part i as a pointer (NULL if absent). */
static inline const uint8_t *ward_io_input(int32_t i, int32_t *len)
{
    int32_t p = ward_io_input_ptr(i);
    *len = ward_io_input_len(i);
    return p < 0 ? (const uint8_t *)0 : (const uint8_t *)(uintptr_t)p;
}

static inline uint8_t *ward_io_output(int32_t *cap)
{
    *cap = ward_io_output_cap();
    return (uint8_t *)(uintptr_t)ward_io_output_ptr();
}

#endif
