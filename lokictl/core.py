"""The operations behind the CLI: init, validate, render. Commands in `lokictl.cli` only call these."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

from lokictl.errors import InputError, RuntimeFailure
from lokictl.fsutil import write_text_atomic
from lokictl.site import Site, load_site

EXAMPLES = ("aio", "multinode", "scs")


def example_text(name: str) -> str:
    """Return the text of a bundled example site file.

    Raises:
        InputError: unknown example name.
    """
    if name not in EXAMPLES:
        raise InputError(f"unknown example '{name}' (choose from: {', '.join(EXAMPLES)})")
    return importlib.resources.files("lokictl").joinpath(f"examples/{name}.yml").read_text(encoding="utf-8")


def init_site(path: Path, example: str = "aio", force: bool = False) -> Path:
    """Write a commented starter site file.

    Raises:
        InputError: the file exists and ``force`` is false, or the example is unknown.
        RuntimeFailure: the file cannot be written.
    """
    text = example_text(example)
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; use --force to overwrite it")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text, 0o666, use_umask=True)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def default_out_dir(site: Site) -> Path:
    """Return the default render directory.

    A lab's site file (one with a ``lab:`` section) renders to ``inventory/`` beside it, as `lokictl lab up`
    does; any other site to ``inventories/<site.name>`` under the working directory.
    """
    if site.model.lab is not None:
        return site.directory / "inventory"
    return Path("inventories") / site.model.site.name


@dataclass
class RenderReport:
    """What a render did or would do."""

    out_dir: Path
    files: int
    written: bool
    differences: list[str] = field(default_factory=list)
    diff: str = ""
    new_secrets: list[str] = field(default_factory=list)


def render(
    site_path: Path, out_dir: Path | None = None, check: bool = False, show_diff: bool = False
) -> RenderReport:
    """Validate and render a site.

    With ``check`` nothing is written and the report lists the differences from the output on disk.

    Raises:
        SiteError: the site file is invalid (nothing is written).
        InputError: the output directory holds foreign content.
        RuntimeFailure: writing failed (the previous output is intact).
    """
    from lokictl.render import output, render_files, site_digest

    site = load_site(site_path)
    out = out_dir if out_dir is not None else default_out_dir(site)
    files, added = render_files(site, out, dry_run=check)
    comparison = output.compare(files, out)
    report = RenderReport(out_dir=out, files=len(files), written=False, differences=comparison.lines())
    if show_diff:
        report.diff = output.diff(files, out, comparison)
    if not check and not comparison.clean:
        output.write(files, out, site_digest(site))
        report.written = True
        report.new_secrets = added
    elif not check and not (out / output.MANIFEST).exists():
        output.write(files, out, site_digest(site))
        report.written = True
    return report
