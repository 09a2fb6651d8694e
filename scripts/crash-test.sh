#!/usr/bin/env bash
# Crash test: kill -9 of the API at random points of a scripted SCIM burst, then recovery and
# checks (no orphan membership, every committed change audited once, groups' versions and members
# as their committed changes say). See bench/crash-test.ts for what is checked and why.
#
#   scripts/crash-test.sh [--trials 5] [--lanes 8] [--users-per-lane 12] [--kill-min-ms 300] [--kill-max-ms 4000]
#
# Runs on services of its own (scripts/services.sh with SCIM_DATA_DIR=.data/crash-test, loopback
# only), stops them and every API process it started (by PID) on exit. Exit status: 0 no
# violation, 1 violations, 2 the run itself failed, 3 a trial overran its time bound.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SCIM_DATA_DIR=${CRASH_DATA_DIR:-$ROOT/.data/crash-test}
export SCIM_EMBEDDED_MONGO_BACKEND=memory
export CRASH_LOG_DIR=$SCIM_DATA_DIR
unset MONGODB_URI REDIS_URL
mkdir -p "$SCIM_DATA_DIR"

cleanup() { bash "$ROOT/scripts/services.sh" stop >&2 || true; }
trap cleanup EXIT

echo "[crash] building" >&2
(cd "$ROOT" && npm run --silent build)
eval "$(bash "$ROOT/scripts/services.sh" start)"
export MONGODB_URI REDIS_URL
# The whole run is bounded too: 5 trials take well under this.
timeout --kill-after=10 600 node "$ROOT/dist/bench/crash-test.js" "$@"
