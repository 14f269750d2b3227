/* art_edit.c IN OUT OFFSET XOR - tests/native/run.sh's forger of artifacts:
 * copies the artifact IN to OUT with the byte at OFFSET xor'ed with XOR and
 * the final hash made again (w_blake3), so that what ward then refuses is
 * the field changed (CPU identity, version, memory mode), not the hash. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 5) return fprintf(stderr, "usage: art_edit IN OUT OFFSET XOR\n"), 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    static uint8_t a[64 << 20];
    size_t n = fread(a, 1, sizeof a, f);
    fclose(f);
    size_t off = strtoul(argv[3], NULL, 0);
    if (n < 32 || off >= n - 32) return fprintf(stderr, "offset past the hash\n"), 1;
    a[off] ^= (uint8_t)strtoul(argv[4], NULL, 0);
    w_blake3(a, n - 32, a + n - 32);
    f = fopen(argv[2], "wb");
    if (!f || fwrite(a, 1, n, f) != n || fclose(f)) return perror(argv[2]), 1;
    return 0;
}
