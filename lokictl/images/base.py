"""The Debian trixie base image of the Kolla build: ``debootstrap`` from the site's mirror, ``docker import``.

A plain minimal Debian with deb822 apt sources; everything Kolla-specific is added by kolla-build's own base
image (see `lokictl.images.config`). `lokictl.rootfs` does the build: the root file system is cached as a
tarball keyed by a hash of its inputs, so re-creating a removed image only re-imports it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lokictl import rootfs
from lokictl.images import BASE_REPOSITORY, DISTRO, LABEL_BASE_KEY
from lokictl.lab.docker import Docker
from lokictl.rootfs import default_mirror

#: Bump when the steps below change in a way the hashed inputs do not show.
BUILDER_VERSION = "1"
PACKAGES = ("ca-certificates",)
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

Progress = rootfs.Progress


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
class BaseSpec(rootfs.DebianImage):
    """Everything that determines the base image.

    Attributes:
        mirror: Debian mirror URL; empty = Debian's default mirror.
        distro: Debian release.
        packages: packages added to the minimal system.
    """

    distro: str = DISTRO
    packages: tuple[str, ...] = PACKAGES

    kind: ClassVar[str] = "kolla base"
    label: ClassVar[str] = LABEL_BASE_KEY
    changes: ClassVar[tuple[str, ...]] = ('CMD ["/bin/bash"]',)
    # Runs in the new root after debootstrap: the deb822 sources written by `prepare` replace sources.list.
    script: ClassVar[str] = (
        "set -eu; rm -f /etc/apt/sources.list; apt-get clean; rm -rf /var/lib/apt/lists/* /var/log/apt/* "
        "/var/log/*.log /var/cache/debconf/*-old /tmp/* /var/tmp/*; : > /etc/machine-id; "
        "rm -f /etc/resolv.conf /etc/hostname"
    )

    def inputs(self) -> dict[str, Any]:
        """Return the base image's own build inputs for the cache key."""
        return {"builder": BUILDER_VERSION, "sources": debian_sources(self.mirror, self.distro)}

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

    def prepare(self, root: Path) -> None:
        """Write the deb822 apt sources into the new root."""
        sources = root / "etc/apt/sources.list.d/debian.sources"
        sources.parent.mkdir(parents=True, exist_ok=True)
        sources.write_text(debian_sources(self.mirror, self.distro), encoding="utf-8")


@dataclass
class BaseReport:
    """What `ensure_base` did."""

    image: str
    action: str  # "up to date" | "imported from cache" | "built"
    seconds: float


def cache_dir() -> Path:
    """Return the root file system cache: ``${XDG_CACHE_HOME:-~/.cache}/lokictl/kolla-base``."""
    return rootfs.cache_root("kolla-base")


def ensure_base(
    spec: BaseSpec, *, docker: Docker, cache: Path | None = None, progress: Progress | None = None
) -> BaseReport:
    """Make sure the base image exists: up to date, re-imported from the cached tarball, or built.

    Raises:
        RuntimeFailure: debootstrap is missing, not root, or a step failed.
    """
    started = time.monotonic()
    action = rootfs.ensure_image(spec, docker=docker, cache=cache or cache_dir(), progress=progress)
    return BaseReport(spec.image, action, time.monotonic() - started)
