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

MEDIA_URL_SCHEMES = ("https", "http")  # the provider fetches the attachment itself

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
    if op.target == "mixed":
        return _mixed_audience(caller, op, body)
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


def _mixed_audience(caller: Caller, op: SendOperation, body: SendBody) -> Audience:
    """The general actions: contacts (picked, or a number or id typed), groups and numbers, each
    optional but one of them given. A person named twice is texted once (dispatch keeps one
    recipient per number)."""
    assert op.groups_field and op.numbers_field
    region, to, nums = caller.account.Region, op.to_field, op.numbers_field
    refs = _limited(body.items(to), to, MAX_RECIPIENTS_PER_SEND, "recipients")
    typed = _limited(body.items(nums), nums, MAX_RECIPIENTS_PER_SEND - len(refs), "recipients")
    group_refs = _limited(body.items(op.groups_field), op.groups_field, MAX_GROUPS_PER_SEND, "groups")
    if not (refs or typed or group_refs):
        raise ValidationFailed(f"Give at least one recipient: a contact in {to}, a group in {op.groups_field} or a "
                               f"number in {nums}.", field=to)
    ids = _contact_ids(caller, refs, to)
    numbers = [to_e164(r, region=region, field=f"{to}[{i}]") for i, r in enumerate(refs) if not _looks_like_id(r)]
    numbers += [to_e164(r, region=region, field=f"{nums}[{i}]") for i, r in enumerate(typed)]
    groups = {g.GroupId: g for g in (_group(caller, r, f"{op.groups_field}[{i}]") for i, r in enumerate(group_refs))}
    return Audience(contact_ids=ids, numbers=list(dict.fromkeys(numbers)), groups=list(groups.values()))


def _media_url(op: SendOperation, body: SendBody) -> list[str]:
    """The attachment of "Send a text": a public http(s) URL the provider downloads."""
    from urllib.parse import urlsplit

    url = body.text(op.media_field) if op.media_field else None
    if url is None:
        return []
    parts = urlsplit(url)
    if parts.scheme.lower() not in MEDIA_URL_SCHEMES or not parts.hostname:
        raise ValidationFailed(f"{op.media_field} must be a public https:// URL of the file to send.",
                               field=op.media_field)
    return [url]


def build_content(caller: Caller, op: SendOperation, body: SendBody) -> Content:
    from ..addressbook.places import find_place
    from ..common.text.segments import check_body

    text = _required(op, body, op.body_field)
    place_id = ""
    # a review request needs its place; "Send a text" adds a review link when one is picked
    ref = _required(op, body, op.place_field) if op.kind == "review" else (
        body.text(op.place_field) if op.place_field else None)
    if ref is not None:
        assert op.place_field
        place = find_place(caller, ref)
        if place is None:
            raise NotFound(f"{op.place_field}: no place '{ref}'. Add it under places first.", code="PlaceNotFound",
                           field=op.place_field)
        place_id = place.GooglePlaceId
        text = f"{text}\n{REVIEW_LINK.format(place_id)}"
    if body.ReplySTOPToOptOut:
        text = f"{text}\n{caller.account.OptOutText}"
    info = check_body(text, op.body_field)
    media = _media_url(op, body)
    kind = "MMS" if media else "Review" if place_id else {"mms": "MMS"}.get(op.kind, "Message")
    return Content(text, kind, place_id, info.segments, info.encoding, media,
                   track_link=bool(place_id) and body.TrackLink)


def is_reminder(op: SendOperation, body: SendBody) -> bool:
    """A reminder action, or a general one given an event date."""
    return op.timing == "reminder" or (op.timing == "any" and body.EventDate is not None)


def send_times(op: SendOperation, body: SendBody, now: datetime) -> list[datetime]:
    from .schedule import reminder_times, resolve_send_time

    if is_reminder(op, body):
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

    if not is_reminder(op, body) or not body.EventDate:
        return ""
    return parse_date(body.EventDate, "EventDate").isoformat()
