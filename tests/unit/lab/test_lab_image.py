"""Lab image build inputs: cache key, cache location, command lines; clear errors when tools are missing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support import run_cli

from lokictl.errors import InputError, RuntimeFailure
from lokictl.lab import LABEL_IMAGE_KEY, image
from lokictl.lab.docker import Docker
from lokictl.lab.image import ImageSpec, build_image, cache_dir, make_spec
from lokictl.rootfs import default_mirror


def test_cache_key_is_stable_and_covers_every_input(monkeypatch: pytest.MonkeyPatch) -> None:
    base = ImageSpec("bookworm")
    assert base.key() == ImageSpec("bookworm").key()
    assert len(base.key()) == 64
    variants = [
        ImageSpec("trixie"),
        ImageSpec("bookworm", mirror="http://mirror.example/debian"),
        ImageSpec("bookworm", packages=(*image.PACKAGES, "vim")),
    ]
    assert len({base.key(), *(v.key() for v in variants)}) == 4
    before = base.key()
    monkeypatch.setattr(image, "BUILDER_VERSION", "999")
    assert ImageSpec("bookworm").key() != before


def test_cache_key_ignores_package_order_and_a_trailing_slash() -> None:
    assert (
        ImageSpec("bookworm", packages=("b", "a")).key() == ImageSpec("bookworm", packages=("a", "b")).key()
    )
    m = "http://mirror.example/debian"
    assert ImageSpec("bookworm", mirror=m).key() == ImageSpec("bookworm", mirror=m + "/").key()


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "lokictl" / "images"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "lokictl" / "images"


def test_tarball_name_carries_distro_and_key(tmp_path: Path) -> None:
    spec = ImageSpec("trixie")
    assert spec.tarball(tmp_path) == tmp_path / f"trixie-{spec.key()[:16]}.tar"
    assert spec.tag == "lokictl/host:trixie"


def test_debootstrap_command_line() -> None:
    args = ImageSpec("bookworm").debootstrap_args(Path("/x/rootfs"))
    assert args[:3] == ["debootstrap", "--variant=minbase", "--components=main"]
    included = next(a for a in args if a.startswith("--include=")).split("=", 1)[1].split(",")
    assert included == list(image.PACKAGES)
    assert {"python3", "python3-apt", "systemd-sysv", "dbus", "sudo", "openssh-server"} <= set(included)
    assert args[-3:] == ["bookworm", "/x/rootfs", default_mirror()]
    own = ImageSpec("bookworm", mirror="http://m.example/debian")
    assert own.debootstrap_args(Path("/r"))[-3:] == ["bookworm", "/r", "http://m.example/debian"]


def test_sources_list_adds_security_only_for_the_default_mirror() -> None:
    default = image.sources_list(ImageSpec("bookworm"), "http://deb.example/debian")
    assert default.splitlines() == [
        "deb http://deb.example/debian bookworm main",
        "deb http://deb.example/debian bookworm-updates main",
        "deb http://deb.example/debian-security bookworm-security main",
    ]
    own = ImageSpec("bookworm", mirror="http://m.example/debian")
    assert len(image.sources_list(own, own.mirror).splitlines()) == 2


def test_configure_script_installs_the_pending_updates_before_cleaning() -> None:
    # A fresh host from the image must not start with pending (security) updates: debootstrap installs the
    # release as published, so the script upgrades from the image's sources, then drops the downloaded files.
    lines = image.CONFIGURE_SCRIPT.splitlines()
    update = lines.index("apt-get update")
    upgrade = next(i for i, line in enumerate(lines) if line.startswith("apt-get -y") and "upgrade" in line)
    assert update < upgrade < lines.index("apt-get clean")
    assert "--force-confold" in lines[upgrade]


def test_import_sets_systemd_command_environment_and_key(tmp_path: Path) -> None:
    spec = ImageSpec("bookworm")
    args = spec.import_args(tmp_path / "r.tar")
    changes = [args[i + 1] for i, a in enumerate(args) if a == "--change"]
    assert 'CMD ["/lib/systemd/systemd"]' in changes
    assert "ENV container=docker LANG=C.UTF-8" in changes
    assert f"LABEL {LABEL_IMAGE_KEY}={spec.key()}" in changes
    assert args[-2:] == [str(tmp_path / "r.tar"), "lokictl/host:bookworm"]


def test_unknown_distro_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown distribution 'sid'"):
        make_spec("sid")


def _fake_docker(bin_dir: Path, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / "docker"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_missing_docker_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(["lab", "image", "build"], env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 'docker' not found")
    assert "docker.io" in result.stderr
    assert "Traceback" not in result.stderr


def test_stopped_engine_is_a_clear_error(tmp_path: Path) -> None:
    _fake_docker(tmp_path / "bin", 'echo "Cannot connect to the Docker daemon. Is it running?" >&2\nexit 1\n')
    with pytest.raises(RuntimeFailure, match=r"Docker engine is not running.*Is it running"):
        Docker(str(tmp_path / "bin" / "docker")).check()


def test_missing_debootstrap_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An engine that answers but has no image: the build must start, and stops at the missing debootstrap.
    _fake_docker(tmp_path / "bin", 'case "$1" in info) echo \'"20.10"\';; *) exit 1;; esac\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(
        RuntimeFailure, match=r"debootstrap not found: install it \(apt-get install debootstrap\)"
    ):
        build_image(ImageSpec("bookworm"), docker=Docker(), cache=tmp_path / "cache")
    assert not list(tmp_path.rglob("*.tar"))
