"""``lokictl verify --horizon``: log in to the Horizon dashboard with a real, headless browser.

The system's Chromium (Debian packages ``chromium`` and ``chromium-driver``) is driven through selenium
(the ``dev`` extra): no browser or driver is downloaded. Two visits, each in a fresh browser: the member user
opens the images page and must see the SCS standard images (scs-0104), the admin user opens the flavors page
and must see the SCS standard flavors (scs-0103); sites without the scs profile are checked for the images
and flavors their baseline created. A screenshot of each page is saved in the run record.

The dashboard is found at ``http://<host of the identity endpoint>/`` unless a URL is given: kolla-ansible
serves Horizon on the same address as the APIs.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lokictl import records
from lokictl.errors import InputError, RuntimeFailure

Progress = Callable[[str], None]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--window-size=1400,1000",
)
"""Chromium flags: headless, no sandbox (root in a container), no network calls of its own."""
PAGE_TIMEOUT = 90
"""Seconds a page may take to show every expected name (Horizon's first page load compiles its assets)."""
MAX_PAGES = 10
"""Table pages followed through Horizon's pagination (20 rows each by default)."""
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)


def _quiet(_line: str) -> None:
    """Discard a progress line."""


@dataclass(frozen=True)
class PageCheck:
    """One dashboard page to open as one user, and the names it must show."""

    label: str
    path: str
    cloud: str
    expect: tuple[str, ...]


@dataclass
class PageResult:
    """What a page showed: the expected names missing from it, its screenshot, the time it took."""

    check: PageCheck
    missing: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Return True when the login worked and every expected name showed."""
        return not self.error and not self.missing


@dataclass
class HorizonReport:
    """The pages checked, the dashboard URL and the record directory."""

    url: str
    pages: list[PageResult] = field(default_factory=list)
    record: Path | None = None

    @property
    def ok(self) -> bool:
        """Return True when every page passed."""
        return bool(self.pages) and all(p.ok for p in self.pages)


def dashboard_url(auth_url: str) -> str:
    """Return Horizon's URL for an identity endpoint: the same scheme and host, default port, path ``/``."""
    parts = urlsplit(auth_url)
    if not parts.hostname:
        raise InputError(f"cannot derive the dashboard URL from the identity endpoint {auth_url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme or 'http'}://{host}/"


def find_tool(names: Sequence[str], package: str) -> str:
    """Return the path of the first program found on PATH.

    Raises:
        RuntimeFailure: none is installed.
    """
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeFailure(f"{' or '.join(names)} not found: install the Debian package {package}")


def missing_names(text: str, expect: Sequence[str]) -> list[str]:
    """Return the expected names that do not occur in a page's visible text."""
    return [name for name in expect if name not in text]


def _driver(browser: str, driver: str) -> Any:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise RuntimeFailure("selenium is not installed: pip install 'lokictl[dev]'") from None
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def _login(web: Any, url: str, user: str, password: str, domain: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    web.get(url.rstrip("/") + "/auth/login/")
    wait = WebDriverWait(web, PAGE_TIMEOUT)
    wait.until(ec.presence_of_element_located((By.ID, "id_username")))
    if web.find_elements(By.ID, "id_domain"):
        field_ = web.find_element(By.ID, "id_domain")
        field_.clear()
        field_.send_keys(domain)
    web.find_element(By.ID, "id_username").send_keys(user)
    web.find_element(By.ID, "id_password").send_keys(password)
    web.find_element(By.CSS_SELECTOR, "form button[type=submit], #loginBtn").click()
    wait.until(
        lambda d: "/auth/login" not in d.current_url or d.find_elements(By.CSS_SELECTOR, ".alert-danger")
    )
    if "/auth/login" in web.current_url:
        errors = [e.text for e in web.find_elements(By.CSS_SELECTOR, ".alert-danger")]
        raise RuntimeFailure(f"login as {user} refused: {' '.join(errors) or 'no reason shown'}")


def _next_link(web: Any) -> Any:
    """Return the "Next" pagination link of a Horizon table page, or None on its last page."""
    from selenium.webdriver.common.by import By

    links = [a for a in web.find_elements(By.CSS_SELECTOR, "a[href*='marker=']") if "Next" in str(a.text)]
    return links[0] if links else None


def visit(
    url: str, check: PageCheck, user: str, password: str, domain: str, out: Path, browser: str, driver: str
) -> PageResult:
    """Log in as ``user`` in a fresh headless browser, open the page, compare, save a screenshot."""
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    result = PageResult(check)
    started = time.monotonic()
    web = _driver(browser, driver)
    try:
        _login(web, url, user, password, domain)
        web.get(url.rstrip("/") + check.path)

        def body() -> str:
            return str(web.find_element(By.TAG_NAME, "body").text)

        seen = ""
        for _page in range(MAX_PAGES):
            before = seen

            def done(_d: Any, before: str = before) -> bool:
                return not missing_names(before + body(), check.expect) or _next_link(web) is not None

            with contextlib.suppress(TimeoutException):
                WebDriverWait(web, PAGE_TIMEOUT).until(done)
            seen += "\n" + body()
            link = _next_link(web)
            if link is None or not missing_names(seen, check.expect):
                break
            if result.screenshot is None:  # keep the first page's view
                shot = out / f"horizon-{check.label}.png"
                result.screenshot = shot if web.save_screenshot(str(shot)) else None
            link.click()
        result.missing = missing_names(seen, check.expect)
    except RuntimeFailure as exc:
        result.error = str(exc)
    except WebDriverException as exc:
        result.error = f"browser: {' '.join(str(exc.msg or exc).split())[:300]}"
    finally:
        shot = out / f"horizon-{check.label}.png"
        try:
            if result.screenshot is None and web.save_screenshot(str(shot)):
                result.screenshot = shot
        except WebDriverException:
            pass
        web.quit()
    result.seconds = time.monotonic() - started
    return result


def page_checks(site: Any, admin_cloud: str, member_cloud: str) -> list[PageCheck]:
    """Return the pages to check: the member's images page and the admin's flavors page.

    With the scs profile the standard images and mandatory standard flavors must show; otherwise the
    images and flavors of the site's baseline.
    """
    from lokictl.openstack.baseline import FlavorItem, ImageItem
    from lokictl.openstack.post import default_items

    items = default_items(site)
    images = tuple(i.name for i in items if isinstance(i, ImageItem) and "{" not in i.name)
    if site.model.openstack.service_profile == "scs":
        from lokictl.openstack.scs.flavors import standard_flavors

        flavors = tuple(f.name for f in standard_flavors() if f.mandatory)
    else:
        flavors = tuple(i.name for i in items if isinstance(i, FlavorItem))
    checks = []
    if images:
        checks.append(PageCheck("images", "/project/images/", member_cloud, images))
    if flavors and "nova" in site.model.openstack.enabled_services:
        checks.append(PageCheck("flavors", "/admin/flavors/", admin_cloud, flavors))
    return checks


def verify_horizon(site_path: Path, *, url: str | None = None, progress: Progress = _quiet) -> HorizonReport:
    """Log in to the site's Horizon as the member and admin users and check what the pages show.

    Raises:
        SiteError: the site file is invalid.
        InputError: the site does not deploy Horizon, or no page can be checked.
        RuntimeFailure: Chromium, its driver or selenium is missing; clouds.yaml lacks an entry.
    """
    from lokictl.openstack import clouds
    from lokictl.site import load_site

    site = load_site(site_path)
    if "horizon" not in site.model.openstack.enabled_services or not site.model.openstack.enabled:
        raise InputError(f"{site_path}: the site does not deploy horizon")
    path = clouds.clouds_file(site)
    doc = clouds.read_clouds(path)
    browser = find_tool(BROWSERS, "chromium")
    driver = find_tool(DRIVERS, "chromium-driver")
    name = site.model.site.name
    admin_cloud = clouds.admin_cloud_name(doc, name)
    member_cloud = clouds.member_cloud_name(name)
    entries = {admin_cloud: clouds.cloud_entry(path, admin_cloud)}
    if member_cloud in doc["clouds"]:
        entries[member_cloud] = clouds.cloud_entry(path, member_cloud)
    checks = [c for c in page_checks(site, admin_cloud, member_cloud) if c.cloud in entries]
    if not checks:
        raise InputError(f"{path}: nothing to check (run lokictl openstack post-deploy -f {site_path})")
    base = url or dashboard_url(str((entries[admin_cloud].get("auth") or {}).get("auth_url", "")))
    report = HorizonReport(base)
    report.record = records.new_run_dir(records.runs_dir(site.directory), "verify-horizon")
    for check in checks:
        auth = entries[check.cloud].get("auth") or {}
        progress(f"verify --horizon: {base} as {auth.get('username')}: {check.path}")
        report.pages.append(
            visit(
                base,
                check,
                str(auth.get("username", "")),
                str(auth.get("password", "")),
                str(auth.get("user_domain_name") or "Default"),
                report.record,
                browser,
                driver,
            )
        )
    records.write_json(
        report.record / records.SUMMARY,
        {
            "format": records.FORMAT,
            "action": "verify-horizon",
            "layer": "verify",
            "status": "successful" if report.ok else "failed",
            "url": base,
            "pages": [
                {
                    "page": p.check.path,
                    "cloud": p.check.cloud,
                    "missing": p.missing,
                    "error": p.error,
                    "screenshot": str(p.screenshot or ""),
                    "seconds": round(p.seconds, 1),
                }
                for p in report.pages
            ],
        },
    )
    return report


def format_report(report: HorizonReport) -> str:
    """Return one line per page and the verdict."""
    lines = []
    for p in report.pages:
        status = "pass" if p.ok else "FAIL"
        why = p.error or (
            f"missing: {', '.join(p.missing)}" if p.missing else f"{len(p.check.expect)} names shown"
        )
        lines.append(
            f"{status}  {p.check.path} as {p.check.cloud} ({p.seconds:.0f} s): {why}; {p.screenshot or '-'}"
        )
    verdict = "verify --horizon passed" if report.ok else "verify --horizon FAILED"
    lines.append(f"{verdict}: {report.url}; record {report.record}")
    return "\n".join(lines)
