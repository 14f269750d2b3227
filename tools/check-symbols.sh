#!/usr/bin/env bash
# tools/check-symbols.sh [BUILD_DIR] - checks that the library exports only
# ward_ names (DESIGN.md: "the library exports only ward_ names"):
#   - libward.so's dynamic symbol table defines nothing but ward_ names, and
#     its SONAME is libward.so.MAJOR (MAJOR from include/ward.h);
#   - libward.a defines no global symbol but ward_ names (its internal
#     names are local: see the Makefile);
#   - every function declared in the public host headers (include/ward*.h
#     but ward_guest_*.h, which declares the imports of Wasm guests) is
#     defined and global in both, so a declaration without WARD_API fails;
#   - the check itself rejects a library that defines a foreign global
#     (a copy of each with one extra object), so it cannot pass vacuously.
# Nothing is allowed beyond ward_: neither the compiler nor glibc adds a
# global symbol to these libraries (no _init/_fini/_edata exported).
# Prints one line per problem and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/.."
O=${1:-${O:-build}}
so=$O/libward.so
ar=$O/libward.a
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# Names of the global symbols a library defines, one per line.
so_globals() { nm -D --defined-only "$1" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//'; }
ar_globals() { nm -g --defined-only "$1" | awk 'NF >= 3 { print $3 }'; }
# The names of $2 (a list) not starting with ward_, space separated.
foreign() { printf '%s\n' "$1" | grep -v -E '^(ward_|$)' | tr '\n' ' '; }

# The functions the host headers declare: preprocessed (no comments), every
# "ward_name (" left is a function being declared.
declared=$(for h in include/ward*.h; do
    # ward_native.h is libward-native's (the LLVM backend), not libward's.
    case $(basename "$h") in ward_guest_*|ward_native.h) continue ;; esac
    ${CC:-cc} -E -P -Iinclude "$h"
done | grep -oE '\bward_[a-z0-9_]+ *\(' | sed 's/ *($//' | sort -u)
[ -n "$declared" ] || bad headers "found no function declared in include/ward*.h"

check_lib() { # name, file, lister
    local name=$1 file=$2 list=$3 names extra missing
    if [ ! -f "$file" ]; then
        bad "$name" "$file does not exist (make all)"
        return
    fi
    names=$($list "$file" | sort -u)
    extra=$(foreign "$names")
    if [ -n "$extra" ]; then
        bad "$name" "$file defines global symbols that are not ward_ names: $extra"
    else
        ok "$name: $(printf '%s\n' "$names" | grep -c .) global symbols, all ward_"
    fi
    missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$names") | tr '\n' ' ')
    if [ -n "$missing" ]; then
        bad "$name-api" "$file does not export these declared functions (WARD_API missing?): $missing"
    else
        ok "$name-api: all $(printf '%s\n' "$declared" | grep -c .) declared functions exported"
    fi
}

check_lib libward.so "$so" so_globals
check_lib libward.a "$ar" ar_globals

major=$(sed -nE 's/^#define WARD_VERSION_MAJOR ([0-9]+).*/\1/p' include/ward.h)
soname=$(readelf -d "$so" 2>/dev/null | sed -nE 's/.*\(SONAME\).*\[(.*)\]/\1/p')
if [ "$soname" = "libward.so.$major" ]; then ok "soname $soname"
else bad soname "libward.so has SONAME '$soname', want libward.so.$major"; fi

# The check must see a foreign global: one more object defining
# ward_check_foreign_ (a ward_ name, fine) and check_foreign_ (not).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'int check_foreign_(void) { return 1; }\nint ward_check_foreign_(void) { return 2; }\n' >"$tmp/x.c"
if [ -f "$ar" ] && ${CC:-cc} -fPIC -c "$tmp/x.c" -o "$tmp/x.o" &&
    cp "$ar" "$tmp/libbad.a" && ar q "$tmp/libbad.a" "$tmp/x.o" &&
    ${CC:-cc} -shared -o "$tmp/libbad.so" "$tmp/x.o" -Wl,--whole-archive "$ar" \
        -Wl,--no-whole-archive -lm -lpthread; then
    a=$(foreign "$(ar_globals "$tmp/libbad.a")")
    s=$(foreign "$(so_globals "$tmp/libbad.so")")
    if [[ " $a" == *" check_foreign_ "* && " $s" == *" check_foreign_ "* &&
        " $a $s" != *" ward_check_foreign_ "* ]]; then
        ok "self-test: a foreign global is reported, a ward_ one is not"
    else
        bad self-test "want check_foreign_ reported, got '$a' (.a) and '$s' (.so)"
    fi
else
    bad self-test "could not build the libraries for the self-test"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
