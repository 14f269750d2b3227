/* pguard_test.c - guard pages of paged 32-bit memories (tests/native/run.sh;
 * docs/native.md, "Guard pages"): while a paged memory's span is all of it,
 * native code accesses it with guarded instructions, and a fault past its
 * size must be the interpreter's "out of bounds memory access", with its
 * backtrace. Runs one sequence of calls and host changes through the C API
 * in the interpreter and in the native tier, checks each step's expected
 * result in both and that both tiers print the same transcript:
 *   - at and past the end, a straddle at the end that writes nothing, a
 *     loop running off the end, after memory.grow;
 *   - the host protects a page (the span is cut: the paths' ways decide),
 *     and gives the permission back (guarded again);
 *   - a clone, whose pages are its template's (ways) until it has written
 *     them all (then its own arena's: guarded if the arena has exactly
 *     its pages open, paged.c "Guard"), and the template, whose pages are
 *     now shared;
 *   - a region mapped and unmapped over a page (the span is cut for good);
 *   - memory 1, through the layout-M path, at its end and after grow;
 *   - a kept arena reused by a smaller memory: its slots past the new size
 *     are inaccessible again (an access there traps, it does not read the
 *     old memory's bytes), and memory.grow gives zero pages.
 * Usage: pguard_test pguard.wasm. Last line: "N passed, M failed". */
#include "c_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pass, failn;

/* What one tier printed, a line per step. */
typedef struct log {
    char text[16384];
    size_t len;
    ward_tier tier;
} log_t;

/* Calls name(a[, b]) on inst, appends the result (or the trap with its
 * message and backtrace) to lg, and checks that the line contains want. */
static void step(ward_store *s, ward_instance *inst, log_t *lg, const char *name, uint32_t a,
                 int64_t b, const char *want)
{
    ward_func *f = ward_instance_func(inst, name);
    ward_val args[2] = {{.kind = WARD_I32, .of.i32 = (int32_t)a},
                        {.kind = WARD_I32, .of.i32 = (int32_t)b}};
    ward_val r = {0};
    ward_result res;
    char line[512];
    int n = snprintf(line, sizeof line, "%s(%u%s", name, a, b >= 0 ? ", " : "");
    if (b >= 0) n += snprintf(line + n, sizeof line - (size_t)n, "%lld", (long long)b);
    n += snprintf(line + n, sizeof line - (size_t)n, ")");
    if (!f) {
        snprintf(line + n, sizeof line - (size_t)n, ": no such function");
    } else if (ward_func_call(s, f, args, b >= 0 ? 2 : 1, &r, ward_func_result_count(f), &res) ==
               WARD_OK) {
        if (ward_func_result_count(f) == 0)
            snprintf(line + n, sizeof line - (size_t)n, " done");
        else if (r.kind == WARD_I64)
            snprintf(line + n, sizeof line - (size_t)n, " = %lld", (long long)r.of.i64);
        else if (r.kind == WARD_F64)
            snprintf(line + n, sizeof line - (size_t)n, " = %g", r.of.f64);
        else
            snprintf(line + n, sizeof line - (size_t)n, " = %d", r.of.i32);
    } else {
        n += snprintf(line + n, sizeof line - (size_t)n, ": trap %s [", res.message);
        for (uint32_t k = 0; k < res.nframes && n < (int)sizeof line - 16; k++)
            n += snprintf(line + n, sizeof line - (size_t)n, " %u@%llu", res.frames[k].func_index,
                          (unsigned long long)res.frames[k].module_offset);
        snprintf(line + n, sizeof line - (size_t)n, " ]");
    }
    if (strstr(line, want)) {
        pass++;
    } else {
        failn++;
        printf("FAIL (tier %d) %s: want \"%s\"\n", (int)lg->tier, line, want);
    }
    lg->len += (size_t)snprintf(lg->text + lg->len, sizeof lg->text - lg->len, "%s\n", line);
}

static void check(bool ok, const char *what, ward_tier tier)
{
    if (ok) {
        pass++;
        return;
    }
    failn++;
    printf("FAIL (tier %d) %s\n", (int)tier, what);
}

#define OOB "trap out of bounds memory access ["
#define NONE -1

static void run(const uint8_t *bytes, size_t len, log_t *lg)
{
    ward_tier tier = lg->tier;
    ward_store_config cfg = {.memory_mode = WARD_MEMORY_PAGED, .tier = tier};
    ward_store *s = ward_store_new(&cfg);
    ward_error err;
    ward_result res;
    ward_module *m = s ? ward_module_new_in(s, bytes, len, WARD_FEATURE_MULTI_MEMORY, &err) : NULL;
    ward_instance *t = m ? ward_instance_new(s, m, NULL, &res) : NULL;
    check(t != NULL, "instantiate", tier);
    if (!t) goto out;
    ward_memory *mem = ward_instance_memory(t, "mem");

    /* Memory 1 (the layout-M path): at and past its end, after grow. */
    step(s, t, lg, "st1", 131064, 5, "done");
    step(s, t, lg, "ld1", 131060, NONE, "= 5");
    step(s, t, lg, "ld1", 131065, NONE, OOB);
    step(s, t, lg, "st1", 131065, 1, OOB);
    step(s, t, lg, "ld1", 4294967295u, NONE, OOB);
    step(s, t, lg, "grow1", 1, NONE, "= 2");
    step(s, t, lg, "ld1", 196604 - 4, NONE, "= 0");
    step(s, t, lg, "ld1", 196604 - 3, NONE, OOB);
    /* At and past the end of one page; a straddle writes nothing. */
    step(s, t, lg, "st", 65532, 7, "done");
    step(s, t, lg, "ld", 65532, NONE, "= 7");
    step(s, t, lg, "ld", 65533, NONE, OOB);
    step(s, t, lg, "ld8", 65535, NONE, "= 0");
    step(s, t, lg, "ld8", 65536, NONE, OOB);
    step(s, t, lg, "ld", 4294967295u, NONE, OOB);
    step(s, t, lg, "ld64", 65529, NONE, OOB);
    step(s, t, lg, "ldf64", 65520, NONE, "= 1.4854e-313");
    step(s, t, lg, "ldf64", 65521, NONE, OOB);
    step(s, t, lg, "st64", 65532, NONE, OOB);
    step(s, t, lg, "ld", 65532, NONE, "= 7");
    step(s, t, lg, "sum", 65536, NONE, "= 0");
    step(s, t, lg, "sum", 65537, NONE, OOB);
    /* memory.grow: the new page is accessible, the next one not. */
    step(s, t, lg, "grow", 1, NONE, "= 1");
    step(s, t, lg, "ld", 131068, NONE, "= 0");
    step(s, t, lg, "st", 131068, 9, "done");
    step(s, t, lg, "ld", 131069, NONE, OOB);
    step(s, t, lg, "st64", 131066, NONE, OOB);
    step(s, t, lg, "sum", 196608, NONE, OOB);
    /* The host makes page 1 read-only: stores there are denied, and past
     * the end is out of bounds through the ways; then read-write again. */
    check(ward_memory_protect(mem, 1, 1, WARD_PERM_READ), "protect", tier);
    step(s, t, lg, "st", 65536, 1, "trap");
    step(s, t, lg, "ld", 131068, NONE, "= 9");
    step(s, t, lg, "ld", 131069, NONE, OOB);
    step(s, t, lg, "st64", 131066, NONE, "trap");
    check(ward_memory_protect(mem, 1, 1, WARD_PERM_READ_WRITE), "protect back", tier);
    step(s, t, lg, "st", 65536, 5, "done");
    step(s, t, lg, "ld", 131070, NONE, OOB);
    step(s, t, lg, "touch", 131072, NONE, OOB);

    /* A clone: its pages are the template's until written. */
    ward_instance *c = ward_instance_clone(s, t, &res);
    check(c != NULL, "clone", tier);
    if (c) {
        step(s, c, lg, "ld", 131068, NONE, "= 9");
        step(s, c, lg, "ld", 131069, NONE, OOB);
        step(s, c, lg, "st64", 131064, NONE, "done");
        step(s, c, lg, "st64", 131068, NONE, OOB);
        step(s, c, lg, "touch", 131072, NONE, OOB); /* writes every page, then past the end */
        step(s, c, lg, "ld", 131069, NONE, OOB);    /* its own pages now */
        step(s, c, lg, "st", 4096, 11, "done");
        step(s, c, lg, "ld", 4096, NONE, "= 11");
        step(s, c, lg, "grow", 1, NONE, "= 2");
        step(s, c, lg, "ld", 196604, NONE, "= 0");
        step(s, c, lg, "ld", 196605, NONE, OOB);
        /* The template keeps its words, its pages shared until it writes. */
        step(s, t, lg, "ld", 4096, NONE, "= 4096");
        step(s, t, lg, "ld", 131069, NONE, OOB);
        step(s, t, lg, "st", 4096, 3, "done");
        step(s, t, lg, "ld", 131069, NONE, OOB);
        ward_instance_free(s, c);
    }
    step(s, t, lg, "ld", 4096, NONE, "= 3");

    /* A region over page 1, then unmapped: page 1 is absent from then on. */
    ward_region *r = ward_region_new(1);
    check(r && ward_region_map(r, mem, 1, WARD_PERM_READ_WRITE), "region map", tier);
    step(s, t, lg, "ld", 65536, NONE, "= 0");
    step(s, t, lg, "st", 65540, 4, "done");
    step(s, t, lg, "ld", 131069, NONE, OOB);
    check(r && ward_region_unmap(r, mem) == 1, "region unmap", tier);
    step(s, t, lg, "ld", 65536, NONE, OOB);
    step(s, t, lg, "ld", 65532, NONE, "= 7");
    step(s, t, lg, "ld", 131069, NONE, OOB);
    if (r) ward_region_free(r);
    ward_instance_free(s, t);

    /* A memory of 4 pages written everywhere, freed: its arena is kept and
     * goes to the next memory of the same maximum, which has 1 page. */
    ward_instance *b = ward_instance_new(s, m, NULL, &res);
    check(b != NULL, "instantiate 4 pages", tier);
    if (b) {
        step(s, b, lg, "grow", 3, NONE, "= 1");
        step(s, b, lg, "touch", 0, NONE, "= 0");
        step(s, b, lg, "st", 196604, 77, "done");
        ward_instance_free(s, b);
    }
    ward_instance *n = ward_instance_new(s, m, NULL, &res);
    check(n != NULL, "instantiate 1 page", tier);
    if (n) {
        step(s, n, lg, "ld", 65532, NONE, "= 0");
        step(s, n, lg, "ld", 65536, NONE, OOB);
        step(s, n, lg, "ld", 196604, NONE, OOB);
        step(s, n, lg, "sum", 262144, NONE, OOB);
        step(s, n, lg, "grow", 3, NONE, "= 1");
        step(s, n, lg, "ld", 196604, NONE, "= 0");
        step(s, n, lg, "ld", 65536, NONE, "= 0");
        step(s, n, lg, "ld", 262141, NONE, OOB);
        ward_instance_free(s, n);
    }
out:
    ward_store_free(s); /* and t, if the test left off early */
    if (m) ward_module_free(m);
}

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    size_t len = ct_module(argc, argv, buf, sizeof buf);
    if (!len) return 2;
    static log_t li = {.tier = WARD_TIER_INTERP}, ln = {.tier = WARD_TIER_NATIVE};
    run(buf, len, &li);
    run(buf, len, &ln);
    if (strcmp(li.text, ln.text) == 0) {
        pass++;
    } else {
        failn++;
        printf("FAIL the tiers differ\n--- interpreter\n%s--- native\n%s", li.text, ln.text);
    }
    if (getenv("PGUARD_VERBOSE")) fputs(ln.text, stdout);
    printf("%d passed, %d failed\n", pass, failn);
    return failn != 0;
}
