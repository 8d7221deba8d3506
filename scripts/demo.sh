#!/usr/bin/env bash
# The main job on the embedded default: a local lab from the all-in-one example (one systemd container host),
# hardened and configured by the Linux layer over SSH, then verified. Run by `make demo` (which installs the
# Docker engine and the Python environment first). Remove the lab with: lokictl lab down --name demo
set -euo pipefail
lab=${LOKI_DEMO_LAB:-demo}
export LANG=C.UTF-8 LC_ALL=C.UTF-8

lokictl lab image build --distro bookworm
lokictl lab up --example aio --name "$lab"
lokictl validate -f "labs/$lab/site.yml"
lokictl deploy -f "labs/$lab/site.yml" --inventory "labs/$lab/inventory" --layer linux
lokictl verify -f "labs/$lab/site.yml" --inventory "labs/$lab/inventory" --layer linux
lokictl status -f "labs/$lab/site.yml"
lokictl lab status --name "$lab"
echo "demo lab '$lab' is up; remove it with: lokictl lab down --name $lab"
