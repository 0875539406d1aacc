#!/usr/bin/env bash
# scripts/test.sh — what `make test` runs once `make setup` has installed
# everything (see the Makefile). Every phase keeps a core busy while another
# waits; what needs a quiet machine runs last:
#
#   lint       make lint (gofmt, golangci-lint, licences, govulncheck), beside
#   race       go test -race -cover of every package but the end-to-end ones, and
#   e2e        go test -cover of the end-to-end packages (internal/cli,
#              internal/mcp, internal/probe, deploy: the whole binary, browsers,
#              nginx, Prometheus; they mostly wait, on restarts and drills)
#   pages      scripts/pages.sh pages journeys (axe, screenshots, journeys in
#              Chromium), once the race run has freed its core
#   lighthouse scripts/pages.sh lighthouse, alone at the end: its timings
#              are the page's, not a busy CPU's
#   cover      scripts/cover.sh on the coverage lines of both go test runs
#
# Each phase's output is printed whole when it is done, then the drills'
# figures (drills.out), the Lighthouse table and the time of each phase.
# Against throwaway PostgreSQL, Redis and stripe-mock (scripts/services.sh),
# stopped at the end even when a phase fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

services=scripts/services.sh
out=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	$services stop >/dev/null 2>&1 || true
	rm -rf "$out"
}
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

e2e='^github.com/oceanshop/ocean/(internal/cli|internal/mcp|internal/probe|deploy)(/|$)'
all=$(go list ./...)

# -vet=off: lint's govet (tests included) runs every analyzer go test would.
# The end-to-end packages all run at once (-p): they mostly wait (on
# restarts, drills, browsers), and by default go test runs only as many
# test binaries as there are cores, which left the short ones queued
# behind internal/cli and deploy.
e2e_pkgs=$(grep -E "$e2e" <<<"$all")
bg e2e go test -count=1 -cover -vet=off -timeout 15m -p "$(wc -l <<<"$e2e_pkgs")" $e2e_pkgs
e2e_pid=$!
bg race go test -race -count=1 -cover -vet=off -timeout 15m $(grep -v -E "$e2e" <<<"$all")
race_pid=$!
bg lint make --no-print-directory lint
lint_pid=$!

status=0
race_ok=0
wait "$race_pid" || race_ok=$?

# The race run was the one keeping both cores busy; the browser checks
# (no timing in them) take its place beside the end-to-end run's tail.
# One binary for both calls of scripts/pages.sh.
export PAGES_OCEAN_BIN=$out/ocean
bg pages sh -c 'go build -o "$PAGES_OCEAN_BIN" ./cmd/ocean && exec scripts/pages.sh pages journeys'
pages_pid=$!

e2e_ok=0
wait "$e2e_pid" || e2e_ok=$?
lint_ok=0
wait "$lint_pid" || lint_ok=$?
pages_ok=0
wait "$pages_pid" || pages_ok=$?
pids=()
for p in lint race e2e pages; do ended $p; done

echo "--- lint:"
cat "$out/lint"
echo "--- go test -race (all but the end-to-end packages):"
cat "$out/race"
echo "--- go test (the end-to-end packages, beside the race run):"
cat "$out/e2e"
cat "$out/race" "$out/e2e" >test-cover.out
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
echo "make test phases (seconds from the start; the middle four overlap):"
printf '  %-11s %4ss\n' services "${took[services]}"
for p in lint race e2e pages; do
	printf '  %-11s %4ss  (from %ds to %ds)\n' "$p" "${took[$p]}" $((began[$p] - t0)) $((began[$p] - t0 + took[$p]))
done
printf '  %-11s %4ss\n' lighthouse "${took[lighthouse]}" cover "${took[cover]}"
printf '  %-11s %4ss  (load average now: %s)\n' total "$total" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

[ $lint_ok -eq 0 ] || { echo "make test: lint failed (see above)" >&2; status=1; }
[ $race_ok -eq 0 ] && [ $e2e_ok -eq 0 ] || { echo "make test: tests failed (see above)" >&2; status=1; }
[ $pages_ok -eq 0 ] || { echo "make test: the page checks failed (axe, screenshots or journeys; see above)" >&2; status=1; }
[ $lighthouse_ok -eq 0 ] || { echo "make test: Lighthouse failed (see above)" >&2; status=1; }
[ $cover_ok -eq 0 ] || status=1
exit $status
