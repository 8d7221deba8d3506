"""What kolla-ansible expects of a host after openstack_kolla_host, checked on the lab host."""

from __future__ import annotations

import json
from typing import Any


def test_docker_runs_with_the_given_configuration(host: Any) -> None:
    assert host.service("docker").is_running
    assert host.service("docker").is_enabled
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon == {
        "bridge": "none",
        "insecure-registries": ["registry.lab.example:5000"],
        "iptables": False,
        "log-opts": {"max-file": "5", "max-size": "50m"},
        "storage-driver": "overlay2",
    }
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["Driver"] == "overlay2"
    assert info["RegistryConfig"]["IndexConfigs"]["registry.lab.example:5000"]["Secure"] is False


def test_python_libraries_for_kolla_modules(host: Any) -> None:
    host.run_expect([0], "/usr/bin/python3 -c 'import docker, dbus'")


def test_kolla_user_group_sudo_and_config_dir(host: Any) -> None:
    user = host.user("kolla")
    assert user.group == "kolla" and "docker" in user.groups
    sudoers = host.file("/etc/sudoers.d/kolla-ansible-users")
    assert sudoers.mode == 0o440 and "kolla ALL=(ALL) NOPASSWD: ALL" in sudoers.content_string
    config = host.file("/etc/kolla")
    assert config.is_directory and config.user == "kolla" and config.group == "kolla"
    assert host.run("sudo -n -u kolla docker info --format '{{.Driver}}'").stdout.strip() == "overlay2"


def test_hosts_resolve_to_management_addresses(host: Any) -> None:
    assert host.check_output("getent ahostsv4 okh-peer").split()[0] == "192.0.2.20"
    hosts = host.file("/etc/hosts").content_string
    assert "# BEGIN lokictl openstack hosts" in hosts and "okh-node.lab.example okh-node" in hosts
    assert "127.0.1.1" not in hosts
