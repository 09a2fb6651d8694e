#!/usr/bin/env bash
# Crash tests, each with recovery and checks:
#  - api: kill -9 of the API at random points of a scripted SCIM burst (no orphan membership, every
#    committed change audited once, groups' versions and members as their committed changes say);
#    bench/crash-test.ts.
#  - worker: kill -9 of the sync worker during rule runs raced by user changes, with Redis wiped
#    (FLUSHALL) on even trials (every rule membership change audited exactly once, members as the
#    rule says, nothing pending; every audit event sequenced into exactly its change events, a
#    webhook receiver down across the kills gets every event, first arrivals in feed order, repeats
#    only under the same webhook-id; the rule group and users rebuilt from the feed equal the
#    stored ones); bench/worker-crash-test.ts.
#
#   scripts/crash-test.sh [--only api|worker] [--trials 5]
#     api:    [--lanes 8] [--users-per-lane 12] [--kill-min-ms 300] [--kill-max-ms 4000]
#     worker: [--users 4000] [--lanes 4] [--kill-max-ms 400]
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
ONLY=all
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY=${2:?--only needs api or worker}; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
case "$ONLY" in all|api|worker) ;; *) echo "--only must be api or worker, not '$ONLY'" >&2; exit 2 ;; esac
# Each run is bounded too: 5 trials take well under this.
if [ "$ONLY" != worker ]; then timeout --kill-after=10 600 node "$ROOT/dist/bench/crash-test.js" "${ARGS[@]}"; fi
if [ "$ONLY" != api ]; then timeout --kill-after=10 900 node "$ROOT/dist/bench/worker-crash-test.js" "${ARGS[@]}"; fi
