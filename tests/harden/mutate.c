/* mutate.c - the rewriter (harden/) on broken input: for each module given,
 * N copies with a few random bytes changed (or cut short) go through
 * hd_harden directly, without the validation `ward harden` does first.
 * Each must end in an output or an error, never a crash; run.sh builds this
 * with AddressSanitizer and UndefinedBehaviorSanitizer where it can, so a
 * read out of bounds or a leak fails too. The original must harden twice
 * to the same bytes.
 *
 *   mutate N module.wasm...      prints "N hardened, M refused" per module
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harden/harden.h"

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *b = malloc(cap);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int n = atoi(argv[1]), bad = 0;
    for (int a = 2; a < argc; a++) {
        size_t len;
        uint8_t *in = slurp(argv[a], &len);
        if (!in || len < 8) {
            printf("%s: cannot read\n", argv[a]);
            free(in);
            bad++;
            continue;
        }
        char err[512];
        hd_output o1, o2;
        hd_options noheap = {NULL, 0, true};
        const hd_options *opt = NULL;
        if (!hd_harden(in, len, NULL, &o1, err, sizeof err)) opt = &noheap;
        if (opt && !hd_harden(in, len, opt, &o1, err, sizeof err)) {
            printf("%s: %s\n", argv[a], err);
            bad++;
        } else {
            bool same = hd_harden(in, len, opt, &o2, err, sizeof err) && o1.len == o2.len &&
                        !memcmp(o1.bytes, o2.bytes, o1.len);
            if (!same) printf("%s: two runs differ\n", argv[a]), bad++;
            hd_output_free(&o1);
            hd_output_free(&o2);
        }
        uint8_t *m = malloc(len);
        uint32_t seed = 0x9e3779b9u ^ (uint32_t)len;
        int done = 0, refused = 0;
        for (int i = 0; m && i < n; i++) {
            memcpy(m, in, len);
            size_t mlen = len;
            int k = 1 + (int)(rnd(&seed) % 4);
            while (k--)
                m[8 + rnd(&seed) % (len - 8)] = (uint8_t)rnd(&seed);
            if (rnd(&seed) % 8 == 0) mlen = 8 + rnd(&seed) % (len - 8);
            hd_output o;
            if (hd_harden(m, mlen, (i & 1) ? &noheap : NULL, &o, err, sizeof err)) {
                done++;
                hd_output_free(&o);
            } else {
                refused++;
            }
        }
        printf("%s: %d mutants hardened, %d refused\n", argv[a], done, refused);
        free(m);
        free(in);
    }
    return bad != 0;
}
