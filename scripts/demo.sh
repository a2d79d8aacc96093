#!/usr/bin/env bash
# make demo: the real groupsync pipeline, end to end, on this machine.
#
# Both ends are LOCAL STAND-INS, listening on 127.0.0.1 only:
#   - Google Workspace: the project's fake of the Admin SDK Directory API and
#     its OAuth token endpoint (internal/source/workspace/workspacetest),
#     serving a generated organisation, reached through Google's real client
#     with a real domain-wide-delegation JWT exchange;
#   - the SCIM app: a third-party SCIM 2.0 server built on npm scimmy and
#     scimmy-routers (scripts/scim-server).
#
# It runs plan, sync, a change in the directory, plan, sync, and shows the
# job records. Everything lives in a temporary directory (kept, and printed,
# so you can look at it afterwards; GROUPSYNC_DEMO_DIR overrides it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

dir="${GROUPSYNC_DEMO_DIR:-$(mktemp -d -t groupsync-demo.XXXXXX)}"
mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh

go build -o bin/groupsync ./cmd/groupsync
go build -o bin/fakedirectory ./internal/source/workspace/workspacetest/cmd/fakedirectory

say "Starting the local stand-ins (127.0.0.1 only)"
start_standins
demo_config "bolt://groupsync.db" "dwd-key.json" >"$dir/groupsync.yaml"
gs() { bin/groupsync --config "$dir/groupsync.yaml" "$@"; }

say "groupsync check"
gs check

say "groupsync plan   (exit 2: there are changes)"
set +e; gs plan >"$dir/plan-1.txt"; code=$?; set -e
head -n 40 "$dir/plan-1.txt"; echo "... (full plan: $dir/plan-1.txt)"
[ "$code" = 2 ] || { echo "plan exited $code, want 2"; exit 1; }

say "groupsync sync"
gs sync

say "A change in the directory: a rename, a member removed, a member added"
# Pick a group with members from the last job's report.
gs jobs show "$(gs jobs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" --json >"$dir/job-1.json"
read -r group leaver renamed < <(python3 - "$dir/job-1.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
groups = [g for g in rep["groups"] if len(g["plan"].get("add") or []) >= 3]
g = groups[0]
labels = g["plan"]["labels"]
ids = g["plan"]["add"]
print(g["email"], labels[ids[0]], labels[ids[1]])
PY
)
new_email="${renamed%@*}.renamed@example.com"
curl -fsS -X POST "http://127.0.0.1:$dport/_fake/rename?user=$renamed&email=$new_email" >/dev/null
curl -fsS -X POST "http://127.0.0.1:$dport/_fake/remove-member?group=$group&member=$leaver" >/dev/null
curl -fsS -X POST "http://127.0.0.1:$dport/_fake/add-member?group=$group&member=admin@example.com" >/dev/null
echo "renamed $renamed -> $new_email; removed $leaver from $group; added admin@example.com to $group"

say "groupsync plan   (the preview of what the next sync will do)"
set +e; gs plan; code=$?; set -e
[ "$code" = 2 ] || { echo "plan exited $code, want 2"; exit 1; }

say "groupsync sync"
gs sync

say "groupsync sync again   (nothing changed: zero writes)"
gs sync

say "Job records"
gs jobs
last=$(gs jobs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[1]["id"])')
gs jobs show "$last" | head -n 30

cat <<EOT

Done. Both ends were local stand-ins on 127.0.0.1: a fake Google Directory API
(workspacetest) and a scimmy-based SCIM server. Nothing left this machine.
  config:       $dir/groupsync.yaml
  store (jobs): $dir/groupsync.db   (groupsync --config $dir/groupsync.yaml jobs)
  logs:         $dir/fakedirectory.log, $dir/scim-server.log
EOT
