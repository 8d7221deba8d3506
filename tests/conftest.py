"""Shared fixtures: an in-process CLI runner, fast SSH key generation, temporary site copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import CliResult, run_cli


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Return `support.run_cli`: ``cli(["validate", "-f", "x.yml"])``."""
    return run_cli


@pytest.fixture(scope="session")
def _small_keypair() -> dict[str, str]:
    """Return a key pair made by the render's own `_ssh_keypair`, with 1024 instead of 4096 bits."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from lokictl.render import kolla

    real = rsa.generate_private_key

    def small(**kwargs: Any) -> Any:
        return real(**{**kwargs, "key_size": 1024})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rsa, "generate_private_key", small)
        return kolla._ssh_keypair()


@pytest.fixture
def fast_keys(monkeypatch: pytest.MonkeyPatch, _small_keypair: dict[str, str]) -> None:
    """Replace the 4096-bit RSA generation of kolla SSH keys (~0.5 s each) by a pre-made small key pair.

    Every other secret is still generated for real; tests/unit/render/test_render_kolla.py covers the real
    key generation.
    """
    from lokictl.render import kolla

    monkeypatch.setattr(kolla, "_ssh_keypair", lambda: dict(_small_keypair))


@pytest.fixture
def site_copy(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy a fixture site (a directory or a file) to ``tmp_path/site/`` and return the copied site.yml."""

    def copy(source: Path) -> Path:
        target = tmp_path / "site"
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.mkdir()
            shutil.copy(source, target / "site.yml")
        return target / "site.yml"

    return copy


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run the test with ``tmp_path`` as working directory."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
