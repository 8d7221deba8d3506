"""Run the kubernetes layer for an upgrade through lokictl's runner (the only place that runs Ansible).

Uses `lokictl.deploy` (inventory checks, run records, failure reports) with the ``(kubernetes, upgrade)`` step
of `lokictl.layers`.
"""

from __future__ import annotations

from pathlib import Path

from lokictl import deploy, layers
from lokictl.display import Display
from lokictl.k8s.upgrade import UpgradePlan, plan


def upgrade(
    site_path: Path, to_version: str, display: Display, inventory: Path | None = None
) -> tuple[UpgradePlan, deploy.LayerOutcome]:
    """Plan the upgrade, re-render the inventory and run the kubernetes layer with ``loki_action=upgrade``.

    Raises:
        InputError: see `lokictl.k8s.upgrade.plan`.
        RuntimeFailure: the playbook is missing or Ansible could not start.
        RunFailed / RunInterrupted: the run failed or was stopped (recorded in runs/).
    """
    the_plan = plan(site_path, to_version, inventory)
    for line in the_plan.lines():
        display.note(line)
    try:
        target = deploy.prepare(site_path, inventory, render_first=True, display=display)
        step = layers.step("kubernetes", "upgrade")
        playbook = layers.playbook_path(step)
        opts = deploy.DeployOptions(layer="kubernetes", inventory=inventory)
        outcome = deploy.run_layer(target, step, playbook, opts, display, 1, 1)
    finally:
        display.close()
    return the_plan, outcome
