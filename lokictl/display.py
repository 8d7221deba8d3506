"""How a deploy shows progress: rich live view on a terminal, one line per event, or JSON lines.

Every display receives the same calls from `lokictl.deploy`: `note`, `layer_start`, `event` (one per
`lokictl.events.Event`), `layer_end` and `close`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

from lokictl.events import RESULT_KINDS, Event, HostRecap, RunResult

OUTPUTS = ("auto", "rich", "plain", "json")


class Display(Protocol):
    """What `lokictl.deploy` reports to."""

    def note(self, text: str) -> None:
        """Show a remark (a skipped layer, a render)."""

    def layer_start(self, layer: str, index: int, total: int, run_dir: Path) -> None:
        """A layer's run starts; its record goes to ``run_dir``."""

    def event(self, event: Event) -> None:
        """Show one event of the running layer."""

    def layer_end(self, layer: str, result: RunResult) -> None:
        """A layer's run ended."""

    def close(self) -> None:
        """Release the terminal."""


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def totals(recap: Mapping[str, HostRecap]) -> dict[str, int]:
    """Return recap counts summed over hosts."""
    keys = ("ok", "changed", "failed", "unreachable", "skipped")
    return {k: sum(getattr(r, k) for r in recap.values()) for k in keys}


def layer_line(layer: str, result: RunResult) -> str:
    """Return the one-line outcome of a layer run."""
    t = totals(result.recap)
    counts = " ".join(f"{k}={v}" for k, v in t.items())
    return (
        f"{layer}: {result.status} in {_clock(result.duration)} ({len(result.recap)} hosts: {counts}); "
        f"log {result.log_path}"
    )


class PlainDisplay:
    """One line per event; for logs and pipes."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.layer = ""
        self.t0 = time.monotonic()

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """Print a remark."""
        self._print(text)

    def layer_start(self, layer: str, index: int, total: int, run_dir: Path) -> None:
        """Print the layer header."""
        self.layer, self.t0 = layer, time.monotonic()
        self._print(f"== {layer} ({index}/{total}) record {run_dir}")

    def event(self, event: Event) -> None:
        """Print one line for plays, tasks, host results, retries, warnings and errors."""
        if event.kind in ("host_start", "stats", "playbook"):
            return
        stamp = f"[{_clock(time.monotonic() - self.t0)}] {self.layer}"
        if event.kind == "play":
            line = f"{stamp} PLAY {event.play} [{event.message}]"
        elif event.kind == "task":
            line = f"{stamp} TASK {event.task}"
        elif event.kind in RESULT_KINDS or event.kind == "retry":
            line = f"{stamp} {event.kind}: {event.host} | {event.task}"
        else:
            line = f"{stamp} {event.kind}: {event.message}"
        if event.message and event.kind not in ("play", "warning", "error", "no_hosts"):
            line += f": {event.message}"
        self._print(line)

    def layer_end(self, layer: str, result: RunResult) -> None:
        """Print the layer's outcome."""
        self._print(layer_line(layer, result))

    def close(self) -> None:
        """Nothing to release."""


class JsonDisplay:
    """One JSON object per line (``type``: note, layer_start, event, layer_end); for CI."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.layer = ""

    def _emit(self, data: Mapping[str, Any]) -> None:
        self.stream.write(json.dumps(data, sort_keys=True) + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """Emit a note object."""
        self._emit({"type": "note", "message": text})

    def layer_start(self, layer: str, index: int, total: int, run_dir: Path) -> None:
        """Emit a layer_start object."""
        self.layer = layer
        self._emit(
            {"type": "layer_start", "layer": layer, "index": index, "total": total, "record": str(run_dir)}
        )

    def event(self, event: Event) -> None:
        """Emit an event object."""
        self._emit({"type": "event", "layer": self.layer, **event.as_dict()})

    def layer_end(self, layer: str, result: RunResult) -> None:
        """Emit a layer_end object with the run's summary."""
        self._emit({"type": "layer_end", "layer": layer, **result.as_dict(), "log": str(result.log_path)})

    def close(self) -> None:
        """Nothing to release."""


class _Progress:
    """State of the live view; rendered by rich on every refresh."""

    def __init__(self) -> None:
        self.layer = ""
        self.position = ""
        self.play = ""
        self.task = ""
        self.t0 = time.monotonic()
        self.started: set[str] = set()
        self.done: set[str] = set()
        self.hosts: set[str] = set()
        self.counts = {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0}

    def __rich__(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold")
        grid.add_column()
        elapsed = _clock(time.monotonic() - self.t0)
        grid.add_row(Spinner("dots"), f"[bold]{self.layer}[/] {self.position}  elapsed {elapsed}")
        grid.add_row("play", Text(self.play or "-"))
        grid.add_row("task", Text(self.task or "-"))
        total = len(self.started) or len(self.hosts)
        grid.add_row("hosts", f"{len(self.done)}/{total} done on this task ({len(self.hosts)} in the run)")
        c = self.counts
        grid.add_row(
            "results",
            f"[green]ok {c['ok']}[/]  [yellow]changed {c['changed']}[/]  [red]failed {c['failed']}[/]  "
            f"[red]unreachable {c['unreachable']}[/]  [dim]skipped {c['skipped']}[/]",
        )
        return grid


class RichDisplay:
    """Live view on a terminal (layer, play, task, hosts done/total, elapsed); changes/failures above it."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.markup import escape

        self.esc = escape
        self.console = Console(file=stream, highlight=False)
        self.state = _Progress()
        self.live: Any = None

    def note(self, text: str) -> None:
        """Print a remark above the live view."""
        self.console.print(text, markup=False)

    def layer_start(self, layer: str, index: int, total: int, run_dir: Path) -> None:
        """Start the live view for a layer."""
        from rich.live import Live

        self.state = _Progress()
        self.state.layer, self.state.position = layer, f"({index}/{total})"
        self.console.print(f"[bold]{layer}[/] ({index}/{total}) record {self.esc(str(run_dir))}")
        self.live = Live(self.state, console=self.console, refresh_per_second=8, transient=True)
        self.live.start()

    def event(self, event: Event) -> None:
        """Update the live view; print plays, changes, failures and warnings above it."""
        s = self.state
        if event.kind == "play":
            s.play, s.task = event.play, ""
            self.console.print(f"[bold]PLAY[/] {self.esc(event.play)}", highlight=False)
        elif event.kind == "task":
            s.task, s.started, s.done = event.task, set(), set()
        elif event.kind == "host_start":
            s.started.add(event.host)
            s.hosts.add(event.host)
        elif event.kind in RESULT_KINDS:
            s.done.add(event.host)
            key = "failed" if event.kind == "ignored" else event.kind
            if key in s.counts:
                s.counts[key] += 1
            if event.kind == "changed":
                s.counts["ok"] += 1
                self.console.print(
                    f"  [yellow]changed[/] {self.esc(f'{event.host}: {event.task}')}", highlight=False
                )
            elif event.kind in ("failed", "unreachable"):
                text = self.esc(f"{event.host}: {event.task}: {event.message}")
                self.console.print(f"  [red]{event.kind}[/] {text}", highlight=False)
        elif event.kind in ("warning", "error"):
            color = "yellow" if event.kind == "warning" else "red"
            self.console.print(f"  [{color}]{self.esc(event.message)}[/]", highlight=False)

    def layer_end(self, layer: str, result: RunResult) -> None:
        """Stop the live view and print the layer's outcome."""
        self._stop()
        color = "green" if result.ok else "red"
        self.console.print(f"[{color}]{self.esc(layer_line(layer, result))}[/]", highlight=False)

    def _stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def close(self) -> None:
        """Stop the live view if a run was cut short."""
        self._stop()


def make_display(output: str, stream: IO[str] | None = None) -> Display:
    """Return the display for ``--output`` (auto = rich on a terminal, plain otherwise)."""
    out = stream or sys.stdout
    if output == "auto":
        output = "rich" if out.isatty() else "plain"
    if output == "rich":
        return RichDisplay(out)
    if output == "json":
        return JsonDisplay(out)
    return PlainDisplay(out)
