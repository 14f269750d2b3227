#!/usr/bin/env bash
# bench/cage.sh - the cost of memory safety (Cage, docs/cage.md), each as a
# ratio to the untagged run in the same invocation (runs alternate; medians
# of BENCH_RUNS):
# 1. tagcheck/plain: every benchmark program of bench/progs (built as
#    bench/run.sh builds them) under `ward run -W mem-safety` against `ward
#    run`: every access tag-checked, nothing tagged, so this is the cost of
#    the check alone.
# 2. segments/plain: bench/cage/alloc.c, an allocation-heavy program whose
#    allocator makes every block a segment (built with -DSEGMENTS, through
#    tools/cage-place), under -W mem-safety, against the same program with
#    the same allocator without segments under plain `ward run`; also the
#    peak resident memory of both.
# Each part ends with its line for scripts, exactly
#     geomean tagcheck/plain: 1.07x
#     geomean segments/plain: 1.12x
# Environment: WARD (build/ward), CAGE_PLACE (build/cage-place), BENCH_RUNS
# (5), BENCH_FILTER (regex of program names), BENCH_OUT (build/bench-cage).
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
WARD=${WARD:-build/ward}
PLACE=${CAGE_PLACE:-build/cage-place}
RUNS=${BENCH_RUNS:-5}
FILTER=${BENCH_FILTER:-}
OUT=${BENCH_OUT:-build/bench-cage}
mkdir -p "$OUT/wasm" "$OUT/logs"
[[ -x $WARD && -x $PLACE ]] || { echo "bench/cage: $WARD or $PLACE not found (make first)"; exit 2; }
fails=0
WASM2_FLAGS="-mbulk-memory -msign-ext -mnontrapping-fptoint"
MEASURE=$OUT/measure
[[ -x $MEASURE && bench/measure.c -ot $MEASURE ]] ||
    cc -O2 -Wall -Wextra -o "$MEASURE" bench/measure.c || exit 2

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# run NAME LOG WASM ARGS... : one `ward run`; appends kernel_ms, the
# checksum and the peak RSS (KiB) to the arrays named by the caller.
run() {
    local log=$1 flags=$2 wasm=$3
    shift 3
    # shellcheck disable=SC2086 # flags is a word list on purpose
    "$MEASURE" -o "$log.rss" -- "$WARD" run $flags "$wasm" "$@" >"$log" 2>&1 ||
        { echo "bench/cage: $wasm $* $flags failed (see $log)"; fails=$((fails + 1)); }
    kms=$(sed -n 's/^kernel_ms: \([0-9.]*\)$/\1/p' "$log")
    sum=$(sed -n 's/^checksum: \(.*\)$/\1/p' "$log")
    rss=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$log.rss")
}

# compare NAME PLAINFLAGS PLAINWASM TAGFLAGS TAGWASM ARGS...: prints a row,
# adds log(ratio) to logsum.
compare() {
    local name=$1 pf=$2 pw=$3 tf=$4 tw=$5 i pms="" tms="" prss=0 trss=0 psum tsum
    shift 5
    for ((i = 0; i < RUNS; i++)); do
        run "$OUT/logs/$name.plain.$i" "$pf" "$pw" "$@"
        pms+="$kms "; psum=$sum; ((rss > prss)) && prss=$rss
        run "$OUT/logs/$name.tag.$i" "$tf" "$tw" "$@"
        tms+="$kms "; tsum=$sum; ((rss > trss)) && trss=$rss
        if [[ $psum != "$tsum" ]]; then
            echo "bench/cage: $name checksum plain $psum tagged $tsum"; fails=$((fails + 1))
        fi
    done
    local pm tm r
    pm=$(printf '%s\n' $pms | median); tm=$(printf '%s\n' $tms | median)
    [[ -z $pm || -z $tm ]] && return
    r=$(awk -v a="$tm" -v b="$pm" 'BEGIN {printf "%.3f", a / b}')
    printf '%-14s %10.2f %10.2f %6.3fx %10d %10d\n' "$name" "$pm" "$tm" "$r" "$prss" "$trss"
    logsum=$(awk -v s="$logsum" -v r="$r" 'BEGIN {print s + log(r)}'); n=$((n + 1))
    rsssum=$(awk -v s="$rsssum" -v a="$trss" -v b="$prss" 'BEGIN {print s + log(a / b)}')
}

echo "== tag checks on, nothing tagged: -W mem-safety against plain (median of $RUNS) =="
printf '%-14s %10s %10s %7s %10s %10s\n' program plain_ms tagged_ms ratio plain_KiB tagged_KiB
logsum=0; rsssum=0; n=0
for src in bench/progs/*.c; do
    name=$(basename "$src" .c)
    [[ $name == hello ]] && continue
    [[ -n $FILTER && ! $name =~ $FILTER ]] && continue
    wasm=$OUT/wasm/$name.wasm
    if [[ ! -f $wasm || $src -nt $wasm ]]; then
        flags=$(sed -n 's/.*BENCH_WASM_FLAGS:\(.*\)$/\1/p' "$src" | head -n 1)
        # shellcheck disable=SC2086
        WASM_SYSROOT=$OUT/sysroot bash tools/wasm-cc.sh "$wasm" "$src" -Wno-error $WASM2_FLAGS $flags -lm \
            || { echo "bench/cage: cannot build $name"; fails=$((fails + 1)); continue; }
    fi
    compare "$name" "" "$wasm" "-W mem-safety" "$wasm"
done
((n > 0)) && awk -v s="$logsum" -v n="$n" 'BEGIN {printf "geomean tagcheck/plain: %.2fx\n", exp(s / n)}'

echo
echo "== segments: bench/cage/alloc.c with a segment per block under -W mem-safety, against"
echo "   the same allocator without segments, plain (median of $RUNS; peak RSS of all runs) =="
printf '%-14s %10s %10s %7s %10s %10s\n' kernel plain_ms segments_ms ratio plain_KiB segment_KiB
for v in plain segments; do
    f=; [[ $v == segments ]] && f=-DSEGMENTS
    # shellcheck disable=SC2086
    WASM_SYSROOT=$OUT/sysroot bash tools/wasm-cc.sh "$OUT/wasm/alloc-$v.pre.wasm" bench/cage/alloc.c \
        -Iinclude $WASM2_FLAGS $f && "$PLACE" "$OUT/wasm/alloc-$v.pre.wasm" "$OUT/wasm/alloc-$v.wasm" \
        || { echo "bench/cage: cannot build alloc ($v)"; exit 1; }
done
logsum=0; rsssum=0; n=0
for k in trees table churn; do
    [[ -n $FILTER && ! $k =~ $FILTER ]] && continue
    compare "$k" "" "$OUT/wasm/alloc-plain.wasm" "-W mem-safety" "$OUT/wasm/alloc-segments.wasm" "$k"
done
((n > 0)) && awk -v s="$rsssum" -v n="$n" 'BEGIN {printf "geomean peak RSS segments/plain: %.3fx\n", exp(s / n)}'
((n > 0)) && awk -v s="$logsum" -v n="$n" 'BEGIN {printf "geomean segments/plain: %.2fx\n", exp(s / n)}'
exit $((fails > 0))
