#!/usr/bin/env bash
# bench/paged.sh - paged memory against flat memory in the same run.
#
# 1. Every benchmark program of bench/progs (built by tools/wasm-cc.sh into
#    $OUT/wasm if missing) under `ward run` flat, `-X memory=paged` and
#    `-X memory=paged-tables` (every access through the page tables: the
#    path of pages outside the span, as in clones and shared memories),
#    alternating, median kernel_ms of BENCH_RUNS runs each; checksums must
#    agree. Prints the per-program ratio and `geomean paged/flat: X.XXx`,
#    then the same geomean over each mode's fastest run (noise on a shared
#    machine only adds time, so the minimum is the steadier estimate).
# 2. and 3. bench/share_clone.c (sharing N consumers x S MiB, clones).
#
# Environment: WARD (build/ward), BENCH_RUNS (5), BENCH_FILTER (regex),
# BENCH_OUT (build/bench-paged), BENCH_SHARE=0 to skip part 2/3.
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
WARD=${WARD:-build/ward}
RUNS=${BENCH_RUNS:-5}
FILTER=${BENCH_FILTER:-}
OUT=${BENCH_OUT:-build/bench-paged}
mkdir -p "$OUT/wasm" "$OUT/logs"
[[ -x $WARD ]] || { echo "bench/paged: $WARD not found (make first)"; exit 2; }
fails=0

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { sort -g | head -n 1; }

echo "== paged vs flat: kernel time (median of $RUNS) =="
echo "   (paged: the program's own pages run through the span, as flat does;"
echo "    tables: -X memory=paged-tables, every access through the page tables)"
printf '%-10s %10s %10s %7s %10s %7s\n' program flat_ms paged_ms ratio tables_ms ratio
logsum=0; minsum=0; tblsum=0; n=0
for src in bench/progs/*.c; do
    name=$(basename "$src" .c)
    [[ $name == hello ]] && continue
    [[ -n $FILTER && ! $name =~ $FILTER ]] && continue
    wasm=$OUT/wasm/$name.wasm
    if [[ ! -f $wasm || $src -nt $wasm ]]; then
        flags=$(sed -n 's/.*BENCH_WASM_FLAGS:\(.*\)$/\1/p' "$src" | head -n 1)
        # shellcheck disable=SC2086
        WASM_SYSROOT=$OUT/sysroot bash tools/wasm-cc.sh "$wasm" "$src" -Wno-error $flags -lm \
            || { echo "bench/paged: cannot build $name"; fails=$((fails + 1)); continue; }
    fi
    declare -A ms=()
    for ((i = 0; i < RUNS; i++)); do
        fsum=
        for mode in flat paged paged-tables; do
            log=$OUT/logs/$name.$mode.$i
            "$WARD" run -X memory=$mode "$wasm" >"$log" 2>&1 || { echo "bench/paged: $name $mode failed (see $log)"; fails=$((fails + 1)); }
            ms[$mode]+="$(sed -n 's/^kernel_ms: \([0-9.]*\)$/\1/p' "$log") "
            cs=$(sed -n 's/^checksum: \(.*\)$/\1/p' "$log")
            [[ $mode == flat ]] && fsum=$cs
            if [[ $cs != "$fsum" ]]; then echo "bench/paged: $name checksum flat $fsum $mode $cs"; fails=$((fails + 1)); fi
        done
    done
    fm=$(printf '%s\n' ${ms[flat]} | median); pm=$(printf '%s\n' ${ms[paged]} | median)
    tm=$(printf '%s\n' ${ms[paged-tables]} | median)
    fmin=$(printf '%s\n' ${ms[flat]} | minimum); pmin=$(printf '%s\n' ${ms[paged]} | minimum)
    unset ms
    [[ -z $fm || -z $pm || -z $tm ]] && continue
    r=$(awk -v a="$pm" -v b="$fm" 'BEGIN {printf "%.3f", a / b}')
    rt=$(awk -v a="$tm" -v b="$fm" 'BEGIN {printf "%.3f", a / b}')
    printf '%-10s %10.2f %10.2f %6.3fx %10.2f %6.3fx\n' "$name" "$fm" "$pm" "$r" "$tm" "$rt"
    logsum=$(awk -v s="$logsum" -v r="$r" 'BEGIN {print s + log(r)}'); n=$((n + 1))
    tblsum=$(awk -v s="$tblsum" -v r="$rt" 'BEGIN {print s + log(r)}')
    minsum=$(awk -v s="$minsum" -v a="$pmin" -v b="$fmin" 'BEGIN {print s + log(a / b)}')
done
((n > 0)) && awk -v s="$logsum" -v n="$n" 'BEGIN {printf "geomean paged/flat: %.3fx\n", exp(s / n)}'
((n > 0)) && awk -v s="$minsum" -v n="$n" 'BEGIN {printf "geomean paged/flat over the fastest runs: %.3fx\n", exp(s / n)}'
((n > 0)) && awk -v s="$tblsum" -v n="$n" 'BEGIN {printf "geomean paged-tables/flat: %.3fx\n", exp(s / n)}'

if [[ ${BENCH_SHARE:-1} != 0 ]]; then
    cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -o "$OUT/share_clone" bench/share_clone.c build/libward.a -lm -lpthread \
        || { echo "bench/paged: cannot build share_clone"; exit 1; }
    wat2wasm bench/share_clone.wat -o "$OUT/share_clone.wasm" || exit 1
    "$OUT/share_clone" "$OUT/share_clone.wasm" || fails=$((fails + 1))
fi
exit $((fails > 0))
