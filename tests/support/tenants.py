"""Test tenants: real accounts and keys created through the services on Azurite."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

_counter = itertools.count(100)
_lock = threading.Lock()


def new_phone(area: str = "415") -> str:
    """A fresh, valid US number for each call (unique within a test run)."""
    with _lock:
        n = next(_counter)
    return f"+1{area}555{n:04d}"


@dataclass
class Tenant:
    account_id: str
    phone: str
    key: str
    key_id: str


def new_tenant(name: str = "Acme Dental", days: int = 30, region: str = "US", *,
               quiet_hours: bool = False) -> Tenant:
    """``quiet_hours`` off by default (an account's default is on): tests text numbers of US
    zones at whatever time the suite runs, and only the quiet-hours tests mean to be held."""
    from shared_code.accounts import accounts, keys

    account = accounts.create_account(name, new_phone("628"), region)
    if not quiet_hours:
        accounts.set_quiet_hours(account.AccountId, enabled=False)
    key, text = keys.create_key(account.AccountId, "tests", days)
    return Tenant(account.AccountId, account.Phone, text, key.KeyId)
