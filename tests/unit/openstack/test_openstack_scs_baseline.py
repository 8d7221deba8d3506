"""The SCS baseline (post-deploy items of scs sites), the `verify --scs` table and the Horizon check's pure
parts: the shipped baseline data must pass lokictl's own SCS checks (no cloud needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from lokictl.errors import InputError
from lokictl.openstack import baseline, horizon, testimage
from lokictl.openstack.baseline import FlavorItem, ImageItem, VolumeTypeItem
from lokictl.openstack.post import default_items
from lokictl.openstack.scs import (
    Finding,
    Flavor,
    Image,
    VolumeType,
    check_flavors,
    check_image_metadata,
    check_standard_images,
    check_volume_types,
    standard_flavors,
)
from lokictl.openstack.scs import verify as scs_verify
from lokictl.openstack.scs.baseline import scs_items
from lokictl.site import Site, load_site

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sites"
SCS_SITE = FIXTURES / "valid_scs_lab" / "site.yml"


def _site(tmp_path: Path, **changes: object) -> Site:
    """Load the scs fixture with top-level sections or openstack keys replaced."""
    data = yaml.safe_load(SCS_SITE.read_text())
    for key, value in changes.items():
        if key in ("lab",):
            data[key] = value
        else:
            data["openstack"][key] = value
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(data))
    return load_site(path)


def test_scs_site_gets_flavors_and_encrypted_type_but_no_stand_ins_outside_a_lab(tmp_path: Path) -> None:
    items = scs_items(_site(tmp_path))
    flavors = [i for i in items if isinstance(i, FlavorItem)]
    assert [f.name for f in flavors] == [s.name for s in standard_flavors()]
    assert all(f.extra_specs["hw_rng:allowed"] == "True" and f.public for f in flavors)
    types = [i for i in items if isinstance(i, VolumeTypeItem)]
    assert [(t.name, t.encryption is not None) for t in types] == [("encrypted", True)]
    assert not [i for i in items if isinstance(i, ImageItem)]


def test_lab_gets_the_standard_image_stand_ins(tmp_path: Path) -> None:
    items = scs_items(_site(tmp_path, lab={"name": "scs1"}))
    images = [i for i in items if isinstance(i, ImageItem)]
    assert [i.name for i in images] == ["Ubuntu 24.04", "Debian 12", "ubuntu-capi-image-v1.34.2"]
    assert all(i.build == "stand-in" and "lab_stand_in" in i.tags for i in images)
    assert all("NOT the upstream image" in i.properties["image_description"] for i in images)


def test_no_encrypted_type_without_barbican(tmp_path: Path) -> None:
    items = scs_items(_site(tmp_path, enable={"barbican": False}))
    assert not [i for i in items if isinstance(i, VolumeTypeItem)]


def test_default_items_add_the_scs_baseline_only_for_the_scs_profile(tmp_path: Path) -> None:
    core = default_items(_site(tmp_path, profile="core", control_plane_only=False))
    assert [i.kind for i in core] == [i.kind for i in baseline.bundled_items()]
    scs = default_items(_site(tmp_path))
    assert len(scs) == len(core) + len(standard_flavors()) + 1


def _image_snapshots(items: list[baseline.Item], arch: str = "x86_64") -> list[Image]:
    """The images the post-deploy would create from these items (build date and size as it sets them)."""
    out = []
    for item in items:
        if not isinstance(item, ImageItem):
            continue
        values = {"site": "lab1", "arch": arch, "os_name": "Debian", "os_version": "12"}
        props = {k: baseline.fill(v, values) for k, v in item.properties.items()}
        props.update(image_build_date="2026-11-26 10:00:00", hash_algo="sha512")
        out.append(
            Image(
                baseline.fill(item.name, values),
                props,
                min_disk=item.min_disk,
                min_ram=item.min_ram,
                size=testimage.SIZE_MIB * 1024 * 1024,
                visibility=item.visibility,
                created_at="2026-11-26T10:05:00Z",
            )
        )
    return out


def test_the_lab_baseline_passes_the_image_checks(tmp_path: Path) -> None:
    images = _image_snapshots(default_items(_site(tmp_path, lab={"name": "scs1"})))
    assert len(images) == 4  # the test image and three stand-ins
    findings = check_image_metadata(images) + check_standard_images(images)
    failed = [f for f in findings if not f.ok]
    assert not failed, failed
    ids = {f.testcase for f in findings}
    assert {"scs-0104-image-ubuntu-2404", "scs-0104-image-debian-12", "scs-0104-image-capi-2"} <= ids


def test_the_baseline_flavors_and_volume_type_pass_their_checks(tmp_path: Path) -> None:
    items = scs_items(_site(tmp_path))
    flavors = [
        Flavor(i.name, i.vcpus, i.ram, i.disk, i.extra_specs) for i in items if isinstance(i, FlavorItem)
    ]
    assert not [f for f in check_flavors(flavors) if not f.ok]
    types = [VolumeType(i.name, i.description) for i in items if isinstance(i, VolumeTypeItem)]
    by_id = {f.testcase: f.ok for f in check_volume_types(types)}
    assert by_id == {
        "scs-0114-syntax-check": True,
        "scs-0114-encrypted-type": True,
        "scs-0114-replicated-type": False,  # recommended; depends on the volume backend
    }


def test_stand_in_payload_is_reproducible_and_names_what_it_stands_for(tmp_path: Path) -> None:
    one = testimage.build_stand_in(tmp_path / "a", "scs-x", "Upstream X")
    two = testimage.build_stand_in(tmp_path / "b", "scs-x", "Upstream X")
    assert one.path.read_bytes() == two.path.read_bytes()
    assert one.path.stat().st_size == testimage.SIZE_MIB * 1024 * 1024
    listing = subprocess.run(
        ["/sbin/debugfs", "-R", "cat /README", str(one.path)], capture_output=True, text=True, check=True
    ).stdout
    assert "NOT THE UPSTREAM IMAGE" in listing and "Stands for: Upstream X" in listing
    other = testimage.build_stand_in(tmp_path / "a", "scs-x", "Upstream Y")
    assert other.path != one.path and not one.path.exists()  # the old build of this key is dropped


# --- verify --scs ------------------------------------------------------------------------------------------


def test_rows_fail_mandatory_warn_recommended_and_merge_official() -> None:
    findings = [
        Finding("scs-0103-flavor-1v-4", False, "flavor SCS-1V-4 is missing"),
        Finding("scs-0103-flavor-1v-4-10", False, "missing"),
        Finding("scs-0116-permissions", True),
    ]
    official = {"scs-0116-permissions": "pass", "scs-0117-test-backup": "FAIL"}
    rows = {r.testcase: r for r in scs_verify.build_rows(findings, official)}
    assert (rows["scs-0103-flavor-1v-4"].level, rows["scs-0103-flavor-1v-4"].result) == ("mandatory", "FAIL")
    assert rows["scs-0103-flavor-1v-4-10"].result == "WARN"
    assert (rows["scs-0116-permissions"].result, rows["scs-0116-permissions"].official) == ("pass", "pass")
    assert (rows["scs-0117-test-backup"].result, rows["scs-0117-test-backup"].official) == ("-", "FAIL")
    assert rows["scs-0117-test-backup"].standard == "scs-0117"
    report = scs_verify.ScsReport(rows=list(rows.values()))
    assert not report.ok
    text = scs_verify.format_report(report)
    assert "OFFICIAL" not in text and "verify --scs FAILED (2 mandatory test cases)" in text


def test_rows_select_standards_and_pass_without_mandatory_failures() -> None:
    findings = [Finding("scs-0103-flavor-1v-4", False), Finding("scs-0114-replicated-type", False, "none")]
    rows = scs_verify.build_rows(findings, standards=["0114"])
    assert [r.testcase for r in rows] == ["scs-0114-replicated-type"]
    report = scs_verify.ScsReport(rows=rows)
    assert report.ok
    assert "verify --scs passed: 0 passed, 1 warnings" in scs_verify.format_report(report)


def test_official_report_results_of_one_version() -> None:
    data = {
        "versions": {
            "v5.1": {"scs-0100-syntax-check": {"result": 1}, "scs-0116-permissions": {"result": -1}},
            "next": {"scs-0100-syntax-check": {"result": 0}},
        }
    }
    assert scs_verify.parse_official_report(data, "v5.1") == {
        "scs-0100-syntax-check": "pass",
        "scs-0116-permissions": "FAIL",
    }
    assert scs_verify.parse_official_report(data, "next") == {"scs-0100-syntax-check": "abort"}
    assert scs_verify.parse_official_report({}, "v5.1") == {}


def test_official_paths_accept_the_repository_or_its_tests_directory(tmp_path: Path) -> None:
    tests = tmp_path / "standards" / "Tests"
    tests.mkdir(parents=True)
    with pytest.raises(InputError, match="not a checkout of the SCS standards"):
        scs_verify.official_paths(tmp_path / "standards")
    (tests / scs_verify.RUNNER).write_text("")
    (tests / scs_verify.SPEC_FILE).write_text("")
    expected = (tests / scs_verify.RUNNER, tests / scs_verify.SPEC_FILE)
    assert scs_verify.official_paths(tmp_path / "standards") == expected
    assert scs_verify.official_paths(tests) == expected


# --- verify --horizon --------------------------------------------------------------------------------------


def test_dashboard_url_from_the_identity_endpoint() -> None:
    assert horizon.dashboard_url("http://10.10.7.11:5000") == "http://10.10.7.11/"
    assert horizon.dashboard_url("https://cloud.example:5000/v3") == "https://cloud.example/"
    with pytest.raises(InputError):
        horizon.dashboard_url("")


def test_missing_names_on_a_page() -> None:
    text = "Images\nUbuntu 24.04  Active\nDebian 12 Active"
    assert horizon.missing_names(text, ["Ubuntu 24.04", "Debian 12", "SCS-1V-4"]) == ["SCS-1V-4"]


def test_horizon_pages_of_an_scs_lab(tmp_path: Path) -> None:
    checks = horizon.page_checks(_site(tmp_path, lab={"name": "scs1"}), "lab1", "lab1-member")
    by_label = {c.label: c for c in checks}
    assert by_label["images"].cloud == "lab1-member"
    assert {"Ubuntu 24.04", "Debian 12"} <= set(by_label["images"].expect)
    assert by_label["flavors"].cloud == "lab1"
    assert by_label["flavors"].expect == tuple(f.name for f in standard_flavors() if f.mandatory)


def test_checks_of_a_missing_service_fail_with_the_reason() -> None:
    findings = scs_verify.absent(check_volume_types([]), "block-storage")
    assert {f.testcase for f in findings} == {
        "scs-0114-syntax-check",
        "scs-0114-encrypted-type",
        "scs-0114-replicated-type",
    }
    assert all(not f.ok and f.detail == "no block-storage service in the catalog" for f in findings)


def test_lab_runs_nova_api_unprivileged_and_keeps_the_rest_of_kollas_definition() -> None:
    from lokictl.render import kolla

    services = kolla.lab_nova_globals()["nova_services"]
    assert services["nova-api"]["privileged"] is False
    assert services["nova-api"]["image"] == "{{ nova_api_image_full }}"
    upstream = kolla._role_defaults("nova")["nova_services"]
    assert {k: v for k, v in services.items() if k != "nova-api"} == {
        k: v for k, v in upstream.items() if k != "nova-api"
    }


def test_verify_scs_and_horizon_without_a_deployed_cloud_fail_cleanly(tmp_path: Path) -> None:
    from support import run_cli

    site = _site(tmp_path)
    for flag in ("--scs", "--horizon"):
        result = run_cli(["verify", "-f", str(site.path), flag])
        assert result.exit_code == 1
        assert "no clouds.yaml" in result.stderr and "Traceback" not in result.stderr
    wrong = tmp_path / "not-standards"
    wrong.mkdir()
    result = run_cli(["verify", "-f", str(site.path), "--scs-tests", str(wrong)])
    assert result.exit_code == 2 and "not a checkout of the SCS standards" in result.stderr
