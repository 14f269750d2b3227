/* fuzz_module.c - libFuzzer entry point: see fuzz_one.h. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one(data, size);
}
