"""Find, create and remove the Docker objects of a lab; objects are always selected by label."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from lokictl.errors import InputError
from lokictl.lab import LABEL_HOST, LABEL_LAB
from lokictl.lab.docker import Docker
from lokictl.lab.plan import LABEL_CONFIG, LabPlan, label_filter, network_create_args

KINDS = ("container", "network", "volume")


@dataclass(frozen=True)
class Container:
    """A lab container as Docker reports it."""

    id: str
    name: str
    host: str
    state: str
    address: str
    config: str
    labels: dict[str, str]


def lab_names(docker: Docker) -> list[str]:
    """Return the names of every lab that has a container, network or volume."""
    names: set[str] = set()
    fmt = f'{{{{.Label "{LABEL_LAB}"}}}}'
    for args in (
        ["ps", "--all", "--filter", f"label={LABEL_LAB}", "--format", fmt],
        ["network", "ls", "--filter", f"label={LABEL_LAB}", "--format", fmt],
        ["volume", "ls", "--filter", f"label={LABEL_LAB}", "--format", fmt],
    ):
        names.update(docker.lines(args))
    return sorted(names)


def containers(docker: Docker, lab: str) -> list[Container]:
    """Return the containers of ``lab``."""
    ids = docker.lines(["ps", "--all", "--quiet", *label_filter(lab)])
    found = []
    for data in docker.inspect("container", ids):
        labels: dict[str, str] = (data.get("Config") or {}).get("Labels") or {}
        if labels.get(LABEL_LAB) != lab:
            continue
        networks: dict[str, Any] = (data.get("NetworkSettings") or {}).get("Networks") or {}
        address = next((str(n.get("IPAddress") or "") for n in networks.values()), "")
        found.append(
            Container(
                id=str(data["Id"]),
                name=str(data.get("Name", "")).lstrip("/"),
                host=labels.get(LABEL_HOST, ""),
                state=str((data.get("State") or {}).get("Status", "unknown")),
                address=address,
                config=labels.get(LABEL_CONFIG, ""),
                labels=labels,
            )
        )
    return sorted(found, key=lambda c: c.name)


def networks(docker: Docker, lab: str) -> list[str]:
    """Return the names of the networks of ``lab``."""
    return docker.lines(["network", "ls", *label_filter(lab), "--format", "{{.Name}}"])


def volumes(docker: Docker, lab: str, host: str = "") -> list[str]:
    """Return the names of the volumes of ``lab`` (of one of its hosts when ``host`` is given)."""
    args = ["volume", "ls", *label_filter(lab)]
    if host:
        args += ["--filter", f"label={LABEL_HOST}={host}"]
    return docker.lines([*args, "--format", "{{.Name}}"])


def ensure_network(docker: Docker, plan: LabPlan) -> bool:
    """Create the lab network unless it exists; return whether it was created.

    Raises:
        InputError: the lab's network has another subnet, or the subnet is taken by another network.
    """
    net = plan.network
    if net.name in networks(docker, plan.lab):
        subnets = _subnets(docker.inspect("network", [net.name])[0])
        if net.subnet not in subnets:
            raise InputError(
                f"lab '{plan.lab}' has network {net.name} with subnet {', '.join(subnets) or 'none'}, but "
                f"the site says {net.subnet}: run `lokictl lab down --name {plan.lab}` first"
            )
        return False
    wanted = ipaddress.ip_network(net.subnet)
    for data in docker.inspect("network", docker.lines(["network", "ls", "--quiet"])):
        for subnet in _subnets(data):
            if ipaddress.ip_network(subnet, strict=False).overlaps(wanted):
                owner = ((data.get("Labels") or {}).get(LABEL_LAB)) or ""
                hint = f"`lokictl lab down --name {owner}`" if owner else "remove it"
                raise InputError(
                    f"subnet {net.subnet} overlaps Docker network {data.get('Name')} ({subnet}): "
                    f"{hint} or change networks.management.cidr"
                )
    docker.run(network_create_args(plan))
    return True


def _subnets(network: dict[str, Any]) -> list[str]:
    configs = (network.get("IPAM") or {}).get("Config") or []
    return [str(c["Subnet"]) for c in configs if c.get("Subnet")]


def remove_all(docker: Docker, lab: str) -> dict[str, list[str]]:
    """Remove every container, then every network and volume, labelled as part of ``lab``.

    Returns:
        The names removed, by kind.
    """
    removed: dict[str, list[str]] = {kind: [] for kind in KINDS}
    found = containers(docker, lab)
    if found:
        docker.run(["rm", "--force", "--volumes", *(c.id for c in found)])
        removed["container"] = [c.name for c in found]
    nets = networks(docker, lab)
    if nets:
        docker.run(["network", "rm", *nets])
        removed["network"] = nets
    vols = volumes(docker, lab)
    if vols:
        docker.run(["volume", "rm", *vols])
        removed["volume"] = vols
    return removed
