"""Helpers for messaging tests: a tenant with an address book, bodies for every send action,
and waiting for campaigns to finish."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from shared_code.messaging.catalog import SendOperation
from tests.support.tenants import new_phone

PLACE = "ChIJN1t_tDeuEmsRUsoyG83frY4"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@dataclass
class Book:
    p1: str
    p2: str
    group_id: str
    group_phones: list[str]


def data(res: Any) -> Any:
    assert res.status_code in (200, 201, 202), res.text
    return res.json()["Data"]


def make_book(api: Any) -> Book:
    p1, p2, p3 = new_phone(), new_phone(), new_phone()
    data(api.post("contacts/contactnew", {"Phone": p1, "Name": "Ann"}))
    data(api.post("contacts/contactnew", {"Phone": p2, "Name": "Ben"}))
    g = data(api.post("groups", {"Name": "Regulars", "Contacts": [p2, p3]}))
    data(api.post("places", {"GooglePlaceId": PLACE, "Name": "Main St"}))
    return Book(p1, p2, g["GroupId"], [p2, p3])


def body_for(op: SendOperation, book: Book, now: datetime, text: str) -> tuple[dict[str, Any], set[str]]:
    """A valid body for ``op`` and the phones it should reach."""
    body: dict[str, Any] = {op.body_field: text}
    new = new_phone()
    if op.target == "contact":
        body[op.to_field], expect = book.p1, {book.p1}
    elif op.target == "contacts":
        body[op.to_field] = [book.p1, book.p2] if op.kind != "mms" else f"{book.p1},{book.p2}"
        expect = {book.p1, book.p2}
    elif op.target == "group":
        body[op.to_field], expect = book.group_id, set(book.group_phones)
    elif op.target == "groups":
        body[op.to_field], expect = [book.group_id], set(book.group_phones)
    elif op.target == "number":
        body[op.to_field], expect = new, {new}
    elif op.target == "numbers":
        body[op.to_field], expect = f"{book.p1}, {new}", {book.p1, new}
    elif op.target == "new_contact":
        body.update({op.to_field: new, "ContactName": "Newbie", "ContactLastName": "Jones"})
        expect = {new}
    else:  # new_group
        body.update({op.to_field: [book.p1, new], "GroupName": f"New {op.operation_id}"})
        expect = {book.p1, new}
    if op.place_field:
        body[op.place_field] = PLACE
    later = now + timedelta(days=2)
    if op.timing == "scheduled":
        body.update(ScheduledDate=later.strftime("%m/%d/%Y"), ScheduledTime=later.strftime("%I:%M %p"))
    if op.timing == "reminder":
        body.update(EventDate=(later + timedelta(days=1)).strftime("%Y-%m-%d"), Day=1, Time=later.strftime("%H:%M"))
    return body, expect


def post_send(api: Any, op: SendOperation, body: dict[str, Any], **kw: Any) -> Any:
    if op.kind == "mms":
        form = {k: (None, str(v)) for k, v in body.items()}
        form["Attachment"] = ("pixel.png", PNG, "image/png")
        return api.request("POST", op.route, files=form, **kw)
    return api.post(op.route, body, **kw)


def wait_campaign(api: Any, campaign_id: str, status: str = "Sent", timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        c = data(api.get(f"campaigns/{campaign_id}"))
        if c["Status"] == status or time.monotonic() > deadline:
            assert c["Status"] == status, c
            return c
        time.sleep(0.2)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def dispatched(monkeypatch: Any, account_id: str, campaign_id: str) -> list[Any]:
    """Run dispatch in this process with its send messages kept here instead of queued, so a
    test runs the send batches by hand (once, twice, stale)."""
    from shared_code.messaging import dispatch as dispatch_service

    queued: list[Any] = []

    class Queues:
        def put(self, message: Any, delay: float = 0) -> None:
            queued.append(message)

    class Repos:
        queues = Queues()

    with monkeypatch.context() as m:
        m.setattr(dispatch_service, "repos", lambda: Repos())
        assert dispatch_service.dispatch(account_id, campaign_id, 1) == "dispatched"
    return queued
