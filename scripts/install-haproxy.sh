#!/usr/bin/env bash
# The load balancer for `make prod-local` and the multi-node tests: HAProxy from Debian's packages.
# Does nothing when it is already installed; needs root (CI and these machines run as root).
set -euo pipefail
if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
  exit 0
fi
echo "--- installing HAProxy"
if [ "$(id -u)" -ne 0 ]; then
  echo "HAProxy is missing: run 'sudo apt-get install -y haproxy' (or this script as root)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
# Debian's package starts a system-wide haproxy on :80 through its init script; we run our own.
if command -v service >/dev/null 2>&1; then service haproxy stop >/dev/null 2>&1 || true; fi
