"""Verify layer_linux from outside the hosts: SSH, sudo, firewall and a container on hardened hosts.

Expected values come from the fixture site itself; SSH runs from the machine running Molecule to the site
addresses with the scenario's key; other checks run inside the hosts as root (``docker exec``).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra
import yaml

SITE = yaml.safe_load(Path(os.environ["LOKICTL_MOLECULE_SITE"]).read_text())
HOSTS = {h["name"]: h for h in SITE["hosts"]}
KEY = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "id_ed25519"
SSH = [
    "ssh", "-i", str(KEY), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
]  # fmt: skip
UNLISTED_PORT = 8999
K8S_API_PORT = 6443


def root(name: str):
    return testinfra.get_host(f"docker://{name}")


def ssh(user: str, name: str, command: str, *options: str) -> subprocess.CompletedProcess[str]:
    args = [*SSH, *options, f"{user}@{HOSTS[name]['address']}", command]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_admin_logs_in_with_the_key_and_sudo_works(name: str) -> None:
    result = ssh("ops", name, "sudo -n id -u")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_root_login_is_refused(name: str) -> None:
    # root has the same key in authorized_keys (prepare.yml): only sshd's PermitRootLogin refuses it.
    result = ssh("root", name, "true")
    assert result.returncode == 255
    assert "Permission denied" in result.stderr


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_password_login_is_refused(name: str) -> None:
    result = ssh(
        "ops", name, "true", "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=password,keyboard-interactive",
    )  # fmt: skip
    assert result.returncode == 255
    # The server offers public keys only.
    assert "Permission denied (publickey)" in result.stderr


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_sshd_runs_the_hardened_settings(name: str) -> None:
    settings = dict(
        line.split(" ", 1) for line in root(name).check_output("sshd -T").splitlines() if " " in line
    )
    assert settings["permitrootlogin"] == "no"
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    # strict: 3 tries (the key file is offered first), 4 sessions, local tunnels only.
    assert int(settings["maxauthtries"]) == 3
    assert int(settings["maxsessions"]) == 4
    assert settings["allowtcpforwarding"] == "local"
    assert settings["allowgroups"] == "sshusers"


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_firewall_table_is_loaded_with_a_drop_policy(name: str) -> None:
    table = root(name).check_output("nft list table inet hardening_filter")
    assert "hook input priority filter; policy drop;" in table
    assert "tcp dport 22 accept" in table
    # Hosts with OpenStack or Kubernetes route container traffic: forwarding is not filtered here.
    assert "hook forward priority filter; policy accept;" in table


@pytest.fixture
def listeners() -> Iterator[None]:
    """Serve TCP on an unlisted port and on the Kubernetes API port of lx2 (transient units)."""
    lx2 = root("lx2")
    units = {f"layer-linux-listen-{port}": port for port in (UNLISTED_PORT, K8S_API_PORT)}
    for unit, port in units.items():
        lx2.check_output(
            f"systemd-run --unit {unit} python3 -m http.server {port} --bind 0.0.0.0 --directory /usr/share"
        )
    for port in units.values():
        for _ in range(50):
            if lx2.run(f"python3 -c {shlex.quote(_connect('127.0.0.1', port, 1))}").rc == 0:
                break
            time.sleep(0.2)
    yield
    for unit in units:
        lx2.run(f"systemctl stop {unit}")


def _connect(address: str, port: int, timeout: float) -> str:
    return f"import socket; socket.create_connection(({address!r}, {port}), timeout={timeout}).close()"


@pytest.mark.usefixtures("listeners")
def test_firewall_drops_unlisted_ports_and_allows_layer_ports() -> None:
    lx3 = root("lx3")
    address = HOSTS["lx2"]["address"]
    # The layer port (Kubernetes API on a Kubernetes host) is open to the site network.
    assert lx3.run(f"python3 -c {shlex.quote(_connect(address, K8S_API_PORT, 5))}").rc == 0
    # The unlisted port serves locally but is dropped from the network: the connection times out, no reset.
    assert root("lx2").run(f"python3 -c {shlex.quote(_connect('127.0.0.1', UNLISTED_PORT, 5))}").rc == 0
    blocked = lx3.run(f"python3 -c {shlex.quote(_connect(address, UNLISTED_PORT, 3))}")
    assert blocked.rc != 0
    assert "timed out" in blocked.stderr


def test_hardened_host_runs_a_container_that_reaches_another_host() -> None:
    lx1 = root("lx1")
    assert lx1.check_output("docker run --rm tiny:1 /bin/busybox echo ok") == "ok"
    # Forwarded and NATed through the hardened host to another host of the site.
    target = HOSTS["lx2"]["address"]
    assert lx1.run(f"docker run --rm tiny:1 /bin/busybox ping -c 1 -W 5 {target}").rc == 0
    # The runtime's own tables survive the firewall (which never flushes the ruleset).
    tables = lx1.check_output("nft list tables")
    assert "table inet hardening_filter" in tables
    assert "table ip nat" in tables


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_layer_hosts_keep_forwarding_and_container_modules(name: str) -> None:
    host = root(name)
    sysctl = host.file("/etc/sysctl.d/60-hardening.conf").content_string
    assert "net.ipv4.ip_forward = 1" in sysctl
    assert "net.ipv4.conf.all.rp_filter = 0" in sysctl
    assert "kernel.kptr_restrict = 2" in sysctl
    modules = host.file("/etc/modules-load.d/60-hardening.conf").content_string.split()
    assert {"overlay", "br_netfilter"} <= set(modules)
    blacklist = host.file("/etc/modprobe.d/60-hardening.conf").content_string
    assert "install overlay" not in blacklist
    assert "install cramfs /bin/true" in blacklist
    if any(r.startswith("k8s_") for r in HOSTS[name]["roles"]):
        # sctp stays loadable on Kubernetes hosts.
        assert "install sctp" not in blacklist
    else:
        # strict profile, no Kubernetes: sctp is blacklisted (Lynis NETW-3200).
        assert "install sctp /bin/true" in blacklist


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_container_limits_are_reported_not_failed(name: str) -> None:
    host = root(name)
    assert host.service("auditd").is_enabled
    assert not host.service("auditd").is_running
    rules = host.file("/etc/audit/rules.d/99-finalize.rules").content_string
    assert "-e 2" in rules
    assert host.file("/etc/audit/rules.d/50-hardening.rules").contains("-k identity")
    assert host.service("nftables").is_running


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_base_configuration_follows_the_site(name: str) -> None:
    host = root(name)
    assert host.file("/etc/timezone").content_string.strip() == SITE["site"]["timezone"]
    assert f"server {SITE['site']['ntp'][0]} iburst" in host.file("/etc/chrony/chrony.conf").content_string
    assert host.user("ops").shell == "/bin/bash"
    assert "sshusers" in host.user("ops").groups
    auth = host.file("/etc/pam.d/common-auth").content_string
    assert "pam_faillock.so" in auth
    assert "nullok" not in auth
    assert host.file("/var/lib/aide/aide.db").exists


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_aide_keeps_only_the_rule_snippets_of_programs_the_host_runs(name: str) -> None:
    host = root(name)
    snippets = "/usr/share/aide/config/aide/aide.conf.d"
    assert host.file("/etc/dpkg/dpkg.cfg.d/50base-apt-paths").contains(f"path-exclude={snippets}/31_aide_")
    # Kept: the system's own and the installed tools' rules; left out: programs a LOKI host does not run.
    assert host.file(f"{snippets}/31_aide_sudo").exists
    assert host.file("/etc/aide/aide.conf.d/31_aide_chrony").exists
    assert not host.file(f"{snippets}/31_aide_apache2").exists
    assert not host.file("/etc/aide/aide.conf.d/31_aide_postfix").exists
    assert host.run("aide --config-check --config /etc/aide/aide.conf").rc == 0


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_aide_check_finds_nothing_after_the_converge(name: str) -> None:
    """The database built during the run matches the host afterwards (and after the idempotence run): Ansible's
    temporary files, aide.db.new (Debian's rules expect it to stay) and the growing sudo log do not count."""
    host = root(name)
    check = host.run("aide --config /etc/aide/aide.conf --check")
    assert check.rc == 0, check.stdout[-3000:]
