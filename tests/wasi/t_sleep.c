/* Sleeps 10 s, then spins. Run with -W timeout=300ms: ward must stop it in
 * well under a second, because a sleep never outlives the deadline. */
#include <time.h>

int main(void)
{
    struct timespec ts = {10, 0};
    nanosleep(&ts, 0);
    for (volatile int i = 0;; i++)
        ;
}
