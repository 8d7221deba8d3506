"""The layers of a LOKI site and the one table mapping (layer, action) to a playbook.

Commands never build content paths: they ask this module for a `Step` and for `content_dir()`.

Content location: the Ansible content (``roles/`` and ``playbooks/`` at the repository root) is reached
through ``lokictl/content/``, which holds two relative symlinks (``roles -> ../../roles``, ``playbooks ->
../../playbooks``). In a checkout or an editable install they point at the repository; when a wheel or sdist
is built, setuptools copies the files behind them as package data (``content/**/*`` in pyproject.toml), so a
regular install carries the same tree. ``LOKI_CONTENT_DIR`` overrides the location (development and tests).
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lokictl.errors import InputError, RuntimeFailure
from lokictl.model import SiteModel

LAYERS: tuple[str, ...] = ("linux", "openstack", "kubernetes")
"""Every layer, in deployment order."""

Action = Literal["deploy", "precheck", "check", "upgrade", "destroy"]
CONTENT_ENV = "LOKI_CONTENT_DIR"


@dataclass(frozen=True)
class Step:
    """One (layer, action) and what runs it.

    Attributes:
        layer: linux, openstack or kubernetes.
        action: the lifecycle action; passed to the playbook as ``loki_action``.
        playbook: playbook path relative to the content directory.
        strategy: the Ansible strategy of the run; None = Ansible's default (``linear``). The Linux layer runs
            with Mitogen's ``mitogen_linear`` (one persistent Python per host instead of a module upload per
            task: a no-op rerun costs a fraction of the CPU); the OpenStack layer keeps the stock strategy,
            which kolla-ansible's plays are tested with, and so does the Kubernetes layer until its
            cluster scenario has run with Mitogen.
        hosts: the host pattern the playbook runs on (``loki_hosts``); None = the playbook's own.
    """

    layer: str
    action: str
    playbook: str
    strategy: str | None = None
    hosts: str | None = None

    @property
    def extravars(self) -> dict[str, str]:
        """Return the extra variables of every run of this step (``loki_hosts`` too when it has hosts)."""
        return {"loki_action": self.action, **({"loki_hosts": self.hosts} if self.hosts else {})}


INTEGRITY = "integrity"
"""The action that records a deploy's changes in the hosts' file integrity (AIDE) baseline."""

MITOGEN = "mitogen_linear"
"""The strategy of the Linux layer; see `Step`."""

STRATEGY_ENV = "LOKI_ANSIBLE_STRATEGY"
"""Overrides `MITOGEN` for lokictl's own layers when set (``linear`` runs them without Mitogen)."""


def effective_strategy(step: Step, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the Ansible strategy a run of ``step`` uses.

    Args:
        step: the layer step.
        environ: the environment to read `STRATEGY_ENV` from; default: the process's.

    Returns:
        None for steps that keep Ansible's default (the OpenStack layer: kolla-ansible's plays); otherwise
        `STRATEGY_ENV` when set (for example ``linear`` to debug without Mitogen), else the step's strategy.
    """
    if step.strategy is None:
        return None
    env = os.environ if environ is None else environ
    return env.get(STRATEGY_ENV) or step.strategy


def _steps() -> dict[tuple[str, str], Step]:
    table: dict[tuple[str, str], Step] = {
        ("linux", "deploy"): Step("linux", "deploy", "playbooks/linux.yml", MITOGEN)
    }
    for layer in ("openstack", "kubernetes"):
        for action in ("precheck", "deploy", "check", "upgrade", "destroy"):
            table[(layer, action)] = Step(layer, action, f"playbooks/{layer}.yml")
    # The OpenStack layer's last step: kolla-ansible's changes go into the AIDE baseline of hardened hosts
    # (the Kubernetes playbook imports the same playbook at its end).
    table[("openstack", INTEGRITY)] = Step(
        "openstack", INTEGRITY, "playbooks/integrity.yml", hosts="openstack_nodes"
    )
    return table


STEPS: dict[tuple[str, str], Step] = _steps()
"""The table: (layer, action) -> step."""


def step(layer: str, action: str = "deploy") -> Step:
    """Return the step for ``layer`` and ``action``.

    Raises:
        InputError: the pair is not in the table.
    """
    try:
        return STEPS[(layer, action)]
    except KeyError:
        actions = sorted(a for (lay, a) in STEPS if lay == layer)
        if not actions:
            raise InputError(f"unknown layer '{layer}' (choose from: {', '.join(LAYERS)})") from None
        raise InputError(f"layer '{layer}' has no action '{action}' (it has: {', '.join(actions)})") from None


def select(choice: str) -> list[str]:
    """Return the layers named by a ``--layer`` value (``all`` = every layer in order).

    Raises:
        InputError: unknown layer name.
    """
    if choice == "all":
        return list(LAYERS)
    if choice not in LAYERS:
        raise InputError(f"unknown layer '{choice}' (choose from: {', '.join(LAYERS)}, all)")
    return [choice]


def enabled(model: SiteModel, layer: str) -> bool:
    """Return True when the site deploys ``layer`` (linux always; the others by their ``enabled`` switch)."""
    if layer == "linux":
        return True
    if layer == "openstack":
        return model.openstack.enabled
    if layer == "kubernetes":
        return model.kubernetes.enabled
    raise InputError(f"unknown layer '{layer}'")


def disabled_note(layer: str) -> str:
    """Return the note printed when a layer is skipped because the site disables it."""
    return f"{layer}: skipped (disabled in the site file: {layer}.enabled is false)"


def content_dir() -> Path:
    """Return the directory holding ``roles/`` and ``playbooks/`` (see the module docstring).

    Raises:
        RuntimeFailure: the content is missing (a broken installation).
    """
    override = os.environ.get(CONTENT_ENV)
    packaged = Path(str(importlib.resources.files("lokictl").joinpath("content")))
    path = (Path(override) if override else packaged).resolve()
    if not (path / "playbooks").is_dir():
        raise RuntimeFailure(
            f"Ansible content not found at {path} (no playbooks/ directory); reinstall lokictl"
        )
    return path


def playbook_path(s: Step) -> Path:
    """Return the absolute playbook of a step.

    Raises:
        RuntimeFailure: the playbook does not exist (the layer is not implemented in this version).
    """
    path = (content_dir() / s.playbook).resolve()
    if not path.is_file():
        raise RuntimeFailure(f"layer {s.layer}: no playbook for action '{s.action}' ({path} is missing)")
    return path


def roles_path() -> Path:
    """Return the directory of the bundled roles."""
    return (content_dir() / "roles").resolve()


def verify_suites(layer: str) -> Sequence[Path]:
    """Return the testinfra suites shipped for ``layer`` (``lokictl/verify/<layer>/test_*.py``), sorted."""
    base = Path(str(importlib.resources.files("lokictl").joinpath("verify"))) / layer
    return sorted(base.glob("test_*.py")) if base.is_dir() else []
