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


@cli.command()
@click.option(
    "--example", type=click.Choice(["aio", "multinode"]), default="aio", show_default=True, help="Starter to copy."
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
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), help="Output directory "
              "[default: inventories/<site.name>].")
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
            click.echo(f"generated {len(report.new_secrets)} new secrets in {report.out_dir}/kolla/passwords.yml")
    else:
        click.echo(f"{report.out_dir}: up to date ({report.files} files)")


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
