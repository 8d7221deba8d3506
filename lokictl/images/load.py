"""Put locally built Kolla images into lab hosts: ``docker save | docker exec -i <host> docker load``.

Used by ``lokictl deploy --layer openstack`` when the site has no registry. Only lab hosts (systemd
containers on this machine, each with its own dockerd) can be loaded this way; a real site without a registry
is refused with what to do instead (`require_source`).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lokictl.errors import InputError, RuntimeFailure
from lokictl.lab.docker import Docker
from lokictl.model import SiteModel

Progress = Callable[[str], None]


@dataclass(frozen=True)
class HostLoad:
    """What one host needs: the image references it lacks (or holds under another image id)."""

    host: str
    container: str
    missing: tuple[str, ...]
    present: tuple[str, ...]


@dataclass
class LoadReport:
    """What a load did, per host."""

    loaded: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def require_source(model: SiteModel, site_file: str) -> None:
    """Check that a site's hosts can get the images: a registry, or lab hosts to load them into.

    Raises:
        InputError: no registry and the hosts are real machines.
    """
    if model.openstack.registry or model.lab is not None:
        return
    raise InputError(
        "openstack.registry is empty and the hosts are not lab containers, so the locally built images "
        f"cannot reach them: run `lokictl images build -f {site_file} --push REGISTRY` and set "
        "openstack.registry: REGISTRY in the site file (Debian's docker-registry package is a registry)"
    )


def plan_host(host: str, container: str, wanted: Mapping[str, str], on_host: Mapping[str, str]) -> HostLoad:
    """Return which of ``wanted`` (reference -> local image id) a host lacks, given its ids by reference."""
    missing = tuple(sorted(ref for ref, image_id in wanted.items() if on_host.get(ref) != image_id))
    present = tuple(sorted(ref for ref in wanted if ref not in missing))
    return HostLoad(host, container, missing, present)


def image_ids(docker: Docker, refs: Sequence[str], container: str | None = None) -> dict[str, str]:
    """Return the image id of each reference that exists here or (``container``) in a lab host's dockerd."""
    found: dict[str, str] = {}
    prefix = ["exec", container, "docker"] if container else []
    for ref in refs:
        proc = docker.run([*prefix, "image", "inspect", "--format", "{{.Id}}", ref], check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            found[ref] = proc.stdout.strip()
    return found


def load_into(docker: Docker, container: str, refs: Sequence[str]) -> None:
    """Stream ``docker save REFS`` into ``docker load`` inside a lab host (shared layers travel once).

    Raises:
        RuntimeFailure: save or load failed.
    """
    docker.check()
    save = subprocess.Popen([docker.binary, "save", *refs], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load = subprocess.run(
        [docker.binary, "exec", "-i", container, "docker", "load", "--quiet"],
        stdin=save.stdout,
        capture_output=True,
        check=False,
    )
    if save.stdout is not None:
        save.stdout.close()
    save_err = save.stderr.read().decode(errors="replace") if save.stderr is not None else ""
    save.wait()
    if save.returncode != 0:
        raise RuntimeFailure(f"docker save failed: {save_err.strip().splitlines()[-1:] or save.returncode}")
    if load.returncode != 0:
        detail = load.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeFailure(f"docker load in {container} failed: {detail or load.returncode}")


def load_lab_images(
    docker: Docker,
    hosts: Mapping[str, str],
    refs: Sequence[str],
    progress: Progress | None = None,
) -> LoadReport:
    """Load the images ``refs`` into each lab host (host name -> container) that lacks them.

    Raises:
        InputError: an image was not built (run ``lokictl images build``).
        RuntimeFailure: a host is not running, or save/load failed.
    """
    say = progress or (lambda _line: None)
    wanted = image_ids(docker, refs)
    absent = [r for r in refs if r not in wanted]
    if absent:
        raise InputError(f"images not built on this machine: {', '.join(absent)}; run lokictl images build")
    report = LoadReport()
    for host, container in hosts.items():
        plan = plan_host(host, container, wanted, image_ids(docker, refs, container))
        report.skipped[host] = list(plan.present)
        report.loaded[host] = list(plan.missing)
        if not plan.missing:
            say(f"{host}: all {len(plan.present)} images present")
            report.seconds[host] = 0.0
            continue
        say(f"{host}: loading {len(plan.missing)} images ({len(plan.present)} present)")
        started = time.monotonic()
        load_into(docker, container, plan.missing)
        report.seconds[host] = time.monotonic() - started
        say(f"{host}: loaded {len(plan.missing)} images in {report.seconds[host]:.0f} s")
    return report
