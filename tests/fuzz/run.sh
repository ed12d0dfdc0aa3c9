#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time, all at once (one process each), on a
# scratch copy of its seed corpus (the committed corpus stays as it is), and prints the
# executions each one made. A crash or leak leaves its input in fuzz-artifacts/.
#   tests/fuzz/run.sh BUILD_FUZZ_DIR [SECONDS]
set -euo pipefail
build=$1
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
targets=(fuzz_reply fuzz_neighbour fuzz_user_tcp fuzz_config)
declare -A pids
for target in "${targets[@]}"; do
    corpus=${target#fuzz_}
    cp -r "$here/corpus/$corpus" "$scratch/$corpus"
    mkdir "$scratch/$target.artifacts"
    "$build/tests/fuzz/$target" "$scratch/$corpus" -max_total_time="$seconds" -print_final_stats=1 \
        -detect_leaks=1 -artifact_prefix="$scratch/$target.artifacts/" >"$scratch/$target.log" 2>&1 &
    pids[$target]=$!
done
status=0
for target in "${targets[@]}"; do
    log=$scratch/$target.log
    if wait "${pids[$target]}"; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $target: ${runs:-?} executions in ${seconds}s, no crash, no leak, no UB"
    else
        echo "fuzz $target: FAILED"
        tail -40 "$log"
        mkdir -p fuzz-artifacts && cp "$scratch/$target.artifacts"/* fuzz-artifacts/ 2>/dev/null || true
        status=1
    fi
done
exit $status
