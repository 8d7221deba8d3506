"""What the installed (pinned) kolla ships: its version, image templates, source defaults and repositories.

Everything is read from the installed package at run time, so a kolla update cannot silently leave lokictl's
view of images, sources or third-party repositories stale.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lokictl.errors import InputError, RuntimeFailure

_FROM = re.compile(r"^FROM\s+.*?([A-Za-z0-9._-]+):\{\{\s*tag\s*\}\}", re.MULTILINE)


def kolla_version() -> str:
    """Return the installed kolla version.

    Raises:
        RuntimeFailure: kolla is not installed.
    """
    try:
        return importlib.metadata.version("kolla")
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeFailure("kolla is not installed (pip install 'kolla>=22.2,<23')") from None


@cache
def docker_dir() -> Path:
    """Return kolla's directory of image templates (``share/kolla/docker``).

    Raises:
        RuntimeFailure: kolla is not installed or lacks its templates.
    """
    kolla_version()
    dist = importlib.metadata.distribution("kolla")
    for f in dist.files or ():
        text = str(f)
        if text.endswith("share/kolla/docker/base/Dockerfile.j2"):
            return Path(str(dist.locate_file(f))).resolve().parent.parent
    raise RuntimeFailure(f"kolla {dist.version} does not ship share/kolla/docker")


@cache
def parents() -> dict[str, str]:
    """Return ``image -> parent image`` for every kolla image ("" for ``base``: built from the distro)."""
    out: dict[str, str] = {}
    for template in sorted(docker_dir().rglob("Dockerfile.j2")):
        name = template.parent.name
        m = _FROM.search(template.read_text(encoding="utf-8"))
        out[name] = m.group(1) if m else ""
    return out


def ancestry(images: Iterable[str]) -> list[str]:
    """Return ``images`` with all their ancestors, parents before children, otherwise sorted by name.

    Raises:
        InputError: an image kolla does not know.
    """
    known = parents()
    wanted: set[str] = set()
    for name in images:
        if name not in known:
            raise InputError(f"kolla {kolla_version()} has no image '{name}'")
        while name and name not in wanted:
            wanted.add(name)
            name = known[name]
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(wanted):
        ready = sorted(n for n in wanted - placed if not known[n] or known[n] in placed)
        ordered.extend(ready)
        placed.update(ready)
    return ordered


def upstream_sources() -> dict[str, dict[str, Any]]:
    """Return kolla's default source sections (``kolla.common.sources.SOURCES``)."""
    from kolla.common import sources

    return {str(k): dict(v) for k, v in sources.SOURCES.items()}


def third_party_repos(distro: str = "debian") -> list[str]:
    """Return the names of the extra apt repositories kolla's templates may enable on ``distro``."""
    from kolla import template

    path = Path(template.__file__).parent / "repos.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names: set[str] = set()
    for key, repos in data.items():
        if key in ("deb", distro) or str(key).startswith(f"{distro}-"):
            names.update(str(n) for n in (repos or {}))
    return sorted(names)


def toolbox_collections() -> list[tuple[str, str]]:
    """Return the ``(collection, version constraint)`` pairs kolla-toolbox installs from Galaxy upstream."""
    path = docker_dir() / "kolla-toolbox" / "requirements.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for item in data.get("collections") or []:
        out.append((str(item["name"]), str(item.get("version", ""))))
    return out


def default_requirements_url(release: str) -> str:
    """Return the upstream tarball of the release's requirements (holding upper-constraints.txt)."""
    from kolla.common import config

    return f"{config.TARBALLS_BASE}/openstack/requirements/requirements-stable-{release}.tar.gz"
