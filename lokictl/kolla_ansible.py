"""kolla-ansible's actions as `lokictl.runner.PlaybookRun` requests.

kolla-ansible's own CLI (``kolla_ansible/ansible.py`` at the pinned version) runs ``ansible-playbook`` with
the inventory, ``-e @globals.yml -e @passwords.yml``, the action's variables (``kolla_action`` ...) and
``-e CONFIG_DIR=<config dir>`` on one of its installed playbooks. `request` builds the same run for
`lokictl.runner`: the two files stay on the command line as ``-e @file`` (never in ansible-runner's
extravars/env files), the action's variables and the image tag are plain extra variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lokictl.errors import InputError, RuntimeFailure
from lokictl.model import SiteModel
from lokictl.render.kolla import kolla_ansible_file
from lokictl.runner import PlaybookRun


@dataclass(frozen=True)
class KollaAction:
    """One kolla-ansible command.

    Attributes:
        name: the command name (as ``kolla-ansible <name>``).
        playbook: playbook under kolla-ansible's ``ansible/`` directory.
        extravars: variables kolla-ansible's CLI passes for it.
        summary: one line for help texts.
    """

    name: str
    playbook: str
    extravars: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""


ACTIONS: dict[str, KollaAction] = {
    a.name: a
    for a in (
        KollaAction("prechecks", "site.yml", {"kolla_action": "precheck"}, "check the hosts before a deploy"),
        KollaAction("pull", "site.yml", {"kolla_action": "pull"}, "pull the images from the registry"),
        KollaAction("deploy", "site.yml", {"kolla_action": "deploy"}, "deploy the services"),
        KollaAction(
            "post-deploy", "post-deploy.yml", {"kolla_action": "post-deploy"}, "write clouds.yaml and openrc"
        ),
        KollaAction(
            "reconfigure",
            "site.yml",
            {"kolla_action": "reconfigure", "kolla_serial": 0},
            "apply changed configuration and restart what changed",
        ),
        KollaAction(
            "stop",
            "site.yml",
            {"kolla_action": "stop", "kolla_action_stop_ignore_missing": "no"},
            "stop every OpenStack container",
        ),
        KollaAction(
            "destroy",
            "destroy.yml",
            {"kolla_action": "destroy", "destroy_include_dev": "no", "destroy_include_images": "no"},
            "remove every OpenStack container, volume and host configuration",
        ),
        KollaAction(
            "mariadb-backup",
            "mariadb-backup.yml",
            {"kolla_action": "backup", "mariadb_backup_type": "full"},
            "full backup of the MariaDB databases (into the mariadb_backup volume)",
        ),
        KollaAction(
            "mariadb-recovery",
            "mariadb-recovery.yml",
            {"kolla_action": "deploy"},
            "restart a completely stopped MariaDB cluster",
        ),
    )
}
"""kolla-ansible commands lokictl runs, by name."""


def action(name: str) -> KollaAction:
    """Return a kolla-ansible action by name.

    Raises:
        InputError: unknown action.
    """
    try:
        return ACTIONS[name]
    except KeyError:
        raise InputError(
            f"unknown kolla-ansible action '{name}' (choose from: {', '.join(ACTIONS)})"
        ) from None


DATA_FILES_ENV = "KOLLA_ANSIBLE_DATA_FILES_PATH"
"""kolla-ansible's own override of its data files directory (``share/kolla-ansible``), used for playbooks."""


def playbook(act: KollaAction) -> Path:
    """Return the kolla-ansible playbook of an action (installed, or in ``$KOLLA_ANSIBLE_DATA_FILES_PATH``).

    Raises:
        RuntimeFailure: kolla-ansible is not installed or lacks the playbook.
    """
    override = os.environ.get(DATA_FILES_ENV)
    if override:
        path = Path(override) / "ansible" / act.playbook
        if not path.is_file():
            raise RuntimeFailure(f"{DATA_FILES_ENV}={override}: no playbook ansible/{act.playbook}")
        return path
    return kolla_ansible_file(f"ansible/{act.playbook}")


@dataclass(frozen=True)
class KollaInputs:
    """What every kolla-ansible run of a site uses.

    Attributes:
        inventory_dir: the rendered inventory (``kolla/`` inside holds globals, inventory, passwords).
        config_dir: kolla-ansible's ``CONFIG_DIR`` on this machine (post-deploy writes clouds.yaml there).
        image_tag: ``openstack_tag``: the tag `lokictl images build` gave the images.
    """

    inventory_dir: Path
    config_dir: Path
    image_tag: str

    @property
    def kolla_dir(self) -> Path:
        """Return the rendered kolla-ansible directory."""
        return self.inventory_dir / "kolla"


def request(
    act: KollaAction,
    inputs: KollaInputs,
    *,
    extravars: Mapping[str, Any] | None = None,
    tags: tuple[str, ...] = (),
    skip_tags: tuple[str, ...] = (),
    limit: str | None = None,
    check: bool = False,
    diff: bool = False,
) -> PlaybookRun:
    """Return the runner request for a kolla-ansible action (as kolla-ansible's CLI would run it).

    Raises:
        RuntimeFailure: kolla-ansible is not installed or lacks the playbook.
    """
    book = playbook(act)
    cfg = inputs.inventory_dir / "ansible.cfg"
    variables: dict[str, Any] = {
        **act.extravars,
        "openstack_tag": inputs.image_tag,
        "CONFIG_DIR": str(inputs.config_dir.resolve()),
        # Service configuration overrides rendered with the inventory (kolla/config/), wherever CONFIG_DIR is.
        "node_custom_config": str((inputs.kolla_dir / "config").resolve()),
        **(extravars or {}),
    }
    return PlaybookRun(
        playbook=book,
        inventories=(inputs.kolla_dir / "inventory",),
        extravars=variables,
        extravars_files=(inputs.kolla_dir / "globals.yml", inputs.kolla_dir / "passwords.yml"),
        tags=tags,
        skip_tags=skip_tags,
        limit=limit,
        check=check,
        diff=diff,
        config=cfg if cfg.is_file() else None,
        # kolla-ansible gathers its own facts: keep the Linux layer's cached (partial) facts out of its runs.
        envvars={"ANSIBLE_CACHE_PLUGIN": "memory"},
        project_dir=book.parent,
    )


def site_skip_tags(model: SiteModel, name: str) -> tuple[str, ...]:
    """Return the kolla-ansible tags a site's shape requires skipping for an action (render's data)."""
    from lokictl.render import profile

    act = ACTIONS.get(name)
    kolla_action = str(act.extravars.get("kolla_action", name)) if act else name
    return tuple(profile.kolla_skip_tags(model, kolla_action))
