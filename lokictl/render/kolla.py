"""kolla-ansible inputs: inventory groups and passwords, derived from the installed (pinned) kolla-ansible."""

from __future__ import annotations

import base64
import importlib.metadata
import re
import secrets
import string
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lokictl.errors import RuntimeFailure

#: libyaml's parser when available (same data as yaml.safe_load, several times faster).
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The inventory groups that hold hosts directly; every other group is a ``:children`` group.
HOST_GROUPS = ("control", "network", "compute", "monitoring", "storage", "deployment")

# Password kinds, following kolla-ansible's own generator (kolla_ansible/cmd/genpwd.py at the pinned version;
# tests/unit/test_kolla.py compares these lists with the installed file).
UUID_KEYS = frozenset(
    {
        "rbd_secret_uuid",
        "cinder_rbd_secret_uuid",
        "gnocchi_project_id",
        "gnocchi_resource_id",
        "gnocchi_user_id",
        "designate_pool_id",
    }
)
SSH_KEYS = frozenset(
    {
        "kolla_ssh_key",
        "nova_ssh_key",
        "keystone_ssh_key",
        "bifrost_ssh_key",
        "octavia_amp_ssh_key",
        "neutron_ssh_key",
        "haproxy_ssh_key",
    }
)
BLANK_KEYS = frozenset({"docker_registry_password"})
HMAC_MD5_KEYS = frozenset({"designate_rndc_key", "osprofiler_secret"})
FERNET_KEYS = frozenset({"barbican_crypto_key"})
BCRYPT_KEYS = frozenset({"prometheus_bcrypt_salt"})
PASSWORD_LENGTH = 40
_ALNUM = string.ascii_letters + string.digits
_SALT = "./" + _ALNUM  # the alphabet of Ansible's random_salt (bcrypt salts)


def kolla_ansible_file(relative: str) -> Path:
    """Return a data file installed with kolla-ansible, e.g. ``ansible/inventory/multinode``.

    Raises:
        RuntimeFailure: kolla-ansible is not installed or lacks the file.
    """
    try:
        dist = importlib.metadata.distribution("kolla-ansible")
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeFailure(
            "kolla-ansible is not installed (pip install 'kolla-ansible>=22.2,<23')"
        ) from None
    suffix = f"share/kolla-ansible/{relative}"
    for f in dist.files or ():
        if str(f).endswith(suffix):
            return Path(str(dist.locate_file(f)))
    raise RuntimeFailure(f"kolla-ansible {dist.version} does not ship {suffix}")


def kolla_ansible_version() -> str:
    """Return the installed kolla-ansible version."""
    return importlib.metadata.version("kolla-ansible")


@cache
def upstream_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Parse kolla-ansible's multinode inventory into ``(section, children)`` pairs in upstream order.

    Host sections (``HOST_GROUPS``) are returned with no entries; their hosts come from the site.
    """
    sections: list[tuple[str, list[str]]] = []
    text = kolla_ansible_file("ansible/inventory/multinode").read_text(encoding="utf-8")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([^\]]+)\]", line)
        if m:
            sections.append((m.group(1), []))
        elif sections and sections[-1][0].endswith(":children"):
            sections[-1][1].append(line.split()[0])
    return tuple((name, tuple(children)) for name, children in sections)


@cache
def password_keys() -> tuple[str, ...]:
    """Return the keys of kolla-ansible's passwords.yml template."""
    text = kolla_ansible_file("etc_examples/kolla/passwords.yml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_Loader)
    if not isinstance(data, dict):
        raise RuntimeFailure("kolla-ansible's passwords.yml template is not a mapping")
    return tuple(str(k) for k in data)


@cache
def _role_defaults(role: str) -> dict[str, Any]:
    """Return the defaults of one of kolla-ansible's roles (``ansible/roles/<role>/defaults/main.yml``)."""
    path = kolla_ansible_file(f"ansible/roles/{role}/defaults/main.yml")
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    if not isinstance(data, dict):
        raise RuntimeFailure(f"{path}: not a mapping")
    return data


def lab_globals() -> dict[str, Any]:
    """Return the kolla-ansible settings a lab host (a systemd container without CAP_SYS_RESOURCE) needs.

    Only sites with a ``lab:`` section get these; real hosts keep kolla-ansible's defaults. Each is one of
    kolla-ansible's own variables: kolla-toolbox's service definition (taken from the installed role's
    defaults) with ``privileged: false``, no default container ulimits (kolla asks for a nofile limit above
    the lab's hard limit), and no NTP/OS prechecks (the host's clock and OS belong to the machine running it).

    Raises:
        RuntimeFailure: the installed kolla-ansible has no kolla-toolbox service definition.
    """
    services = _role_defaults("kolla_toolbox").get("kolla_toolbox_services")
    if not isinstance(services, dict) or not services:
        raise RuntimeFailure("kolla-ansible's kolla_toolbox role defines no kolla_toolbox_services")
    unprivileged = {
        name: {**spec, "privileged": False} if isinstance(spec, dict) else spec
        for name, spec in services.items()
    }
    return {
        "kolla_toolbox_services": unprivileged,
        "default_container_dimensions_docker": {},
        "prechecks_enable_host_ntp_checks": False,
        "prechecks_enable_host_os_checks": False,
    }


def lab_nova_globals() -> dict[str, Any]:
    """Return nova's service definitions with nova-api unprivileged: a lab host lacks CAP_SYS_RESOURCE.

    Only for labs deploying nova; the rest of the definitions is the installed role's own.

    Raises:
        RuntimeFailure: the installed kolla-ansible has no nova-api service definition.
    """
    services = _role_defaults("nova").get("nova_services")
    if not isinstance(services, dict) or not isinstance(services.get("nova-api"), dict):
        raise RuntimeFailure("kolla-ansible's nova role defines no nova-api service")
    return {"nova_services": {**services, "nova-api": {**services["nova-api"], "privileged": False}}}


def _ssh_keypair() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return {"private_key": private, "public_key": public.decode()}


def new_secret(key: str) -> Any:
    """Generate the value kolla-ansible's generator would produce for ``key`` (from `secrets`)."""
    if key in SSH_KEYS:
        return _ssh_keypair()
    if key in BLANK_KEYS:
        return None
    if key in UUID_KEYS:
        return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
    if key in HMAC_MD5_KEYS:
        return secrets.token_hex(16)
    if key in FERNET_KEYS:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    if key in BCRYPT_KEYS:
        return "".join(secrets.choice(_SALT) for _ in range(22))
    return "".join(secrets.choice(_ALNUM) for _ in range(PASSWORD_LENGTH))


def _missing(key: str, value: Any) -> bool:
    if key in SSH_KEYS:
        return not isinstance(value, dict) or (
            value.get("private_key") is None and value.get("public_key") is None
        )
    return value is None and key not in BLANK_KEYS


PASSWORDS_HEADER = (
    "# Generated by lokictl from kolla-ansible's passwords template; keep it secret.\n"
    "# Values are generated once and kept across renders; new keys are added when needed.\n"
)


def _safe_load(data: bytes) -> Any:
    """Parse YAML like `yaml.safe_load`, with libyaml's parser when available.

    On an error PyYAML's own parser parses again, so that messages stay those of `yaml.safe_load`.
    """
    try:
        return yaml.load(data, Loader=_Loader)
    except yaml.YAMLError:
        return yaml.safe_load(data)


def placeholder_secret(key: str) -> Any:
    """Return a stand-in for a secret that a dry run (``render --check``) would generate."""
    if key in BLANK_KEYS:
        return None
    if key in SSH_KEYS:
        return {"private_key": "<generated on render>", "public_key": "<generated on render>"}
    return "<generated on render>"


def merge_passwords(
    existing: bytes | None, generate: Callable[[str], Any] = new_secret
) -> tuple[bytes, list[str]]:
    """Return passwords.yml content keeping every existing value, and the keys that were added.

    When nothing is added the existing bytes are returned unchanged. ``generate`` makes the value of a missing
    key (`placeholder_secret` for dry runs: 4096-bit SSH keys take seconds to generate).

    Raises:
        RuntimeFailure: the existing file is not a YAML mapping (it is never overwritten then).
    """
    current: dict[str, Any] = {}
    if existing is not None:
        try:
            loaded = _safe_load(existing)
        except yaml.YAMLError as exc:
            # str(exc) quotes the offending line, which holds a secret: report only where and what.
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "unreadable"
            raise RuntimeFailure(
                f"existing kolla/passwords.yml is not valid YAML{where} ({problem}); fix or move it"
            ) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise RuntimeFailure("existing kolla/passwords.yml is not a mapping; fix or move it")
        current = dict(loaded or {})
    added = [k for k in password_keys() if _missing(k, current.get(k))]
    if existing is not None and not added:
        return existing, []
    for key in added:
        current[key] = generate(key)
    for key in password_keys():
        current.setdefault(key, None)
    body = yaml.safe_dump(current, default_flow_style=False, sort_keys=True)
    return (PASSWORDS_HEADER + "---\n" + body).encode(), added


def inventory_sections(host_lines: Mapping[str, list[str]]) -> list[tuple[str, list[str]]]:
    """Return kolla inventory sections: site hosts in the host groups, upstream children everywhere else."""
    out: list[tuple[str, list[str]]] = []
    for name, children in upstream_groups():
        if name == "deployment":
            out.append((name, ["localhost ansible_connection=local"]))
        elif name in HOST_GROUPS:
            out.append((name, list(host_lines.get(name, []))))
        else:
            out.append((name, list(children)))
    return out
