"""Post-deploy basics of the OpenStack layer: apply the baseline items to a deployed cloud, idempotently.

`post_deploy` connects with the admin entry of the site's ``clouds.yaml`` and makes every item of the
baseline (`lokictl.openstack.baseline`) exist: a non-admin project and user with the ``member`` role and a
``<site>-member`` clouds.yaml entry, a small locally built test image with full image metadata, and whatever
further items (flavors, volume types) a caller appends. A second run changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lokictl.errors import RuntimeFailure
from lokictl.openstack import baseline, clouds, plans, testimage
from lokictl.openstack.baseline import FlavorItem, ImageItem, Item, ProjectItem, UserItem, VolumeTypeItem
from lokictl.site import Site

if TYPE_CHECKING:
    from openstack.connection import Connection

Progress = Callable[[str], None]
CHANGED = ("created", "updated", "replaced")
IMAGE_FIELDS = ("name", "visibility", "min_disk", "min_ram", "disk_format", "container_format")


def _quiet(_line: str) -> None:
    """Discard a progress line."""


@dataclass(frozen=True)
class Outcome:
    """What the post-deploy did with one item: created, updated, replaced, unchanged or skipped."""

    item: str
    action: str
    detail: str = ""


@dataclass
class PostDeployReport:
    """The outcome of each item, the clouds.yaml written to and the run's duration in seconds."""

    outcomes: list[Outcome] = field(default_factory=list)
    clouds_file: Path | None = None
    member_clouds: list[str] = field(default_factory=list)
    duration: float = 0.0

    @property
    def changed(self) -> int:
        """Return how many items were created, updated or replaced."""
        return sum(o.action in CHANGED for o in self.outcomes)


@dataclass
class _Context:
    conn: Connection
    site: Site
    clouds_file: Path
    admin_entry: dict[str, Any]
    values: dict[str, str]
    catalog: set[str]
    secrets: clouds.SecretStore
    report: PostDeployReport
    progress: Progress
    projects: dict[str, Any] = field(default_factory=dict)


def catalog_types(conn: Connection) -> set[str]:
    """Return the service types in the token's catalog (``identity``, ``image``, ``placement`` ...)."""
    auth: Any = conn.session.auth
    access = auth.get_access(conn.session)
    return {str(entry.get("type")) for entry in (access.service_catalog.catalog or [])}


def _sdk_error(item: str, exc: Exception) -> RuntimeFailure:
    text = " ".join(str(exc).split())[:300]
    return RuntimeFailure(f"post-deploy {item}: {type(exc).__name__}: {text}")


def _domain_id(ctx: _Context, name: str) -> str:
    ident: Any = ctx.conn.identity
    domain = ident.find_domain(name, ignore_missing=True)
    if domain is None:
        raise RuntimeFailure(f"post-deploy: identity domain '{name}' not found")
    return str(domain.id)


def ensure_project(ctx: _Context, item: ProjectItem) -> Outcome:
    """Create or update a project."""
    ident: Any = ctx.conn.identity
    domain_id = _domain_id(ctx, item.domain)
    desired = {"description": baseline.fill(item.description, ctx.values), "is_enabled": True}
    project = ident.find_project(item.name, domain_id=domain_id, ignore_missing=True)
    if project is None:
        ctx.projects[item.name] = ident.create_project(name=item.name, domain_id=domain_id, **desired)
        return Outcome(item.label, "created")
    ctx.projects[item.name] = project
    patch = plans.changes({"description": project.description, "is_enabled": project.is_enabled}, desired)
    if patch:
        ctx.projects[item.name] = ident.update_project(project, **patch)
        return Outcome(item.label, "updated", ", ".join(sorted(patch)))
    return Outcome(item.label, "unchanged")


def _member_auth_ok(entry: dict[str, Any]) -> bool:
    """Return whether the entry gets a token (False on 401; other failures raise)."""
    from keystoneauth1.exceptions import http

    conn = clouds.connect(entry)
    try:
        conn.session.get_token()
    except http.Unauthorized:
        return False
    finally:
        conn.close()
    return True


def ensure_user(ctx: _Context, item: UserItem) -> Outcome:
    """Create or update a user, its roles on its project, its clouds.yaml entry; check it can log in."""
    ident: Any = ctx.conn.identity
    domain_id = _domain_id(ctx, item.domain)
    project = ctx.projects.get(item.project) or ident.find_project(
        item.project, domain_id=domain_id, ignore_missing=False
    )
    password, generated = ctx.secrets.get(f"user_{item.name}_password")
    desired = {
        "description": baseline.fill(item.description, ctx.values),
        "default_project_id": project.id,
        "is_enabled": True,
    }
    done: list[str] = []
    user = ident.find_user(item.name, domain_id=domain_id, ignore_missing=True)
    if user is None:
        user = ident.create_user(name=item.name, domain_id=domain_id, password=password, **desired)
        action = "created"
    else:
        action = "unchanged"
        current = {k: getattr(user, k, None) for k in desired}
        patch = plans.changes(current, desired)
        if generated:
            patch["password"] = password
        if patch:
            user = ident.update_user(user, **patch)
            done.append(", ".join(sorted(patch)))
    for name in item.roles:
        role = ident.find_role(name, ignore_missing=True)
        if role is None:
            raise RuntimeFailure(f"post-deploy {item.label}: role '{name}' not found")
        if not ident.validate_user_has_project_role(project, user, role):
            ident.assign_project_role_to_user(project, user, role)
            done.append(f"role {name}")
    entry = clouds.member_entry(ctx.admin_entry, item.name, password, item.project, item.domain)
    if item.cloud:
        name = baseline.fill(item.cloud, ctx.values)
        doc = clouds.with_cloud(clouds.read_clouds(ctx.clouds_file), name, entry)
        if clouds.write_clouds(ctx.clouds_file, doc):
            done.append(f"clouds.yaml entry {name}")
        ctx.report.member_clouds.append(name)
    if not _member_auth_ok(entry):
        # The stored password was lost or changed elsewhere: make the cloud match the store.
        ident.update_user(user, password=password)
        done.append("password reset")
        if not _member_auth_ok(entry):
            raise RuntimeFailure(f"post-deploy {item.label}: the user cannot log in (401 after a reset)")
    if action == "unchanged" and done:
        action = "updated"
    return Outcome(item.label, action, "; ".join(done))


def _image_state(image: Any, keys: Sequence[str]) -> plans.ImageState:
    props = dict(image.properties or {})
    values: dict[str, Any] = {}
    for key in keys:
        value = props.get(key, getattr(image, key, None))
        if value is not None:
            values[key] = value if isinstance(value, int | bool) else str(value)
    return plans.ImageState(
        id=str(image.id),
        name=str(image.name),
        status=str(image.status),
        hash_algo=str(image.hash_algo or ("md5" if image.checksum else "")),
        hash_value=str(image.hash_value or image.checksum or ""),
        fields=values,
        tags=tuple(image.tags or ()),
    )


def ensure_image(ctx: _Context, item: ImageItem) -> Outcome:
    """Build the image locally, then upload it, patch its metadata, or leave it (checksum compare)."""
    cache = clouds.state_dir(ctx.site) / "images"
    if item.build == "stand-in":
        built = testimage.build_stand_in(
            cache, item.key, baseline.fill(item.stands_for or item.name, ctx.values)
        )
    else:
        built = testimage.build(cache)
    values = {**ctx.values, **built.facts}
    properties = {k: baseline.fill(v, values) for k, v in item.properties.items()}
    properties["image_build_date"] = built.build_date
    properties[plans.KEY_PROPERTY] = item.key
    desired: dict[str, Any] = {
        "name": baseline.fill(item.name, values),
        "visibility": item.visibility,
        "min_disk": item.min_disk,
        "min_ram": item.min_ram,
        "disk_format": item.disk_format,
        "container_format": item.container_format,
        **properties,
    }
    images: Any = ctx.conn.image
    mine = [i for i in images.images() if (i.properties or {}).get(plans.KEY_PROPERTY) == item.key]
    digests: dict[str, str] = {}

    def digest(algorithm: str) -> str:
        if algorithm not in digests:
            digests[algorithm] = testimage.file_digest(built.path, algorithm)
        return digests[algorithm]

    plan = plans.image_plan([_image_state(i, list(desired)) for i in mine], digest, desired, item.tags)
    if plan.action in ("create", "replace"):
        ctx.progress(f"post-deploy: uploading image {desired['name']} ({built.path.stat().st_size} bytes)")
        meta = {k: v for k, v in desired.items() if k not in IMAGE_FIELDS}
        image = images.create_image(
            name=desired["name"], filename=str(built.path), disk_format=item.disk_format,
            container_format=item.container_format, visibility=item.visibility, min_disk=item.min_disk,
            min_ram=item.min_ram, tags=list(item.tags), meta=meta, allow_duplicates=True,
            disable_vendor_agent=False, validate_checksum=True, wait=True, timeout=600,
        )  # fmt: skip
        up = images.get_image(image.id)
        if up.status != plans.ACTIVE or (up.hash_value and up.hash_value != digest(up.hash_algo or "sha512")):
            raise RuntimeFailure(f"post-deploy {item.label}: upload ended {up.status} or with a bad checksum")
        for old in plan.delete:
            images.delete_image(old, ignore_missing=True)
        detail = f"{image.id}, sha256 {digest('sha256')[:12]}"
        return Outcome(item.label, "replaced" if plan.action == "replace" else "created", detail)
    assert plan.keep is not None
    if plan.patch:
        images.update_image(plan.keep, **plan.patch)
    for tag in plan.add_tags:
        images.add_tag(plan.keep, tag)
    for old in plan.delete:
        images.delete_image(old, ignore_missing=True)
    what = [*sorted(plan.patch), *(f"tag {t}" for t in plan.add_tags), *(f"deleted {d}" for d in plan.delete)]
    return Outcome(item.label, "updated" if plan.action == "update" else "unchanged", ", ".join(what))


def ensure_flavor(ctx: _Context, item: FlavorItem) -> Outcome:
    """Create a flavor, replace it when its sizes differ, or set its missing extra specs."""
    compute: Any = ctx.conn.compute
    desired = {"vcpus": item.vcpus, "ram": item.ram, "disk": item.disk, "is_public": item.public}
    flavor = compute.find_flavor(item.name, ignore_missing=True)
    current = None if flavor is None else {k: getattr(flavor, k, None) for k in desired}
    specs = {} if flavor is None else dict(compute.fetch_flavor_extra_specs(flavor).extra_specs or {})
    plan = plans.flavor_plan(current, specs, desired, item.extra_specs)
    if plan.action in ("create", "replace"):
        if flavor is not None:
            compute.delete_flavor(flavor)
        flavor = compute.create_flavor(name=item.name, **desired)
        if plan.specs:
            compute.create_flavor_extra_specs(flavor, plan.specs)
        return Outcome(item.label, "created" if plan.action == "create" else "replaced")
    for key, value in plan.specs.items():
        compute.update_flavor_extra_specs_property(flavor, key, value)
    return Outcome(item.label, "updated" if plan.specs else "unchanged", ", ".join(sorted(plan.specs)))


def ensure_volume_type(ctx: _Context, item: VolumeTypeItem) -> Outcome:
    """Create a volume type or update its description and extra specs."""
    storage: Any = ctx.conn.block_storage
    description = baseline.fill(item.description, ctx.values)
    vtype = storage.find_type(item.name, ignore_missing=True)
    if vtype is None:
        vtype = storage.create_type(
            name=item.name, description=description, is_public=item.public, extra_specs=item.extra_specs
        )
        _ensure_encryption(storage, vtype, item)
        return Outcome(item.label, "created")
    done = _ensure_encryption(storage, vtype, item)
    if (vtype.description or "") != description:
        storage.update_type(vtype, description=description)
        done.append("description")
    specs = plans.changes(dict(vtype.extra_specs or {}), item.extra_specs)
    if specs:
        storage.update_type_extra_specs(vtype, **specs)
        done.extend(sorted(specs))
    return Outcome(item.label, "updated" if done else "unchanged", ", ".join(done))


def _ensure_encryption(storage: Any, vtype: Any, item: VolumeTypeItem) -> list[str]:
    """Give a volume type the item's encryption; return what changed."""
    if item.encryption is None:
        return []
    desired = item.encryption.model_dump()
    current = storage.get_type_encryption(vtype)
    if not getattr(current, "encryption_id", None):
        storage.create_type_encryption(vtype, **desired)
    elif plans.changes({k: getattr(current, k, None) for k in desired}, desired):
        storage.update_type_encryption(encryption=current, volume_type=vtype, **desired)
    else:
        return []
    return ["encryption"]


HANDLERS: dict[str, Callable[[_Context, Any], Outcome]] = {
    "project": ensure_project,
    "user": ensure_user,
    "image": ensure_image,
    "flavor": ensure_flavor,
    "volume_type": ensure_volume_type,
}
"""Item kind -> the function that makes one item of that kind exist."""


def post_deploy(
    site: Site,
    clouds_file: Path | None = None,
    *,
    admin_cloud: str | None = None,
    items: Sequence[Item] | None = None,
    progress: Progress = _quiet,
) -> PostDeployReport:
    """Apply the post-deploy baseline to the site's cloud; safe to rerun (a rerun reports no changes).

    Args:
        site: the loaded site.
        clouds_file: the clouds.yaml holding the admin entry (default: ``clouds.yaml`` next to the site).
        admin_cloud: its admin entry (default: the site's name, else ``kolla-admin``, else the only one).
        items: the items to apply (default: the bundled baseline).
        progress: called with one line per item.

    Raises:
        RuntimeFailure: clouds.yaml is missing or unusable, the cloud cannot be reached, or an item fails.
    """
    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    api_errors = (SDKException, ClientException)
    started = time.monotonic()
    path = clouds_file or clouds.clouds_file(site)
    doc = clouds.read_clouds(path)
    name = admin_cloud or clouds.admin_cloud_name(doc, site.model.site.name)
    admin_entry = clouds.cloud_entry(path, name)
    conn = clouds.connect(admin_entry)
    report = PostDeployReport(clouds_file=path)
    try:
        catalog = catalog_types(conn)
    except api_errors as exc:
        raise _sdk_error(f"login as {name}", exc) from None
    ctx = _Context(
        conn=conn,
        site=site,
        clouds_file=path,
        admin_entry=admin_entry,
        values={"site": site.model.site.name},
        catalog=catalog,
        secrets=clouds.secret_store(site),
        report=report,
        progress=progress,
    )
    try:
        for item in default_items(site) if items is None else items:
            service = item.needs()
            if service not in catalog:
                outcome = Outcome(item.label, "skipped", f"no {service} service in the catalog")
            else:
                try:
                    outcome = HANDLERS[item.kind](ctx, item)
                except api_errors as exc:
                    raise _sdk_error(item.label, exc) from None
            report.outcomes.append(outcome)
            progress(format_outcome(outcome))
    finally:
        conn.close()
    report.duration = time.monotonic() - started
    return report


def default_items(site: Site) -> list[Item]:
    """Return the bundled baseline, followed by the SCS baseline when the site's profile is ``scs``."""
    from lokictl.openstack.scs.baseline import scs_items

    items = baseline.bundled_items()
    if site.model.openstack.service_profile == "scs":
        items += scs_items(site)
    return items


def format_outcome(outcome: Outcome) -> str:
    """Return one report line: ``<kind> <name>: <action> (<detail>)``."""
    return f"{outcome.item}: {outcome.action}" + (f" ({outcome.detail})" if outcome.detail else "")


def format_report(report: PostDeployReport) -> str:
    """Return a summary: changed count, the member clouds.yaml entries and where they are."""
    total = len(report.outcomes)
    lines = [f"post-deploy: {report.changed} changed, {total} items in {report.duration:.1f} s"]
    for name in report.member_clouds:
        lines.append(f"member credentials: cloud '{name}' in {report.clouds_file} (OS_CLOUD={name})")
    return "\n".join(lines)


def post_deploy_site(
    site_path: Path, *, admin_cloud: str | None = None, progress: Progress = _quiet
) -> PostDeployReport:
    """Load a site file and run `post_deploy` with its clouds.yaml (``lokictl openstack post-deploy``).

    Raises:
        SiteError: the site file is invalid.
        InputError: the site does not deploy OpenStack.
        RuntimeFailure: see `post_deploy`.
    """
    import logging

    from lokictl.errors import InputError
    from lokictl.site import load_site

    # keystoneauth logs version-discovery warnings to stderr by default; failures are reported as errors.
    logging.getLogger("keystoneauth").addHandler(logging.NullHandler())
    site = load_site(site_path)
    if not site.model.openstack.enabled:
        raise InputError(f"{site_path}: openstack.enabled is false; nothing to post-deploy")
    return post_deploy(site, admin_cloud=admin_cloud, progress=progress)
