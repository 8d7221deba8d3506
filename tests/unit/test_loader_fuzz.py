"""Fuzzing `lokictl.loader.loads` + `lokictl.site.validate`: whatever the input, only `SiteError` escapes, and
every issue is one line naming the file."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXAMPLES, SITES

from lokictl.errors import SiteError
from lokictl.loader import loads
from lokictl.site import validate

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEEDS = [
    (EXAMPLES / "aio.yml").read_text(encoding="utf-8"),
    (EXAMPLES / "multinode.yml").read_text(encoding="utf-8"),
    (SITES / "valid_k8s_ha" / "site.yml").read_text(encoding="utf-8"),
    (SITES / "valid_ipv6" / "site.yml").read_text(encoding="utf-8"),
]

#: Fragments that are meaningful to YAML or to the schema.
TOKENS = [
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "&a ",
    "*a",
    "&a [*a]",
    "<<: ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!python/object ",
    "!foo ",
    "'",
    '"',
    "\\",
    "\t",
    "\n",
    "\n  ",
    "~",
    "null",
    "true",
    "0x1F",
    "1e999",
    "9" * 5000,
    ".nan",
    "-.inf",
    "2026.1",
    "10.10.0.300",
    "10.10.0.0/33",
    "::1",
    "fe80::1%eth0",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "? ",
    "|\n",
    ">-\n",
    "\u00a0",
    "\u2028",
    "\ufeff",
    "\x85",
    "\x07",
    "é",
    "name: x\n",
    "roles: [control]\n",
    "services: [nova]\n",
    "hosts: []\n",
]


def _check(text: str | bytes) -> None:
    try:
        validate(loads(text, "site.yml"))
    except SiteError as exc:
        assert exc.issues
        for issue in exc.issues:
            line = str(issue)
            assert line.startswith("site.yml:"), line
            assert "\n" not in line, line
            assert issue.line >= 0 and issue.column >= 0


@FUZZ
@given(st.text(max_size=2000))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(raw)


@st.composite
def mutated_site(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "dup_line", "drop_line", "indent"]))
        if action == "insert":
            text = text[:pos] + draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8))) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)) :]
        elif action == "replace":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos + draw(st.integers(1, 10)) :]
        else:
            lines = text.splitlines(keepends=True)
            if not lines:
                continue
            i = draw(st.integers(0, len(lines) - 1))
            if action == "dup_line":
                lines.insert(i, lines[i])
            elif action == "drop_line":
                del lines[i]
            else:
                lines[i] = draw(st.sampled_from(["  ", " ", "\t", "    "])) + lines[i]
            text = "".join(lines)
    return text


@FUZZ
@given(mutated_site())
def test_mutated_site_files(text: str) -> None:
    _check(text)


@FUZZ
@given(mutated_site(), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_mutated_site_files_as_bytes(text: str, encoding: str) -> None:
    _check(text.encode(encoding, errors="replace"))


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "10.10.0.5",
            "10.10.0.0/24",
            "2001:db8::1",
            "2001:db8::/64",
            "0.0.0.0/0",
            "control",
            "compute",
            "keystone",
            "nova",
            "2026.1",
            "1.34.2",
            "Etc/UTC",
            "",
            "eth0",
            "a" * 300,
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def structurally_mutated_site(draw: st.DrawFn) -> str:
    """A valid site with a few values replaced by arbitrary YAML data, dumped back to text."""
    data = copy.deepcopy(yaml.safe_load(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(VALUES)
    return yaml.safe_dump(data, allow_unicode=True)


@FUZZ
@given(structurally_mutated_site())
def test_structurally_mutated_sites(text: str) -> None:
    _check(text)
