"""What a lab consists of in Docker terms: pure functions from a site to names, labels and arguments.

Everything `lokictl lab up` creates carries the label ``io.lokictl.lab=<lab>``; `lokictl lab down` selects
by that label only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from lokictl.errors import InputError
from lokictl.lab import LABEL_HOST, LABEL_LAB
from lokictl.model import SiteModel

LABEL_CONFIG = "io.lokictl.config"
LAB_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")

# Capability names by number (linux/capability.h) that every Docker engine since 20.10 knows.
DOCKER_CAPABILITIES = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
)
# Always dropped: Docker engines in containers and VMs often lack it, and a lab host does not need it.
DROPPED_CAPABILITIES = ("SYS_RESOURCE",)

# Host directories that must not sit on the container's overlay file system (container runtimes inside).
HOST_VOLUMES = (("docker", "/var/lib/docker"), ("containerd", "/var/lib/containerd"))


@dataclass(frozen=True)
class NetworkPlan:
    """The lab's Docker network (the site's management network)."""

    name: str
    subnet: str
    gateway: str
    mtu: int


@dataclass(frozen=True)
class HostPlan:
    """One lab host: a systemd container."""

    name: str
    address: str
    container: str
    volumes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LabPlan:
    """Everything `lab up` creates for one lab."""

    lab: str
    image: str
    network: NetworkPlan
    hosts: tuple[HostPlan, ...]
    ssh_port: int = 22


def check_lab_name(name: str) -> str:
    """Return ``name`` if it is a valid lab name.

    Raises:
        InputError: not a lowercase label of up to 32 letters, digits and dashes.
    """
    if not LAB_NAME.match(name):
        raise InputError(f"invalid lab name '{name}': use up to 32 lowercase letters, digits and dashes")
    return name


def make_plan(lab: str, model: SiteModel, image: str) -> LabPlan:
    """Return the Docker objects of a lab built from a validated site."""
    mgmt = model.networks.management
    network = NetworkPlan(
        name=f"lokictl-{lab}",
        subnet=str(mgmt.cidr),
        gateway=str(mgmt.gateway) if mgmt.gateway else "",
        mtu=mgmt.mtu,
    )
    hosts = tuple(
        HostPlan(
            name=h.name,
            address=str(h.address),
            container=f"lokictl-{lab}-{h.name}",
            volumes=tuple((f"lokictl-{lab}-{h.name}-{v}", path) for v, path in HOST_VOLUMES),
        )
        for h in model.hosts
    )
    return LabPlan(lab=lab, image=image, network=network, hosts=hosts, ssh_port=model.ansible.port)


def labels(lab: str, host: str = "") -> list[str]:
    """Return ``--label`` arguments marking an object as part of ``lab`` (and of ``host``)."""
    args = ["--label", f"{LABEL_LAB}={lab}"]
    if host:
        args += ["--label", f"{LABEL_HOST}={host}"]
    return args


def label_filter(lab: str) -> list[str]:
    """Return the ``--filter`` arguments selecting every object of ``lab`` (by label, never by name)."""
    return ["--filter", f"label={LABEL_LAB}={lab}"]


def network_create_args(plan: LabPlan) -> list[str]:
    """Return the ``docker network create`` arguments of the lab network."""
    net = plan.network
    args = ["network", "create", "--driver", "bridge", "--subnet", net.subnet]
    if net.gateway:
        args += ["--gateway", net.gateway]
    if net.mtu != 1500:
        args += ["--opt", f"com.docker.network.driver.mtu={net.mtu}"]
    return [*args, *labels(plan.lab), net.name]


def volume_create_args(plan: LabPlan, host: HostPlan, volume: str) -> list[str]:
    """Return the ``docker volume create`` arguments of one host volume."""
    return ["volume", "create", *labels(plan.lab, host.name), volume]


def capability_args(bounding_set: int) -> list[str]:
    """Return capability arguments: every capability in ``bounding_set`` except the dropped ones.

    ``--privileged`` cannot be used where the engine's bounding set lacks capabilities, so all capabilities
    are added and those the kernel does not allow are dropped again.

    Args:
        bounding_set: capability bit mask (``CapBnd`` of /proc/self/status).
    """
    dropped = [
        name
        for bit, name in enumerate(DOCKER_CAPABILITIES)
        if name in DROPPED_CAPABILITIES or not bounding_set >> bit & 1
    ]
    args = ["--cap-add", "ALL"]
    for name in dropped:
        args += ["--cap-drop", name]
    return args


def bounding_set(status: Path = Path("/proc/self/status")) -> int:
    """Return this process's capability bounding set (all bits set when it cannot be read)."""
    try:
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return (1 << len(DOCKER_CAPABILITIES)) - 1


def run_args(plan: LabPlan, host: HostPlan, caps: list[str]) -> list[str]:
    """Return the ``docker run`` arguments of a lab host (without the config label, see `config_label`)."""
    args = [
        "run",
        "--detach",
        "--name",
        host.container,
        "--hostname",
        host.name,
        "--network",
        plan.network.name,
        "--ip",
        host.address,
        "--network-alias",
        host.name,
        *labels(plan.lab, host.name),
        *caps,
        "--security-opt",
        "seccomp=unconfined",
        "--cgroupns",
        "host",
        "--volume",
        "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "--tmpfs",
        "/run:rw,exec,nosuid,nodev,mode=755",
        "--tmpfs",
        "/run/lock:rw,noexec,nosuid,nodev",
        "--tmpfs",
        "/tmp:rw,exec,nosuid,nodev,mode=1777",
        "--stop-signal",
        "SIGRTMIN+3",
        "--env",
        "container=docker",
    ]
    for volume, path in host.volumes:
        args += ["--volume", f"{volume}:{path}"]
    return [*args, plan.image, "/lib/systemd/systemd"]


def config_label(args: list[str]) -> list[str]:
    """Return ``args`` with a label holding their hash inserted, so `lab up` can see a changed host."""
    digest = hashlib.sha256(json.dumps(args).encode()).hexdigest()[:16]
    image_at = len(args) - 2
    return [*args[:image_at], "--label", f"{LABEL_CONFIG}={digest}", *args[image_at:]]


def config_of(args: list[str]) -> str:
    """Return the config hash `config_label` put into ``args``."""
    for i, arg in enumerate(args[:-1]):
        if arg == "--label" and args[i + 1].startswith(f"{LABEL_CONFIG}="):
            return args[i + 1].split("=", 1)[1]
    return ""
