#!/usr/bin/env bash
# tests/cage/run.sh [O] - memory safety (Cage) end to end: builds the test
# modules (wat2wasm or tools/wasm-cc.sh, then $O/cage-place, which turns the
# "ward:cage" placeholder calls into the 0xFA instructions) and the driver
# cage_test.c against $O/libward.a, runs it, then checks `ward run -W
# mem-safety,ptr-auth` on heap.c, a C program whose allocator uses segments.
# Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
O=${1:-${O:-build}}
. tests/tier.sh
out=$O/cage
mkdir -p "$out"
fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$O/cage-place" ] || make -s "$O/cage-place" O="$O" || fail "cannot build cage-place"
for w in cage cage64 cagemm big grow; do
    wat2wasm --enable-all "tests/cage/$w.wat" -o "$out/$w.pre.wasm" || fail "wat2wasm $w failed"
    "$O/cage-place" "$out/$w.pre.wasm" "$out/$w.wasm" || fail "cage-place $w failed"
done
bash tools/wasm-cc.sh "$out/heap.pre.wasm" tests/cage/heap.c -Iinclude || fail "wasm-cc heap failed"
"$O/cage-place" "$out/heap.pre.wasm" "$out/heap.wasm" || fail "cage-place heap failed"
${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror ${CFLAGS:--O2 -g} -Iinclude \
    -o "$out/cage_test" tests/cage/cage_test.c "$TIER_LIB" $TIER_LIBS -lm -lpthread \
    || fail "building cage_test failed"
res=$(timeout 600 "$out/cage_test" "$out" 2>&1); rc=$?
printf '%s\n' "$res" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
line=$(printf '%s\n' "$res" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
[ -n "$line" ] || fail "cage_test: no result line (exit $rc)"
p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1

# The CLI: `ward run SCENARIO` of heap.c: its exit status, and a line its
# output (stdout and stderr) must contain.
expect() { # scenario, flags, status, text
    local o r
    o=$(timeout 60 "$O/ward" run "${TIER_RUN[@]}" $2 "$out/heap.wasm" "$1" 2>&1); r=$?
    if [ "$r" = "$3" ] && printf '%s\n' "$o" | grep -qF -- "$4"; then
        p=$((p + 1))
    else
        echo "FAIL ward run $2 heap.wasm $1: exit $r, wanted $3 and '$4'; output:"
        printf '%s\n' "$o" | head -n 5
        f=$((f + 1))
    fi
}
expect ok "" 1 "illegal opcode"
expect ok "-W mem-safety" 1 "illegal opcode"
expect fptr "-W mem-safety,ptr-auth" 0 "square(7) = 49"
expect forge "-W mem-safety,ptr-auth" 134 "pointer authentication failed: pointer 0x"
for mode in flat paged paged-tables; do
    flags="-W mem-safety,ptr-auth -X memory=$mode"
    expect ok "$flags" 0 "ok "
    expect overflow "$flags" 134 "memory tag mismatch: pointer tag"
    expect uaf "$flags" 134 "memory tag mismatch: pointer tag"
    expect write "$flags" 0 "hello from a segment"
    expect stale "$flags" 0 "write failed: EFAULT"
done
expect double "-W mem-safety,ptr-auth" 134 "memory tag mismatch: pointer tag"
expect double "-W mem-safety,ptr-auth -X memory=paged" 134 "memory tag mismatch: pointer tag"
expect fptr "-W mem-safety=y,ptr-auth=n" 1 "illegal opcode"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
