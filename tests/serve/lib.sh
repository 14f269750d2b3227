# tests/serve/lib.sh - what the node's test scripts share (sourced from the
# project's root with BUILD_DIR as $1): O and W, the pass/fail counters and
# ok/bad/check/give_up, WC (ward client, bounded in time), a temporary folder $tmp (ward client's pins kept there,
# docs/attest.md), the node's helpers (wait_healthy on $URL, stop_node,
# child_pid), and the cleanup that stops the node in $node_pid (and the
# relay in $relay_pid, if any) and removes $tmp on exit.
O=${1:-build}
W=$O/ward
# WARD_TEST_TIER=native (tests/run_all.sh's serve-native and attest-native):
# every node runs its functions in the native tier (ward serve --tier
# native: compiled once per deploy by the node's helper, docs/serve.md).
# MEASURE_TIER: what `ward client measure` and a confidential deploy need
# to measure such a function (its object code, compiled here).
NODE_TIER=() MEASURE_TIER=()
case "${WARD_TEST_TIER:-interp}" in
native) NODE_TIER=(--tier native) MEASURE_TIER=(--native) ;;
interp) ;;
*) echo "WARD_TEST_TIER: '$WARD_TEST_TIER' is neither interp nor native" >&2; exit 2 ;;
esac
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1 [${SECONDS}s]"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
check() { # name expected actual
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected [$2], got [$3]"; fi
}
# A failure the rest of the script cannot go on from (no node): count it,
# print the last line and stop, rather than let every later check wait.
give_up() { # name why
    bad "$1" "$2"
    echo "$pass passed, $fail failed (stopped early: $1)"
    exit 1
}
# ward client, bounded: its own HTTP timeout is 1000 s (a node's longest
# answer), far past anything a test waits for. Killed after CLIENT_LIMIT
# seconds (exit 124, as timeout(1)).
CLIENT_LIMIT=${CLIENT_LIMIT:-180}
WC() { timeout -k 5 "$CLIENT_LIMIT" "$W" client "$@"; }
tmp=$(mktemp -d)
export WARD_ATTEST_CACHE=$tmp/attest-cache
node_pid= relay_pid=
cleanup() {
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
    [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# The node at $URL answers /v1/health (up to 15 s; 60 s in the native tier,
# where a restarted monitor may compile functions of the store again);
# false if it does not.
wait_healthy() {
    local n=150
    [ ${#NODE_TIER[@]} -gt 0 ] && n=600
    for _ in $(seq $n); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/v1/health")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
# Stops the node in $node_pid: SIGTERM, then SIGKILL after 10 s (a failed
# check when node_stop_strict=1).
node_stop_strict=0
stop_node() {
    [ -z "$node_pid" ] && return
    # The tests kill parts of the node with SIGKILL only; any other signal
    # in the supervisor's log is a crash or a seccomp kill (SIGSYS).
    local died
    died=$(grep -E 'died \(signal [0-9]+\)' "$tmp/node.log" 2>/dev/null | grep -v '(signal 9)')
    [ -z "$died" ] || bad "no part of the node died of a signal the test did not send" "$died"
    kill "$node_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$node_pid" 2>/dev/null; then
        [ "$node_stop_strict" = 1 ] && bad "stop" "the node did not stop in 10 s"
        kill -9 "$node_pid"
    fi
    wait "$node_pid" 2>/dev/null
    node_pid=
}
# The node's children named comm: the monitor (ward-monitor), the gateway.
child_pid() { # comm
    for p in $(cat /proc/"$node_pid"/task/*/children 2>/dev/null); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = "$1" ] && echo "$p"
    done
}
