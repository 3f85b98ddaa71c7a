"""The one recipient resolver: turns what a flow passes (phone numbers from the contacts
dropdown, contact ids, bare numbers) into contacts of the caller's account."""

from __future__ import annotations

from ..accounts.models import Account
from ..common.clock import utcnow
from ..common.errors import NotFound
from ..common.ids import new_id
from ..common.storage.rows import retry_on_conflict
from ..common.text.phones import to_e164
from .models import Contact
from .storage import address_book_repo

_ID_LEN = 26


def _looks_like_id(ref: str) -> bool:
    return len(ref) == _ID_LEN and ref.isalnum() and ref.upper() == ref


def find_contact(account: Account, ref: str, *, field: str) -> Contact | None:
    """A contact by id or by phone (any format the account's region understands); None when
    there is none. A contact id is never a phone number (26 letters and digits)."""
    book = address_book_repo()
    ref = (ref or "").strip()
    if _looks_like_id(ref):
        return book.get_contact(account.AccountId, ref)
    phone = to_e164(ref, region=account.Region, field=field)
    contact_id = book.contact_id_for_phone(account.AccountId, phone)
    return book.get_contact(account.AccountId, contact_id) if contact_id else None


def get_or_create_contact(account: Account, phone: str, *, field: str, name: str | None = None,
                          last_name: str | None = None) -> tuple[Contact, bool]:
    """The contact with this phone, created if new. Returns (contact, created)."""
    book = address_book_repo()
    e164 = to_e164(phone, region=account.Region, field=field)

    def attempt() -> tuple[Contact, bool]:  # a conflict: created concurrently, read it back
        contact_id = book.contact_id_for_phone(account.AccountId, e164)
        existing = book.get_contact(account.AccountId, contact_id) if contact_id else None
        if existing:
            return existing, False
        now = utcnow()
        contact = Contact(ContactId=new_id(), Phone=e164, Name=name or "", LastName=last_name or "",
                          CreatedAt=now, UpdatedAt=now)
        book.insert_contact(account.AccountId, contact)
        return book.get_contact(account.AccountId, contact.ContactId) or contact, True

    return retry_on_conflict(attempt, tries=3, gave_up=RuntimeError("phone index kept changing"))


def resolve_contacts(account: Account, refs: list[str], *, field: str, create_missing: bool) -> list[Contact]:
    """Contacts for ``refs`` in order, without duplicates. Unknown numbers are created when
    ``create_missing``; otherwise they are a 404 naming the value, as an unknown id always is."""
    seen: set[str] = set()
    out: list[Contact] = []
    for i, ref in enumerate(refs):
        where = f"{field}[{i}]"
        contact = find_contact(account, ref, field=where)
        if contact is None:
            if not create_missing or _looks_like_id(ref.strip()):
                raise NotFound(f"{where}: no contact with number or id '{ref}'.", code="ContactNotFound",
                               field=where)
            contact, _ = get_or_create_contact(account, ref, field=where)
        if contact.ContactId not in seen:
            seen.add(contact.ContactId)
            out.append(contact)
    return out
