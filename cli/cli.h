/* cli.h - what the subcommands of the `ward` program share: exit statuses,
 * reading a module file, and parsing durations and sizes.
 *
 * One file per subcommand (run.c: `ward run`), main.c dispatches. The
 * program uses the public API (include/) only.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses: 134 for a trap (the status of an abort on Unix, as wasmtime
 * uses); 1 when the module fails to load, validate, link or instantiate, or
 * the run fails otherwise (no _start, an exit code ward cannot report); 2
 * for a usage error. */
#define CLI_EXIT_TRAP 134
#define CLI_EXIT_LOAD 1
#define CLI_EXIT_USAGE 2
/* A guest's exit code becomes ward's status only below this, as in wasmtime:
 * from 126 up a status means "cannot execute", "not found", "killed by
 * signal N - 128" (134: a trap) to a shell, and above 255 it does not fit
 * in one; ward says so and exits 1 instead. */
#define CLI_EXIT_GUEST_LIMIT 126u
#define CLI_MAX_MODULE ((size_t)1 << 30) /* refuse to read more than 1 GiB */

/* Prints "ward: error: " fmt (with what) and a pointer to the subcommand's
 * help to stderr; returns CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, const char *what);

/* A duration: a decimal number with unit ns, us, ms, s, m or h (bare: seconds). */
bool cli_parse_duration(const char *s, uint64_t *ns);
/* A size in bytes with an optional suffix K, M, G (KiB, MiB, GiB). */
bool cli_parse_bytes(const char *s, uint64_t *bytes);
/* Monotonic time in nanoseconds. */
uint64_t cli_now_ns(void);

/* Reads a whole file (at most CLI_MAX_MODULE bytes) into a malloc'd buffer
 * the caller frees; NULL with errno set on failure. */
uint8_t *cli_read_file(const char *path, size_t *len);

/* The native tier (docs/native.md) lives in a second program, ward-native
 * (the same commands, linked with LLVM), so that `ward` itself stays free
 * of LLVM's start-up cost. cli_native_here() is true in ward-native; in
 * ward, cli_native_exec runs "ward-native CMD argv..." from ward's own
 * folder (or $WARD_NATIVE) and returns only on failure, with a status. */
bool cli_native_here(void);
int cli_native_exec(const char *cmd, int argc, char **argv);

/* What a node's compile helper makes of a module (compile_server.c's
 * protocol): the object code (*obj, malloc'ed) and what names it (the CPU,
 * the BLAKE3 of its features, the optimisation level). Runs ward-native
 * --compile-server from ward's folder (or $WARD_NATIVE), as the node's
 * monitor does, so that `ward client` measures native functions itself.
 * False with a message in why. */
/* Reads (wr false) or writes all n bytes at p on fd; false on EOF or error. */
bool cli_io(int fd, void *p, size_t n, bool wr);
typedef struct cli_native_obj {
    char cpu[64];
    uint8_t features[32];
    uint32_t opt;
    uint8_t *obj;
    size_t len;
} cli_native_obj;
bool cli_native_compile(const uint8_t *wasm, size_t len, bool paged, bool mem_safety,
                        uint32_t features, cli_native_obj *out, char *why, size_t cap);

/* Subcommands: argc/argv after the subcommand's name. */
int cli_run(int argc, char **argv);
extern const char cli_run_help[];
/* The serverless node's commands (serve.c, client.c) link libcurl,
 * libmicrohttpd, cJSON and libsodium: they are in the ward-node program
 * only, which ward execs for them (cli_node_exec), so that `ward run` does
 * not load those libraries (about 4 ms of start-up). Weak in ward. */
int cli_node_exec(const char *cmd, int argc, char **argv);
int cli_serve(int argc, char **argv); /* serve.c: a serverless node */
extern const char cli_serve_help[];
int cli_client(int argc, char **argv);  /* client.c: its HTTP API */
int cli_compile(int argc, char **argv); /* compile.c: AOT native code */
/* compile_server.c, in ward-native only: `ward-native --compile-server FD`. */
int cli_compile_server(int argc, char **argv);
extern const char cli_compile_help[];
extern const char cli_client_help[];
int cli_harden(int argc, char **argv); /* harden.c: the binary rewriter (harden/) */
extern const char cli_harden_help[];

#endif
