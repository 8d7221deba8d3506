"""Run records: ``runs/<UTC timestamp>-<layer>/`` next to the site file.

Each record holds ``ansible.log`` (full Ansible output), ``events.jsonl`` (the event stream), ``inputs.json``
(sha256 of every rendered input file and of the site file) and ``summary.json`` (status, rc, recap, failed
tasks, duration, hashes, options). The summary is written when the run starts (status ``running``) and
replaced when it ends, so a record whose lokictl process died still reads as interrupted.

Secrets never enter a record: inputs are stored as hashes, Ansible output of secret-bearing tasks is censored
by ``no_log``, and ansible-runner's raw artifacts stay in a temporary directory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lokictl import __version__
from lokictl.errors import RuntimeFailure
from lokictl.fsutil import write_text_atomic

RUNS_DIR = "runs"
FACTS_DIR = ".facts"
SUMMARY = "summary.json"
INPUTS = "inputs.json"
FORMAT = 1
_MANIFEST = ".lokictl-render.json"


def runs_dir(site_directory: Path) -> Path:
    """Return the run records directory of a site (``runs/`` beside the site file)."""
    return site_directory / RUNS_DIR


def facts_dir(site_directory: Path) -> Path:
    """Return the jsonfile fact cache shared by a site's runs (``runs/.facts``)."""
    return runs_dir(site_directory) / FACTS_DIR


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file's bytes ("" when it does not exist)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def rendered_files(inventory_dir: Path) -> list[str]:
    """Return the files of a rendered inventory: those its render manifest lists, else every regular file."""
    try:
        data = json.loads((inventory_dir / _MANIFEST).read_text(encoding="utf-8"))
        return sorted(str(p) for p in data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return sorted(
            p.relative_to(inventory_dir).as_posix()
            for p in inventory_dir.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(inventory_dir).parts)
        )


def inputs_hashes(inventory_dir: Path) -> tuple[str, dict[str, str]]:
    """Return the digest of a rendered inventory and the sha256 of each of its files.

    The digest covers every file's path and content hash, so it changes when any rendered input changes.
    """
    files = {rel: sha256_file(inventory_dir / rel) for rel in rendered_files(inventory_dir)}
    digest = hashlib.sha256("".join(f"{p}\0{h}\n" for p, h in sorted(files.items())).encode()).hexdigest()
    return digest, files


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def new_run_dir(runs: Path, layer: str, now: datetime | None = None) -> Path:
    """Create and return a fresh record directory ``<runs>/<UTC timestamp>-<layer>[-N]``.

    Raises:
        RuntimeFailure: the directory cannot be created.
    """
    stamp = _stamp(now or datetime.now(UTC))
    try:
        runs.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            path = runs / (f"{stamp}-{layer}" if n == 1 else f"{stamp}-{layer}-{n}")
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:
                continue
            return path
    except OSError as exc:
        raise RuntimeFailure(f"cannot create a run record in {runs}: {exc.strerror or exc}") from None
    raise RuntimeFailure(f"cannot create a run record in {runs}: too many runs in one second")


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON atomically (temporary file + rename)."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", 0o666, use_umask=True)


def start_record(run_dir: Path, meta: Mapping[str, Any], inputs: Mapping[str, str]) -> dict[str, Any]:
    """Write the ``running`` summary and the inputs file of a run that starts now; return the summary."""
    summary: dict[str, Any] = {
        "format": FORMAT,
        "lokictl": __version__,
        "status": "running",
        "rc": None,
        "pid": os.getpid(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        **meta,
    }
    write_json(run_dir / INPUTS, {"files": dict(sorted(inputs.items()))})
    write_json(run_dir / SUMMARY, summary)
    return summary


def finish_record(run_dir: Path, summary: Mapping[str, Any], outcome: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the summary of a finished run with its outcome; return the new summary."""
    data = {**summary, **outcome, "pid": None, "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    write_json(run_dir / SUMMARY, data)
    return data


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class RunRecord:
    """A run record read back from disk."""

    path: Path
    data: Mapping[str, Any]

    @property
    def layer(self) -> str:
        """Return the layer the run deployed."""
        return str(self.data.get("layer", ""))

    @property
    def status(self) -> str:
        """Return the outcome; a ``running`` record whose process is gone reads as ``interrupted``."""
        status = str(self.data.get("status", "unknown"))
        if status == "running" and not _alive(self.data.get("pid")):
            return "interrupted"
        return status

    @property
    def started(self) -> str:
        """Return the ISO 8601 start time."""
        return str(self.data.get("started", ""))

    @property
    def failed_hosts(self) -> list[str]:
        """Return the hosts that failed or were unreachable."""
        return [str(h) for h in self.data.get("failed_hosts") or []]

    def same_inputs(self, inputs_sha256: str, options: Mapping[str, Any]) -> bool:
        """Return True when the run used these rendered inputs and these options."""
        return self.data.get("inputs_sha256") == inputs_sha256 and self.data.get("options") == dict(options)


def read_records(runs: Path) -> list[RunRecord]:
    """Return every readable run record under ``runs``, oldest first."""
    records: list[RunRecord] = []
    if not runs.is_dir():
        return records
    for summary in runs.glob(f"*/{SUMMARY}"):
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            records.append(RunRecord(summary.parent, data))
    records.sort(key=lambda r: (r.started, r.path.name))
    return records


def last_records(runs: Path, action: str = "deploy") -> dict[str, RunRecord]:
    """Return the latest record of each layer for ``action``."""
    last: dict[str, RunRecord] = {}
    for record in read_records(runs):
        if record.data.get("action", "deploy") == action:
            last[record.layer] = record
    return last
