"""Rules about OpenStack profiles, per-service switches and control-plane-only sites (edge cases beyond the
``invalid_*`` fixtures, which pin each rule's exact message and position)."""

from __future__ import annotations

from typing import Any

import pytest

from lokictl import rules
from lokictl.model import SiteModel

ALL_ROLES = ["control", "network", "compute", "storage"]


def _check(roles: list[str] | None = None, **openstack: Any) -> list[rules.Problem]:
    data = {
        "site": {"name": "lab1", "domain": "lab.example"},
        "networks": {"management": {"cidr": "10.10.0.0/24"}},
        "openstack": {"load_balancer": False, **openstack},
        "hosts": [{"name": "h1", "address": "10.10.0.11", "roles": roles or ALL_ROLES}],
    }
    return rules.check(SiteModel.model_validate(data))


@pytest.mark.parametrize(
    "openstack",
    [
        {},
        {"profile": "scs"},
        {"profile": "scs", "enable": {"horizon": False, "barbican": False, "cinder": False}},
        {"profile": "core", "enable": {"heat": True}},
        {"services": ["keystone"], "enable": {"glance": True}},
        {"profile": "custom", "services": ["keystone", "glance"], "enable": {"glance": False}},
    ],
)
def test_consistent_profiles_pass(openstack: dict[str, Any]) -> None:
    assert _check(**openstack) == []


def test_scs_control_plane_only_needs_no_compute_or_network_host() -> None:
    assert _check(["control"], profile="scs", control_plane_only=True) == []
    problems = dict(_check(["control"], profile="scs"))
    assert set(problems) == {("openstack", "profile")}
    assert len(_check(["control"], profile="scs")) == 2  # nova (compute) and neutron (network)


def test_nova_switched_on_is_blamed_on_its_switch() -> None:
    problems = _check(["control", "network"], profile="core", enable={"nova": True, "neutron": True})
    assert problems == [
        (
            ("openstack", "enable", "nova"),
            "nova is enabled but no host has role 'compute' (a lab without compute sets "
            "openstack.control_plane_only: true)",
        )
    ]


def test_switching_keystone_off_names_every_service_needing_it() -> None:
    problems = _check(profile="core", enable={"keystone": False})
    assert problems == [
        (
            ("openstack", "enable", "keystone"),
            "keystone cannot be switched off while glance, placement are enabled "
            "(glance, placement require it)",
        )
    ]


def test_a_dependency_switched_off_in_a_custom_list() -> None:
    problems = _check(services=["keystone", "glance"], enable={"keystone": False})
    assert problems == [
        (
            ("openstack", "enable", "keystone"),
            "keystone cannot be switched off while glance is enabled (glance requires it)",
        )
    ]


def test_everything_switched_off_is_no_service() -> None:
    assert _check(services=["keystone"], enable={"keystone": False}) == [
        (("openstack", "services"), "no OpenStack service is enabled (at least keystone)")
    ]


def test_disabled_openstack_ignores_profile_problems() -> None:
    assert _check(enabled=False, profile="custom", enable={"nope": True}) == []
