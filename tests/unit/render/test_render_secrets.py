"""Secrets across renders: private modes, generated once, kept byte for byte, extended, never overwritten when
corrupt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from support import SITES, mode, tree

from lokictl import core
from lokictl.errors import RuntimeFailure
from lokictl.render import kolla

pytestmark = pytest.mark.usefixtures("fast_keys")
PASSWORDS = Path("kolla") / "passwords.yml"


@pytest.fixture
def rendered(site_copy: Callable[[Path], Path], tmp_path: Path) -> tuple[Path, Path]:
    site = site_copy(SITES / "golden_multinode")
    out = tmp_path / "out"
    core.render(site, out)
    return site, out


def test_modes(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    assert mode(out / PASSWORDS) == 0o600
    assert mode(out / "kolla") == 0o700
    assert mode(out / "kolla" / "globals.yml") == 0o644


def test_rerender_keeps_passwords_byte_identical(rendered: tuple[Path, Path]) -> None:
    site, out = rendered
    before = (out / PASSWORDS).read_bytes()
    report = core.render(site, out)
    assert not report.written
    assert (out / PASSWORDS).read_bytes() == before


def test_site_change_rewrites_other_files_but_not_passwords(rendered: tuple[Path, Path]) -> None:
    site, out = rendered
    before = (out / PASSWORDS).read_bytes()
    hosts_before = (out / "hosts.yml").read_bytes()
    text = site.read_text(encoding="utf-8")
    text = text.replace(
        "services: [keystone, glance, placement]", "services: [keystone, glance, placement, horizon]"
    )
    text += "  - {name: mon1, address: 10.10.0.31, roles: [monitoring]}\n"
    site.write_text(text, encoding="utf-8")
    report = core.render(site, out)
    assert report.written and report.new_secrets == []
    assert (out / "hosts.yml").read_bytes() != hosts_before
    assert (out / PASSWORDS).read_bytes() == before
    assert mode(out / PASSWORDS) == 0o600


def test_missing_key_is_added_and_others_keep_their_values(rendered: tuple[Path, Path]) -> None:
    site, out = rendered
    data = yaml.safe_load((out / PASSWORDS).read_bytes())
    removed = {"keystone_admin_password": data.pop("keystone_admin_password"), "database_password": None}
    data.pop("database_password")
    (out / PASSWORDS).write_text(yaml.safe_dump(data), encoding="utf-8")
    report = core.render(site, out)
    assert report.written
    assert sorted(report.new_secrets) == ["database_password", "keystone_admin_password"]
    after = yaml.safe_load((out / PASSWORDS).read_bytes())
    assert sorted(after) == sorted(kolla.password_keys())
    assert after["keystone_admin_password"] != removed["keystone_admin_password"]
    for key, value in data.items():
        assert after[key] == value, key
    assert mode(out / PASSWORDS) == 0o600


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (
            b"keystone_admin_password: Zx9SecretValue\ndatabase_password: [Zx9SecretValue\n",
            "existing kolla/passwords.yml is not valid YAML at line 3 (expected ',' or ']', but got "
            "'<stream end>'); fix or move it",
        ),
        (b"- Zx9SecretValue\n", "existing kolla/passwords.yml is not a mapping; fix or move it"),
        (
            b"\x00\x01Zx9SecretValue",
            "existing kolla/passwords.yml is not valid YAML (special characters are not "
            "allowed); fix or move it",
        ),
    ],
)
def test_corrupt_passwords_file_is_never_overwritten(
    rendered: tuple[Path, Path], corrupt: bytes, message: str
) -> None:
    site, out = rendered
    (out / PASSWORDS).write_bytes(corrupt)
    site.write_text(site.read_text(encoding="utf-8").replace("hardening: baseline", "hardening: strict"))
    before = tree(out)
    with pytest.raises(RuntimeFailure) as exc:
        core.render(site, out)
    assert exc.value.message == message, "one line, and never the content (it holds secrets)"
    assert tree(out) == before


def test_world_readable_passwords_are_fixed_by_the_next_render(rendered: tuple[Path, Path]) -> None:
    site, out = rendered
    before = (out / PASSWORDS).read_bytes()
    (out / PASSWORDS).chmod(0o644)
    report = core.render(site, out)
    assert report.written
    assert mode(out / PASSWORDS) == 0o600
    assert (out / PASSWORDS).read_bytes() == before


def test_passwords_survive_disabling_and_reenabling_openstack(rendered: tuple[Path, Path]) -> None:
    site, out = rendered
    before = (out / PASSWORDS).read_bytes()
    original = site.read_text(encoding="utf-8")
    site.write_text(original.replace("openstack:\n  enabled: true", "openstack:\n  enabled: false"))
    core.render(site, out)
    assert not (out / "kolla" / "globals.yml").exists()
    assert (out / PASSWORDS).read_bytes() == before
    site.write_text(original)
    core.render(site, out)
    assert (out / "kolla" / "globals.yml").exists()
    assert (out / PASSWORDS).read_bytes() == before


def test_check_never_generates_or_writes(
    site_copy: Callable[[Path], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_generation(key: str) -> None:
        raise AssertionError(f"--check generated {key}")

    monkeypatch.setattr(kolla, "new_secret", no_generation)
    site = site_copy(SITES / "golden_aio")
    out = tmp_path / "out"
    report = core.render(site, out, check=True, show_diff=True)
    assert "+database_password: <secret " in report.diff
    assert not report.written
    assert not out.exists()
    assert "added:   kolla/passwords.yml" in report.differences
