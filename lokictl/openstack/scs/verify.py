"""``lokictl verify --scs``: the SCS checks against a deployed cloud, and optionally the official test suite.

`gather` reads what the cloud offers through the site's ``clouds.yaml``: as the member user (what a tenant
sees: flavors with extra specs, images, volume types, the catalog, and a secret created, read and deleted in
the key manager) and as admin (the default security group rules, an admin-only API). The pure checks of
`lokictl.openstack.scs` turn that into one `Finding` per official test case id.

With a checkout of the SovereignCloudStack standards repository, `run_official` also runs its
``scs-compliance-check.py`` against the member entry (the official runner refuses admin users) and reads
the test case results from its YAML report, so the table shows both verdicts side by side.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from lokictl import records
from lokictl.errors import InputError, RuntimeFailure
from lokictl.openstack.scs.flavors import Flavor, check_flavors
from lokictl.openstack.scs.images import Image, check_image_metadata, check_standard_images
from lokictl.openstack.scs.resources import (
    SecurityGroupRule,
    VolumeType,
    check_default_security_group_rules,
    check_key_manager,
    check_service_catalog,
    check_volume_types,
)
from lokictl.openstack.scs.scope import DEFAULT_VERSION, Finding, testcases

if TYPE_CHECKING:
    from openstack.connection import Connection

Progress = Callable[[str], None]
SPEC_FILE = "scs-compatible-iaas.yaml"
RUNNER = "scs-compliance-check.py"
OFFICIAL_TIMEOUT = 1800
"""Seconds the official suite may run (its flavor, image and key manager checks take about a minute)."""
#: Official result values in its YAML report -> our outcome words.
OFFICIAL_RESULTS = {1: "pass", -1: "FAIL", 0: "abort"}


def _quiet(_line: str) -> None:
    """Discard a progress line."""


@dataclass(frozen=True)
class Row:
    """One line of the table: a test case, its level, lokictl's finding and the official result."""

    testcase: str
    level: str  # mandatory, recommended, or "" (not part of the scope version)
    result: str  # pass, FAIL, WARN (a failed test case that is not mandatory), or "-" (not checked)
    detail: str = ""
    official: str = ""  # pass, FAIL, abort, or "" (not run or not reported)

    @property
    def standard(self) -> str:
        """Return the standard of the test case (``scs-0103``)."""
        return "-".join(self.testcase.split("-")[:2])


@dataclass
class OfficialRun:
    """A run of the official suite: its exit code, per test case results, verdict lines and report file."""

    returncode: int
    results: dict[str, str] = field(default_factory=dict)
    verdicts: list[str] = field(default_factory=list)
    report: Path | None = None
    log: Path | None = None


@dataclass
class ScsReport:
    """The outcome of ``verify --scs``."""

    rows: list[Row] = field(default_factory=list)
    version: str = DEFAULT_VERSION
    official: OfficialRun | None = None
    record: Path | None = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Return True when no mandatory test case failed (lokictl's checks or the official ones)."""
        return not any(r.level == "mandatory" and "FAIL" in (r.result, r.official) for r in self.rows)


# ---- reading the cloud ----------------------------------------------------------------------------------


def _member_secret_round_trip(member: Connection) -> bool:
    """Return whether the member user can create, read back and delete a secret (False when refused)."""
    from openstack import exceptions

    km: Any = member.key_manager
    payload = secrets.token_hex(16)
    try:
        secret = km.create_secret(
            name=f"lokictl-verify-{secrets.token_hex(4)}",
            payload=payload,
            payload_content_type="text/plain",
            secret_type="passphrase",
        )
    except exceptions.ForbiddenException:
        return False
    # The created secret's id is its reference URL; the API takes the UUID at its end.
    uuid = str(secret.id).rstrip("/").rsplit("/", 1)[-1]
    try:
        back = km.get_secret(uuid)
        return str(getattr(back, "payload", "") or "") == payload
    except exceptions.ForbiddenException:
        return False
    finally:
        km.delete_secret(uuid, ignore_missing=True)


VOLUME_TYPES = frozenset({"volume", "volumev3", "block-storage"})
"""Catalog types of the block storage API."""


def absent(findings: Iterable[Finding], service: str) -> list[Finding]:
    """Return the findings as failed because the service they need is not in the catalog."""
    return [Finding(f.testcase, False, f"no {service} service in the catalog") for f in findings]


def gather(admin: Connection, member: Connection) -> list[Finding]:
    """Read the cloud and return the findings of every check lokictl has.

    Services missing from the catalog give failing findings of their own (no exception): flavors need
    compute, volume types block storage, the default rules network, the secret the key manager.
    """
    from lokictl.openstack.post import catalog_types

    types = catalog_types(member)
    findings: list[Finding] = []
    compute: Any = member.compute
    image: Any = member.image
    if "compute" in types:
        flavors = [Flavor.from_sdk(f) for f in compute.flavors(details=True, get_extra_specs=True)]
        findings += check_flavors(flavors)
    else:
        findings += absent(check_flavors([]), "compute")
    images = [Image.from_sdk(i) for i in image.images()]
    findings += check_image_metadata(images)
    findings += check_standard_images(images)
    if types & VOLUME_TYPES:
        storage: Any = member.block_storage
        findings += check_volume_types(VolumeType(t.name, t.description or "") for t in storage.types())
    else:
        findings += absent(check_volume_types([]), "block-storage")
    if "network" in types:
        network: Any = admin.network
        rules = [SecurityGroupRule.from_sdk(r) for r in network.default_security_group_rules()]
        findings += check_default_security_group_rules(rules)
    else:
        findings += absent(check_default_security_group_rules([]), "network")
    secret_ok = _member_secret_round_trip(member) if "key-manager" in types else None
    findings += check_key_manager(types, secret_ok)
    findings += check_service_catalog(types)
    return findings


# ---- the table ------------------------------------------------------------------------------------------


def select(ids: Iterable[str], standards: Sequence[str]) -> list[str]:
    """Return the test case ids belonging to the given standards (``scs-0103`` or ``0103``); all if none."""
    wanted = {s if s.startswith("scs-") else f"scs-{s}" for s in standards}
    return [i for i in ids if not wanted or "-".join(i.split("-")[:2]) in wanted]


def build_rows(
    findings: Iterable[Finding],
    official: dict[str, str] | None = None,
    standards: Sequence[str] = (),
    version: str = DEFAULT_VERSION,
) -> list[Row]:
    """Return the table rows: every test case lokictl checked or the official suite reported, in scope order.

    A failed finding is ``FAIL`` when the test case is mandatory in ``version``, else ``WARN``.
    """
    scope = testcases(version)
    ours = {f.testcase: f for f in findings}
    theirs = official or {}
    order = [tc for tc in scope if tc in ours or tc in theirs]
    order += sorted((set(ours) | set(theirs)) - set(order))
    rows = []
    for tc in select(order, standards):
        level = scope[tc].level if tc in scope else ""
        f = ours.get(tc)
        if f is None:
            result, detail = "-", ""
        else:
            result = "pass" if f.ok else ("FAIL" if level == "mandatory" else "WARN")
            detail = f.detail
        rows.append(Row(tc, level, result, detail, theirs.get(tc, "")))
    return rows


def format_report(report: ScsReport) -> str:
    """Return the table (standard, test case, level, lokictl, official, detail) and the verdict."""
    show_official = report.official is not None
    head = ["STANDARD", "TESTCASE", "LEVEL", "LOKICTL", *(["OFFICIAL"] if show_official else []), "DETAIL"]
    table = [head]
    for r in report.rows:
        detail = r.detail if len(r.detail) <= 100 else r.detail[:97] + "..."
        row = [
            r.standard,
            r.testcase,
            r.level or "-",
            r.result,
            *([r.official or "-"] if show_official else []),
        ]
        table.append([*row, detail])
    widths = [max(len(row[i]) for row in table) for i in range(len(head) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]]).rstrip()
        for row in table
    ]
    if report.official is not None:
        lines += [f"official: {v}" for v in report.official.verdicts]
        lines.append(
            f"official suite exit code {report.official.returncode}; report {report.official.report}"
        )
    failed = [r for r in report.rows if r.level == "mandatory" and "FAIL" in (r.result, r.official)]
    warned = sum(r.result == "WARN" for r in report.rows)
    passed = sum(r.result == "pass" for r in report.rows)
    verdict = f"verify --scs FAILED ({len(failed)} mandatory test cases)" if failed else "verify --scs passed"
    lines.append(
        f"{verdict}: {passed} passed, {warned} warnings (not mandatory in {report.version}); "
        f"{report.duration:.1f} s; record {report.record}"
    )
    return "\n".join(lines)


# ---- the official suite ---------------------------------------------------------------------------------


def official_paths(checkout: Path) -> tuple[Path, Path]:
    """Return the official runner and the IaaS scope file of a standards checkout (repo root or Tests/).

    Raises:
        InputError: the directory holds no ``scs-compliance-check.py`` with ``scs-compatible-iaas.yaml``.
    """
    for tests in (checkout / "Tests", checkout):
        if (tests / RUNNER).is_file() and (tests / SPEC_FILE).is_file():
            return tests / RUNNER, tests / SPEC_FILE
    raise InputError(
        f"{checkout}: not a checkout of the SCS standards (no Tests/{RUNNER} and Tests/{SPEC_FILE})"
    )


def parse_official_report(data: Any, version: str) -> dict[str, str]:
    """Return ``test case id -> pass/FAIL/abort`` for one scope version of an official YAML report.

    The report maps ``versions -> <version> -> <test case id> -> {result: 1 | -1 | 0}``; a version missing
    from the report gives an empty mapping.
    """
    versions = (data or {}).get("versions") or {}
    results = versions.get(version) or {}
    out: dict[str, str] = {}
    for tc, value in results.items():
        code = value.get("result") if isinstance(value, dict) else value
        out[str(tc)] = OFFICIAL_RESULTS.get(code, str(code)) if isinstance(code, int) else str(code)
    return out


def run_official(
    checkout: Path, clouds_file: Path, cloud: str, subject: str, record: Path, version: str = DEFAULT_VERSION
) -> OfficialRun:
    """Run the official ``scs-compliance-check.py`` against one clouds.yaml entry; keep its report and log.

    The runner and its check scripts use this Python (which has openstacksdk); ``OS_CLIENT_CONFIG_FILE``
    points them at the site's clouds.yaml.

    Raises:
        InputError: ``checkout`` is not a standards checkout.
        RuntimeFailure: the runner cannot be started or times out.
    """
    runner, spec = official_paths(checkout)
    report = record / "scs-official-report.yaml"
    log = record / "scs-official.log"
    cmd = [
        sys.executable, str(runner), "-s", subject, "-a", f"os_cloud={cloud}", "-V", version,
        "-o", str(report), str(spec),
    ]  # fmt: skip
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(clouds_file.resolve()), OS_CLOUD=cloud)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    try:
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=runner.parent, check=False,
                timeout=OFFICIAL_TIMEOUT,
            )  # fmt: skip
    except OSError as exc:
        raise RuntimeFailure(f"cannot run {runner}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise RuntimeFailure(f"{runner} ran longer than {OFFICIAL_TIMEOUT} s; log {log}") from None
    text = log.read_text(encoding="utf-8", errors="replace")
    verdicts = [
        line.strip() for line in text.splitlines() if re.match(r"^- \S+: (PASS|FAIL|TENTATIVE)", line)
    ]
    run = OfficialRun(proc.returncode, verdicts=verdicts, log=log)
    if report.is_file():
        run.report = report
        run.results = parse_official_report(yaml.safe_load(report.read_text(encoding="utf-8")), version)
    elif not verdicts:
        tail = " ".join(text.strip().splitlines()[-2:])
        raise RuntimeFailure(f"{runner} wrote no report (exit code {proc.returncode}): {tail}; log {log}")
    return run


# ---- the entry point ------------------------------------------------------------------------------------


def verify_scs(
    site_path: Path,
    *,
    scs_tests: Path | None = None,
    standards: Sequence[str] = (),
    version: str = DEFAULT_VERSION,
    progress: Progress = _quiet,
) -> ScsReport:
    """Check the site's cloud against the SCS standards; run the official suite too with ``scs_tests``.

    Args:
        site_path: the site file (its clouds.yaml holds the admin and ``<site>-member`` entries).
        scs_tests: a checkout of the SovereignCloudStack standards repository, or None.
        standards: only these standards (``scs-0103`` or ``0103``); all when empty.
        version: the version of the "SCS-compatible IaaS" scope that decides mandatory or recommended.
        progress: called with progress lines.

    Raises:
        SiteError: the site file is invalid.
        InputError: the site does not deploy OpenStack, the version is unknown, or ``scs_tests`` is not a
            standards checkout.
        RuntimeFailure: clouds.yaml is missing an entry, the cloud cannot be reached, or the official
            runner fails to run.
    """
    import logging

    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    from lokictl.openstack import clouds
    from lokictl.site import load_site

    logging.getLogger("keystoneauth").addHandler(logging.NullHandler())
    started = time.monotonic()
    site = load_site(site_path)
    if not site.model.openstack.enabled:
        raise InputError(f"{site_path}: openstack.enabled is false; nothing to check")
    try:
        testcases(version)
    except KeyError:
        raise InputError(f"unknown SCS-compatible IaaS version '{version}'") from None
    if scs_tests is not None:
        official_paths(scs_tests)  # fail early on a wrong path
    path = clouds.clouds_file(site)
    doc = clouds.read_clouds(path)
    name = site.model.site.name
    member_name = clouds.member_cloud_name(name)
    if member_name not in doc["clouds"]:
        raise RuntimeFailure(
            f"{path}: no '{member_name}' entry; run lokictl openstack post-deploy -f {site_path}"
        )
    admin = clouds.connect(clouds.cloud_entry(path, clouds.admin_cloud_name(doc, name)))
    member = clouds.connect(clouds.cloud_entry(path, member_name))
    progress(
        f"verify --scs: reading the cloud as {member_name} (and admin for the default security group rules)"
    )
    try:
        findings = gather(admin, member)
    except (SDKException, ClientException) as exc:
        text = " ".join(str(exc).split())[:300]
        raise RuntimeFailure(f"verify --scs: {type(exc).__name__}: {text}") from None
    finally:
        admin.close()
        member.close()
    report = ScsReport(version=version)
    report.record = records.new_run_dir(records.runs_dir(site.directory), "verify-scs")
    if scs_tests is not None:
        progress(f"verify --scs: running the official {RUNNER} from {scs_tests} as {member_name}")
        report.official = run_official(scs_tests, path, member_name, name, report.record, version)
    official = report.official.results if report.official is not None else None
    report.rows = build_rows(findings, official, standards, version)
    report.duration = time.monotonic() - started
    records.write_json(
        report.record / records.SUMMARY,
        {
            "format": records.FORMAT,
            "action": "verify-scs",
            "layer": "verify",
            "status": "successful" if report.ok else "failed",
            "site_sha256": records.sha256_file(site_path),
            "version": version,
            "standards": list(standards),
            "rows": [asdict(r) for r in report.rows],
            "official": None
            if report.official is None
            else {
                "returncode": report.official.returncode,
                "report": str(report.official.report or ""),
                "verdicts": report.official.verdicts,
            },
        },
    )
    return report
