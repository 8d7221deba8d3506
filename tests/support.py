"""Helpers shared by the tests (imported as ``support``; tests/ is on sys.path via tests/conftest.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SITES = FIXTURES / "sites"
GOLDEN = FIXTURES / "golden"
EXAMPLES = ROOT / "lokictl" / "examples"
VENV_BIN = ROOT / ".venv" / "bin"

#: The images kolla-ansible deploys for the aio example (its enabled services and infrastructure).
AIO_IMAGES = [
    "cron",
    "glance-api",
    "keystone",
    "keystone-fernet",
    "keystone-ssh",
    "kolla-toolbox",
    "mariadb-server",
    "memcached",
    "placement-api",
]


@dataclass
class CliResult:
    """What one CLI run produced."""

    exit_code: int
    stdout: str
    stderr: str


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run_cli(args: list[str], env: Mapping[str, str | None] | None = None) -> CliResult:
    """Run ``lokictl.cli.main`` in-process (the real error boundary) and capture stdout/stderr/exit code."""
    from lokictl.cli import main

    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _):
        try:
            code = _exit_code(main(list(args)))
        except SystemExit as exc:
            code = _exit_code(exc.code)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return CliResult(code, stdout, stderr)


def tree(root: Path) -> dict[str, bytes]:
    """Return every file under ``root`` as {relative posix path: bytes}."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mode(path: Path) -> int:
    """Return the permission bits of ``path``."""
    return os.stat(path).st_mode & 0o777


def three_host_site(name: str, net: str, prefix: str) -> str:
    """Return a site of three compute hosts on ``<net>.0/24``, Linux layer at baseline, admin user ``ops``.

    Args:
        name: site name.
        net: first three octets of the management network (``10.213.5``); hosts get ``.11``-``.13``.
        prefix: host name prefix (``h`` -> ``h1``, ``h2``, ``h3``).
    """
    hosts = "".join(
        f"  - {{name: {prefix}{n}, address: {net}.{10 + n}, roles: [compute]}}\n" for n in (1, 2, 3)
    )
    return (
        f"site: {{name: {name}, domain: lab.example, ntp: [{net}.1], dns: [{net}.1]}}\n"
        f"networks:\n  management: {{cidr: {net}.0/24, gateway: {net}.1}}\n"
        "linux:\n  hardening: baseline\n  admin_users: [{name: ops}]\n"
        f"hosts:\n{hosts}"
    )


def last_summary(directory: Path, layer: str = "linux") -> dict[str, Any]:
    """Return the ``summary.json`` of the newest run of ``layer`` recorded in ``directory/runs``."""
    path = sorted(directory.glob(f"runs/*-{layer}/summary.json"))[-1]
    return dict(json.loads(path.read_text(encoding="utf-8")))
