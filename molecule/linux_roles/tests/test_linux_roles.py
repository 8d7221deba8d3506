"""Verify linux_roles: each role's effect on the host, as configured by converge.yml (baseline profile)."""

from __future__ import annotations

import pytest

ALICE_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIIr/X8O5ElMXhB9LZd1gNjIqAcOxudV/VHUkdtX79afa"


def test_base_apt_sources_use_the_mirror(host) -> None:
    distro = host.system_info.codename
    sources = host.file("/etc/apt/sources.list.d/debian.sources").content_string
    assert f"Suites: {distro} {distro}-updates" in sources
    assert f"Suites: {distro}-security" in sources
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in sources
    assert host.file("/etc/apt/sources.list").content_string.startswith("# Managed by Ansible")
    assert host.package("python3-apt").is_installed
    assert 'APT::Install-Recommends "false";' in host.file("/etc/apt/apt.conf.d/50base-apt").content_string


def test_base_packages(host) -> None:
    assert host.package("chrony").is_installed
    assert not host.package("telnet").is_installed


def test_base_hostname_writes_the_hosts(host) -> None:
    hosts = host.file("/etc/hosts").content_string
    assert "192.0.2.10 linux-roles.roles.example linux-roles" in hosts
    assert "192.0.2.11 peer.roles.example peer" in hosts


def test_base_time(host) -> None:
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Asia/Tokyo"
    assert host.file("/etc/timezone").content_string == "Asia/Tokyo\n"
    conf = host.file("/etc/chrony/chrony.conf").content_string
    assert "server 192.0.2.1 iburst" in conf
    assert "server 192.0.2.2 iburst" in conf
    assert "user _chrony" in conf
    assert host.service("chrony").is_enabled
    assert not host.package("systemd-timesyncd").is_installed


def test_base_users(host) -> None:
    alice = host.user("alice")
    assert "sshusers" in alice.groups
    assert ALICE_KEY in host.file(f"{alice.home}/.ssh/authorized_keys").content_string
    assert host.file(alice.home).mode == 0o750
    assert host.file(f"{alice.home}/.bashrc").mode & 0o027 == 0
    sudoers = host.file("/etc/sudoers.d/50-admins")
    assert sudoers.mode == 0o440
    assert "alice ALL=(ALL:ALL) NOPASSWD: ALL" in sudoers.content_string
    assert "bob" not in sudoers.content_string
    with host.sudo("alice"):
        assert host.check_output("sudo -n id -u") == "0"
    # Key-only accounts never expire (password ageing applies to accounts with a password).
    assert host.check_output("chage -l alice | grep '^Maximum'").endswith("-1")


def test_base_journald(host) -> None:
    conf = host.file("/etc/systemd/journald.conf").content_string
    assert "Storage=persistent" in conf
    assert "Compress=yes" in conf
    assert host.file("/var/log/journal").is_directory


def test_base_upgrades(host) -> None:
    assert host.package("unattended-upgrades").is_installed
    periodic = host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic


def test_hardening_sshd(host) -> None:
    settings = dict(line.split(" ", 1) for line in host.check_output("sshd -T").splitlines() if " " in line)
    assert settings["permitrootlogin"] == "no"
    assert settings["passwordauthentication"] == "no"
    assert settings["permitemptypasswords"] == "no"
    assert int(settings["maxauthtries"]) == 4
    assert settings["allowgroups"] == "sshusers"
    assert settings["x11forwarding"] == "no"
    assert settings["banner"] == "/etc/issue.net"
    assert "sha1" not in settings["macs"]
    assert host.file("/etc/ssh/sshd_config").mode == 0o600
    assert host.service("ssh").is_running
    for key in host.file("/etc/ssh").listdir():
        if key.startswith("ssh_host_") and key.endswith("_key"):
            assert host.file(f"/etc/ssh/{key}").mode == 0o600


def test_hardening_pam(host) -> None:
    assert "pam_faillock.so" in host.file("/etc/pam.d/common-auth").content_string
    assert "pam_pwhistory.so" in host.file("/etc/pam.d/common-password").content_string
    for name in ("common-auth", "common-password", "common-account"):
        assert "nullok" not in host.file(f"/etc/pam.d/{name}").content_string
    assert "pam_wheel.so use_uid group=sugroup" in host.file("/etc/pam.d/su").content_string
    defs = host.file("/etc/login.defs").content_string
    assert "PASS_MAX_DAYS\t365" in defs
    assert "UMASK\t027" in defs
    assert "minlen = 14" in host.file("/etc/security/pwquality.conf").content_string
    assert "deny = 4" in host.file("/etc/security/faillock.conf").content_string
    assert "typeset -xr TMOUT=900" in host.file("/etc/profile.d/50-hardening.sh").content_string
    assert "ENCRYPT_METHOD\tYESCRYPT" in defs


def test_hardening_sysctl_persists_what_a_container_cannot_apply(host) -> None:
    sysctl = host.file("/etc/sysctl.d/60-hardening.conf").content_string
    assert "net.ipv4.ip_forward = 0" in sysctl
    assert "net.ipv4.conf.all.rp_filter = 1" in sysctl
    assert "fs.suid_dumpable = 0" in sysctl
    blacklist = host.file("/etc/modprobe.d/60-hardening.conf").content_string
    assert "install sctp /bin/true" in blacklist
    assert "install usb-storage /bin/true" in blacklist


def test_hardening_auditd(host) -> None:
    assert host.service("auditd").is_enabled
    rules = host.file("/etc/audit/rules.d/50-hardening.rules").content_string
    assert "-w /etc/sudoers -p wa -k scope" in rules
    assert "-k kernel_modules" in rules
    privileged = host.file("/etc/audit/rules.d/51-privileged.rules").content_string
    assert "-F path=/usr/bin/sudo -F perm=x" in privileged
    # Baseline keeps the rules changeable.
    assert "-e 2" not in host.file("/etc/audit/rules.d/99-finalize.rules").content_string
    assert "max_log_file_action = keep_logs" in host.file("/etc/audit/auditd.conf").content_string


def test_hardening_apparmor(host) -> None:
    assert host.package("apparmor").is_installed
    assert host.service("apparmor").is_enabled


def test_hardening_firewall(host) -> None:
    table = host.check_output("nft list table inet hardening_filter")
    assert "policy drop;" in table
    assert "hook forward priority filter; policy drop;" in table
    assert "tcp dport 22 accept" in table
    assert "ip saddr 192.0.2.0/24 tcp dport 8443 accept" in table
    assert "ip6 saddr 2001:db8::/32 tcp dport 8443 accept" in table
    # Layer ports are opened only for the layers on the host (none here).
    assert "6443" not in table
    assert "flush ruleset" not in host.file("/etc/nftables.conf").content_string
    assert host.service("nftables").is_enabled


def test_hardening_logging(host) -> None:
    assert host.service("rsyslog").is_running
    assert "$FileCreateMode 0640" in host.file("/etc/rsyslog.conf").content_string
    assert "ForwardToSyslog=yes" in host.file("/etc/systemd/journald.conf").content_string
    # journald's remote receiver stays off; nothing is uploaded without a log host.
    assert host.check_output("systemctl is-enabled systemd-journal-remote.socket || true") == "masked"
    assert not host.service("systemd-journal-upload").is_enabled
    for record in ("wtmp", "btmp", "lastlog"):
        log = host.file(f"/var/log/{record}")
        assert not log.exists or log.mode & 0o027 == 0


def test_hardening_permissions(host) -> None:
    assert host.service("cron").is_enabled
    assert host.file("/etc/cron.allow").content_string.split() == ["root", "alice"]
    assert host.file("/etc/at.allow").mode == 0o600
    assert not host.file("/etc/cron.deny").exists
    sudo = host.file("/etc/sudoers.d/10-hardening").content_string
    assert "Defaults use_pty" in sudo
    assert 'Defaults logfile="/var/log/sudo.log"' in sudo
    assert host.file("/etc/shadow").mode == 0o640


def test_hardening_misc(host) -> None:
    issue = host.file("/etc/issue.net").content_string
    assert "Authorised access only" in issue
    assert "Debian" not in issue
    assert "Storage=none" in host.file("/etc/systemd/coredump.conf").content_string
    assert "/dev/shm tmpfs rw,nosuid,nodev,noexec" in host.file("/etc/fstab").content_string
    assert host.service("tmp.mount").is_enabled
    for tool in ("libpam-tmpdir", "apt-listchanges", "debsums"):
        assert host.package(tool).is_installed
    # The strict profile's tools are not part of baseline.
    assert not host.package("fail2ban").is_installed


@pytest.mark.parametrize("path", ["/usr/sbin/auditctl", "/usr/sbin/augenrules"])
def test_hardening_aide(host, path: str) -> None:
    assert host.file("/var/lib/aide/aide.db").exists
    assert host.service("aidecheck.timer").is_enabled
    assert host.service("aidecheck.timer").is_running
    rules = host.file("/etc/aide/aide.conf.d/99_hardening").content_string
    assert f"{path} p+i+n+u+g+s+b+acl+xattrs+sha512" in rules
