"""The lab's own known_hosts file: exactly the lab hosts' keys, private mode, rewritten only on change."""

from __future__ import annotations

import os
from pathlib import Path

from support import mode

from lokictl.lab import known_hosts

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFirst"
ED2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISecond"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDx"


def test_host_pattern() -> None:
    assert known_hosts.host_pattern("10.0.0.1") == "10.0.0.1"
    assert known_hosts.host_pattern("10.0.0.1", 2222) == "[10.0.0.1]:2222"


def test_write_creates_the_file_with_every_key_and_a_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "labs" / "x" / "known_hosts"
    known_hosts.write(path, {"10.0.0.1": [ED, RSA], "[10.0.0.2]:2222": [ED2]})
    assert path.read_text() == f"10.0.0.1 {ED}\n10.0.0.1 {RSA}\n[10.0.0.2]:2222 {ED2}\n"
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["known_hosts"]


def test_write_replaces_everything_the_file_held(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"# old\n10.0.0.1 {ED2}\n10.0.0.9 {ED}\n")
    os.chmod(path, 0o644)
    known_hosts.write(path, {"10.0.0.1": [ED]})
    assert path.read_text() == f"10.0.0.1 {ED}\n"
    assert mode(path) == 0o600


def test_write_leaves_an_unchanged_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    known_hosts.write(path, {"10.0.0.1": [ED]})
    os.utime(path, ns=(1, 1))
    known_hosts.write(path, {"10.0.0.1": [ED]})
    assert path.stat().st_mtime_ns == 1
    known_hosts.write(path, {"10.0.0.1": [ED2]})
    assert path.stat().st_mtime_ns != 1
    assert path.read_text() == f"10.0.0.1 {ED2}\n"


def test_write_without_hosts_leaves_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.1 {ED}\n")
    known_hosts.write(path, {})
    assert path.read_text() == ""
