"""The scs profile's kolla inventory as Ansible reads it (``ansible-inventory --list``): control-plane-only
leaves every data-plane group of kolla-ansible empty while the control services land on the control host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import SITES

from lokictl import core

pytestmark = pytest.mark.usefixtures("fast_keys")

BIN = Path(sys.executable).parent
ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "ANSIBLE_NOCOLOR": "1"}


def _members(inv: dict[str, Any], group: str) -> set[str]:
    entry = inv.get(group, {})
    found = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        found |= _members(inv, child)
    return found


@pytest.fixture(scope="module")
def kolla_inventory(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("scs")
    site = base / "site.yml"
    site.write_bytes((SITES / "golden_scs" / "site.yml").read_bytes())
    core.render(site, base / "out")
    result = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(base / "out" / "kolla" / "inventory"), "--list"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    "group",
    [
        "compute",
        "network",
        "nova-compute",
        "nova-libvirt",
        "openvswitch",
        "neutron-dhcp-agent",
        "neutron-l3-agent",
        "neutron-metadata-agent",
        "cinder-volume",
        "cinder-backup",
    ],
)
def test_data_plane_groups_are_empty(kolla_inventory: dict[str, Any], group: str) -> None:
    assert _members(kolla_inventory, group) == set()


@pytest.mark.parametrize(
    "group",
    [
        "nova-api",
        "nova-scheduler",
        "nova-conductor",
        "neutron-server",
        "cinder-api",
        "cinder-scheduler",
        "barbican-api",
        "rabbitmq",
        "loadbalancer",
        "heat-api",
    ],
)
def test_control_services_run_on_the_control_host(kolla_inventory: dict[str, Any], group: str) -> None:
    assert _members(kolla_inventory, group) == {"scs1"}
