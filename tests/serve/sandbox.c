/* tests/serve/sandbox.c - the monitor's seccomp filter (faas/monitor/mon_sandbox.c)
 * on its own: each case forks a child that installs the filter and does
 * one thing; the case says how the child must end. What a running monitor
 * does must go on (threads, memory given back by a thread's malloc arena,
 * which makes glibc try to open /proc/sys/vm/overcommit_memory); what it
 * must not do must fail or kill it. Last line: "N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"

/* A thread's arena grows to some MiB and shrinks back: glibc shrinks the
 * heap of a non-main arena, and the first time asks the kernel's
 * overcommit setting (an open). */
static void *arena_churn(void *arg)
{
    (void)arg;
    enum { N = 256, SIZE = 100000 }; /* under the mmap threshold: in the arena */
    static void *p[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++)
            if (!(p[i] = malloc(SIZE)))
                return (void *)1;
            else
                memset(p[i], round, SIZE);
        for (int i = N - 1; i >= 0; i--)
            free(p[i]);
    }
    return NULL;
}

static int do_arena(void)
{
    pthread_t t;
    void *r = (void *)1;
    if (pthread_create(&t, NULL, arena_churn, NULL) || pthread_join(t, &r)) return 3;
    return r ? 4 : 0;
}

/* More threads than glibc's first arenas (8 on 64 bits), each allocating
 * from its own: past those glibc asks how many processors there are
 * (sched_getaffinity). */
static pthread_barrier_t all_in;

static void *alloc_some(void *arg)
{
    void *p = malloc(1000);
    pthread_barrier_wait(&all_in); /* no thread leaves its arena before all have one */
    free(p);
    return p ? arg : (void *)1;
}

static int do_threads(void)
{
    enum { N = 24 };
    pthread_t t[N];
    void *r = NULL;
    if (pthread_barrier_init(&all_in, NULL, N)) return 3;
    for (int i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, alloc_some, NULL)) return 3;
    for (int i = 0; i < N; i++) {
        void *ri;
        if (pthread_join(t[i], &ri)) return 3;
        if (ri) r = ri;
    }
    return r ? 4 : 0;
}

/* glibc's qsort of more than 1 KiB asks the machine's memory (sysinfo). */
static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

static int do_qsort(void)
{
    enum { N = 1000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = (void *)(uintptr_t)((i * 7919) % N);
    qsort(p, N, sizeof *p, cmp_ptr);
    for (int i = 0; i < N; i++)
        if (p[i] != (void *)(uintptr_t)i) return 3;
    return 0;
}

static int do_open(void)
{
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd >= 0 || errno != EACCES) return 3;
    fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
    return fd < 0 && errno == EACCES ? 0 : 4;
}

static int do_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 3;
}

static int do_fork(void)
{
    pid_t p = fork();
    if (p == 0) _exit(0);
    return p > 0 ? 0 : 3;
}

static int do_exec(void)
{
    char *argv[] = {"true", NULL};
    execv("/bin/true", argv);
    return 3;
}

typedef struct {
    const char *name;
    int (*run)(void);
    int sig; /* 0: must exit 0; else the signal that must end it */
} sb_case;

static const sb_case cases[] = {
    {"a thread's malloc arena grows and shrinks", do_arena, 0},
    {"24 threads allocate side by side", do_threads, 0},
    {"qsort of 8,000 bytes", do_qsort, 0},
    {"open and openat fail with EACCES", do_open, 0},
    {"socket kills", do_socket, SIGSYS},
    {"fork kills", do_fork, SIGSYS},
    {"exec kills", do_exec, SIGSYS},
};

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    unsigned pass = 0, fail = 0;
    /* The monitor starts its threads before its sandbox; glibc sets up its
     * thread signals (rt_sigaction, which the filter kills) at the first. */
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL)) return 2;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const sb_case *c = &cases[i];
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char why[200];
            if (!mon_sandbox(why, sizeof why)) {
                fprintf(stderr, "mon_sandbox: %s\n", why);
                _exit(2);
            }
            _exit(c->run());
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid) {
            printf("FAIL %s: fork or wait failed\n", c->name);
            fail++;
            continue;
        }
        bool ok = c->sig ? WIFSIGNALED(st) && WTERMSIG(st) == c->sig
                         : WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (ok) {
            printf("PASS %s\n", c->name);
            pass++;
        } else if (WIFSIGNALED(st)) {
            printf("FAIL %s: killed by signal %d\n", c->name, WTERMSIG(st));
            fail++;
        } else {
            printf("FAIL %s: exit %d\n", c->name, WEXITSTATUS(st));
            fail++;
        }
    }
    printf("%u passed, %u failed\n", pass, fail);
    return fail != 0;
}
