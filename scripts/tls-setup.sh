#!/usr/bin/env bash
# Installs what the TLS tests need from Debian: testssl.sh (the `testssl`
# command, 3.0.8 on bookworm) for internal/tlsx's scan of Ocean in files
# mode, and libnss3-tools (certutil) for `ocean trust`'s NSS test.
set -euo pipefail
need=()
command -v testssl >/dev/null 2>&1 || need+=(testssl.sh)
command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "tls-setup: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
	exit 1
fi
echo "tls-setup: installing ${need[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}
