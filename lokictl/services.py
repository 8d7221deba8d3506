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
    """

    name: str
    requires: tuple[str, ...] = ("keystone",)
    kolla_flags: tuple[str, ...] = ()
    messaging: bool = False
    images: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()

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
        Service("nova", requires=("keystone", "glance", "placement", "neutron"), messaging=True),
        Service("neutron", messaging=True),
        Service("cinder", messaging=True),
        Service("barbican", messaging=True),
        Service("horizon"),
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
