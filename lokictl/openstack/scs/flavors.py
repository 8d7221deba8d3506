"""Flavors: scs-0100 (names), scs-0101 (``hw_rng:allowed``), scs-0103 (standard flavors)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lokictl.openstack.scs.scope import Finding, load_data, names_detail

#: ``hw_rng:allowed`` on every flavor (scs-0101) lets images ask for a virtio RNG.
RNG_SPEC = ("hw_rng:allowed", "True")


@dataclass(frozen=True)
class FlavorSpec:
    """A standard flavor (scs-0103): what the cloud must offer under this name."""

    name: str
    vcpus: int
    ram: int  # MiB
    disk: int  # GB; 0 = no root disk (boot from volume)
    extra_specs: Mapping[str, str]
    mandatory: bool

    @property
    def testcase(self) -> str:
        """Return its presence test case, e.g. ``scs-0103-flavor-2v-4-20s``."""
        return "scs-0103-flavor-" + self.name.removeprefix("SCS-").lower()


@cache
def standard_flavors() -> tuple[FlavorSpec, ...]:
    """Return the standard flavors, mandatory first, each with its ``scs:*`` specs and ``hw_rng:allowed``."""
    data = load_data("SCS-Spec.MandatoryFlavors.verbose.yaml")
    out = []
    for group, mandatory in (("mandatory", True), ("recommended", False)):
        for row in data[group]:
            specs = {k: str(v) for k, v in row.items() if k.startswith("scs:")}
            specs[RNG_SPEC[0]] = RNG_SPEC[1]
            out.append(
                FlavorSpec(
                    row["name"],
                    int(row["cpus"]),
                    int(row["ram"]),
                    int(row.get("disk", 0)),
                    dict(sorted(specs.items())),
                    mandatory,
                )
            )
    return tuple(out)


def flavor_items(*, recommended: bool = True) -> list[dict[str, Any]]:
    """Return the standard flavors as post-deploy baseline items (``kind: flavor``, public).

    The item fields are those of `lokictl.openstack.baseline.FlavorItem`; ``recommended`` adds the
    recommended flavors to the mandatory ones.
    """
    return [
        {
            "kind": "flavor",
            "name": spec.name,
            "vcpus": spec.vcpus,
            "ram": spec.ram,
            "disk": spec.disk,
            "public": True,
            "extra_specs": dict(spec.extra_specs),
        }
        for spec in standard_flavors()
        if spec.mandatory or recommended
    ]


@dataclass(frozen=True)
class Flavor:
    """A flavor as the cloud reports it."""

    name: str
    vcpus: int
    ram: int
    disk: int
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    public: bool = True

    @classmethod
    def from_sdk(cls, obj: Any) -> Flavor:
        """Build from an openstacksdk flavor (listed with extra specs)."""
        return cls(
            str(obj.name),
            int(obj.vcpus),
            int(obj.ram),
            int(obj.disk or 0),
            {str(k): str(v) for k, v in (getattr(obj, "extra_specs", None) or {}).items()},
            bool(getattr(obj, "is_public", True)),
        )


_CPU_TYPES = {"L": "crowded-core", "V": "shared-core", "T": "dedicated-thread", "C": "dedicated-core"}
_DISK_TYPES = {"n": "network", "h": "hdd", "s": "ssd", "p": "nvme"}
_FLAVOR_NAME = re.compile(
    r"^SCS-(?P<cpus>[1-9]\d*)(?P<cpu>[LVTC])i?-(?P<ram>[1-9]\d*(?:\.\d+)?|0\.\d+)u?o?"
    r"(?:-(?:[1-9]\d*x)?(?P<disk>[1-9]\d*)(?P<disktype>[nhsp]?))?(?:_\S+)?$"
)


def _flavor_semantics(flavor: Flavor, m: re.Match[str]) -> list[str]:
    """Return how a flavor contradicts its scs-0100 name (CPU count and type, RAM, disk and disk type)."""
    wrong = []
    if flavor.vcpus != int(m["cpus"]):
        wrong.append(f"{flavor.vcpus} vCPUs")
    if flavor.ram != round(float(m["ram"]) * 1024):
        wrong.append(f"{flavor.ram} MiB RAM")
    if flavor.disk != int(m["disk"] or 0):
        wrong.append(f"{flavor.disk} GB disk")
    cpu_type = flavor.extra_specs.get("scs:cpu-type")
    if cpu_type is not None and cpu_type != _CPU_TYPES[m["cpu"]]:
        wrong.append(f"scs:cpu-type {cpu_type}")
    disk_type = flavor.extra_specs.get("scs:disk0-type")
    if m["disktype"] and disk_type is not None and disk_type != _DISK_TYPES[m["disktype"]]:
        wrong.append(f"scs:disk0-type {disk_type}")
    return wrong


def check_flavors(flavors: Iterable[Flavor], *, recommended: bool = True) -> list[Finding]:
    """Check flavors against scs-0100 (names), scs-0101 (``hw_rng:allowed``) and scs-0103 (standard flavors).

    scs-0100: names starting ``SCS-`` follow the naming syntax and tell the truth (vCPUs, CPU type, RAM, disk,
    disk type). scs-0103: every standard flavor exists with exact vCPUs, RAM, disk and ``scs:*`` extra specs
    (``recommended``: the recommended ones too). A standard flavor is found by its ``scs:name-v2`` extra
    spec, else by its name, as the official test does.
    """
    flavors = list(flavors)
    by_name = {f.extra_specs["scs:name-v2"]: f for f in flavors if "scs:name-v2" in f.extra_specs}
    for f in flavors:
        by_name.setdefault(f.name, f)
    scs_named = [f for f in flavors if f.name.startswith("SCS-")]
    unparsed = [f.name for f in scs_named if not _FLAVOR_NAME.match(f.name)]
    lying = [
        f"{f.name} ({', '.join(w)})"
        for f in scs_named
        if (m := _FLAVOR_NAME.match(f.name)) and (w := _flavor_semantics(f, m))
    ]
    no_rng = [f.name for f in flavors if f.extra_specs.get(RNG_SPEC[0], "").lower() != "true"]
    out = [
        Finding("scs-0100-syntax-check", not unparsed, names_detail("names not per scs-0100", unparsed)),
        Finding("scs-0100-semantics-check", not lying, names_detail("name does not match", lying)),
        Finding(
            "scs-0101-flavor-property", not no_rng, names_detail(f"without {'='.join(RNG_SPEC)}", no_rng)
        ),
    ]
    for spec in standard_flavors():
        if not (spec.mandatory or recommended):
            continue
        out.append(_standard_flavor(spec, by_name.get(spec.extra_specs["scs:name-v2"])))
    return out


def _standard_flavor(spec: FlavorSpec, flavor: Flavor | None) -> Finding:
    if flavor is None:
        return Finding(spec.testcase, False, f"flavor {spec.name} is missing")
    wanted: list[tuple[str, object, object]] = [
        ("vcpus", flavor.vcpus, spec.vcpus),
        ("ram", flavor.ram, spec.ram),
        ("disk", flavor.disk, spec.disk),
    ]
    wanted += [(k, flavor.extra_specs.get(k), v) for k, v in spec.extra_specs.items() if k.startswith("scs:")]
    wrong = [f"{key} is {have!r}, should be {want!r}" for key, have, want in wanted if have != want]
    return Finding(spec.testcase, not wrong, f"{flavor.name}: " + "; ".join(wrong) if wrong else "")
