#!/bin/sh
# One-shot (temporalio/admin-tools): creates or upgrades Temporal's schema in the temporal and temporal_visibility databases.
# setup-schema and update-schema are idempotent, so this runs on every `docker compose up` and upgrades after an image bump.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
port="${DB_PORT:-5432}"
schema_root=/etc/temporal/schema/postgresql/v12

for database in temporal temporal_visibility; do
  case "$database" in
    temporal) versioned="$schema_root/temporal/versioned" ;;
    *) versioned="$schema_root/visibility/versioned" ;;
  esac
  echo "setting up schema of $database"
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$database" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$database" update-schema -d "$versioned"
done
echo 'Temporal schema is up to date'
