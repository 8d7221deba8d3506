"""The post-deploy baseline as data: the bundled list, item validation, text fields."""

from __future__ import annotations

import pytest

from lokictl.errors import RuntimeFailure
from lokictl.openstack import baseline
from lokictl.openstack.baseline import FlavorItem, ImageItem, ProjectItem, UserItem, VolumeTypeItem

# Properties scs-0102 requires on every public image (image_build_date is set from the build).
SCS_0102_MANDATORY = {
    "architecture", "hypervisor_type", "hw_disk_bus", "os_distro", "os_version", "image_original_user",
    "image_source", "image_description", "replace_frequency", "provided_until", "uuid_validity",
}  # fmt: skip
REPLACE_FREQUENCIES = {"yearly", "quarterly", "monthly", "weekly", "daily", "critical_bug", "never"}
FACTS = {"site": "lab1", "os_name": "Debian", "os_version": "12", "arch": "x86_64"}


def test_bundled_items_in_order() -> None:
    items = baseline.bundled_items()
    assert [i.kind for i in items] == ["project", "user", "image"]
    project, user, image = items
    assert isinstance(project, ProjectItem) and isinstance(user, UserItem) and isinstance(image, ImageItem)
    assert user.project == project.name
    assert user.roles == ("member",)
    assert baseline.fill(user.cloud, FACTS) == "lab1-member"


def test_bundled_image_has_scs_0102_metadata() -> None:
    image = next(i for i in baseline.bundled_items() if isinstance(i, ImageItem))
    assert set(image.properties) >= SCS_0102_MANDATORY
    props = {k: baseline.fill(v, FACTS) for k, v in image.properties.items()}
    assert props["replace_frequency"] in REPLACE_FREQUENCIES
    assert props["architecture"] == "x86_64"
    assert props["os_distro"] == "debian" and props["os_version"] == "12"
    # Built locally: scs-0102 wants a URL or "private"; and it does not boot, which its text must say.
    assert props["image_source"] == "private"
    assert "not bootable" in props["image_description"].lower()
    assert "not bootable" in baseline.fill(image.name, FACTS)
    # SCS naming: the name starts with "<os_distro> <os_version>"; os_purpose keeps it out of the generic set.
    assert baseline.fill(image.name, FACTS).casefold().startswith("debian 12")
    assert props["os_purpose"] == "custom"
    assert image.min_disk >= 1 and image.min_ram >= 64
    assert image.disk_format == "raw"


def test_items_of_every_kind_parse() -> None:
    items = baseline.parse_items(
        {
            "items": [
                {"kind": "project", "name": "p"},
                {"kind": "user", "name": "u", "project": "p", "cloud": "{site}-u"},
                {
                    "kind": "flavor",
                    "name": "SCS-1V-4",
                    "vcpus": 1,
                    "ram": 4096,
                    "extra_specs": {"scs:cpu-type": "shared-core"},
                },
                {"kind": "volume_type", "name": "LUKS", "description": "[scs:encrypted]"},
            ]
        }
    )
    assert [type(i) for i in items] == [ProjectItem, UserItem, FlavorItem, VolumeTypeItem]
    assert [i.needs() for i in items] == ["identity", "identity", "compute", "block-storage"]
    assert items[2].label == "flavor SCS-1V-4"


def test_service_override() -> None:
    (item,) = baseline.parse_items([{"kind": "volume_type", "name": "x", "service": "volumev3"}])
    assert item.needs() == "volumev3"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [{"kind": "project", "name": "p", "colour": "red"}],
            "items: invalid baseline item at 0.project.colour",
        ),
        ([{"kind": "router", "name": "r"}], "items: invalid baseline item at 0"),
        ([{"kind": "flavor", "name": "f", "vcpus": 0, "ram": 1}], "0.flavor.vcpus"),
        ([{"kind": "user", "name": "u", "project": "nowhere"}], "user u: project nowhere is not in the list"),
        (
            [
                {"kind": "image", "key": "k", "build": "debian-release-files", "name": "a"},
                {"kind": "image", "key": "k", "build": "debian-release-files", "name": "b"},
            ],
            "image key k is used twice",
        ),
    ],
)
def test_invalid_items(items: list[dict[str, object]], message: str) -> None:
    with pytest.raises(RuntimeFailure) as err:
        baseline.parse_items(items)
    assert message in err.value.message


def test_fill() -> None:
    assert baseline.fill("{os_name} {os_version} test", FACTS) == "Debian 12 test"
    assert baseline.fill("plain", {}) == "plain"
    with pytest.raises(RuntimeFailure, match="unknown field"):
        baseline.fill("{nope}", FACTS)
    with pytest.raises(RuntimeFailure):
        baseline.fill("{unclosed", FACTS)
