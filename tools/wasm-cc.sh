#!/usr/bin/env bash
# wasm-cc.sh OUT.wasm SRC.c [clang flags...] - compiles C to wasm32-wasi
# against Debian's wasi-libc through a clean sysroot (a folder of symlinks),
# so that a header wasi-libc lacks cannot silently resolve to a glibc one.
set -euo pipefail
out=$1; src=$2; shift 2
sysroot=${WASM_SYSROOT:-build/wasi-sysroot}
mkdir -p "$sysroot/include" "$sysroot/lib"
ln -sfn /usr/include/wasm32-wasi "$sysroot/include/wasm32-wasi"
ln -sfn /usr/lib/wasm32-wasi "$sysroot/lib/wasm32-wasi"
mkdir -p "$(dirname "$out")"
clang --target=wasm32-wasi --sysroot="$sysroot" -O2 -Wall -Werror "$@" -o "$out" "$src"
