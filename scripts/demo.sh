#!/usr/bin/env bash
# The main job on the embedded default: a site from the all-in-one example, validated and rendered.
set -euo pipefail
work=${LOKI_DEMO_DIR:-demo}
mkdir -p "$work"
cd "$work"
lokictl init --example aio --force site.yml
lokictl validate -f site.yml
lokictl render -f site.yml
lokictl render -f site.yml --check
