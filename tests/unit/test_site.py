"""Site validation end to end: every fixture under tests/fixtures/sites/ through `lokictl validate`.

``invalid_<reason>/expected.txt`` holds the exact stderr: one ``file:line:col: field: message`` line per
problem (plus a count when there are several).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import SITES, run_cli

from lokictl.errors import SiteError
from lokictl.loader import loads
from lokictl.site import load_site, load_site_text, validate

INVALID = sorted(p.name for p in SITES.glob("invalid_*"))
VALID = sorted(p.name for p in SITES.glob("valid_*"))


def test_fixture_sets_are_not_empty() -> None:
    assert len(INVALID) >= 40
    assert len(VALID) >= 3
    for name in INVALID:
        assert (SITES / name / "expected.txt").is_file(), f"{name} lacks expected.txt"


@pytest.mark.parametrize("case", INVALID)
def test_invalid_site_reports_exact_errors(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SITES / case)
    result = run_cli(["validate"])
    expected = (SITES / case / "expected.txt").read_text(encoding="utf-8")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == expected
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", INVALID)
def test_every_issue_names_file_position_and_field(case: str) -> None:
    with pytest.raises(SiteError) as exc:
        load_site(SITES / case / "site.yml")
    for issue in exc.value.issues:
        assert issue.file == str(SITES / case / "site.yml")
        assert issue.line >= 1 and issue.column >= 1, issue
        assert issue.field, issue
        assert issue.message, issue


@pytest.mark.parametrize("case", VALID)
def test_valid_site(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SITES / case)
    result = run_cli(["validate"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("site.yml: ok (site '")


def test_three_errors_in_one_run() -> None:
    with pytest.raises(SiteError) as exc:
        load_site(SITES / "invalid_three_errors" / "site.yml")
    fields = [i.field for i in exc.value.issues]
    assert fields == ["site.name", "site.timezone", "hosts[0].address"]
    lines = exc.value.render().splitlines()
    assert len(lines) == 4
    assert lines[-1].endswith("3 errors in " + str(SITES / "invalid_three_errors" / "site.yml"))


def test_structural_and_schema_errors_are_all_reported_together() -> None:
    text = (
        "site: {name: lab1, domian: x}\n"
        "networks: {management: {cidr: 10.0.0.0/24, mtu: many}}\n"
        "hosts: [{name: a, address: nope, roles: [web]}]\n"
    )
    with pytest.raises(SiteError) as exc:
        load_site_text(text)
    assert [str(i) for i in exc.value.issues] == [
        "site.yml:1:7: site.domain: required field is missing",
        "site.yml:1:20: site.domian: unknown field 'domian' (did you mean 'domain'?)",
        "site.yml:2:49: networks.management.mtu: Input should be a valid integer, unable to parse string as "
        "an integer, got 'many'",
        "site.yml:3:28: hosts[0].address: value is not a valid IPv4 or IPv6 address, got 'nope'",
        "site.yml:3:42: hosts[0].roles[0]: 'web' is not one of: control, network, compute, storage, "
        "monitoring, k8s_control_plane, k8s_worker",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "site.yml:1:1: expected a mapping of sections, got a list"),
        ("hello\n", "site.yml:1:1: expected a mapping of sections, got a string"),
        ("42\n", "site.yml:1:1: expected a mapping of sections, got int"),
        ("true\n", "site.yml:1:1: expected a mapping of sections, got a boolean"),
        ("---\n...\n", "site.yml:2:1: expected a mapping of sections, got nothing"),
        ("~\n", "site.yml:1:1: expected a mapping of sections, got nothing"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, message: str) -> None:
    with pytest.raises(SiteError) as exc:
        validate(loads(text, "site.yml"))
    assert exc.value.render() == message


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (
            "networks: 5",
            "site.yml:2:11: networks: Input should be a valid dictionary or instance of Networks, got int",
        ),
        (
            "networks: [a]",
            "site.yml:2:11: networks: Input should be a valid dictionary or instance of Networks, got a list",
        ),
        (
            "networks: ~",
            "site.yml:2:11: networks: Input should be a valid dictionary or instance of Networks, "
            "got nothing",
        ),
    ],
)
def test_wrong_section_type(replace: str, expected: str) -> None:
    text = "site: {name: a, domain: b.example}\nnetworks: {management: {cidr: 10.0.0.0/24}}\nhosts: []\n"
    text = text.replace("networks: {management: {cidr: 10.0.0.0/24}}", replace)
    with pytest.raises(SiteError) as exc:
        load_site_text(text)
    assert str(exc.value.issues[0]) == expected


def test_empty_hosts_list() -> None:
    text = "site: {name: a, domain: b.example}\nnetworks: {management: {cidr: 10.0.0.0/24}}\nhosts: []\n"
    with pytest.raises(SiteError) as exc:
        load_site_text(text)
    assert (
        exc.value.render() == "site.yml:3:8: hosts: List should have at least 1 item after validation, not 0"
    )


def test_unknown_nested_key_gets_hint_from_the_right_model() -> None:
    text = (
        "site: {name: a, domain: b.example}\nnetworks: {management: {cidr: 10.0.0.0/24, gatway: 10.0.0.1}}\n"
        "openstack: {enabled: false, tls: {extrenal: true}}\n"
        "hosts: [{name: a, address: 10.0.0.5, roles: [compute], interface: {}}]\n"
    )
    with pytest.raises(SiteError) as exc:
        load_site_text(text)
    assert [str(i) for i in exc.value.issues] == [
        "site.yml:2:44: networks.management.gatway: unknown field 'gatway' (did you mean 'gateway'?)",
        "site.yml:3:35: openstack.tls.extrenal: unknown field 'extrenal' (did you mean 'external'?)",
        "site.yml:4:56: hosts[0].interface: unknown field 'interface' (did you mean 'interfaces'?)",
    ]


def test_unknown_key_without_close_match_has_no_hint() -> None:
    text = "site: {name: a, domain: b.example, zzzz: 1}\nnetworks: {management: {cidr: 10.0.0.0/24}}\n"
    text += "hosts: [{name: a, address: 10.0.0.5, roles: [compute]}]\n"
    with pytest.raises(SiteError) as exc:
        load_site_text(text)
    assert exc.value.render() == "site.yml:1:36: site.zzzz: unknown field 'zzzz'"


def test_file_not_found_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SiteError) as exc:
        load_site(tmp_path / "missing.yml")
    assert exc.value.render() == f"{tmp_path / 'missing.yml'}:0:0: file not found"
    with pytest.raises(SiteError) as exc:
        load_site(tmp_path)
    assert exc.value.render() == f"{tmp_path}:0:0: is a directory, not a site file"


def test_site_directory_is_the_site_files_parent(tmp_path: Path) -> None:
    site_file = tmp_path / "site.yml"
    site_file.write_bytes((SITES / "valid_minimal" / "site.yml").read_bytes())
    site = load_site(site_file)
    assert site.directory == tmp_path.resolve()
    assert site.model.site.name == "lab1"


@pytest.mark.parametrize("value", ["yes", "true", "5", "167772165", "1.5"])
def test_ip_values_must_be_text(value: str) -> None:
    """YAML reads these as booleans or numbers; pydantic alone would turn `yes` into 0.0.0.1."""
    text = (SITES / "valid_minimal" / "site.yml").read_text(encoding="utf-8")
    with pytest.raises(SiteError) as exc:
        load_site_text(text.replace("gateway: 10.10.0.1", f"gateway: {value}"))
    shown = {"yes": "True", "true": "True"}.get(value, value)
    assert exc.value.render() == (
        f"site.yml:9:14: networks.management.gateway: IP addresses and networks must be written as text, "
        f"got {shown}"
    )
    with pytest.raises(SiteError) as exc:
        load_site_text(text.replace("cidr: 10.10.0.0/24", f"cidr: {value}"))
    assert str(exc.value.issues[0]).startswith(
        "site.yml:8:11: networks.management.cidr: IP addresses and networks"
    )


def test_quoted_ip_values_are_fine() -> None:
    text = (SITES / "valid_minimal" / "site.yml").read_text(encoding="utf-8")
    site = load_site_text(text.replace("gateway: 10.10.0.1", "gateway: '10.10.0.1'"))
    assert str(site.model.networks.management.gateway) == "10.10.0.1"
