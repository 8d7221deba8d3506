"""Pure lab planning: names, labels, docker run/network arguments, capabilities."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import EXAMPLES

from lokictl.errors import InputError
from lokictl.lab import LABEL_HOST, LABEL_LAB
from lokictl.lab.plan import (
    DOCKER_CAPABILITIES,
    LabPlan,
    bounding_set,
    capability_args,
    check_lab_name,
    config_label,
    config_of,
    label_filter,
    make_plan,
    network_create_args,
    run_args,
    volume_create_args,
)
from lokictl.site import load_site

ALL_CAPS = (1 << 41) - 1


@pytest.fixture
def multinode() -> LabPlan:
    return make_plan("ml", load_site(EXAMPLES / "multinode.yml").model, "lokictl/host:bookworm")


def _pairs(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]


def test_plan_has_one_host_per_site_host_on_the_management_network(multinode: LabPlan) -> None:
    assert [h.name for h in multinode.hosts] == ["ctl1", "ctl2", "ctl3", "cmp1", "cmp2"]
    assert [h.address for h in multinode.hosts] == [f"10.10.0.{n}" for n in (11, 12, 13, 21, 22)]
    assert multinode.network.name == "lokictl-ml"
    assert (multinode.network.subnet, multinode.network.gateway, multinode.network.mtu) == (
        "10.10.0.0/24",
        "10.10.0.1",
        1500,
    )
    ctl1 = multinode.hosts[0]
    assert ctl1.container == "lokictl-ml-ctl1"
    assert dict((path, vol) for vol, path in ctl1.volumes)["/var/lib/docker"] == "lokictl-ml-ctl1-docker"


def test_run_args_make_a_systemd_host_that_can_run_docker(multinode: LabPlan) -> None:
    host = multinode.hosts[1]
    args = run_args(multinode, host, capability_args(ALL_CAPS))
    assert args[:2] == ["run", "--detach"]
    assert args[-2:] == ["lokictl/host:bookworm", "/lib/systemd/systemd"]
    assert "--privileged" not in args
    assert _pairs(args, "--hostname") == ["ctl2"]
    assert _pairs(args, "--ip") == ["10.10.0.12"]
    assert _pairs(args, "--network") == ["lokictl-ml"]
    assert _pairs(args, "--network-alias") == ["ctl2"]
    assert _pairs(args, "--label") == [f"{LABEL_LAB}=ml", f"{LABEL_HOST}=ctl2"]
    assert _pairs(args, "--security-opt") == ["seccomp=unconfined"]
    assert _pairs(args, "--stop-signal") == ["SIGRTMIN+3"]
    assert _pairs(args, "--cgroupns") == ["host"]
    assert "/sys/fs/cgroup:/sys/fs/cgroup:rw" in _pairs(args, "--volume")
    assert "lokictl-ml-ctl2-docker:/var/lib/docker" in _pairs(args, "--volume")
    assert [t.split(":")[0] for t in _pairs(args, "--tmpfs")] == ["/run", "/run/lock", "/tmp"]
    assert _pairs(args, "--cap-add") == ["ALL"]
    assert _pairs(args, "--cap-drop") == ["SYS_RESOURCE"]


def test_capabilities_missing_from_the_bounding_set_are_dropped() -> None:
    sys_admin = DOCKER_CAPABILITIES.index("SYS_ADMIN")
    args = capability_args(ALL_CAPS & ~(1 << sys_admin))
    assert _pairs(args, "--cap-drop") == ["SYS_ADMIN", "SYS_RESOURCE"]
    # Capabilities newer than Docker 20.10 (bits 38+) never appear: older engines reject their names.
    assert capability_args(ALL_CAPS) == capability_args((1 << 38) - 1)


def test_bounding_set_is_read_from_proc_status(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapBnd:\t000001fffeffffff\n")
    assert bounding_set(status) == 0x1FFFEFFFFFF
    assert _pairs(capability_args(bounding_set(status)), "--cap-drop") == ["SYS_RESOURCE"]
    assert bounding_set(tmp_path / "missing") == (1 << len(DOCKER_CAPABILITIES)) - 1


def test_config_label_changes_only_with_the_configuration(multinode: LabPlan) -> None:
    caps = capability_args(ALL_CAPS)
    a = config_label(run_args(multinode, multinode.hosts[0], caps))
    again = config_label(run_args(multinode, multinode.hosts[0], caps))
    other = config_label(run_args(multinode, multinode.hosts[1], caps))
    assert config_of(a) == config_of(again) != ""
    assert config_of(a) != config_of(other)
    assert a[-2:] == ["lokictl/host:bookworm", "/lib/systemd/systemd"]
    assert config_of(["run", "image"]) == ""


def test_objects_are_selected_by_label_never_by_name() -> None:
    assert label_filter("ml") == ["--filter", f"label={LABEL_LAB}=ml"]


def test_network_and_volume_arguments_carry_the_lab_label(multinode: LabPlan) -> None:
    args = network_create_args(multinode)
    assert args[:2] == ["network", "create"]
    assert _pairs(args, "--subnet") == ["10.10.0.0/24"]
    assert _pairs(args, "--gateway") == ["10.10.0.1"]
    assert _pairs(args, "--label") == [f"{LABEL_LAB}=ml"]
    assert "--opt" not in args
    assert args[-1] == "lokictl-ml"
    vol = volume_create_args(multinode, multinode.hosts[0], "v1")
    assert vol == ["volume", "create", "--label", f"{LABEL_LAB}=ml", "--label", f"{LABEL_HOST}=ctl1", "v1"]


@pytest.mark.parametrize("name", ["aio", "lab-1", "a" * 32])
def test_valid_lab_names(name: str) -> None:
    assert check_lab_name(name) == name


@pytest.mark.parametrize("name", ["", "Lab", "-x", "x-", "a_b", "a" * 33, "../x"])
def test_invalid_lab_names(name: str) -> None:
    with pytest.raises(InputError, match="invalid lab name"):
        check_lab_name(name)
