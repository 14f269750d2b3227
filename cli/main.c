/* main.c - the `ward` program: dispatches to one file per subcommand.
 *
 *   ward run [options] module.wasm [args...]   run.c
 *   ward serve [options]                       serve.c
 *   ward client [options] COMMAND ...          client.c
 *   ward compile [options] in.wasm -o out      compile.c
 *   ward harden [options] in.wasm -o out.wasm  harden.c
 *   ward version
 *   ward help [COMMAND]
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ward.h"

static const char cli_help[] =
    "ward - a WebAssembly runtime for confidential multi-tenant computing\n"
    "\n"
    "Usage:\n"
    "  ward run [options] module.wasm [args...]   run a module (see 'ward run --help')\n"
    "  ward serve [options]                       start a serverless node (see 'ward serve "
    "--help')\n"
    "  ward client [options] COMMAND ...          deploy, invoke, chain, ls, rm, stats on a node\n"
    "  ward compile [options] in.wasm -o out.cwasm   native code ahead of time\n"
    "  ward harden [options] in.wasm -o out.wasm  add memory safety to a module (see 'ward harden "
    "--help')\n"
    "  ward version                               print the version\n"
    "  ward help                                  print this help\n";

/* In ward-node only (cli.h): ward execs ward-node for these. */
#pragma weak cli_serve
#pragma weak cli_client
#pragma weak cli_serve_help
#pragma weak cli_client_help
/* In ward-native only: the serverless node's compile helper. */
#pragma weak cli_compile_server

int main(int argc, char **argv)
{
    /* A guest writing to a closed pipe gets EPIPE, not a dead runtime. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fputs(cli_help, stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) return cli_run(argc - 2, argv + 2);
    if (strcmp(cmd, "--compile-server") == 0 && cli_compile_server)
        return cli_compile_server(argc - 2, argv + 2);
    bool node = cli_serve != NULL && cli_client != NULL;
    if (strcmp(cmd, "serve") == 0)
        return node ? cli_serve(argc - 2, argv + 2) : cli_node_exec(cmd, argc - 2, argv + 2);
    if (strcmp(cmd, "client") == 0)
        return node ? cli_client(argc - 2, argv + 2) : cli_node_exec(cmd, argc - 2, argv + 2);
    if (strcmp(cmd, "compile") == 0) return cli_compile(argc - 2, argv + 2);
    if (strcmp(cmd, "harden") == 0) return cli_harden(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("ward %s\n", WARD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "run") == 0)
            fputs(cli_run_help, stdout);
        else if (argc > 2 && (!strcmp(argv[2], "serve") || !strcmp(argv[2], "client")) && !node)
            return cli_node_exec(cmd, argc - 2, argv + 2);
        else if (argc > 2 && strcmp(argv[2], "serve") == 0)
            fputs(cli_serve_help, stdout);
        else if (argc > 2 && strcmp(argv[2], "compile") == 0)
            fputs(cli_compile_help, stdout);
        else if (argc > 2 && strcmp(argv[2], "client") == 0)
            fputs(cli_client_help, stdout);
        else if (argc > 2 && strcmp(argv[2], "harden") == 0)
            fputs(cli_harden_help, stdout);
        else
            fputs(cli_help, stdout);
        return 0;
    }
    fprintf(stderr, "ward: error: unknown command '%s' (see 'ward --help')\n", cmd);
    return CLI_EXIT_USAGE;
}
