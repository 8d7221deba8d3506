"""Error types: every failure a user can cause or meet is a `LokiError`.

The CLI has one error boundary that turns these into a one-line message (or a short block for several site
errors) and an exit code: 2 for invalid input, 1 for runtime failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_INPUT = 2


class LokiError(Exception):
    """Base of all errors lokictl reports to users."""

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self) -> str:
        """Return the message shown to the user."""
        return self.message


class RuntimeFailure(LokiError):
    """Something went wrong while doing the work (exit 1)."""


class InputError(LokiError):
    """The user's input (arguments, files) is invalid (exit 2)."""

    exit_code = EXIT_INPUT


@dataclass(frozen=True, order=True)
class SiteIssue:
    """One problem found in a site file, with its position.

    Attributes:
        file: path of the site file as the user named it.
        line: 1-based line (0 when unknown).
        column: 1-based column (0 when unknown).
        field: dotted field path such as ``hosts[2].address`` (empty for the whole file).
        message: what is wrong, in one sentence.
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return _printable(text)


def _printable(text: str) -> str:
    """Escape control characters (a key or value read from the file may hold newlines or terminal escapes)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class SiteError(InputError):
    """A site file is invalid; carries every issue found in one run."""

    def __init__(self, issues: Sequence[SiteIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.line, i.column, i.field, i.message))
        lines = [str(i) for i in self.issues]
        super().__init__("\n".join(lines))

    def render(self) -> str:
        """Return all issues, one per line, and a count when there are several."""
        if len(self.issues) == 1:
            return self.message
        return f"{self.message}\n{len(self.issues)} errors in {self.issues[0].file}"
