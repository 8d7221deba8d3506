"""``lokictl k8s upgrade --to VERSION``: a kubeadm upgrade, one node at a time, driven by the site file.

The site file stays the desired state: the user sets ``kubernetes.version`` to the target first; ``--to``
repeats it as a confirmation. The version deployed so far is read from the inventory rendered before the
change, and the step must be one kubeadm supports (same major, the next minor at most, no downgrade).
Then the inventory is re-rendered and the kubernetes layer runs with ``loki_action=upgrade``: the roles follow
kubeadm's documented flow per node (control planes with ``serial: 1`` and an etcd health gate, then workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from lokictl.errors import InputError
from lokictl.k8s import matrix
from lokictl.site import load_site

GROUP_VARS = "group_vars/all/kubernetes.yml"


@dataclass(frozen=True)
class UpgradePlan:
    """What an upgrade will do.

    Attributes:
        from_version: version in the inventory rendered before (None when nothing was rendered).
        to_version: target version (the site file's).
        control_planes: control-plane hosts, upgraded one at a time, the first one first.
        workers: worker hosts (not control planes), upgraded after every control plane.
        unverified: files of the target version without a pinned checksum (they are refused at install).
    """

    from_version: str | None
    to_version: str
    control_planes: tuple[str, ...]
    workers: tuple[str, ...]
    unverified: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """Return the plan as short human-readable lines, in execution order."""
        out = [f"Kubernetes {self.from_version or '(not rendered before)'} -> {self.to_version}"]
        for i, host in enumerate(self.control_planes):
            cmd = "kubeadm upgrade apply" if i == 0 else "kubeadm upgrade node"
            out.append(
                f"  {host}: {cmd}, drain, kubelet+kubectl, restart, uncordon, wait Ready + etcd healthy"
            )
        for host in self.workers:
            out.append(
                f"  {host}: kubeadm upgrade node, drain, kubelet+kubectl, restart, uncordon, wait Ready"
            )
        out.append("  then: CNI and OpenStack add-ons of the target version")
        if self.unverified:
            out.append("  warning: no pinned SHA-256 for " + ", ".join(self.unverified))
        return out


def check_skew(from_version: str, to_version: str) -> None:
    """Refuse a step kubeadm does not support: another major, skipping a minor, or a downgrade.

    Raises:
        InputError: the step is not supported.
    """
    old, new = matrix.version_tuple(from_version), matrix.version_tuple(to_version)
    if new < old:
        raise InputError(f"cannot downgrade Kubernetes from {from_version} to {to_version}")
    if new[0] != old[0] or new[1] - old[1] > 1:
        raise InputError(
            f"cannot upgrade Kubernetes from {from_version} to {to_version}: kubeadm upgrades one minor "
            f"version at a time (next: {old[0]}.{old[1] + 1}.x)"
        )


def rendered_version(inventory_dir: Path) -> str | None:
    """Return ``loki_kubernetes_version`` of a rendered inventory, or None when there is none."""
    try:
        data = yaml.safe_load((inventory_dir / GROUP_VARS).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    value = data.get("loki_kubernetes_version") if isinstance(data, dict) else None
    return str(value) if value else None


def plan(site_path: Path, to_version: str, inventory_dir: Path | None = None) -> UpgradePlan:
    """Check an upgrade request against the site file, the matrix and the previous render.

    Raises:
        SiteError: the site file is invalid.
        InputError: the version is unknown, differs from the site file's, or the step is unsupported.
    """
    from lokictl import core

    to_version = to_version.removeprefix("v")
    entry = matrix.load_matrix().get(to_version)
    site = load_site(site_path)
    k8s = site.model.kubernetes
    if not k8s.enabled:
        raise InputError(f"{site_path}: the kubernetes layer is disabled; nothing to upgrade")
    if k8s.version != to_version:
        raise InputError(
            f"{site_path} pins Kubernetes {k8s.version}; the site file is the desired state: set "
            f'kubernetes.version: "{to_version}" there, then run the upgrade again'
        )
    inv = inventory_dir if inventory_dir is not None else core.default_out_dir(site)
    before = rendered_version(inv)
    if before is not None:
        check_skew(before, to_version)
    cps = tuple(h.name for h in site.model.hosts_with("k8s_control_plane"))
    workers = tuple(h.name for h in site.model.hosts_with("k8s_worker") if h.name not in cps)
    return UpgradePlan(before, to_version, cps, workers, tuple(matrix.unverified(entry, k8s.cni)))
