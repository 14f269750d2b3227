/* test_blake3.c - libward's BLAKE3 (base/blake3.c) against b3sum 1.2.0's
 * output (Debian's b3sum) for the inputs of the official test vectors (byte
 * i is i mod 251) at every length around a block, a chunk and the tree's
 * shapes; and the CPU identity (plat_cpu_identity) that AOT artifacts are
 * checked against: the same on every CPU this process may run on (so no
 * per-core word such as the APIC id is in it) and the same twice.
 *
 * Exit status 0 when every check passed; the last line is "N passed, M failed".
 */
#include "base/base.h"
#include "platform/platform.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"

static void test_vectors(void)
{
    static const struct {
        size_t len;
        const char *hex;
    } want[] = {
        {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
        {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
        {63, "e9bc37a594daad83be9470df7f7b3798297c3d834ce80ba85d6e207627b7db7b"},
        {64, "4eed7141ea4a5cd4b788606bd23f46e212af9cacebacdc7d1f4c6dc7f2511b98"},
        {65, "de1e5fa0be70df6d2be8fffd0e99ceaa8eb6e8c93a63f2d8d1c30ecb6b263dee"},
        {1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"},
        {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
        {1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"},
        {2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a"},
        {2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"},
        {3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2"},
        {3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3"},
        {4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969"},
        {4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995"},
        {8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"},
        {31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"},
        {102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"},
    };
    static uint8_t in[102400];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i % 251);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        uint8_t h[32];
        char hex[65];
        w_blake3(in, want[k].len, h);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", h[i]);
        if (strcmp(hex, want[k].hex) != 0) printf("blake3 of %zu bytes: %s\n", want[k].len, hex);
        CHECK(strcmp(hex, want[k].hex) == 0);
    }
    /* One bit anywhere changes the hash. */
    uint8_t a[32], b[32];
    w_blake3(in, 5000, a);
    in[4321] ^= 1;
    w_blake3(in, 5000, b);
    in[4321] ^= 1;
    CHECK(memcmp(a, b, 32) != 0);
}

static void test_cpu_identity(void)
{
    uint8_t first[32], id[32];
    char brand[49];
#if defined(__x86_64__)
    CHECK(plat_cpu_identity(first, brand));
    CHECK(strlen(brand) < 49);
    cpu_set_t allowed, one;
    CHECK(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
    int cpus = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &allowed)) continue;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0) continue;
        cpus++;
        CHECK(plat_cpu_identity(id, brand) && memcmp(id, first, 32) == 0);
    }
    sched_setaffinity(0, sizeof allowed, &allowed);
    CHECK(cpus >= 1);
    printf("CPU identity checked on %d CPUs (%s)\n", cpus, brand);
#else
    CHECK(!plat_cpu_identity(first, brand));
    (void)id;
#endif
}

int main(void)
{
    test_vectors();
    test_cpu_identity();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
