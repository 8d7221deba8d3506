"""The lab host image, built from Debian packages without a registry (`lokictl.rootfs` does the build).

The image is a minimal Debian (``debootstrap --variant=minbase``) that boots systemd in a container and
is ready for Ansible over SSH. The finished root file system is cached as a tarball keyed by a hash of every
input, so rebuilding an image that was removed only re-imports the tarball.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from lokictl import rootfs
from lokictl.errors import InputError
from lokictl.lab import DISTROS, IMAGE_REPOSITORY, LABEL_IMAGE_KEY
from lokictl.lab.docker import Docker

# Bump when the build steps change in a way the hashed inputs do not show.
BUILDER_VERSION = "1"

PACKAGES = (
    "python3",
    "python3-apt",
    "systemd",
    "systemd-sysv",
    "dbus",
    "sudo",
    "openssh-server",
    "iproute2",
    "procps",
    "ca-certificates",
    "locales",
)

# Units that fail or make no sense in a container.
MASKED_UNITS = (
    "getty.target",
    "console-getty.service",
    "getty@.service",
    "serial-getty@.service",
    "systemd-remount-fs.service",
    "systemd-firstboot.service",
    "systemd-modules-load.service",
    "sys-kernel-config.mount",
    "sys-kernel-debug.mount",
    "sys-kernel-tracing.mount",
)

SSH_HOSTKEYS_UNIT = """\
[Unit]
Description=Generate SSH host keys (removed from the lab image)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
"""

RSHARED_UNIT = """\
[Unit]
Description=Make / a shared mount (container runtimes inside the lab host need it)
DefaultDependencies=no
After=local-fs-pre.target
Before=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/mount --make-rshared /

[Install]
WantedBy=local-fs.target
"""

# Runs inside the new root file system (chroot) after debootstrap.
CONFIGURE_SCRIPT = """\
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
sed -i 's/^# *\\(en_US.UTF-8 UTF-8\\)/\\1/' /etc/locale.gen
locale-gen
printf 'LANG=C.UTF-8\\n' > /etc/default/locale
apt-get update
# debootstrap installs the release as published; a host installed today also has its (security) updates
apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade
apt-get clean
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
for unit in {masked}; do ln -sf /dev/null "/etc/systemd/system/$unit"; done
systemctl enable lokictl-ssh-hostkeys.service lokictl-rshared.service ssh.service
: > /etc/hostname
rm -f /etc/resolv.conf
rm -rf /var/log/apt/* /var/log/*.log /var/cache/debconf/*-old /tmp/* /var/tmp/*
""".replace("{masked}", " ".join(MASKED_UNITS))

Progress = rootfs.Progress


@dataclass(frozen=True)
class ImageSpec(rootfs.DebianImage):
    """Everything that determines the content of a lab host image.

    Attributes:
        distro: Debian release code name.
        mirror: Debian mirror URL; empty = debootstrap's default mirror.
        packages: packages installed on top of the minimal base.
    """

    packages: tuple[str, ...] = PACKAGES

    kind: ClassVar[str] = "lab host"
    label: ClassVar[str] = LABEL_IMAGE_KEY
    changes: ClassVar[tuple[str, ...]] = ('CMD ["/lib/systemd/systemd"]', "ENV container=docker LANG=C.UTF-8")
    script: ClassVar[str] = CONFIGURE_SCRIPT
    keep: ClassVar[int] = 2

    @property
    def tag(self) -> str:
        """Return the image name, ``lokictl/host:<distro>``."""
        return f"{IMAGE_REPOSITORY}:{self.distro}"

    @property
    def image(self) -> str:
        """Return the image name (`tag`)."""
        return self.tag

    def inputs(self) -> dict[str, Any]:
        """Return the lab image's own build inputs for the cache key."""
        return {
            "builder": BUILDER_VERSION,
            "script": CONFIGURE_SCRIPT,
            "units": [SSH_HOSTKEYS_UNIT, RSHARED_UNIT],
        }

    def prepare(self, root: Path) -> None:
        """Write apt sources, the lab's systemd units and a resolver configuration into the new root."""
        (root / "etc/apt/sources.list").write_text(
            sources_list(self, self.mirror or rootfs.default_mirror()), encoding="utf-8"
        )
        units = root / "etc/systemd/system"
        (units / "lokictl-ssh-hostkeys.service").write_text(SSH_HOSTKEYS_UNIT, encoding="utf-8")
        (units / "lokictl-rshared.service").write_text(RSHARED_UNIT, encoding="utf-8")
        shutil.copy2("/etc/resolv.conf", root / "etc/resolv.conf", follow_symlinks=True)


@dataclass
class BuildReport:
    """What `build_image` did."""

    tag: str
    key: str
    tarball: Path
    action: str  # "up to date" | "imported from cache" | "built"
    seconds: float = 0.0
    steps: list[str] = field(default_factory=list)


def cache_dir() -> Path:
    """Return the image cache directory: ``${XDG_CACHE_HOME:-~/.cache}/lokictl/images``."""
    return rootfs.cache_root("images")


def make_spec(distro: str, mirror: str = "") -> ImageSpec:
    """Return the spec of an image.

    Raises:
        InputError: unknown distribution.
    """
    if distro not in DISTROS:
        raise InputError(f"unknown distribution '{distro}' (choose from: {', '.join(DISTROS)})")
    return ImageSpec(distro=distro, mirror=mirror.strip())


def build_image(
    spec: ImageSpec,
    *,
    force: bool = False,
    docker: Docker | None = None,
    cache: Path | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Make sure the image of ``spec`` exists; build the root file system only when no cached copy exists.

    Args:
        spec: what to build.
        force: rebuild the root file system even when it is cached.
        docker: Docker CLI wrapper.
        cache: cache directory (default: `cache_dir`).
        progress: called with a line for each step.

    Raises:
        RuntimeFailure: Docker or debootstrap is missing, or a build step failed.
    """
    started = time.monotonic()
    docker = docker or Docker()
    cache = cache or cache_dir()
    docker.check()
    action = rootfs.ensure_image(spec, docker=docker, cache=cache, force=force, progress=progress)
    return BuildReport(
        tag=spec.tag,
        key=spec.key(),
        tarball=spec.tarball(cache),
        action=action,
        seconds=time.monotonic() - started,
    )


def image_key(docker: Docker, tag: str) -> str:
    """Return the cache key recorded in an existing image, or "" when the image is missing."""
    return rootfs.image_label(docker, tag, LABEL_IMAGE_KEY)


def sources_list(spec: ImageSpec, mirror: str) -> str:
    """Return the image's apt sources: release and updates; security too with the default mirror."""
    lines = [f"deb {mirror} {spec.distro} main", f"deb {mirror} {spec.distro}-updates main"]
    if not spec.mirror and mirror.rstrip("/").endswith("/debian"):
        lines.append(f"deb {mirror.rstrip('/')}-security {spec.distro}-security main")
    return "\n".join(lines) + "\n"
