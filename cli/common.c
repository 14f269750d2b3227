/* common.c - helpers shared by the subcommands (cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#include "cli.h"
#include "ward.h"
#include "ward_native.h"

int cli_usage(const char *cmd, const char *fmt, const char *what)
{
    fprintf(stderr, "ward: error: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see 'ward %s --help')\n", cmd);
    return CLI_EXIT_USAGE;
}

/* Parses a decimal count with an optional unit suffix; false if malformed or
 * if the value overflows 64 bits. */
static bool cli_parse_scaled(const char *s, const char *const *units, const uint64_t *scales,
                             size_t nunits, uint64_t dflt_scale, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return false;
    uint64_t scale = dflt_scale;
    if (*end) {
        size_t i;
        for (i = 0; i < nunits; i++)
            if (strcmp(end, units[i]) == 0) break;
        if (i == nunits) return false;
        scale = scales[i];
    }
    if (scale && v > UINT64_MAX / scale) return false;
    *out = (uint64_t)v * scale;
    return true;
}

bool cli_parse_duration(const char *s, uint64_t *ns)
{
    static const char *const units[] = {"ns", "us", "ms", "s", "m", "h"};
    static const uint64_t scales[] = {
        1, 1000, 1000000, 1000000000ull, 60000000000ull, 3600000000000ull};
    return cli_parse_scaled(s, units, scales, 6, 1000000000ull, ns);
}

bool cli_parse_bytes(const char *s, uint64_t *bytes)
{
    static const char *const units[] = {"",  "b",  "B",   "k", "K", "KB", "KiB", "m",
                                        "M", "MB", "MiB", "g", "G", "GB", "GiB"};
    static const uint64_t K = 1024, M = 1024 * 1024, G = 1024 * 1024 * 1024;
    static const uint64_t scales[] = {1, 1, 1, K, K, K, K, M, M, M, M, G, G, G, G};
    return cli_parse_scaled(s, units, scales, 15, 1, bytes);
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) return NULL;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = ncap <= CLI_MAX_MODULE ? realloc(buf, ncap) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* ---- the native tier: ward-native ------------------------------------------------------ */

/* Present only in ward-native, which links libward-native (LLVM). */
#pragma weak ward_native_llvm

bool cli_native_here(void)
{
    return ward_native_llvm != NULL;
}

/* Runs `prog cmd argv...`, prog found in $env_var or next to this program;
 * returns only on failure (what: what needs it, for the message). */
static int cli_exec_sibling(const char *prog, const char *env_var, const char *what,
                            const char *cmd, int argc, char **argv)
{
    char path[4096];
    const char *env = getenv(env_var);
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        ssize_t len = readlink("/proc/self/exe", path, sizeof path - 16);
        if (len <= 0) {
            fprintf(stderr, "ward: error: %s needs %s, which cannot be found\n", what, prog);
            return CLI_EXIT_LOAD;
        }
        path[len] = '\0';
        char *slash = strrchr(path, '/');
        snprintf(slash ? slash + 1 : path, 16, "%s", prog);
    }
    char **nargv = calloc((size_t)argc + 3, sizeof *nargv);
    if (!nargv) return CLI_EXIT_LOAD;
    nargv[0] = path;
    nargv[1] = (char *)cmd;
    for (int i = 0; i < argc; i++)
        nargv[i + 2] = argv[i];
    execv(path, nargv);
    fprintf(stderr, "ward: error: %s needs %s: %s\n", what, path, strerror(errno));
    free(nargv);
    return CLI_EXIT_LOAD;
}

int cli_native_exec(const char *cmd, int argc, char **argv)
{
    return cli_exec_sibling("ward-native", "WARD_NATIVE", "the native tier", cmd, argc, argv);
}

int cli_node_exec(const char *cmd, int argc, char **argv)
{
    return cli_exec_sibling("ward-node", "WARD_NODE", "the serverless node", cmd, argc, argv);
}
