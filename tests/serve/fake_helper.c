/* tests/serve/fake_helper.c - a compile helper that misbehaves, for
 * tests/serve/native.sh (WARD_NATIVE=this ward serve ...): the monitor
 * must turn each misbehaviour into a clear deploy error and survive.
 *
 *   fake_helper --compile-server FD        (as ward-monitor starts it)
 *
 * $FAKE_HELPER names what it does with each request: "error" (a failed
 * compilation with a message), "garbage" (status 0, a header and bytes
 * that are no ELF object), "cut" (status 0 and the object of
 * $FAKE_OBJECT cut in half), "die" (exits without answering). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rd(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n) {
        ssize_t k = read(fd, b, n);
        if (k <= 0) return 0;
        b += k, n -= (size_t)k;
    }
    return 1;
}

static void reply(int fd, uint32_t st, const void *body, uint64_t n)
{
    uint8_t h[16] = {'W', 'N', 'C', '2'};
    for (int i = 0; i < 4; i++)
        h[4 + i] = (uint8_t)(st >> (8 * i));
    for (int i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(n >> (8 * i));
    if (write(fd, h, 16) != 16 || write(fd, body, n) != (ssize_t)n) exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int fd = atoi(argv[2]);
    const char *what = getenv("FAKE_HELPER");
    what = what ? what : "error";
    for (;;) {
        uint8_t h[32];
        if (!rd(fd, h, 32)) return 0;
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | h[24 + i];
        uint8_t *w = malloc(n ? n : 1);
        if (!w || !rd(fd, w, n)) return 0;
        free(w);
        if (!strcmp(what, "die")) return 3;
        if (!strcmp(what, "error")) {
            const char *m = "LLVM ran out of patience";
            reply(fd, 1, m, strlen(m));
        } else {
            static uint8_t body[1 << 22];
            size_t len = 100;
            memset(body, 0, 100);
            memcpy(body, "fake-cpu", 8);
            if (!strcmp(what, "cut")) {
                FILE *f = fopen(getenv("FAKE_OBJECT"), "rb");
                size_t k = f ? fread(body + 100, 1, sizeof body - 100, f) : 0;
                if (f) fclose(f);
                len += k / 2;
            } else {
                memset(body + 100, 0x5a, 4000);
                len += 4000;
            }
            reply(fd, 0, body, len);
        }
    }
}
