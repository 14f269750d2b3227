/* mon_sandbox.c - the monitor's seccomp filter (libseccomp).
 *
 * Installed after start-up (workers running, the runtime's watchdog
 * thread started) on every thread of the process (TSYNC). What remains is
 * what a running monitor needs: reading and writing descriptors it already
 * holds (the gateway connection and the supervisor's control socket, over
 * which new connections arrive as SCM_RIGHTS), memory (mmap without files,
 * mprotect, madvise, munmap, mremap, brk), futexes, clocks, getrandom, its
 * own CPU mask and the machine's memory (sysinfo), and leaving. No socket, no connect, no exec, no
 * fork (clone only with CLONE_THREAD); anything else kills the process, except open and openat,
 * which fail with EACCES.
 *
 * glibc's malloc does two things on its own, at any time: the first time
 * a thread's arena shrinks (a large free on a worker or deploy thread) it
 * opens /proc/sys/vm/overcommit_memory, and does without if it cannot;
 * once more threads allocate than it has arenas (8) it counts the CPUs
 * (/sys/devices/system/cpu/online, else sched_getaffinity) to size their
 * number. The first killed the monitor in the serve tests (memory freed
 * while a gateway reconnected); the second is not seen while every thread
 * allocates before the filter, but nothing keeps it so. glibc's qsort, the
 * first time it sorts more than 1 KiB, asks sysinfo for the machine's
 * memory: that killed the monitor at the deploy of any module with 128
 * exports or types (libward sorts with w_sort now, but the monitor's own
 * code may use libc's). tests/serve/sandbox.c does all three.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor.h"

static const char *const allowed[] = {
    "read",
    "write",
    "readv",
    "writev",
    "recvmsg",
    "sendmsg",
    "close",
    "poll",
    "ppoll",
    "mmap",
    "munmap",
    "mprotect",
    "madvise",
    "mremap",
    "brk",
    "futex",
    "clock_gettime",
    "clock_nanosleep",
    "nanosleep",
    "getrandom",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "rt_sigprocmask",
    "sched_yield",
    "getpid",
    "gettid",
    "set_robust_list",
    "rseq",
    "sched_getaffinity",
    "sysinfo",
    "clone (CLONE_THREAD only)",
    "open and openat (fail: EACCES)",
};

const char *mon_sandbox_allowed(void)
{
    static char list[600];
    if (!list[0])
        for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
            if (i) strncat(list, " ", sizeof list - strlen(list) - 1);
            strncat(list, allowed[i], sizeof list - strlen(list) - 1);
        }
    return list;
}

bool mon_sandbox(char *why, size_t cap)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) return snprintf(why, cap, "seccomp_init failed"), false;
    int rc = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed && !rc; i++) {
        if (strchr(allowed[i], ' ')) continue; /* the rules below */
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr == __NR_SCMP_ERROR) continue; /* not on this architecture */
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    /* mmap of anonymous memory only: a file mapping would need a descriptor
     * of a file, which the monitor cannot open anyway; refused for clarity. */
    /* Threads, never processes: clone must carry CLONE_THREAD; clone3's
     * flags sit in memory a filter cannot read, so it fails with ENOSYS and
     * glibc falls back to clone. */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
    if (!rc && seccomp_syscall_resolve_name("open") != __NR_SCMP_ERROR)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
    if (!rc) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (!rc) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc) snprintf(why, cap, "loading the filter failed (%s)", strerror(-rc));
    return rc == 0;
}
