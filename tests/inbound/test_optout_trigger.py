"""The opt-out trigger ("When a number opts out or back in"): a STOP, a START, Twilio's own
opt-out handling and a change by hand each start the subscribed flows once, signed, with the
number, its contact, the keyword, the direction and the source; other accounts' flows and
unsubscribed ones get nothing, and a queue message handled twice posts once."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

from tests.inbound.helpers import data, opted_out, subscribe, text, text_params, wait_until
from tests.support.tenants import new_phone

ROUTE = "twilio/optoutregistration"


def _fields(hit) -> dict:  # noqa: ANN001
    body = hit.json
    return {k: body[k] for k in ("EventType", "Phone", "ContactId", "ContactName", "Keyword", "Direction", "Source")}


def _recent(stamp: str) -> bool:
    at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return at.tzinfo == timezone.utc and abs(datetime.now(timezone.utc) - at) < timedelta(minutes=5)


def test_stop_then_start_fire_opted_out_then_opted_in_with_the_contact(api, tenant, receiver, fake, fast_host):
    path, texts_path = receiver.new_path(), receiver.new_path()
    sub, _ = subscribe(api, receiver.url(path), route=ROUTE)
    assert sub["Kind"] == "optout"
    subscribe(api, receiver.url(texts_path))  # the received-text trigger, for contrast
    x = new_phone()
    contact = data(api.post("contacts/contactnew", {"Phone": x, "Name": "Ada", "LastName": "Lovelace"}))
    text(fast_host, fake, text_params(x, tenant.phone, "Stop!"))
    hits = receiver.wait(path)
    assert len(hits) == 1 and hits[0].signed_with(sub["Secret"])
    assert _fields(hits[0]) == {"EventType": "optout.changed", "Phone": x, "ContactId": contact["ContactId"],
                                "ContactName": "Ada Lovelace", "Keyword": "STOP", "Direction": "opted_out",
                                "Source": "keyword"}
    assert _recent(hits[0].json["ChangedAt"]) and hits[0].json["EventId"]
    assert hits[0].headers["X-PowerTextor-Event-Id"] == hits[0].json["EventId"]
    assert opted_out(api, x)

    text(fast_host, fake, text_params(x, tenant.phone, "start"))
    hits = receiver.wait(path, 2)
    assert [(h.json["Direction"], h.json["Keyword"]) for h in hits] == [("opted_out", "STOP"), ("opted_in", "START")]
    # a HELP and an ordinary text start the text trigger only
    text(fast_host, fake, text_params(x, tenant.phone, "HELP"))
    text(fast_host, fake, text_params(x, tenant.phone, "see you soon"))
    assert len(receiver.wait(texts_path, 4)) == 4
    time.sleep(1.0)
    assert len(receiver.hits(path)) == 2


def test_twilio_advanced_opt_out_fires_with_source_twilio(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    subscribe(api, receiver.url(path), route=ROUTE)
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "ARRET", OptOutType="STOP"))  # a keyword only Twilio knows
    hits = receiver.wait(path)
    assert [(h.json["Phone"], h.json["Direction"], h.json["Source"], h.json["Keyword"]) for h in hits] == [
        (x, "opted_out", "twilio", "STOP")]
    assert hits[0].json["ContactId"] == "" and hits[0].json["ContactName"] == ""


def test_manual_opt_out_and_in_fire_with_source_manual(api, tenant, receiver, fake):
    path = receiver.new_path()
    sub, _ = subscribe(api, receiver.url(path), route=ROUTE)
    x = new_phone()
    data(api.post("optouts/optout", {"Phone": x, "Reason": "asked by phone"}))
    hits = receiver.wait(path)
    assert len(hits) == 1 and hits[0].signed_with(sub["Secret"])
    assert _fields(hits[0]) == {"EventType": "optout.changed", "Phone": x, "ContactId": "", "ContactName": "",
                                "Keyword": "", "Direction": "opted_out", "Source": "manual"}
    assert _recent(hits[0].json["ChangedAt"])
    data(api.post("optouts/optin", {"Phone": x, "Reason": "consent form"}))
    hits = receiver.wait(path, 2)
    assert [(h.json["Direction"], h.json["Source"]) for h in hits] == [("opted_out", "manual"), ("opted_in", "manual")]
    time.sleep(1.0)
    assert len(receiver.hits(path)) == 2


def test_a_keyword_message_handled_twice_and_by_two_workers_posts_once(api, tenant, receiver, twilio):
    from shared_code.inbound import receive as inbound

    path = receiver.new_path()
    receiver.answer(path, 200, delay=0.3)
    subscribe(api, receiver.url(path), route=ROUTE)
    x = new_phone()
    raw = json.dumps({"a": tenant.account_id, "p": text_params(x, tenant.phone, "STOP"),
                      "r": "2026-12-01T10:00:00.000Z"}).encode()
    inbound.on_inbound(raw)
    inbound.on_inbound(raw)  # the queue handed the same message over again
    workers = [threading.Thread(target=inbound.on_inbound, args=(raw,)) for _ in range(2)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    time.sleep(1.5)
    hits = receiver.hits(path)
    assert [(h.json["Phone"], h.json["Direction"]) for h in hits] == [(x, "opted_out")]
    assert hits[0].json["ChangedAt"] == "2026-12-01T10:00:00.000Z"


def test_another_accounts_flow_gets_nothing(make_api, receiver, fake, fast_host):
    from tests.support.tenants import new_tenant

    ta, tb = new_tenant("A"), new_tenant("B")
    a, b = make_api(ta.key), make_api(tb.key)
    a_path, b_path = receiver.new_path(), receiver.new_path()
    subscribe(a, receiver.url(a_path), route=ROUTE)
    subscribe(b, receiver.url(b_path), route=ROUTE)
    x, y = new_phone(), new_phone()
    text(fast_host, fake, text_params(x, tb.phone, "STOP"))
    data(b.post("optouts/optout", {"Phone": y}))
    assert sorted(h.json["Phone"] for h in receiver.wait(b_path, 2)) == sorted([x, y])
    time.sleep(1.0)
    assert receiver.hits(a_path) == []


def test_unsubscribing_stops_the_trigger(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    sub, location = subscribe(api, receiver.url(path), route=ROUTE)
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "STOP"))
    assert len(receiver.wait(path)) == 1
    assert data(api.session.delete(location, timeout=10))["Deleted"] is True
    text(fast_host, fake, text_params(x, tenant.phone, "START"))
    assert wait_until(lambda: not opted_out(api, x))
    data(api.post("optouts/optout", {"Phone": x}))
    time.sleep(1.5)
    assert [h.json["Direction"] for h in receiver.hits(path)] == ["opted_out"]
    assert data(api.get("subscriptions")) == []


def test_a_stop_from_a_number_already_opted_out_is_audited_but_starts_nothing(api, tenant, receiver, fake, fast_host):
    """A customer who texts STOP twice opted out once: a flow counting opt-outs or updating a
    CRM must not see the second; the same holds for a change by hand that changes nothing."""
    path = receiver.new_path()
    subscribe(api, receiver.url(path), route=ROUTE)
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "STOP"))
    assert len(receiver.wait(path)) == 1
    text(fast_host, fake, text_params(x, tenant.phone, "unsubscribe"))
    assert wait_until(lambda: len(data(api.get("optouts/check", params={"Phone": x}))["History"]) == 2)
    data(api.post("optouts/optout", {"Phone": x, "Reason": "asked again"}))
    text(fast_host, fake, text_params(x, tenant.phone, "START"))
    hits = receiver.wait(path, 2)
    data(api.post("optouts/optin", {"Phone": x}))  # already textable
    time.sleep(1.5)
    assert [(h.json["Direction"], h.json["Keyword"]) for h in receiver.hits(path)] == [
        ("opted_out", "STOP"), ("opted_in", "START")]
    assert len(hits) == 2
    history = data(api.get("optouts/check", params={"Phone": x}))["History"]
    assert [(h["Action"], h["Keyword"]) for h in history] == [
        ("optin", ""), ("optin", "START"), ("optout", ""), ("optout", "UNSUBSCRIBE"), ("optout", "STOP")]


def test_the_direction_filter_starts_the_flow_for_one_direction_only(api, tenant, receiver, fake, fast_host):
    ins, outs = receiver.new_path(), receiver.new_path()
    sub, _ = subscribe(api, receiver.url(ins), route=ROUTE, Direction="opted_in")
    assert sub["Direction"] == "opted_in"
    subscribe(api, receiver.url(outs), route=ROUTE, Direction="OPTED_OUT")
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "STOP"))
    assert wait_until(lambda: opted_out(api, x))  # texts are queued: the START must come second
    text(fast_host, fake, text_params(x, tenant.phone, "START"))
    assert [h.json["Direction"] for h in receiver.wait(ins)] == ["opted_in"]
    assert [h.json["Direction"] for h in receiver.wait(outs)] == ["opted_out"]
    time.sleep(1.0)
    assert len(receiver.hits(ins)) == 1 and len(receiver.hits(outs)) == 1
    bad = api.post(ROUTE, {"WebHookUri": receiver.url(receiver.new_path()), "Direction": "sideways"})
    assert bad.status_code == 400 and bad.json()["Error"]["Field"] == "Direction", bad.text


def test_a_stop_retried_after_a_crash_between_its_state_and_its_audit_row_still_fires(
        api, tenant, receiver, twilio, monkeypatch):
    """The state is written first; if the worker dies before the audit row, the retry finds the
    number already opted out by this very text and must still start the flow, once."""
    from shared_code.inbound import receive as inbound
    from shared_code.inbound.storage import OptOutRepository

    path = receiver.new_path()
    subscribe(api, receiver.url(path), route=ROUTE)
    x = new_phone()
    raw = json.dumps({"a": tenant.account_id, "p": text_params(x, tenant.phone, "STOP"),
                      "r": "2026-12-01T11:00:00.000Z"}).encode()
    real = OptOutRepository.add_event

    def crash(self, e, event_id):  # noqa: ANN001, ANN202
        raise ConnectionError("the worker died")

    monkeypatch.setattr(OptOutRepository, "add_event", crash)
    try:
        inbound.on_inbound(raw)
    except ConnectionError:
        pass
    assert opted_out(api, x) and receiver.hits(path) == []
    monkeypatch.setattr(OptOutRepository, "add_event", real)
    inbound.on_inbound(raw)
    hits = receiver.wait(path)
    time.sleep(1.0)
    assert [(h.json["Phone"], h.json["Direction"]) for h in receiver.hits(path)] == [(x, "opted_out")]
    assert len(hits) == 1
