/* compile_server.c - `ward-native --compile-server FD`: the serverless
 * node's compile helper (docs/serve.md, "Native code").
 *
 * The monitor (faas/monitor/mon_native.c) starts it before its own
 * sandbox, connected by a socketpair (FD), and sends it the modules of
 * native-tier deploys; it answers with the object code ward-native's code
 * generator makes for them (ward_native_compile_object: the object
 * `ward compile` puts in an artifact), which the monitor loads itself: the monitor links
 * no LLVM.
 *
 * Two processes. The helper initialises LLVM (one module compiled), loads
 * a seccomp filter and from then on only reads requests, forks and
 * forwards: it never looks at a module. Each request is compiled in a
 * child of its own (a copy of the initialised helper), which closes FD,
 * takes the request's memory limit (RLIMIT_AS), loads a filter stricter
 * still (reading and writing descriptors it holds, memory, futexes,
 * clocks, leaving: no open, no socket, no exec, no new thread or process)
 * and writes its answer into a pipe. The helper reads the pipe until the
 * request's deadline; a child that runs past it is killed, and one that
 * dies or answers malformed becomes an error reply. So a module that
 * makes LLVM take minutes or all memory, or crash, costs that deploy
 * only, and what one compilation did to its process is gone before the
 * next (each child starts from the helper's state).
 *
 * Messages, little endian, on a stream:
 *   request  "WNC2" u32 memory_mode (ward_memory_mode) u32 flags (1: mem_safety)
 *            u32 features (WARD_FEATURE_*) u32 deadline (ms, 0: none)
 *            u32 memory limit (MiB, 0: none) u64 length, the Wasm bytes
 *   reply    "WNC2" u32 status (0: compiled) u64 length, then
 *            compiled: cpu name[64] (NUL-padded), BLAKE3 of the CPU features[32],
 *                      u32 optimisation level, the object code
 *            failed:   the message (text)
 *   cancel   "WNCX" and 28 bytes of zeros, while a request compiles: the
 *            monitor no longer wants it (its deploy's connection is gone).
 *            The child is killed and the reply is a failure, at once. A
 *            cancel that crosses the reply on the way is ignored.
 * It leaves (status 0) when the monitor closes the socket, at once even
 * while a request compiles (its child is killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#pragma weak ward_native_compile_object
#include "ward.h"
#include "ward_native.h"

#define CS_MAX_WASM (256u << 20)
#define CS_MAX_REPLY (16 + (768u << 20)) /* the monitor takes 512 MiB of object at most */
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
    memcpy(h, "WNC2", 4);
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
    ward_native_object o;
    char err[300];
    if (!ward_native_compile_object(wasm, len, features, (int)mode, flags & 1u, &o, err,
                                    sizeof err))
        return cs_fail(fd, err);
    /* The head names what the code was made for: CPU, features, level. */
    uint8_t head[64 + 32 + 4];
    memcpy(head, o.cpu, 64);
    memcpy(head + 64, o.cpu_features, 32);
    cs_put32(head + 96, o.opt_level);
    bool sent = cs_reply(fd, 0, head, sizeof head, o.code, o.len);
    free(o.code);
    return sent;
}

static int cs_allow(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    return rc;
}

/* What a compiling child may do (found with strace on the serve tests);
 * anything else kills it. With `helper`, the filter of the helper itself:
 * that and what starting, watching and stopping a child takes (fork
 * without new threads, a pipe, poll, wait, kill, the child's rlimit and
 * its own filter on top). */
static bool cs_sandbox(bool helper)
{
    static const char *const child[] = {
        "read",         "write",          "close",         "mmap",   "munmap", "mprotect",
        "madvise",      "mremap",         "brk",           "futex",  "exit",   "exit_group",
        "rt_sigreturn", "rt_sigprocmask", "clock_gettime", "getpid", "gettid", "sched_yield",
        "getrandom",
    };
    static const char *const parent[] = {
        "pipe2",           "poll",      "ppoll", "wait4",   "kill",
        "set_robust_list", "prlimit64", "prctl", "seccomp",
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) return false;
    int rc = cs_allow(ctx, child, sizeof child / sizeof *child);
    if (!rc && helper) rc = cs_allow(ctx, parent, sizeof parent / sizeof *parent);
    /* abort() (LLVM out of memory, or an internal error): SIGABRT to itself */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A2(SCMP_CMP_EQ, SIGABRT, 0));
    /* fork is clone without CLONE_THREAD or CLONE_VM */
    if (!rc && helper)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_VM, 0));
    if (!rc) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc == 0;
}

/* The helper's own address space once LLVM is up (/proc/self/statm, read
 * before the filter): a child's memory limit is that, the request's module
 * and the request's MiB, so that it bounds what the compilation adds (and
 * works under ASan, whose shadow is terabytes of address space). */
static uint64_t cs_base_vm;

static uint64_t cs_vm_bytes(void)
{
    unsigned long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%llu", &pages) != 1) pages = 0;
    fclose(f);
    long ps = sysconf(_SC_PAGESIZE);
    return (uint64_t)pages * (uint64_t)(ps > 0 ? ps : 4096);
}

/* Read when the monitor's socket has something while a child compiles:
 * a cancel (true); false if the monitor is gone or sent anything else. */
static bool cs_cancelled(int fd)
{
    uint8_t h[32];
    return cli_io(fd, h, sizeof h, false) && !memcmp(h, "WNCX", 4);
}

/* One request in a child of its own (see the top). False if the monitor's
 * socket is gone. */
static bool cs_fork(int fd, const uint8_t *h, const uint8_t *wasm, size_t len, bool sandbox)
{
    uint32_t deadline = cs_get32(h + 16), mib = cs_get32(h + 20);
    char msg[300];
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(msg, sizeof msg, "the compile helper cannot make a pipe: %s", strerror(errno));
        return cs_fail(fd, msg);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        close(fd);
        rlim_t lim = (rlim_t)(cs_base_vm + len + ((uint64_t)mib << 20));
        struct rlimit rl = {lim, lim};
        struct rlimit no_core = {0, 0};
        if ((mib && setrlimit(RLIMIT_AS, &rl) != 0) || setrlimit(RLIMIT_CORE, &no_core) != 0)
            _exit(2);
        if (sandbox && !cs_sandbox(false)) _exit(2);
        _exit(cs_one(p[1], wasm, len, cs_get32(h + 4), cs_get32(h + 8), cs_get32(h + 12)) ? 0 : 1);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        snprintf(msg, sizeof msg, "the compile helper cannot fork: %s", strerror(errno));
        return cs_fail(fd, msg);
    }
    /* The child's answer, until the pipe's end or the deadline. */
    uint64_t until = deadline ? cli_now_ns() / 1000000u + deadline : UINT64_MAX;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    bool late = false, big = false, nomem = false, eof = false, cancelled = false, gone = false;
    for (;;) {
        uint64_t now = cli_now_ns() / 1000000u;
        if (now >= until) {
            late = true;
            break;
        }
        struct pollfd pf[2] = {{p[0], POLLIN, 0}, {fd, POLLIN, 0}};
        int r = poll(pf, 2,
                     until == UINT64_MAX ? -1 : (int)(until - now < 60000 ? until - now : 60000));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) continue;
        if (r < 0) break;
        if (pf[1].revents && !pf[0].revents) {
            cancelled = cs_cancelled(fd);
            gone = !cancelled;
            break;
        }
        if (n == cap) {
            if (cap >= CS_MAX_REPLY) {
                big = true;
                break;
            }
            size_t nc = cap ? cap * 2 : 1u << 16;
            uint8_t *nb = realloc(buf, nc < CS_MAX_REPLY ? nc : CS_MAX_REPLY);
            if (!nb) {
                nomem = true;
                break;
            }
            buf = nb;
            cap = nc < CS_MAX_REPLY ? nc : CS_MAX_REPLY;
        }
        ssize_t k = read(p[0], buf + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        eof = k == 0;
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(p[0]);
    /* Not waited for unless it closed the pipe (leaving, as it does after
     * its answer): past the deadline, too much, or an error here. */
    if (!eof) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool whole = n >= 16 && !memcmp(buf, "WNC2", 4) && cs_get64(buf + 8) == n - 16;
    if (gone) {
        free(buf);
        return false;
    }
    if (eof && WIFEXITED(status) && WEXITSTATUS(status) == 0 && whole) {
        bool sent = cli_io(fd, buf, n, true);
        free(buf);
        return sent;
    }
    free(buf);
    if (cancelled)
        snprintf(msg, sizeof msg, "cancelled: the deploy's connection is gone");
    else if (late)
        snprintf(msg, sizeof msg, "compiling took longer than the node allows (%u ms)", deadline);
    else if (big)
        snprintf(msg, sizeof msg, "the object code is larger than %u MiB", CS_MAX_REPLY >> 20);
    else if (nomem)
        snprintf(msg, sizeof msg, "the compile helper ran out of memory");
    else if (!eof)
        snprintf(msg, sizeof msg, "the compile helper could not read the compiler's answer");
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && mib)
        snprintf(msg, sizeof msg,
                 "the compiler aborted: out of memory (a compilation may use %u MiB here) or an "
                 "internal error",
                 mib);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        snprintf(msg, sizeof msg, "the compiler made a system call its sandbox forbids");
    else if (WIFSIGNALED(status))
        snprintf(msg, sizeof msg, "the compiler crashed (signal %d, %s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(msg, sizeof msg, "the compiler exited with status %d and no whole answer",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return cs_fail(fd, msg);
}

int cli_compile_server(int argc, char **argv)
{
    if (argc < 1 || !ward_native_compile_object) {
        fprintf(stderr, "usage: ward-native --compile-server FD (started by ward-monitor)\n");
        return CLI_EXIT_USAGE;
    }
    int fd = atoi(argv[0]);
    bool sandbox = !(argc > 1 && !strcmp(argv[1], "--no-sandbox"));
    /* LLVM's start-up (targets, the JIT, the fault handler) before the
     * filter and the first fork: the smallest module, compiled once. */
    static const uint8_t empty[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    ward_native_object o;
    char err[300];
    if (ward_native_compile_object(empty, sizeof empty, 0, 0, false, &o, err, sizeof err))
        free(o.code);
    cs_base_vm = cs_vm_bytes();
    if (sandbox && !cs_sandbox(true)) {
        fprintf(stderr, "ward-native: compile server: cannot load its seccomp filter\n");
        return 1;
    }
    for (;;) {
        uint8_t h[32];
        if (!cli_io(fd, h, sizeof h, false)) break;
        uint64_t len = cs_get64(h + 24);
        if (!memcmp(h, "WNCX", 4)) continue; /* for a request answered already */
        if (memcmp(h, "WNC2", 4) != 0 || len > CS_MAX_WASM) {
            cs_fail(fd, "malformed request");
            break;
        }
        uint8_t *wasm = malloc(len ? len : 1);
        if (!wasm || !cli_io(fd, wasm, len, false)) {
            free(wasm);
            break;
        }
        bool sent = cs_fork(fd, h, wasm, len, sandbox);
        free(wasm);
        if (!sent) break;
    }
    /* Without LLVM's static destructors (nl_jit.c: no compilation runs now). */
    _exit(0);
}
