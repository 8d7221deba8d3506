"""The manifests the roles render, validated against the API schemas of the pinned Kubernetes version.

The manifests are rendered by the roles themselves (ansible-playbook on this machine, the inventory written
by `lokictl render` for the multinode example), then every built-in object is checked with
kubernetes-validate's offline schemas in strict mode (unknown fields are errors). Calico's Installation and
APIServer are custom resources of the tigera operator, whose schemas are not available offline: their
structure is asserted instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lokictl import core
from lokictl.k8s import matrix

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

PLAYBOOK = """\
- name: Render the Kubernetes add-on manifests with the roles
  hosts: ctl1
  gather_facts: false
  tasks:
    - name: Render the OpenStack CCM, Cinder CSI and storage class
      ansible.builtin.include_role:
        name: k8s_openstack
        tasks_from: manifests.yml
      vars:
        k8s_openstack_addons_dir: "{{ out }}/openstack"
    - name: Render the Cilium values
      ansible.builtin.include_role:
        name: k8s_cni
        tasks_from: manifests.yml
      vars:
        k8s_cni_plugin: cilium
        k8s_cni_addons_dir: "{{ out }}/cilium"
    - name: Render the Calico custom resources
      ansible.builtin.include_role:
        name: k8s_cni
        tasks_from: manifests.yml
      vars:
        k8s_cni_plugin: calico
        k8s_cni_addons_dir: "{{ out }}/calico"
    - name: Render the kube-vip static pod
      ansible.builtin.include_role:
        name: k8s_control_plane
        tasks_from: kube_vip.yml
      vars:
        k8s_control_plane_manifests_dir: "{{ out }}/kube-vip"
        __k8s_control_plane_kube_vip_kubeconfig: /etc/kubernetes/admin.conf
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("k8s-manifests")
    site = work / "site.yml"
    core.init_site(site, example="multinode")
    inventory = work / "inventory"
    core.render(site, inventory)
    out = work / "out"
    (work / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = {
        **os.environ,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
    }
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(inventory / "hosts.yml"),
            "-e",
            f"out={out}",
            "-e",
            "ansible_connection=local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            str(work / "play.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _k8s_version() -> str:
    site_version = "1.34.2"  # the multinode example's pinned version
    major, minor, _ = matrix.version_tuple(site_version)
    return f"{major}.{minor}"


@pytest.mark.parametrize(
    "relative",
    [
        "openstack/openstack-ccm.yaml",
        "openstack/cinder-csi.yaml",
        "openstack/storageclass.yaml",
        "kube-vip/kube-vip.yaml",
    ],
)
def test_manifest_valid_for_pinned_version(rendered: Path, relative: str) -> None:
    docs = _docs(rendered / relative)
    assert docs
    for doc in docs:
        validated = kubernetes_validate.validate(doc, _k8s_version(), strict=True)
        assert validated == _k8s_version()


def test_validation_rejects_a_broken_manifest(rendered: Path) -> None:
    doc = _docs(rendered / "openstack/storageclass.yaml")[0]
    doc["provisionr"] = doc.pop("provisioner")  # a typo must not pass as valid
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, _k8s_version(), strict=True)


def test_cinder_class_is_the_only_default(rendered: Path) -> None:
    [sc] = _docs(rendered / "openstack/storageclass.yaml")
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc["provisioner"] == "cinder.csi.openstack.org"


def test_openstack_images_come_from_the_matrix(rendered: Path) -> None:
    pinned = set(matrix.load_matrix().get("1.34.2").images.openstack)
    used = {
        c["image"]
        for name in ("openstack-ccm.yaml", "cinder-csi.yaml")
        for d in _docs(rendered / "openstack" / name)
        if d["kind"] in ("Deployment", "DaemonSet")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert used <= pinned, used - pinned


def test_kube_vip_holds_the_site_vip(rendered: Path) -> None:
    [pod] = _docs(rendered / "kube-vip/kube-vip.yaml")
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["address"] == "10.10.0.251"
    assert env["vip_interface"] == "eth0"
    assert pod["spec"]["containers"][0]["image"] in matrix.load_matrix().get("1.34.2").images.kube_vip


def test_calico_custom_resources(rendered: Path) -> None:
    installation, apiserver = _docs(rendered / "calico/calico-installation.yaml")
    for doc in (installation, apiserver):
        assert doc["apiVersion"] == "operator.tigera.io/v1"
        with pytest.raises(kubernetes_validate.SchemaNotFoundError):  # a custom resource: no offline schema
            kubernetes_validate.validate(doc, _k8s_version(), strict=True)
    pools = installation["spec"]["calicoNetwork"]["ipPools"]
    assert [p["cidr"] for p in pools] == ["10.244.0.0/16"]
    assert apiserver["kind"] == "APIServer"


def test_cilium_values_point_at_the_api_and_pod_network(rendered: Path) -> None:
    values = yaml.safe_load((rendered / "cilium/cilium-values.yaml").read_text(encoding="utf-8"))
    assert values["k8sServiceHost"] == "10.10.0.251"
    assert values["k8sServicePort"] == 6443
    assert values["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"] == ["10.244.0.0/16"]
    assert values["operator"]["replicas"] == 2
