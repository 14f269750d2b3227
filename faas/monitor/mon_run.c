/* mon_run.c - the worker pool: templates, trustlets and chains.
 *
 * An invocation is a chain of steps; a single function is a chain of one.
 * The request body is written once into the frames of a region (job_input;
 * a sealed body is decrypted straight there). Each step runs each of its
 * functions (several: a fan-out, whose branches run on several workers at
 * once) in a fresh copy-on-write clone of that function's template, with
 * the step's input regions mapped read-only above the clone's memory and
 * an output area of the clone's own pages after them (ward:io guests; a
 * WASI command reads them from the worker's scratch memory and writes to
 * a buffer: mon_io). The output pages
 * become a region (the same frames) that the next step maps read-only:
 * data passes from function to function by page table, never by copy and
 * never outside this process. The last step's output is copied into the
 * reply (job_output; a sealed job's is encrypted from the pages, mon_attest.c).
 *
 * Templates: one per function, built at deploy (mon_fn_check) in a store
 * of its own, initialised once and sealed, so that every worker clones it
 * into its own store, at the same time as others. The clone shares the
 * template's host functions (its only imports); they find the trustlet
 * they serve in the data of the store the call runs in: the worker's io.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor.h"

const double mon_bucket_us[MON_NBUCKETS] = {10,   25,   50,    100,   250,    500,
                                            1000, 2500, 10000, 50000, 250000, 1000000};

typedef struct mon_worker {
    pthread_t thread;
    mon_io io;                 /* the running trustlet's I/O: the data of `store` */
    ward_store *store;         /* the trustlets run here, one at a time */
    ward_store *scratch_store; /* one paged memory to fill and read regions */
    ward_memory *scratch;
} mon_worker;

static mon_worker *workers;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t pages_for(uint64_t bytes)
{
    return (bytes + MON_PAGE - 1) / MON_PAGE;
}

void mon_fn_release(mon_fn *fn)
{
    if (!fn || __atomic_sub_fetch(&fn->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (fn->tpl_store) {
        /* No job holds fn any more, so no clone of its template is alive. */
        ward_store_free(fn->tpl_store);
        mon_mem_release(fn->owner, fn->tpl_charged);
        __atomic_sub_fetch(&mon.templates, 1, __ATOMIC_RELAXED);
    }
    ward_module_free(fn->module);
    mon_attest_fn_free(fn);
    for (uint32_t i = 0; i < fn->nenv; i++)
        free(fn->env[i]);
    for (uint32_t i = 1; i < fn->nargs; i++) /* args[0] is fn->name */
        free(fn->args[i]);
    free(fn);
}

void mon_job_free(mon_job *job)
{
    if (!job) return;
    for (uint32_t s = 0; s < job->nsteps; s++)
        for (uint32_t k = 0; k < job->width[s]; k++)
            mon_fn_release(job->fns[s][k]);
    mon_attest_job_free(job);
    free(job->raw);
    free(job);
}

/* ---- templates ------------------------------------------------------------------------ */

/* Instantiates fn in a store of its own, runs its initialisation, checks
 * its entry and memory, and seals the instance: fn's template, which every
 * worker clones (called at deploy, on the main thread). False with msg. */
bool mon_fn_check(mon_fn *fn, bool *over_limit, char *msg, size_t cap)
{
    ward_store_config cfg = {.memory_mode = fn->paged ? WARD_MEMORY_PAGED : WARD_MEMORY_FLAT,
                             .max_memory_bytes = fn->max_memory,
                             .mem_safety = (fn->cage & PROTO_CAGE_MEM_SAFETY) != 0,
                             .ptr_auth = (fn->cage & PROTO_CAGE_PTR_AUTH) != 0,
                             .max_store_memory_bytes = mon_store_limit(),
                             .tier = fn->native ? WARD_TIER_NATIVE : WARD_TIER_INTERP};
    ward_store *s = ward_store_new(&cfg);
    ward_linker *l = ward_linker_new();
    ward_result res;
    /* The initialisation's own I/O: no input, no output area. */
    mon_io io;
    memset(&io, 0, sizeof io);
    io.fn = fn;
    *over_limit = false;
    if (!s || !l) {
        snprintf(msg, cap, "out of memory");
        goto fail;
    }
    ward_store_set_data(s, &io);
    fn->io_guest = mon_wasi_uses_io(fn->module);
    if (!mon_wasi_link(s, l, fn->module, msg, cap)) goto fail;
    ward_store_set_fuel(s, fn->fuel ? (int64_t)fn->fuel : -1);
    ward_store_set_timeout(s, fn->timeout_ns);
    ward_instance *inst = ward_instance_new(s, fn->module, l, &res);
    if (!inst) {
        snprintf(msg, cap, "instantiation failed: %s", res.message);
        goto fail;
    }
    io.mem = ward_instance_memory(inst, "memory");
    const char *init = fn->init[0] ? fn->init : NULL;
    if (!init && ward_instance_func(inst, "_initialize")) init = "_initialize";
    if (init) {
        ward_func *f = ward_instance_func(inst, init);
        if (!f || ward_func_param_count(f) || ward_func_result_count(f)) {
            snprintf(msg, cap, "init export %s is not a function [] -> []", init);
            goto fail;
        }
        ward_status st = ward_func_call(s, f, NULL, 0, NULL, 0, &res);
        if (st != WARD_OK && !(st == WARD_EXIT && res.exit_code == 0)) {
            snprintf(msg, cap, "initialisation (%s) failed: %s", init,
                     st == WARD_EXIT ? "exit" : res.message);
            goto fail;
        }
    }
    ward_func *entry = ward_instance_func(inst, fn->entry);
    if (!entry || ward_func_param_count(entry) || ward_func_result_count(entry)) {
        snprintf(msg, cap, "entry %s is not an exported function [] -> []", fn->entry);
        goto fail;
    }
    if (!io.mem) {
        snprintf(msg, cap, "the module exports no memory named \"memory\"");
        goto fail;
    }
    /* Charged before sealing: a sealed template's pages are all shared. */
    if (!mon_tpl_charge(fn, inst, &fn->tpl_charged, msg, cap)) {
        *over_limit = true;
        goto fail;
    }
    ward_store_set_timeout(s, 0);
    ward_store_set_data(s, NULL); /* the template never runs again */
    if (!ward_instance_seal(s, inst)) {
        snprintf(msg, cap, "sealing the template failed");
        goto fail;
    }
    ward_linker_free(l);
    fn->tpl_store = s;
    fn->tpl = inst;
    __atomic_add_fetch(&mon.templates, 1, __ATOMIC_RELAXED);
    return true;
fail:
    ward_linker_free(l);
    ward_store_free(s);
    return false;
}

/* ---- regions ------------------------------------------------------------------------ */

bool mon_scratch_fit(ward_memory *scratch, uint64_t pages)
{
    uint64_t have = ward_memory_pages(scratch);
    return have >= pages || ward_memory_grow(scratch, pages - have) >= 0;
}

static bool scratch_fit(mon_worker *w, uint64_t pages)
{
    return mon_scratch_fit(w->scratch, pages);
}

/* Copies len bytes between a region (mapped into the scratch memory at
 * page 0) and memory m at addr, a run of pages at a time: for functions
 * with flat memories, which cannot map pages. */
static bool region_copy(mon_worker *w, ward_region *r, ward_memory *m, uint64_t addr, uint64_t len,
                        bool into_region)
{
    if (!scratch_fit(w, ward_region_pages(r)) ||
        !ward_region_map(r, w->scratch, 0, into_region ? WARD_PERM_READ_WRITE : WARD_PERM_READ))
        return false;
    bool ok = true;
    uint64_t off = 0;
    while (ok && off < len) {
        size_t a, b;
        void *src = into_region ? ward_memory_span(m, addr + off, len - off, false, &a)
                                : ward_memory_span(w->scratch, off, len - off, false, &a);
        void *dst = src ? (into_region ? ward_memory_span(w->scratch, off, a, true, &b)
                                       : ward_memory_span(m, addr + off, a, true, &b))
                        : NULL;
        ok = dst != NULL;
        if (ok) memcpy(dst, src, b);
        off += ok ? b : 0;
    }
    ward_region_unmap(r, w->scratch);
    return ok;
}

/* A new region holding bytes [data, data+len). */
static ward_region *region_of_bytes(mon_worker *w, const uint8_t *data, size_t len)
{
    uint64_t pages = pages_for(len);
    if (!scratch_fit(w, pages)) return NULL;
    ward_region *r = ward_region_new(pages);
    if (!r) return NULL;
    bool ok = ward_region_map(r, w->scratch, 0, WARD_PERM_READ_WRITE) &&
              ward_memory_write(w->scratch, 0, data, len);
    ward_region_unmap(r, w->scratch);
    if (!ok) {
        ward_region_free(r);
        return NULL;
    }
    return r;
}

/* Copies the first len bytes of r to dst. */
static bool region_read(mon_worker *w, ward_region *r, uint8_t *dst, size_t len)
{
    if (!scratch_fit(w, ward_region_pages(r))) return false;
    bool ok = ward_region_map(r, w->scratch, 0, WARD_PERM_READ) &&
              ward_memory_read(w->scratch, 0, dst, len);
    ward_region_unmap(r, w->scratch);
    return ok;
}

/* ---- one trustlet ------------------------------------------------------------------- */

typedef struct mon_parts {
    uint32_t n;
    ward_region *r[MON_MAX_PARTS];
    uint64_t len[MON_MAX_PARTS];
} mon_parts;

static uint64_t rpages(ward_region *r)
{
    return r ? ward_region_pages(r) : 0;
}

static void parts_free(mon_parts *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (p->r[i]) ward_region_free(p->r[i]);
    p->n = 0;
}

typedef struct mon_outcome {
    proto_status st;
    int exit_code;
    char msg[300];
    uint64_t clone_ns;
} mon_outcome;

static proto_status status_of_trap(ward_trap_code t)
{
    switch (t) {
    case WARD_TRAP_OUT_OF_FUEL: return PROTO_ST_FUEL;
    case WARD_TRAP_DEADLINE:
    case WARD_TRAP_INTERRUPTED: return PROTO_ST_TIMEOUT;
    case WARD_TRAP_OUT_OF_MEMORY: return PROTO_ST_MEMORY;
    default: return PROTO_ST_TRAP;
    }
}

/* A WASI command's inputs leave the scratch memory (unmapping twice is harmless). */
static void unmap_inputs(mon_worker *w, const mon_parts *in)
{
    for (uint32_t i = 0; i < in->n; i++)
        if (in->r[i]) ward_region_unmap(in->r[i], w->scratch);
}

/* Runs fn on inputs `in` in a fresh clone; its output (if any) is appended
 * to *out as a region. */
static bool run_trustlet(mon_worker *w, mon_fn *fn, const mon_parts *in, mon_parts *out,
                         mon_outcome *oc)
{
    ward_result res;
    uint64_t t0 = now_ns();
    ward_instance *clone = ward_instance_clone(w->store, fn->tpl, &res);
    oc->clone_ns += now_ns() - t0;
    if (!clone) {
        oc->st = PROTO_ST_INTERNAL;
        snprintf(oc->msg, sizeof oc->msg, "clone failed: %s", res.message);
        return false;
    }
    pthread_mutex_lock(&mon.lock);
    mon.alive++;
    mon.clones++;
    mon.clone_ns += now_ns() - t0;
    pthread_mutex_unlock(&mon.lock);

    bool ok = false;
    mon_io *io = &w->io;
    mon_trustlet_mem tm = {0};
    ward_memory *mem = ward_instance_memory(clone, "memory");
    ward_func *entry = ward_instance_func(clone, fn->entry);
    /* A ward:io guest finds its input and output area as pages above its
     * memory; a WASI command reads its input from the scratch memory and
     * writes its output to io->out_buf (see mon_io). */
    bool in_guest = fn->io_guest;
    uint64_t in_pages = 0, out_pages = in_guest ? pages_for(fn->output_max) : 0;
    for (uint32_t i = 0; i < in->n; i++)
        in_pages += rpages(in->r[i]);
    io->out_buf = NULL;
    int64_t base = 0;
    if (in_guest) {
        base = mem ? ward_memory_grow(mem, in_pages + out_pages) : -1;
        if (base < 0 || (uint64_t)base + in_pages + out_pages > 65536) {
            oc->st = PROTO_ST_MEMORY;
            snprintf(oc->msg, sizeof oc->msg,
                     "input (%llu pages) and output area (%llu pages) do not fit the memory limit",
                     (unsigned long long)in_pages, (unsigned long long)out_pages);
            goto done;
        }
    } else {
        io->out_buf_cap = fn->output_max < 4096 ? fn->output_max + 1 : 4096;
        if (!scratch_fit(w, in_pages) || !(io->out_buf = malloc(io->out_buf_cap))) {
            oc->st = PROTO_ST_MEMORY;
            snprintf(oc->msg, sizeof oc->msg, "no memory for the input and output");
            goto done;
        }
    }
    ward_memory *in_mem = in_guest ? mem : w->scratch;
    io->mem = mem;
    io->in_mem = in_mem;
    io->fn = fn;
    io->nin = in->n;
    io->in_part = 0;
    io->in_off = 0;
    uint64_t page = (uint64_t)base;
    for (uint32_t i = 0; i < in->n; i++) {
        /* Paged (and the scratch memory): the region's frames themselves,
         * read-only. A ward:io guest's flat memory: a copy. */
        if (in->r[i] &&
            !(fn->paged || !in_guest
                  ? ward_region_map(in->r[i], in_mem, page, WARD_PERM_READ)
                  : region_copy(w, in->r[i], mem, page * MON_PAGE, in->len[i], false))) {
            oc->st = PROTO_ST_INTERNAL;
            snprintf(oc->msg, sizeof oc->msg, "mapping the input failed");
            goto done;
        }
        io->in_addr[i] = page * MON_PAGE;
        io->in_len[i] = in->len[i];
        page += rpages(in->r[i]);
    }
    /* Empty parts end stdin at once. */
    while (io->in_part < io->nin && io->in_len[io->in_part] == 0)
        io->in_part++;
    io->out_addr = page * MON_PAGE;
    io->out_cap = fn->output_max;
    io->out_len = 0;
    io->out_overflow = false;

    if (!mon_trustlet_begin(&tm, fn, w->store, mem, fn->paged ? in_pages * MON_PAGE : 0, oc->msg,
                            sizeof oc->msg)) {
        oc->st = PROTO_ST_LIMIT;
        goto done;
    }
    ward_store_set_fuel(w->store, fn->fuel ? (int64_t)fn->fuel : -1);
    ward_store_set_timeout(w->store, fn->timeout_ns);
    /* The worker's store runs each trustlet in its function's tier: the
     * code loaded at deploy, shared with the template. */
    ward_store_set_tier(w->store, fn->native ? WARD_TIER_NATIVE : WARD_TIER_INTERP);
    ward_status st = ward_func_call(w->store, entry, NULL, 0, NULL, 0, &res);
    ward_store_set_timeout(w->store, 0);
    if (mon_mem_blame(&tm, fn, st, &res, oc->msg, sizeof oc->msg)) {
        oc->st = PROTO_ST_LIMIT;
        goto done;
    }
    if (st == WARD_EXIT && res.exit_code != 0) {
        oc->st = PROTO_ST_EXIT;
        oc->exit_code = res.exit_code;
        snprintf(oc->msg, sizeof oc->msg, "%s exited with code %d", fn->name, res.exit_code);
        goto done;
    }
    if (st == WARD_TRAP) {
        oc->st = io->out_overflow ? PROTO_ST_MEMORY : status_of_trap(res.trap);
        snprintf(oc->msg, sizeof oc->msg, "%s: %.200s", fn->name, res.message);
        goto done;
    }
    if (st == WARD_ERROR) {
        oc->st = PROTO_ST_INTERNAL;
        snprintf(oc->msg, sizeof oc->msg, "%s: %.200s", fn->name, res.message);
        goto done;
    }
    if (out->n == MON_MAX_PARTS) {
        oc->st = PROTO_ST_BAD_REQUEST;
        snprintf(oc->msg, sizeof oc->msg, "more than %u outputs joined", MON_MAX_PARTS);
        goto done;
    }
    /* The output pages leave as a region: the same frames, no copy (a
     * ward:io guest's paged memory); else a copy into a new region. */
    uint64_t used = pages_for(io->out_len);
    ward_region *r = NULL;
    if (!in_guest) {
        unmap_inputs(w, in); /* region_of_bytes maps at scratch page 0 */
        if (io->out_len && !(r = region_of_bytes(w, io->out_buf, io->out_len))) {
            oc->st = PROTO_ST_INTERNAL;
            snprintf(oc->msg, sizeof oc->msg, "copying the output failed");
            goto done;
        }
    } else if (used && !fn->paged) {
        r = ward_region_new(used);
        if (r && !region_copy(w, r, mem, page * MON_PAGE, io->out_len, true)) {
            ward_region_free(r);
            r = NULL;
        }
        if (!r) {
            oc->st = PROTO_ST_INTERNAL;
            snprintf(oc->msg, sizeof oc->msg, "copying the output failed");
            goto done;
        }
    } else if (used && !(r = ward_region_from_pages(mem, page, used))) {
        oc->st = PROTO_ST_INTERNAL;
        snprintf(oc->msg, sizeof oc->msg, "taking the output pages failed");
        goto done;
    }
    out->r[out->n] = r; /* NULL for an empty output */
    out->len[out->n] = io->out_len;
    out->n++;
    ok = true;
done:
    if (!in_guest) unmap_inputs(w, in);
    if (io->out_buf) {
        explicit_bzero(io->out_buf, io->out_len < io->out_buf_cap ? io->out_len : io->out_buf_cap);
        free(io->out_buf);
        io->out_buf = NULL;
    }
    io->mem = io->in_mem = NULL;
    mon_trustlet_end(&tm, mem);
    ward_instance_free(w->store, clone);
    pthread_mutex_lock(&mon.lock);
    mon.alive--;
    pthread_mutex_unlock(&mon.lock);
    return ok;
}

/* ---- fan-out: the branches of a step on several workers ------------------------------ */

/* One branch of a fan-out step: fn on the step's input, its own output and
 * outcome. state (under mon.lock): queued, taken by a worker, done. */
enum { BR_QUEUED, BR_TAKEN, BR_DONE };
typedef struct mon_branch {
    mon_fn *fn;
    mon_tenant *tenant;  /* the job's: a helper counts as one of its workers */
    const mon_parts *in; /* the step's input, shared read-only by every branch */
    mon_parts out;
    mon_outcome oc;
    bool ok;
    int state;
    struct mon_branch *next; /* in the queue of branches */
} mon_branch;

/* Branches waiting for a worker, and the condition their owners wait on.
 * An idle worker takes a branch before a new job (the branch's job is
 * running already) unless a queued job's tenant has fewer invocations on
 * workers than the branch's (counting helpers): a tenant's wide fan-outs
 * cannot keep another tenant's requests waiting beyond its share. */
static mon_branch *br_head, **br_tail = &br_head;
static pthread_cond_t br_done_cv = PTHREAD_COND_INITIALIZER;

/* Takes the first queued branch (of owner's step `only`, or any if NULL);
 * mon.lock held. */
static mon_branch *br_take(const mon_branch *only, unsigned n)
{
    for (mon_branch **pp = &br_head; *pp; pp = &(*pp)->next) {
        mon_branch *b = *pp;
        if (only && (b < only || b >= only + n)) continue;
        *pp = b->next;
        if (br_tail == &b->next) br_tail = pp;
        b->next = NULL;
        b->state = BR_TAKEN;
        return b;
    }
    return NULL;
}

static void br_run(mon_worker *w, mon_branch *b)
{
    b->ok = run_trustlet(w, b->fn, b->in, &b->out, &b->oc);
    pthread_mutex_lock(&mon.lock);
    b->state = BR_DONE;
    pthread_cond_broadcast(&br_done_cv);
    pthread_mutex_unlock(&mon.lock);
}

/* Runs the n functions of one step on input `in` and appends their outputs
 * to *out in order. Branches 1..n-1 are offered to idle workers; this
 * worker runs branch 0, then any branch no one has taken yet, then waits
 * for the others: the step takes as long as its slowest branch when
 * workers are free, and never waits for a worker that is not coming. On
 * failure *oc is the first failed branch's outcome (in step order). */
static bool run_step(mon_worker *w, mon_tenant *tenant, mon_fn *const *fns, unsigned n,
                     const mon_parts *in, mon_parts *out, mon_outcome *oc)
{
    if (n == 1) return run_trustlet(w, fns[0], in, out, oc);
    mon_branch br[MON_MAX_GROUP];
    memset(br, 0, sizeof br);
    for (unsigned k = 0; k < n; k++) {
        br[k].fn = fns[k];
        br[k].tenant = tenant;
        br[k].in = in;
        br[k].state = BR_QUEUED;
    }
    pthread_mutex_lock(&mon.lock);
    for (unsigned k = 1; k < n; k++) {
        *br_tail = &br[k];
        br_tail = &br[k].next;
    }
    pthread_cond_broadcast(&mon.queue_cv);
    br[0].state = BR_TAKEN;
    pthread_mutex_unlock(&mon.lock);
    br_run(w, &br[0]);
    pthread_mutex_lock(&mon.lock);
    for (;;) {
        mon_branch *b = br_take(br, n);
        if (b) {
            pthread_mutex_unlock(&mon.lock);
            br_run(w, b);
            pthread_mutex_lock(&mon.lock);
            continue;
        }
        unsigned done = 0;
        for (unsigned k = 0; k < n; k++)
            done += br[k].state == BR_DONE;
        if (done == n) break;
        pthread_cond_wait(&br_done_cv, &mon.lock);
    }
    pthread_mutex_unlock(&mon.lock);
    /* Join in order; the outputs of every branch are owned here now. */
    bool ok = true;
    for (unsigned k = 0; k < n; k++) {
        oc->clone_ns += br[k].oc.clone_ns;
        if (ok && !br[k].ok) {
            ok = false;
            uint64_t ns = oc->clone_ns;
            *oc = br[k].oc;
            oc->clone_ns = ns;
        }
        for (uint32_t i = 0; i < br[k].out.n; i++) {
            if (ok && out->n == MON_MAX_PARTS) {
                ok = false;
                oc->st = PROTO_ST_BAD_REQUEST;
                snprintf(oc->msg, sizeof oc->msg, "more than %u outputs joined", MON_MAX_PARTS);
            }
            if (ok) {
                out->r[out->n] = br[k].out.r[i];
                out->len[out->n++] = br[k].out.len[i];
            } else if (br[k].out.r[i]) {
                ward_region_free(br[k].out.r[i]);
            }
        }
    }
    return ok;
}

/* ---- a job -------------------------------------------------------------------------- */

/* The request body as the first step's input: written once into the
 * frames of a region, which every function of the step maps read-only.
 * (Where the next issue decrypts the body instead.) */
static bool job_input(mon_worker *w, mon_job *job, mon_parts *in, mon_outcome *oc)
{
    if (job->sealed) { /* decrypted straight into the input region's frames */
        if (!mon_attest_open(w->scratch, job, &in->r[0], &in->len[0], &oc->st, oc->msg,
                             sizeof oc->msg))
            return false;
        in->n = in->r[0] ? 1 : 0;
        return true;
    }
    if (!job->body_len) return true;
    in->r[0] = region_of_bytes(w, job->body, job->body_len);
    if (!in->r[0]) {
        oc->st = PROTO_ST_MEMORY;
        snprintf(oc->msg, sizeof oc->msg, "no memory for the request body");
        return false;
    }
    in->len[0] = job->body_len;
    in->n = 1;
    return true;
}

/* The last step's outputs, joined in order, as the BODY of reply b; for a
 * sealed job, encrypted straight from the output pages, with a receipt. */
static void job_output(mon_worker *w, mon_job *job, const mon_parts *res, proto_buf *b)
{
    if (job->sealed) {
        if (!mon_attest_seal(w->scratch, job, res->r, res->len, res->n, b)) b->failed = true;
        return;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < res->n; i++)
        total += res->len[i];
    uint8_t *dst = proto_put_space(b, PROTO_F_BODY, total);
    for (uint32_t i = 0; dst && i < res->n; i++) {
        if (res->len[i] && !region_read(w, res->r[i], dst, res->len[i])) b->failed = true;
        dst += res->len[i];
    }
}

static void finish(mon_job *job, bool ok, uint64_t t0)
{
    double us = (double)(now_ns() - t0) / 1000.0;
    pthread_mutex_lock(&mon.lock);
    mon.invocations++;
    if (!ok) mon.errors++;
    int b = 0;
    while (b < MON_NBUCKETS && us > mon_bucket_us[b])
        b++;
    mon.hist[b]++;
    mon.lat_sum_us += us;
    job->tenant->running--;
    if (job->tenant->active) job->tenant->active--;
    job->tenant->mem_in_use -= job->mem_reserved;
    pthread_mutex_unlock(&mon.lock);
}

/* Runs job on w and leaves the reply (RESULT or ERROR, ended) in *b;
 * returns whether the invocation succeeded. */
bool mon_job_exec(mon_worker *w, mon_job *job, proto_buf *b, uint64_t t0)
{
    mon_outcome oc;
    memset(&oc, 0, sizeof oc);
    mon_parts in = {0}, out = {0};
    bool ok = false;
    int64_t failed_step = -1;
    if (!job_input(w, job, &in, &oc)) goto reply;
    for (uint32_t s = 0; s < job->nsteps; s++) {
        if (!run_step(w, job->tenant, job->fns[s], job->width[s], &in, &out, &oc)) {
            failed_step = s;
            goto reply;
        }
        parts_free(&in);
        in = out;
        out.n = 0;
    }
    ok = true;
reply:
    if (ok) {
        proto_begin(b, PROTO_RESULT, job->id);
        proto_put_u64(b, PROTO_F_STATUS, PROTO_ST_OK);
        proto_put_u64(b, PROTO_F_EXIT_CODE, 0);
        job_output(w, job, &in, b);
        proto_put_u64(b, PROTO_F_TIME_NS, now_ns() - t0);
        proto_put_u64(b, PROTO_F_CLONE_NS, oc.clone_ns);
        if (!proto_end(b)) {
            ok = false;
            oc.st = PROTO_ST_MEMORY;
            snprintf(oc.msg, sizeof oc.msg, "the result does not fit a reply");
        }
    }
    if (!ok) {
        proto_begin(b, PROTO_ERROR, job->id);
        proto_put_u64(b, PROTO_F_STATUS, oc.st);
        proto_put_str(b, PROTO_F_MESSAGE, oc.msg);
        if (oc.st == PROTO_ST_EXIT) proto_put_u64(b, PROTO_F_EXIT_CODE, (uint64_t)oc.exit_code);
        if (failed_step >= 0) proto_put_u64(b, PROTO_F_STEP_INDEX, (uint64_t)failed_step);
        proto_put_u64(b, PROTO_F_TIME_NS, now_ns() - t0);
        proto_end(b);
    }
    parts_free(&in);
    parts_free(&out);
    return ok;
}

static void run_job(mon_worker *w, mon_job *job)
{
    uint64_t t0 = now_ns();
    proto_buf b = {0};
    bool ok = mon_job_exec(w, job, &b, t0);
    /* The tenant's share is returned before the reply leaves, so that a
     * client's next request never finds this one still counted. */
    finish(job, ok, t0);
    if (!b.failed) mon_send(job->conn_gen, &b);
    proto_buf_free(&b);
}

/* The oldest queued job of the tenant with the fewest jobs on workers
 * now: a tenant with a long queue cannot keep the workers from another's
 * requests beyond its share. Called with mon.lock held and mon.qlen > 0. */
static mon_job *dequeue_fair(void)
{
    size_t best = 0;
    for (size_t i = 1; i < mon.qlen; i++) {
        mon_job *a = mon.queue[(mon.qhead + i) % mon.qcap];
        mon_job *b = mon.queue[(mon.qhead + best) % mon.qcap];
        if (a->tenant->active < b->tenant->active) best = i;
    }
    mon_job *job = mon.queue[(mon.qhead + best) % mon.qcap];
    for (size_t i = best; i > 0; i--) /* close the gap, keeping the order */
        mon.queue[(mon.qhead + i) % mon.qcap] = mon.queue[(mon.qhead + i - 1) % mon.qcap];
    mon.qhead = (mon.qhead + 1) % mon.qcap;
    mon.qlen--;
    return job;
}

static unsigned workers_ready;

/* Should an idle worker take the first queued branch rather than a job?
 * (See the branch queue.) mon.lock held, br_head set. */
static bool branch_first(void)
{
    uint64_t least = UINT64_MAX;
    for (size_t i = 0; i < mon.qlen; i++) {
        const mon_tenant *t = mon.queue[(mon.qhead + i) % mon.qcap]->tenant;
        if (t->active < least) least = t->active;
    }
    return br_head->tenant->active <= least;
}

static void *worker_main(void *arg)
{
    mon_worker *w = arg;
    /* One call before the sandbox: the runtime learns this thread's stack
     * bounds (pthread_getattr_np, which makes system calls the sandbox
     * forbids) and starts its watchdog now. */
    mon_warm_up();
    pthread_mutex_lock(&mon.lock);
    workers_ready++;
    pthread_cond_broadcast(&mon.queue_cv);
    pthread_mutex_unlock(&mon.lock);
    for (;;) {
        pthread_mutex_lock(&mon.lock);
        while (!mon.qlen && !br_head && !mon.stopping)
            pthread_cond_wait(&mon.queue_cv, &mon.lock);
        if (mon.stopping) {
            pthread_mutex_unlock(&mon.lock);
            return NULL;
        }
        /* A branch of a running fan-out first (its job has started),
         * unless that would favour its tenant over a queued one's. */
        mon_branch *br = br_head && branch_first() ? br_take(NULL, 0) : NULL;
        if (br) {
            /* br lives in its owner's frame, gone once br_run marks it done. */
            mon_tenant *t = br->tenant;
            t->active++;
            pthread_mutex_unlock(&mon.lock);
            br_run(w, br);
            pthread_mutex_lock(&mon.lock);
            t->active--;
            pthread_mutex_unlock(&mon.lock);
            continue;
        }
        mon_job *job = dequeue_fair();
        job->tenant->active++;
        pthread_mutex_unlock(&mon.lock);
        run_job(w, job);
        mon_job_free(job);
    }
}

bool mon_enqueue(mon_job *job)
{
    pthread_mutex_lock(&mon.lock);
    if (mon.qlen == mon.qcap) {
        mon.busy_rejects++;
        pthread_mutex_unlock(&mon.lock);
        return false;
    }
    mon.queue[(mon.qhead + mon.qlen) % mon.qcap] = job;
    mon.qlen++;
    pthread_cond_signal(&mon.queue_cv);
    pthread_mutex_unlock(&mon.lock);
    return true;
}

static bool worker_init(mon_worker *w)
{
    /* The worker's store holds one trustlet at a time; each clone's memory
     * keeps its template's limit, so the store needs no budget of its own. */
    ward_store_config run = {.memory_mode = WARD_MEMORY_PAGED,
                             .max_instance_memory_bytes = UINT64_MAX,
                             .max_instance_reserve_bytes = UINT64_MAX,
                             .max_store_memory_bytes = mon_store_limit()};
    ward_store_config cfg = {.memory_mode = WARD_MEMORY_PAGED};
    w->store = ward_store_new(&run);
    w->scratch_store = ward_store_new(&cfg);
    if (!w->store || !w->scratch_store) return false;
    ward_store_set_data(w->store, &w->io);
    w->scratch = ward_memory_new(w->scratch_store, 1, 65536, true, false);
    return w->scratch != NULL;
}

mon_worker *mon_worker_new(void)
{
    mon_worker *w = calloc(1, sizeof *w);
    if (w && !worker_init(w)) {
        ward_store_free(w->store);
        ward_store_free(w->scratch_store);
        free(w);
        return NULL;
    }
    return w;
}

bool mon_workers_start(unsigned n, size_t queue_cap)
{
    mon.queue = calloc(queue_cap, sizeof *mon.queue);
    workers = calloc(n, sizeof *workers);
    if (!mon.queue || !workers) return false;
    mon.qcap = queue_cap;
    mon.nworkers = n;
    for (unsigned i = 0; i < n; i++) {
        mon_worker *w = &workers[i];
        if (!worker_init(w)) return false;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) return false;
    }
    pthread_mutex_lock(&mon.lock);
    while (workers_ready < n)
        pthread_cond_wait(&mon.queue_cv, &mon.lock);
    pthread_mutex_unlock(&mon.lock);
    return true;
}

/* A module with one function that loops: one call under a deadline starts
 * the runtime's watchdog thread now, before the sandbox forbids new threads. */
void mon_warm_up(void)
{
    static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01,
                                   0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01,
                                   0x66, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};
    ward_error err;
    ward_module *m = ward_module_new(wasm, sizeof wasm, 0, &err);
    if (!m) return;
    ward_store *s = ward_store_new(NULL);
    ward_result res;
    ward_instance *inst = s ? ward_instance_new(s, m, NULL, &res) : NULL;
    ward_func *f = inst ? ward_instance_func(inst, "f") : NULL;
    if (f) {
        ward_store_set_timeout(s, 1000000000u);
        ward_func_call(s, f, NULL, 0, NULL, 0, &res);
    }
    ward_store_free(s);
    ward_module_free(m);
}

/* For the benchmark: k idle clones of fn's template in w's store, kept
 * alive while the caller's `measure` runs, then freed. */
bool mon_clones_hold(mon_worker *w, mon_fn *fn, unsigned k, void (*measure)(void *), void *arg)
{
    ward_instance **c = calloc(k, sizeof *c);
    if (!c) return false;
    bool ok = true;
    ward_result res;
    for (unsigned i = 0; i < k && ok; i++)
        ok = (c[i] = ward_instance_clone(w->store, fn->tpl, &res)) != NULL;
    if (ok) measure(arg);
    for (unsigned i = 0; i < k; i++)
        if (c[i]) ward_instance_free(w->store, c[i]);
    free(c);
    return ok;
}
