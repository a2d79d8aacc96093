#!/usr/bin/env bash
# emulators.sh — the Firestore and Pub/Sub emulators for groupsync's tests.
#
#   scripts/emulators.sh check   preflight: are the emulators installed? (default)
#   scripts/emulators.sh start   start both in the background, print export lines
#   scripts/emulators.sh env     print export lines for the running emulators
#   scripts/emulators.sh stop    stop the emulators that start started
#
# The Go tests start their own emulators (internal/emulator), so `check` is
# all CI needs. With GROUPSYNC_REQUIRE_EMULATORS=1 a missing emulator makes
# `check` exit 1, matching the tests, which then fail instead of skipping.
#
# `eval "$(scripts/emulators.sh start)"` before `go test ./...` makes every
# test binary share one pair of emulators instead of starting its own.
#
# Environment: CLOUDSDK_ROOT_DIR (SDK location; default: from gcloud),
# JAVA (java binary), FIRESTORE_PORT (8681), PUBSUB_PORT (8682),
# GROUPSYNC_EMULATOR_DIR (pid and log files).
set -euo pipefail

state_dir="${GROUPSYNC_EMULATOR_DIR:-${TMPDIR:-/tmp}/groupsync-emulators-$(id -u)}"
firestore_port="${FIRESTORE_PORT:-8681}"
pubsub_port="${PUBSUB_PORT:-8682}"

err() { echo "emulators: $*" >&2; }

sdk_root() {
  if [[ -n "${CLOUDSDK_ROOT_DIR:-}" ]]; then
    echo "$CLOUDSDK_ROOT_DIR"
    return
  fi
  local gcloud
  gcloud="$(command -v gcloud 2>/dev/null)" || return 1
  local root
  root="$(dirname "$(dirname "$(readlink -f "$gcloud")")")"
  if [[ -d "$root/platform" ]]; then
    echo "$root"
  else
    gcloud info --format='value(installation.sdk_root)' 2>/dev/null
  fi
}

# find_emulators sets firestore_cmd and pubsub_cmd (arrays, without ports)
# and returns non-zero after explaining what is missing.
find_emulators() {
  local missing=0 root java
  firestore_cmd=()
  pubsub_cmd=()
  if ! root="$(sdk_root)" || [[ -z "$root" ]]; then
    err "the Google Cloud CLI (gcloud) is not installed: https://cloud.google.com/sdk/docs/install"
    return 1
  fi
  java="${JAVA:-$(command -v java 2>/dev/null || true)}"
  if [[ -z "$java" ]]; then
    err "java is not on PATH: the emulators need a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)"
    missing=1
  fi
  local fdir="$root/platform/cloud-firestore-emulator"
  if [[ -f "$fdir/cloud-firestore-emulator.jar" && -n "$java" ]]; then
    firestore_cmd=("$java" -Duser.language=en -cp "$fdir/cloud-firestore-emulator.jar"
      com.google.cloud.datastore.emulator.firestore.CloudFirestore start --host=127.0.0.1)
  elif [[ -x "$fdir/cloud_firestore_emulator" ]]; then
    firestore_cmd=("$fdir/cloud_firestore_emulator" start --host=127.0.0.1)
  else
    err "Firestore emulator missing ($fdir): gcloud components install cloud-firestore-emulator (or apt-get install google-cloud-cli-firestore-emulator)"
    missing=1
  fi
  local pscript="$root/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
  if [[ -x "$pscript" ]]; then
    pubsub_cmd=("$pscript" --host=127.0.0.1)
  else
    err "Pub/Sub emulator missing ($pscript): gcloud components install pubsub-emulator (or apt-get install google-cloud-cli-pubsub-emulator)"
    missing=1
  fi
  return "$missing"
}

cmd_check() {
  if find_emulators; then
    echo "emulators: Firestore and Pub/Sub emulators found" >&2
    return 0
  fi
  if [[ "${GROUPSYNC_REQUIRE_EMULATORS:-}" == "1" ]]; then
    err "GROUPSYNC_REQUIRE_EMULATORS=1: failing, since the tests that need them would fail"
    return 1
  fi
  err "tests that need a missing emulator will be skipped (set GROUPSYNC_REQUIRE_EMULATORS=1 to make that an error)"
  return 0
}

ready() { curl -sf --max-time 2 "http://$1/" >/dev/null 2>&1; }

# launch NAME PORT CMD... starts CMD --port=PORT in its own session, so stop
# can end the whole process group (the SDK scripts fork the JVM).
launch() {
  local name="$1" port="$2"
  shift 2
  local host="127.0.0.1:$port"
  if [[ -f "$state_dir/$name.pid" ]] && kill -0 "$(cat "$state_dir/$name.pid")" 2>/dev/null; then
    err "$name already running at $(cat "$state_dir/$name.host")"
    return 0
  fi
  if ready "$host"; then
    err "port $port is taken: set ${name^^}_PORT to another port"
    return 1
  fi
  setsid "$@" "--port=$port" >"$state_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$state_dir/$name.pid"
  echo "$host" >"$state_dir/$name.host"
  local i
  for ((i = 0; i < 900; i++)); do
    if ready "$host"; then
      err "$name ready at $host"
      return 0
    fi
    if ! kill -0 "$(cat "$state_dir/$name.pid")" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  err "$name did not start; last lines of $state_dir/$name.log:"
  tail -n 20 "$state_dir/$name.log" >&2 || true
  stop_one "$name"
  return 1
}

stop_one() {
  local name="$1" pid
  [[ -f "$state_dir/$name.pid" ]] || return 0
  pid="$(cat "$state_dir/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    err "$name stopped"
  fi
  rm -f "$state_dir/$name.pid" "$state_dir/$name.host"
}

cmd_env() {
  local name var
  for name in firestore pubsub; do
    var="$([[ $name == firestore ]] && echo FIRESTORE_EMULATOR_HOST || echo PUBSUB_EMULATOR_HOST)"
    if [[ -f "$state_dir/$name.pid" ]] && kill -0 "$(cat "$state_dir/$name.pid")" 2>/dev/null; then
      echo "export $var=$(cat "$state_dir/$name.host")"
    fi
  done
}

cmd_start() {
  if ! command -v curl >/dev/null; then
    err "curl is needed to wait for the emulators"
    return 1
  fi
  if ! find_emulators; then
    err "cannot start: emulators missing"
    return 1
  fi
  mkdir -p "$state_dir"
  launch firestore "$firestore_port" "${firestore_cmd[@]}"
  launch pubsub "$pubsub_port" "${pubsub_cmd[@]}"
  cmd_env
}

cmd_stop() {
  stop_one firestore
  stop_one pubsub
}

case "${1:-check}" in
  check) cmd_check ;;
  start) cmd_start ;;
  env) cmd_env ;;
  stop) cmd_stop ;;
  -h | --help | help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    err "unknown command ${1}: want check, start, env or stop"
    exit 2
    ;;
esac
