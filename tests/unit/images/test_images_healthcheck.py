"""lokictl's MariaDB healthcheck.sh, run with a stand-in `mariadb` client answering from the environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lokictl.images import config

FAKE_CLIENT = """#!/bin/sh
# Answers like `mariadb --batch --skip-column-names -e SQL`; records the options it was given.
echo "$*" >> "$FAKE_LOG"
[ "${FAKE_DOWN:-}" = 1 ] && { echo "ERROR 2002 (HY000): Can't connect to local server" >&2; exit 1; }
for sql; do :; done
case "$sql" in
    "SELECT 1") echo 1 ;;
    *WSREP_READY*) echo "${FAKE_READY:-ON}" ;;
    *WSREP_LOCAL_STATE*) echo "${FAKE_STATE:-4}" ;;
    *wsrep_desync*) echo "${FAKE_DESYNC:-0}" ;;
    *ENGINES*) echo "${FAKE_INNODB:-DEFAULT}" ;;
esac
"""


class Runner:
    """Runs healthcheck.sh with the stand-in client first on PATH."""

    def __init__(self, tmp_path: Path) -> None:
        self.script = tmp_path / "healthcheck.sh"
        self.script.write_bytes(config.mariadb_additions()["healthcheck.sh"])
        self.script.chmod(0o755)
        self.bindir = tmp_path / "bin"
        self.bindir.mkdir()
        client = self.bindir / "mariadb"
        client.write_text(FAKE_CLIENT)
        client.chmod(0o755)
        self.log = tmp_path / "client.log"

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {"PATH": f"{self.bindir}:{os.environ['PATH']}", "FAKE_LOG": str(self.log), **env}
        return subprocess.run(
            [str(self.script), *args], capture_output=True, text=True, env=environ, check=False
        )


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


KOLLA_ARGS = ("--defaults-file", "/etc/mysql/healthcheck.cnf", "--connect", "--galera_online")


def test_kolla_ansibles_call_passes_on_a_synced_node(run: Runner) -> None:
    result = run(*KOLLA_ARGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["connect: ok", "galera_online: synced"]
    calls = run.log.read_text().splitlines()
    assert calls and all(c.startswith("--defaults-file=/etc/mysql/healthcheck.cnf ") for c in calls)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FAKE_DOWN": "1"}, "connect: ERROR 2002"),
        ({"FAKE_READY": "OFF"}, "wsrep_ready is 'OFF'"),
        ({"FAKE_STATE": "1"}, "wsrep_local_state is '1'"),
        ({"FAKE_STATE": "2"}, "donor without wsrep_desync"),
    ],
)
def test_unhealthy_states_fail(run: Runner, env: dict[str, str], message: str) -> None:
    result = run(*KOLLA_ARGS, **env)
    assert result.returncode == 1
    assert message in result.stdout


def test_desynced_donor_on_purpose_is_healthy(run: Runner) -> None:
    result = run("--galera_online", FAKE_STATE="2", FAKE_DESYNC="1")
    assert result.returncode == 0 and "desynced on purpose" in result.stdout


def test_innodb_check_and_default_connect(run: Runner) -> None:
    assert run("--innodb_initialized").returncode == 0
    assert run("--innodb_initialized", FAKE_INNODB="NO").returncode == 1
    default = run()
    assert default.returncode == 0 and default.stdout.strip() == "connect: ok"


def test_usage_errors_exit_2(run: Runner) -> None:
    unknown = run("--su-mysql")
    assert unknown.returncode == 2 and "unknown option --su-mysql" in unknown.stderr
    assert run("--defaults-file").returncode == 2
    helped = run("--help")
    assert helped.returncode == 0 and "--galera_online" in helped.stdout
