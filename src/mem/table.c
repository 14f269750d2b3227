/* table.c - tables of references (funcref or externref), the memory layer's
 * other object. Elements are 64-bit: a function's address or a host value,
 * 0 for null. A table is charged to its owner's budget for every element
 * (W_TABLE_ELEM_BYTES) before the elements are allocated. */
#include "mem/mem.h"

bool tbl_init(w_table *t, w_valtype type, uint64_t min, uint64_t max, bool has_max,
              uint64_t declared_max, w_budget *budget, w_err *err)
{
    memset(t, 0, sizeof *t);
    if (min > max)
        return w_fail_nooff(err, W_ERR_TABLE_LIMIT,
                            "table of %llu elements exceeds the limit of %llu",
                            (unsigned long long)min, (unsigned long long)max);
    if (!w_budget_charge(budget, min * W_TABLE_ELEM_BYTES, 0, err)) return false;
    t->elems = w_calloc((size_t)min, sizeof *t->elems);
    if (!t->elems) {
        w_budget_release(budget, min * W_TABLE_ELEM_BYTES, 0);
        return w_fail_nooff(err, W_ERR_OUT_OF_MEMORY, "out of memory");
    }
    t->size = (uint32_t)min;
    t->max = (uint32_t)max;
    t->has_max = has_max;
    t->declared_max = declared_max;
    t->type = type;
    t->budget = budget;
    return true;
}

bool tbl_clone(w_table *dst, const w_table *src, w_budget *budget, w_err *err)
{
    if (!tbl_init(dst, src->type, src->size, src->max, src->has_max, src->declared_max, budget,
                  err))
        return false;
    if (src->size) memcpy(dst->elems, src->elems, (size_t)src->size * sizeof *src->elems);
    return true;
}

int64_t tbl_grow(w_table *t, uint32_t delta, uint64_t init)
{
    uint32_t old = t->size;
    if (delta == 0) return old;
    if (delta > t->max - old) return -1;
    if (!w_budget_charge(t->budget, (uint64_t)delta * W_TABLE_ELEM_BYTES, 0, NULL)) return -1;
    uint64_t *e = w_realloc_array(t->elems, (size_t)old + delta, sizeof *e);
    if (!e) {
        w_budget_release(t->budget, (uint64_t)delta * W_TABLE_ELEM_BYTES, 0);
        return -1;
    }
    for (uint32_t i = old; i < old + delta; i++)
        e[i] = init;
    t->elems = e;
    t->size = old + delta;
    return old;
}

void tbl_release(w_table *t)
{
    w_budget_release(t->budget, (uint64_t)t->size * W_TABLE_ELEM_BYTES, 0);
    w_free(t->elems);
    t->elems = NULL;
    t->size = 0;
    t->budget = NULL;
}
