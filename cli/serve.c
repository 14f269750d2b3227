/* serve.c - `ward serve`: a serverless node of two processes, supervised.
 *
 *   monitor   (trusted)   build/ward-monitor, exec'ed: runtime, templates, trustlets
 *   gateway   (untrusted) a child of this process: HTTP, tenants, the store
 *
 * This process binds the listening socket once (so the port survives a
 * gateway restart), starts both, hands them a fresh Unix socket pair each
 * time either starts (over a control socket of each, SCM_RIGHTS), and
 * restarts whichever dies. The gateway then replays the store onto the
 * monitor, so nothing deployed is lost. SIGINT or SIGTERM stops the node.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gateway/gateway.h"

const char cli_serve_help[] =
    "Usage: ward serve [options]\n"
    "Starts a serverless node: the monitor (trusted: runtime, templates, trustlets)\n"
    "and the gateway (HTTP API, tenants, function store), supervised and restarted.\n"
    "\n"
    "  --listen HOST:PORT     HTTP address (default 127.0.0.1:8080; port 0 = any free port)\n"
    "  --store DIR            function store (default ./ward-store)\n"
    "  --workers N            monitor worker threads (default: the number of CPUs)\n"
    "  --deploys N            deploys that run side by side, each tenant's one at a\n"
    "                         time (default 2; 1 to 16; one native compile helper each)\n"
    "  --queue N              invocations waiting in the monitor at most (default 256)\n"
    "  --tenant NAME:TOKEN[:FUNCS:CONC:MEM]\n"
    "                         a tenant and its bearer token, with optional limits (most\n"
    "                         functions, concurrent invocations, bytes of memory);\n"
    "                         repeatable. Without any, one tenant \"default\" and no token.\n"
    "  --max-body BYTES       largest request body (default 64M)\n"
    "  --port-file FILE       write the port listened on to FILE once ready\n"
    "  --no-sandbox           do not install the monitor's seccomp filter\n"
    "  --tier interp|native   the tier of functions whose manifest names none (default\n"
    "                         interp); native code is compiled once per deploy by a\n"
    "                         sandboxed helper (ward-native) and loaded by the monitor\n"
    "  --compile-timeout DURATION\n"
    "                         longest compilation of one native deploy (default 120s;\n"
    "                         1s to 1h; past it the deploy fails and the helper goes on)\n"
    "  --compile-memory BYTES memory one native compilation may use (default 4G; 0: no\n"
    "                         limit)\n"
    "  --attest none|sim:KEYFILE|tsm\n"
    "                         the platform that vouches for the monitor's keys: none\n"
    "                         (default), a SIMULATED platform key from KEYFILE, or a\n"
    "                         hardware report through configfs-tsm (docs/attest.md)\n"
    "See docs/serve.md for the HTTP API.\n";

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
    stop_sig = sig;
}

static bool send_fd(int ctl, int fd)
{
    char byte = 'c';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do
        n = sendmsg(ctl, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1;
}

typedef struct node {
    gw_config gw;
    char monitor_path[PATH_MAX];
    unsigned workers, queue;
    bool sandbox;
    const char *attest; /* --attest, passed to the monitor */
    const char *tier;   /* --tier: the default of functions whose manifest names none */
    unsigned compile_ms, compile_mib; /* --compile-timeout, --compile-memory */
    unsigned deploys;                 /* --deploys */
    /* The key of the MAC on native code the gateway stores for monitors
     * (faas/proto.h, PROTO_F_NATIVE): random, the same for every monitor
     * this node starts, never given to the gateway. */
    uint8_t code_key[32];
    pid_t mon_pid, gw_pid;
    int mon_ctl, gw_ctl; /* this process's ends */
} node;

static pid_t start_monitor(node *n)
{
    int sv[2], kp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    /* The code key through a pipe (never in argv or the environment). */
    if (pipe2(kp, O_CLOEXEC)) {
        close(sv[0]), close(sv[1]);
        return -1;
    }
    bool key_ok = write(kp[1], n->code_key, sizeof n->code_key) == (ssize_t)sizeof n->code_key;
    close(kp[1]);
    pid_t pid = key_ok ? fork() : -1;
    if (pid == 0) {
        signal(SIGINT, SIG_IGN); /* the supervisor stops it (a terminal's ^C reaches all) */
        signal(SIGTERM, SIG_DFL);
        int fd = dup(sv[1]); /* without CLOEXEC: the descriptors the monitor inherits */
        int kfd = dup(kp[0]);
        char ctl[16], w[16], q[16], cms[16], cmib[16], dep[16], key[16];
        snprintf(ctl, sizeof ctl, "%d", fd);
        snprintf(key, sizeof key, "%d", kfd);
        snprintf(cms, sizeof cms, "%u", n->compile_ms);
        snprintf(cmib, sizeof cmib, "%u", n->compile_mib);
        snprintf(w, sizeof w, "%u", n->workers);
        snprintf(dep, sizeof dep, "%u", n->deploys);
        snprintf(q, sizeof q, "%u", n->queue);
        char *argv[] = {n->monitor_path,
                        "--ctl",
                        ctl,
                        "--workers",
                        w,
                        "--deploys",
                        dep,
                        "--queue",
                        q,
                        "--tier",
                        (char *)n->tier,
                        "--compile-timeout-ms",
                        cms,
                        "--compile-memory-mib",
                        cmib,
                        "--code-key-fd",
                        key,
                        n->sandbox ? "--attest" : "--no-sandbox",
                        n->sandbox ? (char *)n->attest : "--attest",
                        n->sandbox ? NULL : (char *)n->attest,
                        NULL};
        execv(n->monitor_path, argv);
        fprintf(stderr, "ward serve: cannot run %s: %s\n", n->monitor_path, strerror(errno));
        _exit(127);
    }
    close(sv[1]);
    close(kp[0]);
    if (pid < 0) {
        close(sv[0]);
        return -1;
    }
    if (n->mon_ctl >= 0) close(n->mon_ctl);
    n->mon_ctl = sv[0];
    return pid;
}

static pid_t start_gateway(node *n)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL);
        close(sv[0]);
        if (n->mon_ctl >= 0) close(n->mon_ctl); /* the monitor sees EOF only from us */
        if (n->gw_ctl >= 0) close(n->gw_ctl);
        n->gw.ctl_fd = sv[1];
        _exit(gw_main(&n->gw));
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return -1;
    }
    if (n->gw_ctl >= 0) close(n->gw_ctl);
    n->gw_ctl = sv[0];
    return pid;
}

/* A new connection between the two: each gets one end. */
static void connect_pair(node *n)
{
    int p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)) return;
    if (!send_fd(n->mon_ctl, p[0]) || !send_fd(n->gw_ctl, p[1]))
        fprintf(stderr, "ward serve: could not connect the monitor and the gateway\n");
    close(p[0]);
    close(p[1]);
}

static int listen_on(const char *spec, int *port_out)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        close(fd);
        return -1;
    }
    *port_out = ntohs(a.sin_port);
    return fd;
}

static bool parse_tenant(const char *s, gw_tenant *t)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    char *parts[5] = {0};
    int np = 0;
    for (char *p = buf, *tok; np < 5 && (tok = strsep(&p, ":"));)
        parts[np++] = tok;
    if (np != 2 && np != 5) return false;
    if (!gw_name_ok(parts[0]) || !parts[1][0] || strlen(parts[1]) >= sizeof t->token) return false;
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", parts[0]);
    snprintf(t->token, sizeof t->token, "%s", parts[1]);
    if (np == 5) {
        char *e1, *e2;
        t->max_funcs = strtoull(parts[2], &e1, 10);
        t->max_conc = strtoull(parts[3], &e2, 10);
        if (*e1 || *e2 || !cli_parse_bytes(parts[4], &t->max_mem)) return false;
    }
    return true;
}

int cli_serve(int argc, char **argv)
{
    static node n;
    memset(&n, 0, sizeof n);
    const char *listen_spec = "127.0.0.1:8080", *store = "ward-store", *port_file = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    n.workers = ncpu > 0 ? (unsigned)ncpu : 2;
    n.deploys = 2;
    n.queue = 256;
    n.sandbox = true;
    n.attest = "none";
    n.tier = "interp";
    n.compile_ms = 120000;
    n.compile_mib = 4096;
    if (getrandom(n.code_key, sizeof n.code_key, 0) != (ssize_t)sizeof n.code_key)
        return fprintf(stderr, "ward serve: no random bytes for the code key\n"), 1;
    n.gw.max_body = 64u << 20;
    n.mon_ctl = n.gw_ctl = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(cli_serve_help, stdout);
            return 0;
        } else if (!strcmp(a, "--no-sandbox")) {
            n.sandbox = false;
            continue;
        }
        if (!v) return cli_usage("serve", "option %s needs a value", a);
        i++;
        uint64_t x;
        if (!strcmp(a, "--listen"))
            listen_spec = v;
        else if (!strcmp(a, "--store"))
            store = v;
        else if (!strcmp(a, "--port-file"))
            port_file = v;
        else if (!strcmp(a, "--tier")) {
            if (strcmp(v, "interp") && strcmp(v, "native"))
                return cli_usage("serve", "--tier %s: interp or native", v);
            n.tier = v;
        } else if (!strcmp(a, "--attest")) {
            if (strcmp(v, "none") && strcmp(v, "tsm") && strncmp(v, "sim:", 4))
                return cli_usage("serve", "--attest %s: none, sim:KEYFILE or tsm", v);
            if (!strcmp(v, "tsm") && access("/sys/kernel/config/tsm/report", F_OK))
                return fprintf(stderr,
                               "ward serve: --attest tsm: /sys/kernel/config/tsm/report does not "
                               "exist: this machine offers no configfs-tsm (a TDX or SEV-SNP "
                               "guest kernel with CONFIG_TSM_REPORTS and configfs mounted is "
                               "needed); --attest sim:KEYFILE simulates one\n"),
                       1;
            if (!strncmp(v, "sim:", 4) && access(v + 4, R_OK))
                return fprintf(stderr,
                               "ward serve: --attest %s: cannot read the platform key: %s\n", v,
                               strerror(errno)),
                       1;
            n.attest = v;
        } else if (!strcmp(a, "--compile-timeout")) {
            if (!cli_parse_duration(v, &x) || x < 1000000000ull || x > 3600000000000ull)
                return cli_usage("serve", "--compile-timeout %s: 1 to 3600 seconds", v);
            n.compile_ms = (unsigned)(x / 1000000u);
        } else if (!strcmp(a, "--compile-memory")) {
            if (!cli_parse_bytes(v, &x) || (x && x < (64u << 20)) || x > (1ull << 40))
                return cli_usage("serve", "--compile-memory %s: 0 (no limit) or 64M to 1T", v);
            n.compile_mib = (unsigned)(x >> 20);
        } else if (!strcmp(a, "--deploys")) {
            if (!cli_parse_bytes(v, &x) || x < 1 || x > 16)
                return cli_usage("serve", "--deploys %s: 1 to 16", v);
            n.deploys = (unsigned)x;
        } else if (!strcmp(a, "--workers")) {
            if (!cli_parse_bytes(v, &x) || x < 1 || x > 256)
                return cli_usage("serve", "--workers %s: 1 to 256", v);
            n.workers = (unsigned)x;
        } else if (!strcmp(a, "--queue")) {
            if (!cli_parse_bytes(v, &x) || x < 1 || x > 65536)
                return cli_usage("serve", "--queue %s: 1 to 65536", v);
            n.queue = (unsigned)x;
        } else if (!strcmp(a, "--max-body")) {
            if (!cli_parse_bytes(v, &x) || x < 1 || x > (64u << 20))
                return cli_usage("serve", "--max-body %s: 1 to 64M", v);
            n.gw.max_body = (size_t)x;
        } else if (!strcmp(a, "--tenant")) {
            if (n.gw.ntenants == GW_MAX_TENANTS || !parse_tenant(v, &n.gw.tenants[n.gw.ntenants]))
                return cli_usage("serve", "--tenant %s: NAME:TOKEN[:FUNCS:CONC:MEM]", v);
            n.gw.ntenants++;
        } else
            return cli_usage("serve", "unknown option %s", a);
    }
    const char *env = getenv("WARD_MONITOR");
    if (env) {
        snprintf(n.monitor_path, sizeof n.monitor_path, "%s", env);
    } else {
        ssize_t len = readlink("/proc/self/exe", n.monitor_path, sizeof n.monitor_path - 16);
        if (len <= 0) return fprintf(stderr, "ward serve: cannot find ward-monitor\n"), 1;
        n.monitor_path[len] = '\0';
        char *slash = strrchr(n.monitor_path, '/');
        snprintf(slash + 1, 14, "ward-monitor");
    }
    if (access(n.monitor_path, X_OK))
        return fprintf(stderr, "ward serve: %s: %s\n", n.monitor_path, strerror(errno)), 1;
    if (mkdir(store, 0700) && errno != EEXIST)
        return fprintf(stderr, "ward serve: --store %s: %s\n", store, strerror(errno)), 1;
    n.gw.store = store;
    int port = 0;
    n.gw.listen_fd = listen_on(listen_spec, &port);
    if (n.gw.listen_fd < 0)
        return fprintf(stderr, "ward serve: cannot listen on %s: %s\n", listen_spec,
                       strerror(errno)),
               1;

    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    n.mon_pid = start_monitor(&n);
    n.gw_pid = start_gateway(&n);
    if (n.mon_pid < 0 || n.gw_pid < 0) return fprintf(stderr, "ward serve: cannot start\n"), 1;
    connect_pair(&n);
    printf("ward serve: listening on http://%.*s:%d (store %s, %u workers, monitor pid %d, gateway "
           "pid %d)\n",
           (int)(strrchr(listen_spec, ':') - listen_spec), listen_spec, port, store, n.workers,
           (int)n.mon_pid, (int)n.gw_pid);
    fflush(stdout);
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (f) {
            fprintf(f, "%d\n", port);
            fclose(f);
        }
    }
    unsigned quick = 0; /* restarts in a row within a second of the start */
    time_t mon_start = time(NULL), gw_start = mon_start;
    while (!stop_sig) {
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        bool is_mon = pid == n.mon_pid;
        if (!is_mon && pid != n.gw_pid) continue;
        if (stop_sig) break;
        time_t started = is_mon ? mon_start : gw_start;
        quick = time(NULL) - started < 1 ? quick + 1 : 0;
        if (quick > 10) {
            fprintf(stderr, "ward serve: the %s keeps dying; giving up\n",
                    is_mon ? "monitor" : "gateway");
            break;
        }
        fprintf(stderr, "ward serve: the %s (pid %d) died (%s %d); restarting it\n",
                is_mon ? "monitor" : "gateway", (int)pid, WIFSIGNALED(st) ? "signal" : "status",
                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        if (quick) usleep(100000u * quick);
        if (is_mon) {
            n.mon_pid = start_monitor(&n);
            mon_start = time(NULL);
        } else {
            n.gw_pid = start_gateway(&n);
            gw_start = time(NULL);
        }
        if (n.mon_pid < 0 || n.gw_pid < 0) break;
        connect_pair(&n);
    }
    if (n.gw_pid > 0) kill(n.gw_pid, SIGTERM);
    if (n.mon_pid > 0) kill(n.mon_pid, SIGTERM);
    for (int i = 0; i < 2; i++)
        while (waitpid(-1, NULL, 0) < 0 && errno == EINTR) {
        }
    fprintf(stderr, "ward serve: stopped\n");
    return stop_sig ? 0 : 1;
}
