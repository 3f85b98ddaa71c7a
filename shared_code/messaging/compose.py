"""A send request taken apart: who receives it (the audience, expanded later by dispatch),
what it says (the content, checked against the provider's limits) and when it goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..accounts.models import Caller
from ..addressbook.models import Contact
from ..addressbook.storage import address_book_repo
from ..common.errors import NotFound, Unprocessable, ValidationFailed
from ..common.text.phones import to_e164
from .catalog import SendOperation
from .models import MAX_GROUPS_PER_SEND, MAX_NAME_CHARS, MAX_RECIPIENTS_PER_SEND, GroupRef, SendBody

REVIEW_LINK = "https://search.google.com/local/writereview?placeid={}"


@dataclass
class Audience:
    """Where the recipients come from; expanded later by dispatch, not here."""

    contact_ids: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    groups: list[GroupRef] = field(default_factory=list)
    contact: Contact | None = None  # single-contact actions: for the message record


@dataclass
class Content:
    body: str
    type: str
    place_id: str
    segments: int
    encoding: str
    media_urls: list[str] = field(default_factory=list)
    track_link: bool = False  # replace the review link with a tracked short link per campaign


# ---------------------------------------------------------------- request -> parts

def _required(op: SendOperation, body: SendBody, name: str) -> str:
    value = body.text(name)
    if value is None:
        raise ValidationFailed(f"{name} is required for {op.operation_id}.", field=name)
    return value


def _looks_like_id(ref: str) -> bool:
    return len(ref) == 26 and ref.isalnum() and ref.upper() == ref


def _group(caller: Caller, ref: str, field_name: str) -> GroupRef:
    group = address_book_repo().get_group(caller.account_id, ref) if _looks_like_id(ref) else None
    if group is None:
        raise NotFound(f"{field_name}: no group '{ref}'. Pick one from the list.", code="GroupNotFound",
                       field=field_name)
    return GroupRef(GroupId=group.GroupId, Name=group.Name, ContactsCount=group.ContactsCount)


def _limited(refs: list[str], field_name: str, limit: int, what: str) -> list[str]:
    """A documented cap far above what a flow sends (the audience itself is stored at any size)."""
    if len(refs) > limit:
        advice = "put the contacts in a group" if what != "groups" else "send to fewer groups at a time"
        raise Unprocessable(f"{field_name} names {len(refs):,} {what}; one action may name at most {limit:,}. "
                            f"Split the list over several sends, or {advice}.",
                            code="TooManyGroups" if what == "groups" else "TooManyRecipients", field=field_name)
    return refs


def _contact_ids(caller: Caller, refs: list[str], field_name: str) -> list[str]:
    """The ids among ``refs`` (each once), every one a contact of the caller's account: an
    unknown id is a 404 naming it, as everywhere else."""
    ids = list(dict.fromkeys(r for r in refs if _looks_like_id(r)))
    found = address_book_repo().get_contacts(caller.account_id, ids) if ids else {}
    for i, ref in enumerate(refs):
        if _looks_like_id(ref) and ref not in found:
            where = f"{field_name}[{i}]"
            raise NotFound(f"{where}: no contact with id '{ref}'. Pick one from the list.", code="ContactNotFound",
                           field=where)
    return ids


def resolve_audience(caller: Caller, op: SendOperation, body: SendBody) -> Audience:
    from ..addressbook.groups import change_membership, create_group
    from ..addressbook.recipients import find_contact, get_or_create_contact, resolve_contacts

    account, to = caller.account, op.to_field
    if op.target == "contact":
        ref = _required(op, body, to)
        contact = find_contact(account, ref, field=to)
        if contact is None:
            raise NotFound(f"{to}: no contact with number or id '{ref}'.", code="ContactNotFound", field=to)
        return Audience(contact_ids=[contact.ContactId], contact=contact)
    if op.target in ("contacts", "numbers"):
        refs = _limited(body.items(to), to, MAX_RECIPIENTS_PER_SEND, "recipients")
        group_refs = _limited(body.items(op.groups_field), op.groups_field, MAX_GROUPS_PER_SEND,
                              "groups") if op.groups_field else []
        extra = [_group(caller, r, f"{op.groups_field}[{i}]") for i, r in enumerate(group_refs)]
        if not refs and extra:
            return Audience(groups=extra)
        if not refs:
            raise ValidationFailed(f"{to} needs at least one {'contact' if op.target == 'contacts' else 'number'}.",
                                   field=to)
        ids = _contact_ids(caller, refs, to) if op.target == "contacts" else []
        numbers = [to_e164(r, region=account.Region, field=f"{to}[{i}]") for i, r in enumerate(refs)
                   if not (ids and _looks_like_id(r))]
        return Audience(contact_ids=ids, numbers=list(dict.fromkeys(numbers)), groups=extra)
    if op.target in ("group", "groups"):
        refs = body.items(to) if op.target == "groups" else [_required(op, body, to)]
        if not refs:
            raise ValidationFailed(f"{to} needs at least one group.", field=to)
        _limited(refs, to, MAX_GROUPS_PER_SEND, "groups")
        groups = {g.GroupId: g for g in (_group(caller, r, f"{to}[{i}]" if op.target == "groups" else to)
                                         for i, r in enumerate(refs))}
        return Audience(groups=list(groups.values()))
    if op.target == "number":
        phone = to_e164(_required(op, body, to), region=account.Region, field=to)
        contact, _ = get_or_create_contact(account, phone, field=to)  # the original saves the contact
        return Audience(numbers=[phone], contact=contact)
    if op.target == "new_contact":
        phone = _required(op, body, to)
        contact, created = get_or_create_contact(account, phone, field=to, name=body.ContactName,
                                                 last_name=body.ContactLastName)
        if not created and (body.ContactName or body.ContactLastName):
            from ..addressbook.contacts import apply_changes

            contact = apply_changes(caller, contact.ContactId, name=body.ContactName, last_name=body.ContactLastName)
        return Audience(contact_ids=[contact.ContactId], contact=contact)
    # new_group: the contacts in To become a new group named GroupName
    name = _required(op, body, "GroupName")
    if len(name) > MAX_NAME_CHARS:
        raise ValidationFailed(f"GroupName must be at most {MAX_NAME_CHARS} characters.", field="GroupName")
    refs = _limited(body.items(to), to, MAX_RECIPIENTS_PER_SEND, "contacts")
    if not refs:
        raise ValidationFailed(f"{to} needs at least one contact.", field=to)
    contacts = resolve_contacts(account, refs, field=to, create_missing=True)
    group = create_group(caller, name)
    change_membership(caller, group.GroupId, contacts, add=True)
    return Audience(groups=[GroupRef(GroupId=group.GroupId, Name=group.Name, ContactsCount=len(contacts))])


def build_content(caller: Caller, op: SendOperation, body: SendBody) -> Content:
    from ..addressbook.places import find_place
    from ..common.text.segments import check_body

    text = _required(op, body, op.body_field)
    place_id = ""
    if op.kind == "review":
        assert op.place_field
        ref = _required(op, body, op.place_field)
        place = find_place(caller, ref)
        if place is None:
            raise NotFound(f"{op.place_field}: no place '{ref}'. Add it under places first.", code="PlaceNotFound",
                           field=op.place_field)
        place_id = place.GooglePlaceId
        text = f"{text}\n{REVIEW_LINK.format(place_id)}"
    if body.ReplySTOPToOptOut:
        text = f"{text}\n{caller.account.OptOutText}"
    info = check_body(text, op.body_field)
    kind = {"review": "Review", "mms": "MMS"}.get(op.kind, "Message")
    return Content(text, kind, place_id, info.segments, info.encoding,
                   track_link=op.kind == "review" and body.TrackLink)


def send_times(op: SendOperation, body: SendBody, now: datetime) -> list[datetime]:
    from .schedule import reminder_times, resolve_send_time

    if op.timing == "reminder":
        if body.Day is None:
            raise ValidationFailed(f"Day is required for {op.operation_id}.", field="Day")
        return reminder_times(now=now, event_date=_required(op, body, "EventDate"), days_before=body.Day,
                              time=_required(op, body, "Time"), extra_days_before=body.ExtraDaysBefore)
    if op.timing == "scheduled" and not body.ScheduledAt:
        _required(op, body, "ScheduledDate")
        _required(op, body, "ScheduledTime")
    when = resolve_send_time(now=now, scheduled_at=body.ScheduledAt, scheduled_date=body.ScheduledDate,
                             scheduled_time=body.ScheduledTime)
    return [when or now]


def event_day(op: SendOperation, body: SendBody) -> str:
    """A reminder's event date as YYYY-MM-DD (the model checked it is a date)."""
    from .schedule import parse_date

    if op.timing != "reminder" or not body.EventDate:
        return ""
    return parse_date(body.EventDate, "EventDate").isoformat()
