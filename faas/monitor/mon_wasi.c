/* mon_wasi.c - a trustlet's WASI: wasi_snapshot_preview1 reduced to what a
 * function needs. Standard input reads the invocation's input pages,
 * standard output appends to its output pages, standard error is dropped;
 * arguments are the function's name, the environment is its manifest's;
 * clocks and random work; there are no files, no directories (no
 * preopens), no sockets: every other call returns ENOSYS (52). Also the
 * import module ward:io (include/ward_guest_io.h) for guests that read
 * their input and write their output in place.
 *
 * Guest memory is reached only through ward_memory_read/write/span, which
 * check bounds and page permissions (the input pages are read-only).
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "monitor.h"

enum {
    E_OK = 0,
    E_BADF = 8,
    E_FAULT = 21,
    E_INVAL = 28,
    E_IO = 29,
    E_NOSYS = 52,
    E_SPIPE = 70,
};

/* The trustlet a call runs in: the host functions belong to the template's
 * store and are shared by clones running in every worker's store; each
 * store's data is its worker's mon_io (mon_run.c). */
static mon_io *io_of(ward_caller *c)
{
    return ward_store_data(ward_caller_store(c));
}

static int ret_errno(ward_val *results, int32_t e)
{
    results[0].of.i32 = e;
    return 0;
}

static bool put32(ward_memory *m, uint64_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return ward_memory_write(m, addr, b, 4);
}

static bool put64(ward_memory *m, uint64_t addr, uint64_t v)
{
    return put32(m, addr, (uint32_t)v) && put32(m, addr + 4, (uint32_t)(v >> 32));
}

static bool get32(ward_memory *m, uint64_t addr, uint32_t *v)
{
    uint8_t b[4];
    if (!ward_memory_read(m, addr, b, 4)) return false;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

/* Copies n bytes inside one memory (from the input pages, or into the
 * output pages), a run of pages at a time. */
static bool mem_copy(ward_memory *m, uint64_t dst, uint64_t src, uint64_t n)
{
    while (n) {
        size_t a, b;
        const void *s = ward_memory_span(m, src, n, false, &a);
        if (!s) return false;
        void *d = ward_memory_span(m, dst, a, true, &b);
        if (!d) return false;
        memmove(d, s, b);
        src += b;
        dst += b;
        n -= b;
    }
    return true;
}

/* ---- args and environment ---------------------------------------------------- */

/* Writes count strings: pointers at ptrs, bytes at buf. */
static int put_strings(ward_memory *m, const char *const *v, uint32_t n, uint32_t ptrs,
                       uint32_t buf)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        if (!put32(m, ptrs + 4ull * i, buf) || !ward_memory_write(m, buf, v[i], len))
            return E_FAULT;
        buf += (uint32_t)len;
    }
    return E_OK;
}

static int sizes(ward_memory *m, const char *const *v, uint32_t n, uint32_t count_ptr,
                 uint32_t size_ptr)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += (uint32_t)strlen(v[i]) + 1;
    return put32(m, count_ptr, n) && put32(m, size_ptr, total) ? E_OK : E_FAULT;
}

static int w_args_sizes_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    const char *argv[1] = {io->fn->name};
    return ret_errno(
        r, sizes(ward_caller_memory(c), argv, 1, (uint32_t)a[0].of.i32, (uint32_t)a[1].of.i32));
}

static int w_args_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    const char *argv[1] = {io->fn->name};
    return ret_errno(r, put_strings(ward_caller_memory(c), argv, 1, (uint32_t)a[0].of.i32,
                                    (uint32_t)a[1].of.i32));
}

static int w_environ_sizes_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    return ret_errno(r, sizes(ward_caller_memory(c), (const char *const *)io->fn->env, io->fn->nenv,
                              (uint32_t)a[0].of.i32, (uint32_t)a[1].of.i32));
}

static int w_environ_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    return ret_errno(r, put_strings(ward_caller_memory(c), (const char *const *)io->fn->env,
                                    io->fn->nenv, (uint32_t)a[0].of.i32, (uint32_t)a[1].of.i32));
}

/* ---- standard streams ----------------------------------------------------------- */

static int w_fd_write(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    ward_memory *m = ward_caller_memory(c);
    int32_t fd = a[0].of.i32;
    uint32_t iovs = (uint32_t)a[1].of.i32, n = (uint32_t)a[2].of.i32, total = 0;
    if (fd != 1 && fd != 2) return ret_errno(r, E_BADF);
    if (!m) return ret_errno(r, E_FAULT);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t base, len;
        if (!get32(m, iovs + 8ull * i, &base) || !get32(m, iovs + 8ull * i + 4, &len))
            return ret_errno(r, E_FAULT);
        if (fd == 1) {
            if (len > io->out_cap - io->out_len) {
                io->out_overflow = true;
                return ward_caller_trap(c, "output larger than the function's output limit");
            }
            if (!mem_copy(m, io->out_addr + io->out_len, base, len)) return ret_errno(r, E_FAULT);
            io->out_len += len;
        }
        total += len;
    }
    return ret_errno(r, put32(m, (uint32_t)a[3].of.i32, total) ? E_OK : E_FAULT);
}

static int w_fd_read(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    ward_memory *m = ward_caller_memory(c);
    uint32_t iovs = (uint32_t)a[1].of.i32, n = (uint32_t)a[2].of.i32, total = 0;
    if (a[0].of.i32 != 0) return ret_errno(r, E_BADF);
    if (!m) return ret_errno(r, E_FAULT);
    for (uint32_t i = 0; i < n && io->in_part < io->nin; i++) {
        uint32_t base, len;
        if (!get32(m, iovs + 8ull * i, &base) || !get32(m, iovs + 8ull * i + 4, &len))
            return ret_errno(r, E_FAULT);
        while (len && io->in_part < io->nin) {
            uint64_t left = io->in_len[io->in_part] - io->in_off;
            uint64_t k = left < len ? left : len;
            if (!mem_copy(m, base, io->in_addr[io->in_part] + io->in_off, k))
                return ret_errno(r, E_FAULT);
            base += (uint32_t)k;
            len -= (uint32_t)k;
            total += (uint32_t)k;
            io->in_off += k;
            if (io->in_off == io->in_len[io->in_part]) {
                io->in_part++;
                io->in_off = 0;
            }
        }
    }
    return ret_errno(r, put32(m, (uint32_t)a[3].of.i32, total) ? E_OK : E_FAULT);
}

static int w_fd_close(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)c, (void)d;
    return ret_errno(r, a[0].of.i32 >= 0 && a[0].of.i32 <= 2 ? E_OK : E_BADF);
}

static int w_fd_seek(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)c, (void)d;
    return ret_errno(r, a[0].of.i32 >= 0 && a[0].of.i32 <= 2 ? E_SPIPE : E_BADF);
}

static int w_fd_fdstat_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d;
    ward_memory *m = ward_caller_memory(c);
    int32_t fd = a[0].of.i32;
    if (fd < 0 || fd > 2) return ret_errno(r, E_BADF);
    uint8_t st[24] = {0};
    st[0] = 0; /* filetype unknown: not a terminal, so stdout is fully buffered */
    uint64_t rights = fd == 0 ? 1u << 1 /* fd_read */ : 1u << 6; /* fd_write */
    for (int i = 0; i < 8; i++)
        st[8 + i] = (uint8_t)(rights >> (8 * i));
    if (!m || !ward_memory_write(m, (uint32_t)a[1].of.i32, st, sizeof st))
        return ret_errno(r, E_FAULT);
    return ret_errno(r, E_OK);
}

static int w_fd_prestat_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)c, (void)d, (void)a;
    return ret_errno(r, E_BADF); /* no preopened directories */
}

static int w_proc_exit(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d, (void)r;
    return ward_caller_exit(c, a[0].of.i32);
}

static int w_clock_time_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d;
    struct timespec ts;
    clockid_t id;
    switch (a[0].of.i32) {
    case 0: id = CLOCK_REALTIME; break;
    case 1: id = CLOCK_MONOTONIC; break;
    default: return ret_errno(r, E_INVAL);
    }
    clock_gettime(id, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return ret_errno(r, put64(ward_caller_memory(c), (uint32_t)a[2].of.i32, ns) ? E_OK : E_FAULT);
}

static int w_clock_res_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d;
    if (a[0].of.i32 != 0 && a[0].of.i32 != 1) return ret_errno(r, E_INVAL);
    return ret_errno(r, put64(ward_caller_memory(c), (uint32_t)a[1].of.i32, 1) ? E_OK : E_FAULT);
}

static int w_random_get(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d;
    ward_memory *m = ward_caller_memory(c);
    uint64_t addr = (uint32_t)a[0].of.i32, n = (uint32_t)a[1].of.i32;
    while (n) {
        size_t avail;
        uint8_t *p = ward_memory_span(m, addr, n, true, &avail);
        if (!p) return ret_errno(r, E_FAULT);
        size_t done = 0;
        while (done < avail) {
            ssize_t k = getrandom(p + done, avail - done, 0);
            if (k <= 0) return ret_errno(r, E_IO);
            done += (size_t)k;
        }
        addr += avail;
        n -= avail;
    }
    return ret_errno(r, E_OK);
}

static int w_sched_yield(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)c, (void)d, (void)a;
    return ret_errno(r, E_OK);
}

static int w_nosys(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)c, (void)d, (void)a;
    return ret_errno(r, E_NOSYS);
}

/* ---- ward:io ----------------------------------------------------------------------- */

static int io_input_count(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d, (void)a;
    r[0].of.i32 = (int32_t)io_of(c)->nin;
    return 0;
}

static int io_input_ptr(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    uint32_t i = (uint32_t)a[0].of.i32;
    r[0].of.i32 = i < io->nin ? (int32_t)io->in_addr[i] : -1;
    return 0;
}

static int io_input_len(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    uint32_t i = (uint32_t)a[0].of.i32;
    r[0].of.i32 = i < io->nin ? (int32_t)io->in_len[i] : -1;
    return 0;
}

static int io_output_ptr(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d, (void)a;
    r[0].of.i32 = (int32_t)io_of(c)->out_addr;
    return 0;
}

static int io_output_cap(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    (void)d, (void)a;
    r[0].of.i32 = (int32_t)io_of(c)->out_cap;
    return 0;
}

static int io_output_commit(ward_caller *c, void *d, const ward_val *a, ward_val *r)
{
    mon_io *io = io_of(c);
    (void)d;
    uint32_t len = (uint32_t)a[0].of.i32;
    if (len > io->out_cap) {
        r[0].of.i32 = -1;
        return 0;
    }
    io->out_len = len;
    r[0].of.i32 = 0;
    return 0;
}

/* ---- the table --------------------------------------------------------------------- */

typedef struct mon_import {
    const char *module, *name;
    const char *params; /* i = i32, I = i64 */
    int nresults;       /* 0 or 1 (i32) */
    ward_host_fn fn;
} mon_import;

#define WASI "wasi_snapshot_preview1"
static const mon_import mon_imports[] = {
    {WASI, "args_get", "ii", 1, w_args_get},
    {WASI, "args_sizes_get", "ii", 1, w_args_sizes_get},
    {WASI, "environ_get", "ii", 1, w_environ_get},
    {WASI, "environ_sizes_get", "ii", 1, w_environ_sizes_get},
    {WASI, "clock_res_get", "ii", 1, w_clock_res_get},
    {WASI, "clock_time_get", "iIi", 1, w_clock_time_get},
    {WASI, "fd_advise", "iIIi", 1, w_nosys},
    {WASI, "fd_allocate", "iII", 1, w_nosys},
    {WASI, "fd_close", "i", 1, w_fd_close},
    {WASI, "fd_datasync", "i", 1, w_nosys},
    {WASI, "fd_fdstat_get", "ii", 1, w_fd_fdstat_get},
    {WASI, "fd_fdstat_set_flags", "ii", 1, w_nosys},
    {WASI, "fd_fdstat_set_rights", "iII", 1, w_nosys},
    {WASI, "fd_filestat_get", "ii", 1, w_nosys},
    {WASI, "fd_filestat_set_size", "iI", 1, w_nosys},
    {WASI, "fd_filestat_set_times", "iIIi", 1, w_nosys},
    {WASI, "fd_pread", "iiiIi", 1, w_nosys},
    {WASI, "fd_prestat_get", "ii", 1, w_fd_prestat_get},
    {WASI, "fd_prestat_dir_name", "iii", 1, w_fd_prestat_get},
    {WASI, "fd_pwrite", "iiiIi", 1, w_nosys},
    {WASI, "fd_read", "iiii", 1, w_fd_read},
    {WASI, "fd_readdir", "iiiIi", 1, w_nosys},
    {WASI, "fd_renumber", "ii", 1, w_nosys},
    {WASI, "fd_seek", "iIii", 1, w_fd_seek},
    {WASI, "fd_sync", "i", 1, w_nosys},
    {WASI, "fd_tell", "ii", 1, w_fd_seek},
    {WASI, "fd_write", "iiii", 1, w_fd_write},
    {WASI, "path_create_directory", "iii", 1, w_nosys},
    {WASI, "path_filestat_get", "iiiii", 1, w_nosys},
    {WASI, "path_filestat_set_times", "iiiiIIi", 1, w_nosys},
    {WASI, "path_link", "iiiiiii", 1, w_nosys},
    {WASI, "path_open", "iiiiiIIii", 1, w_nosys},
    {WASI, "path_readlink", "iiiiii", 1, w_nosys},
    {WASI, "path_remove_directory", "iii", 1, w_nosys},
    {WASI, "path_rename", "iiiiii", 1, w_nosys},
    {WASI, "path_symlink", "iiiii", 1, w_nosys},
    {WASI, "path_unlink_file", "iii", 1, w_nosys},
    {WASI, "poll_oneoff", "iiii", 1, w_nosys},
    {WASI, "proc_exit", "i", 0, w_proc_exit},
    {WASI, "proc_raise", "i", 1, w_nosys},
    {WASI, "sched_yield", "", 1, w_sched_yield},
    {WASI, "random_get", "ii", 1, w_random_get},
    {WASI, "sock_accept", "iii", 1, w_nosys},
    {WASI, "sock_recv", "iiiiii", 1, w_nosys},
    {WASI, "sock_send", "iiiii", 1, w_nosys},
    {WASI, "sock_shutdown", "ii", 1, w_nosys},
    {"ward:io", "input_count", "", 1, io_input_count},
    {"ward:io", "input_ptr", "i", 1, io_input_ptr},
    {"ward:io", "input_len", "i", 1, io_input_len},
    {"ward:io", "output_ptr", "", 1, io_output_ptr},
    {"ward:io", "output_cap", "", 1, io_output_cap},
    {"ward:io", "output_commit", "i", 1, io_output_commit},
};

bool mon_wasi_link(ward_store *s, ward_linker *l, const ward_module *m, char *why, size_t cap)
{
    size_t n = ward_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *mod;
        ward_extern_kind kind;
        const char *name = ward_module_import_name(m, i, &mod, &kind);
        const mon_import *imp = NULL;
        for (size_t k = 0; k < sizeof mon_imports / sizeof *mon_imports; k++)
            if (!strcmp(mon_imports[k].module, mod) && !strcmp(mon_imports[k].name, name))
                imp = &mon_imports[k];
        if (!imp || kind != WARD_EXTERN_FUNC) {
            snprintf(why, cap,
                     "import %s.%s is not available to a function (only WASI without files or "
                     "sockets, and ward:io)",
                     mod, name);
            return false;
        }
        ward_valkind params[16], results[1] = {WARD_I32};
        size_t np = strlen(imp->params);
        for (size_t k = 0; k < np; k++)
            params[k] = imp->params[k] == 'I' ? WARD_I64 : WARD_I32;
        ward_func *f =
            ward_func_new(s, params, np, results, (size_t)imp->nresults, imp->fn, NULL, NULL);
        if (!f || !ward_linker_define(l, mod, name,
                                      (ward_extern){.kind = WARD_EXTERN_FUNC, .of.func = f})) {
            snprintf(why, cap, "out of memory");
            return false;
        }
    }
    return true;
}
