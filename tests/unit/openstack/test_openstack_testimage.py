"""The locally built test image: facts from os-release, reproducible bytes, the build cache."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from lokictl.errors import RuntimeFailure
from lokictl.openstack import testimage

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# comment\n'


def fake_root(tmp_path: Path, os_release: str = OS_RELEASE, version: str = "12.9\n") -> Path:
    root = tmp_path / "root"
    (root / "usr/lib").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "usr/lib/os-release").write_text(os_release)
    (root / "etc/os-release").symlink_to("../usr/lib/os-release")
    (root / "etc/debian_version").write_text(version)
    return root


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_parse_os_release() -> None:
    fields = testimage.parse_os_release(OS_RELEASE + "NAME='Debian'\nBROKEN\n")
    assert fields["ID"] == "debian" and fields["VERSION_ID"] == "12" and fields["NAME"] == "Debian"
    assert "BROKEN" not in fields


def test_release_files_follow_symlink_inside_root(tmp_path: Path) -> None:
    files, facts = testimage.release_files(fake_root(tmp_path))
    assert files["etc/os-release"] == OS_RELEASE.encode()
    assert files["etc/debian_version"] == b"12.9\n"
    assert b"NOT BOOTABLE" in files["README"]
    assert facts["os_name"] == "Debian" and facts["os_version"] == "12"


def test_version_from_debian_version_when_os_release_lacks_it(tmp_path: Path) -> None:
    _, facts = testimage.release_files(fake_root(tmp_path, "ID=debian\n", "13.1\n"))
    assert facts["os_version"] == "13"


def test_not_debian_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="this machine is ubuntu"):
        testimage.release_files(fake_root(tmp_path, "ID=ubuntu\n"))


def test_content_key_changes_with_content() -> None:
    base = {"a": b"1", "b/c": b"2"}
    assert testimage.content_key(base) == testimage.content_key(dict(reversed(base.items())))
    assert testimage.content_key(base) != testimage.content_key({**base, "a": b"x"})
    assert testimage.content_key(base) != testimage.content_key({"a1": b"", "b/c": b"2"})


def test_build_is_reproducible_and_cached(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    first = testimage.build(tmp_path / "cache1", root)
    assert first.path.stat().st_size == testimage.SIZE_MIB * 1024 * 1024
    # A second, independent build of the same files gives the same bytes.
    files, _ = testimage.release_files(root)
    testimage.build_raw(files, tmp_path / "again.raw")
    assert sha256(tmp_path / "again.raw") == sha256(first.path)
    # The cache returns the first build (and its build date) without rebuilding.
    cached = testimage.build(tmp_path / "cache1", root)
    assert cached == first
    # The file system holds the files.
    debugfs = ["debugfs", "-R", "cat /etc/debian_version", str(first.path)]
    assert subprocess.run(debugfs, capture_output=True, text=True, check=True).stdout == "12.9\n"
    # New content: a new image, and the stale one leaves the cache.
    old_sha = sha256(first.path)
    (root / "etc/debian_version").write_text("12.10\n")
    newer = testimage.build(tmp_path / "cache1", root)
    assert newer.content_key != first.content_key and sha256(newer.path) != old_sha
    left = sorted(p.name for p in (tmp_path / "cache1").iterdir())
    assert left == sorted([newer.path.name, newer.path.with_suffix(".json").name])


def test_file_digest(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    assert testimage.file_digest(tmp_path / "f", "sha512") == hashlib.sha512(b"abc").hexdigest()
    with pytest.raises(RuntimeFailure, match="unknown hash algorithm"):
        testimage.file_digest(tmp_path / "f", "nope")
