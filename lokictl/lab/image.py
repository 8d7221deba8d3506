"""Build the lab host image from Debian packages, without a registry, and cache the root file system.

The image is a minimal Debian (``debootstrap --variant=minbase``) that boots systemd in a container and
is ready for Ansible over SSH. The finished root file system is cached as a tarball keyed by a hash of every
input, so rebuilding an image that was removed only re-imports the tarball.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lokictl.errors import InputError, RuntimeFailure
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

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImageSpec:
    """Everything that determines the content of a lab host image.

    Attributes:
        distro: Debian release code name.
        mirror: Debian mirror URL; empty = debootstrap's default mirror.
        packages: packages installed on top of the minimal base.
    """

    distro: str
    mirror: str = ""
    packages: tuple[str, ...] = PACKAGES

    @property
    def tag(self) -> str:
        """Return the image name, ``lokictl/host:<distro>``."""
        return f"{IMAGE_REPOSITORY}:{self.distro}"

    def key(self) -> str:
        """Return the sha256 of every build input (the cache key)."""
        inputs = {
            "builder": BUILDER_VERSION,
            "distro": self.distro,
            "mirror": self.mirror.rstrip("/"),
            "packages": sorted(self.packages),
            "script": CONFIGURE_SCRIPT,
            "units": [SSH_HOSTKEYS_UNIT, RSHARED_UNIT],
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def tarball(self, cache: Path) -> Path:
        """Return the cached root file system tarball of this spec in ``cache``."""
        return cache / f"{self.distro}-{self.key()[:16]}.tar"


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
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lokictl" / "images"


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
    say = progress or (lambda _line: None)
    docker.check()
    key = spec.key()
    tarball = spec.tarball(cache)
    report = BuildReport(tag=spec.tag, key=key, tarball=tarball, action="up to date")
    if not force and image_key(docker, spec.tag) == key:
        report.seconds = time.monotonic() - started
        return report
    if force or not tarball.is_file():
        say(f"building the {spec.distro} root file system (debootstrap, a few minutes)")
        _build_tarball(spec, tarball, say)
        report.action = "built"
        _prune_cache(cache, spec.distro, keep=tarball)
    else:
        report.action = "imported from cache"
    say(f"importing {tarball.name} as {spec.tag}")
    docker.run(import_args(spec, tarball))
    report.seconds = time.monotonic() - started
    return report


def import_args(spec: ImageSpec, tarball: Path) -> list[str]:
    """Return the ``docker import`` arguments that turn a root file system tarball into the image."""
    return [
        "import",
        "--change",
        'CMD ["/lib/systemd/systemd"]',
        "--change",
        "ENV container=docker LANG=C.UTF-8",
        "--change",
        f"LABEL {LABEL_IMAGE_KEY}={spec.key()}",
        "--message",
        f"lokictl lab host {spec.distro}",
        str(tarball),
        spec.tag,
    ]


def image_key(docker: Docker, tag: str) -> str:
    """Return the cache key recorded in an existing image, or "" when the image is missing."""
    data = docker.inspect("image", [tag])
    if not data:
        return ""
    labels = (data[0].get("Config") or {}).get("Labels") or {}
    return str(labels.get(LABEL_IMAGE_KEY, ""))


def debootstrap_args(spec: ImageSpec, target: Path) -> list[str]:
    """Return the debootstrap command line for ``spec``."""
    args = [
        "debootstrap",
        "--variant=minbase",
        "--components=main",
        f"--include={','.join(spec.packages)}",
        spec.distro,
        str(target),
    ]
    if spec.mirror:
        args.append(spec.mirror)
    return args


def sources_list(spec: ImageSpec, mirror: str) -> str:
    """Return the image's apt sources: release and updates; security too with the default mirror."""
    lines = [f"deb {mirror} {spec.distro} main", f"deb {mirror} {spec.distro}-updates main"]
    if not spec.mirror and mirror.rstrip("/").endswith("/debian"):
        lines.append(f"deb {mirror.rstrip('/')}-security {spec.distro}-security main")
    return "\n".join(lines) + "\n"


def _build_tarball(spec: ImageSpec, tarball: Path, say: Progress) -> None:
    if shutil.which("debootstrap") is None:
        raise RuntimeFailure("debootstrap not found: install it (apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise RuntimeFailure("building the image needs root (debootstrap creates device files and chroots)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    log = tarball.parent / f"build-{spec.distro}.log"
    work = Path(tempfile.mkdtemp(prefix=f".build-{spec.distro}-", dir=tarball.parent))
    root = work / "rootfs"
    try:
        with log.open("w", encoding="utf-8") as out:
            _step(debootstrap_args(spec, root), out, log)
            say("configuring the root file system")
            mirror = _debootstrap_mirror(root) or spec.mirror
            (root / "etc/apt/sources.list").write_text(sources_list(spec, mirror), encoding="utf-8")
            units = root / "etc/systemd/system"
            (units / "lokictl-ssh-hostkeys.service").write_text(SSH_HOSTKEYS_UNIT, encoding="utf-8")
            (units / "lokictl-rshared.service").write_text(RSHARED_UNIT, encoding="utf-8")
            shutil.copy2("/etc/resolv.conf", root / "etc/resolv.conf", follow_symlinks=True)
            _step(["chroot", str(root), "/bin/sh", "-c", CONFIGURE_SCRIPT], out, log)
            say("packing the root file system")
            partial = work / "rootfs.tar"
            _step(
                [
                    "tar",
                    "--numeric-owner",
                    "--xattrs",
                    "--xattrs-include=security.capability",
                    "-C",
                    str(root),
                    "-cf",
                    str(partial),
                    ".",
                ],
                out,
                log,
            )
            os.replace(partial, tarball)
    finally:
        _remove_tree(work)


def _step(args: list[str], out: TextIO, log: Path) -> None:
    out.write(f"$ {' '.join(args)}\n")
    out.flush()
    proc = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise RuntimeFailure(
            f"{args[0]} failed (exit {proc.returncode}); last lines of {log}:\n  " + "\n  ".join(tail)
        )


def _debootstrap_mirror(root: Path) -> str:
    """Return the mirror debootstrap wrote into the new system's sources.list."""
    sources = root / "etc/apt/sources.list"
    if sources.is_file():
        for line in sources.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb":
                return parts[1]
    return ""


def _prune_cache(cache: Path, distro: str, keep: Path, count: int = 2) -> None:
    """Delete all but the ``count`` newest cached tarballs of ``distro`` (``keep`` is always kept)."""
    others = sorted(
        (p for p in cache.glob(f"{distro}-*.tar") if p != keep), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in others[count - 1 :]:
        old.unlink(missing_ok=True)


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
