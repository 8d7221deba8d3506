"""Writing rendered output: atomic replacement, ownership guard, comparison, diffs that never show secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import mode, tree

from lokictl.errors import InputError, RuntimeFailure
from lokictl.render import RenderedFile, output

SECRET = "s3cr3t-value-never-shown"


def files(**overrides: RenderedFile) -> dict[str, RenderedFile]:
    base = {
        "hosts.yml": RenderedFile(b"all: {}\n"),
        "group_vars/all/site.yml": RenderedFile(b"loki_site_name: x\n"),
        "kolla/passwords.yml": RenderedFile(
            f"database_password: {SECRET}\n".encode(), mode=0o600, secret=True
        ),
    }
    base.update(overrides)
    return base


def test_write_creates_tree_with_modes_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "abc")
    assert tree(out).keys() == {
        "hosts.yml",
        "group_vars/all/site.yml",
        "kolla/passwords.yml",
        output.MANIFEST,
    }
    assert mode(out / "kolla" / "passwords.yml") == 0o600
    assert mode(out / "kolla") == 0o700
    assert mode(out / "hosts.yml") == 0o644
    assert mode(out) == 0o755
    manifest = json.loads((out / output.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["site_sha256"] == "abc"
    assert sorted(manifest["files"]) == ["group_vars/all/site.yml", "hosts.yml", "kolla/passwords.yml"]
    assert output.owned_files(out) == sorted(manifest["files"])


def test_manifest_is_deterministic() -> None:
    assert output.manifest(files(), "x") == output.manifest(dict(reversed(files().items())), "x")


def test_modes_do_not_depend_on_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        output.write(files(), tmp_path / "out", "")
    finally:
        os.umask(old)
    assert mode(tmp_path / "out" / "hosts.yml") == 0o644
    assert mode(tmp_path / "out") == 0o755


def test_rewrite_replaces_everything_and_drops_removed_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    new = files()
    del new["group_vars/all/site.yml"]
    new["hosts.yml"] = RenderedFile(b"all: {hosts: {a: null}}\n")
    output.write(new, out, "")
    assert sorted(tree(out)) == [output.MANIFEST, "hosts.yml", "kolla/passwords.yml"]
    assert (out / "hosts.yml").read_bytes() == b"all: {hosts: {a: null}}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no temporary directories are left behind"


def test_empty_existing_directory_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    output.write(files(), out, "")
    assert (out / "hosts.yml").is_file()


def test_refuses_foreign_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError) as exc:
        output.write(files(), out, "")
    assert exc.value.message == (
        f"{out}: directory is not empty and was not written by lokictl; refusing to replace it "
        "(choose another --out or move it away)"
    )
    assert tree(out) == {"notes.txt": b"mine"}


def test_refuses_a_file_in_place_of_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x")
    with pytest.raises(InputError) as exc:
        output.write(files(), out, "")
    assert exc.value.message == f"{out}: exists and is not a directory"


def test_refuses_to_delete_files_added_to_an_owned_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    (out / "group_vars" / "all" / "custom.yml").write_text("my_var: 1\n")
    before = tree(out)
    with pytest.raises(InputError) as exc:
        output.write(files(**{"hosts.yml": RenderedFile(b"changed\n")}), out, "")
    assert exc.value.message == (
        f"{out}: holds files lokictl did not write (group_vars/all/custom.yml); refusing to replace it "
        "(move them away; put settings in the site file)"
    )
    assert tree(out) == before


def test_corrupt_manifest_means_not_owned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    (out / output.MANIFEST).write_text("{not json")
    assert output.owned_files(out) is None
    with pytest.raises(InputError):
        output.write(files(), out, "")


def test_failed_rename_keeps_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    before = tree(out)
    real_rename = os.rename

    def rename(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        if Path(dst) == out and ".tmp-" in Path(src).name:
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(RuntimeFailure) as exc:
        output.write(files(**{"hosts.yml": RenderedFile(b"new\n")}), out, "")
    assert exc.value.message == f"cannot write {out}: No space left on device"
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failed_file_write_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    before = tree(out)
    clash = files(**{"hosts.yml/oops": RenderedFile(b"x")})  # a file and a directory of the same name
    with pytest.raises(RuntimeFailure):
        output.write(clash, out, "")
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_compare(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert output.compare(files(), out).lines() == [
        "added:   group_vars/all/site.yml",
        "added:   hosts.yml",
        "added:   kolla/passwords.yml",
    ]
    output.write(files(), out, "")
    assert output.compare(files(), out).clean
    new = files(**{"hosts.yml": RenderedFile(b"changed\n"), "new.yml": RenderedFile(b"n\n")})
    del new["group_vars/all/site.yml"]
    comparison = output.compare(new, out)
    assert comparison.lines() == [
        "added:   new.yml",
        "changed: hosts.yml",
        "removed: group_vars/all/site.yml",
    ]


def test_compare_notices_permission_changes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    (out / "kolla" / "passwords.yml").chmod(0o644)
    assert output.compare(files(), out).lines() == ["changed: kolla/passwords.yml"]


def test_diff_shows_changes_but_masks_secrets(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    new_secret = "an0ther-s3cret"
    new = files(
        **{
            "hosts.yml": RenderedFile(b"all: {hosts: {b: null}}\n"),
            "kolla/passwords.yml": RenderedFile(
                f"database_password: {SECRET}\nnew_password: {new_secret}\n".encode(), mode=0o600, secret=True
            ),
        }
    )
    text = output.diff(new, out, output.compare(new, out))
    assert "--- a/hosts.yml\n+++ b/hosts.yml\n" in text
    assert "-all: {}\n+all: {hosts: {b: null}}\n" in text
    assert "+new_password: <secret " in text
    assert " database_password: <secret " in text
    assert SECRET not in text and new_secret not in text


def test_diff_of_added_and_removed_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    output.write(files(), out, "")
    new = files(**{"extra.yml": RenderedFile(b"x: 1\n")})
    del new["hosts.yml"]
    text = output.diff(new, out, output.compare(new, out))
    assert "--- /dev/null\n+++ b/extra.yml\n@@ -0,0 +1 @@\n+x: 1\n" in text
    assert "--- a/hosts.yml\n+++ /dev/null\n@@ -1 +0,0 @@\n-all: {}\n" in text


@pytest.mark.parametrize(
    ("content", "view"),
    [
        (None, []),
        (b"", []),
        (b"a: [1\n", ["<unparsable>\n"]),
        (b"- x\n", ["<not a mapping>\n"]),
    ],
)
def test_secret_view_of_odd_content(content: bytes | None, view: list[str]) -> None:
    assert output._secret_view(content) == view
