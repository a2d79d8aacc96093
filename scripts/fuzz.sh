#!/usr/bin/env bash
# fuzz.sh runs every go-fuzz target for FUZZTIME each (default 60s), one
# after the other: `go test -fuzz` takes one target of one package at a
# time. New crashers land in the package's testdata/fuzz/<Target>/ and then
# run as seeds in every `go test`. Minimising a new input is capped at 5s,
# so that big seeds (the example config) do not stall a run.
#
# Usage: scripts/fuzz.sh          Env: FUZZTIME (e.g. 10s, 5m), GO
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-60s}

targets=(
  ./internal/config:FuzzParse
  ./internal/config:FuzzGroupFilter
  ./internal/target/scim:FuzzQuote
  ./internal/target/scim:FuzzParseError
  ./internal/target/scim:FuzzListGroups
  ./internal/source/workspace:FuzzReadMembers
  ./internal/idtoken:FuzzVerify
)

status=0
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  echo "== $name ($pkg, $fuzztime)"
  if ! "$go" test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg"; then
    status=1
  fi
done
exit $status
