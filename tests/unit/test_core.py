"""The operations behind the CLI: init_site, render (the CLI tests cover the same paths end to end)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import EXAMPLES, SITES, tree

from lokictl import core
from lokictl.errors import InputError, SiteError
from lokictl.render import output
from lokictl.site import load_site


@pytest.mark.parametrize("example", core.EXAMPLES)
def test_init_writes_the_example(example: str, tmp_path: Path) -> None:
    path = core.init_site(tmp_path / "conf" / "site.yml", example=example)
    assert path.read_text(encoding="utf-8") == (EXAMPLES / f"{example}.yml").read_text(encoding="utf-8")
    assert load_site(path).model.site.name == example
    assert [p.name for p in path.parent.iterdir()] == ["site.yml"], "no temporary file left behind"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "site.yml"
    path.write_text("mine\n")
    with pytest.raises(InputError) as exc:
        core.init_site(path)
    assert exc.value.message == f"{path}: already exists; use --force to overwrite it"
    assert path.read_text() == "mine\n"
    core.init_site(path, example="multinode", force=True)
    assert "name: multinode" in path.read_text()


def test_init_unknown_example_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        core.init_site(tmp_path / "site.yml", example="huge")
    assert exc.value.message == "unknown example 'huge' (choose from: aio, multinode, scs)"
    assert not (tmp_path / "site.yml").exists()
    with pytest.raises(InputError) as exc:
        core.init_site(tmp_path, force=True)
    assert exc.value.message == f"{tmp_path}: is a directory"


def test_default_out_dir_is_relative_to_the_working_directory() -> None:
    site = load_site(SITES / "valid_minimal" / "site.yml")
    assert core.default_out_dir(site) == Path("inventories") / "lab1"


@pytest.mark.usefixtures("fast_keys")
class TestRender:
    def test_first_render_then_up_to_date(self, site_copy: Callable[[Path], Path], tmp_path: Path) -> None:
        site = site_copy(SITES / "golden_aio")
        out = tmp_path / "out"
        first = core.render(site, out)
        assert first.written and first.out_dir == out
        assert first.files == len(tree(out)) - 1  # the manifest is not counted
        assert "database_password" in first.new_secrets
        second = core.render(site, out)
        assert not second.written and second.differences == [] and second.new_secrets == []

    @pytest.fixture
    def rendered(self, site_copy: Callable[[Path], Path], tmp_path: Path) -> tuple[Path, Path]:
        """Render a copy of golden_aio into ``tmp_path/out``; return the site file and the output dir."""
        site = site_copy(SITES / "golden_aio")
        out = tmp_path / "out"
        core.render(site, out)
        return site, out

    def test_check_reports_differences_without_writing(self, rendered: tuple[Path, Path]) -> None:
        site, out = rendered
        before = tree(out)
        site.write_text(site.read_text().replace("hardening: baseline", "hardening: strict"))
        report = core.render(site, out, check=True, show_diff=True)
        assert not report.written
        assert report.differences == ["changed: group_vars/all/linux.yml"]
        assert "-loki_linux_hardening: baseline\n+loki_linux_hardening: strict\n" in report.diff
        assert tree(out) == before

    def test_invalid_site_writes_nothing_and_keeps_previous_output(
        self, rendered: tuple[Path, Path], tmp_path: Path
    ) -> None:
        site, out = rendered
        before = tree(out)
        site.write_text(site.read_text().replace("address: 10.10.0.11", "address: 10.99.0.11"))
        with pytest.raises(SiteError):
            core.render(site, out)
        assert tree(out) == before
        with pytest.raises(SiteError):
            core.render(site, tmp_path / "fresh")
        assert not (tmp_path / "fresh").exists()

    def test_missing_manifest_triggers_a_write(self, rendered: tuple[Path, Path]) -> None:
        site, out = rendered
        (out / output.MANIFEST).unlink()
        with pytest.raises(InputError):  # identical files, but no longer marked as lokictl's
            core.render(site, out)
