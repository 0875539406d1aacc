#!/usr/bin/env bash
# Installs what the release drills need (deploy/drill_test.go): Debian's
# nginx (the blue-green proxy; nginx-light is enough) and curl (used by
# deploy/bluegreen.sh); and what the monitoring tests need
# (deploy/prometheus): Prometheus and promtool (prometheus), amtool
# (prometheus-alertmanager). Run by make test; as root it installs what is
# missing, otherwise it only reports.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "ops-setup: missing ${missing[*]}: install them (apt-get install ${missing[*]}); the release drills and the monitoring tests fail without them under make test" >&2
	exit 0
fi
echo "ops-setup: installing ${missing[*]}"
apt-get update -qq
# Installing nginx or Prometheus must not start the system's services (on
# ports 80, 9090, 9093): the tests run their own, on their own ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
