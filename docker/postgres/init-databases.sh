#!/bin/sh
# First start of the PostgreSQL volume: the components' database (their roles come from the database-users one-shot) and Temporal's role and databases.
# Separate roles, so the components cannot touch Temporal's persistence and Temporal cannot touch the order data.
# The password arrives from .env through the container's environment; psql's :'variable' quotes it, so any value is safe.
set -eu
: "${POSTGRES_TEMPORAL_PASSWORD:?POSTGRES_TEMPORAL_PASSWORD is required (see .env.example)}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v temporal_password="$POSTGRES_TEMPORAL_PASSWORD" <<'SQL'
CREATE DATABASE ensemble;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
