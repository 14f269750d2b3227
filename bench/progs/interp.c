/* interp.c - a small register bytecode interpreter (switch dispatch) running a
 * Collatz program, and a table-free lexer state machine over random text. */
#include "bench.h"

enum {
    OP_LI,
    OP_MOV,
    OP_ADD,
    OP_ADDI,
    OP_MULI,
    OP_ANDI,
    OP_SHRI,
    OP_JZ,
    OP_JEQI,
    OP_JLE,
    OP_JMP,
    OP_HALT
};

typedef struct {
    uint8_t op, a, b;
    int32_t imm;
} insn;

#define LIMIT 60000

/* r0 = n, r1 = x, r2 = scratch, r5 = total steps, r6 = limit. */
static const insn program[] = {
    /* 0 */ {OP_LI, 0, 0, 1},
    /* 1 */ {OP_LI, 5, 0, 0},
    /* 2 */ {OP_LI, 6, 0, LIMIT},
    /* 3 */ {OP_MOV, 1, 0, 0},   /* loop_n: x = n */
    /* 4 */ {OP_JEQI, 1, 1, 13}, /* loop_x: if x == 1 goto next */
    /* 5 */ {OP_ANDI, 2, 1, 1},
    /* 6 */ {OP_JZ, 2, 0, 10}, /* even? */
    /* 7 */ {OP_MULI, 1, 1, 3},
    /* 8 */ {OP_ADDI, 1, 1, 1},
    /* 9 */ {OP_JMP, 0, 0, 11},
    /* 10 */ {OP_SHRI, 1, 1, 1},
    /* 11 */ {OP_ADDI, 5, 5, 1}, /* total++ and loop */
    /* 12 */ {OP_JMP, 0, 0, 4},
};
/* Index 13 is appended below: "next: n++; if n <= limit goto loop_n; halt". */
static insn code[32];

static uint64_t run(const insn *pc0, uint64_t *r)
{
    const insn *pc = pc0;
    uint64_t steps = 0;
    for (;;) {
        const insn *i = pc++;
        steps++;
        switch (i->op) {
        case OP_LI: r[i->a] = (uint64_t)(int64_t)i->imm; break;
        case OP_MOV: r[i->a] = r[i->b]; break;
        case OP_ADD: r[i->a] += r[i->b]; break;
        case OP_ADDI: r[i->a] = r[i->b] + (uint64_t)(int64_t)i->imm; break;
        case OP_MULI: r[i->a] = r[i->b] * (uint64_t)(int64_t)i->imm; break;
        case OP_ANDI: r[i->a] = r[i->b] & (uint64_t)(int64_t)i->imm; break;
        case OP_SHRI: r[i->a] = r[i->b] >> i->imm; break;
        case OP_JZ:
            if (r[i->a] == 0) pc = pc0 + i->imm;
            break;
        case OP_JEQI:
            if (r[i->a] == (uint64_t)i->b) pc = pc0 + i->imm;
            break;
        case OP_JLE:
            if (r[i->a] <= r[i->b]) pc = pc0 + i->imm;
            break;
        case OP_JMP: pc = pc0 + i->imm; break;
        case OP_HALT: return steps;
        default: return 0;
        }
    }
}

/* The lexer: counts identifiers, numbers and operators in ASCII text. */
enum { S_SPACE, S_IDENT, S_NUM, S_OP };

static void lex(const uint8_t *t, uint32_t n, uint32_t counts[4])
{
    int state = S_SPACE;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        int cls = (c >= 'a' && c <= 'z') || c == '_' ? S_IDENT
                  : c >= '0' && c <= '9'             ? S_NUM
                  : c == ' ' || c == '\n'            ? S_SPACE
                                                     : S_OP;
        switch (state) {
        case S_SPACE:
            if (cls != S_SPACE) counts[cls]++;
            state = cls;
            break;
        case S_IDENT:
            if (cls == S_NUM)
                cls = S_IDENT; /* digits continue an identifier */
            else if (cls != S_SPACE && cls != S_IDENT)
                counts[cls]++;
            state = cls;
            break;
        case S_NUM:
            if (cls == S_IDENT || cls == S_OP) counts[cls]++;
            state = cls;
            break;
        case S_OP:
            if (cls != S_SPACE) counts[cls]++; /* every operator character is its own token */
            state = cls;
            break;
        }
    }
    counts[S_SPACE] = (uint32_t)state;
}

#define TEXT (1u << 20)

int main(void)
{
    uint32_t n = sizeof program / sizeof program[0];
    memcpy(code, program, sizeof program);
    code[n++] = (insn){OP_ADDI, 0, 0, 1};
    code[n++] = (insn){OP_JLE, 0, 6, 3};
    code[n++] = (insn){OP_HALT, 0, 0, 0};

    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz_0123456789    \n+-*/=();";
    uint8_t *text = bench_alloc(TEXT);
    uint32_t s = 8080;
    for (uint32_t i = 0; i < TEXT; i++)
        text[i] = (uint8_t)alphabet[bench_rand(&s) % (sizeof alphabet - 1)];

    uint64_t r[8] = {0};
    uint32_t counts[4] = {0};
    double t0 = bench_now_ms();
    uint64_t steps = run(code, r);
    for (int p = 0; p < 4; p++)
        lex(text, TEXT, counts);
    double t1 = bench_now_ms();

    uint64_t h = bench_mix(bench_mix(BENCH_SEED, steps), r[5]);
    for (int i = 0; i < 4; i++)
        h = bench_mix(h, counts[i]);
    bench_report(h, t1 - t0);
    free(text);
    return 0;
}
