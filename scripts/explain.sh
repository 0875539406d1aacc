#!/usr/bin/env bash
# The query budget (docs/query-budget.md): every statement each storefront
# and admin page runs on PostgreSQL, with its EXPLAIN (ANALYZE, BUFFERS)
# plan, on a database made by `ocean seed --scale N`; and search and listing
# latency over HTTP with queries that miss the catalog cache.
#
#   1. a fresh server answers the latency measurement (scripts/querybudget
#      -measure: EXPLAIN_N requests per kind, one at a time), with
#      auto_explain on without ANALYZE, so each statement's own time is
#      logged (p95 per statement) at the cost of writing a plan per statement;
#   2. auto_explain is switched on for the database (ALTER DATABASE … SET
#      session_preload_libraries, log_min_duration 0, log_analyze, buffers,
#      JSON), a fresh server is started, scripts/querybudget visits each kind
#      of page once and reads the plans back from PostgreSQL's log;
#   3. the settings are reset and the server stopped (also on failure).
#
# Needs OCEAN_DATABASE_URL: the seeded database, as a superuser (auto_explain
# is loaded per database), and PostgreSQL's log file: EXPLAIN_PGLOG, or the
# one scripts/services.sh keeps (<OCEAN_SERVICES_DIR>/pgroot/postgres.log).
#   EXPLAIN_PORT (18090)  EXPLAIN_N (200)  EXPLAIN_OUT (docs/query-budget.md)
# Loopback only; the processes it starts are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
: "${OCEAN_DATABASE_URL:?set OCEAN_DATABASE_URL to a database seeded with ocean seed --scale (as a superuser)}"
PORT=${EXPLAIN_PORT:-18090}
N=${EXPLAIN_N:-200}
OUT=${EXPLAIN_OUT:-docs/query-budget.md}
PGLOG=${EXPLAIN_PGLOG:-}
if [ -z "$PGLOG" ]; then
	state=${OCEAN_SERVICES_DIR:-$PWD/.services}
	[ -f "$state/pgroot" ] && PGLOG="$(cat "$state/pgroot")/postgres.log"
fi
[ -r "$PGLOG" ] || { echo "explain: PostgreSQL's log file not found: set EXPLAIN_PGLOG" >&2; exit 2; }

work=$(mktemp -d)
server=""
db=$(psql "$OCEAN_DATABASE_URL" -XAtqc 'SELECT current_database()')
settings="session_preload_libraries auto_explain.log_min_duration auto_explain.log_analyze auto_explain.log_buffers auto_explain.log_timing auto_explain.log_format auto_explain.log_nested_statements"
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	for s in $settings; do psql "$OCEAN_DATABASE_URL" -XAtqc "ALTER DATABASE \"$db\" RESET $s" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/ocean" ./cmd/ocean
go build -o "$work/querybudget" ./scripts/querybudget

admin=querybudget@scale.example
adminpw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
echo "$adminpw" | OCEAN_SEED_DEMO=false "$work/ocean" users create-admin --email "$admin" --name "Query budget" --password-stdin >/dev/null

start() {
	OCEAN_HTTP_ADDR=127.0.0.1:$PORT OCEAN_HTTPS_ADDR= OCEAN_DATA_DIR="$work/data" OCEAN_SEED_DEMO=false OCEAN_LOG_LEVEL=warn \
		"$work/ocean" serve >"$work/server.log" 2>&1 &
	server=$!
	for _ in $(seq 1 300); do
		curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/server.log" >&2
	echo "explain: the server did not start" >&2
	exit 1
}
stop() { kill "$server" && wait "$server" 2>/dev/null || true; server=""; }

echo "explain: measuring search and listing latency ($N requests per kind)" >&2
psql "$OCEAN_DATABASE_URL" -XAtq \
	-c "ALTER DATABASE \"$db\" SET session_preload_libraries = 'auto_explain'" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_min_duration = 0" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_analyze = off" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_nested_statements = off" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_format = 'json'"
start
"$work/querybudget" -measure -target "http://127.0.0.1:$PORT" -n "$N" -db "$OCEAN_DATABASE_URL" -log "$PGLOG" -latency "$work/latency.json"
stop

echo "explain: visiting every page with auto_explain on" >&2
psql "$OCEAN_DATABASE_URL" -XAtq \
	-c "ALTER DATABASE \"$db\" SET session_preload_libraries = 'auto_explain'" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_min_duration = 0" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_analyze = on" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_buffers = on" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_timing = on" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_nested_statements = off" \
	-c "ALTER DATABASE \"$db\" SET auto_explain.log_format = 'json'"
start
"$work/querybudget" -target "http://127.0.0.1:$PORT" -db "$OCEAN_DATABASE_URL" -log "$PGLOG" \
	-admin-email "$admin" -admin-password "$adminpw" -latency "$work/latency.json" -out "$OUT"
echo "explain: wrote $OUT" >&2
