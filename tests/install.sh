#!/usr/bin/env bash
# tests/install.sh - `make install` as an embedder meets it. Installs into a
# temporary prefix and checks the files; builds examples/embed.c and
# examples/host_func.c against the installed copy with nothing but
# `pkg-config --cflags --libs ward` (PKG_CONFIG_PATH at the prefix, no -I or
# -L into the tree), runs them on the installed libward.so, then links them
# statically (`pkg-config --static`, -static) and runs them again; runs the
# installed `ward version`; checks the man page against `ward run --help`;
# stages an install with DESTDIR; and uninstalls both.
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
CC=${CC:-cc}
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
check() { # name, why-if-false, command...
    local name=$1 why=$2; shift 2
    if "$@"; then ok "$name"; else bad "$name" "$why"; fi
}
contains() { [[ "$1" == *"$2"* ]]; }

version=$(sed -nE 's/^#define WARD_VERSION "([0-9.]+)"/\1/p' include/ward.h)
major=${version%%.*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
# Nothing from the environment may point the compiler at the tree.
unset CPATH C_INCLUDE_PATH LIBRARY_PATH LD_LIBRARY_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# ---- install into the prefix ----------------------------------------------
if ! make -s O="$O" install PREFIX="$prefix" LDCONFIG=: >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    bad install "make install PREFIX=$prefix failed"
    echo "$pass passed, $fail failed"
    exit 1
fi
ok install
missing=""
for f in bin/ward include/ward.h include/ward_wasi.h include/ward_guest_mem.h \
    "lib/libward.so.$version" lib/libward.a lib/pkgconfig/ward.pc share/man/man1/ward.1; do
    [ -f "$prefix/$f" ] || missing+=" $f"
done
for h in include/*.h; do [ -f "$prefix/$h" ] || missing+=" $h"; done
check files "not installed:$missing" [ -z "$missing" ]
links="$(readlink "$prefix/lib/libward.so") $(readlink "$prefix/lib/libward.so.$major")"
check so-links "libward.so and libward.so.$major link to: $links" \
    [ "$links" = "libward.so.$major libward.so.$version" ]
check ward-version "installed ward version prints '$("$prefix/bin/ward" version 2>&1)'" \
    [ "$("$prefix/bin/ward" version)" = "ward $version" ]

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check pc-version "pkg-config --modversion ward: '$(pkg-config --modversion ward 2>&1)'" \
    [ "$(pkg-config --modversion ward 2>/dev/null)" = "$version" ]
check pc-prefix "ward.pc's prefix is '$(pkg-config --variable=prefix ward 2>&1)'" \
    [ "$(pkg-config --variable=prefix ward 2>/dev/null)" = "$prefix" ]

# ---- the examples against the installed copy ---------------------------------
# Built from a copy outside the tree, so that no header of the tree is found
# next to the source.
mkdir -p "$tmp/src"
cp examples/embed.c examples/host_func.c "$tmp/src/"
for ex in embed host_func; do
    # Shared: the program needs libward.so.N, found in the prefix.
    if $CC -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags ward) -o "$tmp/$ex" \
        "$tmp/src/$ex.c" $(pkg-config --libs ward) 2>"$tmp/$ex.cc.log"; then
        ok "$ex-build-shared"
        needed=$(readelf -d "$tmp/$ex" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | tr '\n' ' ')
        check "$ex-needs-so" "NEEDED is '$needed'" contains " $needed" " libward.so.$major "
        used=$(LD_LIBRARY_PATH=$prefix/lib ldd "$tmp/$ex" | awk '$1 ~ /^libward/ { print $3 }')
        check "$ex-uses-installed-so" "libward resolved to '$used'" \
            [ "$used" = "$prefix/lib/libward.so.$major" ]
        if (cd "$tmp" && LD_LIBRARY_PATH=$prefix/lib timeout 30 "./$ex" >"$ex.out" 2>&1); then
            ok "$ex-run-shared"
        else
            bad "$ex-run-shared" "exit $? ($(tail -n 3 "$tmp/$ex.out"))"
        fi
    else
        bad "$ex-build-shared" "$(head -c 600 "$tmp/$ex.cc.log")"
    fi
    # Static: everything in the program, no libward.so needed at run time.
    if $CC -std=c11 -Wall -Wextra -Werror -static $(pkg-config --static --cflags ward) \
        -o "$tmp/$ex-static" "$tmp/src/$ex.c" $(pkg-config --static --libs ward) \
        2>"$tmp/$ex-static.cc.log"; then
        ok "$ex-build-static"
        check "$ex-is-static" "$(readelf -d "$tmp/$ex-static" | grep NEEDED | head -3)" \
            [ -z "$(readelf -d "$tmp/$ex-static" | grep NEEDED)" ]
        if (cd "$tmp" && timeout 30 "./$ex-static" >"$ex-static.out" 2>&1); then
            ok "$ex-run-static"
            check "$ex-same-output" "static and shared builds print different things" \
                cmp -s "$tmp/$ex.out" "$tmp/$ex-static.out"
        else
            bad "$ex-run-static" "exit $? ($(tail -n 3 "$tmp/$ex-static.out"))"
        fi
    else
        bad "$ex-build-static" "$(head -c 600 "$tmp/$ex-static.cc.log")"
    fi
done

# ---- the man page ---------------------------------------------------------------
man=$prefix/share/man/man1/ward.1
# Every option `ward run --help` lists ("--dir", "-W fuel", "-X memory", ...)
# appears in the man page (roff writes "\-\-dir": backslashes dropped).
text=$(sed 's/\\f[BIRP]//g; s/\\//g' "$man")
absent=""; nopts=0
while IFS= read -r opt; do
    nopts=$((nopts + 1))
    [[ "$text" == *"$opt"* ]] || absent+=" '$opt'"
done < <("$prefix/bin/ward" run --help | sed -nE 's/^  (-[-a-zA-Z]+( [a-z-]+=)?).*/\1/p')
[ "$nopts" -ge 5 ] || absent+=" (only $nopts options found in 'ward run --help')"
check man-options "options of 'ward run --help' missing from ward.1:$absent" [ -z "$absent" ]
check man-version "ward.1 is not for version $version: $(grep '^\.TH' "$man")" \
    grep -qE "^\.TH WARD 1 .*\"ward $version\"" "$man"
if command -v groff >/dev/null; then
    warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
    check man-renders "groff: $warn" [ -z "$warn" ]
fi

# ---- DESTDIR and uninstall --------------------------------------------------------
stage=$tmp/stage
if make -s O="$O" install DESTDIR="$stage" PREFIX=/opt/ward >"$tmp/stage.log" 2>&1; then
    check destdir-files "nothing under $stage/opt/ward" \
        test -f "$stage/opt/ward/lib/libward.so.$version" -a -f "$stage/opt/ward/bin/ward"
    check destdir-pc "ward.pc names the staging folder: $(grep -m1 '^prefix=' "$stage/opt/ward/lib/pkgconfig/ward.pc")" \
        grep -qx 'prefix=/opt/ward' "$stage/opt/ward/lib/pkgconfig/ward.pc"
    left=$(make -s O="$O" uninstall DESTDIR="$stage" PREFIX=/opt/ward >/dev/null 2>&1 &&
        find "$stage" ! -type d)
    check destdir-uninstall "left after uninstall: $left" [ -z "$left" ]
else
    bad destdir "$(tail -n 5 "$tmp/stage.log")"
fi
left=$(make -s O="$O" uninstall PREFIX="$prefix" LDCONFIG=: >/dev/null 2>&1 && find "$prefix" ! -type d)
check uninstall "left after make uninstall: $left" [ -z "$left" ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
