"""What one Ansible task costs on a lab: the floor under a no-op rerun of the Linux layer.

Runs small playbooks of N identical tasks with a bare ``ansible-playbook``, on the hosts of an existing lab,
with the lab's inventory and ansible.cfg and the Linux layer's strategy (Mitogen's, as lokictl runs it). It
prints the seconds a task costs on all the lab's hosts together, per kind of task:

- ``skipped``: a task whose condition is false (Ansible still forks a worker per host);
- ``debug``: a task that runs on the controller only;
- ``stat``: a task that runs a small module on each host.

The cost per task is (time of N tasks - time of 1 task) / (N - 1), so the playbook's start and the connections
are left out. Multiply by the layer's task counts (``ansible-playbook --list-tasks``) to get the floor of a
rerun.

    python benchmarks/task_floor.py --lab labs/NAME [--tasks 100] [--runs 2] [--stock]

Needs a lab that is up (``lokictl lab up``; ``benchmarks/deploy_overhead.py --keep`` leaves one behind).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from deploy_overhead import timed  # noqa: E402  (the benchmarks' timed command, exits on a failure)

KINDS: dict[str, dict[str, object]] = {
    "skipped": {"ansible.builtin.debug": {"msg": "never"}, "when": "false"},
    "debug": {"ansible.builtin.debug": {"msg": "on the controller"}},
    "stat": {"ansible.builtin.stat": {"path": "/etc/hostname"}},
}


def playbook(directory: Path, kind: str, count: int) -> Path:
    tasks = [{"name": f"{kind} {n}", **KINDS[kind]} for n in range(count)]
    path = directory / f"{kind}-{count}.yml"
    plays = [{"name": f"{count} {kind} tasks", "hosts": "all", "gather_facts": False, "tasks": tasks}]
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=Path, required=True, help="an existing lab directory (labs/<name>)")
    parser.add_argument("--tasks", type=int, default=100, help="tasks per playbook (default 100)")
    parser.add_argument("--runs", type=int, default=2, help="runs of each playbook; the median counts")
    parser.add_argument(
        "--stock", action="store_true", help="Ansible's own linear strategy instead of Mitogen's"
    )
    args = parser.parse_args()
    if args.tasks < 2:
        parser.error("--tasks must be at least 2")
    from lokictl import layers, runner

    inv = args.lab.resolve() / "inventory"
    if not (inv / "hosts.yml").is_file():
        sys.exit(f"{inv / 'hosts.yml'}: no rendered inventory (is {args.lab} a lab directory?)")
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "ANSIBLE_CONFIG": str(inv / "ansible.cfg")}
    strategy = layers.step("linux").strategy
    env.update(runner.strategy_env("linear" if args.stock or not strategy else strategy))
    listing = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inv / "hosts.yml"), "--graph"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # --graph lines: "  |  |--@group:" for groups, "  |  |--name" for hosts (a host may sit in several groups)
    hosts = len(
        {line.split("|--")[-1] for line in listing.splitlines() if "|--" in line and "|--@" not in line}
    )
    with tempfile.TemporaryDirectory(prefix="lokictl-floor-") as work:
        # a fact cache of its own: the lab's stays as it is
        env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(Path(work) / "facts")
        print(f"strategy: {env['ANSIBLE_STRATEGY']}; hosts: {hosts}; {args.tasks} tasks per run")
        print(f"{'task kind':<10}{'1 task':>9}{f'{args.tasks} tasks':>12}{'per task':>11}")
        for kind in KINDS:
            cost = {}
            for count in (1, args.tasks):
                path = playbook(Path(work), kind, count)
                cmd = [str(BIN / "ansible-playbook"), "-i", str(inv / "hosts.yml"), str(path)]
                cost[count] = statistics.median(timed(cmd, Path(work), env) for _ in range(args.runs))
            per_task = (cost[args.tasks] - cost[1]) / (args.tasks - 1)
            print(f"{kind:<10}{cost[1]:>8.2f}s{cost[args.tasks]:>11.2f}s{per_task:>10.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
