#!/usr/bin/env bash
# tests/serve/run.sh [BUILD_DIR] - end-to-end tests of the serverless node
# (ward serve, ward client, the HTTP API of docs/serve.md) on loopback.
# Every node is started and stopped here, on a free port, with a store in a
# temporary folder; every wait and loop is bounded in count and time, and
# every response is checked. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
O=${1:-build}
W=$O/ward
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1 [${SECONDS}s]"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
check() { # name expected actual
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected [$2], got [$3]"; fi
}
tmp=$(mktemp -d)
export WARD_ATTEST_CACHE=$tmp/attest-cache # what ward client pins (docs/attest.md)
node_pid=
cleanup() {
    [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- guests ----------------------------------------------------------------
G=$O/serve-test
mkdir -p "$G"
for f in upper wc reverse; do
    bash tools/wasm-cc.sh "$G/$f.wasm" "examples/serve/$f.c" -Iinclude || { bad "build $f" "does not compile"; }
done
for f in bad secret poke; do
    bash tools/wasm-cc.sh "$G/$f.wasm" "tests/serve/guests/$f.c" -Iinclude || { bad "build $f" "does not compile"; }
done

# ---- the parsers, fuzzed with a fixed seed (make fuzz-serve runs libFuzzer) ----
FZ="-std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Iinclude -Ifaas"
if cc $FZ -o "$G/fuzz_proto" fuzz/fuzz_proto.c fuzz/fuzz_driver.c faas/proto.c; then
    out=$(timeout 120 "$G/fuzz_proto" 300000 tests/serve/seeds/proto_*.bin 2>&1) &&
        ok "protocol decoder: $out without a crash" || bad "protocol decoder fuzz" "$out"
else bad "protocol fuzz driver" "does not compile"; fi
if cc $FZ -o "$G/fuzz_manifest" fuzz/fuzz_manifest.c fuzz/fuzz_driver.c faas/gateway/manifest.c -lcjson; then
    out=$(timeout 120 "$G/fuzz_manifest" 100000 tests/serve/seeds/manifest_*.json 2>&1) &&
        ok "manifest parser: $out without a crash" || bad "manifest parser fuzz" "$out"
else bad "manifest fuzz driver" "does not compile"; fi

# ---- random bytes on the monitor's socket -----------------------------------
if out=$(timeout 180 python3 tests/serve/monitor_socket.py "$O/ward-monitor" 2>&1); then
    ok "monitor socket: $(echo "$out" | tail -n 1)"
else bad "monitor socket" "$(echo "$out" | grep -E 'FAIL|passed' | head -5)"; fi

# ---- a node ----------------------------------------------------------------
URL=
start_node() { # extra options...
    rm -f "$tmp/port"
    "$W" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --store "$tmp/store" --workers 2 "$@" \
        >"$tmp/node.log" 2>&1 &
    node_pid=$!
    for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    URL=http://127.0.0.1:$(cat "$tmp/port" 2>/dev/null)
    wait_healthy
}
wait_healthy() { # up to 15 s
    for _ in $(seq 150); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/v1/health")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
stop_node() {
    [ -z "$node_pid" ] && return
    kill "$node_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$node_pid" 2>/dev/null && { bad "stop" "the node did not stop in 10 s"; kill -9 "$node_pid"; }
    wait "$node_pid" 2>/dev/null
    node_pid=
}
# child PIDs of the node: the monitor (ward-monitor) and the gateway (ward)
child_pid() { # comm
    for p in $(cat /proc/"$node_pid"/task/*/children 2>/dev/null); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = "$1" ] && echo "$p"
    done
}
C() { "$W" client --url "$URL" "$@"; }
# status and body of a request: "CODE BODY"
req() { # method path [curl args...]
    local m=$1 p=$2; shift 2
    local out code
    out=$(curl -s --max-time 30 -X "$m" -w '\n%{http_code}' "$@" "$URL$p")
    code=${out##*$'\n'}
    echo "$code ${out%$'\n'*}"
}
kind_of() { sed -nE 's/.*"kind":"([a-z_]+)".*/\1/p'; }

start_node
[ -n "$node_pid" ] && kill -0 "$node_pid" && ok "node starts" || bad "node starts" "$(cat "$tmp/node.log")"

# ---- the monitor is the trusted part ---------------------------------------
needed=$(readelf -d "$O/ward-monitor" | sed -nE 's/.*Shared library: \[(.*)\]/\1/p' | tr '\n' ' ')
if echo "$needed" | grep -qE 'microhttpd|curl|cjson'; then bad "monitor links no HTTP or JSON library" "$needed"
else ok "monitor links no HTTP or JSON library ($needed)"; fi
if nm -u "$O/ward-monitor" | grep -qE 'MHD_|curl_|cJSON_'; then bad "monitor symbols" "HTTP or JSON symbols"
else ok "monitor references no HTTP or JSON symbol"; fi
mon=$(child_pid ward-monitor)
check "monitor runs under seccomp" "2" "$(sed -nE 's/^Seccomp:\s+([0-9])/\1/p' /proc/$mon/status 2>/dev/null)"

# ---- deploy and invoke -----------------------------------------------------
for f in upper wc reverse; do
    C deploy "$f" "$G/$f.wasm" >/dev/null && ok "deploy $f" || bad "deploy $f" "client failed"
done
check "invoke WASI command" "HELLO, WORLD" "$(C invoke upper --data 'hello, world')"
check "invoke ward:io guest" "dlrow ,olleh" "$(C invoke reverse --data 'hello, world')"
check "invoke with empty input" "0 0 0" "$(C invoke wc --data '')"
head -c 300000 /dev/urandom | base64 -w 100 >"$tmp/big.txt"
check "invoke with a 400 KB body" "$(wc -l <"$tmp/big.txt" | tr -d ' ') $(wc -w <"$tmp/big.txt" | tr -d ' ') $(wc -c <"$tmp/big.txt" | tr -d ' ')" \
    "$(C invoke wc --file "$tmp/big.txt")"
check "describe" "200" "$(req GET /v1/functions/upper | cut -d' ' -f1)"
check "ls lists 3" "3" "$(C ls | grep -o '"name"' | wc -l)"

# ---- chains ----------------------------------------------------------------
for L in 1 2 3 4 5 6 7 8; do
    steps=$(for _ in $(seq "$L"); do printf 'reverse '; done)
    C chain define "rev$L" $steps >/dev/null
    want=abcdef; [ $((L % 2)) = 1 ] && want=fedcba
    check "chain of length $L" "$want" "$(C chain invoke "rev$L" --data abcdef)"
done
C chain define mixed upper reverse wc >/dev/null
check "chain of WASI and ward:io functions" "0 3 13" "$(C chain invoke mixed --data 'one two three')"
C chain define fan upper,reverse,wc >/dev/null
check "fan-out, outputs joined in order" "ABCcba0 1 3" "$(C chain invoke fan --data abc)"
C chain define fanin upper,reverse reverse >/dev/null
check "fan-out then a step reading both parts" "abcCBA" "$(C chain invoke fanin --data abc)"
# flat memories: input copied in, output copied out, in chains with paged ones
req PUT /v1/functions/upflat --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"memory":"flat"}' >/dev/null
req PUT /v1/functions/revflat --data-binary @"$G/reverse.wasm" -H 'X-Ward-Manifest: {"memory":"flat"}' >/dev/null
check "flat-memory WASI command" "200 HELLO" "$(req POST /v1/functions/upflat/invoke -d hello)"
check "flat-memory ward:io guest" "200 olleh" "$(req POST /v1/functions/revflat/invoke -d hello)"
C chain define flatmix upflat reverse revflat wc >/dev/null
check "chain mixing flat and paged functions" "0 2 9" "$(C chain invoke flatmix --data 'abc defgh')"
check "flat chain keeps the data" "HGFED CBA" "$(C chain define fm2 upflat reverse >/dev/null; C chain invoke fm2 --data 'abc defgh')"
check "chain ls" "13" "$(C chain ls | grep -o '"name"' | wc -l)"
check "chain of an unknown function" "404" "$(req PUT /v1/chains/x -d '{"steps":["nope"]}' | cut -d' ' -f1)"
check "chain of 17 steps refused" "400" "$(req PUT /v1/chains/x -d "{\"steps\":[$(for i in $(seq 17); do printf '"upper",'; done)\"upper\"]}" | cut -d' ' -f1)"

# ---- failing guests: a clean error, and the next request works -------------
req PUT /v1/functions/bad --data-binary @"$G/bad.wasm" -H 'X-Ward-Manifest: {"limits":{"fuel":2000000,"memory":16777216},"env":{"GREETING":"hi there"}}' >/dev/null
req PUT /v1/functions/slow --data-binary @"$G/bad.wasm" -H 'X-Ward-Manifest: {"limits":{"timeout_ms":300}}' >/dev/null
C deploy poke "$G/poke.wasm" >/dev/null
check "manifest environment" "200 hi there" "$(req POST /v1/functions/bad/invoke -d env)"
r=$(req POST /v1/functions/bad/invoke -d trap); check "trap: 500 kind trap" "500 trap" "${r%% *} $(echo "$r" | kind_of)"
check "after a trap" "200 ok" "$(req POST /v1/functions/bad/invoke -d fine)"
r=$(req POST /v1/functions/bad/invoke -d spin); check "fuel: 500 kind fuel" "500 fuel" "${r%% *} $(echo "$r" | kind_of)"
check "after fuel ran out" "200 ok" "$(req POST /v1/functions/bad/invoke -d fine)"
t0=$(date +%s%N)
r=$(req POST /v1/functions/slow/invoke -d spin); check "timeout: 504 kind timeout" "504 timeout" "${r%% *} $(echo "$r" | kind_of)"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 3000 ] && ok "timeout within bound (${ms} ms)" || bad "timeout bound" "${ms} ms"
check "after a timeout" "200 ok" "$(req POST /v1/functions/slow/invoke -d fine)"
r=$(req POST /v1/functions/bad/invoke -d grow); check "memory past its limit: clean error" "500" "${r%% *}"
check "after memory ran out" "200 ok" "$(req POST /v1/functions/bad/invoke -d fine)"
r=$(req POST /v1/functions/bad/invoke -d exit7)
check "exit code 7: 500 kind exit" "500 exit" "${r%% *} $(echo "$r" | kind_of)"
r=$(req POST /v1/functions/poke/invoke -d poke)
if [ "${r%% *}" = 500 ] && echo "$r" | grep -q 'denied'; then ok "write to input pages traps (access denied)"
else bad "write to input pages" "$r"; fi
check "after writing to its input" "200 data" "$(req POST /v1/functions/poke/invoke -d data)"
C chain define failing reverse bad >/dev/null
r=$(req POST /v1/chains/failing/invoke -d part)
if [ "${r%% *}" = 500 ] && echo "$r" | grep -q '"step":1' && echo "$r" | grep -q 'bad'; then
    ok "a failing chain names the step and function"
else bad "failing chain" "$r"; fi

# ---- isolation between invocations -----------------------------------------
C deploy secret "$G/secret.wasm" >/dev/null
check "secret scan before" "clean" "$(C invoke secret --data search)"
check "secret written" "written" "$(C invoke secret --data write)"
check "the next invocation cannot see it" "clean" "$(C invoke secret --data search)"
for _ in 1 2 3; do C invoke secret --data write >/dev/null; done
check "nor after several writers" "clean" "$(C invoke secret --data search)"

# ---- bad input ---------------------------------------------------------------
check "garbage manifest: 400" "400" "$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"limits":{"fuel":-1}' | cut -d' ' -f1)"
check "timeout past 60 s: 400" "400" "$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"limits":{"timeout_ms":60001}}' | cut -d' ' -f1)"
check "unknown manifest key: 400" "400" "$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"files":["/etc"]}' | cut -d' ' -f1)"
check "WASI grant refused: 400" "400" "$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"wasi":{"dirs":["/"]}}' | cut -d' ' -f1)"
head -c 5000 /dev/urandom >"$tmp/garbage.wasm"
check "garbage module: 422" "422" "$(req PUT /v1/functions/g --data-binary @"$tmp/garbage.wasm" | cut -d' ' -f1)"
printf '\0asm\1\0\0\0\1\4\1\x60\0' >"$tmp/trunc.wasm"
check "truncated module: 422" "422" "$(req PUT /v1/functions/g --data-binary @"$tmp/trunc.wasm" | cut -d' ' -f1)"
check "bad function name: 400" "400" "$(req PUT '/v1/functions/a%20b' --data-binary @"$G/upper.wasm" | cut -d' ' -f1)"
check "unknown function: 404" "404" "$(req POST /v1/functions/nope/invoke -d x | cut -d' ' -f1)"
check "unknown route: 404" "404" "$(req GET /v2/x | cut -d' ' -f1)"
check "wrong method: 405" "405" "$(req DELETE /v1/functions | cut -d' ' -f1)"
head -c $((65 << 20)) /dev/zero >"$tmp/huge"
check "oversized body: 413" "413" "$(req POST /v1/functions/upper/invoke --data-binary @"$tmp/huge" | cut -d' ' -f1)"
rm -f "$tmp/huge"
# malformed HTTP straight on the socket
port=${URL##*:}
resp=$(exec 3<>/dev/tcp/127.0.0.1/"$port"; printf 'GARBAGE\x01\x02 / HTTP/9\r\n\r\n' >&3; timeout 5 head -c 12 <&3)
case "$resp" in "HTTP/1.1 400"|"HTTP/1.0 400"|"") ok "malformed HTTP rejected ($resp)" ;; *) bad "malformed HTTP" "$resp" ;; esac
check "still serving after bad input" "HELLO" "$(C invoke upper --data hello)"
check "delete" "204" "$(req DELETE /v1/functions/wc | cut -d' ' -f1)"
check "deleted function: 404" "404" "$(req POST /v1/functions/wc/invoke -d x | cut -d' ' -f1)"
C deploy wc "$G/wc.wasm" >/dev/null

# ---- faults: kill -9 each side -----------------------------------------------
mon=$(child_pid ward-monitor)
(req POST /v1/functions/slow/invoke -d spin >"$tmp/inflight") &
inflight=$!
sleep 0.1
kill -9 "$mon"
t0=$(date +%s%N)
wait "$inflight"
ms=$((($(date +%s%N) - t0) / 1000000))
r=$(cat "$tmp/inflight")
if [ "${r%% *}" = 503 ] || [ "${r%% *}" = 504 ]; then ok "in-flight request fails cleanly when the monitor dies (${r%% *} in ${ms} ms)"
else bad "in-flight request on monitor kill" "$r"; fi
wait_healthy && ok "node healthy again after the monitor's kill -9" || bad "monitor restart" "not healthy in 15 s"
[ "$(child_pid ward-monitor)" != "$mon" ] && [ -n "$(child_pid ward-monitor)" ] && ok "a new monitor runs" || bad "new monitor" "none"
check "functions re-deployed after the monitor's restart" "HELLO" "$(C invoke upper --data hello)"
check "chains survive too" "fedcba" "$(C chain invoke rev3 --data abcdef)"
gw=$(child_pid ward)
kill -9 "$gw"
sleep 0.2
wait_healthy && ok "node healthy again after the gateway's kill -9" || bad "gateway restart" "not healthy in 15 s"
check "functions still there after the gateway's restart" "HELLO" "$(C invoke upper --data hello)"
check "all functions listed" "9" "$(C ls | grep -o '"name":"[a-z]*","size"' | wc -l)"
check "the monitor survived the gateway" "$(child_pid ward-monitor)" "$(child_pid ward-monitor)"

# ---- load: N clients for a bounded time, every answer checked -------------------
load() { # id seconds
    local id=$1 end=$(($(date +%s) + $2)) i=0 good=0 wrong=0
    while [ "$(date +%s)" -lt "$end" ] && [ "$i" -lt 2000 ]; do
        i=$((i + 1))
        local got; got=$(curl -s --max-time 10 -X POST --data "client $id request $i" "$URL/v1/functions/upper/invoke")
        if [ "$got" = "CLIENT $id REQUEST $i" ]; then good=$((good + 1)); else wrong=$((wrong + 1)); fi
    done
    echo "$good $wrong"
}
pids=()
for c in 1 2 3 4 5 6 7 8; do load "$c" 4 >"$tmp/load$c" & pids+=($!); done
wait "${pids[@]}"
good=0; wrong=0
for c in 1 2 3 4 5 6 7 8; do read -r g w <"$tmp/load$c"; good=$((good + g)); wrong=$((wrong + w)); done
[ "$wrong" = 0 ] && [ "$good" -gt 0 ] && ok "load: 8 clients, $good requests, 0 lost or wrong" || bad "load" "$good good, $wrong lost or wrong"
stop_node

# ---- tenants ---------------------------------------------------------------------
rm -rf "$tmp/store"
start_node --tenant alice:tok-a --tenant bob:tok-b:2:1:1G
A() { "$W" client --url "$URL" --token tok-a "$@"; }
B() { "$W" client --url "$URL" --token tok-b "$@"; }
A deploy upper "$G/upper.wasm" >/dev/null && ok "tenant deploys" || bad "tenant deploy" "failed"
check "owner invokes" "HI" "$(A invoke upper --data hi)"
check "no token: 401" "401" "$(req GET /v1/functions | cut -d' ' -f1)"
check "wrong token: 401" "401" "$(req GET /v1/functions -H 'Authorization: Bearer nope' | cut -d' ' -f1)"
check "other tenant cannot invoke" "404" "$(req POST /v1/functions/upper/invoke -H 'Authorization: Bearer tok-b' -d x | cut -d' ' -f1)"
check "other tenant cannot list" "0" "$(B ls | grep -o '"name"' | wc -l)"
check "other tenant cannot delete" "404" "$(req DELETE /v1/functions/upper -H 'Authorization: Bearer tok-b' | cut -d' ' -f1)"
check "owner still invokes" "HI" "$(A invoke upper --data hi)"
B deploy f1 "$G/upper.wasm" >/dev/null; B deploy f2 "$G/upper.wasm" >/dev/null
check "tenant function limit: 429" "429" "$(req PUT /v1/functions/f3 -H 'Authorization: Bearer tok-b' --data-binary @"$G/upper.wasm" | cut -d' ' -f1)"
# bob may run one invocation at a time: a slow one holds it
req PUT /v1/functions/f2 -H 'Authorization: Bearer tok-b' --data-binary @"$G/bad.wasm" -H 'X-Ward-Manifest: {"limits":{"timeout_ms":1500}}' >/dev/null
(req POST /v1/functions/f2/invoke -H 'Authorization: Bearer tok-b' -d spin >/dev/null) &
slow=$!
sleep 0.3
check "tenant concurrency limit: 429" "429" "$(req POST /v1/functions/f1/invoke -H 'Authorization: Bearer tok-b' -d x | cut -d' ' -f1)"
check "meanwhile another tenant is served" "HI" "$(A invoke upper --data hi)"
wait "$slow"
check "after the slow one, bob is served" "X" "$(B invoke f1 --data x)"
m=$(C stats)
for k in ward_invocations_total ward_monitor_clones_total ward_monitor_queue_depth ward_monitor_trustlets_alive \
    ward_http_invocation_seconds_bucket ward_monitor_clone_seconds_total ward_monitor_memory_reserved_bytes; do
    echo "$m" | grep -q "^$k" && ok "metric $k" || bad "metric $k" "missing"
done
stop_node
grep -q "ward serve: stopped" "$tmp/node.log" && ok "node stops on SIGTERM" || bad "node stop" "$(tail -3 "$tmp/node.log")"

# ---- templates shared by the workers, fan-out in parallel (its own node) ----
out=$(timeout 300 bash tests/serve/parallel.sh "$O" 2>&1); echo "$out" | grep -vE '^[0-9]+ passed'
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if [ -n "$line" ]; then pass=$((pass + ${line%% passed*})); f=${line#*passed, }; fail=$((fail + ${f%% failed*}))
else bad "tests/serve/parallel.sh" "no result line"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
