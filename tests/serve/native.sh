#!/usr/bin/env bash
# tests/serve/native.sh [BUILD_DIR] - the native tier in the serverless node
# (docs/serve.md, "Native code"), next to tests/serve/run.sh run with
# WARD_TEST_TIER=native: the same functions in both tiers on one node give
# the same outputs and the same errors (traps with their backtrace, fuel,
# deadlines); each deploy compiles once however many invocations follow;
# the measurements differ between the tiers and `ward client measure
# --native` reproduces the node's; a helper that fails, dies or sends a
# damaged object gives a clear deploy error and the monitor goes on; the
# monitor's loader refuses cut and changed objects (tests/serve/elf_load.c).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
source tests/serve/lib.sh "${1:-build}"
G=$O/serve-test # shared with tests/serve/run.sh
mkdir -p "$G"
for src in examples/serve/upper.c examples/serve/wc.c examples/serve/reverse.c tests/serve/guests/bad.c; do
    out=$G/$(basename "$src" .c).wasm
    [ -s "$out" ] && [ "$out" -nt "$src" ] && continue
    bash tools/wasm-cc.sh "$out" "$src" -Iinclude || bad "build $src" "does not compile"
done

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
C() { WC --url "$URL" "$@"; }
req() { # method path [curl args...]: "CODE BODY"
    local m=$1 p=$2; shift 2
    local out
    out=$(curl -s --max-time 60 -X "$m" -w '\n%{http_code}' "$@" "$URL$p")
    echo "${out##*$'\n'} ${out%$'\n'*}"
}
metric() { curl -s --max-time 10 "$URL/metrics" | sed -nE "s/^$1 ([0-9.]+)$/\1/p"; }
man() { # memory tier [more JSON]
    printf '{"memory":"%s","tier":"%s"%s}' "$1" "$2" "${3:-}"
}

# ---- one node, each function in both tiers ------------------------------------
start_node || give_up "node starts" "$(cat "$tmp/node.log")"
check "the compile helper is up" "1" "$(metric ward_monitor_native_available)"
mon=$(child_pid ward-monitor)
helpers=$(pgrep -P "$mon")
check "one helper per deploy thread (--deploys, default 2)" "2" "$(echo "$helpers" | wc -l)"
for helper in $helpers; do
    check "helper $helper is ward-native" "ward-native" "$(cat /proc/"$helper"/comm 2>/dev/null)"
    # (its filter comes after LLVM's start-up, which takes a while on a busy machine)
    for _ in $(seq 100); do
        sc=$(sed -nE 's/^Seccomp:\s+([0-9])/\1/p' /proc/"$helper"/status 2>/dev/null)
        [ "$sc" = 2 ] && break
        sleep 0.2
    done
    check "helper $helper runs under seccomp" "2" "$sc"
done
check "the monitor runs under seccomp" "2" "$(sed -nE 's/^Seccomp:\s+([0-9])/\1/p' /proc/"$mon"/status 2>/dev/null)"

deployed=0
for f in upper wc reverse bad; do
    for mem in paged flat; do
        for t in interp native; do
            r=$(req PUT "/v1/functions/$f-$mem-$t" --data-binary @"$G/$f.wasm" -H "X-Ward-Manifest: $(man $mem $t ',"limits":{"fuel":50000000,"timeout_ms":2000}')")
            if [ "${r%% *}" = 201 ] && echo "$r" | grep -q "\"tier\":\"$t\""; then
                [ "$t" = native ] && deployed=$((deployed + 1))
            else bad "deploy $f $mem $t" "$r"; fi
        done
    done
done
check "native deploys compiled, one each" "$deployed" "$(metric ward_monitor_native_compiles_total)"
nf=$(metric ward_monitor_native_functions_total)
[ "${nf:-0}" -gt 0 ] && ok "native functions loaded: $nf" || bad "native functions" "$nf"

# The answer of function NAME-TIER with its name as NAME-T: errors name it.
tiered() { sed -E 's/-(interp|native)\b/-T/g'; }
same() { # name function memory input (@FILE: the file's bytes)
    local a b
    a=$(req POST "/v1/functions/$2-$3-interp/invoke" --data-binary "$4" | tiered)
    b=$(req POST "/v1/functions/$2-$3-native/invoke" --data-binary "$4" | tiered)
    if [ "$a" = "$b" ] && [ -n "$a" ]; then ok "$1 ($3): the same in both tiers: $(echo "${a:0:70}" | tr '\n' ' ')"
    else bad "$1 ($3)" "interp [$a] native [$b]"; fi
}
head -c 100000 /dev/urandom | base64 -w 80 >"$tmp/in.txt"
for mem in paged flat; do
    same "upper" upper $mem "hello, native world"
    same "reverse" reverse $mem "abcdefghij"
    same "wc of 135 KB" wc $mem @"$tmp/in.txt"
    same "trap (unreachable, with its backtrace)" bad $mem trap
    same "fuel runs out in a loop" bad $mem spin
    same "memory limit (malloc fails, abort)" bad $mem grow
    same "exit code" bad $mem exit7
    same "heap of 300 KiB" bad $mem "heap 300"
    same "environment" bad $mem env
done
# an access past a flat memory: in native code a fault on its guard pages,
# turned into the spec's trap inside the sandboxed monitor
cat >"$tmp/oob.wat" <<'EOF'
(module
  (memory (export "memory") 1)
  (func $deep (param i32) (result i32) (i32.load (i32.add (local.get 0) (i32.const 70000))))
  (func (export "_start") (drop (call $deep (i32.const 0)))))
EOF
if wat2wasm "$tmp/oob.wat" -o "$G/oob.wasm"; then
    for mem in flat paged; do
        for t in interp native; do
            req PUT "/v1/functions/oob-$mem-$t" --data-binary @"$G/oob.wasm" -H "X-Ward-Manifest: $(man $mem $t)" >/dev/null
        done
        same "out of bounds (guard pages when flat)" oob $mem x
    done
    check "the monitor survived its guard-page faults" "200 OK" "$(req POST /v1/functions/upper-flat-native/invoke -d ok)"
else bad "oob.wat" "wat2wasm failed"; fi
check "a native trap: the spec's message" '500 {"error":"bad-paged-native: unreachable","kind":"trap","step":0}' \
    "$(req POST /v1/functions/bad-paged-native/invoke -d trap)"
# a deadline, not fuel: no fuel limit, 300 ms
for t in interp native; do
    req PUT "/v1/functions/slow-$t" --data-binary @"$G/bad.wasm" -H "X-Ward-Manifest: $(man paged $t ',"limits":{"timeout_ms":300}')" >/dev/null
done
a=$(req POST /v1/functions/slow-interp/invoke -d spin | tiered)
t0=$(date +%s%N)
b=$(req POST /v1/functions/slow-native/invoke -d spin | tiered)
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$a" = "$b" ] && echo "$b" | grep -q timeout && [ "$ms" -lt 3000 ]; then ok "deadline in native code: the same error (${ms} ms)"
else bad "deadline" "interp [$a] native [$b] in ${ms} ms"; fi
check "the function still works after it" "200 ok" "$(req POST /v1/functions/slow-native/invoke -d fine)"

# ---- compiled once: invocations and clones compile nothing --------------------
before=$(metric ward_monitor_native_compiles_total)
pids=()
for i in $(seq 40); do req POST /v1/functions/upper-paged-native/invoke -d "x$i" >/dev/null & pids+=($!); done
wait "${pids[@]}"
check "40 concurrent invocations compile nothing" "$before" "$(metric ward_monitor_native_compiles_total)"
check "and still run" "200 Y40" "$(req POST /v1/functions/upper-paged-native/invoke -d y40)"

# ---- measurements -----------------------------------------------------------------
mi=$("$W" client measure "$G/upper.wasm")
mn=$("$W" client measure "$G/upper.wasm" --native)
mn2=$("$W" client measure "$G/upper.wasm" --native)
[ -n "$mn" ] && [ "$mi" != "$mn" ] && ok "the measurement differs between the tiers" || bad "measurements" "[$mi] [$mn]"
check "ward client measure --native is reproducible" "$mn" "$mn2"
echo '{"tier":"native"}' >"$tmp/native.json"
check "a manifest's tier is measured" "$mn" "$("$W" client measure "$G/upper.wasm" --manifest "$tmp/native.json")"
out=$(C deploy pinned "$G/upper.wasm" --manifest "$tmp/native.json")
echo "$out" | grep -q "measurement $mn" && ok "a native deploy pins the measurement measured here" || bad "native pin" "$out"
check "the node's evidence matches that pin" "PINNED" "$(C invoke pinned --data pinned 2>/dev/null)"
stop_node

# ---- a helper that fails ----------------------------------------------------------
cc -O1 -o "$G/fake_helper" tests/serve/fake_helper.c || bad "fake helper" "does not compile"
"$W" compile "$G/upper.wasm" -o "$tmp/upper.cwasm" >/dev/null || bad "ward compile" "failed"
python3 - "$tmp/upper.cwasm" "$tmp/upper.o" <<'EOF'
import sys
a = open(sys.argv[1], 'rb').read()  # format 3 (src/api/artifact.h)
wl = int.from_bytes(a[212:220], 'little')
rec = 220 + wl
ol = int.from_bytes(a[rec + 32:rec + 40], 'little')
open(sys.argv[2], 'wb').write(a[rec + 40:rec + 40 + ol])
EOF
for what in error garbage cut die; do
    WARD_NATIVE=$G/fake_helper FAKE_HELPER=$what FAKE_OBJECT=$tmp/upper.o start_node
    r=$(req PUT /v1/functions/f --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"tier":"native"}')
    case $what in
    error) want="compiling failed: LLVM ran out of patience" ;;
    garbage) want="loading the code failed: native object: not an ELF file" ;;
    cut) want="loading the code failed: native object: truncated" ;;
    die) want="the compile helper died" ;;
    esac
    if [ "${r%% *}" -ge 400 ] && echo "$r" | grep -q "$want"; then ok "helper $what: a clear deploy error (${r:0:120})"
    else bad "helper $what" "$r"; fi
    check "helper $what: the monitor goes on" "200 HI" "$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" >/dev/null; req POST /v1/functions/g/invoke -d hi)"
    stop_node
done
WARD_NATIVE=/nonexistent/ward-native start_node --tier native
r=$(req PUT /v1/functions/f --data-binary @"$G/upper.wasm")
if [ "${r%% *}" = 400 ] && echo "$r" | grep -q "this node has no native backend"; then ok "no ward-native: native deploys refused (${r:0:110})"
else bad "no backend" "$r"; fi
check "no ward-native: an interp function still deploys" "200 HI" "$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" -H 'X-Ward-Manifest: {"tier":"interp"}' >/dev/null; req POST /v1/functions/g/invoke -d hi)"
stop_node

# ---- compilations past the node's limits: that deploy fails, the helper goes on -------
# big_gen.py's 4,000 long-lived locals: about 27 s and 1.2 GB to compile in paged memory
python3 tests/native/big_gen.py 4000 >"$tmp/big.wat" && wat2wasm "$tmp/big.wat" -o "$tmp/big.wasm" ||
    bad "big_gen.py" "no module"
# (5 s: far below the big module's 27 s, and room for the small module deployed
# after it on a loaded machine, where 2 s was seen to be too little)
for limit in "--compile-timeout 5" "--compile-memory 64M"; do
    rm -rf "$tmp/store" # nothing deployed again at start
    # shellcheck disable=SC2086
    start_node $limit
    helpers=$(pgrep -P "$(child_pid ward-monitor)" | sort | xargs)
    failures=$(metric ward_monitor_native_failures_total)
    t0=$(date +%s%N)
    r=$(req PUT /v1/functions/big --data-binary @"$tmp/big.wasm" -H "X-Ward-Manifest: $(man paged native)")
    ms=$((($(date +%s%N) - t0) / 1000000))
    case $limit in
    *timeout*) want="compiling took longer than the node allows (5000 ms)" ;;
    *) want="the compiler aborted: out of memory (a compilation may use 64 MiB here)" ;;
    esac
    if [ "${r%% *}" = 422 ] && echo "$r" | grep -qF "$want" && [ "$ms" -lt 20000 ]; then
        ok "$limit: the deploy fails in ${ms} ms (${r:0:130})"
    else bad "$limit" "in ${ms} ms: $r"; fi
    check "$limit: the same helpers go on" "$helpers" "$(pgrep -P "$(child_pid ward-monitor)" | sort | xargs)"
    kids=0
    for helper in $helpers; do kids=$((kids + $(pgrep -P "$helper" | wc -l))); done
    check "$limit: the compiling child is gone" "0" "$kids"
    check "$limit: native code is still available" "1" "$(metric ward_monitor_native_available)"
    check "$limit: the failure is counted" "$((failures + 1))" "$(metric ward_monitor_native_failures_total)"
    r=$(req PUT /v1/functions/g --data-binary @"$G/upper.wasm" -H "X-Ward-Manifest: $(man paged native)")
    got="${r%% *} $(echo "$r" | sed -nE 's/.*"tier":"([a-z]+)"}$/\1/p')"
    [ "$got" = "201 native" ] && ok "$limit: the next native deploy compiles" ||
        bad "$limit: the next native deploy compiles" "$r"
    check "$limit: and runs" "200 HI" "$(req POST /v1/functions/g/invoke -d hi)"
    stop_node
done
# ---- deploys side by side ------------------------------------------------------------
# A tenant's slow compilation (the big module, cut off at --compile-timeout)
# holds up no other tenant's deploy, while the same tenant's next deploy
# waits for it (a tenant's deploys are done in order). With --deploys 1
# the other tenant waits too (what every node did before --deploys).
at() { # file method path [curl args...]: the reply, then the time it came (ns)
    local f=$1; shift
    req "$@" >"$f"
    date +%s%N >>"$f"
}
for deploys in 2 1; do
    rm -rf "$tmp/store"
    start_node --deploys $deploys --compile-timeout 12 --tenant slow:tok-s --tenant quick:tok-q
    check "--deploys $deploys: helpers" "$deploys" "$(pgrep -P "$(child_pid ward-monitor)" | wc -l)"
    rm -f "$tmp"/side-*
    at "$tmp/side-big" PUT /v1/functions/big --data-binary @"$tmp/big.wasm" \
        -H 'Authorization: Bearer tok-s' -H "X-Ward-Manifest: $(man paged native)" &
    big=$!
    sleep 1
    at "$tmp/side-same" PUT /v1/functions/h --data-binary @"$G/upper.wasm" \
        -H 'Authorization: Bearer tok-s' -H "X-Ward-Manifest: $(man paged native)" &
    same=$!
    sleep 0.5
    at "$tmp/side-other" PUT /v1/functions/g --data-binary @"$G/upper.wasm" \
        -H 'Authorization: Bearer tok-q' -H "X-Ward-Manifest: $(man paged native)"
    wait $big $same
    tb=$(tail -n 1 "$tmp/side-big") ts=$(tail -n 1 "$tmp/side-same") to=$(tail -n 1 "$tmp/side-other")
    r=$(head -n 1 "$tmp/side-big")
    if [ "${r%% *}" = 422 ] && grep -qF "compiling took longer than the node allows (12000 ms)" "$tmp/side-big"; then
        ok "--deploys $deploys: the slow deploy fails at the deadline"
    else bad "--deploys $deploys: the slow deploy" "$(cat "$tmp/side-big")"; fi
    check "--deploys $deploys: the same tenant's next deploy" "201" "$(head -c 3 "$tmp/side-same")"
    check "--deploys $deploys: the other tenant's deploy" "201" "$(head -c 3 "$tmp/side-other")"
    if [ "$ts" -gt "$tb" ]; then ok "--deploys $deploys: the same tenant's deploy came after the slow one"
    else bad "--deploys $deploys: the same tenant's deploy" "came $(((tb - ts) / 1000000)) ms before the slow one"; fi
    if [ "$deploys" = 2 ]; then
        if [ "$to" -lt "$tb" ]; then ok "the other tenant's deploy came $(((tb - to) / 1000000)) ms before the slow one ended"
        else bad "deploys side by side" "the other tenant's deploy came $(((to - tb) / 1000000)) ms after the slow one"; fi
    else
        if [ "$to" -gt "$tb" ]; then ok "--deploys 1: the other tenant's deploy waited for the slow one"
        else bad "--deploys 1" "the other tenant's deploy did not wait"; fi
    fi
    check "--deploys $deploys: the other tenant's function runs" "200 HI" \
        "$(req POST /v1/functions/g/invoke -H 'Authorization: Bearer tok-q' -d hi)"
    stop_node
done
# ---- native code kept in the store ----------------------------------------------------
# The OK of a native deploy brings the monitor's code behind a MAC under the
# node's code key (PROTO_F_NATIVE); the gateway keeps it next to the module,
# and a restarted monitor loads it instead of compiling. Changed or cut, it
# is refused and the module compiled again, and the store gets good code.
rm -rf "$tmp/store"
start_node --tier native
fns="upper wc reverse"
for f in $fns; do C deploy "$f" "$G/$f.wasm" >/dev/null || bad "deploy $f" "client failed"; done
FN=$tmp/store/t/default/fn
n=0
for f in $fns; do [ -s "$FN/$f.native" ] && n=$((n + 1)); done
check "the store keeps each function's native code" "3" "$n"
measure_of() { C attest "$1" 2>/dev/null | sed -nE "s/^function $1: //p"; }
before=$(measure_of wc)
restart_monitor() {
    kill -9 "$(child_pid ward-monitor)"
    sleep 0.3
    wait_healthy || bad "monitor restart" "not healthy"
}
restart_monitor
check "a restarted monitor compiles nothing" "0" "$(metric ward_monitor_native_compiles_total)"
check "and loads the store's code" "3" "$(metric ward_monitor_native_store_hits_total)"
check "which runs" "HI" "$(C invoke upper --data hi 2>/dev/null)"
check "and measures as before" "$before" "$(measure_of wc)"
printf 'X' | dd of="$FN/wc.native" bs=1 seek=5000 conv=notrunc 2>/dev/null
head -c 100 "$FN/reverse.wasm" >"$tmp/cut" && cp "$tmp/cut" "$FN/reverse.native"
restart_monitor
check "changed or cut code is refused" "2" "$(metric ward_monitor_native_store_refused_total)"
check "and compiled again" "2" "$(metric ward_monitor_native_compiles_total)"
check "wc runs" "0 2 4" "$(C invoke wc --data 'a bc' 2>/dev/null | xargs)"
check "and measures as before" "$before" "$(measure_of wc)"
restart_monitor
check "the store got good code again" "3 0 0" \
    "$(metric ward_monitor_native_store_hits_total) $(metric ward_monitor_native_store_refused_total) $(metric ward_monitor_native_compiles_total)"
req PUT /v1/functions/upper --data-binary @"$G/upper.wasm" -H "X-Ward-Manifest: $(man paged interp)" >/dev/null
[ -e "$FN/upper.native" ] && bad "an interpreter deploy" "left the old native code" || ok "an interpreter deploy removes the old native code"
C rm wc >/dev/null
[ -e "$FN/wc.native" ] && bad "rm" "left the native code" || ok "rm removes the native code"
stop_node

# ---- compilations nobody waits for any more -------------------------------------------
# The gateway dies while the big module compiles for it: nobody takes the
# answer (the new gateway deploys its store again), so the monitor cancels
# the compilation, and the tenant's next deploy does not wait for it. The
# monitor dies while a helper compiles: the helper and its child go at once.
alive() { # pids...: those still running (a zombie has ended)
    for p in "$@"; do
        local st; st=$(ps -o stat= -p "$p" 2>/dev/null)
        [ -n "$st" ] && [ "${st:0:1}" != Z ] && echo "$p"
    done
}
rm -rf "$tmp/store"
start_node --compile-timeout 60 --tenant slow:tok-s
slow_deploy() { # name file
    req PUT "/v1/functions/$1" --data-binary @"$2" -H 'Authorization: Bearer tok-s' \
        -H "X-Ward-Manifest: $(man paged native)"
}
slow_deploy big "$tmp/big.wasm" >"$tmp/gone-big" &
big=$!
sleep 1
kill -9 "$(child_pid ward-node)"
wait $big
check "a deploy in flight when the gateway dies: no answer" "000" "$(head -c 3 "$tmp/gone-big")"
sleep 0.2
wait_healthy || bad "gateway restart" "not healthy"
t0=$(date +%s%N)
r=$(slow_deploy h "$G/upper.wasm")
ms=$((($(date +%s%N) - t0) / 1000000))
check "after the gateway's restart, the same tenant deploys" "201" "${r%% *}"
if [ "$ms" -lt 10000 ]; then ok "in ${ms} ms: the gone gateway's compilation (27 s) was cancelled"
else bad "the gone gateway's compilation" "the next deploy took ${ms} ms"; fi
check "the cancelled compilation is counted" "1" "$(metric ward_monitor_native_cancelled_total)"
check "as no failure" "0" "$(metric ward_monitor_native_failures_total)"
mon=$(child_pid ward-monitor)
slow_deploy big "$tmp/big.wasm" >/dev/null &
big=$!
sleep 1
helpers=$(pgrep -P "$mon" | xargs)
kids=$(for h in $helpers; do pgrep -P "$h"; done | xargs)
[ -n "$kids" ] && ok "a helper's child compiles the big module" || bad "compiling child" "none"
kill -9 "$mon"
wait $big
left=$(alive $helpers $kids)
for _ in $(seq 30); do [ -z "$left" ] && break; sleep 0.1; left=$(alive $helpers $kids); done
check "the monitor's kill -9: its helpers and their compiling child end within 3 s" "" "$left"
wait_healthy && check "native code with the new monitor" "1" "$(metric ward_monitor_native_available)" ||
    bad "monitor restart" "not healthy"
stop_node

r=$("$W" serve --deploys 17 2>&1)
check "--deploys 17 is refused" "2 ward: error: --deploys 17: 1 to 16 (see 'ward serve --help')" "$? $r"

r=$("$W" serve --compile-timeout 0 2>&1)
check "--compile-timeout 0 is refused" "2 ward: error: --compile-timeout 0: 1 to 3600 seconds (see 'ward serve --help')" "$? $r"

# ---- the loader on damaged objects --------------------------------------------------
make -s "$O/libward-internal.a" >/dev/null 2>&1
if cc -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Iinclude -Isrc -o "$G/elf_load" tests/serve/elf_load.c "$O/libward-internal.a" -lm -lpthread; then
    "$W" compile -X memory=paged "$G/bad.wasm" -o "$tmp/bad-paged.cwasm" >/dev/null
    for a in "$tmp/upper.cwasm" "$tmp/bad-paged.cwasm"; do
        out=$(timeout 120 "$G/elf_load" "$a" 1500 2>&1)
        line=$(echo "$out" | tail -n 1)
        if [ "$line" = "5 passed, 0 failed" ]; then ok "loader on $(basename "$a"): $(echo "$out" | grep -E 'cuts refused|changed bytes' | tr -s ' ' | tr '\n' ';')"
        else bad "loader $(basename "$a")" "$(echo "$out" | grep FAIL)"; fi
    done
else bad "elf_load" "does not compile"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
