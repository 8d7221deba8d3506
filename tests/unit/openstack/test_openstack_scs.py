"""SCS standards data and checks (lokictl/openstack/scs.py): expectations from the shipped standards data,
and every check on compliant and non-compliant snapshots (no cloud needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from lokictl.openstack import scs
from lokictl.openstack.scs import Finding, Flavor, Image, SecurityGroupRule, VolumeType

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _by_id(findings: list[Finding]) -> dict[str, Finding]:
    ids = [f.testcase for f in findings]
    assert len(ids) == len(set(ids)), "one finding per test case"
    return {f.testcase: f for f in findings}


def _failed(findings: list[Finding]) -> set[str]:
    return {f.testcase for f in findings if not f.ok}


# --- scope ------------------------------------------------------------------------------------------------


def test_scope_levels_of_the_effective_version() -> None:
    cases = scs.testcases()
    assert cases["scs-0103-flavor-1v-4"].level == "mandatory"
    assert cases["scs-0103-flavor-1v-4-10"].level == "recommended"  # from the scs-0103-v1-rec module
    assert cases["scs-0116-permissions"].level == "mandatory"
    assert cases["scs-0115-default-rules"].level == "mandatory"
    assert cases["scs-0123-service-load-balancer"].level == "mandatory"
    assert cases["scs-0102-prop-architecture"].description.startswith("Each image has")


def test_scope_of_the_next_version_uses_image_metadata_v2() -> None:
    assert scs.testcases("next")["scs-0102-prop-os_purpose"].level == "mandatory"
    assert scs.testcases()["scs-0102-prop-os_purpose"].level == "recommended"
    assert scs.testcases()["scs-0123-service-s3"].level == ""  # only scs-0123-v2 (next) has it
    with pytest.raises(KeyError):
        scs.testcases("v0")


def test_every_finding_names_a_test_case_of_the_scope() -> None:
    known = set(scs.testcases())
    findings = (
        scs.check_flavors([])
        + scs.check_image_metadata([], now=NOW)
        + scs.check_standard_images([])
        + scs.check_volume_types([])
        + scs.check_default_security_group_rules([])
        + scs.check_key_manager([], None)
        + scs.check_service_catalog([])
    )
    assert {f.testcase for f in findings} - known == set()
    assert {f.standard for f in findings} >= {
        "scs-0100",
        "scs-0102",
        "scs-0103",
        "scs-0104",
        "scs-0114",
        "scs-0115",
        "scs-0116",
        "scs-0123",
    }


# --- flavors ----------------------------------------------------------------------------------------------


def _compliant_flavors() -> list[Flavor]:
    return [Flavor(s.name, s.vcpus, s.ram, s.disk, dict(s.extra_specs)) for s in scs.standard_flavors()]


def test_standard_flavors_come_from_the_data_with_rng_spec() -> None:
    flavors = scs.standard_flavors()
    assert len([f for f in flavors if f.mandatory]) == 15
    assert len([f for f in flavors if not f.mandatory]) == 16
    by_name = {f.name: f for f in flavors}
    ssd = by_name["SCS-2V-4-20s"]
    assert (ssd.vcpus, ssd.ram, ssd.disk) == (2, 4096, 20)
    assert ssd.extra_specs == {
        "hw_rng:allowed": "True",
        "scs:cpu-type": "shared-core",
        "scs:disk0-type": "ssd",
        "scs:name-v1": "SCS-2V:4:20s",
        "scs:name-v2": "SCS-2V-4-20s",
    }
    assert by_name["SCS-1L-1"].disk == 0 and by_name["SCS-1L-1"].extra_specs["scs:cpu-type"] == "crowded-core"
    assert {f.testcase for f in flavors} <= set(scs.testcases())


def test_flavor_items_are_valid_baseline_items_that_pass_the_checks() -> None:
    from lokictl.openstack.baseline import FlavorItem, parse_items

    items = parse_items({"items": scs.flavor_items()})
    assert len(items) == 31 and all(isinstance(i, FlavorItem) for i in items)
    assert len(scs.flavor_items(recommended=False)) == 15
    flavors = [
        Flavor(i.name, i.vcpus, i.ram, i.disk, i.extra_specs) for i in items if isinstance(i, FlavorItem)
    ]
    assert _failed(scs.check_flavors(flavors)) == set()


def test_compliant_flavors_pass_every_flavor_check() -> None:
    findings = scs.check_flavors(_compliant_flavors())
    assert _failed(findings) == set()
    assert len(findings) == 3 + 31


def test_missing_and_wrong_standard_flavors_are_named() -> None:
    flavors = [f for f in _compliant_flavors() if f.name != "SCS-1V-4"]
    flavors = [replace(f, ram=2048) if f.name == "SCS-2V-8" else f for f in flavors]
    found = _by_id(scs.check_flavors(flavors))
    assert not found["scs-0103-flavor-1v-4"].ok and "missing" in found["scs-0103-flavor-1v-4"].detail
    assert found["scs-0103-flavor-2v-8"].detail == "SCS-2V-8: ram is 2048, should be 8192"
    # the name now lies about the RAM: scs-0100 semantics fails too
    assert "SCS-2V-8 (2048 MiB RAM)" in found["scs-0100-semantics-check"].detail


def test_standard_flavor_is_found_by_its_name_v2_spec_and_checks_extra_specs() -> None:
    spec = next(s for s in scs.standard_flavors() if s.name == "SCS-4V-16")
    renamed = Flavor("m1.large", 4, 16384, 0, {**spec.extra_specs, "scs:cpu-type": "dedicated-core"})
    found = _by_id(scs.check_flavors([renamed], recommended=False))
    assert found["scs-0103-flavor-4v-16"].detail == (
        "m1.large: scs:cpu-type is 'dedicated-core', should be 'shared-core'"
    )
    assert "scs-0103-flavor-4v-16-50" not in found  # recommended left out


def test_flavor_without_rng_spec_fails_scs_0101() -> None:
    flavors = [*_compliant_flavors(), Flavor("tiny", 1, 512, 1)]
    found = _by_id(scs.check_flavors(flavors))
    assert not found["scs-0101-flavor-property"].ok
    assert found["scs-0101-flavor-property"].detail.endswith(": tiny")


@pytest.mark.parametrize(
    ("flavor", "syntax_ok", "semantics_ok"),
    [
        (Flavor("SCS-2V-4", 2, 4096, 0), True, True),
        (Flavor("SCS-2V-4-20s", 2, 4096, 20, {"scs:disk0-type": "ssd"}), True, True),
        (Flavor("SCS-2V-4-20s", 2, 4096, 20, {"scs:disk0-type": "network"}), True, False),
        (Flavor("SCS-1L-1", 1, 1024, 0, {"scs:cpu-type": "shared-core"}), True, False),
        (Flavor("SCS-2V-0.5", 2, 512, 0), True, True),
        (Flavor("SCS-4C-16-2x50p_kvm", 4, 16384, 50), True, True),
        (Flavor("SCS-2V-4-20", 2, 4096, 10), True, False),
        (Flavor("SCS-2X-4", 2, 4096, 0), False, True),
        (Flavor("SCS-2V:4", 2, 4096, 0), False, True),
        (Flavor("m1.small", 1, 2048, 20), True, True),  # not an SCS name: not judged
    ],
)
def test_scs_0100_name_syntax_and_semantics(flavor: Flavor, syntax_ok: bool, semantics_ok: bool) -> None:
    found = _by_id(
        scs.check_flavors([replace(flavor, extra_specs={**flavor.extra_specs, "hw_rng:allowed": "True"})])
    )
    assert found["scs-0100-syntax-check"].ok is syntax_ok
    assert found["scs-0100-semantics-check"].ok is semantics_ok


def test_flavor_from_sdk() -> None:
    obj = SimpleNamespace(
        name="SCS-1V-2", vcpus=1, ram=2048, disk=None, extra_specs={"a": 1}, is_public=False
    )
    assert Flavor.from_sdk(obj) == Flavor("SCS-1V-2", 1, 2048, 0, {"a": "1"}, public=False)


# --- images -----------------------------------------------------------------------------------------------


def _image(**changes: Any) -> Image:
    props: dict[str, Any] = {
        "architecture": "x86_64",
        "os_distro": "debian",
        "os_version": "13",
        "os_purpose": "generic",
        "hw_disk_bus": "virtio",
        "hypervisor_type": "qemu",
        "hw_rng_model": "virtio",
        "hash_algo": "sha512",
        "image_build_date": "2026-11-20",
        "image_original_user": "debian",
        "image_source": "https://cloud.debian.org/images/cloud/trixie/20261120/debian-13-generic-amd64.raw",
        "image_description": "https://example.org/test-image",
        "replace_frequency": "monthly",
        "provided_until": "none",
        "uuid_validity": "last-3",
        "hotfix_hours": "0",
    }
    props.update(changes.pop("properties", {}))
    base = Image(
        "Debian 13", props, min_disk=1, min_ram=512, size=100 * 1024**2, created_at="2026-11-21T10:00:00Z"
    )
    return replace(base, **changes)


def test_compliant_image_passes_every_metadata_check() -> None:
    assert _failed(scs.check_image_metadata([_image()], now=NOW)) == set()


@pytest.mark.parametrize(
    ("change", "testcase"),
    [
        ({"properties": {"architecture": "amd64"}}, "scs-0102-prop-architecture"),
        ({"properties": {"os_distro": ""}}, "scs-0102-prop-os_distro"),
        ({"properties": {"os_purpose": "desktop"}}, "scs-0102-prop-os_purpose"),
        ({"properties": {"hw_disk_bus": "ide"}}, "scs-0102-prop-hw_disk_bus"),
        ({"properties": {"hash_algo": "md5"}}, "scs-0102-prop-hash_algo"),
        ({"properties": {"image_source": "debian.org"}}, "scs-0102-prop-image_source"),
        (
            {"properties": {"image_build_date": "2026-11-22"}},
            "scs-0102-prop-image_build_date",
        ),  # after upload
        ({"properties": {"image_build_date": "yesterday"}}, "scs-0102-prop-image_build_date"),
        ({"properties": {"replace_frequency": "sometimes"}}, "scs-0102-prop-replace_frequency"),
        ({"properties": {"provided_until": "soon"}}, "scs-0102-prop-provided_until"),
        ({"properties": {"uuid_validity": "last-x"}}, "scs-0102-prop-uuid_validity"),
        ({"properties": {"hotfix_hours": "48h"}}, "scs-0102-prop-hotfix_hours"),
        ({"min_disk": 0}, "scs-0102-prop-min_disk"),
        ({"size": 2 * 1024**3}, "scs-0102-prop-min_disk"),
        ({"min_ram": 0}, "scs-0102-prop-min_ram"),
        (
            {"properties": {"image_build_date": "2026-08-01"}, "created_at": "2026-08-02T00:00:00Z"},
            "scs-0102-image-recency",
        ),
    ],
)
def test_each_metadata_problem_fails_exactly_its_test_case(change: dict[str, Any], testcase: str) -> None:
    assert _failed(scs.check_image_metadata([_image(**change)], now=NOW)) == {testcase}


def test_public_image_without_virtio_rng_fails_only_scs_0101() -> None:
    found = scs.check_image_metadata([_image(properties={"hw_rng_model": None})], now=NOW)
    assert _failed(found) == {"scs-0101-image-property"}
    private = _image(properties={"hw_rng_model": None}, visibility="private")
    assert _failed(scs.check_image_metadata([private], now=NOW)) == set()


def test_private_source_unset_optional_keys_and_hidden_outdated_images_pass() -> None:
    img = _image(properties={"image_source": "private", "hypervisor_type": None})
    old = _image(
        properties={"image_build_date": "2025-01-01"}, created_at="2025-01-02T00:00:00Z", hidden=True
    )
    assert _failed(scs.check_image_metadata([img, replace(old, name="Debian 13 old")], now=NOW)) == set()


def test_two_public_generic_images_of_one_os_are_not_unique() -> None:
    found = scs.check_image_metadata([_image(), _image(name="Debian 13 copy")], now=NOW)
    assert _failed(found) == {"scs-0102-os_purpose-uniqueness"}
    assert _by_id(found)["scs-0102-os_purpose-uniqueness"].detail.endswith("x86_64 debian 13")


def test_image_from_sdk_merges_typed_attributes() -> None:
    obj = SimpleNamespace(
        name="x",
        properties={"os_purpose": "generic"},
        architecture="x86_64",
        os_distro="debian",
        os_version="13",
        hw_disk_bus=None,
        hypervisor_type=None,
        hw_rng_model=None,
        hash_algo="sha512",
        min_disk=1,
        min_ram=None,
        size=5,
        visibility="public",
        created_at="2026-01-01T00:00:00Z",
        is_hidden=False,
    )
    img = Image.from_sdk(obj)
    assert img.properties == {
        "os_purpose": "generic",
        "architecture": "x86_64",
        "os_distro": "debian",
        "os_version": "13",
        "hash_algo": "sha512",
    }
    assert (img.min_disk, img.min_ram, img.size) == (1, 0, 5)


def test_standard_images_from_the_image_spec() -> None:
    specs = {s.name: s for s in scs.standard_images()}
    assert specs["Ubuntu 24.04"].status == "mandatory"
    assert specs["Debian 12"].status == "recommended"
    assert specs["ubuntu-capi-image"].slug == "capi-2"
    assert specs["ubuntu-capi-image"].matches("ubuntu-capi-image-v1.32.4")
    assert not specs["Ubuntu 24.04"].matches("Ubuntu 24.04 old")
    cases = set(scs.testcases())
    for spec in specs.values():
        assert f"scs-0104-source-{spec.slug}" in cases or spec.name == "Debian 10", spec.name


def test_standard_images_presence_and_source() -> None:
    ubuntu = _image(
        name="Ubuntu 24.04",
        properties={"image_source": "https://cloud-images.ubuntu.com/releases/noble/release-20261101/x.img"},
    )
    bad_debian = _image(name="Debian 12", properties={"image_source": "https://mirror.example/debian-12.raw"})
    found = _by_id(scs.check_standard_images([ubuntu, bad_debian]))
    assert found["scs-0104-image-ubuntu-2404"].ok
    assert found["scs-0104-source-ubuntu-2404"].ok
    assert not found["scs-0104-image-capi-2"].ok
    assert found["scs-0104-image-debian-12"].ok
    assert not found["scs-0104-source-debian-12"].ok
    assert "mirror.example" in found["scs-0104-source-debian-12"].detail
    assert "scs-0104-image-ubuntu-2204" not in found  # optional: only its source is checked


# --- volume types, security groups, key manager, catalog ----------------------------------------------------


def test_volume_types() -> None:
    types = [
        VolumeType("LUKS", scs.aspect_description(["encrypted"], "LUKS on the backend")),
        VolumeType("replicated", scs.aspect_description(["replicated", "encrypted"])),
        VolumeType("__DEFAULT__", "Default Volume Type"),
    ]
    assert types[1].description == "[scs:encrypted, replicated]"
    assert _failed(scs.check_volume_types(types)) == set()
    bad = [VolumeType("x", "[scs:replicated, encrypted] unsorted"), VolumeType("y", "[scs:fast]")]
    found = _by_id(scs.check_volume_types(bad))
    assert (
        found["scs-0114-syntax-check"].detail == "x: aspects not sorted and unique; y: unknown aspects fast"
    )
    assert _failed(scs.check_volume_types([])) == {"scs-0114-encrypted-type", "scs-0114-replicated-type"}


NEUTRON_DEFAULTS = [
    SecurityGroupRule("egress", "IPv4"),
    SecurityGroupRule("egress", "IPv6"),
    SecurityGroupRule("ingress", "IPv4", remote_group_id="PARENT", used_in_non_default_sg=False),
    SecurityGroupRule("ingress", "IPv6", remote_group_id="PARENT", used_in_non_default_sg=False),
]


def test_neutrons_default_rules_comply_with_scs_0115() -> None:
    assert _failed(scs.check_default_security_group_rules(NEUTRON_DEFAULTS)) == set()


def test_open_ingress_or_missing_egress_fails_scs_0115() -> None:
    rules = [*NEUTRON_DEFAULTS[1:], SecurityGroupRule("ingress", "IPv4", remote_ip_prefix="0.0.0.0/0")]
    (finding,) = scs.check_default_security_group_rules(rules)
    assert finding.detail == (
        "ingress IPv4 from 0.0.0.0/0; missing egress IPv4 in default groups; "
        "missing egress IPv4 in custom groups"
    )
    limited = [
        replace(r, remote_ip_prefix="10.0.0.0/8") if r.direction == "egress" else r for r in NEUTRON_DEFAULTS
    ]
    assert not scs.check_default_security_group_rules(limited)[0].ok


def test_key_manager() -> None:
    assert _failed(scs.check_key_manager(["identity", "key-manager"], True)) == set()
    assert _failed(scs.check_key_manager(["identity", "key-manager"], False)) == {"scs-0116-permissions"}
    assert _by_id(scs.check_key_manager(["identity"], None))["scs-0116-permissions"].detail == "not tried"


def test_service_catalog_of_the_scs_profile_lacks_load_balancer_and_s3() -> None:
    scs_profile = [
        "identity",
        "image",
        "placement",
        "compute",
        "network",
        "volumev3",
        "block-storage",
        "key-manager",
    ]
    assert _failed(scs.check_service_catalog(scs_profile)) == {
        "scs-0123-service-load-balancer",
        "scs-0123-service-s3",
    }
