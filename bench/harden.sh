#!/usr/bin/env bash
# bench/harden.sh - the cost of `ward harden` (docs/harden.md): every
# benchmark program of bench/progs, built by stock clang -O2 for wasm32-wasi
# (compile with -O2, link without it, so that binaryen's wasm-opt does not
# drop the name section the rewriter reads), run as it is under `ward run`
# and hardened under `ward run -W mem-safety`, alternately in the same
# invocation; medians of BENCH_RUNS of the programs' own kernel times, and
# the peak resident memory of all runs. Also the instructions the rewrite
# adds (static counts from `ward harden --report`).
# The time figure ends the output as a line of its own, exactly
#     geomean hardened/plain: 1.18x
# Goals (issue 15): at most 1.25x time in the interpreter; memory at most
# 1/32 (the tags) plus the allocator's rounding.
# Environment: WARD (build/ward), BENCH_RUNS (5), BENCH_FILTER (regex of
# program names), BENCH_OUT (build/bench-harden).
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
WARD=${WARD:-build/ward}
RUNS=${BENCH_RUNS:-5}
FILTER=${BENCH_FILTER:-}
OUT=${BENCH_OUT:-build/bench-harden}
mkdir -p "$OUT/wasm" "$OUT/logs" "$OUT/sysroot/include" "$OUT/sysroot/lib"
ln -sfn /usr/include/wasm32-wasi "$OUT/sysroot/include/wasm32-wasi"
ln -sfn /usr/lib/wasm32-wasi "$OUT/sysroot/lib/wasm32-wasi"
[[ -x $WARD ]] || { echo "bench/harden: $WARD not found (make first)"; exit 2; }
fails=0
WASM2_FLAGS="-mbulk-memory -msign-ext -mnontrapping-fptoint"
MEASURE=$OUT/measure
[[ -x $MEASURE && bench/measure.c -ot $MEASURE ]] ||
    cc -O2 -Wall -Wextra -o "$MEASURE" bench/measure.c || exit 2

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

run() { # LOG FLAGS WASM: kms, sum, rss
    local log=$1 flags=$2 wasm=$3
    # shellcheck disable=SC2086 # flags is a word list on purpose
    "$MEASURE" -o "$log.rss" -- "$WARD" run $flags "$wasm" >"$log" 2>&1 ||
        { echo "bench/harden: $wasm $flags failed (see $log)"; fails=$((fails + 1)); }
    kms=$(sed -n 's/^kernel_ms: \([0-9.]*\)$/\1/p' "$log")
    sum=$(sed -n 's/^checksum: \(.*\)$/\1/p' "$log")
    rss=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$log.rss")
}

echo "== ward harden: hardened (-W mem-safety) against plain, median of $RUNS; peak RSS of all runs =="
printf '%-10s %9s %9s %7s %9s %9s %7s %7s %7s %8s\n' program plain_ms hard_ms ratio plain_KiB hard_KiB mem \
    frames +instr wrappers
logsum=0 rsssum=0 n=0
tot_in=0 tot_frames=0 tot_wrap=0
for src in bench/progs/*.c; do
    name=$(basename "$src" .c)
    [[ $name == hello ]] && continue
    [[ -n $FILTER && ! $name =~ $FILTER ]] && continue
    wasm=$OUT/wasm/$name.wasm hw=$OUT/wasm/$name.h.wasm
    flags=$(sed -n 's/.*BENCH_WASM_FLAGS:\(.*\)$/\1/p' "$src" | head -n 1)
    # shellcheck disable=SC2086
    if ! clang --target=wasm32-wasi --sysroot="$OUT/sysroot" -O2 $WASM2_FLAGS $flags -c "$src" \
        -o "$OUT/wasm/$name.o" || ! clang --target=wasm32-wasi --sysroot="$OUT/sysroot" \
        "$OUT/wasm/$name.o" -o "$wasm" -lm; then
        echo "bench/harden: cannot build $name"; fails=$((fails + 1)); continue
    fi
    if ! "$WARD" harden --report "$wasm" -o "$hw" >"$OUT/logs/$name.report" 2>&1; then
        echo "bench/harden: ward harden $name failed: $(cat "$OUT/logs/$name.report")"
        fails=$((fails + 1)); continue
    fi
    # "instructions: N in the module, M added in frames (K per tagged frame), W in F new functions"
    read -r i_in i_frames i_wrap < <(sed -nE \
        's/^instructions: ([0-9]+) in the module, ([0-9]+) added in frames.*, ([0-9]+) in [0-9]+ new functions/\1 \2 \3/p' \
        "$OUT/logs/$name.report")
    frames=$(sed -nE 's/^  ([0-9]+) of [0-9]+ functions that use it get a tagged frame.*/\1/p' "$OUT/logs/$name.report")
    tot_in=$((tot_in + ${i_in:-0})) tot_frames=$((tot_frames + ${i_frames:-0})) tot_wrap=$((tot_wrap + ${i_wrap:-0}))
    pms="" hms="" prss=0 hrss=0
    for ((i = 0; i < RUNS; i++)); do
        run "$OUT/logs/$name.plain.$i" "" "$wasm"
        pms+="$kms "; psum=$sum; ((rss > prss)) && prss=$rss
        run "$OUT/logs/$name.hard.$i" "-W mem-safety" "$hw"
        hms+="$kms "; hsum=$sum; ((rss > hrss)) && hrss=$rss
        if [[ $psum != "$hsum" ]]; then
            echo "bench/harden: $name checksum plain $psum hardened $hsum"; fails=$((fails + 1))
        fi
    done
    pm=$(printf '%s\n' $pms | median); hm=$(printf '%s\n' $hms | median)
    [[ -z $pm || -z $hm ]] && continue
    r=$(awk -v a="$hm" -v b="$pm" 'BEGIN {printf "%.3f", a / b}')
    mr=$(awk -v a="$hrss" -v b="$prss" 'BEGIN {printf "%.3f", a / b}')
    printf '%-10s %9.2f %9.2f %6.3fx %9d %9d %6.3fx %7s %7s %8s\n' "$name" "$pm" "$hm" "$r" "$prss" "$hrss" \
        "$mr" "${frames:-0}" "${i_frames:-0}" "${i_wrap:-0}"
    logsum=$(awk -v s="$logsum" -v r="$r" 'BEGIN {print s + log(r)}')
    rsssum=$(awk -v s="$rsssum" -v r="$mr" 'BEGIN {print s + log(r)}')
    n=$((n + 1))
done
echo "instructions added (static, all programs): $tot_frames in frames and $tot_wrap in the allocator wrappers, to $tot_in"
echo "(a tagged frame runs 12 more instructions per call, two of them segment.new/segment.free"
echo " over the frame; malloc and free run about 55 and 40 instructions in their wrappers)"
((n > 0)) && awk -v s="$rsssum" -v n="$n" 'BEGIN {printf "geomean peak RSS hardened/plain: %.3fx\n", exp(s / n)}'
((n > 0)) && awk -v s="$logsum" -v n="$n" 'BEGIN {printf "geomean hardened/plain: %.2fx\n", exp(s / n)}'
exit $((fails > 0))
