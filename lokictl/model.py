"""The site schema: one declarative file describing a LOKI site.

Structural checks live here (types, ranges, unknown keys); rules that relate several fields live in
`lokictl.rules`. Field descriptions are the source of docs/site-file.md.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyAddress,
    IPvAnyNetwork,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from lokictl.services import PROFILES, SERVICES

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


def _ip_as_text(value: Any) -> Any:
    """Reject YAML numbers and booleans where an address is expected (pydantic reads `yes` as 0.0.0.1)."""
    if isinstance(value, bool | int | float):
        raise PydanticCustomError("ip_text", "IP addresses and networks must be written as text")
    return value


IPAddress = Annotated[IPvAnyAddress, BeforeValidator(_ip_as_text)]
IPNetwork = Annotated[IPvAnyNetwork, BeforeValidator(_ip_as_text)]
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
    domain: str = Field(
        description="DNS domain of the hosts; a host's FQDN is <name>.<domain>.", examples=["lab.example"]
    )
    timezone: str = Field(default="Etc/UTC", description="IANA time zone of every host.")
    ntp: list[NonEmptyStr] = Field(
        default_factory=list, description="NTP servers (names or addresses) for chrony on every host."
    )
    dns: list[IPAddress] = Field(default_factory=list, description="DNS resolver addresses for every host.")
    apt_mirror: str = Field(
        default="",
        description="Debian/Ubuntu mirror URL for hosts and image builds; empty = the distribution default.",
    )


class Network(StrictModel):
    """An L3 network of the site."""

    cidr: IPNetwork = Field(description="Network address and prefix, e.g. 10.10.0.0/24.")
    gateway: IPAddress | None = Field(
        default=None, description="Default gateway: a usable address inside cidr; unset = none."
    )
    vlan: int | None = Field(
        default=None, description="802.1Q VLAN id (1-4094) when the network is tagged; unset = untagged."
    )
    mtu: int = Field(default=1500, description="MTU in bytes (1280-9216).")


class Networks(StrictModel):
    """The site's networks; only `management` is required."""

    management: Network = Field(
        description="Network Ansible, the APIs and the cluster services use; every host address lies in it."
    )
    external: Network | None = Field(
        default=None, description="Provider/public network: floating IPs and openstack.external_vip."
    )
    tunnel: Network | None = Field(
        default=None, description="Overlay network for tenant traffic (VXLAN/Geneve)."
    )
    storage: Network | None = Field(default=None, description="Network for storage traffic.")

    def items(self) -> list[tuple[str, Network]]:
        """Return the defined networks as (name, network) pairs in a fixed order."""
        return [(n, net) for n in NETWORK_NAMES if (net := getattr(self, n)) is not None]


class TLS(StrictModel):
    """TLS on the OpenStack API endpoints."""

    internal: bool = Field(default=False, description="TLS on the internal VIP.")
    external: bool = Field(default=False, description="TLS on the external VIP (needs external_fqdn).")


class OpenStack(StrictModel):
    """The OpenStack layer (deployed with kolla-ansible)."""

    enabled: bool = Field(
        default=True,
        description="Deploy OpenStack. Writing the section enables it; leaving the section out disables it.",
    )
    release: str = Field(
        default="2026.1", description="OpenStack release series; must be one lokictl supports (quote it)."
    )
    internal_vip: IPAddress | None = Field(
        default=None,
        description="Virtual IP of the internal API endpoints: a free address on the management network; "
        "required when load_balancer is true.",
    )
    external_vip: IPAddress | None = Field(
        default=None,
        description="Virtual IP of the public endpoints: on networks.external if defined, else on "
        "management; unset = the internal VIP serves them too.",
    )
    external_fqdn: str = Field(
        default="", description="DNS name of the public endpoints (needed for external TLS)."
    )
    load_balancer: bool = Field(
        default=True,
        description="Run HAProxy + keepalived for the VIPs. Without it, a single control host serves the "
        "APIs on its own address (internal_vip must then be unset or that address).",
    )
    keepalived_router_id: int = Field(
        default=51, description="VRRP router id (1-255), unique per L2 segment."
    )
    profile: Literal["core", "scs", "custom"] | None = Field(
        default=None,
        description="Service set to deploy: core = keystone, glance, placement; scs = core + nova, neutron, "
        "cinder, barbican, horizon (and RabbitMQ), what the Sovereign Cloud Stack IaaS standards need; "
        "custom = exactly the services listed in services. Unset = custom when services is written, "
        "else core.",
    )
    services: list[str] | None = Field(
        default=None,
        description="The services of the custom profile; the services each one requires must be listed "
        "too. Only with profile custom (or profile unset).",
    )
    enable: dict[str, bool] = Field(
        default_factory=dict,
        description="Per-service switches on top of the profile: `<service>: false` leaves a service of the "
        "profile out (horizon: false), `<service>: true` adds one (heat: true).",
    )
    control_plane_only: bool = Field(
        default=False,
        description="Deploy only the API and control services of nova, neutron and cinder: no compute "
        "hosts, no network agents, no volume backend. For labs on machines without KVM and Open vSwitch; "
        "real sites leave it false and get the full services.",
    )
    mariadb_backup: bool = Field(
        default=False,
        description="Make kolla-ansible's MariaDB backups available: renders its enable_mariabackup, so "
        "the next OpenStack deploy sets up a backup user and configuration on the first database host and "
        "`lokictl openstack mariadb-backup` takes full backups into its mariadb_backup volume. Backups run "
        "in the mariadb-server image: no extra image.",
    )
    registry: str = Field(
        default="",
        description="Container registry (host[:port][/path]) holding the Kolla images; "
        "empty = use locally built images (build_images).",
    )
    build_images: bool = Field(
        default=True, description="Build the Kolla images locally; required when registry is empty."
    )
    tls: TLS = Field(default_factory=TLS, description="TLS settings of the API endpoints.")

    @property
    def service_profile(self) -> str:
        """Return the profile in effect: ``profile``, else custom when ``services`` is written, else core."""
        if self.profile is not None:
            return self.profile
        return "custom" if self.services is not None else "core"

    @property
    def enabled_services(self) -> tuple[str, ...]:
        """Return the services to deploy: the profile's (custom: ``services``) switched by ``enable``.

        Order: the profile's or list's order, then services switched on, in `lokictl.services.SERVICES`
        order. Names the rules reject (unknown or listed twice) are passed through once.
        """
        profile = self.service_profile
        listed = (self.services or []) if profile == "custom" else PROFILES.get(profile, ())
        out: list[str] = []
        for name in listed:
            if name not in out and self.enable.get(name, True):
                out.append(name)
        out += [name for name in SERVICES if self.enable.get(name) and name not in out]
        return tuple(out)


class Kubernetes(StrictModel):
    """The Kubernetes layer (kubeadm)."""

    enabled: bool = Field(
        default=True,
        description="Deploy Kubernetes. Writing the section enables it; leaving the section out disables it.",
    )
    version: str = Field(
        default="1.34.2", description="Kubernetes version; must be one lokictl supports (quote it)."
    )
    cni: Literal["cilium", "calico"] = Field(
        default="cilium", description="CNI plugin (enforces NetworkPolicy)."
    )
    pod_cidr: IPNetwork = Field(
        default=ipaddress.IPv4Network("10.244.0.0/16"),
        description="Pod network; must not overlap service_cidr or any site network.",
    )
    service_cidr: IPNetwork = Field(
        default=ipaddress.IPv4Network("10.96.0.0/12"),
        description="Service network; must not overlap pod_cidr or any site network.",
    )
    api_vip: IPAddress | None = Field(
        default=None,
        description="Virtual IP of the Kubernetes API on the management network; required with more than "
        "one k8s_control_plane host.",
    )
    artifacts_mirror: str = Field(
        default="",
        description="Base URL (http/https) serving the Kubernetes files in the layout of "
        "`lokictl bundle k8s`; empty = the upstream URLs of the version matrix.",
    )
    registry_mirror: str = Field(
        default="",
        description="Registry (host[:port][/path]) that mirrors every image the cluster pulls; empty = the "
        "upstream registries.",
    )


class AdminUser(StrictModel):
    """A human administrator account on every host."""

    name: str = Field(description="POSIX user name, e.g. ops.")
    ssh_keys: list[NonEmptyStr] = Field(
        default_factory=list, description="Public SSH keys in OpenSSH format (ssh-ed25519 AAAA... comment)."
    )
    sudo: bool = Field(default=True, description="Grant the user sudo rights.")


class Linux(StrictModel):
    """The Linux layer: base configuration and hardening."""

    hardening: Literal["none", "baseline", "strict"] = Field(
        default="baseline", description="Hardening profile the Linux layer applies to every host."
    )
    admin_users: list[AdminUser] = Field(
        default_factory=list, description="Administrator accounts created on every host."
    )


class Ansible(StrictModel):
    """How Ansible reaches the hosts."""

    user: str = Field(
        default="root", description="SSH user Ansible logs in as; any user but root becomes root with sudo."
    )
    private_key_file: str = Field(
        default="",
        description="SSH private key file, relative to the site file's directory; empty = the SSH agent or "
        "ssh's default keys.",
    )
    port: int = Field(default=22, ge=1, le=65535, description="SSH port.")
    known_hosts_file: str = Field(
        default="",
        description="SSH known_hosts file, relative to the site file's directory; empty = the SSH default. "
        "When set, hosts are checked strictly against it (unknown or changed host keys are refused).",
    )


class Host(StrictModel):
    """A machine of the site."""

    name: str = Field(description="Host name (RFC 1123 label), unique in the site.")
    address: IPAddress = Field(
        description="Management address: unique, a usable address of networks.management, not its gateway."
    )
    roles: list[HostRole] = Field(
        min_length=1, description="What the host does: " + ", ".join(HOST_ROLES) + "; each role once."
    )
    interfaces: dict[str, str] = Field(
        default_factory=dict,
        description="Network name -> interface name on this host, e.g. management: eth0; only networks "
        "the site defines.",
    )


class Lab(StrictModel):
    """Marks a site file as a lab's: written by `lokictl lab up`; never set for real hosts."""

    name: str = Field(
        description="Name of the lab (labs/<name>/) whose systemd container hosts run this site. Turns on "
        "the lab-only kolla-ansible settings (unprivileged kolla-toolbox, no container ulimits, no host "
        "NTP/OS prechecks), image loading with `docker load` and the inventory in inventory/ beside the site "
        "file.",
        examples=["aio"],
    )


def _disabled_openstack() -> OpenStack:
    return OpenStack(enabled=False)


def _disabled_kubernetes() -> Kubernetes:
    return Kubernetes(enabled=False)


class SiteModel(StrictModel):
    """A LOKI site."""

    site: SiteInfo = Field(
        description="Identity of the site and services every host uses (NTP, DNS, mirror)."
    )
    networks: Networks = Field(description="The site's L3 networks; only management is required.")
    openstack: OpenStack = Field(
        default_factory=_disabled_openstack, description="OpenStack layer, deployed with kolla-ansible."
    )
    kubernetes: Kubernetes = Field(
        default_factory=_disabled_kubernetes, description="Kubernetes layer, deployed with kubeadm."
    )
    linux: Linux = Field(
        default_factory=Linux, description="Linux layer: base configuration and hardening of every host."
    )
    ansible: Ansible = Field(default_factory=Ansible, description="How Ansible connects to the hosts.")
    hosts: list[Host] = Field(min_length=1, description="The site's machines.")
    lab: Lab | None = Field(
        default=None,
        description="Written by `lokictl lab up` into a lab's site file; never set for real hosts.",
    )

    def hosts_with(self, role: str) -> list[Host]:
        """Return the hosts carrying ``role``, in site order."""
        return [h for h in self.hosts if role in h.roles]
