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

# The OpenStack layer's last step (playbooks/integrity.yml): leaves the hosts and the action it was given.
INTEGRITY = """\
- name: Integrity baseline (local test content)
  hosts: "{{ loki_hosts }}"
  connection: local
  gather_facts: false
  tasks:
    - name: Leave a marker
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/../out/{{ inventory_hostname }}-integrity"
        content: "{{ loki_hosts }} {{ loki_action }}\\n"
        mode: "0644"
"""

# Stand-ins for kolla-ansible's playbooks (KOLLA_ANSIBLE_DATA_FILES_PATH points at them): every action of
# site.yml leaves a marker and prints a password without no_log (the records must not hold it); post-deploy
# writes clouds.yaml and the admin openrc into CONFIG_DIR as kolla-ansible's does.
KOLLA_SITE = """\
- name: kolla-ansible site.yml (local test content)
  hosts: control
  connection: local
  gather_facts: false
  tasks:
    - name: Leave a marker per action
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/../../out/kolla-{{ kolla_action }}"
        content: "{{ openstack_tag }}\\n"
        mode: "0644"
    - name: Print a password like some kolla-ansible tasks do
      ansible.builtin.debug:
        msg: "database password {{ database_password }}"
"""

KOLLA_POST_DEPLOY = """\
- name: kolla-ansible post-deploy.yml (local test content)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Template out clouds.yaml
      ansible.builtin.copy:
        dest: "{{ CONFIG_DIR }}/clouds.yaml"
        content: |
          clouds:
            kolla-admin:
              auth: {username: admin, password: "{{ keystone_admin_password }}"}
        mode: "0600"
    - name: Template out admin-openrc.sh
      ansible.builtin.copy:
        dest: "{{ CONFIG_DIR }}/admin-openrc.sh"
        content: "export OS_PASSWORD='{{ keystone_admin_password }}'\\n"
        mode: "0600"
"""

# kolla-ansible's mariadb-backup.yml runs its mariadb role on the mariadb hosts when enable_mariabackup is on.
KOLLA_MARIADB_BACKUP = """\
- name: kolla-ansible mariadb-backup.yml (local test content)
  hosts: mariadb
  connection: local
  gather_facts: false
  tasks:
    - name: Leave a marker of the backup's variables
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/../../out/mariadb-backup"
        content: "{{ [inventory_hostname, kolla_action, mariadb_backup_type, openstack_tag] | join(' ') }}\\n"
        mode: "0644"
      when: enable_mariabackup | bool
"""

OPENSTACK_STEPS = ["hosts", "images", "prechecks", "deploy", "post-deploy", "integrity"]


@pytest.fixture
def site(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    content = in_tmp / "content"
    (content / "playbooks").mkdir(parents=True)
    (content / "out").mkdir()
    (content / "playbooks" / "linux.yml").write_text(LINUX, encoding="utf-8")
    (content / "playbooks" / "openstack.yml").write_text(OPENSTACK, encoding="utf-8")
    (content / "playbooks" / "integrity.yml").write_text(INTEGRITY, encoding="utf-8")
    (content / "kolla" / "ansible").mkdir(parents=True)
    (content / "kolla" / "ansible" / "site.yml").write_text(KOLLA_SITE, encoding="utf-8")
    (content / "kolla" / "ansible" / "post-deploy.yml").write_text(KOLLA_POST_DEPLOY, encoding="utf-8")
    (content / "kolla" / "ansible" / "mariadb-backup.yml").write_text(KOLLA_MARIADB_BACKUP, encoding="utf-8")
    monkeypatch.setenv("LOKI_CONTENT_DIR", str(content))
    monkeypatch.setenv("KOLLA_ANSIBLE_DATA_FILES_PATH", str(content / "kolla"))
    for var in ("LOKI_TEST_BREAK", "LOKI_TEST_SLOW", "LOKI_TEST_BREAK_OPENSTACK"):
        monkeypatch.delenv(var, raising=False)
    assert run_cli(["init"]).exit_code == 0
    site = in_tmp / "site.yml"
    # Images from a registry (kolla-ansible pulls them: the images step runs site.yml's pull action).
    site.write_text(site.read_text().replace('registry: ""', 'registry: "registry.test:5000"'))
    _fake_image_build(site)
    assert run_cli(["render"]).exit_code == 0
    return site


def _fake_image_build(site: Path) -> None:
    """Write the manifest `lokictl images build --push registry.test:5000` leaves."""
    from lokictl.images import build, select
    from lokictl.site import load_site

    loaded = load_site(site)
    work = build.work_dir(loaded)
    work.mkdir(parents=True)
    images = {name: {"status": "present"} for name in select.required_images(loaded.model)}
    manifest = {"tag": "2026.1-test", "release": "2026.1", "registry": "registry.test:5000", "images": images}
    (work / build.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


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
    assert (site.parent / "content" / "out" / "aio1-integrity").read_text() == "openstack_nodes integrity\n"
    linux, *openstack = summaries(site)
    assert [s.get("step") for s in openstack] == OPENSTACK_STEPS
    for summary in (linux, *openstack):
        layer = "openstack" if summary.get("step") else "linux"
        assert summary["layer"] == layer and summary["status"] == "successful" and summary["rc"] == 0
        assert summary["site_sha256"] and len(summary["inputs_sha256"]) == 64
        assert summary["recap"] and all(r["failed"] == 0 for r in summary["recap"].values())
        assert summary["duration"] > 0
    assert linux["recap"]["aio1"]["changed"] == 1
    # kolla-ansible's actions ran with the tag of the image build; credentials land beside the site file.
    out = site.parent / "content" / "out"
    for action in ("pull", "precheck", "deploy"):
        assert (out / f"kolla-{action}").read_text() == "2026.1-test\n"
    assert all(s["options"]["openstack_tag"] == "2026.1-test" for s in openstack)
    for name in ("clouds.yaml", "admin-openrc.sh"):
        assert (site.parent / name).stat().st_mode & 0o777 == 0o600
    assert "kolla-admin" in yaml.safe_load((site.parent / "clouds.yaml").read_text())["clouds"]
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
    assert lines[0] == "error: layer openstack hosts failed (rc=2) on 1 of 1 hosts"
    assert lines[1].split()[:1] == ["aio1"]
    assert (
        "Fail when the openstack break switch is set" in lines[1]
        and "openstack broken on purpose" in lines[1]
    )
    assert lines[2].startswith("log:    ") and lines[2].endswith("-openstack-hosts/ansible.log")
    assert lines[3] == "resume: lokictl deploy --resume"
    assert "Traceback" not in result.stderr
    status = run_cli(["status"]).stdout.splitlines()
    assert status[2].split()[:2] == ["openstack", "failed"] and " aio1 " in status[2]

    monkeypatch.delenv("LOKI_TEST_BREAK_OPENSTACK")
    result = run_cli(["deploy", "--resume"])
    assert result.exit_code == 0, result.stderr
    assert "linux: skipped (succeeded at" in result.stdout
    assert [s.get("step", s["layer"]) for s in summaries(site)] == ["linux", "hosts", *OPENSTACK_STEPS]
    assert summaries(site)[-1]["status"] == "successful"
    # Everything succeeded with these inputs: a second resume runs nothing; other options run again.
    result = run_cli(["deploy", "--resume"])
    assert result.exit_code == 0 and "openstack: skipped (every step succeeded" in result.stdout
    assert len(summaries(site)) == 2 + len(OPENSTACK_STEPS)
    assert run_cli(["deploy", "--resume", "--layer", "linux", "--check"]).exit_code == 0
    assert (
        len(summaries(site)) == 3 + len(OPENSTACK_STEPS) and summaries(site)[-1]["options"]["check"] is True
    )


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
    expected = [("linux", "interrupted"), ("linux", "successful")] + [("openstack", "successful")] * len(
        OPENSTACK_STEPS
    )
    assert [(s["layer"], s["status"]) for s in summaries(site)] == expected


def test_mariadb_backup_runs_once_the_site_switches_it_on(site: Path) -> None:
    marker = site.parent / "content" / "out" / "mariadb-backup"
    refused = run_cli(["openstack", "mariadb-backup"])
    assert refused.exit_code == 2 and "set openstack.mariadb_backup: true in site.yml" in refused.stderr
    assert not marker.exists() and not (site.parent / "runs").exists()
    site.write_text(
        site.read_text().replace("  build_images: true\n", "  build_images: true\n  mariadb_backup: true\n")
    )
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["openstack", "mariadb-backup", "--output", "plain"])
    assert result.exit_code == 0, result.stderr
    assert marker.read_text() == "aio1 backup full 2026.1-test\n"
    [summary] = summaries(site)
    assert (summary["layer"], summary["action"], summary["step"]) == (
        "openstack",
        "mariadb-backup",
        "mariadb-backup",
    )
    assert summary["status"] == "successful" and summary["playbook"].endswith("ansible/mariadb-backup.yml")
