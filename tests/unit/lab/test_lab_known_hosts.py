"""known_hosts maintenance: replace the lab's entries, remove exactly them, keep everything else."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from lokictl.lab import known_hosts

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFirst"
ED2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISecond"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDx"


def hashed(host: str, salt: bytes = b"0123456789abcdefghij") -> str:
    digest = hmac.new(salt, host.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def test_host_pattern() -> None:
    assert known_hosts.host_pattern("10.0.0.1") == "10.0.0.1"
    assert known_hosts.host_pattern("10.0.0.1", 2222) == "[10.0.0.1]:2222"


def test_replace_drops_stale_plain_and_hashed_entries_and_keeps_others(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "known_hosts"
    path.parent.mkdir()
    path.write_text(
        "# comment\n"
        f"10.0.0.1 {ED2}\n"
        f"{hashed('10.0.0.1')} {RSA}\n"
        f"gitserver,10.0.0.9 {ED2}\n"
        f"@cert-authority *.example {ED2}\n"
        f"{hashed('10.0.0.2')} {ED2}\n"
    )
    known_hosts.replace({"10.0.0.1": [ED, RSA]}, path)
    assert path.read_text().splitlines() == [
        "# comment",
        f"gitserver,10.0.0.9 {ED2}",
        f"@cert-authority *.example {ED2}",
        f"{hashed('10.0.0.2')} {ED2}",
        f"10.0.0.1 {ED}",
        f"10.0.0.1 {RSA}",
    ]
    assert path.stat().st_mode & 0o777 == 0o600


def test_replace_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / ".ssh" / "known_hosts"
    known_hosts.replace({"[10.0.0.1]:2222": [ED]}, path)
    assert path.read_text() == f"[10.0.0.1]:2222 {ED}\n"


def test_remove_only_drops_entries_with_the_lab_keys(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.1 {ED}\n{hashed('10.0.0.1')} {RSA}\n10.0.0.1 {ED2}\n10.0.0.3 {ED}\n")
    known_hosts.remove({"10.0.0.1": [ED, RSA]}, path)
    assert path.read_text().splitlines() == [f"10.0.0.1 {ED2}", f"10.0.0.3 {ED}"]


def test_remove_without_file_does_nothing(tmp_path: Path) -> None:
    known_hosts.remove({"10.0.0.1": [ED]}, tmp_path / "none")
    assert not (tmp_path / "none").exists()
