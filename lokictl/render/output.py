"""Write rendered files atomically, compare them with what is on disk, and show differences.

The output directory is replaced as a whole: files are written to a temporary sibling directory which is then
renamed into place, so a failure leaves the previous output intact. A manifest marks directories lokictl owns;
lokictl never replaces a directory holding anything else.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lokictl import __version__
from lokictl.errors import InputError, RuntimeFailure
from lokictl.render import RenderedFile

MANIFEST = ".lokictl-render.json"


@dataclass
class Comparison:
    """How rendered files differ from a directory."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Return True when the directory matches the render."""
        return not (self.added or self.changed or self.removed)

    def lines(self) -> list[str]:
        """Return one ``status path`` line per difference."""
        return (
            [f"added:   {p}" for p in self.added]
            + [f"changed: {p}" for p in self.changed]
            + [f"removed: {p}" for p in self.removed]
        )


def manifest(files: Mapping[str, RenderedFile], site_sha256: str) -> bytes:
    """Return the manifest recording what a render wrote (deterministic)."""
    data = {
        "generator": f"lokictl {__version__}",
        "site_sha256": site_sha256,
        "files": {p: hashlib.sha256(f.content).hexdigest() for p, f in sorted(files.items())},
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def owned_files(out_dir: Path) -> list[str] | None:
    """Return the files a previous render recorded in ``out_dir``, or None when lokictl does not own it."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return sorted(data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _guard(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    owned = owned_files(out_dir)
    if owned is None:
        if any(out_dir.iterdir()):
            raise InputError(
                f"{out_dir}: directory is not empty and was not written by lokictl; refusing to replace it "
                "(choose another --out or move it away)"
            )
        return
    # Replacing the directory would silently delete files someone added next to the rendered ones.
    known = {*owned, MANIFEST}
    foreign = sorted(
        p.relative_to(out_dir).as_posix()
        for p in out_dir.rglob("*")
        if not p.is_dir() and p.relative_to(out_dir).as_posix() not in known
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise InputError(
            f"{out_dir}: holds files lokictl did not write ({shown}); refusing to replace it "
            "(move them away; put settings in the site file)"
        )


def compare(files: Mapping[str, RenderedFile], out_dir: Path) -> Comparison:
    """Compare rendered files with ``out_dir``."""
    result = Comparison()
    for path, f in sorted(files.items()):
        try:
            on_disk = (out_dir / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            result.added.append(path)
            continue
        if on_disk != f.content or (out_dir / path).stat().st_mode & 0o777 != f.mode:
            result.changed.append(path)  # content or permissions (e.g. a secret made world-readable)
    previous = owned_files(out_dir) or []
    result.removed = [p for p in previous if p not in files and (out_dir / p).exists()]
    return result


def _secret_view(content: bytes | None) -> list[str]:
    if not content:
        return []
    try:
        data = yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return ["<unparsable>\n"]
    if not isinstance(data, dict):
        return ["<not a mapping>\n"]
    digest = {k: hashlib.sha256(repr(v).encode()).hexdigest()[:8] for k, v in data.items()}
    return [f"{k}: <secret {digest[k]}>\n" for k in sorted(digest)]


def diff(files: Mapping[str, RenderedFile], out_dir: Path, comparison: Comparison) -> str:
    """Return a unified diff of the differences; secret values are replaced by short fingerprints."""
    chunks: list[str] = []
    for path in comparison.added + comparison.changed + comparison.removed:
        old_path = out_dir / path
        old = old_path.read_bytes() if old_path.is_file() else None
        new = files[path].content if path in files else None
        secret = path in files and files[path].secret
        if secret:
            a, b = _secret_view(old), _secret_view(new)
        else:
            a = old.decode(errors="replace").splitlines(keepends=True) if old is not None else []
            b = new.decode(errors="replace").splitlines(keepends=True) if new is not None else []
        chunks.extend(
            difflib.unified_diff(
                a,
                b,
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}" if new is not None else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def write(files: Mapping[str, RenderedFile], out_dir: Path, site_sha256: str) -> None:
    """Replace ``out_dir`` with exactly ``files`` (plus the manifest), atomically.

    Raises:
        InputError: ``out_dir`` holds content lokictl did not write.
        RuntimeFailure: the files could not be written; the previous output is left intact.
    """
    _guard(out_dir)
    parent = out_dir.parent
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = parent / f".{out_dir.name}.tmp-{tag}"
    old = parent / f".{out_dir.name}.old-{tag}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(mode=0o700)
        made: set[Path] = {tmp}
        for path, f in sorted(files.items()):
            target = tmp / path
            if target.parent not in made:  # one mkdir per directory, not per file
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, f.mode)
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fd, f.mode)  # the mode exactly, whatever the umask
                fh.write(f.content)
        (tmp / MANIFEST).write_bytes(manifest(files, site_sha256))
        if any(f.secret for f in files.values()):
            for d in {(tmp / p).parent for p, f in files.items() if f.secret}:
                d.chmod(0o700)
        tmp.chmod(0o755)
        if out_dir.exists():
            os.rename(out_dir, old)
            try:
                os.rename(tmp, out_dir)
            except OSError:
                os.rename(old, out_dir)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {out_dir}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
