/* test_regress.c - replays every input in tests/regress/ (inputs that once
 * crashed or hung the fuzz target, see fuzz/run.sh, or that made the host
 * spend far more than their size) through the same code the fuzzer runs.
 * Passing means: no crash, no hang, no sanitizer report, and nothing for
 * the budget oracle (fuzz_one.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../fuzz/fuzz_one.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    uint8_t chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    fuzz_one(buf, len);
    free(buf);
    if (fuzz_finding[0]) {
        printf("FAIL: %s: %s\n", path, fuzz_finding);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/regress";
    int passed = 0, failed = 0;
    DIR *d = opendir(dir);
    if (!d) {
        printf("cannot open %s\n0 passed, 1 failed\n", dir);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int rc = run_file(path);
        if (rc == 0)
            passed++;
        else {
            if (rc < 0) printf("FAIL: cannot read %s\n", path);
            failed++;
        }
    }
    closedir(d);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
