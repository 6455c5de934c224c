#!/usr/bin/env bash
# Load test of the webhook route: webhooks/s and p99 latency, with wrk, for
#   ceiling        a bare axum handler that answers 200 (crates/jirasync-axum/examples/ceiling.rs)
#   inline-sqlite  jirasync serve --mode inline on SQLite
#   inbox-sqlite   jirasync serve --mode inbox on SQLite
#   inbox-postgres jirasync serve --mode inbox on PostgreSQL (only with JIRASYNC_TEST_DATABASE_URL;
#                  runs in a database of its own, dropped afterwards)
# and each one's ratio to the ceiling. See docs/performance.md, "Load test".
#
# Usage: scripts/loadtest.sh [SCENARIO...]      (default: all four)
# Settings: LOADTEST_DURATION (10s), LOADTEST_THREADS (2), LOADTEST_CONNECTIONS (16).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${LOADTEST_DURATION:-10s}
threads=${LOADTEST_THREADS:-2}
connections=${LOADTEST_CONNECTIONS:-16}
state_file="$root/scripts/loadtest/state.json"
lua_script="$root/scripts/loadtest/assignee.lua"
delivery_template="$root/scripts/loadtest/delivery-template.json"
release="${CARGO_TARGET_DIR:-$root/target}/release"

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=(ceiling inline-sqlite inbox-sqlite inbox-postgres)
fi
for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    ceiling | inline-sqlite | inbox-sqlite | inbox-postgres) ;;
    *) echo "unknown scenario '$scenario': use ceiling, inline-sqlite, inbox-sqlite or inbox-postgres" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/jirasync-loadtest.XXXXXX")
server_pid=""
# shellcheck source=scripts/lib/scratch-database.sh
source "$root/scripts/lib/scratch-database.sh"

# Stops the server this script started: SIGTERM (graceful shutdown), SIGKILL after 10 s.
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    local tries=0
    while kill -0 "$server_pid" 2>/dev/null && [ "$tries" -lt 100 ]; do
      sleep 0.1
      tries=$((tries + 1))
      # A signal sent before the child had started its program may be lost: send it again.
      kill "$server_pid" 2>/dev/null || true
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

cleanup() {
  stop_server
  drop_scratch_database 2>/dev/null || echo "could not drop database $pg_database: drop it by hand" >&2
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

needs() {
  case " ${scenarios[*]} " in *" $1"*) return 0 ;; *) return 1 ;; esac
}

ensure_wrk() {
  command -v wrk >/dev/null && return
  echo "wrk is missing: installing it with apt-get" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y wrk >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y wrk >&2; }
}

build() {
  local packages=(-p jirasync-axum --example ceiling)
  if needs inline || needs inbox; then
    packages=(-p jirasync --bin jirasync "${packages[@]}")
  fi
  echo "building release binaries: cargo build --release ${packages[*]}" >&2
  (cd "$root" && cargo build --release "${packages[@]}" >&2)
}

# The webhook URL token of the fixture's integration: HS256 over {"id": external_id} with its
# first webhook secret, as jirasync_webhook::mint_token computes it.
mint_token() {
  python3 - "$state_file" <<'PY'
import base64, hashlib, hmac, json, sys

with open(sys.argv[1]) as f:
    integration = json.load(f)["integrations"][0]
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
signed = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(
    json.dumps({"id": integration["external_id"]}, separators=(",", ":")).encode())
key = integration["webhook_secrets"][0].encode()
print(signed + "." + b64(hmac.new(key, signed.encode(), hashlib.sha256).digest()))
PY
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME COMMAND...: starts it in the background, waits for its "listening on
# http://ADDR" line (stdout), and sets server_addr.
start_server() {
  local name=$1
  shift
  : >"$work/$name.out"
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  local tries=0
  server_addr=""
  while [ -z "$server_addr" ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$name exited before listening; its standard error:" >&2
      cat "$work/$name.err" >&2
      server_pid=""
      return 1
    fi
    server_addr=$(sed -n 's|.*listening on http://\([^ ]*\).*|\1|p' "$work/$name.out" | head -n 1)
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ]; then
      echo "$name did not print 'listening on http://ADDR' within 60 s" >&2
      return 1
    fi
    [ -n "$server_addr" ] || sleep 0.1
  done
}

results=()

# run_load NAME: loads server_addr with wrk and appends "NAME req/s p99_ms non2xx" to results.
run_load() {
  local name=$1
  local url="http://$server_addr/extensions/jira-server/issue-updated/$token/"
  echo "loading $name for $duration ($threads threads, $connections connections)" >&2
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua_script" "$url" -- "$delivery_template" \
    >"$work/$name.wrk" || return 1
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$work/$name.wrk")
  p99=$(awk '$1 == "99%" { v = $2
      if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
      else if (v ~ /ms$/) { sub(/ms$/, "", v) }
      else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
      print v }' "$work/$name.wrk")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$work/$name.wrk")
  results+=("$name ${rps:-0} ${p99:-?} ${non2xx:-0}")
}

seed() {
  local database_url=$1
  "$release/jirasync" --database-url "$database_url" state import "$state_file" >&2
}

# run_serve NAME MODE DATABASE_URL: seeds the database, serves it, loads it. A scenario that
# fails is reported in the table and the others still run. (Under `||`, bash ignores `set -e`
# inside the function: every step checks its own status.)
run_serve() {
  local name=$1 mode=$2 database_url=$3
  seed "$database_url" || return 1
  local port
  port=$(free_port) || return 1
  start_server "$name" "$release/jirasync" serve --database-url "$database_url" \
    --listen "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" --mode "$mode" || return 1
  run_load "$name" || return 1
  stop_server
}

scenario_failed() {
  echo "$1 failed: see the messages above" >&2
  stop_server
  results+=("$1 failed - -")
}

ensure_wrk
build
token=$(mint_token)

for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    ceiling)
      start_server ceiling "$release/examples/ceiling" 127.0.0.1:0
      run_load ceiling
      stop_server
      ;;
    inline-sqlite)
      run_serve inline-sqlite inline "sqlite://$work/inline.db" || scenario_failed inline-sqlite
      ;;
    inbox-sqlite)
      run_serve inbox-sqlite inbox "sqlite://$work/inbox.db" || scenario_failed inbox-sqlite
      ;;
    inbox-postgres)
      if [ -z "${JIRASYNC_TEST_DATABASE_URL:-}" ]; then
        echo "skipping inbox-postgres: JIRASYNC_TEST_DATABASE_URL is not set" >&2
        continue
      fi
      if ! scratch_database postgres "$work" "jirasync_loadtest_$$"; then
        scenario_failed inbox-postgres
        continue
      fi
      run_serve inbox-postgres inbox "$database_url" || scenario_failed inbox-postgres
      ;;
  esac
done

ceiling_rps=""
for row in "${results[@]}"; do
  set -- $row
  if [ "$1" = ceiling ]; then ceiling_rps=$2; fi
done
printf '\n%-16s %12s %10s %18s %10s\n' scenario "webhooks/s" "p99 (ms)" "ratio to ceiling" "non-2xx"
for row in "${results[@]}"; do
  set -- $row
  ratio="-"
  if [ -n "$ceiling_rps" ] && [ "$2" != failed ]; then
    ratio=$(awk -v a="$2" -v b="$ceiling_rps" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
  fi
  printf '%-16s %12s %10s %18s %10s\n' "$1" "$2" "$3" "$ratio" "$4"
done
