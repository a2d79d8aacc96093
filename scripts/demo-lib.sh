# demo-lib.sh: what `make demo` and `make demo-cloud` share. Source it from
# the repository root, with $dir (the demo's directory) set and a pids array
# that the caller's EXIT trap kills.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# start_standins starts the fake Google Directory API and the scimmy SCIM
# app on 127.0.0.1, and sets dport, scim_url and SCIM_TOKEN.
start_standins() {
  dport=$(free_port)
  bin/fakedirectory -port "$dport" -users 120 -groups 10 -key "$dir/dwd-key.json" >"$dir/fakedirectory.log" 2>&1 &
  pids+=($!)
  # The fake listens, then writes the key.
  for _ in $(seq 1 100); do
    [ -s "$dir/dwd-key.json" ] && curl -fsS -o /dev/null "http://127.0.0.1:$dport/_fake/stats" 2>/dev/null && break
    sleep 0.1
  done
  echo "fake Google Directory API: http://127.0.0.1:$dport  (generated org: 120 users, 10 groups)"

  local sport start_out
  sport=$(free_port)
  export SCIM_TOKEN="demo-$(date +%s)-$RANDOM"
  start_out=$(PORT="$sport" SCIM_SERVER_LOG="$dir/scim-server.log" bash scripts/scim-server/start.sh)
  pids+=("$(sed -n 's/^pid=\([0-9]*\).*/\1/p' <<<"$start_out")")
  scim_url="http://127.0.0.1:$sport/scim/v2"
  echo "SCIM app (scimmy): $scim_url"
}

# demo_config STORE KEY prints the demo's config: one rule from the fake
# directory to the SCIM app, with STORE as its store and KEY as the path of
# the domain-wide-delegation key.
demo_config() {
  cat <<YAML
# Demo config: both ends are local stand-ins on 127.0.0.1.
store: $1
sources:
  corp:
    type: workspace
    customer: my_customer
    admin_subject: admin@example.com
    credentials: file://$2
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
}
