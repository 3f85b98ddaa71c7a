"""Contacts: create-or-rename by phone (as the original connector does), update, get, delete,
list with search and paging."""

from __future__ import annotations

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import ConcurrentUpdate, Conflict, NotFound
from ..common.paging import Page, matches, paginate
from ..common.storage.rows import StorageConflict, retry_on_conflict
from ..common.storage.tables import MAX_PAGE_ROWS
from ..common.text.phones import to_e164
from .models import (Contact, ContactListItem, ContactOut, CreateContactBody, DeletedContact, Group, ListQuery,
                     UpdateContactBody)
from .recipients import find_contact, get_or_create_contact
from .storage import address_book_repo

RETRIES = 5


def _groups_of(caller: Caller, c: Contact) -> list[Group]:
    book = address_book_repo()
    return [g for g in (book.get_group(caller.account_id, gid) for gid in c.GroupIds) if g]


def _require(caller: Caller, ref: str, field: str) -> Contact:
    contact = find_contact(caller.account, ref, field=field)
    if contact is None:
        raise NotFound(f"{field}: no contact with number or id '{ref}'.", code="ContactNotFound", field=field)
    return contact


def create_or_rename(caller: Caller, body: CreateContactBody) -> ContactOut:
    """CreateAContact: a new phone makes a contact; a known phone renames that contact."""
    contact, created = get_or_create_contact(caller.account, body.Phone, field="Phone",
                                             name=body.Name, last_name=body.LastName)
    if not created and (body.Name is not None or body.LastName is not None):
        contact = apply_changes(caller, contact.ContactId, name=body.Name, last_name=body.LastName)
    return ContactOut.of(contact, _groups_of(caller, contact))


def update(caller: Caller, body: UpdateContactBody) -> ContactOut:
    """UpdateAPowerTextorContact: new name, last name and/or number for an existing contact."""
    contact = _require(caller, body.Contact, "Contact")
    new_phone = (to_e164(body.UpdatedContactNumber, region=caller.account.Region, field="UpdatedContactNumber")
                 if body.UpdatedContactNumber else None)
    contact = apply_changes(caller, contact.ContactId, name=body.UpdatedContactName,
                     last_name=body.UpdatedContactLastName, phone=new_phone)
    return ContactOut.of(contact, _groups_of(caller, contact))


def apply_changes(caller: Caller, contact_id: str, *, name: str | None = None, last_name: str | None = None,
           phone: str | None = None) -> Contact:
    """Change a contact with an ETag-guarded write; a number change moves the phone index in
    the same transaction and then refreshes the contact's membership rows."""
    acct, book = caller.account_id, address_book_repo()

    def attempt() -> Contact:
        contact = book.get_contact(acct, contact_id)
        if contact is None:
            raise NotFound(f"Contact {contact_id} was deleted meanwhile.", code="ContactNotFound")
        old_phone = contact.Phone
        if name is not None:
            contact.Name = name
        if last_name is not None:
            contact.LastName = last_name
        if phone and phone != old_phone:
            owner = book.contact_id_for_phone(acct, phone)
            if owner and owner != contact_id:
                raise Conflict(f"UpdatedContactNumber: {phone} already belongs to another contact.",
                               code="PhoneInUse", field="UpdatedContactNumber")
            contact.Phone = phone
        contact.UpdatedAt = utcnow()
        try:
            book.update_contact(acct, contact, old_phone)
        except StorageConflict as err:
            if err.kind == "exists":
                raise Conflict(f"UpdatedContactNumber: {phone} already belongs to another contact.",
                               code="PhoneInUse", field="UpdatedContactNumber") from err
            raise
        return contact

    contact = retry_on_conflict(attempt, tries=RETRIES, gave_up=ConcurrentUpdate(
        "The contact kept changing while it was being updated; try again."))
    book.refresh_memberships(acct, contact)
    return book.get_contact(acct, contact_id) or contact


def get(caller: Caller, contact_id: str) -> ContactOut:
    contact = address_book_repo().get_contact(caller.account_id, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id}.", code="ContactNotFound", field="contactId")
    return ContactOut.of(contact, _groups_of(caller, contact))


def delete(caller: Caller, contact_id: str) -> DeletedContact:
    """Remove the contact from its groups (counts follow), then delete it and its phone index."""
    from .groups import remove_contact_from_group

    acct, book = caller.account_id, address_book_repo()
    contact = book.get_contact(acct, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id}.", code="ContactNotFound", field="contactId")
    for group_id in list(contact.GroupIds):
        remove_contact_from_group(caller, group_id, contact_id)

    def attempt() -> None:
        current = book.get_contact(acct, contact_id)
        if current is not None:
            book.delete_contact(acct, current)

    retry_on_conflict(attempt, tries=RETRIES, gave_up=lambda: None)
    return DeletedContact(ContactId=contact_id, Deleted=True)


def list_contacts(caller: Caller, query: ListQuery) -> Page[ContactListItem]:
    """One page (``top``) or everything. A page of a search scans only the searched columns
    and then reads its few contacts whole; a page without a search reads just ``top`` + 1 rows:
    both stay well under a second at 10,000 contacts (bench/portal_contacts.py)."""
    acct, book = caller.account_id, address_book_repo()
    if query.top is not None and query.search:
        hits = paginate(lambda after: book.contact_names(acct, after), key=lambda c: c.ContactId,
                        keep=lambda c: matches(query.search, c.full_name, c.Phone), top=query.top,
                        token=query.skiptoken)
        found = book.get_contacts(acct, [c.ContactId for c in hits.items])
        page = Page([found[c.ContactId] for c in hits.items if c.ContactId in found], hits.next_token)
    else:
        rows = query.top + 1 if query.top is not None else MAX_PAGE_ROWS
        page = paginate(lambda after: book.list_contacts(acct, after, page_rows=rows), key=lambda c: c.ContactId,
                        keep=lambda c: matches(query.search, c.full_name, c.Phone), top=query.top,
                        token=query.skiptoken, sort=lambda c: (c.full_name.casefold() or "\uffff", c.Phone))
    names = {g.GroupId: g.Name for g in book.list_groups(acct)} if any(c.GroupIds for c in page.items) else {}
    return Page([ContactListItem.of(c, names) for c in page.items], page.next_token)
