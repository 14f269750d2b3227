/* fuzz_proto.c - libFuzzer entry point for the monitor's only parser of
 * outside input: the protocol decoder (faas/proto.c). Whatever the bytes,
 * it must return without reading outside them, and a message it accepts
 * must re-encode to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static proto_msg m;
    const char *why;
    if (!proto_decode(data, size, &m, &why)) return 0;
    proto_buf b = {0};
    proto_begin(&b, m.type, m.id);
    for (uint32_t i = 0; i < m.nfields; i++)
        proto_put(&b, m.fields[i].tag, m.fields[i].data, m.fields[i].len);
    if (!proto_end(&b) || b.len != size || memcmp(b.data, data, size)) abort();
    uint64_t v;
    char s[64];
    proto_u64(&m, PROTO_F_FUEL, &v);
    proto_str(&m, PROTO_F_NAME, s, sizeof s);
    proto_buf_free(&b);
    return 0;
}
