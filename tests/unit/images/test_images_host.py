"""The build host's pip settings and CA bundle as image builds use them; credentials are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from lokictl.errors import InputError
from lokictl.images import host

PIP_LIST = """\
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.find-links='/srv/wheels'
global.cert='/other/ca.crt'
global.extra-index-url='file:///srv/pypi/simple https://mirror.example/simple'
global.index-url='https://pypi.example/simple'
global.trusted-host='pypi.example'
install.retries='7'
"""


def test_pip_config_is_merged_with_environment_first() -> None:
    merged = host.parse_pip_config(PIP_LIST)
    assert merged == {
        "cert": "/etc/ssl/certs/ca-certificates.crt",
        "timeout": "180",
        "find-links": "/srv/wheels",
        "extra-index-url": "file:///srv/pypi/simple https://mirror.example/simple",
        "index-url": "https://pypi.example/simple",
        "trusted-host": "pypi.example",
        "retries": "7",
    }


def test_pip_settings_keep_remote_locations_and_note_host_local_ones(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("CA")
    merged = host.parse_pip_config(PIP_LIST) | {"cert": str(ca)}
    settings = host.pip_settings_from(merged, {})
    assert settings.index_url == "https://pypi.example/simple"
    assert settings.extra_index_urls == ("https://mirror.example/simple",)
    assert settings.find_links == ()
    assert settings.cert == ca
    assert len(settings.ignored) == 2
    assert any("/srv/wheels" in note for note in settings.ignored)
    conf = settings.pip_conf("/etc/lokictl/build-ca.crt")
    assert "cert = /etc/lokictl/build-ca.crt" in conf and "file://" not in conf and "/srv/wheels" not in conf
    assert "timeout = 180" in conf and "retries = 7" in conf


def test_ca_bundle_falls_back_to_the_tls_environment(tmp_path: Path) -> None:
    ca = tmp_path / "bundle.pem"
    ca.write_text("CA")
    assert host.pip_settings_from({}, {"REQUESTS_CA_BUNDLE": str(ca)}).cert == ca
    assert host.pip_settings_from({}, {"SSL_CERT_FILE": str(ca)}).cert == ca
    assert host.pip_settings_from({}, {}).cert is None
    with pytest.raises(InputError, match="does not exist"):
        host.pip_settings_from({"cert": str(tmp_path / "missing.pem")}, {})


@pytest.mark.parametrize("key", ["index-url", "extra-index-url", "find-links"])
def test_credentials_in_pip_urls_are_refused_and_never_echoed(key: str) -> None:
    with pytest.raises(InputError, match="carries credentials") as err:
        host.pip_settings_from({key: "https://user:s3cret@pypi.example/simple"}, {})
    assert "s3cret" not in err.value.message and "user" not in err.value.message


def test_proxy_credentials_are_refused() -> None:
    host.check_proxy_env({"https_proxy": "http://proxy.example:3128"})
    with pytest.raises(InputError, match="HTTPS_PROXY carries credentials"):
        host.check_proxy_env({"HTTPS_PROXY": "http://u:p@proxy.example:3128"})


def test_host_pip_settings_runs_pip(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("CA")
    env = {
        "PATH": "/usr/bin:/bin",
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_CERT": str(ca),
        "HOME": str(tmp_path),
    }
    settings = host.host_pip_settings(env=env)
    assert settings.cert == ca
