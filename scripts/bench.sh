#!/usr/bin/env bash
# Throughput report: wrk -t2 -c64 -d10s against Ocean's product-list API
# (cached and uncached searches, on SQLite and, when OCEAN_TEST_DATABASE_URL
# is set, PostgreSQL) next to a bare Go handler serving the same bytes.
# Loopback only; every process it starts is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "bench: wrk is not installed" >&2; exit 1; fi
fi
DURATION=${BENCH_DURATION:-10s}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/ocean" ./cmd/ocean
go build -o "$work/bare" ./scripts/barehandler

wait_up() { for _ in $(seq 1 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }
rps() { wrk -t2 -c64 -d"$DURATION" ${2:+-s "$2"} "$1" | awk '/Requests\/sec/ {print $2}'; }

# Random searches defeat the page cache: each request is a different query.
cat > "$work/uncached.lua" <<'LUA'
local words = {"cotton","linen","wool","merino","canvas","leather","waterproof","organic","stoneware","jacket","shirt","boot","mug","tent","black","navy","red"}
local sorts = {"relevance","price_asc","price_desc","newest"}
request = function()
  local q = words[math.random(#words)]
  local path = "/api/v1/products?q=" .. q .. "&sort=" .. sorts[math.random(#sorts)] .. "&max_price=" .. math.random(10000, 300000)
  return wrk.format("GET", path)
end
LUA

run_ocean() { # name, port, extra env...
	local name=$1 port=$2; shift 2
	env "$@" OCEAN_DATA_DIR="$work/$name" OCEAN_HTTP_ADDR=127.0.0.1:$port OCEAN_HTTPS_ADDR=off OCEAN_LOG_LEVEL=warn OCEAN_RATE_LIMITS=off "$work/ocean" serve &
	pids+=($!)
	wait_up "http://127.0.0.1:$port/readyz"
	local url="http://127.0.0.1:$port/api/v1/products?limit=24"
	curl -fsS "$url" >"$work/list.json"
	printf '%-34s %10s req/s\n' "ocean $name list (cached page)" "$(rps "$url")"
	printf '%-34s %10s req/s\n' "ocean $name search (uncached)" "$(rps "http://127.0.0.1:$port" "$work/uncached.lua")"
	printf '%-34s %10s req/s\n' "ocean $name product page (HTML)" "$(rps "http://127.0.0.1:$port/p/$(grep -o '"slug":"[^"]*"' "$work/list.json" | head -1 | cut -d'"' -f4)")"
}

echo "wrk -t2 -c64 -d$DURATION, loopback, $(nproc) cores"
run_ocean sqlite 18080 OCEAN_SEED_DEMO=true
if [ -n "${OCEAN_TEST_DATABASE_URL:-}" ]; then
	db="ocean_bench_$$"
	psql "$OCEAN_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
	run_ocean postgres 18081 OCEAN_SEED_DEMO=true OCEAN_DATABASE_URL="${OCEAN_TEST_DATABASE_URL%/*}/$db?sslmode=disable"
fi
"$work/bare" -addr 127.0.0.1:18099 -file "$work/list.json" &
pids+=($!)
wait_up http://127.0.0.1:18099/
printf '%-34s %10s req/s\n' "bare Go handler, same bytes" "$(rps http://127.0.0.1:18099/)"
