#!/usr/bin/env bash
# both.sh RUNNER DIR - runs the spec suite with every memory flat, then
# paged, then paged with every access through the page tables (no span:
# the span serves the fresh memories of the suite, so the tables' path needs
# its own run), then with every memory tagged (mem-safety: every access
# tag-checked, nothing tagged), flat and paged, and prints the per-run lines
# and one combined final line "N passed, N failed, N skipped" counting all
# runs together.
set -u
runner=$1; dir=$2; shift 2
# Further arguments go to every run (--tier native: the native tier).
extra=("$@")
tp=0; tf=0; ts=0; rc=0
for mode in flat paged paged-tables tagged paged-tagged; do
    out=$("$runner" --memory "$mode" ${extra[@]+"${extra[@]}"} "$dir" 2>&1); r=$?
    printf '%s\n' "$out" | sed "s/^/[$mode] /"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -n 1)
    if [ -z "$line" ]; then
        echo "[$mode] no result line (exit $r)"; tf=$((tf + 1)); rc=1; continue
    fi
    read -r p f s <<<"$(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')"
    tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
    [ "$r" -ne 0 ] && rc=1
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ] && exit "$rc"
exit 1
