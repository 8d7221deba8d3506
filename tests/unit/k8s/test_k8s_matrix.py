"""The version matrix shipped in the package: schema, checksums, and what it resolves to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import FIXTURES

from lokictl import rules
from lokictl.errors import InputError
from lokictl.k8s import matrix

SHA = re.compile(r"^[0-9a-f]{64}$")


def test_packaged_matrix_loads_and_rules_use_it() -> None:
    m = matrix.load_matrix()
    assert m.names() == sorted(m.versions, key=matrix.version_tuple)
    assert tuple(m.names()) == rules.SUPPORTED_K8S_VERSIONS
    assert "1.34.2" in m.versions


@pytest.mark.parametrize("version", matrix.supported_versions())
def test_every_version_pins_the_node_binaries_for_both_arches(version: str) -> None:
    entry = matrix.load_matrix().get(version)
    assert entry.kubeadm_api == "kubeadm.k8s.io/v1beta4"
    names = {a.name for a in entry.files}
    assert {"kubeadm", "kubelet", "kubectl", "crictl", "cni-plugins", "helm"} <= names
    for a in entry.files:
        if a.name in {"kubeadm", "kubelet", "kubectl"}:
            assert a.version == version
            assert f"/v{version}/" in a.url
        for arch in matrix.ARCHES:
            sha = a.checksum(arch)
            if a.name in {"cilium-chart", "tigera-operator"}:
                assert sha is None  # documented as unverified in the matrix and docs/kubernetes.md
            else:
                assert sha is not None and SHA.match(sha), (a.name, arch)


def test_checksums_differ_per_file_and_arch() -> None:
    entry = matrix.load_matrix().get("1.34.2")
    pinned = [sha for a in entry.files for sha in a.sha256.values() if sha]
    assert len(pinned) == len(set(pinned))


def test_resolved_files_substitute_arch_and_keep_mirror_paths() -> None:
    entry = matrix.load_matrix().get("1.34.2")
    files = {f["name"]: f for f in matrix.resolved_files(entry, "arm64")}
    assert files["kubelet"]["url"] == "https://dl.k8s.io/release/v1.34.2/bin/linux/arm64/kubelet"
    assert files["kubelet"]["path"] == "kubernetes/v1.34.2/arm64/kubelet"
    assert files["helm"]["members"] == ["linux-arm64/helm"]
    assert files["helm"]["nodes"] == "control_plane"
    assert all("{arch}" not in str(v) for f in files.values() for v in f.values())


def test_unverified_lists_the_unpinned_files() -> None:
    entry = matrix.load_matrix().get("1.34.2")
    assert matrix.unverified(entry) == ["cilium-chart (all)", "tigera-operator (all)"]
    assert matrix.unverified(entry, "calico") == ["tigera-operator (all)"]


def test_cni_files_follow_the_chosen_cni() -> None:
    entry = matrix.load_matrix().get("1.34.2")
    calico = {f["name"] for f in matrix.resolved_files(entry, "amd64", "calico")}
    assert "tigera-operator" in calico and "cilium-chart" not in calico
    every = {f["name"] for f in matrix.resolved_files(entry, "amd64")}
    assert {"tigera-operator", "cilium-chart"} <= every


def test_images_follow_the_configuration() -> None:
    entry = matrix.load_matrix().get("1.34.2")
    cilium = matrix.images_for(entry, "cilium", openstack=False, kube_vip=False)
    assert "quay.io/cilium/cilium:v1.18.4" in cilium
    assert not any("calico" in i or "kube-vip" in i or "provider-os" in i for i in cilium)
    full = matrix.images_for(entry, "calico", openstack=True, kube_vip=True)
    assert "registry.k8s.io/pause:3.10.1" in full
    assert "ghcr.io/kube-vip/kube-vip:v1.0.1" in full
    assert "registry.k8s.io/provider-os/cinder-csi-plugin:v1.34.1" in full
    assert len(full) == len(set(full))


def test_unknown_version_names_the_supported_ones() -> None:
    with pytest.raises(
        InputError, match=r"Kubernetes 1\.99\.0 is not in the version matrix \(supported: 1\.34\.2"
    ):
        matrix.load_matrix().get("1.99.0")


@pytest.mark.parametrize("bad", ["1.34", "v1.x.0", "latest"])
def test_version_tuple_rejects_non_versions(bad: str) -> None:
    with pytest.raises(InputError, match="is not a Kubernetes version"):
        matrix.version_tuple(bad)


def test_invalid_matrix_is_an_input_error(tmp_path: Path) -> None:
    text = (FIXTURES / "k8s" / "test-matrix.yml").read_text(encoding="utf-8")
    bad = tmp_path / "m.yml"
    bad.write_text(
        text.replace("https://artifacts.invalid/tools/v1/hello-tool", "http://x/hello", 1), "utf-8"
    )
    with pytest.raises(InputError, match="upstream URL must use https"):
        matrix.load_matrix(bad)
    bad.write_text(text.replace("ae72d166180c9e94", "ae72d166180c9e9", 1), "utf-8")
    with pytest.raises(
        InputError, match=r"invalid version matrix at versions\.9\.9\.1\.files\.0\.sha256\.all"
    ):
        matrix.load_matrix(bad)
