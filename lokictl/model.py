"""The site schema: one declarative file describing a LOKI site.

Structural checks live here (types, ranges, unknown keys); rules that relate several fields live in
`lokictl.rules`. Field descriptions are the source of docs/site-file.md.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyAddress, IPvAnyNetwork, StringConstraints

HOST_ROLES = (
    "control",
    "network",
    "compute",
    "storage",
    "monitoring",
    "k8s_control_plane",
    "k8s_worker",
)
NETWORK_NAMES = ("management", "external", "tunnel", "storage")

HostRole = Literal[
    "control", "network", "compute", "storage", "monitoring", "k8s_control_plane", "k8s_worker"
]
IPAddress = IPvAnyAddress
IPNetwork = IPvAnyNetwork
NonEmptyStr = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class StrictModel(BaseModel):
    """Base model: unknown keys are errors; instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteInfo(StrictModel):
    """Identity and site-wide services."""

    name: str = Field(
        description="Site name (an RFC 1123 label); names the rendered inventory directory.",
        examples=["lab1"],
    )
    domain: str = Field(description="DNS domain of the site's hosts.", examples=["lab.example"])
    timezone: str = Field(default="Etc/UTC", description="IANA time zone of every host.")
    ntp: list[NonEmptyStr] = Field(
        default_factory=list, description="NTP servers (names or addresses) for chrony on every host."
    )
    dns: list[IPAddress] = Field(default_factory=list, description="DNS resolver addresses.")
    apt_mirror: str = Field(
        default="",
        description="Debian/Ubuntu mirror URL for hosts and image builds; empty = the distribution default.",
    )


class Network(StrictModel):
    """An L3 network of the site."""

    cidr: IPNetwork = Field(description="Network address and prefix, e.g. 10.10.0.0/24.")
    gateway: IPAddress | None = Field(default=None, description="Default gateway inside the network.")
    vlan: int | None = Field(default=None, description="802.1Q VLAN id (1-4094), if tagged.")
    mtu: int = Field(default=1500, description="MTU of the network (1280-9216).")


class Networks(StrictModel):
    """The site's networks; only `management` is required."""

    management: Network = Field(description="Network Ansible, APIs and services use.")
    external: Network | None = Field(default=None, description="Provider/public network (floating IPs).")
    tunnel: Network | None = Field(default=None, description="Overlay (VXLAN/Geneve) traffic.")
    storage: Network | None = Field(default=None, description="Storage traffic.")

    def items(self) -> list[tuple[str, Network]]:
        """Return the defined networks as (name, network) pairs in a fixed order."""
        return [(n, net) for n in NETWORK_NAMES if (net := getattr(self, n)) is not None]


class TLS(StrictModel):
    """TLS on the OpenStack API endpoints."""

    internal: bool = Field(default=False, description="TLS on the internal VIP.")
    external: bool = Field(default=False, description="TLS on the external VIP (needs external_fqdn).")


class OpenStack(StrictModel):
    """The OpenStack layer (deployed with kolla-ansible)."""

    enabled: bool = Field(default=True, description="Deploy OpenStack (a missing section means disabled).")
    release: str = Field(default="2026.1", description="OpenStack release series; supported: 2026.1.")
    internal_vip: IPAddress | None = Field(
        default=None, description="Virtual IP of the internal API endpoints (on the management network)."
    )
    external_vip: IPAddress | None = Field(
        default=None, description="Virtual IP of the public endpoints (external network, else management)."
    )
    external_fqdn: str = Field(default="", description="DNS name of the public endpoints.")
    load_balancer: bool = Field(
        default=True,
        description="Run HAProxy + keepalived for the VIPs. Without it, a single control host serves the "
        "APIs "
        "on its own address (internal_vip must then be empty or that address).",
    )
    keepalived_router_id: int = Field(
        default=51, description="VRRP router id (1-255), unique per L2 segment."
    )
    services: list[str] = Field(
        default_factory=lambda: ["keystone", "glance", "placement"],
        description="OpenStack services to deploy (dependencies must be listed too).",
    )
    registry: str = Field(
        default="", description="Container registry (host[:port]) holding the Kolla images; empty = none."
    )
    build_images: bool = Field(
        default=True, description="Build the Kolla images locally with `lokictl images build`."
    )
    tls: TLS = Field(default_factory=TLS, description="TLS settings of the API endpoints.")


class Kubernetes(StrictModel):
    """The Kubernetes layer (kubeadm)."""

    enabled: bool = Field(default=True, description="Deploy Kubernetes (a missing section means disabled).")
    version: str = Field(default="1.34.2", description="Kubernetes version; must be in the version matrix.")
    cni: Literal["cilium", "calico"] = Field(
        default="cilium", description="CNI plugin (enforces NetworkPolicy)."
    )
    pod_cidr: IPNetwork = Field(
        default=ipaddress.IPv4Network("10.244.0.0/16"), description="Pod network; must not overlap others."
    )
    service_cidr: IPNetwork = Field(
        default=ipaddress.IPv4Network("10.96.0.0/12"), description="Service network; must not overlap others."
    )
    api_vip: IPAddress | None = Field(
        default=None, description="Virtual IP of the Kubernetes API (required with several control planes)."
    )


class AdminUser(StrictModel):
    """A human administrator account on every host."""

    name: str = Field(description="POSIX user name.")
    ssh_keys: list[NonEmptyStr] = Field(default_factory=list, description="Public SSH keys (OpenSSH format).")
    sudo: bool = Field(default=True, description="Grant sudo.")


class Linux(StrictModel):
    """The Linux layer: base configuration and hardening."""

    hardening: Literal["none", "baseline", "strict"] = Field(
        default="baseline", description="Hardening profile."
    )
    admin_users: list[AdminUser] = Field(default_factory=list, description="Administrator accounts.")


class Ansible(StrictModel):
    """How Ansible reaches the hosts."""

    user: str = Field(default="root", description="SSH user Ansible logs in as (becomes root with sudo).")
    private_key_file: str = Field(
        default="", description="SSH private key, relative to the site file; empty = the SSH agent/default."
    )
    port: int = Field(default=22, ge=1, le=65535, description="SSH port.")


class Host(StrictModel):
    """A machine of the site."""

    name: str = Field(description="Host name (RFC 1123 label), unique in the site.")
    address: IPAddress = Field(description="Management address, unique, inside networks.management.")
    roles: list[HostRole] = Field(min_length=1, description="Functions of the host: " + ", ".join(HOST_ROLES))
    interfaces: dict[str, str] = Field(
        default_factory=dict,
        description="Network name -> interface name on this host, e.g. management: eth0.",
    )


def _disabled_openstack() -> OpenStack:
    return OpenStack(enabled=False)


def _disabled_kubernetes() -> Kubernetes:
    return Kubernetes(enabled=False)


class SiteModel(StrictModel):
    """A LOKI site."""

    site: SiteInfo = Field(description="Identity and site-wide services.")
    networks: Networks = Field(description="Networks.")
    openstack: OpenStack = Field(default_factory=_disabled_openstack, description="OpenStack layer.")
    kubernetes: Kubernetes = Field(default_factory=_disabled_kubernetes, description="Kubernetes layer.")
    linux: Linux = Field(default_factory=Linux, description="Linux layer.")
    ansible: Ansible = Field(default_factory=Ansible, description="How Ansible connects to the hosts.")
    hosts: list[Host] = Field(min_length=1, description="The site's hosts.")

    def hosts_with(self, role: str) -> list[Host]:
        """Return the hosts carrying ``role``, in site order."""
        return [h for h in self.hosts if role in h.roles]
