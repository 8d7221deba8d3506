"""Command-line interface. Commands only parse options and call `lokictl.core`; `main` is the error boundary.

Imports of the core happen inside commands so that ``lokictl --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from lokictl import __version__

SITE_OPTION = click.option(
    "-f",
    "--file",
    "site_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default="site.yml",
    envvar="LOKI_SITE",
    show_default=True,
    show_envvar=True,
    help="Site file.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lokictl")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Lokictl: stand up a LOKI stack (Linux, OpenStack, Kubernetes, Infrastructure) from one site file."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# The names of lokictl.core.EXAMPLES (not imported here so that `lokictl --help` stays fast; tested equal).
EXAMPLE_CHOICE = click.Choice(["aio", "multinode", "scs"])


@cli.command()
@click.option(
    "--example",
    type=EXAMPLE_CHOICE,
    default="aio",
    show_default=True,
    help="Starter to copy.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.argument("path", type=click.Path(path_type=Path), default="site.yml")
def init(example: str, force: bool, path: Path) -> None:
    """Write a commented starter site file (default site.yml)."""
    from lokictl import core

    written = core.init_site(path, example=example, force=force)
    click.echo(f"wrote {written} (example '{example}'); next: lokictl validate -f {written}")


@cli.command()
@SITE_OPTION
def validate(site_file: Path) -> None:
    """Validate a site file: schema and semantic rules, every error with file:line:column."""
    from lokictl.site import load_site

    site = load_site(site_file)
    m = site.model
    click.echo(f"{site_file}: ok (site '{m.site.name}', {len(m.hosts)} hosts)")


@cli.command()
@SITE_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output directory [default: inventories/<site.name>].",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the output on disk differs.")
@click.option("--diff", "show_diff", is_flag=True, help="Show what changes (secret values are masked).")
def render(site_file: Path, out_dir: Path | None, check: bool, show_diff: bool) -> None:
    """Render the Ansible inventory, group/host vars and kolla-ansible inputs."""
    from lokictl import core

    report = core.render(site_file, out_dir, check=check, show_diff=show_diff)
    if report.diff:
        click.echo(report.diff, nl=False)
    if check:
        if report.differences:
            click.echo("\n".join(report.differences), err=True)
            click.echo(f"{report.out_dir}: out of date ({len(report.differences)} differences)", err=True)
            sys.exit(1)
        click.echo(f"{report.out_dir}: up to date ({report.files} files)")
        return
    if report.written:
        click.echo(f"rendered {report.files} files to {report.out_dir}")
        if report.new_secrets:
            click.echo(
                f"generated {len(report.new_secrets)} new secrets in {report.out_dir}/kolla/passwords.yml"
            )
    else:
        click.echo(f"{report.out_dir}: up to date ({report.files} files)")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the site file (for editors and other tools)."""
    from lokictl.docs import schema_text

    click.echo(schema_text(), nl=False)


@cli.group()
def lab() -> None:
    """Lab: the hosts of a site as systemd containers on this machine."""


@lab.group()
def image() -> None:
    """Lab host images (built from Debian packages, no registry needed)."""


@image.command("build")
@click.option("--distro", type=click.Choice(["bookworm", "trixie"]), default="bookworm", show_default=True)
@click.option(
    "-f",
    "--file",
    "site_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Site file whose site.apt_mirror to use [default: the distribution's mirror].",
)
@click.option("--force", is_flag=True, help="Rebuild the root file system even when it is cached.")
def image_build(distro: str, site_file: Path | None, force: bool) -> None:
    """Build the image lokictl/host:<distro> (cached: a rebuild only re-imports the root file system)."""
    from lokictl.lab import core as lab_core

    report = lab_core.build_image(distro, site_file, force=force, progress=click.echo)
    click.echo(f"{report.tag}: {report.action} in {report.seconds:.1f} s (cache {report.tarball})")


LAB_NAME_OPTION = click.option("--name", help="Lab name [default: the only lab there is].")


@lab.command("up")
@click.option("--example", type=EXAMPLE_CHOICE, help="Build the lab from an example.")
@click.option(
    "-f",
    "--file",
    "site_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Build the lab from a site file.",
)
@click.option("--name", help="Lab name [default: the example name, the site name, or aio].")
@click.option("--distro", type=click.Choice(["bookworm", "trixie"]), default="bookworm", show_default=True)
def lab_up(example: str | None, site_file: Path | None, name: str | None, distro: str) -> None:
    """Create (or update) a lab in labs/<name>/: one systemd container per site host, reachable over SSH."""
    from lokictl.lab import core as lab_core

    report = lab_core.up(name, example, site_file, distro=distro, progress=click.echo)
    for change in report.changes:
        click.echo(change)
    click.echo(lab_core.format_status(report.hosts))
    click.echo(
        f"lab '{report.lab}' up in {report.seconds:.1f} s; Ansible logs in as {report.user}: "
        f"ansible -i {report.directory}/inventory/hosts.yml all -m ping"
    )


@lab.command("down")
@LAB_NAME_OPTION
@click.option("--purge", is_flag=True, help="Also delete the lab directory labs/<name>/.")
def lab_down(name: str | None, purge: bool) -> None:
    """Remove the lab's containers, network and volumes (by label); keep labs/<name>/ unless --purge."""
    from lokictl.lab import core as lab_core

    report = lab_core.down(name, purge=purge)
    if not report.lab:
        click.echo("no lab found")
        return
    counts = ", ".join(f"{len(names)} {kind}s" for kind, names in report.removed.items())
    click.echo(f"lab '{report.lab}' down: removed {counts}")
    if report.purged:
        click.echo(f"deleted {report.purged}")


@lab.command("status")
@LAB_NAME_OPTION
def lab_status(name: str | None) -> None:
    """List the lab's hosts with their container state, address and systemd state."""
    from lokictl.lab import core as lab_core

    report = lab_core.status(name)
    if report.lab is None:
        click.echo("no lab found")
        return
    click.echo(f"lab '{report.lab}'")
    click.echo(lab_core.format_status(report.hosts))


LAYER_CHOICE = click.Choice(["linux", "openstack", "kubernetes", "all"])
INVENTORY_OPTION = click.option(
    "--inventory",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="LOKI_INVENTORY",
    show_envvar=True,
    help="Rendered inventory directory [default: inventories/<site.name>, as `render` writes it].",
)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t.strip() for v in values for t in v.split(",") if t.strip())


@cli.command()
@SITE_OPTION
@click.option("--layer", type=LAYER_CHOICE, default="all", show_default=True, help="Layers to deploy.")
@click.option("--limit", help="Only these hosts (an Ansible host pattern).")
@click.option("--tags", multiple=True, help="Only tasks with these tags (repeatable, comma-separated).")
@click.option("--skip-tags", multiple=True, help="Skip tasks with these tags (repeatable, comma-separated).")
@click.option("--check", is_flag=True, help="Dry run: report what would change.")
@click.option("--diff", is_flag=True, help="Show the changes made to files.")
@click.option(
    "--output",
    type=click.Choice(["auto", "rich", "plain", "json"]),
    default="auto",
    show_default=True,
    help="Progress display: live view on a terminal, one line per event, or one JSON object per line.",
)
@click.option("--resume", is_flag=True, help="Skip layers whose last run succeeded with the same inputs.")
@click.option("--render", "render_first", is_flag=True, help="Render first (else a stale render is refused).")
@INVENTORY_OPTION
def deploy(
    site_file: Path,
    layer: str,
    limit: str | None,
    tags: tuple[str, ...],
    skip_tags: tuple[str, ...],
    check: bool,
    diff: bool,
    output: str,
    resume: bool,
    render_first: bool,
    inventory: Path | None,
) -> None:
    """Deploy the site's layers (linux, openstack, kubernetes) in order; each run is recorded in runs/."""
    import json

    from lokictl import deploy as core
    from lokictl.display import make_display

    opts = core.DeployOptions(
        layer=layer,
        limit=limit,
        tags=_split(tags),
        skip_tags=_split(skip_tags),
        check=check,
        diff=diff,
        resume=resume,
        render=render_first,
        inventory=inventory,
    )
    outcomes = core.deploy(site_file, opts, make_display(output))
    if output == "json":
        layers = [{"layer": o.layer, "status": o.status, "record": str(o.record or "")} for o in outcomes]
        click.echo(json.dumps({"type": "summary", "layers": layers}, sort_keys=True))
    else:
        click.echo("deploy finished: " + "; ".join(core.summary_lines(outcomes)))


@cli.command()
@SITE_OPTION
@INVENTORY_OPTION
def status(site_file: Path, inventory: Path | None) -> None:
    """Show each layer's last deploy: outcome, when, site-file hash, failed hosts, record."""
    from lokictl import deploy as core

    click.echo(core.format_status(core.status(site_file, inventory)))


@cli.command()
@SITE_OPTION
@click.option("--layer", type=LAYER_CHOICE, default="all", show_default=True, help="Layer(s) to verify.")
@INVENTORY_OPTION
@click.option(
    "--scs", is_flag=True, help="Check the cloud against the SCS IaaS standards (table of test cases)."
)
@click.option(
    "--scs-tests",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also run the official scs-compliance-check.py of this SCS standards checkout.",
)
@click.option(
    "--standard", "standards", multiple=True, help="Only this SCS standard, e.g. scs-0103 (repeatable)."
)
@click.option("--horizon", is_flag=True, help="Log in to Horizon with headless Chromium and check the pages.")
@click.option("--horizon-url", help="Dashboard URL [default: http://<identity endpoint host>/].")
def verify(
    site_file: Path,
    layer: str,
    inventory: Path | None,
    scs: bool,
    scs_tests: Path | None,
    standards: tuple[str, ...],
    horizon: bool,
    horizon_url: str | None,
) -> None:
    """Check the deployed hosts with the layers' testinfra suites; one pass/fail table; exit 1 on failure.

    --scs and --horizon check the cloud instead (and the layers too when --layer is given).
    """
    from lokictl import verify as core

    scs = scs or scs_tests is not None
    ok = True
    source = click.get_current_context().get_parameter_source("layer")
    if not (scs or horizon) or source is not click.core.ParameterSource.DEFAULT:
        report = core.verify(site_file, layer, inventory, progress=click.echo)
        click.echo(core.format_report(report))
        ok = report.ok
    if scs:
        from lokictl.openstack.scs import verify as scs_core

        scs_report = scs_core.verify_scs(
            site_file, scs_tests=scs_tests, standards=_split(standards), progress=click.echo
        )
        click.echo(scs_core.format_report(scs_report))
        ok = ok and scs_report.ok
    if horizon:
        from lokictl.openstack import horizon as horizon_core

        horizon_report = horizon_core.verify_horizon(site_file, url=horizon_url, progress=click.echo)
        click.echo(horizon_core.format_report(horizon_report))
        ok = ok and horizon_report.ok
    if not ok:
        sys.exit(1)


@cli.group()
def images() -> None:
    """Kolla images of the OpenStack layer, built offline from Debian packages and PyPI sdists."""


@images.command("build")
@SITE_OPTION
@click.option("--push", "registry", default="", metavar="REGISTRY", help="Push to host[:port][/path].")
@click.option(
    "--upper-constraints",
    default="",
    metavar="PATH_OR_URL",
    help="The release's upper-constraints (file, or tarball holding requirements/upper-constraints.txt) "
    "[default: the upstream release tarball].",
)
@click.option(
    "--sources-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Download cache for sdists, wheels, upper-constraints [default: ~/.cache/lokictl/sources].",
)
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True, help="Parallel builds.")
@click.option("--dry-run", is_flag=True, help="Write the configuration and show the plan; build nothing.")
def images_build(
    site_file: Path,
    registry: str,
    upper_constraints: str,
    sources_dir: Path | None,
    threads: int,
    dry_run: bool,
) -> None:
    """Build the Kolla images the site's services need (tag = hash of all inputs; existing ones are kept)."""
    from lokictl.images import build as core
    from lokictl.images.report import format_report

    report = core.build_images(
        site_file,
        push=registry,
        upper_constraints=upper_constraints,
        sources_dir=sources_dir,
        threads=threads,
        dry_run=dry_run,
        progress=click.echo,
    )
    for note in report.notes:
        click.echo(f"note: {note}")
    if dry_run:
        click.echo(f"would run: {' '.join(report.command)}")
    click.echo(format_report(report))
    click.echo(f"work directory: {report.work_dir}")


@cli.group()
def openstack() -> None:
    """OpenStack layer operations through kolla-ansible, with the site's rendered configuration."""


def _openstack_operation(name: str, summary: str) -> None:
    @openstack.command(name, help=summary)
    @SITE_OPTION
    @INVENTORY_OPTION
    @click.option("--limit", help="Only these hosts (an Ansible host pattern).")
    @click.option("--tags", multiple=True, help="Only these kolla-ansible tags (repeatable, comma-separated)")
    @click.option(
        "--output",
        type=click.Choice(["auto", "rich", "plain", "json"]),
        default="auto",
        show_default=True,
        help="Progress display.",
    )
    @click.option("--yes", is_flag=True, hidden=name != "destroy", help="Confirm the destruction.")
    def command(
        site_file: Path,
        inventory: Path | None,
        limit: str | None,
        tags: tuple[str, ...],
        output: str,
        yes: bool,
    ) -> None:
        from lokictl import openstack_deploy as core
        from lokictl.display import make_display

        record = core.operate(
            site_file,
            name,
            make_display(output),
            inventory=inventory,
            limit=limit,
            tags=_split(tags),
            confirmed=yes,
        )
        click.echo(f"openstack {name}: successful ({record})")


for _name, _summary in (
    ("reconfigure", "Apply changed configuration (kolla-ansible reconfigure)."),
    ("stop", "Stop every OpenStack container (kolla-ansible stop)."),
    ("destroy", "Remove every OpenStack container, volume and host configuration (needs --yes)."),
    ("mariadb-backup", "Full backup of the MariaDB databases into the mariadb_backup volume."),
    ("mariadb-recovery", "Restart a completely stopped MariaDB cluster (kolla-ansible mariadb_recovery)."),
):
    _openstack_operation(_name, _summary)


@openstack.command("post-deploy")
@SITE_OPTION
@click.option("--cloud", "admin_cloud", help="Admin entry of clouds.yaml [default: site name, kolla-admin].")
def openstack_post_deploy(site_file: Path, admin_cloud: str | None) -> None:
    """Create the member project, user and clouds.yaml entry and upload the test image (idempotent)."""
    from lokictl.openstack import post as core

    report = core.post_deploy_site(site_file, admin_cloud=admin_cloud, progress=click.echo)
    click.echo(core.format_report(report))


@cli.group()
def k8s() -> None:
    """Kubernetes layer operations (upgrades)."""


@k8s.command("upgrade")
@SITE_OPTION
@click.option(
    "--to", "to_version", required=True, help="Target version; must equal kubernetes.version in the site."
)
@click.option(
    "--output",
    type=click.Choice(["auto", "rich", "plain", "json"]),
    default="auto",
    show_default=True,
    help="Progress display.",
)
@click.option("--plan", "plan_only", is_flag=True, help="Show the upgrade plan and run nothing.")
@INVENTORY_OPTION
def k8s_upgrade(
    site_file: Path, to_version: str, output: str, plan_only: bool, inventory: Path | None
) -> None:
    """Upgrade Kubernetes one node at a time (drain, upgrade, uncordon, health gate)."""
    if plan_only:
        from lokictl.k8s.upgrade import plan

        click.echo("\n".join(plan(site_file, to_version, inventory).lines()))
        return
    from lokictl.display import make_display
    from lokictl.k8s import run

    _, outcome = run.upgrade(site_file, to_version, make_display(output), inventory)
    record = f" ({outcome.record})" if outcome.record else ""
    click.echo(f"kubernetes upgrade to {to_version}: {outcome.status}{record}")


@cli.group()
def bundle() -> None:
    """Air-gapped bundles (run on a connected machine)."""


@bundle.command("k8s")
@click.option(
    "-f",
    "--file",
    "site_file",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="LOKI_SITE",
    help="Take version, CNI and OpenStack integration from this site file.",
)
@click.option(
    "--version", "version", help="Kubernetes version [default: the site's, else the newest in the matrix]."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Bundle directory (mirror layout; re-running resumes).",
)
@click.option(
    "--arch",
    "arches",
    multiple=True,
    type=click.Choice(["amd64", "arm64"]),
    help="Architectures [default: amd64].",
)
@click.option("--no-images", is_flag=True, help="Only list the images (images.txt); do not save them.")
@click.option(
    "--from", "source", default="", help="Download from this mirror URL instead of the upstream URLs."
)
@click.option(
    "--checksum",
    "checksums",
    multiple=True,
    metavar="NAME=SHA256",
    help="Pin a file the matrix leaves unverified (repeatable).",
)
@click.option("--skip-unverified", is_flag=True, help="Leave out files without a pinned checksum.")
def bundle_k8s(
    site_file: Path | None,
    version: str | None,
    out_dir: Path,
    arches: tuple[str, ...],
    no_images: bool,
    source: str,
    checksums: tuple[str, ...],
    skip_unverified: bool,
) -> None:
    """Download every file and image of a pinned Kubernetes version into DIR, verified by SHA-256."""
    from lokictl.k8s import bundle as core

    opts = core.options_from_cli(site_file, version, arches, no_images, source, checksums, skip_unverified)
    report = core.build(out_dir, opts, progress=click.echo)
    for note in report.notes:
        click.echo(f"note: {note}")
    skipped = ""
    if report.skipped_unverified:
        skipped = f"; skipped (no pinned checksum): {', '.join(report.skipped_unverified)}"
    saved = "saved" if report.images_saved else "listed in images.txt"
    click.echo(
        f"bundle {out_dir}: Kubernetes {opts.version}, {len(report.downloaded)} downloaded, "
        f"{len(report.reused)} already verified, {len(report.images)} images {saved}{skipped}"
    )


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI with one error boundary: `LokiError` -> one message on stderr + exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        return cli.main(args=args, prog_name="lokictl", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        return sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return sys.exit(130)
    except Exception as exc:
        from lokictl.errors import LokiError, SiteError

        if debug:
            raise
        if isinstance(exc, LokiError):
            click.echo(exc.render() if isinstance(exc, SiteError) else f"error: {exc.render()}", err=True)
            return sys.exit(exc.exit_code)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        return sys.exit(1)
