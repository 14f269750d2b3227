#!/usr/bin/env bash
# docs/native-vectorise/check.sh: which IR shapes LLVM 19's -O2 vectorises
# (docs/native.md, "Not done", Speed). Each .ll says what it shows and what
# to expect; this prints the vector instructions -O2 leaves in each (0: not
# vectorised) and, for 9, 11 and 14, the same after the two-phase pipeline.
# Needs opt-19 (llvm-19).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vec() { grep -c 'x double>' "$1" || true; }
for f in $(ls [0-9]*-*.ll | sort -n); do
    opt-19 -passes='default<O2>' -S "$f" -o "$tmp/o.ll"
    printf '%-36s -O2: %3s vector instructions\n' "$f" "$(vec "$tmp/o.ll")"
done
# the strict ones (9, 11, 14) in two phases: -O2's pipeline cut where the
# vectoriser's part starts
pipe=$(opt-19 -passes='default<O2>' -print-pipeline-passes -disable-output 9-strict-two-phase.ll)
cut='function<eager-inv>(float2int'
first=${pipe%%"$cut"*}
second=$cut${pipe#*"$cut"}
for f in 9-strict-two-phase.ll 11-strict-asm-header.ll 14-exact-pnf.ll; do
    opt-19 -passes="${first%,}" -S "$f" -o "$tmp/p1.ll"
    # constrained operations without a constant operand become plain ones
    python3 - "$tmp/p1.ll" "$tmp/p1b.ll" <<'P'
import re, sys
s = open(sys.argv[1]).read()
op = r'(?:tail )?call double @llvm\.experimental\.constrained\.(fadd|fsub|fmul|fdiv)\.f64\(double (%[\w.]+), double (%[\w.]+), metadata [^,]+, metadata [^)]+\)(?: #\d+)?'
s = re.sub(op, lambda m: f'{m.group(1)} double {m.group(2)}, {m.group(3)}', s)
s = re.sub(r'\bstrictfp\b', '', s)
s = re.sub(r'^attributes #(\d+) = \{\s*\}$', r'attributes #\1 = { nounwind }', s, flags=re.M)
open(sys.argv[2], 'w').write(s)
P
    opt-19 -passes="$second" -S "$tmp/p1b.ll" -o "$tmp/p2.ll"
    printf '%-36s two phases: %3s vector instructions\n' "$f" "$(vec "$tmp/p2.ll")"
done
