/* platform.h - the only interface between ward's core and the operating
 * system: address space, clocks, random bytes, the native stack's bounds
 * and the watchdog thread.
 *
 * Nothing else in src/ includes OS headers for these services, so porting
 * ward (to an enclave, say) means writing another platform.c.
 */
#ifndef WARD_PLATFORM_H
#define WARD_PLATFORM_H

#include "base/base.h"

#include <stdatomic.h>

/* ---- address space -------------------------------------------------------- */

/* Size of an OS page (4 KiB on the machines ward targets). */
size_t plat_page_size(void);

/* Reserves `size` bytes of address space with no access. Reserved memory
 * costs no RAM or commit charge until committed. NULL on failure. */
void *plat_reserve(uint64_t size);
/* Makes [p, p+size) readable and writable. Pages never written before read
 * as zero. p and size must be multiples of the page size. */
bool plat_commit(void *p, uint64_t size);
/* Makes committed [p, p+size) inaccessible again, as reserved (its bytes
 * are kept until discarded). p and size page-aligned. */
bool plat_decommit(void *p, uint64_t size);
/* Reserves and commits `size` bytes at once (plat_reserve + plat_commit in
 * one call; the same costs). NULL on failure. */
void *plat_map(uint64_t size);
/* Gives the RAM behind committed [p, p+size) back to the OS; the range stays
 * committed and reads as zero afterwards. p and size page-aligned. */
void plat_discard(void *p, uint64_t size);
/* Returns a whole reservation to the OS. */
void plat_release(void *p, uint64_t size);
/* Sets committed [p, p+size) (page-aligned) to read-only, or to read and
 * execute (exec): loaded machine code (exec/nat_elf.c). False on failure. */
bool plat_protect(void *p, uint64_t size, bool exec);
/* Hint that [p, p+size) is large and hot: back it with huge pages when the
 * kernel can (transparent huge pages in madvise mode). Best effort. */
void plat_advise_huge(void *p, uint64_t size);

/* ---- time and randomness ---------------------------------------------------- */

/* Monotonic clock in nanoseconds (never goes backwards, unrelated to the date). */
uint64_t plat_now_ns(void);
/* Fills buf with len bytes from the kernel's CSPRNG. False if unavailable.
 * Nothing calls it yet: it stays for the Cage work, which draws each
 * instance's pointer-authentication key from it. */
bool plat_random(void *buf, size_t len);

/* ---- native stack ---------------------------------------------------------------- */

/* The lowest address the calling thread's stack may use, or 0 when it is
 * unknown. Found once per thread (pthread_getattr_np) and cached. For the
 * main thread it follows RLIMIT_STACK as it is at that first call (the
 * kernel grows that stack up to the limit); with no limit, or when the
 * mapping below the stack leaves less, it keeps the kernel's guard gap
 * (1 MiB) from that mapping and assumes at most 64 MiB. Lowering
 * RLIMIT_STACK after the runtime first ran on the main thread is not seen. */
uintptr_t plat_stack_limit(void);

/* Bytes of native stack left below the caller's frame before
 * plat_stack_limit(). SIZE_MAX when the stack is unknown or the caller runs
 * on a stack that is not the thread's own (a coroutine's, say): then no
 * budget can be computed and only count limits apply. Measured from the
 * frame address, not a local's, so it stays right under AddressSanitizer's
 * fake stacks (detect_stack_use_after_return). */
size_t plat_stack_left(void);

/* ---- faults -------------------------------------------------------------------- */

/* A handler for the synchronous faults SIGSEGV and SIGBUS: pc is the
 * faulting instruction, addr the address the fault names. It runs inside
 * a signal handler, so it may do only async-signal-safe work; it takes a
 * fault that is its own by leaving with siglongjmp, and returns for any
 * other fault. */
typedef void (*plat_fault_fn)(uintptr_t pc, uintptr_t addr);

/* Installs fn as the process's fault handler for SIGSEGV and SIGBUS (the
 * first call does; later ones return whether it is installed). A fault fn
 * returns from goes to the handler that was installed before (ASan's, say),
 * or, if there was none, ends the process as it would have without ward.
 * Faults raised by kill() or a queued signal never reach fn. False when the
 * handler could not be installed or this platform cannot tell a fault's pc. */
bool plat_fault_install(plat_fault_fn fn);

/* Inside a fault fn only: *v gets the value general register r had at the
 * faulting instruction, r numbered as the CPU's instructions encode it
 * (x86-64: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi, 7 rdi, 8-15
 * r8-r15). False on other CPUs, for another r, or outside a fault fn. */
bool plat_fault_gpr(unsigned r, uint64_t *v);

/* ---- watchdog ------------------------------------------------------------------ */

/* A deadline registration. The caller owns the struct (no allocation, so
 * registering cannot fail for lack of memory) and must keep it alive and
 * unmoved until plat_watch_remove() returns. Fields are private. */
typedef struct plat_watch {
    uint64_t deadline_ns; /* plat_now_ns() time at which *flag is set */
    atomic_int *flag;
    int value; /* what *flag becomes */
    struct plat_watch *next;
    bool linked;
} plat_watch;

/* Registers w: one background thread (started on first use), once
 * plat_now_ns() >= deadline_ns, sets *flag to `value` (nonzero) unless it
 * is already nonzero (the first reason to stop wins), with release
 * ordering, then forgets w. Returns false only if the thread cannot be
 * started. */
bool plat_watch_add(plat_watch *w, uint64_t deadline_ns, atomic_int *flag, int value);
/* Unregisters w. After it returns the watchdog never touches w or its flag
 * again (whether or not the deadline had passed). Safe to call twice. */
void plat_watch_remove(plat_watch *w);

/* ---- background work ------------------------------------------------------------ */

/* Runs fn(arg) on a new detached thread with an 8 MiB stack (the native
 * tier's compiler). False if the thread cannot be started. */
bool plat_thread_run(void (*fn)(void *), void *arg);
/* Sleeps for about ns nanoseconds (less if a signal interrupts it). */
void plat_sleep_ns(uint64_t ns);

/* ---- the CPU ------------------------------------------------------------------ */

/* What native code compiled for this CPU depends on, as a BLAKE3 hash: on
 * x86-64 the CPUID words a compiler's host detection reads (vendor, family
 * and model, every feature leaf, not the stepping or core numbers) and the
 * register state the OS saves (XCR0). Two CPUs with the same identity get
 * the same code from LLVM's -mcpu=native. brand: the CPU's name as it
 * gives it (NUL-terminated, up to 48 characters; "" if none). False where
 * there is no such check (another architecture). */
bool plat_cpu_identity(uint8_t id[32], char brand[49]);

#endif
