/* ward_wasi.h - WASI preview1 (wasi_snapshot_preview1) for ward.
 *
 * A ward_wasi is one guest's view of the host: its arguments, environment,
 * standard streams, preopened directories and sockets, and its table of open
 * file descriptors. It is built on the public API alone (include/ward.h): all
 * access to guest memory goes through the checked ward_memory_* helpers.
 *
 * Confinement: a guest reaches nothing but what was preopened. Every path is
 * resolved with openat2(2) and RESOLVE_BENEATH, so "..", absolute paths and
 * symlinks that lead outside a preopened directory fail (ENOTCAPABLE). On a
 * kernel without openat2 (Linux < 5.6) path operations fail with ENOSYS;
 * ward_wasi_new() refuses preopened directories there rather than falling
 * back to a weaker check.
 *
 * Ownership
 *   ward_wasi_new() copies everything it needs from the config (strings are
 *   copied, host descriptors are dup'ed), so the config may be freed at once.
 *   The guest closing its fd 1 closes ward's duplicate, never the host's
 *   stdout. ward_wasi_free() closes every descriptor the guest still holds.
 *   A ward_wasi may be defined into one store at a time; it must outlive
 *   every call into instances linked against it, and be freed after (or
 *   independently of) the store: the functions it defines hold a pointer to it.
 */
#ifndef WARD_WASI_H
#define WARD_WASI_H

#include "ward.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_wasi ward_wasi;

/* A directory made visible to the guest under guest_path (e.g. "." or "/data"). */
typedef struct ward_wasi_preopen {
    const char *host_path;
    const char *guest_path;
} ward_wasi_preopen;

typedef struct ward_wasi_config {
    const char *const *argv; /* argv[0] is the program name the guest sees */
    size_t argc;
    const char *const *envp; /* "NAME=VALUE" strings */
    size_t envc;
    const ward_wasi_preopen *dirs; /* guest fds 3, 4, ... in this order */
    size_t ndirs;
    const int *sockets; /* host sockets (listening or connected), after the dirs */
    size_t nsockets;
    /* Host descriptors for guest fds 0, 1 and 2 (duplicated); -1 leaves that
     * guest fd closed. ward_wasi_config_init() sets 0, 1, 2. */
    int stdin_fd, stdout_fd, stderr_fd;
    /* Most descriptors the guest may hold at once; 0 = default (1024). */
    uint32_t max_fds;
} ward_wasi_config;

/* Fills cfg with defaults: no args, no env, no preopens, stdio 0/1/2. */
WARD_API void ward_wasi_config_init(ward_wasi_config *cfg);

/* Creates a WASI context. Returns NULL with *err filled (e.g. a preopened
 * directory that cannot be opened). Free with ward_wasi_free(). */
WARD_API ward_wasi *ward_wasi_new(const ward_wasi_config *cfg, ward_error *err);

/* Creates every wasi_snapshot_preview1 function in store s and defines it in
 * l under module "wasi_snapshot_preview1". The context's state is charged
 * to s's budget (ward_store_charge): its strings and every descriptor slot
 * (WASI_SLOT_BYTES, about 36 KiB, what an open directory can hold), now
 * and as the table grows; a guest whose table cannot grow within the budget
 * gets ENOMEM. Returns false if out of memory or over the budget. */
WARD_API bool ward_wasi_define(ward_wasi *w, ward_store *s, ward_linker *l);

/* Blocking calls (poll_oneoff, reads from pipes, terminals and sockets,
 * sock_accept, sock_recv, sock_send) stop waiting timeout_ns from now and
 * end the guest with the trap WARD_TRAP_DEADLINE ("deadline exceeded")
 * rather than return an errno it could go on with, so a sleep never
 * outlives the guest. Call it next to ward_store_set_timeout(s, timeout_ns)
 * with the same value; 0 disables. */
WARD_API void ward_wasi_set_timeout(ward_wasi *w, uint64_t timeout_ns);

/* Wakes a blocking WASI call of w (poll_oneoff, fd_read from a pipe,
 * terminal or socket, sock_accept, sock_recv, sock_send): it returns EINTR
 * to the guest at once. Call it right after ward_store_interrupt(s), from
 * any thread or a signal handler (it only writes to an eventfd): the guest
 * then traps with WARD_TRAP_INTERRUPTED at its next call or loop iteration
 * instead of sleeping on. A wake-up made while no call is blocked is kept
 * for the next blocking call, which then returns EINTR at once. */
WARD_API void ward_wasi_interrupt(ward_wasi *w);

/* Closes every descriptor the guest holds and frees w. NULL is allowed. */
WARD_API void ward_wasi_free(ward_wasi *w);

#ifdef __cplusplus
}
#endif
#endif
