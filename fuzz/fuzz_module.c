/* fuzz_module.c - libFuzzer entry point: see fuzz_one.h. A run that breaks
 * the budget oracle aborts, so that libFuzzer keeps the input as a crash. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    if (fuzz_finding[0]) {
        fprintf(stderr, "budget oracle: %s\n", fuzz_finding);
        abort();
    }
    return 0;
}
