# shellcheck shell=bash
# Sourced by .ci/run: starts a throwaway PostgreSQL server on a loopback port for the ledger tests and exports
# BACKFILL_TEST_PG_URL. Never fails the caller: when PostgreSQL cannot be installed or started, the variable
# stays unset and the PostgreSQL tests skip with their reason. The server is stopped when the caller exits.

backfill_pg_start() {
  local log_prefix="[ci/postgres]"
  if [ -n "${BACKFILL_TEST_PG_URL:-}" ]; then
    printf '%s using the server in BACKFILL_TEST_PG_URL\n' "$log_prefix" >&2
    return 0
  fi

  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      printf '%s installing postgresql from Debian packages\n' "$log_prefix" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) 2>&1 | tail -n 3 >&2
      bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
  fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    printf '%s PostgreSQL is not installed; its tests will be skipped\n' "$log_prefix" >&2
    return 0
  fi

  # initdb and postgres refuse to run as root: run them as the packages' postgres user then.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      printf '%s running as root and no postgres user exists; its tests will be skipped\n' "$log_prefix" >&2
      return 0
    fi
    as=(runuser -u postgres --)
  fi

  local dir port password
  dir=$(mktemp -d "${TMPDIR:-/tmp}/backfill-ci-pg.XXXXXX") || return 0
  [ "${#as[@]}" -gt 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  port=$(( 20000 + RANDOM % 20000 ))
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%s\n' "$password" > "$dir/pwfile"
  [ "${#as[@]}" -gt 0 ] && chown postgres: "$dir/pwfile"

  if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U backfill --pwfile="$dir/pwfile" --auth-local=trust \
       --auth-host=scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
    printf '%s initdb failed (see %s); PostgreSQL tests will be skipped\n' "$log_prefix" "$dir/initdb.log" >&2
    return 0
  fi
  rm -f "$dir/pwfile"

  # fsync off: a test server whose data is thrown away needs speed, not durability.
  if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
       -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
       >/dev/null 2>&1; then
    printf '%s the server did not start (see %s); PostgreSQL tests will be skipped\n' "$log_prefix" "$dir/server.log" >&2
    return 0
  fi

  BACKFILL_CI_PG_STOP="${as[*]} $bin/pg_ctl -D $dir/data -m immediate stop"
  trap 'eval "$BACKFILL_CI_PG_STOP" >/dev/null 2>&1; rm -rf "'"$dir"'"' EXIT

  if ! "${as[@]}" "$bin/createdb" -h "$dir" -p "$port" -U backfill backfill_test >/dev/null 2>&1; then
    printf '%s createdb failed; PostgreSQL tests will be skipped\n' "$log_prefix" >&2
    return 0
  fi

  export BACKFILL_TEST_PG_URL="postgres://backfill:$password@127.0.0.1:$port/backfill_test"
  printf '%s PostgreSQL %s on 127.0.0.1:%s (database backfill_test)\n' "$log_prefix" "$("$bin/postgres" --version | sed 's/.*) //')" "$port" >&2
}

backfill_pg_start
