#!/usr/bin/env bash
# tests/native/fuzz.sh [O] [N] - the differential fuzz target
# (fuzz/fuzz_native.c: native tier against the interpreter) over N modules
# (default 48) that binaryen generates (wasm-opt -ttf, from a fixed seed, so
# a run is repeatable) and N/4 SIMD modules from simd_gen.py (also from a
# fixed seed), then 100 mutations per batch of them; and N/4 modules of
# loops with fast copies from fastloop_gen.py (fixed seed, not mutated).
# Any difference aborts. Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
O=${1:-${O:-build}}
N=${2:-48}
out=$O/native-fuzz
mkdir -p "$out/mods"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Iinclude -o "$out/fuzz_native" fuzz/fuzz_native.c \
    fuzz/fuzz_driver.c tests/spec/spectest.c "$O/libward-native.a" \
    $(/usr/lib/llvm-19/bin/llvm-config --ldflags --libs) -lm -lpthread \
    || { echo "building fuzz_native failed"; echo "0 passed, 1 failed"; exit 1; }
rm -f "$out"/mods/*
python3 - "$out/mods" "$N" <<'PY'
import random, sys
random.seed(16)
for i in range(int(sys.argv[2])):
    open(f"{sys.argv[1]}/in{i}.bin", "wb").write(bytes(random.getrandbits(8) for _ in range(2048)))
PY
mods=()
for f in "$out"/mods/*.bin; do
    w=${f%.bin}.wasm
    # MVP + the features ward's interpreter has; no exceptions/GC/threads.
    wasm-opt -ttf "$f" -o "$w" --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-simd --enable-multivalue \
        >/dev/null 2>&1 && mods+=("$w")
done
# binaryen emits few v128 instructions: N/4 modules of random v128
# expression trees over every SIMD operation as well (simd_gen.py).
python3 tests/native/simd_gen.py "$out/mods" $(((N + 3) / 4)) 16
for f in "$out"/mods/simd*.wat; do
    w=${f%.wat}.wasm
    wat2wasm "$f" -o "$w" && mods+=("$w") || { echo "simd_gen: $f does not assemble"; echo "0 passed, 1 failed"; exit 1; }
done
pass=0; fail=0
# Nor loops of the shape that gets a fast copy (docs/native.md, "Fast
# loops"): N/4 modules of them (fastloop_gen.py), with NaNs in their data
# and loops that trap in the middle; as generated, not mutated (a mutant
# may meet two NaNs in one operation, whose result's bits the spec leaves
# open, and the target compares memory bit for bit), with NaN signs left
# open (FUZZ_NATIVE_NAN_SIGN: LLVM may move a negation in a fast copy).
python3 tests/native/fastloop_gen.py "$out/mods" $(((N + 3) / 4)) 16
fl=()
for f in "$out"/mods/fastloop*.wat; do
    w=${f%.wat}.wasm
    wat2wasm "$f" -o "$w" && fl+=("$w") || { echo "fastloop_gen: $f does not assemble"; echo "0 passed, 1 failed"; exit 1; }
done
if FUZZ_NATIVE_NAN_SIGN=1 timeout 600 "$out/fuzz_native" 0 "${fl[@]}" >"$out/log" 2>&1; then
    pass=$((pass + ${#fl[@]})); grep fuzz_native: "$out/log"
else
    fail=$((fail + 1)); echo "FAIL: fastloop_gen's modules"; tail -3 "$out/log"
fi
for ((i = 0; i < ${#mods[@]}; i += 32)); do
    batch=("${mods[@]:i:32}")
    if timeout 600 "$out/fuzz_native" 100 "${batch[@]}" >"$out/log" 2>&1; then
        pass=$((pass + ${#batch[@]})); grep fuzz_native: "$out/log"
    else
        fail=$((fail + 1)); echo "FAIL: batch from ${batch[0]}"; tail -3 "$out/log"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
