#!/usr/bin/env bash
# Builds an offline Go vulnerability database for govulncheck from the
# golang.org/x/vulndb module, which the Go module proxy serves (the online
# database is not reachable from our machines).
#
#   scripts/vulndb.sh            build it for the pinned version (tools/vulndb.version)
#   scripts/vulndb.sh update     pin the newest x/vulndb, then build
#
# It prints the database's directory; use it as govulncheck -db file://DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pin=tools/vulndb.version
if [ "${1:-}" = update ]; then
	(cd tools && go list -m -json golang.org/x/vulndb@latest) | sed -n 's/.*"Version": "\(.*\)".*/\1/p' > "$pin"
fi
version=$(cat "$pin")
out=${OCEAN_VULNDB_DIR:-$(go env GOCACHE)/ocean-vulndb/$version}
if [ ! -f "$out/index/modules.json" ]; then
	json=$(cd tools && go mod download -json "golang.org/x/vulndb@$version")
	src=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$json")
	stamp=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(sed -n 's/.*"Info": "\(.*\)".*/\1/p' <<<"$json")")
	mkdir -p "$(dirname "$out")"
	(cd tools && go run ./vulndb -src "$src" -out "$out" -modified "$stamp") >&2
fi
echo "$out"
