/* ward_errors.h - the two tables of ward's failure codes.
 *
 * Each list is an X-macro: the one place a code is named, from which
 * include/ward.h generates the public enums (ward_trap_code,
 * ward_error_code) and src/base generates the runtime's internal trap and
 * error enums with the same values and the tables of names and texts. A new
 * code is one new line here; nothing else must be kept in step by hand.
 *
 * This header holds only the lists (no declarations), so every layer of
 * ward may include it; embedders include ward.h, which includes it.
 */
#ifndef WARD_ERRORS_H
#define WARD_ERRORS_H

/* Traps: X(PUBLIC, INTERNAL, TEXT).
 *   PUBLIC    the public code is WARD_TRAP_<PUBLIC>;
 *   INTERNAL  the runtime's own name for it, W_TRAP_<INTERNAL> (shorter, and
 *             already spelled out in every handler of the interpreter);
 *   TEXT      the spec's message for the trap, which ward_result.message
 *             carries (ward's own texts for the traps the spec has not).
 * Every trap the guest can cause, and every limit that stops it, is public:
 * an embedder tells a misbehaving guest (the spec's traps, ACCESS_DENIED)
 * from one that ran out of the budget it was given (OUT_OF_FUEL, DEADLINE,
 * CALL_STACK_EXHAUSTED), from its own intervention (INTERRUPTED, HOST), and
 * from the host's lack of memory (OUT_OF_MEMORY), and each calls for a
 * different response. The runtime has one more code after these, for
 * WASI's proc_exit unwinding the guest (src/base/base.h); it is not public
 * because an exit is not a trap: the API reports it as WARD_EXIT with the
 * exit code. Values follow the order of the list, NONE first (0). */
#define WARD_TRAP_LIST(X)                                                                          \
    X(NONE, OK, "ok")                                                                              \
    X(UNREACHABLE, UNREACHABLE, "unreachable")                                                     \
    X(MEMORY_OUT_OF_BOUNDS, MEM_OOB, "out of bounds memory access")                                \
    X(TABLE_OUT_OF_BOUNDS, TABLE_OOB, "out of bounds table access")                                \
    X(INTEGER_DIVIDE_BY_ZERO, INT_DIV_ZERO, "integer divide by zero")                              \
    X(INTEGER_OVERFLOW, INT_OVERFLOW, "integer overflow")                                          \
    X(INVALID_CONVERSION, INVALID_CONV, "invalid conversion to integer")                           \
    X(UNDEFINED_ELEMENT, UNDEF_ELEM, "undefined element")                                          \
    X(UNINITIALIZED_ELEMENT, UNINIT_ELEM, "uninitialized element")                                 \
    X(INDIRECT_CALL_TYPE_MISMATCH, IND_CALL_MISMATCH, "indirect call type mismatch")               \
    X(CALL_STACK_EXHAUSTED, STACK_EXHAUSTED, "call stack exhausted")                               \
    X(OUT_OF_FUEL, FUEL, "all fuel consumed")                                                      \
    X(DEADLINE, TIMEOUT, "deadline exceeded")                                                      \
    X(INTERRUPTED, INTERRUPTED, "interrupted")                                                     \
    X(ACCESS_DENIED, ACCESS_DENIED, "memory access denied")                                        \
    X(OUT_OF_MEMORY, OOM, "out of memory")                                                         \
    X(HOST, HOST, "host function failed")                                                          \
    /* Memory safety (Cage, docs/cage.md); the result's message adds the                           \
     * detail: "memory tag mismatch: pointer tag 3, memory tag 5 at address                        \
     * 0x4a0", "invalid segment: size 20 is not a multiple of 16". */                              \
    X(TAG_MISMATCH, TAG_MISMATCH, "memory tag mismatch")                                           \
    X(POINTER_AUTH, PTR_AUTH, "pointer authentication failed")                                     \
    X(SEGMENT, SEGMENT, "invalid segment")

/* Errors of loading, linking and instantiating a module, and of the API's
 * own calls: X(NAME, CATEGORY, DESCRIPTION).
 *   NAME         the code is WARD_ERROR_<NAME> (internally W_ERR_<NAME>);
 *   CATEGORY     WARD_CATEGORY_<CATEGORY>: the spec's kinds of failure
 *                (MALFORMED binary, INVALID module, LINK error) and ward's
 *                own (implementation LIMIT, host RESOURCE, USAGE of the API,
 *                INTERNAL);
 *   DESCRIPTION  what the code means, one line. The message of a
 *                ward_error is a separate, specific text (the spec's, where
 *                the spec has one: "unknown global 3", "type mismatch").
 * The granularity is what an embedder or a test can act on: the spec's
 * categories first, then within them the rule broken, one code per message
 * family of the spec's test suite. Values follow the order of the list. */
#define WARD_ERROR_LIST(X)                                                                         \
    X(NONE, NONE, "no error")                                                                      \
    /* ---- malformed binary (the spec's assert_malformed) ---- */                                 \
    X(UNEXPECTED_END, MALFORMED,                                                                   \
      "the binary ends inside the header, a section, a body or a value")                           \
    X(BAD_MAGIC, MALFORMED, "not a WebAssembly binary: the magic number \\0asm is missing")        \
    X(BAD_VERSION, MALFORMED, "a binary format version other than 1")                              \
    X(INTEGER_TOO_LONG, MALFORMED, "a LEB128 integer longer than its type allows")                 \
    X(INTEGER_TOO_LARGE, MALFORMED, "a LEB128 integer whose value does not fit its type")          \
    X(MALFORMED_SECTION_ID, MALFORMED, "a section id that does not exist")                         \
    X(SECTION_ORDER, MALFORMED, "a section out of order or repeated")                              \
    X(SECTION_SIZE_MISMATCH, MALFORMED, "a section's contents end before its declared size")       \
    X(LENGTH_OUT_OF_BOUNDS, MALFORMED, "a section, name or body length past the end of the input") \
    X(MALFORMED_UTF8, MALFORMED, "a name that is not valid UTF-8")                                 \
    X(INCONSISTENT_LENGTHS, MALFORMED,                                                             \
      "function and code sections, or data count and data sections, disagree")                     \
    X(DATA_COUNT_REQUIRED, MALFORMED, "memory.init or data.drop without a data count section")     \
    X(MALFORMED_TYPE, MALFORMED, "an undefined value, reference or function type, or mutability")  \
    X(MALFORMED_FLAGS, MALFORMED,                                                                  \
      "an undefined kind or flags byte (import, export, segment, limits, memarg)")                 \
    X(ILLEGAL_OPCODE, MALFORMED, "an opcode that does not exist, is not enabled, or is misplaced") \
    X(UNSUPPORTED_PROPOSAL, MALFORMED, "an instruction of a proposal ward does not implement")     \
    X(ZERO_BYTE_EXPECTED, MALFORMED, "a reserved byte that must be zero is not")                   \
    X(END_EXPECTED, MALFORMED, "a function body that does not end with `end`")                     \
    X(TOO_MANY_LOCALS, MALFORMED, "a function with more locals than ward allows")                  \
    /* ---- invalid module (the spec's assert_invalid) ---- */                                     \
    X(TYPE_MISMATCH, INVALID, "an operand, result or initializer of the wrong type")               \
    X(UNKNOWN_TYPE, INVALID, "a type index out of range")                                          \
    X(UNKNOWN_FUNCTION, INVALID, "a function index out of range")                                  \
    X(UNKNOWN_TABLE, INVALID, "a table index out of range")                                        \
    X(UNKNOWN_MEMORY, INVALID, "a memory index out of range")                                      \
    X(UNKNOWN_GLOBAL, INVALID, "a global index out of range (or not readable there)")              \
    X(UNKNOWN_LOCAL, INVALID, "a local index out of range")                                        \
    X(UNKNOWN_LABEL, INVALID, "a branch to a label that does not enclose it")                      \
    X(UNKNOWN_DATA, INVALID, "a data segment index out of range")                                  \
    X(UNKNOWN_ELEM, INVALID, "an element segment index out of range")                              \
    X(INVALID_ALIGNMENT, INVALID, "an alignment larger than the access's natural alignment")       \
    X(INVALID_OFFSET, INVALID, "a memory offset beyond 2^32-1 on a 32-bit memory")                 \
    X(INVALID_LANE_INDEX, INVALID, "a SIMD lane index out of range")                               \
    X(INVALID_RESULT_ARITY, INVALID, "a typed select with other than one result type")             \
    X(CONSTANT_REQUIRED, INVALID, "a non-constant instruction in a constant expression")           \
    X(DUPLICATE_EXPORT, INVALID, "two exports with the same name")                                 \
    X(IMMUTABLE_GLOBAL, INVALID, "global.set of an immutable global")                              \
    X(MULTIPLE_MEMORIES, INVALID, "more than one memory without the multi-memory feature")         \
    X(INVALID_LIMITS, INVALID, "a memory or table size above its maximum, or min above max")       \
    X(INVALID_START, INVALID, "a start function whose type is not [] -> []")                       \
    X(UNDECLARED_REFERENCE, INVALID, "ref.func of a function not declared for reference")          \
    /* ---- beyond ward's implementation limits (valid Wasm, refused) ---- */                      \
    X(IMPLEMENTATION_LIMIT, LIMIT,                                                                 \
      "a count, size, nesting or function complexity beyond ward's limits")                        \
    /* ---- link errors (the spec's assert_unlinkable) ---- */                                     \
    X(UNKNOWN_IMPORT, LINK, "an import the linker does not define")                                \
    X(INCOMPATIBLE_IMPORT, LINK, "an import defined with another kind or type than the module's")  \
    X(CAGE_UNAVAILABLE, LINK,                                                                      \
      "segment or pointer instructions in a store without mem-safety or ptr-auth (docs/cage.md)")  \
    /* ---- instantiation (the spec's assert_trap on a module) ---- */                             \
    X(SEGMENT_OUT_OF_BOUNDS, INSTANTIATION,                                                        \
      "an active data or element segment that does not fit its memory or table")                   \
    /* ---- host resources at instantiation or creation ---- */                                    \
    X(OUT_OF_MEMORY, RESOURCE, "a host allocation failed")                                         \
    X(MEMORY_LIMIT, RESOURCE,                                                                      \
      "a linear memory beyond the store's limit, or that cannot be reserved")                      \
    X(BUDGET_EXCEEDED, RESOURCE,                                                                   \
      "the instance's or store's memory or address-space budget would be exceeded")                \
    X(STOPPED, RESOURCE, "loading stopped by the store's deadline or an interrupt")                \
    X(TABLE_LIMIT, RESOURCE, "a table beyond ward's limit on elements")                            \
    X(HOST_RESOURCE, RESOURCE, "a thread, descriptor or kernel feature the host could not give")   \
    /* ---- the embedder's use of the API ---- */                                                  \
    X(INVALID_ARGUMENT, USAGE, "a missing, mismatched or out-of-range argument")                   \
    /* ---- a bug in ward ---- */                                                                  \
    X(INTERNAL, INTERNAL, "an internal inconsistency in ward (please report it)")

/* The categories of WARD_ERROR_LIST: X(NAME, DESCRIPTION). */
#define WARD_CATEGORY_LIST(X)                                                                      \
    X(NONE, "no error")                                                                            \
    X(MALFORMED, "malformed binary")                                                               \
    X(INVALID, "invalid module")                                                                   \
    X(LIMIT, "implementation limit")                                                               \
    X(LINK, "link error")                                                                          \
    X(INSTANTIATION, "instantiation failed")                                                       \
    X(RESOURCE, "host resource exhausted")                                                         \
    X(USAGE, "invalid use of the API")                                                             \
    X(INTERNAL, "internal error")

#endif
