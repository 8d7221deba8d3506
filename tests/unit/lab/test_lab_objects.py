"""Lab objects are found and removed by label: a recording Docker shows exactly which commands run."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence

from lokictl.lab import LABEL_HOST, LABEL_LAB, objects
from lokictl.lab.docker import Docker


class RecordingDocker(Docker):
    """Answers from a table of canned outputs and records every command."""

    def __init__(self, answers: dict[tuple[str, ...], str]) -> None:
        super().__init__()
        self.answers = answers
        self.calls: list[list[str]] = []

    def check(self) -> None:
        pass

    def run(
        self, args: Sequence[str], *, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        return subprocess.CompletedProcess(list(args), 0, self.answers.get(tuple(args), ""), "")


LAB = f"label={LABEL_LAB}=t1"
INSPECT = json.dumps(
    [
        {
            "Id": "c1",
            "Name": "/lokictl-t1-a",
            "Config": {"Labels": {LABEL_LAB: "t1", LABEL_HOST: "a"}},
            "State": {"Status": "running"},
            "NetworkSettings": {"Networks": {"lokictl-t1": {"IPAddress": "10.1.0.5"}}},
        },
        {
            "Id": "c9",
            "Name": "/other",
            "Config": {"Labels": {LABEL_LAB: "t10"}},
            "State": {"Status": "running"},
        },
    ]
)


def test_remove_all_selects_by_label_only() -> None:
    docker = RecordingDocker(
        {
            ("ps", "--all", "--quiet", "--filter", LAB): "c1\n",
            ("container", "inspect", "c1"): INSPECT,
            ("network", "ls", "--filter", LAB, "--format", "{{.Name}}"): "lokictl-t1\n",
            ("volume", "ls", "--filter", LAB, "--format", "{{.Name}}"): "v1\nv2\n",
        }
    )
    removed = objects.remove_all(docker, "t1")
    assert removed == {"container": ["lokictl-t1-a"], "network": ["lokictl-t1"], "volume": ["v1", "v2"]}
    assert ["rm", "--force", "--volumes", "c1"] in docker.calls
    assert ["network", "rm", "lokictl-t1"] in docker.calls
    assert ["volume", "rm", "v1", "v2"] in docker.calls
    listings = [c for c in docker.calls if c[:2] in (["ps", "--all"], ["network", "ls"], ["volume", "ls"])]
    assert listings and all(LAB in c for c in listings)
    assert not any("name=" in arg for call in docker.calls for arg in call)


def test_containers_ignore_objects_of_other_labs() -> None:
    docker = RecordingDocker(
        {
            ("ps", "--all", "--quiet", "--filter", LAB): "c1\nc9\n",
            ("container", "inspect", "c1", "c9"): INSPECT,
        }
    )
    found = objects.containers(docker, "t1")
    assert [(c.name, c.host, c.state, c.address) for c in found] == [
        ("lokictl-t1-a", "a", "running", "10.1.0.5")
    ]


def test_nothing_to_remove_runs_no_removal() -> None:
    docker = RecordingDocker({})
    assert objects.remove_all(docker, "t1") == {"container": [], "network": [], "volume": []}
    assert not any(c[0] == "rm" or c[1:2] == ["rm"] for c in docker.calls)
