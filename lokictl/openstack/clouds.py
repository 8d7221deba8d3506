"""Cloud access of a deployed site: its ``clouds.yaml``, the secrets lokictl generates, API connections.

The deploy writes ``clouds.yaml`` (the admin entry) next to the site file; the post-deploy adds the
``<site>-member`` entry beside it. Secrets lokictl generates after the render (the member user's password)
live in ``<site dir>/.lokictl/openstack/<site name>/secrets.yml`` (directory 0700, file 0600), so they are
stable across reruns and re-renders. Nothing here prints a secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from lokictl.errors import RuntimeFailure
from lokictl.fsutil import write_bytes_atomic
from lokictl.site import Site

if TYPE_CHECKING:
    from openstack.connection import Connection

CLOUDS_FILE = "clouds.yaml"
SECRETS_FILE = "secrets.yml"
PASSWORD_BYTES = 30
"""Random bytes of a generated password (40 URL-safe characters)."""

#: Admin entry names tried in order when the site's own name is not in clouds.yaml (kolla-ansible's own
#: post-deploy writes ``kolla-admin``).
ADMIN_FALLBACKS = ("kolla-admin",)
_MEMBER_SUFFIX = "-member"


def clouds_file(site: Site) -> Path:
    """Return the site's ``clouds.yaml`` (next to the site file)."""
    return site.directory / CLOUDS_FILE


def state_dir(site: Site) -> Path:
    """Return the directory of the OpenStack layer's own state: ``<site dir>/.lokictl/openstack/<name>``."""
    return site.directory / ".lokictl" / "openstack" / site.model.site.name


def member_cloud_name(site_name: str) -> str:
    """Return the clouds.yaml entry of the member user: ``<site>-member``."""
    return f"{site_name}{_MEMBER_SUFFIX}"


def read_clouds(path: Path) -> dict[str, Any]:
    """Return a clouds.yaml document (``{"clouds": {...}}``).

    Raises:
        RuntimeFailure: the file is missing or is not a clouds.yaml mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuntimeFailure(
            f"{path}: no clouds.yaml (the openstack deploy writes it); run lokictl deploy --layer openstack"
        ) from None
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        raise RuntimeFailure(f"{path}: not valid YAML") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("clouds"), dict):
        raise RuntimeFailure(f"{path}: not a clouds.yaml file (no 'clouds' mapping)")
    return doc


def admin_cloud_name(doc: Mapping[str, Any], site_name: str) -> str:
    """Return the admin entry of a clouds.yaml: the site's name, else ``kolla-admin``, else the only one.

    Raises:
        RuntimeFailure: no entry qualifies, or several do and none has a known name.
    """
    clouds = doc.get("clouds") or {}
    for name in (site_name, *ADMIN_FALLBACKS):
        if name in clouds:
            return name
    others = [n for n in clouds if not str(n).endswith(_MEMBER_SUFFIX)]
    if len(others) == 1:
        return str(others[0])
    found = ", ".join(sorted(map(str, clouds))) or "none"
    raise RuntimeFailure(
        f"clouds.yaml has no admin entry named '{site_name}' (entries: {found}); rerun the openstack deploy"
    )


def member_entry(
    admin: Mapping[str, Any], username: str, password: str, project: str, domain: str = "Default"
) -> dict[str, Any]:
    """Return the clouds.yaml entry of a project user, with the admin entry's endpoint and TLS settings."""
    auth = admin.get("auth") or {}
    entry: dict[str, Any] = {
        "auth": {
            "auth_url": auth.get("auth_url", ""),
            "username": username,
            "password": password,
            "project_name": project,
            "user_domain_name": domain,
            "project_domain_name": domain,
        }
    }
    for key in ("region_name", "interface", "identity_api_version", "cacert", "verify", "auth_type"):
        if key in admin:
            entry[key] = admin[key]
    return entry


def with_cloud(doc: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a clouds.yaml document with ``name`` set to ``entry`` (other entries untouched)."""
    clouds = dict(doc.get("clouds") or {})
    clouds[name] = dict(entry)
    return {**doc, "clouds": clouds}


def write_private(path: Path, content: bytes) -> bool:
    """Write a file readable only by its owner, atomically; return False when it already held ``content``.

    Raises:
        RuntimeFailure: the file cannot be written (the previous one is intact).
    """
    try:
        if path.read_bytes() == content and path.stat().st_mode & 0o777 == 0o600:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, content, 0o600)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {path}: {exc.strerror or exc}") from None
    return True


def write_clouds(path: Path, doc: Mapping[str, Any]) -> bool:
    """Write a clouds.yaml document (0600, atomic); return False when the file was already so."""
    body = yaml.safe_dump(dict(doc), default_flow_style=False, sort_keys=True)
    return write_private(path, body.encode())


class SecretStore:
    """Generated secrets of one site, kept in a 0600 YAML mapping inside a 0700 directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, yaml.YAMLError):
            # The message must not quote the file: it holds secrets.
            raise RuntimeFailure(f"{self.path}: unreadable or not valid YAML; fix or move it") from None
        if data is None:
            return {}
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise RuntimeFailure(f"{self.path}: not a mapping of names to strings; fix or move it")
        return {str(k): v for k, v in data.items()}

    def get(self, key: str) -> tuple[str, bool]:
        """Return the secret ``key`` and whether it was generated now (then it is stored before returning).

        Raises:
            RuntimeFailure: the store cannot be read or written.
        """
        data = self._load()
        if data.get(key):
            return data[key], False
        data[key] = secrets.token_urlsafe(PASSWORD_BYTES)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.parent.chmod(0o700)
        except OSError as exc:
            raise RuntimeFailure(f"cannot create {self.path.parent}: {exc.strerror or exc}") from None
        header = b"# generated by lokictl: secrets of the OpenStack post-deploy; keep private\n"
        write_private(self.path, header + yaml.safe_dump(data, sort_keys=True).encode())
        return data[key], True


def secret_store(site: Site) -> SecretStore:
    """Return the site's store of generated OpenStack secrets."""
    return SecretStore(state_dir(site) / SECRETS_FILE)


API_TIMEOUT = 60
"""Seconds an API request may take (without one, a filtered port stalls each request for minutes)."""


def connect(entry: Mapping[str, Any]) -> Connection:
    """Return an openstacksdk connection for one clouds.yaml entry (no environment or other files read).

    Requests time out after `API_TIMEOUT` seconds unless the entry sets ``api_timeout``.

    Raises:
        RuntimeFailure: the entry is not usable.
    """
    import openstack
    from openstack import exceptions

    try:
        config = {"api_timeout": API_TIMEOUT, **dict(entry)}
        return openstack.connect(load_yaml_config=False, load_envvars=False, **config)
    except exceptions.SDKException as exc:
        raise RuntimeFailure(f"cannot use the cloud entry: {exc}") from None


def cloud_entry(path: Path, name: str) -> dict[str, Any]:
    """Return one entry of a clouds.yaml.

    Raises:
        RuntimeFailure: the file or the entry is missing.
    """
    clouds = read_clouds(path)["clouds"]
    if name not in clouds:
        raise RuntimeFailure(f"{path}: no entry '{name}' (entries: {', '.join(sorted(map(str, clouds)))})")
    return dict(clouds[name])
