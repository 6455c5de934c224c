#!/usr/bin/env bash
# How fast the inbox workers drain on SQLite (or PostgreSQL), with the receiver running beside them: loads
# `jirasync serve --mode inbox` with wrk for DURATION seconds (the compare-python.sh data set and
# load), then times the drain of what is left pending, and prints what the workers applied
# while the load ran and after it, and the server's CPU time (utime + stime of /proc/PID/stat):
# per accepted delivery during the load, per delivery drained after it, and in all (load and
# drain) per delivery accepted, that is, per delivery received and applied (jirasync's CPU only:
# on PostgreSQL the server's backends are not counted). Steadier than the CPU time on a shared
# machine: the server's file and socket I/O per delivery received and applied, in read and write
# system calls and in KB (/proc/PID/io, the whole run). On PostgreSQL, where the database's own
# work is most of a delivery's: the CPU time of the server's processes (`postgres`, backends and
# background processes alike, /proc/PID/stat) per delivery received and applied, load and drain.
#
# Usage: scripts/inbox-drain.sh DATASET_DIR     (a data set compare-python.sh kept: KEEP=DIR)
#   Each request carries the next payload of the data set, cycling: jirasync skips a delivery it
#   has seen, so once a run has sent more requests than there are payloads, the rest cost less.
#   The table's last column counts them (accepted beyond the data set's payloads); keep it at 0
#   (compare-python.sh's default PAYLOADS=200000 covers about 10 s at 15,000 req/s).
#   BACKEND=postgres runs it on PostgreSQL instead, in a database of its own per run, created and
#   dropped on the server JIRASYNC_TEST_DATABASE_URL names (default sqlite)
# Settings (defaults): DURATION=5 CONNECTIONS=32 THREADS=2 WORKERS="2 8 32" (one run per count)
#   RUNTIME_THREADS=1 (jirasync serve --runtime-threads)
#   RATE=N: instead of wrk's closed loop, send N requests per second for DURATION seconds (the
#   `paced_load` example, open-loop): a load the workers keep up with, where what a delivery
#   costs received and applied shows without a backlog (the drain is then short or empty)
#   BINARY: a jirasync binary to run instead of building this checkout's
#   The server's environment is passed on: JIRASYNC_APPLY_AT_RECEIPT=false, say, compares the
#   receiver leaving every delivery to a claim
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${JIRASYNC_BENCH_DIR:-$root/../shared/bench}
kept=${1:?usage: scripts/inbox-drain.sh DATASET_DIR (KEEP=DIR of compare-python.sh)}
DURATION=${DURATION:-5} CONNECTIONS=${CONNECTIONS:-32} THREADS=${THREADS:-2} WORKERS=${WORKERS:-"2 8 32"}
RUNTIME_THREADS=${RUNTIME_THREADS:-1} RATE=${RATE:-}
[[ -z "$RATE" || "$RATE" =~ ^[1-9][0-9]*$ ]] || { echo "inbox-drain.sh: RATE must be a positive integer" >&2; exit 2; }
[[ "$RUNTIME_THREADS" =~ ^[1-9][0-9]*$ ]] || { echo "inbox-drain.sh: RUNTIME_THREADS must be a positive integer" >&2; exit 2; }
[[ -f "$kept/state.json" && -d "$kept/data/payloads" ]] || {
  echo "inbox-drain.sh: $kept holds no data set (run KEEP=$kept scripts/compare-python.sh python)" >&2
  exit 2
}
BACKEND=${BACKEND:-sqlite}
case "$BACKEND" in
  sqlite) command -v sqlite3 >/dev/null || { echo "inbox-drain.sh: needs the sqlite3 command" >&2; exit 2; } ;;
  postgres)
    [[ -n "${JIRASYNC_TEST_DATABASE_URL:-}" ]] || { echo "inbox-drain.sh: BACKEND=postgres needs JIRASYNC_TEST_DATABASE_URL" >&2; exit 2; }
    command -v psql >/dev/null || { echo "inbox-drain.sh: needs the psql command" >&2; exit 2; } ;;
  *) echo "inbox-drain.sh: BACKEND must be sqlite or postgres, not '$BACKEND'" >&2; exit 2 ;;
esac
if [[ -n "${BINARY:-}" ]]; then
  binary=$BINARY
else
  (cd "$root" && cargo build --release -p jirasync --bin jirasync >&2)
  binary="${CARGO_TARGET_DIR:-$root/target}/release/jirasync"
fi
if [[ -n "$RATE" ]]; then
  (cd "$root" && cargo build --release -p jirasync --example paced_load >&2)
  paced_load="${CARGO_TARGET_DIR:-$root/target}/release/examples/paced_load"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/jirasync-drain.XXXXXX")
# shellcheck source=scripts/lib/scratch-database.sh
source "$root/scripts/lib/scratch-database.sh"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  drop_scratch_database || echo "inbox-drain.sh: drop database $pg_database by hand" >&2
  rm -rf "$work"
}
trap cleanup EXIT

count() {
  local sql="SELECT count(*) FROM jirasync_inbox_deliveries WHERE $1"
  if [[ "$BACKEND" == sqlite ]]; then sqlite3 "$work/jirasync.db" "$sql"; else psql -At "$database_url" -c "$sql"; fi
}
now() { date +%s.%N; }
# CPU time of the server so far, in microseconds.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) / hz * 1e6 }' "/proc/$server_pid/stat"; }
# The server's I/O so far (/proc/PID/io): "rchar wchar syscr syscw".
io() { awk '/^(rchar|wchar|syscr|syscw):/ { v[$1] = $2 } END { print v["rchar:"], v["wchar:"], v["syscr:"], v["syscw:"] }' "/proc/$server_pid/io"; }
# The CPU time so far of each PostgreSQL process on this machine, as "PID TICKS" lines.
postgres_cpu() {
  local pid
  for pid in $(pgrep -x postgres || true); do
    awk -v pid="$pid" '{ print pid, $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true
  done
}
# The CPU microseconds PostgreSQL spent between two postgres_cpu snapshots (files): a process
# started in between counts from zero (one that ended in between is not counted).
postgres_cpu_between() {
  awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { start[$1] = $2; next }
    { spent += $2 - (($1 in start) ? start[$1] : 0) } END { printf "%.0f", spent / hz * 1e6 }' "$1" "$2"
}
payload_count=$(find "$kept/data/payloads" -maxdepth 1 -name '*.json' | wc -l)
per() { awk -v a="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", a / n; else print "-" }'; }

printf '| workers | accepted req/s | non-2xx | applied during the load /s | drained after it /s | CPU µs per accept (load) | CPU µs per drained delivery | CPU µs per delivery, all | read / write calls per delivery | KB read / written per delivery | PostgreSQL CPU µs per delivery, all | repeats |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for workers in $WORKERS; do
  scratch_database "$BACKEND" "$work" "jirasync_drain_$$"
  "$binary" --database-url "$database_url" state import "$kept/state.json" >/dev/null
  "$binary" --database-url "$database_url" --listen 127.0.0.1:0 --log-format json \
    --mode inbox --workers "$workers" --runtime-threads "$RUNTIME_THREADS" --reconcile-interval off serve >"$work/out" 2>"$work/log" &
  server_pid=$!
  url=""
  for _ in $(seq 300); do
    url=$(sed -n 's/^jirasync listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/out")
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  [[ -n "$url" ]] || { cat "$work/log" >&2; exit 1; }
  cpu_start=$(cpu_us)
  [[ "$BACKEND" == postgres ]] && postgres_cpu >"$work/postgres.start"
  read -r rchar0 wchar0 syscr0 syscw0 <<<"$(io)"
  if [[ -n "$RATE" ]]; then
    "$paced_load" --url "$url" --token-file "$kept/data/token.txt" --payloads "$kept/data/payloads" \
      --rate "$RATE" --duration "$DURATION" --warmup 0 >"$work/load"
    # paced_load says `rate=`; wrk's summary `rps=`.
    sed -i 's/^rate=/rps=/' "$work/load"
  else
    "$bench/loadgen.sh" --url "$url" --token-file "$kept/data/token.txt" --payloads "$kept/data/payloads" \
      --duration "$DURATION" --connections "$CONNECTIONS" --threads "$THREADS" >"$work/load" 2>/dev/null
  fi
  cpu_loaded=$(cpu_us)
  applied=$(count "state <> 'pending'")
  pending=$(count "state = 'pending'")
  accepted=$((applied + pending))
  started=$(now)
  while [[ "$(count "state = 'pending'")" != 0 ]]; do sleep 0.1; done
  cpu_drained=$(cpu_us)
  postgres_spent="-"
  if [[ "$BACKEND" == postgres ]]; then
    postgres_cpu >"$work/postgres.end"
    postgres_spent=$(per "$(postgres_cpu_between "$work/postgres.start" "$work/postgres.end")" "$accepted")
  fi
  read -r rchar1 wchar1 syscr1 syscw1 <<<"$(io)"
  drained=$(awk -v p="$pending" -v s="$started" -v e="$(now)" 'BEGIN { printf "%.0f", p / (e - s) }')
  rps=$(grep '^rps=' "$work/load" | cut -d= -f2)
  non2xx=$(grep '^non2xx=' "$work/load" | cut -d= -f2)
  # paced_load counts requests that got no answer apart.
  errors=$(sed -n 's/^errors=//p' "$work/load")
  non2xx=$((non2xx + ${errors:-0}))
  repeats=$((accepted > payload_count ? accepted - payload_count : 0))
  ((repeats == 0)) || echo "inbox-drain.sh: $repeats of the $accepted deliveries repeated a payload, which jirasync skips: use a larger data set" >&2
  printf '| %s | %s | %s | %.0f | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |\n' "$workers" "$rps" "$non2xx" \
    "$(echo "$applied / $DURATION" | bc -l)" "$drained" "$(per $((cpu_loaded - cpu_start)) "$accepted")" \
    "$(per $((cpu_drained - cpu_loaded)) "$pending")" "$(per $((cpu_drained - cpu_start)) "$accepted")" \
    "$(per $((syscr1 - syscr0)) "$accepted")" "$(per $((syscw1 - syscw0)) "$accepted")" \
    "$(per $(((rchar1 - rchar0) / 1024)) "$accepted")" "$(per $(((wchar1 - wchar0) / 1024)) "$accepted")" \
    "$postgres_spent" "$repeats"
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  drop_scratch_database
done
