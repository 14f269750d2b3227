#!/usr/bin/env bash
# bench/serve.sh [BUILD_DIR] - benchmarks of the serverless node, all in
# one run so the ratios compare like with like (make bench runs it):
#   - inside the monitor (ward-monitor --bench, its own code path, no
#     socket): clone + invoke of a trivial function, p50/p99; chains of
#     L = 1..16 hops of a ward:io copy function, and the cost per hop: the
#     median over L = 2..16 of (p50(L) - p50(1)) / (L - 1); idle trustlets
#     per GiB of RSS (2000 clones of examples/serve/upper);
#   - over HTTP on loopback (a node started here on a free port): the
#     trivial function end to end over keep-alive, p50/p99; the baseline:
#     the same hop function chained by the client through the network,
#     L = 1..16, each hop one HTTP request through the node (gateway and
#     monitor), per hop by the same estimator; throughput with wrk (2
#     threads, 16 connections, 5 s) with its p99;
#   - the trusted computing base in lines: src/ + faas/monitor + faas/proto
#     against the gateway's and the client's.
# The figures the issue asks for are the lines "trustlet clone+invoke p50",
# "chain hop p50", "chain vs http", "idle trustlets per GiB" and
# "http invocations per s".
set -euo pipefail
cd "$(dirname "$0")/.."
O=${1:-build}
B=$O/bench-serve
mkdir -p "$B"
N=${BENCH_N:-5000}
wat2wasm bench/serve/trivial.wat -o "$B/trivial.wasm"
wat2wasm bench/serve/hop.wat -o "$B/hop.wasm"
bash tools/wasm-cc.sh "$B/upper.wasm" examples/serve/upper.c
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$B/serve_http" bench/serve_http.c -lcurl

echo "== inside the monitor ($N invocations)"
mon=$("$O/ward-monitor" --bench "$B/trivial.wasm" "$B/hop.wasm" "$B/upper.wasm" "$N")
echo "$mon"
hop_us=$(echo "$mon" | sed -nE 's/^chain hop p50: ([0-9.]+) us/\1/p')

echo "== over HTTP on loopback"
tmp=$(mktemp -d)
export WARD_ATTEST_CACHE=$tmp/attest-cache # ward client's pins stay in the run's folder
"$O/ward" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --store "$tmp/store" --workers 2 \
    >"$tmp/log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null; wait $node 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$tmp/port")
for _ in $(seq 100); do curl -sf "$URL/v1/health" >/dev/null && break; sleep 0.1; done
"$O/ward" client --url "$URL" deploy trivial "$B/trivial.wasm" >/dev/null
"$O/ward" client --url "$URL" deploy hop "$B/hop.wasm" >/dev/null
http=$("$B/serve_http" "$URL/v1/functions/trivial/invoke" $((N / 5)))
echo "$http" | sed 's/^http/trustlet end-to-end over http/'
hhop=$("$B/serve_http" "$URL/v1/functions/hop/invoke" $((N / 100)) 16)
echo "$hhop" | grep -v ' L='
hhop_us=$(echo "$hhop" | sed -nE 's/^http hop p50: ([0-9.]+) us/\1/p')
awk -v h="$hhop_us" -v m="$hop_us" 'BEGIN { if (m > 0) printf "chain vs http: %.0fx\n", h / m }'
if command -v wrk >/dev/null; then
    w=$(wrk -t2 -c16 -d5s --latency -s bench/serve/post.lua "$URL/v1/functions/trivial/invoke")
    rps=$(echo "$w" | sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p')
    p99=$(echo "$w" | sed -nE 's/^ *99% *([0-9.]+[a-z]+).*/\1/p')
    errs=$(echo "$w" | sed -nE 's/.*Non-2xx or 3xx responses: *([0-9]+).*/\1/p')
    printf 'http invocations per s: %.0f\n' "$rps"
    echo "http p99 under load: $p99 (wrk -t2 -c16 -d5s, ${errs:-0} non-2xx)"
else
    echo "http invocations per s: (wrk not installed)"
fi

echo "== trusted computing base (lines)"
count() { cat "$@" | wc -l | tr -d ' '; }
src=$(count $(git ls-files 'src/*.c' 'src/*.h' 'src/*.def' 'include/ward.h' 'include/ward_errors.h' 'include/ward_wasi.h'))
monl=$(count faas/monitor/*.[ch] faas/proto.[ch] faas/attest.[ch])
gw=$(count faas/gateway/*.[ch] cli/serve.c)
cl=$(count faas/client/*.[ch] cli/client.c)
echo "tcb lines: monitor $((src + monl)) (runtime src/ and headers $src, faas/monitor + proto + attest $monl; + libsodium, libseccomp)"
echo "untrusted lines: gateway $gw (+ libmicrohttpd, cJSON), client $cl (+ libcurl)"
