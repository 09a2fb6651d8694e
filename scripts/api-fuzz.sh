#!/usr/bin/env bash
# The admin API against its own OpenAPI document, fuzzed by schemathesis (PyPI, pinned below):
# examples, coverage, fuzzing and stateful phases, deterministic generation and a budget that fits CI. Builds the
# app, starts it on services of its own (in-memory MongoDB, Redis, data under .data/api-fuzz), mints
# a tenant and an operator admin token with the project's CLI, and fails on any server error or
# contract mismatch. docs/api-contract.md explains the checks; scripts/api-fuzz.toml holds the
# allow-list of positive_data_acceptance (what no schema can state), each entry with its reason.
# Usage: bash scripts/api-fuzz.sh [--max-examples N] (CI runs it after npm test).
#
# It stops what it started, by PID, also on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TOOLS_DIR=${SCIM_TOOLS_DIR:-$ROOT/.tools}
VENV=$TOOLS_DIR/api-fuzz-venv
WORK=$ROOT/.data/api-fuzz
PINS=(schemathesis==4.32.5)
MAX_EXAMPLES=${API_FUZZ_MAX_EXAMPLES:-50}
[[ ${1:-} == --max-examples ]] && MAX_EXAMPLES=$2

log() { printf '[api-fuzz] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

unset MONGODB_URI REDIS_URL
export SCIM_DATA_DIR=$WORK SCIM_EMBEDDED_MONGO_BACKEND=memory LOG_LEVEL=warn

APP_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $APP_PID ]] && kill -0 "$APP_PID" 2>/dev/null; then
    log "stopping the app (pid $APP_PID)"
    kill "$APP_PID" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$APP_PID" 2>/dev/null || true
  fi
  if [[ -d $WORK/run ]]; then
    log "stopping the services of this run"
    bash scripts/services.sh stop || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x $VENV/bin/python ]]; then
  log "creating the Python venv $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
log "installing ${PINS[*]} from PyPI (no-op when present)"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}" || die "pip install failed"

log "building the app"
npm run build --silent

[[ -d $WORK/run ]] && bash scripts/services.sh stop
rm -rf "$WORK" && mkdir -p "$WORK"
log "starting the services (in-memory MongoDB, Redis)"
services=$(bash scripts/services.sh start)
export MONGODB_URI REDIS_URL
MONGODB_URI=$(sed -n 's/^MONGODB_URI=//p' <<<"$services")
REDIS_URL=$(sed -n 's/^REDIS_URL=//p' <<<"$services")

json_field() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(String(JSON.parse(s)[process.argv[1]])))' "$1"; }
log "creating a tenant and an operator admin token (npm run cli)"
TENANT=$(node dist/src/cli.js tenants create api-fuzz | json_field tenantId)
TOKEN=$(node dist/src/cli.js tokens admin --tenant "$TENANT" --ttl 7200 | json_field token)
[[ -n $TOKEN ]] || die "the CLI printed no admin token"

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
ORIGIN=http://127.0.0.1:$PORT
log "starting the app on $ORIGIN (log: $WORK/app.log)"
PORT=$PORT HOST=127.0.0.1 node dist/src/main.js >"$WORK/app.log" 2>&1 &
APP_PID=$!
for ((i = 0; i < 600; i++)); do
  node -e 'fetch(process.argv[1]).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))' "$ORIGIN/readyz" && break
  kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; die "the app exited during start-up"; }
  sleep 0.1
done

# Every check runs (schemathesis's default: all of them), positive_data_acceptance included, except
# where scripts/api-fuzz.toml allow-lists it with the reason. Not `--checks all`: a check named on the
# command line wins over the file's per-operation settings. API_FUZZ_EXCLUDE_CHECKS=check1,check2
# leaves checks out of a local run.
EXCLUDE_CHECKS=${API_FUZZ_EXCLUDE_CHECKS:-none}
EXCLUDE=()
[[ $EXCLUDE_CHECKS != none ]] && EXCLUDE=(--exclude-checks "$EXCLUDE_CHECKS")
log "schemathesis: deterministic generation, $MAX_EXAMPLES examples per operation, all phases"
set +e
NO_COLOR=1 "$VENV/bin/schemathesis" --config-file "$ROOT/scripts/api-fuzz.toml" run "$ORIGIN/admin/v1/openapi.json" \
  --url "$ORIGIN/admin/v1" \
  -H "Authorization: Bearer $TOKEN" \
  "${EXCLUDE[@]}" \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" --workers 1 \
  --generation-deterministic \
  --report junit --report-dir "$WORK/report" \
  >"$WORK/schemathesis.txt" 2>&1
rc=$?
set -e
# Prefixed, so that schemathesis's pytest-style closing banner ("== 2 warnings in 46s ==") is not read
# as the closing line of a test run that executed no test.
tail -80 "$WORK/schemathesis.txt" | sed 's/^/[schemathesis] /' >&2
exit $rc
