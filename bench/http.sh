#!/usr/bin/env bash
# The project's HTTP hot paths (create, list, case detail, 64-connection reconcile) beside the
# thinnest Flask + SQLite app, with the shared harness (../shared/bench/compare.sh; its README
# explains the rounds). Run from the project root after `make install`:
#   bench/http.sh                               # ~4 minutes, SQLite, 10,000 cases
#   SQLITE_SYNCHRONOUS=FULL bench/http.sh       # the cost of FULL
#   CASES=1000000 ROUNDS=1 bench/http.sh        # at scale (the fill takes a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${COMPARE:-../shared/bench/compare.sh}
[[ -x $harness ]] || { echo "the shared harness is not at $harness (set COMPARE=…)" >&2; exit 2; }
exec "$harness" "$@"
