/* monitor.h - the trusted side of a ward serverless node (faas/monitor):
 * functions, tenants, templates and trustlets. It links libward, libc and
 * libseccomp only, parses nothing but the binary protocol (faas/proto.h),
 * and after start-up can reach no file and no network (mon_sandbox).
 *
 * Threads: the main thread reads the gateway's messages (mon_main.c) and
 * answers control messages itself; deploys (validation, compilation, the
 * template's initialisation) run on a deploy thread (mon_main.c); invocations go through a
 * bounded queue to a pool of workers (mon_run.c). Each function has one
 * template, made at deploy in a store of its own and sealed
 * (ward_instance_seal); every worker makes a copy-on-write clone of it
 * per invocation (a trustlet) in the worker's own store, freed when the
 * invocation ends. The template's imports are host functions only (WASI
 * and ward:io), shared by all clones; they find the trustlet they serve
 * through the data of the store the call runs in (the worker's mon_io).
 * The branches of a fan-out run on several workers at once.
 */
#ifndef WARD_FAAS_MONITOR_H
#define WARD_FAAS_MONITOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "ward.h"

#define MON_PAGE 65536u
#define MON_MAX_PARTS 64u /* input parts of a trustlet (a fan-out's outputs) */
#define MON_MAX_STEPS 16u /* steps of a chain */
#define MON_MAX_GROUP 8u  /* functions of one fan-out step */
#define MON_MAX_ENV 64u
#define MON_MAX_ARGS 64u
#define MON_MAX_TIMEOUT_MS 900000u /* 15 minutes (the gateway waits a minute more) */

/* A deployed function: immutable once published, reference counted
 * (the function table holds one, each queued or running job one). */
typedef struct mon_tenant mon_tenant;

typedef struct mon_fn {
    int refs;          /* atomic */
    mon_tenant *owner; /* its tenant (tenants live as long as the monitor) */
    bool dead;         /* undeployed or replaced */
    uint64_t id;
    char tenant[PROTO_MAX_NAME], name[PROTO_MAX_NAME];
    ward_module *module;
    char entry[PROTO_MAX_NAME], init[PROTO_MAX_NAME];
    uint64_t fuel, timeout_ns, max_memory, output_max;
    bool paged; /* paged memory: input and output by page mapping; flat: copied in and out */
    uint32_t nenv;
    char *env[MON_MAX_ENV];
    /* The template (mon_fn_check builds it at deploy): initialised, sealed,
     * cloned by every worker; freed with the function's last reference. */
    ward_store *tpl_store;
    ward_instance *tpl;
    uint8_t measurement[64]; /* SHA-512 of the module and canonical manifest (mon_attest.c) */
    int sealed;              /* deployed sealed: 1 by a client, 2 from the store */
    uint8_t sealed_for[64];  /* the measurement the sealer named */
    uint8_t *plain;          /* a sealed module's plaintext, until the deploy's reply */
    size_t plain_len;
    uint64_t tpl_charged; /* the template's frames, charged to its tenant */
    uint32_t nargs;
    char *args[MON_MAX_ARGS + 1]; /* argv: the function's name, then the manifest's wasi.args */
    uint64_t grants;              /* PROTO_GRANT_*: clocks, random */
    uint64_t cage;                /* PROTO_CAGE_*: the store's mem_safety, ptr_auth */
    bool io_guest;                /* imports ward:io (mon_wasi_uses_io) */
    /* The native tier (mon_native.c): the object code loaded at deploy into
     * the module's code for the function's store configuration, and what
     * its measurement names of it. */
    bool native;
    uint32_t nat_funcs;       /* functions with native code */
    char nat_cpu[64];         /* the CPU the helper compiled for */
    uint8_t nat_features[32]; /* BLAKE3 of its features */
    uint32_t nat_opt;         /* LLVM optimisation level */
    uint8_t nat_object[64];   /* SHA-512 of the object code */
    uint8_t *nat_store;       /* PROTO_F_NATIVE for the deploy's reply (NULL: none) */
    size_t nat_store_len;
} mon_fn;

struct mon_tenant {
    char name[PROTO_MAX_NAME];
    uint64_t max_funcs, max_conc, max_mem;
    uint64_t nfuncs, running;      /* under mon.lock; running: queued or on a worker */
    uint64_t mem_in_use, mem_peak; /* bytes its templates and trustlets use (mon_mem.c's lock) */
    uint64_t active;               /* on a worker now (the queue's fairness) */
};

/* One queued invocation (a single function is a chain of one step). */
typedef struct mon_job {
    uint64_t conn_gen;
    uint32_t id;
    mon_tenant *tenant;
    uint64_t mem_reserved;
    uint32_t nsteps;
    uint32_t width[MON_MAX_STEPS];
    mon_fn *fns[MON_MAX_STEPS][MON_MAX_GROUP];
    uint8_t *raw; /* the request message, owned; body points into it */
    const uint8_t *body;
    size_t body_len;
    const uint8_t *sealed; /* a sealed body (faas/attest.h), points into raw */
    size_t sealed_len;
    struct {
        uint8_t key[32]; /* the reply's key, wiped once used */
        uint8_t req_nonce[24], subject[64], in_hash[64];
        uint64_t ns; /* time spent opening */
    } seal;
    uint64_t t_enqueued;
} mon_job;

/* Latency histogram bounds, microseconds (Prometheus buckets). */
#define MON_NBUCKETS 12
extern const double mon_bucket_us[MON_NBUCKETS];

typedef struct mon_state {
    pthread_mutex_t lock; /* functions, tenants, queue, counters */
    pthread_cond_t queue_cv;
    mon_fn **fns;
    size_t nfns, cap_fns;
    uint64_t next_fn_id;
    mon_tenant *tenants[256];
    size_t ntenants;
    /* the queue: a ring of jobs */
    mon_job **queue;
    size_t qcap, qhead, qlen;
    bool stopping;
    /* the connection to the gateway: replies to an older one are dropped */
    pthread_mutex_t out_lock;
    int conn;
    uint64_t conn_gen;
    /* counters (under lock) */
    uint64_t invocations, errors, busy_rejects, clone_ns, clones, alive, templates;
    uint64_t hist[MON_NBUCKETS + 1];
    double lat_sum_us;
    unsigned nworkers;
    uint64_t default_timeout_ns;
    bool default_native; /* ward serve --tier native: functions without a tier run native */
} mon_state;

extern mon_state mon;

/* mon_run.c */
typedef struct mon_worker mon_worker;
mon_worker *mon_worker_new(void); /* a worker without a thread (the benchmark's) */
/* Runs job on w and leaves the reply (RESULT or ERROR) in *b, not sent;
 * true if the invocation succeeded. t0: when the job started (ns). */
bool mon_job_exec(mon_worker *w, mon_job *job, proto_buf *b, uint64_t t0);
/* A function from a DEPLOY message: checked, compiled, instantiated once
 * (mon_main.c). NULL with *st and msg on failure. gen: the connection it
 * came on (a compilation stops when that is gone); 0 for none. */
mon_fn *mon_fn_build(const proto_msg *m, uint64_t gen, proto_status *st, char *msg, size_t cap);
/* Whether gen is still the gateway's connection (mon_main.c). */
bool mon_conn_is(uint64_t gen);
/* Checks fn and builds its template (at deploy, mon_main.c); false with msg. */
bool mon_fn_check(mon_fn *fn, bool *over_limit, char *msg, size_t cap);
/* k idle clones of fn's template held while measure(arg) runs (the benchmark's density). */
bool mon_clones_hold(mon_worker *w, mon_fn *fn, unsigned k, void (*measure)(void *), void *arg);
/* mon_bench.c: `ward-monitor --bench ...` (bench/serve.sh). */
int mon_bench(int argc, char **argv);
bool mon_workers_start(unsigned n, size_t queue_cap);
/* Queues a job; false if the queue is full (the caller answers BUSY). */
bool mon_enqueue(mon_job *job);
void mon_fn_release(mon_fn *fn);
void mon_job_free(mon_job *job);
/* Warms up what the sandbox would forbid later (the runtime's watchdog thread). */
void mon_warm_up(void);

/* mon_main.c */
void mon_reply_error(uint64_t gen, uint32_t id, proto_status st, const char *msg, int64_t step);
bool mon_send(uint64_t gen, proto_buf *b); /* frees nothing; false if the connection changed */

/* mon_wasi.c: the trustlet's own WASI and the ward:io imports. */
typedef struct mon_io {
    ward_memory *mem;
    const mon_fn *fn;
    /* Where the input parts lie (in_addr): the trustlet's own memory for a
     * ward:io guest; for a WASI command the worker's scratch memory, and its
     * standard output goes to out_buf: a command's first malloc takes its
     * memory up to the end for its heap (wasi-libc), so none of that memory
     * may be the input's pages or the output's. */
    ward_memory *in_mem;
    uint32_t nin;
    uint64_t in_addr[MON_MAX_PARTS], in_len[MON_MAX_PARTS];
    uint32_t in_part; /* stdin cursor: part and offset in it */
    uint64_t in_off;
    uint8_t *out_buf; /* a WASI command's standard output (malloc'ed), else NULL */
    uint64_t out_buf_cap;
    uint64_t out_addr, out_cap, out_len;
    bool out_overflow;
    bool over_limit; /* the last template failed on its tenant's memory limit */
} mon_io;

/* Defines in l the imports m asks for from wasi_snapshot_preview1 and
 * ward:io, as host functions of s. They act on the mon_io that is the
 * data (ward_store_data) of the store the call runs in. False with *why if
 * m imports anything else (or out of memory). */
bool mon_wasi_link(ward_store *s, ward_linker *l, const ward_module *m, char *why, size_t cap);
/* Does m import anything of ward:io (its input and output are pages of its
 * memory), or is it a WASI command (standard input and output)? */
bool mon_wasi_uses_io(const ward_module *m);

/* Appends one metric line (printf-style) to a COUNTERS reply. */
void mon_stat(proto_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A worker's scratch memory (where the monitor maps regions to fill and
 * read them) has at least `pages` pages, grown if needed. */
bool mon_scratch_fit(ward_memory *scratch, uint64_t pages);

/* mon_attest.c: measurements, keys, evidence, sealed data (docs/attest.md). */
/* Before the sandbox: libsodium, the monitor's measurement (its executable
 * and config), its keys, its platform (spec: NULL or "none", "sim:FILE", "tsm"). */
bool mon_attest_init(const char *spec, const char *config, char *why, size_t cap);
void mon_attest_wipe(void); /* wipes every secret (exit paths) */
/* A key of 32 bytes for label from the store key (sim: the platform's
 * secret and the monitor's executable, so the same for every monitor of
 * this program on this platform); false without a store key. */
bool mon_attest_derive(const char *label, uint8_t out[32]);
void mon_attest_on_attest(uint64_t gen, const proto_msg *m);
/* Deploy: opens a sealed module (m's SEALED) into fn->plain. */
bool mon_attest_module(const proto_msg *m, mon_fn *fn, proto_status *st, char *msg, size_t cap);
/* Sets fn->measurement from the module bytes and m's manifest fields. */
void mon_attest_measure(mon_fn *fn, const proto_msg *m, const uint8_t *wasm, size_t len);
/* A sealed module must measure as its sealer said. */
bool mon_attest_deploy_check(mon_fn *fn, char *msg, size_t cap);
void mon_attest_fn_free(mon_fn *fn);
/* The OK of a deploy: MEASUREMENT, and the module sealed for the store. */
void mon_attest_deploy_reply(uint64_t gen, uint32_t id, mon_fn *fn);
/* A job's sealed input opened straight into a new region (NULL if empty). */
bool mon_attest_open(ward_memory *scratch, mon_job *job, ward_region **r, uint64_t *len,
                     proto_status *st, char *msg, size_t cap);
/* Appends the sealed output (with its receipt) of parts to b. */
bool mon_attest_seal(ward_memory *scratch, mon_job *job, ward_region *const *parts,
                     const uint64_t *lens, uint32_t nparts, proto_buf *b);
void mon_attest_job_free(mon_job *job);
void mon_attest_stats(proto_buf *b);

/* mon_sign.c: Ed25519 signatures on receipts, their nonces (r, r*B)
 * computed ahead by a thread of their own (docs/attest.md). mon_sign_init
 * derives the secret scalar from sk (seed || public key) and checks one
 * signature; mon_sign_start starts the refill thread (before the sandbox).
 * mon_sign_detached writes the 64-byte signature of m, with a pair from the
 * pool or, if it is empty, one made inline. mon_sign_counts: the pairs
 * ready; *made: pairs made, *inl: of them inline, *refill_ns: time in the
 * thread. mon_sign_pool_drain empties the pool (tests). */
bool mon_sign_init(const uint8_t sk[64], char *why, size_t cap);
bool mon_sign_start(void);
void mon_sign_detached(uint8_t sig[64], const uint8_t *m, size_t n);
uint32_t mon_sign_counts(uint64_t *made, uint64_t *inl, uint64_t *refill_ns);
void mon_sign_pool_drain(void);
void mon_sign_wipe(void); /* with the other secrets, on exit */
void mon_sign_stats(proto_buf *b);

/* mon_mem.c: a tenant's memory, measured (frames its templates and
 * trustlets own), and its limit. */
uint64_t mon_store_limit(void); /* max_store_memory_bytes of template stores */
uint64_t mon_mem_owned(ward_memory *m, bool paged);
/* Charges fn's tenant for a template (after its initialisation): false
 * with msg if that passes the tenant's limit. mon_mem_release gives it back. */
bool mon_tpl_charge(const mon_fn *fn, ward_instance *inst, uint64_t *charged, char *msg,
                    size_t cap);
void mon_mem_release(mon_tenant *t, uint64_t bytes);
/* Whether bytes more fit t's limit now (an invocation's input); msg if not. */
bool mon_mem_admit(mon_tenant *t, uint64_t bytes, char *msg, size_t cap);
void mon_mem_read(const mon_tenant *t, uint64_t *now, uint64_t *peak);
typedef struct mon_trustlet_mem {
    mon_tenant *t;
    ward_store *s;
    bool paged;
    uint64_t charged, ballast;
    uint64_t refusals; /* ward_store_refusals(s) when the call started */
} mon_trustlet_mem;
/* Before a trustlet's call (its clone grown and its inputs mapped): charges
 * what it owns and maps, and bounds its growth by the tenant's free room
 * (through s's budget). False with msg if the tenant is at its limit. */
bool mon_trustlet_begin(mon_trustlet_mem *tm, const mon_fn *fn, ward_store *s, ward_memory *mem,
                        uint64_t in_bytes, char *msg, size_t cap);
/* After the call: true (with msg) if the call failed (a trap other than fuel
 * or time, or a non-zero exit) after its store's budget refused it memory
 * (the tenant's room): the tenant's limit, not the function, is to blame. */
bool mon_mem_blame(const mon_trustlet_mem *tm, const mon_fn *fn, ward_status st,
                   const ward_result *res, char *msg, size_t cap);
/* After the call, before the clone is freed: gives everything back. */
void mon_trustlet_end(mon_trustlet_mem *tm, ward_memory *mem);

/* mon_native.c: the compile helper and loading its code (docs/serve.md). */
/* Before the sandbox: finds, hashes and starts `helpers` processes of
 * ward-native --compile-server (one per deploy thread, so that
 * compilations of several tenants run side by side) and installs the
 * fault handler; false (native deploys then get the reason) if there is
 * none or want is false. */
bool mon_native_start(bool want, unsigned helpers, uint32_t timeout_ms, uint32_t memory_mib);
/* The SHA-512 of the helper's executable (false if none was found). */
bool mon_native_exe_hash(uint8_t out[64]);
const char *mon_native_why(void); /* why there is no native code */
/* The key of PROTO_F_NATIVE's MAC: 32 bytes read from fd (the supervisor's,
 * the same for every monitor of a node), or a key of this monitor's own
 * if fd < 0. False if fd does not give 32 bytes. */
bool mon_native_key(int fd);
/* After mon_attest_init: with a store key, the code key is derived from it
 * instead (the same across `ward serve` runs on this platform). */
void mon_native_platform_key(void);
/* At deploy: compiles fn's module (wasm: its bytes) in the helper, loads
 * the code into fn->module and fills fn->nat_*. False with *st and msg.
 * The compilation is cancelled once connection gen is gone (0: never).
 * stored: the deploy's PROTO_F_NATIVE (NULL: none), used instead of a
 * compilation if its MAC is good (a sealed module's: if it opens);
 * otherwise fn->nat_store gets one for the reply. */
bool mon_native_build(mon_fn *fn, const uint8_t *wasm, size_t len, uint64_t gen,
                      const proto_field *stored, proto_status *st, char *msg, size_t cap);
void mon_native_stats(proto_buf *b);

/* mon_sandbox.c: the seccomp filter; fills `list` with the system calls it allows. */
bool mon_sandbox(char *why, size_t cap);
const char *mon_sandbox_allowed(void);

#endif
