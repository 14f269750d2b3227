/* fibcall.c - call overhead: naive recursive Fibonacci, and a dispatch loop
 * through a table of function pointers (indirect calls). */
#include "bench.h"

static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

typedef uint32_t (*op_fn)(uint32_t acc, uint32_t x);

static uint32_t op_add(uint32_t a, uint32_t x)
{
    return a + x;
}
static uint32_t op_xor(uint32_t a, uint32_t x)
{
    return a ^ (x * 2654435761u);
}
static uint32_t op_rot(uint32_t a, uint32_t x)
{
    return (a << (x & 31)) | (a >> ((32 - (x & 31)) & 31));
}
static uint32_t op_mul(uint32_t a, uint32_t x)
{
    return a * (x | 1);
}
static uint32_t op_sub(uint32_t a, uint32_t x)
{
    return a - (x >> 3);
}
static uint32_t op_mix(uint32_t a, uint32_t x)
{
    return (a ^ (a >> 15)) + x;
}
static uint32_t op_neg(uint32_t a, uint32_t x)
{
    return ~a + (x & 0xff);
}
static uint32_t op_max(uint32_t a, uint32_t x)
{
    return a > x ? a - x : x - a;
}

/* Not const: the compiler must not turn the indirect calls into a switch. */
static op_fn ops[8] = {op_add, op_xor, op_rot, op_mul, op_sub, op_mix, op_neg, op_max};

#define CALLS 12000000u

int main(int argc, char **argv)
{
    (void)argv;
    uint32_t n = 30 + (uint32_t)(argc > 100); /* opaque to the optimiser */
    uint8_t *sel = bench_alloc(4096);
    uint32_t s = 606;
    for (int i = 0; i < 4096; i++)
        sel[i] = (uint8_t)(bench_rand(&s) & 7);

    double t0 = bench_now_ms();
    uint32_t f = fib(n);
    uint32_t acc = 1;
    for (uint32_t i = 0; i < CALLS; i++)
        acc = ops[sel[i & 4095]](acc, i);
    double t1 = bench_now_ms();

    bench_report(bench_mix(bench_mix(BENCH_SEED, f), acc), t1 - t0);
    free(sel);
    return 0;
}
