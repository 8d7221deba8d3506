"""Load and validate a site file: YAML -> schema -> semantic rules, with positions on every error."""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lokictl import rules
from lokictl.errors import SiteError, SiteIssue
from lokictl.loader import Document, PathKey, format_path, load, loads
from lokictl.model import SiteModel

DEFAULT_SITE_FILE = "site.yml"


@dataclass(frozen=True)
class Site:
    """A validated site and where it came from."""

    model: SiteModel
    path: Path
    document: Document

    @property
    def directory(self) -> Path:
        """Return the directory holding the site file (relative paths in the site are resolved here)."""
        return self.path.resolve().parent


def load_site(path: str | Path) -> Site:
    """Load, validate and semantically check a site file.

    Raises:
        SiteError: with every issue found, each with file, line, column and field.
    """
    doc = load(path)
    return Site(model=validate(doc), path=Path(path), document=doc)


def load_site_text(text: str, file: str = "site.yml") -> Site:
    """Validate a site given as text (used by tests and `init`)."""
    doc = loads(text, file)
    return Site(model=validate(doc), path=Path(file), document=doc)


def validate(doc: Document) -> SiteModel:
    """Validate a loaded document against the schema and the semantic rules.

    Raises:
        SiteError: listing every problem.
    """
    if not isinstance(doc.data, dict):
        raise SiteError([_issue(doc, (), f"expected a mapping of sections, got {_kind(doc.data)}")])
    try:
        model = SiteModel.model_validate(doc.data)
    except ValidationError as exc:
        raise SiteError([_from_pydantic(doc, err) for err in exc.errors()]) from None
    problems = rules.check(model)
    if problems:
        raise SiteError([_issue(doc, path, msg) for path, msg in problems])
    return model


def _issue(doc: Document, path: PathKey, message: str, *, key: bool = False) -> SiteIssue:
    line, col = doc.positions.of_key(path) if key else doc.positions.of_value(path)
    return SiteIssue(doc.file, line, col, format_path(path), message)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _from_pydantic(doc: Document, err: ErrorDetails) -> SiteIssue:
    path: PathKey = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        name = str(path[-1])
        known = _fields_at(path[:-1])
        return _issue(doc, path, f"unknown field '{name}'{rules.did_you_mean(name, known)}", key=True)
    if kind == "missing":
        return _issue(doc, path, "required field is missing")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        hint = rules.did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return _issue(doc, path, f"'{value}' is not one of: {', '.join(choices)}{hint}")
    if kind == "ip_any_network" and isinstance(value, str):
        try:
            fixed = ipaddress.ip_network(value, strict=False)
            return _issue(doc, path, f"{value} has host bits set (did you mean {fixed}?)")
        except ValueError:
            pass
    message = err["msg"]
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        message += f'; got the number {value} (quote it: "{value}")'
    elif kind in {"model_type", "list_type", "dict_type"}:
        message += f", got {_kind(value)}"
    elif not isinstance(value, dict | list) and value is not None:
        message += f", got {value!r}"
    return _issue(doc, path, message)


def _fields_at(path: PathKey) -> list[str]:
    """Return the field names of the model found at ``path`` (for "did you mean" hints)."""
    tp: Any = SiteModel
    for part in path:
        tp = _unwrap(tp)
        if isinstance(part, int):
            args = typing.get_args(tp)
            tp = args[0] if args else Any
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part)
            tp = field.annotation if field else Any
        else:
            return []
    tp = _unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] from a type."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp
