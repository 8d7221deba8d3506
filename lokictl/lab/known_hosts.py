"""Keep the lab's SSH host keys in the user's known_hosts file.

Lab hosts get fresh host keys each time they are created, and different labs reuse addresses, so `lab up`
replaces the entries of its addresses with the keys read from the containers (a trusted path, not the
network) and `lab down` removes exactly those entries again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from pathlib import Path


def default_path() -> Path:
    """Return the user's known_hosts file (``~/.ssh/known_hosts``)."""
    return Path.home() / ".ssh" / "known_hosts"


def host_pattern(address: str, port: int = 22) -> str:
    """Return how OpenSSH names a host in known_hosts (``[addr]:port`` for ports other than 22)."""
    return address if port == 22 else f"[{address}]:{port}"


def _matches(field: str, host: str) -> bool:
    for pattern in field.split(","):
        if pattern.startswith("|1|"):
            try:
                salt, digest = (base64.b64decode(p) for p in pattern[3:].split("|", 1))
            except ValueError:
                continue
            if hmac.compare_digest(hmac.new(salt, host.encode(), hashlib.sha1).digest(), digest):
                return True
        elif pattern == host:
            return True
    return False


def _entry(line: str) -> tuple[str, str] | None:
    """Return (hosts field, "type key") of a plain known_hosts line, None for comments and markers."""
    parts = line.split()
    if len(parts) < 3 or line.lstrip().startswith(("#", "@")):
        return None
    return parts[0], f"{parts[1]} {parts[2]}"


def filter_lines(lines: list[str], hosts: Mapping[str, Sequence[str]], *, only_same_key: bool) -> list[str]:
    """Return ``lines`` without the entries of ``hosts`` ({host pattern: ["type key", ...]}).

    Args:
        lines: known_hosts lines.
        hosts: host patterns and their keys.
        only_same_key: drop an entry only when it holds one of the given keys (else any key of that host).
    """
    kept = []
    for line in lines:
        entry = _entry(line)
        drop = False
        if entry is not None:
            field, key = entry
            drop = any(
                _matches(field, host) and (not only_same_key or key in hkeys) for host, hkeys in hosts.items()
            )
        if not drop:
            kept.append(line)
    return kept


def replace(hosts: Mapping[str, Sequence[str]], path: Path | None = None) -> None:
    """Make ``hosts`` ({host pattern: ["type key", ...]}) the only known keys of those hosts."""
    path = path or default_path()
    lines = _read(path)
    kept = filter_lines(lines, hosts, only_same_key=False)
    _write(path, kept + [f"{host} {key}" for host, keys in hosts.items() for key in keys])


def remove(hosts: Mapping[str, Sequence[str]], path: Path | None = None) -> None:
    """Remove the entries of ``hosts`` that hold one of the given keys."""
    path = path or default_path()
    if not path.exists():
        return
    lines = _read(path)
    kept = filter_lines(lines, hosts, only_same_key=True)
    if kept != lines:
        _write(path, kept)


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
