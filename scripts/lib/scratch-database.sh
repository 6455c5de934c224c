# Sourced by the measurement scripts (compare-python.sh, inbox-drain.sh, loadtest.sh): a throw-away database
# per run, an SQLite file or a database on the PostgreSQL server JIRASYNC_TEST_DATABASE_URL names.
#
#   scratch_database BACKEND DIR NAME  sets database_url to a new, empty database: for sqlite
#                                      DIR/jirasync.db (earlier files removed); for postgres the
#                                      database NAME (dropped first if an earlier run left it),
#                                      remembered in pg_database once made; returns 1 when the
#                                      server refused
#   drop_scratch_database              drops the PostgreSQL database made last, if any; returns 1
#                                      when that failed

pg_database=""

scratch_database() {
  local backend=$1 dir=$2 name=$3
  if [[ "$backend" == sqlite ]]; then
    rm -f "$dir/jirasync.db"*
    database_url="sqlite://$dir/jirasync.db"
  else
    psql -q "$JIRASYNC_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null || return 1
    psql -q "$JIRASYNC_TEST_DATABASE_URL" -c "CREATE DATABASE $name" >/dev/null || return 1
    pg_database=$name
    database_url="${JIRASYNC_TEST_DATABASE_URL%/*}/$pg_database"
  fi
}

drop_scratch_database() {
  [[ -n "$pg_database" ]] || return 0
  psql -q "$JIRASYNC_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null || return 1
  pg_database=""
}
