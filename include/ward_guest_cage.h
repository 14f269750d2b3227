/* ward_guest_cage.h - Cage's memory-safety instructions for C programs compiled
 * with clang --target=wasm32-wasi, which does not know them.
 *
 * The functions below are placeholders: imports from "ward:cage" named
 * after the instructions. tools/cage-place rewrites every call of one into
 * the instruction itself (docs/cage.md) and removes the imports; the result
 * runs under `ward run -W mem-safety` (segments) and `-W ptr-auth`
 * (pointers). Unrewritten, the module fails to link ("ward:cage" is not a
 * module ward defines), so a forgotten step cannot pass silently.
 *
 * Tags: a pointer into a tagged 32-bit memory carries its tag in bits 28-31
 * (WARD_TAG_OF); addresses are below 2^28, so a tagged memory holds at most
 * 256 MiB. Segments are 16-byte granules: the address and size passed must
 * be multiples of 16.
 */
#ifndef WARD_GUEST_CAGE_H
#define WARD_GUEST_CAGE_H

#include <stddef.h>
#include <stdint.h>

#define WARD_CAGE_IMPORT(name) __attribute__((import_module("ward:cage"), import_name(name)))

/* Tags [p, p+size) with a new random tag (never 0, never a neighbour's),
 * zeroes it and returns p carrying the tag. */
WARD_CAGE_IMPORT("segment.new") void *ward_segment_new(void *p, size_t size);
/* Tags and zeroes [p, p+size) with the tag tagsrc carries. */
WARD_CAGE_IMPORT("segment.set_tag") void ward_segment_set_tag(void *p, void *tagsrc, size_t size);
/* Retags [p, p+size) to 0 (free): p must carry the segment's tag, and every
 * copy of it traps from now on. */
WARD_CAGE_IMPORT("segment.free") void ward_segment_free(void *p, size_t size);

/* Pointer authentication of 32-bit values below 2^16 (table indexes, such
 * as function pointers): sign puts a MAC in bits 16-31, auth checks it (or
 * traps) and removes it, strip removes it unchecked. */
WARD_CAGE_IMPORT("i32.pointer_sign") uint32_t ward_pointer_sign32(uint32_t v);
WARD_CAGE_IMPORT("i32.pointer_auth") uint32_t ward_pointer_auth32(uint32_t v);
WARD_CAGE_IMPORT("i32.pointer_strip") uint32_t ward_pointer_strip32(uint32_t v);
/* Cage's i64 forms: the MAC in bits 48-63 (48-55 and 60-63 with tags). */
WARD_CAGE_IMPORT("i64.pointer_sign") uint64_t ward_pointer_sign64(uint64_t v);
WARD_CAGE_IMPORT("i64.pointer_auth") uint64_t ward_pointer_auth64(uint64_t v);
WARD_CAGE_IMPORT("i64.pointer_strip") uint64_t ward_pointer_strip64(uint64_t v);

#undef WARD_CAGE_IMPORT

/* The tag a pointer into a tagged 32-bit memory carries, and the pointer
 * without it. */
#define WARD_TAG_OF(p) ((unsigned)((uintptr_t)(p) >> 28) & 15u)
#define WARD_UNTAGGED(p) ((void *)((uintptr_t)(p)&0x0fffffffu))

#endif
