#!/usr/bin/env bash
# bench/attest.sh [BUILD_DIR] - the cost of attestation and end-to-end
# encryption on a node (docs/attest.md), measured in one run against the
# same requests in the clear (make bench runs it):
#   - a node with a SIMULATED platform key on loopback, the echo function
#     bench/serve/hop.wat deployed;
#   - bench/attest_http.c over one keep-alive connection: attestation
#     round trips (evidence checked), then 1 KiB requests in blocks, in
#     the clear and sealed in turn (sealed, opened, the receipt verified
#     inline, or by a verifier thread while the next requests run), p50
#     of each, the overheads and the time in the monitor;
#   - the monitor's own crypto counters for the sealed requests, and the
#     time its nonce thread spent (receipt signatures, mon_sign.c).
# Runs it RUNS times (default 5) and prints the run with the median
# overhead, then the median of each figure over the runs; the line the
# issue asks for is "e2e overhead 1KiB: N%" (receipts verified
# concurrently), then "e2e overhead 1KiB, receipt verified inline: M%"
# and "monitor added per request: X us". Goals: <= 10% and <= 25 us.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${1:-build}
B=$O/bench-attest
RUNS=${RUNS:-5}
N=${BENCH_N:-2000}
mkdir -p "$B"
wat2wasm bench/serve/hop.wat -o "$B/hop.wasm"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Ifaas -o "$B/attest_http" bench/attest_http.c \
    faas/attest.c faas/client/seal.c faas/client/client.c -lcurl -lsodium -lpthread
tmp=$(mktemp -d)
export WARD_ATTEST_CACHE=$tmp/cache
node=
trap '[ -n "$node" ] && kill $node 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
"$O/ward" client platform-key --new "$tmp/platform.key" >/dev/null
"$O/ward" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --store "$tmp/store" --workers 2 \
    --attest "sim:$tmp/platform.key" >"$tmp/log" 2>&1 &
node=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$tmp/port")
for _ in $(seq 100); do curl -sf "$URL/v1/health" >/dev/null && break; sleep 0.1; done
"$O/ward" client --url "$URL" deploy hop "$B/hop.wasm" >/dev/null
metric() { curl -s "$URL/metrics" | sed -nE "s/^$1 ([0-9.e+-]+)$/\1/p"; }

echo "== attestation and end-to-end encryption, 1 KiB requests, $RUNS runs of $N of each kind"
: >"$tmp/runs"
for r in $(seq "$RUNS"); do
    c0=$(metric ward_monitor_crypto_seconds_total); s0=$(metric ward_monitor_sealed_invocations_total)
    e0=$(metric ward_monitor_evidence_total); n0=$(metric ward_monitor_receipt_nonce_seconds_total)
    i0=$(metric ward_monitor_receipt_nonces_inline_total)
    out=$("$B/attest_http" "$URL" hop "$N" 1024) || { echo "run $r failed"; exit 1; }
    c1=$(metric ward_monitor_crypto_seconds_total); s1=$(metric ward_monitor_sealed_invocations_total)
    e1=$(metric ward_monitor_evidence_total); n1=$(metric ward_monitor_receipt_nonce_seconds_total)
    i1=$(metric ward_monitor_receipt_nonces_inline_total)
    get() { echo "$out" | sed -nE "s/^$1/\1/p"; }
    ov=$(get 'e2e overhead 1KiB: (-?[0-9]+)%$')
    ovi=$(get 'e2e overhead 1KiB, receipt verified inline: (-?[0-9]+)%$')
    add=$(get 'monitor added per request: (-?[0-9.]+) us$')
    att=$(get 'attestation round trip p50: ([0-9]+) us.*')
    # the monitor's crypto counter holds evidence too: the per-evidence share
    # stays in (an upper bound); the refill thread's nonces are counted apart
    crypto=$(awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" 'BEGIN { printf "%.1f", (c1 - c0) / (s1 - s0) * 1e6 }')
    nonce=$(awk -v c0="$n0" -v c1="$n1" -v s0="$s0" -v s1="$s1" 'BEGIN { printf "%.1f", (c1 - c0) / (s1 - s0) * 1e6 }')
    echo "run $r: overhead $ov% (inline receipt check $ovi%), monitor added $add us, attestation $att us, monitor crypto per sealed request $crypto us (open + seal + receipt, with $((e1 - e0)) evidence signed in the same counter) + $nonce us in the nonce thread; $((i1 - i0)) of $((s1 - s0)) receipt nonces made inline (pool empty)"
    printf '%s %s %s %s %s %s|%s\n' "$ov" "$ovi" "$add" "$att" "$crypto" "$nonce" "$(echo "$out" | tr '\n' '|')" >>"$tmp/runs"
done
med() { cut -d'|' -f1 "$tmp/runs" | awk -v c="$1" '{ print $c }' | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p"; }
echo "== the run with the median overhead"
sort -n "$tmp/runs" | sed -n "$(( (RUNS + 1) / 2 ))p" | cut -d'|' -f2- | tr '|' '\n' | sed '/^$/d'
echo "== medians of $RUNS runs (each figure on its own)"
echo "attestation round trip: $(med 4) us"
echo "monitor added per request: $(med 3) us"
echo "monitor crypto per sealed request: $(med 5) us (counter; includes the evidence signed in that run) + $(med 6) us in the nonce thread, off the request path"
echo "e2e overhead 1KiB, receipt verified inline: $(med 2)%"
echo "e2e overhead 1KiB: $(med 1)%"
grep -q "SIMULATED" "$tmp/log" && echo "(platform: SIMULATED sim backend; tsm is not available on this machine)"
