"""Groups and memberships. Each membership change writes the member row, the contact's group
list and the group's count in one ETag-guarded transaction, so counts never drift."""

from __future__ import annotations

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import ConcurrentUpdate, NotFound
from ..common.ids import new_id
from ..common.paging import Page, matches, paginate
from ..common.storage.rows import StorageConflict, retry_on_conflict
from .models import (Contact, CreateGroupBody, DeletedGroup, Group, GroupMembersBody, GroupOut, ListQuery, Member,
                     MemberOut, RenameGroupBody)
from .recipients import resolve_contacts
from .storage import address_book_repo

CHUNK = 49  # 49 member rows + 49 contact rows + the group row fit one 100-op transaction
RETRIES = 8


def _require(caller: Caller, group_id: str) -> Group:
    group = address_book_repo().get_group(caller.account_id, group_id)
    if group is None:
        raise NotFound(f"No group {group_id}.", code="GroupNotFound", field="groupId")
    return group


def create(caller: Caller, body: CreateGroupBody) -> GroupOut:
    """A group, with its members (numbers not yet in the address book become contacts)."""
    contacts = resolve_contacts(caller.account, body.Contacts, field="Contacts", create_missing=True)
    group = create_group(caller, body.Name)
    change_membership(caller, group.GroupId, contacts, add=True)
    return GroupOut.of(_require(caller, group.GroupId))


def create_group(caller: Caller, name: str) -> Group:
    now = utcnow()
    group = Group(GroupId=new_id(), Name=name, CreatedAt=now, UpdatedAt=now)
    book = address_book_repo()
    book.insert_group(caller.account_id, group)
    return group


def get(caller: Caller, group_id: str) -> GroupOut:
    return GroupOut.of(_require(caller, group_id))


def rename(caller: Caller, group_id: str, body: RenameGroupBody) -> GroupOut:
    book = address_book_repo()

    def attempt() -> GroupOut:
        group = _require(caller, group_id)
        group.Name, group.UpdatedAt = body.Name, utcnow()
        book.replace_group(caller.account_id, group)
        return GroupOut.of(_require(caller, group_id))

    return retry_on_conflict(attempt, gave_up=ConcurrentUpdate(
        "The group kept changing while it was renamed; try again."))


def add_members(caller: Caller, group_id: str, body: GroupMembersBody) -> GroupOut:
    _require(caller, group_id)
    contacts = resolve_contacts(caller.account, body.Contacts, field="Contacts", create_missing=True)
    change_membership(caller, group_id, contacts, add=True)
    return GroupOut.of(_require(caller, group_id))


def remove_members(caller: Caller, group_id: str, body: GroupMembersBody) -> GroupOut:
    _require(caller, group_id)
    contacts = resolve_contacts(caller.account, body.Contacts, field="Contacts", create_missing=False)
    change_membership(caller, group_id, contacts, add=False)
    return GroupOut.of(_require(caller, group_id))


def remove_contact_from_group(caller: Caller, group_id: str, contact_id: str) -> None:
    contact = address_book_repo().get_contact(caller.account_id, contact_id)
    if contact is not None:
        change_membership(caller, group_id, [contact], add=False)


def delete(caller: Caller, group_id: str) -> DeletedGroup:
    """Empty the group chunk by chunk (contacts stay), then delete it."""
    acct, book = caller.account_id, address_book_repo()
    _require(caller, group_id)
    for _ in range(100_000):
        group = book.get_group(acct, group_id)
        if group is None:
            break
        batch = []
        for member in book.list_members(acct, group_id):
            batch.append(member)
            if len(batch) == CHUNK:
                break
        if not batch:
            try:
                book.delete_group(acct, group)
                break
            except StorageConflict:
                continue
        contacts = [c for c in (book.get_contact(acct, m.ContactId) for m in batch) if c]
        change_membership(caller, group_id, contacts, add=False, orphans=[m.ContactId for m in batch])
    return DeletedGroup(GroupId=group_id, Deleted=True)


def change_membership(caller: Caller, group_id: str, contacts: list[Contact], *, add: bool,
            orphans: list[str] | None = None) -> None:
    for i in range(0, len(contacts), CHUNK):
        _change_chunk(caller, group_id, contacts[i:i + CHUNK], add)
    if orphans:  # member rows whose contact vanished: drop them and fix the count
        _drop_orphans(caller, group_id, {c for c in orphans} - {c.ContactId for c in contacts})


def _change_chunk(caller: Caller, group_id: str, chunk: list[Contact], add: bool) -> None:
    acct, book = caller.account_id, address_book_repo()
    rounds = 0

    def attempt() -> None:
        nonlocal chunk, rounds
        if rounds:  # a lost round: the contacts' group lists may have changed too
            chunk = [c for c in (book.get_contact(acct, c.ContactId) for c in chunk) if c]
        rounds += 1
        group = book.get_group(acct, group_id)
        if group is None:
            raise NotFound(f"Group {group_id} was deleted meanwhile.", code="GroupNotFound")
        todo = [c for c in chunk if (group_id in c.GroupIds) != add]
        if not todo:
            return
        for c in todo:
            if add:
                c.GroupIds.append(group_id)
            else:
                c.GroupIds.remove(group_id)
        group.ContactsCount = max(0, group.ContactsCount + (len(todo) if add else -len(todo)))
        group.UpdatedAt = utcnow()
        book.change_members(acct, group, todo, add=add)

    retry_on_conflict(attempt, gave_up=ConcurrentUpdate(
        "The group kept changing while members were updated; try again."))


def _drop_orphans(caller: Caller, group_id: str, contact_ids: set[str]) -> None:
    acct, book = caller.account_id, address_book_repo()

    def drop(contact_id: str) -> None:
        group = book.get_group(acct, group_id)
        if group is None:
            return
        group.ContactsCount = max(0, group.ContactsCount - 1)
        try:
            book.drop_member(acct, group, contact_id)
        except StorageConflict as err:
            if not (err.kind == "missing" and err.index == 0):  # the member row already gone: done
                raise

    for contact_id in contact_ids:
        retry_on_conflict(lambda: drop(contact_id), gave_up=lambda: None)


def list_groups(caller: Caller, query: ListQuery) -> Page[GroupOut]:
    book = address_book_repo()
    page = paginate(lambda after: book.list_groups(caller.account_id, after), key=lambda g: g.GroupId,
                    keep=lambda g: matches(query.search, g.Name), top=query.top, token=query.skiptoken,
                    sort=lambda g: g.Name.casefold())
    return Page([GroupOut.of(g) for g in page.items], page.next_token)


def list_members(caller: Caller, group_id: str, query: ListQuery) -> Page[MemberOut]:
    _require(caller, group_id)
    book = address_book_repo()
    page = paginate(lambda after: book.list_members(caller.account_id, group_id, after),
                    key=lambda m: m.ContactId, keep=lambda m: matches(query.search, m.Name, m.Phone),
                    top=query.top, token=query.skiptoken)
    return Page([MemberOut.of(m) for m in page.items], page.next_token)
