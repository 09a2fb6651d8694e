#!/usr/bin/env bash
# Runs the Python and Go signature checks of docs/events.md ("Verifying a delivery") against a
# delivery signed by our own signer (dist/src/domain/webhooks/signing.js), with those languages'
# Standard Webhooks libraries from PyPI and the Go module proxy, pinned below: each must accept the
# delivery and refuse it once the body changes. Not part of CI (it needs `go`); run it when the
# signer or the snippets change: `npm run build && bash scripts/check-signature-snippets.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY_PIN="standardwebhooks==1.3.0"
GO_PIN="github.com/standard-webhooks/standard-webhooks/libraries@v1.3.0"
WORK="${SCIM_DATA_DIR:-$PWD/.data}/signature-snippets"
mkdir -p "$WORK/go"
log() { printf '[snippets] %s\n' "$*" >&2; }

node -e '
const { newWebhookSecret, signedHeaders } = require("./dist/src/domain/webhooks/signing.js");
const secret = newWebhookSecret();
const body = JSON.stringify({ id: "evt_snippet", type: "user.created", data: { id: "usr_snippet" } });
process.stdout.write(JSON.stringify({ secret, body, headers: signedHeaders("evt_snippet", body, [secret]) }));
' >"$WORK/delivery.json"

log "python: $PY_PIN"
[ -x "$WORK/venv/bin/python" ] || python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "$PY_PIN"
"$WORK/venv/bin/python" - "$WORK/delivery.json" <<'PY'
import json, os, sys
from standardwebhooks import Webhook
d = json.load(open(sys.argv[1]))
os.environ["WEBHOOK_SECRET"] = d["secret"]
raw_body, headers = d["body"], d["headers"]
Webhook(os.environ["WEBHOOK_SECRET"]).verify(raw_body, headers)  # the docs' call: raises if not ours
try:
    Webhook(os.environ["WEBHOOK_SECRET"]).verify(raw_body + " ", headers)
    sys.exit("python: a changed body verified")
except Exception:
    pass
print("python: verified; a changed body refused")
PY

log "go: $GO_PIN"
cd "$WORK/go"
[ -f go.mod ] || go mod init snippets >/dev/null 2>&1
cat >main.go <<'GO'
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func main() {
	var d struct {
		Secret  string            `json:"secret"`
		Body    string            `json:"body"`
		Headers map[string]string `json:"headers"`
	}
	raw, err := os.ReadFile(os.Args[1])
	if err == nil {
		err = json.Unmarshal(raw, &d)
	}
	if err != nil {
		panic(err)
	}
	header := http.Header{}
	for k, v := range d.Headers {
		header.Set(k, v)
	}
	wh, err := standardwebhooks.NewWebhook(d.Secret) // the docs' calls
	if err != nil {
		panic(err)
	}
	if err := wh.Verify([]byte(d.Body), header); err != nil {
		fmt.Println("go: not verified:", err)
		os.Exit(1)
	}
	if wh.Verify([]byte(d.Body+" "), header) == nil {
		fmt.Println("go: a changed body verified")
		os.Exit(1)
	}
	fmt.Println("go: verified; a changed body refused")
}
GO
go get "$GO_PIN" >/dev/null 2>&1
go run . "$WORK/delivery.json"
