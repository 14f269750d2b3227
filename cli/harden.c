/* harden.c - `ward harden`: rewrites a module built by stock clang and
 * wasi-libc so that `ward run -W mem-safety` catches its heap and stack
 * bugs (docs/harden.md). The rewriter is harden/ (outside the runtime);
 * this file checks the input and the output with the public API and writes
 * the file only when both are valid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward.h"

#include "cli.h"
#include "harden/harden.h"

const char cli_harden_help[] =
    "Usage: ward harden [options] in.wasm -o out.wasm\n"
    "\n"
    "Rewrites a module built by stock clang and wasi-libc (wasm32; wasm64 freestanding\n"
    "modules for the stack) so that `ward run -W mem-safety out.wasm` catches its heap\n"
    "and stack bugs: every malloc'd block becomes a tagged segment (freed blocks and\n"
    "the allocator's headers are tag 0), every stack frame gets a tag of its own, and\n"
    "a bad access traps. See docs/harden.md for what is and is not caught.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE      where to write the hardened module (required). Nothing is\n"
    "                         written if the input cannot be hardened.\n"
    "  --report               print what was found (allocator, stack pointer, frames)\n"
    "                         and what was done.\n"
    "  --alloc ROLE=FUNC      the function that is ROLE (malloc, free, calloc, realloc,\n"
    "                         aligned_alloc, posix_memalign, memalign,\n"
    "                         malloc_usable_size), by name or function index, for a\n"
    "                         module whose names were stripped. Repeatable.\n"
    "  --no-heap              harden the stack only (a module without an allocator).\n"
    "  -h, --help             print this help.\n"
    "\n"
    "Exit status: 0 on success; 1 if the module cannot be read, is not valid, has no\n"
    "recognisable allocator or was hardened already; 2 for a usage error.\n";

static int harden_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "ward: error: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return CLI_EXIT_LOAD;
}

/* Writes bytes to path through a temporary file in the same folder, so
 * that a failure leaves no partial output. */
static bool write_atomic(const char *path, const uint8_t *bytes, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) return false;
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(tmp, path) != 0) ok = false;
    if (!ok) remove(tmp);
    free(tmp);
    return ok;
}

int cli_harden(int argc, char **argv)
{
    const char *in = NULL, *outp = NULL;
    bool report = false;
    hd_alloc_name *alloc = calloc((size_t)argc + 1, sizeof *alloc);
    hd_options opt = {alloc, 0, false};
    int rc = CLI_EXIT_LOAD;
    uint8_t *bytes = NULL;
    ward_module *mod = NULL;
    hd_output out = {0};
    if (!alloc) return harden_error("out of memory%s%s", "", "");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cli_harden_help, stdout);
            rc = 0;
            goto done;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 == argc) {
                rc = cli_usage("harden", "%s needs a file name", a);
                goto done;
            }
            outp = argv[++i];
        } else if (strcmp(a, "--report") == 0) {
            report = true;
        } else if (strcmp(a, "--no-heap") == 0) {
            opt.no_heap = true;
        } else if (strcmp(a, "--alloc") == 0) {
            char *eq = i + 1 < argc ? strchr(argv[i + 1], '=') : NULL;
            if (!eq || eq == argv[i + 1] || !eq[1]) {
                rc = cli_usage("harden", "%s needs ROLE=FUNC", a);
                goto done;
            }
            *eq = 0;
            alloc[opt.nalloc].role = argv[++i];
            alloc[opt.nalloc++].func = eq + 1;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage("harden", "unknown option '%s'", a);
            goto done;
        } else if (!in) {
            in = a;
        } else {
            rc = cli_usage("harden", "one input module only ('%s')", a);
            goto done;
        }
    }
    if (!in || !outp) {
        rc = cli_usage("harden", "%s", !in ? "no input module" : "no output file (-o)");
        goto done;
    }
    size_t len;
    bytes = cli_read_file(in, &len);
    if (!bytes) {
        rc = harden_error("cannot read '%s': %s", in, strerror(errno));
        goto done;
    }
    /* The input must be valid; Cage's instructions are accepted here so that
     * a module that has them is refused as hardened, not as invalid. */
    ward_error err;
    const uint32_t features = WARD_FEATURE_ALL | WARD_FEATURE_MEM_SAFETY | WARD_FEATURE_PTR_AUTH;
    mod = ward_module_new(bytes, len, features, &err);
    if (!mod) {
        rc = harden_error("'%s' is not a valid module: %s", in, err.message);
        goto done;
    }
    ward_module_free(mod);
    mod = NULL;
    char msg[1024];
    if (!hd_harden(bytes, len, &opt, &out, msg, sizeof msg)) {
        rc = harden_error("cannot harden '%s': %s", in, msg);
        goto done;
    }
    mod = ward_module_new(out.bytes, out.len, WARD_FEATURE_ALL | WARD_FEATURE_MEM_SAFETY, &err);
    if (!mod) {
        rc = harden_error("the hardened module is not valid (a bug in ward harden): %s%s",
                          err.message, "");
        goto done;
    }
    if (!write_atomic(outp, out.bytes, out.len)) {
        rc = harden_error("cannot write '%s': %s", outp, strerror(errno));
        goto done;
    }
    if (report) fputs(out.report, stdout);
    rc = 0;
done:
    if (mod) ward_module_free(mod);
    hd_output_free(&out);
    free(bytes);
    free(alloc);
    return rc;
}
