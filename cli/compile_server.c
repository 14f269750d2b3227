/* compile_server.c - `ward-native --compile-server FD`: the serverless
 * node's compile helper (docs/serve.md, "Native code").
 *
 * The monitor (faas/monitor/mon_native.c) starts it before its own
 * sandbox, connected by a socketpair (FD), and sends it the modules of
 * native-tier deploys; it answers with the object code ward-native's code
 * generator makes for them (the bytes `ward compile` puts in an
 * artifact's record), which the monitor loads itself: the monitor links
 * no LLVM. Once LLVM is initialised (one module compiled), the helper
 * runs under a seccomp filter stricter than the monitor's: reading and
 * writing descriptors it holds, memory, futexes, clocks, leaving; no
 * open, no socket, no exec, no new thread.
 *
 * Messages, little endian, on a stream:
 *   request  "WNC1" u32 memory_mode (ward_memory_mode) u32 flags (1: mem_safety)
 *            u32 features (WARD_FEATURE_*) u64 length, the Wasm bytes
 *   reply    "WNC1" u32 status (0: compiled) u64 length, then
 *            compiled: cpu name[64] (NUL-padded), BLAKE3 of the CPU features[32],
 *                      u32 optimisation level, the object code
 *            failed:   the message (text)
 * It leaves (status 0) when the monitor closes the socket.
 */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#pragma weak ward_native_compile_artifact
#include "ward.h"
#include "ward_native.h"

#define CS_MAX_WASM (256u << 20)
/* The artifact's layout (native/nl_jit.c): the header, the Wasm bytes, a
 * cache record (magic, key, length, hash, object), the file's hash. */
#define CS_AOT_HDR (8 + 16 + 64 + 32 + 4 + 4 + 4 + 8)
#define CS_REC_HDR (8 + 32 + 8 + 32)

static uint32_t cs_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t cs_get64(const uint8_t *p)
{
    return (uint64_t)cs_get32(p) | (uint64_t)cs_get32(p + 4) << 32;
}
static void cs_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void cs_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static bool cs_reply(int fd, uint32_t status, const uint8_t *head, size_t hlen, const uint8_t *body,
                     size_t blen)
{
    uint8_t h[16];
    memcpy(h, "WNC1", 4);
    cs_put32(h + 4, status);
    cs_put64(h + 8, hlen + blen);
    return cli_io(fd, h, 16, true) && cli_io(fd, (void *)head, hlen, true) &&
           cli_io(fd, (void *)body, blen, true);
}

static bool cs_fail(int fd, const char *msg)
{
    return cs_reply(fd, 1, (const uint8_t *)msg, strlen(msg), NULL, 0);
}

/* Compiles one module and answers; false if the socket is gone. */
static bool cs_one(int fd, const uint8_t *wasm, size_t len, uint32_t mode, uint32_t flags,
                   uint32_t features)
{
    uint8_t *a = NULL;
    size_t alen = 0;
    char err[300];
    if (!ward_native_compile_artifact(wasm, len, features, (int)mode, flags & 1u, &a, &alen, err,
                                      sizeof err))
        return cs_fail(fd, err);
    /* The object is the artifact's record; its header names the CPU and level. */
    uint64_t wl = alen >= CS_AOT_HDR ? cs_get64(a + CS_AOT_HDR - 8) : 0;
    bool ok = alen >= CS_AOT_HDR + CS_REC_HDR + 32 && wl == len &&
              alen - CS_AOT_HDR - CS_REC_HDR - 32 >= wl;
    uint64_t olen = ok ? cs_get64(a + CS_AOT_HDR + wl + 8 + 32) : 0;
    ok = ok && olen == alen - CS_AOT_HDR - wl - CS_REC_HDR - 32;
    bool sent;
    if (!ok) {
        sent = cs_fail(fd, "the code generator's artifact is malformed");
    } else {
        uint8_t head[64 + 32 + 4];
        memcpy(head, a + 24, 64);
        memcpy(head + 64, a + 88, 32);
        memcpy(head + 96, a + 120, 4);
        sent = cs_reply(fd, 0, head, sizeof head, a + CS_AOT_HDR + wl + CS_REC_HDR, olen);
    }
    free(a);
    return sent;
}

/* What the helper may do once LLVM is up (found with strace on the serve
 * tests); anything else kills it, and the monitor sees its socket close. */
static bool cs_sandbox(void)
{
    static const char *const allowed[] = {
        "read",         "write",          "close",         "mmap",   "munmap", "mprotect",
        "madvise",      "mremap",         "brk",           "futex",  "exit",   "exit_group",
        "rt_sigreturn", "rt_sigprocmask", "clock_gettime", "getpid", "gettid", "sched_yield",
        "getrandom",
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) return false;
    int rc = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed && !rc; i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr == __NR_SCMP_ERROR) continue;
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    if (!rc) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc == 0;
}

int cli_compile_server(int argc, char **argv)
{
    if (argc < 1 || !ward_native_compile_artifact) {
        fprintf(stderr, "usage: ward-native --compile-server FD (started by ward-monitor)\n");
        return CLI_EXIT_USAGE;
    }
    int fd = atoi(argv[0]);
    bool sandbox = !(argc > 1 && !strcmp(argv[1], "--no-sandbox"));
    /* LLVM's start-up (targets, the JIT, the fault handler) before the
     * filter: the smallest module, compiled once. */
    static const uint8_t empty[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    uint8_t *a = NULL;
    size_t alen;
    char err[300];
    if (ward_native_compile_artifact(empty, sizeof empty, 0, 0, false, &a, &alen, err, sizeof err))
        free(a);
    if (sandbox && !cs_sandbox()) {
        fprintf(stderr, "ward-native: compile server: cannot load its seccomp filter\n");
        return 1;
    }
    for (;;) {
        uint8_t h[24];
        if (!cli_io(fd, h, sizeof h, false)) break;
        uint64_t len = cs_get64(h + 16);
        if (memcmp(h, "WNC1", 4) != 0 || len > CS_MAX_WASM) {
            cs_fail(fd, "malformed request");
            break;
        }
        uint8_t *wasm = malloc(len ? len : 1);
        if (!wasm || !cli_io(fd, wasm, len, false)) {
            free(wasm);
            break;
        }
        bool sent = cs_one(fd, wasm, len, cs_get32(h + 4), cs_get32(h + 8), cs_get32(h + 12));
        free(wasm);
        if (!sent) break;
    }
    /* Without LLVM's static destructors (nl_jit.c: no compilation runs now). */
    _exit(0);
}
