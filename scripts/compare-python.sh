#!/usr/bin/env bash
# The webhook path side by side with the Python receiver of the shared benchmark, in one run:
# one data set (make_dataset.py: organizations, users, issues, links, ~6 KB Jira payloads), the
# same payload bytes, the same URL token and the same wrk load against
#   python          the Python receiver (gunicorn + PyJWT + sqlite3), through its bench_python.sh
#   inline-sqlite   jirasync serve --mode inline on SQLite
#   inbox-sqlite    jirasync serve --mode inbox on SQLite
#   inline-postgres, inbox-postgres   the same on PostgreSQL (only with JIRASYNC_TEST_DATABASE_URL;
#                   each in a database of its own, dropped afterwards)
#   storeless       the `storeless_receiver` example: the webhook route on serve's one runtime thread,
#                   the body read, parsed and classified, no token check and no store; what no
#                   design that stores a delivery before answering can beat under the same load
# and prints one table: req/s, p99, non-2xx, the ratio to the Python receiver, the server's CPU
# time per request (utime + stime of /proc/PID/stat, before and after the measured run) and its
# RSS at the end. A second table comes from a paced run of each scenario on a fresh database:
# PACED_RATE requests per second, whatever the latency (the `paced_load` example of the jirasync
# crate, open-loop, one thread), with the latency percentiles of the PACED_DURATION seconds that
# follow PACED_WARMUP seconds at the same rate (not counted). docs/performance.md, "Side by side
# with the Python receiver", records both.
#
# Usage: scripts/compare-python.sh [SCENARIO...]     (default: python inline-sqlite inbox-sqlite,
#                                                    plus the PostgreSQL two when configured)
# Settings (defaults): DURATION=10 WARMUP=2 CONNECTIONS=32 THREADS=2 WORKERS=2
#   ORGS=3 USERS=300 ISSUES=1000 PAYLOADS=200000. jirasync skips a delivery it has seen (the
#   Python receiver applies it again), so a request that repeats a payload costs jirasync less:
#   the wrk warm-up sends the last WARMUP/(WARMUP+DURATION) of the payloads and the measured run
#   the others, and the table's "repeats" column counts the measured requests beyond the run's
#   payloads (wrk cycles through them). Keep it at 0: at 15,000 req/s, 10 s need 150,000
#   payloads (200,000 make about 1.2 GB; a kept data set with fewer is made again).
#   PACED_RATE=500 PACED_DURATION=10 PACED_WARMUP=$WARMUP (PACED_RATE=0 skips the paced runs;
#   PACED_WARMUP=0 measures from a cold start)
#   JIRASYNC_BENCH_DIR: the shared benchmark (default: ../shared/bench beside the checkout)
#   KEEP=DIR keeps the data set and the logs.
#   BINARY: a jirasync binary to run instead of building this checkout's (to compare builds)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${JIRASYNC_BENCH_DIR:-$root/../shared/bench}
DURATION=${DURATION:-10} WARMUP=${WARMUP:-2} CONNECTIONS=${CONNECTIONS:-32} THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2} ORGS=${ORGS:-3} USERS=${USERS:-300} ISSUES=${ISSUES:-1000}
PAYLOADS=${PAYLOADS:-200000} PACED_RATE=${PACED_RATE:-500} PACED_DURATION=${PACED_DURATION:-10}
PACED_WARMUP=${PACED_WARMUP:-$WARMUP}
[[ "$PACED_RATE" =~ ^[0-9]+$ ]] || { echo "compare-python.sh: PACED_RATE must be an integer" >&2; exit 2; }
[[ "$PACED_WARMUP" =~ ^[0-9]+$ ]] || { echo "compare-python.sh: PACED_WARMUP must be an integer" >&2; exit 2; }
for v in DURATION CONNECTIONS THREADS WORKERS ORGS USERS ISSUES PAYLOADS PACED_DURATION; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "compare-python.sh: $v must be a positive integer" >&2; exit 2; }
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "compare-python.sh: WARMUP must be an integer" >&2; exit 2; }
if ((PACED_RATE * (PACED_WARMUP + PACED_DURATION) > PAYLOADS)); then
  echo "compare-python.sh: the paced run sends PACED_RATE × (PACED_WARMUP + PACED_DURATION) = $((PACED_RATE * (PACED_WARMUP + PACED_DURATION))) payloads, more than PAYLOADS=$PAYLOADS: raise PAYLOADS or the later requests are duplicates" >&2
  exit 2
fi
[[ -x "$bench/bench_python.sh" ]] || {
  echo "compare-python.sh: no shared benchmark at $bench (set JIRASYNC_BENCH_DIR)" >&2
  exit 2
}

scenarios=("$@")
if [[ ${#scenarios[@]} -eq 0 ]]; then
  scenarios=(python inline-sqlite inbox-sqlite)
  [[ -n "${JIRASYNC_TEST_DATABASE_URL:-}" ]] && scenarios+=(inline-postgres inbox-postgres)
fi
for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    python | inline-sqlite | inbox-sqlite | storeless) ;;
    inline-postgres | inbox-postgres)
      [[ -n "${JIRASYNC_TEST_DATABASE_URL:-}" ]] || {
        echo "compare-python.sh: $scenario needs JIRASYNC_TEST_DATABASE_URL" >&2
        exit 2
      } ;;
    *) echo "compare-python.sh: unknown scenario '$scenario'" >&2; exit 2 ;;
  esac
done

if [[ -n "${KEEP:-}" ]]; then
  mkdir -p "$KEEP"
  work=$(cd "$KEEP" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/jirasync-compare.XXXXXX")
fi
# shellcheck source=scripts/lib/scratch-database.sh
source "$root/scripts/lib/scratch-database.sh"
server_pid=""
stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  stop_server
  stop_python
  drop_scratch_database 2>/dev/null || echo "compare-python.sh: drop database $pg_database by hand" >&2
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- the data set, shared by every scenario ------------------------------------------------------
"$bench/setup_recv.sh" >&2
py="${BENCH_VENV:-${TMPDIR:-/tmp}/jirasync-bench-venv}/bin/python"
data="$work/data"
made_payloads=$(find "$data/payloads" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l)
if [[ ! -f "$data/seed.json" || "$made_payloads" -lt "$PAYLOADS" ]]; then
  rm -rf "$data"
  echo "compare-python.sh: making the data set ($ORGS organizations, $USERS users, $ISSUES issues, $PAYLOADS payloads)" >&2
  timeout 900 "$py" "$bench/py_receiver/make_dataset.py" --out "$data" \
    --orgs "$ORGS" --users "$USERS" --issues "$ISSUES" --payloads "$PAYLOADS" >&2
fi
"$py" "$bench/seed_to_state.py" "$data/seed.json" "$work/state.json" >&2

# The wrk runs' payloads: the warm-up's and the measured run's apart (hard links into the data
# set), so that no measured request repeats one the warm-up sent.
rm -rf "$work/warmup-payloads" "$work/run-payloads"
mkdir -p "$work/warmup-payloads" "$work/run-payloads"
warmup_payloads=$((PAYLOADS * WARMUP / (WARMUP + DURATION)))
run_payloads=$((PAYLOADS - warmup_payloads))
find "$data/payloads" -maxdepth 1 -name '*.json' | sort | head -n "$PAYLOADS" >"$work/payloads.list"
if ((warmup_payloads > 0)); then
  tail -n "$warmup_payloads" "$work/payloads.list" | xargs ln -t "$work/warmup-payloads"
fi
head -n "$run_payloads" "$work/payloads.list" | xargs ln -t "$work/run-payloads"

results="$work/results.tsv" paced_results="$work/paced.tsv"
: >"$results"
: >"$paced_results"
# record NAME RPS P99 NON2XX CPU_US RSS_MIB REPEATS
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# CPU time (utime + stime, in clock ticks) of PID and its children that were reaped.
cpu_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }

# load URL SECONDS PAYLOAD_DIR
load() {
  "$bench/loadgen.sh" --url "$1" --token-file "$data/token.txt" --payloads "$3" \
    --duration "$2" --connections "$CONNECTIONS" --threads "$THREADS"
}

# paced NAME URL: the paced run against URL, recorded as NAME in the second table.
paced() {
  local out="$work/$1.paced"
  "$paced_load" --url "$2" --token-file "$data/token.txt" --payloads "$data/payloads" \
    --rate "$PACED_RATE" --duration "$PACED_DURATION" --warmup "$PACED_WARMUP" >"$out"
  local val
  val() { grep -E "^$1=" "$out" | cut -d= -f2; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(val rate)" "$(val p50_ms)" "$(val p90_ms)" \
    "$(val p99_ms)" "$(val max_ms)" "$(($(val non2xx) + $(val errors)))" >>"$paced_results"
}

# The Python receiver as bench_python.sh starts it (gunicorn, WORKERS sync workers), on a fresh
# database; sets url and python_master.
python_master="" python_wrapper=""
start_python() {
  local venv="${BENCH_VENV:-${TMPDIR:-/tmp}/jirasync-bench-venv}" log="$work/gunicorn-paced.log"
  rm -f "$work/recv-paced.db"*
  RECV_DB="$work/recv-paced.db" RECV_SEED="$data/seed.json" timeout 120 "$py" "$bench/py_receiver/app.py" --init
  RECV_DB="$work/recv-paced.db" RECV_SEED="$data/seed.json" "$venv/bin/gunicorn" \
    --workers "$WORKERS" --worker-class sync --bind 127.0.0.1:0 --no-control-socket \
    --chdir "$bench/py_receiver" --pid "$work/gunicorn-paced.pid" app:app >"$log" 2>&1 &
  python_wrapper=$!
  local port=""
  for _ in $(seq 300); do
    port=$(grep -o 'Listening at: http://127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' || true)
    [[ -n "$port" && -s "$work/gunicorn-paced.pid" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { cat "$log" >&2; echo "compare-python.sh: gunicorn did not start" >&2; exit 1; }
  python_master=$(cat "$work/gunicorn-paced.pid")
  url="http://127.0.0.1:$port"
  for _ in $(seq 300); do
    [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -X POST "$url/extensions/jira-server/issue-updated/not-a-jwt/" || true)" == 400 ]] && return 0
    sleep 0.1
  done
  echo "compare-python.sh: the Python receiver does not answer" >&2
  exit 1
}
stop_python() {
  [[ -n "$python_master" ]] && kill -TERM "$python_master" 2>/dev/null || true
  [[ -n "$python_wrapper" ]] && wait "$python_wrapper" 2>/dev/null || true
  python_master="" python_wrapper=""
}

run_python_paced() {
  echo "compare-python.sh: python receiver, paced at $PACED_RATE req/s" >&2
  start_python
  paced python "$url"
  stop_python
}

run_python() {
  echo "compare-python.sh: python receiver" >&2
  local out="$work/python.out"
  DATASET="$data" DURATION="$DURATION" WARMUP="$WARMUP" CONNECTIONS="$CONNECTIONS" \
    THREADS="$THREADS" WORKERS="$WORKERS" "$bench/bench_python.sh" >"$out" 2>"$work/python.err" \
    || echo "compare-python.sh: the Python receiver's run reported a problem (see below)" >&2
  cat "$out" >&2
  local line rss
  line=$(grep '^python-receiver: ' "$out" || true)
  [[ -n "$line" ]] || { cat "$work/python.err" >&2; echo "compare-python.sh: no python figure" >&2; exit 1; }
  rss=$(grep -o 'RSS [0-9]* MiB' "$out" | grep -o '[0-9]*' || echo "-")
  # python-receiver: R req/s, p99 X ms, non2xx N
  record python "$(awk '{print $2}' <<<"$line")" "$(awk '{print $5}' <<<"$line")" \
    "$(awk '{print $8}' <<<"$line")" "-" "$rss" "-"
}

# start_jirasync SCENARIO: jirasync serve on a fresh database for the scenario (or, for
# `storeless`, the storeless_receiver example); sets url and server_pid.
start_jirasync() {
  local scenario=$1 mode=${1%%-*} backend=${1#*-} database_url
  : >"$work/$scenario.out"
  if [[ "$scenario" == storeless ]]; then
    echo "compare-python.sh: storeless (the webhook route without a store)" >&2
    "$storeless" --listen 127.0.0.1:0 >"$work/$scenario.out" 2>"$work/$scenario.log" &
  else
    echo "compare-python.sh: jirasync $scenario" >&2
    scratch_database "$backend" "$work" "jirasync_compare_$$"
    "$binary" --database-url "$database_url" state import "$work/state.json" >&2
    "$binary" --database-url "$database_url" --listen 127.0.0.1:0 --log-format json \
      --mode "$mode" --workers "$WORKERS" --reconcile-interval off serve \
      >"$work/$scenario.out" 2>"$work/$scenario.log" &
  fi
  server_pid=$!
  url=""
  for _ in $(seq 300); do
    url=$(sed -n 's/^jirasync listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/$scenario.out")
    [[ -n "$url" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/$scenario.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$url" ]] || { echo "compare-python.sh: jirasync did not start" >&2; exit 1; }
}

# stop_jirasync: stops the server and drops the scenario's PostgreSQL database.
stop_jirasync() {
  stop_server
  drop_scratch_database
}

run_jirasync_paced() {
  echo "compare-python.sh: jirasync $1, paced at $PACED_RATE req/s" >&2
  start_jirasync "$1"
  paced "$1" "$url"
  stop_jirasync
}

run_jirasync() {
  local scenario=$1
  start_jirasync "$scenario"
  if ((WARMUP > 0)); then load "$url" "$WARMUP" "$work/warmup-payloads" >/dev/null 2>&1; fi
  local before after out="$work/$scenario.load"
  before=$(cpu_ticks "$server_pid")
  load "$url" "$DURATION" "$work/run-payloads" >"$out" 2>"$work/$scenario.wrk"
  after=$(cpu_ticks "$server_pid")
  local rss requests val
  rss=$(awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$server_pid/status")
  val() { grep -E "^$1=" "$out" | cut -d= -f2; }
  requests=$(val requests)
  local ticks_per_second cpu_us
  ticks_per_second=$(getconf CLK_TCK)
  cpu_us=$(awk -v t="$((after - before))" -v hz="$ticks_per_second" -v n="$requests" \
    'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')
  # The storeless receiver skips nothing: a repeated payload costs it what a new one does.
  local repeats=$((requests - run_payloads))
  ((repeats > 0)) || repeats=0
  [[ "$scenario" == storeless ]] && repeats="-"
  if [[ "$repeats" != - ]] && ((repeats > 0)); then
    echo "compare-python.sh: $scenario: $repeats of its $requests measured requests repeated a payload, which jirasync skips: raise PAYLOADS" >&2
  fi
  record "$scenario" "$(val rps)" "$(val p99_ms)" "$(val non2xx)" "$cpu_us" "$rss" "$repeats"
  stop_jirasync
}

needs_jirasync=""
for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    python) ;;
    storeless)
      echo "compare-python.sh: cargo build --release -p jirasync --example storeless_receiver" >&2
      (cd "$root" && cargo build --release -p jirasync --example storeless_receiver >&2)
      storeless="${CARGO_TARGET_DIR:-$root/target}/release/examples/storeless_receiver" ;;
    *) needs_jirasync=1 ;;
  esac
done
if [[ -n "$needs_jirasync" && -n "${BINARY:-}" ]]; then
  [[ -x "$BINARY" ]] || { echo "compare-python.sh: BINARY=$BINARY is not an executable" >&2; exit 2; }
  binary=$BINARY
elif [[ -n "$needs_jirasync" ]]; then
  echo "compare-python.sh: cargo build --release -p jirasync" >&2
  (cd "$root" && cargo build --release -p jirasync --bin jirasync >&2)
  binary="${CARGO_TARGET_DIR:-$root/target}/release/jirasync"
fi
if ((PACED_RATE > 0)); then
  echo "compare-python.sh: cargo build --release -p jirasync --example paced_load" >&2
  (cd "$root" && cargo build --release -p jirasync --example paced_load >&2)
  paced_load="${CARGO_TARGET_DIR:-$root/target}/release/examples/paced_load"
fi

for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    python) run_python ;;
    *) run_jirasync "$scenario" ;;
  esac
done
if ((PACED_RATE > 0)); then
  for scenario in "${scenarios[@]}"; do
    case "$scenario" in
      python) run_python_paced ;;
      *) run_jirasync_paced "$scenario" ;;
    esac
  done
fi

# -- the table -------------------------------------------------------------------------------------
python_rps=$(awk -F'\t' '$1 == "python" {print $2}' "$results")
payload_bytes=$(find "$data/payloads" -maxdepth 1 -name '*.json' -printf '%s\n' | awk '{n++; s+=$1} END {print int(s/n)}')
echo
echo "Side by side, one run: $ORGS organizations, $USERS users, $ISSUES issues, ~$payload_bytes B payloads; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s after ${WARMUP}s warm-up; $(nproc) cores"
echo
printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' scenario 'req/s' 'p99 ms' 'non-2xx' 'vs Python' 'CPU µs/req' 'RSS MiB' 'repeats'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
while IFS=$'\t' read -r name rps p99 non2xx cpu rss repeats; do
  ratio="-"
  if [[ -n "$python_rps" ]]; then
    ratio=$(awk -v a="$rps" -v b="$python_rps" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "-" }')
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p99" "$non2xx" "$ratio" "$cpu" "$rss" "$repeats"
done <"$results"
if ((PACED_RATE > 0)); then
  echo
  echo "Paced, one run: $PACED_RATE req/s for ${PACED_DURATION}s after ${PACED_WARMUP}s at that rate, on a fresh database, latency from the moment each request is sent"
  echo
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' scenario 'achieved req/s' 'p50 ms' 'p90 ms' 'p99 ms' 'max ms' 'non-2xx or failed'
  printf '|---|---:|---:|---:|---:|---:|---:|\n'
  while IFS=$'\t' read -r name rate p50 p90 p99 max failed; do
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rate" "$p50" "$p90" "$p99" "$max" "$failed"
  done <"$paced_results"
fi
