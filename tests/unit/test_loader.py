"""YAML loader: positions, and a clear `SiteError` (never a hang, never a traceback) for any bad input."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from lokictl import loader
from lokictl.errors import SiteError
from lokictl.loader import MAX_DEPTH, MAX_NODES, format_path, load, loads


def _error(text: str | bytes) -> str:
    with pytest.raises(SiteError) as exc:
        loads(text, "site.yml")
    return exc.value.render()


def _billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_positions_of_keys_and_values() -> None:
    doc = loads("site:\n  name: lab1\nhosts:\n  - {name: a, address: 10.0.0.1}\n", "site.yml")
    assert doc.data == {"site": {"name": "lab1"}, "hosts": [{"name": "a", "address": "10.0.0.1"}]}
    assert doc.positions.of_value(("site", "name")) == (2, 9)
    assert doc.positions.of_key(("site", "name")) == (2, 3)
    assert doc.positions.of_value(("hosts", 0, "address")) == (4, 24)
    assert doc.positions.of_key(("hosts", 0, "address")) == (4, 15)
    # unknown paths fall back to the nearest ancestor
    assert doc.positions.of_value(("hosts", 0, "roles", 3)) == (4, 5)
    assert doc.positions.of_value(("nothing",)) == (1, 1)


def test_format_path() -> None:
    assert format_path(("hosts", 2, "address")) == "hosts[2].address"
    assert format_path(("openstack", "services", 0)) == "openstack.services[0]"
    assert format_path(()) == ""
    assert format_path((0, "a")) == "[0].a"


def test_scalars_keep_yaml_types() -> None:
    doc = loads("a: 1\nb: 2026.1\nc: '2026.1'\nd: true\ne: ~\nf: 10.0.0.1\n")
    assert doc.data == {"a": 1, "b": 2026.1, "c": "2026.1", "d": True, "e": None, "f": "10.0.0.1"}


def test_merge_keys() -> None:
    doc = loads("base: &b {mtu: 9000, vlan: 5}\nnet: {<<: *b, vlan: 7}\nnet2: {<<: [*b], cidr: x}\n")
    assert doc.data["net"] == {"mtu": 9000, "vlan": 7}
    assert doc.data["net2"] == {"mtu": 9000, "vlan": 5, "cidr": "x"}


def test_aliases_are_expanded() -> None:
    doc = loads("ntp: &n [a, b]\nother: *n\n")
    assert doc.data == {"ntp": ["a", "b"], "other": ["a", "b"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "site.yml:1:1: file is empty (expected a site definition)"),
        ("   \n\n", "site.yml:1:1: file is empty (expected a site definition)"),
        ("# just a comment\n# and another\n", "site.yml:1:1: file is empty (expected a site definition)"),
        ("a: [1, 2\n", "site.yml:2:1: invalid YAML: did not find expected ',' or ']'"),
        ("a: b: c\n", "site.yml:1:5: invalid YAML: mapping values are not allowed in this context"),
        ("a:\n\tb: 1\n", "site.yml:2:1: invalid YAML: found character that cannot start any token"),
        ("a: 'x\n", "site.yml:2:1: invalid YAML: found unexpected end of stream"),
        ("a: 1\n---\nb: 2\n", "site.yml:2:1: invalid YAML: but found another document"),
        ("a: *nope\n", "site.yml:1:4: invalid YAML: found undefined alias"),
        ("a: 1\nb: 2\na: 3\n", "site.yml:3:1: a: duplicate key 'a' (first defined on line 1)"),
        ("s:\n  x: 1\n  x: 2\n", "site.yml:3:3: s.x: duplicate key 'x' (first defined on line 2)"),
        ("? [a]\n: 1\n", "site.yml:1:3: mapping keys must be plain strings"),
        ("a: {<<: 5}\n", "site.yml:1:9: a: a merge key (<<) must refer to a mapping"),
        (
            "a: !!python/object:os.system x\n",
            "site.yml:1:4: a: invalid value: could not determine a constructor "
            "for the tag 'tag:yaml.org,2002:python/object:os.system'",
        ),
        (
            "a: !custom x\n",
            "site.yml:1:4: a: invalid value: could not determine a constructor for the tag '!custom'",
        ),
        ("a: !!int abc\n", "site.yml:1:4: a: invalid int value 'abc'"),
        ("a: !!float abc\n", "site.yml:1:4: a: invalid float value 'abc'"),
        ("a: !!bool maybe\n", "site.yml:1:4: a: invalid bool value 'maybe'"),
        ("a: !!timestamp soon\n", "site.yml:1:4: a: invalid timestamp value 'soon'"),
        (
            "a: " + "9" * 5000 + "\n",
            "site.yml:1:4: a: invalid int value '9999999999999999999999999999999999999...'",
        ),
        ("a: b\x01c\n", "site.yml:1:5: invalid YAML: control characters are not allowed (character #x0001)"),
        (
            "x: 1\nname: lab\x071\n",
            "site.yml:2:10: invalid YAML: control characters are not allowed (character #x0007)",
        ),
    ],
)
def test_bad_yaml_gives_one_positioned_error(text: str, message: str) -> None:
    assert _error(text) == message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"a: \xff\xfe\n", "site.yml:1:4: file is not valid UTF-8 (byte 0xff)"),
        (b"a: 1\nb: caf\xe9\n", "site.yml:2:7: file is not valid UTF-8 (byte 0xe9)"),
        (b"a: b\x00c\n", "site.yml:1:1: file contains a NUL character (binary file?)"),
        (b"a: 1\n\x00\x00\x00", "site.yml:2:1: file contains a NUL character (binary file?)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "site.yml:1:1: file is not valid UTF-8 (byte 0x89)"),
        (b"\xff\xfea\x00:\x00", "site.yml:1:1: file is not valid UTF-8 (byte 0xff)"),
    ],
)
def test_bad_bytes(raw: bytes, message: str) -> None:
    assert _error(raw) == message


def test_utf8_bom_is_accepted() -> None:
    assert loads(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}


def test_non_ascii_text_is_accepted() -> None:
    assert loads("name: Zürich ✓\n".encode()).data == {"name": "Zürich ✓"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n", None),
        ("hello\n", None),
        ("42\n", None),
    ],
)
def test_top_level_non_mapping_loads(text: str, message: str | None) -> None:
    """The loader accepts any document; `site.validate` rejects non-mappings (tested in test_site.py)."""
    assert loads(text).data is not None


def test_billion_laughs_is_stopped_fast() -> None:
    text = _billion_laughs()
    assert MAX_NODES < 10**9
    assert _error(text) == (
        f"site.yml:7:5: document expands to more than {MAX_NODES} values (YAML alias bomb?)"
    )


def test_moderate_aliases_are_fine() -> None:
    doc = loads(_billion_laughs(levels=3))
    assert len(doc.data["a2"]) == 10 and len(doc.data["a2"][0]) == 10


def test_billion_laughs_as_mapping_merges() -> None:
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
    for i in range(1, 10):
        refs = ", ".join(f"k{j}: *m{i - 1}" for j in range(10))
        lines.append(f"m{i}: &m{i} {{{refs}}}")
    message = _error("\n".join(lines) + "\n")
    assert message.endswith(f"document expands to more than {MAX_NODES} values (YAML alias bomb?)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, *x]\n", "site.yml:1:4: recursive YAML alias (an anchor refers to itself)"),
        ("a: &x {b: *x}\n", "site.yml:1:4: recursive YAML alias (an anchor refers to itself)"),
        ("a: &x {b: [c, {d: *x}]}\n", "site.yml:1:4: recursive YAML alias (an anchor refers to itself)"),
        ("&x [*x]\n", "site.yml:1:1: recursive YAML alias (an anchor refers to itself)"),
    ],
)
def test_recursive_alias(text: str, message: str) -> None:
    assert _error(text) == message


def test_deep_flow_nesting() -> None:
    assert _error("[" * 5000 + "]" * 5000) == "site.yml:1:1001: invalid YAML: exceeded maximum nesting depth"


def test_deep_block_nesting() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(200))
    assert (
        _error(text)
        == f"site.yml:{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}: nesting deeper than {MAX_DEPTH} levels"
    )


def test_nesting_at_the_limit_is_accepted() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(text).data is not None


def test_deep_nesting_through_alias_chains() -> None:
    """Each anchor nests the previous one 50 levels deeper: shallow in the text, 2000 levels expanded."""
    lines = [f"a{i}: &a{i} " + "[" * 50 + (f"*a{i - 1}" if i else "x") + "]" * 50 for i in range(40)]
    assert _error("\n".join(lines) + "\n") == f"site.yml:1:5: nesting deeper than {MAX_DEPTH} levels"


def _run_with_timeout(fn: Any, seconds: float) -> Any:
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "loader did not finish (hang)"
    return result


def test_pathological_inputs_finish() -> None:
    """No input makes the loader hang: each of these finishes well within a generous bound."""
    inputs = [_billion_laughs(levels=12), "[" * 100_000, "{a: " * 50_000, "a: &x [*x]\n" * 1000]
    for text in inputs:
        result = _run_with_timeout(lambda t=text: loads(t, "site.yml"), 60)
        assert isinstance(result.get("error"), SiteError), result


def test_load_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "site.yml"
    path.write_text("a: 1\n")
    doc = load(path)
    assert doc.file == str(path) and doc.data == {"a": 1}


def test_load_missing_unreadable_directory(tmp_path: Path) -> None:
    with pytest.raises(SiteError) as exc:
        load(tmp_path / "nope.yml")
    assert exc.value.render() == f"{tmp_path / 'nope.yml'}:0:0: file not found"
    with pytest.raises(SiteError) as exc:
        load(tmp_path)
    assert exc.value.render() == f"{tmp_path}:0:0: is a directory, not a site file"
    with pytest.raises(SiteError) as exc:
        load(tmp_path / "f.yml" / "below-a-file")
    assert exc.value.render().startswith(f"{tmp_path / 'f.yml' / 'below-a-file'}:0:0: file not found")


def test_load_limits_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.yml"
    path.write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(SiteError) as exc:
        load(path)
    assert exc.value.render() == f"{path}:0:0: file is larger than 100 bytes"


def test_load_of_an_endless_device_stops() -> None:
    """stat() reports size 0 for devices and pipes: reading must still stop at the size limit."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")  # pragma: no cover
    result = _run_with_timeout(lambda: load("/dev/zero"), 60)
    assert isinstance(result.get("error"), SiteError)
    assert result["error"].render() == f"/dev/zero:0:0: file is larger than {loader.MAX_FILE_BYTES} bytes"


def test_pure_python_loader_gives_the_same_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml, PyYAML's Python composer is used: errors stay SiteErrors with positions."""
    import yaml

    monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    assert _error("a: 1\nb: 2\na: 3\n") == "site.yml:3:1: a: duplicate key 'a' (first defined on line 1)"
    assert _error("a: [1, 2\n").startswith("site.yml:2:1: invalid YAML: ")
    assert (
        _error("a: b\x01c\n")
        == "site.yml:1:5: invalid YAML: special characters are not allowed (character #x0001)"
    )
    assert _error("[" * 5000 + "]" * 5000).endswith(f"nesting deeper than {MAX_DEPTH} levels")
    assert _error("a: &x [*x]\n") == "site.yml:1:4: recursive YAML alias (an anchor refers to itself)"
