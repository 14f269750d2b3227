/* hostile.c - writes the hostile modules of hostile.h to files:
 *
 *   hostile OUTDIR [NAME...]   writes OUTDIR/NAME.wasm for each NAME (all by default)
 *
 * tests/budget/run.sh runs them under `ward run` and checks that each ends
 * in a clean error, or within its limits, in bounded time and memory. */
#include "hostile.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hostile OUTDIR [NAME...]\n");
        return 2;
    }
    for (size_t i = 0; i < HOSTILE_COUNT; i++) {
        const char *name = hostile_inputs[i].name;
        bool want = argc == 2;
        for (int a = 2; a < argc; a++)
            want = want || strcmp(argv[a], name) == 0;
        if (!want) continue;
        size_t len;
        uint8_t *m = hostile_module(name, &len);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wasm", argv[1], name);
        FILE *f = fopen(path, "wb");
        if (!m || !f || fwrite(m, 1, len, f) != len || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        free(m);
    }
    return 0;
}
