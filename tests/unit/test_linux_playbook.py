"""How the Linux layer's playbook wires its roles: the installed packages and the facts every task copies."""

from __future__ import annotations

import re
from typing import Any

import yaml
from support import ROOT

PLAYBOOK = ROOT / "playbooks" / "linux.yml"


def _play() -> dict[str, Any]:
    plays = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    assert len(plays) == 1
    play: dict[str, Any] = plays[0]
    return play


def _role_names(play: dict[str, Any]) -> list[str]:
    return [r["role"] if isinstance(r, dict) else r for r in play["roles"]]


def _options(role: str) -> dict[str, Any]:
    specs = yaml.safe_load(
        (ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8")
    )
    options: dict[str, Any] = specs["argument_specs"]["main"]["options"]
    return options


def test_every_role_with_an_installed_packages_input_gets_base_packages_result() -> None:
    play = _play()
    roles = _role_names(play)
    takers = [r for r in roles if f"{r}_installed_packages" in _options(r)]
    assert len(takers) >= 10  # the base and hardening roles that install packages
    for role in takers:
        assert (
            play["vars"][f"{role}_installed_packages"] == "{{ base_packages_installed | default(none) }}"
        ), role
        # base_packages publishes the list before the role runs
        assert roles.index("base_packages") < roles.index(role)
    # and no role input is mapped for a role that does not take it
    mapped = {
        k.removesuffix("_installed_packages") for k in play["vars"] if k.endswith("_installed_packages")
    }
    assert mapped == set(takers)


def test_no_role_task_reads_the_package_facts_directly() -> None:
    """Package facts are ~30 KB per host, copied for every task: only role defaults may fall back to them."""
    offenders = []
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"ansible_facts\.packages|package_facts", line) and not line.lstrip().startswith(
                "#"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_each_installed_packages_default_falls_back_to_the_package_facts() -> None:
    for defaults in sorted((ROOT / "roles").glob("*/defaults/main.yml")):
        role = defaults.parent.parent.name
        values = yaml.safe_load(defaults.read_text(encoding="utf-8")) or {}
        key = f"{role}_installed_packages"
        if key in _options(role):
            assert values[key] == "{{ ansible_facts.packages | default(none) }}", role
            assert _options(role)[key]["type"] == "raw"


def test_the_play_drops_cached_facts_and_gathers_a_small_subset() -> None:
    play = _play()
    assert play["gather_facts"] is False
    first, second = play["pre_tasks"][:2]
    assert first["ansible.builtin.meta"] == "clear_facts"
    subset = second["ansible.builtin.setup"]["gather_subset"]
    assert subset[:2] == ["!all", "!min"]
    assert set(subset[2:]) == {"distribution", "platform", "virtual"}
    assert "always" in first["tags"] and "always" in second["tags"]


def test_base_packages_reads_dpkg_and_publishes_the_installed_names() -> None:
    tasks = yaml.safe_load(
        (ROOT / "roles" / "base_packages" / "tasks" / "packages.yml").read_text(encoding="utf-8")
    )
    reads = [t for t in tasks if "ansible.builtin.command" in t]
    # both reads run the one query whose lines the role parses
    assert [t["ansible.builtin.command"]["argv"] for t in reads] == ["{{ __base_packages_dpkg_query }}"] * 2
    variables = yaml.safe_load(
        (ROOT / "roles" / "base_packages" / "vars" / "main.yml").read_text(encoding="utf-8")
    )
    query = variables["__base_packages_dpkg_query"]
    assert query[:2] == ["dpkg-query", "--show"]
    assert query[2] == "--showformat=${db:Status-Status} ${Package}\\n"
    assert all(t["changed_when"] is False and t["check_mode"] is False for t in reads)
    publish = tasks[-1]["ansible.builtin.set_fact"]
    assert list(publish) == ["base_packages_installed"]


def test_the_dpkg_status_lines_parse_to_installed_names_only() -> None:
    """The role's filter chain, templated by Ansible on dpkg-query's "<status> <name>" lines."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    variables = yaml.safe_load(
        (ROOT / "roles" / "base_packages" / "vars" / "main.yml").read_text(encoding="utf-8")
    )
    lines = [
        "installed sudo",
        "config-files telnet",
        "installed libc6",
        "not-installed ufw",
        "half-installed x",
    ]
    templar = Templar(loader=DataLoader(), variables={"__base_packages_dpkg": {"stdout_lines": lines}})
    assert templar.template(trust_as_template(variables["__base_packages_present"])) == ["sudo", "libc6"]
