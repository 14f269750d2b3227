#!/usr/bin/env bash
# make fuzz: builds the libFuzzer target with ASan+UBSan and runs it for
# $1 seconds (default 60), seeded with every module of the spec suite.
# Crashes, and runs that break the budget oracle (fuzz_one.h), land in
# build/fuzz/artifacts/; copy each into tests/regress/ so that `make test`
# replays it.
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")/.."
. fuzz/libfuzzer.sh
out=build/fuzz
mkdir -p "$out/corpus" "$out/artifacts"
clang -O1 -g -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -Iinclude -Isrc -Ifuzz \
    src/*/*.c tests/spec/spectest.c fuzz/fuzz_module.c -o "$out/fuzz_module" -lm -lpthread
if [ -z "$(ls -A "$out/corpus")" ]; then
    [ -d build/spec-json ] || make -s build/spec-json/.stamp
    find build/spec-json -name '*.wasm' -size -64k -exec cp -t "$out/corpus" {} + 2>/dev/null || true
    cp tests/regress/*.wasm "$out/corpus" 2>/dev/null || true
    # Cage's instructions (tests/cage/run.sh builds these; no imports)
    cp build/cage/cage64.wasm build/cage/grow.wasm "$out/corpus" 2>/dev/null || true
fi
fuzz_run fuzz "$out/fuzz_module" "$out" "$secs" 10 4096
