"""The lab directory: key pair, lab site file (admin user with the lab key, Ansible settings), inventory."""

from __future__ import annotations

from pathlib import Path

import yaml
from cryptography.hazmat.primitives.serialization import load_ssh_private_key, load_ssh_public_key
from support import EXAMPLES, mode

from lokictl import core
from lokictl.lab.bootstrap import host_keys
from lokictl.lab.core import HostStatus, format_status
from lokictl.lab.labdir import ensure_key, lab_dir, lab_site_data, write_lab_site
from lokictl.site import load_site

PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlab lokictl-lab-x"


def test_key_pair_is_generated_once_with_private_modes(tmp_path: Path) -> None:
    lab = lab_dir("x", tmp_path)
    line = ensure_key(lab)
    assert line.startswith("ssh-ed25519 ") and line.endswith(" lokictl-lab-x")
    assert mode(lab.key) == 0o600 and mode(lab.public_key) == 0o600
    private = load_ssh_private_key(lab.key.read_bytes(), password=None)
    public = load_ssh_public_key(" ".join(line.split()[:2]).encode())
    assert private.public_key() == public
    assert ensure_key(lab) == line


def test_lab_site_gives_the_first_admin_the_lab_key() -> None:
    data = {
        "linux": {"admin_users": [{"name": "alice", "ssh_keys": ["ssh-ed25519 AAAA other"]}, {"name": "bob"}]}
    }
    lab, admin = lab_site_data(data, PUB)
    assert admin == "alice"
    assert lab["linux"]["admin_users"][0]["ssh_keys"] == ["ssh-ed25519 AAAA other", PUB]
    assert lab["linux"]["admin_users"][1] == {"name": "bob"}
    assert lab["ansible"] == {
        "user": "alice",
        "private_key_file": "id_ed25519",
        "known_hosts_file": "known_hosts",
    }
    assert data["linux"]["admin_users"][0]["ssh_keys"] == ["ssh-ed25519 AAAA other"]
    again, _ = lab_site_data(lab, PUB)
    assert again["linux"]["admin_users"][0]["ssh_keys"].count(PUB) == 1


def test_lab_site_adds_ops_when_there_is_no_admin() -> None:
    lab, admin = lab_site_data({"ansible": {"port": 2222}}, PUB)
    assert admin == "ops"
    assert lab["linux"]["admin_users"] == [{"name": "ops", "ssh_keys": [PUB]}]
    assert lab["ansible"] == {
        "port": 2222,
        "user": "ops",
        "private_key_file": "id_ed25519",
        "known_hosts_file": "known_hosts",
    }


def test_lab_site_validates_and_renders_a_key_path_ansible_finds(tmp_path: Path, fast_keys: None) -> None:
    lab = lab_dir("ml", tmp_path)
    public = ensure_key(lab)
    admin = write_lab_site(lab, (EXAMPLES / "multinode.yml").read_text(), "the example", public)
    assert admin == "ops"
    model = load_site(lab.site).model
    assert model.ansible.user == "ops"
    assert model.linux.admin_users[0].ssh_keys == [public]
    assert [h.name for h in model.hosts] == ["ctl1", "ctl2", "ctl3", "cmp1", "cmp2"]
    core.render(lab.site, lab.inventory)
    conn = yaml.safe_load((lab.inventory / "group_vars/all/connection.yml").read_text())
    assert conn["ansible_user"] == "ops"
    assert conn["ansible_become"] is True
    assert conn["ansible_ssh_private_key_file"] == "{{inventory_dir}}/../id_ed25519"
    # host keys are checked against the lab's own known_hosts file (labs/<name>/known_hosts) only
    assert lab.known_hosts == lab.root / "known_hosts"
    assert conn["ansible_ssh_common_args"] == (
        "-o 'UserKnownHostsFile=\"{{inventory_dir}}/../known_hosts\"' -o StrictHostKeyChecking=yes"
    )
    before = lab.site.stat().st_mtime_ns
    write_lab_site(lab, (EXAMPLES / "multinode.yml").read_text(), "the example", public)
    assert lab.site.stat().st_mtime_ns == before


def test_host_keys_parses_public_key_lines() -> None:
    text = "ssh-ed25519 AAAA1 root@h\necdsa-sha2-nistp256 AAAA2 root@h\nnoise\nssh-rsa AAAA3\n"
    assert host_keys(text) == ["ssh-ed25519 AAAA1", "ecdsa-sha2-nistp256 AAAA2", "ssh-rsa AAAA3"]


def test_status_table() -> None:
    table = format_status(
        [
            HostStatus("ctl1", "running", "10.10.0.11", "lokictl-x-ctl1", "running"),
            HostStatus("cmp10", "missing", "10.10.0.21", ""),
        ]
    )
    assert table.splitlines() == [
        "HOST   STATE    ADDRESS     SYSTEMD  CONTAINER",
        "ctl1   running  10.10.0.11  running  lokictl-x-ctl1",
        "cmp10  missing  10.10.0.21  -        -",
    ]
