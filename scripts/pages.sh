#!/usr/bin/env bash
# The storefront's page-level checks in Debian's Chromium, against a fresh
# shop with the demo catalog (started here on free loopback ports, stopped
# by PID at the end):
#   e2e/pages.mjs       axe-core and visual regression, phone and desktop
#   e2e/lighthouse.mjs  Lighthouse (mobile) on every kind of page, with a
#                       floor; the table goes to lighthouse.out
#   e2e/journeys.mjs    journeys on a phone and a desktop: no results, a
#                       discount code and quantities, sign up, buy, order
#                       history, shipped and refunded by the owner, data
#                       export, account deletion
#   e2e/backoffice.mjs  the owner creates and publishes a product; a guest buys it; a refund restocks it; a CSV import shows its progress
# Usage: scripts/pages.sh [pages|lighthouse|journeys|baselines]...
# (default: pages lighthouse journeys, in that order: the journeys change the shop)
# `baselines` rewrites e2e/baselines/*.png (make baselines); commit them.
# scripts/e2e-setup.sh installs Chromium and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(pages lighthouse journeys)
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# PAGES_OCEAN_BIN: a binary already built from this tree (make test builds
# one for its two calls); otherwise build it here.
bin=${PAGES_OCEAN_BIN:-}
if [ -z "$bin" ]; then
	bin=$work/ocean
	go build -o "$bin" ./cmd/ocean
fi
admin=owner@example.com password="owner passphrase for page checks"
# Every page check and journey comes from one loopback address, where a
# real shop sees shoppers and an owner from many: the API's per-address
# quotas for the API (100 a minute) and sign-in (10 a minute) are raised so
# that the back-office journeys' admin API reads and the journeys' dozen
# sign-ins are not refused halfway (CI saw both: a 429, and a sign-in that
# stayed on its page). Checkout and password resets keep their limits; the
# limits themselves are tested in internal/ratelimit, internal/api and
# internal/web.
OCEAN_RATE_LIMIT_API=1000/min OCEAN_RATE_LIMIT_SIGNIN=100/min \
OCEAN_DATA_DIR="$work/data" OCEAN_HTTP_ADDR=127.0.0.1:0 OCEAN_HTTPS_ADDR=127.0.0.1:0 OCEAN_SEED_DEMO=true \
	OCEAN_ADMIN_EMAIL=$admin OCEAN_ADMIN_PASSWORD=$password \
	"$bin" >"$work/log" 2>&1 &
pid=$!
base=
for _ in $(seq 1 600); do
	base=$(sed -n 's/.*msg=listening url=\(https:[^ ]*\).*/\1/p' "$work/log" | head -1)
	[ -n "$base" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; echo "pages: the shop did not start" >&2; exit 1; }
	sleep 0.1
done
[ -n "$base" ] || { cat "$work/log" >&2; echo "pages: the shop did not start within a minute" >&2; exit 1; }

status=0
for step in "${steps[@]}"; do
	case $step in
	pages) (cd e2e && node pages.mjs "$base" "$admin" "$password") || status=1 ;;
	baselines) (cd e2e && UPDATE_BASELINES=1 node pages.mjs "$base" "$admin" "$password") || status=1 ;;
	journeys) (cd e2e && node journeys.mjs "$base" "$admin" "$password") || status=1; (cd e2e && node backoffice.mjs "$base" "$admin" "$password") || status=1 ;;
	lighthouse) (cd e2e && node lighthouse.mjs "$base" "$admin" "$password" "$PWD/../lighthouse.out") || status=1 ;;
	*) echo "pages: unknown step $step" >&2; exit 2 ;;
	esac
done
exit $status
