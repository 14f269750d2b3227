/* mon_mem.c - what a tenant's functions really use, and its limit.
 *
 * A tenant is charged, in bytes of 64 KiB frames, for:
 *   - each template of its functions (one per worker that ran the
 *     function, and the one a deploy builds to check it): the frames its
 *     memory owns after initialisation (ward_memory_private_pages: written
 *     pages, not the zero page; a flat memory owns all its pages), while
 *     the template lives;
 *   - each running trustlet: the frames its clone owns (pages it copied on
 *     write, pages it grew and wrote, its output) and the input regions it
 *     maps, measured when it starts and again when it ends (a memory never
 *     gives frames back, so the end is its peak), while it runs.
 * The tenant's limit (--tenant NAME:TOKEN:FUNCS:CONC:MEM) bounds that sum:
 *   - a template that does not fit fails (a deploy gets 429);
 *   - an invocation is refused (429) while the tenant is at its limit;
 *   - a running trustlet may grow its memory by the tenant's free room
 *     when it starts, and no further: the runtime's budget enforces it
 *     (its store's budget is charged the rest, so memory.grow fails
 *     beyond it, in the guest's own terms); an invocation that fails after
 *     such a refusal (ward_store_refusals tells) is reported as the
 *     tenant's limit (429, the guest's error in the message), not as the
 *     function's failure.
 * Trustlets of one tenant that start together each see the same free
 * room, so together they can pass the limit by what they grow at once;
 * the next admission sees it. The monitor's own bookkeeping (messages,
 * compiled code) is not charged.
 */
#include <stdio.h>

#include "monitor.h"

/* The tenants' memory counters have a lock of their own, taken last: a
 * template may be released with mon.lock held (a function removed). */
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;

/* The template stores' memory budget: large, but finite so that the room
 * left in it can be measured (store_room). */
#define MON_STORE_LIMIT (1ull << 46)

uint64_t mon_store_limit(void)
{
    return MON_STORE_LIMIT;
}

uint64_t mon_mem_owned(ward_memory *m, bool paged)
{
    if (!m) return 0;
    /* A flat memory has no frames to share: all of it is its own. */
    return (paged ? ward_memory_private_pages(m) : ward_memory_pages(m)) * MON_PAGE;
}

/* Charges bytes to t unless that would pass its limit; under mem_lock. */
static bool charge_locked(mon_tenant *t, uint64_t bytes)
{
    if (t->mem_in_use > t->max_mem || bytes > t->max_mem - t->mem_in_use) return false;
    t->mem_in_use += bytes;
    if (t->mem_in_use > t->mem_peak) t->mem_peak = t->mem_in_use;
    return true;
}

static void over_msg(const mon_tenant *t, uint64_t bytes, const char *what, char *msg, size_t cap)
{
    snprintf(msg, cap,
             "tenant %s is at its memory limit: %s needs %llu bytes more, %llu of %llu in use",
             t->name, what, (unsigned long long)bytes, (unsigned long long)t->mem_in_use,
             (unsigned long long)t->max_mem);
}

void mon_mem_release(mon_tenant *t, uint64_t bytes)
{
    if (!t || !bytes) return;
    pthread_mutex_lock(&mem_lock);
    t->mem_in_use -= bytes < t->mem_in_use ? bytes : t->mem_in_use;
    pthread_mutex_unlock(&mem_lock);
}

bool mon_tpl_charge(const mon_fn *fn, ward_instance *inst, uint64_t *charged, char *msg, size_t cap)
{
    *charged = 0;
    if (!fn->owner) return true;
    uint64_t bytes = mon_mem_owned(ward_instance_memory(inst, "memory"), fn->paged);
    pthread_mutex_lock(&mem_lock);
    bool ok = charge_locked(fn->owner, bytes);
    if (!ok) over_msg(fn->owner, bytes, "the template of its function", msg, cap);
    pthread_mutex_unlock(&mem_lock);
    if (ok) *charged = bytes;
    return ok;
}

/* The most that can be charged to s now (its budget's room): a binary
 * search with ward_store_charge, which charges nothing when it fails. */
static uint64_t store_room(ward_store *s)
{
    uint64_t lo = 0, hi = MON_STORE_LIMIT / MON_PAGE; /* in pages */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (ward_store_charge(s, mid * MON_PAGE)) {
            ward_store_uncharge(s, mid * MON_PAGE);
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo * MON_PAGE;
}

bool mon_trustlet_begin(mon_trustlet_mem *tm, const mon_fn *fn, ward_store *s, ward_memory *mem,
                        uint64_t in_bytes, char *msg, size_t cap)
{
    *tm = (mon_trustlet_mem){.t = fn->owner, .s = s, .paged = fn->paged};
    if (!tm->t) return true;
    uint64_t bytes = mon_mem_owned(mem, fn->paged) + in_bytes;
    pthread_mutex_lock(&mem_lock);
    bool ok = charge_locked(tm->t, bytes);
    uint64_t room = ok ? tm->t->max_mem - tm->t->mem_in_use : 0;
    if (!ok) over_msg(tm->t, bytes, "a trustlet", msg, cap);
    pthread_mutex_unlock(&mem_lock);
    if (!ok) return false;
    tm->charged = bytes;
    /* Growth beyond the tenant's room fails in the runtime: the store's
     * budget is charged all it has left but that room. */
    uint64_t left = store_room(s);
    tm->ballast = left > room ? left - room : 0;
    if (tm->ballast && !ward_store_charge(s, tm->ballast)) tm->ballast = 0;
    tm->refusals = ward_store_refusals(s);
    return true;
}

void mon_trustlet_end(mon_trustlet_mem *tm, ward_memory *mem)
{
    if (!tm->t) return;
    if (tm->ballast) ward_store_uncharge(tm->s, tm->ballast);
    uint64_t peak = mon_mem_owned(mem, tm->paged);
    pthread_mutex_lock(&mem_lock);
    /* Its peak counts towards the tenant's high-water mark. */
    uint64_t high = tm->t->mem_in_use - tm->charged + peak;
    if (high > tm->t->mem_peak) tm->t->mem_peak = high;
    tm->t->mem_in_use -= tm->charged < tm->t->mem_in_use ? tm->charged : tm->t->mem_in_use;
    pthread_mutex_unlock(&mem_lock);
    tm->charged = tm->ballast = 0;
}

bool mon_mem_blame(const mon_trustlet_mem *tm, const mon_fn *fn, ward_status st,
                   const ward_result *res, char *msg, size_t cap)
{
    /* Only the ballast limits the store's own budget: a refusal there
     * during the call is a growth the tenant's room did not allow. */
    if (!tm->t || !tm->ballast || ward_store_refusals(tm->s) == tm->refusals) return false;
    bool failed = (st == WARD_EXIT && res->exit_code != 0) ||
                  (st == WARD_TRAP && res->trap != WARD_TRAP_OUT_OF_FUEL &&
                   res->trap != WARD_TRAP_DEADLINE && res->trap != WARD_TRAP_INTERRUPTED);
    if (!failed) return false;
    char what[120];
    if (st == WARD_EXIT)
        snprintf(what, sizeof what, "exit code %d", res->exit_code);
    else
        snprintf(what, sizeof what, "%.110s", res->message);
    snprintf(msg, cap,
             "%s failed (%s) with its memory bounded by tenant %s's memory limit (%llu bytes)",
             fn->name, what, tm->t->name, (unsigned long long)tm->t->max_mem);
    return true;
}

bool mon_mem_admit(mon_tenant *t, uint64_t bytes, char *msg, size_t cap)
{
    pthread_mutex_lock(&mem_lock);
    bool ok = t->mem_in_use <= t->max_mem && bytes <= t->max_mem - t->mem_in_use;
    if (!ok)
        snprintf(msg, cap,
                 "tenant %s is at its memory limit: %llu of %llu bytes in use, the input needs "
                 "%llu",
                 t->name, (unsigned long long)t->mem_in_use, (unsigned long long)t->max_mem,
                 (unsigned long long)bytes);
    pthread_mutex_unlock(&mem_lock);
    return ok;
}

void mon_mem_read(const mon_tenant *t, uint64_t *now, uint64_t *peak)
{
    pthread_mutex_lock(&mem_lock);
    *now = t->mem_in_use;
    *peak = t->mem_peak;
    pthread_mutex_unlock(&mem_lock);
}
