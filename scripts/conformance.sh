#!/usr/bin/env bash
# SCIM conformance against two independent testers from PyPI, scim2-tester (through scim2-cli) and
# scim-sanity, pinned below. Builds the app, starts it on local services of its own (in-memory
# MongoDB, Redis, data under .data/conformance), creates a tenant and token with the project's CLI,
# runs both tools, and fails on any finding that is not in ALLOWED below. docs/conformance.md has
# the results and the reasons. Usage: bash scripts/conformance.sh (CI runs it after npm test).
#
# It stops what it started, by PID, also on failure: the app (its PID from $!) and the services
# (scripts/services.sh stop, which signals only the PIDs it recorded under this run's data folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TOOLS_DIR=${SCIM_TOOLS_DIR:-$ROOT/.tools}
VENV=$TOOLS_DIR/conformance-venv
WORK=$ROOT/.data/conformance
PINS=(scim2-cli==0.6.0 scim2-tester==0.5.2 scim-sanity==0.7.4)

log() { printf '[conformance] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Always our own services: never a database named by the caller's environment (the testers write).
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

# ---- tools ------------------------------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
  log "creating the Python venv $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
log "installing ${PINS[*]} from PyPI (no-op when present)"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}" || die "pip install failed"

# ---- app on its own services ------------------------------------------------------------------
log "building the app"
npm run build --silent

# A run killed before its cleanup leaves its services recorded here: stop those, then start afresh.
[[ -d $WORK/run ]] && bash scripts/services.sh stop
rm -rf "$WORK" && mkdir -p "$WORK"
log "starting the services (in-memory MongoDB, Redis)"
services=$(bash scripts/services.sh start)
export MONGODB_URI REDIS_URL
MONGODB_URI=$(sed -n 's/^MONGODB_URI=//p' <<<"$services")
REDIS_URL=$(sed -n 's/^REDIS_URL=//p' <<<"$services")

log "creating a tenant and SCIM token (npm run cli -- tenants create)"
TOKEN=$(node dist/src/cli.js tenants create conformance | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(JSON.parse(s).scimToken))')
[[ -n $TOKEN ]] || die "the CLI printed no token"

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
BASE=http://127.0.0.1:$PORT/scim/v2
log "starting the app on 127.0.0.1:$PORT (log: $WORK/app.log)"
PORT=$PORT HOST=127.0.0.1 node dist/src/main.js >"$WORK/app.log" 2>&1 &
APP_PID=$!
for ((i = 0; i < 600; i++)); do
  node -e 'fetch(process.argv[1]).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$PORT/readyz" && break
  kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; die "the app exited during start-up"; }
  sleep 0.1
done
kill -0 "$APP_PID" 2>/dev/null || die "the app is not running"

# ---- the testers ------------------------------------------------------------------------------
# Exit codes are not the verdict (both exit 1 on any finding); the parser below is.
log "running scim2-tester: scim2 --url $BASE test"
set +e
NO_COLOR=1 SCIM_CLI_HEADERS="Authorization: Bearer $TOKEN" "$VENV/bin/scim2" --url "$BASE" test >"$WORK/scim2-tester.txt" 2>&1
scim2_rc=$?
log "running scim-sanity: scim-sanity probe $BASE --json-output --i-accept-side-effects"
"$VENV/bin/scim-sanity" probe "$BASE" --token "$TOKEN" --i-accept-side-effects --json-output >"$WORK/scim-sanity.json" 2>"$WORK/scim-sanity.err"
sanity_rc=$?
set -e
log "scim2 exited $scim2_rc, scim-sanity exited $sanity_rc; outputs in $WORK"

# ---- verdict ----------------------------------------------------------------------------------
"$VENV/bin/python" - "$WORK/scim2-tester.txt" "$scim2_rc" "$WORK/scim-sanity.json" "$sanity_rc" <<'PY'
import json, re, sys

def only_display_differs(message):
    """The tester's "Patched value" and "Returned value" lines agree once display='…' is dropped."""
    values = dict(re.findall(r"^(Patched|Returned) value: (.*)$", message, re.MULTILINE))
    strip = lambda v: re.sub(r"display='[^']*'", "display=_", v)
    return len(values) == 2 and strip(values["Patched"]) == strip(values["Returned"])

# The allow-list: findings we accept, each with its reason. (tool, check name, pattern over the
# tool's message, why[, a further test of the message]). Anything else that is not a pass fails.
ALLOWED = [
    # scim2-tester 0.5.2 fills our custom dateTime attribute hireDate with a random UUID and then
    # cannot parse that value back into its own model (pydantic datetime_from_date_parsing): the
    # tester's bug, on its side of the wire. Noted, not worked around.
    ("scim2-tester", r".*", r"validation error for CustomUser\s+hire_date\s+Input should be a valid datetime",
     "tester bug: it generates a UUID for the dateTime attribute hireDate"),
    # scim2-tester PATCHes members with a random `display` and expects that string back. Our
    # members[].display is the member user's displayName (else userName), derived by the server
    # like User.groups[].display (RFC 7643 §2.4: display is "primarily used for display purposes";
    # RFC 7644 §3.5.2 returns the service provider's representation), not an echo of the client's.
    ("scim2-tester", r"check_(add|replace)_attribute", r"^Attribute 'members' was not (added|replaced) or has unexpected value",
     "members[].display is the user's name, not the client's string (RFC 7643 §2.4)", only_display_differs),
    # RFC 7644 §3.5.2: on success a PATCH "MAY return HTTP status code 204 (No Content)". A group
    # PATCH does unless attributes/excludedAttributes ask for the group; Entra documents 204.
    ("scim-sanity", r"PATCH /Groups/\{id\}( remove members)?", r"^Expected (HTTP )?200, got 204\b",
     "RFC 7644 §3.5.2 allows 204 on PATCH"),
    # Members must be users of the tenant: the probe adds the member id "fake-member-id" and we
    # answer 400 invalidValue (RFC 7644 §3.12; RFC 7643 §4.2: value is the id of a SCIM resource).
    ("scim-sanity", r"PATCH /Groups/\{id\} add member", r"^Expected 200, got 400$",
     "member referential integrity: 400 invalidValue for a non-user member (RFC 7644 §3.12)"),
]

def allowed(tool, name, message):
    for t, name_pattern, message_pattern, why, *further in ALLOWED:
        if t == tool and re.fullmatch(name_pattern, name) and re.search(message_pattern, message) and all(f(message) for f in further):
            return why
    return None

unallowed, rows = [], []

# scim2-tester: a "<STATUS> <check name>" line, then its reason (which may span lines) up to the next.
path, rc = sys.argv[1], int(sys.argv[2])
text = open(path, encoding="utf-8", errors="replace").read()
text = re.sub(r"\x1b\[[0-9;]*m", "", text)
STATUSES = "SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED"
results = []
for line in text.splitlines():
    m = re.match(rf"^({STATUSES}) (.*)$", line)
    if m:
        results.append([m.group(1), m.group(2), ""])
    elif results:
        results[-1][2] = (results[-1][2] + "\n" + line.strip()).strip()
if rc not in (0, 1) or not results:
    print(text[-4000:], file=sys.stderr)
    sys.exit(f"scim2-tester did not run to the end (exit {rc}, {len(results)} results)")
counts = {}
allowed_counts = {"scim2-tester": 0, "scim-sanity": 0}
for status, title, reason in results:
    counts[status] = counts.get(status, 0) + 1
    if status in ("ERROR", "CRITICAL", "DEVIATION"):
        why = allowed("scim2-tester", title, reason)
        first = reason.splitlines()[0] if reason else ""
        if why:
            allowed_counts["scim2-tester"] += 1
            rows.append(f"  allowed  scim2-tester {status} {title}: {first}  [{why}]")
        else:
            unallowed.append(f"scim2-tester {status} {title}: {reason}")
print("scim2-tester 0.5.2: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f" ({allowed_counts['scim2-tester']} allowed)")

# scim-sanity --json-output: summary plus results[] with status pass/fail/warn/skip/error.
path, rc = sys.argv[3], int(sys.argv[4])
try:
    report = json.load(open(path, encoding="utf-8"))
    summary, items = report["summary"], report["results"]
except (OSError, ValueError, KeyError) as err:
    sys.exit(f"scim-sanity did not produce its JSON report (exit {rc}): {err}")
for r in items:
    status = str(r.get("status", "")).lower()
    if status in ("fail", "error"):
        name, message = str(r.get("name", "")), str(r.get("message", ""))
        desc = f"{name}: {message}"
        why = allowed("scim-sanity", name, message)
        if why:
            allowed_counts["scim-sanity"] += 1
            rows.append(f"  allowed  scim-sanity {status} {desc}  [{why}]")
        else:
            unallowed.append(f"scim-sanity {status} {desc}")
print("scim-sanity 0.7.4: " + ", ".join(f"{n} {k}" for k, n in summary.items()) + f" ({allowed_counts['scim-sanity']} allowed)")

for row in rows:
    print(row)
if unallowed:
    print(f"\n{len(unallowed)} finding(s) not in the allow-list:")
    for u in unallowed:
        print(f"  FAIL  {u}")
    sys.exit(1)
print("conformance: every finding is in the allow-list")
PY
