#!/usr/bin/env bash
# tests/budget/run.sh WARD BUILD_DIR - the findings of issue 11 through
# `ward run`: each hostile module of hostile.h must end in a clean error (or
# within its limits) with the right exit status and message, in bounded
# time and, where the finding was memory, under an address-space limit far
# below what it once took. One check per finding, named after it.
# Last line: "N passed, M failed".
set -u
WARD=${1:?usage: run.sh WARD BUILD_DIR}
OUT=${2:?usage: run.sh WARD BUILD_DIR}/budget
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
mkdir -p "$OUT"
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -o "$OUT/hostile" "$HERE/hostile.c" ||
    { echo "cannot build hostile.c"; echo "0 passed, 1 failed"; exit 1; }
"$OUT/hostile" "$OUT" || { echo "hostile failed"; echo "0 passed, 1 failed"; exit 1; }

# check NAME WANT_RC WANT_STDERR VMEM_KIB SECONDS MODULE [ward run options...]
#   VMEM_KIB: address-space limit (ulimit -v) for the run, "-" for none;
#   SECONDS: the run is killed after that long (a failure).
check() {
    local name=$1 want_rc=$2 want_err=$3 vmem=$4 secs=$5 module=$6
    shift 6
    local rc
    (
        [ "$vmem" = - ] || ulimit -v "$vmem"
        exec timeout -s KILL "$secs" "$WARD" run "$@" "$OUT/$module.wasm"
    ) >"$OUT/$name.out" 2>"$OUT/$name.err"
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        fail=$((fail + 1))
        echo "FAIL $name: exit $rc, want $want_rc ($(head -c 300 "$OUT/$name.err"))"
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$OUT/$name.err"; then
        fail=$((fail + 1))
        echo "FAIL $name: stderr lacks '$want_err' ($(head -c 300 "$OUT/$name.err"))"
    else
        pass=$((pass + 1))
        echo "PASS $name"
    fi
}

G=$((1024 * 1024)) # ulimit -v counts KiB: $G is 1 GiB
# 1. Amplification at load: 40,000 functions of 50,000 locals (320 KB) took
#    2 GB and 14 s; the 8 MB version would take 50 GB. Now both load within
#    1 GiB of address space (and the module, which has no _start, is then
#    reported as such: loading and compiling it succeeded).
check locals_amplification 1 "no _start export: nothing ran" $G 60 locals_320k
check locals_amplification_8m 1 "no _start export: nothing ran" $G 120 locals_8m
#    The same class: per-function code and validation allowances multiplied
#    by 140,000 tiny functions (1.4 MB: 1.6 GB and 11 s).
check compile_amplification 1 "module too complex" $G 60 compile_slack
# 2. Tables: 100,000 tables of 10M elements (5 GB at instantiation), and 20
#    such tables filled under fuel=100 (1.5 GB).
check tables_declared 1 "instance memory budget exceeded" $G 60 tables_declared
check tables_filled 1 "instance memory budget exceeded" $G 60 tables_filled \
    -W max-memory-size=64M -W fuel=100
check tables_filled_fuel 134 "all fuel consumed" - 60 tables_filled \
    -W max-memory-size=64M,max-instance-memory=2G -W fuel=100
# 3. Memory per instance: 32 memories of 64 MiB under max-memory-size=64M
#    (2.1 GB); 100,000 memories ("cannot allocate a memory of 0 pages");
#    a memory64 of 64 TiB accepted and written to.
check memories_per_instance 1 "instance memory budget exceeded" - 60 memories_32x64m \
    -W max-memory-size=64M
check memories_per_instance_cap 1 "instance memory budget exceeded" - 60 memories_32x64m \
    -W max-memory-size=64M,max-instance-memory=256M
check memories_100k 1 "instance address-space budget exceeded" - 60 memories_100k
check memory64_64t 1 "instance memory budget exceeded" - 60 memory64_64t
# 6. Fuel bounds bulk work: a 4 GiB memory.fill per iteration ran 13-32 s
#    on fuel=2..8 and over 20 s on fuel=100,000. Now the first fill cannot
#    pay and nothing is touched (hence the 1 GiB address-space limit above
#    what the 4 GiB memory reserves: 8 GiB).
check fuel_bulk_fill 134 "all fuel consumed" $((9 * G)) 10 fill_loop \
    -W fuel=4,max-instance-memory=5G
check fuel_bulk_fill_100k 134 "all fuel consumed" $((9 * G)) 10 fill_loop \
    -W fuel=100000,max-instance-memory=5G
#    And a call pays for zeroing its frame (800 KB of v128 locals per call:
#    fuel=1,000,000 ran 14 s).
check fuel_call_frame 134 "all fuel consumed" - 10 call_locals -W fuel=1000000
#    The timeout interrupts a fill part-way instead of after it.
check timeout_bulk_fill 134 "deadline exceeded" - 10 fill_loop \
    -W timeout=100ms,max-instance-memory=5G
# Time covers everything: the deadline starts before loading.
check timeout_covers_loading 1 "deadline exceeded while loading" - 60 locals_8m -W timeout=1ns

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
