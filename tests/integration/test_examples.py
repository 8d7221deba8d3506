"""The bundled examples validate and render; Ansible reads the output (``ansible-inventory --list`` of both
inventories) and the playbooks pass ``ansible-playbook --syntax-check`` against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import EXAMPLES, ROOT, run_cli

from lokictl import core
from lokictl.model import HOST_ROLES
from lokictl.render import kolla

pytestmark = pytest.mark.usefixtures("fast_keys")

BIN = Path(sys.executable).parent  # the venv running the tests holds ansible-core
ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "ANSIBLE_NOCOLOR": "1"}
NAMES = ["aio", "multinode", "scs"]


def run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cmd, cwd=cwd, env={**ENV, **env}, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@cache
def rendered(name: str, base: Path) -> Path:
    site = base / name / "site.yml"
    site.parent.mkdir(parents=True)
    site.write_bytes((EXAMPLES / f"{name}.yml").read_bytes())
    out = base / name / "out"
    core.render(site, out)
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples")


@pytest.fixture
def render_example(workdir: Path) -> Any:
    return lambda name: rendered(name, workdir)


def inventory(path: Path, cwd: Path) -> dict[str, Any]:
    result = run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"], cwd=cwd)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def members(inv: dict[str, Any], group: str) -> set[str]:
    """Return every host in ``group``, following children."""
    entry = inv.get(group, {})
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts |= members(inv, child)
    return hosts


def site_of(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yml").read_text(encoding="utf-8"))
    return data


def upstream_groups() -> list[str]:
    """Group names of kolla-ansible's own multinode inventory, parsed here independently of lokictl."""
    text = kolla.kolla_ansible_file("ansible/inventory/multinode").read_text(encoding="utf-8")
    return [name.removesuffix(":children") for name in re.findall(r"^\[([^\]]+)\]", text, flags=re.M)]


@pytest.mark.parametrize("name", NAMES)
def test_example_validates_and_renders_via_cli(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(["init", "--example", name]).exit_code == 0
    result = run_cli(["validate"])
    assert result.exit_code == 0 and result.stdout.startswith(f"site.yml: ok (site '{name}'")
    result = run_cli(["render"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "inventories" / name / "hosts.yml").is_file()
    assert run_cli(["render", "--check"]).exit_code == 0


@pytest.mark.parametrize("name", NAMES)
def test_ansible_reads_hosts_yml(name: str, render_example: Any) -> None:
    out = render_example(name)
    inv = inventory(out / "hosts.yml", cwd=out)
    site = site_of(name)
    hostvars = inv["_meta"]["hostvars"]
    assert set(hostvars) == {h["name"] for h in site["hosts"]}
    for role in HOST_ROLES:
        assert members(inv, role) == {h["name"] for h in site["hosts"] if role in h["roles"]}, role
    assert members(inv, "openstack_nodes") == {
        h["name"] for h in site["hosts"] if set(h["roles"]) - {"k8s_control_plane", "k8s_worker"}
    }
    for host in site["hosts"]:
        hv = hostvars[host["name"]]
        assert hv["ansible_host"] == host["address"]
        assert hv["loki_host_roles"] == host["roles"]
        assert hv["loki_host_fqdn"] == f"{host['name']}.{site['site']['domain']}"
        assert hv["loki_site_name"] == name
        assert hv["loki_networks"]["management"]["cidr"] == site["networks"]["management"]["cidr"]
        assert hv["loki_openstack_enabled"] is True
        assert hv["loki_kubernetes_enabled"] is site["kubernetes"]["enabled"]
        assert hv["loki_linux_hardening"] == site["linux"]["hardening"]
        assert hv["ansible_user"] == "root" and hv["ansible_port"] == 22
        assert all(
            not k.startswith("loki_") or k.startswith(("loki_host_", *_GROUP_VAR_PREFIXES)) for k in hv
        )


_GROUP_VAR_PREFIXES = (
    "loki_site_",
    "loki_timezone",
    "loki_ntp_",
    "loki_dns_",
    "loki_apt_",
    "loki_networks",
    "loki_linux_",
    "loki_admin_",
    "loki_openstack_",
    "loki_kubernetes_",
)


@pytest.mark.parametrize("name", NAMES)
def test_rendered_ansible_cfg_points_at_the_inventory(name: str, render_example: Any) -> None:
    out = render_example(name)
    result = run([str(BIN / "ansible-inventory"), "--list"], cwd=out)
    assert set(json.loads(result.stdout)["_meta"]["hostvars"]) == {h["name"] for h in site_of(name)["hosts"]}


@pytest.mark.parametrize("name", NAMES)
def test_kolla_inventory_parses_with_every_upstream_group(name: str, render_example: Any) -> None:
    out = render_example(name)
    inv = inventory(out / "kolla" / "inventory", cwd=out)
    site = site_of(name)
    missing = [g for g in upstream_groups() if g not in inv]
    if site["openstack"].get("control_plane_only"):
        # The data-plane groups are declared without hosts (ansible-inventory does not list empty groups).
        text = (out / "kolla" / "inventory").read_text(encoding="utf-8")
        declared = {g.removesuffix(":children") for g in re.findall(r"^\[([^\]]+)\]", text, flags=re.M)}
        assert not set(missing) - declared, f"kolla-ansible groups missing: {sorted(set(missing) - declared)}"
        assert {"compute", "network", "cinder-volume", "cinder-backup"} <= set(missing)
    else:
        assert not missing, f"groups of kolla-ansible's multinode inventory missing: {missing}"
    controls = {h["name"] for h in site["hosts"] if "control" in h["roles"]}
    computes = {h["name"] for h in site["hosts"] if "compute" in h["roles"]}
    networks = {h["name"] for h in site["hosts"] if "network" in h["roles"]}
    for group in ("keystone", "glance-api", "placement-api", "mariadb", "rabbitmq", "memcached"):
        assert members(inv, group) == controls, group
    assert members(inv, "compute") == computes
    # In control-plane-only mode the network group is empty and HAProxy/keepalived move to the control hosts.
    lb_hosts = controls if site["openstack"].get("control_plane_only") else networks
    assert members(inv, "loadbalancer") == lb_hosts
    assert members(inv, "baremetal") == {
        h["name"] for h in site["hosts"] if set(h["roles"]) & set(kolla.HOST_GROUPS)
    }
    assert members(inv, "deployment") == {"localhost"}
    hostvars = inv["_meta"]["hostvars"]
    for host in site["hosts"]:
        if set(host["roles"]) & set(kolla.HOST_GROUPS):
            assert hostvars[host["name"]]["ansible_host"] == host["address"]
            assert hostvars[host["name"]]["ansible_user"] == "root"
    assert hostvars["localhost"]["ansible_connection"] == "local"


@pytest.mark.parametrize("name", NAMES)
def test_kolla_globals_match_the_site(name: str, render_example: Any) -> None:
    out = render_example(name)
    globals_ = yaml.safe_load((out / "kolla" / "globals.yml").read_text(encoding="utf-8"))
    site = site_of(name)
    os_ = site["openstack"]
    controls = [h for h in site["hosts"] if "control" in h["roles"]]
    assert globals_["openstack_release"] == os_["release"]
    assert globals_["kolla_internal_vip_address"] == os_.get("internal_vip", controls[0]["address"])
    assert globals_["enable_haproxy"] == ("yes" if os_["load_balancer"] else "no")
    # The scs profile as the SCS issue defines it: core + nova, neutron, cinder, barbican, horizon.
    scs = ["keystone", "glance", "placement", "nova", "neutron", "cinder", "barbican", "horizon"]
    services = os_["services"] if "services" in os_ else {"scs": scs}[os_["profile"]]
    for service in ("keystone", "glance", "placement", "nova", "neutron", "cinder", "barbican", "horizon"):
        assert globals_[f"enable_{service}"] == ("yes" if service in services else "no"), service


def test_playbooks_pass_syntax_check(render_example: Any) -> None:
    playbooks = sorted((ROOT / "playbooks").glob("*.yml"))
    assert playbooks, "playbooks/ holds no playbooks"
    out = render_example("multinode")
    run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(out / "hosts.yml"), *map(str, playbooks)],
        cwd=ROOT,
        ANSIBLE_ROLES_PATH=str(ROOT / "roles"),
    )
