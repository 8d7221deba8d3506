"""OpenStack profiles in the render: enabled services, control-plane-only globals and inventory groups, kolla
custom config, extra kolla-ansible skip tags, and the images a profile needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support import EXAMPLES

from lokictl.images.select import required_images
from lokictl.model import SiteModel
from lokictl.render import kolla_globals, profile, render_files
from lokictl.services import PROFILES, SERVICES
from lokictl.site import Site, load_site_text

pytestmark = pytest.mark.usefixtures("fast_keys")

CONTROL_PLANE_KEYS = {"nova_console", "enable_nova_ssh", "enable_openvswitch", "skip_cinder_backend_check"}


def _site(hosts: list[dict[str, Any]] | None = None, **openstack: Any) -> Site:
    data = yaml.safe_load((EXAMPLES / "aio.yml").read_text(encoding="utf-8"))
    data["openstack"].pop("services")
    data["openstack"].update(openstack)
    if hosts is not None:
        data["hosts"] = hosts
    return load_site_text(yaml.safe_dump(data))


def _model(**openstack: Any) -> SiteModel:
    return _site(**openstack).model


def _inventory(site: Site, tmp_path: Path) -> dict[str, list[str]]:
    """Return the rendered kolla inventory as ``section -> entries``."""
    files, _ = render_files(site, tmp_path / "out", dry_run=True)
    sections: dict[str, list[str]] = {}
    current = ""
    for line in files["kolla/inventory"].content.decode().splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        elif line and not line.startswith("#") and current:
            sections[current].append(line.split()[0])
    return sections


# --- enabled services -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("openstack", "services"),
    [
        ({}, ("keystone", "glance", "placement")),
        ({"profile": "core"}, ("keystone", "glance", "placement")),
        ({"profile": "scs"}, PROFILES["scs"]),
        ({"profile": "scs", "enable": {"horizon": False}}, PROFILES["scs"][:-1]),
        (
            {"profile": "core", "enable": {"heat": True, "barbican": True}},
            (*PROFILES["core"], "barbican", "heat"),
        ),
        ({"services": ["keystone", "placement", "glance"]}, ("keystone", "placement", "glance")),
        ({"profile": "custom", "services": ["keystone"], "enable": {"glance": True}}, ("keystone", "glance")),
    ],
)
def test_enabled_services(openstack: dict[str, Any], services: tuple[str, ...]) -> None:
    assert _model(**openstack).openstack.enabled_services == services


def test_profile_in_effect() -> None:
    assert _model().openstack.service_profile == "core"
    assert _model(services=["keystone"]).openstack.service_profile == "custom"
    assert _model(profile="scs").openstack.service_profile == "scs"


def test_every_profile_service_is_known_and_brings_its_dependencies() -> None:
    for name, services in PROFILES.items():
        for service in services:
            assert set(SERVICES[service].requires) <= set(services), (name, service)


def test_group_vars_list_the_enabled_services(tmp_path: Path) -> None:
    files, _ = render_files(_site(profile="scs"), tmp_path / "out", dry_run=True)
    data = yaml.safe_load(files["group_vars/all/openstack.yml"].content)
    assert data["loki_openstack_services"] == list(PROFILES["scs"])


# --- globals, inventory, custom config --------------------------------------------------------------------


def test_full_scs_site_keeps_kolla_defaults_and_every_host_group(tmp_path: Path) -> None:
    site = _site(profile="scs")
    g = kolla_globals(site.model)
    assert not CONTROL_PLANE_KEYS & set(g)
    assert all(g[f"enable_{s}"] == "yes" for s in PROFILES["scs"])
    assert g["enable_rabbitmq"] == "yes"
    inventory = _inventory(site, tmp_path)
    assert inventory["compute"] == inventory["network"] == ["aio1"]
    assert inventory["loadbalancer:children"] == ["network"]
    assert inventory["cinder-volume:children"] == ["cinder"]
    assert profile.kolla_skip_tags(site.model, "deploy") == ()


def test_control_plane_only_globals_follow_the_enabled_services() -> None:
    g = kolla_globals(_model(profile="scs", control_plane_only=True))
    assert {k: g[k] for k in CONTROL_PLANE_KEYS} == {
        "nova_console": "none",
        "enable_nova_ssh": "no",
        "enable_openvswitch": "no",
        "skip_cinder_backend_check": "yes",
    }
    core = kolla_globals(_model(profile="core", control_plane_only=True))
    assert not CONTROL_PLANE_KEYS & set(core)
    no_cinder = kolla_globals(_model(profile="scs", control_plane_only=True, enable={"cinder": False}))
    assert "skip_cinder_backend_check" not in no_cinder


def test_control_plane_only_empties_data_plane_groups_and_keeps_haproxy_on_control(tmp_path: Path) -> None:
    hosts = [
        {"name": f"ctl{i}", "address": f"10.10.0.1{i}", "roles": ["control", "network"]} for i in (1, 2, 3)
    ] + [{"name": "cmp1", "address": "10.10.0.21", "roles": ["compute", "storage"]}]
    site = _site(
        hosts, profile="scs", control_plane_only=True, load_balancer=True, internal_vip="10.10.0.250"
    )
    inventory = _inventory(site, tmp_path)
    assert inventory["control"] == ["ctl1", "ctl2", "ctl3"]
    assert inventory["compute"] == inventory["network"] == []
    assert inventory["storage"] == ["cmp1"]
    assert inventory["cinder-volume:children"] == inventory["cinder-backup:children"] == []
    assert inventory["loadbalancer:children"] == ["control"]


def test_barbican_gets_the_new_default_policies(tmp_path: Path) -> None:
    files, _ = render_files(_site(profile="scs"), tmp_path / "out", dry_run=True)
    text = files["kolla/config/barbican.conf"].content.decode()
    assert text.splitlines()[1:] == ["[oslo_policy]", "enforce_new_defaults = True"]
    core, _ = render_files(_site(), tmp_path / "out2", dry_run=True)
    assert not [p for p in core if p.startswith("kolla/config/")]


# --- skip tags --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "tags"),
    [
        ("precheck", ("nova-cell",)),
        ("prechecks", ("nova-cell",)),
        ("deploy", ("nova-libvirt-version-check", "nova-libvirt-script-check")),
        ("reconfigure", ("nova-libvirt-version-check", "nova-libvirt-script-check")),
        ("upgrade", ("nova-libvirt-version-check", "nova-libvirt-script-check")),
        ("post-deploy", ()),
        ("pull", ()),
    ],
)
def test_skip_tags_without_compute(action: str, tags: tuple[str, ...]) -> None:
    assert profile.kolla_skip_tags(_model(profile="scs", control_plane_only=True), action) == tags


def test_no_skip_tags_without_nova_or_with_compute() -> None:
    assert profile.kolla_skip_tags(_model(profile="core", control_plane_only=True), "deploy") == ()
    assert profile.kolla_skip_tags(_model(profile="scs"), "precheck") == ()


def test_skip_tags_exist_in_kolla_ansible() -> None:
    from lokictl.render.kolla import kolla_ansible_file

    root = kolla_ansible_file("ansible/site.yml").parent
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in (root / "roles" / "nova-cell" / "tasks").glob("*.yml")
    )
    for tag in profile.NO_COMPUTE_SKIP_TAGS["deploy"]:
        assert f"tags: {tag}" in text
    assert "- nova-cell" in (root / "site.yml").read_text(encoding="utf-8")


# --- images -----------------------------------------------------------------------------------------------

SCS_CONTROL_PLANE_IMAGES = [
    "barbican-api",
    "barbican-keystone-listener",
    "barbican-worker",
    "cinder-api",
    "cinder-scheduler",
    "cron",
    "glance-api",
    "horizon",
    "keystone",
    "keystone-fernet",
    "keystone-ssh",
    "kolla-toolbox",
    "mariadb-server",
    "memcached",
    "neutron-server",
    "nova-api",
    "nova-conductor",
    "nova-scheduler",
    "placement-api",
    "rabbitmq",
]


def test_scs_control_plane_needs_exactly_these_images() -> None:
    assert required_images(_model(profile="scs", control_plane_only=True)) == SCS_CONTROL_PLANE_IMAGES


def test_full_scs_adds_compute_agent_and_volume_images() -> None:
    images = set(required_images(_model(profile="scs")))
    added = images - set(SCS_CONTROL_PLANE_IMAGES)
    assert added == {image for name in PROFILES["scs"] for image in SERVICES[name].agent_images}
    assert {
        "nova-compute",
        "nova-libvirt",
        "neutron-openvswitch-agent",
        "openvswitch-vswitchd",
        "cinder-volume",
    } <= added


def test_switching_horizon_off_drops_its_image() -> None:
    images = required_images(_model(profile="scs", control_plane_only=True, enable={"horizon": False}))
    assert set(SCS_CONTROL_PLANE_IMAGES) - set(images) == {"horizon"}


@pytest.mark.parametrize("control_plane_only", [True, False])
def test_every_scs_image_builds_from_offline_sources(control_plane_only: bool) -> None:
    from lokictl.images import config, kolla
    from lokictl.services import SDIST_VERSIONS

    model = _model(profile="scs", control_plane_only=control_plane_only)
    sections = config.service_sources(model.openstack.enabled_services)
    assert set(sections.values()) <= set(SDIST_VERSIONS["2026.1"])
    upstream = kolla.upstream_sources()
    provided = set(sections) | {"openstack-base", "kolla-toolbox"}
    remote = [
        name
        for name in kolla.ancestry(required_images(model))
        if upstream.get(name, {}).get("type") in ("url", "git") and name not in provided
    ]
    assert remote == []
