#!/usr/bin/env bash
# Hot paths next to the machine's ceiling, measured in the same run
# (docs/performance.md), printed as ratios:
#   product list (API) and product page (HTML)  vs  a bare Go handler
#       serving the same bytes (scripts/barehandler)
#   search (uncached: a different query each time), add to cart
#   checkout, uncontended (each worker its own variant): SQLite, and on
#       PostgreSQL beside pgbench TPC-B on the same server
#   checkout of one hot variant with 16, 64 and 256 buyers
# The load comes from cmd/ocean-load's closed-loop mode (each worker its own
# keep-alive connection, no think time), the same client for Ocean and the
# bare handler. PostgreSQL when OCEAN_TEST_DATABASE_URL is set (make bench).
# Loopback only; every process it starts is stopped by PID at the end.
#   BENCH_DURATION (10s per figure)  BENCH_CONNS (64)  BENCH_PORT (18080)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-64}
PORT=${BENCH_PORT:-18080}
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD="bench admin password $$"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 20000 2>/dev/null || true

go build -o "$work/ocean" ./cmd/ocean
go build -o "$work/load" ./cmd/ocean-load
go build -o "$work/bare" ./scripts/barehandler

wait_up() { for _ in $(seq 1 600); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }
# rate KIND TARGET [WORKERS] [PATH]: ops per second, the full line to the log.
rate() {
	"$work/load" -bench "$1" -targets "$2" -workers "${3:-$CONNS}" -duration "$DURATION" -path "${4:-/}" \
		-admin-email "$ADMIN_EMAIL" -admin-password "$ADMIN_PASSWORD" -quiet >"$work/line" 2>&1 || { cat "$work/line" >&2; echo 0; return; }
	cat "$work/line" >>"$work/log"
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /\/s$/) { sub(/\/s$/, "", $i); print $i; exit } }' "$work/line"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
declare -A R

start_ocean() { # name port extra-env...
	local name=$1 port=$2; shift 2
	env "$@" OCEAN_DATA_DIR="$work/$name" OCEAN_HTTP_ADDR=127.0.0.1:$port OCEAN_HTTPS_ADDR=off OCEAN_LOG_LEVEL=warn \
		OCEAN_RATE_LIMITS=off OCEAN_SEED_DEMO=true OCEAN_ADMIN_EMAIL="$ADMIN_EMAIL" OCEAN_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
		"$work/ocean" serve >>"$work/$name.log" 2>&1 &
	pids+=($!)
	wait_up "http://127.0.0.1:$port/readyz"
}

echo "ocean-load closed loop, $CONNS workers (connections), $DURATION per figure, loopback, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_ocean sqlite "$PORT"
ocean="http://127.0.0.1:$PORT"
list="/api/v1/products?limit=24"
curl -fsS "$ocean$list" >"$work/list.json"
slug=$(grep -o '"slug":"[^"]*"' "$work/list.json" | head -1 | cut -d'"' -f4)
curl -fsS "$ocean/p/$slug" >"$work/page.html"
"$work/bare" -addr 127.0.0.1:$((PORT + 19)) -file "$work/list.json" &
pids+=($!)
"$work/bare" -addr 127.0.0.1:$((PORT + 18)) -file "$work/page.html" -type "text/html; charset=utf-8" &
pids+=($!)
wait_up "http://127.0.0.1:$((PORT + 19))/"
wait_up "http://127.0.0.1:$((PORT + 18))/"
echo "product list $(wc -c <"$work/list.json") bytes, product page /p/$slug $(wc -c <"$work/page.html") bytes"

R[bare_list]=$(rate get "http://127.0.0.1:$((PORT + 19))")
R[list]=$(rate get "$ocean" "$CONNS" "$list")
R[bare_page]=$(rate get "http://127.0.0.1:$((PORT + 18))")
R[page]=$(rate get "$ocean" "$CONNS" "/p/$slug")
R[search]=$(rate search "$ocean")
R[add]=$(rate add "$ocean")
R[checkout]=$(rate checkout "$ocean" 16)
for n in 16 64 256; do R[hot$n]=$(rate hot "$ocean" $n); done

if [ -n "${OCEAN_TEST_DATABASE_URL:-}" ]; then
	db="ocean_bench_$$"
	pgb="ocean_pgbench_$$"
	psql "$OCEAN_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
	psql "$OCEAN_TEST_DATABASE_URL" -qc "CREATE DATABASE $pgb" >/dev/null
	base=${OCEAN_TEST_DATABASE_URL%/*}
	start_ocean postgres $((PORT + 1)) OCEAN_DATABASE_URL="$base/$db?sslmode=disable"
	pg="http://127.0.0.1:$((PORT + 1))"
	# The ceiling again, right beside this figure: minutes of checkouts
	# have passed since the first one, and the host's speed drifts. The
	# bare handler serves the SQLite shop's list: say if this one differs.
	curl -fsS "$pg$list" | cmp -s - "$work/list.json" ||
		echo "note: the PostgreSQL shop's product list differs from the SQLite shop's, which the bare handler serves" >>"$work/log"
	R[bare_list_pg]=$(rate get "http://127.0.0.1:$((PORT + 19))")
	R[pg_list]=$(rate get "$pg" "$CONNS" "$list")
	R[pg_checkout]=$(rate checkout "$pg" 16)
	for n in 16 64 256; do R[pg_hot$n]=$(rate hot "$pg" $n); done
	PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
	"$PGBENCH" -q -i -s 16 "$base/$pgb?sslmode=disable" >/dev/null 2>&1
	R[pgbench]=$("$PGBENCH" -c 16 -j 2 -T "${DURATION%s}" "$base/$pgb?sslmode=disable" 2>/dev/null | awk '/^tps/ { printf "%.1f", $3; exit }')
	echo "pgbench TPC-B -s 16 -c 16 -j 2 -T ${DURATION%s}: ${R[pgbench]} tps" >>"$work/log"
	psql "$OCEAN_TEST_DATABASE_URL" -qc "DROP DATABASE $pgb" >/dev/null || true
fi

echo
echo "Each figure (ops/s, p50, p99, errors, load average at its end):"
sed 's/^/  /' "$work/log"
echo
printf '%-50s %10s %10s %8s %6s\n' "hot path" "ops/s" "ceiling/s" "ratio" "goal"
cmp() { printf '%-50s %10s %10s %8s %6s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4"; }
cmp "product list API (SQLite) / bare handler" "${R[list]}" "${R[bare_list]}" ">=0.9"
cmp "product page HTML (SQLite) / bare handler" "${R[page]}" "${R[bare_page]}" ">=0.5"
cmp "search, uncached (SQLite) / bare list handler" "${R[search]}" "${R[bare_list]}" ""
cmp "add to cart (SQLite) / bare list handler" "${R[add]}" "${R[bare_list]}" ""
cmp "checkout, 16 buyers, uncontended (SQLite) / 1500" "${R[checkout]}" 1500 ">=1"
cmp "checkout, hot variant, 64 / 16 buyers (SQLite)" "${R[hot64]}" "${R[hot16]}" ""
cmp "checkout, hot variant, 256 / 16 buyers (SQLite)" "${R[hot256]}" "${R[hot16]}" ""
if [ -n "${R[pgbench]:-}" ]; then
	cmp "product list API (PostgreSQL) / bare handler" "${R[pg_list]}" "${R[bare_list_pg]}" ">=0.9"
	cmp "checkout, 16 buyers (PostgreSQL) / pgbench TPC-B" "${R[pg_checkout]}" "${R[pgbench]}" ">=0.5"
	cmp "checkout, hot variant, 64 / 16 buyers (PG)" "${R[pg_hot64]}" "${R[pg_hot16]}" ""
	cmp "checkout, hot variant, 256 / 16 buyers (PG)" "${R[pg_hot256]}" "${R[pg_hot16]}" ""
fi
