"""Verify deployed hosts: run each layer's testinfra suites and collect one pass/fail table.

Suites ship in the package as ``lokictl/verify/<layer>/test_<layer>*.py`` (file names unique across layers).
They run with pytest and testinfra's ansible backend in a subprocess, against an inventory flattened from the
rendered one with its templates resolved (testinfra does not template ``{{ inventory_dir }}`` key paths). The
pytest output and JUnit report of each layer are kept in ``runs/<UTC timestamp>-verify/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lokictl import layers, records

TARGETS = {"linux": "all", "openstack": "openstack_nodes", "kubernetes": "k8s_nodes"}
"""Inventory group each layer's suites run against."""
SITE_ENV = "LOKI_VERIFY_SITE"
"""Environment variable naming the (absolute) site file to the suites (API checks read its clouds.yaml)."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CheckResult:
    """One check on one host."""

    layer: str
    host: str
    check: str
    outcome: str
    message: str = ""


@dataclass
class VerifyReport:
    """All check results of one `verify`, plus notes (skipped layers) and the record directory."""

    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    record: Path | None = None

    @property
    def ok(self) -> bool:
        """Return True when no check failed or errored."""
        return all(r.outcome in ("passed", "skipped") for r in self.results)


def _quiet(_line: str) -> None:
    """Discard a progress line."""


def flat_inventory(hostvars: dict[str, dict[str, Any]], control_dir: Path) -> dict[str, Any]:
    """Return a YAML-ready inventory holding every host's resolved variables and its groups.

    SSH connections are multiplexed through sockets in ``control_dir`` (testinfra opens one SSH session per
    command).
    """
    hosts: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    for name, data in sorted(hostvars.items()):
        data = dict(data)
        for group in data.pop("group_names", []):
            if group not in ("all", "ungrouped"):
                groups.setdefault(group, {"hosts": {}})["hosts"][name] = None
        common = str(data.get("ansible_ssh_common_args") or "")
        data["ansible_ssh_common_args"] = f"{common} -o ControlPath={control_dir}/%C".strip()
        hosts[name] = data
    return {"all": {"hosts": hosts, "children": groups}}


def _check_name(testcase: ET.Element) -> tuple[str, str]:
    name = testcase.get("name", "")
    host = ""
    if "[" in name and name.endswith("]"):
        name, param = name[:-1].split("[", 1)
        host = param.split("://", 1)[-1]
    return name.removeprefix("test_"), host


def parse_junit(path: Path, layer: str) -> list[CheckResult]:
    """Return the check results of a pytest JUnit report."""
    results: list[CheckResult] = []
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        check, host = _check_name(case)
        outcome, message = "passed", ""
        for tag, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            node = case.find(tag)
            if node is not None:
                outcome = name
                text = (node.get("message") or node.text or "").strip()
                message = " ".join(text.splitlines()[0].split())[:300] if text else ""
                break
        results.append(CheckResult(layer, host or "-", check, outcome, message))
    return results


def _pytest(
    layer: str,
    suites: list[Path],
    inventory: Path,
    config: Path | None,
    work: Path,
    record: Path,
    site_path: Path | None = None,
) -> list[CheckResult]:
    ini = work / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    junit = record / f"{layer}.xml"
    log = record / f"{layer}.log"
    cmd = [
        sys.executable, "-m", "pytest", "-c", str(ini), "--rootdir", str(work), "-p", "no:cacheprovider",
        "--import-mode=importlib", "-q", "--tb=short", "-rN",
        "--hosts", f"ansible://{TARGETS.get(layer, 'all')}", "--ansible-inventory", str(inventory),
        "--junitxml", str(junit), *[str(s) for s in suites],
    ]  # fmt: skip
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    if site_path is not None:
        env[SITE_ENV] = str(site_path.resolve())
    if config is not None:
        env["ANSIBLE_CONFIG"] = str(config.resolve())
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work, check=False)
    results = parse_junit(junit, layer) if junit.is_file() else []
    if proc.returncode not in (0, 1) or not results:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        message = f"pytest rc={proc.returncode}: {' '.join(tail)}"
        results.append(CheckResult(layer, "-", "suite", "error", message))
    return results


def verify(
    site_path: Path, layer: str = "all", inventory: Path | None = None, progress: Progress = _quiet
) -> VerifyReport:
    """Run the testinfra suites of the selected, enabled layers against the rendered inventory.

    Raises:
        SiteError: the site file is invalid.
        MissingInventory: there is no rendered inventory.
        RuntimeFailure: the inventory cannot be read or the record cannot be written.
    """
    from lokictl import runner
    from lokictl.deploy import MissingInventory, inventory_dir
    from lokictl.site import load_site

    site = load_site(site_path)
    inv = inventory_dir(site, inventory)
    hosts_file = inv / "hosts.yml"
    if not hosts_file.is_file():
        raise MissingInventory(
            f"no rendered inventory at {inv} ({hosts_file} is missing); run lokictl render"
        )
    report = VerifyReport()
    selected = []
    for name in layers.select(layer):
        if not layers.enabled(site.model, name):
            report.notes.append(layers.disabled_note(name))
        elif not layers.verify_suites(name):
            report.notes.append(f"{name}: no verification suite in this version")
        else:
            selected.append(name)
    if not selected:
        return report
    hostvars = runner.inventory_hostvars([hosts_file])
    report.record = records.new_run_dir(records.runs_dir(site.directory), "verify")
    config = inv / "ansible.cfg"
    with tempfile.TemporaryDirectory(prefix="lokictl-verify-") as tmp:
        work = Path(tmp)
        flat = work / "inventory.yml"
        flat.write_text(yaml.safe_dump(flat_inventory(hostvars, work), sort_keys=True), encoding="utf-8")
        for name in selected:
            suites = list(layers.verify_suites(name))
            progress(f"verify {name}: {len(suites)} suite(s) on {TARGETS.get(name, 'all')}")
            cfg = config if config.is_file() else None
            report.results += _pytest(name, suites, flat, cfg, work, report.record, site_path)
    records.write_json(
        report.record / records.SUMMARY,
        {
            "format": records.FORMAT,
            "action": "verify",
            "layer": "verify",
            "layers": selected,
            "status": "successful" if report.ok else "failed",
            "site_sha256": records.sha256_file(site_path),
            "inputs_sha256": records.inputs_hashes(inv)[0],
            "results": [asdict(r) for r in report.results],
        },
    )
    return report


def format_report(report: VerifyReport) -> str:
    """Return the pass/fail table (checks x hosts), the failure messages and the record path."""
    lines = list(report.notes)
    if report.results:
        hosts = sorted({r.host for r in report.results if r.host != "-"})
        if not hosts or any(r.host == "-" for r in report.results):
            hosts.append("-")  # checks not bound to a host (API checks, suite errors)
        checks: dict[tuple[str, str], dict[str, str]] = {}
        for r in report.results:
            checks.setdefault((r.layer, r.check), {})[r.host] = r.outcome
        mark = {"passed": "pass", "failed": "FAIL", "error": "ERROR", "skipped": "skip"}
        table = [["LAYER", "CHECK", *hosts]]
        for (lay, check), by_host in checks.items():
            table.append([lay, check, *[mark.get(by_host.get(h, ""), "-") for h in hosts]])
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]
        bad = [r for r in report.results if r.outcome in ("failed", "error")]
        for r in bad:
            lines.append(f"{r.outcome}: {r.layer} {r.check} on {r.host}: {r.message}")
        passed = sum(r.outcome == "passed" for r in report.results)
        verdict = f"verify FAILED ({len(bad)} of {len(report.results)} checks)" if bad else "verify passed"
        lines.append(f"{verdict}: {passed} passed; record {report.record}")
    return "\n".join(lines)
