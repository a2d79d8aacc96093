#!/usr/bin/env bash
# make demo-ldap: the `make demo` tour, from a local OpenLDAP directory.
#
# Both ends are LOCAL, listening on 127.0.0.1 only:
#   - a real slapd (Debian's OpenLDAP, installed by scripts/slapd.sh),
#     seeded from LDIF (people, groupOfNames with a nested group, a
#     groupOfUniqueNames and a posixGroup), reached over StartTLS with a
#     test CA generated for the demo;
#   - the SCIM app: the third-party scimmy server (scripts/scim-server).
#
# It runs check, plan, sync, a change in the directory (a rename that moves
# an entry, a member removed, a member added), plan, sync, sync again (zero
# writes), and shows the job records. Everything lives in a temporary
# directory (kept and printed; GROUPSYNC_DEMO_DIR overrides it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/slapd.sh install
dir="${GROUPSYNC_DEMO_DIR:-$(mktemp -d -t groupsync-demo-ldap.XXXXXX)}"
mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

go build -o bin/groupsync ./cmd/groupsync
go build -o bin/slapdtest ./internal/source/ldap/ldaptest/cmd/slapdtest

base="dc=example,dc=com"
{
  for i in $(seq -w 1 30); do
    printf 'dn: uid=user%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: user%s\ncn: User %s\ngivenName: User\nsn: N%s\nmail: user%s@example.com\n\n' \
      "$i" "$base" "$i" "$i" "$i" "$i"
  done
  printf 'dn: cn=eng,ou=groups,%s\nobjectClass: groupOfNames\nobjectClass: extensibleObject\ncn: eng\nmail: eng@example.com\n' "$base"
  for i in 01 02 03 04 05 06 07 08; do printf 'member: uid=user%s,ou=people,%s\n' "$i" "$base"; done
  printf 'member: cn=platform,ou=groups,%s\n\n' "$base"
  printf 'dn: cn=platform,ou=groups,%s\nobjectClass: groupOfNames\nobjectClass: extensibleObject\ncn: platform\nmail: platform@example.com\n' "$base"
  for i in 09 10 11 12; do printf 'member: uid=user%s,ou=people,%s\n' "$i" "$base"; done
  printf '\ndn: cn=design,ou=groups,%s\nobjectClass: groupOfUniqueNames\ncn: design\n' "$base"
  for i in 13 14 15 16 17; do printf 'uniqueMember: uid=user%s,ou=people,%s\n' "$i" "$base"; done
  printf '\ndn: cn=ops,ou=groups,%s\nobjectClass: posixGroup\ncn: ops\ngidNumber: 5000\n' "$base"
  for i in 18 19 20 21 22 23; do printf 'memberUid: user%s\n' "$i"; done
} >"$dir/seed.ldif"

say "Starting the local ends (127.0.0.1 only)"
bin/slapdtest -dir "$dir/slapd" "$dir/seed.ldif" >"$dir/slapd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^ready ' "$dir/slapd.log" && break; sleep 0.1; done
read -r _ ldap_url _ ca_file < <(grep '^ready ' "$dir/slapd.log") || { cat "$dir/slapd.log"; exit 1; }
cp "$ca_file" "$dir/ca.pem"
echo "slapd (OpenLDAP): $ldap_url  (StartTLS with a demo CA; 30 users, 4 groups)"

sport=$(free_port)
export SCIM_TOKEN="demo-$(date +%s)-$RANDOM"
start_out=$(PORT="$sport" SCIM_SERVER_LOG="$dir/scim-server.log" bash scripts/scim-server/start.sh)
pids+=("$(sed -n 's/^pid=\([0-9]*\).*/\1/p' <<<"$start_out")")
echo "SCIM server (scimmy): http://127.0.0.1:$sport/scim/v2"

export LDAP_PASSWORD=admin-secret
cat >"$dir/groupsync.yaml" <<YAML
# Demo config: both ends are local on 127.0.0.1.
store: bolt://groupsync.db
sources:
  hq:
    type: ldap
    url: $ldap_url
    start_tls: true
    tls: {ca_file: file://ca.pem, server_name: ldap.groupsync.test}
    bind_dn: cn=admin,$base
    password: env://LDAP_PASSWORD
    base_dn: $base
    page_size: 10
    flavor: openldap
targets:
  app:
    type: scim
    url: http://127.0.0.1:$sport/scim/v2
    token: env://SCIM_TOKEN
rules:
  - name: hq-to-app
    source: hq
    target: app
    members: {types: [USER], nested: flatten}
    policy: {mode: sync, deprovision: disable, max_deletes: "25%"}
YAML
gs() { bin/groupsync --config "$dir/groupsync.yaml" "$@"; }
ldap() { "$@" -x -H "$ldap_url" -D "cn=admin,$base" -w "$LDAP_PASSWORD" >/dev/null; }

say "groupsync check"
gs check

say "groupsync plan   (exit 2: there are changes)"
set +e; gs plan >"$dir/plan-1.txt"; code=$?; set -e
head -n 40 "$dir/plan-1.txt"; echo "... (full plan: $dir/plan-1.txt)"
[ "$code" = 2 ] || { echo "plan exited $code, want 2"; exit 1; }

say "groupsync sync"
gs sync

say "A change in the directory: a rename and move, a member removed, a member added"
ldap ldapmodrdn -r -s "ou=groups,$base" "uid=user02,ou=people,$base" "uid=user02-renamed"
ldap ldapmodify <<LDIF
dn: uid=user02-renamed,ou=groups,$base
changetype: modify
replace: mail
mail: user02.renamed@example.com

dn: cn=eng,ou=groups,$base
changetype: modify
delete: member
member: uid=user03,ou=people,$base
-
add: member
member: uid=user30,ou=people,$base
LDIF
sleep 1 # slapd's refint overlay rewrites the renamed member in the background
echo "renamed user02 (new DN and mail user02.renamed@example.com); removed user03 from eng; added user30 to eng"

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

Done. Both ends were local on 127.0.0.1: a real OpenLDAP slapd seeded from
LDIF and a scimmy-based SCIM server. Nothing left this machine.
  config:       $dir/groupsync.yaml
  store (jobs): $dir/groupsync.db   (groupsync --config $dir/groupsync.yaml jobs)
  logs:         $dir/slapd.log, $dir/scim-server.log
EOT
