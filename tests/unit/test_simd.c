/* test_simd.c - edge cases of the v128 lane operations in simd.h.
 *
 * Each family gets the inputs where implementations usually go wrong:
 * saturation boundaries, the most negative integer, NaN and -0, rounding
 * ties, out-of-range float->int conversions, out-of-range lane indexes.
 * The full spec suite (simd_*.wast) runs through the engine elsewhere; this
 * file pins the lane semantics down on their own, so a failure here names
 * the operation directly. Prints "N passed, M failed"; exits 0 iff M is 0.
 */
#include "exec/simd.h"

#include <stdio.h>

static int passed, failed;

static void check_v(const char *what, int line, w_v128 got, w_v128 want)
{
    if (memcmp(&got, &want, 16) == 0) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL line %d: %s\n  got  ", line, what);
    for (int i = 15; i >= 0; i--)
        printf("%02x", got.u8[i]);
    printf("\n  want ");
    for (int i = 15; i >= 0; i--)
        printf("%02x", want.u8[i]);
    printf("\n");
}

static void check_u(const char *what, int line, uint64_t got, uint64_t want)
{
    if (got == want) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL line %d: %s: got 0x%llx want 0x%llx\n", line, what, (unsigned long long)got,
           (unsigned long long)want);
}

#define CHECK_V(expr, want) check_v(#expr, __LINE__, (expr), (want))
#define CHECK_U(expr, want) check_u(#expr, __LINE__, (expr), (want))

/* Constructors for test vectors, lane 0 first. */
static w_v128 i8(int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int a8, int a9,
                 int a10, int a11, int a12, int a13, int a14, int a15)
{
    int l[16] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15};
    w_v128 v;
    for (int i = 0; i < 16; i++)
        v.u8[i] = (uint8_t)l[i];
    return v;
}
static w_v128 i16(int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7)
{
    int l[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    w_v128 v;
    for (int i = 0; i < 8; i++)
        v.u16[i] = (uint16_t)l[i];
    return v;
}
static w_v128 i32(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
    w_v128 v;
    v.u32[0] = a0;
    v.u32[1] = a1;
    v.u32[2] = a2;
    v.u32[3] = a3;
    return v;
}
static w_v128 i64(uint64_t a0, uint64_t a1)
{
    w_v128 v;
    v.u64[0] = a0;
    v.u64[1] = a1;
    return v;
}
static w_v128 f32(float a0, float a1, float a2, float a3)
{
    w_v128 v;
    v.f32[0] = a0;
    v.f32[1] = a1;
    v.f32[2] = a2;
    v.f32[3] = a3;
    return v;
}
static w_v128 f64(double a0, double a1)
{
    w_v128 v;
    v.f64[0] = a0;
    v.f64[1] = a1;
    return v;
}
static w_v128 splat8(int x)
{
    return simd_I8X16_SPLAT((uint32_t)x);
}

/* Bit patterns used below. */
#define F32_NAN 0x7FC00000u   /* canonical quiet NaN */
#define F32_SNAN 0x7FA00000u  /* signalling NaN, payload 0x200000 */
#define F32_NZERO 0x80000000u /* -0 */
#define F64_NAN 0x7FF8000000000000u
#define F64_NZERO 0x8000000000000000u

static int f32_is_nan(uint32_t b)
{
    return (b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu);
}
static int f32_is_qnan(uint32_t b)
{
    return f32_is_nan(b) && (b & 0x400000u);
}
static int f64_is_qnan(uint64_t b)
{
    return (b & 0x7FF0000000000000u) == 0x7FF0000000000000u && (b & 0x0008000000000000u);
}

static void test_lanes(void)
{
    w_v128 a = i8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    w_v128 b = i8(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    w_v128 id = i8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    w_v128 mix = i8(31, 0, 16, 15, 30, 1, 17, 14, 2, 2, 2, 2, 29, 28, 27, 26);
    CHECK_V(simd_I8X16_SHUFFLE(a, b, id), a);
    CHECK_V(simd_I8X16_SHUFFLE(a, b, mix), mix);
    /* Swizzle: indexes >= 16 (including 0x80 and 0xFF) give 0. */
    CHECK_V(simd_I8X16_SWIZZLE(b, i8(15, 16, 0, 255, 128, 17, 1, 100, 3, 3, 3, 3, 32, 31, 14, 2)),
            i8(31, 0, 16, 0, 0, 0, 17, 0, 19, 19, 19, 19, 0, 0, 30, 18));

    CHECK_V(simd_I8X16_SPLAT(0x1FF), splat8(-1));
    CHECK_V(simd_I16X8_SPLAT(0x12345),
            i16(0x2345, 0x2345, 0x2345, 0x2345, 0x2345, 0x2345, 0x2345, 0x2345));
    CHECK_V(simd_I64X2_SPLAT(0x8000000000000001u), i64(0x8000000000000001u, 0x8000000000000001u));
    CHECK_V(simd_F32X4_SPLAT(F32_SNAN), i32(F32_SNAN, F32_SNAN, F32_SNAN, F32_SNAN));
    CHECK_V(simd_F64X2_SPLAT(F64_NZERO), i64(F64_NZERO, F64_NZERO));

    w_v128 n = i8(-128, 127, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80);
    CHECK_U(simd_I8X16_EXTRACT_LANE_S(n, 0), 0xFFFFFF80u);
    CHECK_U(simd_I8X16_EXTRACT_LANE_U(n, 0), 0x80u);
    CHECK_U(simd_I8X16_EXTRACT_LANE_S(n, 1), 127u);
    CHECK_U(simd_I8X16_EXTRACT_LANE_U(n, 15), 0x80u);
    w_v128 h = i16(-32768, 32767, -1, 0, 0, 0, 0, 0x8000);
    CHECK_U(simd_I16X8_EXTRACT_LANE_S(h, 0), 0xFFFF8000u);
    CHECK_U(simd_I16X8_EXTRACT_LANE_U(h, 2), 0xFFFFu);
    CHECK_U(simd_I16X8_EXTRACT_LANE_U(h, 7), 0x8000u);
    CHECK_U(simd_I32X4_EXTRACT_LANE(i32(1, 2, 3, 0xFFFFFFFFu), 3), 0xFFFFFFFFu);
    CHECK_U(simd_I64X2_EXTRACT_LANE(i64(1, 0x8000000000000000u), 1), 0x8000000000000000u);
    CHECK_U(simd_F32X4_EXTRACT_LANE(i32(0, F32_SNAN, 0, 0), 1), F32_SNAN);
    CHECK_U(simd_F64X2_EXTRACT_LANE(i64(0, F64_NZERO), 1), F64_NZERO);

    CHECK_V(simd_I8X16_REPLACE_LANE(splat8(0), 0x1AB, 15),
            i8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAB));
    CHECK_V(simd_I16X8_REPLACE_LANE(i16(0, 0, 0, 0, 0, 0, 0, 0), 0x12345, 3),
            i16(0, 0, 0, 0x2345, 0, 0, 0, 0));
    CHECK_V(simd_I32X4_REPLACE_LANE(i32(1, 2, 3, 4), 9, 0), i32(9, 2, 3, 4));
    CHECK_V(simd_I64X2_REPLACE_LANE(i64(1, 2), 0xFFFFFFFFFFFFFFFFu, 1),
            i64(1, 0xFFFFFFFFFFFFFFFFu));
    CHECK_V(simd_F32X4_REPLACE_LANE(i32(1, 2, 3, 4), F32_SNAN, 2), i32(1, 2, F32_SNAN, 4));
    CHECK_V(simd_F64X2_REPLACE_LANE(i64(1, 2), F64_NZERO, 0), i64(F64_NZERO, 2));
}

static void test_compare(void)
{
    w_v128 a = i8(-128, 127, 0, -1, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    w_v128 b = i8(127, -128, -1, 0, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    CHECK_V(simd_I8X16_LT_S(a, b), i8(-1, 0, 0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_LT_U(a, b), i8(0, -1, -1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_GE_U(a, b), i8(-1, 0, 0, -1, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    CHECK_V(simd_I8X16_EQ(a, b), i8(0, 0, 0, 0, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    CHECK_V(simd_I8X16_NE(a, b), i8(-1, -1, -1, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(
        simd_I16X8_GT_S(i16(-32768, 32767, 1, 0, 0, 0, 0, 0), i16(32767, -32768, 1, 0, 0, 0, 0, 0)),
        i16(0, -1, 0, 0, 0, 0, 0, 0));
    CHECK_V(
        simd_I16X8_LE_U(i16(-32768, 32767, 1, 0, 0, 0, 0, 0), i16(32767, -32768, 1, 0, 0, 0, 0, 0)),
        i16(0, -1, -1, -1, -1, -1, -1, -1));
    CHECK_V(simd_I32X4_LT_S(i32(0x80000000u, 1, 2, 3), i32(0x7FFFFFFFu, 1, 3, 2)),
            i32(0xFFFFFFFFu, 0, 0xFFFFFFFFu, 0));
    CHECK_V(simd_I32X4_GT_U(i32(0x80000000u, 1, 2, 3), i32(0x7FFFFFFFu, 1, 3, 2)),
            i32(0xFFFFFFFFu, 0, 0, 0xFFFFFFFFu));
    CHECK_V(simd_I64X2_LT_S(i64(0x8000000000000000u, 1), i64(0x7FFFFFFFFFFFFFFFu, 1)),
            i64(~0ull, 0));
    CHECK_V(simd_I64X2_GE_S(i64(0x8000000000000000u, 1), i64(0x7FFFFFFFFFFFFFFFu, 1)),
            i64(0, ~0ull));
    CHECK_V(simd_I64X2_NE(i64(5, 1), i64(5, 2)), i64(0, ~0ull));

    /* NaN is unordered: only ne is true. -0 == +0. */
    w_v128 fa = i32(F32_NAN, F32_NZERO, 0x3F800000u, F32_NAN);
    w_v128 fb = i32(F32_NAN, 0, 0x40000000u, 0x3F800000u);
    CHECK_V(simd_F32X4_EQ(fa, fb), i32(0, ~0u, 0, 0));
    CHECK_V(simd_F32X4_NE(fa, fb), i32(~0u, 0, ~0u, ~0u));
    CHECK_V(simd_F32X4_LT(fa, fb), i32(0, 0, ~0u, 0));
    CHECK_V(simd_F32X4_GE(fa, fb), i32(0, ~0u, 0, 0));
    CHECK_V(simd_F64X2_LE(i64(F64_NAN, F64_NZERO), i64(0, 0)), i64(0, ~0ull));
    CHECK_V(simd_F64X2_GT(i64(F64_NAN, 0x3FF0000000000000u), i64(0, 0)), i64(0, ~0ull));
}

static void test_bitwise(void)
{
    w_v128 a = i64(0xFF00FF00F0F0F0F0u, 0x0123456789ABCDEFu);
    w_v128 b = i64(0x0F0F0F0F0F0F0F0Fu, 0xFFFFFFFF00000000u);
    CHECK_V(simd_V128_NOT(a), i64(0x00FF00FF0F0F0F0Fu, 0xFEDCBA9876543210u));
    CHECK_V(simd_V128_AND(a, b), i64(0x0F000F0000000000u, 0x0123456700000000u));
    CHECK_V(simd_V128_ANDNOT(a, b), i64(0xF000F000F0F0F0F0u, 0x0000000089ABCDEFu));
    CHECK_V(simd_V128_OR(a, b), i64(0xFF0FFF0FFFFFFFFFu, 0xFFFFFFFF89ABCDEFu));
    CHECK_V(simd_V128_XOR(a, b), i64(0xF00FF00FFFFFFFFFu, 0xFEDCBA9889ABCDEFu));
    CHECK_V(simd_V128_BITSELECT(a, b, i64(0xFFFFFFFF00000000u, 0x00000000FFFFFFFFu)),
            i64(0xFF00FF000F0F0F0Fu, 0xFFFFFFFF89ABCDEFu));
    CHECK_U(simd_V128_ANY_TRUE(i64(0, 0)), 0);
    CHECK_U(simd_V128_ANY_TRUE(i64(0, 0x8000000000000000u)), 1);
}

static void test_int_arith(void)
{
    w_v128 a = i8(-128, 127, -1, 0, 100, -100, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    w_v128 b = i8(-1, 1, 1, -128, 100, -100, 1, 255, 0, 0, 0, 0, 0, 0, 0, 0);
    CHECK_V(simd_I8X16_ADD(a, b), i8(127, -128, 0, -128, 200, 56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_ADD_SAT_S(a, b),
            i8(-128, 127, 0, -128, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_ADD_SAT_U(a, b),
            i8(255, 128, 255, 128, 200, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_SUB_SAT_S(a, b),
            i8(-127, 126, -2, 127, 0, 0, -2, 2, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_SUB_SAT_U(a, b), i8(0, 126, 254, 0, 0, 0, 254, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_ADD_SAT_S(i16(32767, -32768, -32768, 1, 0, 0, 0, 0),
                                 i16(1, -1, 32767, 32767, 0, 0, 0, 0)),
            i16(32767, -32768, -1, 32767, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_ADD_SAT_U(i16(65535, 32768, 1, 0, 0, 0, 0, 0),
                                 i16(1, 32768, 65534, 0, 0, 0, 0, 0)),
            i16(65535, 65535, 65535, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_SUB_SAT_S(i16(-32768, 32767, 0, 0, 0, 0, 0, 0),
                                 i16(1, -1, -32768, 0, 0, 0, 0, 0)),
            i16(-32768, 32767, 32767, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_SUB_SAT_U(i16(0, 65535, 5, 0, 0, 0, 0, 0), i16(1, 65535, 3, 0, 0, 0, 0, 0)),
            i16(0, 0, 2, 0, 0, 0, 0, 0));

    /* Wrapping multiply, including the products that overflow int. */
    CHECK_V(simd_I16X8_MUL(i16(-1, -32768, 256, 0x7FFF, 0, 0, 0, 0),
                           i16(-1, -32768, 256, 0x7FFF, 0, 0, 0, 0)),
            i16(1, 0, 0, 1, 0, 0, 0, 0));
    CHECK_V(simd_I32X4_MUL(i32(0xFFFFFFFFu, 0x80000000u, 0x10000u, 3),
                           i32(0xFFFFFFFFu, 0x80000000u, 0x10000u, 5)),
            i32(1, 0, 0, 15));
    CHECK_V(simd_I64X2_MUL(i64(0xFFFFFFFFFFFFFFFFu, 0x100000000u),
                           i64(0xFFFFFFFFFFFFFFFFu, 0x100000000u)),
            i64(1, 0));
    CHECK_V(simd_I64X2_ADD(i64(0x7FFFFFFFFFFFFFFFu, 1), i64(1, 0xFFFFFFFFFFFFFFFFu)),
            i64(0x8000000000000000u, 0));
    CHECK_V(simd_I32X4_SUB(i32(0x80000000u, 0, 5, 0), i32(1, 1, 5, 0x80000000u)),
            i32(0x7FFFFFFFu, 0xFFFFFFFFu, 0, 0x80000000u));

    /* abs and neg of the most negative value wrap to itself. */
    CHECK_V(simd_I8X16_ABS(a), i8(-128, 127, 1, 0, 100, 100, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_NEG(a), i8(-128, -127, 1, 0, -100, 100, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_ABS(i16(-32768, -1, 32767, 0, 0, 0, 0, 0)),
            i16(-32768, 1, 32767, 0, 0, 0, 0, 0));
    CHECK_V(simd_I32X4_ABS(i32(0x80000000u, 0xFFFFFFFFu, 7, 0)), i32(0x80000000u, 1, 7, 0));
    CHECK_V(simd_I32X4_NEG(i32(0x80000000u, 0xFFFFFFFFu, 7, 0)),
            i32(0x80000000u, 1, 0xFFFFFFF9u, 0));
    CHECK_V(simd_I64X2_ABS(i64(0x8000000000000000u, 0xFFFFFFFFFFFFFFFEu)),
            i64(0x8000000000000000u, 2));
    CHECK_V(simd_I64X2_NEG(i64(0x8000000000000000u, 1)),
            i64(0x8000000000000000u, 0xFFFFFFFFFFFFFFFFu));

    CHECK_V(simd_I8X16_MIN_S(a, b),
            i8(-128, 1, -1, -128, 100, -100, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_MIN_U(a, b), i8(-128, 1, 1, 0, 100, -100, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_MAX_S(a, b), i8(-1, 127, 1, 0, 100, -100, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_MAX_U(a, b),
            i8(-1, 127, -1, -128, 100, -100, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I32X4_MIN_S(i32(0x80000000u, 5, 0, 0), i32(0x7FFFFFFFu, 0xFFFFFFFFu, 0, 0)),
            i32(0x80000000u, 0xFFFFFFFFu, 0, 0));
    CHECK_V(simd_I32X4_MAX_U(i32(0x80000000u, 5, 0, 0), i32(0x7FFFFFFFu, 0xFFFFFFFFu, 0, 0)),
            i32(0x80000000u, 0xFFFFFFFFu, 0, 0));

    /* avgr_u rounds up and must not lose the carry. */
    CHECK_V(simd_I8X16_AVGR_U(i8(255, 0, 1, 254, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                              i8(255, 1, 2, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            i8(255, 1, 2, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_AVGR_U(i16(65535, 0, 3, 0, 0, 0, 0, 0), i16(65535, 1, 4, 0, 0, 0, 0, 0)),
            i16(65535, 1, 4, 0, 0, 0, 0, 0));

    /* q15mulr_sat_s: rounding, and the one overflowing product. */
    CHECK_V(simd_I16X8_Q15MULR_SAT_S(i16(-32768, -32768, 16384, 1, -1, 0x7FFF, -16384, 3),
                                     i16(-32768, 32767, 16384, 16384, 16384, 0x7FFF, 1, -16384)),
            i16(32767, -32767, 8192, 1, 0, 32766, 0, -1));

    /* dot: (-32768)^2 * 2 = 2^31 wraps to INT32_MIN. */
    CHECK_V(simd_I32X4_DOT_I16X8_S(i16(-32768, -32768, 1, 2, 32767, 32767, -1, 0),
                                   i16(-32768, -32768, 3, 4, 32767, 32767, 5, 0)),
            i32(0x80000000u, 11, 0x7FFE0002u, 0xFFFFFFFBu));

    CHECK_V(simd_I8X16_POPCNT(i8(0, 1, 255, 0x80, 0x55, 0xAA, 0x0F, 7, 0, 0, 0, 0, 0, 0, 0, 0xFE)),
            i8(0, 1, 8, 1, 4, 4, 4, 3, 0, 0, 0, 0, 0, 0, 0, 7));

    CHECK_U(simd_I8X16_ALL_TRUE(splat8(1)), 1);
    CHECK_U(simd_I8X16_ALL_TRUE(i8(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0)), 0);
    CHECK_U(simd_I16X8_ALL_TRUE(i16(0x100, 1, 1, 1, 1, 1, 1, 1)), 1);
    CHECK_U(simd_I16X8_ALL_TRUE(splat8(1)), 1);
    CHECK_U(simd_I32X4_ALL_TRUE(i32(1, 1, 0x10000, 0)), 0);
    CHECK_U(simd_I64X2_ALL_TRUE(i64(0x100000000u, 1)), 1);
    CHECK_U(simd_I64X2_ALL_TRUE(i64(0, 1)), 0);

    CHECK_U(simd_I8X16_BITMASK(i8(-1, 0, -128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80)),
            0x8005u);
    CHECK_U(simd_I16X8_BITMASK(i16(-1, 0x7FFF, 0x8000, 0, 0, 0, 0, -2)), 0x85u);
    CHECK_U(simd_I32X4_BITMASK(i32(0x80000000u, 0x7FFFFFFFu, 0xFFFFFFFFu, 1)), 0x5u);
    CHECK_U(simd_I64X2_BITMASK(i64(1, 0x8000000000000000u)), 0x2u);
}

static void test_shifts(void)
{
    w_v128 a = i8(-128, 1, 0x7F, -1, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    /* Counts are taken modulo the lane width: 9 shifts i8 lanes by 1. */
    CHECK_V(simd_I8X16_SHL(a, 9), i8(0, 2, 0xFE, 0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_SHR_S(a, 7), i8(-1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_SHR_U(a, 0x7FFFFFFFu), i8(1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_SHL(a, 8), a);
    CHECK_V(simd_I16X8_SHL(i16(-1, 1, 0, 0, 0, 0, 0, 0), 15),
            i16(-32768, -32768, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_SHR_S(i16(-32768, 0x4000, 0, 0, 0, 0, 0, 0), 17),
            i16(-16384, 0x2000, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I16X8_SHR_U(i16(-32768, -1, 0, 0, 0, 0, 0, 0), 31), i16(1, 1, 0, 0, 0, 0, 0, 0));
    CHECK_V(simd_I32X4_SHL(i32(1, 0xFFFFFFFFu, 3, 0), 32), i32(1, 0xFFFFFFFFu, 3, 0));
    CHECK_V(simd_I32X4_SHL(i32(1, 0xFFFFFFFFu, 3, 0), 63),
            i32(0x80000000u, 0x80000000u, 0x80000000u, 0));
    CHECK_V(simd_I32X4_SHR_S(i32(0x80000000u, 0x7FFFFFFFu, 0, 0), 31), i32(0xFFFFFFFFu, 0, 0, 0));
    CHECK_V(simd_I32X4_SHR_U(i32(0x80000000u, 0x7FFFFFFFu, 0, 0), 0xFFFFFFFFu), i32(1, 0, 0, 0));
    CHECK_V(simd_I64X2_SHL(i64(1, 3), 64 + 63), i64(0x8000000000000000u, 0x8000000000000000u));
    CHECK_V(simd_I64X2_SHR_S(i64(0x8000000000000000u, 0x4000000000000000u), 62), i64(~1ull, 1));
    CHECK_V(simd_I64X2_SHR_U(i64(0x8000000000000000u, 1), 128 + 63), i64(1, 0));
}

static void test_narrow_extend(void)
{
    w_v128 a = i16(-32768, -129, -128, -1, 0, 127, 128, 32767);
    w_v128 b = i16(255, 256, 1, -1, 0, 0, 0, 0);
    CHECK_V(simd_I8X16_NARROW_I16X8_S(a, b),
            i8(-128, -128, -128, -1, 0, 127, 127, 127, 127, 127, 1, -1, 0, 0, 0, 0));
    CHECK_V(simd_I8X16_NARROW_I16X8_U(a, b),
            i8(0, 0, 0, 0, 0, 127, 128, 255, 255, 255, 1, 0, 0, 0, 0, 0));
    w_v128 c = i32(0x80000000u, 0xFFFF7FFFu, 32768, 0xFFFFFFFFu);
    w_v128 d = i32(65535, 65536, 0x7FFFFFFFu, 0xFFFF8000u);
    CHECK_V(simd_I16X8_NARROW_I32X4_S(c, d),
            i16(-32768, -32768, 32767, -1, 32767, 32767, 32767, -32768));
    CHECK_V(simd_I16X8_NARROW_I32X4_U(c, d), i16(0, 0, 32768, 0, 65535, 65535, 65535, 0));

    w_v128 x = i8(-128, 127, -1, 0, 1, 2, 3, 4, 0x80, 5, 6, 7, 8, 9, 10, 0xFF);
    CHECK_V(simd_I16X8_EXTEND_LOW_I8X16_S(x), i16(-128, 127, -1, 0, 1, 2, 3, 4));
    CHECK_V(simd_I16X8_EXTEND_LOW_I8X16_U(x), i16(128, 127, 255, 0, 1, 2, 3, 4));
    CHECK_V(simd_I16X8_EXTEND_HIGH_I8X16_S(x), i16(-128, 5, 6, 7, 8, 9, 10, -1));
    CHECK_V(simd_I16X8_EXTEND_HIGH_I8X16_U(x), i16(128, 5, 6, 7, 8, 9, 10, 255));
    w_v128 y = i16(-32768, 1, 2, 3, 4, 5, 6, -1);
    CHECK_V(simd_I32X4_EXTEND_LOW_I16X8_S(y), i32(0xFFFF8000u, 1, 2, 3));
    CHECK_V(simd_I32X4_EXTEND_HIGH_I16X8_U(y), i32(4, 5, 6, 0xFFFF));
    w_v128 z = i32(0x80000000u, 1, 2, 0xFFFFFFFFu);
    CHECK_V(simd_I64X2_EXTEND_LOW_I32X4_S(z), i64(0xFFFFFFFF80000000u, 1));
    CHECK_V(simd_I64X2_EXTEND_HIGH_I32X4_S(z), i64(2, ~0ull));
    CHECK_V(simd_I64X2_EXTEND_HIGH_I32X4_U(z), i64(2, 0xFFFFFFFFu));
    CHECK_V(simd_I64X2_EXTEND_LOW_I32X4_U(z), i64(0x80000000u, 1));

    /* extmul: the largest products of each kind. */
    CHECK_V(simd_I16X8_EXTMUL_LOW_I8X16_S(x, x), i16(16384, 16129, 1, 0, 1, 4, 9, 16));
    CHECK_V(simd_I16X8_EXTMUL_HIGH_I8X16_U(x, x), i16(16384, 25, 36, 49, 64, 81, 100, 65025));
    CHECK_V(simd_I32X4_EXTMUL_LOW_I16X8_S(y, y), i32(0x40000000u, 1, 4, 9));
    CHECK_V(simd_I32X4_EXTMUL_HIGH_I16X8_U(y, y), i32(16, 25, 36, 0xFFFE0001u));
    CHECK_V(simd_I32X4_EXTMUL_HIGH_I16X8_S(y, y), i32(16, 25, 36, 1));
    CHECK_V(simd_I64X2_EXTMUL_LOW_I32X4_S(z, z), i64(0x4000000000000000u, 1));
    CHECK_V(simd_I64X2_EXTMUL_HIGH_I32X4_U(z, z), i64(4, 0xFFFFFFFE00000001u));
    CHECK_V(simd_I64X2_EXTMUL_HIGH_I32X4_S(z, z), i64(4, 1));
    CHECK_V(simd_I64X2_EXTMUL_LOW_I32X4_U(z, i32(0xFFFFFFFFu, 0xFFFFFFFFu, 0, 0)),
            i64(0x7FFFFFFF80000000u, 0xFFFFFFFFu));

    CHECK_V(simd_I16X8_EXTADD_PAIRWISE_I8X16_S(splat8(-128)),
            i16(-256, -256, -256, -256, -256, -256, -256, -256));
    CHECK_V(simd_I16X8_EXTADD_PAIRWISE_I8X16_U(splat8(255)),
            i16(510, 510, 510, 510, 510, 510, 510, 510));
    CHECK_V(simd_I32X4_EXTADD_PAIRWISE_I16X8_S(i16(-32768, -32768, 32767, 32767, -1, 1, 0, 0)),
            i32(0xFFFF0000u, 65534, 0, 0));
    CHECK_V(simd_I32X4_EXTADD_PAIRWISE_I16X8_U(i16(-1, -1, 1, 2, 0, 0, 0, 0)),
            i32(131070, 3, 0, 0));
}

static void test_float(void)
{
    /* min/max: NaN wins, -0 < +0. */
    w_v128 r = simd_F32X4_MIN(i32(F32_NZERO, 0, F32_SNAN, 0x3F800000u),
                              i32(0, F32_NZERO, 0x3F800000u, F32_NAN));
    CHECK_U(r.u32[0], F32_NZERO);
    CHECK_U(r.u32[1], F32_NZERO);
    CHECK_U(f32_is_qnan(r.u32[2]), 1);
    CHECK_U(f32_is_qnan(r.u32[3]), 1);
    r = simd_F32X4_MAX(i32(F32_NZERO, 0, 0xFF800000u, 0x3F800000u),
                       i32(0, F32_NZERO, 0x7F800000u, F32_SNAN));
    CHECK_U(r.u32[0], 0);
    CHECK_U(r.u32[1], 0);
    CHECK_U(r.u32[2], 0x7F800000u);
    CHECK_U(f32_is_qnan(r.u32[3]), 1);
    w_v128 d = simd_F64X2_MIN(i64(0, F64_NAN), i64(F64_NZERO, 0));
    CHECK_U(d.u64[0], F64_NZERO);
    CHECK_U(f64_is_qnan(d.u64[1]), 1);
    d = simd_F64X2_MAX(f64(-1.0, 2.0), f64(-2.0, 3.0));
    CHECK_V(d, f64(-1.0, 3.0));

    /* pmin/pmax: b < a ? b : a, bits passed through unchanged. */
    CHECK_V(
        simd_F32X4_PMIN(i32(F32_SNAN, 0, F32_NZERO, 0x40000000u), i32(0, F32_SNAN, 0, 0x3F800000u)),
        i32(F32_SNAN, 0, F32_NZERO, 0x3F800000u));
    CHECK_V(
        simd_F32X4_PMAX(i32(F32_SNAN, 0, F32_NZERO, 0x40000000u), i32(0, F32_SNAN, 0, 0x3F800000u)),
        i32(F32_SNAN, 0, F32_NZERO, 0x40000000u));
    CHECK_V(simd_F64X2_PMIN(i64(0, F64_NZERO), i64(F64_NZERO, 0)), i64(0, F64_NZERO));
    CHECK_V(simd_F64X2_PMAX(f64(1.0, 5.0), f64(2.0, -5.0)), f64(2.0, 5.0));

    /* abs/neg keep NaN payloads. */
    CHECK_V(simd_F32X4_ABS(i32(0xFFA00001u, F32_NZERO, 0xBF800000u, 0)),
            i32(0x7FA00001u, 0, 0x3F800000u, 0));
    CHECK_V(simd_F32X4_NEG(i32(0xFFA00001u, F32_NZERO, 0xBF800000u, 0)),
            i32(0x7FA00001u, 0, 0x3F800000u, F32_NZERO));
    CHECK_V(simd_F64X2_NEG(i64(0x7FF0000000000001u, 0)), i64(0xFFF0000000000001u, F64_NZERO));
    CHECK_V(simd_F64X2_ABS(i64(0xFFF0000000000001u, F64_NZERO)), i64(0x7FF0000000000001u, 0));

    CHECK_V(simd_F32X4_ADD(f32(1.0f, 0x1p-149f, 3e38f, -0.0f), f32(2.0f, 0x1p-149f, 3e38f, -0.0f)),
            f32(3.0f, 0x1p-148f, INFINITY, -0.0f));
    CHECK_V(simd_F32X4_DIV(f32(1.0f, -1.0f, 0.0f, 1.0f), f32(0.0f, 0.0f, 1.0f, 3.0f)),
            f32(INFINITY, -INFINITY, 0.0f, 1.0f / 3.0f));
    CHECK_V(simd_F64X2_SQRT(f64(4.0, 2.0)), f64(2.0, 1.4142135623730951));
    r = simd_F32X4_SQRT(f32(-1.0f, -0.0f, INFINITY, 0.25f));
    CHECK_U(f32_is_nan(r.u32[0]), 1);
    CHECK_U(r.u32[1], F32_NZERO);
    CHECK_U(r.u32[2], 0x7F800000u);
    CHECK_U(r.u32[3], 0x3F000000u);
    r = simd_F32X4_MUL(f32(INFINITY, 0, 0, 0), f32(0.0f, 0, 0, 0));
    CHECK_U(f32_is_nan(r.u32[0]), 1);

    /* Rounding: ties to even for nearest, sign of zero kept. */
    CHECK_V(simd_F32X4_NEAREST(f32(0.5f, 1.5f, 2.5f, -0.5f)), f32(0.0f, 2.0f, 2.0f, -0.0f));
    CHECK_V(simd_F32X4_NEAREST(f32(8388609.0f, -3.5f, 0x1.fffffep-2f, 4.5f)),
            f32(8388609.0f, -4.0f, 0.0f, 4.0f));
    CHECK_V(simd_F32X4_CEIL(f32(-0.5f, 0.1f, -1.5f, 16777215.0f)),
            f32(-0.0f, 1.0f, -1.0f, 16777215.0f));
    CHECK_V(simd_F32X4_FLOOR(f32(-0.5f, 0.1f, -1.5f, -0.0f)), f32(-1.0f, 0.0f, -2.0f, -0.0f));
    CHECK_V(simd_F32X4_TRUNC(f32(-0.5f, 0.9f, -1.5f, 1e30f)), f32(-0.0f, 0.0f, -1.0f, 1e30f));
    CHECK_V(simd_F64X2_NEAREST(f64(2.5, -2.5)), f64(2.0, -2.0));
    CHECK_V(simd_F64X2_NEAREST(f64(4503599627370497.0, 0x1.fffffffffffffp-2)),
            f64(4503599627370497.0, 0.0));
    CHECK_V(simd_F64X2_CEIL(f64(-0.9, 1.0000001)), f64(-0.0, 2.0));
    CHECK_V(simd_F64X2_FLOOR(f64(-0.1, 0.9)), f64(-1.0, 0.0));
    CHECK_V(simd_F64X2_TRUNC(f64(-0.9, 123.9)), f64(-0.0, 123.0));
    r = simd_F32X4_CEIL(i32(F32_SNAN, F32_NAN, 0xFF800000u, 0));
    CHECK_U(f32_is_qnan(r.u32[0]), 1);
    CHECK_U(f32_is_qnan(r.u32[1]), 1);
    CHECK_U(r.u32[2], 0xFF800000u);
}

static void test_convert(void)
{
    /* trunc_sat: NaN -> 0, saturate at both ends, truncate toward zero. */
    CHECK_V(simd_I32X4_TRUNC_SAT_F32X4_S(f32(NAN, 3e9f, -3e9f, -1.9f)),
            i32(0, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu));
    CHECK_V(simd_I32X4_TRUNC_SAT_F32X4_S(f32(2147483520.0f, -2147483648.0f, INFINITY, -INFINITY)),
            i32(2147483520u, 0x80000000u, 0x7FFFFFFFu, 0x80000000u));
    CHECK_V(simd_I32X4_TRUNC_SAT_F32X4_U(f32(NAN, -0.9f, 4294967040.0f, 4294967296.0f)),
            i32(0, 0, 4294967040u, 0xFFFFFFFFu));
    CHECK_V(simd_I32X4_TRUNC_SAT_F32X4_U(f32(-1.0f, 1.9f, -INFINITY, INFINITY)),
            i32(0, 1, 0, 0xFFFFFFFFu));
    CHECK_V(simd_I32X4_TRUNC_SAT_F64X2_S_ZERO(f64(-2147483648.9, 2147483647.9)),
            i32(0x80000000u, 0x7FFFFFFFu, 0, 0));
    CHECK_V(simd_I32X4_TRUNC_SAT_F64X2_S_ZERO(f64(-2147483649.0, NAN)), i32(0x80000000u, 0, 0, 0));
    CHECK_V(simd_I32X4_TRUNC_SAT_F64X2_S_ZERO(f64(2147483648.0, -1.5)),
            i32(0x7FFFFFFFu, 0xFFFFFFFFu, 0, 0));
    CHECK_V(simd_I32X4_TRUNC_SAT_F64X2_U_ZERO(f64(4294967295.9, -0.99)), i32(0xFFFFFFFFu, 0, 0, 0));
    CHECK_V(simd_I32X4_TRUNC_SAT_F64X2_U_ZERO(f64(4294967296.0, NAN)), i32(0xFFFFFFFFu, 0, 0, 0));
    CHECK_V(simd_I32X4_TRUNC_SAT_F64X2_U_ZERO(f64(1e300, -INFINITY)), i32(0xFFFFFFFFu, 0, 0, 0));

    /* convert: u32 -> f32 must round to nearest even from the full 32 bits. */
    CHECK_V(simd_F32X4_CONVERT_I32X4_S(i32(0x80000000u, 0x7FFFFFFFu, 16777217u, 0xFFFFFFFFu)),
            f32(-2147483648.0f, 2147483648.0f, 16777216.0f, -1.0f));
    CHECK_V(simd_F32X4_CONVERT_I32X4_U(i32(0xFFFFFFFFu, 0x80000001u, 16777219u, 0xFFFFFF7Fu)),
            f32(4294967296.0f, 2147483648.0f, 16777220.0f, 4294967040.0f));
    CHECK_V(simd_F32X4_CONVERT_I32X4_U(i32(0xFFFFFF80u, 0, 1, 0x01000001u)),
            f32(4294967296.0f, 0.0f, 1.0f, 16777216.0f));
    CHECK_V(simd_F64X2_CONVERT_LOW_I32X4_S(i32(0x80000000u, 0xFFFFFFFFu, 5, 5)),
            f64(-2147483648.0, -1.0));
    CHECK_V(simd_F64X2_CONVERT_LOW_I32X4_U(i32(0x80000000u, 0xFFFFFFFFu, 5, 5)),
            f64(2147483648.0, 4294967295.0));

    /* demote rounds to nearest even, overflows to inf, and zeroes the top. */
    CHECK_V(simd_F32X4_DEMOTE_F64X2_ZERO(f64(1.0 + 0x1p-24, 1e300)),
            i32(0x3F800000u, 0x7F800000u, 0, 0));
    CHECK_V(simd_F32X4_DEMOTE_F64X2_ZERO(f64(1.0 + 0x1p-24 + 0x1p-50, -0.0)),
            i32(0x3F800001u, F32_NZERO, 0, 0));
    w_v128 r = simd_F32X4_DEMOTE_F64X2_ZERO(i64(F64_NAN, 0x36A0000000000000u));
    CHECK_U(f32_is_qnan(r.u32[0]), 1);
    CHECK_U(r.u32[1], 1); /* 2^-149, the smallest subnormal */
    CHECK_V(simd_F64X2_PROMOTE_LOW_F32X4(i32(0x3F800001u, F32_NZERO, F32_NAN, F32_NAN)),
            f64(1.0 + 0x1p-23, -0.0));
    r = simd_F64X2_PROMOTE_LOW_F32X4(i32(F32_NAN, 1, 0, 0));
    CHECK_U(f64_is_qnan(r.u64[0]), 1);
    CHECK_U(r.u64[1], 0x36A0000000000000u);
}

int main(void)
{
    test_lanes();
    test_compare();
    test_bitwise();
    test_int_arith();
    test_shifts();
    test_narrow_extend();
    test_float();
    test_convert();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
