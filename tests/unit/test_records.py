"""Run records: directories, summaries, input hashes, reading them back."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from lokictl import records


def test_run_dirs_are_unique_and_named_by_utc_time(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = records.new_run_dir(tmp_path / "runs", "linux", now)
    second = records.new_run_dir(tmp_path / "runs", "linux", now)
    assert first.name == "20260102T030405Z-linux"
    assert second.name == "20260102T030405Z-linux-2"
    assert first.is_dir() and (first.stat().st_mode & 0o777) == 0o700


def test_inputs_hash_follows_the_manifest(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text("all: {}\n")
    (inv / "group_vars" / "a.yml").write_text("x: 1\n")
    (inv / ".lokictl-render.json").write_text(
        json.dumps({"files": {"hosts.yml": "", "group_vars/a.yml": ""}})
    )
    digest, files = records.inputs_hashes(inv)
    assert sorted(files) == ["group_vars/a.yml", "hosts.yml"]
    (inv / ".facts").mkdir()
    (inv / ".facts" / "h1").write_text("{}")
    (inv / "unrelated.txt").write_text("not rendered")
    assert records.inputs_hashes(inv)[0] == digest
    (inv / "group_vars" / "a.yml").write_text("x: 2\n")
    assert records.inputs_hashes(inv)[0] != digest


def test_inputs_hash_without_manifest_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text("all: {}\n")
    (tmp_path / ".facts").mkdir()
    (tmp_path / ".facts" / "h1").write_text("{}")
    assert list(records.inputs_hashes(tmp_path)[1]) == ["hosts.yml"]


def test_start_and_finish_a_record(tmp_path: Path) -> None:
    run = records.new_run_dir(tmp_path, "linux")
    summary = records.start_record(run, {"layer": "linux", "action": "deploy"}, {"hosts.yml": "ab"})
    [rec] = records.read_records(tmp_path)
    assert rec.status == "running"  # this process is alive
    assert json.loads((run / records.INPUTS).read_text()) == {"files": {"hosts.yml": "ab"}}
    records.finish_record(run, summary, {"status": "failed", "failed_hosts": ["h2"]})
    [rec] = records.read_records(tmp_path)
    assert (rec.status, rec.failed_hosts, rec.layer) == ("failed", ["h2"], "linux")
    assert rec.data["pid"] is None and rec.data["finished"]


def test_record_of_a_dead_process_reads_interrupted(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    run = records.new_run_dir(tmp_path, "linux")
    records.start_record(run, {"layer": "linux"}, {})
    data = json.loads((run / records.SUMMARY).read_text())
    data["pid"] = int(dead.stdout)
    records.write_json(run / records.SUMMARY, data)
    assert records.read_records(tmp_path)[0].status == "interrupted"


def test_last_records_per_layer_and_action(tmp_path: Path) -> None:
    def make(name: str, layer: str, started: str, status: str, action: str = "deploy") -> None:
        (tmp_path / name).mkdir()
        records.write_json(
            tmp_path / name / records.SUMMARY,
            {"layer": layer, "action": action, "started": started, "status": status},
        )

    make("a", "linux", "2026-01-01T00:00:00+00:00", "failed")
    make("b", "linux", "2026-01-02T00:00:00+00:00", "successful")
    make("c", "openstack", "2026-01-01T00:00:00+00:00", "interrupted")
    make("d", "verify", "2026-01-03T00:00:00+00:00", "failed", action="verify")
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / records.SUMMARY).write_text("{not json")
    last = records.last_records(tmp_path)
    assert {k: v.path.name for k, v in last.items()} == {"linux": "b", "openstack": "c"}
    assert last["linux"].same_inputs("", {}) is False


def test_same_inputs_compares_hash_and_options(tmp_path: Path) -> None:
    rec = records.RunRecord(tmp_path, {"inputs_sha256": "x", "options": {"limit": None, "check": False}})
    assert rec.same_inputs("x", {"limit": None, "check": False})
    assert not rec.same_inputs("y", {"limit": None, "check": False})
    assert not rec.same_inputs("x", {"limit": "h1", "check": False})
