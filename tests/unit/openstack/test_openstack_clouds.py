"""clouds.yaml handling and the store of generated secrets."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from lokictl.errors import RuntimeFailure
from lokictl.openstack import clouds

ADMIN = {
    "auth": {
        "auth_url": "http://10.10.0.11:5000",
        "username": "admin",
        "password": "admin-secret",
        "project_name": "admin",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    },
    "region_name": "RegionOne",
    "interface": "internal",
    "identity_api_version": 3,
    "cacert": "/etc/ca.pem",
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_admin_cloud_name() -> None:
    assert clouds.admin_cloud_name({"clouds": {"lab1": {}, "lab1-member": {}}}, "lab1") == "lab1"
    assert clouds.admin_cloud_name({"clouds": {"kolla-admin": {}, "x": {}}}, "lab1") == "kolla-admin"
    assert clouds.admin_cloud_name({"clouds": {"mine": {}, "lab1-member": {}}}, "lab1") == "mine"
    with pytest.raises(RuntimeFailure, match="no admin entry named 'lab1' \\(entries: a, b\\)"):
        clouds.admin_cloud_name({"clouds": {"a": {}, "b": {}}}, "lab1")


def test_member_entry_copies_endpoint_not_credentials() -> None:
    entry = clouds.member_entry(ADMIN, "member", "pw", "member")
    assert entry["auth"] == {
        "auth_url": "http://10.10.0.11:5000",
        "username": "member",
        "password": "pw",
        "project_name": "member",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    assert entry["region_name"] == "RegionOne" and entry["cacert"] == "/etc/ca.pem"
    assert "admin-secret" not in yaml.safe_dump(entry)


def test_write_clouds_keeps_other_entries(tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"lab1": ADMIN}}))
    path.chmod(0o644)
    doc = clouds.with_cloud(clouds.read_clouds(path), "lab1-member", {"auth": {"username": "m"}})
    assert clouds.write_clouds(path, doc)
    assert mode(path) == 0o600
    assert clouds.read_clouds(path)["clouds"] == {"lab1": ADMIN, "lab1-member": {"auth": {"username": "m"}}}
    assert not clouds.write_clouds(path, doc)  # unchanged: not rewritten
    assert [p.name for p in tmp_path.iterdir()] == ["clouds.yaml"]  # no temporary file left


def test_read_clouds_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match=r"no clouds\.yaml"):
        clouds.read_clouds(tmp_path / "clouds.yaml")
    (tmp_path / "bad.yaml").write_text("clouds: [1]\n")
    with pytest.raises(RuntimeFailure, match="no 'clouds' mapping"):
        clouds.read_clouds(tmp_path / "bad.yaml")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"clouds": {"a": {}}}))
    with pytest.raises(RuntimeFailure, match="no entry 'b' \\(entries: a\\)"):
        clouds.cloud_entry(tmp_path / "c.yaml", "b")


def test_secret_store_generates_once(tmp_path: Path) -> None:
    store = clouds.SecretStore(tmp_path / "state" / "secrets.yml")
    first, generated = store.get("user_member_password")
    assert generated and len(first) >= 40
    assert mode(store.path) == 0o600 and mode(store.path.parent) == 0o700
    again, generated = clouds.SecretStore(store.path).get("user_member_password")
    assert (again, generated) == (first, False)
    other, generated = store.get("other")
    assert generated and other != first
    assert store.get("user_member_password") == (first, False)


def test_secret_store_refuses_garbage_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yml"
    path.write_text("user_member_password: [hunter2\n")
    with pytest.raises(RuntimeFailure) as err:
        clouds.SecretStore(path).get("user_member_password")
    assert "hunter2" not in err.value.message
