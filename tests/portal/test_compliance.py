"""Compliance in Chromium: opted-out numbers with their audit history (keyword, source, when,
who), a manual opt-out and opt-in by the signed-in person, and the flows on triggers with their
dead letters, one removed. The texts and deliveries are made by the real handlers in this
process (``inbound.receive.process``: STOP applied, the flow's callback called and refused)."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from tests.inbound.helpers import text_params
from tests.inbound.receiver import Receiver
from tests.support.app_env import app_settings
from tests.support.browser import shoot


@pytest.fixture()
def flow_receiver():  # noqa: ANN201
    r = Receiver().start()
    yield r
    r.stop()


def _account_phone(business) -> str:  # noqa: ANN001
    from shared_code.accounts.storage import accounts_repo

    return accounts_repo().get(business.account_id).Phone


def test_opt_outs_their_history_and_a_manual_change(page, business) -> None:  # noqa: ANN001
    from shared_code.inbound import receive
    from shared_code.inbound.storage import optouts_repo
    from tests.support.tenants import new_phone

    texter, called = new_phone("415"), new_phone("415")
    receive.process(business.account_id, text_params(texter, _account_phone(business), "STOP"),
                    datetime.now(timezone.utc))
    page.goto("/compliance")
    row = page.locator("table.optouts tbody tr", has_text=texter)
    assert row.inner_text().split("\t")[:3] == [texter, "STOP", "keyword"]
    # by hand, with a reason: audited with who did it
    page.get_by_label("Phone number").fill(called)
    page.get_by_label("Reason (for the audit trail)").fill("Asked by phone <b>twice</b>")
    page.get_by_role("button", name="Opt out", exact=True).click()
    assert page.get_by_role("status").inner_text() == f"{called} opted out: nothing is sent to it."
    assert optouts_repo().get(business.account_id, called).OptedOut
    page.goto("/compliance")
    cells = page.locator("table.optouts tbody tr", has_text=called).inner_text().split("\t")
    assert (cells[1], cells[2], cells[4]) == ("—", "manual", business.email)
    assert cells[3][:10] == datetime.now(timezone.utc).strftime("%Y-%m-%d")
    shoot(page, "compliance")
    page.get_by_label("Phone number").fill(called)
    page.get_by_role("button", name="Opt back in").click()
    assert page.get_by_role("status").inner_text() == f"{called} opted back in: it can be texted again."
    assert not optouts_repo().get(business.account_id, called).OptedOut
    history = page.locator("table.history tbody tr").all_inner_texts()
    assert [h.split("\t")[1:5] for h in history] == [["Opted back in", "—", "manual", business.email],
                                                     ["Opted out", "—", "manual", business.email]]
    assert "Asked by phone <b>twice</b>" in history[1]  # markup stays text
    shoot(page, "optout-history")
    page.goto(f"/compliance/numbers/{quote(texter)}")
    assert page.locator("#optout-state").inner_text().startswith("Opted out")
    assert page.locator("table.history tbody tr").first.inner_text().split("\t")[1:5] == [
        "Opted out", "STOP", "keyword", "the number itself"]


def test_a_flow_with_dead_letters_is_shown_and_removed(page, business, flow_receiver) -> None:  # noqa: ANN001
    from shared_code.inbound import receive
    from shared_code.triggers import subscriptions
    from shared_code.triggers.models import SMS, SubscribeBody
    from tests.support.tenants import new_phone

    flow_receiver.answer("/dead-flow", 400)  # anything but 2xx/404/410/429/5xx is dead-lettered at once
    url = flow_receiver.url("/dead-flow")
    with app_settings({"CALLBACK_ALLOW_LOCALHOST": "true"}):
        sub, _ = subscriptions.subscribe(business.caller, SMS, SubscribeBody(WebHookUri=url))
        receive.process(business.account_id, text_params(new_phone("415"), _account_phone(business), "Hi"),
                        datetime.now(timezone.utc))
    page.goto("/compliance")
    row = page.locator("table.flows tbody tr")
    assert row.count() == 1
    assert row.locator("[data-dead]").inner_text() == "1"
    assert "400" in row.inner_text()
    row.get_by_role("link", name="sms").click()
    assert page.locator("table.dead-letters tbody tr").count() == 1
    page.get_by_role("button", name="Remove this trigger").click()
    assert page.dialogs[-1].startswith("confirm: Remove this sms trigger?")
    assert page.get_by_role("status").inner_text().startswith("Removed the sms trigger")
    assert subscriptions.list_subscriptions(business.caller) == []
    assert page.locator("table.flows").count() == 0
