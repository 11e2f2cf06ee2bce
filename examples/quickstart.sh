#!/usr/bin/env bash
# Cairn in a few minutes, on the Acme example (examples/acme): check the policy, create a repository,
# snapshot every item, change one file, snapshot again as a pre-deploy, diff the two states, restore
# the old one and prove it matches what was there, deploy with a gate and an automatic rollback, run a
# recovery drill, show coverage against RPO, write and verify the monthly report, verify the whole
# repository and the audit trail,
# then start `cairn serve` on it with an admin and a viewer token and keep it running (Ctrl-C stops it;
# CAIRN_QUICKSTART_SERVE=0 stops it at once; CAIRN_QUICKSTART_PORT picks the port, default 8420).
#
# Run after `npm ci && npm run build`, from any folder:
#   bash examples/quickstart.sh                    (or: npm run quickstart)
#   CAIRN_QUICKSTART_DIR=/tmp/qs bash examples/quickstart.sh
#
# Everything happens in a scratch folder, on a copy of examples/acme: the shipped example is never
# modified. The folder is left in place at the end so you can look around.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
EXAMPLE="$REPO/examples/acme"
ITEM=payments-api-prod
ITEM_DIR=deploy/prod/payments-api
EDITED="$ITEM_DIR/deployment.yaml"

if [[ ! -f "$REPO/dist/cairn.js" ]]; then
  echo "quickstart: $REPO/dist/ is missing: run 'npm ci && npm run build' in $REPO first" >&2
  exit 2
fi

# The CLI from this checkout, whatever `cairn` may be on PATH (a function, so paths with spaces work).
cairn() { node "$REPO/bin/cairn.js" "$@"; }

WORK="${CAIRN_QUICKSTART_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/cairn-quickstart.XXXXXX")}"
mkdir -p "$WORK"
if [[ -n "$(ls -A "$WORK")" ]]; then
  echo "quickstart: $WORK is not empty: point CAIRN_QUICKSTART_DIR at a new or empty folder" >&2
  exit 2
fi
WORK="$(cd "$WORK" && pwd -P)"
on_exit() {
  local rc=$?
  if ((rc != 0)); then
    printf '\nquickstart: failed (exit %d); what it did so far is in %s\n' "$rc" "$WORK" >&2
  fi
}
trap on_exit EXIT

# A demo passphrase for a throwaway repository: never use it for a real one. It replaces any
# CAIRN_PASSWORD you had set, so the demo cannot touch a repository of yours.
export CAIRN_PASSWORD='quickstart-demo-passphrase-not-a-secret'
export CAIRN_REPOSITORY="$WORK/repo"
export CAIRN_HOME="$WORK/home"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
n=0
step() {
  n=$((n + 1))
  printf '\n%s== %d. %s%s\n' "$bold" "$n" "$*" "$plain"
}
# Shows the command, then runs it.
run() {
  printf '$ cairn'
  printf ' %q' "$@"
  printf '\n'
  cairn "$@"
}
# The id of the snapshot of $ITEM taken under release $1 (`cairn snapshots --json` lists newest first).
snapshot_id() {
  cairn snapshots --item "$ITEM" --json | node --input-type=commonjs -e '
    const [release, item] = process.argv.slice(1);
    const { snapshots } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const hit = snapshots.find((s) => s.release === release);
    if (!hit) {
      console.error("quickstart: no snapshot of " + item + " with release " + release);
      process.exit(1);
    }
    console.log(hit.id);
  ' "$1" "$ITEM"
}

# One field of the JSON document on stdin; the length of an array field.
json_field() { node --input-type=commonjs -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]])' "$1"; }
json_path() { node --input-type=commonjs -e 'let v = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const k of process.argv[1].split(".")) v = v?.[k]; console.log(v ?? "")' "$1"; }
json_count() { node --input-type=commonjs -e 'const k = process.argv[1]; console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[k].length + " " + k)' "$1"; }

cp -R "$EXAMPLE" "$WORK/acme"
cd "$WORK/acme" # cairn reads ./cairn.yaml
echo "Working on a copy of examples/acme in $WORK/acme"

step "Check the policy: owners, tiers, retention classes, exclusions, the exception"
run policy check

step "Create an encrypted repository in $CAIRN_REPOSITORY"
run init

step "Snapshot every item as release 1.0.0"
run snapshot --trigger manual --release 1.0.0

step "The catalog"
run snapshots

step "Change a file: prod payments-api goes from 6 to 8 replicas"
cp -R "$ITEM_DIR" "$WORK/original-payments-api" # the state before the edit, to compare a restore with
if ! grep -q '^  replicas: 6$' "$EDITED"; then
  echo "quickstart: $EDITED no longer says 'replicas: 6'; update this script to match the example" >&2
  exit 1
fi
sed 's/^  replicas: 6$/  replicas: 8/' "$EDITED" >"$EDITED.new" # not sed -i: BSD and GNU disagree on it
mv "$EDITED.new" "$EDITED"
echo "$EDITED: $(grep '^  replicas:' "$EDITED" | tr -s ' ')"

step "Snapshot again before deploying 1.1.0 under change CHG-1001 (unchanged items are only verified)"
run snapshot --trigger pre-deploy --release 1.1.0 --change CHG-1001

old="$(snapshot_id 1.0.0)"
new="$(snapshot_id 1.1.0)"
if [[ "$old" == "$new" ]]; then
  echo "quickstart: release 1.0.0 and 1.1.0 of $ITEM resolve to the same snapshot $old" >&2
  exit 1
fi
echo
echo "$ITEM at 1.0.0: $old"
echo "$ITEM at 1.1.0: $new"

step "What changed in $ITEM between 1.0.0 and 1.1.0"
run diff "$old" "$new" --patch

step "Restore $ITEM as it was at 1.0.0 into $WORK/restored"
run restore "$old" --target "$WORK/restored"

step "Compare the restored files with the copy taken before the edit"
# Every file in $ITEM_DIR is in the item (none is excluded), so the two trees must be identical.
echo "\$ diff -r original-payments-api restored"
diff -r "$WORK/original-payments-api" "$WORK/restored"
echo "identical: the restore brought back 1.0.0 byte for byte"

step "Deploy 1.2.0 to prod as a pipeline does: capture every prod item first (its deployment id is printed)"
deployment="$(cairn deploy start --env prod --release 1.2.0 --change CHG-1002 --json | json_path deployment.id)"
echo "deployment $deployment"
run deploy show "$deployment"

step "The release gate: passes only when every prod item has an intact, current pre-deploy capture of 1.2.0"
run gate --env prod --release 1.2.0

step "The deployment goes wrong: it sets payments-api to 0 replicas and adds a debug file; the pipeline says it failed"
sed 's/^  replicas: 8$/  replicas: 0/' "$EDITED" >"$EDITED.new"
mv "$EDITED.new" "$EDITED"
echo "DEBUG=true" >"$ITEM_DIR/debug.env"
echo "$EDITED: $(grep '^  replicas:' "$EDITED" | tr -s ' '); added $ITEM_DIR/debug.env"
run drift --env prod || true # exit 1: live state differs from the latest snapshots
run deploy fail "$deployment" --reason "smoke tests failed" # exit 1 if the rollback failed

step "prod has autoRollback: the pre-deploy bundle is back, verified by reading it again"
echo "$EDITED: $(grep '^  replicas:' "$EDITED" | tr -s ' ')"
if [[ -e "$ITEM_DIR/debug.env" ]]; then
  echo "quickstart: the rollback left $ITEM_DIR/debug.env behind" >&2
  exit 1
fi
run drift --env prod
echo "rolled back: prod is in its pre-deploy state again"

step "A recovery drill: restore every prod item into a sandbox with no network, validate it, measure RTO and RPO"
# Exit 0: every validator passed and RTO/RPO are within the tiers' SLAs; the drill now waits for the
# operations and security teams to sign it off (through the server, each with a TOTP code).
run drill run quarterly-prod
run gaps

step "Coverage: how old each item's newest backup is against its tier's RPO, the exception included"
run coverage

step "The auditors' monthly report: every figure with the snapshots and audit events behind it, signed"
month="$(date -u +%Y-%m)"
run report --month "$month" --format html --out "$WORK/report-$month.html"
run report verify "$WORK/report-$month.html"

step "Verify the whole repository, reading and hashing every stored byte"
run check --read-data

step "The audit trail: every command above, who ran it, and the hash chain over it"
run audit log --limit 8
run audit verify

step "Start the server: people and pipelines reach the repository with their own identities"
# Tokens are created by whoever holds the repository key; the secret is shown once.
admin_token="$(cairn token create --name quickstart-admin --role admin --expires 1d --json | json_field token)"
viewer_token="$(cairn token create --name quickstart-viewer --role viewer --expires 1d --json | json_field token)"
echo "created tokens quickstart-admin (admin) and quickstart-viewer (viewer), valid for a day"
PORT="${CAIRN_QUICKSTART_PORT:-8420}"
# node itself, not the cairn function: $! must be the server, so that stopping it stops it.
node "$REPO/bin/cairn.js" serve --port "$PORT" --json >"$WORK/serve.json" 2>"$WORK/serve.log" &
server_pid=$!
stop_server() {
  local rc=$?
  kill "$server_pid" 2>/dev/null || true
  (exit "$rc") && true # on_exit reads the script's status from $?
  on_exit
  exit "$rc"
}
trap stop_server EXIT
for _ in $(seq 1 150); do [[ -s "$WORK/serve.json" ]] && break; kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if [[ ! -s "$WORK/serve.json" ]]; then
  echo "quickstart: cairn serve did not start (port $PORT taken? set CAIRN_QUICKSTART_PORT); its log:" >&2
  cat "$WORK/serve.log" >&2
  exit 1
fi
URL="$(json_field url <"$WORK/serve.json")"
echo "cairn serve is listening on $URL (its log: $WORK/serve.log)"
echo "\$ curl $URL/healthz"
curl -fsS "$URL/healthz"
echo
echo "\$ curl -H 'Authorization: Bearer <viewer token>' '$URL/api/v1/snapshots?item=$ITEM'"
curl -fsS -H "Authorization: Bearer $viewer_token" "$URL/api/v1/snapshots?item=$ITEM" | json_count snapshots
echo "\$ curl -X POST $URL/api/v1/snapshots as the viewer: refused, and the refusal is audited"
curl -sS -o /dev/null -w 'HTTP %{http_code}\n' -X POST -H "Authorization: Bearer $viewer_token" \
  -H 'content-type: application/json' -d '{"items":["'"$ITEM"'"]}' "$URL/api/v1/snapshots"
echo "\$ CAIRN_SERVER=$URL CAIRN_TOKEN=<admin token> cairn snapshots --item $ITEM"
CAIRN_SERVER="$URL" CAIRN_TOKEN="$admin_token" cairn snapshots --item "$ITEM"

cat <<EOF

Done. Everything is in $WORK:
  acme/                    the working copy of examples/acme (with the edit)
  repo/                    the Cairn repository (CAIRN_REPOSITORY)
  home/                    Cairn's local state: the catalog and the audit log (CAIRN_HOME)
  original-payments-api/   $ITEM_DIR before the edit
  restored/                $ITEM restored from 1.0.0
  serve.log                the server's log (JSON lines; tokens never appear in it)

The server: $URL
  $URL/healthz   $URL/readyz   $URL/metrics (with a token)   $URL/api/v1/openapi.json
  admin token:  $admin_token
  viewer token: $viewer_token
  CAIRN_SERVER='$URL' CAIRN_TOKEN='$admin_token' node '$REPO/bin/cairn.js' audit log

To go on exploring without the server:
  cd '$WORK/acme'
  export CAIRN_REPOSITORY='$CAIRN_REPOSITORY' CAIRN_HOME='$CAIRN_HOME' CAIRN_PASSWORD='$CAIRN_PASSWORD'
  node '$REPO/bin/cairn.js' snapshots --item $ITEM

The policy keeps tier-0 snapshots for 7 years and locks them for the first; on a local folder only
Cairn enforces that, so when you are done: chmod -R u+w '$WORK' && rm -rf '$WORK'
EOF

if [[ "${CAIRN_QUICKSTART_SERVE:-1}" == 0 ]]; then
  kill "$server_pid"
  wait "$server_pid" || true
  echo "(CAIRN_QUICKSTART_SERVE=0: the server has been stopped)"
else
  echo
  echo "The server keeps running on $URL; press Ctrl-C to stop it."
  wait "$server_pid" || true
fi
