#!/usr/bin/env python3
"""Ansible inventory script for Molecule layer scenarios: a fixture site's inventory as lokictl renders it.

A scenario links this script as its inventory ``hosts`` and names the site in LOKICTL_MOLECULE_SITE. Each
call renders the site into ``$MOLECULE_EPHEMERAL_DIRECTORY/rendered`` (nothing changes when it is up to
date), lists the result with ``ansible-inventory`` (groups, group_vars and host_vars as rendered) and leaves
out the SSH transport variables: Molecule reaches its containers with ``docker exec``. The SSH path with the
rendered connection variables is covered by the lab tests (tests/lab/) and by scenarios that name an admin.

With LOKICTL_MOLECULE_ADMIN set to one of the site's ``linux.admin_users``, the first call generates an SSH
key pair ``id_ed25519`` in the ephemeral directory (no private key is ever committed) and renders a copy of
the site in which that administrator has the public key. The rendered ``ansible_user`` (the administrator,
with sudo) is then kept, so plays run as the administrator exactly as over SSH, and the scenario's tests
can log in with the key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TRANSPORT = ("ansible_host", "ansible_port", "ansible_ssh_private_key_file")


def tool(name: str) -> str:
    """Return a tool next to this Python (the virtualenv), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def run(args: list[str]) -> str:
    """Run a command; on failure print its output and exit 1 (Ansible shows it)."""
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        sys.exit(1)
    return proc.stdout


def site_with_key(site: Path, admin: str, base: Path) -> Path:
    """Return a copy of ``site`` where the admin ``admin`` has the scenario's key (both made on first use)."""
    import yaml  # only here: scenarios without an admin run with any Python

    key = base / "id_ed25519"
    if not key.exists():
        base.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lokictl-molecule", "-f", str(key)])
    public = (base / "id_ed25519.pub").read_text(encoding="utf-8").strip()
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    users = [u for u in (data.get("linux") or {}).get("admin_users") or [] if u.get("name") == admin]
    if not users:
        sys.exit(f"LOKICTL_MOLECULE_ADMIN={admin} is not an admin user of {site}")
    for user in users:
        user["ssh_keys"] = [public]
    path = base / "site" / "site.yml"
    text = yaml.safe_dump(data, sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    """Print the rendered inventory (``--list``), or no host variables (``--host``)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--host":
        print("{}")
        return
    site = os.environ.get("LOKICTL_MOLECULE_SITE")
    if not site:
        sys.exit("LOKICTL_MOLECULE_SITE is not set (the scenario's provisioner.env names the fixture site)")
    admin = os.environ.get("LOKICTL_MOLECULE_ADMIN", "")
    base = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or tempfile.gettempdir())
    rendered = site_with_key(Path(site), admin, base) if admin else Path(site)
    out = base / "rendered"
    run([tool("lokictl"), "render", "-f", str(rendered), "--out", str(out)])
    inventory = json.loads(run([tool("ansible-inventory"), "-i", str(out / "hosts.yml"), "--list"]))
    dropped = TRANSPORT if admin else (*TRANSPORT, "ansible_user")
    for hostvars in inventory.get("_meta", {}).get("hostvars", {}).values():
        for name in dropped:
            hostvars.pop(name, None)
    print(json.dumps(inventory))


if __name__ == "__main__":
    main()
