"""``lokictl deploy --layer openstack`` and ``lokictl openstack <action>``: hosts, images, kolla-ansible.

The layer runs in steps, each with its own run record (``runs/<stamp>-openstack-<step>/``, layer
``openstack``) and progress display:

1. ``hosts``: lokictl's playbooks/openstack.yml (role openstack_kolla_host) prepares the hosts;
2. ``images``: the images get onto the hosts: with ``openstack.registry`` kolla-ansible pulls them (its
   ``pull`` action); without one, a lab's hosts get the locally built images with ``docker load``;
3. ``prechecks``, 4. ``deploy``, 5. ``post-deploy``: kolla-ansible's own playbooks through `lokictl.runner`,
   with the rendered inventory, globals and passwords and the tag `lokictl images build` produced;
6. ``integrity``: lokictl's playbooks/integrity.yml records what the deploy installed and wrote in the AIDE
   database of hardened hosts (the daily check then reports only later changes).

Then ``clouds.yaml`` and ``admin-openrc.sh`` (mode 0600) are written beside the site file. ``--resume``
starts again at the first step whose last run did not succeed with the same inputs. Every value of
``kolla/passwords.yml`` is replaced by a marker in what the records hold (`lokictl.redact`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from lokictl import kolla_ansible, layers, records
from lokictl.display import Display
from lokictl.errors import InputError, LokiError, RuntimeFailure
from lokictl.events import HostRecap, RunResult
from lokictl.redact import Redactor
from lokictl.site import Site

if TYPE_CHECKING:
    from lokictl.deploy import DeployOptions, LayerOutcome, Target
    from lokictl.model import SiteModel
    from lokictl.runner import PlaybookRun

STEPS: tuple[str, ...] = ("hosts", "images", "prechecks", "deploy", "post-deploy", layers.INTEGRITY)
"""The steps of the OpenStack layer, in order."""
CLOUDS_FILE = "clouds.yaml"
OPENRC_FILE = "admin-openrc.sh"
LOAD_LOG = "images.log"


def config_dir(site: Site) -> Path:
    """Return kolla-ansible's ``CONFIG_DIR`` of a site: ``.lokictl/openstack/<site name>/`` beside it."""
    return site.directory / ".lokictl" / "openstack" / site.model.site.name


@dataclass(frozen=True)
class Images:
    """The images a deploy uses: the tag `lokictl images build` gave them and their references."""

    tag: str
    names: tuple[str, ...]
    registry: str

    def refs(self) -> list[str]:
        """Return the local references (``kolla/<name>:<tag>``)."""
        from lokictl.images.build import image_ref

        return [image_ref(n, self.tag) for n in self.names]


def built_images(site: Site, site_path: Path) -> Images:
    """Return the images of the site's last ``lokictl images build`` and check they fit the site.

    Raises:
        InputError: no build recorded, an image the site needs was not built, or the site's registry is not
            where the images were pushed.
    """
    from lokictl.images import build, select

    m = site.model
    hint = f"run lokictl images build -f {site_path}"
    try:
        manifest = build.read_manifest(site)
    except InputError:
        raise InputError(f"no Kolla images built for this site: {hint}") from None
    required = select.required_images(m)
    images = manifest.get("images") or {}
    missing = [n for n in required if (images.get(n) or {}).get("status") not in ("built", "present")]
    if missing or manifest.get("release") != m.openstack.release:
        what = ", ".join(missing) if missing else f"release {manifest.get('release')}"
        raise InputError(f"the last image build does not cover this site ({what}): {hint}")
    registry = m.openstack.registry
    if registry and str(manifest.get("registry") or "").rstrip("/") != registry.rstrip("/"):
        raise InputError(
            f"the images were not pushed to {registry}: {hint} --push {registry}"
            + (" (and the upper-constraints used before)" if manifest.get("tag") else "")
        )
    return Images(tag=str(manifest["tag"]), names=tuple(required), registry=registry)


def redactor(inventory_dir: Path) -> Redactor:
    """Return the redactor of every kolla password of a rendered inventory.

    Raises:
        RuntimeFailure: passwords.yml is missing or unreadable.
    """
    return Redactor.from_yaml(inventory_dir / "kolla" / "passwords.yml")


def _options(opts: DeployOptions, images: Images) -> dict[str, Any]:
    return {**opts.recorded(), "openstack_tag": images.tag}


def _resume_from(runs: Path, target: Target, options: dict[str, Any]) -> int:
    """Return the index of the first step to run: after the chain of steps that last succeeded unchanged."""
    latest: dict[str, records.RunRecord] = {}
    for rec in records.read_records(runs):
        if rec.layer == "openstack" and rec.data.get("action", "deploy") == "deploy":
            latest[str(rec.data.get("step", ""))] = rec
    since = ""
    for index, step in enumerate(STEPS):
        found = latest.get(step)
        if (
            found is None
            or found.status != "successful"
            or not found.same_inputs(target.inputs_sha256, options)
            or found.started < since
        ):
            return index
        since = found.started
    return len(STEPS)


def deploy_layer(target: Target, opts: DeployOptions, display: Display) -> LayerOutcome:
    """Deploy the OpenStack layer of a prepared target (steps in the module docstring).

    Raises:
        InputError: the images are not built, or cannot reach real hosts without a registry.
        RunFailed, RunInterrupted: a step failed or was interrupted (recorded; ``--resume`` restarts there).
        RuntimeFailure: Ansible or Docker could not run.
    """
    from lokictl.deploy import LayerOutcome
    from lokictl.images.load import require_source

    site = target.site
    require_source(site.model, str(target.site_path))
    images = built_images(site, target.site_path)
    options = _options(opts, images)
    first = _resume_from(target.runs, target, options) if opts.resume else 0
    if first == len(STEPS):
        display.note("openstack: skipped (every step succeeded with the same inputs)")
        return LayerOutcome("openstack", "skipped")
    for skipped in STEPS[:first]:
        display.note(f"openstack {skipped}: skipped (succeeded with the same inputs)")
    redact = redactor(target.inventory_dir)
    kolla_inputs = kolla_ansible.KollaInputs(target.inventory_dir, config_dir(site), images.tag)
    kolla_inputs.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    last: Path | None = None
    for position, step in enumerate(STEPS[first:], start=first + 1):
        label = f"openstack {step}"
        meta = {"step": step}
        if step == "images":
            last = _images_step(target, opts, display, images, options, label, position, len(STEPS))
            continue
        if step in ("hosts", layers.INTEGRITY):
            request = _own_playbook_request(target, opts, "deploy" if step == "hosts" else step)
        else:
            act = kolla_ansible.action(step)
            request = kolla_ansible.request(
                act,
                kolla_inputs,
                tags=opts.tags,
                skip_tags=opts.skip_tags + kolla_ansible.site_skip_tags(site.model, step),
                limit=opts.limit,
                check=opts.check,
                diff=opts.diff,
            )
        last = run_step(
            target, opts, display, request, meta, options, label, position, len(STEPS), redact.data
        )
    if not opts.check:
        written = publish_credentials(site, kolla_inputs.config_dir)
        display.note("credentials: " + ", ".join(str(p) for p in written) + " (mode 0600)")
    return LayerOutcome("openstack", "successful", last)


def _own_playbook_request(target: Target, opts: DeployOptions, action: str) -> PlaybookRun:
    """Return the request for one of lokictl's own playbooks of this layer (table entry openstack/action)."""
    from lokictl.deploy import playbook_request

    step = layers.step("openstack", action)
    return playbook_request(target, step, layers.playbook_path(step), opts)


def _meta(
    target: Target, action: str, playbook: str, options: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "layer": "openstack",
        "action": action,
        "playbook": playbook,
        "site": str(target.site_path),
        "site_sha256": target.site_sha256,
        "inventory": str(target.inventory_dir),
        "inputs_sha256": target.inputs_sha256,
        "options": options,
        **extra,
    }


def run_step(
    target: Target,
    opts: DeployOptions,
    display: Display,
    request: PlaybookRun,
    extra: dict[str, Any],
    options: dict[str, Any],
    label: str,
    index: int,
    total: int,
    redact: Callable[[Any], Any],
    action: str = "deploy",
) -> Path:
    """Run one playbook of the layer with a run record; return the record directory.

    Raises:
        RunFailed, RunInterrupted: the run failed or was interrupted (recorded).
        RuntimeFailure: Ansible could not start.
    """
    from lokictl import runner
    from lokictl.deploy import RunFailed, RunInterrupted, suggested_command

    name = str(extra.get("step") or action)
    run_dir = records.new_run_dir(target.runs, f"openstack-{name}")
    meta = _meta(target, action, str(request.playbook), options, extra)
    summary = records.start_record(run_dir, meta, target.inputs)
    display.layer_start(label, index, total, run_dir)
    try:
        result = runner.run_playbook(request, run_dir, on_event=display.event, redact=redact)
    except LokiError as exc:
        records.finish_record(run_dir, summary, {"status": "error", "errors": [redact(exc.message)]})
        raise
    records.finish_record(run_dir, summary, result.as_dict())
    display.layer_end(label, result)
    if action == "deploy":
        hint = _deploy_hint(target, opts)
    else:
        hint = suggested_command(target.site_path, opts.inventory, "openstack", action)
    if result.status == "interrupted":
        raise RunInterrupted(
            f"{label} interrupted after {int(result.duration)} s (recorded in {run_dir}); "
            f"continue with: {hint}"
        )
    if not result.ok:
        raise RunFailed(label, result, hint)
    return run_dir


def _images_step(
    target: Target,
    opts: DeployOptions,
    display: Display,
    images: Images,
    options: dict[str, Any],
    label: str,
    index: int,
    total: int,
) -> Path:
    """Get the images onto the hosts: kolla-ansible pulls from a registry; lab hosts get them loaded."""
    from lokictl.deploy import RunFailed

    if images.registry:
        act = kolla_ansible.action("pull")
        kolla_inputs = kolla_ansible.KollaInputs(target.inventory_dir, config_dir(target.site), images.tag)
        request = kolla_ansible.request(act, kolla_inputs, limit=opts.limit, check=opts.check)
        redact = redactor(target.inventory_dir).data
        return run_step(
            target, opts, display, request, {"step": "images"}, options, label, index, total, redact
        )
    run_dir = records.new_run_dir(target.runs, "openstack-images")
    meta = _meta(target, "deploy", "docker save | docker load", options, {"step": "images"})
    summary = records.start_record(run_dir, meta, target.inputs)
    display.layer_start(label, index, total, run_dir)
    log_path, events_path = run_dir / LOAD_LOG, run_dir / records_events_name()
    events_path.write_text("", encoding="utf-8")
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        display.note(f"  {line}")
        with log_path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")

    started_iso = summary["started"]
    t0 = time.monotonic()
    recap: dict[str, HostRecap] = {}
    errors: list[str] = []
    status = "successful"
    try:
        hosts = lab_containers(target.site)
        if opts.limit:
            hosts = {h: c for h, c in hosts.items() if h == opts.limit}
        if opts.check:
            report = _plan_only(hosts, images.refs(), say)
        else:
            from lokictl.images.load import load_lab_images
            from lokictl.lab.docker import Docker

            report = load_lab_images(Docker(), hosts, images.refs(), progress=say)
        for host in hosts:
            recap[host] = HostRecap(
                ok=len(report.skipped.get(host, [])) + len(report.loaded.get(host, [])),
                changed=len(report.loaded.get(host, [])),
            )
        seconds = {h: round(s, 1) for h, s in report.seconds.items()}
        say(f"load seconds per host: {seconds}")
    except LokiError as exc:
        status, errors = "failed", [exc.message]
        say(f"error: {exc.message}")
    log_path.touch()
    result = RunResult(
        status=status,
        rc=0 if status == "successful" else 1,
        recap=recap,
        failed_tasks=[],
        errors=errors,
        duration=time.monotonic() - t0,
        log_path=log_path,
        events_path=events_path,
        started=started_iso,
    )
    records.finish_record(run_dir, summary, result.as_dict())
    display.layer_end(label, result)
    if not result.ok:
        raise RunFailed(label, result, _deploy_hint(target, opts))
    return run_dir


def _deploy_hint(target: Target, opts: DeployOptions) -> str:
    from lokictl.deploy import suggested_command

    layer = ["--layer", opts.layer] if opts.layer != "all" else []
    return suggested_command(target.site_path, opts.inventory, "deploy", *layer, "--resume")


def records_events_name() -> str:
    """Return the name of a record's event stream file."""
    from lokictl.runner import EVENTS_FILE

    return EVENTS_FILE


def _plan_only(hosts: dict[str, str], refs: list[str], say: Callable[[str], None]) -> Any:
    from lokictl.images.load import LoadReport, image_ids, plan_host
    from lokictl.lab.docker import Docker

    docker = Docker()
    wanted = image_ids(docker, refs)
    report = LoadReport()
    for host, container in hosts.items():
        plan = plan_host(host, container, wanted, image_ids(docker, refs, container))
        report.loaded[host], report.skipped[host] = list(plan.missing), list(plan.present)
        say(f"{host}: would load {len(plan.missing)} images ({len(plan.present)} present)")
    return report


def lab_containers(site: Site) -> dict[str, str]:
    """Return the container of each OpenStack host of a lab site (host name -> container name).

    Raises:
        InputError: the site is not a lab's.
        RuntimeFailure: a host's container is missing or not running (`lokictl lab up`).
    """
    from lokictl.lab import objects
    from lokictl.lab.docker import Docker

    m = site.model
    if m.lab is None:
        raise InputError("not a lab site (no lab: section): images are loaded only into lab hosts")
    wanted = [h.name for h in m.hosts if any(not r.startswith("k8s_") for r in h.roles)]
    found = {c.host: c for c in objects.containers(Docker(), m.lab.name)}
    out: dict[str, str] = {}
    for host in wanted:
        container = found.get(host)
        if container is None or container.state != "running":
            state = container.state if container else "missing"
            raise RuntimeFailure(
                f"lab host {host} of lab '{m.lab.name}' is {state}: run lokictl lab up --name {m.lab.name}"
            )
        out[host] = container.name
    return out


def publish_credentials(site: Site, kolla_config: Path) -> list[Path]:
    """Copy kolla-ansible's post-deploy clouds.yaml and admin openrc beside the site file (mode 0600).

    kolla-ansible's ``kolla-admin*`` entries replace those already in ``clouds.yaml``; other entries (e.g.
    a member user's) are kept.

    Raises:
        RuntimeFailure: post-deploy wrote no clouds.yaml, or a file cannot be read or written.
    """
    source = kolla_config / CLOUDS_FILE
    try:
        new = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        dest = site.directory / CLOUDS_FILE
        current = yaml.safe_load(dest.read_text(encoding="utf-8")) if dest.is_file() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise RuntimeFailure(f"cannot read clouds.yaml: {type(exc).__name__}: {exc}") from None
    from lokictl.openstack.clouds import write_private

    clouds = dict((current or {}).get("clouds") or {})
    clouds.update((new or {}).get("clouds") or {})
    write_private(dest, yaml.safe_dump({**(current or {}), "clouds": clouds}, sort_keys=False).encode())
    written = [dest]
    openrc = kolla_config / OPENRC_FILE
    if openrc.is_file():
        target = site.directory / OPENRC_FILE
        try:
            content = openrc.read_bytes()
        except OSError as exc:
            raise RuntimeFailure(f"cannot read {openrc}: {exc.strerror or exc}") from None
        write_private(target, content)
        written.append(target)
    return written


OPERATIONS: tuple[str, ...] = ("reconfigure", "stop", "destroy", "mariadb-backup", "mariadb-recovery")
"""The kolla-ansible actions of ``lokictl openstack <action>``."""


def operate(
    site_path: Path,
    name: str,
    display: Display,
    *,
    inventory: Path | None = None,
    limit: str | None = None,
    tags: tuple[str, ...] = (),
    confirmed: bool = False,
) -> Path:
    """Run one kolla-ansible operation on a deployed site with the deploy's configuration; return its record.

    Raises:
        InputError: unknown operation, ``destroy`` without confirmation, an operation the site cannot
            carry out (`require_operable`), or (reconfigure) no image build.
        SiteError, MissingInventory, StaleRender: see `lokictl.deploy.prepare`.
        RunFailed, RunInterrupted: the run failed or was interrupted (recorded).
    """
    from lokictl.deploy import DeployOptions, prepare

    if name not in OPERATIONS:
        raise InputError(f"unknown operation '{name}' (choose from: {', '.join(OPERATIONS)})")
    if name == "destroy" and not confirmed:
        raise InputError(
            "destroy removes every OpenStack container, volume and configuration of the site for good; "
            "confirm with --yes"
        )
    try:
        target = prepare(site_path, inventory)
        require_operable(target.site.model, name, site_path, inventory)
        try:
            tag = built_images(target.site, site_path).tag
        except InputError:
            if name == "reconfigure":
                raise
            tag = ""
        kolla_inputs = kolla_ansible.KollaInputs(target.inventory_dir, config_dir(target.site), tag)
        kolla_inputs.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        request = kolla_ansible.request(
            kolla_ansible.action(name),
            kolla_inputs,
            limit=limit,
            tags=tags,
            skip_tags=kolla_ansible.site_skip_tags(target.site.model, name),
        )
        if not tag:
            request = _without_tag(request)
        opts = DeployOptions(layer="openstack", limit=limit, tags=tags, inventory=inventory)
        options = {**opts.recorded(), "openstack_tag": tag}
        redact = redactor(target.inventory_dir).data
        return run_step(
            target, opts, display, request, {"step": name}, options, f"openstack {name}", 1, 1, redact, name
        )
    finally:
        display.close()


def require_operable(model: SiteModel, name: str, site_path: Path, inventory: Path | None = None) -> None:
    """Refuse an operation the site cannot carry out; the message says what to change.

    `operate` calls it once `lokictl.deploy.prepare` has checked the rendered inventory is current, so the
    site model and the rendered kolla globals agree.

    Args:
        model: the site.
        name: the operation (one of `OPERATIONS`).
        site_path: the site file, for the commands the message suggests.
        inventory: the ``--inventory`` given, if any (likewise).

    Raises:
        InputError: OpenStack is disabled, or ``mariadb-backup`` while ``openstack.mariadb_backup`` is off
            (kolla-ansible's ``enable_mariabackup`` off: its backup play would skip every host).
    """
    from lokictl.deploy import suggested_command

    if not model.openstack.enabled:
        raise InputError("openstack.enabled is false in the site file: nothing to operate on")
    if name == "mariadb-backup" and not model.openstack.mariadb_backup:
        render = suggested_command(site_path, inventory, "render")
        deploy = suggested_command(site_path, inventory, "deploy", "--layer", "openstack")
        raise InputError(
            f"MariaDB backups are off for this site: set openstack.mariadb_backup: true in {site_path}, "
            f"then run `{render}` and `{deploy}` (they set up kolla-ansible's backup user and "
            "configuration) before backing up"
        )


def _without_tag(request: PlaybookRun) -> PlaybookRun:
    from dataclasses import replace

    return replace(request, extravars={k: v for k, v in request.extravars.items() if k != "openstack_tag"})
