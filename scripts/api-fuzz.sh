#!/usr/bin/env bash
# Contract fuzzing of the host API: builds `jirasync`, serves it on 127.0.0.1 with a fresh SQLite
# database and a random admin token, installs schemathesis from PyPI into a throw-away
# virtualenv, and runs it against /api/v1/openapi.json with a bounded number of examples per
# operation. Fails when any request gets a 5xx (check `not_a_server_error`).
#
#   scripts/api-fuzz.sh                      # 30 examples per operation
#   API_FUZZ_MAX_EXAMPLES=100 scripts/api-fuzz.sh
#
# Honours CARGO_TARGET_DIR. A schemathesis already on PATH (or in $API_FUZZ_VENV) is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples="${API_FUZZ_MAX_EXAMPLES:-30}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "api-fuzz: building jirasync"
cargo build --quiet -p jirasync --bin jirasync
binary="${CARGO_TARGET_DIR:-target}/debug/jirasync"

venv="${API_FUZZ_VENV:-$work/venv}"
if [[ ! -x "$venv/bin/schemathesis" ]]; then
  echo "api-fuzz: installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4.0,<5'
fi

token="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
echo "api-fuzz: starting jirasync serve on a fresh SQLite database"
JIRASYNC_ADMIN_TOKEN="$token" "$binary" \
  --database-url "sqlite://$work/jirasync.db" \
  --listen 127.0.0.1:0 \
  --log-format json \
  --event-max-wait 1s \
  serve >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!

url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^jirasync listening on \(http:\/\/[0-9.:]*\)$/\1/p' "$work/serve.out")"
  [[ -n "$url" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/serve.log" >&2
    echo "api-fuzz: jirasync serve exited before listening" >&2
    exit 1
  fi
  sleep 0.1
done
[[ -n "$url" ]] || { echo "api-fuzz: jirasync serve did not say where it listens" >&2; exit 1; }

echo "api-fuzz: schemathesis against $url/api/v1/openapi.json ($max_examples examples per operation)"
status=0
"$venv/bin/schemathesis" run "$url/api/v1/openapi.json" \
  --checks not_a_server_error \
  --max-examples "$max_examples" \
  --header "Authorization: Bearer $token" \
  --request-timeout 10 \
  --seed 12 \
  --no-color || status=$?

if grep -q '"level":"ERROR"' "$work/serve.log"; then
  echo "api-fuzz: the service logged errors:" >&2
  grep '"level":"ERROR"' "$work/serve.log" | head -20 >&2
fi
exit "$status"
