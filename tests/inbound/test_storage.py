"""Storing a received text exactly once, also when a run died between its two writes."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.support.tenants import new_phone


def _text(account_id: str, sid: str, body: str = "Hi there"):  # noqa: ANN202
    from shared_code.inbound.models import InboundMessage
    from shared_code.inbound.storage import new_row_id

    return InboundMessage(MessageId=new_row_id(), AccountId=account_id, MessageSid=sid, From=new_phone(),
                          To=new_phone(), Body=body, ReceivedAt=datetime.now(timezone.utc))


def test_same_message_sid_is_stored_once(tenant) -> None:  # noqa: ANN001
    from shared_code.inbound.storage import inbound_repo

    repo = inbound_repo()
    first, created = repo.insert_once(_text(tenant.account_id, "SM" + "1" * 32))
    again, created_again = repo.insert_once(_text(tenant.account_id, "SM" + "1" * 32, body="other run"))
    assert created and not created_again
    assert again.MessageId == first.MessageId and again.Body == "Hi there"
    assert [m.MessageId for m in repo.list(tenant.account_id)] == [first.MessageId]


def test_a_run_that_died_after_the_index_write_is_completed_under_the_same_id(tenant) -> None:  # noqa: ANN001
    from shared_code.inbound.storage import inbound_repo
    from shared_code.inbound.storage import SID

    repo = inbound_repo()
    sid = "SM" + "2" * 32
    lost = _text(tenant.account_id, sid)
    # what a run that died between its two writes leaves behind: the index, no text
    repo.table.create_entity({"PartitionKey": tenant.account_id, "RowKey": SID + sid, "MessageId": lost.MessageId})
    stored, created = repo.insert_once(_text(tenant.account_id, sid, body="retried"))
    assert created and stored.MessageId == lost.MessageId
    assert [m.MessageId for m in repo.list(tenant.account_id)] == [lost.MessageId]
    assert repo.insert_once(_text(tenant.account_id, sid))[1] is False
