/* fuzz_attest.c - libFuzzer entry point for the decoders of attestation
 * and sealed data (faas/attest.c): evidence (the client's), sealed
 * requests (the monitor's: every invocation and confidential deploy runs
 * through it), sealed replies and configfs-tsm reports. The first byte
 * picks the decoder. Whatever the bytes, each must return without reading
 * outside them; a request it accepts must be walkable chunk by chunk. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) ready = sodium_init() >= 0 ? 1 : -1;
    if (ready < 0 || size < 1) return 0;
    const uint8_t *b = data + 1;
    size_t n = size - 1;
    const char *why;
    switch (data[0] % 4) {
    case 0: {
        att_evidence e;
        if (att_evidence_decode(b, n, &e, &why) && e.tsm_len) {
            att_tsm_report r;
            att_tsm_parse(e.tsm, e.tsm_len, &r, &why);
        }
        break;
    }
    case 1: {
        att_req r;
        if (att_req_parse(b, n, &r, &why)) {
            /* open it with a zero session: it must fail cleanly, never overrun */
            att_session s;
            memset(&s, 0, sizeof s);
            uint8_t *plain = malloc(r.plain_len + 1);
            if (plain && att_req_open(&r, &s, plain)) {
                /* only a forger knowing the zero key gets here: fine */
            }
            free(plain);
        }
        break;
    }
    case 2: {
        att_rsp r;
        if (att_rsp_parse(b, n, &r, &why) && r.chunks_len > n) abort();
        break;
    }
    default: {
        att_tsm_report r;
        att_tsm_parse(b, n, &r, &why);
        break;
    }
    }
    return 0;
}
