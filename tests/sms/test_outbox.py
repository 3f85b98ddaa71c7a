"""OutboxProvider on Azurite: records instead of sending, and finds its own records again."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.sms.helpers import MG_SID, SENDER, TO, msg


@pytest.fixture()
def outbox(storage):  # noqa: ANN001, ANN201
    from shared_code.common.config import Settings
    from shared_code.common.sms.outbox import OutboxProvider
    from shared_code.common.storage.tables import TableStore

    return OutboxProvider(TableStore(Settings()))


@pytest.fixture()
def account() -> str:
    return "acc" + uuid.uuid4().hex[:12]


def test_send_records_row_and_returns_delivered(outbox, account):
    from shared_code.common.sms.outbox import list_outbox

    media = ("https://cdn.example.com/a.jpg",)
    callback = "https://api.example.com/status?m=1"
    result = outbox.send(msg(account_id=account, body="Table for two", media_urls=media,
                             status_callback=callback, messaging_service_sid=MG_SID))
    assert result.status == "delivered"
    assert re.fullmatch(r"OB[0-9a-f]{32}", result.sid)
    [row] = list_outbox(outbox.store, account)
    assert row["PartitionKey"] == account and row["Sid"] == result.sid
    assert (row["To"], row["Body"], row["From"], row["MessagingServiceSid"]) == (
        TO, "Table for two", SENDER, MG_SID)
    assert row["MediaUrls"] == list(media) and row["StatusCallback"] == callback
    assert row["CampaignId"] == "camp1"
    assert abs(row["CreatedAt"] - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_rows_are_time_sorted_and_per_account(outbox, account):
    from shared_code.common.sms.outbox import list_outbox

    sids = [outbox.send(msg(account_id=account, body=f"n{i}")).sid for i in range(3)]
    outbox.send(msg(account_id=account + "x"))
    rows = list_outbox(outbox.store, account)
    assert [r["Sid"] for r in rows] == sids
    assert [r["Body"] for r in rows] == ["n0", "n1", "n2"]


def test_find_sent_finds_newest_matching(outbox, account):
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    message = msg(account_id=account)
    outbox.send(msg(account_id=account, body="other"))
    outbox.send(message)
    newest = outbox.send(message)
    found = outbox.find_sent(message, since)
    assert found is not None and found.sid == newest.sid and found.status == "delivered"


def test_find_sent_misses_other_body_to_account_or_time(outbox, account):
    message = msg(account_id=account)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    outbox.send(message)
    assert outbox.find_sent(msg(account_id=account, body="different"), since) is None
    assert outbox.find_sent(msg(account_id=account, to="+15551239999"), since) is None
    assert outbox.find_sent(msg(account_id=account + "x"), since) is None
    assert outbox.find_sent(message, datetime.now(timezone.utc) + timedelta(seconds=2)) is None


def test_follows_the_test_clock(outbox, account, clock):
    clock.advance(days=-3)
    message = msg(account_id=account)
    outbox.send(message)
    assert outbox.find_sent(message, clock.now() - timedelta(seconds=1)) is not None
    assert outbox.find_sent(message, clock.now() + timedelta(seconds=1)) is None
