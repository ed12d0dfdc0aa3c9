#!/usr/bin/env bash
# test_rules.sh - the example alert rules cover every verdict (vipcheck(7), VERDICTS):
# promtool accepts the rules and the scrape config, runs the rules' unit tests
# (examples/prometheus/vipcheck.rules.test.yml), and every verdict token vipcheck knows,
# but up, has a test case of its own there.
#
#   tests/prometheus/test_rules.sh SOURCE_DIR
set -uo pipefail
if (($# != 1)); then
    echo "usage: $0 SOURCE_DIR" >&2
    exit 1
fi
SRC=$1
EX=$SRC/examples/prometheus
command -v promtool >/dev/null || { echo "Bail out! promtool is not installed (apt-get install prometheus)"; exit 1; }
fail=0
check() { # check DESC CMD...: run CMD, print ok / not ok with its output
    local desc=$1 out line
    shift
    if out=$("$@" 2>&1); then
        echo "ok - $desc"
    else
        echo "not ok - $desc"
        while IFS= read -r line; do echo "#   $line"; done <<<"$out"
        fail=1
    fi
}
check "promtool check rules" promtool check rules "$EX/vipcheck.rules.yml"
check "promtool check config (the scrape example and its rule file)" promtool check config "$EX/prometheus.yml"
check "promtool test rules: each alert fires for its series only" promtool test rules "$EX/vipcheck.rules.test.yml"

# The tokens as vipcheck prints them: the strings token() returns.
mapfile -t tokens < <(sed -n 's/^ *case Verdict::[A-Za-z]*: return "\([a-z-]*\)";/\1/p' "$SRC/lib/src/base/verdict.cpp")
if ((${#tokens[@]} < 10)); then
    echo "not ok - read the verdict tokens from lib/src/base/verdict.cpp (got ${#tokens[@]})"
    exit 1
fi
for token in "${tokens[@]}"; do
    [[ $token == up ]] && continue
    if grep -q "^  - name: \"$token: " "$EX/vipcheck.rules.test.yml" &&
        grep -q "verdict=\"$token\"" "$EX/vipcheck.rules.test.yml"; then
        echo "ok - verdict $token has a test case"
    else
        echo "not ok - verdict $token has a test case in vipcheck.rules.test.yml"
        fail=1
    fi
done
exit "$fail"
