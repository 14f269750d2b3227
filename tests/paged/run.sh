#!/usr/bin/env bash
# tests/paged/run.sh [O] - builds the paged-memory test modules (wat2wasm,
# tools/wasm-cc.sh) and the driver against $O/libward.a, runs the driver
# (differential flat-vs-paged, sharing, revocation, transfer, clones, WASI
# faults, ward:mem guests), the permission model (perm_model), then checks
# `ward run -X memory=paged`.
# Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
O=${1:-${O:-build}}
. tests/tier.sh
out=$O/paged
mkdir -p "$out"
fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
# tlbshare.wat: one loop of 192 loads alternating between pages 1 and 2 and
# 96 stores to page 3, far more code words than the translation cache has
# entries, so that instructions share entries (paged.h).
{
    echo '(module (memory (export "mem") 4)'
    echo '  (func (export "alt") (param $a i32) (result i32) (local $s i32) (local $i i32)'
    echo '    loop $l'
    for ((k = 0; k < 96; k++)); do
        echo '      local.get $s local.get $a i32.load i32.add'
        echo '      local.get $a i32.load offset=65536 i32.xor local.set $s'
        echo '      local.get $a local.get $s i32.store offset=131072'
    done
    echo '      local.get $i i32.const 1 i32.add local.tee $i i32.const 2 i32.lt_u br_if $l'
    echo '    end'
    echo '    local.get $s))'
} >"$out/tlbshare.wat"
wat2wasm "$out/tlbshare.wat" -o "$out/tlbshare.wasm" || fail "wat2wasm tlbshare failed"
for w in diff share wasi_fault tlb permguest; do
    wat2wasm --enable-all "tests/paged/$w.wat" -o "$out/$w.wasm" || fail "wat2wasm $w failed"
done
for c in producer consumer; do
    bash tools/wasm-cc.sh "$out/$c.wasm" "tests/paged/$c.c" -Iinclude -mexec-model=reactor \
        || fail "wasm-cc $c failed"
done
${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror ${CFLAGS:--O2 -g} -Iinclude \
    -o "$out/paged_test" tests/paged/paged_test.c "$TIER_LIB" $TIER_LIBS -lm -lpthread \
    || fail "building paged_test failed"
res=$(timeout 600 "$out/paged_test" "$out" 2>&1); rc=$?
printf '%s\n' "$res" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
line=$(printf '%s\n' "$res" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
[ -n "$line" ] || fail "paged_test: no result line (exit $rc)"
p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
# Builds tests/paged/NAME.c against the tier's library, runs it and adds
# its "N passed, M failed" to p and f (a missing line or a bad exit status
# counts as a failure).
c_driver() {
    local name=$1 res rc line dp df
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror ${CFLAGS:--O2 -g} -Iinclude \
        -o "$out/$name" "tests/paged/$name.c" "$TIER_LIB" $TIER_LIBS -lm -lpthread \
        || fail "building $name failed"
    res=$(timeout 600 "$out/$name" "$out" 2>&1); rc=$?
    printf '%s\n' "$res" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
    line=$(printf '%s\n' "$res" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $name: no result line (exit $rc)"; f=$((f + 1))
        return
    fi
    dp=${line%% passed*}; df=${line#*passed, }; df=${df%% failed*}
    [ "$rc" -ne 0 ] && [ "$df" -eq 0 ] && df=1
    p=$((p + dp)); f=$((f + df))
}
# Recycled memories and sealed templates cloned on several threads.
wat2wasm tests/paged/recycle.wat -o "$out/recycle.wasm" || fail "wat2wasm recycle failed"
c_driver recycle_test
# The ward:mem permission lattice against its reference model (perm_model.c;
# by hand: $out/perm_model $out FIRST_SEED SEEDS STEPS).
c_driver perm_model
# The CLI: a program runs the same flat and paged (in the native tier: the
# same as in the interpreter, in every mode).
if [ -f "$O/examples/report.wasm" ]; then
    a=$("$O/ward" run --dir examples/report/input::/data "$O/examples/report.wasm" 2>&1)
    modes="paged paged-tables"
    [ ${#TIER_RUN[@]} -gt 0 ] && modes="flat $modes"
    for mode in $modes; do
        b=$("$O/ward" run "${TIER_RUN[@]}" -X memory=$mode --dir examples/report/input::/data "$O/examples/report.wasm" 2>&1)
        if [ "$a" = "$b" ]; then p=$((p + 1)); else echo "FAIL ward run -X memory=$mode differs"; f=$((f + 1)); fi
    done
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
