"""A thin wrapper around the Docker CLI: every call goes through `Docker.run`, failures become LokiErrors."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from lokictl.errors import RuntimeFailure


class DockerError(RuntimeFailure):
    """A Docker command failed."""


class Docker:
    """Runs ``docker`` commands.

    Attributes:
        binary: name or path of the Docker CLI.
    """

    def __init__(self, binary: str = "docker") -> None:
        self.binary = binary
        self._checked = False

    def check(self) -> None:
        """Make sure the CLI exists and the engine answers.

        Raises:
            RuntimeFailure: the CLI is missing or the engine is not running, with what to do about it.
        """
        if self._checked:
            return
        if shutil.which(self.binary) is None:
            raise RuntimeFailure(
                f"'{self.binary}' not found: install Docker (Debian: apt-get install docker.io iptables)"
            )
        proc = subprocess.run(
            [self.binary, "info", "--format", "{{json .ServerVersion}}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not proc.stdout.strip() or proc.stdout.strip() == '""':
            detail = _last_line(proc.stderr) or "no answer"
            raise RuntimeFailure(
                f"the Docker engine is not running ({detail}); start it (systemctl start docker, "
                "or where PID 1 is not systemd: setsid dockerd >/var/log/dockerd.log 2>&1 &)"
            )
        self._checked = True

    def run(
        self, args: Sequence[str], *, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` and capture its output.

        Raises:
            DockerError: the command failed and ``check`` is true.
        """
        self.check()
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, input=stdin, check=False)
        if check and proc.returncode != 0:
            detail = _last_line(proc.stderr) or f"exit {proc.returncode}"
            raise DockerError(f"docker {' '.join(args[:2])} failed: {detail}")
        return proc

    def lines(self, args: Sequence[str]) -> list[str]:
        """Run a command and return its non-empty output lines."""
        return [line for line in self.run(args).stdout.splitlines() if line.strip()]

    def inspect(self, kind: str, names: Sequence[str]) -> list[dict[str, Any]]:
        """Return ``docker <kind> inspect`` data of the objects that exist (missing ones are left out)."""
        if not names:
            return []
        proc = self.run([kind, "inspect", *names], check=False)
        try:
            data = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            return []
        return [d for d in data if isinstance(d, dict)]

    def exists(self, kind: str, name: str) -> bool:
        """Return whether a Docker object (container, image, network, volume) exists."""
        return self.run([kind, "inspect", "--format", "{{.Id}}", name], check=False).returncode == 0


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
