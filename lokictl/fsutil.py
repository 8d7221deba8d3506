"""Atomic file writes: a file is either left as it was or replaced as a whole, never seen half-written.

Every writer in lokictl that replaces a file uses these functions: the content goes to a new hidden temporary
file in the target's directory (``.<name>.<random>.tmp``), which is created with its final permission bits (a
secret is 0600 from its first byte, never readable by others in between), flushed and fsync'ed, then renamed
over the target. When anything fails the temporary file is removed and the target keeps its old content.

Behaviour worth knowing:

- The target is replaced, not rewritten in place: a symlink at the target's path is replaced by a regular file
  (the link's destination is left untouched), and the new file's mode is the one asked for, whatever the old
  file had.
- The parent directory must exist; callers create it when they want to.
- Only the file is fsync'ed, not its directory: after a crash the target holds either the old or the new
  content, complete in both cases.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_NAME_MAX = 200  # characters of the target's name kept in the temporary name (file names stop at 255 bytes)
_ATTEMPTS = 100


def _create_temp(path: Path, mode: int, use_umask: bool) -> tuple[int, Path]:
    """Create a new, empty temporary file beside ``path`` with ``mode``; return its descriptor and path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _ in range(_ATTEMPTS):
        tmp = path.with_name(f".{path.name[:_NAME_MAX]}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, mode)  # the kernel applies the umask: never more open than ``mode``
        except FileExistsError:
            continue
        if not use_umask:
            try:
                os.fchmod(fd, mode)  # exactly ``mode``, before any byte is written
            except OSError:
                os.close(fd)
                tmp.unlink(missing_ok=True)
                raise
        return fd, tmp
    raise FileExistsError(f"cannot create a temporary file beside {path}")


@contextlib.contextmanager
def atomic_writer(path: Path, mode: int = 0o644, *, use_umask: bool = False) -> Iterator[BinaryIO]:
    """Open a binary file that replaces ``path`` when the ``with`` block ends without an exception.

    Use it to stream content (a download, a gzip stream); for content already in memory use
    :func:`write_bytes_atomic` or :func:`write_text_atomic`. Raising inside the block (for example after a
    checksum mismatch) discards what was written and leaves ``path`` as it was.

    Args:
        path: the file to replace; its directory must exist.
        mode: the permission bits of the new file, set when it is created (before any byte is written).
        use_umask: apply the process umask to ``mode`` as :func:`open` does (pass ``0o666`` to get what a
            plain ``open(path, "w")`` would create); by default the file gets exactly ``mode``.

    Yields:
        The temporary file, open for writing bytes.

    Raises:
        OSError: the file cannot be created, written or renamed (the temporary file is removed).
    """
    fd, tmp = _create_temp(path, mode, use_umask)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o644, *, use_umask: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_writer` for ``mode`` and ``use_umask``).

    Raises:
        OSError: the file cannot be written; ``path`` is unchanged and no temporary file is left.
    """
    with atomic_writer(path, mode, use_umask=use_umask) as fh:
        fh.write(data)


def write_text_atomic(
    path: Path, text: str, mode: int = 0o644, *, encoding: str = "utf-8", use_umask: bool = False
) -> None:
    """Replace ``path`` with ``text`` atomically, encoded as given; newlines are written as they are.

    See :func:`atomic_writer` for ``mode`` and ``use_umask``.

    Raises:
        OSError: the file cannot be written; ``path`` is unchanged and no temporary file is left.
        UnicodeEncodeError: ``text`` cannot be encoded (nothing is written).
    """
    write_bytes_atomic(path, text.encode(encoding), mode, use_umask=use_umask)
