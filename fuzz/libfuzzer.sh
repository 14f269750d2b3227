# fuzz/libfuzzer.sh - sourced by fuzz/run.sh and fuzz/run_native.sh.
# fuzz_run NAME TARGET OUT SECS TIMEOUT RSS_MB: runs the libFuzzer TARGET
# over OUT/corpus for SECS seconds (TIMEOUT seconds a unit, RSS_MB of
# memory), its log in OUT/last.log and its findings in OUT/artifacts/;
# returns 1 if there are any (crashes, timeouts, out of memory).
fuzz_run() {
    local name=$1 target=$2 out=$3 secs=$4 timeout=$5 rss=$6
    "$target" "$out/corpus" -max_total_time="$secs" -timeout="$timeout" -rss_limit_mb="$rss" \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/artifacts/" 2>&1 |
        tee "$out/last.log" | grep -E '^(#[0-9]+ *(DONE|pulse)|stat::|==|SUMMARY|Done)' || true
    grep -E 'stat::number_of_executed_units' "$out/last.log" || true
    # slow-unit-*: units over 10 s, worth a look but not failures.
    local slow
    slow=$(find "$out/artifacts" -name 'slow-unit-*' | wc -l)
    [ "$slow" -eq 0 ] || echo "$name: $slow slow units (over 10 s) in $out/artifacts/"
    if find "$out/artifacts" -type f ! -name 'slow-unit-*' | grep -q .; then
        echo "$name: findings in $out/artifacts/"
        return 1
    fi
    echo "$name: nothing found in ${secs}s"
}
