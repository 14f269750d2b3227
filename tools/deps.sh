#!/usr/bin/env bash
# Installs the Debian packages ward's build, tests, examples and benchmarks
# need. Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail

# binutils: ld -r, objcopy, nm, readelf build and check the library;
# libc6-dev: libc.a for the static-link install test; pkgconf: pkg-config.
# The serverless node (ward serve): libmicrohttpd (gateway), libcurl (client),
# libseccomp (monitor), libsodium (measurements, attestation and encryption:
# monitor and client); its tests use curl and python3, its benchmark wrk.
# The native tier (native/, docs/native.md): LLVM 19's C API with ORC LLJIT,
# the newest LLVM Debian 12 packages (19.1.7).
pkgs=(make gcc clang lld wabt libcjson-dev wasi-libc libclang-rt-14-dev
      libclang-rt-14-dev-wasm32 binaryen hyperfine valgrind clang-format
      binutils libc6-dev pkgconf
      libmicrohttpd-dev libcurl4-openssl-dev libseccomp-dev libsodium-dev wrk python3 curl
      llvm-19-dev)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
