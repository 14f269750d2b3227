/* pac.c - pointer authentication in software (Cage's i64.pointer_sign,
 * i64.pointer_auth, i64.pointer_strip and ward's i32 forms).
 *
 * Arm's PAC puts a MAC of a pointer, keyed per process, in the pointer's
 * unused top bits; Cage uses it so that a pointer forged or leaked from
 * elsewhere fails its check. Here the MAC is SipHash-2-4 (base/siphash.c)
 * under a 128-bit key of the instance (runtime.c draws it from the OS at
 * instantiation), truncated into the bits exec.h lists. The message is the
 * pointer without its MAC bits: 8 bytes for the i64 form, 4 for the i32
 * form, so a value signed by one form never authenticates in the other.
 * With 16 MAC bits a guessed pointer passes once in 65,536 tries (4,096
 * with tags on), and every failed try traps.
 */
#include "exec/exec.h"

#include <stdio.h>

#define PAC_MASK64 0xFFFF000000000000ull      /* bits 48-63 */
#define PAC_MASK64_TAGS 0xF0FF000000000000ull /* bits 48-55 and 60-63 */
#define PAC_MASK32 0xFFFF0000ull              /* bits 16-31 */

static uint64_t pac_mask(const w_instance *inst, bool is64)
{
    if (!is64) return PAC_MASK32;
    return inst->pac_tags ? PAC_MASK64_TAGS : PAC_MASK64;
}

/* The MAC of v (its MAC bits clear), placed in the MAC bits. */
static uint64_t pac_mac(const w_instance *inst, bool is64, uint64_t v)
{
    uint8_t msg[8];
    w_wr64(msg, v);
    uint64_t h = w_siphash24(inst->pac_key[0], inst->pac_key[1], msg, is64 ? 8 : 4);
    if (!is64) return (h & 0xFFFF) << 16;
    if (!inst->pac_tags) return (h & 0xFFFF) << 48;
    return (h & 0xFF) << 48 | ((h >> 8) & 0xF) << 60;
}

static bool pac_ready(const w_instance *inst, char *msg, size_t n)
{
    if (inst->pac_on) return true;
    snprintf(msg, n, "the instance has no key (ptr-auth is off)");
    return false;
}

w_trap pac_sign(const w_instance *inst, bool is64, uint64_t v, uint64_t *out, char *msg, size_t n)
{
    uint64_t mask = pac_mask(inst, is64);
    if (!pac_ready(inst, msg, n)) return W_TRAP_PTR_AUTH;
    if (v & mask) {
        snprintf(msg, n, "cannot sign 0x%llx: its MAC bits (%s) are in use", (unsigned long long)v,
                 !is64            ? "16-31"
                 : inst->pac_tags ? "48-55, 60-63"
                                  : "48-63");
        return W_TRAP_PTR_AUTH;
    }
    *out = v | pac_mac(inst, is64, v);
    return W_TRAP_OK;
}

w_trap pac_auth(const w_instance *inst, bool is64, uint64_t v, uint64_t *out, char *msg, size_t n)
{
    uint64_t s = v & ~pac_mask(inst, is64);
    if (!pac_ready(inst, msg, n)) return W_TRAP_PTR_AUTH;
    if ((s | pac_mac(inst, is64, s)) != v) {
        snprintf(msg, n, "pointer 0x%llx", (unsigned long long)v);
        return W_TRAP_PTR_AUTH;
    }
    *out = s;
    return W_TRAP_OK;
}

uint64_t pac_strip(const w_instance *inst, bool is64, uint64_t v)
{
    return v & ~pac_mask(inst, is64);
}
