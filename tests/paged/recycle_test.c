/* recycle_test.c - recycled memories and shared templates through the
 * public API (paged.c "Recycling"; ward_instance_seal, clones in other
 * stores).
 *
 *   recycle_test DIR      (DIR holds recycle.wasm built by run.sh)
 *
 * 1. a memory made from recycled tables, arenas and pool frames never
 *    shows the previous one's data: instances, clones (their grown and
 *    copied pages) and regions, each filled with a pattern, freed, made
 *    again and scanned, many times over;
 * 2. a clone of a clone sees its parent's writes, its own stay its own,
 *    and it outlives its parent;
 * 3. a region made of a clone's pages keeps them after the clone is
 *    freed, while new clones reuse what can be reused and see zeros;
 * 4. a sealed template: its functions can no longer be called, its clones
 *    can be made in other stores, where its host function runs in the
 *    clone's store (ward_caller_store, ward_store_data); a clone sharing a
 *    Wasm import is refused in another store;
 * 5. threads: several threads clone one sealed template into their own
 *    stores at once, write, read back, map one shared region read-only;
 *    nothing of one clone is seen by another or by the template.
 * The last line is "N passed, M failed".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward.h"

#include "../check.h"
#include "../tier.h"

#define PAGE 65536u

static uint8_t wasm[1 << 16];
static size_t wasm_len;

static int note(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    (void)data;
    /* The store the call runs in and the number the embedder put there. */
    int *base = ward_store_data(ward_caller_store(c));
    results[0].of.i32 = (base ? *base : -1000) + args[0].of.i32;
    return 0;
}

/* A store for paged memories, with `data` as its embedder data. */
static ward_store *store_new(void *data)
{
    ward_store_config c;
    memset(&c, 0, sizeof c);
    c.memory_mode = WARD_MEMORY_PAGED;
    ward_store *s = tier_store_new(&c);
    if (s) ward_store_set_data(s, data);
    return s;
}

static ward_instance *instantiate(ward_store *s, ward_module *m)
{
    ward_valkind i32 = WARD_I32;
    ward_func *f = ward_func_new(s, &i32, 1, &i32, 1, note, NULL, NULL);
    ward_linker *l = ward_linker_new();
    ward_result res;
    ward_instance *in = NULL;
    if (f && l &&
        ward_linker_define(l, "host", "note",
                           (ward_extern){.kind = WARD_EXTERN_FUNC, .of.func = f}))
        in = ward_instance_new(s, m, l, &res);
    ward_linker_free(l);
    return in;
}

/* Calls export name with up to three i32 arguments; its i32 result, or
 * INT32_MIN if the call did not return normally. */
static int32_t call(ward_store *s, ward_instance *in, const char *name, int n, int32_t a, int32_t b,
                    int32_t c)
{
    ward_func *f = ward_instance_func(in, name);
    if (!f) return INT32_MIN;
    ward_val args[3] = {{.kind = WARD_I32, .of.i32 = a},
                        {.kind = WARD_I32, .of.i32 = b},
                        {.kind = WARD_I32, .of.i32 = c}};
    ward_val r[1];
    ward_result res;
    size_t nr = ward_func_result_count(f);
    if (ward_func_call(s, f, args, (size_t)n, r, nr, &res) != WARD_OK) return INT32_MIN;
    return nr ? r[0].of.i32 : 0;
}

/* 1 + the first non-zero address of pages [from, to) of in's memory, or 0. */
static int32_t scan(ward_store *s, ward_instance *in, uint32_t from, uint32_t to)
{
    return call(s, in, "scan", 2, (int32_t)(from * PAGE), (int32_t)((to - from) * PAGE), 0);
}

/* ---- 1. recycled memories are zero ------------------------------------------------------ */

static void test_recycled_zero(ward_module *m)
{
    ward_store *s = store_new(NULL);
    CHECK(s != NULL);
    if (!s) return;
    /* Instances: their memories take recycled tables and arenas. */
    int dirty = 0;
    for (int round = 0; round < 40; round++) {
        ward_instance *in = instantiate(s, m);
        if (!in) {
            dirty++;
            continue;
        }
        if (call(s, in, "grow", 1, 7, 0, 0) != 1 || scan(s, in, 0, 8) != 0) dirty++;
        call(s, in, "fill", 3, 0, (int32_t)(8 * PAGE), 0x5a);
        ward_instance_free(s, in);
    }
    CHECK(dirty == 0);

    /* Clones: a template with data, clones grown and written all over. */
    ward_instance *t = instantiate(s, m);
    CHECK(t != NULL);
    if (!t) goto out;
    call(s, t, "init", 0, 0, 0, 0);
    dirty = 0;
    int wrong = 0;
    for (int round = 0; round < 200; round++) {
        ward_result res;
        ward_instance *c = ward_instance_clone(s, t, &res);
        if (!c) {
            dirty++;
            continue;
        }
        /* The template's bytes (its page, copy-on-write), then zeros. */
        if (call(s, c, "load", 1, 100, 0, 0) != 0x7e57) wrong++;
        if (call(s, c, "scan", 2, 104, (int32_t)(PAGE - 104), 0) != 0) dirty++;
        int32_t old = call(s, c, "grow", 1, 1 + round % 5, 0, 0);
        if (old != 1 || scan(s, c, 1, 2 + (uint32_t)(round % 5)) != 0) dirty++;
        /* Every page written: the copied one and the grown ones. */
        call(s, c, "fill", 3, 0, (int32_t)((2 + (uint32_t)(round % 5)) * PAGE), 0xa5);
        ward_instance_free(s, c);
    }
    CHECK(dirty == 0);
    CHECK(wrong == 0);
    CHECK(call(s, t, "load", 1, 100, 0, 0) == 0x7e57);
    CHECK(scan(s, t, 0, 1) == 101); /* only the marker: 0x7e57 at 100..101 */
    ward_instance_free(s, t);

    /* Regions: pool frames come back zeroed. */
    ward_memory *mem = ward_memory_new(s, 4, 64, true, false);
    CHECK(mem != NULL);
    dirty = 0;
    for (int round = 0; mem && round < 100; round++) {
        ward_region *r = ward_region_new(3);
        uint8_t buf[256];
        bool zero = r && ward_region_map(r, mem, 1, WARD_PERM_READ_WRITE);
        for (uint32_t p = 0; zero && p < 3; p++)
            for (uint32_t off = 0; zero && off < PAGE; off += sizeof buf) {
                zero = ward_memory_read(mem, (1 + p) * PAGE + off, buf, sizeof buf);
                for (size_t k = 0; zero && k < sizeof buf; k++)
                    zero = buf[k] == 0;
            }
        if (!zero) dirty++;
        memset(buf, 0xc3, sizeof buf);
        for (uint32_t off = 0; r && off < 3 * PAGE; off += sizeof buf)
            ward_memory_write(mem, PAGE + off, buf, sizeof buf);
        if (r) ward_region_unmap(r, mem);
        ward_region_free(r);
    }
    CHECK(dirty == 0);
out:
    ward_store_free(s);
}

/* ---- 2. a clone of a clone ---------------------------------------------------------------- */

static void test_clone_of_clone(ward_module *m)
{
    ward_store *s = store_new(NULL);
    ward_instance *t = s ? instantiate(s, m) : NULL;
    CHECK(t != NULL);
    if (!t) goto out;
    call(s, t, "init", 0, 0, 0, 0);
    ward_result res;
    ward_instance *c1 = ward_instance_clone(s, t, &res);
    CHECK(c1 != NULL);
    if (!c1) goto out;
    call(s, c1, "store", 2, 200, 1111, 0);
    CHECK(call(s, c1, "grow", 1, 1, 0, 0) == 1);
    call(s, c1, "store", 2, (int32_t)PAGE + 8, 2222, 0);
    CHECK(call(s, c1, "bump", 0, 0, 0, 0) == 42);
    ward_instance *c2 = ward_instance_clone(s, c1, &res);
    CHECK(c2 != NULL);
    if (!c2) goto out;
    /* c2 starts as c1 is now: data, size, globals. */
    CHECK(call(s, c2, "load", 1, 100, 0, 0) == 0x7e57);
    CHECK(call(s, c2, "load", 1, 200, 0, 0) == 1111);
    CHECK(call(s, c2, "load", 1, (int32_t)PAGE + 8, 0, 0) == 2222);
    CHECK(call(s, c2, "pages", 0, 0, 0, 0) == 2);
    CHECK(call(s, c2, "global", 0, 0, 0, 0) == 42);
    /* Writes on either side stay there. */
    call(s, c2, "store", 2, 200, 3333, 0);
    call(s, c1, "store", 2, (int32_t)PAGE + 8, 4444, 0);
    CHECK(call(s, c1, "load", 1, 200, 0, 0) == 1111);
    CHECK(call(s, c2, "load", 1, (int32_t)PAGE + 8, 0, 0) == 2222);
    CHECK(call(s, t, "load", 1, 200, 0, 0) == 0);
    /* c2 outlives its parent. */
    ward_instance_free(s, c1);
    CHECK(call(s, c2, "load", 1, 200, 0, 0) == 3333);
    CHECK(call(s, c2, "load", 1, (int32_t)PAGE + 8, 0, 0) == 2222);
    CHECK(call(s, c2, "load", 1, 100, 0, 0) == 0x7e57);
    ward_instance_free(s, c2);
    /* What they used is recycled: new clones see the template only. */
    for (int i = 0; i < 4; i++) {
        ward_instance *c = ward_instance_clone(s, t, &res);
        CHECK(c && call(s, c, "load", 1, 200, 0, 0) == 0 && call(s, c, "grow", 1, 2, 0, 0) == 1 &&
              scan(s, c, 1, 3) == 0);
        if (c) ward_instance_free(s, c);
    }
out:
    ward_store_free(s);
}

/* ---- 3. a region outlives its clone --------------------------------------------------------- */

static void test_region_after_clone(ward_module *m)
{
    ward_store *s = store_new(NULL);
    ward_instance *t = s ? instantiate(s, m) : NULL;
    CHECK(t != NULL);
    if (!t) goto out;
    ward_result res;
    ward_instance *c = ward_instance_clone(s, t, &res);
    CHECK(c != NULL);
    if (!c) goto out;
    CHECK(call(s, c, "grow", 1, 2, 0, 0) == 1);
    call(s, c, "fill", 3, (int32_t)PAGE, (int32_t)(2 * PAGE), 0x77);
    ward_region *r = ward_region_from_pages(ward_instance_memory(c, "memory"), 1, 2);
    CHECK(r != NULL);
    ward_instance_free(s, c);
    if (!r) goto out;
    /* New clones (in the same shape) get zero pages, and the region keeps
     * its data while they write all over theirs. */
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        ward_instance *d = ward_instance_clone(s, t, &res);
        if (!d) continue;
        ward_memory *dm = ward_instance_memory(d, "memory");
        bool good = call(s, d, "grow", 1, 4, 0, 0) == 1 && scan(s, d, 1, 5) == 0;
        call(s, d, "fill", 3, (int32_t)PAGE, (int32_t)(2 * PAGE), 0x11);
        good = good && ward_region_map(r, dm, 3, WARD_PERM_READ);
        good = good && call(s, d, "load", 1, (int32_t)(3 * PAGE), 0, 0) == 0x77777777;
        good = good && call(s, d, "load", 1, (int32_t)(5 * PAGE - 4), 0, 0) == 0x77777777;
        /* Read-only: a store there traps, the bytes stay. */
        good = good && call(s, d, "store", 2, (int32_t)(3 * PAGE), 5, 0) == INT32_MIN;
        ward_instance_free(s, d);
        ok += good;
    }
    CHECK(ok == 20);
    ward_region_free(r);
    /* The region's frames are back: nothing of them shows anywhere. */
    for (int i = 0; i < 4; i++) {
        ward_instance *d = ward_instance_clone(s, t, &res);
        CHECK(d && call(s, d, "grow", 1, 6, 0, 0) == 1 && scan(s, d, 0, 7) == 0);
        if (d) ward_instance_free(s, d);
    }
out:
    ward_store_free(s);
}

/* ---- 4. sealed templates and clones in other stores ------------------------------------------ */

static void test_sealed(ward_module *m)
{
    int tbase = 1000, cbase = 5000;
    ward_store *ts = store_new(&tbase), *cs = store_new(&cbase);
    ward_instance *t = ts ? instantiate(ts, m) : NULL;
    CHECK(t != NULL && cs != NULL);
    if (!t || !cs) goto out;
    call(ts, t, "init", 0, 0, 0, 0);
    CHECK(call(ts, t, "note", 1, 1, 0, 0) == 1001);
    CHECK(!ward_instance_seal(cs, t)); /* not cs's instance */
    CHECK(ward_instance_seal(ts, t));
    ward_result res;
    ward_func *f = ward_instance_func(t, "load");
    ward_val a = {.kind = WARD_I32, .of.i32 = 100}, r;
    CHECK(ward_func_call(ts, f, &a, 1, &r, 1, &res) == WARD_ERROR);
    ward_instance *c = ward_instance_clone(cs, t, &res);
    CHECK(c != NULL);
    if (c) {
        CHECK(call(cs, c, "load", 1, 100, 0, 0) == 0x7e57);
        CHECK(call(cs, c, "global", 0, 0, 0, 0) == 41);
        /* The shared host function runs in the clone's store. */
        CHECK(call(cs, c, "note", 1, 2, 0, 0) == 5002);
        call(cs, c, "store", 2, 100, 9, 0);
        CHECK(call(cs, c, "load", 1, 100, 0, 0) == 9);
        ward_instance_free(cs, c);
    }
    /* A clone cannot share a Wasm function in another store. */
    ward_store *ws = store_new(NULL);
    ward_instance *t2 = ws ? instantiate(ws, m) : NULL;
    ward_linker *l = ward_linker_new();
    ward_instance *user = NULL;
    if (t2 && l) {
        ward_linker_define(
            l, "host", "note",
            (ward_extern){.kind = WARD_EXTERN_FUNC, .of.func = ward_instance_func(t2, "note")});
        user = ward_instance_new(ws, m, l, &res); /* imports t2's Wasm function */
    }
    CHECK(user != NULL);
    if (user) {
        CHECK(ward_instance_clone(cs, user, &res) == NULL && res.status == WARD_ERROR);
        ward_instance *same = ward_instance_clone(ws, user, &res);
        CHECK(same != NULL);
        if (same) ward_instance_free(ws, same);
    }
    ward_linker_free(l);
    ward_store_free(ws);
out:
    ward_store_free(cs);
    ward_store_free(ts);
}

/* ---- 5. threads ------------------------------------------------------------------------------ */

typedef struct worker_arg {
    ward_instance *tmpl;
    ward_region *shared;
    int id;
    int bad;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    ward_store *s = store_new(&a->id);
    if (!s) {
        a->bad++;
        return NULL;
    }
    for (int i = 0; i < 300; i++) {
        ward_result res;
        ward_instance *c = ward_instance_clone(s, a->tmpl, &res);
        if (!c) {
            a->bad++;
            continue;
        }
        int32_t v = a->id * 100000 + i;
        bool ok = call(s, c, "load", 1, 100, 0, 0) == 0x7e57 &&
                  call(s, c, "load", 1, 200, 0, 0) == 0 && call(s, c, "grow", 1, 2, 0, 0) == 1 &&
                  scan(s, c, 1, 3) == 0;
        call(s, c, "store", 2, 200, v, 0);
        call(s, c, "fill", 3, (int32_t)PAGE, (int32_t)(2 * PAGE), (int32_t)(a->id + 1));
        ward_memory *mem = ward_instance_memory(c, "memory");
        ok = ok && ward_region_map(a->shared, mem, 1, WARD_PERM_READ);
        ok = ok && call(s, c, "load", 1, (int32_t)PAGE, 0, 0) == 0x0f0f0f0f;
        ok = ok && call(s, c, "load", 1, 200, 0, 0) == v;
        ok = ok && call(s, c, "note", 1, 1, 0, 0) == a->id + 1;
        ward_instance_free(s, c);
        a->bad += !ok;
    }
    ward_store_free(s);
    return NULL;
}

static void test_threads(ward_module *m)
{
    ward_store *ts = store_new(NULL);
    ward_instance *t = ts ? instantiate(ts, m) : NULL;
    ward_memory *mem = ts ? ward_memory_new(ts, 1, 4, true, false) : NULL;
    ward_region *r = ward_region_new(1);
    CHECK(t && mem && r);
    if (!t || !mem || !r) goto out;
    call(ts, t, "init", 0, 0, 0, 0);
    uint8_t fill[PAGE];
    memset(fill, 0x0f, sizeof fill);
    CHECK(ward_region_map(r, mem, 0, WARD_PERM_READ_WRITE) &&
          ward_memory_write(mem, 0, fill, sizeof fill));
    ward_region_unmap(r, mem);
    CHECK(ward_instance_seal(ts, t));
    enum { N = 4 };
    pthread_t th[N];
    bool started[N];
    worker_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (worker_arg){t, r, i, 0};
        started[i] = pthread_create(&th[i], NULL, worker, &args[i]) == 0;
    }
    int bad = 0;
    for (int i = 0; i < N; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            bad++;
        bad += args[i].bad;
    }
    CHECK(bad == 0);
    /* The template is as it was. */
    ward_memory *tm = ward_instance_memory(t, "memory");
    uint32_t v = 0;
    CHECK(ward_memory_read(tm, 100, &v, 4) && v == 0x7e57);
    CHECK(ward_memory_read(tm, 200, &v, 4) && v == 0);
out:
    ward_region_free(r);
    ward_store_free(ts);
}

int main(int argc, char **argv)
{
    alarm(300);
    const char *dir = argc > 1 ? argv[1] : "build/paged";
    char path[1024];
    snprintf(path, sizeof path, "%s/recycle.wasm", dir);
    FILE *f = fopen(path, "rb");
    if (f) {
        wasm_len = fread(wasm, 1, sizeof wasm, f);
        fclose(f);
    }
    ward_error err;
    ward_module *m = wasm_len ? ward_module_new(wasm, wasm_len, WARD_FEATURE_ALL, &err) : NULL;
    CHECK(m != NULL);
    if (m) {
        test_recycled_zero(m);
        test_clone_of_clone(m);
        test_region_after_clone(m);
        test_sealed(m);
        test_threads(m);
    }
    ward_module_free(m);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
