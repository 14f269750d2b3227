/* budget.c - the accounting of what a tenant may make the host allocate
 * (see w_budget in base.h).
 *
 * The rule that keeps it simple: whoever allocates on a guest's behalf
 * charges first and allocates after, and gives back exactly what it
 * charged when it frees. Nothing here allocates, so a charge cannot fail
 * for any reason but the limits.
 */
#include "base/base.h"

void w_budget_init(w_budget *b, const char *what, w_budget *parent, uint64_t mem_limit,
                   uint64_t vm_limit)
{
    b->what = what;
    b->parent = parent;
    b->mem_limit = mem_limit;
    b->vm_limit = vm_limit;
    b->mem_used = 0;
    b->vm_used = 0;
    b->refused = 0;
}

/* Would `want` more fit under `limit` with `used` already taken? */
static bool budget_room(uint64_t used, uint64_t want, uint64_t limit)
{
    return used <= limit && want <= limit - used;
}

bool w_budget_fits(const w_budget *b, uint64_t mem, uint64_t vm, w_err *err)
{
    for (; b; b = b->parent) {
        if (!budget_room(b->mem_used, mem, b->mem_limit))
            return w_fail_nooff(err, W_ERR_BUDGET_EXCEEDED,
                                "%s memory budget exceeded: %llu bytes more, %llu of %llu in use",
                                b->what, (unsigned long long)mem, (unsigned long long)b->mem_used,
                                (unsigned long long)b->mem_limit);
        if (!budget_room(b->vm_used, vm, b->vm_limit))
            return w_fail_nooff(
                err, W_ERR_BUDGET_EXCEEDED,
                "%s address-space budget exceeded: %llu bytes more, %llu of %llu reserved", b->what,
                (unsigned long long)vm, (unsigned long long)b->vm_used,
                (unsigned long long)b->vm_limit);
    }
    return true;
}

bool w_budget_charge(w_budget *b, uint64_t mem, uint64_t vm, w_err *err)
{
    if (!w_budget_fits(b, mem, vm, err)) {
        /* Counted at the level that refused (ward_store_refusals). */
        for (; b; b = b->parent)
            if (!budget_room(b->mem_used, mem, b->mem_limit) ||
                !budget_room(b->vm_used, vm, b->vm_limit)) {
                b->refused++;
                break;
            }
        return false;
    }
    for (; b; b = b->parent) {
        b->mem_used += mem;
        b->vm_used += vm;
    }
    return true;
}

void w_budget_release(w_budget *b, uint64_t mem, uint64_t vm)
{
    /* A release never exceeds what was charged; the clamps only keep a
     * bookkeeping mistake from wrapping around into "no room at all". */
    for (; b; b = b->parent) {
        b->mem_used -= mem < b->mem_used ? mem : b->mem_used;
        b->vm_used -= vm < b->vm_used ? vm : b->vm_used;
    }
}
