"""Which Kolla images a site needs: derived from the kolla-ansible globals `lokictl render` writes.

Service images come from `lokictl.services.SERVICES`, infrastructure images from the ``enable_*`` switches in
the rendered globals (`lokictl.services.INFRA_IMAGES`), plus the images every host runs.
"""

from __future__ import annotations

from typing import Any

from lokictl.errors import InputError
from lokictl.model import SiteModel
from lokictl.services import COMMON_IMAGES, INFRA_IMAGES, SERVICES


def _enabled(value: Any) -> bool:
    return str(value).lower() in ("yes", "true", "1", "on")


def images_for_globals(
    kolla_globals: dict[str, Any], services: list[str], *, control_plane_only: bool = False
) -> list[str]:
    """Return the sorted deploy images for rendered kolla globals and the site's enabled services.

    With ``control_plane_only`` the services' data-plane images (compute, agents, volume backends) are left
    out.

    Raises:
        InputError: a service whose images lokictl cannot build yet.
    """
    wanted: set[str] = set(COMMON_IMAGES)
    for flag, images in INFRA_IMAGES.items():
        if _enabled(kolla_globals.get(flag, "no")):
            wanted.update(images)
    for name in services:
        service = SERVICES[name]
        if not service.images:
            raise InputError(
                f"openstack.services: lokictl cannot build images for '{name}' yet "
                f"(no image list in lokictl/services.py)"
            )
        wanted.update(service.images)
        if not control_plane_only:
            wanted.update(service.agent_images)
    return sorted(wanted)


def required_images(model: SiteModel) -> list[str]:
    """Return the sorted Kolla images kolla-ansible deploys for ``model`` (without their parents).

    Raises:
        InputError: OpenStack is disabled, or a service's images are unknown.
    """
    from lokictl.render import kolla_globals

    if not model.openstack.enabled:
        raise InputError("openstack.enabled is false: this site deploys no OpenStack images")
    return images_for_globals(
        kolla_globals(model),
        list(model.openstack.enabled_services),
        control_plane_only=model.openstack.control_plane_only,
    )
