"""``openstack.mariadb_backup``: the kolla-ansible switch it renders, checked against the installed
kolla-ansible, and what it leaves unchanged (other globals, the images, validation of a disabled layer)."""

from __future__ import annotations

from typing import Any

import yaml
from support import EXAMPLES

from lokictl import rules
from lokictl.images.select import required_images
from lokictl.model import SiteModel
from lokictl.render import kolla_globals
from lokictl.render.kolla import kolla_ansible_file
from lokictl.site import load_site_text


def _model(**openstack: Any) -> SiteModel:
    data = yaml.safe_load((EXAMPLES / "aio.yml").read_text(encoding="utf-8"))
    data["openstack"].update(openstack)
    return load_site_text(yaml.safe_dump(data)).model


def test_switch_is_off_by_default_and_renders_nothing() -> None:
    model = _model()
    assert model.openstack.mariadb_backup is False
    assert "enable_mariabackup" not in kolla_globals(model)


def test_switch_on_adds_exactly_enable_mariabackup() -> None:
    off, on = kolla_globals(_model()), kolla_globals(_model(mariadb_backup=True))
    assert on == {**off, "enable_mariabackup": "yes"}


def test_kolla_ansible_knows_the_switch_and_defaults_it_off() -> None:
    """The name lokictl renders is kolla-ansible's own: its default is off and its backup play needs it."""
    defaults = yaml.safe_load(kolla_ansible_file("ansible/group_vars/all/mariadb.yml").read_text("utf-8"))
    assert defaults["enable_mariabackup"] is False
    (play,) = yaml.safe_load(kolla_ansible_file("ansible/mariadb-backup.yml").read_text("utf-8"))
    assert [r["when"] for r in play["roles"]] == ["enable_mariabackup | bool"]


def test_backups_need_no_extra_image() -> None:
    """kolla-ansible runs the backup in the image of the running mariadb-server container."""
    backup_tasks = kolla_ansible_file("ansible/roles/mariadb/tasks/backup.yml").read_text("utf-8")
    assert "mariadb_services.mariadb.image" in backup_tasks
    assert required_images(_model(mariadb_backup=True)) == required_images(_model())


def test_switch_on_a_disabled_layer_is_kept_like_its_other_settings() -> None:
    """``enabled: false`` turns the layer off and keeps its settings for later: no rule fires."""
    model = _model(enabled=False, mariadb_backup=True)
    assert rules.check(model) == []
