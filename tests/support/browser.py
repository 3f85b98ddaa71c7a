"""A real browser for the portal's tests: Debian's Chromium driven by Playwright.

Playwright's own browser download is never used (it needs a host this project can't reach, and
CI installs Debian's ``chromium`` instead, see the Makefile). Chromium starts with the flags that
stop it from trying the network, and with a fresh profile: Playwright's ``launch`` gives every
browser its own temporary user-data-dir, and every test gets a new context (no cookies carried
over).

Screenshots: every ``shoot`` writes a desktop and a phone image to ``docs/screenshots/run/``
(git-ignored, so a test run never dirties the tree). The README shows the key ones, kept in
``docs/screenshots/`` itself: ``make screenshots`` re-runs the tests with ``UPDATE_SCREENSHOTS=1``,
which also writes the names in ``KEY_SHOTS`` there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is imported where a browser starts, so collecting tests stays cheap
    from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SCREENSHOTS = ROOT / "docs" / "screenshots"
RUN_SHOTS = SCREENSHOTS / "run"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The shots the README shows (docs/screenshots/<name>-desktop.png / -phone.png, committed).
KEY_SHOTS = frozenset({"keys-new-key", "places", "import-report", "contacts-list", "group-members",
                       "conversations", "thread", "compose", "campaign", "campaigns", "compliance", "optout-history",
                       "dashboard"})
# How long a page may take to answer a click here (2 cores shared by several test runs).
ACTION_TIMEOUT_MS = 15_000


def chromium_missing_reason() -> str | None:
    """Why the browser tests can't run here, or None. The tests fail on it under CI and skip
    elsewhere: a fresh CI machine must have installed Chromium, a developer may not have."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it as root)"
    return None


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, quiet on the network, with a fresh temporary profile."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS))


def new_page(browser: Browser, base_url: str) -> Page:
    """A page in a context of its own (no cookies from another test), desktop-sized, which
    fails the test's action on any page error (an uncaught exception or a dialog)."""
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]  # every alert/confirm the page opened
    page.errors = []  # type: ignore[attr-defined]  # every uncaught script error

    def on_dialog(dialog) -> None:  # noqa: ANN001
        """Record it; say yes to a confirmation (a test that clicks Delete means it), no to the rest."""
        page.dialogs.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
        if dialog.type == "confirm":
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    return page


def shoot(page: Page, name: str) -> list[Path]:
    """Screenshots of the page as it is now, at desktop (1280x800) and phone (390x844) width,
    failing if the page is wider than either (it must work at phone width without sideways
    scrolling); the viewport is put back afterwards. Returns the files written."""
    RUN_SHOTS.mkdir(parents=True, exist_ok=True)
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1" and name in KEY_SHOTS
    before = page.viewport_size or DESKTOP
    written = []
    try:
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= size["width"], f"{name}: the page is {wide} px wide at {label} width ({size['width']} px)"
            path = RUN_SHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(path))  # the viewport: what a person sees first, and small files
            written.append(path)
            if update:
                shutil.copyfile(path, SCREENSHOTS / path.name)
    finally:
        page.set_viewport_size(before)
    return written


def sign_in(page: Page, email: str) -> None:
    """Sign in through devhost's development sign-in page, as a person does: the page asks for
    an email, and the portal then knows that user."""
    page.goto("/.auth/login/aad")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
