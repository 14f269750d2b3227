/* consumer.c - a guest that maps a region the host granted it, read-only,
 * into a window of its own memory and reads it (ward:mem). */
#include "ward_guest_mem.h"

#define PAGES 4
static unsigned char window[PAGES * WARD_PAGE_SIZE] __attribute__((aligned(65536)));

__attribute__((export_name("try_map_rw"))) int32_t try_map_rw(int32_t h)
{
    return ward_mem_map(h, ward_mem_page_of(window), WARD_PERM_READ_WRITE);
}

__attribute__((export_name("consume"))) int32_t consume(int32_t h)
{
    int32_t n = ward_mem_region_pages(h);
    if (n <= 0 || n > PAGES || ward_mem_map(h, ward_mem_page_of(window), WARD_PERM_READ) != 0)
        return -1;
    uint32_t s = 0;
    for (unsigned i = 0; i < (unsigned)n * WARD_PAGE_SIZE; i++)
        s = s * 31 + ((volatile unsigned char *)window)[i];
    return (int32_t)s;
}

/* Must trap: the window maps the region read-only. */
__attribute__((export_name("poke"))) void poke(void)
{
    ((volatile unsigned char *)window)[5] = 1;
}

/* Must fail: the host's grant was read-only. */
__attribute__((export_name("unprotect"))) int32_t unprotect(void)
{
    return ward_mem_protect(ward_mem_page_of(window), 1, WARD_PERM_READ_WRITE);
}
