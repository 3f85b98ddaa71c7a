"""Campaigns and compose in Chromium: compose a text to a group and numbers, land on the
campaign's page and watch its progress bar reach 100 % as the pipeline sends through the fake
Twilio; the API's validation beside its field; cancel and reschedule a scheduled one; the list
with its filters.

As in test_conversations, the app is served by an in-process devhost that runs its queue
functions (the session's portal devhost has them off), with the Twilio provider on the fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from tests.inbound.helpers import wait_until
from tests.portal.test_conversations import live, page  # noqa: F401 - the same fixtures
from tests.support.browser import shoot


def _group(business, names: list[str]) -> tuple[str, list[str]]:  # noqa: ANN001
    from shared_code.addressbook import contacts, groups
    from shared_code.addressbook.models import CreateContactBody, CreateGroupBody
    from tests.support.tenants import new_phone

    phones = [new_phone("303") for _ in names]
    ids = [contacts.create_or_rename(business.caller, CreateContactBody(Phone=p, Name=n)).ContactId
           for n, p in zip(names, phones)]
    return groups.create(business.caller, CreateGroupBody(Name="Regulars", Contacts=ids)).GroupId, phones


def test_compose_to_a_group_and_a_number_and_watch_it_reach_100_percent(page, business, live) -> None:  # noqa: ANN001, F811
    from playwright.sync_api import expect

    from tests.support.tenants import new_phone

    _dev, fake = live
    _group_id, phones = _group(business, ["Ann Alder", "Ben Birch", "Cy Cedar"])
    extra = new_phone("415")
    page.goto("/compose")
    page.get_by_label("Message").fill("Half price today")
    expect(page.locator("#compose-segments")).to_have_text("1 segment (GSM-7) · 16 characters")
    page.get_by_label("Add the opt-out line").check()
    expect(page.locator("[data-preview]")).to_contain_text("Half price today\nReply STOP")
    page.get_by_label("Regulars (3)").check()
    page.get_by_label("Numbers").fill(extra)
    shoot(page, "compose")
    page.get_by_role("button", name="Send", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Sending: this page follows it."
    expect(page.locator("[data-percent]")).to_have_text("100 %", timeout=30_000)
    assert page.evaluate("document.getElementById('campaign-progress').value") == 100
    expect(page.locator("[data-campaign-status]")).to_have_text("Sent")
    assert page.locator('[data-count="Reach"]').inner_text() == "4"
    page.reload()
    assert sorted(fake.count_by_to().get(p, 0) for p in [*phones, extra]) == [1, 1, 1, 1]
    assert page.locator("table.recipients tbody tr").count() == 4
    shoot(page, "campaign")
    page.goto("/campaigns")
    row = page.locator("table.campaigns tbody tr").first
    assert "Half price today" in row.inner_text() and business.email in row.inner_text()
    shoot(page, "campaigns")


def test_compose_errors_are_the_apis_beside_their_field(page, business) -> None:  # noqa: ANN001, F811
    page.goto("/compose")
    page.get_by_label("Message").fill("Hello")
    page.get_by_label("Numbers").fill("555-12")
    page.get_by_role("button", name="Send", exact=True).click()
    assert page.locator("#e-Numbers").inner_text().startswith("Numbers[0]: '555-12' is not a valid phone number")
    page.get_by_label("Numbers").fill("")
    page.get_by_role("button", name="Send", exact=True).click()
    assert page.locator("#e-To").inner_text().startswith("Give at least one recipient")
    assert page.get_by_label("Message").input_value() == "Hello"  # what was typed stays


def test_a_scheduled_campaign_can_be_rescheduled_and_cancelled(page, business, live) -> None:  # noqa: ANN001, F811
    from tests.support.tenants import new_phone

    _dev, fake = live
    number = new_phone("415")
    when = (datetime.now(timezone.utc) + timedelta(days=2)).replace(second=0, microsecond=0)
    page.goto("/compose")
    page.get_by_label("Message").fill("See you Friday")
    page.get_by_label("Numbers").fill(number)
    page.get_by_label("Later, at:").check()
    page.get_by_label("Send time (UTC)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Scheduled: this page follows it."
    assert page.locator("[data-campaign-status]").inner_text() == "Scheduled"
    later = when + timedelta(days=1)
    page.get_by_label("New send time (UTC)").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Reschedule").click()
    assert page.get_by_role("status").inner_text() == f"Rescheduled for {later.strftime('%Y-%m-%d %H:%M')} UTC."
    page.get_by_role("button", name="Cancel this campaign").click()
    assert page.get_by_role("status").inner_text() == "Cancelled: nothing more of this campaign is sent."
    assert page.locator("[data-campaign-status]").inner_text() == "Cancelled"
    page.goto("/campaigns?status=Cancelled")
    assert page.locator("table.campaigns tbody tr").count() == 1
    page.goto("/campaigns?status=Scheduled")
    assert page.locator("table.campaigns tbody tr").count() == 0
    assert fake.count_by_to().get(number, 0) == 0
