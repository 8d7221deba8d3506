"""`lokictl images build`: gather inputs, generate kolla-build's configuration, build what is missing, push.

State lives next to the site file in ``.lokictl/images/<site name>/`` (configuration, logs, manifest);
downloads (sdists, the `ansible` wheel, upper-constraints) are cached in ``--sources-dir`` (default
``${XDG_CACHE_HOME:-~/.cache}/lokictl/sources``) and shared between sites.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lokictl.errors import InputError, RuntimeFailure
from lokictl.fsutil import write_bytes_atomic
from lokictl.images import (
    DEFAULT_THREADS,
    DISTRO,
    DISTRO_PYTHON,
    NAMESPACE,
    config,
    host,
    inputs,
    kolla,
    select,
)
from lokictl.images.base import BaseSpec, ensure_base
from lokictl.images.report import BUILT, STARTED, BuildReport, ImageResult, duration, seconds_of
from lokictl.lab.docker import Docker
from lokictl.services import SDIST_VERSIONS, TOOLBOX_ANSIBLE
from lokictl.site import Site, load_site

Progress = Callable[[str], None]
MANIFEST = "manifest.json"


def work_dir(site: Site) -> Path:
    """Return the site's image work directory: ``<site dir>/.lokictl/images/<site name>``."""
    return site.directory / ".lokictl" / "images" / site.model.site.name


def sources_cache() -> Path:
    """Return the default download cache: ``${XDG_CACHE_HOME:-~/.cache}/lokictl/sources``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lokictl" / "sources"


def image_ref(name: str, tag: str, registry: str = "") -> str:
    """Return an image reference: ``[registry/]kolla/<name>:<tag>``."""
    ref = f"{NAMESPACE}/{name}:{tag}"
    return f"{registry.rstrip('/')}/{ref}" if registry else ref


def read_manifest(site: Site) -> dict[str, Any]:
    """Return the manifest of the site's last image build (tag, images, registry).

    Raises:
        InputError: no build has been recorded for the site.
    """
    path = work_dir(site) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"no image build recorded for site '{site.model.site.name}': run lokictl images build"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a build manifest")
    return data


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeFailure(f"another image build is running for {directory}") from None
        yield


def _write(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data.encode() if isinstance(data, str) else data, mode)


def _kolla_build() -> str:
    beside = Path(sys.executable).with_name("kolla-build")
    if beside.is_file():
        return str(beside)
    found = shutil.which("kolla-build")
    if found is None:
        raise RuntimeFailure("kolla-build not found (pip install 'kolla>=22.2,<23')")
    return found


@dataclass
class _Plan:
    site: Site
    release: str
    required: list[str]
    order: list[str]
    base: BaseSpec
    tag: str
    threads: int
    work: Path
    sections: dict[str, str]
    pins: dict[str, str]
    constraints: Path
    collections: Path
    overrides: dict[str, str]
    repos: str
    additions: dict[str, dict[str, bytes]]
    disabled: list[str]
    notes: list[str]

    def layout(self, sources: dict[str, Path]) -> config.Layout:
        """Return the layout with the given sdist files."""
        return config.Layout(
            work=self.work, sources=sources, constraints=self.constraints, collections=self.collections
        )

    def files(self, sources: dict[str, Path]) -> dict[Path, bytes]:
        """Return every generated file (kolla-build.conf, repos.yaml, overrides, additions) by path."""
        layout = self.layout(sources)
        conf = config.kolla_build_conf(
            layout=layout,
            tag=self.tag,
            base=self.base,
            release=self.release,
            threads=self.threads,
            overrides=self.overrides,
            disabled=self.disabled,
        )
        files: dict[Path, bytes] = {
            self.work / "kolla-build.conf": conf.encode(),
            self.work / "repos.yaml": self.repos.encode(),
        }
        files.update({layout.overrides / name: text.encode() for name, text in self.overrides.items()})
        for image, content in self.additions.items():
            files.update({layout.additions(image) / name: data for name, data in content.items()})
        return files


def _plan(site: Site, upper_constraints: str, cache: Path, threads: int) -> _Plan:
    m = site.model
    os_ = m.openstack
    if not os_.build_images:
        raise InputError("openstack.build_images is false: this site takes its images from a registry")
    release = os_.release
    if release not in SDIST_VERSIONS or release not in TOOLBOX_ANSIBLE:
        raise InputError(f"openstack.release {release}: lokictl has no image build data for it")
    required = select.required_images(m)
    order = kolla.ancestry(required)
    host.check_proxy_env(os.environ)
    pip = host.host_pip_settings()
    notes = [f"left out {item}" for item in pip.ignored]
    constraints = inputs.load_constraints(upper_constraints, release, cache, pip.cert)
    if constraints.note:
        notes.append(constraints.note)
    base = BaseSpec(mirror=m.site.apt_mirror)
    ca = pip.cert.read_bytes() if pip.cert else None
    additions = {
        "base": config.base_additions(pip, m.site.apt_mirror, DISTRO, ca),
        "mariadb-server": config.mariadb_additions(),
    }
    overrides = config.override_templates()
    repos = config.repos_yaml(kolla.third_party_repos(), m.site.apt_mirror, DISTRO)
    upstream = kolla.upstream_sources()
    disabled = config.disabled_sections(upstream)
    wanted = kolla.toolbox_collections()
    pins = SDIST_VERSIONS[release]
    digest = config.input_digest(
        kolla_version=kolla.kolla_version(),
        release=release,
        base=base,
        overrides=overrides,
        repos=repos,
        additions=additions,
        sdists=pins,
        toolbox_ansible=TOOLBOX_ANSIBLE[release],
        collections=wanted,
        constraints_sha256=constraints.sha256,
        disabled=disabled,
    )
    tag = config.make_tag(release, digest)
    sections = config.service_sources(os_.enabled_services)
    for project in sections.values():
        if project not in pins:
            raise InputError(f"no pinned {release} sdist version of {project} (lokictl/services.py)")
    _check_offline(order, upstream, set(sections) | {"openstack-base", "kolla-toolbox"})
    return _Plan(
        site=site,
        release=release,
        required=required,
        order=order,
        base=base,
        tag=tag,
        threads=threads,
        work=work_dir(site),
        sections=sections,
        pins=dict(pins),
        constraints=constraints.tarball,
        collections=inputs.collections_dir(TOOLBOX_ANSIBLE[release], wanted, cache),
        overrides=overrides,
        repos=repos,
        additions=additions,
        disabled=disabled,
        notes=notes,
    )


def _expected_sources(plan: _Plan, cache: Path) -> dict[str, Path]:
    """Return the sdist of every source section: found in the cache, else where pip would save it."""
    out = {}
    for section, project in plan.sections.items():
        version = plan.pins[project]
        out[section] = inputs.find_sdist(cache, project, version) or cache / f"{project}-{version}.tar.gz"
    return out


def _check_offline(order: list[str], upstream: dict[str, dict[str, Any]], provided: set[str]) -> None:
    """Refuse images whose main source would be downloaded from an upstream tarball or git host."""
    remote = [n for n in order if upstream.get(n, {}).get("type") in ("url", "git") and n not in provided]
    if remote:
        raise InputError(
            "no offline source for image(s) "
            + ", ".join(remote)
            + " (add the service's sdist to lokictl/services.py)"
        )


def _present(docker: Docker, names: list[str], tag: str) -> dict[str, dict[str, Any]]:
    refs = [image_ref(n, tag) for n in names]
    found: dict[str, dict[str, Any]] = {}
    for data in docker.inspect("image", refs):
        for ref in data.get("RepoTags") or []:
            for name in names:
                if ref == image_ref(name, tag):
                    found[name] = data
    return found


def _run_kolla(
    layout: config.Layout, missing: list[str], say: Progress
) -> tuple[dict[str, float], list[str], Path]:
    for path in (layout.kolla_work, layout.logs):
        if path.exists():
            shutil.rmtree(path)
    layout.logs.mkdir(parents=True)
    log = layout.work / "kolla-build.log"
    cmd = [_kolla_build(), "--config-file", str(layout.work / "kolla-build.conf")]
    cmd += [f"^{name}$" for name in missing]
    times: dict[str, float] = {}
    with log.open("w", encoding="utf-8") as out, log.open("r", encoding="utf-8") as follow:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=layout.work)
        pending = ""
        while True:
            done = proc.poll() is not None
            pending += follow.read()
            *lines, pending = pending.split("\n")
            for line in lines:
                if m := STARTED.match(line):
                    say(f"  building {m.group('image')}")
                elif m := BUILT.match(line):
                    seconds = seconds_of(m.group("took"))
                    times[m.group("image")] = seconds
                    say(f"  built {m.group('image')} in {duration(seconds)}")
            if done:
                break
            time.sleep(1)
    failed: list[str] = []
    try:
        summary = json.loads(layout.summary.read_text(encoding="utf-8"))
        failed = sorted(str(i.get("name")) for i in summary.get("failed", []))
    except (FileNotFoundError, json.JSONDecodeError):
        if proc.returncode != 0:
            failed = ["(kolla-build)"]
    if proc.returncode != 0 and not failed:
        failed = ["(kolla-build)"]
    return times, failed, log


def _failure(failed: list[str], log: Path, logs: Path) -> RuntimeFailure:
    details = []
    for name in failed:
        per_image = logs / f"{name}.log"
        source = per_image if per_image.is_file() else log
        tail = source.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-6:]
        details.append(f"{name} (log {source}):\n    " + "\n    ".join(tail))
    return RuntimeFailure("kolla-build failed for " + ", ".join(failed) + "\n  " + "\n  ".join(details))


def _push(docker: Docker, names: list[str], tag: str, registry: str, say: Progress) -> dict[str, float]:
    times: dict[str, float] = {}
    for name in names:
        started = time.monotonic()
        target = image_ref(name, tag, registry)
        docker.run(["tag", image_ref(name, tag), target])
        docker.run(["push", target])
        times[name] = time.monotonic() - started
        say(f"  pushed {target} in {duration(times[name])}")
    return times


def build_images(
    site_path: Path,
    *,
    push: str = "",
    upper_constraints: str = "",
    sources_dir: Path | None = None,
    threads: int = DEFAULT_THREADS,
    dry_run: bool = False,
    progress: Progress | None = None,
    docker: Docker | None = None,
) -> BuildReport:
    """Build the Kolla images a site needs, offline from PyPI and the site's Debian mirror.

    Args:
        site_path: the site file.
        push: registry (``host[:port][/path]``) to push the deploy images to; empty = no push.
        upper_constraints: path or URL of the release's upper-constraints (a tarball holding
            ``requirements/upper-constraints.txt`` or the file itself); empty = the upstream release tarball.
        sources_dir: download cache for sdists, the `ansible` wheel and upper-constraints.
        threads: images built in parallel.
        dry_run: resolve inputs, write the configuration and report the plan; build and download nothing else.
        progress: called with a line per step.
        docker: Docker CLI wrapper.

    Raises:
        SiteError: the site file is invalid.
        InputError: the site builds no images, an input is unusable (credentials in pip settings, bad
            upper-constraints), or an image has no offline source.
        RuntimeFailure: a download, the base image or kolla-build failed.
    """
    started = time.monotonic()
    say = progress or (lambda _line: None)
    if threads < 1:
        raise InputError("--threads must be at least 1")
    site = load_site(site_path)
    cache = (sources_dir or sources_cache()).expanduser().resolve()
    docker = docker or Docker()
    plan = _plan(site, upper_constraints, cache, threads)
    work = plan.work
    report = BuildReport(
        tag=plan.tag,
        release=plan.release,
        base_image=plan.base.image,
        work_dir=work,
        images=[],
        dry_run=dry_run,
        pushed_to=push,
        notes=plan.notes,
    )
    with _locked(work):
        sources = _expected_sources(plan, cache)
        _write_files(plan.files(sources))
        try:
            present = _present(docker, plan.order, plan.tag)
        except RuntimeFailure as exc:
            if not dry_run:
                raise
            present = {}
            report.notes.append(f"cannot tell which images exist: {exc.message}")
        missing_required = [n for n in plan.required if n not in present]
        report.command = [
            "kolla-build",
            "--config-file",
            str(work / "kolla-build.conf"),
            *[f"^{n}$" for n in missing_required],
        ]
        times: dict[str, float] = {}
        if missing_required and not dry_run:
            say(
                f"building {len(missing_required)} image(s) with tag {plan.tag}: "
                + ", ".join(missing_required)
            )
            base = ensure_base(plan.base, docker=docker, progress=say)
            say(f"base image {base.image}: {base.action} ({duration(base.seconds)})")
            sources = _download(plan, cache, say)
            _write_files(plan.files(sources))
            layout = plan.layout(sources)
            times, failed, kolla_log = _run_kolla(layout, missing_required, say)
            if failed:
                raise _failure(failed, kolla_log, layout.logs)
            present = _present(docker, plan.order, plan.tag)
        report.images = _results(plan, present, times, dry_run)
        if push and not dry_run:
            not_there = [n for n in plan.required if n not in present]
            if not_there:
                raise RuntimeFailure(f"cannot push: missing images {', '.join(not_there)}")
            for name, seconds in _push(docker, plan.required, plan.tag, push, say).items():
                next(i for i in report.images if i.name == name).push_seconds = seconds
        report.seconds = time.monotonic() - started
        if not dry_run:
            _write(work / MANIFEST, json.dumps(_manifest(report, plan), indent=2, sort_keys=True) + "\n")
    return report


def _write_files(files: dict[Path, bytes]) -> None:
    for path, data in files.items():
        _write(path, data, 0o755 if data.startswith(b"#!") else 0o644)


def _download(plan: _Plan, cache: Path, say: Progress) -> dict[str, Path]:
    """Fetch the sdists and kolla-toolbox's collections; return the sdist of every source section."""
    log = plan.work / "downloads.log"
    say(f"fetching sdists and the ansible package with pip into {cache}")
    sdists = inputs.fetch_sdists({p: plan.pins[p] for p in plan.sections.values()}, cache, log)
    if "kolla-toolbox" in plan.order:
        inputs.toolbox_collections(
            TOOLBOX_ANSIBLE[plan.release],
            kolla.toolbox_collections(),
            config.OPTIONAL_COLLECTIONS,
            cache,
            log,
            python_version=DISTRO_PYTHON,
        )
    return {section: sdists[project] for section, project in plan.sections.items()}


def _results(
    plan: _Plan, present: dict[str, dict[str, Any]], times: dict[str, float], dry_run: bool
) -> list[ImageResult]:
    parents = kolla.parents()
    sizes = {n: int(d.get("Size") or 0) for n, d in present.items()}
    out = []
    for name in plan.order:
        if name in times and name in present:
            status = "built"
        elif name in present:
            status = "present"
        elif dry_run:
            status = "missing"
        else:
            status = "not built"
        size = sizes.get(name)
        parent = parents.get(name, "")
        own = None
        if size is not None:
            own = size - sizes[parent] if parent in sizes else size
        out.append(
            ImageResult(
                name=name,
                status=status,
                required=name in plan.required,
                seconds=times.get(name),
                size=size,
                own=own,
            )
        )
    return out


def _manifest(report: BuildReport, plan: _Plan) -> dict[str, Any]:
    return {
        "tag": report.tag,
        "release": report.release,
        "namespace": NAMESPACE,
        "base_image": report.base_image,
        "registry": report.pushed_to,
        "required": plan.required,
        "images": {i.name: {k: v for k, v in asdict(i).items() if k != "name"} for i in report.images},
    }
