#!/usr/bin/env python3
"""fastloop_gen.py OUT_DIR COUNT SEED - modules of random loops of the shape
that gets a fast copy in native code (docs/native.md, "Fast loops"), for the
differential fuzz target (fuzz/fuzz_native.c: every export is called and
the two tiers must agree on results, traps and every byte of memory).

Each module has one page of memory: x (f64 and f32 values, among them
signalling and quiet NaNs, -0, denormals), y and w (finite, small) and an
output area z. Each export is a loop over j that stores z[j] (and, unrolled
by two, z[j+1]) = an expression of x, y, w, constants (among them the ones
LLVM folds with: +-0, +-1) and float operations; its bases, count and step
are constants, some running off the end of memory in the middle of the loop
(a trap with the stores before it done). At most one x value enters an
expression, and values stay small, so no operation meets two NaNs: the
result's NaN bits do not depend on the order of operands (which the spec
leaves open and LLVM may change). Deterministic for a seed.
"""
import random
import struct
import sys

PAGE = 65536


def f64_bits(r):
    k = r.random()
    if k < 0.10:
        return r.choice([0x7FF0000000000001, 0x7FF4000000000000, 0xFFF0000000000123,
                         0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000000abc])
    if k < 0.20:
        return r.choice([0x8000000000000000, 0, 0x0000000000000001, 0x800000000000ffff])
    return struct.unpack("<Q", struct.pack("<d", r.uniform(-100, 100)))[0]


def f32_bits(r):
    k = r.random()
    if k < 0.10:
        return r.choice([0x7F800001, 0x7FA00000, 0xFF800123, 0x7FC00000, 0xFFC00000])
    if k < 0.20:
        return r.choice([0x80000000, 0, 1, 0x8000ffff])
    return struct.unpack("<I", struct.pack("<f", r.uniform(-100, 100)))[0]


def finite(r, t):
    v = r.uniform(-50, 50)
    return struct.unpack("<Q" if t == "f64" else "<I", struct.pack("<d" if t == "f64" else "<f", v))[0]


CONSTS = ["0", "-0", "1", "-1", "2", "0.5", "-3.25", "1e-3"]


def expr(r, t, depth, used_x, j):
    """A float expression of type t; j is the index expression (text)."""
    sz = 8 if t == "f64" else 4
    sh = 3 if t == "f64" else 2

    def load(base, d):
        return f"({t}.load offset={base + d * sz} (i32.shl {j} (i32.const {sh})))"

    leaves = ["y", "w", "c", "c"] + ([] if used_x[0] else ["x", "x"])
    if depth == 0 or r.random() < 0.3:
        k = r.choice(leaves)
        if k == "x":
            used_x[0] = True
            return load(XB[t], r.randrange(0, 3))
        if k == "y":
            return load(YB[t], r.randrange(0, 3))
        if k == "w":
            return load(WB[t], r.randrange(0, 3))
        return f"({t}.const {r.choice(CONSTS)})"
    op = r.choice(["add", "sub", "mul", "div", "add", "mul", "neg", "abs", "min", "max"])
    if op in ("neg", "abs"):
        return f"({t}.{op} {expr(r, t, depth - 1, used_x, j)})"
    a = expr(r, t, depth - 1, used_x, j)
    b = expr(r, t, depth - 1, used_x, j)
    if op == "div" and r.random() < 0.7:
        b = f"({t}.const {r.choice(['1', '-1', '2', '0.5'])})"
    return f"({t}.{op} {a} {b})"


XB = {"f64": 0x1000, "f32": 0x5000}
YB = {"f64": 0x2000, "f32": 0x6000}
WB = {"f64": 0x3000, "f32": 0x7000}
ZB = 0x8000


def loop_func(r, name):
    t = r.choice(["f64", "f64", "f32"])
    sz = 8 if t == "f64" else 4
    sh = 3 if t == "f64" else 2
    unroll = r.random() < 0.35
    step = 2 if unroll else 1
    n = r.randrange(1, 200) * step
    # the output base: mostly inside, sometimes running off the end
    zb = r.choice([ZB, ZB + 8, PAGE - sz * r.randrange(1, 300), PAGE - sz * (n // 2 + 1)])
    zb -= zb % sz
    j = "(local.get $j)"
    body = []
    for u in range(step):
        jj = j if u == 0 else f"(i32.add {j} (i32.const {u}))"
        e = expr(r, t, r.randrange(1, 4), [False], jj)
        body.append(f"({t}.store offset={zb} (i32.shl {jj} (i32.const {sh})) {e})")
    cond = r.choice(["lt_s", "lt_u", "ne"])
    return f"""  (func (export "{name}") (local $j i32)
    (loop $l
      {' '.join(body)}
      (local.set $j (i32.add {j} (i32.const {step})))
      (br_if $l (i32.{cond} {j} (i32.const {n})))))
"""


def module(r, nfuncs):
    data = bytearray(PAGE)
    for t, (bits, width) in (("f64", (f64_bits, 8)), ("f32", (f32_bits, 4))):
        for i in range(0x1000 // width):
            fmt = "<Q" if width == 8 else "<I"
            struct.pack_into(fmt, data, XB[t] + i * width, bits(r))
            struct.pack_into(fmt, data, YB[t] + i * width, finite(r, t))
            struct.pack_into(fmt, data, WB[t] + i * width, finite(r, t))
    init = data[0x1000:0x8000]
    esc = "".join(f"\\{b:02x}" for b in init)
    funcs = "".join(loop_func(r, f"l{i}") for i in range(nfuncs))
    return f"""(module
  (memory (export "memory") 1)
  (data (i32.const 0x1000) "{esc}")
{funcs})
"""


def main():
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    for i in range(count):
        with open(f"{out}/fastloop{i}.wat", "w") as f:
            f.write(module(r, 12))


if __name__ == "__main__":
    main()
