#!/usr/bin/env bash
# tests/native/run.sh [O] - the native tier (docs/native.md) against the
# interpreter: every case of tests/native/traps.wat runs under
# `ward run --invoke` in both tiers, in flat, paged and tagged memory, and
# output, trap message, backtrace and exit status must be identical (and the
# same for mem.wat and tagged.wat, the paged and tagged paths); then
# stack exhaustion on a small native stack, fuel and the deadline, the cache
# directory, and AOT artifacts (run, truncated, modified, other flags).
# Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
O=${1:-${O:-build}}
WARD=$O/ward
out=$O/native-test
mkdir -p "$out"
pass=0; failn=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; failn=$((failn + 1)); }
wat2wasm tests/native/traps.wat -o "$out/traps.wasm" || { echo "wat2wasm failed"; echo "0 passed, 1 failed"; exit 1; }
W=$out/traps.wasm

# Runs ward with a timeout; stdout+stderr in $out/last, status in $rc.
run() { timeout 60 "$WARD" run "$@" >"$out/last" 2>&1; rc=$?; }

cases=("div0 0" "div0 2" "ovf -1" "ovf 3" "rem -1" "conv nan" "conv 3e9" "conv -2.5" "convu -1"
       "convu 1e20" "sat 1e20" "sat -3" "oob 65528" "oob 65527" "oob 100" "oob_store 65530"
       "unreach" "recurse 1" "ind 0 5" "ind 1 5" "ind 2 5" "ind 3 5" "ind 9 5" "fac 10"
       "spin 100000" "grow 1" "grow 70000" "fill 65000 536" "fill 65000 537" "minmax nan 1"
       "minmax -0 0" "hello")
for mode in "" "-X memory=paged" "-X memory=paged-tables" "-W mem-safety"; do
    for c in "${cases[@]}"; do
        set -- $c
        f=$1; shift
        run $mode --interp --invoke "$f" "$W" "$@"; ri=$rc; cp "$out/last" "$out/interp"
        run $mode -C native --invoke "$f" "$W" "$@"; rn=$rc
        if [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then ok; else
            bad "[$mode] $f $*: interpreter (status $ri) and native (status $rn) differ"
            diff "$out/interp" "$out/last" | head -5
        fi
    done
done

# The paged and tagged paths (mem.wat, tagged.wat): straddling accesses,
# loops across page edges, memory.grow, pages protected, mapped and
# unmapped through ward:mem, tags at a page edge and their mismatches.
# Compared as above.
same() { # label, ward run arguments...
    local label=$1; shift
    run --interp "$@"; ri=$rc; cp "$out/last" "$out/interp"
    run -C native "$@"; rn=$rc
    if [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then ok; else
        bad "$label: interpreter (status $ri) and native (status $rn) differ"
        diff "$out/interp" "$out/last" | head -5
    fi
}
wat2wasm tests/native/mem.wat -o "$out/mem.wasm" || bad "wat2wasm mem.wat"
mcases=("straddle 65532" "straddle 65535" "straddle 262141" "sum 65500 40" "sum 262100 40"
        "grow 0" "grow 327680" "protect 2 1" "protect 2 0" "reprotect 1" "mapped 1" "mapped 0")
for mode in paged paged-tables; do
    for c in "${mcases[@]}"; do
        set -- $c
        f=$1; shift
        same "[$mode] mem.wat $f $*" -X memory=$mode --invoke "$f" "$out/mem.wasm" "$@"
    done
done
[ -x "$O/cage-place" ] || make -s "$O/cage-place" O="$O" || bad "cannot build cage-place"
wat2wasm --enable-all tests/native/tagged.wat -o "$out/tagged.pre.wasm" \
    && "$O/cage-place" "$out/tagged.pre.wasm" "$out/tagged.wasm" || bad "building tagged.wasm"
tcases=("edge 5" "load 5 5 0 8" "load 5 5 56 8" "load 5 5 60 4" "load 5 5 61 4" "load 5 0 30 4"
        "load 5 5 -1 1" "load 5 3 32 8" "load 5 5 28 8" "store 5 5 56" "store 5 5 57" "store 5 6 0"
        "store 5 5 131040" "grown 9")
for mode in flat paged paged-tables; do
    for c in "${tcases[@]}"; do
        set -- $c
        f=$1; shift
        same "[mem-safety $mode] tagged.wat $f $*" -W mem-safety -X memory=$mode --invoke "$f" \
            "$out/tagged.wasm" "$@"
    done
done

# Copy-on-write clones (clone_test.c, through the C API): clones update the
# template's pages in place in a loop, each instance reads its own words.
wat2wasm tests/native/clone.wat -o "$out/clone.wasm" || bad "wat2wasm clone.wat"
if ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude -o "$out/clone_test" \
    tests/native/clone_test.c "$O/libward-native.a" $(${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config} --ldflags --libs) \
    -lm -lpthread; then
    line=$(timeout 120 "$out/clone_test" "$out/clone.wasm" | tee "$out/last" | tail -n 1)
    grep '^FAIL' "$out/last"
    case $line in
    *" passed, 0 failed") ok ;;
    *) bad "clone_test: $line" ;;
    esac
else
    bad "building clone_test"
fi

# Deep recursion on a small native stack: a trap, never a crash.
( ulimit -s 256; timeout 60 "$WARD" run -C native --invoke recurse "$W" 1 >"$out/last" 2>&1 ); rc=$?
if [ "$rc" = 134 ] && grep -q "call stack exhausted" "$out/last"; then ok; else bad "small stack: status $rc"; head -3 "$out/last"; fi

# Fuel and the deadline stop native loops.
run -C native -W fuel=1000 --invoke spin "$W" 100000
if [ "$rc" = 134 ] && grep -q "all fuel consumed" "$out/last"; then ok; else bad "fuel: status $rc"; fi
run -C native -W fuel=1000 --invoke fac "$W" 10
if [ "$rc" = 0 ] && grep -qx 3628800 "$out/last"; then ok; else bad "fuel (enough): status $rc"; fi
run -C native -W timeout=200ms --invoke forever "$W"
if [ "$rc" = 134 ] && grep -q "deadline exceeded" "$out/last"; then ok; else bad "deadline: status $rc"; fi

# The cache directory: the second run loads what the first compiled.
rm -rf "$out/cache"
WARD_NATIVE_STATS=1 timeout 60 "$WARD" run -C native -C cache="$out/cache" --invoke fac "$W" 5 >"$out/last" 2>&1
WARD_NATIVE_STATS=1 timeout 60 "$WARD" run -C native -C cache="$out/cache" --invoke fac "$W" 5 >"$out/last2" 2>&1
if grep -q "1 modules compiled" "$out/last" && grep -q "0 modules compiled.*1 cached" "$out/last2" \
    && grep -qx 120 "$out/last2"; then ok; else bad "cache"; cat "$out/last" "$out/last2"; fi

# AOT artifacts.
timeout 120 "$WARD" compile "$W" -o "$out/traps.cwasm"; rc=$?
[ "$rc" = 0 ] && ok || bad "ward compile: status $rc"
run --invoke fac "$out/traps.cwasm" 6
if [ "$rc" = 0 ] && grep -qx 720 "$out/last"; then ok; else bad "artifact run: status $rc"; cat "$out/last"; fi
run --invoke oob "$out/traps.cwasm" 65528
if [ "$rc" = 134 ] && grep -q "out of bounds memory access" "$out/last"; then ok; else bad "artifact trap: status $rc"; fi
size=$(stat -c %s "$out/traps.cwasm")
head -c $((size - 100)) "$out/traps.cwasm" >"$out/trunc.cwasm"
run --invoke fac "$out/trunc.cwasm" 6
if [ "$rc" = 1 ] && grep -q "truncated" "$out/last"; then ok; else bad "truncated artifact: status $rc"; cat "$out/last"; fi
cp "$out/traps.cwasm" "$out/tamper.cwasm"
printf '\x90' | dd of="$out/tamper.cwasm" bs=1 seek=$((size - 200)) conv=notrunc status=none
run --invoke fac "$out/tamper.cwasm" 6
if [ "$rc" = 1 ] && grep -q "modified" "$out/last"; then ok; else bad "modified artifact: status $rc"; cat "$out/last"; fi
run -X memory=paged --invoke fac "$out/traps.cwasm" 6
if [ "$rc" = 1 ] && grep -q "other flags" "$out/last"; then ok; else bad "artifact, other flags: status $rc"; cat "$out/last"; fi
run -C opt-level=1 --invoke fac "$out/traps.cwasm" 6
if [ "$rc" = 1 ] && grep -q "other flags" "$out/last"; then ok; else bad "artifact, other opt level: status $rc"; cat "$out/last"; fi
printf 'WARDAOT1' >"$out/short.cwasm"
run --invoke fac "$out/short.cwasm" 6
if [ "$rc" = 1 ] && grep -q "truncated" "$out/last"; then ok; else bad "8-byte artifact: status $rc"; cat "$out/last"; fi

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
