/* wait.c - for tests/serve/parallel.sh: waits as many milliseconds as its
 * input says (watching the clock, so that the wall time it takes does not
 * depend on how busy the cores are), then prints its name in brackets
 * (argv[0] is the function's name): the branches of a fan-out show their
 * order in the joined output and their overlap in the chain's time.
 * Its init export "setup" draws a random number once, in the template; the
 * input "seed" prints it and how many times setup ran in this memory, so
 * that every invocation shows which template it was cloned from. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t seed;
static int setups;

__attribute__((export_name("setup"))) void setup(void)
{
    if (getentropy(&seed, sizeof seed) != 0) seed = 1;
    setups++;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int main(int argc, char **argv)
{
    char in[32] = {0};
    size_t n = fread(in, 1, sizeof in - 1, stdin);
    in[n] = '\0';
    if (in[0] == 's') { /* "seed" */
        printf("%016llx %d\n", (unsigned long long)seed, setups);
        setups += 100; /* never seen by the next invocation */
        return 0;
    }
    uint64_t end = now_ms() + (uint64_t)strtoul(in, NULL, 10);
    while (now_ms() < end) {
    }
    printf("[%s]", argc > 0 ? argv[0] : "?");
    return 0;
}
