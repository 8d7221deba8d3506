"""Verify k8s_prereqs on a real lab host: containerd from Debian running and configured, kernel files written."""

import pytest

SYSCTLS = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.ipv4.ip_forward": "1",
}


def test_containerd_package_from_debian(host):
    pkg = host.package("containerd")
    assert pkg.is_installed
    assert "~ds" in pkg.version  # the Debian build, not an upstream tarball


def test_containerd_running_and_enabled(host):
    svc = host.service("containerd")
    assert svc.is_running
    assert svc.is_enabled


def test_ctr_talks_to_the_daemon(host):
    out = host.check_output("ctr version")
    assert "Server:" in out
    server = out.split("Server:", 1)[1]
    assert "Version:" in server


def test_cri_plugin_uses_systemd_cgroups_and_pinned_pause(host):
    dump = host.check_output("containerd config dump")
    assert "SystemdCgroup = true" in dump
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.1"' in dump
    assert 'config_path = "/etc/containerd/certs.d"' in dump


@pytest.mark.parametrize("registry", ["registry.k8s.io", "quay.io", "ghcr.io", "docker.io"])
def test_registry_mirror_hosts(host, registry):
    f = host.file(f"/etc/containerd/certs.d/{registry}/hosts.toml")
    assert f.exists
    assert '[host."https://registry.lab.example:5000/v2/k8s"]' in f.content_string
    assert "override_path = true" in f.content_string


def test_modules_persisted(host):
    lines = host.file("/etc/modules-load.d/k8s.conf").content_string.splitlines()
    assert "overlay" in lines
    assert "br_netfilter" in lines


def test_sysctls_persisted(host):
    content = host.file("/etc/sysctl.d/90-k8s.conf").content_string
    for key, value in SYSCTLS.items():
        assert f"{key} = {value}" in content.splitlines()


def test_runc_installed(host):
    assert host.exists("runc")
