#!/usr/bin/env python3
"""Scale benchmark: `lokictl validate` + `lokictl render` as whole CLI processes for 10/100/1000 hosts.

For each size it generates a valid site (one /16 management network, 3 control hosts that are also the
Kubernetes control planes, every other host compute, OpenStack and Kubernetes enabled) in a temporary
directory and measures, as the median of N runs:

- validate: `lokictl validate -f site.yml`;
- cold render: `lokictl render` into an empty directory (includes generating kolla's secrets, among them
  7 RSA-4096 SSH key pairs: a one-off cost of the first render of a site);
- warm render: `lokictl render` after an edit of the site file (secrets exist and are kept; every file is
  rendered, compared and the directory rewritten);
- the yardstick: `ansible-inventory -i <out>/hosts.yml --list` on the same output (parses hosts.yml and every
  group_vars/host_vars file).

Then `lokictl --help` cold start beside `kolla-ansible --help`. Targets (issue 2): validate + render of 1000
hosts <= 0.5x the yardstick, linear growth, `lokictl --help` <= 0.2 s.

Usage: python benchmarks/render_scale.py [--sizes 10,100,1000] [--runs 5] [--help-runs 10] [--keep]
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CONTROL_HOSTS = 3
NETWORK = ipaddress.ip_network("10.0.0.0/16")


def site_text(hosts: int, timezone: str = "Etc/UTC") -> str:
    """Return a valid site file with ``hosts`` hosts (at least 4)."""
    if hosts < CONTROL_HOSTS + 1:
        raise ValueError(f"need at least {CONTROL_HOSTS + 1} hosts")
    first = NETWORK.network_address + 256  # 10.0.1.0
    lines = [
        "site:",
        f"  name: scale{hosts}",
        "  domain: bench.example",
        f"  timezone: {timezone}",
        "  ntp: [10.0.0.1]",
        "  dns: [10.0.0.1]",
        "networks:",
        "  management: {cidr: 10.0.0.0/16, gateway: 10.0.0.1}",
        "openstack:",
        "  enabled: true",
        '  release: "2026.1"',
        "  internal_vip: 10.0.0.250",
        "  services: [keystone, glance, placement]",
        "kubernetes:",
        "  enabled: true",
        "  api_vip: 10.0.0.251",
        "linux:",
        "  admin_users:",
        "    - {name: ops, ssh_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench ops@bench']}",
        "hosts:",
    ]
    for i in range(hosts):
        address = first + i
        if i < CONTROL_HOSTS:
            name, roles = f"ctl{i + 1}", "[control, network, k8s_control_plane]"
        else:
            name, roles = f"cmp{i - CONTROL_HOSTS + 1}", "[compute]"
        lines.append(
            f"  - {{name: {name}, address: {address}, roles: {roles}, interfaces: {{management: eth0}}}}"
        )
    return "\n".join(lines) + "\n"


def tool(name: str) -> str:
    """Return the path of a console script: next to this Python first, else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} not found (activate the project's venv)")
    return found


ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "ANSIBLE_NOCOLOR": "1"}


@dataclass
class Sample:
    """One run of a command: wall-clock seconds and CPU seconds (user + system)."""

    wall: float
    cpu: float


def run(cmd: Sequence[str], cwd: Path) -> Sample:
    """Run ``cmd`` and measure it; exit with its output when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu)


def median(samples: Sequence[Sample]) -> Sample:
    """Return the medians of wall and CPU time (taken separately)."""
    return Sample(statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples))


@dataclass
class Result:
    hosts: int
    validate: Sample
    cold: Sample
    warm: Sample
    inventory: Sample

    @property
    def warm_total(self) -> float:
        return self.validate.wall + self.warm.wall

    @property
    def warm_total_cpu(self) -> float:
        return self.validate.cpu + self.warm.cpu


def measure(hosts: int, runs: int, work: Path, lokictl: str, ansible_inventory: str) -> Result:
    """Measure one site size: medians of ``runs`` runs of each step."""
    d = work / f"h{hosts}"
    d.mkdir()
    site, out = d / "site.yml", d / "out"
    validate: list[Sample] = []
    cold: list[Sample] = []
    warm: list[Sample] = []
    inventory: list[Sample] = []
    for i in range(runs):
        site.write_text(site_text(hosts), encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        validate.append(run([lokictl, "validate", "-f", str(site)], d))
        cold.append(run([lokictl, "render", "-f", str(site), "--out", str(out)], d))
        # An edit of the site file: one group_vars file changes, the whole directory is rewritten.
        site.write_text(site_text(hosts, "Europe/Berlin" if i % 2 == 0 else "Etc/UTC"), encoding="utf-8")
        warm.append(run([lokictl, "render", "-f", str(site), "--out", str(out)], d))
        inventory.append(run([ansible_inventory, "-i", str(out / "hosts.yml"), "--list"], d))
    return Result(hosts, median(validate), median(cold), median(warm), median(inventory))


def report(results: Sequence[Result], runs: int) -> None:
    """Print the table, the ratios against ansible-inventory and the growth per added host."""
    print(
        f"\nmedian of {runs} runs; seconds of wall-clock time (cpu = user + system); each step a CLI process"
    )
    print(
        f"{'hosts':>6} {'validate':>9} {'render':>8} {'render':>8} {'validate+':>10} {'ansible-':>10} "
        f"{'ratio':>6} {'cpu':>6} {'cpu':>6} {'cpu':>6} {'per host':>9}"
    )
    print(
        f"{'':>6} {'':>9} {'cold':>8} {'warm':>8} {'warm rend.':>10} {'inventory':>10} "
        f"{'':>6} {'v+r':>6} {'inv.':>6} {'ratio':>6} {'ms':>9}"
    )
    for r in results:
        print(
            f"{r.hosts:>6} {r.validate.wall:>9.3f} {r.cold.wall:>8.3f} {r.warm.wall:>8.3f} "
            f"{r.warm_total:>10.3f} {r.inventory.wall:>10.3f} {r.warm_total / r.inventory.wall:>6.2f} "
            f"{r.warm_total_cpu:>6.2f} {r.inventory.cpu:>6.2f} {r.warm_total_cpu / r.inventory.cpu:>6.2f} "
            f"{1000 * r.warm_total / r.hosts:>9.2f}"
        )
    print("ratio = (validate + warm render) / ansible-inventory --list; target <= 0.50 at 1000 hosts")
    print("render cold = first render of a site: generates kolla's secrets, 7 of them RSA-4096 key pairs")
    steps = list(itertools.pairwise(results))

    def per_host(x: Result, y: Result, cpu: bool) -> float:
        a, b = (x.warm_total_cpu, y.warm_total_cpu) if cpu else (x.warm_total, y.warm_total)
        return (b - a) / (y.hosts - x.hosts)

    for x, y in steps:
        inv = (y.inventory.wall - x.inventory.wall) / (y.hosts - x.hosts)
        print(
            f"{x.hosts}->{y.hosts} hosts, per added host: validate + render "
            f"{1000 * per_host(x, y, False):+.3f} ms (cpu {1000 * per_host(x, y, True):+.3f} ms), "
            f"ansible-inventory {1000 * inv:+.3f} ms"
        )
    if len(steps) >= 2:
        # Judged on CPU time (wall-clock time also measures whatever else the machine does): for linear growth
        # the last step costs per added host what the whole range costs on average; quadratic costs more.
        overall, last = per_host(results[0], results[-1], True), per_host(*steps[-1], True)
        if overall <= 0:
            print("growth: inconclusive (measurement noise exceeds the per-host cost; use more --runs)")
        else:
            factor = last / overall
            verdict = "~linear" if factor <= 1.5 else "SUPERLINEAR"
            print(f"growth: {verdict} (cpu per added host, last step / whole range = {factor:.2f})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="host counts, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--help-runs", type=int, default=10, help="runs of each --help (median)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    lokictl, ansible_inventory, kolla_ansible = (
        tool("lokictl"),
        tool("ansible-inventory"),
        tool("kolla-ansible"),
    )

    work = Path(tempfile.mkdtemp(prefix="lokictl-bench-"))
    try:
        results = []
        for hosts in sizes:
            print(f"measuring {hosts} hosts ({args.runs} runs)...", file=sys.stderr, flush=True)
            results.append(measure(hosts, args.runs, work, lokictl, ansible_inventory))
        help_runs = max(1, args.help_runs)
        lokictl_help = median([run([lokictl, "--help"], work) for _ in range(help_runs)])
        kolla_help = median([run([kolla_ansible, "--help"], work) for _ in range(help_runs)])
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    report(results, args.runs)
    print(
        f"\n--help cold start, median of {help_runs} runs: lokictl {lokictl_help.wall:.3f} s "
        f"(cpu {lokictl_help.cpu:.3f}; target <= 0.200), kolla-ansible {kolla_help.wall:.3f} s "
        f"(cpu {kolla_help.cpu:.3f})"
    )
    print(
        f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
