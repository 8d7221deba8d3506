"""`lokictl lab` on a real Docker engine: hosts boot, Ansible reaches them over SSH, `down` leaves nothing.

Labs run from a directory whose name has a space (the lab's key and known_hosts paths must survive it), and
the user's own SSH files must come out of `lab up`/`lab down` byte for byte as they went in.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support import SITES, VENV_BIN, run_cli

from lokictl.lab import LABEL_LAB
from lokictl.lab.bootstrap import host_keys

pytestmark = pytest.mark.docker


def docker_lines(*args: str) -> list[str]:
    out = subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def labelled(lab: str) -> dict[str, list[str]]:
    flt = ["--filter", f"label={LABEL_LAB}={lab}"]
    return {
        "containers": docker_lines("ps", "--all", "--quiet", *flt),
        "networks": docker_lines("network", "ls", "--quiet", *flt),
        "volumes": docker_lines("volume", "ls", "--quiet", *flt),
    }


def ansible(inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_CONFIG": str(inventory / "ansible.cfg"),
        # SSH master connections of this test only (a reused connection would skip the host key check),
        # in tmp_path: short and without the space of labs/ (the socket path is limited to ~100 bytes)
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(inventory.parents[3] / "cp"),
    }
    return subprocess.run(
        [str(VENV_BIN / "ansible"), "-i", str(inventory / "hosts.yml"), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def user_ssh_files() -> dict[Path, bytes | None]:
    """Return the user's known_hosts files (for $HOME and the passwd home ssh uses) and their bytes."""
    homes = {Path.home(), Path(pwd.getpwuid(os.getuid()).pw_dir)}
    files = [home / ".ssh" / name for home in homes for name in ("known_hosts", "known_hosts.old")]
    return {f: f.read_bytes() if f.exists() else None for f in files}


def container_keys(container: str, address: str) -> list[str]:
    """Return the known_hosts lines a container's host keys make for ``address``."""
    proc = subprocess.run(
        ["docker", "exec", container, "sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(f"{address} {key}" for key in host_keys(proc.stdout))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return the working directory the lab commands run in: ``tmp_path/lab home`` (a name with a space)."""
    directory = tmp_path / "lab home"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


@pytest.fixture
def lab(home: Path) -> Iterator[str]:
    """Yield a lab name for a test run in ``home``; the lab is torn down whatever happens."""
    name = f"pytest-{os.getpid()}"
    yield name
    run_cli(["lab", "down", "--name", name])


def test_aio_lab_up_ping_status_idempotent_down(lab: str, home: Path) -> None:
    user_files = user_ssh_files()
    up = run_cli(["lab", "up", "--example", "aio", "--name", lab])
    assert up.exit_code == 0, up.stderr
    assert f"created lokictl-{lab}-aio1" in up.stdout
    directory = home / "labs" / lab
    assert (directory / "id_ed25519").stat().st_mode & 0o777 == 0o600
    site = yaml.safe_load((directory / "site.yml").read_text())
    assert site["ansible"] == {
        "user": "ops",
        "private_key_file": "id_ed25519",
        "known_hosts_file": "known_hosts",
    }
    # The hosts' keys went to the lab's own known_hosts file, not to the user's.
    lab_known_hosts = directory / "known_hosts"
    written = lab_known_hosts.read_text()
    assert sorted(written.splitlines()) == container_keys(f"lokictl-{lab}-aio1", "10.10.0.11")
    assert lab_known_hosts.stat().st_mode & 0o777 == 0o600
    assert user_ssh_files() == user_files

    # Checking is strict and uses the lab file only: with it empty, Ansible is refused (and adds nothing).
    lab_known_hosts.write_text("")
    refused = ansible(directory / "inventory", "all", "-m", "ansible.builtin.ping")
    assert refused.returncode != 0
    assert "Host key verification failed" in refused.stdout + refused.stderr
    assert lab_known_hosts.read_text() == ""
    restored = run_cli(["lab", "up", "--name", lab])
    assert restored.exit_code == 0, restored.stderr
    assert lab_known_hosts.read_text() == written

    ping = ansible(directory / "inventory", "all", "-m", "ansible.builtin.ping")
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert '"ping": "pong"' in ping.stdout
    facts = ansible(
        directory / "inventory", "all", "-m", "ansible.builtin.command", "-a", "id -un", "--become"
    )
    assert "root" in facts.stdout, facts.stdout + facts.stderr
    # Ansible connected over SSH as the lab admin user: sshd logged the login.
    log = subprocess.run(
        ["docker", "exec", f"lokictl-{lab}-aio1", "journalctl", "-u", "ssh", "--no-pager"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Accepted publickey for ops" in log

    status = run_cli(["lab", "status", "--name", lab])
    assert status.exit_code == 0, status.stderr
    row = next(line.split() for line in status.stdout.splitlines() if line.startswith("aio1"))
    assert row[:4] == ["aio1", "running", "10.10.0.11", "running"]

    before = labelled(lab)
    assert (len(before["containers"]), len(before["networks"]), len(before["volumes"])) == (1, 1, 2)
    again = run_cli(["lab", "up", "--name", lab])
    assert again.exit_code == 0, again.stderr
    assert "created" not in again.stdout and "recreated" not in again.stdout
    assert labelled(lab) == before
    assert lab_known_hosts.read_text() == written

    down = run_cli(["lab", "down", "--name", lab])
    assert down.exit_code == 0, down.stderr
    assert "removed 1 containers, 1 networks, 2 volumes" in down.stdout
    assert labelled(lab) == {"containers": [], "networks": [], "volumes": []}
    assert (directory / "site.yml").is_file()
    assert user_ssh_files() == user_files


def test_lab_from_site_file_follows_the_site_and_purges(lab: str, home: Path) -> None:
    user_files = user_ssh_files()
    site = home / "pair.yml"
    site.write_text((SITES / "lab_pair" / "site.yml").read_text())
    up = run_cli(["lab", "up", "-f", str(site), "--name", lab])
    assert up.exit_code == 0, up.stderr
    inventory = home / "labs" / lab / "inventory"
    lab_known_hosts = home / "labs" / lab / "known_hosts"
    node1 = container_keys(f"lokictl-{lab}-node1", "10.211.0.11")
    node2 = container_keys(f"lokictl-{lab}-node2", "10.211.0.12")
    assert sorted(lab_known_hosts.read_text().splitlines()) == sorted(node1 + node2)
    # The site's first admin user ("admin") is the one Ansible logs in as; hosts find each other by name.
    reach = ansible(inventory, "node1", "-m", "ansible.builtin.command", "-a", "getent hosts node2")
    assert reach.returncode == 0, reach.stdout + reach.stderr
    assert "10.211.0.12" in reach.stdout
    whoami = ansible(
        inventory, "node2", "-m", "ansible.builtin.command", "-a", "whoami", "-e", "ansible_become=false"
    )
    assert "admin" in whoami.stdout, whoami.stdout + whoami.stderr

    site.write_text(
        site.read_text().replace("  - {name: node2, address: 10.211.0.12, roles: [compute]", "  # ")
    )
    smaller = run_cli(["lab", "up", "-f", str(site), "--name", lab])
    assert smaller.exit_code == 0, smaller.stderr
    assert "removed host node2" in smaller.stdout
    assert len(labelled(lab)["containers"]) == 1
    assert len(labelled(lab)["volumes"]) == 2
    assert sorted(lab_known_hosts.read_text().splitlines()) == node1

    down = run_cli(["lab", "down", "--name", lab, "--purge"])
    assert down.exit_code == 0, down.stderr
    assert labelled(lab) == {"containers": [], "networks": [], "volumes": []}
    assert not (home / "labs" / lab).exists()
    assert user_ssh_files() == user_files


def test_subnet_taken_by_another_network_is_a_clear_error(lab: str, home: Path) -> None:
    other = f"{lab}-other"
    subprocess.run(
        [
            "docker",
            "network",
            "create",
            "--label",
            f"{LABEL_LAB}={other}",
            "--subnet",
            "10.211.0.0/24",
            other,
        ],
        check=True,
        capture_output=True,
    )
    try:
        site = home / "pair.yml"
        site.write_text((SITES / "lab_pair" / "site.yml").read_text())
        up = run_cli(["lab", "up", "-f", str(site), "--name", lab])
        assert up.exit_code == 2
        assert f"overlaps Docker network {other}" in up.stderr
        assert f"lokictl lab down --name {other}" in up.stderr
        assert labelled(lab)["containers"] == []
    finally:
        subprocess.run(["docker", "network", "rm", other], check=True, capture_output=True)
