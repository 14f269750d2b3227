/* clone_test.c - copy-on-write clones in the native tier (tests/native/run.sh):
 * a template fills its paged memory, clones update it in place in a loop
 * (the first store to each page copies it, in the middle of the loop),
 * and every instance must then read exactly its own words, in every paged
 * mode, in the native tier and in the interpreter alike.
 * Usage: clone_test clone.wasm. Last line: "N passed, M failed". */
#include "c_test.h"

#include <stdio.h>
#include <stdlib.h>

static int pass, failn;

static void check(bool ok, const char *what, ward_tier tier, int mode)
{
    if (ok) {
        pass++;
        return;
    }
    failn++;
    printf("FAIL %s (tier %d, memory mode %d)\n", what, (int)tier, mode);
}

static int32_t call1(ward_store *s, ward_instance *in, const char *name, int32_t arg, bool has_arg,
                     bool *ok)
{
    ward_val a = {.kind = WARD_I32, .of.i32 = arg}, r = {0};
    ward_result res;
    ward_func *f = ward_instance_func(in, name);
    *ok = f &&
          ward_func_call(s, f, &a, has_arg ? 1 : 0, &r, ward_func_result_count(f), &res) == WARD_OK;
    return r.of.i32;
}

/* The sum bump(k) returns on words that hold base + a / 4. */
static int32_t expected_sum(int32_t k)
{
    uint32_t s = 0;
    for (uint32_t a = 0; a < 262140; a += 4092)
        s += a / 4 + (uint32_t)k;
    return (int32_t)s;
}

static void run(const uint8_t *bytes, size_t len, ward_tier tier, ward_memory_mode mode)
{
    ward_store_config cfg = {.memory_mode = mode, .tier = tier};
    ward_store *s = ward_store_new(&cfg);
    ward_error err;
    ward_result res;
    bool ok;
    ward_module *m = s ? ward_module_new_in(s, bytes, len, 0, &err) : NULL;
    ward_instance *t = m ? ward_instance_new(s, m, NULL, &res) : NULL;
    check(t != NULL, "instantiate", tier, mode);
    if (!t) goto out;
    call1(s, t, "fill", 0, false, &ok);
    check(ok, "fill", tier, mode);
    ward_instance *c1 = ward_instance_clone(s, t, &res), *c2 = ward_instance_clone(s, t, &res);
    check(c1 && c2, "clone", tier, mode);
    if (!c1 || !c2) goto out;
    int32_t r1 = call1(s, c1, "bump", 1000, true, &ok);
    check(ok && r1 == expected_sum(1000), "clone 1 reads its own stores", tier, mode);
    r1 = call1(s, c1, "bump", 1, true, &ok);
    check(ok && r1 == expected_sum(1001), "clone 1 again", tier, mode);
    int32_t r2 = call1(s, c2, "bump", 7, true, &ok);
    check(ok && r2 == expected_sum(7), "clone 2 sees the template's words", tier, mode);
    int32_t w = call1(s, t, "ld", 4092 * 20, true, &ok);
    check(ok && w == 4092 * 20 / 4, "the template keeps its words", tier, mode);
    int32_t rt = call1(s, t, "bump", 5, true, &ok);
    check(ok && rt == expected_sum(5), "the template's own stores", tier, mode);
    w = call1(s, c1, "ld", 4092 * 20, true, &ok);
    check(ok && w == 4092 * 20 / 4 + 1001, "clone 1 does not see them", tier, mode);
    ward_instance_free(s, c1);
    ward_instance_free(s, c2);
out:
    if (t) ward_instance_free(s, t);
    if (m) ward_module_free(m);
    if (s) ward_store_free(s);
}

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    size_t len = ct_module(argc, argv, buf, sizeof buf);
    if (!len) return 2;
    ward_memory_mode modes[] = {WARD_MEMORY_PAGED, WARD_MEMORY_PAGED_TABLES};
    for (int k = 0; k < 2; k++) {
        run(buf, len, WARD_TIER_INTERP, modes[k]);
        run(buf, len, WARD_TIER_NATIVE, modes[k]);
    }
    printf("%d passed, %d failed\n", pass, failn);
    return failn != 0;
}
