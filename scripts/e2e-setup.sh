#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (never a browser
# downloaded by a test tool) and the pinned npm packages of e2e/package-lock.json (playwright-core,
# Lighthouse, axe-core, pixelmatch, pngjs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e-setup: /usr/bin/chromium is missing; install Debian's chromium package" >&2
		exit 1
	fi
	echo "e2e-setup: installing chromium"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e-setup: node and npm are missing; install Debian's nodejs and npm packages" >&2
		exit 1
	fi
	echo "e2e-setup: installing nodejs and npm"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
missing=
for m in playwright-core lighthouse @axe-core/playwright pixelmatch pngjs; do
	[ -d "e2e/node_modules/$m" ] || missing="$missing $m"
done
if [ -n "$missing" ]; then
	echo "e2e-setup: installing$missing"
	(cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -x e2e/inspector/node_modules/.bin/mcp-inspector ]; then
	# The official MCP inspector CLI (pinned in e2e/inspector/package-lock.json),
	# which internal/cli's inspector tests run against ocean mcp and /mcp.
	echo "e2e-setup: installing the MCP inspector"
	(cd e2e/inspector && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts)
fi
