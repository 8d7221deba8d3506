#!/usr/bin/env bash
# Prepare this machine for lokictl's lab and tests (Debian 12 / Ubuntu, as root or with sudo): install the Docker
# engine (+ iptables for its networks), debootstrap for the lab image, the tools the Makefile and Ansible use and
# Chromium (verify --horizon);
# start dockerd when it does not answer (where PID 1 is not systemd, run dockerd directly). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

# System packages: Docker engine (+ iptables for its networks), debootstrap for the lab image, the tools the
# Makefile and Ansible use, Chromium and its driver for the Horizon browser check (verify --horizon).
missing=()
for pkg in docker.io iptables debootstrap make python3-venv openssh-client chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Docker engine: start it when it does not answer (where PID 1 is not systemd, run dockerd directly).
if ! docker info >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    $sudo systemctl start docker
  else
    $sudo sh -c 'setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &'
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  if ! docker info >/dev/null 2>&1; then
    echo "dockerd did not start:" >&2
    tail -n 20 /var/log/dockerd.log >&2 || true
    exit 1
  fi
fi
