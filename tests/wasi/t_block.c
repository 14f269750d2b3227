/* Blocks on stdin (argv[1]: "poll" through poll(), "read" through read()),
 * which run.sh makes a FIFO that never gets data, under -W timeout: the run
 * must end with the trap "deadline exceeded", so the lines after the wait,
 * which would report what the guest was told, must never be printed. */
#include <poll.h>
#include <unistd.h>
#include "check.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    setvbuf(stdout, NULL, _IONBF, 0);
    puts("waiting");
    if (strcmp(argv[1], "poll") == 0) {
        struct pollfd p = {.fd = 0, .events = POLLIN};
        int r = poll(&p, 1, -1);
        printf("poll returned %d (errno %d)\n", r, r < 0 ? errno : 0);
    } else {
        char buf[16];
        ssize_t r = read(0, buf, sizeof buf);
        printf("read returned %zd (errno %d)\n", r, r < 0 ? errno : 0);
    }
    return 0;
}
