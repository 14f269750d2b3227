/* client.c - `ward client`: the command line of a ward node's HTTP API
 * (docs/serve.md), over libcurl (faas/client). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "client/client.h"
#include "client/seal.h"
#include "gateway/gateway.h"
#include "ward.h"

const char cli_client_help[] =
    "Usage: ward client [--url URL] [--token TOKEN] [-v] COMMAND ...\n"
    "Talks to a node started with 'ward serve' (URL default $WARD_URL or\n"
    "http://127.0.0.1:8080, TOKEN default $WARD_TOKEN).\n"
    "\n"
    "  deploy NAME FILE.wasm [--manifest FILE.json] [--confidential] [--native]\n"
    "                                                 deploy (or replace) a function and pin\n"
    "                                                 its measurement; --confidential sends\n"
    "                                                 the module sealed to the attested monitor;\n"
    "                                                 --native: measured (and sealed) as native\n"
    "                                                 code, for a node started with --tier native\n"
    "                                                 (a manifest's \"tier\" needs no option)\n"
    "  invoke NAME [--data TEXT | --file FILE]        call it; the body is the input\n"
    "                                                 (stdin if neither is given and it is\n"
    "                                                 not a terminal); the output goes to stdout.\n"
    "                                                 It attests the node first, seals the\n"
    "                                                 input to the monitor, opens the output\n"
    "                                                 and checks its receipt (--plain: no)\n"
    "  attest [NAME | chain NAME]                     check and print the node's evidence\n"
    "  measure FILE.wasm [--manifest FILE.json] [--native]\n"
    "                                                 the measurement a deploy of it gets\n"
    "                                                 (--native: in the native tier, its code\n"
    "                                                 compiled here by ward-native)\n"
    "  platform-key [--new] FILE                      the public key of a sim platform key\n"
    "                                                 file (--new: make the file first)\n"
    "  ls                                             list the functions\n"
    "  describe NAME                                  one function's manifest\n"
    "  rm NAME                                        delete a function\n"
    "  chain define NAME STEP...                      a chain; a STEP is a name, or names\n"
    "                                                 separated by ',' (a fan-out, outputs "
    "joined)\n"
    "  chain invoke NAME [--data TEXT | --file FILE]  run a chain\n"
    "  chain ls | chain rm NAME\n"
    "  stats                                          the node's metrics (Prometheus text)\n"
    "  health                                         is the node up\n"
    "  -v                                             timings (and upload progress) on stderr\n"
    "Attestation options (anywhere on the line; docs/attest.md):\n"
    "  --expect-measurement HEX   the function's or chain's measurement (else the one pinned\n"
    "                             at deploy or first use)\n"
    "  --expect-monitor HEX       the monitor's measurement\n"
    "  --platform-key HEX|FILE    the sim platform key to pin (else trusted on first use)\n"
    "  --plain                    invoke without attestation and encryption\n"
    "Exit status: 0 on success, 1 if the node answered with an error (its message on\n"
    "stderr), 3 if it could not be reached, 2 for a usage error; a refused attestation,\n"
    "measurement, receipt or sealed reply is 1 with the reason on stderr.\n";

static wcs_opts att_opts;
static bool att_plain;

/* Takes the attestation options out of argv, wherever they are. */
static int take_attest_options(int argc, char **argv)
{
    int k = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool val = i + 1 < argc;
        if (!strcmp(a, "--expect-measurement") && val)
            att_opts.expect = argv[++i];
        else if (!strcmp(a, "--expect-monitor") && val)
            att_opts.expect_monitor = argv[++i];
        else if (!strcmp(a, "--platform-key") && val)
            att_opts.platform = argv[++i];
        else if (!strcmp(a, "--plain"))
            att_plain = true;
        else
            argv[k++] = argv[i];
    }
    return k;
}

/* The measurement of a module and its manifest file (or none), as the
 * monitor will compute it at deploy: the manifest canonicalised the way
 * the gateway sends it. In the native tier (native, or the manifest's
 * "tier"), with the object code ward-native makes of the module here, as
 * the node's compile helper does (the same for the same ward-native and
 * CPU); *is_native (may be NULL) says which. */
static bool measure(const uint8_t *wasm, size_t len, const char *mpath, bool native,
                    bool *is_native, uint8_t out[ATT_HASH])
{
    size_t mlen = 0;
    char *text = NULL, why[300];
    if (mpath && !(text = (char *)cli_read_file(mpath, &mlen))) {
        fprintf(stderr, "ward client: %s: %s\n", mpath, strerror(errno));
        return false;
    }
    gw_manifest m;
    bool ok = gw_manifest_parse(text ? text : "", mlen, &m, why, sizeof why);
    free(text);
    if (!ok) return fprintf(stderr, "ward client: %s\n", why), false;
    att_manifest am = {
        .entry = m.entry,
        .init = m.init,
        .paged = m.memory_mode != 0,
        .fuel = m.fuel,
        .timeout_ms = m.timeout_ms,
        .max_memory = m.max_memory,
        .output_max = m.output_max,
        .env = (const char *const *)m.env,
        .nenv = m.nenv,
        .args = (const char *const *)m.args,
        .nargs = m.nargs,
        .clocks = m.clocks,
        .random = m.random,
        .mem_safety = m.mem_safety,
        .ptr_auth = m.ptr_auth,
    };
    size_t cap = att_manifest_cap(&am);
    char *canon = malloc(cap);
    size_t n = canon ? att_manifest_canon(canon, cap, &am) : 0;
    native = m.tier == GW_TIER_NATIVE || (native && m.tier != GW_TIER_INTERP);
    if (is_native) *is_native = native;
    if (n && native) {
        cli_native_obj o;
        uint32_t features = (m.mem_safety ? WARD_FEATURE_MEM_SAFETY : 0u) |
                            (m.ptr_auth ? WARD_FEATURE_PTR_AUTH : 0u);
        if (!cli_native_compile(wasm, len, m.memory_mode != 0, m.mem_safety, features, &o, why,
                                sizeof why)) {
            fprintf(stderr, "ward client: measuring native code: %s\n", why);
            n = 0;
        } else {
            uint8_t oh[ATT_HASH];
            crypto_hash_sha512(oh, o.obj, o.len);
            att_measure_fn_native(out, wasm, len, canon, n, o.cpu, o.features, o.opt, oh);
            free(o.obj);
        }
    } else if (n) {
        att_measure_fn(out, wasm, len, canon, n);
    }
    free(canon);
    gw_manifest_free(&m);
    return n != 0;
}

static void print_evidence(const wcs_peer *p, const char *what)
{
    const att_evidence *e = &p->ev;
    char h[2 * ATT_HASH + 1];
    static const char *const kinds[] = {"none", "sim", "tsm"};
    printf("platform:      %s [%s]%s\n", kinds[e->platform], e->label,
           e->platform == ATT_PLATFORM_SIM ? "  ** SIMULATED: not hardware **" : "");
    if (e->platform == ATT_PLATFORM_SIM) {
        att_hex(h, e->platform_pk, ATT_PK);
        printf("platform key:  %s\n", h);
    }
    if (e->platform == ATT_PLATFORM_TSM) printf("tsm report:    %u bytes\n", e->tsm_len);
    att_hex(h, e->monitor, ATT_HASH);
    printf("monitor:       %s\n", h);
    att_hex(h, e->sign_pk, ATT_PK);
    printf("signing key:   %s\n", h);
    att_hex(h, e->kx_pk, ATT_PK);
    printf("exchange key:  %s\n", h);
    if (what) {
        att_hex(h, e->subject, ATT_HASH);
        printf("%-14s %s\n", what, h);
    }
    att_hex(h, e->nonce, ATT_NONCE);
    printf("nonce:         %s\n", h);
    printf("checked:       %s\n", p->notes);
}

/* An invocation sealed end to end: attest, seal, send, open, check the receipt. */
static int invoke_sealed(wc_conn *c, bool chain, const char *name, const uint8_t *data, size_t len)
{
    const char *kind = chain ? "chains" : "functions";
    char why[600], path[512];
    int status;
    wcs_peer p;
    if (!wcs_attest(c, kind, name, &att_opts, &p, &status, why, sizeof why)) {
        fprintf(stderr, "ward client: %s\n", why);
        return status;
    }
    if (c->verbose) fprintf(stderr, "ward client: evidence: %s\n", p.notes);
    wcs_session s;
    wcs_pending pend;
    size_t slen;
    uint8_t *sealed = NULL;
    if (wcs_session_new(&s, &p.ev)) sealed = wcs_seal(&s, p.ev.subject, 0, data, len, &slen, &pend);
    if (!sealed) {
        wcs_session_wipe(&s);
        fprintf(stderr, "ward client: cannot seal the input (a bad exchange key?)\n");
        return 1;
    }
    snprintf(path, sizeof path, "/v1/%s/%s/invoke", kind, name);
    wc_resp r;
    wc_request(c, "POST", path, "X-Ward-Sealed: 1\nContent-Type: application/x-ward-sealed", sealed,
               slen, &r);
    free(sealed);
    int rc = 0;
    if (!r.status) {
        fprintf(stderr, "ward client: %s: %s\n", c->url, r.error);
        rc = 3;
    } else if (r.status != 200) {
        fprintf(stderr, "ward client: HTTP %ld: %s\n", r.status, r.body);
        if (strstr(r.body, "another monitor key")) wcs_forget(c, &att_opts);
        rc = 1;
    } else {
        uint8_t *out;
        size_t olen;
        if (!wcs_open(&s, &pend, (const uint8_t *)r.body, r.len, &out, &olen, why, sizeof why)) {
            fprintf(stderr, "ward client: %s\n", why);
            rc = 1;
        } else {
            if (c->verbose)
                fprintf(stderr,
                        "ward client: HTTP %ld in %.3f ms; in the monitor %s us; sealed "
                        "%zu -> %zu bytes, receipt verified\n",
                        r.status, r.total_s * 1e3, r.time_us[0] ? r.time_us : "?", len, olen);
            fwrite(out, 1, olen, stdout);
            if (olen && out[olen - 1] != '\n' && isatty(1)) putchar('\n');
            sodium_memzero(out, olen);
            free(out);
        }
    }
    wcs_session_wipe(&s);
    wc_resp_free(&r);
    return rc;
}

static int report(const wc_conn *c, wc_resp *r, bool print_body)
{
    if (!r->status) {
        fprintf(stderr, "ward client: %s: %s\n", c->url, r->error);
        wc_resp_free(r);
        return 3;
    }
    if (c->verbose) {
        fprintf(stderr, "ward client: HTTP %ld in %.3f ms (connect %.3f ms)", r->status,
                r->total_s * 1e3, r->connect_s * 1e3);
        if (r->time_us[0])
            fprintf(stderr, "; in the monitor %s us, of which cloning %s us", r->time_us,
                    r->clone_us[0] ? r->clone_us : "?");
        fputc('\n', stderr);
    }
    int rc = 0;
    if (r->status >= 300) {
        fprintf(stderr, "ward client: HTTP %ld: %s\n", r->status, r->body);
        rc = 1;
    } else if (print_body && r->len) {
        fwrite(r->body, 1, r->len, stdout);
        if (r->body[r->len - 1] != '\n' && isatty(1)) putchar('\n');
    }
    wc_resp_free(r);
    return rc;
}

/* The invocation input: --data, --file, or stdin when it is not a terminal. */
static bool read_input(int argc, char **argv, int i, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (i < argc && !strcmp(argv[i], "--data") && i + 1 < argc) {
        *data = strdup(argv[i + 1]);
        *len = strlen(argv[i + 1]);
        return *data != NULL;
    }
    if (i < argc && !strcmp(argv[i], "--file") && i + 1 < argc) {
        *data = (char *)cli_read_file(argv[i + 1], len);
        if (!*data) fprintf(stderr, "ward client: %s: %s\n", argv[i + 1], strerror(errno));
        return *data != NULL;
    }
    if (i < argc) return false;
    if (isatty(0)) return true;
    size_t cap = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? 2 * cap : 65536;
            char *b = realloc(*data, cap);
            if (!b) return false;
            *data = b;
        }
        size_t n = fread(*data + *len, 1, cap - *len, stdin);
        if (!n) break;
        *len += n;
    }
    return true;
}

int cli_client(int argc, char **argv)
{
    wc_conn c = {.url = getenv("WARD_URL"), .token = getenv("WARD_TOKEN")};
    if (!c.url) c.url = "http://127.0.0.1:8080";
    argc = take_attest_options(argc, argv);
    uint8_t probe[ATT_HASH];
    if ((att_opts.expect && !att_unhex(probe, ATT_HASH, att_opts.expect)) ||
        (att_opts.expect_monitor && !att_unhex(probe, ATT_HASH, att_opts.expect_monitor)))
        return cli_usage("client", "%s",
                         "--expect-measurement and --expect-monitor take 128 hex digits "
                         "(ward client measure prints them)");
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(cli_client_help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "-v"))
            c.verbose = true;
        else if (!strcmp(argv[i], "--url") && i + 1 < argc)
            c.url = argv[++i];
        else if (!strcmp(argv[i], "--token") && i + 1 < argc)
            c.token = argv[++i];
        else
            return cli_usage("client", "unknown option %s", argv[i]);
    }
    if (i == argc) return cli_usage("client", "%s", "no command");
    const char *cmd = argv[i++];
    char path[512];
    wc_resp r;
    if (!strcmp(cmd, "deploy")) {
        bool confidential = false, want_native = false;
        while (argc - i >= 3 &&
               (!strcmp(argv[argc - 1], "--confidential") || !strcmp(argv[argc - 1], "--native"))) {
            if (!strcmp(argv[argc - 1], "--native"))
                want_native = true;
            else
                confidential = true;
            argc--;
        }
        if (argc - i != 2 && !(argc - i == 4 && !strcmp(argv[i + 2], "--manifest")))
            return cli_usage(
                "client", "%s",
                "deploy NAME FILE.wasm [--manifest FILE.json] [--confidential] [--native]");
        size_t wlen, mlen = 0;
        uint8_t *wasm = cli_read_file(argv[i + 1], &wlen);
        if (!wasm) return fprintf(stderr, "ward client: %s: %s\n", argv[i + 1], strerror(errno)), 2;
        char *header = NULL;
        if (argc - i == 4) {
            uint8_t *m = cli_read_file(argv[i + 3], &mlen);
            if (!m)
                return fprintf(stderr, "ward client: %s: %s\n", argv[i + 3], strerror(errno)), 2;
            header = malloc(mlen + 20);
            if (!header) return 1;
            memcpy(header, "X-Ward-Manifest: ", 17);
            /* one line: a header cannot hold newlines */
            for (size_t k = 0; k < mlen; k++)
                header[17 + k] = (m[k] == '\n' || m[k] == '\r') ? ' ' : (char)m[k];
            header[17 + mlen] = '\0';
            free(m);
        }
        snprintf(path, sizeof path, "/v1/functions/%s", argv[i]);
        uint8_t mes[ATT_HASH];
        bool native = false;
        if (!measure(wasm, wlen, argc - i == 4 ? argv[i + 3] : NULL, want_native, &native, mes)) {
            free(wasm);
            free(header);
            return 1;
        }
        const uint8_t *body = wasm;
        size_t blen = wlen;
        uint8_t *sealed = NULL;
        char *hdrs = NULL;
        if (confidential) {
            /* The module sealed to the attested monitor: the gateway and its
             * store only ever hold ciphertext of it. */
            char why[600];
            int status;
            wcs_peer p;
            wcs_session s;
            wcs_pending pend;
            if (!wcs_attest(&c, NULL, NULL, &att_opts, &p, &status, why, sizeof why)) {
                fprintf(stderr, "ward client: %s\n", why);
                free(wasm);
                free(header);
                return status;
            }
            if (wcs_session_new(&s, &p.ev))
                sealed = wcs_seal(&s, mes, ATT_REQ_DEPLOY, wasm, wlen, &blen, &pend);
            wcs_session_wipe(&s);
            sodium_memzero(wasm, wlen);
            if (!sealed) {
                free(wasm);
                free(header);
                return fprintf(stderr, "ward client: cannot seal the module\n"), 1;
            }
            body = sealed;
            size_t hl = header ? strlen(header) : 0;
            hdrs = malloc(hl + 32);
            if (hdrs) sprintf(hdrs, "%s%sX-Ward-Sealed: 1", header ? header : "", hl ? "\n" : "");
        }
        c.progress = c.verbose && wlen > (1u << 20);
        wc_request(&c, "PUT", path, hdrs ? hdrs : header, body, blen, &r);
        /* The node may run it natively though the manifest names no tier
         * (ward serve --tier native): then its measurement names the
         * object code, which this client makes itself to pin it. */
        if (r.status == 201 && !native && r.body && strstr(r.body, "\"tier\":\"native\"") &&
            !confidential &&
            !measure(wasm, wlen, argc - i == 4 ? argv[i + 3] : NULL, true, &native, mes)) {
            free(wasm);
            free(header);
            free(hdrs);
            wc_resp_free(&r);
            return 1;
        }
        free(wasm);
        free(sealed);
        free(header);
        free(hdrs);
        int rc = report(&c, &r, false);
        char hex[2 * ATT_HASH + 1];
        att_hex(hex, mes, ATT_HASH);
        if (!rc) {
            wcs_pin(&c, &att_opts, "functions", argv[i], mes);
            printf("deployed %s (%zu bytes%s), measurement %s\n", argv[i], wlen,
                   confidential ? ", sealed" : "", hex);
        }
        return rc;
    }
    if (!strcmp(cmd, "invoke") ||
        (!strcmp(cmd, "chain") && i < argc && !strcmp(argv[i], "invoke"))) {
        bool chain = !strcmp(cmd, "chain");
        if (chain) i++;
        if (i == argc) return cli_usage("client", "%s", "invoke NAME [--data TEXT | --file FILE]");
        const char *name = argv[i++];
        char *data;
        size_t len;
        if (!read_input(argc, argv, i, &data, &len))
            return cli_usage("client", "%s", "invoke NAME [--data TEXT | --file FILE]");
        if (!att_plain) {
            int rc = invoke_sealed(&c, chain, name, (const uint8_t *)(data ? data : ""), len);
            if (data) sodium_memzero(data, len);
            free(data);
            return rc;
        }
        snprintf(path, sizeof path, "/v1/%s/%s/invoke", chain ? "chains" : "functions", name);
        wc_request(&c, "POST", path, NULL, data ? data : "", len, &r);
        free(data);
        return report(&c, &r, true);
    }
    if (!strcmp(cmd, "ls") || (!strcmp(cmd, "chain") && i < argc && !strcmp(argv[i], "ls"))) {
        wc_request(&c, "GET", !strcmp(cmd, "ls") ? "/v1/functions" : "/v1/chains", NULL, NULL, 0,
                   &r);
        return report(&c, &r, true);
    }
    if (!strcmp(cmd, "describe") && argc - i == 1) {
        snprintf(path, sizeof path, "/v1/functions/%s", argv[i]);
        wc_request(&c, "GET", path, NULL, NULL, 0, &r);
        return report(&c, &r, true);
    }
    if (!strcmp(cmd, "rm") || (!strcmp(cmd, "chain") && i < argc && !strcmp(argv[i], "rm"))) {
        bool chain = !strcmp(cmd, "chain");
        if (chain) i++;
        if (argc - i != 1) return cli_usage("client", "%s", "rm NAME");
        snprintf(path, sizeof path, "/v1/%s/%s", chain ? "chains" : "functions", argv[i]);
        wc_request(&c, "DELETE", path, NULL, NULL, 0, &r);
        int rc = report(&c, &r, false);
        if (!rc) wcs_pin(&c, &att_opts, chain ? "chains" : "functions", argv[i], NULL);
        return rc;
    }
    if (!strcmp(cmd, "chain") && i < argc && !strcmp(argv[i], "define")) {
        i++;
        if (argc - i < 2) return cli_usage("client", "%s", "chain define NAME STEP...");
        const char *name = argv[i++];
        size_t cap = 64 + 0;
        for (int k = i; k < argc; k++)
            cap += 3 * strlen(argv[k]) + 8;
        char *json = malloc(cap), *p = json;
        if (!json) return 1;
        p += sprintf(p, "{\"steps\":[");
        for (int k = i; k < argc; k++) {
            p += sprintf(p, "%s[", k > i ? "," : "");
            const char *s = argv[k];
            bool first = true;
            while (*s) {
                size_t n = strcspn(s, ",");
                p += sprintf(p, "%s\"%.*s\"", first ? "" : ",", (int)n, s);
                first = false;
                s += n + (s[n] == ',');
            }
            p += sprintf(p, "]");
        }
        p += sprintf(p, "]}");
        snprintf(path, sizeof path, "/v1/chains/%s", name);
        wc_request(&c, "PUT", path, "Content-Type: application/json", json, (size_t)(p - json), &r);
        free(json);
        int rc = report(&c, &r, false);
        if (!rc) wcs_pin(&c, &att_opts, "chains", name, NULL); /* pinned again at first use */
        if (!rc) printf("defined chain %s (%d steps)\n", name, argc - i);
        return rc;
    }
    if (!strcmp(cmd, "attest")) {
        bool chain = i < argc && !strcmp(argv[i], "chain");
        if (chain) i++;
        if (argc - i > 1 || (chain && argc - i != 1))
            return cli_usage("client", "%s", "attest [NAME | chain NAME]");
        const char *name = i < argc ? argv[i] : NULL;
        const char *kind = name ? (chain ? "chains" : "functions") : NULL;
        char why[600], what[80];
        int status;
        wcs_peer p;
        if (!wcs_attest(&c, kind, name, &att_opts, &p, &status, why, sizeof why)) {
            fprintf(stderr, "ward client: %s\n", why);
            return status;
        }
        snprintf(what, sizeof what, "%s %s:", chain ? "chain" : "function", name ? name : "");
        print_evidence(&p, name ? what : NULL);
        return 0;
    }
    if (!strcmp(cmd, "measure")) {
        bool native = false;
        if (argc - i >= 2 && !strcmp(argv[argc - 1], "--native")) {
            native = true;
            argc--;
        }
        if (argc - i != 1 && !(argc - i == 3 && !strcmp(argv[i + 1], "--manifest")))
            return cli_usage("client", "%s", "measure FILE.wasm [--manifest FILE.json] [--native]");
        size_t wlen;
        uint8_t *wasm = cli_read_file(argv[i], &wlen), mes[ATT_HASH];
        if (!wasm) return fprintf(stderr, "ward client: %s: %s\n", argv[i], strerror(errno)), 2;
        bool ok = measure(wasm, wlen, argc - i == 3 ? argv[i + 2] : NULL, native, NULL, mes);
        free(wasm);
        if (!ok) return 1;
        char hex[2 * ATT_HASH + 1];
        att_hex(hex, mes, ATT_HASH);
        printf("%s\n", hex);
        return 0;
    }
    if (!strcmp(cmd, "platform-key")) {
        bool make = i < argc && !strcmp(argv[i], "--new");
        if (make) i++;
        if (argc - i != 1) return cli_usage("client", "%s", "platform-key [--new] FILE");
        if (sodium_init() < 0) return 1;
        uint8_t seed[32], pk[ATT_PK], sk[64];
        if (make) {
            FILE *f = NULL;
            int fd = open(argv[i], O_WRONLY | O_CREAT | O_EXCL, 0600);
            if (fd >= 0) f = fdopen(fd, "wb");
            if (!f) return fprintf(stderr, "ward client: %s: %s\n", argv[i], strerror(errno)), 1;
            randombytes_buf(seed, sizeof seed);
            bool ok = fwrite(seed, 1, sizeof seed, f) == sizeof seed;
            if (fclose(f) || !ok)
                return fprintf(stderr, "ward client: %s: write failed\n", argv[i]), 1;
        } else {
            size_t n;
            uint8_t *b = cli_read_file(argv[i], &n);
            if (!b) return fprintf(stderr, "ward client: %s: %s\n", argv[i], strerror(errno)), 1;
            bool ok = att_platform_seed(seed, b, n);
            sodium_memzero(b, n);
            free(b);
            if (!ok)
                return fprintf(stderr,
                               "ward client: %s: not a platform key (32 bytes or 64 hex digits)\n",
                               argv[i]),
                       1;
        }
        crypto_sign_seed_keypair(pk, sk, seed);
        sodium_memzero(seed, sizeof seed);
        sodium_memzero(sk, sizeof sk);
        char hex[2 * ATT_PK + 1];
        att_hex(hex, pk, ATT_PK);
        printf("%s\n", hex);
        return 0;
    }
    if (!strcmp(cmd, "stats")) {
        wc_request(&c, "GET", "/metrics", NULL, NULL, 0, &r);
        return report(&c, &r, true);
    }
    if (!strcmp(cmd, "health")) {
        wc_request(&c, "GET", "/v1/health", NULL, NULL, 0, &r);
        return report(&c, &r, true);
    }
    return cli_usage("client", "unknown command %s", cmd);
}
