"""Deploy displays fed with recorded event streams: plain lines, JSON lines, rich live view."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from support import FIXTURES

from lokictl.display import JsonDisplay, PlainDisplay, RichDisplay, make_display
from lokictl.events import RunResult, RunTracker, replay


def stream(case: str) -> tuple[RunTracker, list]:  # type: ignore[type-arg]
    with (FIXTURES / "events" / f"{case}.jsonl").open(encoding="utf-8") as fh:
        return replay(json.loads(line) for line in fh)


def result_of(tracker: RunTracker, status: str, rc: int) -> RunResult:
    log, events = Path("runs/x/ansible.log"), Path("runs/x/events.jsonl")
    return RunResult(status, rc, tracker.recap, tracker.failed_tasks, tracker.errors, 12.0, log, events, "")


def drive(display: object, case: str, status: str = "successful", rc: int = 0) -> None:
    tracker, events = stream(case)
    display.note("a note")  # type: ignore[attr-defined]
    display.layer_start("linux", 1, 1, Path("runs/x"))  # type: ignore[attr-defined]
    for event in events:
        display.event(event)  # type: ignore[attr-defined]
    display.layer_end("linux", result_of(tracker, status, rc))  # type: ignore[attr-defined]
    display.close()  # type: ignore[attr-defined]


def test_plain_prints_one_line_per_event() -> None:
    out = io.StringIO()
    drive(PlainDisplay(out), "linux_failed", "failed", 4)
    lines = out.getvalue().splitlines()
    assert lines[0] == "a note"
    assert lines[1] == "== linux (1/1) record runs/x"
    assert any(line.endswith("PLAY Linux layer (test fixture) [all]") for line in lines)
    failed = "linux failed: h2 | Fail on a host with the break switch: non-zero return code; rc=1"
    assert any(line.endswith(failed) for line in lines)
    assert any("linux unreachable: h3 | Gathering Facts: Task failed:" in line for line in lines)
    assert not any("host_start" in line for line in lines)
    assert lines[-1].startswith(
        "linux: failed in 00:12 (3 hosts: ok=7 changed=0 failed=1 unreachable=1 skipped=4)"
    )


def test_json_prints_one_object_per_line() -> None:
    out = io.StringIO()
    drive(JsonDisplay(out), "linux_ok")
    objects = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [o["type"] for o in objects[:2]] == ["note", "layer_start"]
    assert objects[-1]["type"] == "layer_end"
    assert objects[-1]["status"] == "successful" and objects[-1]["recap"]["h1"]["changed"] == 1
    events = [o for o in objects if o["type"] == "event"]
    assert all(o["layer"] == "linux" and "kind" in o and "counter" in o for o in events)
    assert sum(o["kind"] == "changed" for o in events) == 3


def test_rich_shows_changes_and_failures() -> None:
    out = io.StringIO()
    drive(RichDisplay(out), "linux_failed", "failed", 4)
    text = out.getvalue()
    assert "PLAY Linux layer (test fixture)" in text
    assert "failed h2: Fail on a host with the break switch: non-zero return code; rc=1" in text
    assert "unreachable h3: Gathering Facts" in text
    assert "linux: failed in 00:12" in text


def test_rich_escapes_markup_in_names() -> None:
    out = io.StringIO()
    display = RichDisplay(out)
    display.layer_start("linux", 1, 1, Path("runs/[x]"))
    display.note("[bold]not markup[/]")
    display.close()
    assert "runs/[x]" in out.getvalue() and "[bold]not markup[/]" in out.getvalue()


@pytest.mark.parametrize(
    ("output", "kind"),
    [("plain", PlainDisplay), ("json", JsonDisplay), ("rich", RichDisplay), ("auto", PlainDisplay)],
)
def test_make_display(output: str, kind: type) -> None:
    assert isinstance(make_display(output, io.StringIO()), kind)
