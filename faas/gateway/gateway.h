/* gateway.h - the untrusted side of a ward serverless node (faas/gateway):
 * HTTP (libmicrohttpd), tenants, the function store on disk and routing to
 * the monitor over the binary protocol (faas/proto.h). It never needs a
 * function's input or output in plaintext: it moves request and response
 * bodies between HTTP and the protocol as opaque bytes.
 */
#ifndef WARD_FAAS_GATEWAY_H
#define WARD_FAAS_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_MAX_TENANTS 64

typedef struct gw_tenant {
    char name[64];
    char token[128];
    uint64_t max_funcs, max_conc, max_mem; /* 0 = the monitor's default */
} gw_tenant;

typedef struct gw_config {
    int listen_fd;     /* a bound, listening TCP socket (the supervisor keeps it across restarts) */
    int ctl_fd;        /* the supervisor: connections to the monitor arrive here */
    const char *store; /* the function store's folder */
    size_t max_body;   /* bytes of a request body (deploy or invoke) */
    unsigned threads;  /* HTTP worker threads (0: one per connection) */
    gw_tenant tenants[GW_MAX_TENANTS];
    size_t ntenants; /* 0: one tenant "default", no token needed */
} gw_config;

/* Names of tenants, functions and chains: 1-63 bytes of [A-Za-z0-9_.-],
 * not starting with '.' (they are file names in the store). */
bool gw_name_ok(const char *s);

/* Runs the gateway until the process is killed or the supervisor goes away. */
int gw_main(const gw_config *cfg);

/* ---- manifests (manifest.c) ---------------------------------------------------------- */

#define GW_MAX_ENV 64
#define GW_MAX_ARGS 64
#define GW_MAX_TIMEOUT_MS 900000u /* 15 minutes: the longest function timeout */

/* A manifest's "tier" (the values of proto.h's PROTO_TIER_*). */
enum { GW_TIER_DEFAULT = 0, GW_TIER_INTERP = 1, GW_TIER_NATIVE = 2 };

typedef struct gw_manifest {
    char entry[64], init[64];
    int memory_mode; /* 1 paged, 0 flat */
    uint64_t fuel, timeout_ms, max_memory, output_max;
    size_t nenv;
    char *env[GW_MAX_ENV]; /* "NAME=VALUE", malloc'ed */
    size_t nargs;
    char *args[GW_MAX_ARGS];   /* wasi.args: argv after the function's name, malloc'ed */
    bool clocks, random;       /* wasi.clocks, wasi.random: granted (default: not) */
    bool mem_safety, ptr_auth; /* cage flags */
    int tier;                  /* GW_TIER_*: "tier": "interp" | "native" (default: the node's) */
} gw_manifest;

/* Parses a JSON manifest:
 *   {"entry": "_start", "init": "_initialize", "memory": "paged",
 *    "limits": {"fuel": 0, "timeout_ms": 1000, "memory": 16777216, "output": 1048576},
 *    "env": {"NAME": "VALUE"},
 *    "wasi": {"args": ["--flag"], "clocks": true, "random": true},
 *    "cage": {"mem_safety": true, "ptr_auth": true}, "tier": "native"}
 * Every key is optional; an unknown key, a wrong type or a value out of
 * range is an error written to err. An empty text is the empty manifest. */
bool gw_manifest_parse(const char *text, size_t len, gw_manifest *m, char *err, size_t cap);
/* The manifest as canonical JSON (keys in a fixed order, every field): malloc'ed. */
char *gw_manifest_json(const gw_manifest *m);
void gw_manifest_free(gw_manifest *m);

#endif
