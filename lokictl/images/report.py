"""What an image build did: per-image results, the report table, and kolla-build's log lines parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

BUILT = re.compile(r"^INFO:kolla\.common\.utils\.(?P<image>[\w.-]+):Built at .*\(took (?P<took>[0-9:.]+)\)")
STARTED = re.compile(r"^INFO:kolla\.common\.utils\.(?P<image>[\w.-]+):Building started at")


@dataclass
class ImageResult:
    """One image of the build.

    Attributes:
        name: kolla image name.
        status: "built", "present" (existed before), "failed", "missing" (dry run) or "not built".
        required: deployed by kolla-ansible (False for parents such as ``openstack-base``).
        seconds: build time, when built now.
        size: image size in bytes (with its parents).
        own: bytes the image adds on top of its parent.
        push_seconds: push time, when pushed.
    """

    name: str
    status: str
    required: bool
    seconds: float | None = None
    size: int | None = None
    own: int | None = None
    push_seconds: float | None = None


@dataclass
class BuildReport:
    """What `build_images` did or would do."""

    tag: str
    release: str
    base_image: str
    work_dir: Path
    images: list[ImageResult]
    dry_run: bool = False
    seconds: float = 0.0
    pushed_to: str = ""
    command: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def built(self) -> list[ImageResult]:
        """Return the images built by this run."""
        return [i for i in self.images if i.status == "built"]


def seconds_of(took: str) -> float:
    """Return the seconds of a ``H:MM:SS.ffffff`` duration."""
    parts = [float(p) for p in took.split(":")]
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


def parse_build_log(lines: list[str]) -> dict[str, float]:
    """Return ``image -> build seconds`` from kolla-build's log lines."""
    out: dict[str, float] = {}
    for line in lines:
        m = BUILT.match(line.strip())
        if m:
            out[m.group("image")] = seconds_of(m.group("took"))
    return out


def duration(seconds: float) -> str:
    """Return ``seconds`` as "42 s" or "6 min 21 s"."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def size(size: int | None) -> str:
    """Return a byte count as MB or GB ("-" when unknown)."""
    if size is None:
        return "-"
    return f"{size / 1e6:.0f} MB" if size < 1e9 else f"{size / 1e9:.2f} GB"


def format_report(report: BuildReport) -> str:
    """Return the per-image table and a summary line."""
    rows = [("image", "status", "time", "size", "own")]
    for i in report.images:
        name = i.name if i.required else f"({i.name})"
        rows.append(
            (
                name,
                i.status,
                duration(i.seconds) if i.seconds is not None else "-",
                size(i.size),
                size(i.own),
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    lines = ["  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip() for row in rows]
    unique = sum(i.own or 0 for i in report.images)
    built = report.built
    total = sum(i.seconds or 0 for i in built)
    summary = f"tag {report.tag}: {len(built)} built"
    if built:
        summary += f" ({duration(total)} of image build time)"
    summary += f", {sum(1 for i in report.images if i.status == 'present')} present, {size(unique)} unique"
    if report.dry_run:
        summary = f"dry run, tag {report.tag}: " + ", ".join(
            f"{sum(1 for i in report.images if i.status == s)} {s}" for s in ("present", "missing")
        )
    lines.append(summary)
    if report.pushed_to and not report.dry_run:
        pushed = sum(1 for i in report.images if i.push_seconds is not None)
        lines.append(f"pushed {pushed} image(s) to {report.pushed_to}")
    lines.append("(parenthesised images are parents, built but not deployed)")
    return "\n".join(lines)
