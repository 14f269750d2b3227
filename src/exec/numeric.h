/* numeric.h - scalar numeric helpers with WebAssembly's exact semantics.
 *
 * Floats travel as their bit patterns (uint32_t / uint64_t) everywhere in
 * ward so that NaN payloads survive copies; these helpers convert to C
 * floats only for the arithmetic itself. Operations that the spec defines
 * as pure bit manipulation (abs, neg, copysign) never become floats at all,
 * so they do not canonicalise or quiet NaNs.
 *
 * Operations that can trap return a w_trap and write their result through
 * an out pointer only on success.
 *
 * ward assumes IEEE-754 binary32/binary64 evaluated in their own precision
 * (FLT_EVAL_METHOD 0: SSE on x86-64, AArch64), never x87.
 */
#ifndef WARD_NUMERIC_H
#define WARD_NUMERIC_H

#include "base/base.h"

#include <math.h>

/* ---- integer bit counting -------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
W_INLINE uint32_t num_i32_clz(uint32_t x)
{
    return x ? (uint32_t)__builtin_clz(x) : 32u;
}
W_INLINE uint32_t num_i32_ctz(uint32_t x)
{
    return x ? (uint32_t)__builtin_ctz(x) : 32u;
}
W_INLINE uint32_t num_i32_popcnt(uint32_t x)
{
    return (uint32_t)__builtin_popcount(x);
}
W_INLINE uint64_t num_i64_clz(uint64_t x)
{
    return x ? (uint64_t)__builtin_clzll(x) : 64u;
}
W_INLINE uint64_t num_i64_ctz(uint64_t x)
{
    return x ? (uint64_t)__builtin_ctzll(x) : 64u;
}
W_INLINE uint64_t num_i64_popcnt(uint64_t x)
{
    return (uint64_t)__builtin_popcountll(x);
}
#else
/* Portable versions for compilers without the builtins. */
W_INLINE uint64_t num_i64_clz(uint64_t x)
{
    uint64_t n = 0;
    if (!x) return 64;
    while (!(x & (1ull << 63)))
        x <<= 1, n++;
    return n;
}
W_INLINE uint64_t num_i64_ctz(uint64_t x)
{
    uint64_t n = 0;
    if (!x) return 64;
    while (!(x & 1))
        x >>= 1, n++;
    return n;
}
W_INLINE uint64_t num_i64_popcnt(uint64_t x)
{
    uint64_t n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}
W_INLINE uint32_t num_i32_clz(uint32_t x)
{
    return x ? (uint32_t)num_i64_clz(x) - 32u : 32u;
}
W_INLINE uint32_t num_i32_ctz(uint32_t x)
{
    return (uint32_t)(x ? num_i64_ctz(x) : 32u);
}
W_INLINE uint32_t num_i32_popcnt(uint32_t x)
{
    return (uint32_t)num_i64_popcnt(x);
}
#endif

/* ---- shifts and rotates (count modulo the width) ------------------------- */

W_INLINE uint32_t num_i32_shl(uint32_t a, uint32_t b)
{
    return a << (b & 31);
}
W_INLINE uint32_t num_i32_shr_u(uint32_t a, uint32_t b)
{
    return a >> (b & 31);
}
/* Right shift of a negative value is arithmetic on every compiler ward
 * supports (implementation-defined in C, documented by GCC and clang). */
W_INLINE uint32_t num_i32_shr_s(uint32_t a, uint32_t b)
{
    return (uint32_t)((int32_t)a >> (b & 31));
}
W_INLINE uint32_t num_i32_rotl(uint32_t a, uint32_t b)
{
    b &= 31;
    return (a << b) | (a >> ((32 - b) & 31));
}
W_INLINE uint32_t num_i32_rotr(uint32_t a, uint32_t b)
{
    b &= 31;
    return (a >> b) | (a << ((32 - b) & 31));
}
W_INLINE uint64_t num_i64_shl(uint64_t a, uint64_t b)
{
    return a << (b & 63);
}
W_INLINE uint64_t num_i64_shr_u(uint64_t a, uint64_t b)
{
    return a >> (b & 63);
}
W_INLINE uint64_t num_i64_shr_s(uint64_t a, uint64_t b)
{
    return (uint64_t)((int64_t)a >> (b & 63));
}
W_INLINE uint64_t num_i64_rotl(uint64_t a, uint64_t b)
{
    b &= 63;
    return (a << b) | (a >> ((64 - b) & 63));
}
W_INLINE uint64_t num_i64_rotr(uint64_t a, uint64_t b)
{
    b &= 63;
    return (a >> b) | (a << ((64 - b) & 63));
}

/* ---- division ---------------------------------------------------------------
 * Division by zero traps for all four; INT_MIN / -1 overflows for div_s, but
 * the remainder INT_MIN % -1 is defined as 0 (C leaves it undefined). */

W_INLINE w_trap num_i32_div_s(uint32_t a, uint32_t b, uint32_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    if (W_UNLIKELY(a == 0x80000000u && b == 0xFFFFFFFFu)) return W_TRAP_INT_OVERFLOW;
    *r = (uint32_t)((int32_t)a / (int32_t)b);
    return W_TRAP_OK;
}
W_INLINE w_trap num_i32_div_u(uint32_t a, uint32_t b, uint32_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    *r = a / b;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i32_rem_s(uint32_t a, uint32_t b, uint32_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    *r = b == 0xFFFFFFFFu ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
    return W_TRAP_OK;
}
W_INLINE w_trap num_i32_rem_u(uint32_t a, uint32_t b, uint32_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    *r = a % b;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_div_s(uint64_t a, uint64_t b, uint64_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    if (W_UNLIKELY(a == 0x8000000000000000ull && b == ~0ull)) return W_TRAP_INT_OVERFLOW;
    *r = (uint64_t)((int64_t)a / (int64_t)b);
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_div_u(uint64_t a, uint64_t b, uint64_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    *r = a / b;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_rem_s(uint64_t a, uint64_t b, uint64_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    *r = b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_rem_u(uint64_t a, uint64_t b, uint64_t *r)
{
    if (W_UNLIKELY(b == 0)) return W_TRAP_INT_DIV_ZERO;
    *r = a % b;
    return W_TRAP_OK;
}

/* ---- sign extension ----------------------------------------------------- */

W_INLINE uint32_t num_i32_extend8_s(uint32_t a)
{
    return (uint32_t)(int32_t)(int8_t)(uint8_t)a;
}
W_INLINE uint32_t num_i32_extend16_s(uint32_t a)
{
    return (uint32_t)(int32_t)(int16_t)(uint16_t)a;
}
W_INLINE uint64_t num_i64_extend8_s(uint64_t a)
{
    return (uint64_t)(int64_t)(int8_t)(uint8_t)a;
}
W_INLINE uint64_t num_i64_extend16_s(uint64_t a)
{
    return (uint64_t)(int64_t)(int16_t)(uint16_t)a;
}
W_INLINE uint64_t num_i64_extend32_s(uint64_t a)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)a;
}

/* ---- float sign operations: pure bit manipulation ------------------------ */

W_INLINE uint32_t num_f32_abs(uint32_t a)
{
    return a & 0x7FFFFFFFu;
}
W_INLINE uint32_t num_f32_neg(uint32_t a)
{
    return a ^ 0x80000000u;
}
W_INLINE uint32_t num_f32_copysign(uint32_t a, uint32_t b)
{
    return (a & 0x7FFFFFFFu) | (b & 0x80000000u);
}
W_INLINE uint64_t num_f64_abs(uint64_t a)
{
    return a & 0x7FFFFFFFFFFFFFFFull;
}
W_INLINE uint64_t num_f64_neg(uint64_t a)
{
    return a ^ 0x8000000000000000ull;
}
W_INLINE uint64_t num_f64_copysign(uint64_t a, uint64_t b)
{
    return (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull);
}

/* ---- min / max ------------------------------------------------------------
 * A NaN operand makes the result a NaN; a + b yields one that is quiet
 * (arithmetic) and canonical when the input NaN was. Between zeros of
 * opposite sign -0 is the smaller, which C's comparisons do not see. */

W_INLINE float num_f32_min(float a, float b)
{
    if (W_UNLIKELY(a != a || b != b)) return a + b;
    if (W_UNLIKELY(a == 0 && b == 0)) return w_f32(w_f32_bits(a) | w_f32_bits(b));
    return a < b ? a : b;
}
W_INLINE float num_f32_max(float a, float b)
{
    if (W_UNLIKELY(a != a || b != b)) return a + b;
    if (W_UNLIKELY(a == 0 && b == 0)) return w_f32(w_f32_bits(a) & w_f32_bits(b));
    return a > b ? a : b;
}
W_INLINE double num_f64_min(double a, double b)
{
    if (W_UNLIKELY(a != a || b != b)) return a + b;
    if (W_UNLIKELY(a == 0 && b == 0)) return w_f64(w_f64_bits(a) | w_f64_bits(b));
    return a < b ? a : b;
}
W_INLINE double num_f64_max(double a, double b)
{
    if (W_UNLIKELY(a != a || b != b)) return a + b;
    if (W_UNLIKELY(a == 0 && b == 0)) return w_f64(w_f64_bits(a) & w_f64_bits(b));
    return a > b ? a : b;
}

/* ---- rounding -------------------------------------------------------------
 * libm keeps the sign of zero and rounds halves to even in nearbyint (the
 * default rounding mode, which ward never changes). NaNs are handled here so
 * that a signalling NaN input always comes out quiet, whichever libm code
 * path runs. */

W_INLINE float num_f32_ceil(float a)
{
    return a != a ? a + a : ceilf(a);
}
W_INLINE float num_f32_floor(float a)
{
    return a != a ? a + a : floorf(a);
}
W_INLINE float num_f32_trunc(float a)
{
    return a != a ? a + a : truncf(a);
}
W_INLINE float num_f32_nearest(float a)
{
    return a != a ? a + a : nearbyintf(a);
}
W_INLINE float num_f32_sqrt(float a)
{
    return sqrtf(a);
}
W_INLINE double num_f64_ceil(double a)
{
    return a != a ? a + a : ceil(a);
}
W_INLINE double num_f64_floor(double a)
{
    return a != a ? a + a : floor(a);
}
W_INLINE double num_f64_trunc(double a)
{
    return a != a ? a + a : trunc(a);
}
W_INLINE double num_f64_nearest(double a)
{
    return a != a ? a + a : nearbyint(a);
}
W_INLINE double num_f64_sqrt(double a)
{
    return sqrt(a);
}

/* ---- float to integer, trapping -------------------------------------------
 * Each range is the open or half-open interval of values whose truncation
 * fits; every bound is exactly representable in the source type, so the
 * comparisons are exact. */

W_INLINE w_trap num_i32_trunc_f32_s(float a, uint32_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a >= -2147483648.0f && a < 2147483648.0f))) return W_TRAP_INT_OVERFLOW;
    *r = (uint32_t)(int32_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i32_trunc_f32_u(float a, uint32_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a > -1.0f && a < 4294967296.0f))) return W_TRAP_INT_OVERFLOW;
    *r = (uint32_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i32_trunc_f64_s(double a, uint32_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a > -2147483649.0 && a < 2147483648.0))) return W_TRAP_INT_OVERFLOW;
    *r = (uint32_t)(int32_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i32_trunc_f64_u(double a, uint32_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a > -1.0 && a < 4294967296.0))) return W_TRAP_INT_OVERFLOW;
    *r = (uint32_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_trunc_f32_s(float a, uint64_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a >= -9223372036854775808.0f && a < 9223372036854775808.0f)))
        return W_TRAP_INT_OVERFLOW;
    *r = (uint64_t)(int64_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_trunc_f32_u(float a, uint64_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a > -1.0f && a < 18446744073709551616.0f))) return W_TRAP_INT_OVERFLOW;
    *r = (uint64_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_trunc_f64_s(double a, uint64_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a >= -9223372036854775808.0 && a < 9223372036854775808.0)))
        return W_TRAP_INT_OVERFLOW;
    *r = (uint64_t)(int64_t)a;
    return W_TRAP_OK;
}
W_INLINE w_trap num_i64_trunc_f64_u(double a, uint64_t *r)
{
    if (W_UNLIKELY(a != a)) return W_TRAP_INVALID_CONV;
    if (W_UNLIKELY(!(a > -1.0 && a < 18446744073709551616.0))) return W_TRAP_INT_OVERFLOW;
    *r = (uint64_t)a;
    return W_TRAP_OK;
}

/* ---- float to integer, saturating: NaN gives 0, out of range clamps ----- */

W_INLINE uint32_t num_i32_trunc_sat_f32_s(float a)
{
    if (a >= -2147483648.0f && a < 2147483648.0f) return (uint32_t)(int32_t)a;
    if (a != a) return 0;
    return a < 0 ? 0x80000000u : 0x7FFFFFFFu;
}
W_INLINE uint32_t num_i32_trunc_sat_f32_u(float a)
{
    if (a > -1.0f && a < 4294967296.0f) return (uint32_t)a;
    if (a != a) return 0;
    return a < 0 ? 0u : 0xFFFFFFFFu;
}
W_INLINE uint32_t num_i32_trunc_sat_f64_s(double a)
{
    if (a > -2147483649.0 && a < 2147483648.0) return (uint32_t)(int32_t)a;
    if (a != a) return 0;
    return a < 0 ? 0x80000000u : 0x7FFFFFFFu;
}
W_INLINE uint32_t num_i32_trunc_sat_f64_u(double a)
{
    if (a > -1.0 && a < 4294967296.0) return (uint32_t)a;
    if (a != a) return 0;
    return a < 0 ? 0u : 0xFFFFFFFFu;
}
W_INLINE uint64_t num_i64_trunc_sat_f32_s(float a)
{
    if (a >= -9223372036854775808.0f && a < 9223372036854775808.0f) return (uint64_t)(int64_t)a;
    if (a != a) return 0;
    return a < 0 ? 0x8000000000000000ull : 0x7FFFFFFFFFFFFFFFull;
}
W_INLINE uint64_t num_i64_trunc_sat_f32_u(float a)
{
    if (a > -1.0f && a < 18446744073709551616.0f) return (uint64_t)a;
    if (a != a) return 0;
    return a < 0 ? 0u : ~0ull;
}
W_INLINE uint64_t num_i64_trunc_sat_f64_s(double a)
{
    if (a >= -9223372036854775808.0 && a < 9223372036854775808.0) return (uint64_t)(int64_t)a;
    if (a != a) return 0;
    return a < 0 ? 0x8000000000000000ull : 0x7FFFFFFFFFFFFFFFull;
}
W_INLINE uint64_t num_i64_trunc_sat_f64_u(double a)
{
    if (a > -1.0 && a < 18446744073709551616.0) return (uint64_t)a;
    if (a != a) return 0;
    return a < 0 ? 0u : ~0ull;
}

/* ---- integer to float ---------------------------------------------------
 * C's conversions round to nearest-even once, including from uint64_t (GCC
 * and clang keep a sticky bit when the top bit is set), which is exactly
 * what convert_i64_u requires; going through double first would round twice. */

W_INLINE float num_f32_convert_i32_s(uint32_t a)
{
    return (float)(int32_t)a;
}
W_INLINE float num_f32_convert_i32_u(uint32_t a)
{
    return (float)a;
}
W_INLINE float num_f32_convert_i64_s(uint64_t a)
{
    return (float)(int64_t)a;
}
W_INLINE float num_f32_convert_i64_u(uint64_t a)
{
    return (float)a;
}
W_INLINE double num_f64_convert_i32_s(uint32_t a)
{
    return (double)(int32_t)a;
}
W_INLINE double num_f64_convert_i32_u(uint32_t a)
{
    return (double)a;
}
W_INLINE double num_f64_convert_i64_s(uint64_t a)
{
    return (double)(int64_t)a;
}
W_INLINE double num_f64_convert_i64_u(uint64_t a)
{
    return (double)a;
}

/* Demotion and promotion by the hardware: correctly rounded, NaNs quieted
 * with their payload's top bits kept (canonical stays canonical). */
W_INLINE float num_f32_demote_f64(double a)
{
    return (float)a;
}
W_INLINE double num_f64_promote_f32(float a)
{
    return (double)a;
}

#endif
