#!/usr/bin/env bash
# run.sh WARD_BINARY BUILD_DIR - the WASI and `ward run` tests.
#
# Compiles every t_*.c here to wasm32-wasi (Debian's wasi-libc, through a
# clean sysroot so no host header leaks in), runs each through
# `WARD_BINARY run` with a fresh temporary directory preopened as /sandbox,
# in its own process with a timeout, and checks exit status and output.
# WARD_BINARY=node runs the guest programs under node:wasi instead, to check
# the tests themselves against a reference; the CLI-only checks are skipped.
# The last line is exactly "N passed, M failed".
set -u
WARD=${1:?usage: run.sh WARD_BINARY BUILD_DIR}
# The tests run from temporary folders: make a relative path absolute.
case $WARD in */*) WARD=$(cd "$(dirname "$WARD")" && pwd)/$(basename "$WARD") ;; esac
OUT=${2:?usage: run.sh WARD_BINARY BUILD_DIR}/wasi-tests
HERE=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${TIMEOUT:-30}
O=$2
. "$HERE/../tier.sh" # WARD_TEST_TIER=native: every `ward run` in the native tier
pass=0
fail=0

mkdir -p "$OUT/sysroot/include" "$OUT/sysroot/lib"
ln -sfn /usr/include/wasm32-wasi "$OUT/sysroot/include/wasm32-wasi"
ln -sfn /usr/lib/wasm32-wasi "$OUT/sysroot/lib/wasm32-wasi"

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

for src in "$HERE"/t_*.c; do
    name=$(basename "$src" .c)
    if ! clang --target=wasm32-wasi --sysroot="$OUT/sysroot" -O2 -Wall -Werror \
        -o "$OUT/$name.wasm" "$src" 2>"$OUT/$name.cc.log"; then
        bad "$name" "does not compile (see $OUT/$name.cc.log)"
    fi
done
cp "$HERE"/wat/*.bin "$OUT/"
# --enable-all: some modules use proposals ward must refuse by name.
for w in "$HERE"/wat/*.wat; do
    wat2wasm --enable-all "$w" -o "$OUT/$(basename "$w" .wat).wasm" 2>/dev/null
done

# run NAME WANT_RC STDIN WANT_STDOUT WANT_STDERR [ward run args...]
#   WANT_STDOUT / WANT_STDERR: text that must appear ("" = anything);
#   a WANT_STDOUT starting with '=' must match stdout exactly.
run() {
    local name=$1 want_rc=$2 input=$3 want_out=$4 want_err=$5
    shift 5
    local tmp
    tmp=$(mktemp -d)
    mkdir -p "$tmp/box/sb"
    echo "do not touch" >"$tmp/box/secret"
    local args=("$@")
    args=("${args[@]//@SB@/$tmp/box/sb}")
    local rc
    if [ "$WARD" = node ]; then
        printf '%b' "$input" | (cd "$OUT" && timeout "$TIMEOUT" node --no-warnings \
            "$HERE/node_run.mjs" --env WARD_REF=node "${args[@]}") >"$tmp/out" 2>"$tmp/err"
        rc=$?
    else
        printf '%b' "$input" | (cd "$OUT" && timeout "$TIMEOUT" "$WARD" run "${TIER_RUN[@]}" "${args[@]}") \
            >"$tmp/out" 2>"$tmp/err"
        rc=$?
    fi
    local why=""
    if [ "$rc" != "$want_rc" ]; then
        why="exit $rc, want $want_rc"
    elif [ -n "$want_out" ] && [ "${want_out:0:1}" = "=" ] &&
        [ "$(cat "$tmp/out")" != "$(printf '%b' "${want_out:1}")" ]; then
        why="stdout differs: $(head -c 300 "$tmp/out")"
    elif [ -n "$want_out" ] && [ "${want_out:0:1}" != "=" ] && ! grep -qF -- "$want_out" "$tmp/out"; then
        why="stdout lacks '$want_out'"
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; then
        why="stderr lacks '$want_err'"
    elif [ "$(cat "$tmp/box/secret")" != "do not touch" ] ||
        [ "$(ls "$tmp/box")" != "$(printf 'sb\nsecret')" ]; then
        why="the guest changed something outside its sandbox"
    fi
    if [ -n "$why" ]; then
        bad "$name" "$why; stderr: $(head -c 400 "$tmp/err")"
    else
        ok "$name"
    fi
    rm -rf "$tmp"
}

# sock_serve: t_sock.wasm under --tcplisten on a random loopback port, and a
# host client (bash's /dev/tcp) that connects with bounded retries while ward
# starts, sends "PING <token>", reads the reply to EOF and closes. A port some
# other program listens on is skipped before ward starts; if ward still finds
# it taken (a race), another port is tried.
sock_serve() {
    local tmp attempt port pid rc=-1 reply="" token="tok$RANDOM$RANDOM" why="" connected
    tmp=$(mktemp -d)
    for attempt in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
        (cd "$OUT" && exec timeout "$TIMEOUT" "$WARD" run "${TIER_RUN[@]}" --tcplisten "127.0.0.1:$port" \
            t_sock.wasm) >"$tmp/out" 2>"$tmp/err" &
        pid=$!
        connected=false
        for _ in $(seq 1 200); do # up to about 10 s
            if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
                connected=true
                break
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if ! $connected; then
            wait "$pid"
            rc=$?
            grep -q "in use" "$tmp/err" && continue
            why="no connection to 127.0.0.1:$port (ward exit $rc)"
            break
        fi
        printf 'PING %s\n' "$token" >&3
        reply=$(timeout 10 cat <&3)
        exec 3<&-
        wait "$pid"
        rc=$?
        break
    done
    if [ -z "$why" ] && [ "$rc" != 0 ]; then
        why="exit $rc, want 0"
    elif [ -z "$why" ] && [ "$reply" != "PONG $token" ]; then
        why="client got '$(printf '%s' "$reply" | head -c 100)'"
    elif [ -z "$why" ] && ! grep -qF "ok sock" "$tmp/out"; then
        why="stdout lacks 'ok sock'"
    fi
    if [ -n "$why" ]; then
        bad sock-serve "$why; stderr: $(head -c 400 "$tmp/err")"
    else
        ok sock-serve
    fi
    rm -rf "$tmp"
}

SB="--dir @SB@::/sandbox"
run args 0 "" "ok args" "" --env WARD_T1=one --env WARD_T2= t_args.wasm alpha "beta gamma" ""
run exit-42 42 "" "exiting with 42" "" t_exit.wasm 42
run exit-0 0 "" "exiting with 0" "" t_exit.wasm 0
run stdio 0 "hello\nworld\n" "=HELLO\nWORLD\n<>" "12 bytes" t_stdio.wasm
run files 0 "" "ok files" "" $SB t_files.wasm
run files-paged 0 "" "ok files" "" -X memory=paged $SB t_files.wasm
run clock 0 "" "ok clock" "" t_clock.wasm
run poll 0 "ping\n" "ok poll" "" $SB t_poll.wasm
run escape 0 "" "ok escape" "" $SB t_escape.wasm
run trap 134 "" "before trap" "wasm trap: unreachable" t_trap.wasm
# issue 11: WASI rules where node:wasi, the reference, agrees
run path-open-dir-write 0 "" "ok path-open-dir-write" "" $SB t_rules.wasm path-open-dir-write
run symlink-absolute 0 "" "ok symlink-absolute" "" $SB t_rules.wasm symlink-absolute

if [ "$WARD" != node ]; then
    # ---- the CLI itself --------------------------------------------------
    WARD_T1=one run env-inherit 0 "" "ok args" "" --env WARD_T1 --env WARD_T2= t_args.wasm alpha "beta gamma" ""
    run trap-backtrace 134 "" "" "wasm backtrace:" t_trap.wasm
    run invoke-i32 0 "" "=5" "" --invoke add calc.wasm 2 3
    run invoke-wrap 0 "" "=-2" "" --invoke add calc.wasm 0xffffffff -1
    run invoke-i64 0 "" "=-8589934592" "" --invoke mul64 calc.wasm 4294967296 -2
    run invoke-f64 0 "" "=1.25" "" --invoke half calc.wasm 2.5
    run invoke-multi 0 "" "=1.5\n-7" "" --invoke pair calc.wasm 1.5
    run invoke-bad-arg 2 "" "" "invalid i32" --invoke add calc.wasm x 1
    run invoke-arity 2 "" "" "takes 2 arguments" --invoke add calc.wasm 1
    run invoke-missing 1 "" "" "no exported function" --invoke nope calc.wasm
    run invoke-trap 134 "" "" "wasm trap: integer divide by zero" --invoke div calc.wasm 1 0
    run fuel 134 "" "" "all fuel consumed" -W fuel=10000 --invoke spin calc.wasm
    run timeout 134 "" "" "deadline exceeded" -W timeout=300ms --invoke spin calc.wasm
    run timeout-start 134 "" "" "deadline exceeded" -W timeout=300ms start_loop.wasm
    run timeout-sleep 134 "" "" "deadline exceeded" -W timeout=300ms t_sleep.wasm
    run stack 134 "" "" "call stack exhausted" -W max-wasm-stack=65536 --invoke deep calc.wasm 1
    run max-memory 0 "" "=-1" "" -W max-memory-size=64KiB --invoke grow calc.wasm 1
    run memory-grows 0 "" "=1" "" --invoke grow calc.wasm 1
    run max-memory-malloc 0 "" "ok oom" "" -W max-memory-size=8MiB t_oom.wasm
    run bad-module 1 "" "" "offset" bad.wasm.bin
    run bad-module-code 1 "" "" "length out of bounds [LENGTH_OUT_OF_BOUNDS]" bad.wasm.bin
    run link-error-code 1 "" "" "unknown import \"nowhere\" \"f\" [UNKNOWN_IMPORT]" unknown_import.wasm
    run missing-file 2 "" "" "cannot read" no-such.wasm
    run bad-option 2 "" "" "unknown option" --frobnicate t_exit.wasm 0
    run bad-setting 2 "" "" "unknown -W setting" -W color=blue t_exit.wasm 0
    run bad-duration 2 "" "" "invalid duration" -W timeout=soon t_exit.wasm 0
    run bad-dir 2 "" "" "cannot preopen" --dir /no/such/dir t_exit.wasm 0
    run help 0 "" "--invoke NAME" "" --help
    # ---- issue 11: exit statuses and messages ---------------------------------
    # proc_exit codes outside [0..126) cannot be told from the shell's and
    # ward's own statuses (126, 127, 128+signal, 134 for a trap; a byte
    # at most): an error and exit 1, as wasmtime does.
    run exit-125 125 "" "exiting with 125" "" t_exit.wasm 125
    run exit-126 1 "" "exiting with 126" "invalid exit status 126" t_exit.wasm 126
    run exit-256 1 "" "exiting with 256" "invalid exit status 256" t_exit.wasm 256
    run exit-0x80000000 1 "" "" "invalid exit status 2147483648" t_exit.wasm 0x80000000
    run exit-invoke-256 1 "" "" "invalid exit status 256" --invoke quit exit_code.wasm 256
    run exit-invoke-7 7 "" "" "" --invoke quit exit_code.wasm 7
    # no _start: say what ran, exit 1 (wasmtime runs nothing and exits 0)
    run no-start 1 "" "" "no _start export: nothing ran" calc.wasm
    run no-start-exports 1 "" "" "add, mul64, half" calc.wasm
    run no-start-start-func 1 "" "" "only its start function (func 0) ran" start_only.wasm
    run no-start-no-exports 1 "" "" "it exports no functions" no_exports.wasm
    run no-start-invoke 0 "" "=1" "" --invoke get start_only.wasm
    run no-start-reactor 1 "" "" "only _initialize ran; use --invoke NAME to call one of: get" \
        reactor.wasm
    run reactor-invoke 0 "" "=1" "" --invoke get reactor.wasm
    # an active segment that does not fit: an instantiation error, exit 1
    run segment-oob-data 1 "" "" \
        "failed to instantiate 'data_oob.wasm': out of bounds memory access: data segment 1 does not fit memory 0 (offset 65530 + length 10 > size 65536)" \
        data_oob.wasm
    run segment-oob-elem 1 "" "" \
        "failed to instantiate 'elem_oob.wasm': out of bounds table access: elem segment 0 does not fit table 0 (offset 3 + length 2 > size 4)" \
        elem_oob.wasm
    # proposals ward does not implement are named, not "illegal opcode"
    run proposal-threads 1 "" "" "unsupported proposal: threads" atomics.wasm
    run proposal-tail-call 1 "" "" "unsupported proposal: tail calls" tail_call.wasm
    run proposal-tail-call-indirect 1 "" "" "unsupported proposal: tail calls" \
        tail_call_indirect.wasm
    # node:wasi answers these differently (EEXIST; NOTCAPABLE for rights it
    # cannot give, like an escape; a CPU-time poll waits on the wall clock)
    run symlink-trailing-slash 0 "" "ok symlink-trailing-slash" "" $SB t_rules.wasm \
        symlink-trailing-slash
    run path-open-rights 0 "" "ok path-open-rights" "" $SB t_rules.wasm path-open-rights
    run poll-cputime 0 "" "ok poll-cputime" "" $SB t_rules.wasm poll-cputime
    # a wait on stdin cut by the deadline ends the run: the guest never sees EINTR
    for mode in poll read; do
        tmp=$(mktemp -d)
        mkfifo "$tmp/in" # opened read-write below: no data, and never EOF
        start=$(date +%s%N)
        (cd "$OUT" && timeout "$TIMEOUT" "$WARD" run "${TIER_RUN[@]}" -W timeout=300ms t_block.wasm "$mode") \
            <>"$tmp/in" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        ms=$((($(date +%s%N) - start) / 1000000))
        if [ "$rc" != 134 ]; then
            bad "$mode-stdin-deadline" "exit $rc, want 134; stdout: $(head -c 200 "$tmp/out")"
        elif ! grep -qF "wasm trap: deadline exceeded" "$tmp/err"; then
            bad "$mode-stdin-deadline" "stderr lacks the trap: $(head -c 300 "$tmp/err")"
        elif grep -q "returned" "$tmp/out" || ! grep -q "waiting" "$tmp/out"; then
            bad "$mode-stdin-deadline" "the guest went on: $(head -c 200 "$tmp/out")"
        elif [ "$ms" -gt 3000 ]; then
            bad "$mode-stdin-deadline" "took ${ms} ms"
        else
            ok "$mode-stdin-deadline"
        fi
        rm -rf "$tmp"
    done
    # the timeout must stop a sleeping guest quickly, not after its sleep
    start=$(date +%s%N)
    run timeout-sleep-fast 134 "" "" "" -W timeout=200ms t_sleep.wasm
    ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$ms" -gt 3000 ]; then bad timeout-sleep-wallclock "took ${ms} ms"; else ok timeout-sleep-wallclock; fi
    # ---- sockets: --tcplisten with a host client on 127.0.0.1 --------------
    sock_serve
    run sock-flags 0 "" "" "" -S tcplisten=127.0.0.1:0 --tcplisten 127.0.0.1:0 t_exit.wasm 0
    run sock-bad-addr 2 "" "" "invalid --tcplisten" --tcplisten nonsense t_exit.wasm 0
    run sock-bad-setting 2 "" "" "unknown -S setting" -S color=blue t_exit.wasm 0
    port=$((20000 + RANDOM % 40000))
    run sock-in-use 2 "" "" "cannot listen on 127.0.0.1:$port" \
        --tcplisten 127.0.0.1:$port --tcplisten 127.0.0.1:$port t_exit.wasm 0
    # a blocking sock_accept that no client satisfies ends at the deadline
    start=$(date +%s%N)
    run sock-accept-timeout 134 "" "" "deadline exceeded" \
        -W timeout=300ms -S tcplisten=127.0.0.1:0 t_sock.wasm block
    ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$ms" -gt 3000 ]; then bad sock-accept-wallclock "took ${ms} ms"; else ok sock-accept-wallclock; fi
    if "$WARD" version | grep -q '^ward '; then ok version; else bad version "no version line"; fi
    if "$WARD" --help | grep -q 'ward run'; then ok help-top; else bad help-top "no usage"; fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
