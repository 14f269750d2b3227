/* host_func.c - providing a host function with user data.
 *
 * The guest imports env.tick(i32) -> i32 and calls it n times from its
 * export run(n). tick is a C function that counts its calls in a struct the
 * embedder passes as user data, and traps (cleanly, as a guest trap) if the
 * guest calls it more often than the embedder allows.
 *   (import "env" "tick" (func $tick (param i32) (result i32)))
 *   (func (export "run") (param $n i32) (result i32) ...) ;; sum of tick(n..1)
 *
 * Build, in the tree:  cc -Iinclude examples/host_func.c build/libward.a -lm -lpthread
 *   or, installed:     cc examples/host_func.c $(pkg-config --cflags --libs ward)
 */
#include <stdio.h>
#include <stdlib.h>

#include "ward.h"

static const uint8_t module_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x74, 0x69, 0x63, 0x6b,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00,
    0x01, 0x0a, 0x25, 0x01, 0x23, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
    0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x10, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00,
    0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b,
};

typedef struct counter {
    int calls;
    int limit;
} counter;

/* Host functions get the store's caller, their user data, and typed values. */
static int tick(ward_caller *c, void *data, const ward_val *args, ward_val *results)
{
    counter *ctr = data;
    if (++ctr->calls > ctr->limit) return ward_caller_trap(c, "tick called too often");
    results[0].of.i32 = args[0].of.i32 * 10;
    return 0;
}

static int run(ward_store *s, ward_instance *inst, int n)
{
    ward_val arg = {.kind = WARD_I32, .of.i32 = n}, out = {.kind = WARD_I32};
    ward_result res;
    if (ward_func_call(s, ward_instance_func(inst, "run"), &arg, 1, &out, 1, &res) == WARD_OK)
        printf("run(%d) = %d\n", n, out.of.i32);
    else
        printf("run(%d) trapped: %s\n", n, res.message);
    return res.status;
}

int main(void)
{
    ward_error err;
    ward_result res;
    int rc = 1;
    ward_module *mod = ward_module_new(module_bytes, sizeof module_bytes, 0, &err);
    ward_store *store = ward_store_new(NULL);
    ward_linker *linker = ward_linker_new();
    counter *ctr = calloc(1, sizeof *ctr);
    if (!mod || !store || !linker || !ctr) {
        free(ctr);
        goto done;
    }
    ctr->limit = 10;
    /* The store owns ctr from here: data_free runs when the store is freed. */
    static const ward_valkind p[1] = {WARD_I32}, r[1] = {WARD_I32};
    ward_func *f = ward_func_new(store, p, 1, r, 1, tick, ctr, free);
    ward_extern ext = {.kind = WARD_EXTERN_FUNC, .of.func = f};
    if (!f || !ward_linker_define(linker, "env", "tick", ext)) goto done;
    ward_instance *inst = ward_instance_new(store, mod, linker, &res);
    if (!inst) {
        fprintf(stderr, "instantiate failed: %s\n", res.message);
        goto done;
    }
    run(store, inst, 4); /* 40 + 30 + 20 + 10 = 100 */
    printf("tick was called %d times\n", ctr->calls);
    run(store, inst, 100); /* goes over the limit: a trap, not a crash */
    rc = 0;
done:
    ward_linker_free(linker);
    ward_store_free(store);
    ward_module_free(mod);
    return rc;
}
