/* attest.c - measurements, evidence, sealed messages and receipts
 * (attest.h). Only libsodium's primitives; this file composes them into
 * fixed layouts and checks every length before it reads. */
#include "attest.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- measurements ------------------------------------------------------------------ */

/* Appends "N\n" and then "len:string\n" for each of the n strings. */
static bool canon_list(char *out, size_t cap, size_t *len, const char *const *v, size_t n)
{
    int k = snprintf(out + *len, cap - *len, "%zu\n", n);
    if (k < 0 || (size_t)k >= cap - *len) return false;
    *len += (size_t)k;
    for (size_t i = 0; i < n; i++) {
        k = snprintf(out + *len, cap - *len, "%zu:%s\n", strlen(v[i]), v[i]);
        if (k < 0 || (size_t)k >= cap - *len) return false;
        *len += (size_t)k;
    }
    return true;
}

size_t att_manifest_cap(const att_manifest *m)
{
    size_t cap = 1024 + strlen(m->entry) + strlen(m->init);
    for (size_t i = 0; i < m->nenv; i++)
        cap += strlen(m->env[i]) + 24;
    for (size_t i = 0; i < m->nargs; i++)
        cap += strlen(m->args[i]) + 24;
    return cap;
}

size_t att_manifest_canon(char *out, size_t cap, const att_manifest *m)
{
    size_t len = 0;
    int n =
        snprintf(out, cap,
                 "ward-manifest-2\nentry %zu:%s\ninit %zu:%s\nmemory %s\nfuel %llu\n"
                 "timeout_ms %llu\nmax_memory %llu\noutput %llu\nclocks %d\nrandom %d\n"
                 "mem_safety %d\nptr_auth %d\nenv ",
                 strlen(m->entry), m->entry, strlen(m->init), m->init, m->paged ? "paged" : "flat",
                 (unsigned long long)m->fuel, (unsigned long long)m->timeout_ms,
                 (unsigned long long)m->max_memory, (unsigned long long)m->output_max, m->clocks,
                 m->random, m->mem_safety, m->ptr_auth);
    if (n < 0 || (size_t)n >= cap) return 0;
    len = (size_t)n;
    if (!canon_list(out, cap, &len, m->env, m->nenv)) return 0;
    n = snprintf(out + len, cap - len, "args ");
    if (n < 0 || (size_t)n >= cap - len) return 0;
    len += (size_t)n;
    if (!canon_list(out, cap, &len, m->args, m->nargs)) return 0;
    return len;
}

/* What both function measurements start with: domain, module, manifest. */
static void measure_fn_head(crypto_hash_sha512_state *st, const char *domain, const uint8_t *wasm,
                            size_t wasm_len, const char *canon, size_t canon_len)
{
    uint8_t n[8];
    crypto_hash_sha512_init(st);
    crypto_hash_sha512_update(st, (const uint8_t *)domain, strlen(domain) + 1);
    wr64(n, wasm_len);
    crypto_hash_sha512_update(st, n, 8);
    crypto_hash_sha512_update(st, wasm, wasm_len);
    wr64(n, canon_len);
    crypto_hash_sha512_update(st, n, 8);
    crypto_hash_sha512_update(st, (const uint8_t *)canon, canon_len);
}

void att_measure_fn(uint8_t out[ATT_HASH], const uint8_t *wasm, size_t wasm_len, const char *canon,
                    size_t canon_len)
{
    crypto_hash_sha512_state st;
    measure_fn_head(&st, "ward-function-1", wasm, wasm_len, canon, canon_len);
    crypto_hash_sha512_final(&st, out);
}

void att_measure_fn_native(uint8_t out[ATT_HASH], const uint8_t *wasm, size_t wasm_len,
                           const char *canon, size_t canon_len, const char *cpu,
                           const uint8_t features[32], uint32_t opt, const uint8_t object[ATT_HASH])
{
    crypto_hash_sha512_state st;
    uint8_t n[8];
    measure_fn_head(&st, "ward-function-2", wasm, wasm_len, canon, canon_len);
    crypto_hash_sha512_update(&st, (const uint8_t *)"tier native", 11);
    wr64(n, strlen(cpu));
    crypto_hash_sha512_update(&st, n, 8);
    crypto_hash_sha512_update(&st, (const uint8_t *)cpu, strlen(cpu));
    crypto_hash_sha512_update(&st, features, 32);
    wr32(n, opt);
    crypto_hash_sha512_update(&st, n, 4);
    crypto_hash_sha512_update(&st, object, ATT_HASH);
    crypto_hash_sha512_final(&st, out);
}

void att_measure_chain(uint8_t out[ATT_HASH], uint32_t nsteps, const uint32_t *width,
                       const uint8_t (*fns)[ATT_HASH])
{
    if (nsteps == 1 && width[0] == 1) {
        memcpy(out, fns[0], ATT_HASH);
        return;
    }
    crypto_hash_sha512_state st;
    uint8_t n[4];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)"ward-chain-1", 13);
    wr32(n, nsteps);
    crypto_hash_sha512_update(&st, n, 4);
    size_t k = 0;
    for (uint32_t s = 0; s < nsteps; s++) {
        wr32(n, width[s]);
        crypto_hash_sha512_update(&st, n, 4);
        for (uint32_t i = 0; i < width[s]; i++)
            crypto_hash_sha512_update(&st, fns[k++], ATT_HASH);
    }
    crypto_hash_sha512_final(&st, out);
}

/* ---- evidence -------------------------------------------------------------------------- */

static const uint8_t ev_magic[8] = {'W', 'A', 'R', 'D', 'E', 'V', 'I', '1'};

size_t att_evidence_size(uint32_t tsm_len)
{
    return ATT_EV_FIXED + tsm_len + ATT_SIG;
}

void att_evidence_encode(const att_evidence *e, const uint8_t sign_sk[64], uint8_t *out)
{
    memcpy(out, ev_magic, 8);
    wr32(out + 8, e->platform);
    wr32(out + 12, e->tsm_len);
    memcpy(out + 16, e->monitor, ATT_HASH);
    memcpy(out + 80, e->sign_pk, ATT_PK);
    memcpy(out + 112, e->kx_pk, ATT_PK);
    memcpy(out + 144, e->subject, ATT_HASH);
    memcpy(out + 208, e->nonce, ATT_NONCE);
    memset(out + 240, 0, ATT_LABEL);
    memcpy(out + 240, e->label, strnlen(e->label, ATT_LABEL));
    memcpy(out + 272, e->platform_pk, ATT_PK);
    memcpy(out + 304, e->platform_sig, ATT_SIG);
    if (e->tsm_len) memcpy(out + ATT_EV_FIXED, e->tsm, e->tsm_len);
    size_t n = ATT_EV_FIXED + e->tsm_len;
    crypto_sign_detached(out + n, NULL, out, n, sign_sk);
}

bool att_evidence_decode(const uint8_t *b, size_t n, att_evidence *e, const char **why)
{
    memset(e, 0, sizeof *e);
    if (n < ATT_EV_FIXED + ATT_SIG || memcmp(b, ev_magic, 8))
        return *why = "not ward evidence (bad magic or too short)", false;
    e->platform = rd32(b + 8);
    e->tsm_len = rd32(b + 12);
    if (e->platform > ATT_PLATFORM_TSM) return *why = "evidence of an unknown platform", false;
    if (e->tsm_len > ATT_MAX_TSM || n != att_evidence_size(e->tsm_len))
        return *why = "evidence length does not match its report", false;
    if ((e->platform == ATT_PLATFORM_TSM) != (e->tsm_len != 0))
        return *why = "a hardware report belongs to tsm evidence only", false;
    memcpy(e->monitor, b + 16, ATT_HASH);
    memcpy(e->sign_pk, b + 80, ATT_PK);
    memcpy(e->kx_pk, b + 112, ATT_PK);
    memcpy(e->subject, b + 144, ATT_HASH);
    memcpy(e->nonce, b + 208, ATT_NONCE);
    memcpy(e->label, b + 240, ATT_LABEL);
    e->label[ATT_LABEL] = '\0';
    for (size_t i = 0; e->label[i]; i++)
        if ((unsigned char)e->label[i] < ' ' || (unsigned char)e->label[i] > '~')
            return *why = "evidence label is not printable text", false;
    memcpy(e->platform_pk, b + 272, ATT_PK);
    memcpy(e->platform_sig, b + 304, ATT_SIG);
    e->tsm = e->tsm_len ? b + ATT_EV_FIXED : NULL;
    size_t m = ATT_EV_FIXED + e->tsm_len;
    if (crypto_sign_verify_detached(b + m, b, m, e->sign_pk) != 0)
        return *why = "the monitor's signature on the evidence does not verify", false;
    return true;
}

void att_report_data(uint8_t out[ATT_HASH], const att_evidence *e)
{
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)"ward-report-1", 14);
    crypto_hash_sha512_update(&st, e->monitor, ATT_HASH);
    crypto_hash_sha512_update(&st, e->sign_pk, ATT_PK);
    crypto_hash_sha512_update(&st, e->kx_pk, ATT_PK);
    crypto_hash_sha512_update(&st, e->subject, ATT_HASH);
    crypto_hash_sha512_update(&st, e->nonce, ATT_NONCE);
    crypto_hash_sha512_final(&st, out);
}

void att_tsm_report_data(uint8_t out[ATT_HASH], const uint8_t monitor[ATT_HASH],
                         const uint8_t sign_pk[ATT_PK], const uint8_t kx_pk[ATT_PK])
{
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)"ward-tsm-1", 11);
    crypto_hash_sha512_update(&st, monitor, ATT_HASH);
    crypto_hash_sha512_update(&st, sign_pk, ATT_PK);
    crypto_hash_sha512_update(&st, kx_pk, ATT_PK);
    crypto_hash_sha512_final(&st, out);
}

void att_sim_message(uint8_t out[ATT_SIM_MSG], const att_evidence *e)
{
    memcpy(out, "ward-SIMULATED-1", 16); /* 16 bytes, no NUL */
    att_report_data(out + 16, e);
}

/* ---- configfs-tsm ----------------------------------------------------------------------- */

bool att_tsm_parse(const uint8_t *b, size_t n, att_tsm_report *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (n >= 4 && rd32(b) == 4 && n >= 48 + 584 && rd32(b + 4) == 0x81) {
        /* TDX quote v4: a 48-byte header, then the TD report body whose
         * MRTD is at 136 and REPORTDATA at 520. */
        r->format = "tdx quote v4";
        memcpy(r->measurement, b + 48 + 136, 48);
        memcpy(r->report_data, b + 48 + 520, 64);
        return true;
    }
    if (n >= 4 && (rd32(b) == 2 || rd32(b) == 3) && n == 1184) {
        /* SEV-SNP attestation report: REPORT_DATA at 0x50, MEASUREMENT at 0x90. */
        r->format = "sev-snp report";
        memcpy(r->report_data, b + 0x50, 64);
        memcpy(r->measurement, b + 0x90, 48);
        return true;
    }
    return *why = "not a SEV-SNP report (1184 bytes, version 2 or 3) nor a TDX quote v4", false;
}

/* ---- sealed messages ------------------------------------------------------------------- */

static const uint8_t req_magic[8] = {'W', 'A', 'R', 'D', 'R', 'E', 'Q', '1'};
static const uint8_t rsp_magic[8] = {'W', 'A', 'R', 'D', 'R', 'S', 'P', '1'};

size_t att_nchunks(size_t plain_len)
{
    return plain_len ? (plain_len + ATT_CHUNK - 1) / ATT_CHUNK : 1;
}

size_t att_sealed_len(size_t hdr, size_t plain_len)
{
    return hdr + plain_len + att_nchunks(plain_len) * (4 + ATT_TAG);
}

void att_chunk_nonce(uint8_t out[ATT_XNONCE], const uint8_t base[ATT_XNONCE], uint64_t i)
{
    memcpy(out, base, ATT_XNONCE);
    for (int k = 0; k < 8; k++)
        out[16 + k] ^= (uint8_t)(i >> (8 * k));
}

void att_chunk_ad(uint8_t out[41], const uint8_t hash[32], uint64_t i, bool last)
{
    memcpy(out, hash, 32);
    wr64(out + 32, i);
    out[40] = last;
}

void att_chunk_seal(uint8_t *dst, const uint8_t *plain, uint32_t len, const uint8_t key[ATT_KEY],
                    const uint8_t base[ATT_XNONCE], const uint8_t hash[32], uint64_t i, bool last)
{
    uint8_t nonce[ATT_XNONCE], ad[41];
    att_chunk_nonce(nonce, base, i);
    att_chunk_ad(ad, hash, i, last);
    wr32(dst, len);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dst + 4, dst + 4 + len, NULL, plain, len,
                                                        ad, sizeof ad, NULL, nonce, key);
}

bool att_chunk_open(uint8_t *plain, const uint8_t *src, const uint8_t key[ATT_KEY],
                    const uint8_t base[ATT_XNONCE], const uint8_t hash[32], uint64_t i, bool last)
{
    uint8_t nonce[ATT_XNONCE], ad[41];
    uint32_t len = rd32(src);
    att_chunk_nonce(nonce, base, i);
    att_chunk_ad(ad, hash, i, last);
    return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
               plain, NULL, src + 4, len, src + 4 + len, ad, sizeof ad, nonce, key) == 0;
}

/* Walks n chunks from p to end: every length bounded; the plaintext total in *plain. */
static bool chunks_check(const uint8_t *p, const uint8_t *end, uint32_t n, size_t *plain,
                         const char **why)
{
    *plain = 0;
    if (n == 0 || n > (1u << 20)) return *why = "bad chunk count", false;
    for (uint32_t i = 0; i < n; i++) {
        if ((size_t)(end - p) < 4 + ATT_TAG) return *why = "truncated chunk", false;
        uint32_t len = rd32(p);
        if (len > ATT_CHUNK) return *why = "chunk longer than 64 KiB", false;
        if ((size_t)(end - p) - 4 - ATT_TAG < len) return *why = "truncated chunk", false;
        p += 4 + len + ATT_TAG;
        *plain += len;
    }
    if (p != end) return *why = "bytes after the last chunk", false;
    return true;
}

bool att_req_parse(const uint8_t *b, size_t n, att_req *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (n < ATT_REQ_HDR || memcmp(b, req_magic, 8))
        return *why = "not a sealed request (bad magic or too short)", false;
    r->flags = rd32(b + 8);
    r->nchunks = rd32(b + 12);
    if (r->flags & ~(ATT_REQ_DEPLOY | ATT_REQ_STORE))
        return *why = "unknown flags in a sealed request", false;
    r->kx_pk = b + 16;
    r->client_pk = b + 48;
    r->subject = b + 80;
    r->time_ns = rd64(b + 144);
    r->nonce = b + 152;
    r->chunks = b + ATT_REQ_HDR;
    if (!chunks_check(r->chunks, b + n, r->nchunks, &r->plain_len, why)) return false;
    crypto_generichash(r->ad_hash, 32, b, ATT_REQ_HDR, NULL, 0);
    return true;
}

bool att_rsp_parse(const uint8_t *b, size_t n, att_rsp *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (n < ATT_RSP_CHUNKS || memcmp(b, rsp_magic, 8))
        return *why = "not a sealed reply (bad magic or too short)", false;
    r->nchunks = rd32(b + 8);
    if (rd32(b + 12)) return *why = "unknown flags in a sealed reply", false;
    r->req_nonce = b + 16;
    r->nonce = b + 40;
    r->receipt = b + ATT_RSP_HDR;
    r->chunks = b + ATT_RSP_CHUNKS;
    r->chunks_len = n - ATT_RSP_CHUNKS;
    return chunks_check(r->chunks, b + n, r->nchunks, &r->plain_len, why);
}

void att_rsp_ad_hash(uint8_t out[32], const uint8_t hdr[ATT_RSP_HDR],
                     const uint8_t subject[ATT_HASH])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, hdr, ATT_RSP_HDR);
    crypto_generichash_update(&st, subject, ATT_HASH);
    crypto_generichash_final(&st, out, 32);
}

void att_req_seal(uint8_t *out, const att_session *s, const uint8_t kx_pk[ATT_PK],
                  const uint8_t client_pk[ATT_PK], const uint8_t subject[ATT_HASH], uint32_t flags,
                  uint64_t time_ns, const uint8_t *plain, size_t len)
{
    size_t nch = att_nchunks(len);
    memcpy(out, req_magic, 8);
    wr32(out + 8, flags);
    wr32(out + 12, (uint32_t)nch);
    memcpy(out + 16, kx_pk, ATT_PK);
    memcpy(out + 48, client_pk, ATT_PK);
    memcpy(out + 80, subject, ATT_HASH);
    wr64(out + 144, time_ns);
    randombytes_buf(out + 152, ATT_XNONCE);
    uint8_t hash[32];
    crypto_generichash(hash, 32, out, ATT_REQ_HDR, NULL, 0);
    uint8_t *p = out + ATT_REQ_HDR;
    for (size_t i = 0; i < nch; i++) {
        size_t off = i * ATT_CHUNK, k = len - off < ATT_CHUNK ? len - off : ATT_CHUNK;
        att_chunk_seal(p, plain + off, (uint32_t)k, s->c2m, out + 152, hash, i, i + 1 == nch);
        p += 4 + k + ATT_TAG;
    }
}

bool att_req_open(const att_req *r, const att_session *s, uint8_t *plain)
{
    const uint8_t *p = r->chunks;
    size_t off = 0;
    for (uint32_t i = 0; i < r->nchunks; i++) {
        uint32_t len = rd32(p);
        if (!att_chunk_open(plain + off, p, s->c2m, r->nonce, r->ad_hash, i, i + 1 == r->nchunks))
            return false;
        off += len;
        p += 4 + len + ATT_TAG;
    }
    return true;
}

/* ---- receipts ---------------------------------------------------------------------------- */

void att_hash(uint8_t out[ATT_HASH], const uint8_t *b, size_t n)
{
    crypto_generichash(out, ATT_HASH, b, n, NULL, 0);
}

static void receipt_msg(uint8_t m[ATT_RECEIPT_MSG], const uint8_t *subject, const uint8_t *in,
                        const uint8_t *out)
{
    memcpy(m, "ward-receipt-1\0\0", 16);
    memcpy(m + 16, subject, ATT_HASH);
    memcpy(m + 16 + ATT_HASH, in, ATT_HASH);
    memcpy(m + 16 + 2 * ATT_HASH, out, ATT_HASH);
}

void att_receipt_body(uint8_t rc[ATT_RECEIPT], uint8_t m[ATT_RECEIPT_MSG],
                      const uint8_t subject[ATT_HASH], const uint8_t in_hash[ATT_HASH],
                      const uint8_t out_hash[ATT_HASH], const uint8_t sign_pk[ATT_PK])
{
    receipt_msg(m, subject, in_hash, out_hash);
    memcpy(rc, m + 16, 3 * ATT_HASH);
    memcpy(rc + 3 * ATT_HASH, sign_pk, ATT_PK);
}

void att_receipt_sign(uint8_t rc[ATT_RECEIPT], const uint8_t subject[ATT_HASH],
                      const uint8_t in_hash[ATT_HASH], const uint8_t out_hash[ATT_HASH],
                      const uint8_t sign_pk[ATT_PK], const uint8_t sign_sk[64])
{
    uint8_t m[ATT_RECEIPT_MSG];
    att_receipt_body(rc, m, subject, in_hash, out_hash, sign_pk);
    crypto_sign_detached(rc + ATT_RECEIPT - ATT_SIG, NULL, m, sizeof m, sign_sk);
}

bool att_receipt_verify(const uint8_t rc[ATT_RECEIPT], const uint8_t sign_pk[ATT_PK],
                        const uint8_t subject[ATT_HASH], const uint8_t in_hash[ATT_HASH],
                        const uint8_t out_hash[ATT_HASH], const char **why)
{
    uint8_t m[ATT_RECEIPT_MSG];
    receipt_msg(m, rc, rc + ATT_HASH, rc + 2 * ATT_HASH);
    if (sodium_memcmp(rc + 3 * ATT_HASH, sign_pk, ATT_PK))
        return *why = "receipt signed by another key than the attested monitor's", false;
    if (crypto_sign_verify_detached(rc + 3 * ATT_HASH + ATT_PK, m, sizeof m, sign_pk) != 0)
        return *why = "the receipt's signature does not verify", false;
    if (sodium_memcmp(rc, subject, ATT_HASH))
        return *why = "the receipt names another measurement", false;
    if (sodium_memcmp(rc + ATT_HASH, in_hash, ATT_HASH))
        return *why = "the receipt is for another request", false;
    if (sodium_memcmp(rc + 2 * ATT_HASH, out_hash, ATT_HASH))
        return *why = "the receipt is for another output", false;
    return true;
}

/* ---- hex ---------------------------------------------------------------------------------- */

void att_hex(char *out, const uint8_t *b, size_t n)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

bool att_unhex(uint8_t *out, size_t n, const char *s)
{
    size_t got;
    const char *end;
    if (strlen(s) != 2 * n) return false;
    return sodium_hex2bin(out, n, s, 2 * n, NULL, &got, &end) == 0 && got == n && !*end;
}

bool att_platform_seed(uint8_t seed[32], const uint8_t *b, size_t n)
{
    size_t got;
    const char *end;
    if (n == 32) return memcpy(seed, b, 32), true;
    while (n && (b[n - 1] == '\n' || b[n - 1] == '\r'))
        n--;
    return n == 64 && sodium_hex2bin(seed, 32, (const char *)b, 64, NULL, &got, &end) == 0 &&
           got == 32 && end == (const char *)b + 64;
}
