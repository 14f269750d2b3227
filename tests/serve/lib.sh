# tests/serve/lib.sh - what the node's test scripts share (sourced from the
# project's root with BUILD_DIR as $1): O and W, the pass/fail counters and
# ok/bad/check, a temporary folder $tmp (ward client's pins kept there,
# docs/attest.md), and the cleanup that stops the node in $node_pid (and
# the relay in $relay_pid, if any) and removes $tmp on exit.
O=${1:-build}
W=$O/ward
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1 [${SECONDS}s]"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
check() { # name expected actual
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected [$2], got [$3]"; fi
}
tmp=$(mktemp -d)
export WARD_ATTEST_CACHE=$tmp/attest-cache
node_pid= relay_pid=
cleanup() {
    [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
    [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
