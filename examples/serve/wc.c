/* wc.c - a plain WASI command: counts the lines, words and bytes of its
 * input and prints them as one line, like wc. */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    unsigned long lines = 0, words = 0, bytes = 0;
    int c, in_word = 0;
    while ((c = getchar()) != EOF) {
        bytes++;
        if (c == '\n') lines++;
        if (isspace(c))
            in_word = 0;
        else if (!in_word)
            in_word = 1, words++;
    }
    printf("%lu %lu %lu\n", lines, words, bytes);
    return 0;
}
