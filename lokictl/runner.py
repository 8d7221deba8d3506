"""Run Ansible. This is the only module that starts Ansible, always through ansible-runner's Python API.

`run_playbook` runs one playbook and returns a `RunResult`; it streams ansible-runner's events through a
`RunTracker`, which turns them into small `Event` records (what the displays and ``events.jsonl`` show), keeps
the per-host recap and the failed tasks, and writes the full Ansible log. Playbooks from anywhere
(kolla-ansible's included) run through the same function: `PlaybookRun` carries inventories, extra variables
and files, tags, limit, check/diff and environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any

from lokictl.errors import RuntimeFailure
from lokictl.events import Event, RunResult, RunTracker

LOG_FILE = "ansible.log"
EVENTS_FILE = "events.jsonl"
STOP_GRACE = 15.0
"""Seconds ansible-playbook gets to stop after an interrupt before it is killed."""

# ansible-runner status -> ours.
_STATUS = {"successful": "successful", "failed": "failed", "canceled": "interrupted", "timeout": "timeout"}


@dataclass(frozen=True)
class PlaybookRun:
    """What to run: one playbook with its inputs.

    Attributes:
        playbook: absolute path of the playbook.
        inventories: one or more inventory files or directories.
        extravars: extra variables (put on the command line: never secrets).
        extravars_files: files passed as ``-e @file`` (secrets such as kolla passwords go here).
        roles_paths: directories searched for roles.
        tags: run only tasks with these tags.
        skip_tags: skip tasks with these tags.
        limit: host pattern limiting the run.
        check: dry run (``--check``).
        diff: show changes (``--diff``).
        config: the ansible.cfg to use (``ANSIBLE_CONFIG``).
        fact_cache: directory of the jsonfile fact cache (kept between runs); None = a per-run cache.
        forks: parallel hosts; None = the configuration's value.
        verbosity: Ansible verbosity (0-4).
        strategy: Ansible strategy (``ANSIBLE_STRATEGY``); None = the configuration's. A ``mitogen_*`` name
            loads Mitogen's strategy plugins from the installed ``ansible_mitogen`` package.
        envvars: extra environment for Ansible.
        project_dir: working directory of the run; default: the playbook's directory.
    """

    playbook: Path
    inventories: tuple[Path, ...]
    extravars: Mapping[str, Any] = field(default_factory=dict)
    extravars_files: tuple[Path, ...] = ()
    roles_paths: tuple[Path, ...] = ()
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    limit: str | None = None
    check: bool = False
    diff: bool = False
    config: Path | None = None
    fact_cache: Path | None = None
    forks: int | None = None
    verbosity: int = 0
    strategy: str | None = None
    envvars: Mapping[str, str] = field(default_factory=dict)
    project_dir: Path | None = None


def _environment(req: PlaybookRun) -> dict[str, str]:
    env: dict[str, str] = {
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    bindir = Path(sys.executable).parent
    if (bindir / "ansible-playbook").exists():
        env["PATH"] = os.pathsep.join([str(bindir), os.environ.get("PATH", os.defpath)])
    if req.config is not None:
        env["ANSIBLE_CONFIG"] = str(req.config.resolve())
    if req.strategy is not None:
        env.update(strategy_env(req.strategy))
    env.update(req.envvars)
    return env


def strategy_env(strategy: str) -> dict[str, str]:
    """Return the environment that makes ansible-playbook run ``strategy``.

    A ``mitogen_*`` name also points Ansible at Mitogen's strategy plugins (see `mitogen_strategy_plugins`).
    """
    env = {"ANSIBLE_STRATEGY": strategy}
    if strategy.startswith("mitogen_"):
        env["ANSIBLE_STRATEGY_PLUGINS"] = str(mitogen_strategy_plugins())
    return env


def mitogen_strategy_plugins() -> Path:
    """Return the directory of Mitogen's Ansible strategy plugins (in the installed ``ansible_mitogen``).

    Raises:
        RuntimeFailure: Mitogen is not installed (a broken installation: it is a dependency of lokictl).
    """
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeFailure("Mitogen (Python package ansible_mitogen) is not installed; reinstall lokictl")
    path = Path(next(iter(spec.submodule_search_locations))) / "plugins" / "strategy"
    if not path.is_dir():
        raise RuntimeFailure(f"Mitogen's strategy plugins are missing ({path}); reinstall lokictl")
    return path


def _cmdline(req: PlaybookRun) -> str:
    args: list[str] = []
    for path in req.extravars_files:
        args += ["-e", f"@{path.resolve()}"]
    if req.check:
        args.append("--check")
    if req.diff:
        args.append("--diff")
    return shlex.join(args)


class _Stop:
    """Cancellation of a run: the cancel callback ansible-runner polls.

    A stop is requested by SIGINT/SIGTERM (main thread only), by the caller's ``cancel`` or by an error in an
    event handler. The first request interrupts ansible-playbook like a Ctrl-C in its terminal (SIGINT to its
    main process, which stops its workers: they run in their own sessions); if it has not exited after
    `STOP_GRACE` seconds, or on a second signal, ansible-runner kills its process group.
    """

    def __init__(self, external: Callable[[], bool] | None) -> None:
        self.flag = threading.Event()
        self.external = external
        self.error: BaseException | None = None
        self.pid: int | None = None
        self.signals = 0
        self._sent: float | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        if not self.flag.is_set() and self.external is not None and self.external():
            self.flag.set()
        if not self.flag.is_set():
            return False
        if self.pid is None or self.signals > 1:
            return True
        if self._sent is None:
            self._sent = time.monotonic()
            try:
                os.kill(self.pid, signal.SIGINT)
            except OSError:
                return True
            return False
        return time.monotonic() - self._sent > STOP_GRACE

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        self.flag.set()

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def _check_inputs(req: PlaybookRun) -> None:
    if not req.playbook.is_file():
        raise RuntimeFailure(f"playbook not found: {req.playbook}")
    if not req.inventories:
        raise RuntimeFailure("no inventory given")
    for inv in req.inventories:
        if not inv.exists():
            raise RuntimeFailure(f"inventory not found: {inv}")
    for path in req.extravars_files:
        if not path.is_file():
            raise RuntimeFailure(f"variables file not found: {path}")


def run_playbook(
    req: PlaybookRun,
    record_dir: Path,
    on_event: Callable[[Event], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    on_raw_event: Callable[[Mapping[str, Any]], None] | None = None,
    redact: Callable[[Any], Any] | None = None,
) -> RunResult:
    """Run one playbook through ansible-runner and return its result.

    Writes ``ansible.log`` (the full Ansible output) and ``events.jsonl`` (one `Event` per line) into
    ``record_dir``. SIGINT/SIGTERM during the run (or ``cancel`` returning True) stop Ansible; the result
    is then ``interrupted``. ansible-runner's own artifacts live in a private temporary directory that is
    removed afterwards (they hold the full environment and raw module results).

    Args:
        req: what to run.
        record_dir: directory receiving the log and the event stream (created).
        on_event: called for every `Event` (live display).
        cancel: polled while Ansible runs; return True to stop it.
        on_raw_event: called with every raw ansible-runner event (used to record test fixtures).
        redact: applied to every raw event before anything is written, shown or kept (e.g.
            `lokictl.redact.Redactor.data`, which hides secret values kolla-ansible prints).

    Raises:
        RuntimeFailure: the playbook, an inventory or a variables file is missing, or ansible-runner
            could not start Ansible.
    """
    import ansible_runner

    _check_inputs(req)
    record_dir.mkdir(parents=True, exist_ok=True)
    log_path, events_path = record_dir / LOG_FILE, record_dir / EVENTS_FILE
    tracker = RunTracker()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    with (
        log_path.open("w", encoding="utf-8") as log,
        events_path.open("w", encoding="utf-8") as events,
        _Stop(cancel) as stop,
    ):
        handler = _handler(tracker, log, events, stop, on_event, on_raw_event, redact)
        try:
            with tempfile.TemporaryDirectory(prefix="lokictl-runner-") as private:
                run = ansible_runner.run(
                    private_data_dir=private,
                    project_dir=str((req.project_dir or req.playbook.parent).resolve()),
                    playbook=str(req.playbook.resolve()),
                    inventory=[str(i.resolve()) for i in req.inventories],
                    roles_path=[str(p.resolve()) for p in req.roles_paths] or None,
                    envvars=_environment(req),
                    extravars=dict(req.extravars) or None,
                    cmdline=_cmdline(req) or None,
                    tags=",".join(req.tags) or None,
                    skip_tags=",".join(req.skip_tags) or None,
                    limit=req.limit,
                    forks=req.forks,
                    verbosity=req.verbosity or None,
                    fact_cache=str(req.fact_cache.resolve()) if req.fact_cache else None,
                    settings={"suppress_output_file": True, "pexpect_timeout": 0.2},
                    quiet=True,
                    event_handler=handler,
                    cancel_callback=stop,
                )
        except Exception as exc:  # ansible-runner raises plain exceptions for configuration problems
            raise RuntimeFailure(f"cannot run {req.playbook.name}: {exc}") from exc
    if stop.error is not None:
        raise RuntimeFailure(f"run of {req.playbook.name} stopped: event handler failed: {stop.error}")
    status = "interrupted" if stop.flag.is_set() else _STATUS.get(str(run.status), "failed")
    rc = int(run.rc if run.rc is not None else 1)
    if status == "failed" and not tracker.failed_tasks and not tracker.errors:
        tracker.errors.append(f"ansible-playbook exited with rc={rc}; see {log_path}")
    return RunResult(
        status=status,
        rc=rc,
        recap=tracker.recap,
        failed_tasks=tracker.failed_tasks,
        errors=tracker.errors,
        duration=time.monotonic() - t0,
        log_path=log_path,
        events_path=events_path,
        started=started,
    )


def _handler(
    tracker: RunTracker,
    log: IO[str],
    events: IO[str],
    stop: _Stop,
    on_event: Callable[[Event], None] | None,
    on_raw_event: Callable[[Mapping[str, Any]], None] | None,
    redact: Callable[[Any], Any] | None = None,
) -> Callable[[Mapping[str, Any]], bool]:
    def handle(raw: Mapping[str, Any]) -> bool:
        try:
            if redact is not None:
                raw = redact(raw)
            if on_raw_event is not None:
                on_raw_event(raw)
            if stop.pid is None and isinstance(raw.get("pid"), int):
                stop.pid = raw["pid"]
            text = str(raw.get("stdout") or "")
            if text:
                log.write(text.replace("\r\n", "\n") + "\n")
                log.flush()
            event = tracker.feed(raw)
            if event is not None:
                events.write(json.dumps(event.as_dict(), sort_keys=True) + "\n")
                events.flush()
                if on_event is not None:
                    on_event(event)
        except Exception as exc:  # never let a display error leave Ansible running unobserved
            if stop.error is None:
                stop.error = exc
            stop.flag.set()
        return False  # ansible-runner keeps no copy of the event

    return handle


_MAGIC_VARS = frozenset(
    {"ansible_playbook_python", "ansible_config_file", "ansible_version", "ansible_facts"}
)


def inventory_hostvars(inventories: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """Return each host's ``ansible_*`` and ``loki_*`` variables and its groups, templates resolved.

    testinfra reads connection variables without templating them (``{{ inventory_dir }}/..`` key paths);
    `lokictl.verify` hands it these resolved values instead.

    Raises:
        RuntimeFailure: the inventory cannot be parsed.
    """
    sources = [str(p.resolve()) for p in inventories]
    try:
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.template import Templar
        from ansible.vars.manager import VariableManager

        loader = DataLoader()
        inventory = InventoryManager(loader=loader, sources=sources)
        manager = VariableManager(loader=loader, inventory=inventory)
        result: dict[str, dict[str, Any]] = {}
        for host in inventory.get_hosts():
            hostvars = manager.get_vars(host=host, include_hostvars=False)
            templar = Templar(loader=loader, variables=hostvars)
            keep = {
                k: v
                for k, v in hostvars.items()
                if k.startswith("loki_") or (k.startswith("ansible_") and k not in _MAGIC_VARS)
            }
            data = {k: templar.template(v) for k, v in keep.items()}
            data["group_names"] = sorted(str(g) for g in hostvars.get("group_names", []))
            # Plain Python types (Ansible tags its strings), for YAML/JSON dumpers.
            result[str(host.name)] = json.loads(json.dumps(data, default=str))
        return result
    except Exception as exc:
        raise RuntimeFailure(f"cannot read inventory {', '.join(sources)}: {exc}") from exc
