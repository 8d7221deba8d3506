"""playbooks/integrity.yml on localhost: the AIDE baseline runs whatever --tags a deploy passes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

BASELINE_TASK = "TASK [hardening_aide : Baseline | Record the deploy's changes in the AIDE database"


def _run(tmp_path: Path, *args: str) -> str:
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "LANG": "C.UTF-8",
    }
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local"]
    cmd += ["-e", "loki_hosts=localhost", "-e", "ansible_python_interpreter=" + sys.executable]
    # never the controller's own AIDE database
    cmd += ["-e", "__hardening_aide_db=" + str(tmp_path / "absent.db")]
    proc = subprocess.run(
        [*cmd, *args, str(ROOT / "playbooks" / "integrity.yml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("tags", [[], ["--tags", "openstack"], ["--tags", "hardening_aide"]])
def test_the_baseline_task_runs_with_any_tags(tmp_path: Path, tags: list[str]) -> None:
    out = _run(tmp_path, *tags)
    assert BASELINE_TASK in out
    # a host without an AIDE database is left alone: the task reports ok, not changed
    section = out.split(BASELINE_TASK, 1)[1].split("TASK [", 1)[0]
    assert "ok: [localhost]" in section


def test_the_baseline_is_skipped_on_a_host_without_hardening(tmp_path: Path) -> None:
    out = _run(tmp_path, "-e", "loki_linux_hardening=none")
    section = out.split(BASELINE_TASK, 1)[1].split("TASK [", 1)[0]
    assert "skipping: [localhost]" in section
