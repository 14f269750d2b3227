/* compile.c - `ward compile`: ahead-of-time native code (docs/native.md).
 *
 *   ward compile [options] in.wasm -o out.cwasm
 *
 * The artifact holds the module and its machine code for this ward
 * version, this CPU (name and features), the optimisation level and the
 * memory mode it will run with; `ward run` refuses it, before anything
 * runs, when any of them differs or the file is truncated or modified.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The native tier's functions exist in ward-native only (libward-native);
 * ward calls none of them (cli_native_here, cli_native_exec). */
#pragma weak ward_native_llvm
#pragma weak ward_native_llvm_options
#pragma weak ward_native_llvm_stats
#pragma weak ward_native_load_artifact
#pragma weak ward_native_compile_artifact
#include "ward.h"
#include "ward_native.h"

const char cli_compile_help[] =
    "Usage: ward compile [options] module.wasm -o out.cwasm\n"
    "\n"
    "Compiles a module to native code ahead of time. 'ward run out.cwasm' runs it\n"
    "in the native tier without compiling; it must be run with the same memory\n"
    "options, by the same ward version, on a CPU with the same name and features.\n"
    "\n"
    "Options:\n"
    "  -o FILE                the artifact to write (required)\n"
    "  -X memory=flat|paged|paged-tables   the memory mode it will run with\n"
    "  -W mem-safety[=y|n]    for stores with memory tagging\n"
    "  -C opt-level=N         LLVM optimisation level 0-3 (default 2)\n"
    "  -v                     print the compile time and sizes\n"
    "  -h, --help             print this help\n";

int cli_compile(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int mode = WARD_MEMORY_FLAT, opt = 2;
    bool tagged = false, verbose = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(cli_compile_help, stdout);
            return 0;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "-v")) {
            verbose = true;
        } else if (!strcmp(a, "-X") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "memory=flat"))
                mode = WARD_MEMORY_FLAT;
            else if (!strcmp(v, "memory=paged"))
                mode = WARD_MEMORY_PAGED;
            else if (!strcmp(v, "memory=paged-tables"))
                mode = WARD_MEMORY_PAGED_TABLES;
            else
                return cli_usage("compile", "unknown -X setting '%s'", v);
        } else if (!strcmp(a, "-W") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "mem-safety") || !strcmp(v, "mem-safety=y"))
                tagged = true;
            else if (!strcmp(v, "mem-safety=n"))
                tagged = false;
            else
                return cli_usage("compile", "unknown -W setting '%s'", v);
        } else if (!strcmp(a, "-C") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strncmp(v, "opt-level=", 10) && strlen(v) == 11 && v[10] >= '0' && v[10] <= '3')
                opt = v[10] - '0';
            else
                return cli_usage("compile", "unknown -C setting '%s'", v);
        } else if (a[0] == '-' || in) {
            return cli_usage("compile", "unexpected argument '%s'", a);
        } else {
            in = a;
        }
    }
    if (!cli_native_here()) return cli_native_exec("compile", argc, argv);
    if (!in) return cli_usage("compile", "%s", "missing module file");
    if (!out) return cli_usage("compile", "%s", "missing -o FILE");
    size_t len = 0;
    uint8_t *bytes = cli_read_file(in, &len);
    if (!bytes) {
        fprintf(stderr, "ward: error: cannot read '%s': %s\n", in, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    uint32_t features = WARD_FEATURE_ALL | (tagged ? WARD_FEATURE_MEM_SAFETY : 0);
    ward_native_llvm_options(opt, NULL);
    uint8_t *art = NULL;
    size_t alen = 0;
    char err[300];
    int rc = 0;
    if (!ward_native_compile_artifact(bytes, len, features, mode, tagged, &art, &alen, err,
                                      sizeof err)) {
        fprintf(stderr, "Error: cannot compile '%s': %s\n", in, err);
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(art, 1, alen, f) != alen || fclose(f) != 0) {
        fprintf(stderr, "Error: cannot write '%s': %s\n", out, strerror(errno));
        rc = CLI_EXIT_LOAD;
        goto done;
    }
    if (verbose) {
        ward_native_stats st;
        ward_native_llvm_stats(&st);
        fprintf(stderr,
                "compiled %zu bytes of Wasm in %.1f ms (%.2f ms/KiB); %llu functions native, %llu "
                "interpreted; object %llu bytes, artifact %zu bytes\n",
                len, st.compile_ms, st.compile_ms / ((double)len / 1024.0),
                (unsigned long long)st.funcs_native, (unsigned long long)st.funcs_interp,
                (unsigned long long)st.object_bytes, alen);
    }
done:
    free(art);
    free(bytes);
    return rc;
}
