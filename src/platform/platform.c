/* platform.c - the OS services listed in platform.h, for Linux.
 *
 * The watchdog is one detached thread, started lazily, that sleeps on a
 * condition variable (monotonic clock) until the earliest registered deadline.
 * Registrations form an intrusive list guarded by one mutex; the thread sets
 * flags only while holding that mutex, which is what lets plat_watch_remove()
 * promise that a flag is never touched after it returns.
 */
#include "platform/platform.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

void plat_discard(void *p, uint64_t size)
{
    if (p && size) (void)madvise(p, (size_t)size, MADV_DONTNEED);
}

void plat_release(void *p, uint64_t size)
{
    if (p && size) munmap(p, (size_t)size);
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

/* ---- watchdog ------------------------------------------------------------------ */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static pthread_once_t wd_cond_once = PTHREAD_ONCE_INIT;
static bool wd_cond_ok;
static bool wd_started;     /* guarded by wd_lock */
static plat_watch *wd_list; /* guarded by wd_lock; unsorted, usually 0-2 entries */

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
                *w->flag = 1;
                wd_unlink(w);
            } else if (!earliest || w->deadline_ns < earliest->deadline_ns) {
                earliest = w;
            }
            w = next;
        }
        if (!earliest) {
            pthread_cond_wait(&wd_cond, &wd_lock);
        } else {
            struct timespec ts;
            ts.tv_sec = (time_t)(earliest->deadline_ns / 1000000000ull);
            ts.tv_nsec = (long)(earliest->deadline_ns % 1000000000ull);
            pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
        }
    }
    return NULL;
}

bool plat_watch_add(plat_watch *w, uint64_t deadline_ns, volatile int *flag)
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
    w->next = wd_list;
    w->linked = true;
    wd_list = w;
    /* The new deadline may be earlier than the one the thread sleeps on. */
    pthread_cond_signal(&wd_cond);
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
