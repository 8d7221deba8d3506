"""No-op rerun of the Linux layer on a 3-host lab, and lokictl's overhead over a bare ansible-playbook run.

Creates a lab (3 systemd containers), converges the layer once with ``lokictl deploy --layer linux``, then
alternates no-op reruns through lokictl and through a bare ``ansible-playbook`` of the same playbook with the
same inventory, ansible.cfg, roles path, extra variables and fact cache, and prints wall-clock times.

    python benchmarks/deploy_overhead.py [--runs 5] [--content DIR] [--stock] [--keep | --lab labs/NAME]

The bare runs use the layer's strategy (Mitogen's, as lokictl does) unless ``--stock`` asks for Ansible's
own ``linear``. ``--content`` runs another content directory (default: the installed content, i.e.
playbooks/linux.yml); tests/fixtures/content is a small stand-in. Needs Docker and the lab image (lokictl lab
image build).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import last_summary, three_host_site  # noqa: E402  (tests/ holds the shared site and run helpers)

SITE = three_host_site("bench", "10.213.6", "b")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}")
    return elapsed


def changed(lab: Path) -> int:
    return sum(r["changed"] for r in last_summary(lab)["recap"].values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--content", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the lab afterwards")
    parser.add_argument("--lab", type=Path, help="use this existing lab directory (labs/<name>) instead")
    parser.add_argument("--stock", action="store_true", help="bare runs with Ansible's own linear strategy")
    args = parser.parse_args()
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    if args.content:
        env["LOKI_CONTENT_DIR"] = str(args.content.resolve())
    from lokictl import layers, runner

    os.environ.update({k: v for k, v in env.items() if k == "LOKI_CONTENT_DIR"})
    playbook = layers.playbook_path(layers.step("linux"))
    roles = layers.roles_path()
    work = Path(tempfile.mkdtemp(prefix="lokictl-bench-"))
    (work / "site.yml").write_text(SITE)
    lokictl = [str(BIN / "lokictl")]
    try:
        if args.lab:
            up, lab = 0.0, args.lab.resolve()
        else:
            up = timed([*lokictl, "lab", "up", "-f", "site.yml", "--name", "bench"], work, env)
            lab = work / "labs" / "bench"
        inv = lab / "inventory"
        deploy = [*lokictl, "deploy", "-f", str(lab / "site.yml"), "--inventory", str(inv)]
        deploy += ["--layer", "linux", "--output", "plain"]
        timed([*lokictl, "render", "-f", str(lab / "site.yml"), "--out", str(inv)], work, env)
        first = timed(deploy, work, env)
        first_changed = changed(lab)
        bare_env = {
            **env,
            "ANSIBLE_CONFIG": str(inv / "ansible.cfg"),
            "ANSIBLE_ROLES_PATH": str(roles),
            "ANSIBLE_CACHE_PLUGIN": "jsonfile",
            "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(lab / "runs" / ".facts"),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
        strategy = layers.step("linux").strategy
        if strategy:  # the same strategy as lokictl's run (Mitogen's plugins), unless --stock
            bare_env.update(runner.strategy_env("linear" if args.stock else strategy))
        bare = [str(BIN / "ansible-playbook"), "-i", str(inv / "hosts.yml")]
        bare += ["-e", '{"loki_action": "deploy"}', str(playbook)]
        times: dict[str, list[float]] = {"lokictl": [], "bare": []}
        for _ in range(args.runs):
            times["lokictl"].append(timed(deploy, work, env))
            assert changed(lab) == 0, "the rerun changed something: the layer is not idempotent"
            times["bare"].append(timed(bare, work, bare_env))
        print(f"playbook: {playbook}")
        print(f"lab up: {up:.1f} s; first deploy: {first:.1f} s ({first_changed} changes)")
        print(f"{'no-op rerun':<14}{'median':>9}{'min':>9}{'max':>9}   ({args.runs} runs each, alternating)")
        for name, values in times.items():
            print(f"{name:<14}{statistics.median(values):>8.1f}s{min(values):>8.1f}s{max(values):>8.1f}s")
        overhead = statistics.median(times["lokictl"]) - statistics.median(times["bare"])
        print(f"lokictl overhead (median difference): {overhead:+.1f} s")
    finally:
        if not (args.keep or args.lab):
            down = [*lokictl, "lab", "down", "--name", "bench", "--purge"]
            subprocess.run(down, cwd=work, env=env, stdout=subprocess.DEVNULL, check=False)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
