"""Dockerfiles kolla-build renders from lokictl's configuration reach only PyPI and the Debian mirror.

Runs the pinned kolla-build with ``--template-only`` (no Docker needed) on the configuration a dry run writes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES

from lokictl.images import build, kolla


class NoDocker:
    """Every image is missing."""

    def inspect(self, kind: str, names: Sequence[str]) -> list[dict[str, Any]]:
        return []


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("images")
    site = root / "site" / "site.yml"
    site.parent.mkdir()
    text = (
        (EXAMPLES / "aio.yml")
        .read_text(encoding="utf-8")
        .replace('apt_mirror: ""', "apt_mirror: http://mirror.example/debian")
    )
    site.write_text(text, encoding="utf-8")
    (root / "uc.txt").write_text("oslo.config===10.0.0\n", encoding="utf-8")
    report = build.build_images(
        site,
        upper_constraints=str(root / "uc.txt"),
        sources_dir=root / "cache",
        dry_run=True,
        docker=NoDocker(),  # type: ignore[arg-type]
    )
    names = [i.name for i in report.images]
    kolla_build = Path(sys.executable).with_name("kolla-build")
    work = root / "kolla"
    proc = subprocess.run(
        [
            str(kolla_build),
            "--config-file",
            str(report.work_dir / "kolla-build.conf"),
            "--template-only",
            "--work-dir",
            str(work),
            *[f"^{n}$" for n in names],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = {}
    for name in names:
        found = list((work / "docker").rglob(f"{name}/Dockerfile"))
        assert len(found) == 1, name
        out[name] = found[0].read_text(encoding="utf-8")
    return out


def test_every_image_of_the_build_is_rendered(rendered: dict[str, str]) -> None:
    assert set(rendered) == set(kolla.ancestry(list(rendered)))
    assert rendered["base"].startswith("FROM lokictl/kolla-base:trixie-")


@pytest.mark.parametrize(
    "pattern",
    [
        r"keyserver",
        r"ansible-galaxy",
        r"curl\s[^;&|]*https?://",
        r"git clone",
        r"https?://(?!mirror\.example/)",
    ],
)
def test_no_build_step_reaches_a_third_party(rendered: dict[str, str], pattern: str) -> None:
    hits = {
        name: m.group(0) for name, text in rendered.items() if (m := re.search(pattern, _run_steps(text)))
    }
    assert hits == {}


def test_toolbox_constraints_are_the_local_copy(rendered: dict[str, str]) -> None:
    assert "ENV UPPER_CONSTRAINTS_FILE=/requirements/upper-constraints.txt" in rendered["kolla-toolbox"]


def test_extrepo_is_a_no_op_while_the_base_is_built(rendered: dict[str, str]) -> None:
    base = rendered["base"]
    noop = base.index("/usr/local/sbin/extrepo")
    assert noop < base.index("extrepo enable") < base.index("rm -f /usr/local/sbin/extrepo")


def test_every_apt_source_is_the_mirror_signed_by_the_debian_keyring(rendered: dict[str, str]) -> None:
    for name, text in rendered.items():
        for uri in re.findall(r"Uris: (\S+)'", text):
            assert uri == "http://mirror.example/debian", name
        for key in re.findall(r"Signed-By: (\S+)'", text):
            assert key == "/etc/kolla/apt-keys/debian-archive-keyring.gpg", name


def test_keystone_has_no_kerberos(rendered: dict[str, str]) -> None:
    assert "requests-kerberos" not in rendered["keystone"] and "libkrb5-dev" not in rendered["keystone"]


def test_mariadb_gets_lokictls_healthcheck(rendered: dict[str, str]) -> None:
    assert (
        "install -m 0755 /additions/lokictl/healthcheck.sh /usr/bin/healthcheck.sh"
        in rendered["mariadb-server"]
    )


def test_toolbox_collections_come_from_the_additions(rendered: dict[str, str]) -> None:
    toolbox = rendered["kolla-toolbox"]
    assert "ADD additions-archive /usr/share/ansible/" in toolbox
    assert (
        "lokictl-collections/ansible_collections /usr/share/ansible/collections/ansible_collections"
        in toolbox
    )


def test_labels_carry_no_build_date(rendered: dict[str, str]) -> None:
    assert not [name for name, text in rendered.items() if "build-date" in text]


def _run_steps(dockerfile: str) -> str:
    """Return the RUN instructions of a Dockerfile, one per line (comments and other lines left out)."""
    joined = re.sub(
        r"\\\n", " ", "\n".join(ln for ln in dockerfile.splitlines() if not ln.lstrip().startswith("#"))
    )
    return "\n".join(ln.strip() for ln in joined.splitlines() if ln.lstrip().startswith("RUN "))
