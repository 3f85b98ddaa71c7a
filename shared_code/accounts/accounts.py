"""Accounts: one per business, with the service number its texts come from."""

from __future__ import annotations

from ..common.clock import utcnow
from ..common.errors import Conflict, NotFound, ValidationFailed
from ..common.ids import new_id
from ..common.storage.rows import StorageConflict
from ..common.text.phones import to_e164
from .models import Account
from .storage import accounts_repo


def create_account(name: str, phone: str, region: str = "US") -> Account:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("Name must be 1 to 100 characters.", field="Name")
    region = (region or "").strip().upper()
    import phonenumbers

    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed(f"Region: '{region}' is not an ISO country code such as US or GB.", field="Region")
    account = Account(AccountId=new_id(), Name=name, Phone=to_e164(phone, region=region, field="Phone"),
                      Region=region, CreatedAt=utcnow())
    try:
        accounts_repo().create(account)
    except StorageConflict as err:
        raise Conflict(f"The number {account.Phone} already belongs to an account.",
                       code="PhoneInUse", field="Phone") from err
    return account


def get_account(account_id: str) -> Account:
    account = accounts_repo().get(account_id)
    if account is None:
        raise NotFound(f"No account {account_id}.", code="AccountNotFound")
    return account
