/* upper.c - a plain WASI command as a ward function: stdin (the request
 * body) to stdout (the response), upper-cased. Nothing ward-specific. */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        fwrite(buf, 1, n, stdout);
    }
    return 0;
}
