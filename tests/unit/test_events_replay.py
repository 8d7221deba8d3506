"""RunTracker on recorded event streams (real runs of tests/fixtures/content against 3 systemd containers).

Re-record with tests/fixtures/events/capture.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from lokictl.events import RESULT_KINDS, RunTracker, replay, result_message

EVENTS = FIXTURES / "events"
PLAY = "Linux layer (test fixture)"


def load(case: str) -> list[dict[str, Any]]:
    with (EVENTS / f"{case}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_successful_run() -> None:
    tracker, events = replay(load("linux_ok"))
    assert tracker.stats_seen
    assert tracker.failed_tasks == [] and tracker.errors == []
    assert sorted(tracker.recap) == ["h1", "h2", "h3"]
    for rec in tracker.recap.values():
        assert (rec.ok, rec.changed, rec.failed, rec.unreachable, rec.skipped) == (4, 1, 0, 0, 4)
    kinds = Counter(e.kind for e in events)
    assert kinds["playbook"] == 1 and kinds["play"] == 1 and kinds["stats"] == 1
    assert kinds["task"] == 8  # Gathering Facts + 7 tasks
    assert kinds["changed"] == 3  # the marker file, once per host
    assert kinds["host_start"] == kinds["ok"] + kinds["changed"] + kinds["skipped"]
    changed = [e for e in events if e.kind == "changed"]
    assert {e.task for e in changed} == {"Write the site marker"}
    assert {e.host for e in changed} == {"h1", "h2", "h3"}
    assert all(e.play == PLAY for e in events if e.kind in RESULT_KINDS)
    assert all(e.duration is not None and e.duration >= 0 for e in changed)


def test_events_keep_stream_order() -> None:
    _, events = replay(load("linux_ok"))
    counters = [e.counter for e in events]
    assert counters == sorted(counters)
    first = events[0]
    assert (first.kind, first.message) == ("playbook", "linux.yml")


def test_failed_task_and_unreachable_host() -> None:
    tracker, events = replay(load("linux_failed"))
    by_host = {f.host: f for f in tracker.failed_tasks}
    assert sorted(by_host) == ["h2", "h3"]
    assert by_host["h2"].task == "Fail on a host with the break switch"
    assert not by_host["h2"].unreachable
    assert "non-zero return code" in by_host["h2"].message and "rc=1" in by_host["h2"].message
    assert by_host["h3"].unreachable
    assert by_host["h3"].task == "Gathering Facts"
    assert "10.77.5.13" in by_host["h3"].message and "Connection refused" in by_host["h3"].message
    assert tracker.recap["h2"].failed == 1 and tracker.recap["h3"].unreachable == 1
    assert tracker.recap["h1"].failed == 0 and tracker.recap["h1"].ok == 4
    # After its failure h2 runs nothing more; h1 carries on to the end.
    after = [e for e in events if e.host == "h2" and e.counter > by_host_counter(events, "h2", "failed")]
    assert after == []
    assert [e.kind for e in events if e.kind in ("failed", "unreachable")] == ["unreachable", "failed"]


def by_host_counter(events: list[Any], host: str, kind: str) -> int:
    return next(e.counter for e in events if e.host == host and e.kind == kind)


def test_interrupted_run_has_no_stats() -> None:
    tracker, events = replay(load("linux_interrupted"))
    assert not tracker.stats_seen
    assert tracker.errors == ["[ERROR]: User interrupted execution"]
    assert events[-1].kind == "error"
    assert events[-1].task == "Wait on a host with the slow switch"
    # The recap is counted from the host results seen before the interrupt.
    assert sorted(tracker.recap) == ["h1", "h2", "h3"]
    assert all(r.ok == 4 and r.changed == 0 and r.failed == 0 for r in tracker.recap.values())


def test_stats_replace_counted_recap() -> None:
    raw = load("linux_ok")
    tracker = RunTracker()
    for event in raw:
        if event["event"] == "playbook_on_stats":
            counted = {h: (r.ok, r.changed, r.skipped) for h, r in tracker.recap.items()}
        tracker.feed(event)
    assert counted == {h: (r.ok, r.changed, r.skipped) for h, r in tracker.recap.items()}


def test_unknown_and_empty_events_are_ignored() -> None:
    tracker = RunTracker()
    assert tracker.feed({"event": "playbook_on_include", "counter": 1}) is None
    assert tracker.feed({"event": "verbose", "stdout": "   "}) is None
    assert tracker.feed({"event": "verbose", "stdout": "plain text"}) is None
    warning = tracker.feed({"event": "verbose", "stdout": "[WARNING]: something odd", "counter": 2})
    assert warning is not None and warning.kind == "warning"
    assert tracker.warnings == ["[WARNING]: something odd"]


def test_ignored_failure_is_not_a_failed_task() -> None:
    tracker = RunTracker()
    event = tracker.feed(
        {
            "event": "runner_on_failed",
            "counter": 1,
            "event_data": {"host": "h1", "task": "Probe", "ignore_errors": True, "res": {"msg": "nope"}},
        }
    )
    assert event is not None and event.kind == "ignored"
    assert tracker.failed_tasks == []
    assert tracker.recap["h1"].ignored == 1 and tracker.recap["h1"].failed == 0


@pytest.mark.parametrize(
    ("res", "expected"),
    [
        ({"censored": "the output has been hidden"}, "details hidden (no_log)"),
        (
            {"msg": "non-zero return code", "rc": 2, "stderr": "a\nE: broken"},
            "non-zero return code; stderr: E: broken; rc=2",
        ),
        ({"msg": "Assertion failed", "assertion": "x == 1"}, "Assertion failed; assertion: x == 1"),
        (
            {"results": [{"item": "a", "failed": False}, {"item": "b", "failed": True, "msg": "bad"}]},
            "item b: bad",
        ),
        ({}, "failed (no message)"),
        ("plain", "plain"),
    ],
)
def test_result_message(res: Any, expected: str) -> None:
    assert result_message(res) == expected


def test_result_message_is_clipped() -> None:
    assert len(result_message({"msg": "x" * 2000})) == 400


def test_fixtures_hold_no_machine_paths() -> None:
    for path in EVENTS.glob("*.jsonl"):
        text = path.read_text(encoding="utf-8")
        for marker in (str(Path.home()), "/tmp/", str(FIXTURES)):
            assert marker not in text, f"{path.name} contains {marker}"
