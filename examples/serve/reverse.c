/* reverse.c - a ward:io function: reads its input in place (the pages the
 * node mapped read-only into its memory) and writes the bytes in reverse
 * order straight into its output pages; no copy through stdin or stdout.
 * Several input parts (after a fan-out) are taken as one sequence. */
#include "ward_guest_io.h"

int main(void)
{
    int32_t cap, total = 0;
    uint8_t *out = ward_io_output(&cap);
    for (int32_t i = 0; i < ward_io_input_count(); i++)
        total += ward_io_input_len(i);
    if (total > cap) return 1;
    int32_t pos = total;
    for (int32_t i = 0; i < ward_io_input_count(); i++) {
        int32_t len;
        const uint8_t *in = ward_io_input(i, &len);
        for (int32_t k = 0; k < len; k++)
            out[--pos] = in[k];
    }
    return ward_io_output_commit(total) ? 1 : 0;
}
