#!/usr/bin/env bash
# tf-check.sh checks terraform/ and examples/ offline: terraform fmt -check,
# terraform validate against the real google and archive provider schemas
# (of the module, and of every examples/*/main.tf that calls it), and tflint
# with its bundled terraform ruleset. The tools come from
# scripts/tf-tools.sh (built once into the cache, reused after), never from
# the Terraform registry, and nothing is written into the repository.
#
# Usage: scripts/tf-check.sh
# Env:   GROUPSYNC_CACHE  tool cache (default $HOME/.cache/groupsync)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GROUPSYNC_CACHE:-$HOME/.cache/groupsync}
bin=$cache/bin

cli_config=$("$root/scripts/tf-tools.sh")

# Terraform 1.5.7 from the cache, whatever else is on PATH; the CLI config
# points it at the locally built providers (dev_overrides), so validate needs
# no init. Its data dir lives in the cache, not in terraform/.
export TF_CLI_CONFIG_FILE=$cli_config
export TF_DATA_DIR=$cache/tf-data
export TF_IN_AUTOMATION=1
export CHECKPOINT_DISABLE=1
tf=$bin/terraform

status=0
run() {
  printf '==> %s\n' "$*"
  "$@" || status=1
}

run "$tf" fmt -check -diff -recursive "$root/terraform"
run "$tf" fmt -check -diff -recursive "$root/examples"
run "$tf" -chdir="$root/terraform" validate -no-color
run "$bin/tflint" --chdir="$root/terraform" --format=compact

# Each example is a root module calling terraform/ as a module: `get`
# installs the (local) module into the example's own data dir, offline, and
# validate checks the call against the module's variables and the providers'
# schemas.
for main in "$root"/examples/*/main.tf; do
  ex=$(dirname "$main")
  export TF_DATA_DIR=$cache/tf-data/examples/$(basename "$ex")
  run "$tf" -chdir="$ex" get -no-color
  run "$tf" -chdir="$ex" validate -no-color
done

if ((status)); then
  echo "tf-check: FAILED" >&2
else
  echo "tf-check: ok"
fi
exit $status
