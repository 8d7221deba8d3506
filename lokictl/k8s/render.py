"""Render the Kubernetes layer's inputs: ``group_vars/all/kubernetes.yml`` values and the kubeadm config.

Pure functions of the validated site (and the version matrix). The kubeadm configuration holds the
cluster-wide documents (ClusterConfiguration, KubeletConfiguration, KubeProxyConfiguration) for the pinned
kubeadm API version; the node-specific InitConfiguration/JoinConfiguration (advertise address, join token,
certificate key) are runtime values added by the k8s_control_plane and k8s_workers roles.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from lokictl.k8s import matrix
from lokictl.model import SiteModel

API_PORT = 6443
KUBEADM_CONFIG = "kubernetes/kubeadm-config.yaml"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
_Dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def api_endpoint(m: SiteModel) -> str | None:
    """Return the address clients use for the API: the VIP, else the only control-plane host."""
    cps = m.hosts_with("k8s_control_plane")
    if m.kubernetes.api_vip is not None:
        return str(m.kubernetes.api_vip)
    return str(cps[0].address) if cps else None


def kubeconfig_path(site_dir: Path, site_name: str, inventory_dir: Path) -> str:
    """Return the kubeconfig location (next to the site file) as a path relative to the inventory."""
    rel = os.path.relpath(site_dir / f"{site_name}.kubeconfig", inventory_dir.resolve())
    return "{{ inventory_dir }}/" + Path(rel).as_posix()


def group_vars(m: SiteModel, site_dir: Path, inventory_dir: Path) -> dict[str, Any]:
    """Return the ``loki_kubernetes_*`` values the Kubernetes roles read (beyond the basic ones).

    Empty/neutral values when the layer is disabled, so the file's keys never depend on the site.
    """
    k8s = m.kubernetes
    cps = m.hosts_with("k8s_control_plane")
    enabled = k8s.enabled and bool(cps)
    entry = matrix.load_matrix().versions.get(k8s.version) if enabled else None
    return {
        "loki_kubernetes_api_port": API_PORT,
        "loki_kubernetes_api_vip": str(k8s.api_vip) if enabled and k8s.api_vip else None,
        "loki_kubernetes_control_plane_hosts": [{"name": h.name, "address": str(h.address)} for h in cps]
        if enabled
        else [],
        "loki_kubernetes_first_control_plane": cps[0].name if enabled else None,
        "loki_kubernetes_artifacts_mirror": k8s.artifacts_mirror.rstrip("/"),
        "loki_kubernetes_registry_mirror": k8s.registry_mirror,
        "loki_kubernetes_kubeadm_api": entry.kubeadm_api if entry else None,
        "loki_kubernetes_kubeadm_config_file": "{{ inventory_dir }}/" + KUBEADM_CONFIG if enabled else None,
        "loki_kubernetes_containerd_min_version": entry.containerd_min if entry else None,
        "loki_kubernetes_pause_image": entry.pause_image if entry else None,
        "loki_kubernetes_artifacts": matrix.artifacts_by_arch(entry, k8s.cni) if entry else {},
        "loki_kubernetes_images": matrix.images_for(
            entry, k8s.cni, m.openstack.enabled, k8s.api_vip is not None
        )
        if entry
        else [],
        "loki_kubernetes_openstack_integration": enabled and m.openstack.enabled,
        "loki_kubernetes_kubeconfig_file": kubeconfig_path(site_dir, m.site.name, inventory_dir)
        if enabled
        else None,
    }


def _args(pairs: dict[str, str]) -> list[dict[str, str]]:
    """Return kubeadm v1beta4 ``extraArgs`` (a list of name/value pairs, sorted)."""
    return [{"name": k, "value": v} for k, v in sorted(pairs.items())]


def kubeadm_documents(m: SiteModel) -> list[dict[str, Any]]:
    """Return the cluster-wide kubeadm documents for the site's pinned version.

    Raises:
        InputError: the version is not in the matrix.
    """
    k8s = m.kubernetes
    entry = matrix.load_matrix().get(k8s.version)
    cps = m.hosts_with("k8s_control_plane")
    endpoint = api_endpoint(m)
    sans = [str(k8s.api_vip)] if k8s.api_vip is not None else []
    for h in cps:
        sans += [str(h.address), h.name, f"{h.name}.{m.site.domain}"]
    cluster: dict[str, Any] = {
        "apiVersion": entry.kubeadm_api,
        "kind": "ClusterConfiguration",
        "clusterName": m.site.name,
        "kubernetesVersion": f"v{k8s.version}",
        "controlPlaneEndpoint": f"{endpoint}:{API_PORT}",
        "imageRepository": "registry.k8s.io",
        "networking": {
            "dnsDomain": "cluster.local",
            "podSubnet": str(k8s.pod_cidr),
            "serviceSubnet": str(k8s.service_cidr),
        },
        "apiServer": {
            "certSANs": list(dict.fromkeys(sans)),
            "extraArgs": _args({"profiling": "false"}),
        },
        "controllerManager": {
            "extraArgs": _args({"profiling": "false"}),
        },
        "scheduler": {"extraArgs": _args({"profiling": "false"})},
        "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
        "certificateValidityPeriod": "8760h0m0s",
        "caCertificateValidityPeriod": "87600h0m0s",
    }
    kubelet: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
        "containerRuntimeEndpoint": CRI_SOCKET,
        "failSwapOn": True,
        "rotateCertificates": True,
        "serverTLSBootstrap": False,
        "protectKernelDefaults": False,
        "readOnlyPort": 0,
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True}},
        "authorization": {"mode": "Webhook"},
    }
    proxy: dict[str, Any] = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": str(k8s.pod_cidr),
    }
    return [cluster, kubelet, proxy]


def kubeadm_config(m: SiteModel, header: str) -> bytes:
    """Return the kubeadm configuration file (multi-document YAML, deterministic)."""
    docs = kubeadm_documents(m)
    body = "".join(
        "---\n" + str(yaml.dump(d, Dumper=_Dumper, default_flow_style=False, sort_keys=True, width=1000))
        for d in docs
    )
    entry = matrix.load_matrix().get(m.kubernetes.version)
    intro = (
        f"# {header}\n"
        f"# site: {m.site.name}; kubeadm cluster configuration for Kubernetes v{m.kubernetes.version} "
        f"({entry.kubeadm_api})\n"
        "# Node-specific InitConfiguration/JoinConfiguration are added by the roles at run time.\n"
    )
    return (intro + body).encode()
