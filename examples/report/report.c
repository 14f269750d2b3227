/* report.c - a small real WASI program: reads every regular file in the
 * preopened folder /data and writes a report of lines, words and bytes per
 * file, with totals and a histogram of word lengths, to stdout (or to the
 * file named by argv[1], created inside /out if that is preopened).
 *
 *   clang --target=wasm32-wasi -O2 -o report.wasm examples/report/report.c
 *   ward run --dir examples/report/input::/data report.wasm
 *   ward run --dir examples/report/input::/data --dir /tmp::/out report.wasm /out/report.txt
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 256
#define MAX_LEN 16 /* words of 16+ letters share the last bucket */

typedef struct stats {
    char name[256];
    long lines, words, bytes;
} stats;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const stats *)a)->name, ((const stats *)b)->name);
}

static int count_file(const char *path, stats *st, long hist[MAX_LEN + 1])
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int c, len = 0;
    while ((c = fgetc(f)) != EOF) {
        st->bytes++;
        if (c == '\n') st->lines++;
        if (isalnum(c)) {
            len++;
        } else if (len > 0) {
            st->words++;
            hist[len > MAX_LEN ? MAX_LEN : len]++;
            len = 0;
        }
    }
    if (len > 0) {
        st->words++;
        hist[len > MAX_LEN ? MAX_LEN : len]++;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    static stats files[MAX_FILES];
    long hist[MAX_LEN + 1] = {0};
    size_t n = 0;
    DIR *d = opendir("/data");
    if (!d) {
        perror("report: /data (run with --dir FOLDER::/data)");
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < MAX_FILES) {
        if (de->d_type != DT_REG) continue;
        char path[512];
        snprintf(path, sizeof path, "/data/%s", de->d_name);
        snprintf(files[n].name, sizeof files[n].name, "%s", de->d_name);
        if (count_file(path, &files[n], hist) == 0) n++;
    }
    closedir(d);
    qsort(files, n, sizeof files[0], by_name);

    FILE *out = stdout;
    if (argc > 1 && !(out = fopen(argv[1], "w"))) {
        perror(argv[1]);
        return 1;
    }
    stats total = {"total", 0, 0, 0};
    fprintf(out, "%-24s %8s %8s %8s\n", "file", "lines", "words", "bytes");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%-24s %8ld %8ld %8ld\n", files[i].name, files[i].lines, files[i].words,
                files[i].bytes);
        total.lines += files[i].lines;
        total.words += files[i].words;
        total.bytes += files[i].bytes;
    }
    fprintf(out, "%-24s %8ld %8ld %8ld\n\nword lengths:\n", total.name, total.lines, total.words,
            total.bytes);
    long most = 1;
    for (int i = 1; i <= MAX_LEN; i++)
        most = hist[i] > most ? hist[i] : most;
    for (int i = 1; i <= MAX_LEN; i++) {
        if (!hist[i]) continue;
        int bar = (int)(hist[i] * 40 / most);
        fprintf(out, "%3d%s %5ld ", i, i == MAX_LEN ? "+" : " ", hist[i]);
        for (int k = 0; k < (bar ? bar : 1); k++)
            fputc('#', out);
        fputc('\n', out);
    }
    if (out != stdout && fclose(out) != 0) return 1;
    return 0;
}
