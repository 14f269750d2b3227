/* producer.c - a guest that builds a dataset, makes it read-only and
 * publishes it as a region for the host to share (ward:mem). */
#include "ward_guest_mem.h"

#define PAGES 4
static unsigned char dataset[PAGES * WARD_PAGE_SIZE] __attribute__((aligned(65536)));

__attribute__((export_name("produce"))) int32_t produce(void)
{
    for (unsigned i = 0; i < sizeof dataset; i++)
        dataset[i] = (unsigned char)(i * 2654435761u >> 24);
    int32_t page = ward_mem_page_of(dataset);
    if (ward_mem_protect(page, PAGES, WARD_PERM_READ) != 0) return -2;
    return ward_mem_publish(page, PAGES);
}

__attribute__((export_name("checksum"))) int32_t checksum(void)
{
    uint32_t s = 0;
    for (unsigned i = 0; i < sizeof dataset; i++)
        s = s * 31 + dataset[i];
    return (int32_t)s;
}

/* Must trap: the dataset is read-only now. */
__attribute__((export_name("scribble"))) void scribble(void)
{
    ((volatile unsigned char *)dataset)[10] = 1;
}
