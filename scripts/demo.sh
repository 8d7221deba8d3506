#!/usr/bin/env bash
# The main job on the embedded default: a local lab from the all-in-one example (one systemd container host),
# hardened and configured by the Linux layer over SSH, then the OpenStack layer (Keystone, Glance, Placement with
# MariaDB and memcached) deployed by kolla-ansible from Kolla images built offline on this machine, then verified.
# Run by `make demo` (which installs the Docker engine and the Python environment first). The first image build
# takes 20-45 minutes; later runs reuse the images. Remove the lab with: lokictl lab down --name demo
set -euo pipefail
lab=${LOKI_DEMO_LAB:-demo}
export LANG=C.UTF-8 LC_ALL=C.UTF-8

lokictl lab image build --distro bookworm
lokictl lab up --example aio --name "$lab"
lokictl validate -f "labs/$lab/site.yml"
lokictl deploy -f "labs/$lab/site.yml" --inventory "labs/$lab/inventory" --layer linux
# OpenStack: images built offline (upper-constraints from the repository: the upstream tarball needs internet),
# loaded into the lab host, then kolla-ansible prechecks, deploy and post-deploy.
lokictl images build -f "labs/$lab/site.yml" --upper-constraints tests/data/upper-constraints-2026.1.txt
lokictl deploy -f "labs/$lab/site.yml" --layer openstack
lokictl verify -f "labs/$lab/site.yml" --inventory "labs/$lab/inventory" --layer linux
lokictl openstack post-deploy -f "labs/$lab/site.yml"  # member project/user, test image
lokictl verify -f "labs/$lab/site.yml" --layer openstack
lokictl status -f "labs/$lab/site.yml"
lokictl lab status --name "$lab"
echo "demo lab '$lab' is up with OpenStack: OS_CLIENT_CONFIG_FILE=labs/$lab/clouds.yaml openstack --os-cloud kolla-admin token issue"
echo "remove it with: lokictl lab down --name $lab"
