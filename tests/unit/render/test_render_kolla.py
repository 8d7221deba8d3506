"""kolla-ansible inputs: password kinds follow the installed kolla-ansible's genpwd.py, generated values have
the right shape, existing passwords are kept, inventory groups come from its multinode inventory."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from lokictl.errors import RuntimeFailure
from lokictl.render import kolla


def _genpwd_path() -> Path:
    dist = importlib.metadata.distribution("kolla-ansible")
    for f in dist.files or ():
        if str(f).replace("\\", "/").endswith("kolla_ansible/cmd/genpwd.py"):
            return Path(str(dist.locate_file(f)))
    raise AssertionError("kolla-ansible does not ship kolla_ansible/cmd/genpwd.py")


def _genpwd_lists() -> dict[str, Any]:
    """Return the literal assignments in genpwd.py's main() (uuid_keys, ..., length), without importing it."""
    tree = ast.parse(_genpwd_path().read_text(encoding="utf-8"))
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    found: dict[str, Any] = {}
    for node in ast.walk(main):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def test_password_kinds_match_kolla_ansible_genpwd() -> None:
    upstream = _genpwd_lists()
    assert set(upstream["uuid_keys"]) == kolla.UUID_KEYS
    assert set(upstream["ssh_keys"]) == kolla.SSH_KEYS
    assert set(upstream["blank_keys"]) == kolla.BLANK_KEYS
    assert set(upstream["hmac_md5_keys"]) == kolla.HMAC_MD5_KEYS
    assert set(upstream["fernet_keys"]) == kolla.FERNET_KEYS
    assert set(upstream["bcrypt_keys"]) == kolla.BCRYPT_KEYS
    assert upstream["length"] == kolla.PASSWORD_LENGTH


def test_genpwd_passes_exactly_these_lists() -> None:
    """genpwd() is called with the lists we mirror; a new kind of key upstream would show up here."""
    tree = ast.parse(_genpwd_path().read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "genpwd"]
    assert len(calls) == 1
    args = [a.id for a in calls[0].args if isinstance(a, ast.Name)]
    assert args == [
        "passwords_file",
        "length",
        "uuid_keys",
        "ssh_keys",
        "blank_keys",
        "fernet_keys",
        "hmac_md5_keys",
        "bcrypt_keys",
    ]


def test_special_keys_exist_in_the_passwords_template() -> None:
    keys = set(kolla.password_keys())
    specials = (
        kolla.UUID_KEYS
        | kolla.SSH_KEYS
        | kolla.BLANK_KEYS
        | kolla.HMAC_MD5_KEYS
        | kolla.FERNET_KEYS
        | kolla.BCRYPT_KEYS
    )
    assert specials <= keys
    assert len(keys) > 100


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("database_password", r"[A-Za-z0-9]{40}"),
        ("rbd_secret_uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        ("designate_rndc_key", r"[0-9a-f]{32}"),
        ("barbican_crypto_key", r"[A-Za-z0-9_-]{43}="),
        ("prometheus_bcrypt_salt", r"[./A-Za-z0-9]{22}"),
    ],
)
def test_generated_value_shapes(key: str, pattern: str) -> None:
    values = {kolla.new_secret(key) for _ in range(5)}
    assert len(values) == 5, "values must be random"
    for value in values:
        assert re.fullmatch(pattern, value), (key, value)
    if key in kolla.UUID_KEYS:
        assert all(uuid.UUID(v).version == 4 for v in values)


def test_fernet_key_is_accepted_by_cryptography() -> None:
    from cryptography.fernet import Fernet

    Fernet(kolla.new_secret("barbican_crypto_key"))


def test_blank_key_stays_empty() -> None:
    assert kolla.new_secret("docker_registry_password") is None


def test_real_ssh_key_generation() -> None:
    """The real generator (replaced by a small key elsewhere for speed): 4096-bit RSA, OpenSSH public key."""
    from cryptography.hazmat.primitives import serialization

    pair = kolla.new_secret("kolla_ssh_key")
    assert set(pair) == {"private_key", "public_key"}
    private = serialization.load_pem_private_key(pair["private_key"].encode(), password=None)
    assert private.key_size == 4096  # type: ignore[union-attr]
    assert pair["public_key"].startswith("ssh-rsa ")
    public = serialization.load_ssh_public_key(pair["public_key"].encode())
    assert public.public_numbers() == private.public_key().public_numbers()  # type: ignore[union-attr]


@pytest.mark.usefixtures("fast_keys")
class TestMergePasswords:
    def test_fresh_file_has_every_key(self) -> None:
        content, added = kolla.merge_passwords(None)
        data = yaml.safe_load(content)
        assert sorted(data) == sorted(kolla.password_keys())
        assert sorted(added) == sorted(k for k in kolla.password_keys() if k not in kolla.BLANK_KEYS)
        assert content.startswith(b"# Generated by lokictl")

    def test_complete_file_is_returned_byte_identical(self) -> None:
        content, _ = kolla.merge_passwords(None)
        again, added = kolla.merge_passwords(content)
        assert again is content or again == content
        assert added == []

    def test_hand_formatted_complete_file_is_kept_as_is(self) -> None:
        content, _ = kolla.merge_passwords(None)
        data = yaml.safe_load(content)
        custom = (
            "# my own comment\n" + yaml.safe_dump(data, default_flow_style=False, sort_keys=False)
        ).encode()
        assert kolla.merge_passwords(custom) == (custom, [])

    def test_missing_key_is_added_others_kept(self) -> None:
        content, _ = kolla.merge_passwords(None)
        data = yaml.safe_load(content)
        del data["keystone_admin_password"]
        data["nova_ssh_key"] = {"private_key": None, "public_key": None}
        merged, added = kolla.merge_passwords(yaml.safe_dump(data).encode())
        result = yaml.safe_load(merged)
        assert sorted(added) == ["keystone_admin_password", "nova_ssh_key"]
        assert result["keystone_admin_password"] and result["nova_ssh_key"]["private_key"]
        for key, value in data.items():
            if key != "nova_ssh_key":
                assert result[key] == value, key

    def test_null_value_is_generated_like_genpwd(self) -> None:
        content, _ = kolla.merge_passwords(None)
        data = yaml.safe_load(content)
        data["database_password"] = None
        data["docker_registry_password"] = None
        merged, added = kolla.merge_passwords(yaml.safe_dump(data).encode())
        assert added == ["database_password"]
        assert yaml.safe_load(merged)["docker_registry_password"] is None

    def test_unknown_keys_in_existing_file_are_kept(self) -> None:
        content, _ = kolla.merge_passwords(None)
        data = yaml.safe_load(content)
        data["my_extra_secret"] = "keep-me"
        del data["database_password"]
        merged, _ = kolla.merge_passwords(yaml.safe_dump(data).encode())
        assert yaml.safe_load(merged)["my_extra_secret"] == "keep-me"

    def test_empty_existing_file_is_filled(self) -> None:
        content, added = kolla.merge_passwords(b"")
        assert sorted(yaml.safe_load(content)) == sorted(kolla.password_keys())
        assert added

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b"a: [1, 2\n", "existing kolla/passwords.yml is not valid YAML"),
            (b"- a\n- b\n", "existing kolla/passwords.yml is not a mapping; fix or move it"),
            (b"just text\n", "existing kolla/passwords.yml is not a mapping; fix or move it"),
        ],
    )
    def test_corrupt_file_is_an_error(self, raw: bytes, message: str) -> None:
        with pytest.raises(RuntimeFailure) as exc:
            kolla.merge_passwords(raw)
        assert exc.value.message.startswith(message)


def test_upstream_groups_match_kolla_multinode_inventory() -> None:
    text = kolla.kolla_ansible_file("ansible/inventory/multinode").read_text(encoding="utf-8")
    sections = re.findall(r"^\[([^\]]+)\]\s*$", text, flags=re.M)
    groups = kolla.upstream_groups()
    assert [name for name, _ in groups] == sections
    assert len(sections) > 100
    assert set(kolla.HOST_GROUPS) <= set(sections)
    children = dict(groups)
    assert children["keystone:children"] == ("control",)
    assert children["neutron-ovn-agent:children"] == ("compute", "network")


def test_inventory_sections_put_site_hosts_only_in_host_groups() -> None:
    sections = dict(kolla.inventory_sections({"control": ["c1 ansible_host=10.0.0.1"], "compute": ["x"]}))
    assert sections["control"] == ["c1 ansible_host=10.0.0.1"]
    assert sections["compute"] == ["x"]
    assert sections["network"] == []
    assert sections["deployment"] == ["localhost ansible_connection=local"]
    assert sections["glance:children"] == ["control"]


def test_missing_kolla_file_is_a_runtime_failure() -> None:
    with pytest.raises(RuntimeFailure) as exc:
        kolla.kolla_ansible_file("no/such/file")
    assert "does not ship share/kolla-ansible/no/such/file" in exc.value.message


def test_placeholders_for_dry_runs() -> None:
    content, added = kolla.merge_passwords(None, kolla.placeholder_secret)
    data = yaml.safe_load(content)
    assert sorted(data) == sorted(kolla.password_keys())
    assert data["database_password"] == "<generated on render>"
    assert data["kolla_ssh_key"] == {
        "private_key": "<generated on render>",
        "public_key": "<generated on render>",
    }
    assert data["docker_registry_password"] is None
    assert "docker_registry_password" not in added
