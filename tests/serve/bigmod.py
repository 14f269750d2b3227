#!/usr/bin/env python3
"""bigmod.py OUT.wat FUNCS DATA_KIB SPIN - a large module for tests/serve:
FUNCS small functions (code to validate and compile), DATA_KIB KiB of data
segments, and an _initialize that counts SPIN iterations down, so that a
deploy of it takes a while. _start writes nothing; it exports its memory."""
import sys

out, funcs, data_kib, spin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pages = (data_kib * 1024 + 65535) // 65536 + 1
w = ["(module", f'  (memory (export "memory") {pages})']
for i in range(funcs):
    w.append(f"  (func $f{i} (param i32) (result i32)"
             f" local.get 0 i32.const {i} i32.add i32.const 3 i32.mul"
             f" local.get 0 i32.xor i32.const {i * 7 + 1} i32.rotl)")
chunk = "".join(f"\\{(i * 37) & 0xff:02x}" for i in range(1024))
for k in range(data_kib):
    w.append(f'  (data (i32.const {k * 1024}) "{chunk}")')
w.append("  (func (export \"_initialize\") (local i32)"
         f" i32.const {spin} local.set 0"
         " (loop local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0))")
w.append(f"  (func (export \"_start\") i32.const 7 call $f{funcs - 1} drop)")
w.append(")")
open(out, "w").write("\n".join(w) + "\n")
