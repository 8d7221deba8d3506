"""The Sovereign Cloud Stack (SCS) IaaS standards as data, and pure checks of what a cloud reports.

The expectations come from the standards' own data files, shipped in ``lokictl/data/scs/``: the standard
flavors (scs-0103, with the ``scs:*`` extra specs of scs-0100), the standard images (scs-0104) and the
certificate scope (``scs-compatible-iaas.yaml``: test case ids, descriptions, mandatory or recommended). The
rules of scs-0102 (image metadata), scs-0114 (volume types), scs-0115 (default security group rules), scs-0116
(key manager) and scs-0123 (mandatory services) are written down here from the standards' texts.

Checks take plain snapshots (`Flavor`, `Image`, `VolumeType`, `SecurityGroupRule`; ``from_sdk`` builds them
from openstacksdk resources) and return one `Finding` per official test case id, so the baseline step and
``lokictl verify --scs`` share them and unit tests need no cloud. Modules: `scope` (test cases, `Finding`),
`flavors`, `images`, `resources` (volume types, security group rules, key manager, catalog).
"""

from lokictl.openstack.scs.flavors import (
    RNG_SPEC,
    Flavor,
    FlavorSpec,
    check_flavors,
    flavor_items,
    standard_flavors,
)
from lokictl.openstack.scs.images import (
    ARCHITECTURES,
    IMAGE_CHOICES,
    IMAGE_REQUIRED,
    OS_PURPOSES,
    REPLACE_FREQUENCIES,
    Image,
    ImageSpec,
    check_image_metadata,
    check_standard_images,
    parse_date,
    standard_images,
)
from lokictl.openstack.scs.resources import (
    MANDATORY_SERVICES,
    VOLUME_ASPECTS,
    SecurityGroupRule,
    VolumeType,
    aspect_description,
    check_default_security_group_rules,
    check_key_manager,
    check_service_catalog,
    check_volume_types,
)
from lokictl.openstack.scs.scope import DEFAULT_VERSION, Finding, TestCase, testcases

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_VERSION",
    "IMAGE_CHOICES",
    "IMAGE_REQUIRED",
    "MANDATORY_SERVICES",
    "OS_PURPOSES",
    "REPLACE_FREQUENCIES",
    "RNG_SPEC",
    "VOLUME_ASPECTS",
    "Finding",
    "Flavor",
    "FlavorSpec",
    "Image",
    "ImageSpec",
    "SecurityGroupRule",
    "TestCase",
    "VolumeType",
    "aspect_description",
    "check_default_security_group_rules",
    "check_flavors",
    "check_image_metadata",
    "check_key_manager",
    "check_service_catalog",
    "check_standard_images",
    "check_volume_types",
    "flavor_items",
    "parse_date",
    "standard_flavors",
    "standard_images",
    "testcases",
]
