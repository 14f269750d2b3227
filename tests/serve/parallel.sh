#!/usr/bin/env bash
# tests/serve/parallel.sh [BUILD_DIR] - one template per function, shared
# by every worker, and fan-out branches running on several workers at once
# (tests/serve/run.sh runs it). Its own node on a free loopback port, with
# a temporary store; every wait is bounded, every response checked.
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
source tests/serve/lib.sh "${1:-build}"

G=$O/serve-test
mkdir -p "$G"
bash tools/wasm-cc.sh "$G/wait.wasm" tests/serve/guests/wait.c -Iinclude || bad "build wait" "does not compile"
bash tools/wasm-cc.sh "$G/upper.wasm" examples/serve/upper.c -Iinclude || bad "build upper" "does not compile"

"$W" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --store "$tmp/store" --workers 4 "${NODE_TIER[@]}" \
    >"$tmp/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$tmp/port" 2>/dev/null)
up=0
for _ in $(seq 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/v1/health")" = 200 ] && { up=1; break; }
    sleep 0.1
done
[ "$up" = 1 ] && ok "node with 4 workers starts" || give_up "node starts" "$(cat "$tmp/node.log")"
C() { WC --url "$URL" "$@"; }
req() { # method path [curl args...] -> "CODE BODY"
    local m=$1 p=$2; shift 2
    local out
    out=$(curl -s --max-time 30 -X "$m" -w '\n%{http_code}' "$@" "$URL$p")
    echo "${out##*$'\n'} ${out%$'\n'*}"
}
metric() { curl -s --max-time 5 "$URL/metrics" | sed -nE "s/^$1 ([0-9]+).*/\1/p"; }
ms_of() { # the milliseconds a command takes; its output in $tmp/out
    local t0; t0=$(date +%s%N)
    "$@" >"$tmp/out" 2>>"$tmp/client.err"
    echo $((($(date +%s%N) - t0) / 1000000))
}

# ---- one template per function, made at deploy ----------------------------------
for f in w1 w2 w3 w4; do
    req PUT /v1/functions/$f --data-binary @"$G/wait.wasm" -H 'X-Ward-Manifest: {"init":"setup","wasi":{"clocks":true,"random":true}}' \
        | grep -q '^201' && ok "deploy $f (init: setup)" || bad "deploy $f" "not 201"
done
C deploy upper "$G/upper.wasm" >/dev/null
check "templates: one per function, before any invocation" "5" "$(metric ward_monitor_templates)"
# 24 concurrent invocations of w1 reach every worker; all are clones of the
# one template: the same random number drawn once by its init, which ran
# once, and no invocation's change (setups += 100) is seen by another.
pids=()
for i in $(seq 24); do (curl -s --max-time 30 -X POST -d seed "$URL/v1/functions/w1/invoke" >"$tmp/seed$i") & pids+=($!); done
wait "${pids[@]}"
seeds=$(cat "$tmp"/seed* | sort | uniq -c | awk '{print $1, $3}')
check "24 concurrent invocations: one template state, init ran once" "24 1" "$seeds"
other=$(req POST /v1/functions/w2/invoke -d seed | cut -d' ' -f2)
[ -n "$other" ] && [ "$other" != "$(cut -d' ' -f1 <"$tmp/seed1")" ] &&
    ok "another function has its own template" || bad "w2's template" "[$other]"
pids=()
for i in $(seq 8); do C invoke upper --data x >/dev/null & pids+=($!); done
wait "${pids[@]}"
check "templates after invocations on 4 workers" "5" "$(metric ward_monitor_templates)"
req PUT /v1/functions/w4 --data-binary @"$G/wait.wasm" -H 'X-Ward-Manifest: {"init":"setup","limits":{"timeout_ms":300},"wasi":{"clocks":true,"random":true}}' >/dev/null
check "a redeployed function gets a new template" "[w4]" "$(req POST /v1/functions/w4/invoke -d 1 | cut -d' ' -f2)"
templates=$(metric ward_monitor_templates)
check "templates after a redeploy (the old one freed)" "5" "$templates"

# ---- fan-out on several workers ------------------------------------------------
C chain define par w1,w2,w3 >/dev/null
ms=$(ms_of C chain invoke par --data 400)
check "fan-out of 3: outputs joined in order" "[w1][w2][w3]" "$(cat "$tmp/out")"
# Sequentially the branches would take at least 1200 ms; at once about 400.
if [ "$ms" -ge 400 ] && [ "$ms" -lt 1100 ]; then ok "fan-out of 3 x 400 ms runs in parallel (${ms} ms)"
else bad "fan-out in parallel" "${ms} ms (sequential would be >= 1200)"; fi
C chain define wide w1,w2,w3,w1,w2,w3,w1,w2 upper >/dev/null
check "fan-out of 8 on 4 workers, then a step" "[W1][W2][W3][W1][W2][W3][W1][W2]" "$(C chain invoke wide --data 20)"
C chain define two upper w1,w2 w3 >/dev/null
check "a fan-out step inside a chain" "[w3]" "$(C chain invoke two --data 10)"
# A branch past its timeout fails the step, named; the others' outputs are dropped.
C chain define late w1,w4,w2 >/dev/null
r=$(req POST /v1/chains/late/invoke -d 1000)
if [ "${r%% *}" = 504 ] && echo "$r" | grep -q '"step":0' && echo "$r" | grep -q 'w4'; then
    ok "a branch timing out ends the chain, naming the step and function"
else bad "branch timeout" "$r"; fi
check "after a failed fan-out" "[w1][w2][w3]" "$(C chain invoke par --data 1)"
# Several fan-outs at once: every answer whole and in order.
pids=()
for i in 1 2 3 4 5 6; do (C chain invoke par --data 50 >"$tmp/par$i" 2>>"$tmp/client.err") & pids+=($!); done
wait "${pids[@]}"
good=0
for i in 1 2 3 4 5 6; do [ "$(cat "$tmp/par$i")" = "[w1][w2][w3]" ] && good=$((good + 1)); done
check "6 fan-outs at once, each joined in order" "6" "$good"
check "nothing left running" "0" "$(metric ward_monitor_trustlets_alive)"
req DELETE /v1/functions/upper >/dev/null
check "templates after a delete" "4" "$(metric ward_monitor_templates)"

kill "$node_pid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
wait "$node_pid" 2>/dev/null
node_pid=
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
