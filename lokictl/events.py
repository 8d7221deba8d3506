"""The event model of an Ansible run: `Event`, per-host recap, failed tasks, `RunResult`, and `RunTracker`.

`RunTracker` turns ansible-runner's raw events into these records. It does no I/O, so tests replay recorded
event streams through it (tests/fixtures/events/); `lokictl.runner` feeds it live.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MESSAGE_LIMIT = 400

# ansible-runner event name -> our event kind.
_KINDS = {
    "playbook_on_start": "playbook",
    "playbook_on_play_start": "play",
    "playbook_on_task_start": "task",
    "playbook_on_handler_task_start": "task",
    "runner_on_start": "host_start",
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
    "runner_retry": "retry",
    "playbook_on_no_hosts_matched": "no_hosts",
    "playbook_on_no_hosts_remaining": "no_hosts_remaining",
    "playbook_on_stats": "stats",
    "warning": "warning",
    "error": "error",
    "deprecated": "warning",
}
# Host result kinds (terminal for one host in one task).
RESULT_KINDS = frozenset({"ok", "changed", "failed", "ignored", "skipped", "unreachable"})


@dataclass(frozen=True)
class Event:
    """One thing that happened in a run, as displays and ``events.jsonl`` see it.

    Attributes:
        kind: playbook, play, task, host_start, ok, changed, failed, ignored, skipped, unreachable, retry,
            no_hosts, no_hosts_remaining, stats, warning or error.
        counter: position in the run's event stream.
        time: ISO 8601 UTC time.
        play: current play name.
        task: current task name.
        host: host name for host events.
        message: short text (failure message, warning, pattern of a play).
        duration: seconds the host took for the task (host results).
    """

    kind: str
    counter: int
    time: str
    play: str = ""
    task: str = ""
    host: str = ""
    message: str = ""
    duration: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the event as a dict without empty fields."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


@dataclass
class HostRecap:
    """Per-host counts of a run (as Ansible's PLAY RECAP)."""

    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class FailedTask:
    """A task that failed on a host (or a host that could not be reached)."""

    host: str
    task: str
    message: str
    play: str = ""
    unreachable: bool = False


@dataclass
class RunResult:
    """The outcome of one playbook run.

    Attributes:
        status: successful, failed, interrupted or timeout.
        rc: exit code of ansible-playbook (254 when interrupted).
        recap: per-host counts.
        failed_tasks: failed tasks and unreachable hosts, in order.
        errors: Ansible error lines not tied to a task (syntax errors, missing files), in order.
        duration: seconds.
        log_path: the full Ansible log.
        events_path: the event stream (JSON lines).
        started: ISO 8601 UTC start time.
    """

    status: str
    rc: int
    recap: dict[str, HostRecap]
    failed_tasks: list[FailedTask]
    errors: list[str]
    duration: float
    log_path: Path
    events_path: Path
    started: str

    @property
    def ok(self) -> bool:
        """Return True when the run succeeded."""
        return self.status == "successful"

    @property
    def failed_hosts(self) -> list[str]:
        """Return the hosts with a failed task or unreachable, sorted."""
        hosts = {h for h, r in self.recap.items() if r.failed or r.unreachable}
        hosts |= {f.host for f in self.failed_tasks}
        return sorted(hosts)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-compatible data."""
        return {
            "status": self.status,
            "rc": self.rc,
            "started": self.started,
            "duration": round(self.duration, 3),
            "recap": {h: asdict(r) for h, r in sorted(self.recap.items())},
            "failed_hosts": self.failed_hosts,
            "failed_tasks": [asdict(f) for f in self.failed_tasks],
            "errors": self.errors,
            "log": self.log_path.name,
            "events": self.events_path.name,
        }


def _clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def result_message(res: Any) -> str:
    """Return a one-line message from a module result (``res`` of a failed/unreachable event)."""
    if not isinstance(res, Mapping):
        return _clip(str(res or ""))
    if "censored" in res:
        return "details hidden (no_log)"
    results = res.get("results")
    if isinstance(results, list):
        for item in results:
            if isinstance(item, Mapping) and (item.get("failed") or item.get("unreachable")):
                label = item.get("_ansible_item_label", item.get("item", ""))
                inner = result_message(item)
                return _clip(f"item {label}: {inner}" if label not in ("", None) else inner)
    parts: list[str] = []
    msg = str(res.get("msg") or res.get("reason") or res.get("message") or "")
    if msg:
        parts.append(msg)
    if res.get("assertion"):
        parts.append(f"assertion: {res['assertion']}")
    stderr = str(res.get("stderr") or "").strip()
    if stderr:
        parts.append(f"stderr: {stderr.splitlines()[-1]}")
    elif "rc" in res and res.get("stdout"):
        parts.append(f"stdout: {str(res['stdout']).strip().splitlines()[-1]}")
    if "rc" in res and res.get("rc") not in (None, 0):
        parts.append(f"rc={res['rc']}")
    return _clip("; ".join(parts) or "failed (no message)")


class RunTracker:
    """Turn ansible-runner events into `Event` records, a recap and the failed tasks.

    Pure bookkeeping with no I/O: tests replay recorded event streams through it.
    """

    def __init__(self) -> None:
        self.play = ""
        self.task = ""
        self.recap: dict[str, HostRecap] = {}
        self.stats_seen = False
        self.failed_tasks: list[FailedTask] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def _host(self, name: str) -> HostRecap:
        return self.recap.setdefault(name, HostRecap())

    def feed(self, raw: Mapping[str, Any]) -> Event | None:
        """Consume one ansible-runner event; return its `Event`, or None when it carries nothing to show."""
        name = str(raw.get("event", ""))
        data: Mapping[str, Any] = raw.get("event_data") or {}
        counter = int(raw.get("counter") or 0)
        created = str(raw.get("created") or "")
        if name == "verbose":
            return self._verbose(str(raw.get("stdout") or ""), counter, created)
        kind = _KINDS.get(name)
        if kind is None:
            return None
        if kind == "play":
            self.play, self.task = str(data.get("play") or data.get("name") or ""), ""
            return Event(
                "play", counter, created, play=self.play, message=str(data.get("play_pattern") or "")
            )
        if kind == "task":
            self.task = str(data.get("task") or data.get("name") or "")
            return Event("task", counter, created, play=self.play, task=self.task)
        if kind == "stats":
            self._stats(data)
            return Event("stats", counter, created, play=self.play)
        if kind in ("warning", "error"):
            text = _clip(str(raw.get("stdout") or data.get("msg") or ""))
            (self.errors if kind == "error" else self.warnings).append(text)
            return Event(kind, counter, created, play=self.play, task=self.task, message=text)
        if kind == "playbook":
            return Event("playbook", counter, created, message=Path(str(data.get("playbook") or "")).name)
        host = str(data.get("host") or "")
        task = str(data.get("task") or self.task)
        play = str(data.get("play") or self.play)
        duration = data.get("duration")
        dur = round(float(duration), 3) if isinstance(duration, int | float) else None
        res = data.get("res") or {}
        message = ""
        if kind == "ok":
            changed = isinstance(res, Mapping) and bool(res.get("changed"))
            rec = self._host(host)
            rec.ok += 1
            if changed:
                rec.changed += 1
                kind = "changed"
        elif kind == "failed":
            message = result_message(res)
            if data.get("ignore_errors"):
                self._host(host).ignored += 1
                kind = "ignored"
            else:
                self._host(host).failed += 1
                self.failed_tasks.append(FailedTask(host, task, message, play))
        elif kind == "unreachable":
            message = result_message(res)
            self._host(host).unreachable += 1
            self.failed_tasks.append(FailedTask(host, task, message, play, unreachable=True))
        elif kind == "skipped":
            self._host(host).skipped += 1
        elif kind == "retry":
            res_map = res if isinstance(res, Mapping) else {}
            message = f"retrying ({res_map.get('attempts', '?')}/{res_map.get('retries', '?')})"
        elif kind == "host_start":
            self._host(host)
        return Event(kind, counter, created, play=play, task=task, host=host, message=message, duration=dur)

    def _verbose(self, text: str, counter: int, created: str) -> Event | None:
        line = text.strip()
        if not line:
            return None
        if line.startswith(("ERROR!", "[ERROR]")):
            self.errors.append(_clip(line))
            return Event("error", counter, created, play=self.play, task=self.task, message=_clip(line))
        if line.startswith(("[WARNING]", "[DEPRECATION WARNING]")):
            self.warnings.append(_clip(line))
            return Event("warning", counter, created, play=self.play, task=self.task, message=_clip(line))
        return None

    def _stats(self, data: Mapping[str, Any]) -> None:
        self.stats_seen = True
        fields = {
            "ok": "ok",
            "changed": "changed",
            "failures": "failed",
            "dark": "unreachable",
            "skipped": "skipped",
            "rescued": "rescued",
            "ignored": "ignored",
        }
        hosts: set[str] = set(self.recap)
        for key in (*fields, "processed"):
            counts = data.get(key) or {}
            if isinstance(counts, Mapping):
                hosts |= {str(h) for h in counts}
        recap: dict[str, HostRecap] = {}
        for host in sorted(hosts):
            rec = HostRecap()
            for key, attr in fields.items():
                counts = data.get(key) or {}
                value = counts.get(host, 0) if isinstance(counts, Mapping) else 0
                setattr(rec, attr, int(value))
            recap[host] = rec
        self.recap = recap


def replay(raw_events: Iterable[Mapping[str, Any]]) -> tuple[RunTracker, list[Event]]:
    """Feed recorded ansible-runner events through a fresh tracker; return it and the events it produced."""
    tracker = RunTracker()
    events = [e for raw in raw_events if (e := tracker.feed(raw)) is not None]
    return tracker, events
