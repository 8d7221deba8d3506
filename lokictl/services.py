"""OpenStack services lokictl knows: dependencies and the kolla-ansible switches they map to.

Adding a service is adding a row here (and, when it needs images, to the image build list).
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_RELEASES = ("2026.1",)


@dataclass(frozen=True)
class Service:
    """An OpenStack service as the site file names it.

    Attributes:
        name: the name used in ``openstack.services``.
        requires: services that must be enabled too.
        kolla_flags: kolla-ansible ``enable_*`` variables set to yes for it.
        messaging: needs RabbitMQ.
        images: Kolla images kolla-ansible deploys for it (what `lokictl images build` builds; their
            parents are built too). Empty = lokictl cannot build its images yet.
        sources: ``(kolla source section, PyPI project)`` pairs: the service's code comes from the
            project's sdist (version pinned in `SDIST_VERSIONS`) instead of an upstream tarball.
        agent_images: Kolla images deployed only with the service's data plane (compute hosts and their
            console proxy, network agents and Open vSwitch, volume backends); a site with
            ``openstack.control_plane_only`` deploys and builds only ``images``.
    """

    name: str
    requires: tuple[str, ...] = ("keystone",)
    kolla_flags: tuple[str, ...] = ()
    messaging: bool = False
    images: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    agent_images: tuple[str, ...] = ()

    @property
    def flags(self) -> tuple[str, ...]:
        """Return the kolla-ansible enable flags (default ``enable_<name>``)."""
        return self.kolla_flags or (f"enable_{self.name}",)


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            "keystone",
            requires=(),
            images=("keystone", "keystone-ssh", "keystone-fernet"),
            sources=(("keystone-base", "keystone"),),
        ),
        Service("glance", images=("glance-api",), sources=(("glance-base", "glance"),)),
        Service("placement", images=("placement-api",), sources=(("placement-base", "openstack-placement"),)),
        Service(
            "nova",
            requires=("keystone", "glance", "placement", "neutron"),
            messaging=True,
            images=("nova-api", "nova-scheduler", "nova-conductor"),
            sources=(("nova-base", "nova"),),
            agent_images=("nova-compute", "nova-libvirt", "nova-ssh", "nova-novncproxy"),
        ),
        Service(
            "neutron",
            messaging=True,
            images=("neutron-server",),
            sources=(("neutron-base", "neutron"),),
            agent_images=(
                "neutron-openvswitch-agent",
                "neutron-dhcp-agent",
                "neutron-l3-agent",
                "neutron-metadata-agent",
                "openvswitch-db-server",
                "openvswitch-vswitchd",
            ),
        ),
        Service(
            "cinder",
            messaging=True,
            images=("cinder-api", "cinder-scheduler"),
            sources=(("cinder-base", "cinder"),),
            agent_images=("cinder-volume", "cinder-backup"),
        ),
        Service(
            "barbican",
            messaging=True,
            images=("barbican-api", "barbican-keystone-listener", "barbican-worker"),
            sources=(("barbican-base", "barbican"),),
        ),
        Service("horizon", images=("horizon",), sources=(("horizon", "horizon"),)),
        Service("heat", messaging=True),
        Service("octavia", requires=("keystone", "neutron", "nova", "glance"), messaging=True),
        Service("designate", requires=("keystone", "neutron"), messaging=True),
        Service("manila", requires=("keystone", "neutron"), messaging=True),
        Service("magnum", requires=("keystone", "heat", "nova"), messaging=True),
        Service("skyline"),
    )
}

#: Kolla images of infrastructure services, keyed by the kolla-ansible switch (in the rendered globals) that
#: deploys them.
INFRA_IMAGES: dict[str, tuple[str, ...]] = {
    "enable_mariadb": ("mariadb-server",),
    "enable_memcached": ("memcached",),
    "enable_rabbitmq": ("rabbitmq",),
    "enable_haproxy": ("haproxy",),
    "enable_keepalived": ("keepalived",),
    "enable_proxysql": ("proxysql",),
    "enable_fluentd": ("fluentd",),
}

#: Service sets of ``openstack.profile`` (``custom`` takes ``openstack.services``). ``scs`` is what the
#: Sovereign Cloud Stack IaaS standards check: core + compute, network, block storage, key manager and
#: dashboard (RabbitMQ follows from the services that use it).
PROFILES: dict[str, tuple[str, ...]] = {
    "core": ("keystone", "glance", "placement"),
    "scs": ("keystone", "glance", "placement", "nova", "neutron", "cinder", "barbican", "horizon"),
}

#: Kolla images kolla-ansible's common role runs on every host.
COMMON_IMAGES: tuple[str, ...] = ("cron", "kolla-toolbox")

#: Service sdists per release: PyPI project -> version. Images are tagged by a hash that includes this table,
#: so a version bump rebuilds the images.
SDIST_VERSIONS: dict[str, dict[str, str]] = {
    "2026.1": {
        "keystone": "29.1.0",
        "glance": "32.0.0",
        "openstack-placement": "15.0.0",
        "nova": "33.0.2",
        "neutron": "28.0.2",
        "cinder": "28.0.0",
        "barbican": "22.0.0",
        "horizon": "25.7.3",
    },
}

#: The PyPI `ansible` package whose collections go into the kolla-toolbox image, per release (its
#: ansible-core must match the one kolla-toolbox installs: 2.20 for 2026.1).
TOOLBOX_ANSIBLE: dict[str, str] = {"2026.1": "13.8.0"}
