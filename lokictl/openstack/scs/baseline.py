"""The SCS baseline: the post-deploy items of a site with ``openstack.profile: scs``, beyond the bundled ones.

The standard flavors come from the standards' data (`flavor_items`: mandatory and recommended, every
``scs:*`` extra spec, ``hw_rng:allowed``); the rest is data in ``lokictl/data/openstack-baseline-scs.yml``:
the ``[scs:encrypted]`` volume type (scs-0114) for every scs site, and non-bootable stand-ins of the
standard images (scs-0104, with scs-0102 metadata) for labs only, which cannot download the upstream images.
The default security group rules neutron ships already follow scs-0115; nothing is added for them.
"""

from __future__ import annotations

import importlib.resources
from typing import Any

import yaml

from lokictl.errors import RuntimeFailure
from lokictl.openstack.baseline import Item, VolumeTypeItem, parse_items
from lokictl.openstack.scs.flavors import flavor_items
from lokictl.site import Site

SCS_DATA = "data/openstack-baseline-scs.yml"


def scs_data() -> dict[str, Any]:
    """Return the parsed ``lokictl/data/openstack-baseline-scs.yml``.

    Raises:
        RuntimeFailure: the file is missing or not a mapping (a broken installation).
    """
    try:
        text = importlib.resources.files("lokictl").joinpath(SCS_DATA).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(f"lokictl/{SCS_DATA}: {exc.strerror or exc}; reinstall lokictl") from None
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise RuntimeFailure(f"lokictl/{SCS_DATA}: not a mapping; reinstall lokictl")
    return data


def scs_items(site: Site) -> list[Item]:
    """Return the SCS baseline items for a site: flavors, volume types, and in a lab the image stand-ins.

    The encrypted volume type needs the key manager: it is left out when the site switches Barbican off.

    Raises:
        RuntimeFailure: the shipped data is invalid.
    """
    data = scs_data()
    raw: list[Any] = [*flavor_items(), *(data.get("items") or [])]
    if site.model.lab is not None:
        raw += data.get("lab_items") or []
    items = parse_items(raw, f"lokictl/{SCS_DATA}")
    services = site.model.openstack.enabled_services
    return [
        i
        for i in items
        if not (isinstance(i, VolumeTypeItem) and i.encryption is not None and "barbican" not in services)
    ]
