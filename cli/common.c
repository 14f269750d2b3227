/* common.c - helpers shared by the subcommands (cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
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

uint64_t cli_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

bool cli_io(int fd, void *p, size_t n, bool wr)
{
    uint8_t *b = p;
    while (n) {
        ssize_t k = wr ? write(fd, b, n) : read(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        b += k, n -= (size_t)k;
    }
    return true;
}

bool cli_native_compile(const uint8_t *wasm, size_t len, bool paged, bool mem_safety,
                        uint32_t features, cli_native_obj *out, char *why, size_t cap)
{
    char path[4096];
    const char *env = getenv("WARD_NATIVE");
    memset(out, 0, sizeof *out);
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
        if (n <= 0) return snprintf(why, cap, "cannot find ward-native"), false;
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        snprintf(slash ? slash + 1 : path, 16, "ward-native");
    }
    if (access(path, X_OK) != 0)
        return snprintf(why, cap, "no native backend (%.200s: %s)", path, strerror(errno)), false;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return snprintf(why, cap, "socketpair: %s", strerror(errno)), false;
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(sv[1], 3) < 0) _exit(127);
        char *argv[] = {path, "--compile-server", "3", NULL};
        execv(path, argv);
        _exit(127);
    }
    close(sv[1]);
    bool ok = false;
    uint8_t h[32], r[16];
    memcpy(h, "WNC2", 4);
    /* no deadline, no memory limit: the user's own compilation */
    uint32_t v[5] = {paged ? 1u : 0u, mem_safety ? 1u : 0u, features, 0, 0};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < 4; i++)
            h[4 + 4 * k + i] = (uint8_t)(v[k] >> (8 * i));
    for (int i = 0; i < 8; i++)
        h[24 + i] = (uint8_t)((uint64_t)len >> (8 * i));
    uint8_t *body = NULL;
    if (pid < 0) {
        snprintf(why, cap, "fork: %s", strerror(errno));
    } else if (!cli_io(sv[0], h, sizeof h, true) || !cli_io(sv[0], (void *)wasm, len, true) ||
               !cli_io(sv[0], r, sizeof r, false) || memcmp(r, "WNC2", 4) != 0) {
        snprintf(why, cap, "%s: the compile helper failed", path);
    } else {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | r[8 + i];
        uint32_t st = (uint32_t)r[4] | (uint32_t)r[5] << 8;
        body = n < (1ull << 31) ? malloc(n + 1) : NULL;
        if (!body || !cli_io(sv[0], body, n, false)) {
            snprintf(why, cap, "%s: the compile helper failed", path);
        } else if (st != 0) {
            body[n] = 0;
            snprintf(why, cap, "compiling failed: %.240s", (const char *)body);
        } else if (n < 100) {
            snprintf(why, cap, "%s: malformed reply", path);
        } else {
            memcpy(out->cpu, body, 64);
            out->cpu[63] = '\0';
            memcpy(out->features, body + 64, 32);
            out->opt = (uint32_t)body[96] | (uint32_t)body[97] << 8 | (uint32_t)body[98] << 16 |
                       (uint32_t)body[99] << 24;
            out->len = n - 100;
            out->obj = malloc(out->len ? out->len : 1);
            if (out->obj) memcpy(out->obj, body + 100, out->len);
            ok = out->obj != NULL;
        }
    }
    free(body);
    close(sv[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
    return ok;
}

int cli_native_exec(const char *cmd, int argc, char **argv)
{
    return cli_exec_sibling("ward-native", "WARD_NATIVE", "the native tier", cmd, argc, argv);
}

int cli_node_exec(const char *cmd, int argc, char **argv)
{
    return cli_exec_sibling("ward-node", "WARD_NODE", "the serverless node", cmd, argc, argv);
}
