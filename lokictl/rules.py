"""Semantic rules of a site: checks that relate several fields.

Each rule is a small function taking the validated `SiteModel` and yielding ``(field path, message)``
pairs. All
rules run on every validation, so a user sees every problem in one run.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator

from lokictl.k8s.matrix import supported_versions as supported_k8s_versions
from lokictl.model import IPAddress, IPNetwork, Network, SiteModel
from lokictl.services import PROFILES, SERVICES, SUPPORTED_RELEASES

Problem = tuple[tuple[str | int, ...], str]
Rule = Callable[[SiteModel], Iterator[Problem]]

#: Kubernetes versions in the version matrix (lokictl/data/k8s-versions.yml), oldest first.
SUPPORTED_K8S_VERSIONS = supported_k8s_versions()
MTU_RANGE = (1280, 9216)

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_POSIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_SSH_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$")
_REGISTRY = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._/-]+)?$")

RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register a rule."""
    RULES.append(fn)
    return fn


def check(site: SiteModel) -> list[Problem]:
    """Run every rule and return all problems found."""
    return [problem for r in RULES for problem in r(site)]


def _label_problem(value: str) -> str | None:
    if _LABEL.match(value):
        return None
    return (
        f"'{value}' is not a valid RFC 1123 name: use 1-63 lowercase letters, digits and '-', "
        "not starting or ending with '-'"
    )


# --- identity ---------------------------------------------------------------------------------------------


@rule
def site_name_is_label(site: SiteModel) -> Iterator[Problem]:
    """The site name names a directory and DNS records: an RFC 1123 label."""
    if msg := _label_problem(site.site.name):
        yield ("site", "name"), msg


@rule
def domain_is_dns_name(site: SiteModel) -> Iterator[Problem]:
    """The domain is a dot-separated list of labels."""
    labels = site.site.domain.rstrip(".").split(".")
    if len(site.site.domain) > 253 or not all(_LABEL.match(lbl) for lbl in labels):
        yield ("site", "domain"), f"'{site.site.domain}' is not a valid DNS domain"


@rule
def timezone_known(site: SiteModel) -> Iterator[Problem]:
    """The time zone exists in the IANA database."""
    try:
        zoneinfo.ZoneInfo(site.site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        yield ("site", "timezone"), f"unknown time zone '{site.site.timezone}' (e.g. Etc/UTC, Europe/Berlin)"


# --- hosts ------------------------------------------------------------------------------------------------


@rule
def host_names_are_labels(site: SiteModel) -> Iterator[Problem]:
    """Every host name is an RFC 1123 label."""
    for i, host in enumerate(site.hosts):
        if msg := _label_problem(host.name):
            yield ("hosts", i, "name"), msg


@rule
def host_names_unique(site: SiteModel) -> Iterator[Problem]:
    """No two hosts share a name."""
    first: dict[str, int] = {}
    for i, host in enumerate(site.hosts):
        if host.name in first:
            yield ("hosts", i, "name"), f"duplicate host name '{host.name}' (also hosts[{first[host.name]}])"
        else:
            first[host.name] = i


@rule
def host_addresses_unique(site: SiteModel) -> Iterator[Problem]:
    """No two hosts share an address."""
    first: dict[IPAddress, int] = {}
    for i, host in enumerate(site.hosts):
        if host.address in first:
            yield (
                ("hosts", i, "address"),
                f"duplicate address {host.address} (also hosts[{first[host.address]}].address)",
            )
        else:
            first[host.address] = i


@rule
def host_addresses_in_management(site: SiteModel) -> Iterator[Problem]:
    """Host addresses are usable addresses of the management network."""
    net = site.networks.management
    for i, host in enumerate(site.hosts):
        if msg := _outside(host.address, net, "networks.management"):
            yield ("hosts", i, "address"), msg
        elif net.gateway is not None and host.address == net.gateway:
            yield ("hosts", i, "address"), f"{host.address} is the gateway of networks.management"


@rule
def host_roles_unique(site: SiteModel) -> Iterator[Problem]:
    """A role is listed once per host."""
    for i, host in enumerate(site.hosts):
        for role, n in Counter(host.roles).items():
            if n > 1:
                yield ("hosts", i, "roles"), f"role '{role}' is listed {n} times"


@rule
def host_interfaces_name_networks(site: SiteModel) -> Iterator[Problem]:
    """Interface mappings name networks the site defines."""
    defined = [name for name, _ in site.networks.items()]
    for i, host in enumerate(site.hosts):
        for net_name, iface in host.interfaces.items():
            if net_name not in defined:
                yield (
                    ("hosts", i, "interfaces", net_name),
                    f"network '{net_name}' is not defined in networks (defined: {', '.join(defined)})",
                )
            elif not re.match(r"^[A-Za-z0-9_.:@-]{1,15}$", iface):
                yield ("hosts", i, "interfaces", net_name), f"'{iface}' is not a valid interface name"


# --- networks ---------------------------------------------------------------------------------------------


def _outside(addr: IPAddress, net: Network, label: str) -> str | None:
    if addr.version != net.cidr.version or addr not in net.cidr:
        return f"{addr} is outside {label} ({net.cidr})"
    if net.cidr.num_addresses > 2 and addr in (net.cidr.network_address, net.cidr.broadcast_address):
        return f"{addr} is the network or broadcast address of {label} ({net.cidr})"
    return None


@rule
def gateways_in_network(site: SiteModel) -> Iterator[Problem]:
    """Each gateway is a usable address of its own network."""
    for name, net in site.networks.items():
        if net.gateway is not None and (msg := _outside(net.gateway, net, f"networks.{name}")):
            yield ("networks", name, "gateway"), msg


@rule
def mtu_sane(site: SiteModel) -> Iterator[Problem]:
    """MTUs lie between the IPv6 minimum and jumbo frames."""
    lo, hi = MTU_RANGE
    for name, net in site.networks.items():
        if not lo <= net.mtu <= hi:
            yield ("networks", name, "mtu"), f"MTU {net.mtu} is outside {lo}-{hi}"


@rule
def vlan_range(site: SiteModel) -> Iterator[Problem]:
    """VLAN ids are 1-4094."""
    for name, net in site.networks.items():
        if net.vlan is not None and not 1 <= net.vlan <= 4094:
            yield ("networks", name, "vlan"), f"VLAN id {net.vlan} is outside 1-4094"


@rule
def networks_disjoint(site: SiteModel) -> Iterator[Problem]:
    """Site networks do not overlap each other."""
    nets = site.networks.items()
    for i, (name, net) in enumerate(nets):
        for other, onet in nets[:i]:
            if _overlap(net.cidr, onet.cidr):
                yield ("networks", name, "cidr"), f"{net.cidr} overlaps networks.{other} ({onet.cidr})"


def _overlap(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)


# --- OpenStack --------------------------------------------------------------------------------------------


def _vips(site: SiteModel) -> list[tuple[tuple[str | int, ...], IPAddress]]:
    out: list[tuple[tuple[str | int, ...], IPAddress]] = []
    if site.openstack.enabled:
        out += [
            (("openstack", k), v)
            for k in ("internal_vip", "external_vip")
            if (v := getattr(site.openstack, k))
        ]
    if site.kubernetes.enabled and site.kubernetes.api_vip is not None:
        out.append((("kubernetes", "api_vip"), site.kubernetes.api_vip))
    return out


@rule
def vips_in_network(site: SiteModel) -> Iterator[Problem]:
    """VIPs lie in their network: external_vip in external (if defined), all others in management."""
    for path, vip in _vips(site):
        name = "external" if path[-1] == "external_vip" and site.networks.external else "management"
        net = getattr(site.networks, name)
        if msg := _outside(vip, net, f"networks.{name}"):
            yield path, msg


@rule
def vips_not_host_addresses(site: SiteModel) -> Iterator[Problem]:
    """A VIP is never a host's own address (unless the load balancer is off, see load_balancer_consistent)."""
    by_addr = {h.address: h.name for h in site.hosts}
    for path, vip in _vips(site):
        if path[-1] == "internal_vip" and not site.openstack.load_balancer:
            continue
        if vip in by_addr:
            yield path, f"{vip} is the address of host '{by_addr[vip]}'; a VIP must be a free address"


@rule
def vips_distinct(site: SiteModel) -> Iterator[Problem]:
    """The Kubernetes API VIP differs from the OpenStack VIPs."""
    vips = _vips(site)
    for i, (path, vip) in enumerate(vips):
        for other, ovip in vips[:i]:
            if vip == ovip and not (path[0] == other[0] == "openstack"):
                yield path, f"{vip} is already used by {'.'.join(map(str, other))}"


def _count_rule(site: SiteModel, role: str, what: str) -> Iterator[Problem]:
    n = len(site.hosts_with(role))
    if n == 0:
        yield ("hosts",), f"{what} needs at least one host with role '{role}'"
    elif n != 1 and n % 2 == 0:
        yield ("hosts",), f"{n} hosts have role '{role}'; use 1 or an odd number >= 3 to keep quorum"


@rule
def control_quorum(site: SiteModel) -> Iterator[Problem]:
    """OpenStack needs 1 or an odd number >= 3 of control hosts (Galera and RabbitMQ quorum)."""
    if site.openstack.enabled:
        yield from _count_rule(site, "control", "OpenStack")


def _service_path(site: SiteModel, name: str) -> tuple[str | int, ...]:
    """Return where an enabled service comes from: the custom list, a switch or the profile."""
    os_ = site.openstack
    if os_.enable.get(name):
        return ("openstack", "enable", name)
    if os_.service_profile == "custom":
        return ("openstack", "services")
    return ("openstack", "profile")


@rule
def compute_for_nova(site: SiteModel) -> Iterator[Problem]:
    """Nova needs at least one compute host, unless only the control plane is deployed."""
    os_ = site.openstack
    if (
        os_.enabled
        and "nova" in os_.enabled_services
        and not os_.control_plane_only
        and not site.hosts_with("compute")
    ):
        yield (
            _service_path(site, "nova"),
            "nova is enabled but no host has role 'compute' (a lab without compute sets "
            "openstack.control_plane_only: true)",
        )


@rule
def network_for_neutron(site: SiteModel) -> Iterator[Problem]:
    """Neutron's agents (DHCP, L3, metadata, OVS) need a network host, unless control_plane_only."""
    os_ = site.openstack
    if (
        os_.enabled
        and "neutron" in os_.enabled_services
        and not os_.control_plane_only
        and not site.hosts_with("network")
    ):
        yield (
            _service_path(site, "neutron"),
            "neutron is enabled but no host has role 'network' (it runs the network agents; a lab without "
            "them sets openstack.control_plane_only: true)",
        )


@rule
def profile_matches_services(site: SiteModel) -> Iterator[Problem]:
    """``services`` belongs to the custom profile (core and scs bring their own); some service is enabled."""
    os_ = site.openstack
    if not os_.enabled:
        return
    if os_.profile in PROFILES and os_.services is not None:
        yield (
            ("openstack", "services"),
            f"profile '{os_.profile}' brings its own services; list services only with profile custom "
            "(switch single services on or off with openstack.enable)",
        )
    elif os_.profile == "custom" and os_.services is None:
        yield ("openstack", "profile"), "profile 'custom' needs openstack.services (the services to deploy)"
    elif not os_.enabled_services:
        yield ("openstack", "services"), "no OpenStack service is enabled (at least keystone)"


@rule
def services_known(site: SiteModel) -> Iterator[Problem]:
    """Listed and switched services are known, listed once, and the services they require are enabled too."""
    os_ = site.openstack
    if not os_.enabled:
        return
    enabled = set(os_.enabled_services)
    switched_off = {name for name, on in os_.enable.items() if not on}
    # (path, service, how to fix a missing dependency) for every service that is enabled
    origins: list[tuple[tuple[str | int, ...], str, str]] = []
    if os_.service_profile == "custom":
        seen: set[str] = set()
        for i, name in enumerate(os_.services or []):
            if name not in SERVICES:
                yield (
                    ("openstack", "services", i),
                    f"unknown service '{name}'{did_you_mean(name, list(SERVICES))}",
                )
            elif name in seen:
                yield ("openstack", "services", i), f"service '{name}' is listed twice"
            elif name in enabled:
                origins.append((("openstack", "services", i), name, "add it to the list"))
            seen.add(name)
    else:
        origins += [
            (("openstack", "profile"), n, "") for n in PROFILES.get(os_.service_profile, ()) if n in enabled
        ]
    for name, on in os_.enable.items():
        if name not in SERVICES:
            yield (
                ("openstack", "enable", name),
                f"unknown service '{name}'{did_you_mean(name, list(SERVICES))}",
            )
        elif on and not any(origin[1] == name for origin in origins):
            origins.append((("openstack", "enable", name), name, "switch it on too"))
    needed_by: dict[str, list[str]] = {}
    for path, name, fix in origins:
        missing = [d for d in SERVICES[name].requires if d not in enabled]
        absent = [d for d in missing if d not in switched_off]
        if absent:
            yield path, f"{name} requires {', '.join(absent)}; {fix or 'switch it on too'}"
        for dep in missing:
            if dep in switched_off:
                needed_by.setdefault(dep, []).append(name)
    for dep, users in needed_by.items():
        names = ", ".join(users)
        verb = ("is", "requires") if len(users) == 1 else ("are", "require")
        yield (
            ("openstack", "enable", dep),
            f"{dep} cannot be switched off while {names} {verb[0]} enabled ({names} {verb[1]} it)",
        )


@rule
def release_supported(site: SiteModel) -> Iterator[Problem]:
    """The OpenStack release is one lokictl pins."""
    if site.openstack.enabled and site.openstack.release not in SUPPORTED_RELEASES:
        yield (
            ("openstack", "release"),
            f"unsupported release '{site.openstack.release}' (supported: {', '.join(SUPPORTED_RELEASES)})",
        )


@rule
def keepalived_router_id(site: SiteModel) -> Iterator[Problem]:
    """The VRRP router id is 1-255."""
    rid = site.openstack.keepalived_router_id
    if site.openstack.enabled and not 1 <= rid <= 255:
        yield ("openstack", "keepalived_router_id"), f"router id {rid} is outside 1-255"


@rule
def image_source(site: SiteModel) -> Iterator[Problem]:
    """OpenStack needs a registry or a local image build; a registry is host[:port][/path]."""
    os_ = site.openstack
    if not os_.enabled:
        return
    if not os_.registry and not os_.build_images:
        yield ("openstack", "registry"), "no image source: set a registry or build_images: true"
    if os_.registry and not _REGISTRY.match(os_.registry):
        yield ("openstack", "registry"), f"'{os_.registry}' is not a registry address (host[:port][/path])"


@rule
def tls_needs_fqdn(site: SiteModel) -> Iterator[Problem]:
    """External TLS needs a DNS name for the certificate."""
    if site.openstack.enabled and site.openstack.tls.external and not site.openstack.external_fqdn:
        yield ("openstack", "tls", "external"), "external TLS needs openstack.external_fqdn"


@rule
def load_balancer_consistent(site: SiteModel) -> Iterator[Problem]:
    """With a load balancer a VIP is required; without one there is one control host serving its address."""
    os_ = site.openstack
    if not os_.enabled:
        return
    controls = site.hosts_with("control")
    if os_.load_balancer:
        if os_.internal_vip is None:
            yield ("openstack", "internal_vip"), "missing; required when load_balancer is true"
    elif len(controls) > 1:
        yield ("openstack", "load_balancer"), f"{len(controls)} control hosts need load_balancer: true"
    elif controls and os_.internal_vip is not None and os_.internal_vip != controls[0].address:
        yield (
            ("openstack", "internal_vip"),
            f"without a load balancer internal_vip must be empty or the control host's address "
            f"({controls[0].address})",
        )


# --- Kubernetes -------------------------------------------------------------------------------------------


@rule
def k8s_control_plane_quorum(site: SiteModel) -> Iterator[Problem]:
    """Kubernetes needs 1 or an odd number >= 3 of control-plane hosts (etcd quorum)."""
    if site.kubernetes.enabled:
        yield from _count_rule(site, "k8s_control_plane", "Kubernetes")


@rule
def k8s_api_vip_for_ha(site: SiteModel) -> Iterator[Problem]:
    """Several control-plane hosts need an API VIP."""
    k8s = site.kubernetes
    if k8s.enabled and len(site.hosts_with("k8s_control_plane")) > 1 and k8s.api_vip is None:
        yield ("kubernetes", "api_vip"), "missing; required with more than one k8s_control_plane host"


@rule
def k8s_version_supported(site: SiteModel) -> Iterator[Problem]:
    """The Kubernetes version is in the version matrix."""
    k8s = site.kubernetes
    if k8s.enabled and k8s.version not in SUPPORTED_K8S_VERSIONS:
        yield (
            ("kubernetes", "version"),
            f"unsupported version '{k8s.version}' (supported: {', '.join(SUPPORTED_K8S_VERSIONS)})",
        )


@rule
def k8s_mirrors_valid(site: SiteModel) -> Iterator[Problem]:
    """The Kubernetes artifacts mirror is an http(s) URL; the registry mirror is host[:port][/path]."""
    k8s = site.kubernetes
    if not k8s.enabled:
        return
    if k8s.artifacts_mirror and not re.match(r"^https?://[^\s/]+(/\S*)?$", k8s.artifacts_mirror):
        yield (
            ("kubernetes", "artifacts_mirror"),
            f"'{k8s.artifacts_mirror}' is not an http(s) URL (e.g. http://mirror.lab.example:8080/k8s)",
        )
    if k8s.registry_mirror and not _REGISTRY.match(k8s.registry_mirror):
        yield (
            ("kubernetes", "registry_mirror"),
            f"'{k8s.registry_mirror}' is not a registry address (host[:port][/path])",
        )


@rule
def k8s_cidrs_disjoint(site: SiteModel) -> Iterator[Problem]:
    """Pod and service CIDRs overlap neither each other nor any site network."""
    k8s = site.kubernetes
    if not k8s.enabled:
        return
    if _overlap(k8s.pod_cidr, k8s.service_cidr):
        yield (
            ("kubernetes", "service_cidr"),
            f"{k8s.service_cidr} overlaps kubernetes.pod_cidr ({k8s.pod_cidr})",
        )
    for field in ("pod_cidr", "service_cidr"):
        cidr = getattr(k8s, field)
        for name, net in site.networks.items():
            if _overlap(cidr, net.cidr):
                yield ("kubernetes", field), f"{cidr} overlaps networks.{name} ({net.cidr})"


# --- Linux ------------------------------------------------------------------------------------------------


@rule
def admin_users_valid(site: SiteModel) -> Iterator[Problem]:
    """Admin users have POSIX names, are listed once and carry OpenSSH public keys."""
    seen: set[str] = set()
    for i, user in enumerate(site.linux.admin_users):
        if not _POSIX_USER.match(user.name):
            yield ("linux", "admin_users", i, "name"), f"'{user.name}' is not a valid user name"
        elif user.name in seen:
            yield ("linux", "admin_users", i, "name"), f"user '{user.name}' is listed twice"
        seen.add(user.name)
        for k, key in enumerate(user.ssh_keys):
            if not _SSH_KEY.match(key):
                yield (
                    ("linux", "admin_users", i, "ssh_keys", k),
                    "not an OpenSSH public key (expected 'ssh-ed25519 AAAA... comment')",
                )


def did_you_mean(word: str, choices: list[str]) -> str:
    """Return a " (did you mean 'x'?)" hint for a misspelt word, or an empty string."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
