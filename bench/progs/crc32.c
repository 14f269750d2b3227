/* crc32.c - CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the
 * byte-at-a-time table method and slicing-by-4, over a 1 MiB buffer. */
#include "bench.h"

#define BUF (1u << 20)
#define PASSES 24

static uint32_t T[4][256];

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        T[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            T[t][i] = (T[t - 1][i] >> 8) ^ T[0][T[t - 1][i] & 0xff];
}

static uint32_t crc_bytewise(uint32_t crc, const uint8_t *p, uint32_t n)
{
    crc = ~crc;
    for (uint32_t i = 0; i < n; i++)
        crc = T[0][(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t crc_slice4(uint32_t crc, const uint8_t *p, uint32_t n)
{
    crc = ~crc;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        crc ^= (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
               (uint32_t)p[i + 3] << 24;
        crc =
            T[3][crc & 0xff] ^ T[2][(crc >> 8) & 0xff] ^ T[1][(crc >> 16) & 0xff] ^ T[0][crc >> 24];
    }
    for (; i < n; i++)
        crc = T[0][(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(void)
{
    make_tables();
    if (crc_bytewise(0, (const uint8_t *)"123456789", 9) != 0xcbf43926u ||
        crc_slice4(0, (const uint8_t *)"123456789", 9) != 0xcbf43926u) {
        fprintf(stderr, "crc32 self-check failed\n");
        return 1;
    }
    uint8_t *buf = bench_alloc(BUF);
    uint32_t s = 31337;
    for (uint32_t i = 0; i < BUF; i++)
        buf[i] = (uint8_t)bench_rand(&s);

    uint64_t h = BENCH_SEED;
    double t0 = bench_now_ms();
    for (int p = 0; p < PASSES; p++) {
        uint32_t a = crc_bytewise((uint32_t)p, buf, BUF);
        uint32_t b = crc_slice4((uint32_t)p, buf, BUF);
        if (a != b) {
            fprintf(stderr, "crc32 mismatch in pass %d\n", p);
            return 1;
        }
        buf[(uint32_t)p * 4099 % BUF] ^= (uint8_t)a;
        h = bench_mix(h, a);
    }
    double t1 = bench_now_ms();

    bench_report(h, t1 - t0);
    free(buf);
    return 0;
}
