"""Images: scs-0102 (image metadata) and scs-0104 (standard images)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from lokictl.openstack.scs.scope import Finding, load_data, names_detail, testcases


@dataclass(frozen=True)
class Image:
    """An image as the cloud reports it; ``properties`` holds every metadata key (glance's typed ones too)."""

    name: str
    properties: Mapping[str, Any]
    min_disk: int = 0  # GiB
    min_ram: int = 0  # MiB
    size: int = 0  # bytes
    visibility: str = "public"
    created_at: str = ""
    hidden: bool = False

    @classmethod
    def from_sdk(cls, obj: Any) -> Image:
        """Build from an openstacksdk image (typed attributes such as ``architecture`` merged in)."""
        props: dict[str, Any] = dict(getattr(obj, "properties", None) or {})
        for key in IMAGE_TYPED_ATTRIBUTES:
            value = getattr(obj, key, None)
            if value is not None:
                props.setdefault(key, value)
        algo = getattr(obj, "hash_algo", None)
        if algo:
            props.setdefault("hash_algo", algo)
        return cls(
            str(obj.name),
            props,
            int(obj.min_disk or 0),
            int(obj.min_ram or 0),
            int(obj.size or 0),
            str(obj.visibility or ""),
            str(obj.created_at or ""),
            bool(getattr(obj, "is_hidden", False)),
        )


#: openstacksdk image attributes that glance stores as image properties.
IMAGE_TYPED_ATTRIBUTES = (
    "architecture",
    "os_distro",
    "os_version",
    "hw_disk_bus",
    "hypervisor_type",
    "hw_rng_model",
)
ARCHITECTURES = ("x86_64", "aarch64", "risc-v")
OS_PURPOSES = ("generic", "minimal", "k8snode", "gpu", "network", "custom")
REPLACE_FREQUENCIES = {
    "yearly": 365,
    "quarterly": 92,
    "monthly": 31,
    "weekly": 7,
    "daily": 1,
    "critical_bug": 0,
    "never": 0,
}  # days
#: scs-0102 properties with a fixed set of values; ``None`` = the property may be left out.
IMAGE_CHOICES: Mapping[str, tuple[str | None, ...]] = {
    "architecture": ARCHITECTURES,
    "hw_disk_bus": ("virtio", "scsi", None),
    "hypervisor_type": ("qemu", "kvm", "xen", "hyper-v", "esxi", None),
    "hw_rng_model": ("virtio", None),
    "os_purpose": OS_PURPOSES,
    "hash_algo": ("sha256", "sha512"),
    "replace_frequency": tuple(REPLACE_FREQUENCIES),
}
#: scs-0102 properties that must be set to something.
IMAGE_REQUIRED = ("os_version", "os_distro", "image_original_user", "image_description", "provided_until")


def parse_date(text: str) -> datetime | None:
    """Return a date in a form scs-0102 allows (``YYYY-MM-DD[THH:MM:SSZ]``, ``YYYY-MM-DD HH:MM``), or None."""
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            continue
    return None


def _is_url(text: str) -> bool:
    return re.match(r"^(https?|ftps?)://\S+$", text) is not None


def _image_offenders(img: Image, now: datetime) -> dict[str, str]:
    """Return ``property -> problem`` for one image (scs-0102)."""
    p = img.properties
    bad: dict[str, str] = {}
    for key, choices in IMAGE_CHOICES.items():
        if p.get(key) not in choices:
            bad[key] = f"{key}={p.get(key)!r}"
    for key in IMAGE_REQUIRED:
        if not p.get(key):
            bad[key] = f"{key} unset"
    if not img.min_disk or img.min_disk * 1024**3 < img.size:
        bad["min_disk"] = f"min_disk={img.min_disk} GiB for {img.size} bytes"
    if not img.min_ram:
        bad["min_ram"] = "min_ram unset"
    built = parse_date(str(p.get("image_build_date", "")))
    registered = parse_date(img.created_at)
    if built is None or built > now or (registered is not None and built > registered):
        bad["image_build_date"] = f"image_build_date={p.get('image_build_date')!r}"
    source = str(p.get("image_source", ""))
    if source != "private" and not _is_url(source):
        bad["image_source"] = f"image_source={source!r}"
    until = str(p.get("provided_until", ""))
    if until and until not in ("none", "notice") and parse_date(until) is None:
        bad["provided_until"] = f"provided_until={until!r}"
    validity = p.get("uuid_validity")
    if validity not in (None, "none", "notice", "forever") and not (
        re.fullmatch(r"last-\d+", str(validity)) or parse_date(str(validity))
    ):
        bad["uuid_validity"] = f"uuid_validity={validity!r}"
    hotfix = str(p.get("hotfix_hours", ""))
    if hotfix and not hotfix.isdecimal():
        bad["hotfix_hours"] = f"hotfix_hours={hotfix!r}"
    return bad


def _outdated(img: Image, now: datetime) -> bool:
    """Return True when a visible image is older than its replace_frequency promises (scs-0102 recency)."""
    days = REPLACE_FREQUENCIES.get(str(img.properties.get("replace_frequency")), 0)
    built = parse_date(str(img.properties.get("image_build_date", ""))) or parse_date(img.created_at)
    if not days or built is None or (now - built).total_seconds() <= 1.1 * days * 86400:
        return False
    until = str(img.properties.get("provided_until", ""))
    past_support = (d := parse_date(until)) is not None and now > d
    return not (img.hidden or past_support)


def check_image_metadata(images: Iterable[Image], *, now: datetime | None = None) -> list[Finding]:
    """Check the scs-0102 metadata of every image.

    One finding per ``scs-0102-prop-<key>`` test case, plus recency (an image older than its
    ``replace_frequency`` promises must be hidden or past ``provided_until``) and the uniqueness of public
    generic images per (architecture, os_distro, os_version); and scs-0101's ``hw_rng_model=virtio`` on
    public images.
    """
    images = list(images)
    now = now or datetime.now(UTC)
    per_key: dict[str, list[str]] = defaultdict(list)
    for img in images:
        for key, problem in _image_offenders(img, now).items():
            per_key[key].append(f"{img.name}: {problem}")
    keys = (
        *IMAGE_CHOICES,
        *IMAGE_REQUIRED,
        "min_disk",
        "min_ram",
        "image_build_date",
        "image_source",
        "uuid_validity",
        "hotfix_hours",
    )
    out = [Finding(f"scs-0102-prop-{k}", not per_key[k], "; ".join(per_key[k])) for k in dict.fromkeys(keys)]
    stale = [img.name for img in images if _outdated(img, now)]
    out.append(Finding("scs-0102-image-recency", not stale, names_detail("outdated and not hidden", stale)))
    generic = Counter(
        (
            str(i.properties.get("architecture", "")),
            str(i.properties["os_distro"]),
            str(i.properties["os_version"]),
        )
        for i in images
        if i.visibility == "public"
        and not i.hidden
        and i.properties.get("os_purpose") == "generic"
        and i.properties.get("os_distro")
        and i.properties.get("os_version")
    )
    twice = [" ".join(k) for k, n in generic.items() if n > 1]
    out.append(
        Finding("scs-0102-os_purpose-uniqueness", not twice, names_detail("several generic images", twice))
    )
    no_rng = [
        i.name for i in images if i.visibility == "public" and i.properties.get("hw_rng_model") != "virtio"
    ]
    out.append(
        Finding("scs-0101-image-property", not no_rng, names_detail("without hw_rng_model=virtio", no_rng))
    )
    return out


@dataclass(frozen=True)
class ImageSpec:
    """A standard image (scs-0104): a name or name pattern and the URL prefixes its source must have."""

    name: str
    sources: tuple[str, ...]
    status: str  # mandatory, recommended or optional
    name_scheme: str = ""

    @property
    def slug(self) -> str:
        """Return the test case suffix: ``ubuntu-2404``, ``debian-12``, ``capi-2`` (dash-separated scheme)."""
        if "capi" in self.name:
            return "capi-2" if self.name_scheme.startswith(self.name + "-") else "capi-1"
        return self.name.lower().replace(" ", "-").replace(".", "")

    def matches(self, name: str) -> bool:
        """Return True when an image name is this standard image."""
        return bool(re.match(self.name_scheme, name)) if self.name_scheme else name == self.name


@cache
def standard_images() -> tuple[ImageSpec, ...]:
    """Return the standard images of scs-0104 (image spec v5)."""
    return tuple(
        ImageSpec(
            str(row["name"]),
            tuple(row["source"]),
            str(row.get("status", "optional")),
            str(row.get("name_scheme", "")),
        )
        for row in load_data("scs-0104-v1-images-v5.yaml")["images"]
    )


def check_standard_images(images: Iterable[Image]) -> list[Finding]:
    """Check scs-0104: standard images present, and their ``image_source`` under the standard's prefixes.

    Presence is checked for mandatory and recommended images, the source of every standard image found (for
    the images the scope has test cases for).
    """
    images = list(images)
    known = testcases()
    out = []
    for spec in standard_images():
        found = [img for img in images if spec.matches(img.name)]
        if f"scs-0104-source-{spec.slug}" not in known:
            continue  # an image the scope has no test case for (Debian 10)
        if spec.status in ("mandatory", "recommended"):
            out.append(
                Finding(f"scs-0104-image-{spec.slug}", bool(found), "" if found else f"no image {spec.name}")
            )
        wrong = [
            f"{img.name} ({img.properties.get('image_source')})"
            for img in found
            if not str(img.properties.get("image_source", "")).startswith(spec.sources)
        ]
        out.append(
            Finding(f"scs-0104-source-{spec.slug}", not wrong, names_detail("source not upstream", wrong))
        )
    return out
