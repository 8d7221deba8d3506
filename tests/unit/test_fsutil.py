"""Atomic writes: exact modes from the first byte, all-or-nothing replacement, no temporary left behind."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import mode

from lokictl import fsutil
from lokictl.fsutil import atomic_writer, write_bytes_atomic, write_text_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that changes it."""
    old = os.umask(0o022)
    os.umask(old)
    try:
        yield
    finally:
        os.umask(old)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize(
    ("wanted", "mask"),
    [(0o600, 0o000), (0o600, 0o077), (0o644, 0o027), (0o644, 0o077), (0o755, 0o022), (0o664, 0o002)],
)
def test_the_file_gets_exactly_the_mode_whatever_the_umask(
    tmp_path: Path, umask: None, wanted: int, mask: int
) -> None:
    os.umask(mask)
    path = tmp_path / "f"
    write_bytes_atomic(path, b"data", wanted)
    assert path.read_bytes() == b"data"
    assert mode(path) == wanted


def test_use_umask_creates_what_open_would(tmp_path: Path, umask: None) -> None:
    os.umask(0o027)
    path = tmp_path / "f"
    write_text_atomic(path, "x", 0o666, use_umask=True)
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    assert mode(path) == 0o640 == mode(plain)


def test_a_secret_is_private_from_its_first_byte(tmp_path: Path, umask: None) -> None:
    os.umask(0)  # the umask must not be what keeps the secret private
    path = tmp_path / "secret"
    with atomic_writer(path, 0o600) as fh:
        (tmp,) = list(tmp_path.iterdir())
        assert tmp.name.startswith(".secret.") and tmp.name.endswith(".tmp")
        assert mode(tmp) == 0o600 and tmp.stat().st_size == 0
        assert not path.exists()
        inode = tmp.stat().st_ino
        fh.write(b"key material")
    assert path.read_bytes() == b"key material" and mode(path) == 0o600
    assert path.stat().st_ino == inode  # renamed into place, not copied
    assert _names(tmp_path) == ["secret"]


def test_an_existing_file_is_replaced_with_the_new_mode(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("old and longer\n", encoding="utf-8")
    path.chmod(0o644)
    write_bytes_atomic(path, b"new", 0o600)
    assert path.read_bytes() == b"new"
    assert mode(path) == 0o600
    assert _names(tmp_path) == ["f"]


def test_text_is_encoded_as_asked_and_newlines_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "t"
    write_text_atomic(path, "a\r\nb\nc é")
    assert path.read_bytes() == "a\r\nb\nc é".encode()
    write_text_atomic(path, "é\n", encoding="latin-1")
    assert path.read_bytes() == b"\xe9\n"


def test_text_that_cannot_be_encoded_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "é", encoding="ascii")
    assert path.read_text(encoding="utf-8") == "old"
    assert _names(tmp_path) == ["t"]


def test_an_error_inside_the_block_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    path.chmod(0o640)
    with pytest.raises(RuntimeError, match="checksum"), atomic_writer(path, 0o600) as fh:
        fh.write(b"half of the new content")
        raise RuntimeError("checksum mismatch")
    assert path.read_bytes() == b"old"
    assert mode(path) == 0o640
    assert _names(tmp_path) == ["f"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failing_fsync_or_rename_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def fail(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, step, fail)
    path = tmp_path / "f"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="No space left"):
        write_bytes_atomic(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert _names(tmp_path) == ["f"]


def test_a_directory_in_the_way_fails_and_leaves_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        write_bytes_atomic(tmp_path / "d", b"x")
    assert _names(tmp_path) == ["d"]
    assert _names(tmp_path / "d") == []


def test_a_missing_parent_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_bytes_atomic(tmp_path / "missing" / "f", b"x")
    assert _names(tmp_path) == []


def test_a_symlink_is_replaced_and_its_target_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    write_bytes_atomic(link, b"new", 0o600)
    assert not link.is_symlink()
    assert link.read_bytes() == b"new" and mode(link) == 0o600
    assert target.read_bytes() == b"keep"


def test_a_stale_temporary_file_is_neither_reused_nor_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(fsutil.secrets, "token_hex", lambda _n: next(names))
    stale = tmp_path / ".f.aaaaaaaaaaaa.tmp"
    stale.write_bytes(b"left by a crash")
    stale.chmod(0o644)
    write_bytes_atomic(tmp_path / "f", b"new", 0o600)
    assert (tmp_path / "f").read_bytes() == b"new"
    assert stale.read_bytes() == b"left by a crash" and mode(stale) == 0o644
    assert _names(tmp_path) == [".f.aaaaaaaaaaaa.tmp", "f"]


def test_a_name_of_the_longest_length_still_works(tmp_path: Path) -> None:
    path = tmp_path / ("n" * 255)
    write_text_atomic(path, "x")
    assert path.read_text(encoding="utf-8") == "x"
    assert _names(tmp_path) == ["n" * 255]
