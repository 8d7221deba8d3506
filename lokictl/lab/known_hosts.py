"""The lab's own SSH known_hosts file (``labs/<name>/known_hosts``).

Lab hosts get fresh host keys each time they are created and different labs reuse addresses, so `lab up`
rewrites the lab's file with the keys read from the containers (a trusted path, not the network). The lab
site points Ansible at this file (``ansible.known_hosts_file``); the user's own SSH files are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lokictl.fsutil import write_text_atomic


def host_pattern(address: str, port: int = 22) -> str:
    """Return how OpenSSH names a host in known_hosts (``[addr]:port`` for ports other than 22)."""
    return address if port == 22 else f"[{address}]:{port}"


def write(path: Path, hosts: Mapping[str, Sequence[str]]) -> None:
    """Make ``path`` hold exactly the keys of ``hosts`` ({host pattern: ["type key", ...]}), mode 0600.

    The file is replaced atomically; whatever it held before (keys of earlier hosts) is dropped.
    """
    text = "".join(f"{host} {key}\n" for host, keys in hosts.items() for key in keys)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text, 0o600)
