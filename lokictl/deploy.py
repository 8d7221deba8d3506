"""Deploy a site's layers and report their status: the core of ``lokictl deploy`` and ``lokictl status``.

A deploy checks that the rendered inventory exists and matches the site file (or re-renders it with
``--render``), then runs each selected, enabled layer's playbook through `lokictl.runner`, in order, writing a
run record per layer (`lokictl.records`). It stops at the first layer that fails. ``--resume`` skips layers
whose last run succeeded with the same rendered inputs and options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lokictl import layers, records
from lokictl.display import Display
from lokictl.errors import EXIT_RUNTIME, LokiError, RuntimeFailure
from lokictl.events import RunResult
from lokictl.site import Site, load_site

if TYPE_CHECKING:
    from lokictl import runner

INTERRUPTED_EXIT = 130
MAX_FAILURES_SHOWN = 10


class MissingInventory(RuntimeFailure):
    """The rendered inventory a deploy needs does not exist."""


class StaleRender(RuntimeFailure):
    """The rendered inventory differs from what the site file renders to."""


class RunFailed(RuntimeFailure):
    """A layer's run failed: a task failed, a host was unreachable or Ansible stopped with an error."""

    exit_code = EXIT_RUNTIME

    def __init__(self, layer: str, result: RunResult, resume_hint: str) -> None:
        self.layer = layer
        self.result = result
        self.resume_hint = resume_hint
        super().__init__(f"layer {layer} {result.status} (rc={result.rc})")

    def render(self) -> str:
        """Return a one-screen summary: failed hosts and tasks with messages, recap, log path, next step."""
        r = self.result
        hosts = r.failed_hosts
        lines = [f"layer {self.layer} {r.status} (rc={r.rc}) on {len(hosts)} of {len(r.recap)} hosts"]
        rows = [
            (f.host, ("unreachable: " if f.unreachable else "") + f.task, f.message) for f in r.failed_tasks
        ]
        if rows:
            width_host = max(len(h) for h, _, _ in rows[:MAX_FAILURES_SHOWN])
            width_task = min(48, max(len(t) for _, t, _ in rows[:MAX_FAILURES_SHOWN]))
            for host, task, message in rows[:MAX_FAILURES_SHOWN]:
                lines.append(f"  {host:<{width_host}}  {task:<{width_task}}  {message}")
            if len(rows) > MAX_FAILURES_SHOWN:
                lines.append(f"  ... and {len(rows) - MAX_FAILURES_SHOWN} more (see the log)")
        for error in r.errors[:MAX_FAILURES_SHOWN]:
            lines.append(f"  {error}")
        lines.append(f"log:    {r.log_path}")
        lines.append(f"resume: {self.resume_hint}")
        return "\n".join(lines)


class RunInterrupted(RuntimeFailure):
    """A run was stopped (Ctrl-C or SIGTERM) and recorded as interrupted."""

    exit_code = INTERRUPTED_EXIT


@dataclass(frozen=True)
class DeployOptions:
    """Options of one ``lokictl deploy``."""

    layer: str = "all"
    limit: str | None = None
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    check: bool = False
    diff: bool = False
    resume: bool = False
    render: bool = False
    inventory: Path | None = None

    def recorded(self) -> dict[str, Any]:
        """Return the options that make two runs comparable (kept in the run record)."""
        return {
            "limit": self.limit,
            "tags": list(self.tags),
            "skip_tags": list(self.skip_tags),
            "check": self.check,
        }


@dataclass(frozen=True)
class Target:
    """A site with its rendered inventory, ready to run against."""

    site: Site
    site_path: Path
    inventory_dir: Path
    site_sha256: str
    inputs_sha256: str
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def hosts_file(self) -> Path:
        """Return the Ansible inventory file (group_vars/ and host_vars/ sit beside it)."""
        return self.inventory_dir / "hosts.yml"

    @property
    def config(self) -> Path | None:
        """Return the rendered ansible.cfg, if any."""
        cfg = self.inventory_dir / "ansible.cfg"
        return cfg if cfg.is_file() else None

    @property
    def runs(self) -> Path:
        """Return the run records directory."""
        return records.runs_dir(self.site.directory)


@dataclass(frozen=True)
class LayerOutcome:
    """What a deploy did with one layer: successful, skipped (resume) or disabled."""

    layer: str
    status: str
    record: Path | None = None


def inventory_dir(site: Site, override: Path | None) -> Path:
    """Return the rendered inventory directory: ``override`` or ``inventories/<site.name>`` (as `render`)."""
    from lokictl import core

    return override if override is not None else core.default_out_dir(site)


def suggested_command(site_path: Path, inventory: Path | None, command: str, *extra: str) -> str:
    """Return the lokictl command line a message suggests, with the -f/--inventory the user gave.

    ``render`` names the inventory with --out; other commands with --inventory.
    """
    parts = ["lokictl", command]
    if str(site_path) != "site.yml":
        parts += ["-f", str(site_path)]
    if inventory is not None:
        parts += ["--out" if command == "render" else "--inventory", str(inventory)]
    return " ".join([*parts, *extra])


def prepare(
    site_path: Path, inventory: Path | None = None, render_first: bool = False, display: Display | None = None
) -> Target:
    """Load the site and check its rendered inventory exists and is current (re-render first if asked).

    Raises:
        SiteError: the site file is invalid.
        MissingInventory: there is no rendered inventory.
        StaleRender: the rendered inventory differs from the site file's render.
    """
    from lokictl import core

    site = load_site(site_path)
    inv = inventory_dir(site, inventory)
    if render_first:
        report = core.render(site_path, inv)
        if display is not None:
            display.note(
                f"rendered {report.files} files to {inv}" if report.written else f"{inv}: up to date"
            )
    if not (inv / "hosts.yml").is_file():
        raise MissingInventory(
            f"no rendered inventory at {inv} ({inv / 'hosts.yml'} is missing); run "
            f"`{suggested_command(site_path, inventory, 'render')}` or deploy with --render"
        )
    check = core.render(site_path, inv, check=True)
    if check.differences:
        shown = ", ".join(d.split(maxsplit=1)[-1] for d in check.differences[:5])
        more = f" and {len(check.differences) - 5} more" if len(check.differences) > 5 else ""
        raise StaleRender(
            f"{inv} is out of date with {site_path} ({len(check.differences)} differences: {shown}{more}); "
            f"run `{suggested_command(site_path, inventory, 'render')}` or deploy with --render"
        )
    digest, files = records.inputs_hashes(inv)
    return Target(site, site_path, inv, records.sha256_file(site_path), digest, files)


def deploy(site_path: Path, opts: DeployOptions, display: Display) -> list[LayerOutcome]:
    """Deploy the selected layers in order; return what happened to each.

    Raises:
        InputError: unknown layer.
        SiteError, MissingInventory, StaleRender: see `prepare`.
        RuntimeFailure: a layer has no playbook, or Ansible could not start.
        RunFailed: a layer's run failed (recorded).
        RunInterrupted: a layer's run was interrupted (recorded).
    """
    try:
        selected = layers.select(opts.layer)
        target = prepare(site_path, opts.inventory, opts.render, display)
        outcomes: list[LayerOutcome] = []
        # Check every selected layer has its playbook before running anything.
        plan = [
            (layer, step, layers.playbook_path(step))
            for layer in selected
            if layers.enabled(target.site.model, layer)
            for step in [layers.step(layer, "deploy")]
        ]
        last = records.last_records(target.runs) if opts.resume else {}
        index = 0
        for layer in selected:
            if not layers.enabled(target.site.model, layer):
                display.note(layers.disabled_note(layer))
                outcomes.append(LayerOutcome(layer, "disabled"))
                continue
            _, step, playbook = next(p for p in plan if p[0] == layer)
            index += 1
            if layer == "openstack":
                # Several steps (host preparation, images, kolla-ansible), each recorded; resumes per step.
                from lokictl import openstack_deploy

                outcomes.append(openstack_deploy.deploy_layer(target, opts, display))
                continue
            previous = last.get(layer)
            if (
                previous
                and previous.status == "successful"
                and previous.same_inputs(target.inputs_sha256, opts.recorded())
            ):
                when = previous.started
                display.note(f"{layer}: skipped (succeeded at {when} with the same inputs; {previous.path})")
                outcomes.append(LayerOutcome(layer, "skipped", previous.path))
                continue
            outcomes.append(run_layer(target, step, playbook, opts, display, index, len(plan)))
        return outcomes
    finally:
        display.close()


def playbook_request(
    target: Target, step: layers.Step, playbook: Path, opts: DeployOptions
) -> runner.PlaybookRun:
    """Return the runner request for one of our playbooks: rendered inventory, deploy options."""
    from lokictl import runner

    roles = layers.roles_path()
    return runner.PlaybookRun(
        playbook=playbook,
        inventories=(target.hosts_file,),
        extravars=step.extravars,
        roles_paths=(roles,) if roles.is_dir() else (),
        tags=opts.tags,
        skip_tags=opts.skip_tags,
        limit=opts.limit,
        check=opts.check,
        diff=opts.diff,
        config=target.config,
        fact_cache=records.facts_dir(target.site.directory),
        strategy=layers.effective_strategy(step),
    )


def run_layer(
    target: Target,
    step: layers.Step,
    playbook: Path,
    opts: DeployOptions,
    display: Display,
    index: int,
    total: int,
) -> LayerOutcome:
    """Run one of lokictl's layer playbooks on a prepared target, with a run record and progress display.

    The run record (``runs/<stamp>-<layer>/``) holds the step's layer and action, the site and inputs
    hashes and the options; a failed or interrupted run raises with the command that resumes it. `deploy`
    runs the linux and kubernetes layers with it (OpenStack has its own steps, `lokictl.openstack_deploy`);
    other commands use it to run a layer's playbook for another action (``lokictl k8s upgrade``).

    Args:
        target: the site and its current rendered inventory (`prepare`).
        step: the layer and action (`lokictl.layers.step`).
        playbook: the step's playbook (`lokictl.layers.playbook_path`).
        opts: the deploy options (limit, tags, check, diff, inventory).
        display: where progress goes.
        index: position of this run among ``total`` in the progress display (1-based).
        total: number of runs the command makes.

    Returns:
        The layer's outcome with its run record.

    Raises:
        RunFailed: the run failed (recorded).
        RunInterrupted: the run was interrupted (recorded).
        RuntimeFailure: Ansible could not start (recorded as an error).
    """
    from lokictl import runner

    run_dir = records.new_run_dir(target.runs, step.layer)
    meta = {
        "layer": step.layer,
        "action": step.action,
        "playbook": step.playbook,
        "site": str(target.site_path),
        "site_sha256": target.site_sha256,
        "inventory": str(target.inventory_dir),
        "inputs_sha256": target.inputs_sha256,
        "options": opts.recorded(),
    }
    summary = records.start_record(run_dir, meta, target.inputs)
    request = playbook_request(target, step, playbook, opts)
    display.layer_start(step.layer, index, total, run_dir)
    try:
        result = runner.run_playbook(request, run_dir, on_event=display.event)
    except LokiError as exc:
        records.finish_record(run_dir, summary, {"status": "error", "errors": [exc.message]})
        raise
    records.finish_record(run_dir, summary, result.as_dict())
    display.layer_end(step.layer, result)
    hint = suggested_command(
        target.site_path, opts.inventory, "deploy", *(["--layer", opts.layer] if opts.layer != "all" else [])
    )
    if result.status == "interrupted":
        raise RunInterrupted(
            f"layer {step.layer} interrupted after {int(result.duration)} s (recorded in {run_dir}); "
            f"continue with: {hint} --resume"
        )
    if not result.ok:
        raise RunFailed(step.layer, result, f"{hint} --resume")
    return LayerOutcome(step.layer, result.status, run_dir)


def summary_lines(outcomes: list[LayerOutcome]) -> list[str]:
    """Return one line per layer for the end of a deploy."""
    return [f"{o.layer}: {o.status}" + (f" ({o.record})" if o.record else "") for o in outcomes]


@dataclass(frozen=True)
class LayerStatus:
    """The state of one layer as `lokictl status` reports it."""

    layer: str
    enabled: bool
    record: records.RunRecord | None
    site_current: bool | None
    inputs_current: bool | None


def status(site_path: Path, inventory: Path | None = None) -> list[LayerStatus]:
    """Return, per layer, the last deploy record and whether the site file and inputs changed since.

    Raises:
        SiteError: the site file is invalid.
    """
    site = load_site(site_path)
    inv = inventory_dir(site, inventory)
    last = records.last_records(records.runs_dir(site.directory))
    site_sha = records.sha256_file(site_path)
    inputs_sha = records.inputs_hashes(inv)[0] if (inv / "hosts.yml").is_file() else None
    rows: list[LayerStatus] = []
    for layer in layers.LAYERS:
        rec = last.get(layer)
        rows.append(
            LayerStatus(
                layer=layer,
                enabled=layers.enabled(site.model, layer),
                record=rec,
                site_current=None if rec is None else rec.data.get("site_sha256") == site_sha,
                inputs_current=None
                if rec is None or inputs_sha is None
                else rec.data.get("inputs_sha256") == inputs_sha,
            )
        )
    return rows


def _when(iso: str, now: datetime) -> str:
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return iso or "?"
    age = int((now - t).total_seconds())
    ago = (
        f"{age}s"
        if age < 120
        else f"{age // 60}m"
        if age < 7200
        else f"{age // 3600}h"
        if age < 172800
        else f"{age // 86400}d"
    )
    return f"{t.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({ago} ago)"


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def format_status(rows: list[LayerStatus], now: datetime | None = None) -> str:
    """Return the status table: layer, outcome, when, site hash, inputs, failed hosts, record."""
    now = now or datetime.now(UTC)
    table = [("LAYER", "OUTCOME", "WHEN", "SITE", "INPUTS", "FAILED HOSTS", "RECORD")]
    for row in rows:
        rec = row.record
        if rec is None:
            table.append((row.layer, "disabled" if not row.enabled else "never run", "-", "-", "-", "-", "-"))
            continue
        site_sha = str(rec.data.get("site_sha256") or "")[:12]
        site = f"{site_sha} ({'current' if row.site_current else 'changed since'})"
        inputs = {True: "current", False: "changed since", None: "not rendered"}[row.inputs_current]
        outcome = rec.status + ("" if row.enabled else " (now disabled)")
        if rec.data.get("options", {}).get("check"):
            outcome += " (check)"
        failed = ",".join(rec.failed_hosts) or "-"
        table.append((row.layer, outcome, _when(rec.started, now), site, inputs, failed, _relative(rec.path)))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
