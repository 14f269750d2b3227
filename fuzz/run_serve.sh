#!/usr/bin/env bash
# make fuzz-serve: libFuzzer (ASan+UBSan) on the node's parsers of
# outside input, $1 seconds each (default 60): the protocol decoder the
# monitor runs on every message, the gateway's manifest parser, and the
# decoders of evidence, sealed requests and replies and configfs-tsm
# reports (faas/attest.c). Seeds
# from tests/serve/seeds; crashes land in build/fuzz-serve/artifacts/.
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")/.."
out=build/fuzz-serve
mkdir -p "$out/artifacts"
flags="-O1 -g -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude -Ifaas"
clang $flags fuzz/fuzz_proto.c faas/proto.c -o "$out/fuzz_proto"
clang $flags fuzz/fuzz_manifest.c faas/gateway/manifest.c -o "$out/fuzz_manifest" -lcjson
clang $flags fuzz/fuzz_attest.c faas/attest.c -o "$out/fuzz_attest" -lsodium
rc=0
for t in proto manifest attest; do
    mkdir -p "$out/corpus-$t"
    cp tests/serve/seeds/${t}_* "$out/corpus-$t/" 2>/dev/null || true
    [ "$t" = attest ] && cp tests/attest/seeds/* "$out/corpus-$t/"
    "$out/fuzz_$t" "$out/corpus-$t" -max_total_time="$secs" -timeout=10 -max_len=65536 \
        -artifact_prefix="$out/artifacts/" 2>&1 | grep -E '^(#[0-9]+ *DONE|==|SUMMARY|Done)' || true
done
if ls "$out"/artifacts/* >/dev/null 2>&1; then echo "fuzz-serve: crashes in $out/artifacts/"; exit 1; fi
echo "fuzz-serve: no crash in ${secs}s per target"
