/* measure.c - run a command, report its wall time and peak RSS.
 *
 *   measure [-o FILE] [-q] [-t SECONDS] -- command [args...]
 *
 * Forks and execs the command, waits for it with wait4() and writes one line
 *     wall_ms=<float> maxrss_kb=<int> status=<exit code | signal+128>
 * to FILE (default: stderr). The command's stdout and stderr are inherited,
 * or sent to /dev/null with -q. With -t the command is killed (SIGKILL) after
 * that many seconds and status is 137. measure exits with the command's
 * status, so callers can check both.
 *
 * ru_maxrss of the child counts the process image after exec; the few hundred
 * KiB of this small program's forked copy are a constant that also applies to
 * the native baseline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (child > 0) kill(child, SIGKILL);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: measure [-o FILE] [-q] [-t SECONDS] -- command [args...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, limit = 0, opt;
    while ((opt = getopt(argc, argv, "+o:qt:")) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 't': limit = atoi(optarg); break;
        default: usage();
        }
    }
    if (optind >= argc) usage();

    double t0 = now_ms();
    child = fork();
    if (child < 0) {
        perror("measure: fork");
        return 2;
    }
    if (child == 0) {
        if (quiet) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "measure: cannot run %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    if (limit > 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        alarm((unsigned)limit);
    }

    int st = 0;
    struct rusage ru;
    pid_t r;
    do
        r = wait4(child, &st, 0, &ru);
    while (r < 0 && errno == EINTR);
    double t1 = now_ms();
    if (r < 0) {
        perror("measure: wait4");
        return 2;
    }
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 2;
    if (timed_out) status = 137;

    FILE *f = out ? fopen(out, "w") : stderr;
    if (!f) {
        perror("measure: output file");
        return 2;
    }
    fprintf(f, "wall_ms=%.3f maxrss_kb=%ld status=%d\n", t1 - t0, ru.ru_maxrss, status);
    if (f != stderr) fclose(f);
    return status;
}
