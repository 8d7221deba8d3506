"""The lab directory ``labs/<name>/``: the lab's site file, SSH key pair, known_hosts file and inventory."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lokictl.errors import InputError, RuntimeFailure
from lokictl.fsutil import write_bytes_atomic, write_text_atomic

KEY_FILE = "id_ed25519"
KNOWN_HOSTS_FILE = "known_hosts"
SITE_FILE = "site.yml"
DEFAULT_ADMIN = "ops"
HEADER = (
    "# Lab site file written by `lokictl lab up` from {source}.\n"
    "# Ansible logs in as the first admin user with the lab key (id_ed25519 next to this file) and checks\n"
    "# the hosts' keys against known_hosts next to this file (written by `lokictl lab up`).\n"
)


@dataclass(frozen=True)
class LabDir:
    """Paths of a lab directory."""

    root: Path

    @property
    def name(self) -> str:
        """Return the lab name (the directory name)."""
        return self.root.name

    @property
    def site(self) -> Path:
        """Return the lab's site file."""
        return self.root / SITE_FILE

    @property
    def key(self) -> Path:
        """Return the lab's private SSH key."""
        return self.root / KEY_FILE

    @property
    def public_key(self) -> Path:
        """Return the lab's public SSH key."""
        return self.root / f"{KEY_FILE}.pub"

    @property
    def known_hosts(self) -> Path:
        """Return the lab's SSH known_hosts file (the lab hosts' keys)."""
        return self.root / KNOWN_HOSTS_FILE

    @property
    def inventory(self) -> Path:
        """Return the directory of the rendered inventory."""
        return self.root / "inventory"


def lab_dir(name: str, base: Path | None = None) -> LabDir:
    """Return the directory of lab ``name``: ``labs/<name>`` under ``base`` (default: working directory)."""
    return LabDir((base or Path.cwd()) / "labs" / name)


def ensure_key(lab: LabDir) -> str:
    """Create the lab's ed25519 key pair unless it exists; return the public key line.

    Raises:
        RuntimeFailure: the key cannot be written.
    """
    if lab.key.is_file() and lab.public_key.is_file():
        return lab.public_key.read_text(encoding="utf-8").strip()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    line = f"{public.decode()} lokictl-lab-{lab.name}"
    try:
        lab.root.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(lab.key, private, 0o600)
        write_bytes_atomic(lab.public_key, f"{line}\n".encode(), 0o600)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write the lab key in {lab.root}: {exc.strerror or exc}") from None
    return line


def lab_site_data(
    data: dict[str, Any], public_key: str, lab_name: str | None = None
) -> tuple[dict[str, Any], str]:
    """Return the lab's version of a site and the admin user Ansible logs in as.

    The first admin user (``ops`` when the site has none) gets the lab public key, and Ansible logs in as
    that user with the lab's private key, checking host keys against the lab's known_hosts file. With
    ``lab_name`` the site gets a ``lab: {name: ...}`` section (lab mode: lab-only kolla-ansible settings,
    image loading into the lab's containers, inventory beside the site file).
    """
    lab = copy.deepcopy(data)
    linux = lab.get("linux") or {}
    users = linux.get("admin_users") or []
    if not users:
        users.append({"name": DEFAULT_ADMIN, "ssh_keys": []})
    admin = users[0]
    keys = admin.get("ssh_keys") or []
    if public_key not in keys:
        keys.append(public_key)
    admin["ssh_keys"] = keys
    linux["admin_users"] = users
    lab["linux"] = linux
    ansible = dict(lab.get("ansible") or {})
    ansible.update(
        {"user": admin["name"], "private_key_file": KEY_FILE, "known_hosts_file": KNOWN_HOSTS_FILE}
    )
    lab["ansible"] = ansible
    if lab_name is not None:
        lab["lab"] = {"name": lab_name}
    return lab, str(admin["name"])


def write_lab_site(lab: LabDir, source_text: str, source: str, public_key: str) -> str:
    """Write the lab's site file made from a site's text; return the admin user name.

    Raises:
        InputError: the source is not a YAML mapping.
        RuntimeFailure: the file cannot be written.
    """
    data = yaml.safe_load(source_text)
    if not isinstance(data, dict):
        raise InputError(f"{source}: not a site file (expected a mapping of sections)")
    lab_data, admin = lab_site_data(data, public_key, lab.name)
    text = HEADER.format(source=source) + yaml.safe_dump(lab_data, sort_keys=False, width=1000)
    if not lab.site.is_file() or lab.site.read_text(encoding="utf-8") != text:
        try:
            lab.root.mkdir(parents=True, exist_ok=True)
            write_text_atomic(lab.site, text, 0o644)
        except OSError as exc:
            raise RuntimeFailure(f"cannot write {lab.site}: {exc.strerror or exc}") from None
    return admin
