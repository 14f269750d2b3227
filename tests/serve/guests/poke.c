/* poke.c - a ward:io function that writes into its input pages when asked
 * ("poke"): the store must trap (they are mapped read-only). Otherwise it
 * copies its input to its output. */
#include <string.h>

#include "ward_guest_io.h"

int main(void)
{
    int32_t len, cap;
    const uint8_t *in = ward_io_input(0, &len);
    uint8_t *out = ward_io_output(&cap);
    if (in && len == 4 && !memcmp(in, "poke", 4)) ((volatile uint8_t *)in)[0] = 'X';
    if (!in) len = 0;
    if (len > cap) return 1;
    memcpy(out, in, (size_t)len);
    return ward_io_output_commit(len);
}
