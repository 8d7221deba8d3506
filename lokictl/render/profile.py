"""kolla-ansible settings that follow from the enabled services and ``openstack.control_plane_only``.

Pure data for the render (globals, inventory groups, kolla custom config files) and for the deploy (extra
``--skip-tags`` per kolla-ansible action). Control-plane-only is kolla-ansible configured through its own
variables and inventory groups, never a changed copy of its content:

- nova: ``nova_console: none``, ``enable_nova_ssh: no``; the ``compute`` group stays empty;
- neutron: ``enable_openvswitch: no`` (ML2 keeps its openvswitch driver; tenant networks live in the
  database); the ``network`` group stays empty, and HAProxy/keepalived (the ``loadbalancer`` group, upstream a
  child of ``network``) move to the control hosts;
- cinder: ``skip_cinder_backend_check: yes``; the ``cinder-volume`` and ``cinder-backup`` groups stay empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from lokictl.model import SiteModel

#: Host groups of kolla's inventory that get no hosts in control-plane-only mode.
CONTROL_PLANE_ONLY_EMPTY_HOST_GROUPS = ("compute", "network")

#: kolla inventory ``:children`` sections replaced in control-plane-only mode (``section -> children``).
CONTROL_PLANE_ONLY_CHILDREN: Mapping[str, tuple[str, ...]] = {
    "cinder-volume:children": (),
    "cinder-backup:children": (),
    "loadbalancer:children": ("control",),
}

#: Globals per service in control-plane-only mode.
CONTROL_PLANE_ONLY_GLOBALS: Mapping[str, Mapping[str, str]] = {
    "nova": {"nova_console": "none", "enable_nova_ssh": "no"},
    "neutron": {"enable_openvswitch": "no"},
    "cinder": {"skip_cinder_backend_check": "yes"},
}

#: Extra kolla-ansible ``--skip-tags`` per action when nova runs without compute hosts. Prechecks: the
#: nova-cell role insists on a compute node. Deploy/upgrade/reconfigure: its libvirt version checks delegate
#: to the first compute host, which ansible-core 2.19 cannot template for an empty group.
NO_COMPUTE_SKIP_TAGS: Mapping[str, tuple[str, ...]] = {
    "precheck": ("nova-cell",),
    "deploy": ("nova-libvirt-version-check", "nova-libvirt-script-check"),
    "reconfigure": ("nova-libvirt-version-check", "nova-libvirt-script-check"),
    "upgrade": ("nova-libvirt-version-check", "nova-libvirt-script-check"),
}

#: Barbican: members may use secrets only with the new default policies (scs-0116 checks it).
BARBICAN_CONF = "[oslo_policy]\nenforce_new_defaults = True\n"

#: Directory of kolla-ansible's custom config files (``node_custom_config``), relative to the kolla config
#: directory (``CONFIG_DIR``, where globals.yml lives): kolla-ansible merges ``<service>.conf`` found there
#: into the service's configuration.
CUSTOM_CONFIG_DIR = "config"


def control_plane_only(model: SiteModel) -> bool:
    """Return True when the site deploys only the control plane of its services."""
    return model.openstack.enabled and model.openstack.control_plane_only


def extra_globals(model: SiteModel) -> dict[str, str]:
    """Return the kolla globals that control-plane-only mode adds for the enabled services."""
    if not control_plane_only(model):
        return {}
    out: dict[str, str] = {}
    for service in model.openstack.enabled_services:
        out.update(CONTROL_PLANE_ONLY_GLOBALS.get(service, {}))
    return out


def host_groups(model: SiteModel, roles: list[str]) -> list[str]:
    """Return the kolla host groups a host with ``roles`` joins (some stay empty in control-plane-only)."""
    skip = CONTROL_PLANE_ONLY_EMPTY_HOST_GROUPS if control_plane_only(model) else ()
    return [role for role in roles if role not in skip]


def children_overrides(model: SiteModel) -> dict[str, tuple[str, ...]]:
    """Return the kolla ``:children`` sections to replace (``section -> children``); empty for full sites."""
    return dict(CONTROL_PLANE_ONLY_CHILDREN) if control_plane_only(model) else {}


def custom_config(model: SiteModel, header: str) -> dict[str, str]:
    """Return kolla custom config files, ``path relative to the kolla config dir -> text``."""
    out: dict[str, str] = {}
    if model.openstack.enabled and "barbican" in model.openstack.enabled_services:
        out[f"{CUSTOM_CONFIG_DIR}/barbican.conf"] = f"# {header}\n{BARBICAN_CONF}"
    return out


def kolla_skip_tags(model: SiteModel, action: str) -> tuple[str, ...]:
    """Return the extra ``--skip-tags`` a kolla-ansible action needs for this site (often none).

    Args:
        model: the site.
        action: kolla-ansible's command or ``kolla_action``: ``precheck`` (or ``prechecks``), ``deploy``,
            ``reconfigure``, ``upgrade``, ...
    """
    if not control_plane_only(model) or "nova" not in model.openstack.enabled_services:
        return ()
    key = "precheck" if action in ("precheck", "prechecks") else action
    return NO_COMPUTE_SKIP_TAGS.get(key, ())
