/* blake3.c - BLAKE3's 32-byte hash (no key, no longer output), written from
 * the specification (O'Connor, Aumasson, Neves, Wilcox-O'Hearn, "BLAKE3: one
 * function, fast everywhere", 2020, sections 2.1 to 2.6): a compression
 * function of seven rounds over a 16-word state, the input cut into chunks
 * of 1024 bytes (blocks of 64, chained), the chunks' chaining values joined
 * in a binary tree whose left subtree always holds the largest power of two
 * chunks that leaves the right one non-empty. One call hashes a whole
 * buffer, recursively (depth 54 at most). AOT artifacts are hashed with it
 * (src/api/artifact.c), so that libward checks them without LLVM;
 * tests/unit/test_blake3.c compares it with b3sum's output.
 * Portable and not vectorised: about 500 MB/s here.
 */
#include "base/base.h"

#include <string.h>

enum { B3_CHUNK_START = 1, B3_CHUNK_END = 2, B3_PARENT = 4, B3_ROOT = 8 };

static const uint32_t b3_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* The message word at each position in each round: the specification's
 * permutation {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8}
 * applied once per round before it. */
static const uint8_t b3_sched[7][16] = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
                                        {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
                                        {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
                                        {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
                                        {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
                                        {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
                                        {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13}};

static inline uint32_t b3_rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static inline void b3_g(uint32_t s[16], int a, int b, int c, int d, uint32_t x, uint32_t y)
{
    s[a] += s[b] + x;
    s[d] = b3_rotr(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = b3_rotr(s[b] ^ s[c], 12);
    s[a] += s[b] + y;
    s[d] = b3_rotr(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = b3_rotr(s[b] ^ s[c], 7);
}

/* The compression function, its first eight output words into cv. */
static void b3_compress(uint32_t cv[8], const uint8_t block[64], uint64_t counter, uint32_t len,
                        uint32_t flags)
{
    uint32_t m[16], s[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
               (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
    memcpy(s, cv, 32);
    memcpy(s + 8, b3_iv, 16);
    s[12] = (uint32_t)counter, s[13] = (uint32_t)(counter >> 32), s[14] = len, s[15] = flags;
    for (int r = 0; r < 7; r++) {
        const uint8_t *x = b3_sched[r];
        b3_g(s, 0, 4, 8, 12, m[x[0]], m[x[1]]);
        b3_g(s, 1, 5, 9, 13, m[x[2]], m[x[3]]);
        b3_g(s, 2, 6, 10, 14, m[x[4]], m[x[5]]);
        b3_g(s, 3, 7, 11, 15, m[x[6]], m[x[7]]);
        b3_g(s, 0, 5, 10, 15, m[x[8]], m[x[9]]);
        b3_g(s, 1, 6, 11, 12, m[x[10]], m[x[11]]);
        b3_g(s, 2, 7, 8, 13, m[x[12]], m[x[13]]);
        b3_g(s, 3, 4, 9, 14, m[x[14]], m[x[15]]);
    }
    for (int i = 0; i < 8; i++)
        cv[i] = s[i] ^ s[i + 8];
}

/* The chaining value of the subtree over p[0..n) whose first chunk has
 * number `chunk`; `root` adds the ROOT flag to its last compression. */
static void b3_node(const uint8_t *p, size_t n, uint64_t chunk, uint32_t root, uint32_t cv[8])
{
    if (n <= 1024) {
        uint8_t block[64];
        size_t nblocks = n ? (n + 63) / 64 : 1;
        memcpy(cv, b3_iv, 32);
        for (size_t i = 0; i < nblocks; i++) {
            size_t len = i + 1 < nblocks ? 64 : n - 64 * i;
            uint32_t flags =
                (i == 0 ? B3_CHUNK_START : 0) | (i + 1 == nblocks ? B3_CHUNK_END | root : 0);
            memset(block, 0, sizeof block);
            if (len) memcpy(block, p + 64 * i, len);
            b3_compress(cv, block, chunk, (uint32_t)len, flags);
        }
        return;
    }
    size_t left = 1024; /* the largest power of two chunks below n */
    while (2 * left < n)
        left *= 2;
    uint32_t l[8], r[8];
    uint8_t block[64];
    b3_node(p, left, chunk, 0, l);
    b3_node(p + left, n - left, chunk + left / 1024, 0, r);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) {
            block[4 * i + j] = (uint8_t)(l[i] >> (8 * j));
            block[32 + 4 * i + j] = (uint8_t)(r[i] >> (8 * j));
        }
    memcpy(cv, b3_iv, 32);
    b3_compress(cv, block, 0, 64, B3_PARENT | root);
}

void w_blake3(const void *p, size_t n, uint8_t out[32])
{
    uint32_t cv[8];
    b3_node(p, n, 0, B3_ROOT, cv);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(cv[i] >> (8 * j));
}
