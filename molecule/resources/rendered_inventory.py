#!/usr/bin/env python3
"""Ansible inventory script for Molecule layer scenarios: a fixture site's inventory as lokictl renders it.

A scenario links this script as its inventory ``hosts`` and names the site in LOKICTL_MOLECULE_SITE. Each
call renders the site into ``$MOLECULE_EPHEMERAL_DIRECTORY/rendered`` (nothing changes when it is up to
date), lists the result with ``ansible-inventory`` (groups, group_vars and host_vars as rendered) and leaves
out the SSH transport variables: Molecule reaches its containers with ``docker exec``. The SSH path with the
rendered connection variables is covered by the lab tests (tests/lab/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TRANSPORT = ("ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file")


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


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--host":
        print("{}")
        return
    site = os.environ.get("LOKICTL_MOLECULE_SITE")
    if not site:
        sys.exit("LOKICTL_MOLECULE_SITE is not set (the scenario's provisioner.env names the fixture site)")
    base = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or tempfile.gettempdir()
    out = Path(base) / "rendered"
    run([tool("lokictl"), "render", "-f", site, "--out", str(out)])
    inventory = json.loads(run([tool("ansible-inventory"), "-i", str(out / "hosts.yml"), "--list"]))
    for hostvars in inventory.get("_meta", {}).get("hostvars", {}).values():
        for name in TRANSPORT:
            hostvars.pop(name, None)
    print(json.dumps(inventory))


if __name__ == "__main__":
    main()
