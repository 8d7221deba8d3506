"""kolla-build inputs: repos.yaml, kolla-build.conf, template overrides, added files and the image tag."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lokictl.images import config, kolla
from lokictl.images.base import BaseSpec, debian_sources
from lokictl.images.host import PipSettings
from lokictl.rootfs import default_mirror

MIRROR = "http://mirror.example/debian"


def test_repos_yaml_maps_every_third_party_repo_to_the_mirror() -> None:
    names = kolla.third_party_repos()
    assert {
        "mariadb",
        "rabbitmq",
        "erlang",
        "docker-ce",
        "fluentd",
        "proxysql",
        "grafana",
        "opensearch",
    } <= set(names)
    data = yaml.safe_load(config.repos_yaml(names, MIRROR + "/", "trixie"))
    repos = data["debian"]
    assert sorted(repos) == names
    for entry in repos.values():
        assert entry == {
            "url": MIRROR,
            "suite": "trixie",
            "component": "main",
            "gpg_key": "debian-archive-keyring.gpg",
        }


def test_repos_yaml_defaults_to_debians_mirror() -> None:
    data = yaml.safe_load(config.repos_yaml(["mariadb"], "", "trixie"))
    assert data["debian"]["mariadb"]["url"] == default_mirror()


def test_kolla_accepts_every_repo_name_its_templates_use() -> None:
    """Every repo passed to enable_extra_repos in kolla's Debian templates is in the generated file."""
    used: set[str] = set()
    for template in kolla.docker_dir().rglob("Dockerfile.j2"):
        for match in re.finditer(r"enable_extra_repos\(\[([^\]]*)\]\)", template.read_text(encoding="utf-8")):
            used.update(re.findall(r"'([^']+)'", match.group(1)))
    debian_only = {"epel", "crb", "kolla_el10", "ceph", "openvswitch", "opstools", "hacluster"}
    assert used - debian_only <= set(kolla.third_party_repos())


def test_sources_and_repos_use_the_same_signed_by() -> None:
    """apt refuses a source listed twice with different Signed-By values; repos map onto the base sources."""
    sources = debian_sources(MIRROR, "trixie", signed_by=config.KOLLA_KEYRING)
    assert {line for line in sources.splitlines() if line.startswith("Signed-By")} == {
        f"Signed-By: {config.KOLLA_KEYRING}"
    }
    gpg_key = yaml.safe_load(config.repos_yaml(["mariadb"], MIRROR, "trixie"))["debian"]["mariadb"]["gpg_key"]
    assert f"/etc/kolla/apt-keys/{gpg_key}" == config.KOLLA_KEYRING


def test_debian_sources_add_security_only_for_debians_own_mirror() -> None:
    own = debian_sources("", "trixie")
    assert f"URIs: {default_mirror()}-security" in own
    assert "Suites: trixie trixie-updates" in own
    site = debian_sources(MIRROR, "trixie")
    assert "security" not in site and f"URIs: {MIRROR}\n" in site


def _layout(tmp_path: Path) -> config.Layout:
    return config.Layout(
        work=tmp_path / "work",
        sources={"keystone-base": tmp_path / "keystone-29.1.0.tar.gz"},
        constraints=tmp_path / "requirements.tar.gz",
        collections=tmp_path / "collections" / "lokictl-collections",
    )


def _parse(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.read_string(text)
    return parser


def test_kolla_build_conf(tmp_path: Path) -> None:
    base = BaseSpec(mirror=MIRROR)
    text = config.kolla_build_conf(
        layout=_layout(tmp_path),
        tag="2026.1-abc",
        base=base,
        release="2026.1",
        threads=2,
        overrides=["00-common.j2", "10-base.j2"],
        disabled=["mariadb-server-plugin-mariadb-docker"],
    )
    conf = _parse(text)
    d = conf.defaults()
    assert (d["base"], d["base_image"], d["base_tag"]) == ("debian", "lokictl/kolla-base", base.tag)
    assert (d["pull"], d["namespace"], d["tag"], d["threads"]) == ("false", "kolla", "2026.1-abc", "2")
    assert d["logs_dir"] == str(tmp_path / "work" / "logs")
    assert d["repos_yaml"] == str(tmp_path / "work" / "repos.yaml")
    overrides = [ln.split(" = ", 1)[1] for ln in text.splitlines() if ln.startswith("template_override = ")]
    assert overrides == [str(tmp_path / "work" / "overrides" / n) for n in ("00-common.j2", "10-base.j2")]
    assert conf["keystone-base"]["type"] == "local"
    assert conf["keystone-base"]["location"] == str(tmp_path / "keystone-29.1.0.tar.gz")
    for section in ("openstack-base", "kolla-toolbox"):
        assert conf[section]["location"] == str(tmp_path / "requirements.tar.gz")
    assert conf["base-additions-lokictl"]["location"] == str(
        tmp_path / "work" / "additions" / "base" / "lokictl"
    )
    assert conf["kolla-toolbox-additions-lokictl"]["location"].endswith("lokictl-collections")
    assert conf["mariadb-server-plugin-mariadb-docker"]["enabled"] == "false"


def test_disabled_sections_are_exactly_kollas_remote_plugins() -> None:
    upstream: dict[str, dict[str, Any]] = {
        "keystone-base": {"type": "url", "location": "x"},
        "nova-base-plugin-blazar": {"type": "url", "location": "x"},
        "mariadb-server-plugin-mariadb-docker": {"type": "git", "location": "x"},
        "foo-plugin-local": {"type": "local", "location": "x"},
    }
    assert config.disabled_sections(upstream) == [
        "mariadb-server-plugin-mariadb-docker",
        "nova-base-plugin-blazar",
    ]
    real = config.disabled_sections(kolla.upstream_sources())
    assert "mariadb-server-plugin-mariadb-docker" in real
    assert not [n for n in real if "-plugin-" not in n and "-additions-" not in n]


def test_overrides_only_touch_blocks_kolla_defines() -> None:
    overrides = config.override_templates()
    assert list(overrides) == sorted(overrides) and "10-base.j2" in overrides
    defined: set[str] = set()
    for template in kolla.docker_dir().rglob("Dockerfile.j2"):
        defined.update(re.findall(r"\{%-?\s*block\s+(\w+)", template.read_text(encoding="utf-8")))
    for name, text in overrides.items():
        assert text.startswith("{% extends parent_template %}"), name
        for block in re.findall(r"\{%-?\s*block\s+(\w+)", text):
            assert block in defined, f"{name}: kolla has no block {block}"


def test_overrides_reach_no_keyserver_galaxy_or_remote_url() -> None:
    text = re.sub(r"\{#.*?#\}", "", "\n".join(config.override_templates().values()), flags=re.DOTALL)
    for forbidden in ("keyserver", "ansible-galaxy", "curl ", "http://", "https://", "git clone"):
        assert forbidden not in text


def test_keystone_override_drops_the_kerberos_extra() -> None:
    text = config.override_templates()["40-keystone.j2"]
    assert "{% set keystone_pip_packages_remove = ['requests-kerberos'] %}" in text
    keystone = (kolla.docker_dir() / "keystone" / "keystone" / "Dockerfile.j2").read_text(encoding="utf-8")
    assert "'requests-kerberos'" in keystone and "'libkrb5-dev'" in keystone


def test_neutron_override_swaps_dockers_cli_package_for_debians() -> None:
    text = config.override_templates()["50-neutron-base.j2"]
    assert "{% set neutron_base_packages_remove = ['docker-ce-cli'] %}" in text
    assert "{% set neutron_base_packages_append = ['docker-cli'] %}" in text
    template = kolla.docker_dir() / "neutron" / "neutron-base" / "Dockerfile.j2"
    neutron = template.read_text(encoding="utf-8")
    assert "'docker-ce-cli'" in neutron and 'neutron_base_packages | customizable("packages")' in neutron


def test_rabbitmq_override_links_debians_plugins_before_enabling_them() -> None:
    text = config.override_templates()["60-rabbitmq.j2"]
    link = text.index("ln -s")
    assert "/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins" in text[:link]
    assert text.index("rabbitmq-plugins enable --offline") > link
    for plugin in ("rabbitmq_management", "rabbitmq_prometheus"):
        assert plugin in text[link:]


def test_base_additions_carry_pip_settings_and_ca_but_no_credentials() -> None:
    pip = PipSettings(
        index_url="https://pypi.example/simple", trusted_hosts=("pypi.example",), cert=Path("/x")
    )
    files = config.base_additions(pip, MIRROR, "trixie", b"CA")
    assert files["build-ca.crt"] == b"CA"
    conf = files["pip.conf"].decode()
    assert "index-url = https://pypi.example/simple" in conf
    assert f"cert = {config.CA_IN_IMAGE}" in conf and "trusted-host = pypi.example" in conf
    assert files["debian.sources"].decode().startswith(f"Types: deb\nURIs: {MIRROR}\n")
    assert files["setup-build.sh"].startswith(b"#!/bin/sh") and files["extrepo-noop"].startswith(b"#!/bin/sh")
    no_ca = config.base_additions(PipSettings(), MIRROR, "trixie", None)
    assert "build-ca.crt" not in no_ca and "cert =" not in no_ca["pip.conf"].decode()


def test_mariadb_healthcheck_is_our_own_script() -> None:
    script = config.mariadb_additions()["healthcheck.sh"].decode()
    assert script.startswith(
        "#!/bin/sh\n# Health check of the MariaDB container in Kolla images built by lokictl"
    )
    for option in ("--connect", "--galera_online", "--defaults-file"):
        assert option in script


def test_service_sources_come_from_the_service_table() -> None:
    assert config.service_sources(["placement", "keystone"]) == {
        "keystone-base": "keystone",
        "placement-base": "openstack-placement",
    }


def _digest(**changes: Any) -> str:
    args: dict[str, Any] = {
        "kolla_version": "22.2.0",
        "release": "2026.1",
        "base": BaseSpec(),
        "overrides": {"00.j2": "x"},
        "repos": "repos",
        "additions": {"base": {"pip.conf": b"a"}},
        "sdists": {"keystone": "29.1.0"},
        "toolbox_ansible": "13.8.0",
        "collections": [("ansible.posix", "<3")],
        "constraints_sha256": "0" * 64,
        "disabled": ["a-plugin-b"],
    }
    args.update(changes)
    return config.input_digest(**args)


@pytest.mark.parametrize(
    "change",
    [
        {"kolla_version": "22.2.1"},
        {"release": "2026.2"},
        {"base": BaseSpec(mirror=MIRROR)},
        {"overrides": {"00.j2": "y"}},
        {"repos": "other"},
        {"additions": {"base": {"pip.conf": b"b"}}},
        {"additions": {"base": {"pip.conf": b"a", "build-ca.crt": b"CA"}}},
        {"sdists": {"keystone": "29.1.1"}},
        {"toolbox_ansible": "13.9.0"},
        {"collections": [("ansible.posix", "<4")]},
        {"constraints_sha256": "1" * 64},
        {"disabled": []},
    ],
    ids=lambda c: next(iter(c)),
)
def test_every_input_changes_the_tag(change: dict[str, Any]) -> None:
    assert _digest(**change) != _digest()


def test_tag_is_deterministic_and_order_independent() -> None:
    assert _digest() == _digest()
    assert _digest(sdists={"a": "1", "b": "2"}) == _digest(sdists={"b": "2", "a": "1"})
    assert _digest(disabled=["x", "y"]) == _digest(disabled=["y", "x"])
    assert re.fullmatch(r"2026\.1-[0-9a-f]{12}", config.make_tag("2026.1", _digest()))
