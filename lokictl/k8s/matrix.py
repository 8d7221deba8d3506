"""The Kubernetes version matrix (``lokictl/data/k8s-versions.yml``): load, validate and resolve it.

The matrix is data shipped in the package. It pins, per Kubernetes version, every file the nodes install (with
upstream URL, mirror path and SHA-256 per architecture) and every image a cluster of that version pulls.
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from lokictl.errors import InputError

ARCHES = ("amd64", "arm64")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Install(_Strict):
    """How a downloaded file is installed on a node."""

    type: Literal["binary", "archive", "file"] = Field(
        description="binary: copied as an executable; archive: members extracted; file: kept as downloaded."
    )
    dest: Literal["bin", "cni", "charts", "manifests"] = Field(description="Destination directory kind.")
    members: list[str] = Field(
        default_factory=list, description="Archive members to extract (empty = all); may contain {arch}."
    )


class Artifact(_Strict):
    """One file of a Kubernetes version."""

    name: str
    version: str
    url: str = Field(description="Upstream URL; {arch} is replaced by the architecture.")
    path: str = Field(description="Relative path inside a mirror or bundle; {arch} is replaced.")
    install: Install
    nodes: Literal["all", "control_plane"] = "all"
    cni: Literal["cilium", "calico"] | None = Field(
        default=None, description="Only needed by clusters using this CNI (None = every cluster)."
    )
    sha256: dict[str, Sha | None] = Field(
        description="SHA-256 per architecture, or 'all'; null = unverified."
    )

    @field_validator("sha256")
    @classmethod
    def _arch_keys(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        unknown = set(value) - {*ARCHES, "all"}
        if unknown or not value:
            raise ValueError(f"sha256 keys must be 'all' or architectures {ARCHES}, got {sorted(value)}")
        return value

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"upstream URL must use https: {value}")
        return value

    def checksum(self, arch: str) -> str | None:
        """Return the pinned SHA-256 for ``arch`` (None when not verified)."""
        return self.sha256.get("all", self.sha256.get(arch))

    def has_arch(self, arch: str) -> bool:
        """Return True when the artifact exists for ``arch``."""
        return "all" in self.sha256 or arch in self.sha256


class Images(_Strict):
    """Images a cluster of one version pulls, by purpose."""

    control_plane: list[str]
    cilium: list[str]
    calico: list[str]
    kube_vip: list[str]
    openstack: list[str]


class K8sVersion(_Strict):
    """Everything pinned for one Kubernetes version."""

    kubeadm_api: str
    containerd_min: str
    pause_image: str
    files: list[Artifact]
    images: Images


class Matrix(_Strict):
    """The whole version matrix."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # `components`/`images` anchors are YAML helpers

    schema_: Literal[1] = Field(alias="schema")
    versions: dict[str, K8sVersion]

    @field_validator("versions")
    @classmethod
    def _version_keys(cls, value: dict[str, K8sVersion]) -> dict[str, K8sVersion]:
        for key in value:
            if not _VERSION.match(key):
                raise ValueError(f"version key '{key}' is not MAJOR.MINOR.PATCH")
        return value

    def get(self, version: str) -> K8sVersion:
        """Return the entry of ``version``.

        Raises:
            InputError: the version is not in the matrix.
        """
        try:
            return self.versions[version]
        except KeyError:
            raise InputError(
                f"Kubernetes {version} is not in the version matrix (supported: {', '.join(self.names())})"
            ) from None

    def names(self) -> list[str]:
        """Return the versions, oldest first."""
        return sorted(self.versions, key=version_tuple)


def version_tuple(version: str) -> tuple[int, int, int]:
    """Return ``(major, minor, patch)`` of a ``MAJOR.MINOR.PATCH`` version string.

    Raises:
        InputError: not a MAJOR.MINOR.PATCH version.
    """
    m = _VERSION.match(version.removeprefix("v"))
    if not m:
        raise InputError(f"'{version}' is not a Kubernetes version (expected MAJOR.MINOR.PATCH, e.g. 1.34.2)")
    return int(m[1]), int(m[2]), int(m[3])


def load_matrix(path: Path | None = None) -> Matrix:
    """Load and validate a version matrix (default: the one shipped in the package).

    Raises:
        InputError: the file is unreadable or invalid.
    """
    if path is None:
        return _packaged()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read version matrix: {exc.strerror or exc}") from None
    return _parse(text, str(path))


@cache
def _packaged() -> Matrix:
    text = importlib.resources.files("lokictl").joinpath("data/k8s-versions.yml").read_text(encoding="utf-8")
    return _parse(text, "lokictl/data/k8s-versions.yml")


def _parse(text: str, origin: str) -> Matrix:
    try:
        data: Any = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return Matrix.model_validate(data)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{origin}: invalid version matrix at {where}: {first['msg']}") from None


def supported_versions() -> tuple[str, ...]:
    """Return the Kubernetes versions of the packaged matrix, oldest first."""
    return tuple(_packaged().names())


def resolved_files(entry: K8sVersion, arch: str, cni: str | None = None) -> list[dict[str, Any]]:
    """Return the version's files for one architecture, ``{arch}`` substituted (the roles' input)."""
    out: list[dict[str, Any]] = []
    for a in entry.files:
        if not a.has_arch(arch) or (cni is not None and a.cni not in (None, cni)):
            continue
        out.append(
            {
                "name": a.name,
                "version": a.version,
                "url": a.url.replace("{arch}", arch),
                "path": a.path.replace("{arch}", arch),
                "sha256": a.checksum(arch),
                "type": a.install.type,
                "dest": a.install.dest,
                "members": [m.replace("{arch}", arch) for m in a.install.members],
                "nodes": a.nodes,
            }
        )
    return out


def artifacts_by_arch(entry: K8sVersion, cni: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Return `resolved_files` for every architecture the matrix knows (only ``cni``'s CNI files if given)."""
    return {arch: resolved_files(entry, arch, cni) for arch in ARCHES}


def unverified(entry: K8sVersion, cni: str | None = None) -> list[str]:
    """Return ``name (arch)`` for every file of ``entry`` (of ``cni`` if given) without a pinned checksum."""
    return [
        f"{a.name} ({arch})"
        for a in entry.files
        if cni is None or a.cni in (None, cni)
        for arch, sha in sorted(a.sha256.items())
        if sha is None
    ]


def images_for(entry: K8sVersion, cni: str, openstack: bool, kube_vip: bool) -> list[str]:
    """Return the images a cluster with this configuration pulls (beyond kubeadm's etcd/CoreDNS/pause)."""
    imgs = [*entry.images.control_plane, entry.pause_image]
    imgs += entry.images.cilium if cni == "cilium" else entry.images.calico
    if kube_vip:
        imgs += entry.images.kube_vip
    if openstack:
        imgs += entry.images.openstack
    return list(dict.fromkeys(imgs))
