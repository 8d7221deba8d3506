"""The Debian trixie base image of the Kolla build: ``debootstrap`` from the site's mirror, ``docker import``.

A plain minimal Debian with deb822 apt sources; everything Kolla-specific is added by kolla-build's own base
image (see `lokictl.images.config`). The root file system is cached as a tarball keyed by a hash of its
inputs, so re-creating a removed image only re-imports it.
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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from lokictl.errors import RuntimeFailure
from lokictl.images import BASE_REPOSITORY, DISTRO, LABEL_BASE_KEY
from lokictl.lab.docker import Docker

#: Bump when the steps below change in a way the hashed inputs do not show.
BUILDER_VERSION = "1"
PACKAGES = ("ca-certificates",)
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

Progress = Callable[[str], None]


@functools.cache
def default_mirror() -> str:
    """Return debootstrap's own default Debian mirror, used when the site sets no ``apt_mirror``.

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


def debian_sources(mirror: str, distro: str, signed_by: str = KEYRING) -> str:
    """Return deb822 apt sources: release and updates, plus security with Debian's own mirror."""
    uri = (mirror or default_mirror()).rstrip("/")
    stanzas = [
        f"Types: deb\nURIs: {uri}\nSuites: {distro} {distro}-updates\nComponents: main\n"
        f"Signed-By: {signed_by}\n"
    ]
    if not mirror or uri == default_mirror().rstrip("/"):
        stanzas.append(
            f"Types: deb\nURIs: {uri}-security\nSuites: {distro}-security\nComponents: main\n"
            f"Signed-By: {signed_by}\n"
        )
    return "\n".join(stanzas)


@dataclass(frozen=True)
class BaseSpec:
    """Everything that determines the base image.

    Attributes:
        mirror: Debian mirror URL; empty = Debian's default mirror.
        distro: Debian release.
        packages: packages added to the minimal system.
    """

    mirror: str = ""
    distro: str = DISTRO
    packages: tuple[str, ...] = PACKAGES

    def key(self) -> str:
        """Return the sha256 of the inputs."""
        inputs = {
            "builder": BUILDER_VERSION,
            "distro": self.distro,
            "mirror": self.mirror.rstrip("/"),
            "packages": sorted(self.packages),
            "sources": debian_sources(self.mirror, self.distro),
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    @property
    def repository(self) -> str:
        """Return the image repository."""
        return BASE_REPOSITORY

    @property
    def tag(self) -> str:
        """Return the image tag: ``<distro>-<key prefix>``."""
        return f"{self.distro}-{self.key()[:12]}"

    @property
    def image(self) -> str:
        """Return ``repository:tag``."""
        return f"{self.repository}:{self.tag}"


@dataclass
class BaseReport:
    """What `ensure_base` did."""

    image: str
    action: str  # "present" | "imported from cache" | "built"
    seconds: float


def cache_dir() -> Path:
    """Return the root file system cache: ``${XDG_CACHE_HOME:-~/.cache}/lokictl/kolla-base``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lokictl" / "kolla-base"


def debootstrap_args(spec: BaseSpec, target: Path) -> list[str]:
    """Return the debootstrap command line."""
    args = [
        "debootstrap",
        "--variant=minbase",
        "--components=main",
        f"--include={','.join(spec.packages)}",
        spec.distro,
        str(target),
    ]
    return [*args, spec.mirror or default_mirror()]


def ensure_base(
    spec: BaseSpec, *, docker: Docker, cache: Path | None = None, progress: Progress | None = None
) -> BaseReport:
    """Make sure the base image exists: present, re-imported from the cached tarball, or built.

    Raises:
        RuntimeFailure: debootstrap is missing, not root, or a step failed.
    """
    started = time.monotonic()
    say = progress or (lambda _line: None)
    cache = cache or cache_dir()
    if docker.inspect("image", [spec.image]):
        return BaseReport(spec.image, "present", time.monotonic() - started)
    tarball = cache / f"{spec.distro}-{spec.key()[:16]}.tar"
    action = "imported from cache"
    if not tarball.is_file():
        say(f"building the Debian {spec.distro} base root file system (debootstrap, about a minute)")
        _build_tarball(spec, tarball)
        action = "built"
        for old in cache.glob(f"{spec.distro}-*.tar"):
            if old != tarball:
                old.unlink(missing_ok=True)
    docker.run(
        [
            "import",
            "--change",
            f"LABEL {LABEL_BASE_KEY}={spec.key()}",
            "--change",
            'CMD ["/bin/bash"]',
            "--message",
            f"lokictl kolla base {spec.distro}",
            str(tarball),
            spec.image,
        ]
    )
    return BaseReport(spec.image, action, time.monotonic() - started)


_CLEANUP = (
    "set -eu; rm -f /etc/apt/sources.list; apt-get clean; rm -rf /var/lib/apt/lists/* /var/log/apt/* "
    "/var/log/*.log /var/cache/debconf/*-old /tmp/* /var/tmp/*; : > /etc/machine-id; rm -f /etc/resolv.conf "
    "/etc/hostname"
)


def _build_tarball(spec: BaseSpec, tarball: Path) -> None:
    if shutil.which("debootstrap") is None:
        raise RuntimeFailure("debootstrap not found: install it (apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise RuntimeFailure(
            "building the base image needs root (debootstrap creates device files and chroots)"
        )
    tarball.parent.mkdir(parents=True, exist_ok=True)
    log = tarball.parent / f"build-{spec.distro}.log"
    work = Path(tempfile.mkdtemp(prefix=f".build-{spec.distro}-", dir=tarball.parent))
    root = work / "rootfs"
    try:
        with log.open("w", encoding="utf-8") as out:
            _step(debootstrap_args(spec, root), out, log)
            sources = root / "etc/apt/sources.list.d/debian.sources"
            sources.parent.mkdir(parents=True, exist_ok=True)
            sources.write_text(debian_sources(spec.mirror, spec.distro), encoding="utf-8")
            _step(["chroot", str(root), "/bin/sh", "-c", _CLEANUP], out, log)
            partial = work / "rootfs.tar"
            _step(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(partial), "."], out, log)
            os.replace(partial, tarball)
    finally:
        _remove_tree(work)


def _step(args: list[str], out: TextIO, log: Path) -> None:
    out.write(f"$ {' '.join(args)}\n")
    out.flush()
    proc = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise RuntimeFailure(f"{args[0]} failed (exit {proc.returncode}); see {log}:\n  " + "\n  ".join(tail))


def _remove_tree(path: Path) -> None:
    """Delete a build directory, first unmounting what a failed debootstrap left mounted in it."""
    if not path.exists():
        return
    prefix = str(path.resolve())
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1].replace("\\040", " ") for line in mounts]
    for point in sorted(
        (p for p in points if p == prefix or p.startswith(prefix + "/")), key=len, reverse=True
    ):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)
