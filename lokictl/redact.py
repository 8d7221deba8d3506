"""Keep secrets out of run records: replace every value of a secrets file with a marker.

kolla-ansible prints some of its passwords in task arguments and results (not every task is ``no_log``);
`Redactor` removes every value of ``kolla/passwords.yml`` from what `lokictl.runner` writes to a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from lokictl.errors import RuntimeFailure

MARK = "********"
MIN_LENGTH = 6
"""Values shorter than this are not secrets worth hiding (and would mangle ordinary text)."""


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
        # Multi-line secrets (private keys) may appear line by line in a log.
        if "\n" in value:
            yield from (line.strip() for line in value.splitlines())
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class Redactor:
    """Replace known secret values in text and in nested data."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Remember the secrets to hide (short ones are ignored, longest replaced first)."""
        unique = {s for s in secrets if len(s) >= MIN_LENGTH}
        self.secrets: tuple[str, ...] = tuple(sorted(unique, key=len, reverse=True))

    @classmethod
    def from_yaml(cls, path: Path) -> Redactor:
        """Return a redactor for every string value of a YAML secrets file (e.g. kolla/passwords.yml).

        Raises:
            RuntimeFailure: the file cannot be read or parsed.
        """
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RuntimeFailure(f"cannot read the secrets in {path}: {type(exc).__name__}") from None
        return cls(_strings(data or {}))

    def text(self, value: str) -> str:
        """Return ``value`` with every secret replaced by `MARK`."""
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MARK)
        return value

    def data(self, value: Any) -> Any:
        """Return a copy of JSON-like data with every secret in its strings (keys included) replaced."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.data(k) if isinstance(k, str) else k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def __call__(self, value: str) -> str:
        """Same as `text`."""
        return self.text(value)
