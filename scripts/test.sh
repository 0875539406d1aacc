#!/usr/bin/env bash
# scripts/test.sh — what `make test` runs once `make setup` has installed
# everything (see the Makefile). Every phase keeps a core busy while another
# waits; what needs a quiet machine runs last:
#
#   build      compile and link what the phases below run (a check of
#              seconds when make setup already did it: scripts/test.sh build,
#              docs/decisions/0170): the test binaries of both flavours into
#              .test-bin/, the shop's binary, lint's export data
#   lint       make lint (gofmt, golangci-lint, licences, govulncheck), beside
#   unit       the test binaries of every package but the end-to-end ones,
#              with -race -cover where the package or its test helpers run
#              goroutines or share memory (grep below), -cover elsewhere,
#              longest first, two at a time, and
#   e2e        the -cover test binaries of the end-to-end packages
#              (internal/cli, internal/mcp, internal/probe, deploy: the whole
#              binary, browsers, nginx, Prometheus; they mostly wait, on
#              restarts and drills), all at once
#   pages      scripts/pages.sh pages journeys (axe, screenshots, journeys in
#              Chromium), once the unit run, or lint and e2e both, have ended
#   lighthouse scripts/pages.sh lighthouse, alone at the end: its timings
#              are the page's, not a busy CPU's
#   cover      scripts/cover.sh on the coverage lines of both runs
#
# Each phase's output is printed whole when it is done, then the drills'
# figures (drills.out), the Lighthouse table and the time of each phase.
# Against throwaway PostgreSQL, Redis and stripe-mock (scripts/services.sh),
# stopped at the end even when a phase fails.
#
# The test binaries are run as `go test` would run them (in the package's
# directory, -test.count=1 -test.timeout=25m -test.paniconexit0) and their
# results printed as `go test` prints them (ok/FAIL lines with the
# coverage), so scripts/cover.sh reads them as before. `go test` links every
# test binary again on each run (about 150 CPU seconds here, web's race
# binary alone 15); `go test -c -o DIR` does not when the binary there is
# up to date, so after make setup only what changed is compiled and linked.
#
#   scripts/test.sh          the whole run (make test)
#   scripts/test.sh build    compile and link only, run nothing (make setup)
#   scripts/test.sh list     each package with tests and its flavour
#   scripts/test.sh run FLAVOUR...  build and run those flavours' binaries
#                            only (no lint, no services, no pages)
# (TEST_PKGS: the packages, default ./... ; for trying the script on a few)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

module=$(go list -m)
bindir=${OCEAN_TEST_BIN:-$PWD/.test-bin}
e2e='^github.com/oceanshop/ocean/(internal/cli|internal/mcp|internal/probe|deploy)(/|$)'
# What runs goroutines or shares memory: the race detector finds nothing in
# a test binary where one goroutine runs, and costs such a package 2 to 10
# times its time. A package runs under -race when its own files (code or
# tests) start goroutines or guard memory (sync, atomic, channels, timers'
# callbacks, HTTP servers), or when any package of this module linked into
# its test binary (what it imports, what its tests import, all the way
# down) starts goroutines: the store contract suites (internal/storetest)
# run concurrent checkouts from internal/sqlite's tests, and a package that
# calls internal/checkout or internal/lock may set their goroutines off.
# Only test binaries with none of that (pricing, order, inventory, ...) run
# without it. `scripts/test.sh list` prints the outcome.
spawns='go func|go [A-Za-z_][A-Za-z0-9_.]*\(|t\.Parallel\(|errgroup|AfterFunc\(|httptest\.New(Unstarted|TLS)?Server|\.Serve(TLS)?\(|ListenAndServe'
concurrent="$spawns|sync\\.|atomic\\.|chan "

# pkgs: one line per package with tests: import path, directory, flavour
# (race, unit or e2e), the batch its binary is built in (test binaries are
# named after the last element of the import path, and go test -c -o DIR
# refuses two of one name), and its test lines (the longest run first).
pkgs() {
	local list deps spawners=" " p d tests t
	# Every package of the module, listed or not: a listed one may link any.
	while IFS='|' read -r p d; do
		if grep -qE "$spawns" "$d"/*.go 2>/dev/null; then spawners+="$p "; fi
	done < <(go list -f '{{.ImportPath}}|{{.Dir}}' ./...)
	list=$(go list -f '{{.ImportPath}}|{{.Dir}}|{{len .TestGoFiles}}{{len .XTestGoFiles}}' ${TEST_PKGS:-./...})
	# The packages linked into each test binary (p.test's dependencies).
	declare -A linked
	while IFS='|' read -r p deps; do
		linked[${p%.test}]=$deps
	done < <(go list -test -f '{{if eq .Name "main"}}{{.ImportPath}}|{{join .Deps " "}}{{end}}' ${TEST_PKGS:-./...} | grep '\.test|')
	declare -A seen
	while IFS='|' read -r p d tests; do
		[ "$tests" = 00 ] && continue
		local flavour=unit base n lines
		if [[ $p =~ $e2e ]]; then
			flavour=e2e
		elif grep -qE "$concurrent" "$d"/*.go 2>/dev/null; then
			flavour=race
		else
			for t in ${linked[$p]:-}; do
				if [[ $spawners == *" $t "* ]]; then flavour=race; break; fi
			done
		fi
		base=${p##*/}
		n=${seen[$flavour/$base]:-0}
		seen[$flavour/$base]=$((n + 1))
		lines=$(cat "$d"/*_test.go | wc -l)
		echo "$p $d $flavour $n $lines"
	done <<<"$list"
}

# Under -race, the pure Go SQLite (modernc.org: C translated to Go) is
# compiled without the race detector's instrumentation: its checkptr checks
# on every pointer of the translated C and a shadow-memory access per load
# and store were most of the race run's CPU, and the race detector is here
# for this module's code, which stays instrumented with the standard
# library, pgx and go-redis. Nothing of it is inlined into instrumented code
# (database/sql calls it through interfaces); a library our code calls
# directly would be, and half-instrumented inlining reports races that are
# not there (x/crypto's Argon2id did). docs/decisions/0225.
uninstrumented=(-gcflags='modernc.org/sqlite/lib=-race=false')

# build TABLE PART...: compile and link the test binaries of a flavour (e2e,
# race, unit) into $bindir/FLAVOUR/BATCH/, the shop's binary (ocean:
# $bindir/ocean, for the page checks), or the export data golangci-lint
# loads (lint: go/packages runs go list with these flags; this compiles, it
# analyses nothing). A binary already up to date is left alone. The flags are
# the ones the runs below use, so that what make setup compiles is what make
# test runs.
build() {
	local table=$1 status=0 part n flags batch p
	shift
	for part in "$@"; do
		case $part in
		ocean) go build -o "$bindir/ocean" ./cmd/ocean || status=1; continue ;;
		lint) go list -e -json=Name -compiled=true -test=true -export=true -deps=true -pgo=off -- ./... >/dev/null || status=1; continue ;;
		race) flags=(-race -cover -vet=off "${uninstrumented[@]}") ;;
		*) flags=(-cover -vet=off) ;;
		esac
		for n in 0 1 2 3 4 5 6 7 8 9; do
			batch=$(awk -v f="$part" -v n=$n '$3 == f && $4 == n { print $1 }' "$table")
			[ -n "$batch" ] || break
			# shellcheck disable=SC2086
			go test -c "${flags[@]}" -o "$bindir/$part/$n/" $batch && continue
			# A package did not build: no binary of an older build of it
			# may run in its place. Build the batch's packages one by one
			# so that only the broken ones are missing (run1 reports them).
			status=1
			for p in $batch; do
				rm -f "$bindir/$part/$n/${p##*/}.test"
				go test -c "${flags[@]}" -o "$bindir/$part/$n/" "$p" >/dev/null 2>&1 || true
			done
		done
	done
	return $status
}

# run1 FLAVOUR BATCH PKG DIR LOG: run one test binary the way go test runs
# it and print what go test prints.
run1() {
	local flavour=$2 n=$3 p=$4 d=$5 log=$6 bin rc=0 t0 secs cov
	bin=$bindir/$flavour/$n/${p##*/}.test
	if [ ! -x "$bin" ]; then
		printf 'FAIL\t%s [build failed]\n' "$p" >"$log"
		return 1
	fi
	t0=$(date +%s%N)
	(cd "$d" && exec "$bin" -test.count=1 -test.timeout=25m -test.paniconexit0) >"$log.raw" 2>&1 || rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	if [ $rc -eq 0 ]; then
		cov=$(grep -E '^coverage: ' "$log.raw" | tail -1 || true)
		{ grep -vE '^(PASS|coverage: .*)$' "$log.raw" || true; printf 'ok  \t%s\t%ss\t%s\n' "$p" "$secs" "$cov"; } >"$log"
	else
		{ cat "$log.raw"; printf 'FAIL\t%s\t%ss\n' "$p" "$secs"; } >"$log"
	fi
	rm -f "$log.raw"
	return $rc
}

# runs TABLE FLAVOURS JOBS: the binaries of those flavours, JOBS at a time,
# the most test lines first; their output in package order.
runs() {
	local table=$1 flavours=$2 jobs=$3 dir p d f n lines rc=0 running=0
	dir=$(mktemp -d)
	while read -r p d f n lines; do
		[[ " $flavours " == *" $f "* ]] || continue
		if [ "$running" -ge "$jobs" ]; then
			wait -n || rc=1
			running=$((running - 1))
		fi
		run1 "$table" "$f" "$n" "$p" "$d" "$dir/${p//\//_}" &
		running=$((running + 1))
	done < <(sort -k5,5nr "$table")
	while [ "$running" -gt 0 ]; do
		wait -n || rc=1
		running=$((running - 1))
	done
	while read -r p d f n lines; do
		[[ " $flavours " == *" $f "* ]] && cat "$dir/${p//\//_}"
	done <"$table"
	rm -rf "$dir"
	return $rc
}

table=$(mktemp)
pkgs >"$table"
if [ "${1:-}" = list ]; then
	awk '{ print $3, $1 }' "$table"
	rm -f "$table"
	exit
fi
if [ "${1:-}" = run ]; then
	shift
	trap 'rm -f "$table"' EXIT
	build "$table" "$@"
	runs "$table" "$*" 2
	exit
fi
if [ "${1:-}" = build ]; then
	trap 'rm -f "$table"' EXIT
	build "$table" e2e race unit ocean lint
	exit
fi

out=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	$services stop >/dev/null 2>&1 || true
	rm -rf "$out" "$table"
}
services=scripts/services.sh
trap cleanup EXIT
# Background phases run in their own process groups (set -m) so that a
# failure stops each with everything it started.
set -m

t0=$SECONDS
declare -A began took
phase() { began[$1]=$SECONDS; }
done_() { took[$1]=$((SECONDS - ${began[$1]})); }
# bg NAME CMD...: start a phase in the background; its end time is kept in
# $out/NAME.end (the phases end in any order, the script waits in one).
bg() {
	local name=$1
	shift
	phase "$name"
	{
		local rc=0
		"$@" >"$out/$name" 2>&1 || rc=$?
		echo "$SECONDS" >"$out/$name.end"
		exit $rc
	} &
	pids+=("$!")
}
# ended NAME: the phase's time from its start to its end.
ended() { took[$1]=$(($(cat "$out/$1.end") - ${began[$1]})); }

phase services
$services start >"$out/services" 2>&1 || { cat "$out/services"; echo "make test: the services did not start" >&2; exit 1; }
done_ services
# shellcheck disable=SC1090,SC1091
. "${OCEAN_SERVICES_DIR:-$PWD/.services}/env"
export OCEAN_REQUIRE_SERVICES=1
export OCEAN_DRILL_REPORT=$PWD/drills.out
rm -f drills.out test-cover.out

bg lint make --no-print-directory lint
lint_pid=$!

# The end-to-end packages are built first and all run at once: they mostly
# wait (on restarts, drills, browsers), and two at a time the short ones
# queued behind internal/cli and deploy. Then the others, two at a time
# (both cores), the longest first. -vet=off: lint's govet (tests included)
# runs every analyzer go test would.
phase build
build_ok=0
build "$table" e2e || build_ok=$?
bg e2e runs "$table" e2e "$(awk '$3 == "e2e"' "$table" | wc -l)"
e2e_pid=$!
build "$table" race unit ocean || build_ok=$?
done_ build
bg unit runs "$table" "race unit" 2
unit_pid=$!

status=0
# The browser checks (no timing in them) start as soon as a core is no
# longer kept busy by Go: when the unit run ends, or when lint and the
# end-to-end run have both ended, whichever comes first (on a quiet 2-core
# machine lint and e2e end about two minutes before the unit run, which
# otherwise kept the page checks, and Lighthouse after them, waiting).
declare -A rc_of
while :; do
	ended_pid='' r=0 left=()
	for p in "$unit_pid" "$lint_pid" "$e2e_pid"; do
		[ -n "${rc_of[$p]+x}" ] || left+=("$p")
	done
	wait -n -p ended_pid "${left[@]}" || r=$?
	[ -n "$ended_pid" ] || break # nothing left to wait for
	rc_of[$ended_pid]=$r
	[ -n "${rc_of[$unit_pid]+x}" ] && break
	[ -n "${rc_of[$lint_pid]+x}" ] && [ -n "${rc_of[$e2e_pid]+x}" ] && break
done
# One binary for both calls of scripts/pages.sh (built above).
export PAGES_OCEAN_BIN=$bindir/ocean
bg pages scripts/pages.sh pages journeys
pages_pid=$!

# finish PID: the exit status of a phase, whether it ended above or ends now.
finish() {
	if [ -n "${rc_of[$1]+x}" ]; then return "${rc_of[$1]}"; fi
	wait "$1"
}
unit_ok=0
finish "$unit_pid" || unit_ok=$?
e2e_ok=0
finish "$e2e_pid" || e2e_ok=$?
lint_ok=0
finish "$lint_pid" || lint_ok=$?
pages_ok=0
wait "$pages_pid" || pages_ok=$?
pids=()
for p in lint unit e2e pages; do ended $p; done

echo "--- lint:"
cat "$out/lint"
echo "--- unit tests (all but the end-to-end packages; -race where they run goroutines):"
cat "$out/unit"
echo "--- end-to-end tests (beside the unit run):"
cat "$out/e2e"
cat "$out/unit" "$out/e2e" >test-cover.out
echo "--- page checks (axe, screenshots, journeys; beside the end of the Go tests):"
cat "$out/pages"

# Lighthouse alone, on a quiet machine, against a fresh demo shop.
lighthouse_ok=0
phase lighthouse
echo "--- Lighthouse (alone):"
scripts/pages.sh lighthouse || lighthouse_ok=$?
done_ lighthouse

echo "Drills (releases, migrations, restore):"
cat drills.out 2>/dev/null || true
echo "Lighthouse:"
cat lighthouse.out 2>/dev/null || true

phase cover
cover_ok=0
scripts/cover.sh test-cover.out || cover_ok=$?
done_ cover

total=$((SECONDS - t0))
echo
echo "make test phases (seconds from the start; lint, unit, e2e and pages overlap):"
printf '  %-11s %4ss\n' services "${took[services]}" build "${took[build]}"
for p in lint unit e2e pages; do
	printf '  %-11s %4ss  (from %ds to %ds)\n' "$p" "${took[$p]}" $((began[$p] - t0)) $((began[$p] - t0 + took[$p]))
done
printf '  %-11s %4ss\n' lighthouse "${took[lighthouse]}" cover "${took[cover]}"
printf '  %-11s %4ss  (load average now: %s)\n' total "$total" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

[ $lint_ok -eq 0 ] || { echo "make test: lint failed (see above)" >&2; status=1; }
[ $build_ok -eq 0 ] || { echo "make test: a test binary did not build (see above)" >&2; status=1; }
[ $unit_ok -eq 0 ] && [ $e2e_ok -eq 0 ] || { echo "make test: tests failed (see above)" >&2; status=1; }
[ $pages_ok -eq 0 ] || { echo "make test: the page checks failed (axe, screenshots or journeys; see above)" >&2; status=1; }
[ $lighthouse_ok -eq 0 ] || { echo "make test: Lighthouse failed (see above)" >&2; status=1; }
[ $cover_ok -eq 0 ] || status=1
exit $status
