"""The verify table with host checks and checks bound to no host (API checks), and the shipped suites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lokictl import layers
from lokictl.verify import CheckResult, VerifyReport, format_report


def test_table_has_a_column_for_checks_without_host() -> None:
    report = VerifyReport(
        results=[
            CheckResult("openstack", "aio1", "kolla_containers_healthy", "passed"),
            CheckResult("openstack", "-", "token_member", "failed", "401"),
            CheckResult("openstack", "-", "catalog_services", "passed"),
        ],
        record=Path("runs/x-verify"),
    )
    lines = format_report(report).splitlines()
    assert lines[0].split() == ["LAYER", "CHECK", "aio1", "-"]
    assert lines[1].split() == ["openstack", "kolla_containers_healthy", "pass", "-"]
    assert lines[2].split() == ["openstack", "token_member", "-", "FAIL"]
    assert lines[3].split() == ["openstack", "catalog_services", "-", "pass"]
    assert lines[4] == "failed: openstack token_member on -: 401"
    assert lines[5].startswith("verify FAILED (1 of 3 checks): 2 passed")


def test_only_host_checks_keep_one_column_per_host() -> None:
    report = VerifyReport(results=[CheckResult("linux", "h1", "sshd_running", "passed")])
    assert format_report(report).splitlines()[0].split() == ["LAYER", "CHECK", "h1"]


def test_openstack_suite_is_shipped_and_collects() -> None:
    suites = layers.verify_suites("openstack")
    assert [s.name for s in suites] == ["test_openstack.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(suites[0])],
        capture_output=True,
        text=True,
        check=False,
        cwd=suites[0].parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    collected = {line.split("::")[-1] for line in proc.stdout.splitlines() if "::" in line}
    assert {"test_token_member", "test_image_round_trip", "test_placement_resource_provider"} <= collected
