/* proto.h - the binary protocol between the gateway (untrusted) and the
 * monitor (trusted) of a ward serverless node, over one Unix stream socket.
 *
 * A message is a 16-byte header and a payload of fields:
 *   header  u32 magic "WRD1" | u16 type | u16 version | u32 id | u32 length
 *   field   u16 tag | u32 length | length bytes        (repeated to the end)
 * All integers little-endian. `id` pairs a reply with its request (the
 * gateway picks it; the monitor echoes it). Numbers are fields of exactly
 * 8 bytes (u64); strings are bytes without NUL; a tag may repeat only where
 * the table below says so.
 *
 * The decoder is the monitor's only parser of outside input: it bounds the
 * payload (PROTO_MAX_PAYLOAD), the number of fields (PROTO_MAX_FIELDS) and
 * every length before it looks further, accepts only known types and tags,
 * and never allocates: the decoded fields point into the caller's buffer.
 * fuzz/fuzz_proto.c fuzzes it.
 *
 * Measurement, attestation and end-to-end encryption (faas/attest.h,
 * docs/attest.md): ATTEST (TENANT, STEP*, NONCE) asks for evidence about
 * the monitor and the function or chain the steps name; the monitor
 * answers EVIDENCE (EVIDENCE, MEASUREMENT). A sealed request carries
 * PROTO_F_SEALED (a sealed request of attest.h) instead of PROTO_F_BODY,
 * and the monitor answers with PROTO_F_SEALED (a sealed reply with its
 * receipt) instead of PROTO_F_BODY; the gateway routes either without
 * being able to read it. A DEPLOY may carry its module as PROTO_F_SEALED
 * (sealed by a client, or by the monitor for the store); its OK then
 * carries MEASUREMENT and, for the store, the module sealed by the
 * monitor (PROTO_F_SEALED).
 *
 * The OK of a native-tier deploy of a module that is not sealed carries
 * PROTO_F_NATIVE: the compile helper's answer (the object code) behind a
 * MAC under a key of the node's supervisor that only monitors hold. The
 * gateway stores it with the function and sends it back with the deploy
 * when it deploys its store again (a restart of either side); a monitor
 * that finds its MAC good loads that code instead of compiling the module
 * again, and compiles as ever if not (docs/serve.md, "Native code").
 */
#ifndef WARD_FAAS_PROTO_H
#define WARD_FAAS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC 0x31445257u /* "WRD1" read as a little-endian u32 */
#define PROTO_VERSION 1u
#define PROTO_HEADER 16u
#define PROTO_MAX_PAYLOAD (80u << 20) /* a 64 MiB module or body, and the rest */
#define PROTO_MAX_FIELDS 512u
#define PROTO_MAX_NAME 64u /* tenant and function names, bytes */

typedef enum proto_type {
    /* gateway -> monitor */
    PROTO_HELLO = 1,    /* start of a connection: forget every function (re-deploys follow) */
    PROTO_TENANT = 2,   /* TENANT, LIMIT_*: set a tenant's limits */
    PROTO_DEPLOY = 3,   /* TENANT, NAME, WASM and the manifest fields */
    PROTO_UNDEPLOY = 4, /* TENANT, NAME */
    PROTO_INVOKE = 5,   /* TENANT, STEP (repeated), BODY or SEALED */
    PROTO_STATS = 6,    /* (none): counters of the monitor */
    PROTO_ATTEST = 7,   /* TENANT, STEP*, NONCE -> EVIDENCE */
    /* monitor -> gateway */
    PROTO_OK = 64,       /* the request was done; STATUS = PROTO_ST_OK, maybe fields */
    PROTO_RESULT = 65,   /* STATUS, EXIT_CODE, BODY or SEALED, STEP_INDEX, MESSAGE, TIME_NS */
    PROTO_ERROR = 66,    /* STATUS, MESSAGE (and STEP_INDEX for a chain) */
    PROTO_COUNTERS = 67, /* STAT (repeated): "name value" lines */
    PROTO_EVIDENCE = 68, /* EVIDENCE, MEASUREMENT (the subject's) */
    PROTO_TYPE_MAX_
} proto_type;

/* Fields. N: u64, S: string, B: bytes; * may repeat. */
typedef enum proto_tag {
    PROTO_F_TENANT = 1,       /* S */
    PROTO_F_NAME = 2,         /* S function name */
    PROTO_F_WASM = 3,         /* B the module */
    PROTO_F_ENTRY = 4,        /* S export to call per invocation (default _start) */
    PROTO_F_INIT = 5,         /* S export run once on the template (default _initialize if any) */
    PROTO_F_MEMORY_MODE = 6,  /* N 0 flat, 1 paged (chains and ward:io need paged) */
    PROTO_F_FUEL = 7,         /* N per invocation; 0 = none */
    PROTO_F_TIMEOUT_MS = 8,   /* N per invocation; 0 = the monitor's default */
    PROTO_F_MAX_MEMORY = 9,   /* N bytes of linear memory, input and output pages included */
    PROTO_F_ENV = 10,         /* S* "NAME=VALUE" */
    PROTO_F_OUTPUT_MAX = 11,  /* N bytes of output; 0 = default (1 MiB) */
    PROTO_F_STEP = 12,        /* S* a chain step: function names separated by ',' (fan-out) */
    PROTO_F_BODY = 13,        /* B request or response data */
    PROTO_F_STATUS = 14,      /* N proto_status */
    PROTO_F_MESSAGE = 15,     /* S */
    PROTO_F_EXIT_CODE = 16,   /* N */
    PROTO_F_STEP_INDEX = 17,  /* N the chain step that failed (0-based) */
    PROTO_F_TIME_NS = 18,     /* N time in the monitor */
    PROTO_F_LIMIT_FUNCS = 19, /* N most functions of a tenant */
    PROTO_F_LIMIT_CONC = 20,  /* N most concurrent invocations of a tenant */
    PROTO_F_LIMIT_MEM = 21,   /* N most bytes of memory of a tenant's running invocations */
    PROTO_F_STAT = 22,        /* S* */
    PROTO_F_CLONE_NS = 23,    /* N time spent cloning templates */
    /* measurement, attestation and encryption (faas/attest.h) */
    PROTO_F_NONCE = 24,       /* B the client's challenge, 32 bytes */
    PROTO_F_EVIDENCE = 25,    /* B evidence (attest.h) */
    PROTO_F_MEASUREMENT = 26, /* B* SHA-512 measurements, 64 bytes each */
    PROTO_F_SEALED = 27,      /* B a sealed request, reply or stored module */
    PROTO_F_CAGE = 28,        /* N Cage flags of a function: PROTO_CAGE_* */
    PROTO_F_ARG = 29,         /* S* a function's arguments after its name (manifest wasi.args) */
    PROTO_F_GRANTS = 30,      /* N WASI grants of a function: PROTO_GRANT_* (default none) */
    PROTO_F_TIER = 31,        /* N execution tier: PROTO_TIER_* (absent: the node's default) */
    PROTO_F_NATIVE = 32,      /* B a native function's code for the store (see below) */
    PROTO_TAG_MAX_
} proto_tag;

/* PROTO_F_TIER: the function's machine code (docs/serve.md, "Native code"). */
enum {
    PROTO_TIER_DEFAULT = 0, /* the node's (ward serve --tier) */
    PROTO_TIER_INTERP = 1,  /* the interpreter */
    PROTO_TIER_NATIVE = 2,  /* compiled once at deploy by the node's compile helper */
};

/* PROTO_F_GRANTS and PROTO_F_CAGE bits. */
enum {
    PROTO_GRANT_CLOCKS = 1u, /* clock_time_get, clock_res_get (else ENOTCAPABLE) */
    PROTO_GRANT_RANDOM = 2u, /* random_get (else ENOTCAPABLE) */
    PROTO_GRANT_ALL_ = 3u,
    PROTO_CAGE_MEM_SAFETY = 1u, /* memory tagging: ward_store_config.mem_safety */
    PROTO_CAGE_PTR_AUTH = 2u,   /* pointer authentication: ward_store_config.ptr_auth */
    PROTO_CAGE_ALL_ = 3u,
};

/* What happened to a request (PROTO_F_STATUS). */
typedef enum proto_status {
    PROTO_ST_OK = 0,
    PROTO_ST_TRAP = 1,        /* the guest trapped */
    PROTO_ST_EXIT = 2,        /* the guest exited with a non-zero code */
    PROTO_ST_FUEL = 3,        /* out of fuel */
    PROTO_ST_TIMEOUT = 4,     /* deadline exceeded */
    PROTO_ST_MEMORY = 5,      /* memory limit (or output limit) reached */
    PROTO_ST_NOT_FOUND = 6,   /* no such function */
    PROTO_ST_BAD_MODULE = 7,  /* deploy: the module does not load, link or initialise */
    PROTO_ST_BAD_REQUEST = 8, /* a malformed message or argument */
    PROTO_ST_LIMIT = 9,       /* a tenant limit */
    PROTO_ST_BUSY = 10,       /* the queue is full */
    PROTO_ST_INTERNAL = 11,   /* out of memory or a bug */
    PROTO_ST_UNSUPPORTED = 12,
    PROTO_ST_SEALED = 13, /* a sealed request refused: stale keys, replay, forgery, wrong code */
    PROTO_ST_MAX_
} proto_status;

typedef struct proto_field {
    uint16_t tag;
    uint32_t len;
    const uint8_t *data;
} proto_field;

typedef struct proto_msg {
    uint16_t type;
    uint32_t id;
    uint32_t nfields;
    proto_field fields[PROTO_MAX_FIELDS];
} proto_msg;

/* Reads a header: false (with *why) if it is not one this side accepts. */
bool proto_header(const uint8_t hdr[PROTO_HEADER], uint16_t *type, uint32_t *id, uint32_t *len,
                  const char **why);
/* Decodes a whole message (header and payload, len bytes) into m, whose
 * fields point into buf. False with *why (a static string) if malformed. */
bool proto_decode(const uint8_t *buf, size_t len, proto_msg *m, const char **why);

/* Field access on a decoded message. */
const proto_field *proto_get(const proto_msg *m, uint16_t tag);
bool proto_u64(const proto_msg *m, uint16_t tag, uint64_t *v); /* false if absent */
/* A string field copied into dst (NUL-terminated); false if absent or too long. */
bool proto_str(const proto_msg *m, uint16_t tag, char *dst, size_t cap);
const char *proto_status_text(proto_status st);

/* Building a message: a growing buffer. Functions return false when out of
 * memory or past PROTO_MAX_PAYLOAD; the buffer is then unusable (free it). */
typedef struct proto_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} proto_buf;

bool proto_begin(proto_buf *b, uint16_t type, uint32_t id);
bool proto_put(proto_buf *b, uint16_t tag, const void *data, size_t len);
bool proto_put_u64(proto_buf *b, uint16_t tag, uint64_t v);
bool proto_put_str(proto_buf *b, uint16_t tag, const char *s);
/* Reserves len bytes for a field and returns where to write them (NULL on failure). */
uint8_t *proto_put_space(proto_buf *b, uint16_t tag, size_t len);
bool proto_end(proto_buf *b); /* writes the length into the header */
void proto_buf_free(proto_buf *b);

/* Socket I/O: whole messages, retrying short reads and writes and EINTR.
 * proto_recv returns a malloc'ed buffer with the whole message in *out
 * (caller frees), or false on EOF, error or a bad header (*why says). */
bool proto_send(int fd, const proto_buf *b);
bool proto_recv(int fd, uint8_t **out, size_t *len, const char **why);
/* Reads exactly n bytes from fd (retrying on EINTR); false on EOF or error. */
bool proto_read_all(int fd, uint8_t *p, size_t n);

/* Receives a descriptor sent with SCM_RIGHTS over the supervisor's control
 * socket (one byte of payload): the descriptor, -1 when the peer is gone,
 * -2 when the message carried none. */
int proto_recv_fd(int ctl);

#endif
