"""Pure decisions of the post-deploy: what to do with an object, given what the cloud holds.

Handlers in `lokictl.openstack.post` read the cloud, call these, and carry the result out; keeping the
decisions here makes idempotence testable without a cloud.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KEY_PROPERTY = "lokictl_key"
"""Image property holding the baseline item's key: how the post-deploy finds its images again."""

ACTIVE = "active"


def changes(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Return the desired fields whose current value differs (missing counts as different)."""
    return {k: v for k, v in desired.items() if k not in current or current[k] != v}


@dataclass(frozen=True)
class ImageState:
    """What the image service holds about one image (only the fields the decisions read)."""

    id: str
    name: str
    status: str
    hash_algo: str
    hash_value: str
    fields: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImagePlan:
    """What to do for one image item.

    Attributes:
        action: ``create`` (upload; none matches), ``replace`` (upload, then delete ``delete``), ``update``
            (patch ``keep``), ``unchanged``.
        keep: the image kept (None when uploading).
        patch: fields to set on the kept image.
        add_tags: tags to add to the kept image.
        delete: images to delete (after a successful upload when replacing).
    """

    action: str
    keep: str | None = None
    patch: dict[str, Any] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()


def image_plan(
    existing: Sequence[ImageState],
    digest: Callable[[str], str],
    desired: Mapping[str, Any],
    tags: Sequence[str] = (),
) -> ImagePlan:
    """Decide between keeping (and patching), uploading or replacing an image.

    Args:
        existing: the images carrying the item's key.
        digest: returns the local payload's hex digest for a hash algorithm name (``sha512``, ``md5``).
        desired: the fields the image must have (name, visibility, min sizes, properties).
        tags: tags the image must carry.

    An active image whose checksum equals the local payload's is kept (the first, by id, if several);
    every other image with the key is deleted: stale uploads, failed ones, and duplicates.
    """
    ordered = sorted(existing, key=lambda s: s.id)
    same = [
        s
        for s in ordered
        if s.status == ACTIVE and s.hash_algo and s.hash_value and digest(s.hash_algo) == s.hash_value
    ]
    if not same:
        stale = tuple(s.id for s in ordered)
        return ImagePlan("replace" if stale else "create", delete=stale)
    keep = same[0]
    delete = tuple(s.id for s in ordered if s.id != keep.id)
    patch = changes(keep.fields, desired)
    add = tuple(t for t in tags if t not in keep.tags)
    action = "update" if patch or add or delete else "unchanged"
    return ImagePlan(action, keep=keep.id, patch=patch, add_tags=add, delete=delete)


@dataclass(frozen=True)
class FlavorPlan:
    """What to do for one flavor.

    Attributes:
        action: ``create``, ``replace`` (sizes differ: flavors are immutable), ``update`` (extra specs only)
            or ``unchanged``.
        specs: the extra specs to set.
    """

    action: str
    specs: dict[str, str] = field(default_factory=dict)


def flavor_plan(
    current: Mapping[str, Any] | None, current_specs: Mapping[str, str], desired: Mapping[str, Any],
    desired_specs: Mapping[str, str],
) -> FlavorPlan:  # fmt: skip
    """Decide what to do for a flavor (``current``: vcpus, ram, disk, is_public; None = missing)."""
    if current is None:
        return FlavorPlan("create", dict(desired_specs))
    if changes(current, desired):
        return FlavorPlan("replace", dict(desired_specs))
    specs = changes(current_specs, desired_specs)
    return FlavorPlan("update" if specs else "unchanged", specs)
