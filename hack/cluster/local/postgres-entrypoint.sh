#!/bin/bash
# PostgreSQL 15 from Debian's packages, started the way the official postgres image starts, so the
# same manifest (cluster/postgres.yaml) runs either image: POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB and PGDATA make the database on the first start.
set -euo pipefail
: "${PGDATA:?}" "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
USER_NAME=${POSTGRES_USER:-postgres}
DB_NAME=${POSTGRES_DB:-$USER_NAME}
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  mkdir -p "$PGDATA"; chmod 700 "$PGDATA"
  initdb -D "$PGDATA" -U "$USER_NAME" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  printf "host all all all scram-sha-256\n" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
  if [[ $DB_NAME != postgres ]]; then createdb -h /var/run/postgresql -U "$USER_NAME" "$DB_NAME"; fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k /var/run/postgresql
