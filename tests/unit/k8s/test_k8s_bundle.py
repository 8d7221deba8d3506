"""`lokictl bundle k8s` against a local HTTP mirror (127.0.0.1) serving the TEST version matrix's files."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import FIXTURES, CliResult

from lokictl.errors import InputError, RuntimeFailure
from lokictl.k8s import bundle

MIRROR = FIXTURES / "k8s" / "mirror"
MATRIX = FIXTURES / "k8s" / "test-matrix.yml"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def mirror_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(MIRROR))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _opts(version: str, source: str, **kw: object) -> bundle.BundleOptions:
    return bundle.BundleOptions(version=version, source=source, images=False, matrix_path=MATRIX, **kw)  # type: ignore[arg-type]


def test_bundle_has_the_mirror_layout_and_sums(tmp_path: Path, mirror_url: str) -> None:
    out = tmp_path / "bundle"
    report = bundle.build(out, _opts("9.9.1", mirror_url))
    expected = ["charts/demo-0.1.0.tgz", "tools/v1/hello-tool", "tools/v1/sample-tools.tar.gz"]
    assert sorted(report.downloaded) == expected
    for rel in expected:
        assert (out / rel).read_bytes() == (MIRROR / rel).read_bytes()
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sums == [f"{hashlib.sha256((MIRROR / r).read_bytes()).hexdigest()}  {r}" for r in expected]
    manifest = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["kubernetes"] == "9.9.1"
    assert not manifest["images_saved"]
    assert (out / "images.txt").read_text(encoding="utf-8").splitlines() == ["registry.k8s.io/pause:3.10.1"]
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no partial download left

    again = bundle.build(out, _opts("9.9.1", mirror_url))
    assert again.downloaded == []
    assert sorted(again.reused) == expected


def test_wrong_checksum_keeps_nothing(tmp_path: Path, mirror_url: str) -> None:
    out = tmp_path / "bundle"
    with pytest.raises(
        RuntimeFailure, match=r"checksum mismatch for http://127\.0\.0\.1:\d+/tools/v1/hello-tool"
    ):
        bundle.build(out, _opts("9.9.2", mirror_url))
    assert not (out / "tools/v1/hello-tool").exists()
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no partial download left


def test_missing_file_names_the_url(tmp_path: Path, mirror_url: str) -> None:
    with pytest.raises(RuntimeFailure, match=rf"cannot download {mirror_url}/tools/v1/missing-tool: .*404"):
        bundle.build(tmp_path / "bundle", _opts("9.9.3", mirror_url))


def test_unpinned_files_are_refused_skipped_or_pinned(tmp_path: Path, mirror_url: str) -> None:
    with pytest.raises(
        InputError, match=r"no SHA-256 is pinned for: unpinned-tool 1 \(tools/v1/hello-tool\)"
    ):
        bundle.build(tmp_path / "a", _opts("9.9.4", mirror_url))
    assert not (tmp_path / "a").exists()  # refused before anything is downloaded

    skipped = bundle.build(tmp_path / "b", _opts("9.9.4", mirror_url, skip_unverified=True))
    assert skipped.skipped_unverified == ["unpinned-tool 1 (tools/v1/hello-tool)"]
    assert skipped.downloaded == []

    sha = hashlib.sha256((MIRROR / "tools/v1/hello-tool").read_bytes()).hexdigest()
    pinned = bundle.build(tmp_path / "c", _opts("9.9.4", mirror_url, checksums={"unpinned-tool": sha}))
    assert pinned.downloaded == ["tools/v1/hello-tool"]


def test_cli_checks_checksum_syntax(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli(["bundle", "k8s", "--out", str(tmp_path / "b"), "--no-images", "--checksum", "nothing"])
    assert result.exit_code == 2
    assert "expected NAME=SHA256" in result.stderr


def test_cli_refuses_unverified_files_of_the_real_matrix(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli(["bundle", "k8s", "--version", "1.34.2", "--out", str(tmp_path / "b"), "--no-images"])
    assert result.exit_code == 2
    assert "no SHA-256 is pinned for: cilium-chart 1.18.4" in result.stderr
    assert not (tmp_path / "b").exists()
