"""The shared root file system builder: when it builds, re-imports or does nothing; pinned cache keys."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lokictl import rootfs
from lokictl.errors import RuntimeFailure
from lokictl.images import LABEL_BASE_KEY
from lokictl.images.base import BaseSpec, ensure_base
from lokictl.lab.image import ImageSpec

MIRROR = "http://mirror.example/debian"


class LabelDocker:
    """Answers ``image inspect`` with the labels of the images it holds; records every other command."""

    def __init__(self, images: dict[str, dict[str, str]] | None = None) -> None:
        self.images = images or {}
        self.calls: list[list[str]] = []

    def inspect(self, kind: str, names: Sequence[str]) -> list[dict[str, Any]]:
        assert kind == "image"
        return [{"Config": {"Labels": self.images[n]}} for n in names if n in self.images]

    def run(self, args: Sequence[str], **_: Any) -> None:
        self.calls.append(list(args))


@dataclass(frozen=True)
class TestImage(rootfs.DebianImage):
    """A minimal image: only what `rootfs.DebianImage` needs."""

    __test__ = False  # not a test class

    packages: tuple[str, ...] = ("ca-certificates",)

    kind: ClassVar[str] = "test image"
    label: ClassVar[str] = "io.lokictl.test.key"
    changes: ClassVar[tuple[str, ...]] = ('CMD ["/bin/bash"]',)

    @property
    def image(self) -> str:
        return f"lokictl/test:{self.distro}"


SPEC = TestImage("bookworm", mirror=MIRROR)


def test_image_carrying_the_key_is_up_to_date(tmp_path: Path) -> None:
    docker = LabelDocker({SPEC.image: {SPEC.label: SPEC.key()}})
    assert rootfs.ensure_image(SPEC, docker=docker, cache=tmp_path) == "up to date"
    assert docker.calls == []


def test_cached_tarball_is_imported_without_debootstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no debootstrap: a build would fail
    tarball = SPEC.tarball(tmp_path)
    tarball.write_bytes(b"")
    stale = LabelDocker({SPEC.image: {SPEC.label: "b" * 64}})
    lines: list[str] = []
    action = rootfs.ensure_image(SPEC, docker=stale, cache=tmp_path, progress=lines.append)
    assert action == "imported from cache"
    assert stale.calls == [
        [
            "import",
            "--change",
            'CMD ["/bin/bash"]',
            "--change",
            f"LABEL io.lokictl.test.key={SPEC.key()}",
            "--message",
            "lokictl test image bookworm",
            str(tarball),
            "lokictl/test:bookworm",
        ]
    ]
    assert lines == [f"importing {tarball.name} as lokictl/test:bookworm"]


def test_force_builds_even_with_a_cached_tarball(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    SPEC.tarball(tmp_path).write_bytes(b"")
    docker = LabelDocker({SPEC.image: {SPEC.label: SPEC.key()}})
    with pytest.raises(
        RuntimeFailure, match=r"debootstrap not found: install it \(apt-get install debootstrap\)"
    ):
        rootfs.ensure_image(SPEC, docker=docker, cache=tmp_path, force=True)
    assert docker.calls == []


def test_building_needs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "debootstrap").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "debootstrap").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(RuntimeFailure, match="building the test image bookworm image needs root"):
        rootfs.build_tarball(SPEC, tmp_path / "cache" / "x.tar")
    assert not (tmp_path / "cache").exists()


def test_prune_keeps_the_new_tarball_and_the_newest_others(tmp_path: Path) -> None:
    paths = [tmp_path / f"bookworm-{n}.tar" for n in "abcd"]
    for age, path in enumerate(paths):
        path.write_bytes(b"")
        os.utime(path, (1000 - age, 1000 - age))  # a is the newest
    (tmp_path / "trixie-a.tar").write_bytes(b"")
    rootfs.prune_cache(tmp_path, "bookworm", keep=paths[3], count=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bookworm-a.tar", "bookworm-d.tar", "trixie-a.tar"]
    rootfs.prune_cache(tmp_path, "bookworm", keep=paths[3])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bookworm-d.tar", "trixie-a.tar"]


def test_cache_root_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert rootfs.cache_root("kolla-base") == tmp_path / "lokictl" / "kolla-base"


def test_cache_keys_are_pinned() -> None:
    """Built images and cached tarballs are found by these keys: a change here rebuilds every one of them."""
    lab = ImageSpec("bookworm", mirror=MIRROR)
    assert lab.key() == "c8e568a1fed10c5ba3897de6dffc17d42a06e52ba1cd76fde2ceaa3e24820f79"
    assert BaseSpec(mirror=MIRROR).image == "lokictl/kolla-base:trixie-cb76e657dc81"


def test_kolla_base_image(tmp_path: Path) -> None:
    spec = BaseSpec(mirror=MIRROR)
    assert spec.tarball(tmp_path) == tmp_path / f"trixie-{spec.key()[:16]}.tar"
    assert spec.debootstrap_args(Path("/r"))[-4:] == ["--include=ca-certificates", "trixie", "/r", MIRROR]
    args = spec.import_args(tmp_path / "r.tar")
    changes = [args[i + 1] for i, a in enumerate(args) if a == "--change"]
    assert changes == ['CMD ["/bin/bash"]', f"LABEL {LABEL_BASE_KEY}={spec.key()}"]
    assert args[-1] == spec.image
    root = tmp_path / "root"
    spec.prepare(root)
    sources = (root / "etc/apt/sources.list.d/debian.sources").read_text(encoding="utf-8")
    assert f"URIs: {MIRROR}\nSuites: trixie trixie-updates\n" in sources


def test_existing_kolla_base_is_kept(tmp_path: Path) -> None:
    spec = BaseSpec(mirror=MIRROR)
    docker = LabelDocker({spec.image: {LABEL_BASE_KEY: spec.key()}})
    report = ensure_base(spec, docker=docker, cache=tmp_path)
    assert (report.image, report.action) == (spec.image, "up to date")
    assert docker.calls == []
