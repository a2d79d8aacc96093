#!/usr/bin/env bash
# Starts the scimmy-based SCIM server on 127.0.0.1:$PORT and waits until it
# answers. Installs its node modules first when they are missing.
#
#   SCIM_TOKEN=secret PORT=8931 scripts/scim-server/start.sh
#
# Prints the server's PID and base URL; stop it with `kill PID`.
set -euo pipefail
cd "$(dirname "$0")"
: "${SCIM_TOKEN:?SCIM_TOKEN must be set}"
: "${PORT:=8931}"
export SCIM_TOKEN PORT
if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund >&2
fi
log="${SCIM_SERVER_LOG:-/tmp/groupsync-scim-server-$PORT.log}"
node server.js >"$log" 2>&1 &
pid=$!
url="http://127.0.0.1:$PORT/scim/v2"
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null -H "Authorization: Bearer $SCIM_TOKEN" "$url/ServiceProviderConfig" 2>/dev/null; then
    echo "pid=$pid url=$url"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "scim-server exited; log follows:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "scim-server did not become ready in 10s; log: $log" >&2
kill "$pid" 2>/dev/null || true
exit 1
