"""The post-deploy's orchestration against an in-memory cloud: first run creates, reruns change nothing.

The in-memory cloud implements only the openstacksdk calls the handlers make; the live check of the same
code is `lokictl openstack post-deploy` against a lab (see docs/openstack.md).
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from keystoneauth1.exceptions import http

from lokictl import core
from lokictl.openstack import baseline, clouds, post
from lokictl.site import Site, load_site

ADMIN = {
    "auth": {
        "auth_url": "http://192.0.2.10:5000",
        "username": "admin",
        "password": "a",
        "project_name": "admin",
    }
}
_ids = itertools.count(1)


class Identity:
    def __init__(self) -> None:
        self.projects: dict[str, SimpleNamespace] = {}
        self.users: dict[str, SimpleNamespace] = {}
        self.passwords: dict[str, str] = {}
        self.assignments: set[tuple[str, str, str]] = set()

    def find_domain(self, name: str, ignore_missing: bool = True) -> Any:
        return SimpleNamespace(id="default") if name in ("Default", "default") else None

    def find_project(self, name: str, domain_id: str, ignore_missing: bool = True) -> Any:
        return self.projects.get(name)

    def create_project(self, name: str, domain_id: str, **attrs: Any) -> Any:
        self.projects[name] = SimpleNamespace(id=f"p{next(_ids)}", name=name, **attrs)
        return self.projects[name]

    def update_project(self, project: Any, **patch: Any) -> Any:
        vars(project).update(patch)
        return project

    def find_user(self, name: str, domain_id: str, ignore_missing: bool = True) -> Any:
        return self.users.get(name)

    def create_user(self, name: str, domain_id: str, password: str, **attrs: Any) -> Any:
        self.users[name] = SimpleNamespace(id=f"u{next(_ids)}", name=name, **attrs)
        self.passwords[name] = password
        return self.users[name]

    def update_user(self, user: Any, **patch: Any) -> Any:
        if "password" in patch:
            self.passwords[user.name] = patch.pop("password")
        vars(user).update(patch)
        return user

    def find_role(self, name: str, ignore_missing: bool = True) -> Any:
        return SimpleNamespace(id=f"r-{name}", name=name) if name in ("admin", "member", "reader") else None

    def validate_user_has_project_role(self, project: Any, user: Any, role: Any) -> bool:
        return (project.id, user.id, role.id) in self.assignments

    def assign_project_role_to_user(self, project: Any, user: Any, role: Any) -> None:
        self.assignments.add((project.id, user.id, role.id))


class Images:
    def __init__(self) -> None:
        self.store: dict[str, SimpleNamespace] = {}
        self.uploads = 0

    def images(self) -> list[Any]:
        return list(self.store.values())

    def create_image(self, name: str, filename: str, meta: dict[str, Any], tags: list[str], **kw: Any) -> Any:
        self.uploads += 1
        data = Path(filename).read_bytes()
        image = SimpleNamespace(
            id=f"i{next(_ids)}", name=name, status="active", hash_algo="sha512",
            hash_value=hashlib.sha512(data).hexdigest(), checksum=hashlib.md5(data).hexdigest(),
            properties=dict(meta), tags=list(tags), visibility=kw["visibility"], min_disk=kw["min_disk"],
            min_ram=kw["min_ram"], disk_format=kw["disk_format"], container_format=kw["container_format"],
        )  # fmt: skip
        self.store[image.id] = image
        return image

    def get_image(self, image_id: str) -> Any:
        return self.store[image_id]

    def update_image(self, image_id: str, **patch: Any) -> None:
        image = self.store[image_id]
        for key, value in patch.items():
            if hasattr(image, key) and key != "properties":
                setattr(image, key, value)
            else:
                image.properties[key] = value

    def add_tag(self, image_id: str, tag: str) -> None:
        self.store[image_id].tags.append(tag)

    def delete_image(self, image_id: str, ignore_missing: bool = True) -> None:
        self.store.pop(image_id, None)


class Cloud:
    """Admin connection; `connect` hands out member connections that check the password and the role."""

    def __init__(self) -> None:
        self.identity = Identity()
        self.image = Images()

    def connect(self, entry: dict[str, Any]) -> Any:
        if entry["auth"]["username"] == "admin":
            return self
        return Member(self, entry["auth"]["username"], entry["auth"]["password"])

    def close(self) -> None:
        pass


class Member:
    def __init__(self, cloud: Cloud, name: str, password: str) -> None:
        self.session = Session(cloud, name, password)

    def close(self) -> None:
        pass


class Session:
    def __init__(self, cloud: Cloud, name: str, password: str) -> None:
        self.cloud, self.name, self.password = cloud, name, password

    def get_token(self) -> str:
        ident = self.cloud.identity
        user = ident.users.get(self.name)
        ok = user is not None and ident.passwords.get(self.name) == self.password
        ok = ok and any(u == user.id for _, u, _ in ident.assignments)
        if not ok:
            raise http.Unauthorized("The request you have made requires authentication.")
        return "token"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Cloud:
    fake = Cloud()
    monkeypatch.setattr(clouds, "connect", fake.connect)
    monkeypatch.setattr(post, "catalog_types", lambda conn: {"identity", "image", "placement"})
    return fake


@pytest.fixture
def site(tmp_path: Path) -> Site:
    path = tmp_path / "site.yml"
    path.write_text(core.example_text("aio"))
    (tmp_path / "clouds.yaml").write_text(yaml.safe_dump({"clouds": {"kolla-admin": ADMIN}}))
    return load_site(path)


def actions(report: post.PostDeployReport) -> list[tuple[str, str]]:
    return [(o.item, o.action) for o in report.outcomes]


def test_first_run_creates_and_rerun_changes_nothing(cloud: Cloud, site: Site) -> None:
    first = post.post_deploy(site)
    assert [a for _, a in actions(first)] == ["created", "created", "created"]
    assert first.changed == 3
    entry = clouds.cloud_entry(site.directory / "clouds.yaml", "aio-member")
    assert entry["auth"]["username"] == "member" and entry["auth"]["project_name"] == "member"
    assert entry["auth"]["password"] == cloud.identity.passwords["member"]
    assert clouds.cloud_entry(site.directory / "clouds.yaml", "kolla-admin") == ADMIN
    (image,) = cloud.image.images()
    assert image.properties["lokictl_key"] == "debian-test"
    assert image.properties["os_distro"] == "debian" and image.properties["image_build_date"]
    assert image.visibility == "public" and image.tags == ["managed_by_lokictl"]

    again = post.post_deploy(site)
    assert [a for _, a in actions(again)] == ["unchanged", "unchanged", "unchanged"]
    assert again.changed == 0 and cloud.image.uploads == 1
    assert clouds.cloud_entry(site.directory / "clouds.yaml", "aio-member") == entry


def test_metadata_drift_is_patched_without_upload(cloud: Cloud, site: Site) -> None:
    post.post_deploy(site)
    (image,) = cloud.image.images()
    image.properties["os_distro"] = "ubuntu"
    image.min_ram = 0
    report = post.post_deploy(site)
    assert actions(report)[2] == ("image debian-test", "updated")
    assert report.outcomes[2].detail == "min_ram, os_distro"
    assert image.properties["os_distro"] == "debian" and image.min_ram == 128
    assert cloud.image.uploads == 1


def test_changed_content_is_replaced(cloud: Cloud, site: Site) -> None:
    post.post_deploy(site)
    (old,) = cloud.image.images()
    old.hash_value = "0" * 128  # as if the payload had been built from other files
    report = post.post_deploy(site)
    assert actions(report)[2] == ("image debian-test", "replaced")
    (new,) = cloud.image.images()
    assert new.id != old.id and cloud.image.uploads == 2


def test_lost_secret_resets_the_password(cloud: Cloud, site: Site) -> None:
    post.post_deploy(site)
    before = cloud.identity.passwords["member"]
    clouds.secret_store(site).path.unlink()
    report = post.post_deploy(site)
    assert actions(report)[1] == ("user member", "updated")
    assert "password" in report.outcomes[1].detail
    after = cloud.identity.passwords["member"]
    assert after != before
    assert clouds.cloud_entry(site.directory / "clouds.yaml", "aio-member")["auth"]["password"] == after


def test_password_changed_elsewhere_is_reset(cloud: Cloud, site: Site) -> None:
    post.post_deploy(site)
    cloud.identity.passwords["member"] = "changed-by-someone"
    report = post.post_deploy(site)
    assert actions(report)[1] == ("user member", "updated")
    assert report.outcomes[1].detail == "password reset"


def test_items_of_absent_services_are_skipped(cloud: Cloud, site: Site) -> None:
    items = baseline.parse_items([{"kind": "flavor", "name": "SCS-1V-4", "vcpus": 1, "ram": 4096}])
    report = post.post_deploy(site, items=items)
    assert report.outcomes == [
        post.Outcome("flavor SCS-1V-4", "skipped", "no compute service in the catalog")
    ]


def test_missing_clouds_file(cloud: Cloud, site: Site) -> None:
    (site.directory / "clouds.yaml").unlink()
    with pytest.raises(clouds.RuntimeFailure, match=r"no clouds\.yaml"):
        post.post_deploy(site)


def test_cli_runs_post_deploy_and_reports(cloud: Cloud, site: Site, cli: Any) -> None:
    result = cli(["openstack", "post-deploy", "-f", str(site.path)])
    assert result.exit_code == 0, result.stderr
    assert "image debian-test: created" in result.stdout
    assert "post-deploy: 3 changed, 3 items" in result.stdout
    assert f"member credentials: cloud 'aio-member' in {site.directory / 'clouds.yaml'}" in result.stdout
    password = cloud.identity.passwords["member"]
    assert password not in result.stdout + result.stderr
    again = cli(["openstack", "post-deploy", "-f", str(site.path)])
    assert "post-deploy: 0 changed, 3 items" in again.stdout


def test_cli_errors(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "site.yml"
    path.write_text(core.example_text("aio"))
    missing = cli(["openstack", "post-deploy", "-f", str(path)])
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"error: {tmp_path / 'clouds.yaml'}: no clouds.yaml")
    path.write_text(core.example_text("aio").replace("enabled: true", "enabled: false", 1))
    disabled = cli(["openstack", "post-deploy", "-f", str(path)])
    assert disabled.exit_code == 2
    assert "openstack.enabled is false" in disabled.stderr
