"""Semantic rules: every rule in `lokictl.rules.RULES` is exercised by an ``invalid_*`` fixture (whose exact
message, field and position test_site.py asserts), stays silent on valid sites, and handles edge cases."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support import EXAMPLES, SITES

from lokictl import rules
from lokictl.loader import load
from lokictl.model import SiteModel

INVALID = sorted(SITES.glob("invalid_*"))
VALID = sorted(SITES.glob("valid_*")) + sorted(SITES.glob("golden_*"))


def _model(data: dict[str, Any]) -> SiteModel:
    return SiteModel.model_validate(data)


def _firing(model: SiteModel) -> dict[str, list[rules.Problem]]:
    return {r.__name__: problems for r in rules.RULES if (problems := list(r(model)))}


def _schema_valid(path: Any) -> SiteModel | None:
    try:
        return SiteModel.model_validate(load(path / "site.yml").data)
    except Exception:  # schema errors: those fixtures test the structural checks
        return None


def test_every_rule_has_an_invalid_fixture() -> None:
    covered: set[str] = set()
    for case in INVALID:
        model = _schema_valid(case)
        if model is not None:
            covered |= set(_firing(model))
    assert {r.__name__ for r in rules.RULES} - covered == set()


@pytest.mark.parametrize(
    "case", [p for p in INVALID if p.name != "invalid_three_errors"], ids=lambda p: p.name
)
def test_semantic_fixture_targets_one_rule(case: Any) -> None:
    """Each semantic fixture is about one rule, and its first comment line names that rule."""
    model = _schema_valid(case)
    if model is None:
        return
    firing = _firing(model)
    assert len(firing) == 1, firing
    title = (case / "site.yml").read_text(encoding="utf-8").splitlines()[0]
    (name,) = firing
    assert name in title, f"{case.name}: first line should name the rule {name}: {title}"


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_sites_pass_every_rule(case: Any) -> None:
    model = _schema_valid(case)
    assert model is not None
    assert rules.check(model) == []


@pytest.mark.parametrize("name", ["aio", "multinode", "scs"])
def test_examples_pass_every_rule(name: str) -> None:
    model = _model(yaml.safe_load((EXAMPLES / f"{name}.yml").read_text(encoding="utf-8")))
    assert rules.check(model) == []


def test_rules_are_documented_and_unique() -> None:
    names = [r.__name__ for r in rules.RULES]
    assert len(names) == len(set(names))
    for r in rules.RULES:
        assert r.__doc__, f"rule {r.__name__} has no docstring"


BASE: dict[str, Any] = {
    "site": {"name": "lab1", "domain": "lab.example"},
    "networks": {"management": {"cidr": "10.10.0.0/24", "gateway": "10.10.0.1"}},
    "openstack": {"enabled": True, "internal_vip": "10.10.0.250"},
    "hosts": [{"name": "ctl1", "address": "10.10.0.11", "roles": ["control", "network", "compute"]}],
}


def _with(**changes: Any) -> SiteModel:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for dotted, value in changes.items():
        target = data
        *parents, last = dotted.split("__")
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = value
    return _model(data)


def test_base_is_valid() -> None:
    assert rules.check(_with()) == []


def test_openstack_may_share_internal_and_external_vip() -> None:
    assert rules.check(_with(openstack__external_vip="10.10.0.250")) == []


def test_external_vip_falls_back_to_management_without_external_network() -> None:
    problems = rules.check(_with(openstack__external_vip="192.0.2.10"))
    assert problems == [
        (("openstack", "external_vip"), "192.0.2.10 is outside networks.management (10.10.0.0/24)")
    ]


def test_point_to_point_network_has_no_broadcast_exclusion() -> None:
    model = _with(
        networks__management={"cidr": "10.10.0.0/31"},
        openstack={"enabled": True, "load_balancer": False},
        hosts=[{"name": "a", "address": "10.10.0.0", "roles": ["control", "compute"]}],
    )
    assert rules.check(model) == []


def test_ipv4_address_in_ipv6_network_is_outside() -> None:
    model = _with(
        networks__management={"cidr": "2001:db8::/64"},
        openstack={"enabled": False},
    )
    assert rules.check(model) == [
        (("hosts", 0, "address"), "10.10.0.11 is outside networks.management (2001:db8::/64)")
    ]


def test_ipv6_k8s_cidrs_never_overlap_ipv4_networks() -> None:
    model = _with(
        openstack={"enabled": False},
        kubernetes={"enabled": True, "pod_cidr": "fd00::/56", "service_cidr": "fd01::/112"},
        hosts=[{"name": "k1", "address": "10.10.0.11", "roles": ["k8s_control_plane"]}],
    )
    assert rules.check(model) == []


def test_disabled_layers_are_not_checked() -> None:
    model = _with(
        openstack={"enabled": False, "release": "1999.1", "services": ["nope"], "keepalived_router_id": 0},
        kubernetes={"enabled": False, "version": "0.1", "pod_cidr": "10.10.0.0/16"},
        hosts=[{"name": "a", "address": "10.10.0.11", "roles": ["monitoring"]}],
    )
    assert rules.check(model) == []


def test_without_load_balancer_internal_vip_may_be_the_control_address() -> None:
    model = _with(openstack={"enabled": True, "load_balancer": False, "internal_vip": "10.10.0.11"})
    assert rules.check(model) == []


def test_five_control_hosts_keep_quorum_four_do_not() -> None:
    hosts = [
        {"name": f"c{i}", "address": f"10.10.0.{10 + i}", "roles": ["control", "compute"]}
        for i in range(1, 6)
    ]
    assert rules.check(_with(hosts=hosts)) == []
    assert rules.check(_with(hosts=hosts[:4])) == [
        (("hosts",), "4 hosts have role 'control'; use 1 or an odd number >= 3 to keep quorum")
    ]


def test_dependencies_of_every_known_service_are_known() -> None:
    from lokictl.services import SERVICES

    for service in SERVICES.values():
        assert set(service.requires) <= set(SERVICES), service.name


def test_all_known_services_with_dependencies_validate() -> None:
    from lokictl.services import SERVICES

    hosts = [{"name": "a", "address": "10.10.0.11", "roles": ["control", "network", "compute"]}]
    assert rules.check(_with(openstack__services=list(SERVICES), hosts=hosts)) == []


@pytest.mark.parametrize(
    ("word", "choices", "hint"),
    [
        ("glanse", ["glance", "keystone"], " (did you mean 'glance'?)"),
        ("kubernets", ["kubernetes", "openstack"], " (did you mean 'kubernetes'?)"),
        ("xyz", ["glance", "keystone"], ""),
        ("a", [], ""),
    ],
)
def test_did_you_mean(word: str, choices: list[str], hint: str) -> None:
    assert rules.did_you_mean(word, choices) == hint


@pytest.mark.parametrize("name", ["a", "ctl-1", "x" * 63, "0abc"])
def test_valid_labels(name: str) -> None:
    assert (
        rules.check(_with(hosts=[{"name": name, "address": "10.10.0.11", "roles": ["control", "compute"]}]))
        == []
    )


@pytest.mark.parametrize("name", ["", "-a", "a-", "A", "a_b", "a.b", "x" * 64, "ctl 1"])
def test_invalid_labels(name: str) -> None:
    problems = rules.check(
        _with(hosts=[{"name": name, "address": "10.10.0.11", "roles": ["control", "compute"]}])
    )
    assert [p for p, _ in problems] == [("hosts", 0, "name")]


@pytest.mark.parametrize(
    "key",
    [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps",
        "ssh-rsa AAAAB3NzaC1yc2E= ops@host",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNh",
        "sk-ssh-ed25519@openssh.com AAAAGnNr",
    ],
)
def test_ssh_keys_accepted(key: str) -> None:
    model = _with(linux={"admin_users": [{"name": "ops", "ssh_keys": [key]}]})
    assert rules.check(model) == []
