#!/usr/bin/env bash
# make fuzz-native: the native tier against the interpreter
# (fuzz/fuzz_native.c) under libFuzzer for $1 seconds (default 60), seeded
# with the spec suite's modules. A difference aborts and lands in
# build/fuzz-native/artifacts/.
#
# Only the code generator (native/) and the target are compiled by clang
# with coverage, ASan and UBSan; the library's objects are the normal
# build's (make's $O, gcc). clang 14 at -O1 or -O2 does not finish
# src/exec/interp.c with -fsanitize=fuzzer (it grew past 20 GB here), and
# the interpreter is the reference side of this target, not what it tests.
set -euo pipefail
secs=${1:-60}
O=${2:-build}
cd "$(dirname "$0")/.."
. fuzz/libfuzzer.sh
out=build/fuzz-native
llvm_config=${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config}
mkdir -p "$out/corpus" "$out/artifacts"
make -s "$O/libward-internal.a"
clang -O1 -g -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -Iinclude -Isrc -I"$("$llvm_config" --includedir)" \
    native/*.c tests/spec/spectest.c fuzz/fuzz_native.c "$O/libward-internal.a" \
    -o "$out/fuzz_native" $("$llvm_config" --ldflags --libs) -lm -lpthread
if [ -z "$(ls -A "$out/corpus")" ]; then
    [ -d build/spec-json ] || make -s build/spec-json/.stamp
    find build/spec-json -name '*.wasm' -size -64k -exec cp -t "$out/corpus" {} + 2>/dev/null || true
fi
fuzz_run fuzz-native "$out/fuzz_native" "$out" "$secs" 120 8192
