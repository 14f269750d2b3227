/* tests/serve/elf_load.c - the monitor's loader of native code
 * (src/exec/nat_elf.c) on damaged objects:
 *
 *   elf_load ARTIFACT.cwasm [FLIPS]
 *
 * Takes the object code out of an artifact of `ward compile` (the bytes
 * the node's compile helper sends the monitor), loads it whole (it must
 * load, with its entry table), for a wrong number of functions (refused),
 * cut at every length (every cut must be refused: no crash), and with
 * FLIPS random bytes changed (seeded; each load succeeds or is refused,
 * never crashes; a loaded one is freed, not run). Prints what it saw and
 * "N passed, N failed" last. */
#include "exec/nat_elf.h"
#include "../native/artifact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: elf_load ARTIFACT.cwasm [FLIPS]\n");
        return 2;
    }
    unsigned flips = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 2;
    static uint8_t a[64 << 20];
    size_t alen = fread(a, 1, sizeof a, f);
    fclose(f);
    const uint8_t *wasm, *obj;
    size_t wl, olen;
    if (!art_parts(a, alen, &wasm, &wl, &obj, &olen))
        return fprintf(stderr, "not an artifact\n"), 2;
    char err[300];

    nat_elf_image *im = nat_elf_load(obj, olen, UINT32_MAX, err, sizeof err);
    ok("the whole object loads", im != NULL, err);
    if (!im) return 1;
    uint32_t nfuncs = im->nfuncs;
    printf("     %u functions, %u with native code, %u guard-page sites, %llu bytes mapped\n",
           im->nfuncs, im->ncompiled, im->nsites, (unsigned long long)im->size);
    nat_elf_free(im);
    im = nat_elf_load(obj, olen, nfuncs + 1, err, sizeof err);
    ok("refused for another number of functions", im == NULL && strstr(err, "entry table"), err);
    nat_elf_free(im);

    uint8_t *buf = malloc(olen);
    size_t cut_loaded = 0, cuts = 0;
    /* every length below the whole, in steps small enough to be every one
     * for the serve tests' modules (at most ~4,000 loads) */
    size_t step = olen / 4000 + 1;
    for (size_t n = 0; n < olen; n += (n + 256 >= olen ? 1 : step)) {
        memcpy(buf, obj, n);
        cuts++;
        nat_elf_image *c = nat_elf_load(buf, n, nfuncs, err, sizeof err);
        if (c) cut_loaded++;
        nat_elf_free(c);
    }
    char d[100];
    snprintf(d, sizeof d, "%zu of %zu cuts loaded", cut_loaded, cuts);
    ok("every truncated object is refused", cut_loaded == 0, d);
    printf("     %zu cuts refused\n", cuts);

    srand(12345);
    unsigned loaded = 0, refused = 0;
    for (unsigned i = 0; i < flips; i++) {
        memcpy(buf, obj, olen);
        unsigned k = 1 + (unsigned)rand() % 4;
        for (unsigned j = 0; j < k; j++)
            buf[(size_t)rand() % olen] ^= (uint8_t)(1 + rand() % 255);
        nat_elf_image *c = nat_elf_load(buf, olen, nfuncs, err, sizeof err);
        if (c)
            loaded++;
        else
            refused++;
        nat_elf_free(c);
    }
    printf("     %u objects with 1-4 changed bytes: %u refused, %u loaded (code bytes are not "
           "checked)\n",
           flips, refused, loaded);
    ok("changed objects: no crash", loaded + refused == flips, "");
    /* the header's magic and machine are checked */
    memcpy(buf, obj, olen);
    buf[18] = 0xb7; /* aarch64 */
    im = nat_elf_load(buf, olen, nfuncs, err, sizeof err);
    ok("refused for another machine", im == NULL && strstr(err, "x86-64"), err);
    nat_elf_free(im);
    free(buf);
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}
