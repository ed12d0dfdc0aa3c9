#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time on a scratch copy of its seed corpus
# (the committed corpus stays as it is) and prints the executions each one made.
#   tests/fuzz/run.sh BUILD_FUZZ_DIR [SECONDS]
set -euo pipefail
build=$1
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in fuzz_reply fuzz_neighbour fuzz_user_tcp; do
    corpus=${target#fuzz_}
    cp -r "$here/corpus/$corpus" "$scratch/$corpus"
    log=$scratch/$target.log
    if "$build/tests/fuzz/$target" "$scratch/$corpus" -max_total_time="$seconds" -print_final_stats=1 \
        -detect_leaks=1 -artifact_prefix="$scratch/" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $target: ${runs:-?} executions in ${seconds}s, no crash, no leak, no UB"
    else
        echo "fuzz $target: FAILED"
        tail -40 "$log"
        mkdir -p fuzz-artifacts && cp "$scratch"/crash-* "$scratch"/leak-* fuzz-artifacts/ 2>/dev/null || true
        status=1
    fi
done
exit $status
