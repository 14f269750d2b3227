/* simd.h - the v128 lane operations of Wasm 2.0, one simd_NAME per entry of
 * simd.def, with the signature its shape documents there.
 *
 * Everything here is exact Wasm semantics. The simple lane-wise operations
 * use GCC/clang vector extensions (through simd__vec below), because clang
 * 14 turns the equivalent loops over a by-value union into scalar code; the
 * rest are plain loops over the lanes of w_v128. f32/f64 scalars cross the
 * interface as raw bits so that NaN payloads are never touched by a
 * floating-point register move.
 *
 * Rules the code keeps to avoid C's undefined behaviour:
 *  - wrapping arithmetic is done on the unsigned lanes (and on uint32_t for
 *    16-bit lanes, which would otherwise promote to int and could overflow);
 *  - shift counts are reduced modulo the lane width first, as Wasm says;
 *  - a float is converted to an integer only after checking it is in range;
 *  - lane indexes are masked to the lane count, so even a lane immediate the
 *    validator failed to check cannot read outside the value.
 * Right shifts of negative signed values are arithmetic under gcc and clang
 * (implementation-defined in C, documented by both), which shr_s relies on.
 *
 * The float rounding operations use <math.h> in the default rounding mode
 * (round to nearest, ties to even), which ward never changes. Results that
 * are NaN come out quiet; their payload and sign are whatever the hardware
 * gives, which the spec allows ("canonical" or "arithmetic" NaN).
 */
#ifndef WARD_SIMD_H
#define WARD_SIMD_H

#include "base/base.h"
#include <math.h>

/* Plain static inline: the interpreter inlines what pays, and the larger
 * bodies (conversions, rounding) may stay out of line. */
#define W_SIMD_FN static inline

/* ---- helpers ------------------------------------------------------------ */

/* Vector-extension views of a v128. Operators act lane by lane in the lane
 * type, without C's integer promotions: unsigned lanes wrap, comparisons
 * give -1 (all ones) or 0 per lane, and `v << n` shifts every lane by n. */
typedef uint8_t simd__v_u8 __attribute__((vector_size(16)));
typedef int8_t simd__v_i8 __attribute__((vector_size(16)));
typedef uint16_t simd__v_u16 __attribute__((vector_size(16)));
typedef int16_t simd__v_i16 __attribute__((vector_size(16)));
typedef uint32_t simd__v_u32 __attribute__((vector_size(16)));
typedef int32_t simd__v_i32 __attribute__((vector_size(16)));
typedef uint64_t simd__v_u64 __attribute__((vector_size(16)));
typedef int64_t simd__v_i64 __attribute__((vector_size(16)));
typedef float simd__v_f32 __attribute__((vector_size(16)));
typedef double simd__v_f64 __attribute__((vector_size(16)));

typedef union simd__vec {
    w_v128 v;
    simd__v_u8 u8;
    simd__v_i8 i8;
    simd__v_u16 u16;
    simd__v_i16 i16;
    simd__v_u32 u32;
    simd__v_i32 i32;
    simd__v_u64 u64;
    simd__v_i64 i64;
    simd__v_f32 f32;
    simd__v_f64 f64;
} simd__vec;

/* Wasm min/max: a NaN operand gives a NaN (a + b quiets it and keeps an
 * arithmetic payload), and -0 is below +0. Equal operands differ at most in
 * the sign of a zero, so OR picks -0 for min and AND picks +0 for max. */
W_SIMD_FN uint32_t simd__fmin32(uint32_t a, uint32_t b)
{
    float x = w_f32(a), y = w_f32(b);
    if (x != x || y != y) return w_f32_bits(x + y);
    if (x == y) return a | b;
    return x < y ? a : b;
}

W_SIMD_FN uint32_t simd__fmax32(uint32_t a, uint32_t b)
{
    float x = w_f32(a), y = w_f32(b);
    if (x != x || y != y) return w_f32_bits(x + y);
    if (x == y) return a & b;
    return x > y ? a : b;
}

W_SIMD_FN uint64_t simd__fmin64(uint64_t a, uint64_t b)
{
    double x = w_f64(a), y = w_f64(b);
    if (x != x || y != y) return w_f64_bits(x + y);
    if (x == y) return a | b;
    return x < y ? a : b;
}

W_SIMD_FN uint64_t simd__fmax64(uint64_t a, uint64_t b)
{
    double x = w_f64(a), y = w_f64(b);
    if (x != x || y != y) return w_f64_bits(x + y);
    if (x == y) return a & b;
    return x > y ? a : b;
}

/* Saturating float -> integer conversions: NaN gives 0, out-of-range values
 * clamp. Each bound is a power of two, so it is exact in the source type and
 * the comparisons decide the range before any C conversion happens. */
W_SIMD_FN int32_t simd__sat_s32_f32(float x)
{
    if (x != x) return 0;
    if (x >= 2147483648.0f) return INT32_MAX;
    if (x < -2147483648.0f) return INT32_MIN;
    return (int32_t)x;
}

W_SIMD_FN uint32_t simd__sat_u32_f32(float x)
{
    if (!(x > 0.0f)) /* NaN, negative, and (-1, 0) which truncates to 0 */
        return 0;
    if (x >= 4294967296.0f) return UINT32_MAX;
    return (uint32_t)x;
}

W_SIMD_FN int32_t simd__sat_s32_f64(double x)
{
    if (x != x) return 0;
    if (x >= 2147483648.0) return INT32_MAX;
    /* (-2^31 - 1, -2^31] still truncates to INT32_MIN, so only values at or
     * below -2^31 - 1 need clamping. */
    if (x <= -2147483649.0) return INT32_MIN;
    return (int32_t)x;
}

W_SIMD_FN uint32_t simd__sat_u32_f64(double x)
{
    if (!(x > 0.0)) return 0;
    if (x >= 4294967296.0) return UINT32_MAX;
    return (uint32_t)x;
}

/* Rounding to an integral value. Wasm wants a quiet NaN out for any NaN in,
 * but gcc may expand ceilf and friends inline as "return x unchanged when
 * |x| >= 2^23", which lets a signalling NaN through; so NaNs are quieted
 * here (x + x) before the libm call. rint rounds ties to even in the default
 * rounding mode, which ward never changes, so it is Wasm's nearest. */
W_SIMD_FN float simd__ceil32(float x)
{
    return x != x ? x + x : ceilf(x);
}
W_SIMD_FN float simd__floor32(float x)
{
    return x != x ? x + x : floorf(x);
}
W_SIMD_FN float simd__trunc32(float x)
{
    return x != x ? x + x : truncf(x);
}
W_SIMD_FN float simd__rint32(float x)
{
    return x != x ? x + x : rintf(x);
}
W_SIMD_FN double simd__ceil64(double x)
{
    return x != x ? x + x : ceil(x);
}
W_SIMD_FN double simd__floor64(double x)
{
    return x != x ? x + x : floor(x);
}
W_SIMD_FN double simd__trunc64(double x)
{
    return x != x ? x + x : trunc(x);
}
W_SIMD_FN double simd__rint64(double x)
{
    return x != x ? x + x : rint(x);
}

W_SIMD_FN int8_t simd__sat_s8(int32_t x)
{
    return (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
}
W_SIMD_FN uint8_t simd__sat_u8(int32_t x)
{
    return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
}
W_SIMD_FN int16_t simd__sat_s16(int32_t x)
{
    return (int16_t)(x < -32768 ? -32768 : x > 32767 ? 32767 : x);
}
W_SIMD_FN uint16_t simd__sat_u16(int32_t x)
{
    return (uint16_t)(x < 0 ? 0 : x > 65535 ? 65535 : x);
}

/* ---- shuffles, splats, lanes -------------------------------------------- */

W_SIMD_FN w_v128 simd_I8X16_SHUFFLE(w_v128 a, w_v128 b, w_v128 lanes)
{
    /* Lane indexes 0-15 pick from a, 16-31 from b. The compiler rejects larger
     * indexes; the mask keeps a bad one inside the 32 bytes regardless. */
    uint8_t ab[32];
    memcpy(ab, a.u8, 16);
    memcpy(ab + 16, b.u8, 16);
    w_v128 r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = ab[lanes.u8[i] & 31];
    return r;
}

W_SIMD_FN w_v128 simd_I8X16_SWIZZLE(w_v128 a, w_v128 b)
{
    /* Unlike shuffle the indexes are run-time values: 16 and above give 0. */
    w_v128 r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0;
    return r;
}

W_SIMD_FN w_v128 simd_I8X16_SPLAT(uint32_t x)
{
    w_v128 r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = (uint8_t)x;
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_SPLAT(uint32_t x)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = (uint16_t)x;
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_SPLAT(uint32_t x)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)x;
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_SPLAT(uint64_t x)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = (uint64_t)x;
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_SPLAT(uint32_t bits)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = bits;
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_SPLAT(uint64_t bits)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = bits;
    return r;
}

W_SIMD_FN uint32_t simd_I8X16_EXTRACT_LANE_S(w_v128 a, uint32_t lane)
{
    return (uint32_t)(int32_t)a.i8[lane & 15];
}

W_SIMD_FN uint32_t simd_I8X16_EXTRACT_LANE_U(w_v128 a, uint32_t lane)
{
    return a.u8[lane & 15];
}

W_SIMD_FN w_v128 simd_I8X16_REPLACE_LANE(w_v128 a, uint32_t x, uint32_t lane)
{
    a.u8[lane & 15] = (uint8_t)x;
    return a;
}

W_SIMD_FN uint32_t simd_I16X8_EXTRACT_LANE_S(w_v128 a, uint32_t lane)
{
    return (uint32_t)(int32_t)a.i16[lane & 7];
}

W_SIMD_FN uint32_t simd_I16X8_EXTRACT_LANE_U(w_v128 a, uint32_t lane)
{
    return a.u16[lane & 7];
}

W_SIMD_FN w_v128 simd_I16X8_REPLACE_LANE(w_v128 a, uint32_t x, uint32_t lane)
{
    a.u16[lane & 7] = (uint16_t)x;
    return a;
}

W_SIMD_FN uint32_t simd_I32X4_EXTRACT_LANE(w_v128 a, uint32_t lane)
{
    return a.u32[lane & 3];
}

W_SIMD_FN w_v128 simd_I32X4_REPLACE_LANE(w_v128 a, uint32_t x, uint32_t lane)
{
    a.u32[lane & 3] = x;
    return a;
}

W_SIMD_FN uint64_t simd_I64X2_EXTRACT_LANE(w_v128 a, uint32_t lane)
{
    return a.u64[lane & 1];
}

W_SIMD_FN w_v128 simd_I64X2_REPLACE_LANE(w_v128 a, uint64_t x, uint32_t lane)
{
    a.u64[lane & 1] = x;
    return a;
}

W_SIMD_FN uint32_t simd_F32X4_EXTRACT_LANE(w_v128 a, uint32_t lane)
{
    return a.u32[lane & 3];
}

W_SIMD_FN w_v128 simd_F32X4_REPLACE_LANE(w_v128 a, uint32_t bits, uint32_t lane)
{
    a.u32[lane & 3] = bits;
    return a;
}

W_SIMD_FN uint64_t simd_F64X2_EXTRACT_LANE(w_v128 a, uint32_t lane)
{
    return a.u64[lane & 1];
}

W_SIMD_FN w_v128 simd_F64X2_REPLACE_LANE(w_v128 a, uint64_t bits, uint32_t lane)
{
    a.u64[lane & 1] = bits;
    return a;
}

/* ---- comparisons: a true lane is all ones, a false one all zeros -------- */

W_SIMD_FN w_v128 simd_I8X16_EQ(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.u8 == y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_NE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.u8 != y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_LT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.i8 < y.i8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_LT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.u8 < y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_GT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.i8 > y.i8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_GT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.u8 > y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_LE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.i8 <= y.i8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_LE_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.u8 <= y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_GE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.i8 >= y.i8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_GE_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i8 = (simd__v_i8)(x.u8 >= y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_EQ(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.u16 == y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_NE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.u16 != y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_LT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.i16 < y.i16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_LT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.u16 < y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_GT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.i16 > y.i16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_GT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.u16 > y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_LE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.i16 <= y.i16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_LE_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.u16 <= y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_GE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.i16 >= y.i16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_GE_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i16 = (simd__v_i16)(x.u16 >= y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_EQ(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.u32 == y.u32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_NE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.u32 != y.u32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_LT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.i32 < y.i32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_LT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.u32 < y.u32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_GT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.i32 > y.i32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_GT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.u32 > y.u32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_LE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.i32 <= y.i32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_LE_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.u32 <= y.u32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_GE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.i32 >= y.i32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_GE_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.u32 >= y.u32);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_EQ(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.u64 == y.u64);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_NE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.u64 != y.u64);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_LT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.i64 < y.i64);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_GT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.i64 > y.i64);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_LE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.i64 <= y.i64);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_GE_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.i64 >= y.i64);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_EQ(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.f32 == y.f32);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_NE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.f32 != y.f32);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_LT(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.f32 < y.f32);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_GT(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.f32 > y.f32);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_LE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.f32 <= y.f32);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_GE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i32 = (simd__v_i32)(x.f32 >= y.f32);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_EQ(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.f64 == y.f64);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_NE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.f64 != y.f64);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_LT(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.f64 < y.f64);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_GT(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.f64 > y.f64);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_LE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.f64 <= y.f64);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_GE(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.i64 = (simd__v_i64)(x.f64 >= y.f64);
    return r.v;
}

/* ---- bitwise ------------------------------------------------------------ */

W_SIMD_FN w_v128 simd_V128_NOT(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u64 = ~x.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_V128_AND(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 & y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_V128_ANDNOT(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 & ~y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_V128_OR(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 | y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_V128_XOR(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 ^ y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_V128_BITSELECT(w_v128 a, w_v128 b, w_v128 c)
{
    /* Bits of a where c is 1, of b where c is 0. */
    simd__vec x = {.v = a}, y = {.v = b}, m = {.v = c}, r;
    r.u64 = (x.u64 & m.u64) | (y.u64 & ~m.u64);
    return r.v;
}

W_SIMD_FN uint32_t simd_V128_ANY_TRUE(w_v128 a)
{
    return (a.u64[0] | a.u64[1]) != 0;
}

/* ---- integer lane arithmetic -------------------------------------------- */

W_SIMD_FN w_v128 simd_I8X16_ABS(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    /* m is all ones in negative lanes; (x ^ m) - m negates them, and the
     * most negative value wraps to itself, as Wasm requires. */
    simd__v_u8 m = (simd__v_u8)(x.i8 >> 7);
    r.u8 = (x.u8 ^ m) - m;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_NEG(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u8 = -x.u8;
    return r.v;
}

W_SIMD_FN uint32_t simd_I8X16_ALL_TRUE(w_v128 a)
{
    uint32_t all = 1;
    for (int i = 0; i < 16; i++)
        all &= a.u8[i] != 0;
    return all;
}

W_SIMD_FN uint32_t simd_I8X16_BITMASK(w_v128 a)
{
    /* Bit i of the result is the sign bit of lane i. */
    uint32_t m = 0;
    for (int i = 0; i < 16; i++)
        m |= (uint32_t)(a.u8[i] >> 7) << i;
    return m;
}

W_SIMD_FN w_v128 simd_I8X16_SHL(w_v128 a, uint32_t n)
{
    /* Wasm takes the shift count modulo the lane width. */
    n &= 7;
    simd__vec x = {.v = a}, r;
    r.u8 = x.u8 << n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_SHR_S(w_v128 a, uint32_t n)
{
    n &= 7;
    simd__vec x = {.v = a}, r;
    r.i8 = x.i8 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_SHR_U(w_v128 a, uint32_t n)
{
    n &= 7;
    simd__vec x = {.v = a}, r;
    r.u8 = x.u8 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_ADD(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u8 = x.u8 + y.u8;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_SUB(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u8 = x.u8 - y.u8;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_ADD_SAT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* The wrapped sum overflowed iff it differs in sign from both operands;
     * then the result is the bound on a's side: (a >> 7) ^ MAX is MIN for a
     * negative a and MAX otherwise. */
    simd__v_u8 sum = x.u8 + y.u8;
    simd__v_u8 ov = (simd__v_u8)((simd__v_i8)((sum ^ x.u8) & (sum ^ y.u8)) < 0);
    simd__v_u8 sat = (simd__v_u8)(x.i8 >> 7) ^ INT8_MAX;
    r.u8 = (sat & ov) | (sum & ~ov);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_ADD_SAT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* A wrapped sum below an operand carried out: all ones then. */
    simd__v_u8 sum = x.u8 + y.u8;
    r.u8 = sum | (simd__v_u8)(sum < x.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_SUB_SAT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* a - b overflowed iff a and b differ in sign and the wrapped difference
     * differs in sign from a; the bound is on a's side, as for add_sat_s. */
    simd__v_u8 dif = x.u8 - y.u8;
    simd__v_u8 ov = (simd__v_u8)((simd__v_i8)((x.u8 ^ y.u8) & (x.u8 ^ dif)) < 0);
    simd__v_u8 sat = (simd__v_u8)(x.i8 >> 7) ^ INT8_MAX;
    r.u8 = (sat & ov) | (dif & ~ov);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_SUB_SAT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* Lanes where b > a borrow and become 0. */
    r.u8 = (x.u8 - y.u8) & (simd__v_u8)(x.u8 >= y.u8);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_AVGR_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* (a + b + 1) >> 1 without the carry out of the lane:
     * a + b + 1 = 2 * (a | b) - (a ^ b) + 1, halved and rounded down. */
    r.u8 = (x.u8 | y.u8) - ((x.u8 ^ y.u8) >> 1);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_MIN_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u8 m = (simd__v_u8)(x.i8 < y.i8);
    r.u8 = (x.u8 & m) | (y.u8 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_MIN_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u8 m = (simd__v_u8)(x.u8 < y.u8);
    r.u8 = (x.u8 & m) | (y.u8 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_MAX_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u8 m = (simd__v_u8)(x.i8 > y.i8);
    r.u8 = (x.u8 & m) | (y.u8 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_MAX_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u8 m = (simd__v_u8)(x.u8 > y.u8);
    r.u8 = (x.u8 & m) | (y.u8 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_ABS(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    /* m is all ones in negative lanes; (x ^ m) - m negates them, and the
     * most negative value wraps to itself, as Wasm requires. */
    simd__v_u16 m = (simd__v_u16)(x.i16 >> 15);
    r.u16 = (x.u16 ^ m) - m;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_NEG(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u16 = -x.u16;
    return r.v;
}

W_SIMD_FN uint32_t simd_I16X8_ALL_TRUE(w_v128 a)
{
    uint32_t all = 1;
    for (int i = 0; i < 8; i++)
        all &= a.u16[i] != 0;
    return all;
}

W_SIMD_FN uint32_t simd_I16X8_BITMASK(w_v128 a)
{
    /* Bit i of the result is the sign bit of lane i. */
    uint32_t m = 0;
    for (int i = 0; i < 8; i++)
        m |= (uint32_t)(a.u16[i] >> 15) << i;
    return m;
}

W_SIMD_FN w_v128 simd_I16X8_SHL(w_v128 a, uint32_t n)
{
    /* Wasm takes the shift count modulo the lane width. */
    n &= 15;
    simd__vec x = {.v = a}, r;
    r.u16 = x.u16 << n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_SHR_S(w_v128 a, uint32_t n)
{
    n &= 15;
    simd__vec x = {.v = a}, r;
    r.i16 = x.i16 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_SHR_U(w_v128 a, uint32_t n)
{
    n &= 15;
    simd__vec x = {.v = a}, r;
    r.u16 = x.u16 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_ADD(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u16 = x.u16 + y.u16;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_SUB(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u16 = x.u16 - y.u16;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_MUL(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u16 = x.u16 * y.u16;
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_ADD_SAT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* The wrapped sum overflowed iff it differs in sign from both operands;
     * then the result is the bound on a's side: (a >> 15) ^ MAX is MIN for a
     * negative a and MAX otherwise. */
    simd__v_u16 sum = x.u16 + y.u16;
    simd__v_u16 ov = (simd__v_u16)((simd__v_i16)((sum ^ x.u16) & (sum ^ y.u16)) < 0);
    simd__v_u16 sat = (simd__v_u16)(x.i16 >> 15) ^ INT16_MAX;
    r.u16 = (sat & ov) | (sum & ~ov);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_ADD_SAT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* A wrapped sum below an operand carried out: all ones then. */
    simd__v_u16 sum = x.u16 + y.u16;
    r.u16 = sum | (simd__v_u16)(sum < x.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_SUB_SAT_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* a - b overflowed iff a and b differ in sign and the wrapped difference
     * differs in sign from a; the bound is on a's side, as for add_sat_s. */
    simd__v_u16 dif = x.u16 - y.u16;
    simd__v_u16 ov = (simd__v_u16)((simd__v_i16)((x.u16 ^ y.u16) & (x.u16 ^ dif)) < 0);
    simd__v_u16 sat = (simd__v_u16)(x.i16 >> 15) ^ INT16_MAX;
    r.u16 = (sat & ov) | (dif & ~ov);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_SUB_SAT_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* Lanes where b > a borrow and become 0. */
    r.u16 = (x.u16 - y.u16) & (simd__v_u16)(x.u16 >= y.u16);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_AVGR_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    /* (a + b + 1) >> 1 without the carry out of the lane:
     * a + b + 1 = 2 * (a | b) - (a ^ b) + 1, halved and rounded down. */
    r.u16 = (x.u16 | y.u16) - ((x.u16 ^ y.u16) >> 1);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_MIN_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u16 m = (simd__v_u16)(x.i16 < y.i16);
    r.u16 = (x.u16 & m) | (y.u16 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_MIN_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u16 m = (simd__v_u16)(x.u16 < y.u16);
    r.u16 = (x.u16 & m) | (y.u16 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_MAX_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u16 m = (simd__v_u16)(x.i16 > y.i16);
    r.u16 = (x.u16 & m) | (y.u16 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I16X8_MAX_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u16 m = (simd__v_u16)(x.u16 > y.u16);
    r.u16 = (x.u16 & m) | (y.u16 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_ABS(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    /* m is all ones in negative lanes; (x ^ m) - m negates them, and the
     * most negative value wraps to itself, as Wasm requires. */
    simd__v_u32 m = (simd__v_u32)(x.i32 >> 31);
    r.u32 = (x.u32 ^ m) - m;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_NEG(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u32 = -x.u32;
    return r.v;
}

W_SIMD_FN uint32_t simd_I32X4_ALL_TRUE(w_v128 a)
{
    uint32_t all = 1;
    for (int i = 0; i < 4; i++)
        all &= a.u32[i] != 0;
    return all;
}

W_SIMD_FN uint32_t simd_I32X4_BITMASK(w_v128 a)
{
    /* Bit i of the result is the sign bit of lane i. */
    uint32_t m = 0;
    for (int i = 0; i < 4; i++)
        m |= (uint32_t)(a.u32[i] >> 31) << i;
    return m;
}

W_SIMD_FN w_v128 simd_I32X4_SHL(w_v128 a, uint32_t n)
{
    /* Wasm takes the shift count modulo the lane width. */
    n &= 31;
    simd__vec x = {.v = a}, r;
    r.u32 = x.u32 << n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_SHR_S(w_v128 a, uint32_t n)
{
    n &= 31;
    simd__vec x = {.v = a}, r;
    r.i32 = x.i32 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_SHR_U(w_v128 a, uint32_t n)
{
    n &= 31;
    simd__vec x = {.v = a}, r;
    r.u32 = x.u32 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_ADD(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u32 = x.u32 + y.u32;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_SUB(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u32 = x.u32 - y.u32;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_MUL(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u32 = x.u32 * y.u32;
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_MIN_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u32 m = (simd__v_u32)(x.i32 < y.i32);
    r.u32 = (x.u32 & m) | (y.u32 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_MIN_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u32 m = (simd__v_u32)(x.u32 < y.u32);
    r.u32 = (x.u32 & m) | (y.u32 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_MAX_S(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u32 m = (simd__v_u32)(x.i32 > y.i32);
    r.u32 = (x.u32 & m) | (y.u32 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I32X4_MAX_U(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u32 m = (simd__v_u32)(x.u32 > y.u32);
    r.u32 = (x.u32 & m) | (y.u32 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_ABS(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    /* m is all ones in negative lanes; (x ^ m) - m negates them, and the
     * most negative value wraps to itself, as Wasm requires. */
    simd__v_u64 m = (simd__v_u64)(x.i64 >> 63);
    r.u64 = (x.u64 ^ m) - m;
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_NEG(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u64 = -x.u64;
    return r.v;
}

W_SIMD_FN uint32_t simd_I64X2_ALL_TRUE(w_v128 a)
{
    uint32_t all = 1;
    for (int i = 0; i < 2; i++)
        all &= a.u64[i] != 0;
    return all;
}

W_SIMD_FN uint32_t simd_I64X2_BITMASK(w_v128 a)
{
    /* Bit i of the result is the sign bit of lane i. */
    uint32_t m = 0;
    for (int i = 0; i < 2; i++)
        m |= (uint32_t)(a.u64[i] >> 63) << i;
    return m;
}

W_SIMD_FN w_v128 simd_I64X2_SHL(w_v128 a, uint32_t n)
{
    /* Wasm takes the shift count modulo the lane width. */
    n &= 63;
    simd__vec x = {.v = a}, r;
    r.u64 = x.u64 << n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_SHR_S(w_v128 a, uint32_t n)
{
    n &= 63;
    simd__vec x = {.v = a}, r;
    r.i64 = x.i64 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_SHR_U(w_v128 a, uint32_t n)
{
    n &= 63;
    simd__vec x = {.v = a}, r;
    r.u64 = x.u64 >> n;
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_ADD(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 + y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_SUB(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 - y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_I64X2_MUL(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.u64 = x.u64 * y.u64;
    return r.v;
}

W_SIMD_FN w_v128 simd_I8X16_POPCNT(w_v128 a)
{
    /* Bit-parallel count within each byte of two 64-bit words. */
    w_v128 r;
    for (int i = 0; i < 2; i++) {
        uint64_t x = a.u64[i];
        x = x - ((x >> 1) & 0x5555555555555555u);
        x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
        r.u64[i] = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
    }
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_Q15MULR_SAT_S(w_v128 a, w_v128 b)
{
    /* Rounding Q15 multiply. Only -32768 * -32768 overflows, to 32768. */
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.i16[i] = simd__sat_s16(((int32_t)a.i16[i] * b.i16[i] + 0x4000) >> 15);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_DOT_I16X8_S(w_v128 a, w_v128 b)
{
    /* Each product fits in int32; their sum can reach 2^31 and wraps. */
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)((int32_t)a.i16[2 * i] * b.i16[2 * i]) +
                   (uint32_t)((int32_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
    return r;
}

/* ---- narrow, extend, extmul, extadd_pairwise ----------------------------- */

W_SIMD_FN w_v128 simd_I8X16_NARROW_I16X8_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 8; i++) {
        r.i8[i] = simd__sat_s8(a.i16[i]);
        r.i8[i + 8] = simd__sat_s8(b.i16[i]);
    }
    return r;
}

W_SIMD_FN w_v128 simd_I8X16_NARROW_I16X8_U(w_v128 a, w_v128 b)
{
    /* The inputs are signed; negative lanes become 0. */
    w_v128 r;
    for (int i = 0; i < 8; i++) {
        r.u8[i] = simd__sat_u8(a.i16[i]);
        r.u8[i + 8] = simd__sat_u8(b.i16[i]);
    }
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_NARROW_I32X4_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++) {
        r.i16[i] = simd__sat_s16(a.i32[i]);
        r.i16[i + 4] = simd__sat_s16(b.i32[i]);
    }
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_NARROW_I32X4_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++) {
        r.u16[i] = simd__sat_u16(a.i32[i]);
        r.u16[i + 4] = simd__sat_u16(b.i32[i]);
    }
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTEND_LOW_I8X16_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.i16[i] = a.i8[i];
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTEND_LOW_I8X16_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = a.u8[i];
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTEND_HIGH_I8X16_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.i16[i] = a.i8[i + 8];
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTEND_HIGH_I8X16_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = a.u8[i + 8];
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTEND_LOW_I16X8_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.i32[i] = a.i16[i];
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTEND_LOW_I16X8_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = a.u16[i];
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTEND_HIGH_I16X8_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.i32[i] = a.i16[i + 4];
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTEND_HIGH_I16X8_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = a.u16[i + 4];
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTEND_LOW_I32X4_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.i64[i] = a.i32[i];
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTEND_LOW_I32X4_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = a.u32[i];
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTEND_HIGH_I32X4_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.i64[i] = a.i32[i + 2];
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTEND_HIGH_I32X4_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = a.u32[i + 2];
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTMUL_LOW_I8X16_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.i16[i] = (int16_t)((int32_t)a.i8[i] * b.i8[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTMUL_LOW_I8X16_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = (uint16_t)((uint32_t)a.u8[i] * b.u8[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTMUL_HIGH_I8X16_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.i16[i] = (int16_t)((int32_t)a.i8[i + 8] * b.i8[i + 8]);
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTMUL_HIGH_I8X16_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = (uint16_t)((uint32_t)a.u8[i + 8] * b.u8[i + 8]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTMUL_LOW_I16X8_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.i32[i] = (int32_t)((int32_t)a.i16[i] * b.i16[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTMUL_LOW_I16X8_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)((uint32_t)a.u16[i] * b.u16[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTMUL_HIGH_I16X8_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.i32[i] = (int32_t)((int32_t)a.i16[i + 4] * b.i16[i + 4]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTMUL_HIGH_I16X8_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)((uint32_t)a.u16[i + 4] * b.u16[i + 4]);
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTMUL_LOW_I32X4_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.i64[i] = (int64_t)((int64_t)a.i32[i] * b.i32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTMUL_LOW_I32X4_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = (uint64_t)((uint64_t)a.u32[i] * b.u32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTMUL_HIGH_I32X4_S(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.i64[i] = (int64_t)((int64_t)a.i32[i + 2] * b.i32[i + 2]);
    return r;
}

W_SIMD_FN w_v128 simd_I64X2_EXTMUL_HIGH_I32X4_U(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = (uint64_t)((uint64_t)a.u32[i + 2] * b.u32[i + 2]);
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTADD_PAIRWISE_I8X16_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.i16[i] = (int16_t)((int32_t)a.i8[2 * i] + a.i8[2 * i + 1]);
    return r;
}

W_SIMD_FN w_v128 simd_I16X8_EXTADD_PAIRWISE_I8X16_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = (uint16_t)((uint32_t)a.u8[2 * i] + a.u8[2 * i + 1]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTADD_PAIRWISE_I16X8_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.i32[i] = (int32_t)((int32_t)a.i16[2 * i] + a.i16[2 * i + 1]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_EXTADD_PAIRWISE_I16X8_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)((uint32_t)a.u16[2 * i] + a.u16[2 * i + 1]);
    return r;
}

/* ---- floating point ------------------------------------------------------ */

W_SIMD_FN w_v128 simd_F32X4_ABS(w_v128 a)
{
    /* abs and neg only touch the sign bit, NaN payloads included. */
    simd__vec x = {.v = a}, r;
    r.u32 = x.u32 & ~(uint32_t)0x80000000u;
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_NEG(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u32 = x.u32 ^ 0x80000000u;
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_SQRT(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = sqrtf(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_ADD(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f32 = x.f32 + y.f32;
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_SUB(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f32 = x.f32 - y.f32;
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_MUL(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f32 = x.f32 * y.f32;
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_DIV(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f32 = x.f32 / y.f32;
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_MIN(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = simd__fmin32(a.u32[i], b.u32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_MAX(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = simd__fmax32(a.u32[i], b.u32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_PMIN(w_v128 a, w_v128 b)
{
    /* Pseudo-min is exactly b < a ? b : a, NaNs and zeros included;
     * the lane is selected by its bits so a NaN passes through untouched. */
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u32 m = (simd__v_u32)(y.f32 < x.f32);
    r.u32 = (y.u32 & m) | (x.u32 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_PMAX(w_v128 a, w_v128 b)
{
    /* Pseudo-max is exactly a < b ? b : a. */
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u32 m = (simd__v_u32)(x.f32 < y.f32);
    r.u32 = (y.u32 & m) | (x.u32 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_F32X4_CEIL(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = simd__ceil32(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_FLOOR(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = simd__floor32(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_TRUNC(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = simd__trunc32(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_NEAREST(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = simd__rint32(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_ABS(w_v128 a)
{
    /* abs and neg only touch the sign bit, NaN payloads included. */
    simd__vec x = {.v = a}, r;
    r.u64 = x.u64 & ~(uint64_t)0x8000000000000000u;
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_NEG(w_v128 a)
{
    simd__vec x = {.v = a}, r;
    r.u64 = x.u64 ^ 0x8000000000000000u;
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_SQRT(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = sqrt(a.f64[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_ADD(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f64 = x.f64 + y.f64;
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_SUB(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f64 = x.f64 - y.f64;
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_MUL(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f64 = x.f64 * y.f64;
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_DIV(w_v128 a, w_v128 b)
{
    simd__vec x = {.v = a}, y = {.v = b}, r;
    r.f64 = x.f64 / y.f64;
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_MIN(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = simd__fmin64(a.u64[i], b.u64[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_MAX(w_v128 a, w_v128 b)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = simd__fmax64(a.u64[i], b.u64[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_PMIN(w_v128 a, w_v128 b)
{
    /* Pseudo-min is exactly b < a ? b : a, NaNs and zeros included;
     * the lane is selected by its bits so a NaN passes through untouched. */
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u64 m = (simd__v_u64)(y.f64 < x.f64);
    r.u64 = (y.u64 & m) | (x.u64 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_PMAX(w_v128 a, w_v128 b)
{
    /* Pseudo-max is exactly a < b ? b : a. */
    simd__vec x = {.v = a}, y = {.v = b}, r;
    simd__v_u64 m = (simd__v_u64)(x.f64 < y.f64);
    r.u64 = (y.u64 & m) | (x.u64 & ~m);
    return r.v;
}

W_SIMD_FN w_v128 simd_F64X2_CEIL(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = simd__ceil64(a.f64[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_FLOOR(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = simd__floor64(a.f64[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_TRUNC(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = simd__trunc64(a.f64[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_NEAREST(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = simd__rint64(a.f64[i]);
    return r;
}

/* ---- conversions --------------------------------------------------------- */

W_SIMD_FN w_v128 simd_F32X4_DEMOTE_F64X2_ZERO(w_v128 a)
{
    w_v128 r;
    r.f32[0] = (float)a.f64[0];
    r.f32[1] = (float)a.f64[1];
    r.u32[2] = 0;
    r.u32[3] = 0;
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_PROMOTE_LOW_F32X4(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = (double)a.f32[i];
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_TRUNC_SAT_F32X4_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.i32[i] = simd__sat_s32_f32(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_TRUNC_SAT_F32X4_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = simd__sat_u32_f32(a.f32[i]);
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_CONVERT_I32X4_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = (float)a.i32[i];
    return r;
}

W_SIMD_FN w_v128 simd_F32X4_CONVERT_I32X4_U(w_v128 a)
{
    /* C rounds the conversion to nearest even, as Wasm requires. */
    w_v128 r;
    for (int i = 0; i < 4; i++)
        r.f32[i] = (float)a.u32[i];
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_TRUNC_SAT_F64X2_S_ZERO(w_v128 a)
{
    w_v128 r;
    r.i32[0] = simd__sat_s32_f64(a.f64[0]);
    r.i32[1] = simd__sat_s32_f64(a.f64[1]);
    r.u32[2] = 0;
    r.u32[3] = 0;
    return r;
}

W_SIMD_FN w_v128 simd_I32X4_TRUNC_SAT_F64X2_U_ZERO(w_v128 a)
{
    w_v128 r;
    r.u32[0] = simd__sat_u32_f64(a.f64[0]);
    r.u32[1] = simd__sat_u32_f64(a.f64[1]);
    r.u32[2] = 0;
    r.u32[3] = 0;
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_CONVERT_LOW_I32X4_S(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = (double)a.i32[i];
    return r;
}

W_SIMD_FN w_v128 simd_F64X2_CONVERT_LOW_I32X4_U(w_v128 a)
{
    w_v128 r;
    for (int i = 0; i < 2; i++)
        r.f64[i] = (double)a.u32[i];
    return r;
}

#undef W_SIMD_FN

#endif
