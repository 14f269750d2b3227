/* run.c - `ward run`: run a WASI command, or call one export, from the
 * command line.
 *
 * Options use wasmtime's spellings so that scripts written for it work.
 * Exit status: the guest's proc_exit code (0 when _start returns), or the
 * statuses in cli.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ward.h"
#include "ward_native.h"
#include "ward_wasi.h"

#include "cli.h"

/* The native tier's functions exist in ward-native only (libward-native);
 * ward calls none of them (cli_native_here, cli_native_exec). */
#pragma weak ward_native_llvm
#pragma weak ward_native_llvm_options
#pragma weak ward_native_llvm_stats
#pragma weak ward_native_load_artifact
#pragma weak ward_native_compile_artifact

const char cli_run_help[] =
    "Usage: ward run [options] module.wasm [args...]\n"
    "\n"
    "Runs the module's _start export (a WASI command) with WASI preview1, passing\n"
    "module.wasm and args as its argv. Options must come before the module.\n"
    "\n"
    "Options:\n"
    "  --dir HOST[::GUEST]    make host directory HOST visible to the guest as GUEST\n"
    "                         (default: HOST as written). The guest reaches nothing\n"
    "                         outside its directories: '..', absolute paths and\n"
    "                         symlinks leading out are refused. Repeatable.\n"
    "  --env NAME=VALUE       set an environment variable for the guest. Repeatable.\n"
    "  --env NAME             pass the host's value of NAME (if set) to the guest.\n"
    "  --tcplisten HOST:PORT  listen on TCP address HOST:PORT ([ADDR]:PORT for IPv6)\n"
    "                         and give the listening socket to the guest as its next\n"
    "                         descriptor after the --dir ones (fd 3 without --dir),\n"
    "                         for sock_accept. Repeatable. Also -S tcplisten=HOST:PORT.\n"
    "  --invoke NAME          call export NAME instead of _start; the args after the\n"
    "                         module are its parameters, parsed per parameter type\n"
    "                         (integers in decimal or 0x hex, floats as in C, 'nan',\n"
    "                         'inf'); results are printed one per line. WASI is still\n"
    "                         available, and a module without WASI imports works too.\n"
    "  -W fuel=N              stop the guest after N units of fuel (one per call and\n"
    "                         per loop iteration, and one per KiB that memory.fill,\n"
    "                         memory.copy, memory.grow and the like write): trap\n"
    "                         'all fuel consumed'.\n"
    "  -W timeout=DURATION    stop after DURATION of wall-clock time, counted from the\n"
    "                         start: loading, compiling, instantiating and running the\n"
    "                         guest all count ('deadline exceeded'). DURATION is a\n"
    "                         number with unit ns, us, ms, s, m or h (e.g. 500ms, 2s;\n"
    "                         a bare number means seconds).\n"
    "  -W max-memory-size=BYTES\n"
    "                         cap every linear memory at BYTES (suffixes K, M, G for\n"
    "                         KiB, MiB, GiB); memory.grow beyond it returns -1.\n"
    "  -W max-instance-memory=BYTES\n"
    "                         cap the sum of the instance's linear memories, tables (8\n"
    "                         bytes per element) and host state (WASI's included) at\n"
    "                         BYTES; default 1G, or max-memory-size if larger. A\n"
    "                         module needing more fails to instantiate; memory.grow\n"
    "                         and table.grow beyond it return -1.\n"
    "  -W max-wasm-stack=BYTES\n"
    "                         size of the guest's value stack; deeper recursion traps\n"
    "                         with 'call stack exhausted'.\n"
    "  -W mem-safety[=y|n]    memory tagging (Cage): every memory is tagged (4 bits per\n"
    "                         16-byte granule), every access checks the address's tag\n"
    "                         (bits 28-31, or 56-59 for memory64) against the memory's\n"
    "                         and traps 'memory tag mismatch' otherwise; accepts the\n"
    "                         segment.new/set_tag/free instructions. 32-bit memories\n"
    "                         are capped at 256 MiB. See docs/cage.md.\n"
    "  -W ptr-auth[=y|n]      pointer authentication (Cage): the instance gets a secret\n"
    "                         key; accepts the pointer_sign/auth/strip instructions.\n"
    "  -X memory=flat|paged   linear memory layout: flat (one block, the default) or\n"
    "                         paged (page tables over shared frames; adds ward:mem).\n"
    "                         paged-tables is paged with every access translated\n"
    "                         through the tables (no fast span; for measurement).\n"
    "                         Several -W or -X settings may be joined with commas.\n"
    "  -C native              run in the native tier: functions are compiled to\n"
    "                         machine code through LLVM on first use, with the same\n"
    "                         traps, limits and memory modes (docs/native.md). A\n"
    "                         module compiled ahead of time (ward compile) runs in\n"
    "                         it too. The default is the interpreter (-C interp).\n"
    "  -C opt-level=N         LLVM optimisation level 0-3 (default 2).\n"
    "  -C cache=DIR           keep native code in DIR and reuse it across runs.\n"
    "  --interp               force the interpreter.\n"
    "  -h, --help             print this help\n"
    "\n"
    "Exit status: the guest's exit code, if it is below 126 (0 when _start\n"
    "returns); 134 if it trapped (the message and a backtrace go to stderr); 1\n"
    "with a message if the module failed to load, validate, link or instantiate\n"
    "(an active segment out of bounds), has no _start and no --invoke was given,\n"
    "or exited with a code of 126 or more, which the shell reserves (as wasmtime\n"
    "does); 2 for a usage error.\n";

typedef struct cli_opts {
    const char **dirs; /* "HOST[::GUEST]" as given */
    size_t ndirs;
    const char **envs; /* "NAME=VALUE" or "NAME" */
    size_t nenvs;
    const char **listens; /* --tcplisten "HOST:PORT" as given */
    size_t nlistens;
    const char *invoke;
    int64_t fuel; /* < 0: unlimited */
    uint64_t timeout_ns;
    uint64_t max_memory;
    uint64_t max_instance_memory; /* 0: the default */
    size_t max_stack;
    ward_memory_mode memory_mode;
    bool mem_safety, ptr_auth;
    bool native;       /* -C native */
    int native_opt;    /* -C opt-level=N; -1 = the default */
    const char *cache; /* -C cache=DIR */
    const char *module;
    char **args; /* after the module */
    int nargs;
} cli_opts;

/* One "-W key=value" or "-X key=value" setting (comma lists are split by the
 * caller). */
/* A boolean setting's value: absent (the key alone) or y/yes/true/1 is true. */
static bool cli_parse_bool(const char *v, bool *out)
{
    if (!v || !strcmp(v, "y") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "n") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return false;
    return true;
}

static int cli_setting(cli_opts *o, char flag, char *kv)
{
    char *eq = strchr(kv, '=');
    bool *flagp = NULL;
    if (flag == 'W') {
        size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
        if (klen == 10 && !strncmp(kv, "mem-safety", klen)) flagp = &o->mem_safety;
        if (klen == 8 && !strncmp(kv, "ptr-auth", klen)) flagp = &o->ptr_auth;
    }
    if (flagp) {
        if (!cli_parse_bool(eq ? eq + 1 : NULL, flagp))
            return cli_usage("run", "setting '%s' takes y or n", kv);
        return 0;
    }
    if (flag == 'C' && (!strcmp(kv, "native") || !strcmp(kv, "interp"))) {
        o->native = !strcmp(kv, "native");
        return 0;
    }
    if (!eq) return cli_usage("run", "setting '%s' needs the form key=value", kv);
    *eq = '\0';
    const char *key = kv, *val = eq + 1;
    uint64_t v;
    int rc = 0;
    if (flag == 'W' && strcmp(key, "fuel") == 0) {
        if (!cli_parse_bytes(val, &v) || v > INT64_MAX)
            rc = cli_usage("run", "invalid fuel '%s'", val);
        else
            o->fuel = (int64_t)v;
    } else if (flag == 'W' && strcmp(key, "timeout") == 0) {
        if (!cli_parse_duration(val, &v))
            rc = cli_usage("run", "invalid duration '%s' (e.g. 500ms, 2s)", val);
        else
            o->timeout_ns = v;
    } else if (flag == 'W' && strcmp(key, "max-memory-size") == 0) {
        if (!cli_parse_bytes(val, &v))
            rc = cli_usage("run", "invalid byte count '%s'", val);
        else
            o->max_memory = v;
    } else if (flag == 'W' && strcmp(key, "max-instance-memory") == 0) {
        if (!cli_parse_bytes(val, &v) || v == 0)
            rc = cli_usage("run", "invalid byte count '%s'", val);
        else
            o->max_instance_memory = v;
    } else if (flag == 'W' && strcmp(key, "max-wasm-stack") == 0) {
        if (!cli_parse_bytes(val, &v) || v == 0 || v > SIZE_MAX)
            rc = cli_usage("run", "invalid byte count '%s'", val);
        else
            o->max_stack = (size_t)v;
    } else if (flag == 'X' && strcmp(key, "memory") == 0) {
        if (strcmp(val, "flat") == 0)
            o->memory_mode = WARD_MEMORY_FLAT;
        else if (strcmp(val, "paged") == 0)
            o->memory_mode = WARD_MEMORY_PAGED;
        else if (strcmp(val, "paged-tables") == 0)
            o->memory_mode = WARD_MEMORY_PAGED_TABLES;
        else
            rc = cli_usage("run", "invalid memory mode '%s' (flat, paged or paged-tables)", val);
    } else if (flag == 'C' && strcmp(key, "opt-level") == 0) {
        if (strlen(val) != 1 || val[0] < '0' || val[0] > '3')
            rc = cli_usage("run", "invalid opt-level '%s' (0 to 3)", val);
        else
            o->native_opt = val[0] - '0';
    } else if (flag == 'C' && strcmp(key, "cache") == 0) {
        if (!*val)
            rc = cli_usage("run", "setting '%s' needs a directory", key);
        else
            o->cache = val;
    } else if (flag == 'S' && strcmp(key, "tcplisten") == 0) {
        if (!*val)
            rc = cli_usage("run", "setting '%s' needs HOST:PORT", key);
        else
            o->listens[o->nlistens++] = val;
    } else {
        *eq = '=';
        rc = cli_usage("run",
                       flag == 'W'   ? "unknown -W setting '%s'"
                       : flag == 'S' ? "unknown -S setting '%s'"
                       : flag == 'C' ? "unknown -C setting '%s'"
                                     : "unknown -X setting '%s'",
                       kv);
    }
    return rc;
}

static int cli_settings(cli_opts *o, char flag, char *list)
{
    for (char *save = NULL, *kv = strtok_r(list, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        int rc = cli_setting(o, flag, kv);
        if (rc) return rc;
    }
    return 0;
}

/* Matches "--name value", "--name=value" and, for short flags, "-Wvalue".
 * Returns the value (advancing *i) or NULL if arg is not this option. */
static char *cli_optval(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    *missing = false;
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=' && name[1] == '-') return argv[*i] + n + 1;
    if (a[n] != '\0') {
        if (name[1] != '-') /* -Wfuel=1 */
            return argv[*i] + n;
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int cli_parse_run(int argc, char **argv, cli_opts *o)
{
    static const char *const with_value[] = {"--dir", "--env",       "--invoke", "-W",
                                             "-X",    "--tcplisten", "-S",       "-C"};
    int i;
    for (i = 0; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cli_run_help, stdout);
            return -1;
        }
        if (strcmp(a, "--interp") == 0) {
            o->native = false;
            continue;
        }
        size_t k;
        char *val = NULL;
        bool missing = false;
        for (k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
            val = cli_optval(argc, argv, &i, with_value[k], &missing);
            if (val || missing) break;
        }
        if (missing) return cli_usage("run", "option '%s' needs a value", a);
        if (!val) return cli_usage("run", "unknown option '%s'", a);
        int rc = 0;
        switch (k) {
        case 0:
            if (!*val) return cli_usage("run", "option '%s' needs a directory", "--dir");
            o->dirs[o->ndirs++] = val;
            break;
        case 1:
            if (!*val || *val == '=') return cli_usage("run", "invalid --env '%s'", val);
            o->envs[o->nenvs++] = val;
            break;
        case 2: o->invoke = val; break;
        case 5:
            if (!*val) return cli_usage("run", "option '%s' needs HOST:PORT", "--tcplisten");
            o->listens[o->nlistens++] = val;
            break;
        case 6: rc = cli_settings(o, 'S', val); break;
        case 7: rc = cli_settings(o, 'C', val); break;
        default: rc = cli_settings(o, k == 3 ? 'W' : 'X', val); break;
        }
        if (rc) return rc;
    }
    if (i >= argc) return cli_usage("run", "%s", "missing module file");
    o->module = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    return 0;
}

/* ---- values ---------------------------------------------------------------- */

static const char *cli_kind_name(ward_valkind k)
{
    switch (k) {
    case WARD_I32: return "i32";
    case WARD_I64: return "i64";
    case WARD_F32: return "f32";
    case WARD_F64: return "f64";
    case WARD_V128: return "v128";
    case WARD_FUNCREF: return "funcref";
    case WARD_EXTERNREF: return "externref";
    }
    return "?";
}

static bool cli_parse_int(const char *s, int bits, uint64_t *out)
{
    char *end;
    bool neg = s[0] == '-';
    const char *d = (neg || s[0] == '+') ? s + 1 : s;
    if (*d < '0' || *d > '9') return false;
    errno = 0;
    unsigned long long v = strtoull(d, &end, 0);
    if (errno || *end) return false;
    uint64_t max = bits == 32 ? UINT32_MAX : UINT64_MAX;
    if (neg) {
        /* down to -2^(bits-1) */
        if (v > (max >> 1) + 1) return false;
        *out = (uint64_t)0 - (uint64_t)v;
    } else {
        if (v > max) return false; /* up to 2^bits - 1, read as unsigned bits */
        *out = v;
    }
    return true;
}

static bool cli_parse_val(const char *s, ward_valkind k, ward_val *v)
{
    char *end;
    uint64_t u;
    memset(v, 0, sizeof *v);
    v->kind = k;
    switch (k) {
    case WARD_I32:
        if (!cli_parse_int(s, 32, &u)) return false;
        v->of.i32 = (int32_t)(uint32_t)u;
        return true;
    case WARD_I64:
        if (!cli_parse_int(s, 64, &u)) return false;
        v->of.i64 = (int64_t)u;
        return true;
    case WARD_F32: v->of.f32 = strtof(s, &end); return *s && !*end;
    case WARD_F64: v->of.f64 = strtod(s, &end); return *s && !*end;
    case WARD_FUNCREF:
    case WARD_EXTERNREF:
        return strcmp(s, "null") == 0; /* only null can be written on a command line */
    default: return false;
    }
}

/* Prints a float with the fewest digits that read back to the same value. */
static void cli_print_float(double d, bool single)
{
    char buf[64];
    if (isnan(d)) {
        puts("NaN");
        return;
    }
    if (isinf(d)) {
        puts(d < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d) break;
    }
    puts(buf);
}

static void cli_print_val(const ward_val *v)
{
    switch (v->kind) {
    case WARD_I32: printf("%" PRId32 "\n", v->of.i32); break;
    case WARD_I64: printf("%" PRId64 "\n", v->of.i64); break;
    case WARD_F32: cli_print_float(v->of.f32, true); break;
    case WARD_F64: cli_print_float(v->of.f64, false); break;
    case WARD_V128:
        printf("0x");
        for (int i = 15; i >= 0; i--)
            printf("%02x", v->of.v128[i]);
        printf("\n");
        break;
    case WARD_FUNCREF: puts(v->of.funcref ? "<funcref>" : "null"); break;
    case WARD_EXTERNREF:
        if (v->of.externref)
            printf("<externref %" PRIu64 ">\n", v->of.externref);
        else
            puts("null");
        break;
    }
}

/* ---- outcomes --------------------------------------------------------------- */

static int cli_outcome(const ward_result *r, const char *what)
{
    switch (r->status) {
    case WARD_OK: return 0;
    case WARD_EXIT:
        if ((uint32_t)r->exit_code < CLI_EXIT_GUEST_LIMIT) return r->exit_code;
        fflush(stdout);
        fprintf(stderr, "Error: exit with invalid exit status %" PRIu32 ", outside of [0..%u)\n",
                (uint32_t)r->exit_code, CLI_EXIT_GUEST_LIMIT);
        return CLI_EXIT_LOAD;
    case WARD_TRAP:
        fflush(stdout);
        fprintf(stderr, "Error: wasm trap: %s\n",
                r->message[0] ? r->message : ward_trap_message(r->trap));
        if (r->nframes > 0) {
            fprintf(stderr, "wasm backtrace:\n");
            for (uint32_t i = 0; i < r->nframes && i < WARD_MAX_FRAMES; i++) {
                const ward_frame *f = &r->frames[i];
                fprintf(stderr, "  %2" PRIu32 ": func[%" PRIu32 "]%s%s @ 0x%" PRIx64 "\n", i,
                        f->func_index, f->func_name ? " " : "", f->func_name ? f->func_name : "",
                        f->module_offset);
            }
        }
        return CLI_EXIT_TRAP;
    case WARD_ERROR:
    default:
        fprintf(stderr, "Error: %s: %s [%s]\n", what, r->message, ward_error_name(r->error));
        return CLI_EXIT_LOAD;
    }
}

/* A module without _start, run without --invoke. wasmtime then runs nothing
 * more and exits 0, which reads as a command that succeeded; ward says what
 * ran, what could be called, and exits 1. Export names are the module's:
 * ones with control bytes are not printed. */
static int cli_no_start(const ward_module *m, const char *path, bool ran_init)
{
    uint32_t sf = 0;
    bool has_start = ward_module_start(m, &sf);
    size_t shown = 0, n = ward_module_export_count(m);
    fflush(stdout);
    fprintf(stderr, "Error: '%s' has no _start export: ", path);
    if (has_start)
        fprintf(stderr, "only its start function (func %" PRIu32 ")%s ran", sf,
                ran_init ? " and _initialize" : "");
    else
        fputs(ran_init ? "only _initialize ran" : "nothing ran", stderr);
    for (size_t i = 0; i < n; i++) {
        ward_extern_kind kind;
        const char *name = ward_module_export_name(m, i, &kind);
        bool printable = name != NULL;
        for (const char *p = name; printable && *p; p++)
            printable = (unsigned char)*p >= 0x20 && *p != 0x7F;
        if (kind != WARD_EXTERN_FUNC || !printable || strcmp(name, "_initialize") == 0) continue;
        if (shown == 8) {
            fprintf(stderr, ", ...");
            break;
        }
        fprintf(stderr, "%s%.64s", shown ? ", " : "; use --invoke NAME to call one of: ", name);
        shown++;
    }
    fprintf(stderr, "%s\n", shown ? "" : "; it exports no functions to --invoke");
    return CLI_EXIT_LOAD;
}

static int cli_invoke(ward_store *s, ward_instance *inst, const cli_opts *o)
{
    ward_result r;
    memset(&r, 0, sizeof r);
    ward_func *f = ward_instance_func(inst, o->invoke);
    if (!f) {
        fprintf(stderr, "Error: module has no exported function '%s'\n", o->invoke);
        return CLI_EXIT_LOAD;
    }
    size_t np = ward_func_param_count(f), nr = ward_func_result_count(f);
    if ((size_t)o->nargs != np) {
        fprintf(stderr, "ward: error: '%s' takes %zu argument%s, %d given\n", o->invoke, np,
                np == 1 ? "" : "s", o->nargs);
        return CLI_EXIT_USAGE;
    }
    ward_val *args = calloc(np + 1, sizeof *args);
    ward_val *res = calloc(nr + 1, sizeof *res);
    int rc = 0;
    if (!args || !res) {
        fprintf(stderr, "Error: out of memory\n");
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        ward_valkind k = ward_func_param_kind(f, i);
        if (!cli_parse_val(o->args[i], k, &args[i])) {
            fprintf(stderr, "ward: error: invalid %s '%s' for parameter %zu of '%s'\n",
                    cli_kind_name(k), o->args[i], i, o->invoke);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
    }
    for (size_t i = 0; i < nr; i++)
        res[i].kind = ward_func_result_kind(f, i);
    if (ward_func_call(s, f, args, np, res, nr, &r) == WARD_OK) {
        for (size_t i = 0; i < nr; i++)
            cli_print_val(&res[i]);
    }
    rc = cli_outcome(&r, "call failed");
done:
    free(args);
    free(res);
    return rc;
}

/* Binds a TCP socket to spec, "HOST:PORT" or "[ADDR]:PORT", and listens on
 * it. Returns the descriptor, or -1 after printing why. */
static int cli_tcp_listen(const char *spec)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    const char *h = spec;
    size_t hl = colon ? (size_t)(colon - spec) : 0;
    if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
        h = spec + 1;
        hl -= 2;
    }
    if (!colon || hl == 0 || hl >= sizeof host || !colon[1]) {
        cli_usage("run", "invalid --tcplisten '%s' (want HOST:PORT)", spec);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(host, colon + 1, &hints, &list);
    if (g != 0) {
        fprintf(stderr, "ward: error: cannot listen on %s: %s\n", spec, gai_strerror(g));
        return -1;
    }
    int fd = -1, why = 0;
    for (struct addrinfo *a = list; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            why = errno;
            continue;
        }
        int one = 1; /* as wasmtime (Rust's TcpListener) does on Unix */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
            break;
        why = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) fprintf(stderr, "ward: error: cannot listen on %s: %s\n", spec, strerror(why));
    return fd;
}

int cli_run(int argc, char **argv)
{
    char **orig = NULL; /* argv as given, for ward-native */
    cli_opts o;
    memset(&o, 0, sizeof o);
    o.fuel = -1;
    o.native_opt = -1;
    o.dirs = calloc((size_t)argc + 1, sizeof *o.dirs);
    o.envs = calloc((size_t)argc + 1, sizeof *o.envs);
    o.listens = calloc((size_t)argc + 1, sizeof *o.listens);
    int *socks = calloc((size_t)argc + 1, sizeof *socks); /* host listening sockets */
    size_t nsocks = 0;
    ward_wasi_preopen *pre = calloc((size_t)argc + 1, sizeof *pre);
    char **dirbufs = calloc((size_t)argc + 1, sizeof *dirbufs);
    char **envbufs = calloc((size_t)argc + 1, sizeof *envbufs); /* inherited NAME=VALUE */
    const char **envp = calloc((size_t)argc + 1, sizeof *envp);
    const char **gargv = calloc((size_t)argc + 2, sizeof *gargv);
    uint8_t *bytes = NULL;
    ward_module *mod = NULL;
    ward_store *store = NULL;
    ward_linker *linker = NULL;
    ward_wasi *wasi = NULL;
    ward_error err;
    ward_result res;
    int rc = 0;
    memset(&err, 0, sizeof err);
    memset(&res, 0, sizeof res);
    if (!o.dirs || !o.envs || !o.listens || !socks || !pre || !dirbufs || !envbufs || !envp ||
        !gargv) {
        fprintf(stderr, "Error: out of memory\n");
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    /* Parsing splits settings in place: ward-native gets them as given. */
    orig = calloc((size_t)argc + 1, sizeof *orig);
    for (int i = 0; orig && i < argc; i++)
        orig[i] = strdup(argv[i]);
    rc = cli_parse_run(argc, argv, &o);
    if (rc) {
        rc = rc < 0 ? 0 : rc; /* -1: help was printed */
        goto done;
    }
    /* The native tier asked for runs in ward-native (LLVM compiles). An AOT
     * artifact (magic "WARDAOT" and a format digit) runs here, with
     * libward's own loader and no LLVM, where that loader works (x86-64
     * Linux: it needs the fault handler of guard pages); elsewhere in
     * ward-native too. */
    bool in_here = false, try_cache = false;
    uint32_t ncompiled = 0;
    if (!cli_native_here()) {
        bool art = false;
        FILE *mf = fopen(o.module, "rb");
        if (mf) {
            uint8_t magic[8];
            art = fread(magic, 1, 8, mf) == 8 && ward_is_artifact(magic, 8);
            fclose(mf);
        }
        in_here = art && ward_native_loader_init();
        /* Code in the cache directory runs here too; what is not there
         * yet, ward-native compiles (and puts there). */
        try_cache = !art && o.native && o.cache && ward_native_loader_init();
        if ((o.native || art) && !in_here && !try_cache) {
            rc = orig ? cli_native_exec("run", argc, orig) : CLI_EXIT_LOAD;
            goto done;
        }
    }

    /* The store comes first, with its limits: the deadline counts from
     * here, so that loading and compiling are inside it as well. */
    uint64_t started = cli_now_ns();
    ward_store_config sc;
    memset(&sc, 0, sizeof sc);
    sc.max_stack_bytes = o.max_stack;
    sc.max_memory_bytes = o.max_memory;
    sc.memory_mode = o.memory_mode;
    sc.mem_safety = o.mem_safety;
    sc.ptr_auth = o.ptr_auth;
    size_t len = 0;
    bytes = cli_read_file(o.module, &len);
    if (!bytes) {
        fprintf(stderr, "ward: error: cannot read '%s': %s\n", o.module, strerror(errno));
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    /* The native tier: an AOT artifact implies it; it is checked (version,
     * CPU, flags, hash) before anything runs. */
    const uint8_t *wasm = bytes;
    size_t wasm_len = len;
    uint32_t art_features = 0;
    bool artifact = cli_native_here() && ward_is_artifact(bytes, len);
    if ((o.native || artifact) && cli_native_here()) {
        ward_native_llvm_options(o.native_opt >= 0 ? o.native_opt : 2, o.cache);
        ward_native_install(ward_native_llvm());
        sc.tier = WARD_TIER_NATIVE;
    }
    if (in_here || try_cache) sc.tier = WARD_TIER_NATIVE;
    if (artifact) {
        char aerr[300];
        if (!ward_native_load_artifact(bytes, len, o.memory_mode, o.mem_safety, &wasm, &wasm_len,
                                       &art_features, aerr, sizeof aerr)) {
            fprintf(stderr, "Error: failed to load '%s': %s\n", o.module, aerr);
            rc = CLI_EXIT_LOAD;
            goto done;
        }
    }
    /* One instance runs: its budget and the store's (which also holds
     * WASI's state) are the same number. */
    sc.max_instance_memory_bytes = o.max_instance_memory;
    sc.max_store_memory_bytes = o.max_instance_memory;
    store = ward_store_new(&sc);
    linker = ward_linker_new();
    if (!store || !linker) {
        fprintf(stderr, "Error: cannot create the store: out of memory\n");
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    if (o.fuel >= 0) ward_store_set_fuel(store, o.fuel);
    if (o.timeout_ns) ward_store_set_timeout(store, o.timeout_ns);

    uint32_t features = WARD_FEATURE_ALL;
    if (o.mem_safety) features |= WARD_FEATURE_MEM_SAFETY;
    if (o.ptr_auth) features |= WARD_FEATURE_PTR_AUTH;
    if (artifact) features = art_features;
    if (in_here) {
        mod = ward_module_new_artifact(store, bytes, len, o.native_opt, &ncompiled, &err);
    } else if (try_cache) {
        bool hit = false;
        mod = ward_module_new_cached(store, wasm, wasm_len, features, o.cache,
                                     o.native_opt >= 0 ? o.native_opt : 2, &ncompiled, &hit, &err);
        if (mod && !hit) {
            /* Nothing runs yet and no file or socket of the guest's is
             * open: ward-native starts the run again, compiling. */
            ward_module_free(mod), mod = NULL;
            ward_linker_free(linker), linker = NULL;
            ward_store_free(store), store = NULL;
            rc = orig ? cli_native_exec("run", argc, orig) : CLI_EXIT_LOAD;
            goto done;
        }
    } else {
        mod = ward_module_new_in(store, wasm, wasm_len, features, &err);
    }
    if (!mod) {
        /* The message, then the code an embedder would act on. */
        if (err.has_offset)
            fprintf(stderr, "Error: failed to load '%s': at offset 0x%zx: %s [%s]\n", o.module,
                    err.offset, err.message, ward_error_name(err.code));
        else
            fprintf(stderr, "Error: failed to load '%s': %s [%s]\n", o.module, err.message,
                    ward_error_name(err.code));
        rc = CLI_EXIT_LOAD;
        goto done;
    }

    /* WASI: argv is the module path as written, then the arguments. */
    ward_wasi_config wc;
    ward_wasi_config_init(&wc);
    gargv[0] = o.module;
    for (int i = 0; i < o.nargs; i++)
        gargv[i + 1] = o.args[i];
    wc.argv = gargv;
    wc.argc = (size_t)o.nargs + 1;
    for (size_t i = 0; i < o.nenvs; i++) {
        if (strchr(o.envs[i], '=')) {
            envp[wc.envc++] = o.envs[i];
        } else {
            /* --env NAME inherits the host's value; unset stays unset. */
            const char *v = getenv(o.envs[i]);
            if (v) {
                size_t n = strlen(o.envs[i]) + strlen(v) + 2;
                char *kv = malloc(n);
                if (!kv) {
                    rc = CLI_EXIT_LOAD;
                    goto done;
                }
                snprintf(kv, n, "%s=%s", o.envs[i], v);
                envbufs[wc.envc] = kv;
                envp[wc.envc++] = kv;
            }
        }
    }
    wc.envp = envp;
    for (size_t i = 0; i < o.ndirs; i++) {
        char *d = strdup(o.dirs[i]);
        if (!d) {
            rc = CLI_EXIT_LOAD;
            goto done;
        }
        dirbufs[i] = d;
        char *sep = strstr(d, "::");
        if (sep) {
            *sep = '\0';
            pre[i].guest_path = sep + 2;
        } else {
            pre[i].guest_path = d;
        }
        pre[i].host_path = d;
        if (!*pre[i].host_path || !*pre[i].guest_path) {
            rc = cli_usage("run", "invalid --dir '%s'", o.dirs[i]);
            goto done;
        }
    }
    wc.dirs = pre;
    wc.ndirs = o.ndirs;
    for (size_t i = 0; i < o.nlistens; i++) {
        socks[i] = cli_tcp_listen(o.listens[i]);
        if (socks[i] < 0) {
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        nsocks = i + 1; /* closed at done: the context holds its own copies */
    }
    wc.sockets = socks;
    wc.nsockets = nsocks;
    wasi = ward_wasi_new(&wc, &err);
    if (!wasi) {
        fprintf(stderr, "ward: error: %s\n", err.message);
        rc = CLI_EXIT_USAGE;
        goto done;
    }

    if (!ward_wasi_define(wasi, store, linker)) {
        fprintf(stderr, "Error: cannot define WASI imports: out of memory or over the budget\n");
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    /* Paged memories also offer the guest its page controls (ward:mem). */
    if (o.memory_mode != WARD_MEMORY_FLAT && !ward_linker_define_guest_mem(linker, store)) {
        fprintf(stderr, "Error: cannot define ward:mem imports: out of memory\n");
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    if (o.timeout_ns) {
        /* WASI's blocking calls end with the store's deadline: what is
         * left of it. */
        uint64_t spent = cli_now_ns() - started;
        ward_wasi_set_timeout(wasi, spent < o.timeout_ns ? o.timeout_ns - spent : 1);
    }

    fflush(stdout); /* the guest writes to a duplicate of fd 1, unbuffered */
    ward_instance *inst = ward_instance_new(store, mod, linker, &res);
    if (!inst && res.status == WARD_TRAP && res.segment_trap) {
        /* The module's own data does not fit: an instantiation error, like
         * a link error (no code ran), not a trap of the guest. */
        fprintf(stderr, "Error: failed to instantiate '%s': %s\n", o.module, res.message);
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    if (!inst) {
        rc = cli_outcome(&res, "failed to instantiate");
        goto done;
    }
    /* A reactor initialises itself before any export is called. */
    ward_func *init = ward_instance_func(inst, "_initialize");
    if (init && ward_func_param_count(init) == 0) {
        ward_func_call(store, init, NULL, 0, NULL, 0, &res);
        rc = cli_outcome(&res, "_initialize failed");
        if (res.status != WARD_OK) goto done;
    }
    if (o.invoke) {
        rc = cli_invoke(store, inst, &o);
    } else {
        ward_func *start = ward_instance_func(inst, "_start");
        if (start) {
            ward_func_call(store, start, NULL, 0, NULL, 0, &res);
            rc = cli_outcome(&res, "_start failed");
        } else {
            rc = cli_no_start(mod, o.module, init && ward_func_param_count(init) == 0);
        }
    }

done:
    for (int i = 0; orig && i < argc; i++)
        free(orig[i]);
    free(orig);
    /* Compile statistics of the native tier, for the tests. */
    if (mod && (in_here || try_cache) && getenv("WARD_NATIVE_STATS"))
        fprintf(stderr,
                "native: 0 modules compiled, %d cached, %d from artifacts; %u functions native, "
                "loaded by ward without LLVM\n",
                try_cache, in_here, ncompiled);
    if (o.native && cli_native_here() && getenv("WARD_NATIVE_STATS")) {
        ward_native_stats st;
        ward_native_llvm_stats(&st);
        fprintf(stderr,
                "native: %llu modules compiled in %.1f ms (%llu Wasm bytes, %llu object bytes), "
                "%llu cached, %llu from artifacts; %llu functions native, %llu interpreted\n",
                (unsigned long long)st.modules_compiled, st.compile_ms,
                (unsigned long long)st.code_bytes, (unsigned long long)st.object_bytes,
                (unsigned long long)st.cache_hits, (unsigned long long)st.artifact_loads,
                (unsigned long long)st.funcs_native, (unsigned long long)st.funcs_interp);
    }
    fflush(stdout);
    ward_linker_free(linker);
    ward_store_free(store);
    ward_wasi_free(wasi);
    ward_module_free(mod);
    free(bytes);
    for (int i = 0; i < argc + 1; i++) {
        free(dirbufs ? dirbufs[i] : NULL);
        free(envbufs ? envbufs[i] : NULL);
    }
    free(dirbufs);
    free(envbufs);
    free(pre);
    free(envp);
    free(gargv);
    free(o.dirs);
    free(o.envs);
    for (size_t i = 0; i < nsocks; i++)
        close(socks[i]);
    free(socks);
    free(o.listens);
    /* A compilation the deadline stopped waiting for may still run on its
     * own thread (docs/native.md): ward-native does not wait for it. */
    if (cli_native_here()) {
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}
