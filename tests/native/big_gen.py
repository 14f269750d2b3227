#!/usr/bin/env python3
"""big_gen.py N - a module whose functions LLVM -O2 compiles in time
superlinear in N (docs/native.md, "Large functions"), for tests/native/run.sh.

"loads" (param a i32) (result i64): N loads from a + i (unaligned, some past
the end when a is large) into N locals, N stores of them at a + 8i + 4096,
then their sum read back. "ifs" (param c i32) (result i64): N ifs on c, each
setting its own local from a constant or a load, then the sum of them all.
Every local lives from its definition to the end: the shape that took
minutes (the spec suite's skip-stack-guard-page module is the first)."""
import sys

n = int(sys.argv[1])
locs = " ".join(["(local i64)"] * n)
loads = []
for i in range(n):
    loads.append(f"(local.set {i + 1} (i64.load offset={i} align=1 (local.get 0)))")
for i in range(n):
    loads.append(f"(i64.store offset={4096 + 8 * i} align=1 (local.get 0) (local.get {i + 1}))")
ifs = []
for i in range(n):
    ifs.append(f"(if (i32.and (local.get 0) (i32.const {1 << (i % 31)})) "
               f"(then (local.set {i + 1} (i64.const {i * 7919}))) "
               f"(else (local.set {i + 1} (i64.load offset={8 * i} (i32.const 0)))))")


def total(first):
    s = "(i64.const 0)"
    for i in range(n):
        s = f"(i64.add {s} {first(i)})"
    return s


data = bytes((i * 37 + 11) & 255 for i in range(4096)).hex()
data = "".join("\\" + data[k:k + 2] for k in range(0, len(data), 2))
print(f"""(module (memory 1) (data (i32.const 0) "{data}")
(func (export "loads") (param i32) (result i64) {locs}
{chr(10).join(loads)}
{total(lambda i: f"(i64.load offset={4096 + 8 * i} align=1 (local.get 0))")})
(func (export "ifs") (param i32) (result i64) {locs}
{chr(10).join(ifs)}
{total(lambda i: f"(local.get {i + 1})")}))""")
