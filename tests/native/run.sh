#!/usr/bin/env bash
# tests/native/run.sh [O] - the native tier (docs/native.md) against the
# interpreter: every case of tests/native/traps.wat runs under
# `ward run --invoke` in both tiers, in flat, paged and tagged memory (and
# so do the cases of tests/native/simd.wat, mem.wat and tagged.wat: v128,
# the paged and tagged paths), and
# output, trap message, backtrace and exit status must be identical; then
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
       "minmax -0 0" "hello" "multi 5" "multi_ind 5 5" "multi_ind 5 0" "multi_ind 5 9" "ind2 0 5"
       "ind2 2 5" "ind2 1 6" "grow_ind 4" "grow_ind 0" "host_ind" "fib 15" "sum 100")
# Runs every case "export args..." of module $1 in both tiers and every
# memory mode; output, status and trap must be identical.
both_tiers() {
    local wasm=$1 mode c f; shift
    local list=("$@")
    for mode in "" "-X memory=paged" "-X memory=paged-tables" "-W mem-safety"; do
        for c in "${list[@]}"; do
            set -- $c
            f=$1; shift
            run $mode --interp --invoke "$f" "$wasm" "$@"; ri=$rc; cp "$out/last" "$out/interp"
            run $mode -C native --invoke "$f" "$wasm" "$@"; rn=$rc
            if [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then ok; else
                bad "[$mode] $f $*: interpreter (status $ri) and native (status $rn) differ"
                diff "$out/interp" "$out/last" | head -5
            fi
        done
    done
}
both_tiers "$W" "${cases[@]}"

# v128 (tests/native/simd.wat): NaN, -0, saturation, lanes and counts out of
# range, conversions at their limits, loads and lane accesses at the end of
# the memory.
wat2wasm tests/native/simd.wat -o "$out/simd.wasm" || { echo "wat2wasm simd.wat failed"; echo "$pass passed, 1 failed"; exit 1; }
simd_cases=("fminmax nan 1" "fminmax 1 nan" "fminmax -0 0" "fminmax 0 -0" "fmax -0 0" "fmax nan -0"
            "pmin64 -0 0" "pmin64 nan 1" "pmin64 1 nan" "fmin64 0 -0" "fmin64 1 nan"
            "snan 0x7fa00001" "snan 0xffa00000" "snan64 0x7ff4000000000001" "abs_neg 0xffc00001"
            "sat8 127 1" "sat8 -128 -1" "sat8 200 100" "sat8 0 1" "sat16 32767 1" "sat16 -32768 -1"
            "sat16 1 2" "q15 -32768 -32768" "q15 16384 16384" "q15 -32768 32767" "narrow 300 -70000"
            "narrow -129 65536" "narrow8u -1" "narrow8u 256" "dot -32768 -32768" "dot 32767 -32768"
            "extmul -1 -1" "extmul -2147483648 -2147483648" "avgr_pop 255 255" "avgr_pop 0 1"
            "pairwise -1" "pairwise 0x7f80" "absneg -128" "absneg -2147483648"
            "shifts 0x80000001 33" "shifts -8 7" "shifts -8 71" "shifts -1 64" "swizzle 16 255"
            "swizzle 15 128" "swizzle 200 0" "shuffle 0xab" "lanes -3" "lanes 200" "masks 0"
            "masks -1" "masks 0x80000000" "trunc_sat nan nan" "trunc_sat 3e9 -1" "trunc_sat -3e9 5e9"
            "trunc_sat 2147483520 4294967295.5" "trunc_sat_u nan nan" "trunc_sat_u -0.5 -2147483649"
            "trunc_sat_u 4294967296 -2147483648.9" "convert -1" "convert 16777217"
            "convert 0x80000081" "demote 1e300" "demote nan" "demote -0" "demote 3.4028235677973366e38"
            "promote nan" "promote -0" "promote 1e-45" "rounding -0.5" "rounding 2.5" "rounding -1.5"
            "rounding nan" "rounding 0.49999997" "load_zero 65532" "load_zero 65533" "load_zero 0"
            "load_splat 65532" "load_splat 65533" "load_ext 65528" "load_ext 65529"
            "load_lane 65528" "load_lane 65529" "store_lane 65534" "store_lane 65535")
both_tiers "$out/simd.wasm" "${simd_cases[@]}"

# The value stack's size (tests/native/stack.wat): large frames, directly,
# through the table and below small ones, end at the same depth in both
# tiers and every memory mode, also when fuel runs out on the way; at least
# the small sizes must trap there (the backtrace then shows the depth).
wat2wasm tests/native/stack.wat -o "$out/stack.wasm" || bad "wat2wasm stack.wat"
straps=0
for mode in "" "-X memory=paged" "-W mem-safety"; do
    for size in 16000 40000 1000000; do
        for c in "wide 5" "wide 1000" "wide_ind 1000" "wide_ind2 1000" "narrow 3" "narrow 1000"; do
            for fuel in "" "-W fuel=20"; do
                set -- $c
                run $mode $fuel -W max-wasm-stack=$size --interp --invoke "$1" "$out/stack.wasm" "$2"; ri=$rc
                cp "$out/last" "$out/interp"
                run $mode $fuel -W max-wasm-stack=$size -C native -C cache="$out/cache-stack" --invoke "$1" "$out/stack.wasm" "$2"; rn=$rc
                if [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then ok; else
                    bad "stack [$mode $fuel] $size $c: interpreter (status $ri) and native (status $rn) differ"
                    diff "$out/interp" "$out/last" | head -5
                fi
                grep -q "call stack exhausted" "$out/last" && [ "$size" -lt 100000 ] && straps=$((straps + 1))
            done
        done
    done
done
if [ "$straps" -ge 24 ]; then ok; else bad "stack: $straps small-stack runs trapped"; fi

# Deep recursion on a small native stack: a trap, never a crash (direct
# calls, and calls through the table).
for s in 256 128 96; do
    for f in recurse fib; do
        ( ulimit -s $s; timeout 60 "$WARD" run -C native -W max-wasm-stack=1000000000 --invoke $f "$W" 100000000 >"$out/last" 2>&1 ); rc=$?
        if [ "$rc" = 134 ] && grep -q "call stack exhausted" "$out/last"; then ok; else bad "small stack ($s KiB, $f): status $rc"; head -3 "$out/last"; fi
    done
done

# Guard pages (docs/native.md): flat 32-bit accesses without bounds checks,
# every width at and past the end of memory, offsets near 2^32, grow, nested
# calls, a zero-page second memory; both tiers must agree byte for byte.
wat2wasm --enable-multi-memory tests/native/guard.wat -o "$out/guard.wasm" || bad "wat2wasm guard.wat"
G=$out/guard.wasm
# guard_cases LABEL [ward run options...]: every function of guard.wat at
# addresses at and past the end, in both tiers, byte for byte; gtraps
# counts the traps (the cases must include traps, and not only traps).
guard_cases() {
    local label=$1 f a ri rn
    shift
    gtraps=0
    for f in l8u l8s l16u l16s l32 l64 l64_8s l64_16s l64_32s l64_32u lf32 lf64 s8 s16 s32 s64 s64_32 \
             sf64 rw off8 off64 offs grow nested ind z_l z_s drop fill vl vl8x8 vsplat vzero vlane vs; do
        for a in 0 65535 65534 65532 65528 65529 65536 131068 4294967295; do
            run "$@" --interp --invoke "$f" "$G" "$a"; ri=$rc; cp "$out/last" "$out/interp"
            run "$@" -C native --invoke "$f" "$G" "$a"; rn=$rc
            if [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then ok; else
                bad "guard [$label] $f $a: interpreter (status $ri) and native (status $rn) differ"
                diff "$out/interp" "$out/last" | head -5
            fi
            grep -q "out of bounds memory access" "$out/last" && gtraps=$((gtraps + 1))
        done
    done
    if [ "$gtraps" -ge 100 ] && [ "$gtraps" -le 250 ]; then ok; else bad "guard [$label]: $gtraps of 315 trapped"; fi
}
guard_cases flat
# The guard cases that need the C API: memory and globals after a trap,
# nesting through a host function, threads, chaining to other handlers.
wat2wasm tests/native/guard_api.wat -o "$out/guard_api.wasm" || bad "wat2wasm guard_api.wat"
if make -s O="$O" "$O/tests/native/guard" >/dev/null; then
    timeout 120 "$O/tests/native/guard" "$out/guard_api.wasm" >"$out/last" 2>&1; rc=$?
    if [ "$rc" = 0 ]; then ok; else bad "tests/native/guard.c: status $rc"; tail -5 "$out/last"; fi
else
    bad "cannot build tests/native/guard"
fi

# The same guard.wat cases in a paged memory: its span is all of it, so
# native code accesses it through guard pages on its arena (docs/native.md,
# "Guard pages"); memory 1, with no pages and no arena, through the ways.
guard_cases paged -X memory=paged

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
# Large functions (docs/native.md, "Large functions"): a thousand loads into
# a thousand long-lived locals, a thousand ifs over them. -O2 took minutes
# on this shape in paged and tagged memory (run's timeout is 60 s); now such
# a function takes the short path and must still give the interpreter's
# results and traps. Compared as above (same).
python3 tests/native/big_gen.py 1000 >"$out/big.wat" && wat2wasm "$out/big.wat" -o "$out/big.wasm" ||
    bad "big_gen.py"
for mode in "" "-X memory=paged" "-W mem-safety"; do
    for c in "loads 0" "loads 5" "loads 62000" "ifs 0" "ifs 12345" "ifs -1"; do
        set -- $c
        same "large function [$mode] $c" $mode -C cache="$out/cache-big" --invoke "$1" \
            "$out/big.wasm" "$2"
    done
done

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

# Tagged flat 32-bit memories without tags (tguard.wat): guarded like flat
# ones, a fault is out of bounds or a tag mismatch as the interpreter says.
# Every width at and past the end, with and without a tag in the address,
# straddling the end; offsets; grow; a 256 MiB memory 1; tags set, in a
# loop, in a callee, and freed. Then guard.wat's cases in mem-safety.
wat2wasm --enable-all tests/native/tguard.wat -o "$out/tguard.pre.wasm" \
    && "$O/cage-place" "$out/tguard.pre.wasm" "$out/tguard.wasm" || bad "building tguard.wasm"
TG=(-W mem-safety -C cache="$out/tcache")
tgo=0; tgm=0
tgsame() { # label, ward run arguments...
    same "$@"
    grep -q "out of bounds memory access" "$out/last" && tgo=$((tgo + 1))
    grep -q "memory tag mismatch" "$out/last" && tgm=$((tgm + 1))
}
for f in l8u l8s l16u l16s l32 l32s l64 lf32 lf64 s8 s16 s32 s64 sf32 sf64 vl vl8 vs sc4 ss4 sct rw offt \
         off8 off64 offs grow nested ind; do
    for a in 0 65535 65534 65532 65528 65529 65536 268435452 268435456 268500988 268500990 \
             268566524 4026531856 4294967295; do
        tgsame "[mem-safety] tguard.wat $f $a" "${TG[@]}" --invoke "$f" "$out/tguard.wasm" "$a"
    done
done
for f in b32 b64 bs16; do
    for a in 0 268435452 268435454 268435455 268435456 268435460 536870904 536870910 4294967292; do
        tgsame "[mem-safety] tguard.wat $f $a" "${TG[@]}" --invoke "$f" "$out/tguard.wasm" "$a"
    done
done
for c in "tag_here 64" "tag_here 96" "tag_here 805306432" "tag_here 65534" "tag_callee 64" \
         "tag_callee 805306432" "tag_callee 100" "tag_loop 52 10" "tag_loop 805306420 10" \
         "tag_loop 200 10" "tag_loop 65520 10" "tag_freed 64" "tag_freed 805306432" "tag_freed 65536"; do
    set -- $c
    tgsame "[mem-safety] tguard.wat $*" "${TG[@]}" --invoke "$1" "$out/tguard.wasm" "$2"
done
# The cases above must trap both ways (and not only trap).
if [ "$tgo" -ge 150 ] && [ "$tgo" -le 300 ] && [ "$tgm" -ge 40 ] && [ "$tgm" -le 150 ]; then ok; else
    bad "tguard: $tgo out of bounds and $tgm tag mismatches of 447 cases"
fi
for f in l8u l16s l32 l64 lf64 s8 s64 sf64 rw off8 off64 offs grow nested ind z_l z_s drop fill \
         vl vl8x8 vsplat vzero vlane vs; do
    for a in 0 65534 65536 131068 268435456 4294967295; do
        same "[mem-safety] guard.wat $f $a" "${TG[@]}" --invoke "$f" "$G" "$a"
    done
done


# Builds tests/native/NAME.c with libward-native and runs it on WASM: its
# last line must be "N passed, 0 failed".
c_test() {
    local name=$1 wasm=$2 line
    if ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude -o "$out/$name" \
        "tests/native/$name.c" "$O/libward-native.a" \
        $(${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config} --ldflags --libs) -lm -lpthread; then
        line=$(timeout 120 "$out/$name" "$wasm" | tee "$out/last" | tail -n 1)
        grep '^FAIL' "$out/last"
        case $line in
        *" passed, 0 failed") ok ;;
        *) bad "$name: $line" ;;
        esac
    else
        bad "building $name"
    fi
}
# Copy-on-write clones (clone_test.c, through the C API): clones update the
# template's pages in place in a loop, each instance reads its own words.
wat2wasm tests/native/clone.wat -o "$out/clone.wasm" || bad "wat2wasm clone.wat"
c_test clone_test "$out/clone.wasm"
# Guard pages of paged memories through the C API (pguard_test.c): faults
# at and past the end, after grow, a straddle; memory 1; a clone, a
# protected page, a region that cuts the span; a kept arena reused by a
# smaller memory.
wat2wasm --enable-multi-memory tests/native/pguard.wat -o "$out/pguard.wasm" || bad "wat2wasm pguard.wat"
c_test pguard_test "$out/pguard.wasm"

# The call-depth limit where native code calls a function without native
# code (depth_test.c: libward alone, the code of depth.wat loaded from an
# artifact as the serverless node loads it, depth_leaf.wat interpreted):
# every depth around the limit gives the same result and backtrace as the
# interpreter.
wat2wasm tests/native/depth.wat -o "$out/depth.wasm" || bad "wat2wasm depth.wat"
wat2wasm tests/native/depth_leaf.wat -o "$out/depth_leaf.wasm" || bad "wat2wasm depth_leaf.wat"
if make -s O="$O" "$O/libward-internal.a" >/dev/null &&
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude -o "$out/depth_test" \
        tests/native/depth_test.c "$O/libward-internal.a" -lm -lpthread &&
    "$WARD" compile "$out/depth.wasm" -o "$out/depth.cwasm" >/dev/null; then
    line=$(timeout 120 "$out/depth_test" "$out/depth.cwasm" "$out/depth_leaf.wasm" | tee "$out/last" | tail -n 1)
    grep '^FAIL' "$out/last"
    case $line in
    *" passed, 0 failed") ok ;;
    *) bad "depth_test: $line" ;;
    esac
else
    bad "building depth_test"
fi

# Fuel and the deadline stop native loops.
run -C native -W fuel=1000 --invoke spin "$W" 100000
if [ "$rc" = 134 ] && grep -q "all fuel consumed" "$out/last"; then ok; else bad "fuel: status $rc"; fi
run -C native -W fuel=1000 --invoke fac "$W" 10
if [ "$rc" = 0 ] && grep -qx 3628800 "$out/last"; then ok; else bad "fuel (enough): status $rc"; fi
run -C native -W timeout=200ms --invoke forever "$W"
if [ "$rc" = 134 ] && grep -q "deadline exceeded" "$out/last"; then ok; else bad "deadline: status $rc"; fi
# deadline-compile: the deadline bounds compilation too. A module that
# takes seconds to compile (60 functions of 60 arithmetic rounds each; its
# first call waits for at most half of the 200 ms, then the interpreter
# runs it), no cache: the run ends in the deadline's trap at once, with
# the compilation unfinished (it once compiled to the end first).
{
    echo '(module'
    for ((f = 0; f < 60; f++)); do
        echo "  (func (export \"f$f\") (param i32) (result i32)"
        for ((k = 0; k < 60; k++)); do
            echo "    local.get 0 i32.const $((f * 61 + k)) i32.mul i32.const $((k * 7 + 1)) i32.rotl local.get 0 i32.xor local.set 0"
        done
        echo '    local.get 0)'
    done
    echo '  (func (export "forever") (loop $l (br $l))))'
} >"$out/slow.wat"
wat2wasm "$out/slow.wat" -o "$out/slow.wasm" || bad "wat2wasm slow.wat"
start=$(date +%s%N)
WARD_NATIVE_STATS=1 timeout 60 "$WARD" run -C native -W timeout=200ms --invoke forever "$out/slow.wasm" \
    >"$out/last" 2>&1; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" = 134 ] && grep -q "deadline exceeded" "$out/last" && [ "$ms" -lt 1500 ]; then ok; else
    bad "deadline-compile: status $rc after $ms ms"; head -5 "$out/last"
fi
# ... and a recursion without loops (only the checks at calls see it).
run -C native -W timeout=200ms --invoke fib "$W" 60
if [ "$rc" = 134 ] && grep -q "deadline exceeded" "$out/last"; then ok; else bad "deadline in a recursion: status $rc"; fi
# Fuel running out exactly at a call, at a call_indirect, at a loop back-edge or
# just not: the same outcome and backtrace in both tiers, for every amount.
rm -rf "$out/cache-fuel"
for c in "fib 6" "sum 7" "spin 20" "multi_ind 5 5" "grow_ind 4"; do
    set -- $c
    f=$1; shift
    for fuel in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 40; do
        run --interp -W fuel=$fuel --invoke "$f" "$W" "$@"; ri=$rc; cp "$out/last" "$out/interp"
        run -C native -C cache="$out/cache-fuel" -W fuel=$fuel --invoke "$f" "$W" "$@"; rn=$rc
        if [ "$ri" = "$rn" ] && cmp -s "$out/interp" "$out/last"; then ok; else
            bad "fuel=$fuel $f $*: interpreter (status $ri) and native (status $rn) differ"
            diff "$out/interp" "$out/last" | head -5
        fi
    done
done

# The cache directory. The first run compiles (in ward-native) and keeps
# an artifact named so that ward finds it; later runs of ward load it
# themselves (without LLVM: ward-native need not be there), ward-native
# through LLVM's JIT; traps and backtraces are the interpreter's; paged and
# paged-tables stores share an entry; a damaged entry is compiled again
# and replaced.
rm -rf "$out/cache"
cached() { # what want-in-stats want-output command...
    local what=$1 want=$2 wout=$3; shift 3
    WARD_NATIVE_STATS=1 timeout 60 "$@" >"$out/last" 2>&1; rc=$?
    if [ "$rc" = 0 ] && grep -q "$want" "$out/last" && grep -qx "$wout" "$out/last"; then ok; else
        bad "cache: $what: status $rc"; cat "$out/last"; fi
}
C=(-C native -C cache="$out/cache" --invoke fac "$W")
cached "first run" "1 modules compiled" 120 "$WARD" run "${C[@]}" 5
WARD_NATIVE=/nonexistent cached "ward, no ward-native" "0 modules compiled, 1 cached.*without LLVM" 720 \
    "$WARD" run "${C[@]}" 6
cached "ward-native" "0 modules compiled in .* 1 cached" 24 "$O/ward-native" run "${C[@]}" 4
run --interp --invoke recurse "$W" 1; cp "$out/last" "$out/interp"; ri=$rc
rm -rf "$out/cache-trap" && cp -r "$out/cache" "$out/cache-trap"
WARD_NATIVE=/nonexistent run -C native -C cache="$out/cache-trap" --invoke recurse "$W" 1
if [ "$ri" = "$rc" ] && [ "$rc" != 0 ] && cmp -s "$out/interp" "$out/last"; then ok; else
    bad "cache: a trap in cached code (status $rc, interpreter $ri)"; diff "$out/interp" "$out/last" | head; fi
cached "paged, first run" "1 modules compiled" 120 "$WARD" run -X memory=paged "${C[@]}" 5
WARD_NATIVE=/nonexistent cached "paged-tables, from paged's entry" "0 modules compiled, 1 cached" 120 \
    "$WARD" run -X memory=paged-tables "${C[@]}" 5
n=$(ls "$out/cache" | wc -l)
[ "$n" = 2 ] && ok || bad "cache: $n entries, expected 2 (flat, paged)"
for f in "$out"/cache/*; do
    printf '\x5a' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 300)) conv=notrunc status=none
done
cached "damaged entry" "1 modules compiled" 120 "$WARD" run "${C[@]}" 5
WARD_NATIVE=/nonexistent cached "the entry written again" "0 modules compiled, 1 cached" 120 \
    "$WARD" run "${C[@]}" 5

# AOT artifacts, run by ward itself (libward's loader, no LLVM: it runs
# even where ward-native is not found) and by ward-native (LLVM's JIT):
# the same results and the same refusals.
timeout 120 "$WARD" compile "$W" -o "$out/traps.cwasm"; rc=$?
[ "$rc" = 0 ] && ok || bad "ward compile: status $rc"
size=$(stat -c %s "$out/traps.cwasm")
head -c $((size - 100)) "$out/traps.cwasm" >"$out/trunc.cwasm"
cp "$out/traps.cwasm" "$out/tamper.cwasm"
printf '\x90' | dd of="$out/tamper.cwasm" bs=1 seek=$((size - 200)) conv=notrunc status=none
printf 'WARDAOT3' >"$out/short.cwasm"
{ printf 'WARDAOT2'; head -c 300 /dev/zero; } >"$out/old.cwasm"
# Forged with the hash made again (art_edit.c): another CPU identity
# (offset 120), another version (8), another memory mode (204).
if ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Iinclude -Isrc -o "$out/art_edit" \
    tests/native/art_edit.c src/base/blake3.c; then
    "$out/art_edit" "$out/traps.cwasm" "$out/cpu.cwasm" 120 1
    "$out/art_edit" "$out/traps.cwasm" "$out/ver.cwasm" 8 9
    "$out/art_edit" "$out/traps.cwasm" "$out/mode.cwasm" 204 1
else bad "building art_edit"; fi
# The reader on damaged artifacts (fuzz/fuzz_artifact.c, under ASan and
# UBSan): mutations of a real artifact, each read as it is and with its
# hash made right.
if ${CC:-cc} -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Iinclude -Isrc \
    -fsanitize=address,undefined -fno-sanitize-recover=all -o "$out/fuzz_artifact" \
    -DWARD_NATIVE_KEY='"fuzz"' fuzz/fuzz_artifact.c fuzz/fuzz_driver.c src/api/artifact.c src/base/blake3.c \
    src/platform/platform.c src/base/base.c -lpthread &&
    "$WARD" compile "$out/depth.wasm" -o "$out/depth.cwasm" >/dev/null; then
    if timeout 300 "$out/fuzz_artifact" 60000 "$out/depth.cwasm" >"$out/last" 2>&1; then ok; else
        bad "artifact reader fuzz"; tail -20 "$out/last"; fi
else bad "building fuzz_artifact"; fi
for bin in ward ward-native; do
    WARD=$O/$bin
    # ward must not need ward-native for an artifact
    [ $bin = ward ] && export WARD_NATIVE=/nonexistent/ward-native
    run --invoke fac "$out/traps.cwasm" 6
    if [ "$rc" = 0 ] && grep -qx 720 "$out/last"; then ok; else bad "$bin: artifact run: status $rc"; cat "$out/last"; fi
    run --invoke oob "$out/traps.cwasm" 65528
    if [ "$rc" = 134 ] && grep -q "out of bounds memory access" "$out/last"; then ok; else bad "$bin: artifact trap: status $rc"; fi
    run -W fuel=1000 --invoke spin "$out/traps.cwasm" 100000
    if [ "$rc" = 134 ] && grep -q "all fuel consumed" "$out/last"; then ok; else bad "$bin: artifact fuel: status $rc"; fi
    refused() { # what file grep [run options]
        local what=$1 f=$2 want=$3; shift 3
        run "$@" --invoke fac "$f" 6
        if [ "$rc" = 1 ] && grep -q "$want" "$out/last"; then ok; else bad "$bin: $what: status $rc"; cat "$out/last"; fi
    }
    refused "truncated artifact" "$out/trunc.cwasm" "truncated"
    refused "modified artifact" "$out/tamper.cwasm" "modified"
    refused "8-byte artifact" "$out/short.cwasm" "truncated"
    refused "format 2" "$out/old.cwasm" "format 2"
    refused "another CPU" "$out/cpu.cwasm" "another CPU"
    refused "another version" "$out/ver.cwasm" "built by ward"
    refused "another memory mode in the file" "$out/mode.cwasm" "built for -X memory=paged"
    refused "another memory mode in the run" "$out/traps.cwasm" "X memory=" -X memory=paged
    refused "tagged memory in the run" "$out/traps.cwasm" "mem-safety: run it" -W mem-safety
    refused "another opt level" "$out/traps.cwasm" "optimisation level" -C opt-level=1
    unset WARD_NATIVE
done
WARD=$O/ward

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
