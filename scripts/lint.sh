#!/usr/bin/env bash
# lint.sh fails when go.mod/go.sum are not what `go mod tidy` makes them, or
# when staticcheck reports anything. staticcheck comes from the Go module
# proxy and is built once into the cache (like scripts/tf-tools.sh builds
# terraform), keyed by its version so a bump rebuilds it.
#
# Usage: scripts/lint.sh
# Env:   GROUPSYNC_CACHE  tool cache (default $HOME/.cache/groupsync)
set -euo pipefail

STATICCHECK=honnef.co/go/tools/cmd/staticcheck
STATICCHECK_VERSION=v0.8.2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GROUPSYNC_CACHE:-$HOME/.cache/groupsync}
bin=$cache/bin
sc=$bin/staticcheck-$STATICCHECK_VERSION
mkdir -p "$bin"

if [[ ! -x $sc ]]; then
  echo "lint: building staticcheck $STATICCHECK_VERSION (once)" >&2
  tmp=$(mktemp -d "$cache/gobin.XXXXXX")
  # Outside the module, so the build cannot touch go.mod.
  (cd "$tmp" && GOFLAGS=-p=1 GOBIN=$tmp nice go install "$STATICCHECK@$STATICCHECK_VERSION")
  mv "$tmp/staticcheck" "$sc"
  rmdir "$tmp"
fi

cd "$root"
status=0
echo "==> go mod tidy -diff"
if ! go mod tidy -diff; then
  echo "lint: go.mod/go.sum are not tidy; run 'go mod tidy' (never -u)" >&2
  status=1
fi
echo "==> staticcheck ./..."
if ! nice "$sc" ./...; then
  status=1
fi
if ((status)); then
  echo "lint: FAILED" >&2
else
  echo "lint: ok"
fi
exit $status
