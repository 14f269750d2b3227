#!/usr/bin/env bash
# examples/serve/run.sh [BUILD_DIR] - the README's main job (make example):
# starts a ward serverless node on loopback with a temporary store, deploys
# the bundled functions, invokes them and a chain through `ward client`,
# prints the results and the timings, and stops the node. The node runs
# with a SIMULATED platform key (docs/attest.md): the client checks the
# node's evidence and seals every input and output end to end.
#   upper.c    a plain WASI command (stdin -> stdout), upper-cases its input
#   reverse.c  a ward:io function: reverses its input in place, no copies
#   wc.c       a plain WASI command: lines, words and bytes of its input
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-build}
for f in upper reverse wc; do
    bash tools/wasm-cc.sh "$O/examples/serve/$f.wasm" "examples/serve/$f.c" -Iinclude
done
tmp=$(mktemp -d)
export WARD_ATTEST_CACHE=$tmp/pins
"$O/ward" client platform-key --new "$tmp/platform.key" >"$tmp/platform.pub"
"$O/ward" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --store "$tmp/store" \
    --attest "sim:$tmp/platform.key" >"$tmp/node.log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null || true; wait $node 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
export WARD_URL=http://127.0.0.1:$(cat "$tmp/port")
for _ in $(seq 100); do "$O/ward" client health >/dev/null 2>&1 && break; sleep 0.1; done
head -n 1 "$tmp/node.log"
c() { echo "\$ ward client $*" >&2; "$O/ward" client "$@"; }

echo "== deploy: each function is validated, compiled, instantiated once (its template) and measured"
for f in upper reverse wc; do c deploy "$f" "$O/examples/serve/$f.wasm"; done
echo
echo "== attest: the node's evidence for upper, checked against the pinned platform key"
c attest upper --platform-key "$tmp/platform.pub"
echo
echo "== invoke: each request is sealed to the monitor and runs in a fresh copy-on-write clone"
c -v invoke upper --file examples/serve/input.txt
c -v invoke reverse --data "stressed"; echo
echo
echo "== a chain: upper's output pages are mapped read-only into reverse, then wc"
c chain define shout upper reverse
c -v chain invoke shout --data "ward: trustlets in a chain"; echo
c chain define count upper reverse wc
c -v chain invoke count --file examples/serve/input.txt
echo
echo "== a fan-out: upper and reverse get the same input pages; outputs joined"
c chain define both upper,reverse
c -v chain invoke both --data "abc "; echo
echo
echo "== the node's metrics (part)"
"$O/ward" client stats | grep -E '^ward_(invocations_total|monitor_clones_total|monitor_clone_seconds_total|monitor_templates|monitor_trustlets_alive) '
echo
kill "$node"
wait "$node" 2>/dev/null || true
tail -n 1 "$tmp/node.log"
