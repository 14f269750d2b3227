#!/usr/bin/env bash
# convert.sh SUITE_DIR OUT_DIR
#
# Converts the spec test suite (.wast) into wast2json's command scripts
# (.json plus one .wasm/.wat per module) for tests/spec/runner.c:
#   SUITE_DIR/*.wast                        -> OUT_DIR/core/
#   SUITE_DIR/proposals/memory64/*.wast     -> OUT_DIR/memory64/       (--enable-memory64)
#   SUITE_DIR/proposals/multi-memory/*.wast -> OUT_DIR/multi-memory/   (--enable-multi-memory)
#   SUITE_DIR/proposals/extended-const/*.wast -> OUT_DIR/extended-const/ (--enable-extended-const)
# Each folder gets its own output directory because several proposal files
# share names with core files and their outputs would collide.
# Exits non-zero if wast2json is missing or any single conversion fails.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 SUITE_DIR OUT_DIR" >&2
    exit 2
fi
suite=$1
out=$2
jobs=${SPEC_CONVERT_JOBS:-2}

if ! command -v wast2json >/dev/null 2>&1; then
    echo "convert.sh: wast2json not found; install wabt (apt-get install -y wabt)" >&2
    exit 1
fi
if [ ! -d "$suite" ]; then
    echo "convert.sh: suite folder '$suite' does not exist" >&2
    exit 1
fi

# folder in the suite | output subfolder | wast2json flag ("-" = none)
suites=(
    ".|core|-"
    "proposals/memory64|memory64|--enable-memory64"
    "proposals/multi-memory|multi-memory|--enable-multi-memory"
    "proposals/extended-const|extended-const|--enable-extended-const"
)

# Start from empty output folders: a .wasm left over from an earlier version
# of a script must never be picked up by a newer .json of the same name.
for s in "${suites[@]}"; do
    IFS='|' read -r _ sub _ <<<"$s"
    rm -rf "${out:?}/$sub"
    mkdir -p "$out/$sub"
done

# One conversion; runs under xargs. Prints the wast2json error and fails
# with status 1 so that xargs reports the failure at the end (status 123)
# while still converting the remaining files.
convert_one() {
    local flag=$1 src=$2 dst=$3
    local name
    name=$(basename "$src" .wast)
    local -a args=()
    if [ "$flag" != "-" ]; then args+=("$flag"); fi
    if ! wast2json "${args[@]}" "$src" -o "$dst/$name.json" 2>"$dst/$name.err"; then
        echo "convert.sh: FAILED: wast2json ${args[*]} $src" >&2
        sed 's/^/    /' "$dst/$name.err" | head -n 20 >&2
        # Drop the partial script so a failed file is never run half-converted.
        rm -f "$dst/$name.err" "$dst/$name.json"
        return 1
    fi
    rm -f "$dst/$name.err"
}
export -f convert_one

count=0
list=$(mktemp)
trap 'rm -f "$list"' EXIT
for s in "${suites[@]}"; do
    IFS='|' read -r dir sub flag <<<"$s"
    if [ ! -d "$suite/$dir" ]; then
        echo "convert.sh: missing folder $suite/$dir" >&2
        exit 1
    fi
    for f in "$suite/$dir"/*.wast; do
        [ -e "$f" ] || continue
        printf '%s\0%s\0%s\0' "$flag" "$f" "$out/$sub" >>"$list"
        count=$((count + 1))
    done
done
if [ "$count" -eq 0 ]; then
    echo "convert.sh: no .wast files under $suite" >&2
    exit 1
fi

start=$(date +%s)
if ! xargs -0 -n 3 -P "$jobs" bash -c 'convert_one "$@"' _ <"$list"; then
    echo "convert.sh: some conversions failed (see above)" >&2
    exit 1
fi
echo "convert.sh: converted $count files into $out in $(($(date +%s) - start)) s"
