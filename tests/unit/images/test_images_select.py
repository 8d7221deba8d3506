"""Image selection: the images kolla-ansible deploys for the enabled services and infrastructure switches."""

from __future__ import annotations

import pytest
import yaml
from support import AIO_IMAGES, EXAMPLES

from lokictl.errors import InputError
from lokictl.images import kolla
from lokictl.images.select import images_for_globals, required_images
from lokictl.services import COMMON_IMAGES, INFRA_IMAGES, SERVICES
from lokictl.site import load_site_text

CORE = ["keystone", "glance", "placement"]
OFF = {flag: "no" for flag in INFRA_IMAGES}


def _site(**openstack: object) -> str:
    data = yaml.safe_load((EXAMPLES / "aio.yml").read_text(encoding="utf-8"))
    data["openstack"].update(openstack)
    return yaml.safe_dump(data)


def test_aio_example_needs_the_nine_core_images() -> None:
    site = load_site_text((EXAMPLES / "aio.yml").read_text(encoding="utf-8"))
    assert required_images(site.model) == AIO_IMAGES


def test_load_balancer_adds_haproxy_and_keepalived_and_nothing_else() -> None:
    site = load_site_text(_site(load_balancer=True, internal_vip="10.10.0.250"))
    images = required_images(site.model)
    assert {"haproxy", "keepalived"} <= set(images)
    assert not {"fluentd", "proxysql", "rabbitmq"} & set(images)


def test_each_service_adds_exactly_its_images() -> None:
    base = set(images_for_globals({**OFF, "enable_mariadb": "yes"}, ["keystone"]))
    with_glance = set(images_for_globals({**OFF, "enable_mariadb": "yes"}, ["keystone", "glance"]))
    assert with_glance - base == {"glance-api"}
    assert base == {*COMMON_IMAGES, "mariadb-server", "keystone", "keystone-ssh", "keystone-fernet"}


@pytest.mark.parametrize("flag", sorted(INFRA_IMAGES))
def test_infra_switches_map_to_their_images(flag: str) -> None:
    images = images_for_globals({**OFF, flag: "yes"}, [])
    assert set(images) == {*COMMON_IMAGES, *INFRA_IMAGES[flag]}
    assert images_for_globals({**OFF, flag: True}, []) == images


def test_service_without_image_data_is_an_input_error() -> None:
    lacking = sorted(name for name, s in SERVICES.items() if not s.images)
    assert lacking, "every service has images: this test needs a new example"
    with pytest.raises(InputError, match=f"cannot build images for '{lacking[0]}'"):
        images_for_globals(OFF, ["keystone", lacking[0]])


def test_disabled_openstack_is_an_input_error() -> None:
    site = load_site_text(_site(enabled=False))
    with pytest.raises(InputError, match=r"openstack\.enabled is false"):
        required_images(site.model)


def test_every_image_named_in_the_tables_exists_in_kolla() -> None:
    names = {*COMMON_IMAGES}
    for images in INFRA_IMAGES.values():
        names.update(images)
    for service in SERVICES.values():
        names.update(service.images)
    assert names - set(kolla.parents()) == set()


def test_ancestry_puts_parents_first() -> None:
    order = kolla.ancestry(["keystone", "placement-api", "cron"])
    assert order[0] == "base"
    assert set(order) == {
        "base",
        "cron",
        "openstack-base",
        "keystone-base",
        "keystone",
        "placement-base",
        "placement-api",
    }
    for child, parent in (
        ("keystone", "keystone-base"),
        ("keystone-base", "openstack-base"),
        ("placement-api", "placement-base"),
        ("openstack-base", "base"),
    ):
        assert order.index(parent) < order.index(child)


def test_ancestry_rejects_unknown_images() -> None:
    with pytest.raises(InputError, match="no image 'keystone-api'"):
        kolla.ancestry(["keystone-api"])
