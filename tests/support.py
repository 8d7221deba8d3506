"""Helpers shared by the tests (imported as ``support``; tests/ is on sys.path via tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SITES = FIXTURES / "sites"
GOLDEN = FIXTURES / "golden"
EXAMPLES = ROOT / "lokictl" / "examples"
VENV_BIN = ROOT / ".venv" / "bin"


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
