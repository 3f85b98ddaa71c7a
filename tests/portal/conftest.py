"""The portal in a real browser: one `python -m devhost` process on the session's Azurite (as
`make run` starts it) and one headless Chromium for the whole session; a fresh browser context
for every test."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import browser as support

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Portal:
    """The devhost process serving the whole app (portal at the root, API under /api)."""

    base_url: str
    env: dict[str, str]
    log: Path


def _queues_and_timers_off() -> dict[str, str]:
    """The portal's devhost lives for the rest of the session on the session's Azurite: its queue
    and timer functions would take the messages other suites' hosts are waiting for (seen: keyword
    tests missing their replies). The pages need only HTTP, so the rest is disabled the way Azure
    disables a function (AzureWebJobs.<name>.Disabled). The names come from devhost's own
    indexing, which lets an app indexed before in this process be indexed again."""
    from devhost.validation import validate
    from function_app import app

    names = [f.get_function_name() for f in validate(app) if f.get_trigger().type != "httpTrigger"]
    assert names, "the app has no queue or timer functions?"
    return {f"AzureWebJobs.{name}.Disabled": "true" for name in names}


@pytest.fixture(scope="session")
def portal(storage: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    from devhost.azurite import free_port
    from tests.support.processes import start_devhost

    port = free_port()
    env = {**os.environ, "AzureWebJobsStorage": storage, "PYTHONUNBUFFERED": "1", **_queues_and_timers_off()}
    log = tmp_path_factory.mktemp("portal") / "devhost.log"
    proc = start_devhost(env, port, log)
    try:
        yield Portal(f"http://127.0.0.1:{port}", env, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = support.chromium_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":  # a fresh CI machine must have installed it: fail
            pytest.fail(f"browser tests can't run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = support.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, portal: Portal) -> Iterator[object]:  # noqa: ANN001
    """A page of its own; the test fails if a script on it threw an uncaught error."""
    tab = support.new_page(browser, portal.base_url)
    yield tab
    errors = list(tab.errors)
    tab.context.close()
    assert errors == [], f"uncaught script errors on the page: {errors}"


@dataclass
class Business:
    """A signed-in admin of a fresh account (made with the services, as `account create
    --admin` does), with a Caller for checking what the pages stored."""

    email: str
    account_id: str
    caller: object


@pytest.fixture()
def business(page, storage: str) -> Business:  # noqa: ANN001
    from shared_code.accounts import accounts
    from shared_code.accounts.models import Caller
    from tests.support.tenants import new_phone

    email = f"owner-{new_phone()[-7:]}@example.com"
    account = accounts.create_account("Acme Dental", new_phone("628"), "US", admins=[email])
    # quiet hours off, as tests.support.tenants does: the pages' sends text numbers of US zones
    # at whatever hour the suite runs, and none of these tests means them to be held
    account = accounts.set_quiet_hours(account.AccountId, enabled=False)
    support.sign_in(page, email)
    return Business(email, account.AccountId, Caller.signed_in(account, email))
