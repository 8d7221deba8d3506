"""The CLI contract: commands, options, exit codes (0 ok, 1 runtime, 2 input), stderr, --debug tracebacks.

Most tests run `lokictl.cli.main` in-process (the real error boundary, via click's CliRunner isolation); a few
run ``python -m lokictl`` as a subprocess to see exactly what a user sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import EXAMPLES, SITES, run_cli, tree

from lokictl.errors import RuntimeFailure, SiteError


def copy_site(case: str, target: Path) -> Path:
    shutil.copy(SITES / case / "site.yml", target)
    return target


# --- general ----------------------------------------------------------------------------------------------


def test_help_and_version() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    for command in ("init", "validate", "render"):
        assert f"  {command} " in result.stdout
    result = run_cli(["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("lokictl, version ")


def test_usage_errors_exit_2_without_traceback() -> None:
    result = run_cli(["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr
    result = run_cli(["render", "--bogus"])
    assert result.exit_code == 2 and "No such option '--bogus'" in result.stderr
    assert "Traceback" not in result.stderr


def test_internal_error_is_one_line_without_debug(monkeypatch: pytest.MonkeyPatch, in_tmp: Path) -> None:
    from lokictl import core

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(core, "render", boom)
    result = run_cli(["render"])
    assert result.exit_code == 1
    assert result.stderr == "internal error: ValueError: boom (run with --debug for details)\n"
    with pytest.raises(ValueError, match="boom"):
        run_cli(["--debug", "render"])


def test_runtime_failure_exits_1(monkeypatch: pytest.MonkeyPatch, in_tmp: Path) -> None:
    from lokictl import core

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeFailure("disk on fire")

    monkeypatch.setattr(core, "render", fail)
    result = run_cli(["render"])
    assert (result.exit_code, result.stderr) == (1, "error: disk on fire\n")


def test_keyboard_interrupt(monkeypatch: pytest.MonkeyPatch, in_tmp: Path) -> None:
    from lokictl import core

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "render", interrupt)
    result = run_cli(["render"])
    assert result.exit_code == 130
    assert "Traceback" not in result.stderr


# --- init -------------------------------------------------------------------------------------------------


def test_init_default_then_refuse_then_force(in_tmp: Path) -> None:
    result = run_cli(["init"])
    assert result.exit_code == 0
    assert result.stdout == "wrote site.yml (example 'aio'); next: lokictl validate -f site.yml\n"
    assert (in_tmp / "site.yml").read_bytes() == (EXAMPLES / "aio.yml").read_bytes()
    (in_tmp / "site.yml").write_text("# mine\n")
    result = run_cli(["init"])
    assert result.exit_code == 2
    assert result.stderr == "error: site.yml: already exists; use --force to overwrite it\n"
    assert (in_tmp / "site.yml").read_text() == "# mine\n"
    result = run_cli(["init", "--force", "--example", "multinode"])
    assert result.exit_code == 0
    assert (in_tmp / "site.yml").read_bytes() == (EXAMPLES / "multinode.yml").read_bytes()


def test_init_path_and_unknown_example(in_tmp: Path) -> None:
    result = run_cli(["init", "--example", "multinode", "sites/prod.yml"])
    assert result.exit_code == 0
    assert yaml.safe_load((in_tmp / "sites" / "prod.yml").read_text())["site"]["name"] == "multinode"
    result = run_cli(["init", "--example", "galaxy", "x.yml"])
    assert result.exit_code == 2
    assert "Invalid value for '--example': 'galaxy' is not one of 'aio', 'multinode', 'scs'." in result.stderr
    assert not (in_tmp / "x.yml").exists()


# --- validate ---------------------------------------------------------------------------------------------


def test_validate_default_file(in_tmp: Path) -> None:
    result = run_cli(["validate"])
    assert (result.exit_code, result.stderr) == (2, "site.yml:0:0: file not found\n")
    run_cli(["init"])
    result = run_cli(["validate"])
    assert (result.exit_code, result.stdout) == (0, "site.yml: ok (site 'aio', 1 hosts)\n")


def test_validate_file_option_and_env(in_tmp: Path) -> None:
    copy_site("valid_k8s_ha", in_tmp / "ha.yml")
    copy_site("invalid_timezone", in_tmp / "bad.yml")
    assert run_cli(["validate", "-f", "ha.yml"]).stdout == "ha.yml: ok (site 'lab1', 3 hosts)\n"
    assert run_cli(["validate", "--file", "ha.yml"]).exit_code == 0
    result = run_cli(["validate"], env={"LOKI_SITE": "bad.yml"})
    assert result.exit_code == 2
    assert result.stderr == (
        "bad.yml:5:13: site.timezone: unknown time zone 'Mars/Olympus' (e.g. Etc/UTC, Europe/Berlin)\n"
    )
    result = run_cli(["validate", "-f", "ha.yml"], env={"LOKI_SITE": "bad.yml"})
    assert result.exit_code == 0, "an explicit -f wins over LOKI_SITE"


def test_validate_several_errors_and_count(in_tmp: Path) -> None:
    copy_site("invalid_three_errors", in_tmp / "site.yml")
    result = run_cli(["validate"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and lines[-1] == "3 errors in site.yml"
    assert all(line.startswith("site.yml:") for line in lines[:3])


def test_validate_debug_raises_the_error(in_tmp: Path) -> None:
    copy_site("invalid_timezone", in_tmp / "site.yml")
    with pytest.raises(SiteError):
        run_cli(["--debug", "validate"])


def test_validate_directory_is_a_usage_error(in_tmp: Path) -> None:
    (in_tmp / "d").mkdir()
    result = run_cli(["validate", "-f", "d"])
    assert result.exit_code == 2 and "is a directory" in result.stderr


# --- render -----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_keys")
class TestRender:
    def test_default_directory_under_cwd(self, in_tmp: Path) -> None:
        run_cli(["init", "--example", "multinode"])
        result = run_cli(["render"])
        assert result.exit_code == 0, result.stderr
        out = in_tmp / "inventories" / "multinode"
        lines = result.stdout.splitlines()
        assert lines[0] == f"rendered {len(tree(out)) - 1} files to inventories/multinode"
        assert lines[1].startswith("generated ") and lines[1].endswith(
            " new secrets in inventories/multinode/kolla/passwords.yml"
        )
        assert (out / "hosts.yml").is_file() and (out / "kolla" / "passwords.yml").is_file()
        again = run_cli(["render"])
        assert again.exit_code == 0
        assert again.stdout == f"inventories/multinode: up to date ({len(tree(out)) - 1} files)\n"

    def test_out_option(self, in_tmp: Path) -> None:
        run_cli(["init"])
        result = run_cli(["render", "--out", "build/inv"])
        assert result.exit_code == 0
        assert (in_tmp / "build" / "inv" / "hosts.yml").is_file()
        assert not (in_tmp / "inventories").exists()

    def test_check_exit_codes(self, in_tmp: Path) -> None:
        run_cli(["init"])
        result = run_cli(["render", "--check"])
        assert result.exit_code == 1
        assert "added:   hosts.yml" in result.stderr
        assert "inventories/aio: out of date (" in result.stderr
        assert not (in_tmp / "inventories").exists(), "--check writes nothing"
        assert run_cli(["render"]).exit_code == 0
        result = run_cli(["render", "--check"])
        assert (result.exit_code, result.stderr) == (0, "")
        assert result.stdout.startswith("inventories/aio: up to date (")
        site = in_tmp / "site.yml"
        site.write_text(site.read_text().replace("timezone: Etc/UTC", "timezone: Europe/Paris"))
        result = run_cli(["render", "--check"])
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "changed: group_vars/all/site.yml",
            "inventories/aio: out of date (1 differences)",
        ]

    def test_diff_shows_changes_but_never_a_secret(self, in_tmp: Path) -> None:
        run_cli(["init"])
        run_cli(["render"])
        out = in_tmp / "inventories" / "aio"
        passwords = yaml.safe_load((out / "kolla" / "passwords.yml").read_bytes())
        del passwords["database_password"]
        (out / "kolla" / "passwords.yml").write_text(yaml.safe_dump(passwords))
        site = in_tmp / "site.yml"
        site.write_text(site.read_text().replace("hardening: baseline", "hardening: strict"))
        result = run_cli(["render", "--check", "--diff"])
        assert result.exit_code == 1
        assert "-loki_linux_hardening: baseline\n+loki_linux_hardening: strict\n" in result.stdout
        assert "+database_password: <secret " in result.stdout
        for value in passwords.values():
            if isinstance(value, str) and len(value) >= 8:
                assert value not in result.stdout
        # --diff while writing: the newly generated value is not shown either
        result = run_cli(["render", "--diff"])
        assert result.exit_code == 0
        new_value = yaml.safe_load((out / "kolla" / "passwords.yml").read_bytes())["database_password"]
        assert new_value not in result.stdout and "+database_password: <secret " in result.stdout

    def test_refuses_foreign_directory(self, in_tmp: Path) -> None:
        run_cli(["init"])
        (in_tmp / "mine").mkdir()
        (in_tmp / "mine" / "notes.txt").write_text("keep")
        result = run_cli(["render", "--out", "mine"])
        assert result.exit_code == 2
        assert result.stderr == (
            "error: mine: directory is not empty and was not written by lokictl; refusing to replace it "
            "(choose another --out or move it away)\n"
        )
        assert tree(in_tmp / "mine") == {"notes.txt": b"keep"}

    def test_invalid_site_writes_nothing_and_keeps_output(self, in_tmp: Path) -> None:
        run_cli(["init"])
        assert run_cli(["render"]).exit_code == 0
        out = in_tmp / "inventories" / "aio"
        before = tree(out)
        site = in_tmp / "site.yml"
        site.write_text(site.read_text().replace('release: "2026.1"', "release: 2026.1"))
        result = run_cli(["render"])
        assert result.exit_code == 2
        assert result.stderr.startswith("site.yml:")
        assert "openstack.release: Input should be a valid string; got the number 2026.1" in result.stderr
        assert result.stdout == ""
        assert tree(out) == before
        assert sorted(p.name for p in out.parent.iterdir()) == ["aio"]

    def test_invalid_site_never_creates_the_directory(self, in_tmp: Path) -> None:
        copy_site("invalid_three_errors", in_tmp / "site.yml")
        result = run_cli(["render"])
        assert result.exit_code == 2
        assert not (in_tmp / "inventories").exists()

    def test_corrupt_passwords_is_a_runtime_error(self, in_tmp: Path) -> None:
        run_cli(["init"])
        run_cli(["render"])
        passwords = in_tmp / "inventories" / "aio" / "kolla" / "passwords.yml"
        passwords.write_text("database_password: [oops\n")
        site = in_tmp / "site.yml"
        site.write_text(site.read_text().replace("hardening: baseline", "hardening: strict"))
        result = run_cli(["render"])
        assert result.exit_code == 1
        assert result.stderr.startswith("error: existing kolla/passwords.yml is not valid YAML at line 2")
        assert passwords.read_text() == "database_password: [oops\n"


# --- as a user runs it ------------------------------------------------------------------------------------


def lokictl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lokictl", *args],
        cwd=cwd,
        env={**os.environ, "LANG": "C.UTF-8", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_subprocess_exit_codes_and_tracebacks(tmp_path: Path) -> None:
    copy_site("invalid_address_outside", tmp_path / "site.yml")
    result = lokictl("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "site.yml:14:14: hosts[2].address: 10.0.0.5 is outside networks.management (10.10.0.0/24)\n"
    )
    assert result.stdout == ""
    result = lokictl("--debug", "validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "lokictl.errors.SiteError" in result.stderr
    valid = SITES / "valid_minimal" / "site.yml"
    result = lokictl("validate", cwd=tmp_path, env={"LOKI_SITE": str(valid)})
    assert (result.returncode, result.stdout) == (0, f"{valid}: ok (site 'lab1', 1 hosts)\n")


@pytest.mark.usefixtures("fast_keys")
def test_subprocess_init_validate_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's path as a user runs it. The first render runs in-process with fast key generation (the
    real 4096-bit generation is tested in test_render_kolla.py); the subprocess renders reuse its secrets."""
    assert lokictl("init", cwd=tmp_path).returncode == 0
    assert lokictl("validate", cwd=tmp_path).stdout == "site.yml: ok (site 'aio', 1 hosts)\n"
    result = lokictl("render", "--check", cwd=tmp_path)
    assert result.returncode == 1 and "inventories/aio: out of date" in result.stderr
    monkeypatch.chdir(tmp_path)
    assert run_cli(["render"]).exit_code == 0
    passwords = tmp_path / "inventories" / "aio" / "kolla" / "passwords.yml"
    secrets_before = passwords.read_bytes()
    result = lokictl("render", "--check", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    site = tmp_path / "site.yml"
    site.write_text(
        site.read_text().replace("services: [keystone, glance, placement]", "services: [keystone]")
    )
    result = lokictl("render", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("rendered ") and "new secrets" not in result.stdout
    assert passwords.read_bytes() == secrets_before
    assert "enable_glance: 'no'" in (tmp_path / "inventories" / "aio" / "kolla" / "globals.yml").read_text()
    result = lokictl("--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage: lokictl" in result.stdout


def test_example_choices_are_the_core_examples() -> None:
    from lokictl import cli, core

    assert tuple(cli.EXAMPLE_CHOICE.choices) == core.EXAMPLES
    assert sorted(p.stem for p in EXAMPLES.glob("*.yml")) == sorted(core.EXAMPLES)


def test_init_scs_example(in_tmp: Path) -> None:
    assert run_cli(["init", "--example", "scs"]).exit_code == 0
    assert (in_tmp / "site.yml").read_bytes() == (EXAMPLES / "scs.yml").read_bytes()
    result = run_cli(["validate"])
    assert result.exit_code == 0 and "site 'scs'" in result.stdout
