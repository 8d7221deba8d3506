"""The small test image of the post-deploy, built on the deploy machine without downloading anything.

Payload: a raw disk of `SIZE_MIB` MiB holding an ext4 file system (no journal) with the machine's Debian
release files (``/etc/os-release``, ``/etc/debian_version``) and a README saying what it is. It has no
kernel and no boot loader: it does not boot; it exercises the image API (upload, metadata, download).

The build is reproducible: the same files give the same bytes (fixed UUID, hash seed, owners, modes and
timestamps; ``E2FSPROGS_FAKE_TIME`` for the superblock), so the post-deploy compares checksums and uploads
again only when the content changed. Builds are cached by the hash of their inputs, with the date of the
first build (the image's ``image_build_date``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lokictl.errors import RuntimeFailure

SIZE_MIB = 4
FORMAT = 1
"""Version of the build recipe: part of the cache key, so a recipe change rebuilds."""
EPOCH = 1_700_000_000
"""Timestamp of every inode and of the superblock (2023-11-14): content, not build time, decides the bytes."""
FS_UUID = "6c6f6b69-6374-4c00-8000-746573742d69"
LABEL = "lokitest"
README = """\
lokictl test image: NOT BOOTABLE.

A raw disk holding only this ext4 file system: the Debian release files of the machine
that ran lokictl (etc/os-release, etc/debian_version). No kernel, no boot loader, no users.
It exists to test an OpenStack image service: upload, metadata, download, checksums.
"""
ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
"""Machine names -> image ``architecture`` values (scs-0102)."""
_TOOL_DIRS = ("/usr/sbin", "/sbin")


@dataclass(frozen=True)
class BuiltImage:
    """A built payload and the facts its metadata is made from.

    Attributes:
        path: the raw disk file.
        facts: ``os_name``, ``os_version``, ``arch`` (values for the baseline's image fields).
        build_date: UTC date and time of the first build of this content (``YYYY-MM-DD HH:MM:SS``).
        content_key: hash of the build inputs (names the cached file).
    """

    path: Path
    facts: dict[str, str]
    build_date: str
    content_key: str


def parse_os_release(text: str) -> dict[str, str]:
    """Return the fields of an os-release file (shell-style ``KEY=value`` lines, quotes removed)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        fields[key] = value
    return fields


def _read(root: Path, relative: str) -> bytes:
    path = root / relative
    try:
        # os-release is usually a symlink to ../usr/lib/os-release: resolve it inside `root`.
        if path.is_symlink():
            target = os.readlink(path)
            path = (path.parent / target) if not target.startswith("/") else root / target.lstrip("/")
        return path.read_bytes()
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {root / relative}: {exc.strerror or exc}") from None


def release_files(root: Path = Path("/")) -> tuple[dict[str, bytes], dict[str, str]]:
    """Return the image's files (path -> bytes) and its facts, from the Debian machine at ``root``.

    Raises:
        RuntimeFailure: the machine is not Debian, or its release files cannot be read.
    """
    if (root / "etc/os-release").exists() or (root / "etc/os-release").is_symlink():
        os_release = _read(root, "etc/os-release")
    else:
        os_release = _read(root, "usr/lib/os-release")
    fields = parse_os_release(os_release.decode("utf-8", errors="replace"))
    if fields.get("ID") != "debian":
        raise RuntimeFailure(
            f"the test image is made from this machine's Debian release files, but this machine is "
            f"{fields.get('ID') or 'not identified'}; run the post-deploy from a Debian machine"
        )
    debian_version = _read(root, "etc/debian_version")
    major = debian_version.decode("ascii", errors="replace").split(".")[0].strip()
    version = fields.get("VERSION_ID") or major
    machine = platform.machine()
    facts = {
        "os_name": "Debian",
        "os_version": version,
        "arch": ARCHITECTURES.get(machine, machine),
    }
    files = {
        "README": README.encode(),
        "etc/debian_version": debian_version,
        "etc/os-release": os_release,
    }
    return files, facts


def content_key(files: dict[str, bytes]) -> str:
    """Return the hash of the build inputs: recipe version, size and every file's path and bytes."""
    h = hashlib.sha256(f"lokictl-test-image {FORMAT} {SIZE_MIB}\n".encode())
    for name in sorted(files):
        h.update(f"{name}\0{len(files[name])}\0".encode())
        h.update(files[name])
    return h.hexdigest()


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_TOOL_DIRS))
    if not path:
        raise RuntimeFailure(f"{name} not found: install e2fsprogs to build the test image")
    return path


def _run(cmd: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeFailure(f"{Path(cmd[0]).name} failed (rc={proc.returncode}): {detail[0]}")


def _paths(files: dict[str, bytes]) -> list[str]:
    """Return every file and directory below the root, parents first."""
    paths: set[str] = set()
    for name in files:
        parts = name.split("/")
        paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(paths, key=lambda p: (p.count("/"), p))


def build_raw(files: dict[str, bytes], out: Path) -> None:
    """Write a reproducible raw disk with an ext4 file system holding ``files`` to ``out``.

    Raises:
        RuntimeFailure: e2fsprogs is missing or failed.
    """
    mke2fs, debugfs, e2fsck = _tool("mke2fs"), _tool("debugfs"), _tool("e2fsck")
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(EPOCH), LC_ALL="C")
    with tempfile.TemporaryDirectory(prefix="lokictl-image-") as tmp:
        root = Path(tmp) / "root"
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        raw = Path(tmp) / "disk.raw"
        with raw.open("wb") as fh:
            fh.truncate(SIZE_MIB * 1024 * 1024)
        _run(
            [
                mke2fs, "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-L", LABEL, "-U", FS_UUID,
                "-E", f"hash_seed={FS_UUID},root_owner=0:0", "-d", str(root), str(raw),
            ],
            env,
        )  # fmt: skip
        # mke2fs copies ctime/atime/owner from the staging files: pin them so only content decides the bytes.
        commands = []
        for path in _paths(files):
            mode = "0100644" if path in files else "040755"
            for field, value in (("uid", "0"), ("gid", "0"), ("mode", mode)):
                commands.append(f"set_inode_field /{path} {field} {value}")
            for field in ("atime", "ctime", "mtime", "crtime"):
                commands.append(f"set_inode_field /{path} {field} @{EPOCH}")
        script = Path(tmp) / "debugfs.cmd"
        script.write_text("\n".join(commands) + "\n", encoding="ascii")
        _run([debugfs, "-w", "-f", str(script), str(raw)], env)
        _run([e2fsck, "-f", "-n", str(raw)], env)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(raw), out)


def build(cache: Path, root: Path = Path("/")) -> BuiltImage:
    """Return the test image of this machine, building it into ``cache`` unless that content is cached.

    Raises:
        RuntimeFailure: not a Debian machine, e2fsprogs missing or failing, or the cache not writable.
    """
    files, facts = release_files(root)
    return build_files(cache, "debian-test", files, facts)


STAND_IN_README = """\
lokictl stand-in image: NOT BOOTABLE, NOT THE UPSTREAM IMAGE.

A raw disk holding only this ext4 file system. It stands in, in a lab cloud that cannot download,
for the standard image named below, so that image-metadata and standard-image checks have an
object to look at. Its metadata describes the upstream image it stands for.

"""


def build_stand_in(cache: Path, key: str, stands_for: str) -> BuiltImage:
    """Return a stand-in payload for a standard image: a raw disk holding only a README naming it.

    Args:
        cache: the build cache directory.
        key: the baseline item's key (names the cached file).
        stands_for: the upstream image it stands for (written into the README).

    Raises:
        RuntimeFailure: e2fsprogs missing or failing, or the cache not writable.
    """
    machine = platform.machine()
    files = {"README": (STAND_IN_README + f"Stands for: {stands_for}\n").encode()}
    return build_files(cache, f"stand-in-{key}", files, {"arch": ARCHITECTURES.get(machine, machine)})


def build_files(cache: Path, prefix: str, files: dict[str, bytes], facts: dict[str, str]) -> BuiltImage:
    """Return a raw disk holding ``files``, built into ``cache`` as ``<prefix>-<hash>.raw`` unless cached.

    Older builds with the same prefix are removed.

    Raises:
        RuntimeFailure: e2fsprogs missing or failing, or the cache not writable.
    """
    key = content_key(files)
    raw = cache / f"{prefix}-{key[:16]}.raw"
    meta = raw.with_suffix(".json")
    try:
        recorded = json.loads(meta.read_text(encoding="utf-8"))
        if raw.is_file() and recorded.get("content_key") == key:
            return BuiltImage(raw, facts, str(recorded["build_date"]), key)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    build_raw(files, raw)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    try:
        meta.write_text(json.dumps({"content_key": key, "build_date": date}) + "\n", encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {meta}: {exc.strerror or exc}") from None
    for old in cache.glob(f"{prefix}-*"):
        if old not in (raw, meta) and old.name.removeprefix(f"{prefix}-")[:16].isalnum():
            old.unlink(missing_ok=True)
    return BuiltImage(raw, facts, date, key)


def file_digest(path: Path, algorithm: str) -> str:
    """Return the hex digest of a file with a hashlib algorithm (``sha512``, ``md5`` ...).

    Raises:
        RuntimeFailure: unknown algorithm or unreadable file.
    """
    try:
        h = hashlib.new(algorithm)
    except ValueError:
        raise RuntimeFailure(f"unknown hash algorithm '{algorithm}'") from None
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {path}: {exc.strerror or exc}") from None
    return h.hexdigest()
