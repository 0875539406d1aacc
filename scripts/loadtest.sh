#!/usr/bin/env bash
# Load test (make loadtest; docs/performance.md): LOAD_SESSIONS shopper
# sessions (cmd/ocean-load) against
#   embedded  one instance on its SQLite file (the default install), and
#   fleet     three instances over PostgreSQL and Redis (OCEAN_TEST_DATABASE_URL
#             and OCEAN_TEST_REDIS_URL, from scripts/services.sh), the
#             generator round-robining the sessions over them,
# each with a ramp and LOAD_STEADY of steady state. Afterwards: `ocean
# inventory verify` (no unit oversold or lost), the catalog cache's hit
# ratio from /metrics, the server's CPU and descriptors as sampled during
# the run, and a 30 s CPU profile (plus mutex and block profiles) taken in
# the steady phase, whose top lines name what the CPU went to.
# Loopback only; every process it starts is stopped by its PID.
#
#   LOAD_SESSIONS (10000)  LOAD_RAMP (60s)  LOAD_STEADY (2m)  LOAD_THINK (5s)
#   LOAD_MODE (steady; or spike, endurance)  LOAD_SCENARIOS ("embedded fleet")
#   LOAD_PORT (18180: instances on LOAD_PORT.., pprof on LOAD_PORT+50..)
#   LOAD_MAX_CONNS (24: each fleet instance's PostgreSQL pool; a small pool
#   shows a 10,000-session run's queueing with a few hundred sessions)
#   LOAD_OUT (loadtest.out: reports, JSON, profiles)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
SESSIONS=${LOAD_SESSIONS:-10000}
RAMP=${LOAD_RAMP:-60s}
STEADY=${LOAD_STEADY:-2m}
THINK=${LOAD_THINK:-5s}
MODE=${LOAD_MODE:-steady}
SCENARIOS=${LOAD_SCENARIOS:-embedded fleet}
PORT=${LOAD_PORT:-18180}
OUT=${LOAD_OUT:-$PWD/loadtest.out}
ADMIN_EMAIL=load-admin@example.com
ADMIN_PASSWORD="load admin password $$"
METRICS_TOKEN="loadtest-metrics-token-$$-0123456789"
mkdir -p "$OUT"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
# Each session holds a keep-alive connection: a descriptor in the generator
# and one in the server. 20000 is this machine's hard limit.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

go build -o "$work/ocean" ./cmd/ocean
go build -o "$work/ocean-load" ./cmd/ocean-load
# Seconds of a Go duration like 90s, 2m or 1m30s.
secs() { local d=$1 s=0; [[ $d =~ ([0-9]+)m ]] && s=$((s + ${BASH_REMATCH[1]} * 60)); [[ $d =~ ([0-9]+)s ]] && s=$((s + ${BASH_REMATCH[1]})); echo $s; }

wait_up() { for _ in $(seq 1 600); do curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "loadtest: $1 did not come up" >&2; exit 1; }

start() { # name index extra-env... ; prints nothing, appends to pids
	local name=$1 i=$2; shift 2
	env "$@" OCEAN_DATA_DIR="$work/$name" OCEAN_HTTP_ADDR=127.0.0.1:$((PORT + i)) OCEAN_HTTPS_ADDR=off \
		OCEAN_LOG_LEVEL=warn OCEAN_RATE_LIMITS=off OCEAN_SHUTDOWN_DELAY=0s OCEAN_METRICS_TOKEN="$METRICS_TOKEN" \
		OCEAN_ADMIN_EMAIL="$ADMIN_EMAIL" OCEAN_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
		OCEAN_DEBUG_ADDR=127.0.0.1:$((PORT + 50 + i)) "$work/ocean" serve >>"$OUT/$name-server.log" 2>&1 &
	pids+=($!)
	echo $! >"$work/$name-$i.pid"
	wait_up "http://127.0.0.1:$((PORT + i))"
}

# sample PIDFILE... : every 5 s, each server's CPU share (of one core) and
# open descriptors, until the sampler is stopped.
sample() {
	local tick; tick=$(getconf CLK_TCK)
	declare -A last
	while sleep 5; do
		local line
		line="$(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
		for f in "$@"; do
			local p; p=$(cat "$f")
			[ -r "/proc/$p/stat" ] || continue
			local t; t=$(awk '{print $14+$15}' "/proc/$p/stat")
			local fds; fds=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
			local cpu=0
			[ -n "${last[$p]:-}" ] && cpu=$(( (t - last[$p]) * 100 / tick / 5 ))
			last[$p]=$t
			line+="  pid $p cpu ${cpu}% fds $fds"
		done
		if [ -n "${PGURL:-}" ]; then
			line+="  pg conns $(psql "$PGURL" -tAc 'SELECT count(*) FROM pg_stat_activity' 2>/dev/null || echo ?)"
			# What the shop's busy connections wait for (Lock:transactionid
			# is a row lock another transaction holds; Client:ClientRead an
			# open transaction waiting for its instance), and the statement
			# most of the lock waiters are stuck on.
			line+="  pg waits $(psql "$PGURL" -tAc "SELECT coalesce(string_agg(w || '=' || n, ','), 'none') FROM (SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu') AS w, count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle' GROUP BY 1 ORDER BY 2 DESC) t" 2>/dev/null || echo ?)"
			line+="  pg lock waiters on: $(psql "$PGURL" -tAc "SELECT coalesce((SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 60) || ' x' || count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' GROUP BY query ORDER BY count(*) DESC LIMIT 1), 'none')" 2>/dev/null || echo ?)"
		fi
		echo "$line"
	done
}

# cache_ratio FILE: lookups the catalog cache answered (either tier) of
# all lookups. Every lookup asks the in-process tier first, so the lookups
# are its hits and misses; a miss there that Redis answers is a shared hit
# (counted once in the answered, not again in the lookups). Then the
# shared tier's own figures: how many of the in-process misses Redis
# answered.
cache_ratio() {
	awk '
		/^ocean_catalog_cache_hits_total.*tier="local"/ { lh += $NF }
		/^ocean_catalog_cache_hits_total.*tier="shared"/ { sh += $NF }
		/^ocean_catalog_cache_misses_total.*tier="local"/ { lm += $NF }
		/^ocean_catalog_cache_misses_total.*tier="shared"/ { sm += $NF }
		END {
			if (lh + lm == 0) { print "no lookups"; exit }
			printf "%.1f%% (%d answered of %d lookups: %d in process", 100 * (lh + sh) / (lh + lm), lh + sh, lh + lm, lh
			if (sh + sm > 0) printf ", %d by Redis, which missed %d", sh, sm
			print ")"
		}' "$1"
}

# cache_keyspaces FILE: the same per keyspace and tier.
cache_keyspaces() {
	awk '
		/^ocean_catalog_cache_(hits|misses)_total/ {
			ks = $0; sub(/.*keyspace="/, "", ks); sub(/".*/, "", ks)
			tier = $0; sub(/.*tier="/, "", tier); sub(/".*/, "", tier)
			kind = ($0 ~ /hits_total/) ? "hits" : "misses"
			n[ks " " tier " " kind] += $NF; seen[ks] = 1
		}
		END {
			for (ks in seen) printf "  %-9s in process %d hits, %d misses; Redis %d hits, %d misses\n", ks,
				n[ks " local hits"], n[ks " local misses"], n[ks " shared hits"], n[ks " shared misses"]
		}' "$1" | sort
}

scenario() { # name target-count extra-env...
	local name=$1 n=$2; shift 2
	echo "=== $name: $n instance(s), $SESSIONS sessions, $MODE, ramp $RAMP, steady $STEADY, think $THINK (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	: >"$OUT/$name-server.log"
	local targets=() pidfiles=()
	for i in $(seq 0 $((n - 1))); do
		start "$name" "$i" "$@"
		targets+=("http://127.0.0.1:$((PORT + i))")
		pidfiles+=("$work/$name-$i.pid")
	done
	sample "${pidfiles[@]}" >"$OUT/$name-resources.txt" 2>&1 &
	local sampler=$!
	pids+=($sampler)
	local rc=0
	"$work/ocean-load" -targets "$(IFS=,; echo "${targets[*]}")" -sessions "$SESSIONS" -mode "$MODE" -ramp "$RAMP" -steady "$STEADY" \
		-think "$THINK" -admin-email "$ADMIN_EMAIL" -admin-password "$ADMIN_PASSWORD" -json "$OUT/$name.json" \
		-profile "http://127.0.0.1:$((PORT + 50))" -profile-prefix "$OUT/$name" \
		>"$OUT/$name.txt" 2> >(tee "$OUT/$name-progress.txt" >&2) || rc=$?
	kill "$sampler" 2>/dev/null || true
	cat "$OUT/$name.txt"
	# One scrape of every instance, read by both summaries.
	for u in "${targets[@]}"; do curl -fsS -H "Authorization: Bearer $METRICS_TOKEN" "$u/metrics"; done >"$OUT/$name-metrics.txt" || true
	echo "cache hit ratio (catalog, from /metrics): $(cache_ratio "$OUT/$name-metrics.txt")"
	cache_keyspaces "$OUT/$name-metrics.txt"
	echo "server resources (5 s samples; cpu is % of one core, $(nproc) cores): $(awk '
		{ for (i = 1; i <= NF; i++) { if ($i == "cpu") { c = $(i+1) + 0; if (c > cmax) cmax = c }; if ($i == "fds") { f = $(i+1) + 0; if (f > fmax) fmax = f } } }
		END { printf "max cpu %d%%, max fds %d", cmax, fmax }' "$OUT/$name-resources.txt"); all samples in $OUT/$name-resources.txt"
	if [ -s "$OUT/$name-profile.pprof" ]; then
		echo "CPU profile of instance 0 in the $MODE phase (go tool pprof $OUT/$name-profile.pprof), top by own time:"
		go tool pprof -top -nodecount=20 "$work/ocean" "$OUT/$name-profile.pprof" 2>/dev/null | sed -n '1,26p' | sed 's/^/  /'
	fi
	for f in "${pidfiles[@]}"; do kill "$(cat "$f")" 2>/dev/null || true; done
	for f in "${pidfiles[@]}"; do while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.1; done; done
	env "$@" OCEAN_DATA_DIR="$work/$name" "$work/ocean" inventory verify || failed+=("$name: inventory verify")
	echo "ocean-load exit $rc (0: goal met, 3: goal not met)"
	echo
}

failed=()
echo "ocean load test: $(nproc) cores, fd limit $(ulimit -n), load average $(cut -d' ' -f1-3 /proc/loadavg); reports in $OUT"
for s in $SCENARIOS; do
	case $s in
	embedded) scenario embedded 1 OCEAN_SEED_DEMO=true ;;
	fleet)
		if [ -z "${OCEAN_TEST_DATABASE_URL:-}" ] || [ -z "${OCEAN_TEST_REDIS_URL:-}" ]; then
			echo "fleet: skipped (no OCEAN_TEST_DATABASE_URL / OCEAN_TEST_REDIS_URL: run through make loadtest)"
			continue
		fi
		db="ocean_load_$$"
		psql "$OCEAN_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
		PGURL="${OCEAN_TEST_DATABASE_URL%/*}/$db?sslmode=disable"
		export PGURL
		# One shop: the instances share their keys (serve refuses otherwise).
		keys=()
		while IFS= read -r kv; do keys+=("$kv"); done < <("$work/ocean" keys generate | grep '^OCEAN_')
		# Three instances x 24 connections stay well under the server's
		# max_connections (scripts/services.sh: 1000).
		scenario fleet 3 OCEAN_SEED_DEMO=true OCEAN_DATABASE_URL="$PGURL" OCEAN_REDIS_URL="$OCEAN_TEST_REDIS_URL" OCEAN_DATABASE_MAX_CONNS="${LOAD_MAX_CONNS:-24}" "${keys[@]}"
		unset PGURL
		psql "$OCEAN_TEST_DATABASE_URL" -qc "DROP DATABASE $db" >/dev/null || true
		;;
	*) echo "loadtest: unknown scenario $s (embedded, fleet)" >&2; exit 2 ;;
	esac
done
if [ ${#failed[@]} -gt 0 ]; then printf 'loadtest: FAILED %s\n' "${failed[@]}" >&2; exit 1; fi
