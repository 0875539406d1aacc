#!/usr/bin/env bash
# Builds release binaries with version information and their checksums:
#   scripts/release.sh VERSION [OUT_DIR]
# → OUT_DIR/ocean-VERSION-{linux,darwin}-{amd64,arm64}.tar.gz and SHA256SUMS.
# Each binary prints VERSION, the commit and the build date with `ocean version`.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/release.sh VERSION [OUT_DIR]}
out=${2:-dist}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
pkg=github.com/oceanshop/ocean/internal/cli
mkdir -p "$out"
targets=${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
for t in $targets; do
	os=${t%/*} arch=${t#*/}
	name=ocean-$version-$os-$arch
	dir=$(mktemp -d)
	mkdir "$dir/$name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.BuildDate=$date" \
		-o "$dir/$name/ocean" ./cmd/ocean
	cp README.md CHANGELOG.md "$dir/$name/"
	tar -C "$dir" -czf "$out/$name.tar.gz" "$name"
	rm -rf "$dir"
	echo "built $out/$name.tar.gz"
done
(cd "$out" && sha256sum ocean-"$version"-*.tar.gz >SHA256SUMS && cat SHA256SUMS)
