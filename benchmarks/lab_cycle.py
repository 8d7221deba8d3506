"""Lab life cycle timings: image (cached), `lab up` of an example, Ansible ping over SSH, rerun, `lab down`.

    python benchmarks/lab_cycle.py [--example multinode] [--cold-image]

Runs in a temporary directory with a lab named ``bench-<pid>``, prints wall-clock seconds per step and checks
that `lab down` leaves no container, network or volume labelled with the lab. ``--cold-image`` first removes
the cached root file system tarball, so the image build includes debootstrap (needs root and debootstrap).
Needs Docker; the example's subnet (10.10.0.0/24) must be free.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PATH": f"{BIN}:{os.environ['PATH']}"}


def step(name: str, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{name} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    print(f"{name:<34} {seconds:7.1f} s")
    return seconds


def leftovers(lab: str) -> int:
    count = 0
    for kind in (["ps", "--all"], ["network", "ls"], ["volume", "ls"]):
        out = subprocess.run(
            ["docker", *kind, "--quiet", "--filter", f"label=io.lokictl.lab={lab}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        count += len(out.split())
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="multinode", choices=["aio", "multinode"])
    parser.add_argument("--cold-image", action="store_true", help="rebuild the image root file system")
    args = parser.parse_args()
    lokictl = str(BIN / "lokictl")
    lab = f"bench-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="lokictl-bench-") as tmp:
        work = Path(tmp)
        build = [lokictl, "lab", "image", "build"] + (["--force"] if args.cold_image else [])
        step("image build" + (" (cold)" if args.cold_image else " (cached)"), build, work)
        try:
            step(
                f"lab up --example {args.example}",
                [lokictl, "lab", "up", "--example", args.example, "--name", lab],
                work,
            )
            inventory = work / "labs" / lab / "inventory"
            step(
                "ansible all -m ping (SSH)",
                [str(BIN / "ansible"), "all", "-m", "ansible.builtin.ping"],
                inventory,
                {**ENV, "ANSIBLE_CONFIG": str(inventory / "ansible.cfg")},
            )
            step("lab up again (no change)", [lokictl, "lab", "up", "--name", lab], work)
            step("lab status", [lokictl, "lab", "status", "--name", lab], work)
        finally:
            step("lab down --purge", [lokictl, "lab", "down", "--name", lab, "--purge"], work)
        left = leftovers(lab)
        print(f"{'objects left after down':<34} {left:7d}")
        if left:
            sys.exit(1)


if __name__ == "__main__":
    main()
