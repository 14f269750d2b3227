/* ward_guest_mem.h - for Wasm programs run by ward with paged memory
 * (`ward run -X memory=paged`, or an embedder that called
 * ward_linker_define_guest_mem): the import module "ward:mem", with which a
 * module controls its own pages and maps regions the host granted it.
 *
 * Pages are 64 KiB Wasm pages, numbered from 0 (address / 65536). Every
 * function returns -1 on failure and changes nothing then. A guest can never
 * get more rights than the host gave: protect cannot raise a page above the
 * host's ceiling for it, and map cannot exceed the permission of the grant.
 *
 * Compile with clang --target=wasm32-wasi; the attributes below name the
 * imports, so no linker flags are needed.
 */
#ifndef WARD_GUEST_MEM_H
#define WARD_GUEST_MEM_H

#include <stdint.h>

#define WARD_PAGE_SIZE 65536u
#define WARD_PERM_NONE 0       /* no access: loads and stores trap */
#define WARD_PERM_READ 1       /* loads only: a store traps "page N is read-only" */
#define WARD_PERM_READ_WRITE 3 /* the default of every page */

#define WARD_MEM_IMPORT(name) __attribute__((import_module("ward:mem"), import_name(name)))

/* Sets pages [page, page+count) of this module's memory to perm. */
WARD_MEM_IMPORT("protect") int32_t ward_mem_protect(int32_t page, int32_t count, int32_t perm);
/* Publishes pages [page, page+count) as a region (shared, not copied):
 * returns its handle, which the host can map into other instances. */
WARD_MEM_IMPORT("publish") int32_t ward_mem_publish(int32_t page, int32_t count);
/* Maps region `handle` (granted by the host, or published here) at page
 * index `page` with perm (at most what was granted). The pages must be
 * within the memory's current size (memory.grow first). */
WARD_MEM_IMPORT("map") int32_t ward_mem_map(int32_t handle, int32_t page, int32_t perm);
/* Unmaps every page mapping region `handle`; returns how many. */
WARD_MEM_IMPORT("unmap") int32_t ward_mem_unmap(int32_t handle);
/* Number of pages of region `handle`. */
WARD_MEM_IMPORT("region_pages") int32_t ward_mem_region_pages(int32_t handle);

#undef WARD_MEM_IMPORT

/* The page holding address p. */
static inline int32_t ward_mem_page_of(const void *p)
{
    return (int32_t)((uintptr_t)p / WARD_PAGE_SIZE);
}

#endif
