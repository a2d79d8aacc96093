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

# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh
fail() {
  echo "demo-cloud: $*" >&2
  for f in "$dir"/fn-*.log; do
    [ -f "$f" ] || continue
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

# The emulators (JVMs) start while the Go programs build.
FIRESTORE_PORT=$(free_port) PUBSUB_PORT=$(free_port) bash scripts/emulators.sh start >"$dir/emulators.env" 2>"$dir/emulators.err" &
emulators_pid=$!
pids+=("$emulators_pid")
go build -o bin/ ./cmd/groupsync ./cmd/functions-local ./cmd/demo-cloud \
  ./internal/source/workspace/workspacetest/cmd/fakedirectory

say "Starting the local stand-ins (127.0.0.1 only)"
start_standins
wait "$emulators_pid" || { cat "$dir/emulators.err" >&2; fail "the emulators did not start"; }
eval "$(cat "$dir/emulators.env")"
echo "Firestore emulator: $FIRESTORE_EMULATOR_HOST   Pub/Sub emulator: $PUBSUB_EMULATOR_HOST"

# The project ID only names things inside the emulators.
export GOOGLE_CLOUD_PROJECT=groupsync-demo
demo_config "firestore://projects/$GOOGLE_CLOUD_PROJECT/databases/(default)" "$dir/dwd-key.json" >"$dir/groupsync.yaml"
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
echo "(The job ID derives from the Pub/Sub message ID: a redelivered trigger resumes"
echo "this job instead of starting another.)"
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
