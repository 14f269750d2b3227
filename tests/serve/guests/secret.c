/* secret.c - isolation between invocations. "write" puts a secret into the
 * module's static data and heap; "search" scans the whole linear memory
 * for it and answers "found" or "clean". The secret is never a constant
 * of the module: it is stored XOR 0x5a and compared that way, so only a
 * "write" invocation ever makes it appear in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char key[] = {0x09, 0x1f, 0x19, 0x08, 0x1f, 0x0e, 0x77, 0x6b,
                                    0x68, 0x69, 0x6e, 0x6f, 0x6c, 0x6d, 0x62, 0x63};
static unsigned char stash[4096];

int main(void)
{
    char in[16] = {0};
    size_t n = fread(in, 1, sizeof in - 1, stdin);
    in[n] = '\0';
    if (!strcmp(in, "write")) {
        unsigned char *heap = malloc(1 << 16);
        for (size_t i = 0; i < sizeof key; i++) {
            stash[100 + i] = key[i] ^ 0x5a;
            if (heap) heap[1000 + i] = key[i] ^ 0x5a;
        }
        printf("written\n");
        return 0;
    }
    size_t size = __builtin_wasm_memory_size(0) * 65536ul;
    const volatile unsigned char *mem = (const volatile unsigned char *)0;
    size_t hits = 0;
    for (size_t a = 1; a + sizeof key <= size; a++) {
        size_t i = 0;
        while (i < sizeof key && (unsigned char)(mem[a + i] ^ 0x5a) == key[i])
            i++;
        if (i == sizeof key) hits++;
    }
    printf(hits ? "found\n" : "clean\n");
    return 0;
}
