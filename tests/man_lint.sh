#!/usr/bin/env bash
# man_lint.sh PAGE...: mandoc -Tlint on each page; any warning or error fails. (Style
# hints are left out: some depend on the host's man database, e.g. missing Xr pages.)
set -uo pipefail
(($#)) || { echo "man_lint: no man pages given" >&2; exit 1; }
command -v mandoc >/dev/null || { echo "man_lint: mandoc missing (apt-get install mandoc)" >&2; exit 1; }
pass=0 fail=0
for page in "$@"; do
    out=$(mandoc -Tlint -W warning "$page" 2>&1)
    rc=$?
    if ((rc == 0)) && [[ -z $out ]]; then
        echo "ok - $page"
        pass=$((pass + 1))
    else
        echo "not ok - $page (mandoc exit $rc)"
        printf '#   %s\n' "$out"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
((fail == 0))
