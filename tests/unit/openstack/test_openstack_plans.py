"""Idempotence decisions of the post-deploy: keep, patch, upload or replace."""

from __future__ import annotations

import hashlib

from lokictl.openstack import plans
from lokictl.openstack.plans import ImageState

PAYLOAD = b"image bytes"
SHA512 = hashlib.sha512(PAYLOAD).hexdigest()
DESIRED = {"name": "Debian 12 test", "visibility": "public", "min_disk": 1, "os_distro": "debian"}


def digest(algorithm: str) -> str:
    return hashlib.new(algorithm, PAYLOAD).hexdigest()


def state(image_id: str, value: str = SHA512, status: str = "active", **fields: object) -> ImageState:
    return ImageState(image_id, "n", status, "sha512", value, {**DESIRED, **fields}, ("managed_by_lokictl",))


def test_changes() -> None:
    assert plans.changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": 3, "c": 4}
    assert plans.changes({"a": None}, {"a": None}) == {}


def test_no_image_creates() -> None:
    assert plans.image_plan([], digest, DESIRED) == plans.ImagePlan("create")


def test_same_checksum_and_metadata_is_unchanged() -> None:
    plan = plans.image_plan([state("a")], digest, DESIRED, ["managed_by_lokictl"])
    assert plan.action == "unchanged"
    assert plan.keep == "a" and not plan.patch and not plan.delete and not plan.add_tags


def test_metadata_change_patches_without_upload() -> None:
    plan = plans.image_plan([state("a", os_distro="ubuntu", min_disk=0)], digest, DESIRED, ["x"])
    assert plan.action == "update"
    assert plan.keep == "a"
    assert plan.patch == {"os_distro": "debian", "min_disk": 1}
    assert plan.add_tags == ("x",)


def test_content_change_replaces() -> None:
    plan = plans.image_plan([state("a", value="0" * 128)], digest, DESIRED)
    assert plan == plans.ImagePlan("replace", delete=("a",))


def test_other_hash_algorithm_is_used() -> None:
    md5 = ImageState("a", "n", "active", "md5", hashlib.md5(PAYLOAD).hexdigest(), dict(DESIRED))
    assert plans.image_plan([md5], digest, DESIRED).action == "unchanged"


def test_failed_and_duplicate_uploads_are_removed() -> None:
    existing = [state("c"), state("b", status="queued", value=""), state("a"), state("d", value="f" * 128)]
    plan = plans.image_plan(existing, digest, DESIRED)
    assert plan.action == "update"
    assert plan.keep == "a"  # the first matching image by id
    assert plan.delete == ("b", "c", "d")
    assert not plan.patch


def test_image_without_checksum_is_replaced() -> None:
    plan = plans.image_plan([state("a", value="", status="queued")], digest, DESIRED)
    assert plan == plans.ImagePlan("replace", delete=("a",))


def test_flavor_plan() -> None:
    sizes = {"vcpus": 1, "ram": 4096, "disk": 0, "is_public": True}
    specs = {"scs:cpu-type": "shared-core", "hw_rng:allowed": "True"}
    assert plans.flavor_plan(None, {}, sizes, specs) == plans.FlavorPlan("create", specs)
    assert plans.flavor_plan(sizes, specs, sizes, specs) == plans.FlavorPlan("unchanged")
    assert plans.flavor_plan(sizes, {"scs:cpu-type": "shared-core"}, sizes, specs) == plans.FlavorPlan(
        "update", {"hw_rng:allowed": "True"}
    )
    assert plans.flavor_plan({**sizes, "ram": 2048}, specs, sizes, specs).action == "replace"
