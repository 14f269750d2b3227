#!/usr/bin/env bash
# Builds and runs the bundled examples: the report program under `ward run`
# (output compared with examples/report/expected.txt) and the two embedding
# examples, and the serverless node's example (examples/serve/run.sh, the
# README's main job). Last line: "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

if bash tools/wasm-cc.sh "$O/examples/report.wasm" examples/report/report.c; then
    if out=$("$O/ward" run --dir examples/report/input::/data "$O/examples/report.wasm" 2>&1) &&
        [ "$out" = "$(cat examples/report/expected.txt)" ]; then
        ok report
    else
        bad report "output differs from expected.txt"
        diff <(printf '%s\n' "$out") examples/report/expected.txt | head -20
    fi
else
    bad report "does not compile"
fi

for ex in embed host_func; do
    if cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -o "$O/examples/$ex" \
        "examples/$ex.c" "$O/libward.a" -lm -lpthread; then
        if (cd "$O/examples" && timeout 30 "./$ex" >"$ex.out" 2>&1); then ok "$ex"
        else bad "$ex" "exit $? ($(tail -n 3 "$O/examples/$ex.out"))"; fi
    else
        bad "$ex" "does not compile"
    fi
done
# The README's main job (make example): a node, its functions, a chain.
if out=$(timeout 120 bash examples/serve/run.sh "$O" 2>&1) &&
    echo "$out" | grep -qx 'NIAHC A NI STELTSURT :DRAW' && echo "$out" | grep -qx '2 15 86' &&
    echo "$out" | grep -qx 'ABC  cba' && echo "$out" | grep -q 'ward serve: stopped'; then
    ok "serve example"
else
    bad "serve example" "$(echo "$out" | tail -n 5)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
