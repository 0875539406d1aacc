#!/usr/bin/env bash
# scripts/services.sh — throwaway PostgreSQL + Redis (+ stripe-mock) for Ocean's tests.
#
#   scripts/services.sh start    start both (fresh PG cluster), write and print the env
#   scripts/services.sh stop     stop both and remove all state (safe to repeat)
#   scripts/services.sh status   report what is running (exit 0 only if all are)
#   scripts/services.sh env      print the env lines of a running set
#   scripts/services.sh install  only install what is missing (make setup)
#
# Settings (environment):
#   OCEAN_SERVICES_DIR  state dir (default: <repo>/.services)
#   OCEAN_PG_PORT       PostgreSQL port on 127.0.0.1 (default 55432)
#   OCEAN_REDIS_PORT    Redis port on 127.0.0.1 (default 56379)
#   OCEAN_STRIPE_MOCK_PORT  stripe-mock HTTP port on 127.0.0.1 (default 12111;
#                       HTTPS on the next port). A missing stripe-mock is
#                       installed with `go install` into $(go env GOPATH)/bin.
#
# The PostgreSQL cluster is disposable: fsync, synchronous_commit and
# full_page_writes are off. Its data and socket directories live in a
# mktemp dir (recorded in <state>/pgroot) outside the repository, because
# the postgres user may not be able to traverse the repository path: in
# /dev/shm when that is a tmpfs with 2 GiB free, else under /tmp. The
# tests create and drop about 150 databases of ~570 files each, and on
# disk the server spent most of that time allocating inodes: on a quiet
# machine the internal/postgres tests took 19 s on /tmp's ext4 and 11.7 s
# on tmpfs. The check for room is made at start only; a cluster that
# fills /dev/shm stops with a PANIC in its log.
#   OCEAN_PG_PARENT     where the cluster's mktemp dir goes (overrides the
#                       choice above; e.g. /tmp to measure on disk)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

state_dir=${OCEAN_SERVICES_DIR:-$repo_root/.services}
pg_port=${OCEAN_PG_PORT:-55432}
redis_port=${OCEAN_REDIS_PORT:-56379}
stripe_mock_port=${OCEAN_STRIPE_MOCK_PORT:-12111}
stripe_mock_version=v0.203.0

env_file=$state_dir/env
pgroot_file=$state_dir/pgroot
redis_pidfile=$state_dir/redis.pid
redis_logfile=$state_dir/redis.log
stripe_mock_pidfile=$state_dir/stripe-mock.pid
stripe_mock_logfile=$state_dir/stripe-mock.log

msg() { printf 'services: %s\n' "$*" >&2; }
die() { msg "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- binaries

pg_bin=""
find_pg_bin() {
	local d
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			pg_bin=$d
			return 0
		fi
	done
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		pg_bin=$(dirname "$(command -v initdb)")
		return 0
	fi
	return 1
}

have_binaries() {
	find_pg_bin &&
		command -v pg_isready >/dev/null 2>&1 &&
		command -v redis-server >/dev/null 2>&1 &&
		command -v redis-cli >/dev/null 2>&1
}

ensure_binaries() {
	have_binaries && return 0
	if ! is_root; then
		die "PostgreSQL and/or Redis binaries are missing and this is not root; install them with: sudo apt-get install -y postgresql-15 redis-server"
	fi
	command -v apt-get >/dev/null 2>&1 || die "PostgreSQL/Redis missing and apt-get is not available"
	msg "installing postgresql-15 and redis-server with apt-get"
	apt-get update >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 redis-server >&2 ||
		die "apt-get install postgresql-15 redis-server failed"
	have_binaries || die "PostgreSQL/Redis binaries still missing after apt-get install"
}

# Run a command as the postgres OS user when we are root (initdb refuses
# root), as ourselves otherwise. Runs from a directory postgres can read.
as_pg() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

# ---------------------------------------------------------------- state

pg_root() { [ -f "$pgroot_file" ] && cat "$pgroot_file" || true; }

pg_pid() {
	local root
	root=$(pg_root)
	[ -n "$root" ] && [ -f "$root/data/postmaster.pid" ] || return 0
	head -n 1 "$root/data/postmaster.pid" 2>/dev/null || true
}

redis_pid() { [ -f "$redis_pidfile" ] && cat "$redis_pidfile" 2>/dev/null || true; }
stripe_mock_pid() { [ -f "$stripe_mock_pidfile" ] && cat "$stripe_mock_pidfile" 2>/dev/null || true; }

pg_running() { pid_alive "$(pg_pid)"; }
redis_running() { pid_alive "$(redis_pid)"; }
stripe_mock_running() { pid_alive "$(stripe_mock_pid)"; }

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- stop

stop_pg() {
	local root pid i
	root=$(pg_root)
	[ -n "$root" ] || return 0
	pid=$(pg_pid)
	if pid_alive "$pid"; then
		msg "stopping PostgreSQL (pid $pid)"
		if find_pg_bin; then
			as_pg "$pg_bin/pg_ctl" stop -D "$root/data" -m fast -w -t 30 >/dev/null 2>&1 || true
		fi
		if pid_alive "$pid"; then
			kill -INT "$pid" 2>/dev/null || true
			for i in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.2; done
		fi
		if pid_alive "$pid"; then
			msg "PostgreSQL did not stop, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	# Only ever delete a directory that looks like one we created.
	case "$root" in
	*/ocean-pg.*) rm -rf -- "$root" ;;
	*) msg "not removing unexpected PostgreSQL dir '$root'" ;;
	esac
}

stop_redis() {
	local pid i
	pid=$(redis_pid)
	if pid_alive "$pid"; then
		msg "stopping Redis (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
		if pid_alive "$pid"; then
			msg "Redis did not stop, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
}

stop_stripe_mock() {
	local pid i
	pid=$(stripe_mock_pid)
	if pid_alive "$pid"; then
		msg "stopping stripe-mock (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
	fi
}

cmd_stop() {
	if [ ! -d "$state_dir" ]; then
		msg "not running"
		return 0
	fi
	stop_pg
	stop_redis
	stop_stripe_mock
	rm -rf -- "$state_dir"
	msg "stopped"
}

# ---------------------------------------------------------------- start

write_env() {
	local tmp=$env_file.tmp
	{
		printf 'export OCEAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$pg_port"
		printf 'export OCEAN_TEST_REDIS_URL=redis://127.0.0.1:%s/0\n' "$redis_port"
		printf 'export OCEAN_TEST_STRIPE_MOCK_URL=http://127.0.0.1:%s\n' "$stripe_mock_port"
	} >"$tmp"
	mv -f "$tmp" "$env_file"
}

# pg_parent: the directory the cluster's dir goes in (see the header).
pg_parent() {
	if [ -n "${OCEAN_PG_PARENT:-}" ]; then
		printf '%s\n' "$OCEAN_PG_PARENT"
		return
	fi
	local free
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
		free=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
		if [ "${free:-0}" -ge $((2 * 1024 * 1024)) ]; then
			printf '/dev/shm\n'
			return
		fi
	fi
	printf '/tmp\n'
}

start_pg() {
	local root locale_opt i
	root=$(mktemp -d "$(pg_parent)/ocean-pg.XXXXXXXX")
	printf '%s\n' "$root" >"$pgroot_file"
	mkdir -p "$root/data" "$root/sock"
	chmod 700 "$root/data"
	chmod 755 "$root"
	if is_root; then
		chown -R postgres:postgres "$root"
	fi

	if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
		locale_opt=--locale=C.UTF-8
	else
		locale_opt=--no-locale
	fi

	msg "initdb in $root/data"
	if ! as_pg "$pg_bin/initdb" -D "$root/data" --auth=trust -U postgres \
		--encoding=UTF8 "$locale_opt" >"$root/initdb.log" 2>&1; then
		cat "$root/initdb.log" >&2 || true
		die "initdb failed"
	fi

	cat >>"$root/data/postgresql.conf" <<-EOF

		# --- scripts/services.sh: throwaway test cluster ---
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 1000
	EOF

	msg "starting PostgreSQL on 127.0.0.1:$pg_port"
	if ! as_pg "$pg_bin/pg_ctl" start -D "$root/data" -w -t 60 -l "$root/postgres.log" \
		-o "-c listen_addresses=127.0.0.1 -p $pg_port -k $root/sock" >/dev/null; then
		tail -n 30 "$root/postgres.log" >&2 2>/dev/null || true
		die "PostgreSQL failed to start (log: $root/postgres.log)"
	fi

	for i in $(seq 1 100); do
		if pg_isready -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres; then
			return 0
		fi
		sleep 0.2
	done
	tail -n 30 "$root/postgres.log" >&2 2>/dev/null || true
	die "PostgreSQL did not become ready on 127.0.0.1:$pg_port"
}

start_redis() {
	local i
	msg "starting Redis on 127.0.0.1:$redis_port"
	if ! redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize yes --pidfile "$redis_pidfile" --logfile "$redis_logfile" \
		--dir "$state_dir" >&2; then
		tail -n 30 "$redis_logfile" >&2 2>/dev/null || true
		die "redis-server failed to start"
	fi
	for i in $(seq 1 100); do
		if [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null || true)" = PONG ]; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 30 "$redis_logfile" >&2 2>/dev/null || true
	die "Redis did not answer PING on 127.0.0.1:$redis_port"
}

stripe_mock_bin=""
ensure_stripe_mock() {
	local gobin
	if command -v stripe-mock >/dev/null 2>&1; then
		stripe_mock_bin=$(command -v stripe-mock)
		return 0
	fi
	command -v go >/dev/null 2>&1 || die "stripe-mock is missing and go is not on PATH to install it"
	gobin=$(go env GOBIN)
	[ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
	if [ ! -x "$gobin/stripe-mock" ]; then
		msg "installing stripe-mock $stripe_mock_version into $gobin"
		GOBIN=$gobin GOFLAGS= go install "github.com/stripe/stripe-mock@$stripe_mock_version" >&2 ||
			die "go install github.com/stripe/stripe-mock@$stripe_mock_version failed"
	fi
	stripe_mock_bin=$gobin/stripe-mock
}

start_stripe_mock() {
	local i
	msg "starting stripe-mock on 127.0.0.1:$stripe_mock_port"
	"$stripe_mock_bin" -http-addr "127.0.0.1:$stripe_mock_port" -https-addr "127.0.0.1:$((stripe_mock_port + 1))" \
		>"$stripe_mock_logfile" 2>&1 </dev/null &
	printf '%s\n' "$!" >"$stripe_mock_pidfile"
	for i in $(seq 1 100); do
		if ! stripe_mock_running; then break; fi
		if port_in_use "$stripe_mock_port"; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 30 "$stripe_mock_logfile" >&2 2>/dev/null || true
	die "stripe-mock did not start on 127.0.0.1:$stripe_mock_port"
}

cmd_start() {
	if pg_running && redis_running && stripe_mock_running && [ -f "$env_file" ]; then
		msg "already running"
		cat "$env_file"
		return 0
	fi
	if [ -d "$state_dir" ]; then
		msg "cleaning up partial/stale state in $state_dir"
		cmd_stop
	fi

	ensure_binaries
	ensure_stripe_mock

	port_in_use "$pg_port" && die "port 127.0.0.1:$pg_port is already in use (set OCEAN_PG_PORT)"
	port_in_use "$redis_port" && die "port 127.0.0.1:$redis_port is already in use (set OCEAN_REDIS_PORT)"
	port_in_use "$stripe_mock_port" && die "port 127.0.0.1:$stripe_mock_port is already in use (set OCEAN_STRIPE_MOCK_PORT)"
	port_in_use "$((stripe_mock_port + 1))" && die "port 127.0.0.1:$((stripe_mock_port + 1)) is already in use (set OCEAN_STRIPE_MOCK_PORT)"

	mkdir -p "$state_dir"
	# On any failure below, tear down what was started.
	trap 'rc=$?; if [ $rc -ne 0 ]; then msg "start failed, cleaning up"; cmd_stop || true; fi' EXIT

	start_pg
	start_redis
	start_stripe_mock
	write_env

	trap - EXIT
	msg "PostgreSQL 127.0.0.1:$pg_port (pid $(pg_pid)), Redis 127.0.0.1:$redis_port (pid $(redis_pid)), stripe-mock 127.0.0.1:$stripe_mock_port (pid $(stripe_mock_pid)); env in $env_file"
	cat "$env_file"
}

# ---------------------------------------------------------------- status/env

cmd_status() {
	local ok=0
	if pg_running; then
		echo "services: PostgreSQL running (pid $(pg_pid), data $(pg_root)/data)"
	else
		echo "services: PostgreSQL not running"
		ok=1
	fi
	if redis_running; then
		echo "services: Redis running (pid $(redis_pid))"
	else
		echo "services: Redis not running"
		ok=1
	fi
	if stripe_mock_running; then
		echo "services: stripe-mock running (pid $(stripe_mock_pid))"
	else
		echo "services: stripe-mock not running"
		ok=1
	fi
	return "$ok"
}

cmd_env() {
	[ -f "$env_file" ] || die "not started (no $env_file); run: scripts/services.sh start"
	cat "$env_file"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
install)
	ensure_binaries
	ensure_stripe_mock
	;;
*)
	echo "usage: $0 start|stop|status|env|install" >&2
	exit 2
	;;
esac
