#!/usr/bin/env bash
# tests/native/load_asan.sh ASAN_O [O] - libward's own loading of native
# code (an AOT artifact, an entry of the cache directory: docs/native.md,
# "Code sharing, cache and AOT artifacts") under ASan and UBSan. O's
# ward-native compiles (LLVM is not sanitized here); ASAN_O's ward checks,
# loads and runs the code with WARD_NATIVE pointing nowhere, so nothing
# runs outside the sanitized program. Each case must give the
# interpreter's output, trap and status, and no sanitizer report.
# Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
A=${1:?usage: load_asan.sh ASAN_O [O]}
O=${2:-build}
out=$A/native-load-test
rm -rf "$out"
mkdir -p "$out"
pass=0
failn=0
ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL $*"
    failn=$((failn + 1))
}
W=$out/traps.wasm
if ! wat2wasm tests/native/traps.wat -o "$W"; then
    echo "0 passed, 1 failed"
    exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cases=("fac 10" "oob 65528" "oob_store 65530" "recurse 1" "ind 3 5" "div0 0" "grow 1" "fill 65000 537"
       "fib 15" "sum 100" "multi_ind 5 9")
for mode in "" "-X memory=paged" "-W mem-safety"; do
    # The code: an artifact, and a cache entry from a run that compiles.
    # shellcheck disable=SC2086
    timeout 300 "$O/ward" compile $mode "$W" -o "$out/t.cwasm" || bad "[$mode] ward compile"
    # shellcheck disable=SC2086
    timeout 300 "$O/ward" run $mode -C native -C cache="$out/cache" --invoke fac "$W" 3 >/dev/null ||
        bad "[$mode] filling the cache"
    for c in "${cases[@]}"; do
        # shellcheck disable=SC2086
        set -- $c
        f=$1
        shift
        # shellcheck disable=SC2086
        timeout 60 "$O/ward" run $mode --interp --invoke "$f" "$W" "$@" >"$out/interp" 2>&1
        ri=$?
        for how in artifact cache; do
            if [ $how = artifact ]; then
                # shellcheck disable=SC2086
                WARD_NATIVE=/nonexistent timeout 120 "$A/ward" run $mode --invoke "$f" "$out/t.cwasm" "$@" \
                    >"$out/last" 2>&1
            else
                # shellcheck disable=SC2086
                WARD_NATIVE=/nonexistent timeout 120 "$A/ward" run $mode -C native -C cache="$out/cache" \
                    --invoke "$f" "$W" "$@" >"$out/last" 2>&1
            fi
            rn=$?
            if grep -q "Sanitizer\|runtime error" "$out/last"; then
                bad "[$mode] $how $f $*: sanitizer report"
                head -30 "$out/last"
            elif [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then
                ok
            else
                bad "[$mode] $how $f $*: interpreter (status $ri) and native (status $rn) differ"
                diff "$out/interp" "$out/last" | head -5
            fi
        done
    done
done
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
