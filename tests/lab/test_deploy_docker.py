"""`lokictl deploy / status / verify` on a 3-host lab (systemd containers reached over SSH).

The layer deployed is the small test playbook in tests/fixtures/content (LOKI_CONTENT_DIR), which has switches
to break a host; the Linux layer itself is covered by molecule/layer_linux.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FIXTURES, last_summary, run_cli, three_host_site

pytestmark = pytest.mark.docker

SITE = three_host_site("deploytest", "10.213.5", "h")


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Yield a lab name for a test run in ``tmp_path``; the lab is torn down whatever happens."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOKI_CONTENT_DIR", str(FIXTURES / "content"))
    name = f"pytest-deploy-{os.getpid()}"
    yield name
    run_cli(["lab", "down", "--name", name, "--purge"])


def in_host(lab: str, host: str, command: str) -> None:
    subprocess.run(["docker", "exec", f"lokictl-{lab}-{host}", "sh", "-c", command], check=True, timeout=60)


def status_row(args: list[str], layer: str) -> str:
    result = run_cli(["status", *args])
    assert result.exit_code == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith(layer))


def test_deploy_failure_resume_and_verify_on_a_lab(lab: str, tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text(SITE)
    up = run_cli(["lab", "up", "-f", str(site), "--name", lab])
    assert up.exit_code == 0, up.stderr
    directory = tmp_path / "labs" / lab
    args = ["-f", str(directory / "site.yml"), "--inventory", str(directory / "inventory")]

    # First deploy changes each host once; the record and status say so.
    first = run_cli(["deploy", *args, "--layer", "linux", "--output", "plain"])
    assert first.exit_code == 0, first.stderr
    summary = last_summary(directory)
    assert summary["status"] == "successful"
    assert {h: r["changed"] for h, r in summary["recap"].items()} == {"h1": 1, "h2": 1, "h3": 1}
    assert "linux       successful" in status_row(args, "linux")

    # A rerun changes nothing.
    again = run_cli(["deploy", *args, "--layer", "linux", "--output", "json"])
    assert again.exit_code == 0, again.stderr
    assert {h: r["changed"] for h, r in last_summary(directory)["recap"].items()} == {
        "h1": 0,
        "h2": 0,
        "h3": 0,
    }

    # Break h2 (a task fails) and h3 (sshd gone): a short summary, exit 1, status lists both hosts.
    in_host(lab, "h2", "touch /etc/lokictl-fixture-break")
    in_host(lab, "h3", "systemctl mask --now ssh.service ssh.socket >/dev/null 2>&1; pkill -x sshd || true")
    broken = run_cli(["deploy", *args, "--layer", "linux"])
    assert broken.exit_code == 1
    lines = broken.stderr.splitlines()
    assert lines[0] == "error: layer linux failed (rc=4) on 2 of 3 hosts"
    by_host = {line.split()[0]: line for line in lines[1:3]}
    assert "Fail on a host with the break switch" in by_host["h2"] and "non-zero return code" in by_host["h2"]
    assert "unreachable:" in by_host["h3"] and "10.213.5.13" in by_host["h3"]
    assert lines[3].startswith("log:    ") and Path(lines[3].split()[1]).is_file()
    assert lines[4] == f"resume: lokictl deploy {' '.join(args)} --layer linux --resume"
    assert Path(lines[3].split()[1]).parent == sorted(directory.glob("runs/*-linux"))[-1]
    assert " h2,h3 " in status_row(args, "linux") and "failed" in status_row(args, "linux")

    # Repair both hosts: --resume reruns the failed layer, then has nothing left to do.
    in_host(lab, "h2", "rm /etc/lokictl-fixture-break")
    in_host(lab, "h3", "systemctl unmask ssh.service ssh.socket >/dev/null 2>&1; systemctl start ssh.service")
    resumed = run_cli(["deploy", *args, "--layer", "linux", "--resume"])
    assert resumed.exit_code == 0, resumed.stderr
    assert last_summary(directory)["status"] == "successful"
    done = run_cli(["deploy", *args, "--layer", "linux", "--resume"])
    assert done.exit_code == 0 and "linux: skipped (succeeded at" in done.stdout

    # verify runs the shipped suite on every host. The test content does not configure chrony, so that
    # check fails (exit 1) while SSH, the lab's admin user and the time zone pass.
    verify = run_cli(["verify", *args, "--layer", "linux"])
    assert verify.exit_code == 1, verify.stderr
    table = {
        line.split()[1]: line.split()[2:] for line in verify.stdout.splitlines() if line.startswith("linux ")
    }
    assert table["sshd_running"] == ["pass", "pass", "pass"]
    assert table["admin_users_present"] == ["pass", "pass", "pass"]
    assert table["time_zone"] == ["pass", "pass", "pass"]
    assert table["chrony"] == ["FAIL", "FAIL", "FAIL"]
    assert "verify FAILED" in verify.stdout
