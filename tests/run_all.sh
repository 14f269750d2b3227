#!/usr/bin/env bash
# tests/run_all.sh [check] - runs every test suite of ward, each as its own
# step, and prints the totals as the last line: "N passed, N failed, N
# skipped". Exit 0 only if all pass. With "check" (make check) it runs the
# fast steps only: no install test, no sanitizer builds. Expects `make all`
# to have been run (make test and make check do).
set -u
cd "$(dirname "$0")/.."
mode=${1:-all}
jobs=-j$(nproc 2>/dev/null || echo 2)
tp=0; tf=0; ts=0; bad=()

# Each step ends within STEP_LIMIT seconds (default 25 min; the longest,
# spec-native, takes about 10 on 2 cores): a step that hangs is killed with
# everything it started (timeout(1) signals its whole process group) and
# counts as failed, so the rest still runs and the total stays well inside
# CI's 90 minutes.
STEP_LIMIT=${STEP_LIMIT:-1500}
step() { # name, command...
    local name=$1; shift
    echo "== $name: $*"
    local log t0=$SECONDS; log=$(mktemp)
    timeout -k 30 "$STEP_LIMIT" "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "== $name: stopped after $STEP_LIMIT s"
    else
        echo "== $name: $((SECONDS - t0)) s"
    fi
    local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    rm -f "$log"
    local p=0 f=0 s=0
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
        s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p'); s=${s:-0}
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$f" -ne 0 ] && bad+=("$name")
    tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
}

step layers bash tools/check-layers.sh
step format bash tools/check-format.sh
step symbols bash tools/check-symbols.sh build
step unit make -s "$jobs" unit
step spec make -s "$jobs" spec-interp
[ -x tests/wasi/run.sh ] && step wasi bash tests/wasi/run.sh build/ward build
[ -f tests/examples.sh ] && step examples bash tests/examples.sh
step paged bash tests/paged/run.sh build
step budget bash tests/budget/run.sh build/ward build
step cage bash tests/cage/run.sh build
step harden bash tests/harden/run.sh build
step serve bash tests/serve/run.sh build
step attest bash tests/attest/run.sh build
# The native tier (docs/native.md): against the interpreter, the spec suite
# in it in all five memory modes (make spec runs it after the interpreter's),
# and the differential fuzz target over generated modules.
step native bash tests/native/run.sh build
step spec-native make -s spec-native
step spec-fastloop make -s spec-fastloop
# Once more with every function through the short path of large functions
# (docs/native.md, "Large functions"), in the mode with the most paths.
step spec-native-big env WARD_NATIVE_BIG=0 build/spec-runner-native --memory paged-tagged \
    --tier native --native-opt 1 build/spec-json
step native-fuzz bash tests/native/fuzz.sh build
# The WASI, paged and Cage suites again with the native tier selected
# (tests/tier.sh): every `ward run` with -C native, the C drivers linked
# with libward-native; one cache directory (build/native-cache) for all.
step wasi-native env WARD_TEST_TIER=native bash tests/wasi/run.sh build/ward build
step paged-native env WARD_TEST_TIER=native bash tests/paged/run.sh build
step cage-native env WARD_TEST_TIER=native bash tests/cage/run.sh build
# The serverless node with its functions in the native tier (docs/serve.md,
# "Native code"): the serve and attest suites with ward serve --tier native,
# and the native checks of tests/serve/native.sh.
step serve-native env WARD_TEST_TIER=native bash tests/serve/run.sh build
step attest-native env WARD_TEST_TIER=native bash tests/attest/run.sh build
step native-node bash tests/serve/native.sh build
if [ "$mode" != check ]; then
    step install bash tests/install.sh
    step asan-unit make -s "$jobs" asan-unit
    step asan-spec make -s "$jobs" asan-spec
    step asan-paged make -s "$jobs" asan-paged
    step asan-cage make -s "$jobs" asan-cage
    step asan-native make -s "$jobs" asan-native
fi

echo
[ ${#bad[@]} -ne 0 ] && echo "failing steps: ${bad[*]}"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
