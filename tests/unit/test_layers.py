"""The (layer, action) -> playbook table and the content directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ROOT

from lokictl import layers
from lokictl.errors import InputError, RuntimeFailure
from lokictl.site import load_site


def test_every_layer_has_a_deploy_step_with_its_playbook() -> None:
    for layer in layers.LAYERS:
        step = layers.step(layer)
        assert step.layer == layer and step.action == "deploy"
        assert step.playbook == f"playbooks/{layer}.yml"
        assert step.extravars == {"loki_action": "deploy"}


def test_lifecycle_actions_of_openstack_and_kubernetes() -> None:
    lifecycle = {"precheck", "deploy", "check", "upgrade", "destroy"}
    assert {a for (lay, a) in layers.STEPS if lay == "kubernetes"} == lifecycle
    assert {a for (lay, a) in layers.STEPS if lay == "openstack"} == lifecycle | {"integrity"}
    assert layers.step("openstack", "upgrade").extravars == {"loki_action": "upgrade"}


def test_the_openstack_integrity_step_runs_on_the_openstack_hosts() -> None:
    step = layers.step("openstack", layers.INTEGRITY)
    assert step.playbook == "playbooks/integrity.yml"
    assert step.extravars == {"loki_action": "integrity", "loki_hosts": "openstack_nodes"}
    assert layers.playbook_path(step).is_file()


def test_unknown_layer_or_action() -> None:
    with pytest.raises(InputError, match="unknown layer 'storage'"):
        layers.step("storage")
    with pytest.raises(InputError, match="layer 'linux' has no action 'destroy' \\(it has: deploy\\)"):
        layers.step("linux", "destroy")
    with pytest.raises(InputError, match="unknown layer 'nope'"):
        layers.select("nope")


def test_select_keeps_deployment_order() -> None:
    assert layers.select("all") == ["linux", "openstack", "kubernetes"]
    assert layers.select("kubernetes") == ["kubernetes"]


def test_enabled_follows_the_site() -> None:
    site = load_site(ROOT / "lokictl" / "examples" / "aio.yml")
    assert [layers.enabled(site.model, lay) for lay in layers.LAYERS] == [True, True, False]


def test_packaged_content_points_at_the_repository() -> None:
    assert layers.content_dir() == ROOT.resolve() / "lokictl" / "content"
    assert layers.roles_path() == ROOT.resolve() / "roles"
    assert (layers.content_dir() / "playbooks").resolve() == ROOT.resolve() / "playbooks"


def test_content_override_and_missing_playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(layers.CONTENT_ENV, str(tmp_path))
    with pytest.raises(RuntimeFailure, match="Ansible content not found"):
        layers.content_dir()
    (tmp_path / "playbooks").mkdir()
    assert layers.content_dir() == tmp_path.resolve()
    with pytest.raises(RuntimeFailure, match="layer kubernetes: no playbook for action 'deploy'"):
        layers.playbook_path(layers.step("kubernetes"))
    (tmp_path / "playbooks" / "kubernetes.yml").write_text("[]\n")
    expected = tmp_path.resolve() / "playbooks" / "kubernetes.yml"
    assert layers.playbook_path(layers.step("kubernetes")) == expected


def test_verify_suites_ship_in_the_package() -> None:
    suites = layers.verify_suites("linux")
    assert [s.name for s in suites] == ["test_linux.py"]
    assert layers.verify_suites("kubernetes") == []


def test_own_layers_run_with_mitogen_and_openstack_keeps_the_stock_strategy() -> None:
    assert layers.step("linux").strategy == "mitogen_linear"
    for action in ("precheck", "deploy", "check", "upgrade", "destroy"):
        assert layers.step("kubernetes", action).strategy is None
        assert layers.step("openstack", action).strategy is None


def test_strategy_override_applies_to_our_layers_only() -> None:
    linux = layers.step("linux", "deploy")
    openstack = layers.step("openstack", "deploy")
    assert layers.effective_strategy(linux, {}) == "mitogen_linear"
    assert layers.effective_strategy(linux, {layers.STRATEGY_ENV: "linear"}) == "linear"
    assert layers.effective_strategy(linux, {layers.STRATEGY_ENV: ""}) == "mitogen_linear"
    assert layers.effective_strategy(openstack, {layers.STRATEGY_ENV: "linear"}) is None
