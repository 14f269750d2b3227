#!/usr/bin/env bash
# Runs each unit-test binary in its own process with a timeout, sums the
# "N passed, M failed" line each one prints, and prints the totals last.
set -u
total_pass=0; total_fail=0
for t in "$@"; do
    out=$(timeout 300 "$t" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out" | tail -n 20
        echo "$(basename "$t"): no result line (exit $rc)"
        total_fail=$((total_fail + 1)); continue
    fi
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$f" -ne 0 ] && printf '%s\n' "$out" | grep -iE 'fail|error' | head -n 20
    echo "$(basename "$t"): $p passed, $f failed"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
done
echo "unit: $total_pass passed, $total_fail failed"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
