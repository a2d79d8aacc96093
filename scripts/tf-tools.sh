#!/usr/bin/env bash
# tf-tools.sh builds the Terraform toolchain that scripts/tf-check.sh uses
# offline: Terraform 1.5.7 (the last MPL release), the google and archive
# providers, and tflint, all from the Go module proxy, into a cache outside the
# repository. Binaries already in the cache are reused, so only the first run
# is slow (10–20 minutes on 2 shared cores). It then writes a Terraform CLI
# config whose dev_overrides point Terraform at the locally built providers, so
# `terraform validate` needs no `terraform init` and no registry.
#
# Usage: scripts/tf-tools.sh
# Env:   GROUPSYNC_CACHE  cache root (default $HOME/.cache/groupsync)
# Prints the CLI config path on stdout when done.
set -euo pipefail

TERRAFORM_VERSION=v1.5.7
TFLINT_VERSION=v0.64.0
GOOGLE_PROVIDER=github.com/hashicorp/terraform-provider-google@v1.20.1-0.20260828184646-f3721fb45fa3
# The proxy serves only v1.3.0 of the archive provider, and that zip declares
# its old module path (github.com/terraform-providers/...) and ships an empty
# vendor/, so `go install module@version` cannot build it. It is built from a
# copy of the module source instead. Its archive_file schema has every
# attribute terraform/ uses (source_dir, excludes, output_path, output_md5);
# real deployments get archive ~> 2.4 from the registry (see versions.tf).
ARCHIVE_PROVIDER=github.com/hashicorp/terraform-provider-archive@v1.3.0

CACHE=${GROUPSYNC_CACHE:-$HOME/.cache/groupsync}
BIN=$CACHE/bin
PROVIDERS=$CACHE/providers
CLI_CONFIG=$CACHE/terraformrc
# Two cores are shared with everything else on the machine: build one package
# at a time, at low priority.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=1"
mkdir -p "$BIN" "$PROVIDERS"

log() { printf '%s tf-tools: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# install DIR NAME MODULE@VERSION installs the module's main package as
# DIR/NAME unless that file already exists.
install() {
  local dir=$1 name=$2 pkg=$3
  if [[ -x $dir/$name ]]; then
    log "$name: cached"
    return
  fi
  log "$name: building $pkg"
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$CACHE/gobin.XXXXXX")
  GOBIN=$tmp nice go install -trimpath -ldflags='-s -w' "$pkg"
  mv "$tmp"/* "$dir/$name"
  rmdir "$tmp"
  log "$name: built in $((SECONDS - start))s"
}

build_archive_provider() {
  local out=$PROVIDERS/terraform-provider-archive
  if [[ -x $out ]]; then
    log "terraform-provider-archive: cached"
    return
  fi
  log "terraform-provider-archive: building $ARCHIVE_PROVIDER"
  local start=$SECONDS src dir
  dir=$(cd "$CACHE" && go mod download -json "$ARCHIVE_PROVIDER" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir ]] || { log "go mod download $ARCHIVE_PROVIDER failed"; return 1; }
  src=$(mktemp -d "$CACHE/archive-src.XXXXXX")
  cp -r "$dir"/. "$src"
  chmod -R u+w "$src"
  # Module zips drop vendored code but keep vendor/modules.txt; resolve the
  # dependencies through the proxy instead.
  rm -rf "$src/vendor"
  printf '\ngo 1.13\n' >>"$src/go.mod"
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" nice go build -trimpath -ldflags='-s -w' -o "$out" .)
  rm -rf "$src"
  log "terraform-provider-archive: built in $((SECONDS - start))s"
}

install "$BIN" terraform "github.com/hashicorp/terraform@$TERRAFORM_VERSION"
install "$PROVIDERS" terraform-provider-google "$GOOGLE_PROVIDER"
build_archive_provider
install "$BIN" tflint "github.com/terraform-linters/tflint@$TFLINT_VERSION"

# dev_overrides make Terraform use these binaries whatever versions.tf asks,
# without `terraform init`, and without writing a lock file.
cat >"$CLI_CONFIG" <<HCL
# Written by scripts/tf-tools.sh; do not edit.
provider_installation {
  dev_overrides {
    "hashicorp/google"  = "$PROVIDERS"
    "hashicorp/archive" = "$PROVIDERS"
  }
  direct {}
}
HCL
log "ready: TF_CLI_CONFIG_FILE=$CLI_CONFIG PATH=$BIN:\$PATH"
echo "$CLI_CONFIG"
