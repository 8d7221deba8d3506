"""The host firewall opens the ports the pinned kolla-ansible really uses (read from its group_vars)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lokictl.render.kolla import kolla_ansible_file

ROOT = Path(__file__).resolve().parents[2]

#: (group_vars file, variable) of every API/infrastructure port a kolla-deployed host must accept.
KOLLA_PORTS = [
    ("keystone.yml", "keystone_internal_port"),
    ("glance.yml", "glance_api_port"),
    ("placement.yml", "placement_api_port"),
    ("nova.yml", "nova_api_port"),
    ("nova.yml", "nova_metadata_port"),
    ("nova.yml", "nova_novncproxy_port"),
    ("neutron.yml", "neutron_server_port"),
    ("cinder.yml", "cinder_api_port"),
    ("barbican.yml", "barbican_api_port"),
    ("heat.yml", "heat_api_port"),
    ("heat.yml", "heat_api_cfn_port"),
    ("octavia.yml", "octavia_api_port"),
    ("designate.yml", "designate_api_port"),
    ("manila.yml", "manila_api_port"),
    ("magnum.yml", "magnum_api_port"),
    ("skyline.yml", "skyline_apiserver_port"),
    ("skyline.yml", "skyline_console_port"),
    ("database.yml", "database_port"),
    ("memcached.yml", "memcached_port"),
    ("horizon.yml", "horizon_port"),
]


def _open_ports() -> set[str]:
    path = ROOT / "roles/hardening_firewall/defaults/main.yml"
    defaults = yaml.safe_load(path.read_text(encoding="utf-8"))
    ports: set[str] = set()
    for rule in defaults["hardening_firewall_layer_ports"]["openstack"]:
        if rule["proto"] == "tcp":
            ports.update(str(p) for p in rule["ports"])
    return ports


def _kolla_value(file: str, variable: str) -> str:
    path = kolla_ansible_file(f"ansible/group_vars/all/{file}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return str(data[variable])


@pytest.mark.parametrize(("file", "variable"), KOLLA_PORTS, ids=[v for _, v in KOLLA_PORTS])
def test_firewall_opens_the_kolla_port(file: str, variable: str) -> None:
    port = _kolla_value(file, variable)
    assert port.isdigit(), f"{variable} is not a literal port in kolla-ansible ({port!r})"
    assert port in _open_ports(), f"{variable}={port} is not opened by hardening_firewall for OpenStack hosts"
