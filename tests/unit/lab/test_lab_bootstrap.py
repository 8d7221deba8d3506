"""Waiting for lab hosts: systemd states, a host that dies while booting, SSH banners."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
from collections.abc import Sequence

import pytest

from lokictl.errors import RuntimeFailure
from lokictl.lab.bootstrap import wait_for_ssh, wait_for_systemd
from lokictl.lab.docker import Docker


class ScriptedDocker(Docker):
    """Answers ``docker exec ... is-system-running`` from a per-container script of states."""

    def __init__(self, states: dict[str, list[str]], running: bool = True) -> None:
        super().__init__()
        self.states = states
        self.running = running

    def check(self) -> None:
        pass

    def run(
        self, args: Sequence[str], *, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        out = ""
        if args[0] == "exec":
            script = self.states[args[1]]
            out = script.pop(0) if len(script) > 1 else script[0]
        elif args[0] == "inspect":
            out = "true" if self.running else "false"
        elif args[0] == "logs":
            out = "Failed to mount cgroup\nFreezing execution."
        return subprocess.CompletedProcess(list(args), 0, out + "\n", "")


def test_waits_until_every_host_has_booted() -> None:
    docker = ScriptedDocker({"a": ["starting", "running"], "b": ["starting", "starting", "degraded"]})
    assert wait_for_systemd(docker, ["a", "b"], timeout=30) == {"a": "running", "b": "degraded"}


def test_a_host_that_never_boots_times_out_with_its_state() -> None:
    docker = ScriptedDocker({"a": ["starting"]})
    with pytest.raises(RuntimeFailure, match=r"did not finish booting in 1 s \(a: starting\)"):
        wait_for_systemd(docker, ["a"], timeout=1)


def test_a_host_that_stopped_fails_at_once_with_its_log() -> None:
    docker = ScriptedDocker({"a": [""]}, running=False)
    with pytest.raises(
        RuntimeFailure,
        match=re.escape("a stopped while booting: Failed to mount cgroup | Freezing execution."),
    ):
        wait_for_systemd(docker, ["a"], timeout=60)


def test_ssh_banner_is_awaited() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def answer() -> None:
        conn, _ = server.accept()
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        conn.close()

    thread = threading.Thread(target=answer)
    thread.start()
    wait_for_ssh(["127.0.0.1"], port, timeout=10)
    thread.join()
    server.close()


def test_no_ssh_times_out() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RuntimeFailure, match=f"SSH on 127.0.0.1:{port} did not answer"):
        wait_for_ssh(["127.0.0.1"], port, timeout=1)
