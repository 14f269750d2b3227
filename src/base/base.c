/* base.c - allocation wrappers, error formatting, the trap and error tables. */
#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const trap_messages[] = {
#define W_TRAP_PUBLIC_MSG(pub, name, msg) msg,
    WARD_TRAP_LIST(W_TRAP_PUBLIC_MSG)
#undef W_TRAP_PUBLIC_MSG
#define W_TRAP_INTERNAL_MSG(name, msg) msg,
        W_TRAP_INTERNAL_LIST(W_TRAP_INTERNAL_MSG)
#undef W_TRAP_INTERNAL_MSG
};

const char *w_trap_message(w_trap t)
{
    if ((unsigned)t >= W_TRAP_COUNT_) return "unknown trap";
    return trap_messages[t];
}

/* ---- error codes ---------------------------------------------------------------- */

static const struct {
    const char *name, *description;
    w_errcat category;
} err_table[] = {
#define W_ERR_ROW(name, category, description) {#name, description, W_CAT_##category},
    WARD_ERROR_LIST(W_ERR_ROW)
#undef W_ERR_ROW
};

static const char *const category_texts[] = {
#define W_CAT_TEXT(name, description) description,
    WARD_CATEGORY_LIST(W_CAT_TEXT)
#undef W_CAT_TEXT
};

const char *w_err_name(w_errcode code)
{
    if ((unsigned)code >= W_ERR_COUNT_) return "UNKNOWN";
    return err_table[code].name;
}

const char *w_err_description(w_errcode code)
{
    if ((unsigned)code >= W_ERR_COUNT_) return "unknown error code";
    return err_table[code].description;
}

w_errcat w_err_category(w_errcode code)
{
    if ((unsigned)code >= W_ERR_COUNT_) return W_CAT_NONE;
    return err_table[code].category;
}

const char *w_err_category_text(w_errcat category)
{
    if ((unsigned)category >= W_CAT_COUNT_) return "unknown category";
    return category_texts[category];
}

static bool vfail(w_err *e, w_errcode code, bool has_off, size_t offset, const char *fmt,
                  va_list ap)
{
    if (!e) return false;
    e->code = code;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    e->offset = offset;
    e->has_offset = has_off;
    return false;
}

bool w_fail(w_err *e, w_errcode code, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, true, offset, fmt, ap);
    va_end(ap);
    return false;
}

bool w_fail_nooff(w_err *e, w_errcode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, false, 0, fmt, ap);
    va_end(ap);
    return false;
}

/* Failure injection for tests: fail_countdown counts successful allocations
 * left before one fails; negative means never fail. */
static long fail_countdown = -1;

void w_alloc_fail_after(long n)
{
    fail_countdown = n;
}

static bool injected_failure(void)
{
    if (fail_countdown < 0) return false;
    if (fail_countdown == 0) return true;
    fail_countdown--;
    return false;
}

static const w_alloc_hooks libc_hooks = {malloc, calloc, realloc, free};
static const w_alloc_hooks *hooks = &libc_hooks;

void w_alloc_set_hooks(const w_alloc_hooks *h)
{
    hooks = h ? h : &libc_hooks;
}

void *w_malloc(size_t n)
{
    if (injected_failure()) return NULL;
    return hooks->malloc(n ? n : 1);
}

void *w_calloc(size_t n, size_t size)
{
    if (injected_failure()) return NULL;
    if (n == 0 || size == 0) return hooks->calloc(1, 1);
    return hooks->calloc(n, size);
}

void *w_realloc(void *p, size_t n)
{
    if (injected_failure()) return NULL;
    return hooks->realloc(p, n ? n : 1);
}

void *w_realloc_array(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) return NULL;
    return w_realloc(p, bytes);
}

void w_free(void *p)
{
    hooks->free(p);
}

char *w_strndup(const char *s, size_t n)
{
    char *d = w_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void sort_swap(unsigned char *a, unsigned char *b, size_t size)
{
    while (size--) {
        unsigned char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Moves element i down the max-heap of the first n elements. */
static void sort_sift(unsigned char *base, size_t i, size_t n, size_t size,
                      int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) return;
        if (c + 1 < n && cmp(base + (c + 1) * size, base + c * size) > 0) c++;
        if (cmp(base + i * size, base + c * size) >= 0) return;
        sort_swap(base + i * size, base + c * size, size);
        i = c;
    }
}

void w_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    unsigned char *b = base;
    for (size_t i = n / 2; i-- > 0;)
        sort_sift(b, i, n, size, cmp);
    for (size_t k = n; k-- > 1;) {
        sort_swap(b, b + k * size, size);
        sort_sift(b, 0, k, size, cmp);
    }
}
