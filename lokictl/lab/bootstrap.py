"""Bring a freshly started lab container to where cloud-init would leave a VM: admin user, key, sudo, sshd."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence

from lokictl.errors import RuntimeFailure
from lokictl.lab.docker import Docker

# Runs as root in the container; LAB_USER, LAB_KEY and LAB_SSH_PORT come from the environment.
SCRIPT = r"""
set -eu
user="$LAB_USER"
if [ "$user" = root ]; then
  home=/root
else
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  home=$(getent passwd "$user" | cut -d: -f6)
  tmp=$(mktemp /etc/sudoers.d/.lokictl.XXXXXX)
  printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$user" > "$tmp"
  chmod 0440 "$tmp"
  if ! visudo -cf "$tmp" >/dev/null; then rm -f "$tmp"; echo "invalid sudoers drop-in" >&2; exit 1; fi
  mv -f "$tmp" /etc/sudoers.d/90-lokictl-lab
fi
group=$(id -gn "$user")
install -d -m 0700 -o "$user" -g "$group" "$home/.ssh"
keys="$home/.ssh/authorized_keys"
touch "$keys"
grep -qxF "$LAB_KEY" "$keys" || printf '%s\n' "$LAB_KEY" >> "$keys"
chown "$user:$group" "$keys"
chmod 0600 "$keys"
conf=/etc/ssh/sshd_config.d/10-lokictl-lab-port.conf
changed=0
if [ "$LAB_SSH_PORT" != 22 ]; then
  if [ "$(cat "$conf" 2>/dev/null)" != "Port $LAB_SSH_PORT" ]; then
    printf 'Port %s\n' "$LAB_SSH_PORT" > "$conf"
    changed=1
    if ! sshd -t; then rm -f "$conf"; echo "sshd rejects port $LAB_SSH_PORT" >&2; exit 1; fi
  fi
elif [ -e "$conf" ]; then
  rm -f "$conf"
  changed=1
fi
systemctl enable ssh.service >/dev/null 2>&1
if [ "$changed" = 1 ]; then systemctl restart ssh.service; else systemctl start ssh.service; fi
systemctl is-active --quiet ssh.service
cat /etc/ssh/ssh_host_*_key.pub
"""

READY_STATES = ("running", "degraded")


def wait_for_systemd(docker: Docker, containers: Sequence[str], timeout: float = 120.0) -> dict[str, str]:
    """Wait until systemd in every container has finished booting; return each container's system state.

    Raises:
        RuntimeFailure: a container did not finish booting in time.
    """
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    pending = list(containers)
    while pending:
        for name in list(pending):
            proc = docker.run(["exec", name, "systemctl", "is-system-running"], check=False)
            state = proc.stdout.strip() or "unknown"
            if state == "unknown" and not _running(docker, name):
                logs = docker.run(["logs", "--tail", "5", name], check=False)
                tail = " | ".join((logs.stdout + logs.stderr).strip().splitlines()[-5:])
                raise RuntimeFailure(f"{name} stopped while booting: {tail or 'no output'}")
            states[name] = state
            if state in READY_STATES:
                pending.remove(name)
        if not pending:
            break
        if time.monotonic() > deadline:
            detail = ", ".join(f"{n}: {states.get(n, 'unknown')}" for n in pending)
            raise RuntimeFailure(f"systemd did not finish booting in {timeout:.0f} s ({detail})")
        time.sleep(0.5)
    return states


def bootstrap(docker: Docker, container: str, user: str, public_key: str, port: int = 22) -> list[str]:
    """Create the admin user with the lab key and sudo, start sshd; return the host's SSH public keys.

    Raises:
        RuntimeFailure: a step failed in the container.
    """
    proc = docker.run(
        [
            "exec",
            "--env",
            f"LAB_USER={user}",
            "--env",
            f"LAB_KEY={public_key}",
            "--env",
            f"LAB_SSH_PORT={port}",
            container,
            "/bin/sh",
            "-c",
            SCRIPT,
        ],
        check=False,
    )
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise RuntimeFailure(f"bootstrapping {container} failed: {detail[0]}")
    keys = host_keys(proc.stdout)
    if not keys:
        raise RuntimeFailure(f"bootstrapping {container}: no SSH host key found")
    return keys


def host_keys(text: str) -> list[str]:
    """Return the "type key" pairs of public key lines (comments dropped)."""
    keys = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(("ssh-", "ecdsa-")):
            keys.append(f"{parts[0]} {parts[1]}")
    return keys


def wait_for_ssh(addresses: Sequence[str], port: int = 22, timeout: float = 60.0) -> None:
    """Wait until sshd answers with its banner on every address.

    Raises:
        RuntimeFailure: an address did not answer in time.
    """
    deadline = time.monotonic() + timeout
    for address in addresses:
        while True:
            try:
                with socket.create_connection((address, port), timeout=3) as conn:
                    conn.settimeout(3)
                    if conn.recv(64).startswith(b"SSH-"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeFailure(f"SSH on {address}:{port} did not answer in {timeout:.0f} s")
            time.sleep(0.5)


def _running(docker: Docker, name: str) -> bool:
    proc = docker.run(["inspect", "--format", "{{.State.Running}}", name], check=False)
    return proc.stdout.strip() == "true"
