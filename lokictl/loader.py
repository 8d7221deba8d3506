"""Load a YAML site file into plain data plus the source position of every key and value.

PyYAML's composer (libyaml when available) builds the node graph; we construct plain Python data from it
ourselves so that we can record positions, reject duplicate keys and stop alias bombs and recursive aliases
before they expand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lokictl.errors import SiteError, SiteIssue

PathKey = tuple[str | int, ...]

#: Largest site file we read (bytes). A 1000-host site is about 200 KiB.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Largest number of values after alias expansion.
MAX_NODES = 2_000_000
#: Deepest nesting accepted.
MAX_DEPTH = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Positions:
    """Source positions (1-based line and column) of values and mapping keys, by field path."""

    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: PathKey) -> tuple[int, int]:
        """Return the position of the value at ``path``, or of its nearest known ancestor."""
        for n in range(len(path), -1, -1):
            pos = self.values.get(path[:n])
            if pos is not None:
                return pos
        return (1, 1)

    def of_key(self, path: PathKey) -> tuple[int, int]:
        """Return the position of the key naming ``path`` (falling back to its value)."""
        return self.keys.get(path) or self.of_value(path)


@dataclass
class Document:
    """A loaded YAML document."""

    file: str
    data: Any
    positions: Positions


def format_path(path: Iterable[str | int]) -> str:
    """Format a field path as ``hosts[2].address``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions = Positions()
        self.issues: list[SiteIssue] = []
        self._sizes: dict[int, tuple[int, int]] = {}
        self._scalars = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, path: PathKey, message: str) -> SiteError:
        line, col = _mark(node)
        return SiteError([SiteIssue(self.file, line, col, format_path(path), message)])

    def size(self, node: yaml.Node, path: PathKey, active: set[int], depth: int = 0) -> int:
        """Count values after alias expansion, memoised per node; detect cycles and excessive depth.

        Depth counts through aliases too: a chain of anchors each nesting the previous one is as deep as its
        expansion.
        """
        return self._measure(node, path, active, depth)[0]

    def _measure(self, node: yaml.Node, path: PathKey, active: set[int], depth: int) -> tuple[int, int]:
        """Return (values after expansion, nesting height below the node)."""
        key = id(node)
        if key in self._sizes:
            total, height = self._sizes[key]
            if depth + height > MAX_DEPTH:
                raise self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
            return total, height
        if key in active:
            raise self.fail(node, path, "recursive YAML alias (an anchor refers to itself)")
        if depth > MAX_DEPTH:
            raise self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
        total, height = 1, 0
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            active.add(key)
            children: list[yaml.Node] = (
                list(node.value)
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            for child in children:
                child_total, child_height = self._measure(child, path, active, depth + 1)
                total += child_total
                height = max(height, child_height + 1)
                if total > MAX_NODES:
                    raise self.fail(
                        node, path, f"document expands to more than {MAX_NODES} values (YAML alias bomb?)"
                    )
            active.discard(key)
        self._sizes[key] = (total, height)
        return total, height

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.positions.values[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            try:
                return self._scalars.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise self.fail(node, path, f"invalid value: {exc.problem}") from None
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                # PyYAML's scalar constructors raise these for e.g. `!!int abc`, `!!bool maybe`,
                # `!!timestamp soon` or an integer with more digits than Python converts.
                kind = str(node.tag).rsplit(":", 1)[-1]
                text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
                raise self.fail(node, path, f"invalid {kind} value {text!r}") from None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        raise self.fail(node, path, "unsupported YAML node")  # pragma: no cover - composer emits only these

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise self.fail(src, path, "a merge key (<<) must refer to a mapping")
                    merged.append(src)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, path, "mapping keys must be plain strings")
            key = str(key_node.value)
            if key in result:
                line, _ = self.positions.keys[(*path, key)]
                raise self.fail(
                    key_node, (*path, key), f"duplicate key '{key}' (first defined on line {line})"
                )
            self.positions.keys[(*path, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key))
        for src in merged:
            for key, value in self._mapping(src, path).items():
                result.setdefault(key, value)
        return result


def _decode(raw: bytes, file: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SiteError(
            [SiteIssue(file, line, col, "", f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SiteError([SiteIssue(file, line, 1, "", "file contains a NUL character (binary file?)")])
    return text


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``offset`` in ``text`` ((0, 0) for a negative offset)."""
    if offset < 0:
        return (0, 0)
    return (text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def loads(text: str | bytes, file: str = "<string>") -> Document:
    """Parse YAML text into a `Document`.

    Raises:
        SiteError: for malformed YAML, empty documents, duplicate keys, alias bombs and recursive aliases.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise SiteError([SiteIssue(file, 0, 0, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
        text = _decode(text, file)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:
        # libyaml reports a byte offset, PyYAML a character offset: locate the character itself.
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        line, col = _line_col(text, text.find(char))
        problem = f"invalid YAML: {exc.reason} (character #x{ord(char):04x})"
        raise SiteError([SiteIssue(file, line, col, "", problem)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "malformed YAML"
        raise SiteError([SiteIssue(file, line, col, "", f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SiteError([SiteIssue(file, 0, 0, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise SiteError([SiteIssue(file, 0, 0, "", f"nesting deeper than {MAX_DEPTH} levels")]) from None
    if root is None:
        raise SiteError([SiteIssue(file, 1, 1, "", "file is empty (expected a site definition)")])
    builder = _Builder(file)
    builder.size(root, (), set())
    data = builder.build(root, ())
    return Document(file=file, data=data, positions=builder.positions)


def load(path: str | Path) -> Document:
    """Read and parse a YAML file.

    Raises:
        SiteError: the file is missing, unreadable or not valid YAML.
    """
    name = str(path)
    try:
        # Read at most one byte past the limit: the size in stat() is 0 for pipes and devices (/dev/zero).
        with Path(path).open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SiteError([SiteIssue(name, 0, 0, "", "file not found")]) from None
    except IsADirectoryError:
        raise SiteError([SiteIssue(name, 0, 0, "", "is a directory, not a site file")]) from None
    except OSError as exc:
        raise SiteError([SiteIssue(name, 0, 0, "", f"cannot read file: {exc.strerror}")]) from None
    return loads(raw, name)
