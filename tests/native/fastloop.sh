#!/usr/bin/env bash
# tests/native/fastloop.sh [O] - tests/native/fastloop.wast (the fast copies
# of inner loops, docs/native.md "Fast loops") through the spec runner, in
# the interpreter and in the native tier at -O2 (where the copies are
# vectorised), every memory mode (tests/spec/both.sh). Both tiers must pass
# every assertion. Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
O=${1:-build}
dir=$O/fastloop-json
mkdir -p "$dir/core"
if ! wast2json tests/native/fastloop.wast -o "$dir/core/fastloop.json"; then
    echo "wast2json failed"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
tp=0; tf=0; ts=0
for tier in interp native; do
    if [ $tier = interp ]; then
        res=$(bash tests/spec/both.sh "$O/spec-runner" "$dir" 2>&1)
    else
        res=$(bash tests/spec/both.sh "$O/spec-runner-native" "$dir" --tier native --native-opt 2 2>&1)
    fi
    printf '%s\n' "$res" | sed "s/^/[$tier] /"
    read -r p f s <<<"$(printf '%s\n' "$res" | tail -n 1 |
        sed -nE 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/p')"
    if [ -z "${p:-}" ]; then f=1 p=0 s=0; fi
    tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
