"""The host killed two and three times during one group send, the kills close together:
between a provider call and its result write, and inside the stuck window (while a new host is
re-checking what the dead one sent). Every recipient is texted exactly once, none is lost.

Why it takes two crashes: the second host's claim of a stuck row used to move the row's
look-back time to its own claim; dying before writing left the row ``sending`` with that new
time, and the third host asked Twilio only about texts after it — missing the first host's
text, so it sent another. The timings make that gap longer than the look-back's slack (10 s):
held rows (lease < stuck) and stuck-at-once rows (lease > stuck) are both covered.

Runs on its own Azurite, as test_crash_recovery does. bench/crash_exactly_once.py runs the
same scenario at 3,000 recipients, more times."""

from __future__ import annotations

import os
import random

import pytest

from tests.messaging.crash_runs import AFTER_CALLS, RECLAIM, Kill, run
from tests.support.fake_twilio import FakeTwilio
from tests.support.client import Api
from tests.support.processes import cli_json, start_devhost
from tests.support.tenants import new_phone

N = 150  # two send batches, claimed at once by the first host

PLANS = {
    # lease 4 s < stuck 12 s: each new host first finds the rows young (held), then re-claims them
    "held-then-reclaimed": ("4", "12", lambda rng: [Kill(AFTER_CALLS, rng.randint(20, 90)),
                                                     Kill(AFTER_CALLS, rng.randint(5, 50))]),
    # lease 13 s > stuck 3 s: the rows are stuck when the messages come back; three kills
    "stuck-at-once-3-kills": ("13", "3", lambda rng: [Kill(AFTER_CALLS, rng.randint(20, 90)), Kill(RECLAIM),
                                                       Kill(AFTER_CALLS, rng.randint(5, 40))]),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):  # noqa: ANN001, ANN201
    """A private Azurite, the fake Twilio, an account and its group of N, shared by the plans
    (each plan sends its own text, so its counts are its own)."""
    from devhost import azurite
    from devhost.azurite import free_port

    store = azurite.start(tmp_path_factory.mktemp("azurite"))
    # 100 ms per text, 8 in flight: the first host is killed mid-fan-out; 50 ms per lookup keeps
    # a re-claimed row in flight long enough for RECLAIM to see it
    fake = FakeTwilio(latency=0.1, list_latency=0.05).start()
    try:
        env = {**os.environ, **fake.env(), "AzureWebJobsStorage": store.connection_string,
               "SMS_TIMEOUT_SECONDS": "1", "SEND_CONCURRENCY": "4", "RATE_LIMIT_PER_MINUTE": "0",
               "PYTHONUNBUFFERED": "1"}
        account = cli_json(env, "account", "create", "--name", "Crash Twice Bakery", "--phone", new_phone(),
                               "--no-quiet-hours")  # texts at any hour the suite runs
        key = cli_json(env, "key", "create", "--account", account["AccountId"], "--name", "t", "--days", "30")["ApiKey"]
        phones = [new_phone("332") for _ in range(N)]
        port = free_port()
        setup = start_devhost(env, port, tmp_path_factory.mktemp("setup") / "devhost.log")
        try:
            res = Api(f"http://127.0.0.1:{port}", key).post("groups", {"Name": "All", "Contacts": phones})
            assert res.status_code == 201, res.text
        finally:
            setup.kill()
            setup.wait(timeout=10)
        yield store, fake, env, key, res.json()["Data"]["GroupId"], phones
    finally:
        fake.stop()
        store.stop()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("plan_name", list(PLANS))
def test_killed_repeatedly_every_recipient_texted_exactly_once(stack, tmp_path, plan_name: str):
    store, fake, env, key, group_id, phones = stack
    lease, stuck, make_plan = PLANS[plan_name]
    seed = random.randrange(1 << 30)
    plan = make_plan(random.Random(seed))
    out = run(env={**env, "DEVHOST_QUEUE_LEASE_SECONDS": lease, "SEND_STUCK_SECONDS": stuck},
              connection_string=store.connection_string, fake=fake, key=key, group_id=group_id, phones=phones,
              body=f"Two for one ({plan_name})", plan=plan, log_dir=tmp_path, timeout=200)

    context = (f"seed {seed}, plan {plan}, kills {out.kills}, texts at each kill {out.texts_at_kill}, "
               f"at {out.seconds_at_kill} s")
    assert len(out.kills) == len(plan), f"a planned kill did not happen: {context}"
    assert 0 < out.texts_at_kill[0] < N, f"the first kill must land mid-fan-out: {context}"
    assert out.status == "Sent", f"{out.campaign} ({context})"
    assert out.twice == {}, f"{out.duplicates} extra text(s) to {len(out.twice)} number(s): {context}"
    assert out.missing == 0, f"{out.missing} never texted: {context}"
    assert out.texts == N and out.campaign["SentCount"] == N
    print(f"{plan_name}: {context}, done in {out.seconds:.1f} s")
