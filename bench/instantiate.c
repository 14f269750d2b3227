/* instantiate.c - in-process instantiation micro-benchmark (run by bench/run.sh).
 *
 * Through the public API only (include/ward.h, linked against libward.a), it
 * measures the microseconds it takes to
 *   - compile:      ward_module_new on a small module (decode, validate, compile),
 *   - instantiate:  a fresh store, ward_instance_new (memory, global, data
 *                   segment), looking up an export, one call, freeing the store,
 *   - call:         one more call of the export on a live instance.
 * Each figure is the median over BATCHES batches of the mean of ITERS runs.
 * Output: one "name_us: value" line per figure.
 */
#include "ward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCHES 21
#define ITERS 200

/* (module (memory (export "mem") 1) (global (mut i32) (i32.const 42))
 *   (func (export "add") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.add global.get 0 i32.add)
 *   (data (i32.const 16) "hello")) */
static const uint8_t small_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                             /* header */
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,                       /* type */
    0x03, 0x02, 0x01, 0x00,                                                     /* function */
    0x05, 0x03, 0x01, 0x00, 0x01,                                               /* memory */
    0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x2a, 0x0b,                             /* global */
    0x07, 0x0d, 0x02, 0x03, 'a',  'd',  'd',  0x00, 0x00,                       /* export */
    0x03, 'm',  'e',  'm',  0x02, 0x00,                                         /*   ... */
    0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x23,           /* code */
    0x00, 0x6a, 0x0b,                                                           /*   ... */
    0x0b, 0x0b, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x05, 'h',  'e',  'l',  'l', 'o', /* data */
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "instantiate: %s: %s\n", what, msg);
    exit(1);
}

/* Calls add(2, 3) on inst and checks the answer (2 + 3 + 42). */
static void call_add(ward_store *s, ward_instance *inst)
{
    ward_val args[2], res;
    ward_result r;
    ward_func *f = ward_instance_func(inst, "add");
    if (!f) die("export", "add not found");
    args[0].kind = args[1].kind = WARD_I32;
    args[0].of.i32 = 2;
    args[1].of.i32 = 3;
    if (ward_func_call(s, f, args, 2, &res, 1, &r) != WARD_OK) die("call", r.message);
    if (res.of.i32 != 47) die("call", "wrong result");
}

/* One instantiation in a fresh store, with one call. */
static void instantiate_once(ward_module *m)
{
    ward_result r;
    ward_store *s = ward_store_new(NULL);
    ward_instance *inst;
    if (!s) die("store", "out of memory");
    inst = ward_instance_new(s, m, NULL, &r);
    if (!inst) die("instantiate", r.message);
    call_add(s, inst);
    ward_store_free(s);
}

int main(void)
{
    double compile[BATCHES], inst[BATCHES], call[BATCHES], t;
    ward_error err;
    ward_module *m;
    ward_store *s;
    ward_instance *live;
    ward_result r;
    int b, i;

    for (b = 0; b < BATCHES; b++) {
        t = now_us();
        for (i = 0; i < ITERS; i++) {
            ward_module *x = ward_module_new(small_module, sizeof small_module, 0, &err);
            if (!x) die("compile", err.message);
            ward_module_free(x);
        }
        compile[b] = (now_us() - t) / ITERS;
    }

    m = ward_module_new(small_module, sizeof small_module, 0, &err);
    if (!m) die("compile", err.message);
    instantiate_once(m); /* warm-up */
    for (b = 0; b < BATCHES; b++) {
        t = now_us();
        for (i = 0; i < ITERS; i++)
            instantiate_once(m);
        inst[b] = (now_us() - t) / ITERS;
    }

    s = ward_store_new(NULL);
    if (!s) die("store", "out of memory");
    live = ward_instance_new(s, m, NULL, &r);
    if (!live) die("instantiate", r.message);
    for (b = 0; b < BATCHES; b++) {
        t = now_us();
        for (i = 0; i < ITERS; i++)
            call_add(s, live);
        call[b] = (now_us() - t) / ITERS;
    }
    ward_store_free(s);
    ward_module_free(m);

    printf("compile_us: %.2f\n", median(compile, BATCHES));
    printf("instantiate_us: %.2f\n", median(inst, BATCHES));
    printf("call_us: %.3f\n", median(call, BATCHES));
    return 0;
}
