"""Error types: how site issues print, sort and count."""

from __future__ import annotations

from lokictl.errors import (
    EXIT_INPUT,
    EXIT_RUNTIME,
    InputError,
    LokiError,
    RuntimeFailure,
    SiteError,
    SiteIssue,
)


def test_exit_codes() -> None:
    assert LokiError("x").exit_code == EXIT_RUNTIME == 1
    assert RuntimeFailure("x").exit_code == 1
    assert InputError("x").exit_code == EXIT_INPUT == 2
    assert SiteError([SiteIssue("f", 1, 1, "", "m")]).exit_code == 2


def test_issue_format() -> None:
    assert (
        str(SiteIssue("site.yml", 14, 14, "hosts[2].address", "bad"))
        == "site.yml:14:14: hosts[2].address: bad"
    )
    assert str(SiteIssue("site.yml", 1, 1, "", "file is empty")) == "site.yml:1:1: file is empty"


def test_issue_escapes_control_characters() -> None:
    """Keys and values come from the file: a newline or terminal escape must not break the one-line format."""
    issue = SiteIssue("site.yml", 2, 5, "hosts[0].\n", "unknown field '\n' \x1b[31m\tx")
    assert str(issue) == "site.yml:2:5: hosts[0].\\n: unknown field '\\n' \\x1b[31m\\tx"
    assert (
        str(SiteIssue("s.yml", 1, 1, "site.name", "'Zürich ✓' is fine"))
        == "s.yml:1:1: site.name: 'Zürich ✓' is fine"
    )


def test_site_error_sorts_by_position_and_counts() -> None:
    err = SiteError(
        [
            SiteIssue("s.yml", 9, 1, "b", "second"),
            SiteIssue("s.yml", 2, 7, "a", "first"),
            SiteIssue("s.yml", 9, 1, "a", "also second"),
        ]
    )
    assert err.render() == (
        "s.yml:2:7: a: first\ns.yml:9:1: a: also second\ns.yml:9:1: b: second\n3 errors in s.yml"
    )
    assert err.message == "\n".join(err.render().splitlines()[:3])


def test_single_issue_has_no_count() -> None:
    assert SiteError([SiteIssue("s.yml", 1, 2, "f", "m")]).render() == "s.yml:1:2: f: m"
