"""The certificate scope ("SCS-compatible IaaS"): test case ids, descriptions and levels; `Finding`."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

DATA = "data/scs"
#: Version of the "SCS-compatible IaaS" scope whose levels `testcases` reports by default (effective now).
DEFAULT_VERSION = "v5.1"


def load_data(name: str) -> Any:
    """Return a parsed YAML file of the shipped standards data (``lokictl/data/scs/<name>``)."""
    text = importlib.resources.files("lokictl").joinpath(DATA, name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


# --- results and scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """The outcome of one SCS test case.

    Attributes:
        testcase: the official test case id, e.g. ``scs-0103-flavor-1v-4``.
        ok: whether the cloud passes it.
        detail: what failed (or a short note when it passed).
    """

    testcase: str
    ok: bool
    detail: str = ""

    @property
    def standard(self) -> str:
        """Return the standard the test case belongs to, e.g. ``scs-0103``."""
        return "-".join(self.testcase.split("-")[:2])


@dataclass(frozen=True)
class TestCase:
    """A test case of the certificate scope."""

    id: str
    description: str
    level: str  # "mandatory", "recommended" or "" (not part of the version)


@cache
def testcases(version: str = DEFAULT_VERSION) -> dict[str, TestCase]:
    """Return every test case of the IaaS scope with its level in ``version``.

    A test case is mandatory when a ``main`` target of a module the version includes lists it, recommended
    when the module's ``-rec`` companion lists it as ``recommended``.

    Raises:
        KeyError: the scope has no such version.
    """
    scope = load_data("scs-compatible-iaas.yaml")
    versions = {v["version"]: v for v in scope["versions"]}
    included = {inc if isinstance(inc, str) else inc["ref"] for inc in versions[version]["include"]}
    level: dict[str, str] = {}
    for module in scope["modules"]:
        base = module["id"].removesuffix("-rec")
        if base not in included:
            continue
        for target, ids in (module.get("targets") or {}).items():
            for tc in ids:
                if target == "main":
                    level[tc] = "mandatory"
                elif target == "recommended":
                    level.setdefault(tc, "recommended")
    out: dict[str, TestCase] = {}
    for script in scope["scripts"]:
        for tc in script.get("testcases") or []:
            out[tc["id"]] = TestCase(
                tc["id"], " ".join(str(tc.get("description", "")).split()), level.get(tc["id"], "")
            )
    return out


def names_detail(what: str, names: list[str]) -> str:
    """Return ``what: a, b`` for a finding's detail, or an empty string when nothing is named."""
    return f"{what}: {', '.join(names)}" if names else ""
