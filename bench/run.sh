#!/usr/bin/env bash
# bench/run.sh - ward's benchmark suite against native code (`make bench`).
#
# Builds every program in bench/progs/ natively (clang -O2) and for wasm32-wasi
# (clang --target=wasm32-wasi -O2 with the Wasm 2.0 features bulk memory, sign
# extension and non-trapping float-to-int, plus the flags a program names on a
# "BENCH_WASM_FLAGS:" line), runs each natively, under ward and (if node is
# installed) under node's V8, takes the median of the kernel time each program
# reports and the peak RSS of each process, checks that every checksum matches
# the native one, and prints a table and the geometric mean of ward/native.
# hello.c is not a kernel: it measures start-up time and memory instead.
#
# Environment:
#   WARD=path            the ward program (default build/ward)
#   BENCH_RUNS=N         runs per program and engine, median taken (default 5)
#   BENCH_FILTER=regex   only programs whose name matches (bash regex)
#   BENCH_HELLO_RUNS=N   runs of the start-up test (default 50)
#   BENCH_TIMEOUT=S      kill a run after S seconds (default 300)
#   BENCH_NODE=0         skip the V8 column even if node is installed
#   BENCH_OUT=dir        output folder (default build/bench)
#   LIBWARD=path         libward.a for bench/instantiate.c (default: next to WARD)
#
# Outputs in $BENCH_OUT: native/ and wasm/ binaries, measure, results.csv,
# startup.csv, instantiate.txt, and logs/ with every run's output.
# Exit status: 0 when every program ran everywhere with matching checksums.

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

WARD=${WARD:-build/ward}
RUNS=${BENCH_RUNS:-5}
FILTER=${BENCH_FILTER:-}
HELLO_RUNS=${BENCH_HELLO_RUNS:-50}
TIMEOUT=${BENCH_TIMEOUT:-300}
OUT=${BENCH_OUT:-build/bench}
PROGS=bench/progs

failures=0
problems=()
err() {
    echo "bench: error: $*" >&2
    problems+=("$*")
    failures=$((failures + 1))
}
die() {
    echo "bench: fatal: $*" >&2
    exit 2
}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[[ $HELLO_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_HELLO_RUNS must be a positive integer"

# ---- engines ---------------------------------------------------------------------
have_ward=1
if [[ ! -x $WARD ]]; then
    have_ward=0
    cat >&2 <<EOF
bench: ERROR: ward not found or not executable at '$WARD'.
bench: ERROR: build it with 'make' (or point WARD=path at it). Running the
bench: ERROR: native and V8 columns only, so the programs and checksums are
bench: ERROR: still checked; the ward columns stay empty and this run fails.
EOF
    problems+=("ward not found at '$WARD'")
    failures=$((failures + 1))
fi
have_node=0
if [[ ${BENCH_NODE:-1} != 0 ]] && command -v node >/dev/null 2>&1; then
    have_node=1
fi
command -v clang >/dev/null 2>&1 || die "clang is required (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"

# ---- build -----------------------------------------------------------------------
mkdir -p "$OUT/native" "$OUT/wasm" "$OUT/logs" "$OUT/sysroot/include" "$OUT/sysroot/lib"

# A clean sysroot: without one clang also searches the host's /usr/include,
# so a header that wasi-libc lacks would silently resolve to glibc's.
[[ -d /usr/include/wasm32-wasi && -d /usr/lib/wasm32-wasi ]] ||
    die "wasi-libc not found in /usr/include/wasm32-wasi (apt-get install wasi-libc)"
ln -sfn /usr/include/wasm32-wasi "$OUT/sysroot/include/wasm32-wasi"
ln -sfn /usr/lib/wasm32-wasi "$OUT/sysroot/lib/wasm32-wasi"
SYSROOT=$(cd "$OUT/sysroot" && pwd)

MEASURE=$OUT/measure
if [[ ! -x $MEASURE || bench/measure.c -nt $MEASURE ]]; then
    ${CC:-cc} -O2 -Wall -Wextra -o "$MEASURE" bench/measure.c || die "cannot build bench/measure.c"
fi

strip_tool=$(command -v wasm-strip || true)

# Every wasm build targets Wasm 2.0 (ward's level): bulk memory makes
# memcpy/memset/memmove one memory.copy/memory.fill, sign extension and
# non-trapping float-to-int are single instructions. The V8 column runs the
# same binaries.
WASM2_FLAGS="-mbulk-memory -msign-ext -mnontrapping-fptoint"

# newer TARGET SOURCES...: true when TARGET is missing or older than a source.
newer() {
    local t=$1 s
    shift
    [[ -e $t ]] || return 0
    for s in "$@"; do [[ $s -nt $t ]] && return 0; done
    return 1
}

build() {
    local name=$1 src=$PROGS/$1.c flags
    flags=$(sed -n 's/.*BENCH_WASM_FLAGS:\(.*\)$/\1/p' "$src" | head -n 1)
    if newer "$OUT/native/$name" "$src" "$PROGS/bench.h" "$ROOT/bench/run.sh"; then
        clang -O2 -o "$OUT/native/$name" "$src" -lm || return 1
    fi
    # The same without clang's loop and SLP vectorisers: the native tier
    # keeps every Wasm access in order (exact traps), so it cannot
    # vectorise what the Wasm does not; this column says how much of the
    # gap to native code is that (informative, docs/native.md).
    if newer "$OUT/native/$name.novec" "$src" "$PROGS/bench.h" "$ROOT/bench/run.sh"; then
        clang -O2 -fno-vectorize -fno-slp-vectorize -o "$OUT/native/$name.novec" "$src" -lm || return 1
    fi
    if newer "$OUT/wasm/$name.wasm" "$src" "$PROGS/bench.h" "$ROOT/bench/run.sh"; then
        # shellcheck disable=SC2086 # flags are a word list on purpose
        clang --target=wasm32-wasi --sysroot="$SYSROOT" -O2 $WASM2_FLAGS $flags -o "$OUT/wasm/$name.wasm" "$src" -lm ||
            return 1
        # Debian's libc.a carries DWARF; strip it so start-up does not pay
        # for reading custom sections no engine uses.
        [[ -n $strip_tool ]] && "$strip_tool" "$OUT/wasm/$name.wasm"
    fi
    # The same with Wasm's SIMD (-msimd128, the Wasm 2.0 feature left out
    # above), so that clang vectorises the Wasm as it vectorises the native
    # build: the native tier's second column.
    if newer "$OUT/wasm/$name.simd.wasm" "$src" "$PROGS/bench.h" "$ROOT/bench/run.sh"; then
        # shellcheck disable=SC2086 # flags are a word list on purpose
        clang --target=wasm32-wasi --sysroot="$SYSROOT" -O2 $WASM2_FLAGS -msimd128 $flags \
            -o "$OUT/wasm/$name.simd.wasm" "$src" -lm || return 1
        [[ -n $strip_tool ]] && "$strip_tool" "$OUT/wasm/$name.simd.wasm"
    fi
    return 0
}

names=()
for src in "$PROGS"/*.c; do
    name=$(basename "$src" .c)
    if [[ -n $FILTER && ! $name =~ $FILTER ]]; then continue; fi
    names+=("$name")
done
((${#names[@]} > 0)) || die "no program in $PROGS matches BENCH_FILTER='$FILTER'"

echo "bench: building ${#names[@]} programs (native clang -O2, wasm32-wasi -O2) into $OUT"
built=()
for name in "${names[@]}"; do
    if build "$name"; then built+=("$name"); else err "$name: build failed"; fi
done

# ---- running ---------------------------------------------------------------------
# run_one LOG TIMEOUT cmd...: runs under measure; sets r_status, r_wall, r_rss,
# r_checksum and r_ms (the last two empty when the output is malformed).
run_one() {
    local log=$1 limit=$2 stats
    shift 2
    stats=$log.stats
    "$MEASURE" -t "$limit" -o "$stats" -- "$@" >"$log" 2>"$log.err"
    r_status=$?
    r_wall=$(sed -n 's/.*wall_ms=\([^ ]*\).*/\1/p' "$stats" 2>/dev/null)
    r_rss=$(sed -n 's/.*maxrss_kb=\([^ ]*\).*/\1/p' "$stats" 2>/dev/null)
    r_checksum=$(tail -n 2 "$log" | sed -n '1s/^checksum: \([0-9a-fA-Fx]*\)$/\1/p')
    r_ms=$(tail -n 2 "$log" | sed -n '2s/^kernel_ms: \([0-9.]*\)$/\1/p')
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -g | tail -n 1; }

# Engines in the order they run each round; interleaving them puts the same
# background noise on every column of a row.
engines=(native)
((have_ward)) && engines+=(ward)
((have_node)) && engines+=(v8)
# The native tier (docs/native.md), when this ward has it: flat, paged and
# tagged (every access tag-checked), code cached across runs.
have_nt=0
((have_ward)) && "$WARD" run --help 2>/dev/null | grep -q -- '-C native' && have_nt=1
((have_nt)) && engines+=(novec nt nts ntp ntt)
NTCACHE=$OUT/native-cache

engine_cmd() { # engine name -> command words in array cmd
    case $1 in
    native) cmd=("$OUT/native/$2") ;;
    novec) cmd=("$OUT/native/$2.novec") ;;
    ward) cmd=("$WARD" run "$OUT/wasm/$2.wasm") ;;
    v8) cmd=(node --no-warnings bench/node_wasi.mjs "$OUT/wasm/$2.wasm") ;;
    nt) cmd=("$WARD" run -C native -C cache="$NTCACHE" "$OUT/wasm/$2.wasm") ;;
    nts) cmd=("$WARD" run -C native -C cache="$NTCACHE" "$OUT/wasm/$2.simd.wasm") ;;
    ntp) cmd=("$WARD" run -C native -C cache="$NTCACHE" -X memory=paged "$OUT/wasm/$2.wasm") ;;
    ntt) cmd=("$WARD" run -C native -C cache="$NTCACHE" -W mem-safety "$OUT/wasm/$2.wasm") ;;
    aot) cmd=("$WARD" run "$OUT/native/$2.cwasm") ;; # start-up only: an AOT artifact, no LLVM
    esac
}

declare -A ms rss state
kernels=()
for name in "${built[@]}"; do
    [[ $name == hello ]] && continue
    kernels+=("$name")
    printf 'bench: %-10s' "$name" >&2
    ref=""
    declare -A samples=() peaks=() bad=()
    for ((r = 1; r <= RUNS; r++)); do
        for e in "${engines[@]}"; do
            [[ -n ${bad[$e]:-} ]] && continue
            engine_cmd "$e" "$name"
            log=$OUT/logs/$name.$e.$r
            run_one "$log" "$TIMEOUT" "${cmd[@]}"
            if ((r_status != 0)) || [[ -z $r_checksum || -z $r_ms ]]; then
                if ((r_status == 137)); then
                    bad[$e]=TIMEOUT
                    err "$name under $e: killed after ${TIMEOUT}s (see $log)"
                else
                    bad[$e]=FAIL
                    err "$name under $e: exit status $r_status or malformed output (see $log, $log.err)"
                fi
                continue
            fi
            [[ -z $ref ]] && ref=$r_checksum
            if [[ $r_checksum != "$ref" ]]; then
                bad[$e]=MISMATCH
                echo >&2
                echo "bench: !!!!!!!! CHECKSUM MISMATCH !!!!!!!!" >&2
                err "$name under $e: checksum $r_checksum, expected $ref (native) (see $log)"
                continue
            fi
            samples[$e]+="$r_ms "
            peaks[$e]+="$r_rss "
        done
        printf '.' >&2
    done
    echo >&2
    for e in "${engines[@]}"; do
        if [[ -z ${bad[$e]:-} && -n ${samples[$e]:-} ]]; then
            ms[$name.$e]=$(tr ' ' '\n' <<<"${samples[$e]}" | grep . | median)
            rss[$name.$e]=$(tr ' ' '\n' <<<"${peaks[$e]}" | grep . | maxof)
            state[$name.$e]=ok
        else
            state[$name.$e]=${bad[$e]:-FAIL}
        fi
    done
    unset samples peaks bad
done

# ---- report ----------------------------------------------------------------------
mib() { [[ -n ${1:-} ]] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' || printf -- '-'; }
ratio() { [[ -n ${1:-} && -n ${2:-} ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || printf -- '-'; }
geomean() { awk '{ s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n) }'; }

CSV=$OUT/results.csv
echo "program,native_ms,ward_ms,ward_ratio,native_rss_kb,ward_rss_kb,v8_ms,v8_ratio,v8_rss_kb,checksum,ward_status,v8_status" >"$CSV"

# cell NAME ENGINE: the median, or why there is none.
cell() {
    local st=${state[$1.$2]:-}
    if [[ $st == ok ]]; then
        printf '%s' "${ms[$1.$2]}"
    elif [[ -n $st ]]; then
        printf '%s' "$st"
    else
        printf -- '-'
    fi
}
table_row() {
    if ((have_node)); then
        printf '%-10s %10s %10s %8s %11s %11s %10s %8s %9s\n' "$@"
    else
        printf '%-10s %10s %10s %8s %11s %11s\n' "${@:1:6}"
    fi
}

echo
table_row program "native ms" "ward ms" ward/nat "native MiB" "ward MiB" "V8 ms" V8/nat "V8 MiB"
ward_ratios=()
v8_ratios=()
for name in "${kernels[@]}"; do
    nm=${ms[$name.native]:-}
    wm=${ms[$name.ward]:-}
    vm=${ms[$name.v8]:-}
    wr=$(ratio "$wm" "$nm")
    vr=$(ratio "$vm" "$nm")
    # The geomean uses unrounded ratios.
    [[ $wr != - ]] && ward_ratios+=("$(awk -v a="$wm" -v b="$nm" 'BEGIN { printf "%.6f", a / b }')")
    [[ $vr != - ]] && v8_ratios+=("$(awk -v a="$vm" -v b="$nm" 'BEGIN { printf "%.6f", a / b }')")
    table_row "$name" "$(cell "$name" native)" "$(cell "$name" ward)" "$wr" "$(mib "${rss[$name.native]:-}")" \
        "$(mib "${rss[$name.ward]:-}")" "$(cell "$name" v8)" "$vr" "$(mib "${rss[$name.v8]:-}")"
    sum=$(sed -n 's/^checksum: //p' "$OUT/logs/$name.native.1" 2>/dev/null | tail -n 1)
    echo "$name,${nm},${wm},${wr/-/},${rss[$name.native]:-},${rss[$name.ward]:-},${vm},${vr/-/},${rss[$name.v8]:-},${sum},${state[$name.ward]:-missing},${state[$name.v8]:-}" >>"$CSV"
done
echo

nk=${#kernels[@]}
if ((${#ward_ratios[@]} > 0)); then
    gw=$(printf '%s\n' "${ward_ratios[@]}" | geomean)
    echo "geomean ward/native: ${gw}x"
    if ((${#ward_ratios[@]} < nk)); then
        echo "  (over ${#ward_ratios[@]} of $nk programs: the others failed under ward, see above)"
    fi
else
    gw=""
    echo "geomean ward/native: n/a (no program ran under ward)"
fi
gv=""
if ((have_node)); then
    if ((${#v8_ratios[@]} > 0)); then
        gv=$(printf '%s\n' "${v8_ratios[@]}" | geomean)
        echo "geomean v8/native: ${gv}x (informative: node $(node --version) via node:wasi)"
    else
        echo "geomean v8/native: n/a"
    fi
fi
echo "geomean,,,${gw},,,,${gv},,,," >>"$CSV"

# ---- the native tier ----------------------------------------------------------------
# Same run as the columns above: the native tier against native code, its
# paged memory against its flat one, tag-checked against plain; then the
# compile time per KiB of Wasm and the artifact size (ward compile -v) in
# each memory mode.
if ((have_nt)); then
    nt_r=(); ntp_r=(); ntt_r=(); ntv_r=(); nts_r=()
    echo
    nt_row() { printf '%-10s %14s %8s %10s %10s %10s %9s %10s %9s %10s %9s\n' "$@"; }
    nt_row program "native-tier ms" nt/nat "paged ms" paged/flat "tagged ms" tag/plain "novec ms" nt/novec \
        "+simd ms" simd/nat
    for name in "${kernels[@]}"; do
        nm=${ms[$name.native]:-}; a=${ms[$name.nt]:-}; p=${ms[$name.ntp]:-}; t=${ms[$name.ntt]:-}
        v=${ms[$name.novec]:-}; sv=${ms[$name.nts]:-}
        nt_row "$name" "${a:-${state[$name.nt]:-}}" "$(ratio "$a" "$nm")" "${p:-${state[$name.ntp]:-}}" \
            "$(ratio "$p" "$a")" "${t:-${state[$name.ntt]:-}}" "$(ratio "$t" "$a")" \
            "${v:-${state[$name.novec]:-}}" "$(ratio "$a" "$v")" "${sv:-${state[$name.nts]:-}}" "$(ratio "$sv" "$nm")"
        [[ -n $a && -n $nm ]] && nt_r+=("$(awk -v a="$a" -v b="$nm" 'BEGIN { printf "%.6f", a / b }')")
        [[ -n $a && -n $v ]] && ntv_r+=("$(awk -v a="$a" -v b="$v" 'BEGIN { printf "%.6f", a / b }')")
        [[ -n $sv && -n $nm ]] && nts_r+=("$(awk -v a="$sv" -v b="$nm" 'BEGIN { printf "%.6f", a / b }')")
        [[ -n $a && -n $p ]] && ntp_r+=("$(awk -v a="$p" -v b="$a" 'BEGIN { printf "%.6f", a / b }')")
        [[ -n $a && -n $t ]] && ntt_r+=("$(awk -v a="$t" -v b="$a" 'BEGIN { printf "%.6f", a / b }')")
    done
    g() { if (($# > 0)); then printf '%s\n' "$@" | geomean; else printf 'n/a'; fi; }
    echo "geomean native-tier/native: $(g "${nt_r[@]}")x"
    echo "geomean native-tier paged/flat: $(g "${ntp_r[@]}")x"
    echo "geomean native-tier tagcheck/plain: $(g "${ntt_r[@]}")x"
    echo "geomean native-tier/native without vectorisation (clang -fno-vectorize -fno-slp-vectorize, informative): $(g "${ntv_r[@]}")x"
    echo "geomean native-tier/native, Wasm built with SIMD (-msimd128): $(g "${nts_r[@]}")x"
    # Each memory mode compiles different code for every access: flat
    # (reported first, the figure the goal is about), paged, tag-checked.
    for mode in flat paged tagcheck; do
        case $mode in
        flat) mflags=() ;;
        paged) mflags=(-X memory=paged) ;;
        tagcheck) mflags=(-W mem-safety) ;;
        esac
        cms=0; abytes=0; wbytes=0
        for name in "${kernels[@]}"; do
            line=$("$WARD" compile -v "${mflags[@]}" "$OUT/wasm/$name.wasm" -o "$OUT/native/$name.$mode.cwasm" 2>&1 |
                grep '^compiled')
            [[ -z $line ]] && continue
            wb=$(sed -E 's/^compiled ([0-9]+) bytes.*/\1/' <<<"$line")
            ms_=$(sed -E 's/.* in ([0-9.]+) ms.*/\1/' <<<"$line")
            ab=$(sed -E 's/.*artifact ([0-9]+) bytes.*/\1/' <<<"$line")
            wbytes=$((wbytes + wb)); abytes=$((abytes + ab)); cms=$(awk -v a="$cms" -v b="$ms_" 'BEGIN { print a + b }')
        done
        ((wbytes > 0)) || continue
        what=native-tier; [[ $mode == flat ]] || what="native-tier $mode"
        echo "$what compile: $(awk -v m="$cms" -v b="$wbytes" 'BEGIN { printf "%.2f", m / (b / 1024) }') ms/KiB of Wasm (LLVM -O2, ${#kernels[@]} modules, $(awk -v m="$cms" 'BEGIN { printf "%.0f", m }') ms for $((wbytes / 1024)) KiB)"
        echo "$what artifact size: $((abytes / 1024)) KiB for $((wbytes / 1024)) KiB of Wasm ($(awk -v a="$abytes" -v b="$wbytes" 'BEGIN { printf "%.2f", a / b }')x)"
    done
fi

# ---- start-up: hello world ---------------------------------------------------------
if [[ " ${built[*]} " == *" hello "* ]]; then
    echo
    echo "start-up (hello world, median wall time of $HELLO_RUNS runs, peak RSS):"
    SCSV=$OUT/startup.csv
    echo "engine,wall_ms_median,rss_kb_max,wall_ms_minus_native,rss_kb_minus_native" >"$SCSV"
    declare -A hw hr
    hello_engines=("${engines[@]}")
    # The native tier from an AOT artifact: ward runs it with libward's own
    # loader, without starting ward-native (LLVM).
    if ((have_nt)) && "$WARD" compile "$OUT/wasm/hello.wasm" -o "$OUT/native/hello.cwasm" >/dev/null 2>&1; then
        hello_engines+=(aot)
    fi
    for e in "${hello_engines[@]}"; do
        [[ $e == novec || $e == nts ]] && continue
        engine_cmd "$e" hello
        walls=()
        hpeaks=()
        good=1
        # Run 0 is not counted: it fills the native tier's cache (a run
        # that compiles), so that the figures are those of a cached start.
        for ((r = 0; r <= HELLO_RUNS; r++)); do
            log=$OUT/logs/hello.$e
            run_one "$log" "$TIMEOUT" "${cmd[@]}"
            if ((r_status != 0)) || [[ $(cat "$log") != "hello, world" ]]; then
                err "hello under $e: exit status $r_status or wrong output (see $log, $log.err)"
                good=0
                break
            fi
            ((r == 0)) && continue
            walls+=("$r_wall")
            hpeaks+=("$r_rss")
        done
        ((good)) || continue
        hw[$e]=$(printf '%s\n' "${walls[@]}" | median)
        hr[$e]=$(printf "%s\n" "${hpeaks[@]}" | maxof)
    done
    for e in "${hello_engines[@]}"; do
        [[ $e == novec || $e == nts ]] && continue
        [[ -n ${hw[$e]:-} ]] || {
            printf '  %-7s failed\n' "$e"
            continue
        }
        dw=$(awk -v a="${hw[$e]}" -v b="${hw[native]:-0}" 'BEGIN { printf "%+.3f", a - b }')
        dr=$(awk -v a="${hr[$e]}" -v b="${hr[native]:-0}" 'BEGIN { printf "%+d", a - b }')
        printf '  %-7s %9.3f ms  %8d KiB' "$e" "${hw[$e]}" "${hr[$e]}"
        [[ $e != native ]] && printf '   (%s ms, %s KiB vs native)' "$dw" "$dr"
        echo
        echo "$e,${hw[$e]},${hr[$e]},${dw#+},${dr#+}" >>"$SCSV"
    done
    if [[ -n ${hw[ward]:-} && -n ${hw[native]:-} ]]; then
        awk -v a="${hw[ward]}" -v b="${hw[native]}" -v c="${hr[ward]}" -v d="${hr[native]}" \
            'BEGIN { printf "startup ward-native: %+.3f ms, %+d KiB peak RSS\n", a - b, c - d }'
    fi
fi

# ---- in-process instantiation (bench/instantiate.c, public API only) ---------------
LIBWARD=${LIBWARD:-$(dirname "$WARD")/libward.a}
if [[ -f $LIBWARD ]]; then
    INST=$OUT/instantiate
    if ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Iinclude -o "$INST" bench/instantiate.c \
        "$LIBWARD" -lm -lpthread; then
        echo
        echo "instantiation (in process, median microseconds; bench/instantiate.c):"
        if "$INST" >"$OUT/instantiate.txt" 2>"$OUT/logs/instantiate.err"; then
            sed 's/^/  /' "$OUT/instantiate.txt"
        else
            err "bench/instantiate.c failed (see $OUT/logs/instantiate.err)"
        fi
    else
        err "bench/instantiate.c: build failed"
    fi
else
    err "no $LIBWARD for the instantiation benchmark (set LIBWARD=path)"
fi

echo
echo "bench: results in $CSV"
if ((failures > 0)); then
    echo "bench: FAILED: $failures problem(s):"
    for p in "${problems[@]}"; do echo "bench:   - $p"; done
    exit 1
fi
exit 0
