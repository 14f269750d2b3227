/* embed.c - embedding ward: load a module from bytes, call an export with
 * typed values, and read and write its memory through the checked helpers.
 *
 * The module (source in the comment below) is built into this program as
 * bytes, so the example needs no files:
 *   (memory (export "memory") 1)
 *   (data (i32.const 16) "hello from wasm")
 *   (func (export "mix") (param i32 i64 f64) (result f64) ...)  ;; a + b + c
 *   (func (export "upcase") (param i32 i32) ...)  ;; upper-cases n bytes at p
 *
 * Build, in the tree:  cc -Iinclude examples/embed.c build/libward.a -lm -lpthread
 *   or, installed:     cc examples/embed.c $(pkg-config --cflags --libs ward)
 */
#include <stdio.h>
#include <string.h>

#include "ward.h"

static const uint8_t module_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x02, 0x60, 0x03, 0x7f, 0x7e,
    0x7c, 0x01, 0x7c, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x03,
    0x01, 0x00, 0x01, 0x07, 0x19, 0x03, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
    0x03, 0x6d, 0x69, 0x78, 0x00, 0x00, 0x06, 0x75, 0x70, 0x63, 0x61, 0x73, 0x65, 0x00, 0x01,
    0x0a, 0x4f, 0x02, 0x0c, 0x00, 0x20, 0x00, 0xb7, 0x20, 0x01, 0xb9, 0x20, 0x02, 0xa0, 0xa0,
    0x0b, 0x40, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x01, 0x45, 0x0d, 0x01, 0x20,
    0x00, 0x2d, 0x00, 0x00, 0x21, 0x02, 0x20, 0x02, 0x41, 0xe1, 0x00, 0x4f, 0x20, 0x02, 0x41,
    0xfa, 0x00, 0x4d, 0x71, 0x04, 0x40, 0x20, 0x00, 0x20, 0x02, 0x41, 0x20, 0x6b, 0x3a, 0x00,
    0x00, 0x0b, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x20, 0x01, 0x41, 0x01, 0x6b, 0x21,
    0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x0b, 0x0b, 0x15, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x0f, 0x68,
    0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x77, 0x61, 0x73, 0x6d,
};

int main(void)
{
    ward_error err;
    ward_result res;
    int rc = 1;
    ward_store *store = NULL;

    /* The module copies the bytes; it is reference counted, and instances
     * keep it alive, so we may drop our reference once instantiated. */
    ward_module *mod = ward_module_new(module_bytes, sizeof module_bytes, 0, &err);
    if (!mod) {
        fprintf(stderr, "load failed: %s\n", err.message);
        return 1;
    }
    store = ward_store_new(NULL);
    if (!store) goto done;
    ward_instance *inst = ward_instance_new(store, mod, NULL, &res); /* no imports */
    if (!inst) {
        fprintf(stderr, "instantiate failed: %s\n", res.message);
        goto done;
    }

    /* Call mix(2, 40, 0.5) with typed values. */
    ward_func *mix = ward_instance_func(inst, "mix");
    ward_val args[3] = {{.kind = WARD_I32, .of.i32 = 2},
                        {.kind = WARD_I64, .of.i64 = 40},
                        {.kind = WARD_F64, .of.f64 = 0.5}};
    ward_val out[1] = {{.kind = WARD_F64}};
    if (!mix || ward_func_call(store, mix, args, 3, out, 1, &res) != WARD_OK) {
        fprintf(stderr, "mix failed: %s\n", res.message);
        goto done;
    }
    printf("mix(2, 40, 0.5) = %g\n", out[0].of.f64);

    /* Memory: never base + address; ward_memory_read/write check bounds
     * (and page permissions in paged mode) for every byte. */
    ward_memory *mem = ward_instance_memory(inst, "memory");
    char text[16] = {0};
    if (!mem || !ward_memory_read(mem, 16, text, 15)) goto done;
    printf("memory[16..31] = \"%s\"\n", text);
    ward_val up[2] = {{.kind = WARD_I32, .of.i32 = 16}, {.kind = WARD_I32, .of.i32 = 5}};
    if (ward_func_call(store, ward_instance_func(inst, "upcase"), up, 2, NULL, 0, &res) != WARD_OK)
        goto done;
    ward_memory_read(mem, 16, text, 15);
    printf("after upcase(16, 5) = \"%s\"\n", text);
    /* An access past the end is refused, not a crash. */
    printf("read past the end: %s\n",
           ward_memory_read(mem, ward_memory_size(mem) - 4, text, 8) ? "allowed?!" : "refused");
    rc = 0;
done:
    ward_store_free(store); /* frees the instance and its memory */
    ward_module_free(mod);
    return rc;
}
