#!/usr/bin/env bash
# bench/serve_tenants.sh [BUILD_DIR] - tenant isolation (run by
# bench/serve.sh): a node with 2 workers and two tenants; tenant a may run
# 1 invocation at once (its share: half the workers). Tenant b's latency
# (2 clients, keep-alive, every answer checked) alone, then while tenant a floods with 6 clients (more
# than its limit: the rest get 429) calling a function that runs to its
# 500 ms timeout, one that traps and a trivial one. Medians of RUNS runs.
# Prints "tenant isolation p50 under load: R x" and "... p99 ...: R x".
set -euo pipefail
cd "$(dirname "$0")/.."
O=${1:-build}
B=$O/bench-serve
mkdir -p "$B"
N=${BENCH_TENANT_N:-2000}
RUNS=${BENCH_TENANT_RUNS:-3}
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$B/tenant_load" bench/tenant_load.c -lcurl
bash tools/wasm-cc.sh "$B/upper.wasm" examples/serve/upper.c
bash tools/wasm-cc.sh "$B/bad.wasm" tests/serve/guests/bad.c -Iinclude
tmp=$(mktemp -d)
"$O/ward" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --store "$tmp/store" --workers 2 \
    --tenant a:tok-a:16:1:1G --tenant b:tok-b:16:4:1G >"$tmp/log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null; wait $node 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$tmp/port")
for _ in $(seq 100); do curl -sf "$URL/v1/health" >/dev/null && break; sleep 0.1; done
put() { # token name wasm manifest
    curl -sf -X PUT -H "Authorization: Bearer $1" -H "X-Ward-Manifest: $4" --data-binary @"$3" \
        "$URL/v1/functions/$2" >/dev/null
}
put tok-a burn "$B/bad.wasm" '{"limits":{"timeout_ms":500}}'
put tok-a crash "$B/bad.wasm" '{}'
put tok-a up "$B/upper.wasm" '{}'
put tok-b up "$B/upper.wasm" '{}'
victim() { # prints "p50 p99" of b's 2 clients together (the worse of the two)
    "$B/tenant_load" "$URL/v1/functions/up/invoke" tok-b "$N" >"$tmp/v1" &
    local p=$!
    "$B/tenant_load" "$URL/v1/functions/up/invoke" tok-b "$N" >"$tmp/v2"
    wait "$p"
    awk '$1 == "p50" && $2 > p50 { p50 = $2 } $1 == "p99" && $2 > p99 { p99 = $2 }
         END { print p50, p99 }' "$tmp/v1" "$tmp/v2"
}
"$B/tenant_load" "$URL/v1/functions/up/invoke" tok-b 200 >/dev/null # warm up
for r in $(seq "$RUNS"); do
    victim >>"$tmp/alone"
    fl=()
    for c in 1 2 3 4 5 6; do "$B/tenant_load" --flood "$URL/v1/functions" tok-a 600 & fl+=($!); done
    sleep 0.5
    victim >>"$tmp/loaded"
    kill "${fl[@]}" 2>/dev/null || true
    wait "${fl[@]}" 2>/dev/null || true
done
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a50=$(cut -d' ' -f1 "$tmp/alone" | med); a99=$(cut -d' ' -f2 "$tmp/alone" | med)
l50=$(cut -d' ' -f1 "$tmp/loaded" | med); l99=$(cut -d' ' -f2 "$tmp/loaded" | med)
echo "tenant b alone: p50 $a50 us, p99 $a99 us; under tenant a's flood: p50 $l50 us, p99 $l99 us ($RUNS runs of 2 x $N, medians)"
awk -v a="$a50" -v l="$l50" 'BEGIN { printf "tenant isolation p50 under load: %.1fx\n", l / a }'
awk -v a="$a99" -v l="$l99" 'BEGIN { printf "tenant isolation p99 under load: %.1fx\n", l / a }'
