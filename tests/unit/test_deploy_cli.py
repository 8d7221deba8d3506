"""`lokictl deploy / status / verify`: the errors that stop before Ansible runs, and status from records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import run_cli

from lokictl import deploy, records
from lokictl.events import FailedTask, HostRecap, RunResult

pytestmark = pytest.mark.usefixtures("fast_keys")


@pytest.fixture
def site(in_tmp: Path) -> Path:
    assert run_cli(["init"]).exit_code == 0
    return in_tmp / "site.yml"


def test_missing_inventory(site: Path) -> None:
    result = run_cli(["deploy"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no rendered inventory at inventories/aio (inventories/aio/hosts.yml is missing); "
        "run `lokictl render` or deploy with --render\n"
    )
    result = run_cli(["deploy", "--inventory", "elsewhere"])
    assert result.exit_code == 1 and "run `lokictl render --out elsewhere`" in result.stderr
    assert not (site.parent / "runs").exists()


def test_stale_render_is_refused(site: Path) -> None:
    assert run_cli(["render"]).exit_code == 0
    site.write_text(site.read_text().replace("timezone: Etc/UTC", "timezone: Europe/Berlin"))
    result = run_cli(["deploy", "--layer", "linux"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: inventories/aio is out of date with site.yml (1 differences: ")
    assert "group_vars/all/site.yml" in result.stderr and "deploy with --render" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site.parent / "runs").exists()


def test_invalid_site_is_an_input_error(site: Path) -> None:
    site.write_text(site.read_text().replace("name: aio", "name: Not_Valid"))
    for command in (["deploy"], ["status"], ["verify"]):
        result = run_cli(command)
        assert result.exit_code == 2, command
        assert "site.yml:" in result.stderr and "site.name" in result.stderr


def test_unknown_layer_is_a_usage_error(site: Path) -> None:
    result = run_cli(["deploy", "--layer", "storage"])
    assert result.exit_code == 2 and "Invalid value for '--layer'" in result.stderr


def test_layer_without_playbook(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    (content / "playbooks").mkdir(parents=True)
    (content / "playbooks" / "linux.yml").write_text("[]\n")
    monkeypatch.setenv("LOKI_CONTENT_DIR", str(content))
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["deploy"])
    assert result.exit_code == 1
    assert "layer openstack: no playbook for action 'deploy'" in result.stderr
    assert not (site.parent / "runs").exists()  # refused before any layer ran


def test_disabled_layer_is_skipped_with_a_note(site: Path) -> None:
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["deploy", "--layer", "kubernetes"])
    assert result.exit_code == 0
    assert "kubernetes: skipped (disabled in the site file: kubernetes.enabled is false)" in result.stdout
    assert "deploy finished: kubernetes: disabled" in result.stdout


def test_status_without_runs(site: Path) -> None:
    result = run_cli(["status"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["LAYER", "OUTCOME", "WHEN", "SITE", "INPUTS", "FAILED", "HOSTS", "RECORD"]
    assert lines[1].split()[:3] == ["linux", "never", "run"]
    assert lines[2].split()[:3] == ["openstack", "never", "run"]
    assert lines[3].split()[:2] == ["kubernetes", "disabled"]


def record(site: Path, layer: str, status: str, inputs: str, failed: list[str], started: str) -> Path:
    run = records.new_run_dir(site.parent / "runs", layer, datetime.fromisoformat(started))
    meta = {"layer": layer, "action": "deploy", "site_sha256": records.sha256_file(site)}
    meta.update(inputs_sha256=inputs, options=deploy.DeployOptions().recorded())
    summary = records.start_record(run, meta, {})
    records.finish_record(run, {**summary, "started": started}, {"status": status, "failed_hosts": failed})
    return run


def test_status_reports_last_run_per_layer(site: Path) -> None:
    assert run_cli(["render"]).exit_code == 0
    inputs = records.inputs_hashes(Path("inventories/aio"))[0]
    record(site, "linux", "failed", inputs, ["aio1"], "2026-01-01T10:00:00+00:00")
    record(site, "linux", "successful", inputs, [], "2026-01-01T11:00:00+00:00")
    record(site, "openstack", "failed", "old", ["aio1"], "2026-01-01T12:00:00+00:00")
    rows = deploy.status(site)
    text = deploy.format_status(rows, now=datetime(2026, 1, 1, 12, 30, tzinfo=UTC))
    lines = text.splitlines()
    assert lines[1].split()[:6] == ["linux", "successful", "2026-01-01", "11:00:00", "UTC", "(90m"]
    assert "(current)  current" in lines[1] and "runs/20260101T110000Z-linux" in lines[1]
    assert lines[2].split()[:2] == ["openstack", "failed"]
    assert "changed since" in lines[2] and " aio1 " in lines[2]
    site.write_text(site.read_text() + "\n# edited\n")
    assert "(changed since)" in deploy.format_status(deploy.status(site)).splitlines()[1]


def test_failure_summary_fits_one_screen() -> None:
    recap = {f"h{i}": HostRecap(ok=3, failed=1) for i in range(30)}
    failed = [
        FailedTask(f"h{i}", "base_time | Install chrony", "No package matching 'chronyx'") for i in range(30)
    ]
    failed.insert(
        0, FailedTask("h0", "Gathering Facts", "ssh: connect to host 10.0.0.1 port 22", unreachable=True)
    )
    result = RunResult("failed", 4, recap, failed, [], 41.0, Path("runs/r/ansible.log"), Path("runs/r/e"), "")
    text = deploy.RunFailed("linux", result, "lokictl deploy --resume").render()
    lines = text.splitlines()
    assert lines[0] == "layer linux failed (rc=4) on 30 of 30 hosts"
    assert lines[1].split()[:4] == ["h0", "unreachable:", "Gathering", "Facts"]
    assert "No package matching 'chronyx'" in lines[2]
    assert lines[11] == "  ... and 21 more (see the log)"
    assert lines[-2:] == ["log:    runs/r/ansible.log", "resume: lokictl deploy --resume"]
    assert len(lines) <= 16
