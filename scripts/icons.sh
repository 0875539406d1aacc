#!/usr/bin/env bash
# scripts/icons.sh — vendor Heroicons (MIT) SVGs into internal/web/icons.
#
# Fetches the pinned `heroicons` npm package with `npm pack` into a temp
# dir (no node_modules in the repo), checks its integrity, and copies the
# 24/outline SVG of every name listed in internal/web/icons/icons.txt
# (one per line; blank lines and #-comments ignored) to
# internal/web/icons/NAME.svg, plus the package LICENSE. SVGs in that dir
# that are no longer listed are removed. Fails if a listed icon is missing.
set -euo pipefail

HEROICONS_VERSION=2.2.0
HEROICONS_INTEGRITY=sha512-yOwvztmNiBWqR946t+JdgZmyzEmnRMC2nxvHFC90bF1SUttwB6yJKYeme1JeEcBfobdOs827nCyiWBS2z/brog==
VARIANT=24/outline

msg() { printf 'icons: %s\n' "$*" >&2; }
die() { msg "error: $*"; exit 1; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
icons_dir=$repo_root/internal/web/icons
list=$icons_dir/icons.txt

[ -f "$list" ] || die "missing icon list $list"
command -v npm >/dev/null 2>&1 || die "npm is required (apt-get install -y npm)"
command -v tar >/dev/null 2>&1 || die "tar is required"

names=()
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%%#*}
	line=$(printf '%s' "$line" | tr -d '[:space:]')
	[ -n "$line" ] || continue
	case "$line" in
	*[!a-z0-9-]*) die "invalid icon name '$line' in $list" ;;
	esac
	names+=("$line")
done <"$list"
[ "${#names[@]}" -gt 0 ] || die "no icons listed in $list"

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

msg "fetching heroicons@$HEROICONS_VERSION"
(cd "$tmp" && npm pack --silent "heroicons@$HEROICONS_VERSION" >/dev/null) ||
	die "npm pack heroicons@$HEROICONS_VERSION failed"
tgz=$tmp/heroicons-$HEROICONS_VERSION.tgz
[ -f "$tgz" ] || die "npm pack did not produce $tgz"

got=sha512-$(openssl dgst -sha512 -binary "$tgz" 2>/dev/null | base64 -w0 2>/dev/null || true)
if [ "$got" = sha512- ] && command -v node >/dev/null 2>&1; then
	got=sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
fi
[ "$got" = "$HEROICONS_INTEGRITY" ] ||
	die "integrity mismatch for heroicons-$HEROICONS_VERSION.tgz: got $got, want $HEROICONS_INTEGRITY"

mkdir -p "$tmp/x"
tar -xzf "$tgz" -C "$tmp/x"
pkg=$tmp/x/package
[ -d "$pkg/$VARIANT" ] || die "package has no $VARIANT directory"
[ -f "$pkg/LICENSE" ] || die "package has no LICENSE file"

missing=()
for n in "${names[@]}"; do
	[ -f "$pkg/$VARIANT/$n.svg" ] || missing+=("$n")
done
[ "${#missing[@]}" -eq 0 ] || die "icons not found in heroicons@$HEROICONS_VERSION $VARIANT: ${missing[*]}"

# Remove SVGs that are no longer listed, then copy the listed ones.
for f in "$icons_dir"/*.svg; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .svg)
	keep=0
	for n in "${names[@]}"; do [ "$n" = "$b" ] && keep=1 && break; done
	[ "$keep" -eq 1 ] || { msg "removing unlisted $b.svg"; rm -f -- "$f"; }
done
for n in "${names[@]}"; do
	install -m 0644 "$pkg/$VARIANT/$n.svg" "$icons_dir/$n.svg"
done
install -m 0644 "$pkg/LICENSE" "$icons_dir/LICENSE"

msg "wrote ${#names[@]} icons ($VARIANT) and LICENSE from heroicons@$HEROICONS_VERSION to ${icons_dir#"$repo_root"/}"
