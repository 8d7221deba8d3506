"""The k8s_artifacts role's download-and-verify mechanism, run for real with ansible-playbook here.

A local HTTP server (127.0.0.1, started here) plays the site mirror and serves the small files listed in the
TEST version matrix (tests/fixtures/k8s/test-matrix.yml). The role input is produced by lokictl's own matrix
code, the same path `lokictl render` uses. Under test: the SHA-256 is checked before anything is installed; a
wrong checksum, a missing file and an unpinned checksum each fail the run with a message naming the file and
its URL.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lokictl.k8s import matrix

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "k8s"
MIRROR = FIXTURES / "mirror"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

PLAYBOOK = """\
- name: Run k8s_artifacts on this machine
  hosts: localhost
  connection: local
  gather_facts: true
  gather_subset: [min]
  roles:
    - role: k8s_artifacts
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def mirror_url() -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(MIRROR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run(tmp_path: Path, version: str, mirror: str, arch: str = "amd64") -> tuple[int, str, Path]:
    entry = matrix.load_matrix(FIXTURES / "test-matrix.yml").get(version)
    root = tmp_path / "node"
    extra = {
        "loki_action": "deploy",
        "k8s_artifacts_files": {arch: matrix.resolved_files(entry, arch)},
        "k8s_artifacts_mirror": mirror,
        "k8s_artifacts_control_plane": True,
        "k8s_artifacts_kubelet_service_enabled": False,
        "k8s_artifacts_cache_dir": str(root / "cache"),
        "k8s_artifacts_bin_dir": str(root / "bin"),
        "k8s_artifacts_cni_dir": str(root / "cni"),
        "k8s_artifacts_share_dir": str(root / "share"),
        "k8s_artifacts_download_timeout": 10,
    }
    (tmp_path / "extra.json").write_text(json.dumps(extra), encoding="utf-8")
    (tmp_path / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = {
        **os.environ,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            "localhost,",
            "-e",
            f"@{tmp_path / 'extra.json'}",
            str(tmp_path / "play.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr, root


def _changed(output: str) -> int:
    m = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output)
    assert m, output
    return int(m[1])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_verified_files_install_and_rerun_changes_nothing(tmp_path: Path, mirror_url: str) -> None:
    rc, out, root = _run(tmp_path, "9.9.1", mirror_url)
    assert rc == 0, out
    tool = root / "bin" / "hello-tool"
    assert _sha256(tool) == _sha256(MIRROR / "tools/v1/hello-tool")
    assert tool.stat().st_mode & 0o777 == 0o755
    assert (root / "bin" / "tool-a").read_text() == "#!/bin/sh\necho tool-a\n"
    assert (root / "bin" / "tool-b").exists()
    assert not (root / "bin" / "README").exists()  # archive members not listed are not installed
    assert _sha256(root / "share" / "charts" / "demo-0.1.0.tgz") == _sha256(MIRROR / "charts/demo-0.1.0.tgz")
    assert _changed(out) > 0

    rc, out, _ = _run(tmp_path, "9.9.1", mirror_url)
    assert rc == 0, out
    assert _changed(out) == 0, out


def test_wrong_checksum_fails_and_installs_nothing(tmp_path: Path, mirror_url: str) -> None:
    rc, out, root = _run(tmp_path, "9.9.2", mirror_url)
    assert rc != 0
    assert "hello-tool 1: checksum mismatch (expected sha256 be72d1" in out, out
    assert f"for {mirror_url}/tools/v1/hello-tool" in out
    assert not (root / "bin" / "hello-tool").exists()
    assert not (root / "cache" / "tools" / "v1" / "hello-tool").exists()


def test_missing_file_fails_naming_the_url(tmp_path: Path, mirror_url: str) -> None:
    rc, out, root = _run(tmp_path, "9.9.3", mirror_url)
    assert rc != 0
    assert f"missing-tool 1: cannot download {mirror_url}/tools/v1/missing-tool" in out, out
    assert "HTTP Error 404" in out
    assert not (root / "bin" / "missing-tool").exists()


def test_unreachable_upstream_fails_naming_the_url(tmp_path: Path) -> None:
    # No mirror: the matrix's upstream URL is used; here it points at a closed port on this machine.
    rc, out, root = _run(tmp_path, "9.9.5", "")
    assert rc != 0
    assert "hello-tool 1: cannot download https://127.0.0.1:1/tools/v1/hello-tool" in out, out
    assert not (root / "bin" / "hello-tool").exists()


def test_unpinned_checksum_is_refused(tmp_path: Path, mirror_url: str) -> None:
    rc, out, root = _run(tmp_path, "9.9.4", mirror_url)
    assert rc != 0
    assert "unpinned-tool 1: no SHA-256 is pinned for" in out, out
    assert not (root / "cache").exists() or not any((root / "cache").rglob("hello-tool"))
