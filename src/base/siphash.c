/* siphash.c - SipHash-2-4, written from the paper's description
 * (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012,
 * sections 2 and 3): four 64-bit words of state initialised from the key
 * and four constants, two SipRounds per 8-byte message word, the last word
 * carrying the message length in its top byte, then 0xff into v2 and four
 * SipRounds of finalisation. Tested against the paper's vector (appendix A)
 * and the reference implementation's in tests/unit/test_cage.c.
 */
#include "base/base.h"

static inline uint64_t sip_rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* One SipRound on the state v[0..3]. */
static inline void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = sip_rotl(v[1], 13);
    v[1] ^= v[0];
    v[0] = sip_rotl(v[0], 32);
    v[2] += v[3];
    v[3] = sip_rotl(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = sip_rotl(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = sip_rotl(v[1], 17);
    v[1] ^= v[2];
    v[2] = sip_rotl(v[2], 32);
}

/* Absorbs one message word with c = 2 SipRounds. */
static inline void sip_word(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    sip_round(v);
    sip_round(v);
    v[0] ^= m;
}

uint64_t w_siphash24(uint64_t k0, uint64_t k1, const void *msg, size_t len)
{
    const uint8_t *p = msg;
    /* "somepseudorandomlygeneratedbytes", the paper's initialisation constants. */
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                     k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    size_t left = len;
    /* Compression: every full 8-byte word, little-endian. */
    for (; left >= 8; left -= 8, p += 8)
        sip_word(v, w_rd64(p));
    /* The last word: the remaining 0-7 bytes, and len mod 256 on top. */
    uint64_t m = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < left; i++)
        m |= (uint64_t)p[i] << (8 * i);
    sip_word(v, m);
    /* Finalisation: d = 4 SipRounds. */
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}
