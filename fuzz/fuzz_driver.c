/* fuzz_driver.c - runs a libFuzzer target without libFuzzer, for make test:
 * every file named on the command line, then N inputs made by mutating
 * them (bit flips, byte changes, truncation, insertion, splicing) with a
 * fixed seed, so a run is repeatable and bounded. Usage:
 *   fuzz_driver N SEED_FILE...
 * A crash or abort is the failure (the test runs it in its own process). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    long n = atol(argv[1]);
    int nseeds = argc - 2;
    uint8_t *seeds[64];
    size_t lens[64];
    if (nseeds > 64) nseeds = 64;
    for (int i = 0; i < nseeds; i++) {
        FILE *f = fopen(argv[i + 2], "rb");
        if (!f) return perror(argv[i + 2]), 2;
        seeds[i] = malloc(1 << 20);
        lens[i] = fread(seeds[i], 1, 1 << 20, f);
        fclose(f);
        LLVMFuzzerTestOneInput(seeds[i], lens[i]);
    }
    uint8_t *buf = malloc(1 << 21);
    for (long k = 0; k < n; k++) {
        int s = (int)(next() % (uint64_t)nseeds);
        size_t len = lens[s];
        memcpy(buf, seeds[s], len);
        int edits = 1 + (int)(next() % 8);
        for (int e = 0; e < edits; e++) {
            size_t at = len ? (size_t)(next() % len) : 0;
            switch (next() % 6) {
            case 0:
                if (len) buf[at] ^= (uint8_t)(1u << (next() % 8));
                break;
            case 1:
                if (len) buf[at] = (uint8_t)next();
                break;
            case 2: len = at; break;
            case 3:
                if (len < (1 << 20)) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = (uint8_t)next();
                    len++;
                }
                break;
            case 4:
                if (len >= 4) memset(buf + at, 0xff, len - at < 4 ? len - at : 4);
                break;
            default: {
                int o = (int)(next() % (uint64_t)nseeds);
                size_t from = lens[o] ? (size_t)(next() % lens[o]) : 0, n2 = lens[o] - from;
                if (at + n2 > (1 << 20)) n2 = (1 << 20) - at;
                memcpy(buf + at, seeds[o] + from, n2);
                len = at + n2;
            }
            }
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("%ld inputs\n", n + nseeds);
    free(buf);
    for (int i = 0; i < nseeds; i++)
        free(seeds[i]);
    return 0;
}
