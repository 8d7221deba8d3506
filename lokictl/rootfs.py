"""Docker images made from a Debian root file system: ``debootstrap``, a cached tarball, ``docker import``.

Both images lokictl builds without a registry come from here: the lab host image (`lokictl.lab.image`) and the
base image of the Kolla build (`lokictl.images.base`). Each is a `DebianImage` subclass; this module
bootstraps the root file system in a temporary directory, configures it, packs it as a tarball in a cache
keyed by a hash of the image's inputs, and imports the tarball. Re-creating an image whose tarball is cached
only re-imports it (seconds instead of minutes).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TextIO

from lokictl.errors import RuntimeFailure
from lokictl.lab.docker import Docker

Progress = Callable[[str], None]


def cache_root(name: str) -> Path:
    """Return a cache directory of lokictl: ``${XDG_CACHE_HOME:-~/.cache}/lokictl/<name>``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lokictl" / name


def input_key(inputs: Mapping[str, Any]) -> str:
    """Return the sha256 of build inputs (JSON with sorted keys): the cache key of a root file system."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


@functools.cache
def default_mirror() -> str:
    """Return debootstrap's own default Debian mirror, used when no mirror is configured.

    Raises:
        RuntimeFailure: debootstrap is not installed or names no default mirror.
    """
    path = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        raise RuntimeFailure(
            "debootstrap is not installed (apt-get install debootstrap), and site.apt_mirror is empty"
        ) from None
    found = re.search(r'^DEF_MIRROR="([^"]+)"', text, re.MULTILINE)
    if not found:
        raise RuntimeFailure(f"{path} names no default mirror; set site.apt_mirror in the site file")
    return found.group(1)


@dataclass(frozen=True)
class DebianImage:
    """A Docker image made from a Debian root file system; subclasses say what goes into it.

    Attributes:
        distro: Debian release code name.
        mirror: Debian mirror URL; empty = debootstrap's default mirror.
        packages: packages installed on top of the minimal system (``--variant=minbase``).
    """

    distro: str
    mirror: str = ""
    packages: tuple[str, ...] = ()

    #: What the image is, for messages and the image comment (the distro is appended).
    kind: ClassVar[str] = "image"
    #: Image label holding `key`.
    label: ClassVar[str] = "io.lokictl.rootfs.key"
    #: Dockerfile instructions applied by ``docker import`` (``CMD [...]``, ``ENV ...``).
    changes: ClassVar[tuple[str, ...]] = ()
    #: Shell script run in the new root (chroot) after `prepare`.
    script: ClassVar[str] = "true"
    #: Cached tarballs of the distro kept after a build, the new one included.
    keep: ClassVar[int] = 1

    @property
    def image(self) -> str:
        """Return ``repository:tag`` of the imported image."""
        raise NotImplementedError

    def inputs(self) -> dict[str, Any]:
        """Return the inputs a subclass adds to the cache key (its builder version, script, files)."""
        return {}

    def prepare(self, root: Path) -> None:
        """Write files into the new root file system before `script` runs."""

    @property
    def name(self) -> str:
        """Return ``<kind> <distro>``."""
        return f"{self.kind} {self.distro}"

    def key(self) -> str:
        """Return the sha256 of every input: names the cached tarball, recorded in the image's `label`."""
        common = {"distro": self.distro, "mirror": self.mirror.rstrip("/"), "packages": sorted(self.packages)}
        return input_key({**common, **self.inputs()})

    def tarball(self, cache: Path) -> Path:
        """Return the cached root file system tarball of this image in ``cache``."""
        return cache / f"{self.distro}-{self.key()[:16]}.tar"

    def debootstrap_args(self, target: Path) -> list[str]:
        """Return the debootstrap command line that creates the root file system in ``target``."""
        return [
            "debootstrap",
            "--variant=minbase",
            "--components=main",
            f"--include={','.join(self.packages)}",
            self.distro,
            str(target),
            self.mirror or default_mirror(),
        ]

    def import_args(self, tarball: Path) -> list[str]:
        """Return the ``docker import`` arguments that turn ``tarball`` into the image."""
        changes = [*self.changes, f"LABEL {self.label}={self.key()}"]
        return [
            "import",
            *(arg for change in changes for arg in ("--change", change)),
            "--message",
            f"lokictl {self.name}",
            str(tarball),
            self.image,
        ]


def image_label(docker: Docker, image: str, label: str) -> str:
    """Return the value of ``label`` on an existing image, or "" when the image or the label is missing."""
    data = docker.inspect("image", [image])
    if not data:
        return ""
    labels = (data[0].get("Config") or {}).get("Labels") or {}
    return str(labels.get(label, ""))


def ensure_image(
    spec: DebianImage, *, docker: Docker, cache: Path, force: bool = False, progress: Progress | None = None
) -> str:
    """Make sure the image of ``spec`` exists; bootstrap the root file system only when it is not cached.

    Args:
        spec: what to make.
        docker: Docker CLI wrapper.
        cache: directory of the cached tarballs.
        force: bootstrap again even when the image or the tarball exists.
        progress: called with a line for each step.

    Returns:
        What was done: ``up to date`` (the image carries the spec's key), ``imported from cache`` or
        ``built``.

    Raises:
        RuntimeFailure: debootstrap is missing, not root, or a step failed.
    """
    say = progress or (lambda _line: None)
    if not force and image_label(docker, spec.image, spec.label) == spec.key():
        return "up to date"
    tarball = spec.tarball(cache)
    action = "imported from cache"
    if force or not tarball.is_file():
        say(f"building the {spec.name} root file system (debootstrap, a few minutes)")
        build_tarball(spec, tarball, say)
        prune_cache(cache, spec.distro, keep=tarball, count=spec.keep)
        action = "built"
    say(f"importing {tarball.name} as {spec.image}")
    docker.run(spec.import_args(tarball))
    return action


def build_tarball(spec: DebianImage, tarball: Path, progress: Progress | None = None) -> None:
    """Bootstrap, configure and pack the root file system of ``spec`` into ``tarball`` (atomically).

    The build log is ``build-<distro>.log`` beside the tarball; the work directory is removed in any case.

    Raises:
        RuntimeFailure: debootstrap is missing, not root, or a step failed.
    """
    say = progress or (lambda _line: None)
    if shutil.which("debootstrap") is None:
        raise RuntimeFailure("debootstrap not found: install it (apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise RuntimeFailure(
            f"building the {spec.name} image needs root (debootstrap creates device files and chroots)"
        )
    tarball.parent.mkdir(parents=True, exist_ok=True)
    log = tarball.parent / f"build-{spec.distro}.log"
    work = Path(tempfile.mkdtemp(prefix=f".build-{spec.distro}-", dir=tarball.parent))
    root = work / "rootfs"
    try:
        with log.open("w", encoding="utf-8") as out:
            _step(spec.debootstrap_args(root), out, log)
            say("configuring the root file system")
            spec.prepare(root)
            _step(["chroot", str(root), "/bin/sh", "-c", spec.script], out, log)
            say("packing the root file system")
            partial = work / "rootfs.tar"
            tar = ["tar", "--numeric-owner", "--xattrs", "--xattrs-include=security.capability"]
            _step([*tar, "-C", str(root), "-cf", str(partial), "."], out, log)
            os.replace(partial, tarball)
    finally:
        _remove_tree(work)


def prune_cache(cache: Path, distro: str, keep: Path, count: int = 1) -> None:
    """Delete all but the ``count`` newest cached tarballs of ``distro``; ``keep`` is always kept."""
    others = sorted(
        (p for p in cache.glob(f"{distro}-*.tar") if p != keep), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in others[max(count - 1, 0) :]:
        old.unlink(missing_ok=True)


def _step(args: list[str], out: TextIO, log: Path) -> None:
    out.write(f"$ {' '.join(args)}\n")
    out.flush()
    proc = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise RuntimeFailure(
            f"{args[0]} failed (exit {proc.returncode}); last lines of {log}:\n  " + "\n  ".join(tail)
        )


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    found = []
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def _remove_tree(path: Path) -> None:
    """Delete a build directory, first unmounting anything a failed debootstrap left mounted in it."""
    if not path.exists():
        return
    for point in _mounts_under(path):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    left = _mounts_under(path)
    if left:
        raise RuntimeFailure(f"cannot remove {path}: still mounted: {', '.join(left)}")
    shutil.rmtree(path, ignore_errors=True)
