"""OpenStack layer checks, run by ``lokictl verify --layer openstack`` (pytest + testinfra + openstacksdk).

Host checks (every OpenStack host, testinfra): every Kolla container runs and is healthy, and the control
hosts run the containers of the site's services. API checks (once, openstacksdk, with the admin and member
entries of the site's ``clouds.yaml``): the catalog, tokens as admin and as the member user, an image
upload/download round trip, a placement resource provider create/delete, the member listing images and
being refused admin APIs. ``lokictl verify`` names the site file in ``LOKI_VERIFY_SITE``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SITE_ENV = "LOKI_VERIFY_SITE"

#: Containers each service runs on the control hosts (services without an entry are checked generically).
CONTROL_CONTAINERS: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone", "keystone_fernet", "keystone_ssh"),
    "glance": ("glance_api",),
    "placement": ("placement_api",),
    "nova": ("nova_api", "nova_scheduler"),
    "neutron": ("neutron_server",),
    "cinder": ("cinder_api", "cinder_scheduler"),
    "barbican": ("barbican_api", "barbican_keystone_listener", "barbican_worker"),
    "horizon": ("horizon",),
}
#: Catalog service type of each service the site file can name (the ones not listed have no expectation).
CATALOG_TYPES: dict[str, str] = {
    "keystone": "identity",
    "glance": "image",
    "placement": "placement",
    "nova": "compute",
    "neutron": "network",
    "barbican": "key-manager",
    "cinder": "block-storage",
}
ROUND_TRIP_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 5
HEALTH_SETTLE = 90
"""Seconds to wait for containers whose health check is still ``starting`` (right after a deploy)."""


def _vars(host: Any) -> dict[str, Any]:
    return dict(host.ansible.get_variables())


def _containers(host: Any) -> list[dict[str, Any]]:
    ids = host.check_output("docker ps --all --quiet --no-trunc --filter label=kolla_version").split()
    if not ids:
        return []
    data: list[dict[str, Any]] = json.loads(host.check_output("docker inspect" + " %s" * len(ids), *ids))
    return data


def test_kolla_containers_healthy(host: Any) -> None:
    """Every Kolla container on the host is running, and healthy when it has a health check."""
    containers = _containers(host)
    deadline = time.monotonic() + HEALTH_SETTLE
    while time.monotonic() < deadline and any(
        ((c.get("State") or {}).get("Health") or {}).get("Status") == "starting" for c in containers
    ):
        time.sleep(5)
        containers = _containers(host)
    assert containers, "no Kolla containers on this host"
    bad = []
    for c in containers:
        state = c.get("State") or {}
        health = (state.get("Health") or {}).get("Status")
        if state.get("Status") != "running" or health not in (None, "healthy"):
            bad.append(f"{c['Name'].lstrip('/')}: {state.get('Status')}{f' ({health})' if health else ''}")
    assert not bad, "; ".join(bad)


def test_service_containers_present(host: Any) -> None:
    """A control host runs the containers of every service the site enables."""
    hostvars = _vars(host)
    if "control" not in (hostvars.get("loki_host_roles") or []):
        pytest.skip("not a control host")
    names = {c["Name"].lstrip("/") for c in _containers(host)}
    services = hostvars.get("loki_openstack_services") or []
    expected = [name for svc in services for name in CONTROL_CONTAINERS.get(svc, ())]
    missing = [name for name in expected if name not in names]
    assert not missing, f"missing containers: {', '.join(missing)}"


# ---- API checks -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Any:
    """The site named by ``LOKI_VERIFY_SITE``."""
    from lokictl.site import load_site

    path = os.environ.get(SITE_ENV)
    if not path:
        pytest.fail(f"{SITE_ENV} is not set (run the suite through lokictl verify)")
    return load_site(Path(path))


@pytest.fixture(scope="module")
def entries(site: Any) -> dict[str, dict[str, Any]]:
    """The admin and member clouds.yaml entries of the site."""
    from lokictl.openstack import clouds

    path = clouds.clouds_file(site)
    doc = clouds.read_clouds(path)
    name = site.model.site.name
    admin = clouds.admin_cloud_name(doc, name)
    member = clouds.member_cloud_name(name)
    if member not in doc["clouds"]:
        pytest.fail(f"{path}: no '{member}' entry; run lokictl openstack post-deploy -f {site.path}")
    return {"admin": clouds.cloud_entry(path, admin), "member": clouds.cloud_entry(path, member)}


def _connect(entry: dict[str, Any]) -> Iterator[Any]:
    from lokictl.openstack import clouds

    conn = clouds.connect(entry)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="module")
def admin(entries: dict[str, dict[str, Any]]) -> Iterator[Any]:
    """A connection as the admin entry."""
    yield from _connect(entries["admin"])


@pytest.fixture(scope="module")
def member(entries: dict[str, dict[str, Any]]) -> Iterator[Any]:
    """A connection as the member entry."""
    yield from _connect(entries["member"])


def test_catalog_services(admin: Any, site: Any) -> None:
    """The catalog offers identity, image and placement, and every enabled service's type."""
    from lokictl.openstack.post import catalog_types

    types = catalog_types(admin)
    wanted = {"identity", "image", "placement"} | {
        CATALOG_TYPES[s] for s in site.model.openstack.enabled_services if s in CATALOG_TYPES
    }
    assert not wanted - types, f"missing from the catalog: {', '.join(sorted(wanted - types))}"


def _endpoints(conn: Any, interface: str) -> dict[str, list[str]]:
    catalog = conn.session.auth.get_access(conn.session).service_catalog
    found = catalog.get_endpoints(interface=interface)
    return {str(kind): [str(e["url"]) for e in eps] for kind, eps in found.items()}


def _unreachable(url: str) -> str:
    """Return why a TCP connection to the URL's host and port fails ("" when it succeeds)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        return f"{url}: {exc.strerror or exc or type(exc).__name__}"
    return ""


def test_api_endpoints_reachable(admin: Any, entries: dict[str, dict[str, Any]]) -> None:
    """Every catalog endpoint of the interface the admin entry uses accepts TCP connections from here."""
    endpoints = _endpoints(admin, str(entries["admin"].get("interface") or "public"))
    assert endpoints
    bad = [f"{kind} {why}" for kind, urls in endpoints.items() for url in urls if (why := _unreachable(url))]
    assert not bad, "; ".join(bad)


def test_token_admin(admin: Any) -> None:
    """The admin entry gets a token."""
    assert admin.authorize()


def test_token_member(member: Any) -> None:
    """The member entry gets a project-scoped token with the member role and without admin."""
    assert member.authorize()
    roles = set(member.session.auth.get_access(member.session).role_names)
    assert "member" in roles
    assert "admin" not in roles


def test_member_lists_images(member: Any) -> None:
    """The member user lists images and sees the post-deploy's public test image."""
    from lokictl.openstack.plans import KEY_PROPERTY

    images = list(member.image.images())
    ours = [i for i in images if (i.properties or {}).get(KEY_PROPERTY)]
    assert ours, "the lokictl test image is not visible"


def test_member_refused_admin_api(member: Any) -> None:
    """The member user is refused an admin-only API (listing users)."""
    from openstack import exceptions

    with pytest.raises(exceptions.ForbiddenException):
        list(member.identity.users())


def test_image_round_trip(admin: Any) -> None:
    """A private raw image uploads, becomes active and downloads with the same sha256; then it is deleted."""
    payload = secrets.token_bytes(ROUND_TRIP_BYTES)
    image = admin.image.create_image(
        name=f"lokictl-verify-{secrets.token_hex(4)}", data=payload, disk_format="raw",
        container_format="bare", visibility="private", allow_duplicates=True, disable_vendor_agent=False,
        wait=True, timeout=300,
    )  # fmt: skip
    try:
        assert admin.image.get_image(image.id).status == "active"
        downloaded = admin.image.download_image(image.id)
        data = getattr(downloaded, "content", downloaded)  # a requests.Response in openstacksdk 4
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(payload).hexdigest()
    finally:
        admin.image.delete_image(image.id, ignore_missing=True)
    assert admin.image.find_image(image.id, ignore_missing=True) is None


def test_placement_resource_provider(admin: Any) -> None:
    """A placement resource provider can be created, read back and deleted."""
    for url in _endpoints(admin, str(admin.config.get_interface() or "public")).get("placement", []):
        why = _unreachable(url)
        assert not why, f"placement endpoint unreachable: {why}"
    name = f"lokictl-verify-{secrets.token_hex(4)}"
    provider = admin.placement.create_resource_provider(name=name)
    try:
        assert admin.placement.get_resource_provider(provider.id).name == name
    finally:
        admin.placement.delete_resource_provider(provider.id, ignore_missing=True)
    assert admin.placement.find_resource_provider(name, ignore_missing=True) is None
