"""`lokictl k8s upgrade`: the plan, the version-skew rules and the site-file-first workflow."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from support import SITES, CliResult

from lokictl import core
from lokictl.errors import InputError
from lokictl.k8s import upgrade

pytestmark = pytest.mark.usefixtures("fast_keys")


@pytest.mark.parametrize(
    ("old", "new"), [("1.34.2", "1.34.3"), ("1.34.3", "1.34.3"), ("1.33.9", "1.34.2"), ("v1.34.2", "1.35.0")]
)
def test_supported_steps(old: str, new: str) -> None:
    upgrade.check_skew(old, new)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("1.34.3", "1.34.2", "cannot downgrade Kubernetes from 1.34.3 to 1.34.2"),
        ("1.32.4", "1.34.2", r"one minor version at a time \(next: 1\.33\.x\)"),
        ("1.34.2", "2.0.0", "one minor version at a time"),
    ],
)
def test_unsupported_steps(old: str, new: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        upgrade.check_skew(old, new)


def _site(tmp_path: Path, version: str) -> Path:
    shutil.copytree(SITES / "golden_multinode", tmp_path / "site")
    site_file = tmp_path / "site" / "site.yml"
    data = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    data["kubernetes"]["version"] = version
    site_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    return site_file


def _set_version(site_file: Path, version: str) -> None:
    data = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    data["kubernetes"]["version"] = version
    site_file.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_plan_reads_the_deployed_version_from_the_previous_render(tmp_path: Path) -> None:
    site_file = _site(tmp_path, "1.34.2")
    inv = tmp_path / "inv"
    core.render(site_file, inv)
    _set_version(site_file, "1.34.3")
    plan = upgrade.plan(site_file, "1.34.3", inv)
    assert plan.from_version == "1.34.2"
    assert plan.to_version == "1.34.3"
    assert plan.control_planes == ("ctl1", "ctl2", "ctl3")
    lines = plan.lines()
    assert lines[0] == "Kubernetes 1.34.2 -> 1.34.3"
    assert "ctl1: kubeadm upgrade apply" in lines[1]
    assert all("kubeadm upgrade node" in line for line in lines[2:4])
    assert "etcd healthy" in lines[1]
    assert any("no pinned SHA-256 for cilium-chart" in line for line in lines)


def test_plan_requires_the_site_file_to_name_the_target(tmp_path: Path) -> None:
    site_file = _site(tmp_path, "1.34.2")
    with pytest.raises(InputError, match=r'pins Kubernetes 1\.34\.2; .* set kubernetes\.version: "1\.34\.3"'):
        upgrade.plan(site_file, "1.34.3", tmp_path / "inv")


def test_plan_rejects_versions_outside_the_matrix(tmp_path: Path) -> None:
    site_file = _site(tmp_path, "1.34.2")
    with pytest.raises(InputError, match=r"1\.35\.0 is not in the version matrix"):
        upgrade.plan(site_file, "1.35.0", tmp_path / "inv")


def test_plan_rejects_a_downgrade_against_the_render(tmp_path: Path) -> None:
    site_file = _site(tmp_path, "1.34.3")
    inv = tmp_path / "inv"
    core.render(site_file, inv)
    _set_version(site_file, "1.34.2")
    with pytest.raises(InputError, match="cannot downgrade"):
        upgrade.plan(site_file, "1.34.2", inv)


def test_cli_plan_only(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    site_file = _site(tmp_path, "1.34.2")
    inv = tmp_path / "inv"
    core.render(site_file, inv)
    _set_version(site_file, "1.34.3")
    result = cli(
        ["k8s", "upgrade", "-f", str(site_file), "--to", "v1.34.3", "--plan", "--inventory", str(inv)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Kubernetes 1.34.2 -> 1.34.3\n")


def test_cli_mismatch_is_an_input_error(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    site_file = _site(tmp_path, "1.34.2")
    result = cli(["k8s", "upgrade", "-f", str(site_file), "--to", "1.34.3"])
    assert result.exit_code == 2
    assert "set kubernetes.version" in result.stderr
