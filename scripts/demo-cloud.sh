#!/usr/bin/env bash
# make demo-cloud: groupsync's serverless pipeline, end to end, on this machine.
#
# Everything is a LOCAL STAND-IN, listening on 127.0.0.1 only:
#   - Firestore and Pub/Sub: the Google Cloud SDK's emulators
#     (scripts/emulators.sh);
#   - Cloud Functions: the three functions (Dispatch, SyncGroup, Sync) served
#     by the Functions Framework, one process each (cmd/functions-local);
#   - Eventarc: push subscriptions from groupsync-runs to Dispatch and from
#     groupsync-groups to SyncGroup (cmd/demo-cloud setup);
#   - Cloud Scheduler: cmd/demo-cloud publishing "{}" to groupsync-runs;
#   - Google Workspace and the SCIM app: the same stand-ins as `make demo`.
#
# It runs a scheduled sync, makes a change in the directory, runs again
# (only the change is applied), and runs a third time (nothing to do). Job
# records are read from the Firestore emulator with `groupsync jobs`. The
# working directory is kept and printed (GROUPSYNC_DEMO_DIR overrides it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
began=$SECONDS

dir="${GROUPSYNC_DEMO_DIR:-$(mktemp -d -t groupsync-demo-cloud.XXXXXX)}"
mkdir -p "$dir"
export GROUPSYNC_EMULATOR_DIR="$dir/emulators"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bash scripts/emulators.sh stop 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() {
  echo "demo-cloud: $*" >&2
  for f in "$dir"/fn-*.log; do
    echo "--- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  exit 1
}
wait_port() { # wait_port PORT: until 127.0.0.1:PORT accepts connections
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on 127.0.0.1:$1"
}

go build -o bin/groupsync ./cmd/groupsync
go build -o bin/fakedirectory ./internal/source/workspace/workspacetest/cmd/fakedirectory
go build -o bin/functions-local ./cmd/functions-local
go build -o bin/demo-cloud ./cmd/demo-cloud

say "Starting the local stand-ins (127.0.0.1 only)"
dport=$(free_port)
bin/fakedirectory -port "$dport" -users 120 -groups 10 -key "$dir/dwd-key.json" >"$dir/fakedirectory.log" 2>&1 &
pids+=($!)
wait_port "$dport"
for _ in $(seq 1 50); do [ -s "$dir/dwd-key.json" ] && break; sleep 0.1; done
echo "fake Google Directory API: http://127.0.0.1:$dport  (generated org: 120 users, 10 groups)"

sport=$(free_port)
export SCIM_TOKEN="demo-$(date +%s)-$RANDOM"
start_out=$(PORT="$sport" SCIM_SERVER_LOG="$dir/scim-server.log" bash scripts/scim-server/start.sh)
pids+=("$(sed -n 's/^pid=\([0-9]*\).*/\1/p' <<<"$start_out")")
scim_url="http://127.0.0.1:$sport/scim/v2"
echo "SCIM app (scimmy): $scim_url"

emulator_env=$(FIRESTORE_PORT=$(free_port) PUBSUB_PORT=$(free_port) bash scripts/emulators.sh start)
eval "$emulator_env"
echo "Firestore emulator: $FIRESTORE_EMULATOR_HOST   Pub/Sub emulator: $PUBSUB_EMULATOR_HOST"

# The project ID only names things inside the emulators.
export GOOGLE_CLOUD_PROJECT=groupsync-demo
cat >"$dir/groupsync.yaml" <<YAML
# Demo config: every endpoint is a local stand-in on 127.0.0.1.
store: firestore://projects/$GOOGLE_CLOUD_PROJECT/databases/(default)
sources:
  corp:
    type: workspace
    customer: my_customer
    admin_subject: admin@example.com
    credentials: file://$dir/dwd-key.json
    endpoint: http://127.0.0.1:$dport/
targets:
  app:
    type: scim
    url: $scim_url
    token: env://SCIM_TOKEN
rules:
  - name: corp-to-app
    source: corp
    target: app
    groups:
      include: ["*@example.com"]
      exclude: ["all-staff@example.com"]   # its member is the whole customer
    members: {types: [USER], nested: flatten, include_suspended: false}
    policy: {mode: sync, deprovision: disable, max_deletes: "10%"}
YAML
gs() { bin/groupsync --config "$dir/groupsync.yaml" "$@"; }

say "Serving the Cloud Functions with the Functions Framework"
# The functions take their config as Terraform gives it to them.
export GROUPSYNC_CONFIG_YAML="$(cat "$dir/groupsync.yaml")"
export GROUPSYNC_ALLOWED_CALLERS="scheduler@$GOOGLE_CLOUD_PROJECT.iam.gserviceaccount.com"
declare -A fn_url
for fn in Dispatch SyncGroup Sync; do
  port=$(free_port)
  fn_url[$fn]="http://127.0.0.1:$port"
done
export GROUPSYNC_AUDIENCE="${fn_url[Sync]}"
for fn in Dispatch SyncGroup Sync; do
  bin/functions-local -target "$fn" -port "${fn_url[$fn]##*:}" >"$dir/fn-$fn.log" 2>&1 &
  pids+=($!)
done
for fn in Dispatch SyncGroup Sync; do
  wait_port "${fn_url[$fn]##*:}"
  echo "$fn: ${fn_url[$fn]}   (log: $dir/fn-$fn.log)"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "${fn_url[Sync]}/")
echo "Sync without a Google ID token answers $code: the HTTP API takes Google-signed"
echo "tokens only, which cannot be minted offline, so this demo reads the job records"
echo "from the Firestore emulator with \`groupsync jobs\` instead."
[ "$code" = 401 ] || fail "Sync without a token answered $code, want 401"

say "Topics and subscriptions in the Pub/Sub emulator (standing in for Eventarc)"
bin/demo-cloud setup -dispatch "${fn_url[Dispatch]}" -sync-group "${fn_url[SyncGroup]}"

job_ids() { gs jobs --limit 100 --json | python3 -c 'import json,sys; print(" ".join(j["id"] for j in (json.load(sys.stdin) or [])))'; }

# scheduled_run N: publish "{}" to groupsync-runs as Cloud Scheduler does,
# wait for the new job to end, and set $job to its ID.
scheduled_run() {
  local before line status t0=$SECONDS
  before=$(job_ids)
  say "Run $1: Cloud Scheduler publishes {} to groupsync-runs"
  echo "message ID $(bin/demo-cloud publish -topic groupsync-runs -data '{}')"
  while :; do
    line=$(gs jobs --limit 100 --json | python3 -c '
import json, sys
before = set(sys.argv[1].split())
new = [j for j in (json.load(sys.stdin) or []) if j["id"] not in before]
if new:
    print(new[0]["id"], new[0]["status"])
' "$before")
    if [ -n "$line" ]; then
      read -r job status <<<"$line"
      case "$status" in done | held | partial | failed) break ;; esac
    fi
    ((SECONDS - t0 < 180)) || fail "run $1: no job ended within 180 s (last seen: ${line:-no job})"
    sleep 0.5
  done
  echo "job $job ended $status after $((SECONDS - t0)) s"
  gs jobs show "$job" >"$dir/job-$1.txt"
  head -n 20 "$dir/job-$1.txt"
  [ "$status" = done ] || fail "run $1: job $job ended $status, want done"
}

scheduled_run 1
say "What the functions published on groupsync-changes"
bin/demo-cloud changes
say "The SCIM app now"
bin/demo-cloud target -url "$scim_url"

say "A change in the directory: a rename, a member removed, a member added"
pick=$(bin/demo-cloud target -url "$scim_url" -pick)
read -r group leaver renamed <<<"$pick"
new_email="${renamed%@*}.renamed@example.com"
directory() { # directory ACTION?QUERY: a scripted change in the fake directory
  curl -sS --fail-with-body -X POST "http://127.0.0.1:$dport/_fake/$1" >/dev/null || fail "fake directory: $1 refused"
}
directory "rename?user=$renamed&email=$new_email"
directory "remove-member?group=$group&member=$leaver"
directory "add-member?group=$group&member=admin@example.com"
echo "renamed $renamed -> $new_email; removed $leaver from $group; added admin@example.com to $group"

scheduled_run 2
say "Only the change was applied: every change event is about $group"
bin/demo-cloud changes -only "$group"
bin/demo-cloud target -url "$scim_url" -group "$group"

scheduled_run 3
say "Nothing changed in the directory: no change events"
bin/demo-cloud changes -none

say "Job records (Firestore emulator)"
gs jobs

cat <<EOT

Done in $((SECONDS - began)) s. Everything ran on this machine, on 127.0.0.1: the
Firestore and Pub/Sub emulators, the three functions under the Functions
Framework, a fake Google Directory API (workspacetest) and a scimmy-based SCIM
app. No Google Cloud project, Workspace tenant or SCIM app was contacted.
  config:        $dir/groupsync.yaml   (GROUPSYNC_CONFIG_YAML of the functions)
  function logs: $dir/fn-Dispatch.log, $dir/fn-SyncGroup.log, $dir/fn-Sync.log
  other logs:    $dir/fakedirectory.log, $dir/scim-server.log, $dir/emulators/
EOT
