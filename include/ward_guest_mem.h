/* ward_guest_mem.h - for Wasm programs run by ward with paged memory
 * (`ward run -X memory=paged`, or an embedder that called
 * ward_linker_define_guest_mem): the import module "ward:mem", with which a
 * module controls its own pages and maps regions the host granted it.
 *
 * Pages are 64 KiB Wasm pages, numbered from 0 (address / 65536). Every
 * function returns -1 on failure and changes nothing then. A guest can never
 * get more rights than the host gave, through any sequence of calls:
 * protect cannot raise a page above the host's ceiling for it, publish
 * gives a handle no more than the module's current permission on the pages,
 * and map cannot exceed the permission of the handle. When the host lowers
 * a page (or transfers or revokes a region), what the module derived from
 * it follows: its handles and the pages it mapped through them.
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
 * returns its handle, which the host can map into other instances. The
 * handle may be mapped with at most the lowest current permission of the
 * pages. A page can be in one region only. At most 1024 handles from
 * publish are held at once (release them). */
WARD_MEM_IMPORT("publish") int32_t ward_mem_publish(int32_t page, int32_t count);
/* Maps region `handle` (granted by the host, or published here) at page
 * index `page` with perm (at most the handle's). The pages must be within
 * the memory's current size (memory.grow first). */
WARD_MEM_IMPORT("map") int32_t ward_mem_map(int32_t handle, int32_t page, int32_t perm);
/* Unmaps every page mapping region `handle`; returns how many. */
WARD_MEM_IMPORT("unmap") int32_t ward_mem_unmap(int32_t handle);
/* Gives `handle` back: pages mapped through it are unmapped and the handle
 * is unknown from then on (its number may come back from a later publish).
 * A region published here that nothing else holds any more dissolves: its
 * pages stay, as plain pages that can be published again (unless one of its
 * frames is mapped at two pages here: then it stays a region). 0 or -1. */
WARD_MEM_IMPORT("release") int32_t ward_mem_release(int32_t handle);
/* Number of pages of region `handle`. */
WARD_MEM_IMPORT("region_pages") int32_t ward_mem_region_pages(int32_t handle);

#undef WARD_MEM_IMPORT

/* The page holding address p. */
static inline int32_t ward_mem_page_of(const void *p)
{
    return (int32_t)((uintptr_t)p / WARD_PAGE_SIZE);
}

#endif
