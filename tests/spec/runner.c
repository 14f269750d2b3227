/* runner.c - runs the official spec test suite against ward.
 *
 *   spec-runner [-v] [--messages] [--filter SUBSTR] [--jobs N] [--timeout SEC]
 *               [--memory flat|paged|paged-tables|tagged|paged-tagged] DIR
 *
 * DIR holds the output of tests/spec/convert.sh: one subfolder per suite
 * (core, memory64, multi-memory, extended-const), each with wast2json's
 * command scripts (.json) and the modules they name (.wasm, .wat).
 *
 * Every script runs in its own forked child with a time limit, as libuv runs
 * its tests: a script that crashes or hangs the runtime is a failure of that
 * script (all its assertions count as failed), never a lost run. The child
 * reports its counts to the parent through a pipe. Only the public API
 * (ward.h) is used, so the suite tests what an embedder sees.
 *
 * tagged and paged-tagged run every memory tagged (mem_safety, flat or
 * paged): every access is tag-checked, nothing is ever tagged, so the
 * suite must pass unchanged.
 *
 * Counting: every assert_* command and every bare action is one assertion;
 * a module that fails to load or instantiate is one failure; register counts
 * nothing. assert_invalid/assert_malformed of text modules are skipped,
 * because ward reads only the binary format.
 *
 * A rejected binary passes whatever the message; --messages lists the ones
 * whose text differs from the reference interpreter's (30 of 3,957 today:
 * modules with two defects, where the reference's single pass over the
 * bytes meets the other one first, and wabt encoding `select (result)` as
 * plain select).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "spectest.h"
#include "ward.h"
#include "ward_native.h"

/* ---- suites and options --------------------------------------------------- */

typedef struct spec_suite {
    const char *name; /* subfolder of DIR */
    uint32_t features;
} spec_suite;

static const spec_suite spec_suites[] = {
    {"core", 0},
    {"memory64", WARD_FEATURE_MEMORY64},
    {"multi-memory", WARD_FEATURE_MULTI_MEMORY},
    {"extended-const", WARD_FEATURE_EXTENDED_CONST},
};
#define SPEC_NSUITES (sizeof spec_suites / sizeof spec_suites[0])

/* The native backend, present only when libward-native is linked. */
extern const ward_native_backend *ward_native_llvm(void) __attribute__((weak));
extern void ward_native_llvm_options(int opt_level, const char *cache_dir) __attribute__((weak));

typedef struct spec_options {
    bool verbose;
    bool messages; /* --messages: print rejections whose text differs from the reference's */
    const char *filter;
    unsigned jobs;
    unsigned timeout_s;
    ward_memory_mode memory_mode;
    bool tagged; /* every memory tagged (ward_store_config.mem_safety) */
    bool native; /* the native tier (spec-runner-native only) */
    int native_opt;
    const char *dir;
} spec_options;

typedef struct spec_counts {
    uint64_t passed, failed, skipped;
} spec_counts;

/* ---- small helpers ---------------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "spec-runner: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static char *path_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = xmalloc(na + nb + 2);
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

/* Reads a whole file; the buffer gets a terminating NUL (not counted in
 * *len) so that JSON text can be parsed in place. NULL if unreadable. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int json_int(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

static bool is_assertion(const char *type)
{
    return strncmp(type, "assert_", 7) == 0 || strcmp(type, "action") == 0;
}

/* Parses a decimal integer that wast2json wrote for a value or lane. The
 * bits of every type are written unsigned, but a leading minus is accepted
 * too and wraps, so a script in either style reads the same bits. */
static bool parse_bits(const char *s, uint64_t max, uint64_t *out)
{
    bool neg = false;
    if (s == NULL) return false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) return false;
    *out = neg ? (uint64_t)0 - v : v;
    if (neg) *out &= max;
    return true;
}

/* ---- one script, run inside the child ------------------------------------- */

typedef struct spec_named {
    char *name;
    ward_instance *inst; /* NULL if that module failed */
} spec_named;

typedef struct spec_script {
    const spec_options *opt;
    uint32_t features;
    const char *dir;   /* folder of the .json; module file names are relative to it */
    char *label;       /* "core/i32.wast", prefix of every message */
    ward_store *store; /* one per script: its modules link to each other */
    ward_linker *linker;
    ward_instance *current; /* the last module defined, target of unnamed actions */
    spec_named *names;
    size_t nnames, capnames;
    const char *text; /* the raw JSON, for names holding U+0000 (spec_raw_field) */
    int cur_line;     /* line of the command being run */
    int *nul_lines;   /* script lines whose names contain U+0000, see spec_scan_nul */
    size_t nnul;
    spec_counts counts;
} spec_script;

static void spec_fail(spec_script *s, int line, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void spec_fail(spec_script *s, int line, const char *cmd, const char *fmt, ...)
{
    s->counts.failed++;
    if (!s->opt->verbose) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("%s:%d %s -- %s\n", s->label, line, cmd, msg);
}

static void spec_bind(spec_script *s, const char *name, ward_instance *inst)
{
    for (size_t i = 0; i < s->nnames; i++) {
        if (strcmp(s->names[i].name, name) == 0) {
            s->names[i].inst = inst;
            return;
        }
    }
    if (s->nnames == s->capnames) {
        s->capnames = s->capnames ? 2 * s->capnames : 8;
        spec_named *n = realloc(s->names, s->capnames * sizeof *n);
        if (n == NULL) {
            fprintf(stderr, "spec-runner: out of memory\n");
            exit(2);
        }
        s->names = n;
    }
    s->names[s->nnames].name = xstrdup(name);
    s->names[s->nnames].inst = inst;
    s->nnames++;
}

static bool spec_lookup(spec_script *s, const char *name, ward_instance **out)
{
    if (name == NULL) {
        *out = s->current;
        return true;
    }
    for (size_t i = 0; i < s->nnames; i++) {
        if (strcmp(s->names[i].name, name) == 0) {
            *out = s->names[i].inst;
            return true;
        }
    }
    return false;
}

/* cJSON decodes "\u0000" into a NUL byte, which silently cuts a name short
 * (names.wast exports a function whose name starts with U+0000, and another
 * named ""). For the commands concerned the runner decodes the name itself
 * from the raw text (spec_raw_field) and looks it up with its length.
 * wast2json writes one command per text line, which lets a scan of the raw
 * text find those commands by their "line" number. */
static void spec_scan_nul(spec_script *s, const char *text)
{
    const char *p = text;
    while ((p = strstr(p, "\\u0000")) != NULL) {
        const char *bol = p;
        while (bol > text && bol[-1] != '\n')
            bol--;
        const char *eol = strchr(p, '\n');
        const char *ln = strstr(bol, "\"line\": ");
        if (ln != NULL && (eol == NULL || ln < eol)) {
            int *n = realloc(s->nul_lines, (s->nnul + 1) * sizeof *n);
            if (n == NULL) {
                fprintf(stderr, "spec-runner: out of memory\n");
                exit(2);
            }
            s->nul_lines = n;
            s->nul_lines[s->nnul++] = atoi(ln + 8);
        }
        if (eol == NULL) break;
        p = eol;
    }
}

/* Appends code point cp to out as UTF-8. */
static size_t spec_put_utf8(unsigned char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the JSON string value of "field" on the raw line of command `line`
 * into buf (at most cap bytes), NUL bytes included. Returns false if it
 * cannot be found or decoded. */
static bool spec_raw_field(const spec_script *s, int line, char *buf, size_t cap, size_t *len)
{
    char key[48];
    snprintf(key, sizeof key, "\"line\": %d,", line);
    const char *p = s->text ? strstr(s->text, key) : NULL;
    if (p == NULL) return false;
    const char *eol = strchr(p, '\n');
    p = strstr(p, "\"field\": \"");
    if (p == NULL || (eol != NULL && p > eol)) return false;
    p += strlen("\"field\": \"");
    size_t n = 0;
    while (*p != '"') {
        unsigned long cp;
        if (*p == '\0' || n + 4 > cap) return false;
        if (*p != '\\') {
            buf[n++] = *p++;
            continue;
        }
        p++;
        switch (*p) {
        case 'u': {
            char hex[5] = {0};
            memcpy(hex, p + 1, 4);
            cp = strtoul(hex, NULL, 16);
            p += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                memcpy(hex, p + 2, 4);
                unsigned long lo = strtoul(hex, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            n += spec_put_utf8((unsigned char *)buf + n, cp);
            continue;
        }
        case 'n': cp = '\n'; break;
        case 't': cp = '\t'; break;
        case 'r': cp = '\r'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        default: cp = (unsigned char)*p; break;
        }
        buf[n++] = (char)cp;
        p++;
    }
    *len = n;
    return true;
}

static bool spec_line_has_nul(const spec_script *s, int line)
{
    for (size_t i = 0; i < s->nnul; i++)
        if (s->nul_lines[i] == line) return true;
    return false;
}

/* ---- values ---------------------------------------------------------------- */

static bool spec_valkind(const char *type, ward_valkind *k)
{
    static const struct {
        const char *name;
        ward_valkind kind;
    } kinds[] = {
        {"i32", WARD_I32},
        {"i64", WARD_I64},
        {"f32", WARD_F32},
        {"f64", WARD_F64},
        {"v128", WARD_V128},
        {"funcref", WARD_FUNCREF},
        {"externref", WARD_EXTERNREF},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (type != NULL && strcmp(type, kinds[i].name) == 0) {
            *k = kinds[i].kind;
            return true;
        }
    }
    return false;
}

/* Byte width of one lane of a v128 written with this lane type, or 0. */
static unsigned spec_lane_bytes(const char *lane)
{
    if (lane == NULL) return 0;
    if (strcmp(lane, "i8") == 0) return 1;
    if (strcmp(lane, "i16") == 0) return 2;
    if (strcmp(lane, "i32") == 0 || strcmp(lane, "f32") == 0) return 4;
    if (strcmp(lane, "i64") == 0 || strcmp(lane, "f64") == 0) return 8;
    return 0;
}

static uint64_t spec_lane_max(unsigned bytes)
{
    return bytes == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * bytes)) - 1;
}

static uint64_t spec_lane_get(const uint8_t *v128, unsigned bytes, unsigned i)
{
    uint64_t x = 0;
    for (unsigned b = 0; b < bytes; b++)
        x |= (uint64_t)v128[i * bytes + b] << (8 * b);
    return x;
}

static void spec_lane_set(uint8_t *v128, unsigned bytes, unsigned i, uint64_t x)
{
    for (unsigned b = 0; b < bytes; b++)
        v128[i * bytes + b] = (uint8_t)(x >> (8 * b));
}

/* Parses an argument (a value with no NaN pattern) into *out. */
static bool spec_parse_arg(const cJSON *jv, ward_val *out)
{
    const char *type = json_str(jv, "type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(jv, "value");
    uint64_t bits;
    memset(out, 0, sizeof *out);
    if (!spec_valkind(type, &out->kind)) return false;
    switch (out->kind) {
    case WARD_I32:
    case WARD_F32:
        if (!parse_bits(cJSON_IsString(value) ? value->valuestring : NULL, UINT32_MAX, &bits))
            return false;
        /* i32 and f32_bits share storage; writing the bits sets either. */
        out->of.f32_bits = (uint32_t)bits;
        return true;
    case WARD_I64:
    case WARD_F64:
        if (!parse_bits(cJSON_IsString(value) ? value->valuestring : NULL, UINT64_MAX, &bits))
            return false;
        out->of.f64_bits = bits;
        return true;
    case WARD_V128: {
        unsigned lb = spec_lane_bytes(json_str(jv, "lane_type"));
        if (lb == 0 || !cJSON_IsArray(value) || cJSON_GetArraySize(value) != (int)(16 / lb))
            return false;
        unsigned i = 0;
        const cJSON *lane;
        cJSON_ArrayForEach(lane, value)
        {
            if (!cJSON_IsString(lane) || !parse_bits(lane->valuestring, spec_lane_max(lb), &bits))
                return false;
            spec_lane_set(out->of.v128, lb, i++, bits);
        }
        return true;
    }
    case WARD_FUNCREF:
        /* A script cannot name a host function, so only null is passed. */
        return cJSON_IsString(value) && strcmp(value->valuestring, "null") == 0;
    case WARD_EXTERNREF:
        if (!cJSON_IsString(value)) return false;
        if (strcmp(value->valuestring, "null") == 0) {
            out->of.externref = 0;
            return true;
        }
        /* ward reserves 0 for null, while the scripts number their host
         * references from 0: reference N is ward's N+1. */
        if (!parse_bits(value->valuestring, UINT64_MAX - 1, &bits)) return false;
        out->of.externref = bits + 1;
        return true;
    }
    return false;
}

static bool spec_nan_canonical32(uint32_t b)
{
    return (b & 0x7fffffffu) == 0x7fc00000u;
}
static bool spec_nan_arithmetic32(uint32_t b)
{
    return (b & 0x7fc00000u) == 0x7fc00000u;
}
static bool spec_nan_canonical64(uint64_t b)
{
    return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
}
static bool spec_nan_arithmetic64(uint64_t b)
{
    return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

/* Compares one float (lane) given as bits of `bytes` width against the
 * expected string: exact bits, or one of the two NaN patterns. */
static bool spec_float_matches(const char *want, unsigned bytes, uint64_t got)
{
    uint64_t bits;
    if (strcmp(want, "nan:canonical") == 0)
        return bytes == 4 ? spec_nan_canonical32((uint32_t)got) : spec_nan_canonical64(got);
    if (strcmp(want, "nan:arithmetic") == 0)
        return bytes == 4 ? spec_nan_arithmetic32((uint32_t)got) : spec_nan_arithmetic64(got);
    return parse_bits(want, spec_lane_max(bytes), &bits) && bits == got;
}

/* Returns 1 if got matches the expected value, 0 if not, -1 if the expected
 * value is not one the runner understands (reported as a runner failure). */
static int spec_match(const cJSON *jv, const ward_val *got)
{
    const char *type = json_str(jv, "type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(jv, "value");
    const char *vs = cJSON_IsString(value) ? value->valuestring : NULL;
    ward_valkind k;
    uint64_t bits;
    if (!spec_valkind(type, &k)) return -1;
    if (got->kind != k) return 0;
    switch (k) {
    case WARD_I32:
        if (!parse_bits(vs, UINT32_MAX, &bits)) return -1;
        return (uint32_t)got->of.i32 == bits;
    case WARD_I64:
        if (!parse_bits(vs, UINT64_MAX, &bits)) return -1;
        return (uint64_t)got->of.i64 == bits;
    case WARD_F32: return vs != NULL && spec_float_matches(vs, 4, got->of.f32_bits);
    case WARD_F64: return vs != NULL && spec_float_matches(vs, 8, got->of.f64_bits);
    case WARD_V128: {
        const char *lt = json_str(jv, "lane_type");
        unsigned lb = spec_lane_bytes(lt);
        if (lb == 0 || !cJSON_IsArray(value) || cJSON_GetArraySize(value) != (int)(16 / lb))
            return -1;
        bool is_float = lt[0] == 'f';
        unsigned i = 0;
        const cJSON *lane;
        cJSON_ArrayForEach(lane, value)
        {
            if (!cJSON_IsString(lane)) return -1;
            uint64_t g = spec_lane_get(got->of.v128, lb, i++);
            if (is_float) {
                if (!spec_float_matches(lane->valuestring, lb, g)) return 0;
            } else {
                if (!parse_bits(lane->valuestring, spec_lane_max(lb), &bits)) return -1;
                if (g != bits) return 0;
            }
        }
        return 1;
    }
    case WARD_FUNCREF:
        if (vs == NULL) return -1;
        /* A number names some function the script cannot identify through
         * the API; any non-null reference is taken as a match. */
        if (strcmp(vs, "null") == 0) return got->of.funcref == NULL;
        return got->of.funcref != NULL;
    case WARD_EXTERNREF:
        if (vs == NULL) return -1;
        if (strcmp(vs, "null") == 0) return got->of.externref == 0;
        if (!parse_bits(vs, UINT64_MAX - 1, &bits)) return -1;
        return got->of.externref == bits + 1;
    }
    return -1;
}

/* Writes a value as the scripts spell it, for failure messages. */
static void spec_fmt_val(char *buf, size_t n, const ward_val *v, const char *lane_type)
{
    switch (v->kind) {
    case WARD_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v->of.i32); return;
    case WARD_I64: snprintf(buf, n, "i64:%" PRIu64, (uint64_t)v->of.i64); return;
    case WARD_F32:
        snprintf(buf, n, "f32:%" PRIu32 " (%g)", v->of.f32_bits, (double)v->of.f32);
        return;
    case WARD_F64: snprintf(buf, n, "f64:%" PRIu64 " (%g)", v->of.f64_bits, v->of.f64); return;
    case WARD_V128: {
        unsigned lb = spec_lane_bytes(lane_type);
        if (lb == 0) {
            lb = 4;
            lane_type = "i32";
        }
        size_t off = (size_t)snprintf(buf, n, "v128:%s[", lane_type);
        for (unsigned i = 0; i < 16 / lb && off < n; i++)
            off += (size_t)snprintf(buf + off, n - off, "%s%" PRIu64, i ? " " : "",
                                    spec_lane_get(v->of.v128, lb, i));
        if (off < n) snprintf(buf + off, n - off, "]");
        return;
    }
    case WARD_FUNCREF: snprintf(buf, n, "funcref:%s", v->of.funcref ? "non-null" : "null"); return;
    case WARD_EXTERNREF:
        if (v->of.externref == 0)
            snprintf(buf, n, "externref:null");
        else
            snprintf(buf, n, "externref:%" PRIu64, v->of.externref - 1);
        return;
    }
    snprintf(buf, n, "kind 0x%x?", (unsigned)v->kind);
}

static void spec_fmt_expected(char *buf, size_t n, const cJSON *jv)
{
    const char *type = json_str(jv, "type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(jv, "value");
    if (cJSON_IsArray(value)) {
        size_t off = (size_t)snprintf(buf, n, "%s:%s[", type ? type : "?",
                                      json_str(jv, "lane_type") ? json_str(jv, "lane_type") : "?");
        const cJSON *lane;
        bool first = true;
        cJSON_ArrayForEach(lane, value)
        {
            if (off >= n) break;
            off += (size_t)snprintf(buf + off, n - off, "%s%s", first ? "" : " ",
                                    cJSON_IsString(lane) ? lane->valuestring : "?");
            first = false;
        }
        if (off < n) snprintf(buf + off, n - off, "]");
        return;
    }
    snprintf(buf, n, "%s:%s", type ? type : "?", cJSON_IsString(value) ? value->valuestring : "?");
}

/* Writes "returned (v1, v2)" for a list of expected values. */
static void spec_fmt_expected_list(char *buf, size_t n, const cJSON *expected)
{
    size_t off = (size_t)snprintf(buf, n, "returned (");
    const cJSON *je;
    bool first = true;
    cJSON_ArrayForEach(je, expected)
    {
        char v[400];
        if (off >= n) return;
        spec_fmt_expected(v, sizeof v, je);
        off += (size_t)snprintf(buf + off, n - off, "%s%s", first ? "" : ", ", v);
        first = false;
    }
    if (off < n) snprintf(buf + off, n - off, ")");
}

/* ---- actions ------------------------------------------------------------- */

typedef enum spec_outcome {
    SPEC_RETURNED, /* results are valid */
    SPEC_TRAPPED,  /* res.message says why */
    SPEC_NOT_RUN,  /* the action could not be made; why says why */
} spec_outcome;

typedef struct spec_call {
    ward_val *results;
    size_t nresults;
    ward_result res;
    char why[512];
} spec_call;

static const char *spec_trap_text(const ward_result *res)
{
    if (res->message[0] != '\0') return res->message;
    const char *m = ward_trap_message(res->trap);
    return m ? m : "";
}

/* Runs an invoke or get action. The caller frees call->results. */
static spec_outcome spec_action(spec_script *s, const cJSON *action, spec_call *call)
{
    memset(call, 0, sizeof *call);
    const char *type = json_str(action, "type");
    const char *modname = json_str(action, "module");
    const char *field = json_str(action, "field");
    ward_instance *inst;

    if (type == NULL || field == NULL) {
        snprintf(call->why, sizeof call->why, "runner: action without type or field");
        return SPEC_NOT_RUN;
    }
    if (!spec_lookup(s, modname, &inst)) {
        snprintf(call->why, sizeof call->why, "unknown module %s", modname);
        return SPEC_NOT_RUN;
    }
    if (inst == NULL) {
        snprintf(call->why, sizeof call->why, "module %s was not instantiated",
                 modname ? modname : "(current)");
        return SPEC_NOT_RUN;
    }

    /* The export's name: from cJSON, unless it holds U+0000 (spec_scan_nul). */
    char raw[512];
    size_t field_len = strlen(field);
    const char *name = field;
    if (spec_line_has_nul(s, s->cur_line)) {
        if (!spec_raw_field(s, s->cur_line, raw, sizeof raw, &field_len)) {
            snprintf(call->why, sizeof call->why, "runner: cannot decode the field name");
            return SPEC_NOT_RUN;
        }
        name = raw;
    }
    ward_extern ext;
    bool found = ward_instance_export_n(inst, name, field_len, &ext);

    if (strcmp(type, "get") == 0) {
        if (!found || ext.kind != WARD_EXTERN_GLOBAL) {
            snprintf(call->why, sizeof call->why, "no global export \"%s\"", field);
            return SPEC_NOT_RUN;
        }
        call->results = xmalloc(sizeof *call->results);
        call->results[0] = ward_global_get(ext.of.global);
        call->nresults = 1;
        return SPEC_RETURNED;
    }
    if (strcmp(type, "invoke") != 0) {
        snprintf(call->why, sizeof call->why, "runner: unknown action type %s", type);
        return SPEC_NOT_RUN;
    }

    ward_func *f = found && ext.kind == WARD_EXTERN_FUNC ? ext.of.func : NULL;
    if (f == NULL) {
        snprintf(call->why, sizeof call->why, "no function export \"%s\"", field);
        return SPEC_NOT_RUN;
    }
    const cJSON *jargs = cJSON_GetObjectItemCaseSensitive(action, "args");
    size_t nargs = cJSON_IsArray(jargs) ? (size_t)cJSON_GetArraySize(jargs) : 0;
    if (nargs != ward_func_param_count(f)) {
        snprintf(call->why, sizeof call->why, "function takes %zu arguments, script gives %zu",
                 ward_func_param_count(f), nargs);
        return SPEC_NOT_RUN;
    }
    ward_val *args = xmalloc(nargs * sizeof *args);
    size_t i = 0;
    const cJSON *ja;
    cJSON_ArrayForEach(ja, jargs)
    {
        if (!spec_parse_arg(ja, &args[i])) {
            char *txt = cJSON_PrintUnformatted(ja);
            snprintf(call->why, sizeof call->why, "runner: cannot read argument %s",
                     txt ? txt : "?");
            free(txt);
            free(args);
            return SPEC_NOT_RUN;
        }
        i++;
    }
    call->nresults = ward_func_result_count(f);
    call->results = xmalloc(call->nresults * sizeof *call->results);
    ward_status st =
        ward_func_call(s->store, f, args, nargs, call->results, call->nresults, &call->res);
    free(args);
    switch (st) {
    case WARD_OK: return SPEC_RETURNED;
    case WARD_TRAP: return SPEC_TRAPPED;
    case WARD_EXIT:
        snprintf(call->why, sizeof call->why, "exit(%d)", call->res.exit_code);
        return SPEC_NOT_RUN;
    case WARD_ERROR: break;
    }
    snprintf(call->why, sizeof call->why, "call error: %s", call->res.message);
    return SPEC_NOT_RUN;
}

/* The message must start with the expected text. One exception: the
 * reference interpreter appends an index to some trap texts and a script
 * may expect it ("uninitialized element 2", in bulk.wast), while
 * ward's trap texts are the fixed spec phrases. The phrase followed by a
 * space and a bare number is therefore accepted; any other difference is a
 * failure. */
static bool spec_message_matches(const char *got, const char *want)
{
    size_t nw = strlen(want), ng = strlen(got);
    if (strncmp(got, want, nw) == 0) return true;
    if (ng == 0 || ng + 1 >= nw || strncmp(got, want, ng) != 0 || want[ng] != ' ') return false;
    for (const char *p = want + ng + 1; *p != '\0'; p++)
        if (*p < '0' || *p > '9') return false;
    return true;
}

static void spec_describe(char *buf, size_t n, spec_outcome o, const spec_call *call)
{
    switch (o) {
    case SPEC_TRAPPED: snprintf(buf, n, "trap \"%s\"", spec_trap_text(&call->res)); return;
    case SPEC_NOT_RUN: snprintf(buf, n, "%s", call->why); return;
    case SPEC_RETURNED: break;
    }
    size_t off = (size_t)snprintf(buf, n, "returned (");
    for (size_t i = 0; i < call->nresults && off < n; i++) {
        char v[200];
        spec_fmt_val(v, sizeof v, &call->results[i], NULL);
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", v);
    }
    if (off < n) snprintf(buf + off, n - off, ")");
}

static void spec_assert_return(spec_script *s, int line, const cJSON *cmd)
{
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
    size_t nexp = cJSON_IsArray(expected) ? (size_t)cJSON_GetArraySize(expected) : 0;
    spec_call call;
    spec_outcome o = spec_action(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &call);
    char got[1024], want[1024];

    if (o != SPEC_RETURNED || call.nresults != nexp) {
        spec_fmt_expected_list(want, sizeof want, expected);
        spec_describe(got, sizeof got, o, &call);
        spec_fail(s, line, "assert_return", "expected %s vs got %s", want, got);
        goto out;
    }
    size_t i = 0;
    const cJSON *je;
    cJSON_ArrayForEach(je, expected)
    {
        int m = spec_match(je, &call.results[i]);
        if (m != 1) {
            spec_fmt_expected(want, sizeof want, je);
            spec_fmt_val(got, sizeof got, &call.results[i], json_str(je, "lane_type"));
            spec_fail(s, line, "assert_return", "%sresult %zu: expected %s vs got %s",
                      m < 0 ? "runner cannot read expected " : "", i, want, got);
            goto out;
        }
        i++;
    }
    s->counts.passed++;
out:
    free(call.results);
}

static void spec_assert_trap(spec_script *s, int line, const cJSON *cmd, const char *name)
{
    const char *text = json_str(cmd, "text");
    spec_call call;
    spec_outcome o = spec_action(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &call);
    char got[1024];

    if (text == NULL) text = "";
    if (o == SPEC_TRAPPED && spec_message_matches(spec_trap_text(&call.res), text)) {
        s->counts.passed++;
    } else {
        spec_describe(got, sizeof got, o, &call);
        spec_fail(s, line, name, "expected trap \"%s\" vs got %s", text, got);
    }
    free(call.results);
}

static void spec_bare_action(spec_script *s, int line, const cJSON *cmd)
{
    spec_call call;
    spec_outcome o = spec_action(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &call);
    char got[1024];
    if (o == SPEC_RETURNED) {
        s->counts.passed++;
    } else {
        spec_describe(got, sizeof got, o, &call);
        spec_fail(s, line, "action", "expected a return vs got %s", got);
    }
    free(call.results);
}

/* ---- modules --------------------------------------------------------------- */

/* Loads the module file a command names. On failure returns NULL and fills
 * why (a ward error, or the file being unreadable). */
static ward_module *spec_load(spec_script *s, const cJSON *cmd, char *why, size_t n)
{
    const char *file = json_str(cmd, "filename");
    if (file == NULL) {
        snprintf(why, n, "runner: command without filename");
        return NULL;
    }
    char *path = path_join(s->dir, file);
    size_t len;
    char *bytes = read_file(path, &len);
    if (bytes == NULL) {
        snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    free(path);
    ward_error err;
    memset(&err, 0, sizeof err);
    ward_module *m = ward_module_new((const uint8_t *)bytes, len, s->features, &err);
    free(bytes);
    if (m == NULL) {
        if (err.has_offset)
            snprintf(why, n, "\"%s\" at byte %zu", err.message, err.offset);
        else
            snprintf(why, n, "\"%s\"", err.message);
    }
    return m;
}

static const char *spec_status_name(ward_status st)
{
    switch (st) {
    case WARD_OK: return "ok";
    case WARD_TRAP: return "trap";
    case WARD_EXIT: return "exit";
    case WARD_ERROR: return "error";
    }
    return "?";
}

static void spec_module(spec_script *s, int line, const cJSON *cmd)
{
    const char *name = json_str(cmd, "name");
    char why[512];
    ward_instance *inst = NULL;
    ward_module *m = spec_load(s, cmd, why, sizeof why);

    if (m == NULL) {
        spec_fail(s, line, "module", "expected a valid module vs got %s", why);
    } else {
        ward_result res;
        memset(&res, 0, sizeof res);
        inst = ward_instance_new(s->store, m, s->linker, &res);
        /* The instance holds its own reference to the module. */
        ward_module_free(m);
        if (inst == NULL)
            spec_fail(s, line, "module", "expected instantiation vs got %s \"%s\"",
                      spec_status_name(res.status), res.message);
    }
    /* A failed module still becomes the current one, so that the actions
     * meant for it fail instead of running against the previous module. */
    s->current = inst;
    if (name != NULL) spec_bind(s, name, inst);
}

static void spec_register(spec_script *s, int line, const cJSON *cmd)
{
    const char *as = json_str(cmd, "as");
    const char *name = json_str(cmd, "name");
    ward_instance *inst = NULL;
    if (as == NULL || !spec_lookup(s, name, &inst) || inst == NULL) {
        /* Counts nothing: the module's own failure was counted already,
         * and the imports that miss it will fail on their own. */
        if (s->opt->verbose)
            printf("%s:%d register -- nothing to register as \"%s\"\n", s->label, line,
                   as ? as : "?");
        return;
    }
    if (!ward_linker_define_instance(s->linker, as, inst)) {
        fprintf(stderr, "spec-runner: out of memory\n");
        exit(2);
    }
}

/* assert_invalid and assert_malformed: the binary must be rejected. */
static void spec_assert_rejected(spec_script *s, int line, const cJSON *cmd, const char *name)
{
    const char *mtype = json_str(cmd, "module_type");
    const char *text = json_str(cmd, "text");
    char why[512];
    if (mtype != NULL && strcmp(mtype, "text") == 0) {
        s->counts.skipped++;
        return;
    }
    ward_module *m = spec_load(s, cmd, why, sizeof why);
    if (m == NULL) {
        if (s->opt->messages && text && !strstr(why, text))
            printf("%s:%d message differs: reference \"%s\", ward %s\n", s->label, line, text, why);
        s->counts.passed++;
        return;
    }
    ward_module_free(m);
    spec_fail(s, line, name, "expected rejection \"%s\" vs got a valid module", text ? text : "");
}

/* assert_unlinkable (WARD_ERROR) and assert_uninstantiable (WARD_TRAP). An
 * uninstantiable module's writes into imported tables and memories stay,
 * which the shared store keeps for the commands that follow. */
static void spec_assert_instantiate(spec_script *s, int line, const cJSON *cmd, const char *name,
                                    ward_status want)
{
    const char *text = json_str(cmd, "text");
    const char *mtype = json_str(cmd, "module_type");
    char why[512];
    if (mtype != NULL && strcmp(mtype, "text") == 0) {
        s->counts.skipped++;
        return;
    }
    ward_module *m = spec_load(s, cmd, why, sizeof why);
    if (m == NULL) {
        spec_fail(s, line, name, "expected %s \"%s\" vs got a module that does not load: %s",
                  spec_status_name(want), text ? text : "", why);
        return;
    }
    ward_result res;
    memset(&res, 0, sizeof res);
    ward_instance *inst = ward_instance_new(s->store, m, s->linker, &res);
    ward_module_free(m);
    if (inst == NULL && res.status == want) {
        s->counts.passed++;
        return;
    }
    if (inst != NULL)
        spec_fail(s, line, name, "expected %s \"%s\" vs got an instance", spec_status_name(want),
                  text ? text : "");
    else
        spec_fail(s, line, name, "expected %s \"%s\" vs got %s \"%s\"", spec_status_name(want),
                  text ? text : "", spec_status_name(res.status), res.message);
}

static void spec_command(spec_script *s, const cJSON *cmd)
{
    const char *type = json_str(cmd, "type");
    int line = json_int(cmd, "line");
    if (type == NULL) {
        spec_fail(s, line, "?", "runner: command without type");
        return;
    }
    s->cur_line = line;
    if (strcmp(type, "module") == 0)
        spec_module(s, line, cmd);
    else if (strcmp(type, "register") == 0)
        spec_register(s, line, cmd);
    else if (strcmp(type, "action") == 0)
        spec_bare_action(s, line, cmd);
    else if (strcmp(type, "assert_return") == 0)
        spec_assert_return(s, line, cmd);
    else if (strcmp(type, "assert_trap") == 0)
        spec_assert_trap(s, line, cmd, type);
    else if (strcmp(type, "assert_exhaustion") == 0)
        spec_assert_trap(s, line, cmd, type);
    else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0)
        spec_assert_rejected(s, line, cmd, type);
    else if (strcmp(type, "assert_unlinkable") == 0)
        spec_assert_instantiate(s, line, cmd, type, WARD_ERROR);
    else if (strcmp(type, "assert_uninstantiable") == 0)
        spec_assert_instantiate(s, line, cmd, type, WARD_TRAP);
    else
        spec_fail(s, line, type, "runner: unknown command type");
}

/* Builds "suite/x.wast" from the script path, so messages name the .wast
 * file whose line numbers they quote. */
static char *spec_label(const char *suite, const char *json_path)
{
    const char *base = strrchr(json_path, '/');
    base = base ? base + 1 : json_path;
    size_t nb = strlen(base);
    if (nb > 5 && strcmp(base + nb - 5, ".json") == 0) nb -= 5;
    size_t ns = strlen(suite);
    char *l = xmalloc(ns + nb + 7);
    snprintf(l, ns + nb + 7, "%s/%.*s.wast", suite, (int)nb, base);
    return l;
}

/* How many assertions a command list holds: what a script that cannot run
 * counts as failed. At least one, so that an unreadable script fails too. */
static uint64_t spec_assertions_in(const cJSON *cmds)
{
    uint64_t n = 0;
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, cmds)
    {
        const char *type = json_str(cmd, "type");
        if (type != NULL && is_assertion(type)) n++;
    }
    return n ? n : 1;
}

static spec_counts spec_run_script(const spec_options *opt, const spec_suite *suite,
                                   const char *path)
{
    spec_script s;
    memset(&s, 0, sizeof s);
    s.opt = opt;
    s.features = suite->features;
    s.label = spec_label(suite->name, path);

    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        strcpy(dir, ".");
    s.dir = dir;

    size_t len;
    char *text = read_file(path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(root, "commands");
    ward_store_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.memory_mode = opt->memory_mode;
    cfg.mem_safety = opt->tagged;
    cfg.tier = opt->native ? WARD_TIER_NATIVE : WARD_TIER_INTERP;

    if (!cJSON_IsArray(cmds)) {
        spec_fail(&s, 0, "script", "runner: cannot read %s", path);
        goto out;
    }
    spec_scan_nul(&s, text);
    s.text = text;
    s.store = ward_store_new(&cfg);
    s.linker = ward_linker_new();
    if (s.store == NULL || s.linker == NULL || !spectest_define(s.store, s.linker)) {
        /* Nothing of the script can run: all its assertions fail. */
        spec_fail(&s, 0, "script", "cannot create the store, linker or spectest module");
        s.counts.failed = spec_assertions_in(cmds);
        goto out;
    }
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, cmds) spec_command(&s, cmd);

out:
    /* Everything is freed, not left to process exit, so that a leak checker
     * in the child (the ASan build) sees only ward's own leaks. */
    if (s.linker != NULL) ward_linker_free(s.linker);
    if (s.store != NULL) ward_store_free(s.store);
    cJSON_Delete(root);
    free(text);
    for (size_t i = 0; i < s.nnames; i++)
        free(s.names[i].name);
    free(s.names);
    free(s.nul_lines);
    free(s.label);
    free(dir);
    return s.counts;
}

/* The same count read from the file, for a script whose child crashed or
 * hung. */
static uint64_t spec_count_assertions(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    uint64_t n = spec_assertions_in(cJSON_GetObjectItemCaseSensitive(root, "commands"));
    cJSON_Delete(root);
    free(text);
    return n;
}

/* ---- the parent: jobs, children, timeouts ---------------------------------- */

typedef struct spec_job {
    char *path;  /* DIR/suite/x.json */
    char *label; /* suite/x.json */
    size_t suite;
} spec_job;

typedef struct spec_child {
    pid_t pid;
    int fd; /* read end of the counts pipe */
    size_t job;
    double deadline; /* monotonic seconds */
    bool killed;
    size_t got;
    unsigned char buf[sizeof(spec_counts)];
} spec_child;

static double spec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static bool spec_start(const spec_options *opt, const spec_job *jobs, size_t j, spec_child *c)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("spec-runner: pipe");
        return false;
    }
    /* Anything still buffered would otherwise be printed again by the child. */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("spec-runner: fork");
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[0]);
        /* Line buffering keeps each failure line whole when several
         * children share the terminal or output file. */
        setvbuf(stdout, NULL, _IOLBF, 0);
        spec_counts cnt = spec_run_script(opt, &spec_suites[jobs[j].suite], jobs[j].path);
        fflush(stdout);
        int rc = write_all(p[1], &cnt, sizeof cnt) ? 0 : 1;
        close(p[1]);
        exit(rc);
    }
    close(p[1]);
    memset(c, 0, sizeof *c);
    c->pid = pid;
    c->fd = p[0];
    c->job = j;
    c->deadline = spec_now() + opt->timeout_s;
    return true;
}

/* Collects a finished child and adds its counts. A child that did not
 * report complete counts, died from a signal, exited non-zero (a sanitizer
 * report, for example) or was killed at its deadline fails all the
 * assertions of its script. */
static void spec_finish(const spec_options *opt, const spec_job *jobs, spec_child *c,
                        spec_counts *suite_counts)
{
    int st = 0;
    while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
        ;
    close(c->fd);
    const spec_job *j = &jobs[c->job];
    spec_counts *sc = &suite_counts[j->suite];
    if (!c->killed && c->got == sizeof(spec_counts) && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        spec_counts cnt;
        memcpy(&cnt, c->buf, sizeof cnt);
        sc->passed += cnt.passed;
        sc->failed += cnt.failed;
        sc->skipped += cnt.skipped;
        return;
    }
    uint64_t n = spec_count_assertions(j->path);
    sc->failed += n;
    char how[128];
    if (c->killed)
        snprintf(how, sizeof how, "timed out after %u s", opt->timeout_s);
    else if (WIFSIGNALED(st))
        snprintf(how, sizeof how, "crashed (signal %d, %s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
    else
        snprintf(how, sizeof how, "ended without reporting its counts");
    printf("%s: %s; counting its %" PRIu64 " assertions as failed\n", j->label, how, n);
    fflush(stdout);
}

static void spec_run_jobs(const spec_options *opt, const spec_job *jobs, size_t njobs,
                          spec_counts *suite_counts)
{
    spec_child *kids = xmalloc(opt->jobs * sizeof *kids);
    struct pollfd *pfd = xmalloc(opt->jobs * sizeof *pfd);
    size_t nkids = 0, next = 0;

    while (next < njobs || nkids > 0) {
        while (next < njobs && nkids < opt->jobs) {
            if (!spec_start(opt, jobs, next, &kids[nkids])) {
                /* Without a child the script cannot run: it fails whole. */
                uint64_t n = spec_count_assertions(jobs[next].path);
                suite_counts[jobs[next].suite].failed += n;
                printf("%s: could not start; counting its %" PRIu64 " assertions as failed\n",
                       jobs[next].label, n);
                next++;
                continue;
            }
            nkids++;
            next++;
        }
        if (nkids == 0) continue;

        /* Wait for output, an exit (end of file on the pipe) or the nearest
         * deadline, whichever comes first. */
        double now = spec_now(), soonest = 1e300;
        for (size_t i = 0; i < nkids; i++) {
            pfd[i].fd = kids[i].fd;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            if (!kids[i].killed && kids[i].deadline < soonest) soonest = kids[i].deadline;
        }
        int wait_ms = soonest > 1e299 ? 1000 : (int)((soonest - now) * 1000.0) + 1;
        if (wait_ms < 0) wait_ms = 0;
        int r = poll(pfd, nkids, wait_ms);
        if (r < 0 && errno != EINTR) {
            perror("spec-runner: poll");
            exit(2);
        }

        now = spec_now();
        for (size_t i = 0; i < nkids;) {
            spec_child *c = &kids[i];
            bool done = false;
            if (r > 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                unsigned char tmp[256];
                ssize_t n = read(c->fd, tmp, sizeof tmp);
                if (n > 0) {
                    size_t room = sizeof c->buf - c->got;
                    size_t take = (size_t)n < room ? (size_t)n : room;
                    memcpy(c->buf + c->got, tmp, take);
                    c->got += take;
                } else if (n == 0 || errno != EINTR) {
                    done = true;
                }
            }
            if (!done && !c->killed && now >= c->deadline) {
                /* The pipe closes when the child dies; its end of file
                 * then finishes it through the path above. */
                kill(c->pid, SIGKILL);
                c->killed = true;
            }
            if (done) {
                spec_finish(opt, jobs, c, suite_counts);
                kids[i] = kids[nkids - 1];
                pfd[i] = pfd[nkids - 1];
                nkids--;
            } else {
                i++;
            }
        }
    }
    free(kids);
    free(pfd);
}

static int spec_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the .json scripts of one suite folder whose "suite/name.json" label
 * contains the filter, in name order so runs are reproducible. Returns false
 * if the folder does not exist. */
static bool spec_collect(const spec_options *opt, size_t suite, spec_job **jobs, size_t *njobs,
                         size_t *cap)
{
    char *dir = path_join(opt->dir, spec_suites[suite].name);
    DIR *d = opendir(dir);
    if (d == NULL) {
        free(dir);
        return false;
    }
    char **names = NULL;
    size_t n = 0, ncap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        if (n == ncap) {
            ncap = ncap ? 2 * ncap : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (nn == NULL) {
                fprintf(stderr, "spec-runner: out of memory\n");
                exit(2);
            }
            names = nn;
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 0) qsort(names, n, sizeof *names, spec_name_cmp);
    for (size_t i = 0; i < n; i++) {
        char *label = path_join(spec_suites[suite].name, names[i]);
        if (opt->filter != NULL && strstr(label, opt->filter) == NULL) {
            free(label);
            free(names[i]);
            continue;
        }
        if (*njobs == *cap) {
            *cap = *cap ? 2 * *cap : 256;
            spec_job *nj = realloc(*jobs, *cap * sizeof *nj);
            if (nj == NULL) {
                fprintf(stderr, "spec-runner: out of memory\n");
                exit(2);
            }
            *jobs = nj;
        }
        (*jobs)[*njobs].path = path_join(dir, names[i]);
        (*jobs)[*njobs].label = label;
        (*jobs)[*njobs].suite = suite;
        (*njobs)++;
        free(names[i]);
    }
    free(names);
    free(dir);
    return true;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: spec-runner [-v] [--messages] [--filter SUBSTR] [--jobs N] [--timeout SEC]\n"
            "                   [--memory flat|paged|paged-tables|tagged|paged-tagged]\n"
            "                   [--tier interp|native] [--native-opt 0-3] DIR\n"
            "DIR holds the suites converted by tests/spec/convert.sh\n"
            "(core, memory64, multi-memory, extended-const).\n");
    exit(2);
}

static unsigned parse_count(const char *s, const char *what, unsigned max)
{
    char *end;
    errno = 0;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    if (s == NULL || errno != 0 || *end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "spec-runner: %s must be a number from 1 to %u\n", what, max);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    spec_options opt = {.jobs = 2, .timeout_s = 120, .memory_mode = WARD_MEMORY_FLAT};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            opt.verbose = true;
        } else if (strcmp(a, "--messages") == 0) {
            opt.messages = true;
        } else if (strcmp(a, "--filter") == 0 && i + 1 < argc) {
            opt.filter = argv[++i];
        } else if (strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) {
            opt.jobs = parse_count(i + 1 < argc ? argv[++i] : NULL, "--jobs", 256);
        } else if (strcmp(a, "--timeout") == 0) {
            opt.timeout_s = parse_count(i + 1 < argc ? argv[++i] : NULL, "--timeout", 86400);
        } else if (strcmp(a, "--memory") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "flat") == 0)
                opt.memory_mode = WARD_MEMORY_FLAT;
            else if (strcmp(m, "paged") == 0)
                opt.memory_mode = WARD_MEMORY_PAGED;
            else if (strcmp(m, "paged-tables") == 0)
                opt.memory_mode = WARD_MEMORY_PAGED_TABLES;
            else if (strcmp(m, "tagged") == 0)
                opt.tagged = true;
            else if (strcmp(m, "paged-tagged") == 0)
                opt.memory_mode = WARD_MEMORY_PAGED, opt.tagged = true;
            else
                usage();
        } else if (strcmp(a, "--tier") == 0 && i + 1 < argc) {
            const char *t = argv[++i];
            if (strcmp(t, "native") == 0)
                opt.native = true;
            else if (strcmp(t, "interp") != 0)
                usage();
        } else if (strcmp(a, "--native-opt") == 0 && i + 1 < argc) {
            opt.native_opt = atoi(argv[++i]);
        } else if (a[0] == '-' || opt.dir != NULL) {
            usage();
        } else {
            opt.dir = a;
        }
    }
    if (opt.dir == NULL) usage();
    if (opt.native) {
        /* Only spec-runner-native links the backend (libward-native). */
        if (!ward_native_llvm) {
            fprintf(stderr,
                    "spec-runner: built without the native tier (use spec-runner-native)\n");
            return 2;
        }
        ward_native_llvm_options(opt.native_opt ? opt.native_opt : 1, NULL);
        ward_native_install(ward_native_llvm());
    }

    spec_job *jobs = NULL;
    size_t njobs = 0, cap = 0;
    bool any_dir = false;
    for (size_t s = 0; s < SPEC_NSUITES; s++)
        any_dir |= spec_collect(&opt, s, &jobs, &njobs, &cap);
    if (!any_dir) {
        fprintf(stderr,
                "spec-runner: %s has none of the suite folders (core, memory64, "
                "multi-memory, extended-const); run tests/spec/convert.sh first\n",
                opt.dir);
        return 2;
    }

    spec_counts suite_counts[SPEC_NSUITES];
    memset(suite_counts, 0, sizeof suite_counts);
    size_t per_suite[SPEC_NSUITES] = {0};
    for (size_t j = 0; j < njobs; j++)
        per_suite[jobs[j].suite]++;

    spec_run_jobs(&opt, jobs, njobs, suite_counts);

    spec_counts total = {0, 0, 0};
    for (size_t s = 0; s < SPEC_NSUITES; s++) {
        if (per_suite[s] == 0) continue;
        const spec_counts *c = &suite_counts[s];
        printf("%s: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n",
               spec_suites[s].name, c->passed, c->failed, c->skipped);
        total.passed += c->passed;
        total.failed += c->failed;
        total.skipped += c->skipped;
    }
    for (size_t j = 0; j < njobs; j++) {
        free(jobs[j].path);
        free(jobs[j].label);
    }
    free(jobs);
    if (njobs == 0) fprintf(stderr, "spec-runner: no script matches\n");
    fflush(stderr);
    printf("%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", total.passed,
           total.failed, total.skipped);
    return total.failed == 0 && njobs > 0 ? 0 : 1;
}
