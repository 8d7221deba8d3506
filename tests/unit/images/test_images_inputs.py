"""Build inputs: host pip settings, CA bundle, upper-constraints, sdist lookup, collections from the wheel."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from lokictl.errors import InputError, RuntimeFailure
from lokictl.images import inputs

UC = (
    b"# comment\nkeystoneauth1===5.12.0\noslo.config===10.0.0\nrequests-kerberos===0.15.0\n"
    b"foo[bar]===1.0;python_version>='3.10'\n"
)


def test_constraints_from_a_plain_file_become_a_reproducible_tarball(tmp_path: Path) -> None:
    src = tmp_path / "upper-constraints.txt"
    src.write_bytes(UC)
    first = inputs.load_constraints(str(src), "2026.1", tmp_path / "cache", None)
    assert first.tarball.name.startswith("requirements-2026.1-")
    with tarfile.open(first.tarball) as tar:
        member = tar.getmember("requirements/upper-constraints.txt")
        assert member.mtime == 0 and member.uid == 0
        assert tar.extractfile(member).read() == UC  # type: ignore[union-attr]
    data = first.tarball.read_bytes()
    first.tarball.unlink()
    again = inputs.load_constraints(str(src), "2026.1", tmp_path / "cache", None)
    assert again.tarball.read_bytes() == data and again.sha256 == first.sha256


def test_constraints_from_a_release_tarball(tmp_path: Path) -> None:
    tarball = tmp_path / "requirements-stable-2026.1.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, payload in (
            ("requirements-x/README.rst", b"x"),
            ("requirements-x/upper-constraints.txt", UC),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    plain = tmp_path / "uc.txt"
    plain.write_bytes(UC)
    a = inputs.load_constraints(str(tarball), "2026.1", tmp_path / "c", None)
    b = inputs.load_constraints(str(plain), "2026.1", tmp_path / "c", None)
    assert a.sha256 == b.sha256 and a.tarball == b.tarball


def test_bad_constraints_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "uc.txt"
    bad.write_text("this is not\na constraints file\n")
    with pytest.raises(InputError, match="not an upper-constraints file"):
        inputs.load_constraints(str(bad), "2026.1", tmp_path, None)
    with pytest.raises(InputError, match="no such file"):
        inputs.load_constraints(str(tmp_path / "nope.txt"), "2026.1", tmp_path, None)
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(InputError, match=r"holds no upper-constraints\.txt"):
        inputs.load_constraints(str(empty), "2026.1", tmp_path, None)


def test_unreachable_url_without_a_cached_copy_is_a_runtime_failure(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="--upper-constraints PATH"):
        inputs.load_constraints("http://127.0.0.1:9/uc.tar.gz", "2026.1", tmp_path, None)


def test_unreachable_url_uses_the_copy_fetched_earlier(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/requirements.tar.gz"
    inputs.download_path(url, tmp_path).write_bytes(UC)
    result = inputs.load_constraints(url, "2026.1", tmp_path, None)
    assert "using the copy fetched earlier" in result.note


def test_find_sdist_matches_normalised_names(tmp_path: Path) -> None:
    (tmp_path / "openstack_placement-15.0.0.tar.gz").write_bytes(b"")
    (tmp_path / "keystone-29.0.0.tar.gz").write_bytes(b"")
    assert (
        inputs.find_sdist(tmp_path, "openstack-placement", "15.0.0")
        == tmp_path / "openstack_placement-15.0.0.tar.gz"
    )
    assert inputs.find_sdist(tmp_path, "keystone", "29.1.0") is None
    assert inputs.find_sdist(tmp_path / "missing", "keystone", "29.1.0") is None


def test_fetch_sdists_skips_pip_when_everything_is_there(tmp_path: Path) -> None:
    (tmp_path / "glance-32.0.0.tar.gz").write_bytes(b"")
    out = inputs.fetch_sdists({"glance": "32.0.0"}, tmp_path, tmp_path / "log", python="/nonexistent/python")
    assert out == {"glance": tmp_path / "glance-32.0.0.tar.gz"}


def _wheel(path: Path, collections: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, version in collections.items():
            ns, coll = name.split(".")
            manifest = {"collection_info": {"namespace": ns, "name": coll, "version": version}}
            zf.writestr(f"ansible_collections/{ns}/{coll}/MANIFEST.json", json.dumps(manifest))
            zf.writestr(f"ansible_collections/{ns}/{coll}/plugins/modules/m.py", "# module\n")
        zf.writestr("ansible_collections/other/thing/MANIFEST.json", "{}")


def test_collections_are_copied_out_of_the_wheel(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    _wheel(
        tmp_path / "wheels" / "ansible-13.8.0-py3-none-any.whl", {"ansible.posix": "2.2.0", "a.b": "1.0.0"}
    )
    wanted = [("ansible.posix", "<3"), ("a.b", ""), ("openvswitch.openvswitch", "<3")]
    got = inputs.toolbox_collections(
        "13.8.0", wanted, ["openvswitch.openvswitch"], tmp_path, tmp_path / "log", python_version="3.13"
    )
    assert got.directory == inputs.collections_dir("13.8.0", wanted, tmp_path)
    assert got.versions == {"ansible.posix": "2.2.0", "a.b": "1.0.0"}
    assert got.missing == ("openvswitch.openvswitch",)
    root = got.directory / "ansible_collections"
    assert (root / "ansible/posix/plugins/modules/m.py").is_file()
    assert not (root / "other").exists()
    again = inputs.toolbox_collections(
        "13.8.0", wanted, ["openvswitch.openvswitch"], tmp_path, tmp_path / "log", python_version="3.13"
    )
    assert again == got


@pytest.mark.parametrize(
    ("wanted", "message"),
    [([("ansible.posix", "<2")], "kolla-toolbox needs <2"), ([("x.y", "")], "does not carry x.y")],
)
def test_collections_outside_constraints_or_missing_fail(
    tmp_path: Path, wanted: list[tuple[str, str]], message: str
) -> None:
    (tmp_path / "wheels").mkdir()
    _wheel(tmp_path / "wheels" / "ansible-13.8.0-py3-none-any.whl", {"ansible.posix": "2.2.0"})
    with pytest.raises(RuntimeFailure, match=message):
        inputs.toolbox_collections("13.8.0", wanted, [], tmp_path, tmp_path / "log", python_version="3.13")
