"""What an image build downloads: upper-constraints, service sdists, kolla-toolbox's Ansible collections.

The collections are copied out of the PyPI `ansible` package. Downloads go through pip (so they honour the
host's index, certificate and find-links settings) or, for the upper-constraints tarball, through urllib with
the host's CA bundle.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from lokictl.errors import InputError, RuntimeFailure
from lokictl.fsutil import atomic_writer
from lokictl.images.host import has_credentials, is_remote, redact

_UC_MEMBER = "requirements/upper-constraints.txt"
_UC_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?===?[^\s;]+(;.*)?$")


# --- upper-constraints ---------------------------------------------------------------------------


def _ssl_context(cert: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert) if cert else None)


def _download(url: str, dest: Path, cert: Path | None, timeout: float = 60) -> None:
    with (
        urllib.request.urlopen(url, timeout=timeout, context=_ssl_context(cert)) as resp,
        atomic_writer(dest, 0o666, use_umask=True) as f,
    ):
        shutil.copyfileobj(resp, f)


def _constraints_from_file(path: Path) -> bytes:
    """Return upper-constraints.txt content from a plain file or a tarball holding one."""
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.isfile() and m.name.rstrip("/").endswith("upper-constraints.txt")
            ]
            members.sort(key=lambda m: m.name.count("/"))
            if not members:
                raise InputError(f"{path}: the tarball holds no upper-constraints.txt")
            f = tar.extractfile(members[0])
            if f is None:
                raise InputError(f"{path}: cannot read {members[0].name}")
            return f.read()
    return path.read_bytes()


def validate_constraints(data: bytes, origin: str) -> None:
    """Check that ``data`` looks like an upper-constraints file (``name===version`` lines).

    Raises:
        InputError: it does not.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{origin}: upper-constraints is not UTF-8 text") from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    bad = [ln for ln in lines if not _UC_LINE.match(ln)]
    if not lines or bad:
        detail = f"first bad line: {bad[0]!r}" if bad else "no constraints"
        raise InputError(f"{origin}: not an upper-constraints file ({detail})")


def constraints_tarball(data: bytes, dest_dir: Path, release: str) -> tuple[Path, str]:
    """Write a reproducible ``requirements/upper-constraints.txt`` tarball; return it and the sha256."""
    digest = hashlib.sha256(data).hexdigest()
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"requirements-{release}-{digest[:12]}.tar.gz"
    if path.is_file():
        return path, digest
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, payload in (("requirements", None), (_UC_MEMBER, data)):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if payload is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    with (
        atomic_writer(path, 0o666, use_umask=True) as f,
        gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz,
    ):
        gz.write(raw.getvalue())
    return path, digest


@dataclass(frozen=True)
class Constraints:
    """The release's upper-constraints as the build uses them.

    Attributes:
        origin: where they came from (path or URL).
        tarball: reproducible tarball holding ``requirements/upper-constraints.txt`` (kolla's source).
        sha256: digest of upper-constraints.txt.
        note: a remark for the user (e.g. a cached copy was used), or "".
    """

    origin: str
    tarball: Path
    sha256: str
    note: str = ""


def download_path(url: str, cache: Path) -> Path:
    """Return where a download of ``url`` is kept in ``cache``."""
    name = Path(urllib.parse.urlsplit(url).path).name or "download"
    return cache / f"download-{hashlib.sha256(url.encode()).hexdigest()[:12]}-{name}"


def load_constraints(spec: str, release: str, cache: Path, cert: Path | None) -> Constraints:
    """Get upper-constraints from a local file/tarball or a URL (default: the release's upstream tarball).

    A downloaded copy is kept in ``cache`` and used when the URL cannot be reached.

    Raises:
        InputError: the file is missing or is not an upper-constraints file.
        RuntimeFailure: the URL cannot be fetched and no cached copy exists.
    """
    from lokictl.images.kolla import default_requirements_url

    origin = spec or default_requirements_url(release)
    note = ""
    if is_remote(origin):
        if has_credentials(origin):
            raise InputError(f"--upper-constraints {redact(origin)}: credentials in URLs are not supported")
        cache.mkdir(parents=True, exist_ok=True)
        local = download_path(origin, cache)
        try:
            _download(origin, local, cert)
        except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
            if not local.is_file():
                reason = getattr(exc, "reason", exc)
                raise RuntimeFailure(
                    f"cannot fetch upper-constraints from {origin} ({reason}); offline, pass a local copy "
                    "with --upper-constraints PATH"
                ) from None
            note = f"{origin} unreachable; using the copy fetched earlier ({local})"
        path = local
    else:
        path = Path(origin).expanduser()
        if not path.is_file():
            raise InputError(f"--upper-constraints {origin}: no such file")
    data = _constraints_from_file(path)
    validate_constraints(data, origin)
    tarball, digest = constraints_tarball(data, cache, release)
    return Constraints(origin=origin, tarball=tarball, sha256=digest, note=note)


# --- sdists and wheels via pip ---------------------------------------------------------------------


def _pip(python: str, args: list[str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ pip {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run([python, "-m", "pip", *args], stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-4:]
        raise RuntimeFailure(
            f"pip {args[0]} failed (exit {proc.returncode}); see {log}:\n  " + "\n  ".join(tail)
        )


def find_sdist(directory: Path, project: str, version: str) -> Path | None:
    """Return the sdist of ``project==version`` in ``directory`` (any name normalisation), or None."""
    if not directory.is_dir():
        return None
    want = canonicalize_name(project)
    for path in sorted(directory.glob("*.tar.gz")):
        stem = path.name[: -len(".tar.gz")]
        name, _, ver = stem.rpartition("-")
        if name and canonicalize_name(name) == want and ver == version:
            return path
    return None


def fetch_sdists(
    pins: Mapping[str, str], directory: Path, log: Path, python: str = sys.executable
) -> dict[str, Path]:
    """Return ``project -> sdist path`` for ``pins``, downloading the missing ones with pip.

    Raises:
        RuntimeFailure: pip failed or did not produce an sdist.
    """
    directory.mkdir(parents=True, exist_ok=True)
    missing = [p for p, v in sorted(pins.items()) if find_sdist(directory, p, v) is None]
    if missing:
        reqs = [f"{p}=={pins[p]}" for p in missing]
        _pip(python, ["download", "--no-binary", ":all:", "--no-deps", "--dest", str(directory), *reqs], log)
    out: dict[str, Path] = {}
    for project, version in sorted(pins.items()):
        path = find_sdist(directory, project, version)
        if path is None:
            raise RuntimeFailure(f"pip did not download an sdist of {project}=={version} into {directory}")
        out[project] = path
    return out


def _collection_version(zf: zipfile.ZipFile, name: str) -> str | None:
    ns, coll = name.split(".", 1)
    try:
        manifest = json.loads(zf.read(f"ansible_collections/{ns}/{coll}/MANIFEST.json"))
    except KeyError:
        return None
    return str(manifest["collection_info"]["version"])


def _satisfies(version: str, constraint: str) -> bool:
    try:
        return not constraint or Version(version) in SpecifierSet(constraint)
    except (InvalidSpecifier, InvalidVersion):
        return False


@dataclass(frozen=True)
class Collections:
    """Ansible collections for kolla-toolbox, copied out of the PyPI `ansible` package.

    Attributes:
        directory: directory to hand kolla as a source (it holds ``ansible_collections/``).
        versions: collection -> version.
        missing: collections kolla asks for that the package does not carry.
    """

    directory: Path
    versions: dict[str, str]
    missing: tuple[str, ...]


def collections_dir(ansible_version: str, wanted: Sequence[tuple[str, str]], cache: Path) -> Path:
    """Return where `toolbox_collections` puts the collections (a directory with ``ansible_collections``)."""
    key = hashlib.sha256(json.dumps([ansible_version, sorted(wanted)]).encode()).hexdigest()[:12]
    return cache / f"collections-ansible-{ansible_version}-{key}" / "lokictl-collections"


def toolbox_collections(
    ansible_version: str,
    wanted: Sequence[tuple[str, str]],
    optional: Sequence[str],
    cache: Path,
    log: Path,
    *,
    python_version: str,
    python: str = sys.executable,
) -> Collections:
    """Copy the collections kolla-toolbox needs out of the `ansible` wheel (downloaded with pip once).

    Args:
        ansible_version: the `ansible` package version.
        wanted: ``(collection, version constraint)`` pairs (kolla's requirements.yml).
        optional: collections that may be missing from the package.
        cache: where the wheel and the extracted collections are kept.
        log: pip's log file.
        python_version: the image's Python version (selects the wheel).
        python: interpreter running pip.

    Raises:
        RuntimeFailure: the wheel cannot be downloaded, or a collection is missing or outside its constraint.
    """
    names = sorted(n for n, _ in wanted)
    directory = collections_dir(ansible_version, wanted, cache)
    stamp = directory.parent / "versions.json"
    wheels = cache / "wheels"
    wheel = wheels / f"ansible-{ansible_version}-py3-none-any.whl"
    if not wheel.is_file():
        _pip(
            python,
            [
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--python-version",
                python_version,
                "--dest",
                str(wheels),
                f"ansible=={ansible_version}",
            ],
            log,
        )
        if not wheel.is_file():
            raise RuntimeFailure(f"pip did not download {wheel.name} into {wheels}")
    if stamp.is_file() and directory.is_dir():
        data = json.loads(stamp.read_text(encoding="utf-8"))
        return Collections(directory, dict(data["versions"]), tuple(data["missing"]))
    versions: dict[str, str] = {}
    missing: list[str] = []
    work = Path(tempfile.mkdtemp(prefix=".collections-", dir=cache))
    try:
        with zipfile.ZipFile(wheel) as zf:
            for name, constraint in sorted(wanted):
                version = _collection_version(zf, name)
                if version is None:
                    if name in optional:
                        missing.append(name)
                        continue
                    raise RuntimeFailure(f"the ansible {ansible_version} package does not carry {name}")
                if not _satisfies(version, constraint):
                    raise RuntimeFailure(
                        f"ansible {ansible_version} carries {name} {version}; "
                        f"kolla-toolbox needs {constraint}"
                    )
                versions[name] = version
                prefix = "ansible_collections/" + name.replace(".", "/", 1) + "/"
                for member in zf.infolist():
                    if member.filename.startswith(prefix) and not member.is_dir():
                        zf.extract(member, work / "lokictl-collections")
        (work / "versions.json").write_text(
            json.dumps({"versions": versions, "missing": missing, "collections": names}, indent=1),
            encoding="utf-8",
        )
        if directory.parent.exists():
            shutil.rmtree(directory.parent)
        os.replace(work, directory.parent)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return Collections(directory, versions, tuple(missing))
