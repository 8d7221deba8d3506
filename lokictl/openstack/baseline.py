"""The post-deploy baseline as data: the item kinds, their fields, and the bundled item list.

The list lives in ``lokictl/data/openstack-baseline.yml``; other lists (the SCS baseline: flavors, volume
types, standard images) are more items of the same kinds, loaded with `parse_items` and appended by the
caller. Adding a kind means a model here and a handler in `lokictl.openstack.post`.
"""

from __future__ import annotations

import importlib.resources
import string
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from lokictl.errors import RuntimeFailure

BASELINE_DATA = "data/openstack-baseline.yml"
Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str = ""

    @property
    def label(self) -> str:
        """Return ``<kind> <name>`` for reports."""
        return f"{getattr(self, 'kind', '?')} {getattr(self, 'name', '?')}"

    def needs(self) -> str:
        """Return the catalog service type the item needs."""
        return self.service or DEFAULT_SERVICE[str(getattr(self, "kind", ""))]


class ProjectItem(_Item):
    """A project (in the domain ``domain``)."""

    kind: Literal["project"]
    name: Name
    description: str = ""
    domain: str = "Default"


class UserItem(_Item):
    """A user with a generated password, its roles on one project and a clouds.yaml entry."""

    kind: Literal["user"]
    name: Name
    project: Name
    roles: tuple[Name, ...] = ("member",)
    cloud: str = Field(default="", description="clouds.yaml entry to write; empty = none.")
    description: str = ""
    domain: str = "Default"


class ImageItem(_Item):
    """A Glance image built locally by ``build``; found again by its ``key`` (an image property)."""

    kind: Literal["image"]
    key: Name
    build: Literal["debian-release-files", "stand-in"] = Field(
        description="debian-release-files: the test image of this machine; stand-in: a payload holding "
        "only a README that names `stands_for` (labs: a standard image that cannot be downloaded)."
    )
    stands_for: str = ""
    name: Name
    visibility: Literal["public", "private", "shared", "community"] = "public"
    disk_format: str = "raw"
    container_format: str = "bare"
    min_disk: int = Field(default=0, ge=0)
    min_ram: int = Field(default=0, ge=0)
    tags: tuple[str, ...] = ()
    properties: dict[str, str] = Field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return ``image <key>`` (the name may be a template)."""
        return f"image {self.key}"


class FlavorItem(_Item):
    """A Nova flavor with extra specs (flavors cannot change: a different one is replaced)."""

    kind: Literal["flavor"]
    name: Name
    vcpus: int = Field(ge=1)
    ram: int = Field(ge=1, description="MiB")
    disk: int = Field(default=0, ge=0, description="GiB; 0 = boot from volume only")
    public: bool = True
    extra_specs: dict[str, str] = Field(default_factory=dict)


class VolumeTypeItem(_Item):
    """A Cinder volume type with a description and extra specs."""

    kind: Literal["volume_type"]
    name: Name
    description: str = ""
    public: bool = True
    extra_specs: dict[str, str] = Field(default_factory=dict)
    encryption: VolumeEncryption | None = Field(
        default=None, description="Volume encryption (front-end LUKS with keys in the key manager)."
    )


class VolumeEncryption(BaseModel):
    """The encryption of a Cinder volume type (``openstack volume type create --encryption-*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = "luks"
    cipher: str = "aes-xts-plain64"
    key_size: int = Field(default=256, ge=128)
    control_location: Literal["front-end", "back-end"] = "front-end"


Item = Annotated[
    ProjectItem | UserItem | ImageItem | FlavorItem | VolumeTypeItem, Field(discriminator="kind")
]
"""One post-deploy item (a tagged union on ``kind``)."""

DEFAULT_SERVICE = {
    "project": "identity",
    "user": "identity",
    "image": "image",
    "flavor": "compute",
    "volume_type": "block-storage",
}
"""Catalog service type each kind needs unless the item says otherwise."""

VolumeTypeItem.model_rebuild()
_ITEMS = TypeAdapter(list[Item])


def parse_items(data: Any, source: str = "items") -> list[Item]:
    """Return the items of a baseline document (``{"items": [...]}``) or list.

    Raises:
        RuntimeFailure: the data does not describe valid items.
    """
    raw = data.get("items") if isinstance(data, Mapping) else data
    try:
        items = _ITEMS.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RuntimeFailure(
            f"{source}: invalid baseline item at {where}: {first['msg']} ({exc.error_count()} errors)"
        ) from None
    _check_references(items, source)
    return items


def _check_references(items: Sequence[Item], source: str) -> None:
    projects = {i.name for i in items if isinstance(i, ProjectItem)}
    keys: set[str] = set()
    for item in items:
        if isinstance(item, UserItem) and item.project not in projects:
            raise RuntimeFailure(f"{source}: user {item.name}: project {item.project} is not in the list")
        if isinstance(item, ImageItem):
            if item.key in keys:
                raise RuntimeFailure(f"{source}: image key {item.key} is used twice")
            keys.add(item.key)


def bundled_items() -> list[Item]:
    """Return the baseline shipped with lokictl (``lokictl/data/openstack-baseline.yml``).

    Raises:
        RuntimeFailure: the file is missing or invalid (a broken installation).
    """
    try:
        text = importlib.resources.files("lokictl").joinpath(BASELINE_DATA).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(f"lokictl/{BASELINE_DATA}: {exc.strerror or exc}; reinstall lokictl") from None
    return parse_items(yaml.safe_load(text), f"lokictl/{BASELINE_DATA}")


def fill(text: str, values: Mapping[str, str]) -> str:
    """Return ``text`` with its ``{name}`` fields replaced from ``values``.

    Raises:
        RuntimeFailure: the text names a field ``values`` lacks, or is not a valid template.
    """
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError as exc:
        raise RuntimeFailure(f"baseline text {text!r}: {exc}") from None
    missing = sorted(names - set(values))
    if missing:
        raise RuntimeFailure(f"baseline text {text!r} uses unknown field(s): {', '.join(missing)}")
    return text.format_map(dict(values))
