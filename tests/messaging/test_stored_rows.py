"""Dispatch hands each send message the rows it has just stored (with their ETags), so the first
send of a chunk claims them without reading them back. These tests run dispatch and the send
batches by hand, through the real twilio client to the fake Twilio, and check what a business
would see: everybody texted once, the campaign finished with the right counts, also when a
row changed between dispatch and send, when the message is delivered twice, and when the
rows would not fit in a queue message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.messaging.helpers import dispatched
from tests.messaging.test_campaign_counters import _record, _wait_stored_sent
from tests.messaging.test_pipeline_twilio import counts_for, fake, twilio  # noqa: F401 - fixtures
from tests.support.tenants import new_phone


def _deliver(message: Any) -> None:
    """The message as the queue trigger would hand it over: its JSON, parsed again."""
    from shared_code.messaging.pipeline import on_send

    on_send(json.dumps(message.wire()))


def _no_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record every read of recipient rows by phone (send's read of its batch)."""
    from shared_code.messaging.storage import CampaignRepository

    reads: list[list[str]] = []
    original = CampaignRepository.get_recipients

    def recording(self: Any, campaign_id: str, phones: Any) -> Any:
        reads.append(list(phones))
        return original(self, campaign_id, phones)

    monkeypatch.setattr(CampaignRepository, "get_recipients", recording)
    return reads


def test_a_chunk_is_texted_from_the_rows_dispatch_stored_and_a_second_delivery_texts_nobody_again(
        tenant, twilio, monkeypatch):  # noqa: ANN001
    phones = [new_phone("458") for _ in range(120)]  # two chunks
    campaign_id = _record(tenant.account_id, phones)
    messages = dispatched(monkeypatch, tenant.account_id, campaign_id)
    assert [len(m.phones) for m in messages] == [99, 21]
    assert all(len(m.stored) == len(m.phones) for m in messages)
    reads = _no_reads(monkeypatch)

    for m in messages:
        _deliver(m)
    assert reads == []  # claimed from dispatch's copies
    assert counts_for(twilio, campaign_id) == dict.fromkeys(phones, 1)
    c = _wait_stored_sent(tenant.account_id, campaign_id, 30)
    assert (c.Status, c.DispatchedCount) == ("Sent", 120)

    for m in messages:  # the queue delivers every message again
        _deliver(m)
    assert counts_for(twilio, campaign_id) == dict.fromkeys(phones, 1)
    assert sorted(p for r in reads for p in r) == sorted(phones)  # stale copies: read as they are now


def test_a_row_changed_after_dispatch_is_read_again_and_its_whole_chunk_texted_once(tenant, twilio, monkeypatch):  # noqa: ANN001
    from shared_code.messaging.storage import campaigns_repo

    phones = [new_phone("458") for _ in range(5)]
    campaign_id = _record(tenant.account_id, phones)
    (message,) = dispatched(monkeypatch, tenant.account_id, campaign_id)
    store = campaigns_repo()
    (row,) = store.get_recipients(campaign_id, [phones[2]])
    row.Name = "Renamed after dispatch"
    store.replace_recipients(campaign_id, [row])  # still pending, a new ETag
    reads = _no_reads(monkeypatch)

    _deliver(message)
    assert reads == [message.phones]
    assert counts_for(twilio, campaign_id) == dict.fromkeys(phones, 1)
    c = _wait_stored_sent(tenant.account_id, campaign_id, 30)
    assert (c.Status, c.DispatchedCount) == ("Sent", 5)
    counts = store.counts(campaign_id)
    assert counts["pending"] == counts["sending"] == 0 and sum(counts.values()) == 5  # counted once each
    (after,) = store.get_recipients(campaign_id, [phones[2]])
    assert after.Name == "Renamed after dispatch"  # the claim wrote the row as it is now, not the copy


def test_a_chunk_whose_rows_would_not_fit_a_queue_message_goes_without_them(tenant, twilio, monkeypatch):  # noqa: ANN001
    from shared_code.addressbook.models import MAX_NAME_CHARS
    from shared_code.common.queue_messages import MAX_MESSAGE_BYTES

    names = ["Zoë " + "ü" * (MAX_NAME_CHARS - 4) for _ in range(99)]  # escaped in JSON: 6 bytes a letter
    phones = [new_phone("458") for _ in names]
    campaign_id = _contacts_campaign(tenant, phones, names)
    (message,) = dispatched(monkeypatch, tenant.account_id, campaign_id)
    assert message.stored == [] and len(message.phones) == 99
    assert len(json.dumps(message.wire())) <= MAX_MESSAGE_BYTES
    reads = _no_reads(monkeypatch)
    _deliver(message)
    assert reads == [message.phones]
    assert counts_for(twilio, campaign_id) == dict.fromkeys(phones, 1)


def _contacts_campaign(tenant: Any, phones: list[str], names: list[str]) -> str:
    """A campaign to new contacts with these names (stored straight through the repository)."""
    from shared_code.addressbook.models import Contact
    from shared_code.addressbook.storage import address_book_repo
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id, new_id
    from shared_code.messaging.models import QUEUED, Campaign
    from shared_code.messaging.storage import campaigns_repo

    now = utcnow()
    contacts = [Contact(ContactId=new_id(), Phone=p, Name=n, CreatedAt=now, UpdatedAt=now)
                for p, n in zip(phones, names)]
    address_book_repo().import_contacts(tenant.account_id, contacts)
    c = Campaign(CampaignId=new_desc_id(), AccountId=tenant.account_id, Operation="SendTextMessageToMultipleContacts",
                 Type="Message", Body="Long names", SendDate=now, Status=QUEUED, CreatedAt=now)
    campaigns_repo().insert(c, contact_ids=[x.ContactId for x in contacts])
    return c.CampaignId
