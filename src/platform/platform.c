/* platform.c - the OS services listed in platform.h, for Linux.
 *
 * The watchdog is one detached thread, started lazily, that sleeps on a
 * condition variable (monotonic clock) until the earliest registered deadline.
 * Registrations form an intrusive list guarded by one mutex; the thread sets
 * flags only while holding that mutex, which is what lets plat_watch_remove()
 * promise that a flag is never touched after it returns.
 *
 * Registering must be cheap: a serverless node arms a deadline for every
 * invocation of a few microseconds. So the thread is woken only when a new
 * deadline is earlier than the time it already sleeps until. Deadlines of
 * calls that come one after another with the same timeout only ever move
 * later, so after the first one the thread is left asleep; it wakes at the
 * old time, finds that deadline gone or not yet due, and sleeps again until
 * the earliest one left. Adding and removing are then a lock and an unlock
 * each, with no system call.
 */
#include "platform/platform.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

size_t plat_page_size(void)
{
    static size_t cached;
    if (!cached) {
        long v = sysconf(_SC_PAGESIZE);
        cached = v > 0 ? (size_t)v : 4096u;
    }
    return cached;
}

void *plat_reserve(uint64_t size)
{
    if (size == 0 || size > (uint64_t)SIZE_MAX) return NULL;
    /* MAP_NORESERVE: a reservation of many GiB must not count against the
     * commit limit; only committed pages that are touched use memory. */
    void *p =
        mmap(NULL, (size_t)size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *plat_map(uint64_t size)
{
    if (size == 0 || size > (uint64_t)SIZE_MAX) return NULL;
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

bool plat_commit(void *p, uint64_t size)
{
    if (size == 0) return true;
    return mprotect(p, (size_t)size, PROT_READ | PROT_WRITE) == 0;
}

bool plat_decommit(void *p, uint64_t size)
{
    if (size == 0) return true;
    return mprotect(p, (size_t)size, PROT_NONE) == 0;
}

void plat_discard(void *p, uint64_t size)
{
    if (p && size) (void)madvise(p, (size_t)size, MADV_DONTNEED);
}

void plat_release(void *p, uint64_t size)
{
    if (p && size) munmap(p, (size_t)size);
}

bool plat_protect(void *p, uint64_t size, bool exec)
{
    if (size == 0) return true;
    return mprotect(p, (size_t)size, PROT_READ | (exec ? PROT_EXEC : 0)) == 0;
}

void plat_advise_huge(void *p, uint64_t size)
{
#ifdef MADV_HUGEPAGE
    if (p && size) (void)madvise(p, (size_t)size, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

uint64_t plat_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool plat_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        /* getrandom returns at most 32 MiB per call and may be interrupted. */
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- native stack ------------------------------------------------------------------ */

/* The kernel keeps this gap between a growing stack and the mapping below
 * it (stack_guard_gap, 256 pages by default). */
#define PLAT_STACK_GUARD_GAP ((uintptr_t)1 << 20)
/* The most the main thread's budget assumes: with no RLIMIT_STACK, the
 * mapping below its stack may be arbitrarily far (and new ones may come). */
#define PLAT_MAIN_STACK_MAX ((uintptr_t)64 << 20)

/* The calling thread's stack, found on first use: frames may run from
 * st_hi down to st_lo; [st_base, st_lo) may belong to it too, but is kept
 * free (the guard gap, or what a guess leaves out); all zero when unknown. */
static _Thread_local bool st_known;
static _Thread_local uintptr_t st_base, st_lo, st_hi;

/* The main thread's budget when glibc cannot read /proc/self/maps (say,
 * under a seccomp filter): half the stack limit below the first frame seen,
 * which assumes no more than the other half is in use above it. */
static void st_main_fallback(uintptr_t here, rlim_t lim)
{
    uintptr_t size =
        lim == RLIM_INFINITY || lim > PLAT_MAIN_STACK_MAX ? PLAT_MAIN_STACK_MAX : (uintptr_t)lim;
    if (here > size) {
        st_base = here - size;
        st_lo = here - size / 2;
        st_hi = here;
    }
}

static void st_find(uintptr_t here)
{
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    bool main_thread = gettid() == getpid();
    struct rlimit rl;
    bool have_rl = getrlimit(RLIMIT_STACK, &rl) == 0;

    st_known = true;
    if (pthread_getattr_np(pthread_self(), &a) != 0) {
        if (main_thread && have_rl) st_main_fallback(here, rl.rlim_cur);
        return;
    }
    bool got = pthread_attr_getstack(&a, &addr, &size) == 0;
    pthread_attr_destroy(&a);
    if (!got || !addr || !size) return;
    uintptr_t base = (uintptr_t)addr, lo = base, hi = base + size;
    if (main_thread && have_rl) {
        /* glibc reports the main stack as RLIMIT_STACK (less what the
         * arguments and environment use above the frames, which the kernel
         * caps at a quarter of it), cut at the end of the mapping below.
         * Cut there, the kernel's guard gap must stay free too; and with no
         * limit, that mapping may be arbitrarily far away. */
        rlim_t lim = rl.rlim_cur;
        if (lim == RLIM_INFINITY || size < lim - lim / 4) lo += PLAT_STACK_GUARD_GAP;
        if (hi - lo > PLAT_MAIN_STACK_MAX) lo = hi - PLAT_MAIN_STACK_MAX;
    }
    if (lo < here && here <= hi) {
        st_base = base;
        st_lo = lo;
        st_hi = hi;
    }
}

uintptr_t plat_stack_limit(void)
{
    if (!st_known) st_find((uintptr_t)__builtin_frame_address(0));
    return st_lo;
}

size_t plat_stack_left(void)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (W_UNLIKELY(!st_known)) st_find(here);
    if (W_LIKELY(here > st_lo && here <= st_hi)) return (size_t)(here - st_lo);
    /* Past the budget but still on this stack: nothing left. Anywhere else
     * (a coroutine's stack, or none known): no budget can be given. */
    return here >= st_base && here <= st_hi ? 0 : SIZE_MAX;
}

/* ---- faults --------------------------------------------------------------------
 * One handler for SIGSEGV and SIGBUS, installed once. It asks the callback
 * about faults the kernel raised (si_code > 0) and chains everything else,
 * and whatever the callback returns from, to the handler found at install
 * time: that handler's own function, or the default action (the handler is
 * reset to SIG_DFL and the faulting instruction runs again, so the process
 * dies of the same signal at the same place, with its core dump). The
 * handler runs on the thread's alternate signal stack if it has one
 * (SA_ONSTACK), as the one it replaces may have asked for, and SA_NODEFER
 * keeps the signal unblocked inside it: a callback leaving by siglongjmp to
 * a sigsetjmp(buf, 0) leaves the signal mask as it was, without a system
 * call on every sigsetjmp. */

static _Atomic(plat_fault_fn) fault_fn;
static struct sigaction fault_old_segv, fault_old_bus;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static bool fault_installed; /* guarded by fault_lock */

static uintptr_t fault_pc(const void *uctx)
{
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static void fault_chain(int sig, siginfo_t *si, void *uctx)
{
    const struct sigaction *old = sig == SIGBUS ? &fault_old_bus : &fault_old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        old->sa_sigaction(sig, si, uctx);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else {
        /* As without us: the default action when the instruction runs
         * again (a fault), or now (a signal sent to the process). */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        if (si->si_code <= 0) raise(sig);
    }
}

/* The context of the fault this thread's fault fn is handling (NULL
 * outside one): what plat_fault_gpr reads. A fn that leaves with
 * siglongjmp leaves it set; the next fault replaces it, and only a fault
 * fn reads it. */
static _Thread_local const void *fault_uctx;

bool plat_fault_gpr(unsigned r, uint64_t *v)
{
    const ucontext_t *uc = fault_uctx;
    if (!uc || r > 15) return false;
#if defined(__x86_64__)
    static const unsigned char greg[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                           REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                           REG_R12, REG_R13, REG_R14, REG_R15};
    *v = (uint64_t)uc->uc_mcontext.gregs[greg[r]];
    return true;
#else
    (void)v;
    return false;
#endif
}

static void fault_handler(int sig, siginfo_t *si, void *uctx)
{
    int saved = errno;
    plat_fault_fn fn = atomic_load_explicit(&fault_fn, memory_order_acquire);
    if (fn && si->si_code > 0) {
        fault_uctx = uctx;
        fn(fault_pc(uctx), (uintptr_t)si->si_addr);
        fault_uctx = NULL;
    }
    errno = saved;
    fault_chain(sig, si, uctx);
}

bool plat_fault_install(plat_fault_fn fn)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
    (void)fn;
    return false;
#else
    bool ok = true;
    pthread_mutex_lock(&fault_lock);
    if (!fault_installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = fault_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        atomic_store_explicit(&fault_fn, fn, memory_order_release);
        ok = sigaction(SIGSEGV, &sa, &fault_old_segv) == 0 &&
             sigaction(SIGBUS, &sa, &fault_old_bus) == 0;
        fault_installed = ok;
    }
    pthread_mutex_unlock(&fault_lock);
    return ok;
#endif
}

/* ---- watchdog ------------------------------------------------------------------ */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static pthread_once_t wd_cond_once = PTHREAD_ONCE_INIT;
static bool wd_cond_ok;
static bool wd_started;     /* guarded by wd_lock */
static plat_watch *wd_list; /* guarded by wd_lock; unsorted, one entry per running call */
/* Guarded by wd_lock: the time the thread sleeps until (UINT64_MAX: until
 * woken), 0 while it is scanning the list (it sees every entry then). */
static uint64_t wd_wake_at;

static void wd_cond_init(void)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0) return;
    /* Deadlines are monotonic; a wall-clock change must not delay them. */
    if (pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&wd_cond, &a) == 0)
        wd_cond_ok = true;
    pthread_condattr_destroy(&a);
}

static void wd_unlink(plat_watch *w)
{
    for (plat_watch **pp = &wd_list; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    w->next = NULL;
    w->linked = false;
}

static void *wd_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd_lock);
    for (;;) {
        uint64_t now = plat_now_ns();
        plat_watch *earliest = NULL;
        plat_watch *w = wd_list;
        while (w) {
            plat_watch *next = w->next;
            if (w->deadline_ns <= now) {
                int none = 0;
                atomic_compare_exchange_strong_explicit(w->flag, &none, w->value,
                                                        memory_order_release, memory_order_relaxed);
                wd_unlink(w);
            } else if (!earliest || w->deadline_ns < earliest->deadline_ns) {
                earliest = w;
            }
            w = next;
        }
        if (!earliest) {
            wd_wake_at = UINT64_MAX;
            pthread_cond_wait(&wd_cond, &wd_lock);
        } else {
            struct timespec ts;
            wd_wake_at = earliest->deadline_ns;
            ts.tv_sec = (time_t)(earliest->deadline_ns / 1000000000ull);
            ts.tv_nsec = (long)(earliest->deadline_ns % 1000000000ull);
            pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
        }
        wd_wake_at = 0;
    }
    return NULL;
}

bool plat_watch_add(plat_watch *w, uint64_t deadline_ns, atomic_int *flag, int value)
{
    bool ok = false;
    pthread_once(&wd_cond_once, wd_cond_init);
    if (!wd_cond_ok) return false;
    pthread_mutex_lock(&wd_lock);
    if (!wd_started) {
        pthread_t t;
        pthread_attr_t a;
        if (pthread_attr_init(&a) != 0) goto out;
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        /* The thread only loops over a list: a small stack is plenty. */
        pthread_attr_setstacksize(&a, 64 * 1024);
        int rc = pthread_create(&t, &a, wd_main, NULL);
        pthread_attr_destroy(&a);
        if (rc != 0) goto out;
        wd_started = true;
    }
    if (w->linked) wd_unlink(w);
    w->deadline_ns = deadline_ns;
    w->flag = flag;
    w->value = value;
    w->next = wd_list;
    w->linked = true;
    wd_list = w;
    /* Wake the thread only if it would sleep past the new deadline. */
    if (deadline_ns < wd_wake_at) pthread_cond_signal(&wd_cond);
    ok = true;
out:
    pthread_mutex_unlock(&wd_lock);
    return ok;
}

void plat_watch_remove(plat_watch *w)
{
    pthread_mutex_lock(&wd_lock);
    if (w->linked) wd_unlink(w);
    pthread_mutex_unlock(&wd_lock);
}

/* ---- background work ------------------------------------------------------------ */

typedef struct plat_job {
    void (*fn)(void *);
    void *arg;
} plat_job;

static void *plat_job_main(void *p)
{
    plat_job job = *(plat_job *)p;
    w_free(p);
    job.fn(job.arg);
    return NULL;
}

bool plat_thread_run(void (*fn)(void *), void *arg)
{
    plat_job *job = w_malloc(sizeof *job);
    if (!job) return false;
    job->fn = fn;
    job->arg = arg;
    pthread_t t;
    pthread_attr_t a;
    if (pthread_attr_init(&a) != 0) {
        w_free(job);
        return false;
    }
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 8u << 20);
    int rc = pthread_create(&t, &a, plat_job_main, job);
    pthread_attr_destroy(&a);
    if (rc != 0) w_free(job);
    return rc == 0;
}

void plat_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

#if defined(__x86_64__)
/* The words are the ones LLVM 19's getHostCPUName and getHostCPUFeatures
 * read (llvm/lib/TargetParser/Host.cpp, read for the list of leaves). */
bool plat_cpu_identity(uint8_t id[32], char brand[49])
{
    uint32_t w[40], n = 0, a, b, c, d, max, ext;
    memset(w, 0, sizeof w);
    memset(brand, 0, 49);
    if (!__get_cpuid(0, &max, &b, &c, &d)) return false;
    w[n++] = max, w[n++] = b, w[n++] = c, w[n++] = d; /* the vendor */
    __cpuid(1, a, b, c, d);
    w[n++] = a & 0x0fff3ff0u; /* family and model, not the stepping */
    w[n++] = c, w[n++] = d;   /* not b: the core's APIC id */
    bool osxsave = c & (1u << 27);
    static const uint32_t leaves[][2] = {{7, 0}, {7, 1}, {0xd, 1}, {0x14, 0}, {0x19, 0}, {0x24, 0}};
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        a = b = c = d = 0;
        if (leaves[i][0] <= max) __cpuid_count(leaves[i][0], leaves[i][1], a, b, c, d);
        w[n++] = a, w[n++] = b, w[n++] = c, w[n++] = d;
    }
    __cpuid(0x80000000u, ext, b, c, d);
    w[n++] = ext;
    for (uint32_t leaf = 0x80000001u; leaf <= 0x80000008u; leaf += 7) {
        a = b = c = d = 0;
        if (leaf <= ext) __cpuid(leaf, a, b, c, d);
        w[n++] = b, w[n++] = c, w[n++] = d;
    }
    if (osxsave) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        w[n++] = lo, w[n++] = hi;
    }
    if (ext >= 0x80000004u) {
        uint32_t r[12];
        for (uint32_t i = 0; i < 3; i++)
            __cpuid(0x80000002u + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
        char s[49];
        memcpy(s, r, 48);
        s[48] = 0;
        const char *p = s;
        while (*p == ' ')
            p++;
        size_t k = strlen(p);
        while (k && p[k - 1] == ' ')
            k--;
        memcpy(brand, p, k); /* brand was zeroed: NUL-terminated */
    }
    uint8_t le[sizeof w];
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < 4; j++)
            le[4 * i + j] = (uint8_t)(w[i] >> (8 * j));
    w_blake3(le, 4 * (size_t)n, id);
    return true;
}
#else
bool plat_cpu_identity(uint8_t id[32], char brand[49])
{
    memset(id, 0, 32);
    brand[0] = 0;
    return false;
}
#endif
