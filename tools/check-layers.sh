#!/usr/bin/env bash
# Checks the layering rules of DESIGN.md on the tree (no build needed):
#   - a file in src/LAYER includes headers of its own layer or lower ones only,
#     in this order: base platform decode mem exec runtime api wasi;
#   - of the public headers (include/), a layer below src/api includes only
#     ward_errors.h (the lists of trap and error codes, no API);
#   - src/wasi, cli and faas include only the public headers (include/) and
#     their own folder's (cli/harden.c: also harden/harden.h);
#   - harden/ (the rewriter of `ward harden`, a module transformer outside
#     the runtime) includes its own headers and the C library only;
#   - only src/platform and src/wasi include OS headers (POSIX, Linux);
#   - faas/monitor, faas/proto and faas/attest (the trusted part of a node)
#     include no HTTP or JSON header and nothing of the gateway or the client.
# Prints one line per violation and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/.."
order=(base platform decode mem exec runtime api wasi)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
# OS headers: anything but the C standard library's.
std='assert|ctype|errno|float|inttypes|limits|math|setjmp|stdalign|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|stdnoreturn|string|time|uchar|wchar'
pass=0; fail=0
bad() { echo "layers: $*"; fail=$((fail + 1)); }
for f in $(git ls-files 'src/*.c' 'src/*.h' 'src/*.def'; git ls-files --others --exclude-standard 'src/*.c' 'src/*.h'); do
    layer=$(echo "$f" | cut -d/ -f2)
    me=$(rank "$layer")
    [ "$me" -lt 0 ] && { bad "$f: src/$layer is not a layer (${order[*]})"; continue; }
    ok=1
    while IFS= read -r inc; do
        dir=${inc%%/*}
        if [ "$layer" = wasi ]; then
            case "$inc" in ward.h|ward_wasi.h|ward_guest_mem.h|wasi/*) ;; *) bad "$f includes \"$inc\": the WASI layer uses the public API only"; ok=0 ;; esac
            continue
        fi
        case "$inc" in ward_errors.h) continue ;; ward*.h) [ "$layer" = api ] || { bad "$f includes public \"$inc\" below the API layer"; ok=0; }; continue ;; esac
        them=$(rank "$dir")
        if [ "$them" -lt 0 ]; then bad "$f includes \"$inc\": not LAYER/header.h"; ok=0
        elif [ "$them" -gt "$me" ]; then bad "$f ($layer) includes \"$inc\" from the higher layer $dir"; ok=0; fi
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f")
    if [ "$layer" != platform ] && [ "$layer" != wasi ]; then
        while IFS= read -r sys; do
            echo "$sys" | grep -qE "^($std)\.h$" || { bad "$f includes <$sys>: only src/platform calls the OS"; ok=0; }
        done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/p' "$f")
    fi
    [ "$ok" = 1 ] && pass=$((pass + 1))
done
for f in $(git ls-files 'cli/*.[ch]' 'faas/*.[ch]'; git ls-files --others --exclude-standard 'cli/*.[ch]' 'faas/*.[ch]'); do
    top=$(dirname "$f"); ok=1
    while IFS= read -r inc; do
        # faas/ shares its protocol (faas/proto.h); cli/ may use the
        # interface header of a part of faas/ (gateway/gateway.h, client/client.h).
        case "$f:$inc" in faas/*:proto.h|faas/*:attest.h) continue ;; cli/*:gateway/gateway.h|cli/*:client/client.h|cli/*:client/seal.h|cli/harden.c:harden/harden.h) continue ;; esac
        case "$inc" in ward*.h) ;; */*) [ "${inc%%/*}" = "${top#*/}" ] || [ "${inc%%/*}" = "$(basename "$top")" ] || { bad "$f includes \"$inc\": $top uses the public API only"; ok=0; } ;; *) [ -f "$top/$inc" ] || { bad "$f includes \"$inc\": $top uses the public API only"; ok=0; } ;; esac
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f")
    # The trusted part (DESIGN.md): the monitor and the protocol it shares
    # parse no HTTP and no JSON; they link libward, libc and libseccomp only.
    case "$f" in faas/monitor/*|faas/proto.[ch]|faas/attest.[ch])
        while IFS= read -r sys; do
            case "$sys" in microhttpd.h|curl/*|cjson/*|*json*|*http*) bad "$f includes <$sys>: the monitor parses no HTTP or JSON"; ok=0 ;; esac
        done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/p' "$f")
        grep -qE '"(gateway|client)/' "$f" && { bad "$f includes the gateway or the client"; ok=0; } ;;
    esac
    [ "$ok" = 1 ] && pass=$((pass + 1))
done
for f in $(git ls-files 'harden/*.[ch]'; git ls-files --others --exclude-standard 'harden/*.[ch]'); do
    ok=1
    while IFS= read -r inc; do
        [ -f "harden/$inc" ] || { bad "$f includes \"$inc\": harden/ uses its own headers only"; ok=0; }
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f")
    while IFS= read -r sys; do
        echo "$sys" | grep -qE "^($std)\.h$" || { bad "$f includes <$sys>: harden/ uses the C library only"; ok=0; }
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/p' "$f")
    [ "$ok" = 1 ] && pass=$((pass + 1))
done
# native/ (the LLVM backend of the native tier, docs/native.md) is built
# into libward-native, never into libward: it may use the runtime's internal
# headers (it compiles the internal code; api/artifact.h: the artifact
# format, libward's), the public ones, libc, POSIX
# threads and files, and LLVM's C API (llvm-c/) - and nothing in src/ may
# include it.
for f in $(git ls-files 'native/*.[ch]'; git ls-files --others --exclude-standard 'native/*.[ch]'); do
    ok=1
    while IFS= read -r inc; do
        case "$inc" in nl.h|ward*.h|base/*|decode/*|mem/*|exec/*|runtime/*|api/artifact.h) ;;
            *) bad "$f includes \"$inc\": native/ uses src/ headers, include/ and llvm-c/ only"; ok=0 ;; esac
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f")
    while IFS= read -r sys; do
        case "$sys" in llvm-c/*|pthread.h|unistd.h|errno.h|sys/stat.h|stddef.h|stdio.h|stdlib.h|string.h|time.h|stdint.h|stdbool.h) ;;
            *) bad "$f includes <$sys>: native/ links libc, pthreads and llvm-c only"; ok=0 ;; esac
    done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/p' "$f")
    [ "$ok" = 1 ] && pass=$((pass + 1))
done
if git grep -qE '#[[:space:]]*include[[:space:]]*"(native/|nl\.h)' -- 'src/*' 2>/dev/null; then
    bad "src/ includes the native backend (native/): libward must not depend on LLVM"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
