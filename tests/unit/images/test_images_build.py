"""`lokictl images build` without building: planning, dry run, skipping existing images, push, manifest."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import AIO_IMAGES, EXAMPLES, run_cli

from lokictl.errors import InputError, RuntimeFailure
from lokictl.images import build
from lokictl.images.report import BuildReport, ImageResult, format_report, parse_build_log
from lokictl.site import load_site

UC = "keystoneauth1===5.12.0\noslo.config===10.0.0\n"
REQUIRED = AIO_IMAGES


class FakeDocker:
    """Answers ``image inspect`` from a set of present references and records every other command."""

    def __init__(self, present: set[str] | None = None, size: int = 100) -> None:
        self.present = present or set()
        self.size = size
        self.calls: list[list[str]] = []

    def inspect(self, kind: str, names: Sequence[str]) -> list[dict[str, Any]]:
        assert kind == "image"
        return [{"RepoTags": [n], "Size": self.size * (1 + n.count("-"))} for n in names if n in self.present]

    def run(self, args: Sequence[str], **_: Any) -> None:
        self.calls.append(list(args))

    def check(self) -> None:
        """Nothing to check."""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site" / "site.yml"
    path.parent.mkdir()
    path.write_text((EXAMPLES / "aio.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "uc.txt").write_text(UC, encoding="utf-8")
    return path


def _build(site: Path, docker: FakeDocker, **kwargs: Any) -> BuildReport:
    uc = str(site.parent.parent / "uc.txt")
    return build.build_images(
        site,
        upper_constraints=uc,
        sources_dir=site.parent.parent / "cache",
        docker=docker,
        **kwargs,  # type: ignore[arg-type]
    )


def test_dry_run_plans_every_image_and_writes_the_configuration(site: Path) -> None:
    report = _build(site, FakeDocker(), dry_run=True)
    assert report.dry_run and report.work_dir == site.parent / ".lokictl" / "images" / "aio"
    assert sorted(i.name for i in report.images if i.required) == REQUIRED
    assert {i.name for i in report.images if not i.required} == {
        "base",
        "openstack-base",
        "keystone-base",
        "glance-base",
        "placement-base",
    }
    assert {i.status for i in report.images} == {"missing"}
    assert report.command[-len(REQUIRED) :] == [f"^{n}$" for n in REQUIRED]
    work = report.work_dir
    conf = (work / "kolla-build.conf").read_text(encoding="utf-8")
    assert f"tag = {report.tag}" in conf and "threads = 2" in conf
    assert (work / "repos.yaml").is_file() and (work / "overrides" / "10-base.j2").is_file()
    assert (work / "additions" / "mariadb-server" / "lokictl" / "healthcheck.sh").stat().st_mode & 0o111
    assert not (work / build.MANIFEST).exists()


def test_tag_is_stable_across_runs_and_independent_of_threads(site: Path) -> None:
    a = _build(site, FakeDocker(), dry_run=True)
    b = _build(site, FakeDocker(), dry_run=True, threads=1)
    assert a.tag == b.tag


def test_tag_does_not_depend_on_the_selected_services(site: Path) -> None:
    a = _build(site, FakeDocker(), dry_run=True)
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["openstack"]["services"] = ["keystone"]
    site.write_text(yaml.safe_dump(data), encoding="utf-8")
    b = _build(site, FakeDocker(), dry_run=True)
    assert a.tag == b.tag
    assert "glance-api" not in {i.name for i in b.images}


def test_tag_changes_with_the_mirror(site: Path) -> None:
    a = _build(site, FakeDocker(), dry_run=True)
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["site"]["apt_mirror"] = "http://mirror.example/debian"
    site.write_text(yaml.safe_dump(data), encoding="utf-8")
    b = _build(site, FakeDocker(), dry_run=True)
    assert a.tag != b.tag


def test_existing_images_are_not_rebuilt_and_are_pushed(site: Path) -> None:
    tag = _build(site, FakeDocker(), dry_run=True).tag
    everything = {build.image_ref(n, tag) for n in build.kolla.ancestry(REQUIRED)}
    docker = FakeDocker(present=everything)
    report = _build(site, docker, push="registry.example:5000")
    assert {i.status for i in report.images} == {"present"}
    assert report.built == []
    pushes = [c for c in docker.calls if c[0] == "push"]
    assert pushes == [["push", f"registry.example:5000/kolla/{n}:{tag}"] for n in REQUIRED]
    assert ["tag", f"kolla/keystone:{tag}", f"registry.example:5000/kolla/keystone:{tag}"] in docker.calls
    keystone = next(i for i in report.images if i.name == "keystone")
    base = next(i for i in report.images if i.name == "keystone-base")
    assert keystone.own == (keystone.size or 0) - (base.size or 0)
    manifest = build.read_manifest(load_site(site))
    assert manifest["tag"] == tag and manifest["registry"] == "registry.example:5000"
    assert manifest["required"] == REQUIRED and manifest["images"]["keystone"]["status"] == "present"
    table = format_report(report)
    assert "0 built" in table and "pushed 9 image(s) to registry.example:5000" in table


def test_no_manifest_before_a_build(site: Path) -> None:
    with pytest.raises(InputError, match="run lokictl images build"):
        build.read_manifest(load_site(site))


def test_sites_without_image_builds_are_refused(site: Path) -> None:
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["openstack"].update(build_images=False, registry="registry.example:5000")
    site.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="build_images is false"):
        _build(site, FakeDocker(), dry_run=True)


def test_cli_dry_run(site: Path) -> None:
    uc = site.parent.parent / "uc.txt"
    cache = site.parent.parent / "cache"
    result = run_cli(
        [
            "images",
            "build",
            "-f",
            str(site),
            "--dry-run",
            "--upper-constraints",
            str(uc),
            "--sources-dir",
            str(cache),
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "would run: kolla-build --config-file" in result.stdout
    assert "dry run, tag 2026.1-" in result.stdout and "0 present, 14 missing" in result.stdout
    assert f"work directory: {site.parent / '.lokictl' / 'images' / 'aio'}" in result.stdout


def test_cli_bad_constraints_exit_2(site: Path) -> None:
    bad = site.parent / "bad.txt"
    bad.write_text("nonsense here\n", encoding="utf-8")
    result = run_cli(["images", "build", "-f", str(site), "--dry-run", "--upper-constraints", str(bad)])
    assert result.exit_code == 2
    assert "not an upper-constraints file" in result.stderr


def test_parse_build_log() -> None:
    lines = [
        "INFO:kolla.common.utils.keystone:Building started at 2026-01-01 10:00:00.000000",
        "INFO:kolla.common.utils.keystone:Built at 2026-01-01 10:06:21.5 (took 0:06:21.500000)",
        "INFO:kolla.common.utils.cron:Built at 2026-01-01 10:00:10 (took 0:00:10.250000)",
        "INFO:kolla.common.utils:something else",
    ]
    assert parse_build_log(lines) == {"keystone": 381.5, "cron": 10.25}


def test_format_report_lists_time_size_and_parents() -> None:
    result = BuildReport(
        tag="2026.1-abc",
        release="2026.1",
        base_image="lokictl/kolla-base:trixie-x",
        work_dir=Path("w"),
        images=[
            ImageResult("base", "built", False, seconds=66, size=200_000_000, own=200_000_000),
            ImageResult("cron", "present", True, size=210_000_000, own=10_000_000),
            ImageResult("keystone", "built", True, seconds=381, size=1_200_000_000, own=1_000_000_000),
        ],
    )
    text = format_report(result)
    assert "(base)" in text and "6 min 21 s" in text and "1.20 GB" in text and "10 MB" in text
    assert "tag 2026.1-abc: 2 built (7 min 27 s of image build time), 1 present, 1.21 GB unique" in text
    assert json.dumps(build._manifest(result, _FakePlan()))  # serialisable


class _FakePlan:
    required = ["cron", "keystone"]


class DownDocker(FakeDocker):
    def inspect(self, kind: str, names: Sequence[str]) -> list[dict[str, Any]]:
        raise RuntimeFailure("the Docker engine is not running")


def test_dry_run_works_without_a_docker_engine(site: Path) -> None:
    result = _build(site, DownDocker(), dry_run=True)
    assert {i.status for i in result.images} == {"missing"}
    assert any("cannot tell which images exist" in note for note in result.notes)
    with pytest.raises(RuntimeFailure, match="not running"):
        _build(site, DownDocker())
