#!/usr/bin/env python3
"""Inventory script of molecule/layer_linux: the fixture site, with a fresh SSH key, as lokictl renders it.

On first use it generates an SSH key pair in ``$MOLECULE_EPHEMERAL_DIRECTORY`` and writes a copy of the
fixture site whose administrator ``ops`` has that public key (no private key is ever committed). Each call
renders that copy with ``lokictl render`` and lists it with ``ansible-inventory``. Molecule reaches its
containers with ``docker exec``: the address, port and key file are left out, the rendered user (``ops``,
with sudo) is kept, so the play runs as the administrator exactly as over SSH. The SSH path itself is checked
by the scenario's tests with that key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "sites" / "layer_linux" / "site.yml"
TRANSPORT = ("ansible_host", "ansible_port", "ansible_ssh_private_key_file")


def tool(name: str) -> str:
    """Return a tool next to this Python (the virtualenv), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        sys.exit(1)
    return proc.stdout


def site_with_key(base: Path) -> Path:
    """Return the fixture site copy whose administrator has the scenario's key (both made on first use)."""
    key = base / "id_ed25519"
    if not key.exists():
        base.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "molecule-layer-linux", "-f", str(key)])
    public = (base / "id_ed25519.pub").read_text(encoding="utf-8").strip()
    site = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    for user in site["linux"]["admin_users"]:
        if user["name"] == "ops":
            user["ssh_keys"] = [public]
    path = base / "site" / "site.yml"
    text = yaml.safe_dump(site, sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--host":
        print("{}")
        return
    base = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or tempfile.gettempdir())
    site = site_with_key(base)
    out = base / "rendered"
    run([tool("lokictl"), "render", "-f", str(site), "--out", str(out)])
    inventory = json.loads(run([tool("ansible-inventory"), "-i", str(out / "hosts.yml"), "--list"]))
    for hostvars in inventory.get("_meta", {}).get("hostvars", {}).values():
        for name in TRANSPORT:
            hostvars.pop(name, None)
    print(json.dumps(inventory))


if __name__ == "__main__":
    main()
