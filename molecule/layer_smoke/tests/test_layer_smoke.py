"""Verify layer_smoke: every host carries the marker written from rendered variables and reaches the others.

Expected values come from the fixture site itself, not from the inventory the play used.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

SITE = Path(os.environ["LOKICTL_MOLECULE_SITE"])
HOSTS = {h["name"]: h for h in yaml.safe_load(SITE.read_text())["hosts"]}


def _name(host) -> str:
    return host.check_output("hostname")


def test_address_is_the_site_address(host) -> None:
    name = _name(host)
    assert name in HOSTS
    assert f"inet {HOSTS[name]['address']}/24" in host.check_output("ip -4 -o addr show dev eth0")


def test_marker_matches_the_site(host) -> None:
    name = _name(host)
    marker = host.file("/etc/lokictl-smoke")
    assert marker.is_file
    assert marker.user == "root"
    assert marker.mode == 0o644
    lines = dict(line.split("=", 1) for line in marker.content_string.splitlines())
    assert lines["site"] == "layer-smoke"
    assert lines["host"] == name
    assert lines["fqdn"] == f"{name}.smoke.example"
    assert lines["roles"] == ",".join(HOSTS[name]["roles"])
    others = sorted(h["address"] for n, h in HOSTS.items() if n != name)
    assert sorted(lines["peers"].split(",")) == others


def test_other_hosts_resolve_to_their_site_addresses(host) -> None:
    name = _name(host)
    for other, data in HOSTS.items():
        if other != name:
            assert host.check_output(f"getent hosts {other}").split()[0] == data["address"]


def test_systemd_is_up(host) -> None:
    assert host.check_output("systemctl is-system-running") in ("running", "degraded")
