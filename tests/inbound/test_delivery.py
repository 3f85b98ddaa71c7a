"""Deliveries to flows: retries while the receiver is down, 404/410 and DELETE end a
registration, dead letters, the SSRF guard, and the notify handler run twice."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.inbound.helpers import data, subscribe, text, text_params, wait_until
from tests.inbound.receiver import Receiver
from tests.support.tenants import new_phone


def test_receiver_down_then_up_gets_the_text_exactly_once(api, tenant, fake, fast_host):
    flow = Receiver().start()
    path = flow.new_path()
    try:
        sub, _ = subscribe(api, flow.url(path))
        port = flow.port
        flow.stop()  # down: connections refused
        text(fast_host, fake, text_params(new_phone(), tenant.phone, "are you there?"))
        time.sleep(3.0)  # a few attempts fail meanwhile (backoff 0.5 s, doubling, at most 2 s)
        flow.port = port
        flow.start()
        hits = flow.wait(path, timeout=15)
        assert [h.json["Body"] for h in hits] == ["are you there?"]
        assert int(hits[0].headers["X-PowerTextor-Attempt"]) > 1  # it really was retried
        time.sleep(3.0)
        assert len(flow.hits(path)) == 1
        status = data(api.get(f"subscriptions/{sub['RegistrationId']}"))
        assert status["DeadLetterCount"] == 0
    finally:
        flow.stop()


@pytest.mark.parametrize("status", [410, 404])
def test_gone_callback_removes_the_subscription(api, tenant, receiver, fake, fast_host, status):
    path = receiver.new_path()
    receiver.answer(path, status)
    sub, _ = subscribe(api, receiver.url(path))
    text(fast_host, fake, text_params(new_phone(), tenant.phone, "anyone?"))
    assert len(receiver.wait(path)) == 1
    assert wait_until(lambda: api.get(f"subscriptions/{sub['RegistrationId']}").status_code == 404, timeout=5)
    text(fast_host, fake, text_params(new_phone(), tenant.phone, "still there?"))
    time.sleep(1.5)
    assert len(receiver.hits(path)) == 1


def test_delete_via_location_stops_deliveries_and_is_idempotent(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    sub, location = subscribe(api, receiver.url(path))
    text(fast_host, fake, text_params(new_phone(), tenant.phone, "first"))
    assert len(receiver.wait(path)) == 1
    res = api.session.delete(location, timeout=10)
    assert res.status_code == 200 and res.json()["Data"] == {"RegistrationId": sub["RegistrationId"], "Deleted": True}
    again = api.session.delete(location, timeout=10)
    assert again.status_code == 200 and again.json()["Data"]["Deleted"] is False
    text(fast_host, fake, text_params(new_phone(), tenant.phone, "second"))
    time.sleep(1.5)
    assert [h.json["Body"] for h in receiver.hits(path)] == ["first"]
    assert data(api.get("subscriptions")) == []


def test_a_refusing_callback_is_dead_lettered_and_visible(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    receiver.answer(path, 400)
    sub, _ = subscribe(api, receiver.url(path))
    text(fast_host, fake, text_params(new_phone(), tenant.phone, "bad flow"))
    receiver.wait(path)
    status = wait_until(lambda: (s := data(api.get(f"subscriptions/{sub['RegistrationId']}")))["DeadLetterCount"]
                        and s, timeout=5)
    assert status["LastError"] == "HTTP 400" and len(status["DeadLetters"]) == 1
    assert status["DeadLetters"][0]["LastStatus"] == 400


def test_a_busy_callback_is_retried_with_backoff(api, tenant, receiver, fake, fast_host):
    path = receiver.new_path()
    receiver.answer(path, 503)
    subscribe(api, receiver.url(path))
    text(fast_host, fake, text_params(new_phone(), tenant.phone, "busy?"))
    assert len(receiver.wait(path, count=2, timeout=8)) >= 2
    before = len(receiver.hits(path))
    receiver.answer(path, 200)
    receiver.wait(path, count=before + 1, timeout=10)
    time.sleep(3.0)
    hits = receiver.hits(path)
    assert len({h.json["EventId"] for h in hits}) == 1  # the same id on every attempt: receivers can de-duplicate
    assert [int(h.headers["X-PowerTextor-Attempt"]) for h in hits] == list(range(1, len(hits) + 1))
    assert len(hits) <= before + 2  # delivered once; at most one attempt was already on its way


@pytest.mark.parametrize("url", [
    "https://10.0.0.1/flow", "http://10.0.0.1/flow", "https://169.254.169.254/latest/meta-data",
    "http://169.254.169.254/latest/meta-data", "http://example.com/flow", "https://192.168.1.20/x",
    "https://[::ffff:10.0.0.1]/x", "ftp://example.com/x", "not a url", "https://user:pw@example.com/x",
])
def test_callback_urls_to_private_or_plain_http_hosts_are_refused(api, url):
    res = api.post("twilio/registration", {"WebHookUri": url})
    assert 400 <= res.status_code < 500, res.text
    err = res.json()["Error"]
    assert err["Field"] == "WebHookUri" and "WebHookUri" in err["Message"]
    assert data(api.get("subscriptions")) == []


SSRF_IPV6 = ["https://[::127.0.0.1]/", "https://[64:ff9b::7f00:1]/", "https://[64:ff9b::a9fe:a9fe]/",
             "https://[2002:7f00:1::]/", "https://[2002:a9fe:a9fe::]/"]


@pytest.mark.parametrize("url", SSRF_IPV6)
def test_ipv6_forms_of_loopback_and_metadata_are_refused_at_registration(api, url):
    from tests.support.app_env import app_settings

    with app_settings({"CALLBACK_ALLOW_LOCALHOST": "false"}):
        res = api.post("twilio/registration", {"WebHookUri": url})
    assert res.status_code == 400, res.text
    assert res.json()["Error"]["Code"] == "CallbackUrlRefused" and res.json()["Error"]["Field"] == "WebHookUri"
    assert data(api.get("subscriptions")) == []


@pytest.mark.parametrize("url", SSRF_IPV6)
def test_ipv6_forms_of_loopback_and_metadata_are_refused_at_delivery(api, tenant, storage, twilio, url):
    from shared_code.triggers import notify
    from shared_code.triggers.models import NotifyMessage
    from shared_code.triggers.storage import subscriptions_repo
    from tests.support.app_env import app_settings

    sub, _ = subscribe(api, "http://127.0.0.1:9/never")
    s = subscriptions_repo().get(tenant.account_id, sub["RegistrationId"])
    s.CallbackUrl = url  # stored before the guard knew these forms
    subscriptions_repo().replace(s)
    msg = {"a": tenant.account_id, "s": s.SubscriptionId, "k": "guard-v6", "t": "tok", "n": 1,
           "f": "2030-01-01T00:00:00.000Z", "e": "message.received", "p": {"Body": "x"}}
    with app_settings({"CALLBACK_ALLOW_LOCALHOST": "false"}):
        assert notify.handle(NotifyMessage.model_validate(msg)) == "dead"
    assert "public host" in data(api.get(f"subscriptions/{s.SubscriptionId}"))["LastError"]


def test_delivery_time_guard_refuses_a_private_callback_stored_earlier(api, tenant, storage, twilio):
    """A registration whose URL became private (DNS changed) is refused when delivering too."""
    from shared_code.triggers import notify
    from shared_code.triggers.models import NotifyMessage
    from shared_code.triggers.storage import subscriptions_repo

    sub, _ = subscribe(api, "http://127.0.0.1:9/never")
    s = subscriptions_repo().get(tenant.account_id, sub["RegistrationId"])
    s.CallbackUrl = "https://10.0.0.1/flow"
    subscriptions_repo().replace(s)
    msg = {"a": tenant.account_id, "s": s.SubscriptionId, "k": "guard-test", "t": "tok", "n": 1,
           "f": "2030-01-01T00:00:00.000Z", "e": "message.received", "p": {"Body": "x"}}
    assert notify.handle(NotifyMessage.model_validate(msg)) == "dead"
    assert data(api.get(f"subscriptions/{s.SubscriptionId}"))["LastError"].startswith("WebHookUri")


def test_running_the_notify_handler_twice_posts_once(api, tenant, receiver, storage, twilio):
    from shared_code.triggers import notify

    path = receiver.new_path()
    receiver.answer(path, 200, delay=0.5)
    sub, _ = subscribe(api, receiver.url(path))
    msg = {"a": tenant.account_id, "s": sub["RegistrationId"], "k": "twice-" + path[-8:], "t": "token-1", "n": 1,
           "f": "2030-01-01T00:00:00.000Z", "e": "message.received", "p": {"Body": "only once"}}
    raw = json.dumps(msg).encode()
    notify.on_notify(raw)
    notify.on_notify(raw)  # the queue delivered the same message again
    # and two workers at once on another copy of the same event
    msg2 = {**msg, "k": msg["k"] + "-b"}
    workers = [threading.Thread(target=notify.on_notify, args=(json.dumps(msg2).encode(),)) for _ in range(2)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    # a second fan-out of the same event (another token) is dropped too
    notify.on_notify(json.dumps({**msg, "t": "token-2"}).encode())
    time.sleep(1.0)
    bodies = [(h.json["Body"], h.json["EventId"]) for h in receiver.hits(path)]
    assert len(bodies) == 2 and len({e for _, e in bodies}) == 2, bodies
    from shared_code.triggers.storage import deliveries_repo

    record = deliveries_repo().get(tenant.account_id, sub["RegistrationId"], msg["k"])
    assert record.State == "delivered" and record.Token == "token-1" and record.LastStatus == 200


def test_webhook_trigger_requires_an_api_key(make_api, receiver):
    res = make_api(None).post("twilio/registration", {"WebHookUri": receiver.url("/x")})
    assert res.status_code == 401
    res = make_api("nope").delete("twilio/01JDXXXXXXXXXXXXXXXXXXXXXX")
    assert res.status_code == 401


def test_subscribe_validates_its_inputs(api, receiver):
    assert api.post("twilio/registration", {}).json()["Error"]["Field"] == "WebHookUri"
    bad_phone = api.post("twilio/registration", {"WebHookUri": receiver.url("/y"), "FromNumber": "12"})
    assert bad_phone.status_code == 400 and bad_phone.json()["Error"]["Field"] == "FromNumber"
    bad_word = api.post("twilio/registration", {"WebHookUri": receiver.url("/y"), "Keyword": "two words"})
    assert bad_word.status_code == 400 and bad_word.json()["Error"]["Field"] == "Keyword"
    bad_status = api.post("twilio/statusregistration", {"WebHookUri": receiver.url("/y"), "Statuses": "lost"})
    assert bad_status.status_code == 400 and bad_status.json()["Error"]["Field"] == "Statuses"
