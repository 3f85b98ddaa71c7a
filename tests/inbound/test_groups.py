"""Received texts in groups: texts arriving together share one queue message and one storage
transaction, yet each is stored once, delivered once per flow, and a group handled twice (or
by two workers at once) posts nothing twice."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.inbound.helpers import received, subscribe, text, text_params
from tests.support.tenants import new_phone


def _group(account_id: str, texts: list[dict[str, str]]) -> bytes:
    return json.dumps({"t": [{"a": account_id, "p": p, "r": "2026-12-01T10:00:00.000Z"} for p in texts]}).encode()


def test_texts_arriving_together_share_a_queue_message_and_each_reaches_the_flow_once(
        api, tenant, receiver, fake, fast_host, monkeypatch):
    from shared_code.inbound import receive as inbound

    groups: list[int] = []
    original = inbound._enqueue
    monkeypatch.setattr(inbound, "_enqueue", lambda items: (groups.append(len(items)), original(items)))
    path = receiver.new_path()
    subscribe(api, receiver.url(path))
    senders = [new_phone() for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda s: text(fast_host, fake, text_params(s, tenant.phone, f"hi from {s}")), senders))
    hits = receiver.wait(path, 8, timeout=10)
    assert sorted(h.json["From"] for h in hits) == sorted(senders)
    assert sum(groups) == 8 and len(groups) < 8, groups  # fewer queue messages than texts
    time.sleep(1.0)
    assert len(receiver.hits(path)) == 8  # nobody twice
    assert all(len(received(api, s)) == 1 for s in senders)


def test_a_group_handled_twice_and_by_two_workers_at_once_posts_each_text_once(api, tenant, receiver, twilio):
    from shared_code.inbound import receive as inbound

    path = receiver.new_path()
    receiver.answer(path, 200, delay=0.3)
    subscribe(api, receiver.url(path))
    senders = [new_phone() for _ in range(5)]
    raw = _group(tenant.account_id, [text_params(s, tenant.phone, "group") for s in senders])
    inbound.on_inbound(raw)
    inbound.on_inbound(raw)  # the queue handed the same message over again
    workers = [threading.Thread(target=inbound.on_inbound, args=(raw,)) for _ in range(2)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    time.sleep(1.0)
    assert sorted(h.json["From"] for h in receiver.hits(path)) == sorted(senders)
    assert all(len(received(api, s)) == 1 for s in senders)
    # and each sender's conversation holds the text once, counted unread once
    from shared_code.conversations import threads

    unread = {t.Number: t.Unread for t in threads.inbox(tenant.account_id, 50).items}
    assert {s: unread.get(s) for s in senders} == dict.fromkeys(senders, 1)
    assert all([t.Body for t in threads.texts(tenant.account_id, s, 50)] == ["group"] for s in senders)


def test_a_group_whose_first_run_died_after_claiming_is_delivered_by_the_rerun(api, tenant, receiver, twilio,
                                                                                 fast_host, monkeypatch):
    """The first run stored the texts and claimed their deliveries, then died before posting:
    the re-run hands each delivery to a notify message, which takes the dead claim over."""
    from shared_code.inbound import receive as inbound
    from shared_code.triggers import notify

    monkeypatch.setattr(notify, "STALE_GRACE", -2.9)  # NOTIFY_TIMEOUT_SECONDS is 3 here: stale after 0.1 s
    path = receiver.new_path()
    subscribe(api, receiver.url(path))
    senders = [new_phone() for _ in range(3)]
    raw = _group(tenant.account_id, [text_params(s, tenant.phone, "crash") for s in senders])

    def die(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise SystemExit("killed after the claims")

    monkeypatch.setattr(notify, "_post", die)
    try:
        inbound.on_inbound(raw)
    except SystemExit:
        pass
    assert receiver.hits(path) == []
    monkeypatch.undo()
    monkeypatch.setattr(notify, "STALE_GRACE", -2.9)
    inbound.on_inbound(raw)  # the retried message
    hits = receiver.wait(path, 3, timeout=15)
    assert sorted(h.json["From"] for h in hits) == sorted(senders)
    time.sleep(1.0)
    assert len(receiver.hits(path)) == 3


def test_a_message_queued_before_groups_is_processed_and_a_malformed_group_dropped(api, tenant, receiver, twilio,
                                                                                    caplog):
    import logging

    from shared_code.inbound import receive as inbound

    path = receiver.new_path()
    subscribe(api, receiver.url(path))
    old = new_phone()
    inbound.on_inbound(json.dumps({"a": tenant.account_id, "p": text_params(old, tenant.phone, "old format"),
                                   "r": "2026-12-01T10:00:00.000Z"}).encode())
    assert [h.json["From"] for h in receiver.wait(path, 1, timeout=10)] == [old]
    with caplog.at_level(logging.ERROR):
        inbound.on_inbound(json.dumps({"t": [{"a": tenant.account_id, "p": "not a dict"}]}).encode())
        inbound.on_inbound(json.dumps({"t": []}).encode())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all("malformed inbound message" in e for e in errors), errors


def test_the_group_commit_stores_before_it_answers_and_fails_every_caller_of_a_failed_write():
    from shared_code.common.coalesce import GroupCommit

    written: list[list[int]] = []
    gate = threading.Event()

    def write(items: list[int]) -> None:
        gate.wait(2)
        if 13 in items:
            raise OSError("storage down")
        written.append(items)

    group = GroupCommit(write, window=0.2, max_items=4, max_size=100)
    outcomes: dict[int, str] = {}

    def submit(i: int) -> None:
        try:
            group.submit(i)
            outcomes[i] = "ok" if any(i in w for w in written) else "answered before stored"
        except OSError:
            outcomes[i] = "failed"

    threads = [threading.Thread(target=submit, args=(i,)) for i in (1, 2, 3)]
    [t.start() for t in threads]
    time.sleep(0.05)
    gate.set()
    [t.join() for t in threads]
    assert outcomes == {1: "ok", 2: "ok", 3: "ok"} and written == [[1, 2, 3]]
    threads = [threading.Thread(target=submit, args=(i,)) for i in (11, 12, 13)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert outcomes[11] == outcomes[12] == outcomes[13] == "failed"
    # a full group goes at once, without waiting for the window
    started = time.monotonic()
    threads = [threading.Thread(target=submit, args=(i,)) for i in (21, 22, 23, 24)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert time.monotonic() - started < 0.2 and [21, 22, 23, 24] in [sorted(w) for w in written]
