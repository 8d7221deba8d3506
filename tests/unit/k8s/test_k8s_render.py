"""Render of the Kubernetes layer: group_vars values and the kubeadm configuration (kubeadm API v1beta4)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import GOLDEN, SITES

from lokictl import core
from lokictl.k8s import matrix
from lokictl.k8s import render as k8s_render
from lokictl.site import load_site

pytestmark = pytest.mark.usefixtures("fast_keys")


def _render(case: str, tmp_path: Path) -> Path:
    shutil.copytree(SITES / f"golden_{case}", tmp_path / "site")
    out = tmp_path / "out"
    core.render(tmp_path / "site" / "site.yml", out)
    return out


def _docs(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def test_kubeadm_config_matches_golden_byte_for_byte(tmp_path: Path) -> None:
    out = _render("multinode", tmp_path)
    rendered = (out / k8s_render.KUBEADM_CONFIG).read_bytes()
    assert rendered == (GOLDEN / "multinode" / k8s_render.KUBEADM_CONFIG).read_bytes()


def test_kubeadm_config_documents_for_ha(tmp_path: Path) -> None:
    site = load_site(SITES / "golden_multinode" / "site.yml").model
    cluster, kubelet, proxy = k8s_render.kubeadm_documents(site)
    entry = matrix.load_matrix().get(site.kubernetes.version)
    assert cluster["apiVersion"] == entry.kubeadm_api == "kubeadm.k8s.io/v1beta4"
    assert cluster["kind"] == "ClusterConfiguration"
    assert cluster["kubernetesVersion"] == f"v{site.kubernetes.version}"
    assert cluster["controlPlaneEndpoint"] == f"{site.kubernetes.api_vip}:6443"
    assert cluster["networking"]["podSubnet"] == str(site.kubernetes.pod_cidr)
    assert cluster["networking"]["serviceSubnet"] == str(site.kubernetes.service_cidr)
    # v1beta4 extraArgs are name/value lists, not maps
    assert all(set(arg) == {"name", "value"} for arg in cluster["apiServer"]["extraArgs"])
    sans = cluster["apiServer"]["certSANs"]
    assert str(site.kubernetes.api_vip) in sans
    for host in site.hosts_with("k8s_control_plane"):
        assert str(host.address) in sans and host.name in sans
    assert kubelet["kind"] == "KubeletConfiguration"
    assert kubelet["cgroupDriver"] == "systemd"
    assert kubelet["containerRuntimeEndpoint"] == "unix:///run/containerd/containerd.sock"
    assert proxy["clusterCIDR"] == str(site.kubernetes.pod_cidr)


def test_disabled_layer_renders_no_kubeadm_config(tmp_path: Path) -> None:
    out = _render("aio", tmp_path)
    assert not load_site(tmp_path / "site" / "site.yml").model.kubernetes.enabled
    gv = yaml.safe_load((out / "group_vars/all/kubernetes.yml").read_text(encoding="utf-8"))
    assert not (out / k8s_render.KUBEADM_CONFIG).exists()
    assert gv["loki_kubernetes_artifacts"] == {}
    assert gv["loki_kubernetes_first_control_plane"] is None


def test_single_control_plane_uses_its_address(tmp_path: Path) -> None:
    shutil.copytree(SITES / "golden_multinode", tmp_path / "site")
    site_file = tmp_path / "site" / "site.yml"
    data = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    data["kubernetes"].pop("api_vip", None)
    cps = [h for h in data["hosts"] if "k8s_control_plane" in h["roles"]]
    for host in cps[1:]:
        host["roles"].remove("k8s_control_plane")
    site_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    core.render(site_file, out)
    cluster = _docs(out / k8s_render.KUBEADM_CONFIG)[0]
    assert cluster["controlPlaneEndpoint"] == f"{cps[0]['address']}:6443"
    gv = yaml.safe_load((out / "group_vars/all/kubernetes.yml").read_text(encoding="utf-8"))
    assert gv["loki_kubernetes_api_vip"] is None
    assert not any("kube-vip" in i for i in gv["loki_kubernetes_images"])


def test_group_vars_carry_what_the_roles_read(tmp_path: Path) -> None:
    out = _render("multinode", tmp_path)
    gv = yaml.safe_load((out / "group_vars/all/kubernetes.yml").read_text(encoding="utf-8"))
    site = load_site(tmp_path / "site" / "site.yml").model
    cps = site.hosts_with("k8s_control_plane")
    assert gv["loki_kubernetes_first_control_plane"] == cps[0].name
    assert [h["name"] for h in gv["loki_kubernetes_control_plane_hosts"]] == [h.name for h in cps]
    assert gv["loki_kubernetes_kubeadm_config_file"] == "{{ inventory_dir }}/kubernetes/kubeadm-config.yaml"
    assert gv["loki_kubernetes_kubeconfig_file"] == "{{ inventory_dir }}/../site/multinode.kubeconfig"
    entry = matrix.load_matrix().get(site.kubernetes.version)
    assert gv["loki_kubernetes_artifacts"] == matrix.artifacts_by_arch(entry, site.kubernetes.cni)
    names = {f["name"] for f in gv["loki_kubernetes_artifacts"]["amd64"]}
    assert site.kubernetes.cni == "cilium"
    assert "cilium-chart" in names and "tigera-operator" not in names  # only the site's CNI
    assert gv["loki_kubernetes_pause_image"] == entry.pause_image
    assert gv["loki_kubernetes_api_port"] == 6443
    assert gv["loki_kubernetes_openstack_integration"] is site.openstack.enabled


def test_mirrors_reach_the_group_vars(tmp_path: Path) -> None:
    shutil.copytree(SITES / "golden_multinode", tmp_path / "site")
    site_file = tmp_path / "site" / "site.yml"
    data = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    data["kubernetes"]["artifacts_mirror"] = "http://mirror.lab.example:8080/k8s/"
    data["kubernetes"]["registry_mirror"] = "registry.lab.example:5000/k8s"
    site_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    core.render(site_file, out)
    gv = yaml.safe_load((out / "group_vars/all/kubernetes.yml").read_text(encoding="utf-8"))
    assert gv["loki_kubernetes_artifacts_mirror"] == "http://mirror.lab.example:8080/k8s"
    assert gv["loki_kubernetes_registry_mirror"] == "registry.lab.example:5000/k8s"
