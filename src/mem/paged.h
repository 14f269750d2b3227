/* paged.h - the paged access path of linear memory (WAVEN): frames, page
 * tables, regions, permissions and copy-on-write.
 *
 * A paged memory translates every access through two tables of host
 * pointers, one for loads (pg_rd) and one for stores (pg_wr), indexed by the
 * 64 KiB Wasm page number. An entry is either the start of the page's frame
 * biased by the page's own address (frame - (page << 16), as an integer), so
 * that entry + ea is the host address of any ea in the page, or the
 * exception entry PG_EXC (NULL, also in m->pg_exc). The inline part of a
 * translation (access.h) is one lookup, one test and one addition; everything
 * unusual (an absent page, a read-only page, a copy-on-write page, an
 * access straddling two pages) is decided on a slow path here from the
 * page's cold state.
 *
 * The tables are as long as the largest page index an access can produce
 * (PG_TABLE32 entries for a 32-bit memory, whose address + offset is below
 * 2^33), so a 32-bit access needs no bounds check either; entries past the
 * memory's pages are PG_EXC. The tables cost RAM only for the pages the
 * memory has (see pg_tables_new in paged.c).
 *
 * The span. The tables stay the authority, but the access paths
 * (access.h) first try the span (w_span in mem.h): per direction,
 * the run of pages from page 0 whose table entries are all the same value,
 * which happens when their frames lie contiguously at their own page
 * index. An access ending below the run's end is base + ea after one
 * compare, exactly a flat access. Each memory has an arena (paged.c) with
 * a frame slot per page index, and takes its pages' private frames from it,
 * so a memory whose pages are all its own (new pages included: an
 * untouched slot reads as zero and costs no RAM) is one run. pg_sync keeps
 * the span exact: a page whose entries change out of the run cuts it there
 * at once. The interpreter keeps a copy of memory 0's and reloads it after
 * anything that can change the tables (VM_RELOAD_MEM0 in interp.c). A
 * 32-bit memory's arena is guarded when it can be (8 GiB of address
 * space, inaccessible past the memory's size: paged.c, "Guard"), so while
 * the span of stores is the whole memory and starts at the arena
 * (m->pg_guard), the arena's protections check bounds exactly as a flat
 * memory's reservation does, and native code drops the compare
 * (docs/native.md, "Guard pages").
 *
 * The translation cache. Accesses outside the span (pages shared with a
 * template or a region, protected pages, or everything above such a page)
 * do not read the tables every time either. Each instruction has an entry
 * in the memory's translation cache, picked by its code address (16-byte
 * unit modulo PG_TLB_N), that names one page and holds its table entry.
 * Instructions 4 KiB of code apart share an entry; sharing costs misses,
 * never correctness. Finding the entry needs no load (an IR word naming it
 * did: a load the access had to wait for), and a hit costs a subtraction
 * and a compare (the whole access must lie in the entry's page), both off
 * the access's critical path, which is the entry's load and one addition,
 * as with a table lookup. A miss reads the table and, if it has a frame
 * there, refills the entry; otherwise the slow path decides. Load entries
 * come from pg_rd and store entries from pg_wr, in separate halves, so a
 * load can never lend a store a read-only frame. The cache is exact:
 * pg_sync, the one place that changes table entries, drops a page's cache
 * entries when its table entries change. A byte per page records that the
 * page may be cached, so changing pages that never were costs nothing.
 *
 * One mapping holds, in this order: pg_rd, pg_wr, the cache, the cached
 * bytes. For a 32-bit memory the offsets are fixed (PG_WR32, PG_TLB32,
 * PG_CACHED32 bytes from pg_rd), so the interpreter keeps one pointer.
 *
 * Frames are 64 KiB blocks, reference counted: a frame is shared by every
 * memory page and region that holds it. A memory's own frames come from
 * its arena's slot for the page (or, when that slot is still held by
 * someone else, from one process-wide pool). New and grown pages take
 * their zero slots, so memory.grow only writes table entries. One
 * permanent zero frame, read-only and copy-on-write, backs pages that have
 * no slot (64-bit memories).
 *
 * Permissions form the lattice none < read < read-write (PG_NONE < PG_R <
 * PG_RW; the meet is bitwise and). Every page has a permission (what loads
 * and stores may do now) and a ceiling (the most the guest may give itself
 * with ward:mem protect); perm <= ceiling always. Ceilings come from the
 * host: its protect sets both, its map of a region sets both to the
 * permission mapped, a memory's own pages start read-write. Copy-on-write
 * is no ceiling: a shared frame is read-only to the tables only until the
 * first store copies it. What a guest creates is bounded by what it has:
 *   - publish makes a region of its pages and a grant (handle) of it whose
 *     permission is the meet of its current permissions on those pages;
 *   - map through a grant gives the pages the permission asked for, which
 *     must be at most the grant's, as ceiling, and records the grant (via);
 *   - protect moves a page's permission up to its ceiling, never more.
 * So along publish -> map chains every right is the meet of the rights it
 * came from. The host's lowering reaches what the guest derived: its
 * protect of a page mapping region r lowers each grant of r the guest of
 * that memory published to the meet with the new permission, and each page
 * mapped through such a grant to the meet with the grant (the protected
 * page itself gets exactly what the host set, and no longer follows a
 * grant); a transfer lowers every grant of r held by the source memory to
 * read (keep_read) or drops it; a revoke drops every grant of r
 * everywhere. Raising a page does not raise what was derived from it. A
 * dropped handle is unknown from then on, and the pages mapped through it
 * are gone with the region's. The host's own grants and maps are
 * authority, not derived rights, lowered only by transfer and revoke: the
 * host's ceiling for a frame in a memory is the join of what it set there
 * (ceilings of pages holding the frame, its grants of the frame's region),
 * and nothing the guest derives ever exceeds it. A frame is in one region
 * at most, and every page holding a region's frame maps that region.
 *
 * A guest may release any handle (pg_ungrant): the pages mapped through it
 * go, and a region it published that nobody else holds dissolves (its
 * pages become plain again, if each of its frames is on one page only).
 * What guests create is counted (pg_guest_usage) so that the caller can
 * bound it (api_mem.c, am_guest_admit).
 *
 * Threads: the pool is thread-safe. A memory, and the regions mapped into
 * it, must be changed only by the thread that uses the memory's store (the
 * host calls region operations between guest calls or from host functions).
 * Memories of different threads may map, unmap and drop one region at the
 * same time (its list of users has a lock of its own: a serverless node
 * maps one input into every branch of a fan-out); revoke, transfer and
 * protect of pages that map r need every other memory of r left alone.
 * A sealed memory (pg_seal) may be cloned on several threads at once.
 * Frames, regions and arenas are reference counted atomically, so any
 * thread may drop the last reference. Freed memories leave their tables
 * and arenas to the next ones (paged.c, "Recycling").
 */
#ifndef WARD_PAGED_H
#define WARD_PAGED_H

#include "mem/mem.h"

#define PG_SHIFT 16
#define PG_SIZE ((uint64_t)1 << PG_SHIFT)
/* Table entries of a 32-bit memory: ((2^32 - 1) + (2^32 - 1)) >> 16 < 2^17. */
#define PG_TABLE32 ((uint64_t)1 << 17)
/* The exception entry: the page must take the slow path. NULL because
 * never-written parts of the tables read as zero. */
#define PG_EXC ((uint8_t *)NULL)

/* One entry of the translation cache: guest page [end - 64 KiB, end) has
 * the table entry `entry` (host address = entry + guest address). */
typedef struct w_pgtlb {
    uint64_t end;
    uint8_t *entry;
} w_pgtlb;

/* Translation-cache entries per direction (see above); 4 KiB each. An
 * entry holds the end of its page, so that the zero entry (empty, as the
 * mapping starts) is never hit: for it ea + PG_SIZE - end is at least
 * PG_SIZE. */
#define PG_TLB_N 256u
/* Byte offsets from pg_rd of pg_wr, the cache and the cached bytes of a
 * 32-bit memory. */
#define PG_WR32 (PG_TABLE32 * sizeof(uint8_t *))
#define PG_TLB32 (2 * PG_WR32)
#define PG_CACHED32 (PG_TLB32 + 2 * PG_TLB_N * sizeof(w_pgtlb))

/* Page permissions (also the guest ABI values of ward:mem). */
enum { PG_NONE = 0, PG_R = 1, PG_RW = 3 };

typedef struct pg_frame pg_frame;
typedef struct pg_region pg_region;

/* ---- memories -------------------------------------------------------------- */

/* Sets up m (already zeroed and sized by mem_init) as a paged memory of
 * `pages` zero pages. False if out of memory. */
bool pg_init(w_memory *m, uint64_t pages);
/* From now on m has no span: every fast-form access goes through the
 * translation cache (WARD_MEMORY_PAGED_TABLES). Clones of m inherit it. */
void pg_no_span(w_memory *m);
/* Adds delta zero pages (the caller checked the maximum). */
bool pg_grow(w_memory *m, uint64_t delta);
/* Drops every frame and region the memory holds, frees its tables. */
void pg_release(w_memory *m);

/* Slow path of a translation: the host address of [ea, ea+len) in one page
 * for a load (write=false) or a store, breaking copy-on-write as needed.
 * Returns W_TRAP_OK with *p set, W_TRAP_MEM_OOB, W_TRAP_ACCESS_DENIED or
 * W_TRAP_OOM. The range must lie within one page. */
w_trap pg_translate(w_memory *m, uint64_t ea, uint64_t len, bool write, uint8_t **p);
/* Checks that every byte of [ea, ea+len) can be loaded (write=false) or
 * stored, without changing anything. ea+len must not overflow. On a fault
 * *fault_ea is the first faulting address. */
w_trap pg_check(const w_memory *m, uint64_t ea, uint64_t len, bool write, uint64_t *fault_ea);
/* Formats the detail of an access-denied trap at ea ("page 7 is read-only"). */
void pg_denied_msg(const w_memory *m, uint64_t ea, bool write, char *buf, size_t size);

/* Checked copies for bulk operations and host access, for any memory
 * (flat or paged, tagged or not): in bounds, permitted and, for a tagged
 * memory, tag-checked (ea is the guest address with its tag), or nothing
 * is written and the trap code is returned with *fault_ea for
 * mem_trap_msg. */
w_trap pg_read(const w_memory *m, uint64_t ea, void *dst, uint64_t len, uint64_t *fault_ea);
w_trap pg_write(w_memory *m, uint64_t ea, const void *src, uint64_t len, uint64_t *fault_ea);
w_trap pg_fill(w_memory *m, uint64_t ea, uint8_t v, uint64_t len, uint64_t *fault_ea);
/* memory.copy between two memories (either may be flat); overlapping
 * ranges of one memory behave as memmove. */
w_trap pg_copy(w_memory *dm, uint64_t d, const w_memory *sm, uint64_t s, uint64_t len,
               uint64_t *fault_ea, bool *fault_write);

/* Bounds and (paged) permissions of [sea, sea+len) of any memory, sea an
 * untagged address; no tags. */
w_trap pg_check_any(const w_memory *m, uint64_t sea, uint64_t len, bool write, uint64_t *fault_ea);
/* Checks an access of len bytes at guest address ea of any memory: bounds,
 * permissions and, for a tagged memory, the tags of every granule touched
 * against ea's. *sea is ea without its tag. */
w_trap pg_check_access(const w_memory *m, uint64_t ea, uint64_t len, bool write, uint64_t *sea,
                       uint64_t *fault_ea);
/* Sets the bytes of [sea, sea+len) of any memory to v, breaking copy-on-
 * write: the range was checked (pg_check_any, writable). False if out of
 * memory (the bytes before the page that failed are set). */
bool pg_memset(w_memory *m, uint64_t sea, uint8_t v, uint64_t len);

/* Tags of paged memories travel with the frames: each frame has its tag
 * nibbles (W_TAG_PAGE_BYTES), allocated when a tag is first set. The tags
 * of page i's frame, NULL if they are all 0 (or the page is absent): */
const uint8_t *pg_page_tags(const w_memory *m, uint64_t i);
/* The same for changing them: the page (present and writable) becomes
 * private first, as for a store (copy-on-write copies the tags with the
 * data), and gets its tag array; every memory that maps the frame learns
 * that it may have tags (tag_any). NULL if out of memory. */
uint8_t *pg_page_tags_mut(w_memory *m, uint64_t i);

/* Gives a tagged paged memory its tag table m->pg_tg (tag_init): for each
 * page index below the tables' length, the address of the page's frame's
 * nibble pointer (itself NULL while the frame's tags are all 0, and set
 * once: pg_page_tags_mut), or NULL for an absent page. pg_sync keeps it
 * with the hot tables, so an access path finds a present page's nibbles
 * with two loads (mem_tag_paged_at in access.h). The nibble arrays have
 * two bytes to spare past the page's last granule. False if out of
 * memory. */
bool pg_tag_table(w_memory *m);
/* Bytes of a frame's nibble array: a page's and two more (see above). */
#define PG_TAG_BYTES (W_TAG_PAGE_BYTES + 2)

/* Sets the permission of pages [page, page+n): host=true sets the ceiling
 * too (the host is the authority) and lowers what the guest derived from
 * regions mapped there (see above); host=false (the guest) may not go above
 * the ceiling. Pages must be present. False if any page is absent or, for
 * the guest, the ceiling would be exceeded (nothing changed then). */
bool pg_protect(w_memory *m, uint64_t page, uint64_t n, uint8_t perm, bool host);

/* Number of pages that currently own a private (not zero, not shared) frame. */
uint64_t pg_private_frames(const w_memory *m);

/* Copy-on-write clone: dst (zeroed) gets src's size, limits, pages and
 * permissions, every frame shared and copied on the first store of either
 * side. Region mappings become private copy-on-write pages of the clone. */
bool pg_clone(w_memory *dst, w_memory *src);
/* Makes every page of m that holds a frame of its own copy-on-write now,
 * as a first clone would, and marks m sealed: from then on pg_clone only
 * reads m, so clones of it can be made on several threads at once. m must
 * not change afterwards (no store, grow, protect or map). */
void pg_seal(w_memory *m);

/* ---- regions ----------------------------------------------------------------- */

/* A new region of n zero frames (not mapped anywhere); one reference. */
pg_region *pg_region_new(uint64_t n);
/* A region holding the frames of m's pages [page, page+n) (shared, not
 * copied: later stores through m are seen by every mapping). NULL if a page
 * is absent or out of memory. */
pg_region *pg_region_from_pages(w_memory *m, uint64_t page, uint64_t n);
void pg_region_retain(pg_region *r);
/* Drops a reference; the last one unmaps nothing (mappings hold their own). */
void pg_region_release(pg_region *r);
uint64_t pg_region_pages(const pg_region *r);
/* The host maps r into m at page `at` with perm PG_R or PG_RW (replacing
 * the pages there; at+pages must be within m's size). */
bool pg_region_map(pg_region *r, w_memory *m, uint64_t at, uint8_t perm);
/* Unmaps every page of m that maps r (they become absent); n = pages. */
uint64_t pg_region_unmap(pg_region *r, w_memory *m);
/* Unmaps r from every memory and drops every grant of it. */
void pg_region_revoke(pg_region *r);
/* Moves r from `from` to `to`: from's pages of r and grants of r are
 * lowered to read (keep_read) or unmapped and dropped, then r is mapped
 * read-write into `to` at page `at`. False, changing nothing, if the
 * memories are the same or r does not fit at `at`. */
bool pg_region_transfer(pg_region *r, w_memory *from, w_memory *to, uint64_t at, bool keep_read);

/* ---- grants: the guest's handles (ward:mem) ------------------------------------ */

/* The host grants r to m's guest: it may map r with at most perm (PG_R or
 * PG_RW). Returns the handle (a small index, reused once released; -1 if
 * out of memory); the grant holds a reference to r until the guest
 * releases it, the host revokes r or transfers it away from m without
 * read, or m is released. */
int64_t pg_grant(w_memory *m, pg_region *r, uint8_t perm);
/* The region behind a handle of m and the most it may be mapped with;
 * NULL for an unknown handle. Borrowed: valid while the handle is. */
pg_region *pg_granted(const w_memory *m, uint64_t handle, uint8_t *perm);

/* The guest publishes m's pages [page, page+n) as a new region: a handle
 * whose permission is the meet of its current permissions on the pages.
 * -1 if a page is absent or already in a region, or out of memory. */
int64_t pg_publish(w_memory *m, uint64_t page, uint64_t n);
/* The guest maps the region of `handle` at page `at` with perm (PG_R or
 * PG_RW, at most the grant's). False, changing nothing, otherwise. */
bool pg_map_granted(w_memory *m, uint64_t handle, uint64_t at, uint8_t perm);
/* The guest gives `handle` back: pages it mapped through it are unmapped;
 * a region it published that nobody else holds (no host reference, no
 * other memory, no other handle) dissolves, its pages staying as plain
 * pages, provided each of its frames is held by one page of m only (two
 * plain pages must never share a frame). False for an unknown handle. */
bool pg_ungrant(w_memory *m, uint64_t handle);

/* What m's guest created and still holds: handles from publish, and the
 * host bytes they keep (regions, handles, bookkeeping). */
typedef struct pg_usage {
    uint64_t handles;
    uint64_t bytes;
} pg_usage;
pg_usage pg_guest_usage(const w_memory *m);
/* Host bytes one more published region of n pages would keep. */
uint64_t pg_publish_cost(uint64_t n);

#endif
