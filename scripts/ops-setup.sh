#!/usr/bin/env bash
# Installs what the release drills need (deploy/drill_test.go): Debian's
# nginx (the blue-green proxy; nginx-light is enough) and curl (used by
# deploy/bluegreen.sh). Run by make test; as root it installs what is
# missing, otherwise it only reports.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "ops-setup: missing ${missing[*]}: install them (apt-get install ${missing[*]}); the release drills fail without them under make test" >&2
	exit 0
fi
echo "ops-setup: installing ${missing[*]}"
apt-get update -qq
# Installing nginx must not start the system's nginx on port 80: the drills
# run their own, on their own ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
