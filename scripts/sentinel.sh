#!/usr/bin/env bash
# scripts/sentinel.sh — a throwaway Redis Sentinel topology on loopback for
# Ocean's failover test: one primary, one replica, three Sentinels
# (quorum 2) watching the primary as "mymaster".
#
#   scripts/sentinel.sh start    start all five, wait until the Sentinels see
#                                each other and the replica, write and print the env
#   scripts/sentinel.sh stop     stop all five by PID and remove the state (safe to repeat)
#   scripts/sentinel.sh status   report what is running and who is primary
#                                (exit 0 only if all five run)
#   scripts/sentinel.sh env      print the env lines of a running topology
#
# Settings (environment):
#   OCEAN_SENTINEL_DIR            state dir: configs, pid files, logs, env
#                                 (default: <repo>/.sentinel)
#   OCEAN_SENTINEL_PRIMARY_PORT   the primary's port on 127.0.0.1 (default 56480)
#   OCEAN_SENTINEL_REPLICA_PORT   the replica's port (default 56481)
#   OCEAN_SENTINEL_PORTS          the three Sentinels' ports, comma separated
#                                 (default 56482,56483,56484)
#   OCEAN_SENTINEL_MASTER         the master name (default mymaster)
#   OCEAN_SENTINEL_DOWN_AFTER_MS  down-after-milliseconds (default 1000)
#   OCEAN_SENTINEL_FAILOVER_TIMEOUT_MS  failover-timeout (default 5000)
#
# The defaults stay clear of scripts/services.sh (55432, 56379, 12111/12112).
# Nothing is persisted (--save '' --appendonly no); replication is the
# asynchronous kind Redis always does. The env written to <state>/env:
#
#   OCEAN_TEST_SENTINEL_URL=redis-sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/mymaster
#   OCEAN_TEST_SENTINEL_MASTER, OCEAN_TEST_SENTINEL_PORTS,
#   OCEAN_TEST_SENTINEL_PRIMARY_PORT, OCEAN_TEST_SENTINEL_PRIMARY_PID,
#   OCEAN_TEST_SENTINEL_REPLICA_PORT, OCEAN_TEST_SENTINEL_REPLICA_PID
#
# Needs redis-server and redis-cli (Debian: apt-get install redis-server;
# scripts/services.sh installs it when missing and running as root). Works
# as root: the servers run as the invoking user, in the state dir.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

state_dir=${OCEAN_SENTINEL_DIR:-$repo_root/.sentinel}
primary_port=${OCEAN_SENTINEL_PRIMARY_PORT:-56480}
replica_port=${OCEAN_SENTINEL_REPLICA_PORT:-56481}
sentinel_ports_csv=${OCEAN_SENTINEL_PORTS:-56482,56483,56484}
master=${OCEAN_SENTINEL_MASTER:-mymaster}
down_after_ms=${OCEAN_SENTINEL_DOWN_AFTER_MS:-1000}
failover_timeout_ms=${OCEAN_SENTINEL_FAILOVER_TIMEOUT_MS:-5000}

IFS=, read -r -a sentinel_ports <<<"$sentinel_ports_csv"
env_file=$state_dir/env
marker=$state_dir/.ocean-sentinel # only a dir holding this is ever deleted

msg() { printf 'sentinel: %s\n' "$*" >&2; }
die() { msg "error: $*"; exit 1; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }

# The processes, by name: primary, replica, sentinel-1 … sentinel-3.
names() { printf '%s\n' primary replica; for i in "${!sentinel_ports[@]}"; do printf 'sentinel-%d\n' "$((i + 1))"; done; }
pidfile() { printf '%s/%s.pid' "$state_dir" "$1"; }
pid_of() { [ -f "$(pidfile "$1")" ] && cat "$(pidfile "$1")" 2>/dev/null || true; }

validate() {
	local p
	[ "${#sentinel_ports[@]}" -eq 3 ] || die "OCEAN_SENTINEL_PORTS must name three ports, got '$sentinel_ports_csv'"
	for p in "$primary_port" "$replica_port" "${sentinel_ports[@]}"; do
		case $p in '' | *[!0-9]*) die "bad port '$p'" ;; esac
	done
	case $master in '' | *[!A-Za-z0-9._-]*) die "OCEAN_SENTINEL_MASTER must be letters, digits, . _ -" ;; esac
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
		die "redis-server/redis-cli missing: apt-get install -y redis-server (scripts/services.sh start installs it as root)"
}

# ---------------------------------------------------------------- stop

stop_one() {
	local name=$1 pid i
	pid=$(pid_of "$name")
	pid_alive "$pid" || return 0
	msg "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do pid_alive "$pid" || return 0; sleep 0.1; done
	msg "$name did not stop, sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
	local n
	if [ ! -d "$state_dir" ]; then
		msg "not running"
		return 0
	fi
	# Sentinels first, so they do not start a failover while the servers stop.
	for n in $(names | tac); do stop_one "$n"; done
	if [ -f "$marker" ]; then
		rm -rf -- "$state_dir"
	else
		msg "not removing $state_dir: it was not made by this script"
	fi
	msg "stopped"
}

# ---------------------------------------------------------------- start

write_server_conf() { # name port [replicaof-port]
	cat >"$state_dir/$1.conf" <<-EOF
		port $2
		bind 127.0.0.1
		daemonize yes
		pidfile $(pidfile "$1")
		logfile $state_dir/$1.log
		dir $state_dir
		dbfilename $1.rdb
		save ""
		appendonly no
		repl-diskless-sync yes
		repl-diskless-sync-delay 0
	EOF
	if [ -n "${3:-}" ]; then
		printf 'replicaof 127.0.0.1 %s\n' "$3" >>"$state_dir/$1.conf"
	fi
}

write_sentinel_conf() { # name port
	# Sentinel rewrites its config file (known replicas, peers, epochs), so
	# each has its own, in the state dir.
	cat >"$state_dir/$1.conf" <<-EOF
		port $2
		bind 127.0.0.1
		daemonize yes
		pidfile $(pidfile "$1")
		logfile $state_dir/$1.log
		dir $state_dir
		sentinel monitor $master 127.0.0.1 $primary_port 2
		sentinel down-after-milliseconds $master $down_after_ms
		sentinel failover-timeout $master $failover_timeout_ms
		sentinel parallel-syncs $master 1
	EOF
}

start_server() { # name conf-args...
	local name=$1
	shift
	if ! redis-server "$@" >&2; then
		tail -n 30 "$state_dir/$name.log" >&2 2>/dev/null || true
		die "$name failed to start"
	fi
}

wait_for() { # description tries(0.1s) command...
	local what=$1 tries=$2 i
	shift 2
	for i in $(seq 1 "$tries"); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	die "$what"
}

pong() { [ "$(cli "$1" ping)" = PONG ]; }
replica_synced() { cli "$replica_port" info replication | tr -d '\r' | grep -q '^master_link_status:up$'; }
field() { # sentinel-port field: a field of SENTINEL MASTER <name>
	cli "$1" sentinel master "$master" | tr -d '\r' | awk -v f="$2" 'prev == f { print; exit } { prev = $0 }'
}
sentinels_ready() {
	local p
	for p in "${sentinel_ports[@]}"; do
		[ "$(field "$p" num-other-sentinels)" = 2 ] && [ "$(field "$p" num-slaves)" = 1 ] || return 1
		[ "$(field "$p" flags)" = master ] || return 1
	done
}

write_env() {
	local tmp=$env_file.tmp addrs="" p
	for p in "${sentinel_ports[@]}"; do addrs=${addrs:+$addrs,}127.0.0.1:$p; done
	{
		printf 'export OCEAN_TEST_SENTINEL_URL=redis-sentinel://%s/%s\n' "$addrs" "$master"
		printf 'export OCEAN_TEST_SENTINEL_MASTER=%s\n' "$master"
		printf 'export OCEAN_TEST_SENTINEL_PORTS=%s\n' "$sentinel_ports_csv"
		printf 'export OCEAN_TEST_SENTINEL_PRIMARY_PORT=%s\n' "$primary_port"
		printf 'export OCEAN_TEST_SENTINEL_PRIMARY_PID=%s\n' "$(pid_of primary)"
		printf 'export OCEAN_TEST_SENTINEL_REPLICA_PORT=%s\n' "$replica_port"
		printf 'export OCEAN_TEST_SENTINEL_REPLICA_PID=%s\n' "$(pid_of replica)"
	} >"$tmp"
	mv -f "$tmp" "$env_file"
}

all_running() {
	local n
	for n in $(names); do pid_alive "$(pid_of "$n")" || return 1; done
}

cmd_start() {
	local p i
	validate
	if [ -f "$env_file" ] && all_running; then
		msg "already running"
		cat "$env_file"
		return 0
	fi
	if [ -d "$state_dir" ]; then
		if [ -f "$marker" ]; then
			msg "cleaning up partial/stale state in $state_dir"
			cmd_stop
		elif [ -n "$(ls -A "$state_dir")" ]; then
			die "$state_dir exists, is not empty and was not made by this script (set OCEAN_SENTINEL_DIR)"
		fi
	fi
	for p in "$primary_port" "$replica_port" "${sentinel_ports[@]}"; do
		port_in_use "$p" && die "port 127.0.0.1:$p is already in use (see the OCEAN_SENTINEL_*PORT* settings)"
	done

	mkdir -p "$state_dir"
	state_dir=$(cd "$state_dir" && pwd) # Redis resolves paths after chdir: make them absolute
	env_file=$state_dir/env
	marker=$state_dir/.ocean-sentinel
	: >"$marker"
	trap 'rc=$?; if [ $rc -ne 0 ]; then msg "start failed, cleaning up"; cmd_stop || true; fi' EXIT

	msg "starting primary on 127.0.0.1:$primary_port and replica on 127.0.0.1:$replica_port"
	write_server_conf primary "$primary_port"
	write_server_conf replica "$replica_port" "$primary_port"
	start_server primary "$state_dir/primary.conf"
	wait_for "primary did not answer PING on 127.0.0.1:$primary_port" 100 pong "$primary_port"
	start_server replica "$state_dir/replica.conf"
	wait_for "replica did not answer PING on 127.0.0.1:$replica_port" 100 pong "$replica_port"
	wait_for "replica did not sync with the primary" 200 replica_synced

	msg "starting Sentinels on 127.0.0.1:$sentinel_ports_csv (quorum 2, down-after ${down_after_ms}ms)"
	for i in "${!sentinel_ports[@]}"; do
		write_sentinel_conf "sentinel-$((i + 1))" "${sentinel_ports[$i]}"
		start_server "sentinel-$((i + 1))" "$state_dir/sentinel-$((i + 1)).conf" --sentinel
	done
	for p in "${sentinel_ports[@]}"; do
		wait_for "Sentinel did not answer PING on 127.0.0.1:$p" 100 pong "$p"
	done
	# Sentinels find each other through hello messages on the primary every
	# 2 s and the replica through INFO every 10 s (1 s once asked): only
	# when every one knows both can a failover reach its quorum.
	wait_for "the Sentinels did not discover each other and the replica within 30 s" 300 sentinels_ready
	write_env

	trap - EXIT
	msg "primary 127.0.0.1:$primary_port (pid $(pid_of primary)), replica 127.0.0.1:$replica_port (pid $(pid_of replica)), Sentinels 127.0.0.1:$sentinel_ports_csv; env in $env_file"
	cat "$env_file"
}

# ---------------------------------------------------------------- status/env

cmd_status() {
	local ok=0 n pid addr p
	for n in $(names); do
		pid=$(pid_of "$n")
		if pid_alive "$pid"; then
			echo "sentinel: $n running (pid $pid)"
		else
			echo "sentinel: $n not running"
			ok=1
		fi
	done
	for p in "${sentinel_ports[@]}"; do
		addr=$(cli "$p" sentinel get-master-addr-by-name "$master" | tr -d '\r' | paste -sd: -)
		if [ -n "$addr" ]; then
			echo "sentinel: primary of $master is $addr (asked 127.0.0.1:$p)"
			break
		fi
	done
	return "$ok"
}

cmd_env() {
	[ -f "$env_file" ] || die "not started (no $env_file); run: scripts/sentinel.sh start"
	cat "$env_file"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: $0 start|stop|status|env" >&2
	exit 2
	;;
esac
