"""lokictl.runner on real ansible-playbook runs against localhost (local connection; no Docker needed)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from lokictl import runner
from lokictl.errors import RuntimeFailure
from lokictl.events import Event

PLAYBOOK = """\
- name: Local test play
  hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: "hello {{ greeting | default('world') }}"
    - name: Write a file
      ansible.builtin.copy:
        dest: "{{ target_file }}"
        content: "{{ greeting | default('world') }}\\n"
        mode: "0644"
      tags: [write]
    - name: Fail when asked
      ansible.builtin.fail:
        msg: "asked to fail ({{ inventory_hostname }})"
      when: fail_now | default(false) | bool
    - name: Sleep when asked
      ansible.builtin.command: sleep 30
      changed_when: false
      when: sleep_now | default(false) | bool
    - name: Hide a secret
      ansible.builtin.debug:
        msg: "{{ secret_value | default('none') }}"
      no_log: true
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    local1:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n",
        encoding="utf-8",
    )
    return tmp_path


def request(project: Path, **kw: object) -> runner.PlaybookRun:
    extravars = {"target_file": str(project / "out.txt"), **kw.pop("extravars", {})}  # type: ignore[dict-item]
    return runner.PlaybookRun(
        playbook=project / "play.yml",
        inventories=(project / "hosts.yml",),
        extravars=extravars,
        **kw,  # type: ignore[arg-type]
    )


def test_mitogen_strategy_runs_the_playbook(project: Path, tmp_path: Path) -> None:
    plugins = runner.mitogen_strategy_plugins()
    assert (plugins / "mitogen_linear.py").is_file()
    req = request(project, strategy="mitogen_linear")
    result = runner.run_playbook(req, tmp_path / "rec")
    assert (result.status, result.recap["local1"].changed) == ("successful", 1)
    assert (project / "out.txt").read_text() == "world\n"


def test_strategy_env_points_only_mitogen_at_its_plugins() -> None:
    assert runner.strategy_env("linear") == {"ANSIBLE_STRATEGY": "linear"}
    env = runner.strategy_env("mitogen_linear")
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert Path(env["ANSIBLE_STRATEGY_PLUGINS"]) == runner.mitogen_strategy_plugins()


def test_unknown_strategy_fails_the_run(project: Path, tmp_path: Path) -> None:
    # Ansible refuses a strategy it cannot load: so the Mitogen run above really loaded Mitogen's plugin.
    result = runner.run_playbook(request(project, strategy="no_such_strategy"), tmp_path / "rec")
    assert result.status == "failed"
    assert "no_such_strategy" in result.log_path.read_text()


def test_successful_run_writes_log_and_events(project: Path, tmp_path: Path) -> None:
    seen: list[Event] = []
    result = runner.run_playbook(request(project), tmp_path / "rec", on_event=seen.append)
    assert (result.status, result.rc, result.ok) == ("successful", 0, True)
    assert result.recap["local1"].changed == 1 and result.recap["local1"].failed == 0
    assert (project / "out.txt").read_text() == "world\n"
    log = result.log_path.read_text()
    assert "TASK [Write a file]" in log and "PLAY RECAP" in log and "\r" not in log
    recorded = [json.loads(line) for line in result.events_path.read_text().splitlines()]
    assert [e["kind"] for e in recorded] == [e.kind for e in seen]
    assert {"playbook", "play", "task", "host_start", "ok", "changed", "skipped", "stats"} <= set(
        e["kind"] for e in recorded
    )
    assert result.failed_hosts == [] and result.errors == []


def test_failed_task_is_reported(project: Path, tmp_path: Path) -> None:
    result = runner.run_playbook(request(project, extravars={"fail_now": True}), tmp_path / "rec")
    assert (result.status, result.rc) == ("failed", 2)
    assert result.failed_hosts == ["local1"]
    [failed] = result.failed_tasks
    assert (failed.host, failed.task, failed.message) == (
        "local1",
        "Fail when asked",
        "asked to fail (local1)",
    )
    assert result.as_dict()["failed_tasks"][0]["task"] == "Fail when asked"


def test_no_log_output_is_censored(project: Path, tmp_path: Path) -> None:
    secret = "s3cr3t-value-" + os.urandom(6).hex()
    result = runner.run_playbook(request(project, extravars={"secret_value": secret}), tmp_path / "rec")
    assert result.ok
    for path in tmp_path.joinpath("rec").iterdir():
        assert secret not in path.read_text(), path.name


def test_tags_check_and_variables_files(project: Path, tmp_path: Path) -> None:
    varsfile = project / "vars.yml"
    varsfile.write_text("greeting: from-file\n", encoding="utf-8")
    result = runner.run_playbook(
        request(project, extravars_files=(varsfile,), tags=("write",), check=True, diff=True),
        tmp_path / "rec",
    )
    assert result.ok
    assert result.recap["local1"].changed == 1
    assert not (project / "out.txt").exists()  # check mode changed nothing
    log = result.log_path.read_text()
    assert "Say hello" not in log  # not tagged 'write'
    assert "+from-file" in log  # --diff shows the content from the variables file


def test_limit_matching_no_host(project: Path, tmp_path: Path) -> None:
    result = runner.run_playbook(request(project, limit="nohost"), tmp_path / "rec")
    assert result.status == "failed"
    assert result.recap == {}
    assert result.errors  # Ansible's own error line, or the rc fallback


def test_cancel_callback_interrupts(project: Path, tmp_path: Path) -> None:
    started: list[str] = []

    def on_event(event: Event) -> None:
        if event.kind == "host_start" and event.task == "Sleep when asked":
            started.append(event.host)

    result = runner.run_playbook(
        request(project, extravars={"sleep_now": True}),
        tmp_path / "rec",
        on_event=on_event,
        cancel=lambda: bool(started),
    )
    assert result.status == "interrupted"
    assert started == ["local1"]
    assert "User interrupted execution" in result.log_path.read_text()


def test_sigint_interrupts_and_restores_handler(project: Path, tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT)

    def on_event(event: Event) -> None:
        if event.kind == "host_start" and event.task == "Sleep when asked":
            os.kill(os.getpid(), signal.SIGINT)

    result = runner.run_playbook(
        request(project, extravars={"sleep_now": True}), tmp_path / "rec", on_event=on_event
    )
    assert result.status == "interrupted"
    assert signal.getsignal(signal.SIGINT) is before


def test_failing_event_handler_stops_the_run(project: Path, tmp_path: Path) -> None:
    def on_event(event: Event) -> None:
        if event.kind == "task":
            raise ValueError("display broke")

    with pytest.raises(RuntimeFailure, match="event handler failed: display broke"):
        runner.run_playbook(
            request(project, extravars={"sleep_now": True}), tmp_path / "rec", on_event=on_event
        )


def test_missing_inputs_are_runtime_failures(project: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="playbook not found"):
        runner.run_playbook(
            runner.PlaybookRun(playbook=project / "nope.yml", inventories=(project / "hosts.yml",)), tmp_path
        )
    with pytest.raises(RuntimeFailure, match="inventory not found"):
        runner.run_playbook(
            runner.PlaybookRun(playbook=project / "play.yml", inventories=(project / "x",)), tmp_path
        )
    with pytest.raises(RuntimeFailure, match="variables file not found"):
        runner.run_playbook(request(project, extravars_files=(project / "missing.yml",)), tmp_path)


def test_inventory_hostvars_resolves_templates(tmp_path: Path) -> None:
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    h1:\n  children:\n    web:\n      hosts:\n        h1:\n"
    )
    (tmp_path / "group_vars" / "all" / "c.yml").write_text(
        "ansible_ssh_private_key_file: '{{ inventory_dir }}/../key'\nloki_site_name: s1\nother: x\n"
    )
    hostvars = runner.inventory_hostvars([tmp_path / "hosts.yml"])
    assert hostvars["h1"]["ansible_ssh_private_key_file"] == f"{tmp_path}/../key"
    assert hostvars["h1"]["loki_site_name"] == "s1"
    assert "other" not in hostvars["h1"]
    assert hostvars["h1"]["group_names"] == ["web"]
