/* test_errors.c - the error and trap codes (include/ward_errors.h).
 *
 * First the tables themselves: every code has a distinct name, a text and a
 * category. Then a handful of bad modules per category, each checked for
 * its code, its category and (where the spec has one) its message: malformed
 * binaries, invalid modules, implementation limits, link errors, host
 * resources and misuse of the API. Modules are written in hex, one section
 * per group of bytes; the header is added unless a case is about it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward.h"

#include "base/base.h" /* w_alloc_fail_after: allocation failures on demand */

#include "../check.h"

#define HDR "0061736d 01000000 "

/* Parses hex digits (spaces ignored) into out; returns the byte count. */
static size_t hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            if (n < cap) out[n] = (uint8_t)(hi << 4 | v);
            n++;
            hi = -1;
        }
    }
    return n;
}

/* ---- the tables ------------------------------------------------------------------- */

static void test_tables(void)
{
    for (int i = 0; i < WARD_ERROR_COUNT; i++) {
        ward_error_code c = (ward_error_code)i;
        const char *name = ward_error_name(c), *desc = ward_error_description(c);
        ward_error_category cat = ward_error_category_of(c);
        CHECK(name && name[0] && strcmp(name, "UNKNOWN") != 0);
        CHECK(desc && desc[0]);
        CHECK((int)cat >= 0 && (int)cat < WARD_CATEGORY_COUNT);
        /* NONE is the only code without a category. */
        CHECK((c == WARD_ERROR_NONE) == (cat == WARD_CATEGORY_NONE));
        for (int k = 0; k < i; k++) {
            if (strcmp(name, ward_error_name((ward_error_code)k)) == 0) {
                printf("FAIL duplicate error name %s\n", name);
                failed++;
            }
            if (strcmp(desc, ward_error_description((ward_error_code)k)) == 0) {
                printf("FAIL duplicate error description \"%s\"\n", desc);
                failed++;
            }
        }
    }
    CHECK(strcmp(ward_error_name(WARD_ERROR_TYPE_MISMATCH), "TYPE_MISMATCH") == 0);
    CHECK(strcmp(ward_error_name((ward_error_code)WARD_ERROR_COUNT), "UNKNOWN") == 0);
    CHECK(strcmp(ward_error_name((ward_error_code)-1), "UNKNOWN") == 0);
    CHECK(ward_error_category_of((ward_error_code)WARD_ERROR_COUNT) == WARD_CATEGORY_NONE);

    for (int i = 0; i < WARD_CATEGORY_COUNT; i++) {
        const char *t = ward_error_category_text((ward_error_category)i);
        CHECK(t && t[0]);
        for (int k = 0; k < i; k++)
            CHECK(strcmp(t, ward_error_category_text((ward_error_category)k)) != 0);
    }
    CHECK(strcmp(ward_error_category_text(WARD_CATEGORY_LINK), "link error") == 0);

    /* Traps: distinct, non-empty texts, the spec's where it has one. */
    for (int i = 0; i < WARD_TRAP_COUNT; i++) {
        const char *t = ward_trap_message((ward_trap_code)i);
        CHECK(t && t[0] && strcmp(t, "unknown trap") != 0);
        for (int k = 0; k < i; k++)
            CHECK(strcmp(t, ward_trap_message((ward_trap_code)k)) != 0);
    }
    CHECK(WARD_TRAP_NONE == 0 && WARD_ERROR_NONE == 0);
    CHECK(strcmp(ward_trap_message(WARD_TRAP_MEMORY_OUT_OF_BOUNDS),
                 "out of bounds memory access") == 0);
    CHECK(strcmp(ward_trap_message(WARD_TRAP_INDIRECT_CALL_TYPE_MISMATCH),
                 "indirect call type mismatch") == 0);
    CHECK(strcmp(ward_trap_message(WARD_TRAP_HOST), "host function failed") == 0);
    CHECK(strcmp(ward_trap_message((ward_trap_code)WARD_TRAP_COUNT), "unknown trap") == 0);
}

/* ---- modules that do not load --------------------------------------------------------- */

typedef struct bad_module {
    const char *what;
    const char *hex; /* HDR is prepended unless raw */
    bool raw;
    uint32_t features;
    ward_error_code code;
    const char *message; /* the message starts with this */
} bad_module;

/* Sections reused below: type 0 = [] -> [], one function of it, and a code
 * section with one body (its size byte first). */
#define T0 "01 04 01 60 00 00 "
#define F1 "03 02 01 00 "
#define MEM1 "05 03 01 00 01 "

static const bad_module bad_modules[] = {
    /* ---- malformed ---- */
    {"short magic", "00 61 73", true, 0, WARD_ERROR_UNEXPECTED_END, "unexpected end"},
    {"bad magic", "00 61 73 6e 01 00 00 00", true, 0, WARD_ERROR_BAD_MAGIC,
     "magic header not detected"},
    {"version 2", "00 61 73 6d 02 00 00 00", true, 0, WARD_ERROR_BAD_VERSION,
     "unknown binary version"},
    {"count too long", "01 06 ff ff ff ff ff 00", false, 0, WARD_ERROR_INTEGER_TOO_LONG,
     "integer representation too long"},
    {"count too large", "01 05 ff ff ff ff 1f", false, 0, WARD_ERROR_INTEGER_TOO_LARGE,
     "integer too large"},
    {"section id 13", "0d 00", false, 0, WARD_ERROR_MALFORMED_SECTION_ID, "malformed section id"},
    {"two type sections", "01 01 00 01 01 00", false, 0, WARD_ERROR_SECTION_ORDER,
     "unexpected content after last section"},
    {"section too long", "01 02 00 00", false, 0, WARD_ERROR_SECTION_SIZE_MISMATCH,
     "section size mismatch"},
    {"section past the end", "01 05 00", false, 0, WARD_ERROR_LENGTH_OUT_OF_BOUNDS,
     "length out of bounds"},
    {"custom name 0xff", "00 02 01 ff", false, 0, WARD_ERROR_MALFORMED_UTF8,
     "malformed UTF-8 encoding"},
    {"function without code", T0 F1, false, 0, WARD_ERROR_INCONSISTENT_LENGTHS,
     "function and code section have inconsistent lengths"},
    {"function type 0x61", "01 04 01 61 00 00", false, 0, WARD_ERROR_MALFORMED_TYPE,
     "malformed function type"},
    {"import kind 5", "02 04 01 00 00 05", false, 0, WARD_ERROR_MALFORMED_FLAGS,
     "malformed import kind"},
    {"opcode 0xff", T0 F1 "0a 05 01 03 00 ff 0b", false, 0, WARD_ERROR_ILLEGAL_OPCODE,
     "illegal opcode"},
    {"memory.size 1", T0 F1 MEM1 "0a 07 01 05 00 3f 01 1a 0b", false, 0,
     WARD_ERROR_ZERO_BYTE_EXPECTED, "zero byte expected"},
    {"body without end", T0 F1 "0a 04 01 02 00 01", false, 0, WARD_ERROR_END_EXPECTED,
     "END opcode expected"},
    {"50,001 locals", T0 F1 "0a 08 01 06 01 d1 86 03 7f 0b", false, 0, WARD_ERROR_TOO_MANY_LOCALS,
     "too many locals"},
    {"data.drop without data count", T0 F1 "0a 07 01 05 00 fc 09 00 0b 0b 03 01 01 00", false, 0,
     WARD_ERROR_DATA_COUNT_REQUIRED, "data count section required"},
    /* ---- invalid ---- */
    {"missing result", "01 05 01 60 00 01 7f" F1 "0a 04 01 02 00 0b", false, 0,
     WARD_ERROR_TYPE_MISMATCH, "type mismatch"},
    {"i64 + i32 in a constant", "06 09 01 7f 00 42 00 41 00 6a 0b", false,
     WARD_FEATURE_EXTENDED_CONST, WARD_ERROR_TYPE_MISMATCH, "type mismatch"},
    {"local.get 0", T0 F1 "0a 07 01 05 00 20 00 1a 0b", false, 0, WARD_ERROR_UNKNOWN_LOCAL,
     "unknown local"},
    {"global.get 0", T0 F1 "0a 07 01 05 00 23 00 1a 0b", false, 0, WARD_ERROR_UNKNOWN_GLOBAL,
     "unknown global"},
    {"call 5", T0 F1 "0a 06 01 04 00 10 05 0b", false, 0, WARD_ERROR_UNKNOWN_FUNCTION,
     "unknown function"},
    {"export table 0", "07 05 01 01 74 01 00", false, 0, WARD_ERROR_UNKNOWN_TABLE,
     "unknown table 0"},
    {"export memory 0", "07 05 01 01 6d 02 00", false, 0, WARD_ERROR_UNKNOWN_MEMORY,
     "unknown memory 0"},
    {"function of type 0", F1, false, 0, WARD_ERROR_UNKNOWN_TYPE, "unknown type 0"},
    {"br 1", T0 F1 "0a 06 01 04 00 0c 01 0b", false, 0, WARD_ERROR_UNKNOWN_LABEL, "unknown label"},
    {"data.drop 0 of none", T0 F1 "0c 01 00 0a 07 01 05 00 fc 09 00 0b", false, 0,
     WARD_ERROR_UNKNOWN_DATA, "unknown data segment"},
    {"elem.drop 0", T0 F1 "0a 07 01 05 00 fc 0d 00 0b", false, 0, WARD_ERROR_UNKNOWN_ELEM,
     "unknown elem segment"},
    {"i32.load align 8", T0 F1 MEM1 "0a 0a 01 08 00 41 00 28 03 00 1a 0b", false, 0,
     WARD_ERROR_INVALID_ALIGNMENT, "alignment must not be larger than natural"},
    {"i32.add in a constant", "06 09 01 7f 00 41 00 41 00 6a 0b", false, 0,
     WARD_ERROR_CONSTANT_REQUIRED, "constant expression required"},
    {"two exports \"a\"", T0 F1 "07 09 02 01 61 00 00 01 61 00 00 0a 04 01 02 00 0b", false, 0,
     WARD_ERROR_DUPLICATE_EXPORT, "duplicate export name"},
    {"global.set of a constant", T0 F1 "06 06 01 7f 00 41 00 0b 0a 08 01 06 00 41 00 24 00 0b",
     false, 0, WARD_ERROR_IMMUTABLE_GLOBAL, "global is immutable"},
    {"two memories", "05 05 02 00 01 00 01", false, 0, WARD_ERROR_MULTIPLE_MEMORIES,
     "multiple memories"},
    {"memory min 2 max 1", "05 04 01 01 02 01", false, 0, WARD_ERROR_INVALID_LIMITS,
     "size minimum must not be greater than maximum"},
    {"start with a parameter", "01 05 01 60 01 7f 00" F1 "08 01 00 0a 04 01 02 00 0b", false, 0,
     WARD_ERROR_INVALID_START, "start function must have type [] -> []"},
    {"ref.func undeclared", T0 F1 "0a 07 01 05 00 d2 00 1a 0b", false, 0,
     WARD_ERROR_UNDECLARED_REFERENCE, "undeclared function reference"},
    {"extract_lane 16",
     "01 05 01 60 00 01 7f" F1
     "0a 19 01 17 00 fd 0c 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 fd 15 10 0b",
     false, 0, WARD_ERROR_INVALID_LANE_INDEX, "invalid lane index"},
    /* ---- implementation limits ---- */
    {"1001 parameters", "01 04 01 60 e9 07", false, 0, WARD_ERROR_IMPLEMENTATION_LIMIT,
     "too many params (limit 1000)"},
};

static void test_bad_modules(void)
{
    for (size_t i = 0; i < sizeof bad_modules / sizeof bad_modules[0]; i++) {
        const bad_module *b = &bad_modules[i];
        uint8_t bytes[256];
        char text[1024];
        snprintf(text, sizeof text, "%s%s", b->raw ? "" : HDR, b->hex);
        size_t n = hex(text, bytes, sizeof bytes);
        ward_error err;
        memset(&err, 0, sizeof err);
        ward_module *m = ward_module_new(bytes, n, b->features, &err);
        bool ok = m == NULL && err.code == b->code &&
                  strncmp(err.message, b->message, strlen(b->message)) == 0;
        CHECK(ok);
        if (!ok)
            printf("  %s: got %s \"%s\", want %s \"%s\"\n", b->what, ward_error_name(err.code),
                   m ? "(a module)" : err.message, ward_error_name(b->code), b->message);
        ward_module_free(m);
    }
}

/* A constant expression deeper than ward's evaluation stack (64 values). */
static void test_deep_constant(void)
{
    uint8_t bytes[256];
    size_t n = hex(HDR "06 86 01 01 7f 00", bytes, sizeof bytes); /* 134-byte global section */
    for (int i = 0; i < 65; i++) {
        bytes[n++] = 0x41;
        bytes[n++] = 0x00;
    }
    bytes[n++] = 0x0B;
    ward_error err;
    ward_module *m = ward_module_new(bytes, n, WARD_FEATURE_EXTENDED_CONST, &err);
    CHECK(m == NULL && err.code == WARD_ERROR_IMPLEMENTATION_LIMIT &&
          strcmp(err.message, "constant expression too deep") == 0);
    CHECK(ward_error_category_of(err.code) == WARD_CATEGORY_LIMIT);
    ward_module_free(m);
}

/* Every category holds the codes this file expects of it. */
static void test_categories(void)
{
    CHECK(ward_error_category_of(WARD_ERROR_UNEXPECTED_END) == WARD_CATEGORY_MALFORMED);
    CHECK(ward_error_category_of(WARD_ERROR_TOO_MANY_LOCALS) == WARD_CATEGORY_MALFORMED);
    CHECK(ward_error_category_of(WARD_ERROR_TYPE_MISMATCH) == WARD_CATEGORY_INVALID);
    CHECK(ward_error_category_of(WARD_ERROR_UNKNOWN_ELEM) == WARD_CATEGORY_INVALID);
    CHECK(ward_error_category_of(WARD_ERROR_IMPLEMENTATION_LIMIT) == WARD_CATEGORY_LIMIT);
    CHECK(ward_error_category_of(WARD_ERROR_UNKNOWN_IMPORT) == WARD_CATEGORY_LINK);
    CHECK(ward_error_category_of(WARD_ERROR_INCOMPATIBLE_IMPORT) == WARD_CATEGORY_LINK);
    CHECK(ward_error_category_of(WARD_ERROR_OUT_OF_MEMORY) == WARD_CATEGORY_RESOURCE);
    CHECK(ward_error_category_of(WARD_ERROR_MEMORY_LIMIT) == WARD_CATEGORY_RESOURCE);
    CHECK(ward_error_category_of(WARD_ERROR_INVALID_ARGUMENT) == WARD_CATEGORY_USAGE);
    CHECK(ward_error_category_of(WARD_ERROR_INTERNAL) == WARD_CATEGORY_INTERNAL);
    /* Within the malformed and invalid blocks, the category follows the
     * spec's assert_malformed and assert_invalid for every case above. */
    for (size_t i = 0; i < sizeof bad_modules / sizeof bad_modules[0]; i++) {
        ward_error_category c = ward_error_category_of(bad_modules[i].code);
        CHECK(c == WARD_CATEGORY_MALFORMED || c == WARD_CATEGORY_INVALID ||
              c == WARD_CATEGORY_LIMIT);
    }
}

/* ---- linking and instantiation --------------------------------------------------------- */

/* Loads a module that must be valid. */
static ward_module *load(const char *text)
{
    uint8_t bytes[256];
    char buf[1024];
    snprintf(buf, sizeof buf, HDR "%s", text);
    size_t n = hex(buf, bytes, sizeof bytes);
    ward_error err;
    ward_module *m = ward_module_new(bytes, n, 0, &err);
    CHECK(m != NULL && err.code == WARD_ERROR_NONE && err.message[0] == '\0');
    if (!m) printf("  load: %s %s\n", ward_error_name(err.code), err.message);
    return m;
}

static void test_link_errors(void)
{
    /* (import "m" "f" (func)) */
    ward_module *m = load(T0 "02 07 01 01 6d 01 66 00 00");
    ward_store *s = ward_store_new(NULL);
    ward_linker *l = ward_linker_new();
    ward_result res;
    if (!m || !s || !l) goto out;
    CHECK(ward_instance_new(s, m, l, &res) == NULL);
    CHECK(res.status == WARD_ERROR && res.error == WARD_ERROR_UNKNOWN_IMPORT &&
          strcmp(res.message, "unknown import \"m\" \"f\"") == 0);

    ward_extern e;
    e.kind = WARD_EXTERN_GLOBAL;
    e.of.global = ward_global_new(s, (ward_val){.kind = WARD_I32, .of.i32 = 1}, false);
    CHECK(e.of.global && ward_linker_define(l, "m", "f", e));
    CHECK(ward_instance_new(s, m, l, &res) == NULL);
    CHECK(res.status == WARD_ERROR && res.error == WARD_ERROR_INCOMPATIBLE_IMPORT &&
          strncmp(res.message, "incompatible import type", 24) == 0);
    CHECK(ward_error_category_of(res.error) == WARD_CATEGORY_LINK);
out:
    ward_linker_free(l);
    ward_store_free(s);
    ward_module_free(m);
}

static void test_resource_errors(void)
{
    /* A memory of 2 pages in a store that allows 1. */
    ward_module *m = load("05 03 01 00 02");
    ward_store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_memory_bytes = 65536;
    ward_store *s = ward_store_new(&cfg);
    ward_result res;
    if (m && s) {
        CHECK(ward_instance_new(s, m, NULL, &res) == NULL);
        CHECK(res.status == WARD_ERROR && res.error == WARD_ERROR_MEMORY_LIMIT);
        CHECK(ward_error_category_of(res.error) == WARD_CATEGORY_RESOURCE);
    }
    ward_module_free(m);
    ward_store_free(s);

    /* A table of 10,000,001 elements: valid Wasm, beyond ward's limit. */
    m = load("04 07 01 70 00 81 ad e2 04");
    s = ward_store_new(NULL);
    if (m && s) {
        CHECK(ward_instance_new(s, m, NULL, &res) == NULL);
        CHECK(res.status == WARD_ERROR && res.error == WARD_ERROR_TABLE_LIMIT);
    }
    ward_module_free(m);
    ward_store_free(s);
}

/* Every allocation of loading a module fails in turn: each failure must be
 * reported as OUT_OF_MEMORY, never as something the module did wrong. */
static void test_out_of_memory(void)
{
    uint8_t bytes[256];
    size_t n = hex(HDR T0 F1 MEM1 "06 06 01 7f 00 41 07 0b 07 05 01 01 66 00 00"
                                  "0a 0a 01 08 00 41 00 28 02 00 1a 0b",
                   bytes, sizeof bytes);
    int failures = 0, bad = 0;
    for (long k = 0; k < 400; k++) {
        ward_error err;
        w_alloc_fail_after(k);
        ward_module *m = ward_module_new(bytes, n, 0, &err);
        w_alloc_fail_after(-1);
        if (m) {
            ward_module_free(m);
            break; /* k allocations were enough */
        }
        failures++;
        if (err.code != WARD_ERROR_OUT_OF_MEMORY) {
            bad++;
            printf("  allocation %ld: %s \"%s\"\n", k, ward_error_name(err.code), err.message);
        }
    }
    CHECK(failures > 5 && bad == 0);
}

static void test_usage_errors(void)
{
    ward_error err;
    CHECK(ward_module_new(NULL, 8, 0, &err) == NULL && err.code == WARD_ERROR_INVALID_ARGUMENT);
    CHECK(ward_error_category_of(err.code) == WARD_CATEGORY_USAGE);

    /* (func (export "f")) called with an argument it does not take. */
    ward_module *m = load(T0 F1 "07 05 01 01 66 00 00 0a 04 01 02 00 0b");
    ward_store *s = ward_store_new(NULL);
    ward_result res;
    ward_instance *inst = m && s ? ward_instance_new(s, m, NULL, &res) : NULL;
    CHECK(inst != NULL && res.error == WARD_ERROR_NONE);
    ward_func *f = inst ? ward_instance_func(inst, "f") : NULL;
    if (f) {
        ward_val arg = {.kind = WARD_I32, .of.i32 = 1};
        CHECK(ward_func_call(s, f, &arg, 1, NULL, 0, &res) == WARD_ERROR);
        CHECK(res.error == WARD_ERROR_INVALID_ARGUMENT);
        CHECK(ward_func_call(s, f, NULL, 0, NULL, 0, &res) == WARD_OK);
        CHECK(res.error == WARD_ERROR_NONE && res.trap == WARD_TRAP_NONE);
    }
    ward_store_free(s);
    ward_module_free(m);
}

int main(void)
{
    alarm(60); /* a hang is a failure, not a lost run */
    test_tables();
    test_bad_modules();
    test_deep_constant();
    test_categories();
    test_link_errors();
    test_resource_errors();
    test_out_of_memory();
    test_usage_errors();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
