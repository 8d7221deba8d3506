"""``ansible.known_hosts_file``: rendered as strict ``ansible_ssh_common_args`` in both inventories.

The value must survive three splitters: the kolla INI host line (shlex), Ansible's split of ssh arguments
(shlex) and ssh's own parsing of ``UserKnownHostsFile`` (a whitespace-separated list, double quotes group).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support import EXAMPLES

from lokictl import core
from lokictl.render import ini_value, ssh_known_hosts_args

pytestmark = pytest.mark.usefixtures("fast_keys")


def render_with(tmp_path: Path, ansible: dict[str, Any], example: str = "aio") -> Path:
    """Render the example with extra ``ansible`` settings from ``tmp_path/site`` to ``tmp_path/out``."""
    data = yaml.safe_load((EXAMPLES / f"{example}.yml").read_text())
    data["ansible"] = {**(data.get("ansible") or {}), **ansible}
    site = tmp_path / "site" / "site.yml"
    site.parent.mkdir()
    site.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    core.render(site, out)
    return out


def connection(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((out / "group_vars/all/connection.yml").read_text())
    return data


def kolla_host_vars(out: Path, host: str) -> dict[str, str]:
    """Split a host line of the kolla INI inventory the way Ansible's INI parser does (POSIX shlex)."""
    line = next(
        line for line in (out / "kolla/inventory").read_text().splitlines() if line.startswith(host + " ")
    )
    return dict(token.split("=", 1) for token in shlex.split(line, comments=True)[1:])


def test_no_known_hosts_file_renders_no_ssh_arguments(tmp_path: Path) -> None:
    out = render_with(tmp_path, {})
    assert "ansible_ssh_common_args" not in connection(out)
    assert "ansible_ssh_common_args" not in (out / "kolla/inventory").read_text()
    assert "-o StrictHostKeyChecking=accept-new" in (out / "ansible.cfg").read_text()


def test_relative_known_hosts_file_is_found_from_each_inventory(tmp_path: Path) -> None:
    out = render_with(tmp_path, {"known_hosts_file": "known_hosts"}, "multinode")
    strict = "-o StrictHostKeyChecking=yes"
    expected = f"-o 'UserKnownHostsFile=\"{{{{inventory_dir}}}}/../site/known_hosts\"' {strict}"
    assert connection(out)["ansible_ssh_common_args"] == expected
    for host in ("ctl1", "cmp2"):
        kvars = kolla_host_vars(out, host)
        from_kolla = f"-o 'UserKnownHostsFile=\"{{{{inventory_dir}}}}/../../site/known_hosts\"' {strict}"
        assert kvars["ansible_ssh_common_args"] == from_kolla
        assert kvars["ansible_user"] == "root" and kvars["ansible_become"] == "False"
    # Ansible splits the value into ssh arguments; ssh reads the double-quoted path as one file
    assert shlex.split(connection(out)["ansible_ssh_common_args"]) == [
        "-o",
        'UserKnownHostsFile="{{inventory_dir}}/../site/known_hosts"',
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    # ssh_args in ansible.cfg come before ssh_common_args and ssh keeps the first value of an option, so
    # ansible.cfg must not set StrictHostKeyChecking itself
    cfg = (out / "ansible.cfg").read_text()
    assert "StrictHostKeyChecking" not in cfg.split("[ssh_connection]", 1)[1].replace("# Host keys", "")


def test_absolute_known_hosts_file_with_spaces_and_percent(tmp_path: Path) -> None:
    out = render_with(tmp_path, {"known_hosts_file": "/srv/lab hosts/50%/known_hosts"})
    value = connection(out)["ansible_ssh_common_args"]
    assert value == "-o 'UserKnownHostsFile=\"/srv/lab hosts/50%%/known_hosts\"' -o StrictHostKeyChecking=yes"
    assert kolla_host_vars(out, "aio1")["ansible_ssh_common_args"] == value
    assert shlex.split(value)[1] == 'UserKnownHostsFile="/srv/lab hosts/50%%/known_hosts"'


def test_ssh_known_hosts_args() -> None:
    assert ssh_known_hosts_args("{{inventory_dir}}/../kh") == (
        "-o 'UserKnownHostsFile=\"{{inventory_dir}}/../kh\"' -o StrictHostKeyChecking=yes"
    )


def test_ini_value_leaves_plain_values_as_they_are() -> None:
    assert [ini_value(v) for v in ("ops", 22, True, "/usr/bin/python3", "{{inventory_dir}}/../k")] == [
        "ops",
        "22",
        "True",
        "/usr/bin/python3",
        "{{inventory_dir}}/../k",
    ]
    assert ini_value("") == '""'
    assert ini_value('a "b" c') == '"a \\"b\\" c"'


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
def test_ini_value_is_one_shlex_token_with_the_value(value: str) -> None:
    tokens = shlex.split(f"host1 key={ini_value(value)} other=1", comments=True)
    assert tokens == ["host1", f"key={value}", "other=1"]
