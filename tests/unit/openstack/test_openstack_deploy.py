"""The OpenStack deploy path without a cloud: kolla-ansible runs, lab mode, image loading, redaction."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from support import run_cli

from lokictl import kolla_ansible, openstack_deploy, records, runner
from lokictl.errors import InputError
from lokictl.images.load import plan_host, require_source
from lokictl.lab.labdir import lab_site_data
from lokictl.redact import MARK, Redactor
from lokictl.site import load_site

pytestmark = pytest.mark.usefixtures("fast_keys")


@pytest.fixture
def site(in_tmp: Path) -> Path:
    assert run_cli(["init"]).exit_code == 0
    return in_tmp / "site.yml"


def _as_lab(site: Path, name: str = "os9") -> None:
    data = yaml.safe_load(site.read_text())
    lab, _ = lab_site_data(data, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTests lab", name)
    site.write_text(yaml.safe_dump(lab, sort_keys=False))


def _globals(inventory: Path) -> dict[str, object]:
    data = yaml.safe_load((inventory / "kolla" / "globals.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_lab_site_data_marks_the_lab() -> None:
    lab, admin = lab_site_data({"site": {"name": "x"}}, "ssh-ed25519 AAAA k", "os1")
    assert lab["lab"] == {"name": "os1"} and admin == "ops"
    plain, _ = lab_site_data({"site": {"name": "x"}}, "ssh-ed25519 AAAA k")
    assert "lab" not in plain


def test_lab_settings_only_with_a_lab_section(site: Path) -> None:
    assert run_cli(["render"]).exit_code == 0
    real = _globals(Path("inventories/aio"))
    for key in (
        "kolla_toolbox_services",
        "default_container_dimensions_docker",
        "prechecks_enable_host_ntp_checks",
    ):
        assert key not in real
    _as_lab(site)
    result = run_cli(["render"])
    assert result.exit_code == 0, result.stderr
    # A lab's site renders beside itself by default.
    assert "inventory" in result.stdout and (site.parent / "inventory" / "hosts.yml").is_file()
    lab = _globals(site.parent / "inventory")
    services = lab["kolla_toolbox_services"]
    assert isinstance(services, dict) and services
    assert all(spec["privileged"] is False for spec in services.values())
    # The rest of the service definition is kolla-ansible's own (still templated by kolla-ansible).
    assert services["kolla-toolbox"]["image"] == "{{ kolla_toolbox_image_full }}"
    assert lab["default_container_dimensions_docker"] == {}
    assert (
        lab["prechecks_enable_host_ntp_checks"] is False and lab["prechecks_enable_host_os_checks"] is False
    )
    group_vars = yaml.safe_load((site.parent / "inventory" / "group_vars" / "all" / "site.yml").read_text())
    assert group_vars["loki_lab"] == "os9"


def test_status_of_a_lab_site_finds_its_inventory(site: Path) -> None:
    _as_lab(site)
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["status", "-f", str(site)])
    assert result.exit_code == 0
    assert "not rendered" not in result.stdout


def test_kolla_request_is_what_kolla_ansibles_cli_runs(tmp_path: Path) -> None:
    inputs = kolla_ansible.KollaInputs(tmp_path / "inv", tmp_path / "cfg", "2026.1-abc")
    req = kolla_ansible.request(
        kolla_ansible.action("prechecks"), inputs, skip_tags=("nova-cell",), limit="aio1"
    )
    assert req.playbook.name == "site.yml" and req.playbook.parent.name == "ansible"
    assert req.inventories == (tmp_path / "inv" / "kolla" / "inventory",)
    assert req.extravars_files == (
        tmp_path / "inv" / "kolla" / "globals.yml",
        tmp_path / "inv" / "kolla" / "passwords.yml",
    )
    assert req.extravars["kolla_action"] == "precheck"
    assert req.extravars["openstack_tag"] == "2026.1-abc"
    assert req.extravars["CONFIG_DIR"] == str((tmp_path / "cfg").resolve())
    assert req.skip_tags == ("nova-cell",) and req.limit == "aio1"
    assert req.project_dir == req.playbook.parent
    # Globals and passwords travel as -e @file on the command line, never as values in the extravars file.
    args = shlex.split(runner._cmdline(req))
    assert args == [
        "-e",
        f"@{(tmp_path / 'inv' / 'kolla' / 'globals.yml').resolve()}",
        "-e",
        f"@{(tmp_path / 'inv' / 'kolla' / 'passwords.yml').resolve()}",
    ]
    assert not any("password" in str(k) for k in req.extravars)


def test_every_kolla_action_has_its_playbook() -> None:
    expected = {
        "prechecks": ("site.yml", "precheck"),
        "pull": ("site.yml", "pull"),
        "deploy": ("site.yml", "deploy"),
        "post-deploy": ("post-deploy.yml", "post-deploy"),
        "reconfigure": ("site.yml", "reconfigure"),
        "stop": ("site.yml", "stop"),
        "destroy": ("destroy.yml", "destroy"),
        "mariadb-backup": ("mariadb-backup.yml", "backup"),
        "mariadb-recovery": ("mariadb-recovery.yml", "deploy"),
    }
    for name, (book, kolla_action) in expected.items():
        act = kolla_ansible.action(name)
        assert act.playbook == book and act.extravars["kolla_action"] == kolla_action
        assert kolla_ansible.playbook(act).is_file()
    with pytest.raises(InputError, match="unknown kolla-ansible action 'upgrade-all'"):
        kolla_ansible.action("upgrade-all")


def test_image_load_plan_skips_what_the_host_has() -> None:
    wanted = {"kolla/a:t": "sha256:1", "kolla/b:t": "sha256:2", "kolla/c:t": "sha256:3"}
    on_host = {"kolla/a:t": "sha256:1", "kolla/b:t": "sha256:old"}
    plan = plan_host("aio1", "lab-aio1", wanted, on_host)
    assert plan.missing == ("kolla/b:t", "kolla/c:t")  # b is there under another id: reload
    assert plan.present == ("kolla/a:t",)
    assert plan_host("aio1", "c", wanted, wanted).missing == ()


def test_real_hosts_without_registry_are_refused(site: Path) -> None:
    model = load_site(site).model
    with pytest.raises(InputError, match=r"images build -f site.yml --push REGISTRY.*openstack.registry"):
        require_source(model, "site.yml")
    require_source(
        model.model_copy(update={"openstack": model.openstack.model_copy(update={"registry": "r:5000"})}), "s"
    )


def test_deploy_without_built_images_says_what_to_run(site: Path) -> None:
    _as_lab(site)
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["deploy", "--layer", "openstack"])
    assert result.exit_code == 2
    assert "no Kolla images built for this site: run lokictl images build -f site.yml" in result.stderr
    assert not (site.parent / "runs").exists()


def test_destroy_needs_confirmation(site: Path) -> None:
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["openstack", "destroy"])
    assert result.exit_code == 2 and "confirm with --yes" in result.stderr


def test_redactor_hides_every_password(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords.yml"
    key = "\n".join(
        [
            "-----BEGIN PRIVATE KEY-----",
            "MIIEvgIBADANBgkqhkiG9w0BAQEFAASC",
            "abcdefghijklmnop",
            "-----END PRIVATE KEY-----",
        ]
    )
    passwords.write_text(
        yaml.safe_dump(
            {
                "keystone_admin_password": "s3cretValue123",
                "database_password": "another-Secret",
                "kolla_ssh_key": {"private_key": key, "public_key": "ssh-rsa AAAAB3Nza pub"},
                "docker_registry_password": None,
                "short": "abc",
            }
        )
    )
    red = Redactor.from_yaml(passwords)
    text = "login admin/s3cretValue123 db=another-Secret line MIIEvgIBADANBgkqhkiG9w0BAQEFAASC"
    out = red.text(text)
    assert "s3cretValue123" not in out and "another-Secret" not in out and "MIIEvg" not in out
    assert out.count(MARK) == 3 and "login admin/" in out
    raw = {"event_data": {"res": {"msg": "pw s3cretValue123", "list": ["another-Secret", 3]}}, "pid": 7}
    assert red.data(raw) == {"event_data": {"res": {"msg": f"pw {MARK}", "list": [MARK, 3]}}, "pid": 7}
    assert red.text("abc stays") == "abc stays"  # too short to be a secret worth hiding


def test_resume_starts_at_the_failed_step(site: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    target = type("T", (), {"inputs_sha256": "in1"})()
    options = {"limit": None, "tags": [], "skip_tags": [], "check": False, "openstack_tag": "t"}
    for n, (step, status) in enumerate(
        (("hosts", "successful"), ("images", "successful"), ("prechecks", "failed"))
    ):
        run_dir = runs / f"2026010{n}T000000Z-openstack-{step}"
        run_dir.mkdir(parents=True)
        data = {
            "layer": "openstack",
            "action": "deploy",
            "step": step,
            "status": status,
            "inputs_sha256": "in1",
            "options": options,
            "started": f"2026-01-0{n + 1}T00:00:00+00:00",
        }
        (run_dir / records.SUMMARY).write_text(json.dumps(data))
    assert openstack_deploy._resume_from(runs, target, options) == 2  # type: ignore[arg-type]
    assert openstack_deploy._resume_from(runs, target, {**options, "openstack_tag": "new"}) == 0  # type: ignore[arg-type]


def test_credentials_beside_the_site_keep_other_clouds(site: Path, tmp_path: Path) -> None:
    loaded = load_site(site)
    kolla_config = tmp_path / "cfg"
    kolla_config.mkdir()
    (kolla_config / "clouds.yaml").write_text("clouds:\n  kolla-admin: {auth: {password: new}}\n")
    (kolla_config / "admin-openrc.sh").write_text("export OS_PASSWORD='new'\n")
    (site.parent / "clouds.yaml").write_text(
        "clouds:\n  kolla-admin: {auth: {password: old}}\n  aio-member: {auth: {password: m}}\n"
    )
    written = openstack_deploy.publish_credentials(loaded, kolla_config)
    assert written == [site.parent / "clouds.yaml", site.parent / "admin-openrc.sh"]
    clouds = yaml.safe_load((site.parent / "clouds.yaml").read_text())["clouds"]
    assert clouds == {"kolla-admin": {"auth": {"password": "new"}}, "aio-member": {"auth": {"password": "m"}}}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in written)


def test_mariadb_backup_is_refused_without_the_site_switch(site: Path) -> None:
    assert run_cli(["render"]).exit_code == 0
    result = run_cli(["openstack", "mariadb-backup"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: MariaDB backups are off for this site: set openstack.mariadb_backup: true in site.yml, then "
        "run `lokictl render` and `lokictl deploy --layer openstack` (they set up kolla-ansible's backup "
        "user and configuration) before backing up"
    )
    assert not (site.parent / "runs").exists()


def test_mariadb_backup_refusal_names_the_site_file_and_inventory(site: Path) -> None:
    model = load_site(site).model
    with pytest.raises(InputError) as caught:
        openstack_deploy.require_operable(model, "mariadb-backup", Path("s/x.yml"), Path("inv"))
    assert "set openstack.mariadb_backup: true in s/x.yml" in caught.value.message
    assert "`lokictl render -f s/x.yml --out inv`" in caught.value.message
    assert "`lokictl deploy -f s/x.yml --inventory inv --layer openstack`" in caught.value.message


def test_mariadb_backup_is_allowed_with_the_switch_and_other_operations_without(site: Path) -> None:
    model = load_site(site).model
    on = model.model_copy(update={"openstack": model.openstack.model_copy(update={"mariadb_backup": True})})
    openstack_deploy.require_operable(on, "mariadb-backup", site)
    for name in openstack_deploy.OPERATIONS:
        if name != "mariadb-backup":
            openstack_deploy.require_operable(model, name, site)
    off = model.model_copy(update={"openstack": on.openstack.model_copy(update={"enabled": False})})
    for name in openstack_deploy.OPERATIONS:
        with pytest.raises(InputError, match=r"openstack\.enabled is false in the site file"):
            openstack_deploy.require_operable(off, name, site)
