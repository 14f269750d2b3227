/* formats.c - faas/attest.c without a node: configfs-tsm reports parsed
 * from constructed SEV-SNP reports and TDX quotes (this machine has no
 * configfs-tsm), evidence and sealed messages round-tripped and refused
 * when any bit changes, measurements that bind what they should. Prints
 * "N checks passed" last; exit 1 on the first failure. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"

static int checks;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "formats.c:%d: check failed: %s\n", __LINE__, #c);                     \
            exit(1);                                                                               \
        }                                                                                          \
        checks++;                                                                                  \
    } while (0)

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void tsm(void)
{
    att_tsm_report r;
    const char *why;
    uint8_t rd[64], mr[48];
    randombytes_buf(rd, sizeof rd);
    randombytes_buf(mr, sizeof mr);
    /* SEV-SNP attestation report, version 2: 1184 bytes, REPORT_DATA at 0x50, MEASUREMENT at 0x90
     */
    uint8_t snp[1184];
    memset(snp, 0, sizeof snp);
    put32(snp, 2);
    memcpy(snp + 0x50, rd, 64);
    memcpy(snp + 0x90, mr, 48);
    CHECK(att_tsm_parse(snp, sizeof snp, &r, &why));
    CHECK(!strcmp(r.format, "sev-snp report"));
    CHECK(!memcmp(r.report_data, rd, 64) && !memcmp(r.measurement, mr, 48));
    CHECK(!att_tsm_parse(snp, sizeof snp - 1, &r, &why)); /* truncated */
    put32(snp, 9);
    CHECK(!att_tsm_parse(snp, sizeof snp, &r, &why)); /* unknown version */
    /* TDX quote v4: header (version 4, TEE type 0x81), TD report body with
     * MRTD at 136 and REPORTDATA at 520, then a signature section */
    uint8_t tdx[48 + 584 + 100];
    memset(tdx, 0, sizeof tdx);
    put32(tdx, 4);
    put32(tdx + 4, 0x81);
    memcpy(tdx + 48 + 136, mr, 48);
    memcpy(tdx + 48 + 520, rd, 64);
    CHECK(att_tsm_parse(tdx, sizeof tdx, &r, &why));
    CHECK(!strcmp(r.format, "tdx quote v4"));
    CHECK(!memcmp(r.report_data, rd, 64) && !memcmp(r.measurement, mr, 48));
    CHECK(!att_tsm_parse(tdx, 48 + 500, &r, &why)); /* too short */
    put32(tdx + 4, 0);                              /* SGX, not TDX */
    CHECK(!att_tsm_parse(tdx, sizeof tdx, &r, &why));
    CHECK(!att_tsm_parse(tdx, 3, &r, &why));
}

static void evidence(void)
{
    uint8_t sk[64], psk[64], buf[4096];
    att_evidence e, d;
    const char *why;
    memset(&e, 0, sizeof e);
    crypto_sign_keypair(e.sign_pk, sk);
    crypto_sign_keypair(e.platform_pk, psk);
    randombytes_buf(e.kx_pk, sizeof e.kx_pk);
    randombytes_buf(e.monitor, sizeof e.monitor);
    randombytes_buf(e.subject, sizeof e.subject);
    randombytes_buf(e.nonce, sizeof e.nonce);
    snprintf(e.label, sizeof e.label, "SIMULATED platform (sim)");
    e.platform = ATT_PLATFORM_SIM;
    uint8_t sm[ATT_SIM_MSG];
    att_sim_message(sm, &e);
    crypto_sign_detached(e.platform_sig, NULL, sm, sizeof sm, psk);
    size_t n = att_evidence_size(0);
    att_evidence_encode(&e, sk, buf);
    CHECK(att_evidence_decode(buf, n, &d, &why));
    CHECK(!memcmp(d.subject, e.subject, 64) && !memcmp(d.nonce, e.nonce, 32));
    CHECK(!strcmp(d.label, e.label));
    att_sim_message(sm, &d);
    CHECK(crypto_sign_verify_detached(d.platform_sig, sm, sizeof sm, d.platform_pk) == 0);
    for (size_t i = 0; i < n; i += 7) { /* any changed byte breaks the monitor's signature */
        buf[i] ^= 0x10;
        CHECK(!att_evidence_decode(buf, n, &d, &why));
        buf[i] ^= 0x10;
    }
    CHECK(!att_evidence_decode(buf, n - 1, &d, &why));
    /* a platform signature over another nonce does not verify */
    att_evidence f = e;
    f.nonce[0] ^= 1;
    att_sim_message(sm, &f);
    CHECK(crypto_sign_verify_detached(e.platform_sig, sm, sizeof sm, e.platform_pk) != 0);
    /* tsm evidence carries its report */
    uint8_t snp[1184] = {2};
    e.platform = ATT_PLATFORM_TSM;
    e.tsm = snp;
    e.tsm_len = sizeof snp;
    n = att_evidence_size(e.tsm_len);
    att_evidence_encode(&e, sk, buf);
    CHECK(att_evidence_decode(buf, n, &d, &why) && d.tsm_len == sizeof snp);
    put32(buf + 8, ATT_PLATFORM_SIM); /* a report on sim evidence is refused */
    CHECK(!att_evidence_decode(buf, n, &d, &why));
}

static void sealed(void)
{
    uint8_t cpk[32], csk[32], spk[32], ssk[32], subject[64];
    att_session c, s;
    crypto_kx_keypair(cpk, csk);
    crypto_kx_keypair(spk, ssk);
    CHECK(crypto_kx_client_session_keys(c.m2c, c.c2m, cpk, csk, spk) == 0);
    CHECK(crypto_kx_server_session_keys(s.c2m, s.m2c, spk, ssk, cpk) == 0);
    CHECK(!memcmp(c.c2m, s.c2m, 32) && !memcmp(c.m2c, s.m2c, 32));
    randombytes_buf(subject, sizeof subject);
    size_t sizes[] = {0, 1, 1000, ATT_CHUNK, ATT_CHUNK + 1, 3 * ATT_CHUNK + 17};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t len = sizes[k], n = att_sealed_len(ATT_REQ_HDR, len);
        uint8_t *plain = malloc(len + 1), *out = malloc(n), *back = malloc(len + 1);
        randombytes_buf(plain, len);
        att_req_seal(out, &c, spk, cpk, subject, 0, 12345, plain, len);
        att_req r;
        const char *why;
        CHECK(att_req_parse(out, n, &r, &why));
        CHECK(r.plain_len == len && r.time_ns == 12345 && r.nchunks == att_nchunks(len));
        CHECK(att_req_open(&r, &s, back) && !memcmp(back, plain, len));
        /* a flipped bit anywhere: the header (bound as associated data) or a chunk */
        for (size_t i = 0; i < n; i += n / 13 + 1) {
            out[i] ^= 0x04;
            CHECK(!att_req_parse(out, n, &r, &why) || !att_req_open(&r, &s, back));
            out[i] ^= 0x04;
        }
        CHECK(!att_req_parse(out, n - 1, &r, &why)); /* cut short */
        free(plain), free(out), free(back);
    }
    /* receipts */
    uint8_t pk[32], sk[64], in[64], outh[64], rc[ATT_RECEIPT];
    const char *why;
    crypto_sign_keypair(pk, sk);
    randombytes_buf(in, 64);
    randombytes_buf(outh, 64);
    att_receipt_sign(rc, subject, in, outh, pk, sk);
    CHECK(att_receipt_verify(rc, pk, subject, in, outh, &why));
    for (size_t i = 0; i < ATT_RECEIPT; i += 5) {
        rc[i] ^= 0x80;
        CHECK(!att_receipt_verify(rc, pk, subject, in, outh, &why));
        rc[i] ^= 0x80;
    }
    in[3] ^= 1;
    CHECK(!att_receipt_verify(rc, pk, subject, in, outh, &why));
}

static void measurements(void)
{
    const uint8_t wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    const char *env[] = {"A=1", "B=2"}, *env2[] = {"B=2", "A=1"};
    char a[512], b[512];
    uint8_t m1[64], m2[64], m3[64];
    att_manifest ma = {.entry = "_start",
                       .init = "",
                       .paged = true,
                       .timeout_ms = 10000,
                       .max_memory = 1 << 20,
                       .output_max = 1 << 20,
                       .env = env,
                       .nenv = 2};
    att_manifest mb = ma;
    mb.env = env2;
    size_t na = att_manifest_canon(a, sizeof a, &ma);
    size_t nb = att_manifest_canon(b, sizeof b, &mb);
    CHECK(na && nb && strcmp(a, b));
    att_measure_fn(m1, wasm, sizeof wasm, a, na);
    att_measure_fn(m2, wasm, sizeof wasm, b, nb);
    CHECK(memcmp(m1, m2, 64)); /* the environment's order is measured */
    att_measure_fn(m3, wasm, sizeof wasm - 1, a, na);
    CHECK(memcmp(m1, m3, 64));
    /* every grant, flag and argument is measured: a gateway cannot change one */
    const char *args[] = {"--x"};
    for (int k = 0; k < 5; k++) {
        mb = ma;
        if (k == 0) mb.clocks = true;
        if (k == 1) mb.random = true;
        if (k == 2) mb.mem_safety = true;
        if (k == 3) mb.ptr_auth = true;
        if (k == 4) mb.args = args, mb.nargs = 1;
        nb = att_manifest_canon(b, sizeof b, &mb);
        CHECK(nb && strcmp(a, b));
        CHECK(att_manifest_cap(&mb) >= nb + 1);
    }
    /* length prefixes: "entry" values cannot be shifted into "init" */
    ma = (att_manifest){.entry = "ab", .init = "c", .paged = true};
    mb = (att_manifest){.entry = "a", .init = "bc", .paged = true};
    na = att_manifest_canon(a, sizeof a, &ma);
    nb = att_manifest_canon(b, sizeof b, &mb);
    CHECK(na && nb && strcmp(a, b));
    CHECK(!att_manifest_canon(a, 20, &ma)); /* does not fit */
    /* an argument cannot pose as an environment entry */
    const char *e1[] = {"A=1"};
    ma = (att_manifest){.entry = "_start", .init = "", .env = e1, .nenv = 1};
    mb = (att_manifest){.entry = "_start", .init = "", .args = e1, .nargs = 1};
    na = att_manifest_canon(a, sizeof a, &ma);
    nb = att_manifest_canon(b, sizeof b, &mb);
    CHECK(na && nb && strcmp(a, b));
    /* chains: one function measures as itself; order and grouping count */
    uint8_t f[3][64], c1[64], c2[64], c3[64];
    randombytes_buf(f, sizeof f);
    uint32_t w1[] = {1}, w2[] = {1, 1}, w3[] = {2};
    att_measure_chain(c1, 1, w1, (const uint8_t(*)[64])f);
    CHECK(!memcmp(c1, f[0], 64));
    att_measure_chain(c2, 2, w2, (const uint8_t(*)[64])f);
    att_measure_chain(c3, 1, w3, (const uint8_t(*)[64])f);
    CHECK(memcmp(c2, c3, 64) && memcmp(c2, f[0], 64));
    uint8_t g[2][64];
    memcpy(g[0], f[1], 64);
    memcpy(g[1], f[0], 64);
    att_measure_chain(c1, 2, w2, (const uint8_t(*)[64])g);
    CHECK(memcmp(c1, c2, 64));
    /* hex */
    uint8_t x[4] = {0xde, 0xad, 0xbe, 0xef}, y[4];
    char h[9];
    att_hex(h, x, 4);
    CHECK(!strcmp(h, "deadbeef") && att_unhex(y, 4, h) && !memcmp(x, y, 4));
    CHECK(!att_unhex(y, 4, "deadbee") && !att_unhex(y, 4, "deadbeeg"));
}

/* formats --seeds DIR: writes valid messages as fuzzing seeds (fuzz/fuzz_attest.c:
 * the first byte picks the decoder). */
static void seed(const char *dir, const char *name, uint8_t kind, const uint8_t *b, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) exit(1);
    fputc(kind, f);
    fwrite(b, 1, n, f);
    fclose(f);
}

static void seeds(const char *dir)
{
    static uint8_t buf[1 << 16];
    uint8_t sk[64];
    att_evidence e;
    memset(&e, 0, sizeof e);
    crypto_sign_keypair(e.sign_pk, sk);
    e.platform = ATT_PLATFORM_SIM;
    snprintf(e.label, sizeof e.label, "SIMULATED platform (sim)");
    att_evidence_encode(&e, sk, buf);
    seed(dir, "evidence_sim.bin", 0, buf, att_evidence_size(0));
    uint8_t snp[1184] = {2};
    e.platform = ATT_PLATFORM_TSM;
    e.tsm = snp;
    e.tsm_len = sizeof snp;
    att_evidence_encode(&e, sk, buf);
    seed(dir, "evidence_tsm.bin", 0, buf, att_evidence_size(e.tsm_len));
    att_session s;
    memset(&s, 0, sizeof s);
    uint8_t pk[32] = {9}, subject[64] = {1};
    const uint8_t text[] = "a sealed request for the fuzzer";
    att_req_seal(buf, &s, pk, pk, subject, 0, 1, text, sizeof text);
    seed(dir, "request.bin", 1, buf, att_sealed_len(ATT_REQ_HDR, sizeof text));
    memset(buf, 0, ATT_RSP_CHUNKS);
    memcpy(buf, "WARDRSP1", 8);
    buf[8] = 1;
    att_chunk_seal(buf + ATT_RSP_CHUNKS, text, sizeof text, s.m2c, buf + 40, subject, 0, true);
    seed(dir, "reply.bin", 2, buf, ATT_RSP_CHUNKS + 4 + sizeof text + ATT_TAG);
    seed(dir, "snp.bin", 3, snp, sizeof snp);
    uint8_t tdx[48 + 584] = {4, 0, 0, 0, 0x81};
    seed(dir, "tdx.bin", 3, tdx, sizeof tdx);
}

/* Platform key files: 32 raw bytes, whatever byte comes last (1 seed in
 * 128 of `platform-key --new` ends in a line end), or 64 hex digits and
 * line ends; nothing else. */
static void platform_seed(void)
{
    uint8_t raw[33], seed[32], hex[70];
    for (int last = 0; last < 256; last++) {
        memset(raw, 0x5a, 32);
        raw[31] = (uint8_t)last;
        CHECK(att_platform_seed(seed, raw, 32) && !memcmp(seed, raw, 32));
    }
    raw[32] = '\n';
    CHECK(!att_platform_seed(seed, raw, 31));
    CHECK(!att_platform_seed(seed, raw, 33)); /* raw, then a line end: not 32 bytes */
    att_hex((char *)hex, raw, 32);
    CHECK(att_platform_seed(seed, hex, 64) && !memcmp(seed, raw, 32));
    memcpy(hex + 64, "\r\n\n", 3);
    CHECK(att_platform_seed(seed, hex, 67) && !memcmp(seed, raw, 32));
    hex[64] = ' ';
    CHECK(!att_platform_seed(seed, hex, 65)); /* a space is not a line end */
    hex[64] = '\n';
    hex[7] = 'g';
    CHECK(!att_platform_seed(seed, hex, 65));
    CHECK(!att_platform_seed(seed, hex, 0));
    CHECK(!att_platform_seed(seed, (const uint8_t *)"\n\n", 2));
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 1;
    if (argc == 3 && !strcmp(argv[1], "--seeds")) {
        seeds(argv[2]);
        return 0;
    }
    tsm();
    evidence();
    sealed();
    measurements();
    platform_seed();
    printf("%d checks passed\n", checks);
    return 0;
}
