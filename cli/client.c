/* client.c - `ward client`: the command line of a ward node's HTTP API
 * (docs/serve.md), over libcurl (faas/client). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client/client.h"

const char cli_client_help[] =
    "Usage: ward client [--url URL] [--token TOKEN] [-v] COMMAND ...\n"
    "Talks to a node started with 'ward serve' (URL default $WARD_URL or\n"
    "http://127.0.0.1:8080, TOKEN default $WARD_TOKEN).\n"
    "\n"
    "  deploy NAME FILE.wasm [--manifest FILE.json]   deploy (or replace) a function\n"
    "  invoke NAME [--data TEXT | --file FILE]        call it; the body is the input\n"
    "                                                 (stdin if neither is given and it is\n"
    "                                                 not a terminal); the output goes to stdout\n"
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
    "Exit status: 0 on success, 1 if the node answered with an error (its message on\n"
    "stderr), 3 if it could not be reached, 2 for a usage error.\n";

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
        if (argc - i != 2 && !(argc - i == 4 && !strcmp(argv[i + 2], "--manifest")))
            return cli_usage("client", "%s", "deploy NAME FILE.wasm [--manifest FILE.json]");
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
        c.progress = c.verbose && wlen > (1u << 20);
        wc_request(&c, "PUT", path, header, wasm, wlen, &r);
        free(wasm);
        free(header);
        int rc = report(&c, &r, false);
        if (!rc) printf("deployed %s (%zu bytes)\n", argv[i], wlen);
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
        return report(&c, &r, false);
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
        if (!rc) printf("defined chain %s (%d steps)\n", name, argc - i);
        return rc;
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
