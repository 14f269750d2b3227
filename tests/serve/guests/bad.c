/* bad.c - a function that misbehaves on request: its input names what to
 * do ("trap", "spin", "grow", "exit7", "env", "heap N" (N KiB of checked
 * malloc blocks, a line of output after each); "args", "clock", "random"
 * report what WASI grants it; "alloc N" takes and writes N MiB and holds
 * them for 300 ms); anything else answers "ok".
 * For tests/serve: each failure must be a clean error and the next
 * invocation of the same function must work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char in[64] = {0};
    size_t n = fread(in, 1, sizeof in - 1, stdin);
    in[n] = '\0';
    if (!strcmp(in, "trap")) __builtin_trap();
    if (!strcmp(in, "spin"))
        for (volatile unsigned long i = 0;; i++) {
        }
    if (!strcmp(in, "grow")) {
        /* far past the manifest's memory limit: malloc fails, then abort traps */
        volatile char *p = malloc(64u << 20);
        if (!p) abort();
        for (size_t i = 0; i < (64u << 20); i += 4096)
            p[i] = 1;
        printf("grew %d\n", p[4096]);
        return 0;
    }
    if (!strncmp(in, "heap ", 5)) {
        /* N KiB of malloc'ed blocks, each filled, with a line of output
         * after each one, then every block checked: the heap must be the
         * guest's alone (never the input's pages, never the output's). */
        int kib = atoi(in + 5);
        unsigned char **b = calloc((size_t)kib, sizeof *b);
        if (!b) abort();
        for (int i = 0; i < kib; i++) {
            if (!(b[i] = malloc(1024))) abort();
            memset(b[i], (unsigned char)(i * 7 + 1), 1024);
            printf("%04d\n", i % 10000);
        }
        for (int i = 0; i < kib; i++)
            for (int k = 0; k < 1024; k++)
                if (b[i][k] != (unsigned char)(i * 7 + 1)) {
                    printf("heap corrupt at block %d\n", i);
                    return 1;
                }
        printf("heap ok\n");
        return 0;
    }
    if (!strcmp(in, "exit7")) return 7;
    if (!strcmp(in, "args")) {
        for (int i = 0; i < argc; i++)
            printf("%s%s", i ? " " : "", argv[i]);
        printf("\n");
        return 0;
    }
    if (!strcmp(in, "clock")) {
        struct timespec ts;
        printf("clock %s\n", clock_gettime(CLOCK_MONOTONIC, &ts) ? "denied" : "ok");
        return 0;
    }
    if (!strcmp(in, "random")) {
        unsigned char b[16];
        printf("random %s\n", getentropy(b, sizeof b) ? "denied" : "ok");
        return 0;
    }
    if (!strncmp(in, "alloc ", 6)) {
        /* memory.grow itself, not malloc: wasi-libc's first malloc takes the
         * memory up to its current end for its heap, which in a trustlet
         * holds the read-only input pages */
        size_t mib = (size_t)atoi(in + 6);
        long base = __builtin_wasm_memory_grow(0, mib * 16);
        if (base < 0) {
            printf("no memory\n");
            return 3;
        }
        volatile char *p = (volatile char *)(base * 65536);
        for (size_t i = 0; i < (mib << 20); i += 4096)
            p[i] = 1;
        for (volatile unsigned long i = 0; i < 30000000ul; i++) { /* hold it a while */
        }
        printf("allocated %zu\n", mib);
        return 0;
    }
    if (!strcmp(in, "env")) {
        const char *g = getenv("GREETING");
        printf("%s\n", g ? g : "(none)");
        return 0;
    }
    printf("ok\n");
    return 0;
}
