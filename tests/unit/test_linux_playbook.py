"""How the Linux layer's playbook wires its roles: entry points, input checks, packages and facts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from support import ROOT

PLAYBOOK = ROOT / "playbooks" / "linux.yml"


def _play() -> dict[str, Any]:
    plays = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    assert len(plays) == 1
    play: dict[str, Any] = plays[0]
    return play


def _imports(play: dict[str, Any]) -> list[dict[str, Any]]:
    return [t["ansible.builtin.import_role"] for t in play["tasks"] if "ansible.builtin.import_role" in t]


def _role_names(play: dict[str, Any]) -> list[str]:
    return [str(i["name"]) for i in _imports(play)]


def _specs(role: str) -> dict[str, Any]:
    specs: dict[str, Any] = yaml.safe_load(
        (ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8")
    )["argument_specs"]
    return specs


def _options(role: str) -> dict[str, Any]:
    options: dict[str, Any] = _specs(role)["main"]["options"]
    return options


def _tasks(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def _configure_files(role: str) -> list[Path]:
    """configure.yml and every task file it imports or includes, recursively."""
    tasks_dir = ROOT / "roles" / role / "tasks"
    found: list[Path] = []
    todo = [tasks_dir / "configure.yml"]
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.append(path)
        for task in _tasks(path):
            for key in ("ansible.builtin.import_tasks", "ansible.builtin.include_tasks"):
                if key in task:
                    ref = task[key]
                    todo.append(tasks_dir / (ref["file"] if isinstance(ref, dict) else ref))
    return found


def _apt_tasks(paths: list[Path]) -> list[dict[str, Any]]:
    return [t for path in paths for t in _tasks(path) if "ansible.builtin.apt" in t]


def test_the_layer_runs_each_roles_configure_entry_point_in_the_listed_order() -> None:
    play = _play()
    roles = _role_names(play)
    assert len(roles) == 17 and roles[0] == "base_apt" and roles[-1] == "hardening_aide"
    for entry in _imports(play):
        assert entry["tasks_from"] == "configure", entry
        # no spec for configure: one would bring back a validation task per role
        assert "main" in _specs(entry["name"]) and "configure" not in _specs(entry["name"]), entry["name"]
        # the main entry point (a host on its own) runs the same configure tasks
        main = _tasks(ROOT / "roles" / entry["name"] / "tasks" / "main.yml")
        assert any(t.get("ansible.builtin.import_tasks") == "configure.yml" for t in main), entry["name"]
    assert "roles" not in play
    # the packages of every role come with base_packages, also when --tags selects a single role
    (packages,) = [
        t for t in play["tasks"] if t.get("ansible.builtin.import_role", {}).get("name") == "base_packages"
    ]
    assert "always" in packages["tags"]


def test_one_task_checks_every_roles_inputs_against_its_main_spec() -> None:
    play = _play()
    check = play["tasks"][0]
    # the roles the play imports, in order (Ansible's magic variable;
    # tests/integration/test_linux_input_check.py runs the check on localhost)
    assert check["loop"] == "{{ ansible_play_role_names }}"
    assert "always" in check["tags"]
    args = check["ansible.builtin.validate_argument_spec"]
    assert "'../roles/' ~ item ~ '/meta/argument_specs.yml'" in args["argument_spec"]
    assert args["argument_spec"].endswith(".argument_specs.main.options }}")
    # every input the play sets belongs to a role of the layer and is an option of that role's spec
    roles = _role_names(play)
    for name in play["vars"]:
        if name.startswith("__"):
            continue
        owner = [r for r in roles if name.startswith(r + "_")]
        assert len(owner) == 1, name
        assert name in _options(owner[0]), name


def test_the_configure_entry_points_leave_facts_and_role_packages_to_the_play() -> None:
    for role in _role_names(_play()):
        paths = _configure_files(role)
        for path in paths:
            assert not any("ansible.builtin.setup" in t for t in _tasks(path)), path
        # an apt call for packages left in configure is gated by what base_packages found installed
        # (base_packages itself reads dpkg)
        for task in _apt_tasks(paths) if role != "base_packages" else []:
            if "name" not in task["ansible.builtin.apt"]:
                continue  # an index refresh
            assert f"{role}_installed_packages" in str(task.get("when", "")), (role, task["name"])


def test_the_roles_still_calling_apt_get_base_packages_result() -> None:
    play = _play()
    roles = _role_names(play)
    takers = [
        r
        for r in roles
        if any(f"{r}_installed_packages" in str(t.get("when", "")) for t in _apt_tasks(_configure_files(r)))
        or any(
            f"{r}_installed_packages" in str(t.get("when", ""))
            for path in _configure_files(r)
            for t in _tasks(path)
            if "ansible.builtin.include_tasks" in t
        )
    ]
    assert set(takers) == {"hardening_firewall", "hardening_logging", "hardening_misc"}
    for role in takers:
        assert play["vars"][f"{role}_installed_packages"] == "{{ base_packages_installed | default(none) }}"
        # base_packages publishes the list before the role runs
        assert roles.index("base_packages") < roles.index(role)
    mapped = {
        k.removesuffix("_installed_packages") for k in play["vars"] if k.endswith("_installed_packages")
    }
    assert mapped == set(takers)


def _trusted(value: Any) -> Any:
    """Role files' strings as Ansible trusts them (templates it may render)."""
    from ansible.template import trust_as_template

    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    return value


def test_base_packages_installs_what_the_roles_main_entry_points_would() -> None:
    """The layer skips the roles' own installs: its one transaction must hold every one of their packages."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    play = _play()
    resolve = next(t for t in play["pre_tasks"] if "ansible.builtin.set_fact" in t)
    layer_packages = resolve["ansible.builtin.set_fact"]["__linux_packages"]
    for profile in ("baseline", "strict"):
        templar = Templar(loader=DataLoader(), variables={"__profile": profile})
        installed = set(templar.template(trust_as_template(layer_packages)))
        for role in _role_names(play):
            variables: dict[str, Any] = {}
            for part in ("defaults", "vars"):
                path = ROOT / "roles" / role / part / "main.yml"
                if path.exists():
                    variables.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            variables[f"{role}_profile"] = profile
            for task in _apt_tasks([ROOT / "roles" / role / "tasks" / "main.yml"]):
                scope = {k: _trusted(v) for k, v in {**variables, **task.get("vars", {})}.items()}
                role_templar = Templar(loader=DataLoader(), variables=scope)
                name = role_templar.template(trust_as_template(task["ansible.builtin.apt"]["name"]))
                packages = [name] if isinstance(name, str) else list(name)
                assert packages and set(packages) <= installed, (profile, role, packages)


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
