"""Twilio's inbound webhook through the devhost: signatures, routing, storing once, and the
SMS/MMS webhook triggers delivering signed payloads to the flow's callback."""

from __future__ import annotations

import time

from tests.inbound.helpers import (data, mms_params, post_webhook, received, subscribe, text, text_params,
                                   wait_until)
from tests.support.tenants import new_phone


def test_subscribe_answers_201_with_the_delete_location(api, receiver, fast_host):
    sub, location = subscribe(api, receiver.url(receiver.new_path()))
    assert location == f"{fast_host.base_url}/api/twilio/{sub['RegistrationId']}"
    assert sub["Kind"] == "sms" and len(sub["Secret"]) >= 32
    listed = data(api.get("subscriptions"))
    assert [s["RegistrationId"] for s in listed] == [sub["RegistrationId"]]
    assert "Secret" not in listed[0] and "sig=secret" not in listed[0]["WebHookUri"]  # no secrets after creation
    one = data(api.get(f"subscriptions/{sub['RegistrationId']}"))
    assert one["DeadLetterCount"] == 0 and one["DeadLetters"] == []


def test_signed_text_reaches_the_flow_within_2s_signed(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    sub, _ = subscribe(api, receiver.url(path))
    data(api.post("contacts/contactnew", {"Phone": (sender := new_phone()), "Name": "Ada", "LastName": "Lovelace"}))
    params = text_params(sender, tenant.phone, "Is the shop open?")
    started = time.time()
    text(fast_host, fake, params)
    hits = receiver.wait(path, timeout=5)
    assert len(hits) == 1
    assert hits[0].at - started < 2.0, f"took {hits[0].at - started:.2f} s"
    hit = hits[0]
    assert hit.signed_with(sub["Secret"])
    assert not hit.signed_with("another secret")
    body = hit.json
    assert body["Body"] == "Is the shop open?" and body["From"] == sender and body["To"] == tenant.phone
    assert body["SmsSid"] == params["SmsSid"] and body["MessageSid"] == params["MessageSid"]
    assert body["FromCity"] == "SAN FRANCISCO" and body["ToState"] == "CA"
    assert body["ContactName"] == "Ada Lovelace" and body["ContactId"]
    assert body["MessageId"] and body["ReceivedAt"].endswith("Z") and body["Media"] == []
    assert body["EventId"] == hit.headers["X-PowerTextor-Event-Id"]
    stored = received(api, sender)
    assert [m["MessageId"] for m in stored] == [body["MessageId"]]
    assert data(api.get(f"received/{body['MessageId']}"))["Body"] == "Is the shop open?"


def test_forged_or_tampered_signature_is_403_and_nothing_is_stored(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    subscribe(api, receiver.url(path))
    sender = new_phone()
    forged = post_webhook(fast_host.base_url, fake.auth_token, text_params(sender, tenant.phone),
                          signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    tampered = post_webhook(fast_host.base_url, fake.auth_token, text_params(sender, tenant.phone, "Hi"),
                            tamper={"Body": "Send me all your money"})
    wrong_token = post_webhook(fast_host.base_url, "not-the-token", text_params(sender, tenant.phone))
    missing = post_webhook(fast_host.base_url, fake.auth_token, text_params(sender, tenant.phone), signature="")
    for res in (forged, tampered, wrong_token, missing):
        assert res.status_code == 403, res.text
        assert res.json()["Error"]["Code"] == "InvalidSignature"
    time.sleep(1.0)
    assert received(api, sender) == [] and receiver.hits(path) == []


def test_the_same_message_sid_twice_is_stored_and_notified_once(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    subscribe(api, receiver.url(path))
    sender = new_phone()
    params = text_params(sender, tenant.phone, "Twice?")
    text(fast_host, fake, params)
    text(fast_host, fake, params)
    assert len(receiver.wait(path)) == 1
    time.sleep(1.5)
    assert len(receiver.hits(path)) == 1
    assert len(received(api, sender)) == 1


def test_unknown_to_number_is_answered_200_and_dropped(api, receiver, fake, fast_host):
    path = receiver.new_path()
    subscribe(api, receiver.url(path))
    sender = new_phone()
    text(fast_host, fake, text_params(sender, new_phone("212")))
    time.sleep(1.0)
    assert receiver.hits(path) == [] and received(api, sender) == []


def test_mms_goes_to_mms_subscriptions_only_with_every_media_item(api, tenant, receiver, fake, fast_host):
    sms_path, mms_path = receiver.new_path(), receiver.new_path()
    subscribe(api, receiver.url(sms_path))
    mms_sub, _ = subscribe(api, receiver.url(mms_path), route="twilio/MMSregistration")
    assert mms_sub["Kind"] == "mms"
    sender = new_phone()
    text(fast_host, fake, text_params(sender, tenant.phone, "plain text"))
    text(fast_host, fake, mms_params(sender, tenant.phone, "two pictures", urls=2))
    sms_hits, mms_hits = receiver.wait(sms_path), receiver.wait(mms_path)
    time.sleep(1.0)
    assert [h.json["Body"] for h in receiver.hits(sms_path)] == ["plain text"]
    assert [h.json["Body"] for h in receiver.hits(mms_path)] == ["two pictures"]
    body = mms_hits[0].json
    assert body["NumMedia"] == 2 and len(body["Media"]) == 2
    assert [m["ContentType"] for m in body["Media"]] == ["image/jpeg", "image/png"]
    assert body["mediaURL"] == body["Media"][0]["Url"] and body["contentType"] == "image/jpeg"
    assert sms_hits[0].json["Media"] == [] and sms_hits[0].json["NumMedia"] == 0
    kinds = {m["Body"]: m["NumMedia"] for m in received(api, sender)}
    assert kinds == {"plain text": 0, "two pictures": 2}
    assert [m["Body"] for m in data(api.get("received", params={"From": sender, "Kind": "mms"}))] == ["two pictures"]


def test_trigger_filters_from_number_and_keyword(api, tenant, receiver, fake, fast_host):
    one, other = new_phone(), new_phone()
    from_path, word_path = receiver.new_path(), receiver.new_path()
    subscribe(api, receiver.url(from_path), FromNumber=one)
    subscribe(api, receiver.url(word_path), Keyword="join")
    text(fast_host, fake, text_params(one, tenant.phone, "hello"))
    text(fast_host, fake, text_params(other, tenant.phone, "JOIN the club"))
    text(fast_host, fake, text_params(other, tenant.phone, "joint venture"))
    receiver.wait(from_path), receiver.wait(word_path)
    time.sleep(1.0)
    assert [h.json["Body"] for h in receiver.hits(from_path)] == ["hello"]
    assert [h.json["Body"] for h in receiver.hits(word_path)] == ["JOIN the club"]


def test_tenant_a_never_receives_b_texts_nor_touches_b_registrations(make_api, receiver, fake, fast_host):
    from tests.support.tenants import new_tenant

    ta, tb = new_tenant("A"), new_tenant("B")
    a, b = make_api(ta.key), make_api(tb.key)
    a_path, b_path = receiver.new_path(), receiver.new_path()
    subscribe(a, receiver.url(a_path))
    b_sub, _ = subscribe(b, receiver.url(b_path))
    # A can neither see nor delete B's registration
    assert a.get(f"subscriptions/{b_sub['RegistrationId']}").status_code == 404
    assert data(a.delete(f"twilio/{b_sub['RegistrationId']}"))["Deleted"] is False
    sender = new_phone()
    text(fast_host, fake, text_params(sender, tb.phone, "for B only"))
    hits = receiver.wait(b_path)
    assert [h.json["Body"] for h in hits] == ["for B only"]
    time.sleep(1.0)
    assert receiver.hits(a_path) == []
    assert received(a, sender) == []
    assert a.get(f"received/{hits[0].json['MessageId']}").status_code == 404
    assert wait_until(lambda: received(b, sender))
