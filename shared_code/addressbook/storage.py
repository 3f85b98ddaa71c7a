"""The address book of every account in one table, PartitionKey = account id.

Contacts, their phone index, groups, memberships and places share a partition so that a
membership change, the contact's group list and the group's member count are written in one
transaction: counts cannot drift, and a phone stays unique per account.

RowKeys: ``c_<contact>``, ``p_<e164>`` (phone index), ``g_<group>``, ``m_<group>_<contact>``,
``l_<place>``, ``x_<google place id>`` (place index), ``v_contacts`` (the contacts' version: a
new value in the same transaction as every change of a contact's name or phone, so a process
may keep the searched columns while the version stays the same), ``d_<contact>`` (a deleted
contact's tombstone: what a kept copy drops).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from ..common.context import repos
from ..common.ids import new_id
from ..common.storage.names import ADDRESS_BOOK
from ..common.storage.rows import (MAX_TRANSACTION_OPS, Op, create_op, delete_op, from_row, get_row, insert_if_absent,
                                   replace_op, to_row, transact)
from ..common.storage.tables import MAX_PAGE_ROWS, TableStore, query_keys, query_prefix
from .models import Contact, Group, Member, Place

_SCAN_ABOVE = 14 * 20  # more ids than 20 OR-filter queries hold: scan the contacts instead
# What a search reads of every contact: a third of the row, so a scan of 10,000 transfers and
# parses far less (measured on Azurite: ~0.9 s instead of ~2.6 s for 10,000 contacts).
_SEARCHED = ["ContactId", "Name", "LastName", "Phone"]
VERSION_KEY = "v_contacts"
CONTACTS_PER_TRANSACTION = (MAX_TRANSACTION_OPS - 1) // 2  # a contact row + its phone index row, and the version
CACHED_BOOKS = 8  # accounts whose searched columns a process keeps (10,000 contacts: ~2 MB)
CLOCK_MARGIN = timedelta(minutes=1)  # contacts written "since" a kept version: a minute more (servers' clocks)


class _KeptNames(NamedTuple):
    version: str
    written: datetime          # the version row's Timestamp
    names: list[ContactName]


def _name_of(row: Any) -> ContactName:
    return ContactName(str(row["ContactId"]), row.get("Name") or "", row.get("LastName") or "", str(row["Phone"]))


class ContactName(NamedTuple):
    """The searched columns of a contact (see ``contact_names``)."""

    ContactId: str
    Name: str
    LastName: str
    Phone: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.Name, self.LastName) if p)


def _contact_row(acct: str, c: Contact) -> dict[str, Any]:
    return to_row(c, acct, f"c_{c.ContactId}")


def _contact(row: Any) -> Contact:
    return from_row(Contact, row)


def _version_row(acct: str) -> dict[str, Any]:
    return {"PartitionKey": acct, "RowKey": VERSION_KEY, "Version": new_id()}


def _new_version(acct: str) -> Op:
    """The contacts changed: a new version, written blindly (any concurrent change also makes
    one; readers only compare), in the transaction of the change."""
    return replace_op(_version_row(acct), None)


def _row(acct: str, rk: str, model: Any) -> dict[str, Any]:
    return to_row(model, acct, rk)


def _model(cls: Any, row: Any) -> Any:
    return from_row(cls, row)


class AddressBookRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store
        self._names: OrderedDict[str, _KeptNames] = OrderedDict()
        self._names_lock = threading.Lock()

    @property
    def table(self):  # noqa: ANN201 - TableClient, imported lazily
        return self.store.table(ADDRESS_BOOK)

    # ---- contacts ----
    def get_contact(self, acct: str, contact_id: str) -> Contact | None:
        row = get_row(self.table, acct, f"c_{contact_id}")
        return _contact(row) if row else None

    def get_contacts(self, acct: str, contact_ids: Sequence[str]) -> dict[str, Contact]:
        """The ones of ``contact_ids`` that exist, by id: OR-filter queries (14 keys each, the
        service's limit of 15 comparisons) for a few, one scan of the account's contacts for
        many — it stops once every id is found."""
        wanted = set(contact_ids)
        found: dict[str, Contact] = {}
        if len(wanted) > _SCAN_ABOVE:
            for row in query_prefix(self.table, acct, "c_"):
                if row["RowKey"][2:] in wanted:
                    found[row["RowKey"][2:]] = _contact(row)
                    if len(found) == len(wanted):
                        break
            return found
        for row in query_keys(self.table, acct, (f"c_{c}" for c in wanted)):
            found[row["RowKey"][2:]] = _contact(row)
        return found

    def contact_id_for_phone(self, acct: str, phone: str) -> str | None:
        row = get_row(self.table, acct, f"p_{phone}")
        return row["ContactId"] if row else None

    def contacts_for_phones(self, acct: str, phones: Sequence[str]) -> dict[str, tuple[str, str]]:
        """phone -> (contact id, full name) for the phones that belong to a contact: one query
        per 14 phones, then one per 14 contacts found."""
        ids = {row["RowKey"][2:]: str(row["ContactId"])
               for row in query_keys(self.table, acct, (f"p_{p}" for p in phones))}
        contacts = self.get_contacts(acct, list(set(ids.values()))) if ids else {}
        return {phone: (cid, contacts[cid].full_name if cid in contacts else "") for phone, cid in ids.items()}

    def contacts_by_phone(self, acct: str, phones: Sequence[str]) -> dict[str, Contact]:
        """phone -> contact for the phones that belong to one (an import's lookup): one query
        per 14 phones, then one per 14 contacts found."""
        ids = {row["RowKey"][2:]: str(row["ContactId"])
               for row in query_keys(self.table, acct, (f"p_{p}" for p in phones))}
        contacts = self.get_contacts(acct, list(set(ids.values()))) if ids else {}
        return {phone: contacts[cid] for phone, cid in ids.items() if cid in contacts}

    def list_contacts(self, acct: str, after_id: str | None = None,
                      page_rows: int = MAX_PAGE_ROWS) -> Iterator[Contact]:
        """In id (creation) order. ``page_rows``: rows per query page; a caller that needs
        only the first few (one page of a listing) asks for just those."""
        after = f"c_{after_id}" if after_id else None
        for row in query_prefix(self.table, acct, "c_", after, page_rows=page_rows):
            yield _contact(row)

    def contact_names(self, acct: str, after_id: str | None = None) -> Iterator[ContactName]:
        """Id, names and phone of every contact in id order: what a search compares.

        Kept per process with the contacts' version: while it stays the same a search reads
        one row, not 10,000; once it moved, the contacts written since the kept version (by
        the service's Timestamp, which a change's transaction gives its version row too) and
        the tombstones of those deleted since are read and merged in. The version is read
        before the contacts, so a change made meanwhile leaves a stale version behind, never
        stale names under a current one."""
        from bisect import bisect_right

        version, written = self._version(acct)
        with self._names_lock:
            kept = self._names.get(acct)
        if kept is None or kept.version != version:
            kept = _KeptNames(version, written, self._merged(acct, kept))
        with self._names_lock:
            self._names[acct] = kept
            self._names.move_to_end(acct)
            while len(self._names) > CACHED_BOOKS:
                self._names.popitem(last=False)
        start = bisect_right(kept.names, after_id, key=lambda n: n.ContactId) if after_id else 0
        yield from kept.names[start:]

    def _merged(self, acct: str, kept: _KeptNames | None) -> list[ContactName]:
        """Every contact's searched columns: read whole, or the kept ones with what changed since."""
        if kept is None:
            return [_name_of(row) for row in query_prefix(self.table, acct, "c_", select=_SEARCHED)]
        since = {"since": kept.written - CLOCK_MARGIN}
        by_id = {n.ContactId: n for n in kept.names}
        by_id.update((n.ContactId, n) for n in map(_name_of, query_prefix(
            self.table, acct, "c_", select=_SEARCHED, where="Timestamp ge @since", parameters=since)))
        for row in query_prefix(self.table, acct, "d_", select=["ContactId"], where="Timestamp ge @since",
                                parameters=since):
            by_id.pop(str(row["ContactId"]), None)
        return sorted(by_id.values(), key=lambda n: n.ContactId)

    def _version(self, acct: str) -> tuple[str, datetime]:
        """The contacts' version and when it was written (the service's clock); made now for
        an account whose contacts predate it (made before the contacts are read, as a change
        would)."""
        row = get_row(self.table, acct, VERSION_KEY)
        if row is None:
            insert_if_absent(self.table, _version_row(acct))
            row = get_row(self.table, acct, VERSION_KEY)
        return str(row["Version"]), row.metadata["timestamp"]

    def insert_contact(self, acct: str, c: Contact) -> None:
        """The contact and its phone index row, together (StorageConflict("exists") when the
        phone is taken)."""
        transact(self.table, [create_op(_contact_row(acct, c)),
                              create_op({"PartitionKey": acct, "RowKey": f"p_{c.Phone}", "ContactId": c.ContactId}),
                              _new_version(acct)])

    def import_contacts(self, acct: str, contacts: list[Contact], group: Group | None = None) -> None:
        """Bulk import (CSV import, seeding benchmarks and tests): each contact's row
        and phone index row, and its member row of ``group``, in transactions of at most 100
        operations. ``group``'s row and count are the caller's to write."""
        per_contact = 3 if group else 2
        step = (MAX_TRANSACTION_OPS - 1) // per_contact
        for i in range(0, len(contacts), step):
            ops: list[Op] = [_new_version(acct)]
            for c in contacts[i:i + step]:
                ops += [create_op(_contact_row(acct, c)),
                        create_op({"PartitionKey": acct, "RowKey": f"p_{c.Phone}", "ContactId": c.ContactId})]
                if group:
                    ops.append(create_op(_row(acct, f"m_{group.GroupId}_{c.ContactId}", Member(
                        GroupId=group.GroupId, ContactId=c.ContactId, Phone=c.Phone, Name=c.full_name))))
            transact(self.table, ops)

    def update_contact(self, acct: str, c: Contact, old_phone: str) -> None:
        """ETag-guarded; a changed phone moves its index row in the same transaction
        (StorageConflict("exists") when the new phone belongs to another contact)."""
        ops = [replace_op(_contact_row(acct, c), c.etag), _new_version(acct)]
        if c.Phone != old_phone:
            ops += [delete_op(acct, f"p_{old_phone}"),
                    create_op({"PartitionKey": acct, "RowKey": f"p_{c.Phone}", "ContactId": c.ContactId})]
        transact(self.table, ops)

    def refresh_memberships(self, acct: str, c: Contact) -> None:
        """Membership rows carry the contact's phone and name for fast fan-out: keep them in step."""
        ops = [replace_op(_row(acct, f"m_{g}_{c.ContactId}", Member(GroupId=g, ContactId=c.ContactId, Phone=c.Phone,
                                                                    Name=c.full_name)), None) for g in c.GroupIds]
        for i in range(0, len(ops), MAX_TRANSACTION_OPS):
            transact(self.table, ops[i:i + MAX_TRANSACTION_OPS])

    def delete_contact(self, acct: str, c: Contact) -> None:
        """ETag-guarded, with its phone index row."""
        transact(self.table, [delete_op(acct, f"c_{c.ContactId}", c.etag), delete_op(acct, f"p_{c.Phone}"),
                              replace_op({"PartitionKey": acct, "RowKey": f"d_{c.ContactId}", "ContactId": c.ContactId},
                                         None),
                              _new_version(acct)])

    # ---- groups ----
    def get_group(self, acct: str, group_id: str) -> Group | None:
        row = get_row(self.table, acct, f"g_{group_id}")
        return _model(Group, row) if row else None

    def list_groups(self, acct: str, after_id: str | None = None) -> Iterator[Group]:
        after = f"g_{after_id}" if after_id else None
        for row in query_prefix(self.table, acct, "g_", after):
            yield _model(Group, row)

    def insert_group(self, acct: str, g: Group) -> None:
        transact(self.table, [create_op(_row(acct, f"g_{g.GroupId}", g))])

    def replace_group(self, acct: str, g: Group) -> None:
        transact(self.table, [replace_op(_row(acct, f"g_{g.GroupId}", g), g.etag)])

    def delete_group(self, acct: str, g: Group) -> None:
        """ETag-guarded: StorageConflict when the group changed (a member joined) meanwhile."""
        transact(self.table, [delete_op(acct, f"g_{g.GroupId}", g.etag)])

    def list_members(self, acct: str, group_id: str, after_contact: str | None = None) -> Iterator[Member]:
        prefix = f"m_{group_id}_"
        after = f"{prefix}{after_contact}" if after_contact else None
        for row in query_prefix(self.table, acct, prefix, after):
            yield _model(Member, row)

    def change_members(self, acct: str, group: Group, contacts: list[Contact], *, add: bool) -> None:
        """Add ``contacts`` to the group or remove them, as one transaction of the member rows,
        the contacts' rows (their GroupIds, ETag-guarded) and the group's row (its count,
        ETag-guarded): the count cannot drift. The caller has changed the models already."""
        ops: list[Op] = []
        for c in contacts:
            key = f"m_{group.GroupId}_{c.ContactId}"
            ops.append(create_op(_row(acct, key, Member(GroupId=group.GroupId, ContactId=c.ContactId, Phone=c.Phone,
                                                        Name=c.full_name))) if add else delete_op(acct, key))
            ops.append(replace_op(_contact_row(acct, c), c.etag))
        ops.append(replace_op(_row(acct, f"g_{group.GroupId}", group), group.etag))
        transact(self.table, ops)

    def drop_member(self, acct: str, group: Group, contact_id: str) -> None:
        """A member row whose contact is gone, with the group's count (StorageConflict("missing",
        index 0) when the row is gone already)."""
        transact(self.table, [delete_op(acct, f"m_{group.GroupId}_{contact_id}"),
                              replace_op(_row(acct, f"g_{group.GroupId}", group), group.etag)])

    # ---- places ----
    def get_place(self, acct: str, place_id: str) -> Place | None:
        row = get_row(self.table, acct, f"l_{place_id}")
        return _model(Place, row) if row else None

    def place_id_for_google_id(self, acct: str, google_place_id: str) -> str | None:
        row = get_row(self.table, acct, f"x_{google_place_id}")
        return row["PlaceId"] if row else None

    def list_places(self, acct: str) -> Iterator[Place]:
        for row in query_prefix(self.table, acct, "l_"):
            yield _model(Place, row)

    def insert_place(self, acct: str, p: Place) -> None:
        """The place and its Google Place ID index (StorageConflict("exists") when taken)."""
        transact(self.table, [create_op(_row(acct, f"l_{p.PlaceId}", p)),
                              create_op({"PartitionKey": acct, "RowKey": f"x_{p.GooglePlaceId}", "PlaceId": p.PlaceId})])

    def update_place(self, acct: str, p: Place, old_google_id: str) -> None:
        """ETag-guarded; a changed Google Place ID moves its index row in the same transaction."""
        ops = [replace_op(_row(acct, f"l_{p.PlaceId}", p), p.etag)]
        if p.GooglePlaceId != old_google_id:
            ops += [delete_op(acct, f"x_{old_google_id}"),
                    create_op({"PartitionKey": acct, "RowKey": f"x_{p.GooglePlaceId}", "PlaceId": p.PlaceId})]
        transact(self.table, ops)

    def delete_place(self, acct: str, p: Place) -> None:
        transact(self.table, [delete_op(acct, f"l_{p.PlaceId}", p.etag), delete_op(acct, f"x_{p.GooglePlaceId}")])


def address_book_repo() -> AddressBookRepository:
    return repos().get(AddressBookRepository)
