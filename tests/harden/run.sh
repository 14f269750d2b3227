#!/usr/bin/env bash
# tests/harden/run.sh [O] - `ward harden` end to end (docs/harden.md):
#  1. bugs.c, a corpus of real heap and stack bugs, compiled by stock clang at
#     -O0 and -O2 to wasm32-wasi and hardened: each bug is caught (exit 134,
#     the trap and a backtrace naming the function) every time where the
#     design says so; for the cases that rest on a random tag (a far
#     overflow into another live block, a stale pointer into a reused block)
#     the miss rate over HARDEN_RUNS runs is printed next to the 1/15 expected
#     (a measurement, not asserted beyond "caught at least once");
#  2. the facts the heap wrappers rest on: dlmalloc's header layout (plain),
#     block sizes, alignment, calloc, realloc, usable size (hardened);
#  3. no false positives: every bench program (bench/progs) and every WASI
#     test program (tests/wasi) gives the same exit status and output
#     hardened as plain;
#  4. the rewriter: deterministic, keeps names and custom sections, records
#     itself; bad input (invalid, no allocator, hardened already) gets an
#     error and no output; stripped modules with --alloc, exports, --no-heap;
#     a wasm64 freestanding module's stack; mutated modules straight into
#     the rewriter (tests/harden/mutate.c, with the sanitizers).
# Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
O=${1:-${O:-build}}
WARD=$O/ward
OUT=$O/harden-tests
RUNS=${HARDEN_RUNS:-150}
REPEAT=${HARDEN_REPEAT:-5}
mkdir -p "$OUT/sysroot/include" "$OUT/sysroot/lib"
ln -sfn /usr/include/wasm32-wasi "$OUT/sysroot/include/wasm32-wasi"
ln -sfn /usr/lib/wasm32-wasi "$OUT/sysroot/lib/wasm32-wasi"
SYSROOT=$OUT/sysroot
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
[ -x "$WARD" ] || { echo "no $WARD (make first)"; echo "0 passed, 1 failed"; exit 1; }

# wcc OUT SRC OPT [flags...]: stock clang to wasm32-wasi (LINK: linker flags). The link step has no
# -O: with one, clang runs binaryen's wasm-opt when it is on the PATH, which
# drops the name section (tested separately below).
wcc() {
    local out=$1 src=$2 opt=$3
    shift 3
    clang --target=wasm32-wasi --sysroot="$SYSROOT" "-O$opt" -Wall -Werror "$@" -c "$src" -o "$out.o" &&
        clang --target=wasm32-wasi --sysroot="$SYSROOT" ${LINK:-} "$out.o" -o "$out" -lm
}
harden() { timeout 60 "$WARD" harden "$@" >"$OUT/harden.log" 2>&1; }

# ---- 1. the bugs --------------------------------------------------------------
for opt in 0 2; do
    b=$OUT/bugs$opt
    wcc "$b.wasm" tests/harden/bugs.c "$opt" || { bad "bugs.c -O$opt does not compile"; continue; }
    harden "$b.wasm" -o "$b.h.wasm" || { bad "harden bugs -O$opt: $(cat "$OUT/harden.log")"; continue; }
done

# caught OPT NAME TEXT FUNC [args]: the hardened bugs trap every time with
# TEXT and a backtrace naming FUNC; the plain build runs on.
caught() {
    local opt=$1 name=$2 text=$3 func=$4 i o r
    shift 4
    for ((i = 0; i < REPEAT; i++)); do
        o=$(timeout 30 "$WARD" run -W mem-safety "$OUT/bugs$opt.h.wasm" "$name" "$@" 2>&1); r=$?
        if [ "$r" != 134 ] || ! grep -qF -- "$text" <<<"$o" || ! grep -qF "wasm backtrace:" <<<"$o" ||
            ! grep -qE "^ +[0-9]+: func\[[0-9]+\] $func @" <<<"$o"; then
            bad "-O$opt $name $*: run $i: exit $r, wanted 134, '$text' and a frame '$func'; got: $(head -c 400 <<<"$o")"
            return
        fi
    done
    o=$(timeout 30 "$WARD" run "$OUT/bugs$opt.wasm" "$name" "$@" 2>&1); r=$?
    if [ "$r" != 0 ] || ! grep -qF "MISSED $name" <<<"$o"; then
        bad "-O$opt $name $*: the plain run should miss it (exit $r): $(head -c 200 <<<"$o")"
        return
    fi
    ok
}
TAG="memory tag mismatch: pointer tag"
for opt in 0 2; do
    [ -f "$OUT/bugs$opt.h.wasm" ] || continue
    for n in 16 32 48 64 4096 100000; do
        caught $opt off_by_one "$TAG" heap_off_by_one "$n"
    done
    caught $opt off_by_16 "$TAG" heap_off_by_16 32
    caught $opt off_by_16 "$TAG" heap_off_by_16 24
    caught $opt underflow "$TAG" heap_underflow
    caught $opt use_after_free "$TAG" use_after_free
    caught $opt double_free "wasm trap: unreachable" __ward_harden_double_free
    caught $opt double_free "wasm trap: unreachable" double_free
    caught $opt invalid_free "$TAG" invalid_free_interior
    caught $opt invalid_free_global "wasm trap: unreachable" __ward_harden_invalid_free
    caught $opt invalid_free_stack "wasm trap: unreachable" __ward_harden_invalid_free
    caught $opt realloc_stale "$TAG" realloc_stale
    caught $opt stack_overflow "$TAG" stack_callee
    caught $opt use_after_return "$TAG" use_after_return
    # Granularity (documented): an overflow inside the last granule of a
    # block (20 bytes: 12 spare) is not caught.
    o=$(timeout 30 "$WARD" run -W mem-safety "$OUT/bugs$opt.h.wasm" off_by_one 20 2>&1)
    if grep -qF "MISSED off_by_one" <<<"$o"; then ok; else bad "-O$opt off_by_one 20: $o"; fi
    # 2. the facts under the wrappers
    o=$(timeout 30 "$WARD" run "$OUT/bugs$opt.wasm" layout 2>&1)
    if grep -qF "layout: 1100 sizes checked, 0 bad" <<<"$o"; then ok; else bad "-O$opt layout: $o"; fi
    o=$(timeout 60 "$WARD" run -W mem-safety "$OUT/bugs$opt.h.wasm" sizes 2>&1)
    if grep -qF "sizes: 0 bad" <<<"$o"; then ok; else bad "-O$opt sizes: $(head -c 400 <<<"$o")"; fi
    for mode in paged paged-tables; do
        o=$(timeout 30 "$WARD" run -W mem-safety -X memory=$mode "$OUT/bugs$opt.h.wasm" use_after_free 2>&1)
        if [ $? = 134 ] && grep -qF "$TAG" <<<"$o"; then ok; else bad "-O$opt $mode use_after_free: $o"; fi
    done
done

# Random tags: the miss rate, measured.
for name in far use_after_reuse; do
    [ -f "$OUT/bugs2.h.wasm" ] || break
    miss=0 caught=0 other=0
    for ((i = 0; i < RUNS; i++)); do
        o=$(timeout 30 "$WARD" run -W mem-safety "$OUT/bugs2.h.wasm" $name 2>&1); r=$?
        if [ $r = 0 ] && grep -qF "MISSED $name" <<<"$o"; then miss=$((miss + 1))
        elif [ $r = 134 ] && grep -qF "$TAG" <<<"$o"; then caught=$((caught + 1))
        else other=$((other + 1)); fi
    done
    awk -v m=$miss -v n=$RUNS -v s=$name 'BEGIN {printf "miss rate %s: %d of %d runs = %.3f (random tags: 1/15 = 0.067 expected)\n", s, m, n, m / n}'
    if [ $other = 0 ] && [ $caught -gt 0 ]; then ok; else bad "$name: $other runs neither caught nor missed, $caught caught"; fi
done

# ---- 3. no false positives ------------------------------------------------------
# same NAME WASM RUNARGS...: exit status and stdout equal, plain and hardened
# (WASM in $OUT; ARGS, INPUT from the environment). Lines that time
# themselves (kernel_ms) are left out.
WARD_ABS=$(cd "$(dirname "$WARD")" && pwd)/$(basename "$WARD")
same() {
    local name=$1 wasm=$2 h=${2%.wasm}.h.wasm pr hr
    shift 2
    harden "$OUT/$wasm" -o "$OUT/$h" || { bad "harden $name: $(cat "$OUT/harden.log")"; return; }
    [ -n "${BOX:-}" ] && rm -rf "$BOX" && mkdir -p "$BOX"
    # shellcheck disable=SC2086 # ARGS is a word list
    (cd "$OUT" && printf '%b' "$INPUT" | timeout 300 "$WARD_ABS" run "$@" "$wasm" $ARGS) \
        >"$OUT/$name.plain.out" 2>/dev/null
    pr=$?
    [ -n "${BOX:-}" ] && rm -rf "$BOX" && mkdir -p "$BOX"
    # shellcheck disable=SC2086
    (cd "$OUT" && printf '%b' "$INPUT" | timeout 300 "$WARD_ABS" run -W mem-safety "$@" "$h" $ARGS) \
        >"$OUT/$name.hard.out" 2>"$OUT/$name.err"
    hr=$?
    local po ho
    po=$(grep -v '^kernel_ms' "$OUT/$name.plain.out")
    ho=$(grep -v '^kernel_ms' "$OUT/$name.hard.out")
    if [ "$pr" != "$hr" ] || [ "$po" != "$ho" ]; then
        bad "$name: plain exit $pr '$(head -c 200 <<<"$po")', hardened exit $hr '$(head -c 200 <<<"$ho")' $(head -c 300 "$OUT/$name.err")"
        return
    fi
    ok
}
for src in bench/progs/*.c; do
    name=$(basename "$src" .c)
    flags=$(sed -n 's/.*BENCH_WASM_FLAGS:\(.*\)$/\1/p' "$src" | head -n 1)
    # shellcheck disable=SC2086
    wcc "$OUT/$name.wasm" "$src" 2 -Wno-error -mbulk-memory -msign-ext -mnontrapping-fptoint $flags ||
        { bad "$name does not compile"; continue; }
    ARGS="" INPUT="" same "$name" "$name.wasm"
done
sb=$(mktemp -d)
for src in tests/wasi/t_*.c; do
    name=$(basename "$src" .c)
    wcc "$OUT/$name.wasm" "$src" 2 || { bad "$name does not compile"; continue; }
done
ARGS="alpha beta" INPUT="" same t_args t_args.wasm --env WARD_T1=one --env WARD_T2=
ARGS="42" INPUT="" same t_exit t_exit.wasm
ARGS="" INPUT="hello\nworld\n" same t_stdio t_stdio.wasm
ARGS="" INPUT="" same t_clock t_clock.wasm
ARGS="" INPUT="" same t_trap t_trap.wasm
ARGS="" INPUT="" same t_oom t_oom.wasm -W max-memory-size=8MiB
ARGS="" INPUT="" same t_block t_block.wasm
for t in files escape; do
    BOX=$sb/box ARGS="" INPUT="" same t_$t t_$t.wasm --dir "$sb/box::/sandbox"
done
BOX=$sb/box ARGS="" INPUT="ping\n" same t_poll t_poll.wasm --dir "$sb/box::/sandbox"
for rule in $(sed -nE 's/.*t_rules\.wasm \\?$//; s/.*t_rules\.wasm ([a-z0-9-]+).*/\1/p' tests/wasi/run.sh | sort -u); do
    BOX=$sb/box ARGS="$rule" INPUT="" same "t_rules-$rule" t_rules.wasm --dir "$sb/box::/sandbox"
done
rm -rf "$sb"

# ---- 4. the rewriter ------------------------------------------------------------------
b=$OUT/bugs2
if [ -f "$b.h.wasm" ]; then
    harden "$b.wasm" -o "$b.again.wasm" && cmp -s "$b.h.wasm" "$b.again.wasm" && ok ||
        bad "not deterministic: two runs differ"
    secs=$(wasm-objdump -h "$b.h.wasm" 2>/dev/null)
    for s in '"name"' '"producers"' '".debug_info"' '"ward.harden"'; do
        grep -qF "$s" <<<"$secs" && ok || bad "the hardened module lacks the custom section $s"
    done
    # The report names what it found.
    o=$(timeout 60 "$WARD" harden --report "$b.wasm" -o "$OUT/r.wasm" 2>&1)
    grep -qE "^  malloc +malloc \(function [0-9]+, by name section\)" <<<"$o" &&
        grep -qF "__stack_pointer: global 0 (name section)" <<<"$o" && ok || bad "--report: $o"
    # The same allocator named by index gives the same module.
    idx=$(sed -nE 's/^  free +free \(function ([0-9]+),.*/\1/p' <<<"$o")
    harden "$b.wasm" --alloc "free=$idx" -o "$OUT/idx.wasm" && cmp -s "$OUT/idx.wasm" "$b.h.wasm" && ok ||
        bad "--alloc free=$idx: $(cat "$OUT/harden.log")"
    # expect_error NAME STATUS TEXT ARGS...: no output file.
    expect_error() {
        local name=$1 st=$2 text=$3 o r
        shift 3
        rm -f "$OUT/no.wasm"
        o=$(timeout 60 "$WARD" harden "$@" 2>&1); r=$?
        if [ "$r" = "$st" ] && grep -qF -- "$text" <<<"$o" && [ ! -e "$OUT/no.wasm" ]; then ok
        else bad "$name: exit $r (want $st), '$text' wanted; got: $o"; fi
    }
    head -c 100 "$b.wasm" >"$OUT/truncated.wasm"
    printf 'not a module' >"$OUT/garbage.wasm"
    expect_error truncated 1 "is not a valid module" "$OUT/truncated.wasm" -o "$OUT/no.wasm"
    expect_error garbage 1 "is not a valid module" "$OUT/garbage.wasm" -o "$OUT/no.wasm"
    expect_error twice 1 "hardened already" "$b.h.wasm" -o "$OUT/no.wasm"
    expect_error no-output 2 "no output file" "$b.wasm"
    expect_error bad-role 1 "unknown role 'mallok'" "$b.wasm" --alloc mallok=malloc -o "$OUT/no.wasm"
    expect_error bad-func 1 "no function of that name" "$b.wasm" --alloc malloc=nosuch -o "$OUT/no.wasm"
    expect_error bad-type 1 "does not have the type" "$b.wasm" --alloc malloc=free -o "$OUT/no.wasm"
    expect_error missing 1 "cannot read" "$OUT/nosuch.wasm" -o "$OUT/no.wasm"
    # clang -O2 with the link step through wasm-opt: no names.
    clang --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -o "$OUT/stripped.wasm" tests/harden/bugs.c
    expect_error stripped 1 "cannot find the allocator" "$OUT/stripped.wasm" -o "$OUT/no.wasm"
    # ... which --no-heap hardens for the stack (binaryen inlined and
    # reshaped the functions: the frames it left are tagged, and run right)
    o=$(timeout 60 "$WARD" harden --report --no-heap "$OUT/stripped.wasm" -o "$OUT/stripped.h.wasm" 2>&1)
    grep -qE "^  [1-9][0-9]* of [0-9]+ functions that use it get a tagged frame" <<<"$o" && ok ||
        bad "--no-heap: $o"
    o=$(timeout 30 "$WARD" run -W mem-safety "$OUT/stripped.h.wasm" layout 2>&1)
    grep -qF "layout: 1100 sizes checked, 0 bad" <<<"$o" && ok || bad "stripped --no-heap layout: $o"
    # A module without names whose allocator is exported (wasm-ld
    # --strip-all, no wasm-opt: the entry points are intact).
    LINK="-Wl,--strip-all -Wl,--export=malloc,--export=free,--export=calloc,--export=realloc \
-Wl,--export=aligned_alloc,--export=posix_memalign,--export=malloc_usable_size" \
        wcc "$OUT/exported.wasm" tests/harden/bugs.c 2
    o=$(timeout 60 "$WARD" harden --report "$OUT/exported.wasm" -o "$OUT/exported.h.wasm" 2>&1)
    grep -qE "^  malloc +\(unnamed\) \(function [0-9]+, by export, through wasm-ld's command export wrapper\)" <<<"$o" && ok ||
        bad "exported: $o"
    for s in use_after_free double_free stack_overflow; do
        o=$(timeout 30 "$WARD" run -W mem-safety "$OUT/exported.h.wasm" $s 2>&1)
        [ $? = 134 ] && grep -qF "wasm trap" <<<"$o" && ok || bad "exported $s: $o"
    done
    o=$(timeout 30 "$WARD" run -W mem-safety "$OUT/exported.h.wasm" sizes 2>&1)
    grep -qF "sizes: 0 bad" <<<"$o" && ok || bad "exported sizes: $o"
fi
# wasm64 freestanding: the stack.
cat >"$OUT/s64.c" <<'EOF'
__attribute__((noinline)) static void fill(volatile char *p, int n) { for (int i = 0; i < n; i++) p[i] = (char)i; }
__attribute__((noinline)) static int callee(int n) { char buf[32]; fill(buf, n); return buf[3]; }
__attribute__((export_name("run"))) int run(int n) { char mine[64]; fill(mine, 64); return callee(n) + mine[1]; }
EOF
if clang --target=wasm64-unknown-unknown -O2 -c "$OUT/s64.c" -o "$OUT/s64.o" &&
    wasm-ld -mwasm64 --no-entry "$OUT/s64.o" -o "$OUT/s64.wasm"; then
    harden "$OUT/s64.wasm" -o "$OUT/s64.h.wasm" || bad "wasm64: $(cat "$OUT/harden.log")"
    o=$(timeout 30 "$WARD" run -W mem-safety --invoke run "$OUT/s64.h.wasm" 32 2>&1)
    [ "$o" = 4 ] && ok || bad "wasm64 in bounds: $o"
    o=$(timeout 30 "$WARD" run -W mem-safety --invoke run "$OUT/s64.h.wasm" 96 2>&1)
    [ $? = 134 ] && grep -qF "$TAG" <<<"$o" && grep -qF "callee" <<<"$o" && ok || bad "wasm64 overflow: $o"
else
    bad "wasm64 freestanding module does not build"
fi
# The rewriter on broken input (no validation first), with the sanitizers
# where the compiler has them.
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
${CC:-cc} $san -x c /dev/null -c -o /dev/null 2>/dev/null || san=""
mods=()
for m in exported s64 stripped; do [ -f "$OUT/$m.wasm" ] && mods+=("$OUT/$m.wasm"); done
if ${CC:-cc} -std=c11 -O1 -g $san -I. -o "$OUT/mutate" tests/harden/mutate.c harden/*.c; then
    o=$(timeout 600 "$OUT/mutate" "${HARDEN_MUTANTS:-300}" "${mods[@]}" 2>&1); r=$?
    echo "$o" | grep -E "mutants" | sed 's/^/mutate: /'
    [ $r = 0 ] && [ "$(grep -c "mutants hardened" <<<"$o")" = ${#mods[@]} ] && ok || bad "mutate: exit $r: $(head -c 1500 <<<"$o")"
else
    bad "tests/harden/mutate.c does not build"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
