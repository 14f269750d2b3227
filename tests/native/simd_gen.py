#!/usr/bin/env python3
"""simd_gen.py OUTDIR N [SEED] - N random SIMD modules (OUTDIR/simdK.wat) for
the differential fuzzer (tests/native/fuzz.sh): binaryen's generator emits
few v128 instructions, so these cover every operation of src/exec/simd.def
and the v128 loads and lane accesses.

Each module has a memory whose first 1 KiB is random bytes mixed with the
values where lane operations have edges (NaNs, signalling NaNs, -0, infinities,
the integer limits), and exports functions of no parameters that compute a
random expression tree of v128 operations whose leaves load from that memory
(run-time values, so LLVM folds nothing), store the result to memory and
return it. fuzz_native compares results, traps and memory between the tiers.
A few leaves load at the end of the memory, so that traps are compared too.
"""
import os
import random
import re
import sys

DEF = os.path.join(os.path.dirname(__file__), "../../src/exec/simd.def")

EDGES32 = [0x7FC00000, 0xFFC00000, 0x7FA00001, 0xFF800001, 0x80000000, 0x00000000,
           0x7F800000, 0xFF800000, 0x7FFFFFFF, 0x00000001, 0x4F000000, 0xCF000000,
           0x4F800000, 0x3F000000, 0xBF000000, 0x3FC00000, 0x40200000]
EDGES64 = [0x7FF8000000000000, 0x7FF4000000000001, 0xFFF8000000000000, 0x8000000000000000,
           0x7FF0000000000000, 0x41E0000000000000, 0xC1E0000000000000, 0x41F0000000000000,
           0x3FE0000000000000, 0xBFF8000000000000, 0x47EFFFFFE0000000, 0x0000000000000001]


# Float arithmetic of two NaNs may give either NaN's payload (the spec
# leaves it open): x86 gives the first source operand's, and which operand
# that is is the register allocator's choice, in gcc's interpreter as in
# LLVM's code. So the second operand of these never is a NaN: its lanes'
# second-highest bit is cleared (an exponent below all ones), and at most
# one operand is a NaN, whose payload (quieted) the result carries in
# either tier. (A NaN the operation makes, such as 0 * inf, is the
# machine's default NaN in both.)
NAN_EITHER = {"add", "sub", "mul", "div", "min", "max"}
NO_NAN = {"f32x4": "i32x4 0xbfffffff 0xbfffffff 0xbfffffff 0xbfffffff",
          "f64x2": "i64x2 0xbfffffffffffffff 0xbfffffffffffffff"}


def ops():
    out = []
    for line in open(DEF):
        m = re.match(r"SIMD\((\w+),\s*\d+,\s*(\w+),\s*(\d+)\)", line)
        if m:
            name, shape, lanes = m.group(1), m.group(2), int(m.group(3))
            text = name.lower().replace("_", ".", 1)
            out.append((text, shape, lanes))
    return out


def data(rnd):
    b = bytearray(rnd.getrandbits(8) for _ in range(1024))
    for _ in range(48):
        at = rnd.randrange(0, 1024 - 8) & ~3
        if rnd.random() < 0.5:
            b[at:at + 4] = rnd.choice(EDGES32).to_bytes(4, "little")
        else:
            at &= ~7
            b[at:at + 8] = rnd.choice(EDGES64).to_bytes(8, "little")
    for _ in range(24):  # byte and halfword limits
        at = rnd.randrange(0, 1024 - 2)
        b[at:at + 2] = rnd.choice([0x8000, 0x7FFF, 0xFFFF, 0x0080, 0x7F7F, 0x8080]).to_bytes(2, "little")
    return b


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.ops = ops()

    def addr(self, size):
        """(base address, offset) of an access of `size` bytes."""
        r = self.r
        if r.random() < 0.02:  # at the end of the memory: in bounds or a trap
            return "(i32.const %d)" % (65536 - size + r.choice([0, 0, 1, 3])), 0
        return "(i32.const 0)", r.randrange(0, 1024 - size + 1)

    def load(self, ty, size):
        base, off = self.addr(size)
        return "(%s.load offset=%d %s)" % (ty, off, base)

    def scalar(self, c):
        return {"I": lambda: self.load("i32", 4), "L": lambda: self.load("i64", 8),
                "F": lambda: self.load("f32", 4), "D": lambda: self.load("f64", 8)}[c]()

    def vload(self):
        r = self.r
        op, size = r.choice([("v128.load", 16), ("v128.load", 16), ("v128.load8x8_s", 8),
                             ("v128.load8x8_u", 8), ("v128.load16x4_s", 8), ("v128.load16x4_u", 8),
                             ("v128.load32x2_s", 8), ("v128.load32x2_u", 8), ("v128.load8_splat", 1),
                             ("v128.load16_splat", 2), ("v128.load32_splat", 4),
                             ("v128.load64_splat", 8), ("v128.load32_zero", 4),
                             ("v128.load64_zero", 8)])
        base, off = self.addr(size)
        return "(%s offset=%d %s)" % (op, off, base)

    def v(self, depth):
        r = self.r
        if depth <= 0 or r.random() < 0.15:
            if r.random() < 0.12:
                size = r.choice([1, 2, 4, 8])
                lanes = 16 // size
                base, off = self.addr(size)
                return "(v128.load%d_lane offset=%d %d %s %s)" % (size * 8, off, r.randrange(lanes),
                                                                   base, self.v(0))
            return self.vload()
        name, shape, lanes = r.choice(self.ops)
        d = depth - 1
        if shape == "V_V":
            return "(%s %s)" % (name, self.v(d))
        if shape == "VV_V":
            b = self.v(d)
            if name[:5] in NO_NAN and name.split(".")[1] in NAN_EITHER:
                b = "(v128.and %s (v128.const %s))" % (b, NO_NAN[name[:5]])
            return "(%s %s %s)" % (name, self.v(d), b)
        if shape == "VVV_V":
            return "(%s %s %s %s)" % (name, self.v(d), self.v(d), self.v(d))
        if shape == "V_I":
            return "(i32x4.splat (%s %s))" % (name, self.v(d))
        if shape == "VI_V":
            cnt = self.scalar("I") if r.random() < 0.5 else "(i32.const %d)" % r.randrange(0, 200)
            return "(%s %s %s)" % (name, self.v(d), cnt)
        if shape in ("I_V", "L_V", "F_V", "D_V"):
            return "(%s %s)" % (name, self.scalar(shape[0]))
        if shape.startswith("EXTRACT"):
            splat = {"I": "i32x4.splat", "L": "i64x2.splat", "F": "f32x4.splat",
                     "D": "f64x2.splat"}[shape[-1]]
            return "(%s (%s %d %s))" % (splat, name, r.randrange(lanes), self.v(d))
        if shape.startswith("REPLACE"):
            return "(%s %d %s %s)" % (name, r.randrange(lanes), self.v(d), self.scalar(shape[-1]))
        if shape == "SHUFFLE":
            idx = " ".join(str(r.randrange(32)) for _ in range(16))
            return "(%s %s %s %s)" % (name, idx, self.v(d), self.v(d))
        raise ValueError(shape)

    def module(self, nfuncs):
        r = self.r
        body = ["(module", "  (memory (export \"memory\") 1)",
                "  (data (i32.const 0) \"%s\")" % "".join("\\%02x" % x for x in data(r))]
        for k in range(nfuncs):
            e = self.v(r.randrange(1, 5))
            # A lane store now and then, at an in-range address or the end.
            size = r.choice([1, 2, 4, 8])
            lane_store = ""
            if r.random() < 0.3:
                base, off = self.addr(size)
                lane_store = "\n    (v128.store%d_lane offset=%d %d %s (local.get 0))" % (
                    size * 8, off + 2048, r.randrange(16 // size), base)
            body.append("  (func (export \"f%d\") (result v128) (local v128)\n"
                        "    (local.set 0 %s)\n"
                        "    (v128.store offset=%d (i32.const 0) (local.get 0))%s\n"
                        "    (local.get 0))" % (k, e, 4096 + 16 * k, lane_store))
        body.append(")")
        return "\n".join(body) + "\n"


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    rnd = random.Random(seed)
    g = Gen(rnd)
    for i in range(n):
        with open(os.path.join(out, "simd%d.wat" % i), "w") as f:
            f.write(g.module(24))


if __name__ == "__main__":
    main()
