"""`lokictl deploy` end to end on this machine: real ansible-playbook runs of small layer playbooks that use
the local connection (LOKI_CONTENT_DIR points at them), against the rendered all-in-one example.

Covers run records, status, failure summaries, resume, --render, JSON output, Ctrl-C and secret hygiene.
The same flow on real hosts (systemd containers over SSH) is tests/lab/test_deploy_docker.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import run_cli

pytestmark = pytest.mark.usefixtures("fast_keys")

LINUX = """\
- name: Linux layer (local test content)
  hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Write the marker
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/../out/{{ inventory_hostname }}-{{ loki_action }}"
        content: "{{ loki_site_name }}\\n"
        mode: "0644"
    - name: Fail when the break switch is set
      ansible.builtin.fail:
        msg: "broken on purpose ({{ inventory_hostname }})"
      when: lookup('ansible.builtin.env', 'LOKI_TEST_BREAK') == '1'
    - name: Wait when the slow switch is set
      ansible.builtin.command: sleep 60
      changed_when: false
      when: lookup('ansible.builtin.env', 'LOKI_TEST_SLOW') == '1'
"""

OPENSTACK = """\
- name: OpenStack layer (local test content)
  hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Load the generated secrets
      ansible.builtin.include_vars:
        file: "{{ inventory_dir }}/kolla/passwords.yml"
        name: __test_secrets
      no_log: true
    - name: Use every secret
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/../out/secrets"
        content: "{{ __test_secrets | to_nice_yaml }}"
        mode: "0600"
      no_log: true
    - name: Fail when the openstack break switch is set
      ansible.builtin.fail:
        msg: "openstack broken on purpose"
      when: lookup('ansible.builtin.env', 'LOKI_TEST_BREAK_OPENSTACK') == '1'
"""


@pytest.fixture
def site(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    content = in_tmp / "content"
    (content / "playbooks").mkdir(parents=True)
    (content / "out").mkdir()
    (content / "playbooks" / "linux.yml").write_text(LINUX, encoding="utf-8")
    (content / "playbooks" / "openstack.yml").write_text(OPENSTACK, encoding="utf-8")
    monkeypatch.setenv("LOKI_CONTENT_DIR", str(content))
    for var in ("LOKI_TEST_BREAK", "LOKI_TEST_SLOW", "LOKI_TEST_BREAK_OPENSTACK"):
        monkeypatch.delenv(var, raising=False)
    assert run_cli(["init"]).exit_code == 0
    assert run_cli(["render"]).exit_code == 0
    return in_tmp / "site.yml"


def summaries(site: Path) -> list[dict[str, Any]]:
    runs = sorted((site.parent / "runs").glob("*/summary.json"))
    return [json.loads(p.read_text()) for p in runs]


def test_deploy_writes_records_and_status(site: Path) -> None:
    result = run_cli(["deploy", "--output", "plain"])
    assert result.exit_code == 0, result.stderr
    assert "PLAY Linux layer (local test content)" in result.stdout
    assert "changed: aio1 | Write the marker" in result.stdout
    assert "kubernetes: skipped (disabled in the site file" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("deploy finished: linux: successful (")
    assert (site.parent / "content" / "out" / "aio1-deploy").read_text() == "aio\n"
    linux, openstack = summaries(site)
    for summary, layer in ((linux, "linux"), (openstack, "openstack")):
        assert summary["layer"] == layer and summary["status"] == "successful" and summary["rc"] == 0
        assert summary["site_sha256"] and len(summary["inputs_sha256"]) == 64
        assert summary["recap"]["aio1"]["failed"] == 0 and summary["duration"] > 0
    assert linux["recap"]["aio1"]["changed"] == 1
    [run_dir] = (site.parent / "runs").glob("*-linux")
    assert {p.name for p in run_dir.iterdir()} >= {
        "ansible.log",
        "events.jsonl",
        "inputs.json",
        "summary.json",
    }
    assert "TASK [Write the marker]" in (run_dir / "ansible.log").read_text()
    inputs = json.loads((run_dir / "inputs.json").read_text())["files"]
    assert "hosts.yml" in inputs and "kolla/passwords.yml" in inputs
    status = run_cli(["status"]).stdout.splitlines()
    assert status[1].split()[:2] == ["linux", "successful"]
    assert status[2].split()[:2] == ["openstack", "successful"]
    assert status[3].split()[:2] == ["kubernetes", "disabled"]


def test_records_hold_no_secret(site: Path) -> None:
    assert run_cli(["deploy", "--output", "json", "--diff"]).exit_code == 0
    secrets = yaml.safe_load((site.parent / "inventories" / "aio" / "kolla" / "passwords.yml").read_text())
    values: list[str] = []
    for value in secrets.values():
        parts = value.values() if isinstance(value, dict) else [value]
        for part in parts:
            values += [
                line for line in str(part or "").splitlines() if len(line) >= 8 and "-----" not in line
            ]
    assert len(values) > 100
    assert (site.parent / "content" / "out" / "secrets").is_file()  # the secrets were really used
    for path in (site.parent / "runs").rglob("*"):
        if path.is_file() and ".facts" not in path.parts:
            text = path.read_text(errors="replace")
            leaked = [v for v in values if v in text]
            assert not leaked, f"{path}: {len(leaked)} secret values"


def test_failure_summary_status_and_resume(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOKI_TEST_BREAK_OPENSTACK", "1")
    result = run_cli(["deploy"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: layer openstack failed (rc=2) on 1 of 1 hosts"
    assert lines[1].split()[:1] == ["aio1"]
    assert (
        "Fail when the openstack break switch is set" in lines[1]
        and "openstack broken on purpose" in lines[1]
    )
    assert lines[2].startswith("log:    ") and lines[2].endswith("-openstack/ansible.log")
    assert lines[3] == "resume: lokictl deploy --resume"
    assert "Traceback" not in result.stderr
    status = run_cli(["status"]).stdout.splitlines()
    assert status[2].split()[:2] == ["openstack", "failed"] and " aio1 " in status[2]

    monkeypatch.delenv("LOKI_TEST_BREAK_OPENSTACK")
    result = run_cli(["deploy", "--resume"])
    assert result.exit_code == 0, result.stderr
    assert "linux: skipped (succeeded at" in result.stdout
    assert [s["layer"] for s in summaries(site)] == ["linux", "openstack", "openstack"]
    assert summaries(site)[-1]["status"] == "successful"
    # Everything succeeded with these inputs: a second resume runs nothing; other options run again.
    assert run_cli(["deploy", "--resume"]).exit_code == 0
    assert len(summaries(site)) == 3
    assert run_cli(["deploy", "--resume", "--layer", "linux", "--check"]).exit_code == 0
    assert len(summaries(site)) == 4 and summaries(site)[-1]["options"]["check"] is True


def test_render_option_refreshes_a_stale_render(site: Path) -> None:
    site.write_text(site.read_text().replace("timezone: Etc/UTC", "timezone: Europe/Berlin"))
    assert run_cli(["deploy", "--layer", "linux"]).exit_code == 1
    result = run_cli(["deploy", "--layer", "linux", "--render"])
    assert result.exit_code == 0, result.stderr
    assert "rendered " in result.stdout.splitlines()[0]
    assert "Europe/Berlin" in (site.parent / "inventories/aio/group_vars/all/site.yml").read_text()


def test_json_output_is_one_object_per_line(site: Path) -> None:
    result = run_cli(["deploy", "--layer", "linux", "--output", "json", "--tags", "never-matches"])
    assert result.exit_code == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert objects[0]["type"] == "layer_start" and objects[-1]["type"] == "summary"
    assert objects[-1]["layers"][0]["status"] == "successful"
    assert objects[-2]["type"] == "layer_end" and objects[-2]["recap"] == {}  # no task carries that tag


def test_ctrl_c_records_an_interrupted_run_and_resume_completes_it(site: Path) -> None:
    env = {**os.environ, "LOKI_TEST_SLOW": "1", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    command = [sys.executable, "-m", "lokictl", "deploy", "--output", "plain"]
    proc = subprocess.Popen(
        command, cwd=site.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        events = list((site.parent / "runs").glob("*-linux/events.jsonl"))
        if events and '"task": "Wait when the slow switch is set"' in events[0].read_text():
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "error: layer linux interrupted after" in stderr
    assert "continue with: lokictl deploy --resume" in stderr
    [summary] = summaries(site)
    assert summary["status"] == "interrupted" and summary["layer"] == "linux"
    assert run_cli(["status"]).stdout.splitlines()[1].split()[:2] == ["linux", "interrupted"]

    result = run_cli(["deploy", "--resume"])
    assert result.exit_code == 0, result.stderr
    expected = [("linux", "interrupted"), ("linux", "successful"), ("openstack", "successful")]
    assert [(s["layer"], s["status"]) for s in summaries(site)] == expected
