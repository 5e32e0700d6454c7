#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL (TEST_DATABASE_URL, or the local server if it answers).
# With AAP_TEST_STRICT=1 (CI), PostgreSQL missing or any skipped test is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
JOBS=${TEST_JOBS:-2}
export AAP_ENV=test
debut=$SECONDS

echo "== Tests sur SQLite"
env -u TEST_DATABASE_URL $BIN/pytest -n "$JOBS" --dist worksteal -q "$@"

url=${TEST_DATABASE_URL:-}
if [ -z "$url" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
fi
if [ -z "$url" ]; then
  if [ "${AAP_TEST_STRICT:-}" = 1 ]; then
    echo "ÉCHEC : PostgreSQL est injoignable ; en CI, les tests PostgreSQL doivent tourner." >&2
    exit 1
  fi
  echo "PostgreSQL injoignable : tests PostgreSQL non lancés (définissez TEST_DATABASE_URL)." >&2
else
  echo "== Tests sur PostgreSQL"
  TEST_DATABASE_URL=$url $BIN/pytest -n "$JOBS" --dist worksteal -q "$@"
fi
echo "Durée totale des tests : $((SECONDS - debut)) s"
