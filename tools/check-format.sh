#!/usr/bin/env bash
# Checks that every C file of the tree is formatted with the repository's
# .clang-format (fix with `make format`). Prints "N passed, N failed" last.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0
for f in $(git ls-files '*.c' '*.h'; git ls-files --others --exclude-standard '*.c' '*.h'); do
    if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        pass=$((pass + 1))
    else
        echo "format: $f is not clang-formatted (make format)"; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
