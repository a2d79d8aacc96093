#!/usr/bin/env bash
# slapd.sh install: install OpenLDAP's slapd and ldap-utils (Debian
# packages) where they are missing, for the LDAP source's tests and
# `make demo-ldap`. The packaged service is not started: tests and the demo
# run their own slapd on 127.0.0.1 (internal/source/ldap/ldaptest).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

case "${1:-}" in
install)
  if have slapd && have slapadd && have ldapsearch; then
    exit 0
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # The package's postinst must not start a system-wide slapd.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null
  have slapd || { echo "slapd.sh: slapd is still missing after apt-get install" >&2; exit 1; }
  ;;
check)
  have slapd && have slapadd || { echo "slapd is not installed (run: bash scripts/slapd.sh install)" >&2; exit 1; }
  ;;
*)
  echo "usage: $0 install|check" >&2
  exit 2
  ;;
esac
