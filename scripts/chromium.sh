#!/usr/bin/env bash
# chromium.sh install: install Debian's headless-capable Chromium where it
# is missing, for the operator site's browser tests (internal/httpapi,
# chromedp). The tests find it on PATH as chromium.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

case "${1:-}" in
install)
  if have chromium || have chromium-browser; then
    exit 0
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  have chromium || { echo "chromium.sh: chromium is still missing after apt-get install" >&2; exit 1; }
  ;;
check)
  have chromium || have chromium-browser || { echo "chromium is not installed (run: bash scripts/chromium.sh install)" >&2; exit 1; }
  ;;
*)
  echo "usage: $0 install|check" >&2
  exit 2
  ;;
esac
