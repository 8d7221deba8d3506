"""playbooks/linux.yml on localhost, its always-tagged part: the one task that checks every role's inputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from support import ROOT

PLAYBOOK = ROOT / "playbooks" / "linux.yml"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "LANG": "C.UTF-8",
    }
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local"]
    cmd += ["-e", "ansible_python_interpreter=" + sys.executable, "--check"]
    # no role task runs (no task carries that tag); base_packages (tagged always) never touches this machine
    cmd += ["--tags", "no-such-tag", "--skip-tags", "base_packages", *args, str(PLAYBOOK)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def _imported_roles() -> list[str]:
    (play,) = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    return [
        t["ansible.builtin.import_role"]["name"] for t in play["tasks"] if "ansible.builtin.import_role" in t
    ]


def test_every_imported_role_is_checked_in_order(tmp_path: Path) -> None:
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checked = re.findall(r"^ok: \[localhost\] => \(item=(\w+)\)", proc.stdout, re.MULTILINE)
    assert checked == _imported_roles()
    assert len(checked) == 17


def test_a_bad_input_stops_the_play_at_the_check(tmp_path: Path) -> None:
    proc = _run(tmp_path, "-e", "hardening_sshd_profile=bogus")
    assert proc.returncode == 2
    assert "value of hardening_sshd_profile must be one of: none, baseline, strict, got: bogus" in proc.stdout
    assert re.search(r"^failed: \[localhost\] \(item=hardening_sshd\)", proc.stdout, re.MULTILINE)
