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
    """

    name: str
    requires: tuple[str, ...] = ("keystone",)
    kolla_flags: tuple[str, ...] = ()
    messaging: bool = False

    @property
    def flags(self) -> tuple[str, ...]:
        """Return the kolla-ansible enable flags (default ``enable_<name>``)."""
        return self.kolla_flags or (f"enable_{self.name}",)


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service("keystone", requires=()),
        Service("glance"),
        Service("placement"),
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
