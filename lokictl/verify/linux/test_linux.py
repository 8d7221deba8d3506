"""Linux layer checks, run by ``lokictl verify`` on every host (pytest + testinfra's ansible backend).

Expectations come from the site-wide ``loki_*`` variables ``lokictl render`` writes, so each check states
what the site file asked for: SSH up with root password login refused, the administrators present, time
zone and chrony as configured, and the host firewall active when hardening is on.
"""

from __future__ import annotations

from typing import Any

import pytest


def _vars(host: Any) -> dict[str, Any]:
    return dict(host.ansible.get_variables())


def _hardened(host: Any) -> bool:
    return bool(_vars(host).get("loki_linux_hardening", "baseline") != "none")


def _in_container(host: Any) -> bool:
    return bool(host.run("systemd-detect-virt --container --quiet").rc == 0)


def _sshd_settings(host: Any) -> dict[str, str]:
    settings: dict[str, str] = {}
    for line in host.check_output("sshd -T").splitlines():
        key, _, value = line.partition(" ")
        settings.setdefault(key.lower(), value.strip())
    return settings


def test_sshd_running(host: Any) -> None:
    """Sshd is enabled and serving, with a valid configuration."""
    assert host.service("ssh").is_enabled or host.service("ssh.socket").is_enabled
    assert host.service("ssh").is_running or host.service("ssh.socket").is_running
    assert host.run("sshd -t").rc == 0


def test_root_login_refused(host: Any) -> None:
    """Root cannot log in with a password; not at all unless Ansible itself logs in as root."""
    if not _hardened(host):
        pytest.skip("linux.hardening is none")
    settings = _sshd_settings(host)
    # OpenSSH 9.2 (bookworm) prints prohibit-password under its old name, without-password.
    as_root = _vars(host).get("ansible_user", "root") == "root"
    allowed = {"no", "prohibit-password", "without-password"} if as_root else {"no"}
    assert settings.get("permitrootlogin") in allowed
    assert settings.get("passwordauthentication") == "no"
    assert settings.get("permitemptypasswords") == "no"


def test_admin_users_present(host: Any) -> None:
    """Every administrator of the site file exists, with a home, its SSH keys and (if asked) sudo."""
    admins = _vars(host).get("loki_admin_users") or []
    for admin in admins:
        user = host.user(admin["name"])
        assert user.exists, f"user {admin['name']} missing"
        assert host.file(user.home).is_directory
        if admin.get("ssh_keys"):
            keys = host.file(f"{user.home}/.ssh/authorized_keys")
            assert keys.is_file, f"{admin['name']}: no authorized_keys"
            content = keys.content_string
            for key in admin["ssh_keys"]:
                assert key.split()[1] in content, f"{admin['name']}: key {key.split()[-1]} missing"
        if admin.get("sudo", True):
            sudo = host.run("sudo -l -U %s", admin["name"])
            assert "may run the following commands" in sudo.stdout, f"{admin['name']} has no sudo rights"


def test_time_zone(host: Any) -> None:
    """The time zone is the site's."""
    zone = _vars(host).get("loki_timezone", "Etc/UTC")
    assert host.file("/etc/timezone").content_string.strip() == zone
    assert host.file("/etc/localtime").linked_to == f"/usr/share/zoneinfo/{zone}"


def test_chrony(host: Any) -> None:
    """Chrony is the time daemon, uses the site's NTP servers and runs (outside containers)."""
    assert host.package("chrony").is_installed
    chrony = host.service("chrony")
    assert chrony.is_enabled
    if not _in_container(host):
        assert chrony.is_running
    servers = _vars(host).get("loki_ntp_servers") or []
    if servers:
        conf = host.file("/etc/chrony/chrony.conf").content_string
        for server in servers:
            assert any(
                line.split()[:2] in (["server", server], ["pool", server])
                for line in conf.splitlines()
                if line.strip()
            ), f"NTP server {server} not configured"


def test_firewall_active(host: Any) -> None:
    """The nftables host firewall is enabled, loaded and drops unsolicited input by default."""
    if not _hardened(host):
        pytest.skip("linux.hardening is none")
    nftables = host.service("nftables")
    assert nftables.is_enabled
    assert nftables.is_running or host.run("systemctl is-active nftables").stdout.strip() == "active"
    ruleset = host.check_output("nft list ruleset")
    assert "hook input" in ruleset
    assert "policy drop" in ruleset
