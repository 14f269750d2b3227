# tests/tier.sh - sourced by the test scripts that can run in either tier.
# With WARD_TEST_TIER=native (tests/run_all.sh's *-native steps) every
# `ward run` gets `-C native` and a cache directory shared by the steps, so
# each module is compiled once, and the C drivers link libward-native.a
# with LLVM and create their stores in the native tier (tests/tier.h).
# Needs O (the build directory). Sets:
#   TIER_RUN   flags to put after `ward run` (an array; empty in the interpreter)
#   TIER_LIB   the library to link C drivers against, TIER_LIBS the rest
tier_llvm_config=${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config}
TIER_RUN=()
TIER_LIB=$O/libward.a
TIER_LIBS=""
if [ "${WARD_TEST_TIER:-interp}" = native ]; then
    export WARD_TEST_CACHE=${WARD_TEST_CACHE:-$(cd "$O" && pwd)/native-cache}
    mkdir -p "$WARD_TEST_CACHE"
    TIER_RUN=(-C native -C "cache=$WARD_TEST_CACHE")
    TIER_LIB=$O/libward-native.a
    TIER_LIBS=$("$tier_llvm_config" --ldflags --libs)
elif [ -n "${WARD_TEST_TIER:-}" ] && [ "$WARD_TEST_TIER" != interp ]; then
    echo "WARD_TEST_TIER: '$WARD_TEST_TIER' is neither interp nor native" >&2
    exit 2
fi
