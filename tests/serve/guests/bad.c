/* bad.c - a function that misbehaves on request: its input names what to
 * do ("trap", "spin", "grow", "exit7", "env"); anything else answers "ok".
 * For tests/serve: each failure must be a clean error and the next
 * invocation of the same function must work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
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
    if (!strcmp(in, "exit7")) return 7;
    if (!strcmp(in, "env")) {
        const char *g = getenv("GREETING");
        printf("%s\n", g ? g : "(none)");
        return 0;
    }
    printf("ok\n");
    return 0;
}
