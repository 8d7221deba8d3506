"""Volume types (scs-0114), default security group rules (scs-0115), key manager and catalog (0116, 0123)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lokictl.openstack.scs.scope import Finding


@dataclass(frozen=True)
class VolumeType:
    """A volume type as the cloud reports it."""

    name: str
    description: str = ""


VOLUME_ASPECTS = ("encrypted", "replicated")
_ASPECTS = re.compile(r"^\[scs:([^\[\]]*)\]")


def aspect_description(aspects: Iterable[str], text: str = "") -> str:
    """Return a description declaring scs-0114 aspects: ``[scs:encrypted, replicated] text``."""
    prefix = "[scs:" + ", ".join(sorted(set(aspects))) + "]"
    return f"{prefix} {text}".rstrip()


def check_volume_types(types: Iterable[VolumeType]) -> list[Finding]:
    """Check scs-0114: aspect lists are sorted, unique and known; encrypted and replicated types exist."""
    errors: list[str] = []
    having: dict[str, list[str]] = defaultdict(list)
    for vt in types:
        m = _ASPECTS.match(vt.description or "")
        if m is None:
            continue
        aspects = [a.strip() for a in m.group(1).split(",")] if m.group(1) else []
        if aspects != sorted(aspects) or len(set(aspects)) != len(aspects):
            errors.append(f"{vt.name}: aspects not sorted and unique")
        if unknown := [a for a in aspects if a not in VOLUME_ASPECTS]:
            errors.append(f"{vt.name}: unknown aspects {', '.join(unknown)}")
        for a in aspects:
            having[a].append(vt.name)
    out = [Finding("scs-0114-syntax-check", not errors, "; ".join(errors))]
    for aspect in VOLUME_ASPECTS:
        names = having.get(aspect, [])
        out.append(
            Finding(f"scs-0114-{aspect}-type", bool(names), ", ".join(names) or f"no [scs:{aspect}] type")
        )
    return out


# --- default security group rules: scs-0115 -----------------------------------------------------------------


@dataclass(frozen=True)
class SecurityGroupRule:
    """A neutron default security group rule (the template new security groups get their rules from)."""

    direction: str
    ethertype: str
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    used_in_default_sg: bool = True
    used_in_non_default_sg: bool = True

    @classmethod
    def from_sdk(cls, obj: Any) -> SecurityGroupRule:
        """Build from an openstacksdk default security group rule."""
        return cls(
            str(obj.direction),
            str(obj.ether_type if hasattr(obj, "ether_type") else obj.ethertype),
            obj.remote_ip_prefix,
            obj.remote_group_id,
            bool(obj.used_in_default_sg),
            bool(obj.used_in_non_default_sg),
        )


def check_default_security_group_rules(rules: Iterable[SecurityGroupRule]) -> list[Finding]:
    """Check scs-0115: no ingress by default, egress anywhere over IPv4 and IPv6 in every security group.

    The only ingress allowed is from members of the default group itself, in the default group.
    """
    problems = []
    egress: set[tuple[str, str]] = set()
    for r in rules:
        if r.direction == "ingress":
            if not (r.remote_group_id == "PARENT" and not r.used_in_non_default_sg):
                problems.append(
                    f"ingress {r.ethertype} from {r.remote_ip_prefix or r.remote_group_id or 'any'}"
                )
        elif r.direction == "egress" and not r.remote_ip_prefix:
            if r.used_in_default_sg:
                egress.add((r.ethertype, "default"))
            if r.used_in_non_default_sg:
                egress.add((r.ethertype, "custom"))
    missing = [
        f"egress {e} in {g} groups"
        for e in ("IPv4", "IPv6")
        for g in ("default", "custom")
        if (e, g) not in egress
    ]
    problems += [f"missing {m}" for m in missing]
    return [Finding("scs-0115-default-rules", not problems, "; ".join(problems))]


# --- key manager and catalog: scs-0116, scs-0123 ------------------------------------------------------------

#: scs-0123: service types that must be in the catalog (``|`` = any of these).
MANDATORY_SERVICES: Mapping[str, tuple[str, ...]] = {
    "scs-0123-service-compute": ("compute",),
    "scs-0123-service-identity": ("identity",),
    "scs-0123-service-image": ("image",),
    "scs-0123-service-network": ("network",),
    "scs-0123-service-load-balancer": ("load-balancer",),
    "scs-0123-service-placement": ("placement",),
    "scs-0123-storage-apis": ("volume", "volumev3", "block-storage"),
    "scs-0123-service-s3": ("s3", "object-store"),
}


def check_key_manager(service_types: Iterable[str], member_secret_ok: bool | None) -> list[Finding]:
    """Check scs-0116: a key manager in the catalog, usable by a plain member.

    Args:
        service_types: the catalog's service types.
        member_secret_ok: whether a user with only the member role created, read and deleted a secret
            (None = not tried).
    """
    present = "key-manager" in set(service_types)
    tried = {
        None: "not tried",
        True: "member created, read and deleted a secret",
        False: "member was refused",
    }
    return [
        Finding("scs-0116-presence", present, "" if present else "no key-manager service in the catalog"),
        Finding("scs-0116-permissions", member_secret_ok is True, tried[member_secret_ok]),
    ]


def check_service_catalog(service_types: Iterable[str]) -> list[Finding]:
    """Check scs-0123: the catalog offers every mandatory service type."""
    have = set(service_types)
    return [
        Finding(tc, bool(have & set(types)), "" if have & set(types) else f"no {' / '.join(types)} service")
        for tc, types in MANDATORY_SERVICES.items()
    ]
