/* attest.h - measurement, attestation evidence, sealed messages and
 * receipts of a ward serverless node (docs/attest.md). Shared by the
 * monitor (trusted: it measures, signs and opens) and the client (it
 * verifies and seals); the gateway only routes these byte strings. Every
 * primitive is libsodium's: SHA-512 for measurements, BLAKE2b for the
 * other hashes, Ed25519 signatures, X25519 key exchange (crypto_kx) and
 * XChaCha20-Poly1305 (IETF) for the sealed data.
 *
 * Every decoder here bounds each length against the bytes it was given
 * before it reads, and never allocates (fuzz/fuzz_attest.c).
 */
#ifndef WARD_FAAS_ATTEST_H
#define WARD_FAAS_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATT_HASH 64  /* SHA-512 (measurements) and BLAKE2b-512 (receipt hashes) */
#define ATT_PK 32    /* Ed25519 and X25519 public keys */
#define ATT_SIG 64   /* Ed25519 signature */
#define ATT_NONCE 32 /* a client's attestation challenge */
#define ATT_XNONCE 24
#define ATT_TAG 16
#define ATT_KEY 32
#define ATT_CHUNK 65536u /* most plaintext bytes of one sealed chunk (one page) */
#define ATT_MAX_TSM 16384u
#define ATT_LABEL 32

/* ---- measurements (SHA-512) ------------------------------------------------------ */

/* What a function's manifest says, as the monitor receives it. */
typedef struct att_manifest {
    const char *entry, *init;
    bool paged;
    uint64_t fuel, timeout_ms, max_memory, output_max;
    const char *const *env; /* "NAME=VALUE" */
    size_t nenv;
    const char *const *args; /* wasi.args: argv after the function's name */
    size_t nargs;
    bool clocks, random;       /* WASI grants */
    bool mem_safety, ptr_auth; /* Cage flags */
} att_manifest;

/* The canonical manifest: every field the monitor receives, in a fixed
 * order, each string with its length: "entry 6:_start\n...". Written to
 * out (at most cap bytes); returns its length, or 0 if it does not fit.
 * att_manifest_cap: a cap that fits m. */
size_t att_manifest_canon(char *out, size_t cap, const att_manifest *m);
size_t att_manifest_cap(const att_manifest *m);
/* A function: SHA-512("ward-function-1", |wasm|, wasm, |manifest|, manifest). */
void att_measure_fn(uint8_t out[ATT_HASH], const uint8_t *wasm, size_t wasm_len, const char *canon,
                    size_t canon_len);
/* A function in the native tier: SHA-512("ward-function-2", |wasm|, wasm,
 * |manifest|, manifest, "tier native", |cpu|, cpu (the CPU name the code
 * was made for), BLAKE3 of the CPU features (32), the optimisation level
 * (u32), SHA-512 of the object code (64)): it names the machine code that
 * runs the function. Interpreter functions keep "ward-function-1". */
void att_measure_fn_native(uint8_t out[ATT_HASH], const uint8_t *wasm, size_t wasm_len,
                           const char *canon, size_t canon_len, const char *cpu,
                           const uint8_t features[32], uint32_t opt,
                           const uint8_t object[ATT_HASH]);
/* A chain: SHA-512("ward-chain-1", steps, and per step its width and its
 * functions' measurements in order). One step of one function measures as
 * that function. */
void att_measure_chain(uint8_t out[ATT_HASH], uint32_t nsteps, const uint32_t *width,
                       const uint8_t (*fns)[ATT_HASH]);

/* ---- evidence ---------------------------------------------------------------------- */

typedef enum att_platform {
    ATT_PLATFORM_NONE = 0, /* no platform: the keys are vouched for by nobody */
    ATT_PLATFORM_SIM = 1,  /* a platform key from a file: SIMULATED, not hardware */
    ATT_PLATFORM_TSM = 2,  /* a hardware report through Linux configfs-tsm */
} att_platform;

/* Evidence for a nonce, as the monitor signs it:
 *   0   "WARDEVI1"         8   u32 platform        12  u32 tsm_len
 *   16  monitor[64]        80  sign_pk[32]         112 kx_pk[32]
 *   144 subject[64]        208 nonce[32]           240 label[32] (text, NUL-padded)
 *   272 platform_pk[32]    304 platform_sig[64]    368 tsm report (tsm_len bytes)
 *   then the monitor's Ed25519 signature over everything before it.
 * sim: platform_sig is the platform key's signature over the report data
 * (att_report_data: monitor, both keys, subject and nonce). tsm: the
 * hardware report was made at the monitor's start with report data
 * att_tsm_report_data (the monitor measurement and both keys); freshness
 * for the nonce comes from the monitor's signature. */
#define ATT_EV_FIXED 368u
typedef struct att_evidence {
    uint32_t platform;
    uint8_t monitor[ATT_HASH];
    uint8_t sign_pk[ATT_PK], kx_pk[ATT_PK];
    uint8_t subject[ATT_HASH]; /* zero when the evidence is about the monitor only */
    uint8_t nonce[ATT_NONCE];
    char label[ATT_LABEL + 1];
    uint8_t platform_pk[ATT_PK], platform_sig[ATT_SIG];
    const uint8_t *tsm; /* points into the decoded bytes */
    uint32_t tsm_len;
} att_evidence;

size_t att_evidence_size(uint32_t tsm_len);
/* Writes e (and its signature with sign_sk) to out, which holds
 * att_evidence_size(e->tsm_len) bytes. */
void att_evidence_encode(const att_evidence *e, const uint8_t sign_sk[64], uint8_t *out);
/* Decodes and checks the monitor's signature. False with *why. */
bool att_evidence_decode(const uint8_t *b, size_t n, att_evidence *e, const char **why);
/* The data a platform vouches for: SHA-512 over a domain, the monitor
 * measurement, both public keys, the subject and the nonce. */
void att_report_data(uint8_t out[ATT_HASH], const att_evidence *e);
void att_tsm_report_data(uint8_t out[ATT_HASH], const uint8_t monitor[ATT_HASH],
                         const uint8_t sign_pk[ATT_PK], const uint8_t kx_pk[ATT_PK]);
/* The message a sim platform key signs. */
#define ATT_SIM_MSG (16 + ATT_HASH)
void att_sim_message(uint8_t out[ATT_SIM_MSG], const att_evidence *e);

/* ---- configfs-tsm reports ---------------------------------------------------------- */

typedef struct att_tsm_report {
    const char *format; /* "sev-snp report" or "tdx quote v4" */
    uint8_t report_data[64];
    uint8_t measurement[48]; /* SNP MEASUREMENT, TDX MRTD */
} att_tsm_report;

/* Reads the report data and measurement of an outblob from
 * /sys/kernel/config/tsm/report/.../outblob: an AMD SEV-SNP attestation
 * report (version 2 or 3, 1184 bytes) or an Intel TDX quote (version 4,
 * TEE type 0x81). The hardware signature is not checked here (it needs the
 * vendor's certificate chain). */
bool att_tsm_parse(const uint8_t *blob, size_t n, att_tsm_report *r, const char **why);

/* ---- sealed messages ------------------------------------------------------------------ */

/* Session keys from X25519 (libsodium crypto_kx): c2m seals requests, m2c replies. */
typedef struct att_session {
    uint8_t c2m[ATT_KEY], m2c[ATT_KEY];
} att_session;

/* A sealed request (invocation input, or a module for a confidential deploy):
 *   0   "WARDREQ1"   8   u32 flags   12  u32 nchunks
 *   16  kx_pk[32]    the monitor key it is sealed to
 *   48  client_pk[32] the client's ephemeral X25519 key
 *   80  subject[64]  the measurement of the code allowed to see it
 *   144 u64 time     the client's clock (ns since the epoch): replay window
 *   152 nonce[24]    fresh; chunk i uses it with i xor-ed into its last 8 bytes
 *   176 chunks: u32 len | ciphertext[len] | tag[16], len <= ATT_CHUNK
 * Each chunk's associated data: BLAKE2b-256 of the header (bytes 0..176),
 * the chunk index and a last-chunk flag: the subject, nonce, time and both
 * keys are bound to every byte, and chunks cannot be reordered, dropped or
 * cut short. */
#define ATT_REQ_HDR 176u
#define ATT_REQ_DEPLOY 1u /* flags: the payload is a module to deploy */
#define ATT_REQ_STORE                                                                              \
    2u /* with DEPLOY: sealed by the monitor under its store key (no keys in the header) */
typedef struct att_req {
    uint32_t flags, nchunks;
    const uint8_t *kx_pk, *client_pk, *subject, *nonce;
    uint64_t time_ns;
    const uint8_t *chunks; /* the first chunk */
    size_t plain_len;      /* the sum of the chunks' lengths */
    uint8_t ad_hash[32];
} att_req;

bool att_req_parse(const uint8_t *b, size_t n, att_req *r, const char **why);

/* A sealed reply (the output of an invocation):
 *   0   "WARDRSP1"   8   u32 nchunks   12 u32 zero
 *   16  request nonce[24]    40 nonce[24]
 *   64  receipt (ATT_RECEIPT bytes)
 *   352 chunks as in a request; associated data BLAKE2b-256 of bytes
 *       0..64 and the subject, the index and the last flag. */
#define ATT_RSP_HDR 64u
/* A receipt: subject[64] | in[64] | out[64] | sign_pk[32] | sig[64]:
 * the monitor's signature over the function (or chain) measurement, the
 * BLAKE2b-512 hash of the whole sealed request and that of the reply's
 * chunks (the output's ciphertext). */
#define ATT_RECEIPT (3 * ATT_HASH + ATT_PK + ATT_SIG)
#define ATT_RSP_CHUNKS (ATT_RSP_HDR + ATT_RECEIPT)

typedef struct att_rsp {
    uint32_t nchunks;
    const uint8_t *req_nonce, *nonce, *receipt;
    const uint8_t *chunks;
    size_t chunks_len, plain_len;
} att_rsp;

bool att_rsp_parse(const uint8_t *b, size_t n, att_rsp *r, const char **why);

/* Chunk helpers (both sides). */
size_t att_nchunks(size_t plain_len); /* at least 1: an empty message is one empty chunk */
size_t att_sealed_len(size_t hdr, size_t plain_len);
void att_chunk_nonce(uint8_t out[ATT_XNONCE], const uint8_t base[ATT_XNONCE], uint64_t i);
void att_chunk_ad(uint8_t out[41], const uint8_t hash[32], uint64_t i, bool last);
/* Seals one chunk: writes u32 len | ciphertext | tag at dst. */
void att_chunk_seal(uint8_t *dst, const uint8_t *plain, uint32_t len, const uint8_t key[ATT_KEY],
                    const uint8_t base[ATT_XNONCE], const uint8_t hash[32], uint64_t i, bool last);
/* Opens one chunk (src: u32 len | ciphertext | tag, its length checked by
 * the parse) into plain; false if it does not authenticate. */
bool att_chunk_open(uint8_t *plain, const uint8_t *src, const uint8_t key[ATT_KEY],
                    const uint8_t base[ATT_XNONCE], const uint8_t hash[32], uint64_t i, bool last);
void att_rsp_ad_hash(uint8_t out[32], const uint8_t hdr[ATT_RSP_HDR],
                     const uint8_t subject[ATT_HASH]);

/* Seals a whole buffer as a request (client): out holds
 * att_sealed_len(ATT_REQ_HDR, len) bytes. */
void att_req_seal(uint8_t *out, const att_session *s, const uint8_t kx_pk[ATT_PK],
                  const uint8_t client_pk[ATT_PK], const uint8_t subject[ATT_HASH], uint32_t flags,
                  uint64_t time_ns, const uint8_t *plain, size_t len);
/* Opens a parsed request into plain (r->plain_len bytes). */
bool att_req_open(const att_req *r, const att_session *s, uint8_t *plain);

/* Receipts. att_receipt_body writes the receipt without its signature
 * and m, the message the signature covers ("ward-receipt-1", padded to 16
 * bytes, and the three hashes), for a signer of the caller's own (the
 * monitor's, faas/monitor/mon_sign.c), which writes the Ed25519
 * signature of m at rc + ATT_RECEIPT - ATT_SIG. att_receipt_sign does
 * both with crypto_sign_detached. */
#define ATT_RECEIPT_MSG (16 + 3 * ATT_HASH)
void att_receipt_body(uint8_t rc[ATT_RECEIPT], uint8_t m[ATT_RECEIPT_MSG],
                      const uint8_t subject[ATT_HASH], const uint8_t in_hash[ATT_HASH],
                      const uint8_t out_hash[ATT_HASH], const uint8_t sign_pk[ATT_PK]);
void att_receipt_sign(uint8_t rc[ATT_RECEIPT], const uint8_t subject[ATT_HASH],
                      const uint8_t in_hash[ATT_HASH], const uint8_t out_hash[ATT_HASH],
                      const uint8_t sign_pk[ATT_PK], const uint8_t sign_sk[64]);
bool att_receipt_verify(const uint8_t rc[ATT_RECEIPT], const uint8_t sign_pk[ATT_PK],
                        const uint8_t subject[ATT_HASH], const uint8_t in_hash[ATT_HASH],
                        const uint8_t out_hash[ATT_HASH], const char **why);
void att_hash(uint8_t out[ATT_HASH], const uint8_t *b, size_t n); /* BLAKE2b-512 */

/* Hex: out holds 2n+1 chars. att_unhex: false unless exactly 2n hex digits. */
void att_hex(char *out, const uint8_t *b, size_t n);
bool att_unhex(uint8_t *out, size_t n, const char *s);

/* A platform key file's seed: exactly 32 raw bytes (what `ward client
 * platform-key --new` writes; any byte may come last, a newline too), or 64
 * hex digits with line ends after them. False for anything else. */
bool att_platform_seed(uint8_t seed[32], const uint8_t *b, size_t n);

#endif
