"""API keys end to end: the CLI creates them, the API enforces them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from tests.conftest import ROOT


def cli(*args: str, storage: str) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "AzureWebJobsStorage": storage}
    return subprocess.run([sys.executable, "-m", "shared_code.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_cli_account_and_key_lifecycle(storage, make_api):
    from tests.support.tenants import new_phone

    made = cli("account", "create", "--name", "Bloom Florist", "--phone", new_phone(), "--json", storage=storage)
    assert made.returncode == 0, made.stderr
    account_id = json.loads(made.stdout)["AccountId"]

    made = cli("key", "create", "--account", account_id, "--name", "Power Automate", "--days", "90", "--json",
               storage=storage)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    text, key_id = key["ApiKey"], key["KeyId"]
    assert text.startswith(f"ptx_{key_id}_") and len(text.split("_", 2)[2]) >= 43

    me = make_api(text).get("account")
    assert me.status_code == 200
    assert me.json()["Data"]["AccountId"] == account_id
    assert me.json()["Data"]["KeyName"] == "Power Automate"

    listed = cli("key", "list", "--account", account_id, "--json", storage=storage)
    rows = json.loads(listed.stdout)
    assert [r["KeyId"] for r in rows] == [key_id]
    assert text not in listed.stdout and "SecretHash" not in listed.stdout
    assert rows[0]["LastUsedAt"] is not None  # the call above was recorded

    upd = cli("key", "update", key_id, "--days", "0", "--json", storage=storage)
    assert json.loads(upd.stdout)["ExpiresAt"] is None

    rev = cli("key", "revoke", key_id, "--json", storage=storage)
    assert rev.returncode == 0
    denied = make_api(text).get("contacts")
    assert denied.status_code == 401
    assert denied.json()["Error"]["Code"] == "ApiKeyRevoked"


def test_only_a_hash_is_stored(storage, tenant):
    from azure.data.tables import TableClient

    table = TableClient.from_connection_string(storage, "ApiKeys")
    row = table.get_entity(tenant.key_id, "key")
    secret = tenant.key.split("_", 2)[2]
    assert secret not in json.dumps(dict(row), default=str)
    assert len(row["SecretHash"]) == 64


def test_missing_key_is_401_api_key_missing(make_api):
    res = make_api(None).get("contacts")
    assert res.status_code == 401
    assert res.json()["Success"] is False
    assert res.json()["Error"]["Code"] == "ApiKeyMissing"


def test_wrong_and_unknown_keys_are_401_api_key_invalid(make_api, tenant):
    key_id = tenant.key.split("_")[1]
    for bad in ("nonsense", f"ptx_{key_id}_{'A' * 43}", f"ptx_01AAAAAAAAAAAAAAAAAAAAAAAA_{'B' * 43}",
                tenant.key[:-1]):
        res = make_api(bad).get("contacts")
        assert res.status_code == 401, bad
        assert res.json()["Error"]["Code"] == "ApiKeyInvalid", bad


def test_expired_key_is_401_with_expiry_date(make_api, tenant, clock):
    clock.advance(days=31)
    res = make_api(tenant.key).get("contacts")
    assert res.status_code == 401
    err = res.json()["Error"]
    assert err["Code"] == "ApiKeyExpired"
    expiry = (clock.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    assert expiry in err["Message"] and "new key" in err["Message"]


def test_key_that_never_expires_keeps_working(storage, make_api, clock):
    from tests.support.tenants import new_tenant

    t = new_tenant(days=0)
    clock.advance(days=3650)
    assert make_api(t.key).get("contacts").status_code == 200


def test_invalid_validity_is_rejected(storage, tenant):
    res = cli("key", "create", "--account", tenant.account_id, "--name", "x", "--days", "45", storage=storage)
    assert res.returncode != 0 and "invalid choice" in res.stderr


def test_wrong_secret_guesses_against_a_real_key_id_are_rate_limited(make_api, tenant, clock):
    """700 guesses in a minute: a budget of 401s, then 429 for everything naming that key id
    (checked before the secret, so the right key waits too and a guess can't be told right)."""
    from shared_code.web.ratelimit import AUTH_FAILURES_PER_KEY

    guesser = make_api(f"ptx_{tenant.key_id}_{'G' * 43}")
    statuses = [guesser.get("account").status_code for _ in range(700)]
    assert statuses[:AUTH_FAILURES_PER_KEY] == [401] * AUTH_FAILURES_PER_KEY
    assert set(statuses[AUTH_FAILURES_PER_KEY:]) == {429}
    limited = guesser.get("account")
    assert limited.json()["Error"]["Code"] == "TooManyFailedAttempts" and int(limited.headers["Retry-After"]) <= 60
    assert make_api(tenant.key).get("account").status_code == 429
    clock.advance(seconds=61)
    assert make_api(tenant.key).get("account").status_code == 200


def test_guesses_across_key_ids_from_one_address_are_rate_limited(make_api, tenant):
    from shared_code.web.ratelimit import AUTH_FAILURES_PER_ADDRESS

    def guess(i: int, address: str) -> int:
        api = make_api(f"ptx_01GUESS{i:019d}_{'G' * 43}")
        return api.get("account", headers={"X-Forwarded-For": address}).status_code

    statuses = [guess(i, "198.51.100.77:50000") for i in range(AUTH_FAILURES_PER_ADDRESS + 20)]
    assert statuses[:AUTH_FAILURES_PER_ADDRESS] == [401] * AUTH_FAILURES_PER_ADDRESS
    assert set(statuses[AUTH_FAILURES_PER_ADDRESS:]) == {429}
    assert guess(999, "198.51.100.78:50000") == 401  # another address still gets its answer
    other = make_api(tenant.key).get("account", headers={"X-Forwarded-For": "198.51.100.78:1"})
    assert other.status_code == 200
