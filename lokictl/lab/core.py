"""The lab operations behind `lokictl lab ...`; commands in `lokictl.cli` only call these."""

from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lokictl.errors import InputError, RuntimeFailure
from lokictl.lab import DEFAULT_DISTRO, known_hosts, objects
from lokictl.lab.bootstrap import bootstrap, wait_for_ssh, wait_for_systemd
from lokictl.lab.docker import Docker
from lokictl.lab.image import BuildReport, Progress, image_key, make_spec
from lokictl.lab.image import build_image as _build_image
from lokictl.lab.labdir import LabDir, ensure_key, lab_dir, write_lab_site
from lokictl.lab.plan import (
    HostPlan,
    LabPlan,
    bounding_set,
    capability_args,
    check_lab_name,
    config_label,
    config_of,
    make_plan,
    run_args,
    volume_create_args,
)

LABEL_SSH = "io.lokictl.ssh"


def _quiet(_line: str) -> None:
    """Discard a progress line."""


def build_image(
    distro: str, site_file: Path | None = None, *, force: bool = False, progress: Progress | None = None
) -> BuildReport:
    """Build (or re-import from the cache) the lab host image of ``distro``.

    Args:
        distro: Debian release code name.
        site_file: site whose ``site.apt_mirror`` is used; None = the distribution's default mirror.
        force: rebuild the root file system even when it is cached.
        progress: called with a line for each step.

    Raises:
        SiteError: the site file is invalid.
        RuntimeFailure: Docker or debootstrap is missing, or a build step failed.
    """
    mirror = ""
    if site_file is not None:
        from lokictl.site import load_site

        mirror = load_site(site_file).model.site.apt_mirror
    return _build_image(make_spec(distro, mirror), force=force, progress=progress)


@dataclass
class HostStatus:
    """One row of `lab status`."""

    host: str
    state: str
    address: str
    container: str
    system: str = ""


@dataclass
class UpReport:
    """What `lab up` did."""

    lab: str
    directory: Path
    user: str
    hosts: list[HostStatus]
    changes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class DownReport:
    """What `lab down` removed."""

    lab: str
    removed: dict[str, list[str]]
    purged: Path | None = None


def up(
    name: str | None = None,
    example: str | None = None,
    site_file: Path | None = None,
    *,
    distro: str = DEFAULT_DISTRO,
    base: Path | None = None,
    progress: Progress | None = None,
) -> UpReport:
    """Create or update a lab: its directory, inventory, network and one booted, reachable host per site host.

    Args:
        name: lab name; default: the example name, the site's name, or "aio".
        example: bundled example to build the lab from.
        site_file: site file to build the lab from (instead of an example).
        distro: Debian release of the host image.
        base: directory holding ``labs/`` (default: the working directory).
        progress: called with a line for each step.

    Raises:
        InputError: bad arguments or a site that cannot be a lab here (e.g. its subnet is taken).
        SiteError: the site file is invalid.
        RuntimeFailure: Docker is unavailable or a host did not come up.
    """
    from lokictl import core
    from lokictl.site import load_site

    started = time.monotonic()
    say = progress or _quiet
    lab = _prepare_dir(name, example, site_file, base)
    site = load_site(lab.site)
    user = site.model.ansible.user
    core.render(lab.site, lab.inventory)
    say(f"lab '{lab.name}': {lab.root} (site, key, inventory)")

    docker = Docker()
    docker.check()
    spec = make_spec(distro, site.model.site.apt_mirror)
    if not image_key(docker, spec.tag):
        _build_image(spec, progress=say)
    plan = make_plan(lab.name, site.model, spec.tag)
    report = UpReport(lab=lab.name, directory=lab.root, user=user, hosts=[])
    if objects.ensure_network(docker, plan):
        report.changes.append(f"created network {plan.network.name}")
    report.changes += _converge_containers(docker, plan)

    names = [h.container for h in plan.hosts]
    say(f"waiting for systemd on {len(names)} hosts")
    wait_for_systemd(docker, names)
    public_key = lab.public_key.read_text(encoding="utf-8").strip()
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(
            pool.map(lambda h: bootstrap(docker, h.container, user, public_key, plan.ssh_port), plan.hosts)
        )
    host_keys = {
        known_hosts.host_pattern(h.address, plan.ssh_port): k for h, k in zip(plan.hosts, keys, strict=True)
    }
    known_hosts.write(lab.known_hosts, host_keys)
    say("waiting for SSH")
    wait_for_ssh([h.address for h in plan.hosts], plan.ssh_port)
    if shutil.which("ssh"):
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda h: _ssh_login(lab, user, h, plan.ssh_port), plan.hosts))
    report.hosts = status(lab.name, base=base).hosts
    report.seconds = time.monotonic() - started
    return report


def _prepare_dir(name: str | None, example: str | None, site_file: Path | None, base: Path | None) -> LabDir:
    """Write the lab directory: site file (from the example or site given, else kept), key pair."""
    from lokictl import core
    from lokictl.site import load_site

    if example and site_file:
        raise InputError("give either --example or a site file (-f), not both")
    text = source = ""
    default_name = example or "aio"
    if site_file is not None:
        default_name = load_site(site_file).model.site.name
        text, source = site_file.read_text(encoding="utf-8"), str(site_file)
    elif example:
        text, source = core.example_text(example), f"the '{example}' example"
    lab = lab_dir(check_lab_name(name or default_name), base)
    if not text and not lab.site.is_file():
        text, source = core.example_text("aio"), "the 'aio' example"
    public_key = ensure_key(lab)
    if text:
        write_lab_site(lab, text, source, public_key)
    return lab


def _converge_containers(docker: Docker, plan: LabPlan) -> list[str]:
    """Create, start, recreate or remove containers so that they match the plan; return what changed."""
    changes = []
    wanted = {h.name: h for h in plan.hosts}
    existing = {c.host: c for c in objects.containers(docker, plan.lab)}
    for gone, container in existing.items():
        if gone not in wanted:
            docker.run(["rm", "--force", container.id])
            vols = objects.volumes(docker, plan.lab, gone)
            if vols:
                docker.run(["volume", "rm", *vols])
            changes.append(f"removed host {gone} (no longer in the site)")
    caps = capability_args(bounding_set())
    for host in plan.hosts:
        args = _host_args(plan, host, caps)
        current = existing.get(host.name)
        if current is not None and current.config != config_of(args):
            docker.run(["rm", "--force", current.id])
            changes.append(f"recreated {host.container} (configuration changed)")
            current = None
        present = set(objects.volumes(docker, plan.lab, host.name))
        for volume, _path in host.volumes:
            if volume not in present:
                docker.run(volume_create_args(plan, host, volume))
        if current is None:
            docker.run(args)
            changes.append(f"created {host.container}")
        elif current.state != "running":
            docker.run(["start", current.id])
            changes.append(f"started {host.container}")
    return changes


def _host_args(plan: LabPlan, host: HostPlan, caps: list[str]) -> list[str]:
    args = run_args(plan, host, caps)
    at = len(args) - 2
    args = [*args[:at], "--label", f"{LABEL_SSH}={plan.ssh_port}", *args[at:]]
    return config_label(args)


def _ssh_login(lab: LabDir, user: str, host: HostPlan, port: int) -> None:
    """Log in once over SSH the way Ansible will (key, the lab's known_hosts), to prove the path works."""
    proc = subprocess.run(
        [
            "ssh",
            "-i",
            str(lab.key),
            "-p",
            str(port),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f'UserKnownHostsFile="{lab.known_hosts}"',
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout=10",
            f"{user}@{host.address}",
            "sudo -n true",
        ],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise RuntimeFailure(f"SSH login as {user} to {host.name} ({host.address}) failed: {detail[0]}")


def resolve_name(docker: Docker, name: str | None) -> str | None:
    """Return the lab to act on: ``name``, else the only lab there is (None when there is none).

    Raises:
        InputError: no name given and there are several labs.
    """
    if name:
        return check_lab_name(name)
    labs = objects.lab_names(docker)
    if len(labs) > 1:
        raise InputError(f"there are several labs ({', '.join(labs)}): choose one with --name")
    return labs[0] if labs else None


@dataclass
class StatusReport:
    """What `lab status` shows."""

    lab: str | None
    hosts: list[HostStatus]


def status(name: str | None = None, *, base: Path | None = None) -> StatusReport:
    """Return the hosts of a lab with their container and systemd state.

    Hosts in the lab's site file without a container are listed as "missing".

    Raises:
        InputError: no name given and there are several labs.
        RuntimeFailure: Docker is unavailable.
    """
    docker = Docker()
    docker.check()
    lab = resolve_name(docker, name)
    if lab is None:
        return StatusReport(lab=None, hosts=[])
    rows = []
    for c in objects.containers(docker, lab):
        system = ""
        if c.state == "running":
            proc = docker.run(["exec", c.id, "systemctl", "is-system-running"], check=False)
            system = proc.stdout.strip() or "unknown"
        rows.append(
            HostStatus(host=c.host, state=c.state, address=c.address, container=c.name, system=system)
        )
    directory = lab_dir(lab, base)
    if directory.site.is_file():
        from lokictl.site import load_site

        present = {r.host for r in rows}
        model = load_site(directory.site).model
        rows += [
            HostStatus(host=h.name, state="missing", address=str(h.address), container="")
            for h in model.hosts
            if h.name not in present
        ]
        order = {h.name: i for i, h in enumerate(model.hosts)}
        rows.sort(key=lambda r: (order.get(r.host, len(order)), r.host))
    return StatusReport(lab=lab, hosts=rows)


def down(name: str | None = None, *, purge: bool = False, base: Path | None = None) -> DownReport:
    """Remove every container, network and volume labelled as part of a lab; with ``purge`` its directory too.

    The user's SSH files are not touched (the lab's host keys live in its own directory).

    Raises:
        InputError: no name given and there are several labs.
        RuntimeFailure: Docker is unavailable or refused to remove something.
    """
    docker = Docker()
    docker.check()
    lab = resolve_name(docker, name)
    if lab is None:
        return DownReport(lab="", removed={kind: [] for kind in objects.KINDS})
    removed = objects.remove_all(docker, lab)
    report = DownReport(lab=lab, removed=removed)
    directory = lab_dir(lab, base)
    if purge and directory.root.is_dir():
        shutil.rmtree(directory.root)
        report.purged = directory.root
    return report


def format_status(hosts: list[HostStatus]) -> str:
    """Return hosts as a plain-text table."""
    header = ("HOST", "STATE", "ADDRESS", "SYSTEMD", "CONTAINER")
    rows = [header] + [(h.host, h.state, h.address, h.system or "-", h.container or "-") for h in hosts]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
