"""A site's known_hosts file reaches ssh: Ansible parses both rendered inventories (the kolla one is
INI), resolves ``{{inventory_dir}}``, and ssh, given the arguments Ansible builds, checks strictly against
that file.

The site lives in a directory whose name has a space, the case that needs the quoting.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import EXAMPLES

from lokictl import core, runner

pytestmark = pytest.mark.usefixtures("fast_keys")

BIN = Path(sys.executable).parent
ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "ANSIBLE_NOCOLOR": "1"}


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Path, Path]:
    """Render the multinode example with ``known_hosts_file: known_hosts``; return (site dir, output)."""
    data = yaml.safe_load((EXAMPLES / "multinode.yml").read_text())
    data["ansible"] = {"user": "ops", "known_hosts_file": "known_hosts"}
    site_dir = tmp_path / "my site"
    site_dir.mkdir()
    (site_dir / "site.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    out = site_dir / "inventories" / "lab one"
    core.render(site_dir / "site.yml", out)
    return site_dir, out


def ssh_config(args: list[str]) -> dict[str, str]:
    """Return the options ssh would use with ``args`` (``ssh -G``: evaluate, do not connect)."""
    proc = subprocess.run(
        ["ssh", "-G", "-F", "/dev/null", *args, "ops@10.10.0.11"],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)


def test_ansible_inventory_parses_the_kolla_ini_inventory(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(out / "kolla" / "inventory"), "--list"],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    hostvars: dict[str, Any] = json.loads(proc.stdout)["_meta"]["hostvars"]
    hostvars.pop("localhost")  # kolla's deployment host
    assert set(hostvars) == {"ctl1", "ctl2", "ctl3", "cmp1", "cmp2"}
    for data in hostvars.values():
        assert data["ansible_ssh_common_args"] == (
            "-o 'UserKnownHostsFile=\"{{inventory_dir}}/../../../known_hosts\"' -o StrictHostKeyChecking=yes"
        )
        assert data["ansible_user"] == "ops" and data["ansible_become"] is True


@pytest.mark.parametrize("inventory", ["hosts.yml", "kolla/inventory"])
def test_ssh_checks_strictly_against_the_site_file_only(rendered: tuple[Path, Path], inventory: str) -> None:
    site_dir, out = rendered
    hostvars = runner.inventory_hostvars([out / inventory])
    common = hostvars["ctl1"]["ansible_ssh_common_args"]
    known_hosts = (site_dir / "known_hosts").resolve()
    option, path = shlex.split(common)[1].split("=", 1)
    assert option == "UserKnownHostsFile" and path.startswith('"') and path.endswith('"')
    assert Path(path[1:-1]).resolve() == known_hosts
    # Ansible puts ansible.cfg's ssh_args first, then ssh_common_args; ssh keeps the first value it sees.
    cfg = (out / "ansible.cfg").read_text().split("[ssh_connection]", 1)[1]
    ssh_args = next(line for line in cfg.splitlines() if line.startswith("ssh_args = ")).split(" = ", 1)[1]
    options = ssh_config([*shlex.split(ssh_args), *shlex.split(common)])
    assert options["stricthostkeychecking"] == "true"
    assert Path(options["userknownhostsfile"]).resolve() == known_hosts
