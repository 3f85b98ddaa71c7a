"""One idempotency utility for every send action: a retry gets the first answer back (even
after the campaign moved on), a twin still in flight is told to retry without the request
waiting, a dead attempt is finished by its retry without a second campaign, and keys expire."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tests.messaging.helpers import data, wait_campaign
from tests.support.tenants import new_phone


def _record(account_id: str, key: str):  # noqa: ANN202
    from shared_code.web.idempotency import EXPLICIT_KEY, key_hash
    from shared_code.common.context import repos

    from shared_code.web.storage import IdempotencyRepository

    repo = repos().get(IdempotencyRepository)
    hashed = key_hash(EXPLICIT_KEY + key)
    return repo, hashed, repo.get(account_id, hashed)


def _campaigns(api) -> list[dict]:  # noqa: ANN001
    return data(api.get("campaigns"))


def test_a_retry_gets_the_first_answer_even_after_the_campaign_moved_on(api, tenant):
    key = {"Idempotency-Key": "wait-1"}
    body = {"To": new_phone(), "Body": "and wait"}
    first = api.post("campaigns/sendandwait", body, headers=key)
    assert first.status_code == 202, first.text
    wait_campaign(api, data(first)["CampaignId"])  # now Sent: a fresh read would say so
    again = api.post("campaigns/sendandwait", body, headers=key)
    assert again.status_code == 202
    assert again.json() == first.json()  # the first answer, verbatim: Status as it was then
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Retry-After"] == first.headers["Retry-After"]
    assert len(_campaigns(api)) == 1


def test_a_twin_in_flight_is_told_to_retry_at_once(api, tenant):
    from shared_code.common.clock import utcnow
    from shared_code.web.idempotency import IN_PROGRESS
    from shared_code.web.storage import IdempotencyRecord

    body = {"To": new_phone(), "Body": "twin"}
    fingerprint_source = api.post("messages/sendsimple", body, headers={"Idempotency-Key": "probe"})
    repo, probe, done = _record(tenant.account_id, "probe")
    # a first request with key "busy" is working right now (its record is in progress)
    _, busy, _ = _record(tenant.account_id, "busy")
    now = utcnow()
    repo.create(tenant.account_id, busy, IdempotencyRecord(IN_PROGRESS, done.fingerprint, "01ZZZZZZZZZZZZZZZZZZZZZZZZ",
                                                           now + timedelta(hours=24), now + timedelta(minutes=4)))
    started = time.monotonic()
    res = api.post("messages/sendsimple", body, headers={"Idempotency-Key": "busy"})
    assert time.monotonic() - started < 1.5  # no waiting inside the request
    assert res.status_code == 409, res.text
    assert res.json()["Error"]["Code"] == "IdempotencyInProgress" and res.headers["Retry-After"] == "2"
    assert [c["CampaignId"] for c in _campaigns(api)] == [data(fingerprint_source)["CampaignId"]]


def test_a_dead_attempt_is_finished_by_its_retry_without_a_second_campaign(api, tenant):
    """The first request recorded its campaign, then died before keeping its answer."""
    from shared_code.common.clock import utcnow
    from shared_code.web.idempotency import IN_PROGRESS
    from shared_code.web.storage import IdempotencyRecord

    key = {"Idempotency-Key": "crash-1"}
    body = {"To": new_phone(), "Body": "once only"}
    first = data(api.post("messages/sendsimple", body, headers=key))
    repo, hashed, rec = _record(tenant.account_id, "crash-1")
    now = utcnow()
    dead = IdempotencyRecord(IN_PROGRESS, rec.fingerprint, rec.reserved, now + timedelta(hours=23),
                             now - timedelta(seconds=1))
    repo.replace(tenant.account_id, hashed, dead, rec.etag)
    again = data(api.post("messages/sendsimple", body, headers=key))
    assert again["CampaignId"] == first["CampaignId"]
    assert len(_campaigns(api)) == 1
    assert repo.get(tenant.account_id, hashed).state == "completed"  # and the retry kept its answer


def test_a_failed_action_frees_its_key(api, tenant):
    key = {"Idempotency-Key": "group-later"}
    body = {"To": "01AAAAAAAAAAAAAAAAAAAAAAAA", "Body": "x"}
    assert api.post("messages/sendsinglegroup", body, headers=key).status_code == 404
    _, _, rec = _record(tenant.account_id, "group-later")
    assert rec is None
    ok = api.post("messages/sendsimple", {"To": new_phone(), "Body": "x"}, headers=key)
    assert ok.status_code == 200, ok.text  # the key names no request yet: another one may use it


def test_an_expired_key_is_a_new_send(api, tenant):
    key = {"Idempotency-Key": "daily"}
    body = {"To": new_phone(), "Body": "every day"}
    first = data(api.post("messages/sendsimple", body, headers=key))
    repo, hashed, rec = _record(tenant.account_id, "daily")
    rec.expires_at = rec.expires_at - timedelta(hours=25)
    repo.replace(tenant.account_id, hashed, rec, rec.etag)
    second = data(api.post("messages/sendsimple", body, headers=key))
    assert second["CampaignId"] != first["CampaignId"]
    assert len(_campaigns(api)) == 2


def test_simultaneous_twins_make_one_campaign(api, tenant):
    key = {"Idempotency-Key": "burst"}
    body = {"To": new_phone(), "Body": "burst"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: api.post("messages/sendsimple", body, headers=key), range(4)))
    ok = [a for a in answers if a.status_code == 200]
    assert ok and all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    assert {data(a)["CampaignId"] for a in ok} == {c["CampaignId"] for c in _campaigns(api)}
    assert len(_campaigns(api)) == 1
