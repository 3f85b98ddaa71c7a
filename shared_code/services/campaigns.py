"""The one campaign service: every send action is (recipients, content, timing) handed here.

An action writes a Campaign and enqueues ``dispatch`` — delayed by queue visibility to the
exact send time when that is within 7 days, otherwise left to the scheduler timer — and
returns at once, whatever the number of recipients."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..clock import utcnow
from ..errors import Conflict, NotFound, Unprocessable, ValidationFailed
from ..ids import new_desc_id
from ..messaging_catalog import SendOperation
from ..models.address_book import Contact
from ..models.campaigns import (ACCEPTED, CANCELLED, MAX_GROUPS_PER_SEND, MAX_NAME_CHARS, MAX_RECIPIENTS_PER_SEND,
                                NOT_DISPATCHED, QUEUED, SCHEDULED, SENDING, SENT, Campaign, CampaignGroup,
                                CampaignOut, CampaignQuery, GroupRef, MessageRecord, MessageRecordAccount,
                                MessageRecordContact, RecipientOut, RecipientQuery, RescheduleBody, SendBody,
                                DELIVERED, FAILED, SKIPPED, UNDELIVERED, PENDING, SENDING_R, CANCELLED_R)
from ..storage.names import DISPATCH_QUEUE
from ..storage.queues import MAX_DELAY_SECONDS
from ..storage.rows import StorageConflict
from ..text.phones import to_e164
from .context import Caller, repos
from .media import Attachment
from .paging import Page, decode_token, encode_token

NOW_SLACK = timedelta(seconds=1)
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
    group = repos().address_book.get_group(caller.account_id, ref) if _looks_like_id(ref) else None
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
    found = repos().address_book.get_contacts(caller.account_id, ids) if ids else {}
    for i, ref in enumerate(refs):
        if _looks_like_id(ref) and ref not in found:
            where = f"{field_name}[{i}]"
            raise NotFound(f"{where}: no contact with id '{ref}'. Pick one from the list.", code="ContactNotFound",
                           field=where)
    return ids


def resolve_audience(caller: Caller, op: SendOperation, body: SendBody) -> Audience:
    from .groups import change_membership, create_group
    from .recipients import find_contact, get_or_create_contact, resolve_contacts

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
            from .contacts import apply_changes

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
    from ..text.segments import check_body
    from .places import find_place

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
    from ..text.schedule import reminder_times, resolve_send_time

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


# ---------------------------------------------------------------- create

EXPLICIT_KEY, RUN_KEY = "key:", "run:"


def idempotency_key(headers: Any) -> str | None:
    """The caller's Idempotency-Key, else one derived from Power Automate's run headers: the
    run id, the action's name and its loop iteration identify one action execution, and the
    engine sends the same values when it retries that execution (408/429/5xx). A run key is
    completed with the request's fingerprint in ``create``."""
    explicit = headers("Idempotency-Key")
    if explicit:
        return f"{EXPLICIT_KEY}{explicit.strip()}"
    run_id = headers("x-ms-workflow-run-id")
    action = headers("x-ms-workflow-operation-name")
    if not (run_id and action):
        return None
    loop = "|".join(headers(h) or "" for h in ("x-ms-workflow-repeatitem-scope-name",
                                                "x-ms-workflow-repeatitem-index",
                                                "x-ms-workflow-repeatitem-batch-index"))
    return f"{RUN_KEY}{headers('x-ms-workflow-name') or ''}|{run_id}|{action}|{loop}"


def request_fingerprint(op: SendOperation, body: SendBody, media: Attachment | None) -> str:
    """What makes two requests the same send: the action, the parsed fields (so JSON spacing,
    key order, unknown fields or a multipart boundary don't matter) and the attachment."""
    doc = {"op": op.operation_id, "body": body.model_dump(mode="json"), "media": media.digest if media else ""}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def create(caller: Caller, op: SendOperation, body: SendBody, *, idem_key: str | None = None,
           media: Attachment | None = None) -> list[Campaign]:
    """Validate, record and queue one send action; returns its campaign(s) (several for
    reminders with extra offsets). A repeated idempotency key returns the first result, or is
    a 422 when it came with a different request. The MMS attachment is stored only once the
    request passed both, and removed again if no campaign was recorded."""
    from . import media as media_files

    now = utcnow()
    fingerprint = request_fingerprint(op, body, media)
    if idem_key and idem_key.startswith(RUN_KEY):
        idem_key = f"{idem_key}|{fingerprint}"  # another body in the same action execution: another send
    key_hash = hashlib.sha256(idem_key.encode()).hexdigest() if idem_key else None
    ids = [new_desc_id()]
    if key_hash:
        earlier = _claim(caller, key_hash, ids[0], now, fingerprint)
        if earlier:
            return earlier
    stored: str | None = None
    recorded: list[Campaign] = []
    try:
        content = build_content(caller, op, body)
        times = send_times(op, body, now)
        audience = resolve_audience(caller, op, body)
        if media is not None:
            url, stored = media_files.store(caller.account_id, media)
            content.media_urls = [url]
        series = ids[0] if len(times) > 1 else ""
        for i, when in enumerate(times):
            campaign_id = ids[0] if i == 0 else new_desc_id()
            _record(caller, op, campaign_id, content, audience, when, now, body, series, recorded)
        return recorded
    except Exception:
        if stored and not recorded:
            media_files.discard(stored)
        if key_hash:
            repos().campaigns.release_idempotency(caller.account_id, key_hash)
        raise


def _claim(caller: Caller, key_hash: str, campaign_id: str, now: datetime, fingerprint: str) -> list[Campaign] | None:
    store = repos().campaigns
    earlier = store.claim_idempotency(caller.account_id, key_hash, campaign_id, now, fingerprint)
    if earlier is None:
        return None
    earlier_id, earlier_fingerprint = earlier
    if earlier_fingerprint and earlier_fingerprint != fingerprint:
        raise Unprocessable("Idempotency-Key: this key was used in the last 24 hours for a different request "
                            "(another action or other values). Use a new key for a new send.",
                            code="IdempotencyKeyReused", field="Idempotency-Key")
    for _ in range(30):  # the first request may still be writing its campaign
        earlier_c = store.get(caller.account_id, earlier_id)
        if earlier_c is not None:
            if earlier_c.SeriesId:
                return [c for c in store.list(caller.account_id) if c.SeriesId == earlier_c.SeriesId][::-1]
            return [earlier_c]
        time.sleep(0.1)
    raise Conflict("The same request is still being processed; retry shortly.", code="IdempotencyInProgress",
                   headers={"Retry-After": "2"})


def _record(caller: Caller, op: SendOperation, campaign_id: str, content: Content, audience: Audience,
            when: datetime, now: datetime, body: SendBody, series: str, recorded: list[Campaign]) -> Campaign:
    due_now = when <= now + NOW_SLACK
    text, link_code = content.body, ""
    if content.track_link:
        from .links import create_link

        review = REVIEW_LINK.format(content.place_id)
        made = create_link(caller.account_id, campaign_id, content.place_id, review)
        if made:
            link_code, short = made
            text = text.replace(review, short)
            from ..text.segments import count_segments

            info = count_segments(text)
            content = Content(text, content.type, content.place_id, info.segments, info.encoding,
                              content.media_urls, track_link=True)
    campaign = Campaign(
        CampaignId=campaign_id, AccountId=caller.account_id, Operation=op.operation_id, Type=content.type,
        IsReminder=op.timing == "reminder", Body=content.body if not link_code else text, PlaceId=content.place_id, SendDate=when, LinkCode=link_code,
        Status=QUEUED if due_now else SCHEDULED, CreatedAt=now, CreatedBy=caller.key.Name,
        CreatedByKeyId=caller.key.KeyId, Groups=audience.groups, GroupIds=[g.GroupId for g in audience.groups],
        MediaUrls=content.media_urls, Segments=content.segments, Encoding=content.encoding,
        EventDate=_event_day(op, body), SeriesId=series,
        Reach=len(audience.numbers) + len(audience.contact_ids) + sum(g.ContactsCount for g in audience.groups))
    store = repos().campaigns
    store.insert(campaign, audience.numbers, audience.contact_ids)
    recorded.append(campaign)
    enqueue_dispatch(campaign, now)
    return campaign


def _event_day(op: SendOperation, body: SendBody) -> str:
    """A reminder's event date as YYYY-MM-DD (the model checked it is a date)."""
    from ..text.schedule import parse_date

    if op.timing != "reminder" or not body.EventDate:
        return ""
    return parse_date(body.EventDate, "EventDate").isoformat()


def enqueue_dispatch(c: Campaign, now: datetime) -> None:
    """Queue the dispatch to fire at the send time (queue visibility, ≤ 7 days); a later send
    waits in the schedule index for the timer. The index row also lets the timer re-queue a
    dispatch that was lost."""
    store = repos().campaigns
    delay = (c.SendDate - now).total_seconds()
    within = delay <= MAX_DELAY_SECONDS - 3600
    store.schedule(c, enqueued=within)
    if within:
        repos().queues.send(DISPATCH_QUEUE, {"a": c.AccountId, "c": c.CampaignId, "v": c.Version}, delay)


# ---------------------------------------------------------------- read

def refresh_counts(c: Campaign) -> Campaign:
    """Counters come from the recipients (one projection scan); they are written back when
    they changed. The campaign is Sent once dispatch has recorded that it stored the whole
    audience and every one of those recipients is final — also when the audience was empty."""
    if c.Status in NOT_DISPATCHED:
        return c
    counts = {s: 0 for s in (PENDING, SENDING_R, "queued", "sent", DELIVERED, UNDELIVERED, FAILED, SKIPPED,
                             CANCELLED_R)}
    for row in repos().campaigns.list_recipients(c.CampaignId, select=["Status"]):
        counts[row.get("Status", PENDING)] = counts.get(row.get("Status", PENDING), 0) + 1
    total = sum(counts.values())
    accepted = sum(counts[s] for s in ACCEPTED)
    new = dict(Reach=total - counts[SKIPPED] - counts[CANCELLED_R], SentCount=accepted,
               DeliveredCount=counts[DELIVERED], UndeliveredCount=counts[UNDELIVERED] + counts[FAILED],
               FailedCount=counts[FAILED], SkippedCount=counts[SKIPPED],
               PendingCount=counts[PENDING] + counts[SENDING_R])
    dispatched = c.DispatchCompletedAt is not None and total >= c.DispatchedCount
    done = c.Status == SENDING and dispatched and counts[PENDING] + counts[SENDING_R] == 0
    if any(getattr(c, k) != v for k, v in new.items()) or done:
        for k, v in new.items():
            setattr(c, k, v)
        if done:
            c.Status, c.CompletedAt = SENT, utcnow()
        try:
            repos().campaigns.replace(c)
        except StorageConflict:
            pass  # someone else refreshed it; our numbers are still right for this answer
    return c


def delivery_final(c: Campaign, sent_grace: timedelta = timedelta(minutes=10)) -> bool:
    """For "send and wait": every recipient delivered, undelivered, failed or skipped — or
    accepted long enough ago that no receipt is coming."""
    if c.Status == CANCELLED:
        return True
    if c.Status != SENT:
        return False
    with_receipt = c.DeliveredCount + (c.UndeliveredCount - c.FailedCount)  # provider-accepted, now final
    if with_receipt == c.SentCount:
        return True
    return bool(c.CompletedAt and utcnow() - c.CompletedAt > sent_grace)


def require(caller: Caller, campaign_id: str) -> Campaign:
    c = repos().campaigns.get(caller.account_id, campaign_id)
    if c is None:
        raise NotFound(f"No campaign {campaign_id}.", code="CampaignNotFound", field="campaignId")
    return c


def campaign_data(c: Campaign) -> CampaignOut:
    return CampaignOut.of_attrs(c, Groups=[CampaignGroup.of_attrs(g) for g in c.Groups], LinkClicks=_clicks(c))


def _clicks(c: Campaign) -> int:
    if not c.LinkCode:
        return 0
    from .links import clicks

    return clicks(c.LinkCode)


def message_record(caller: Caller, c: Campaign, contact: Contact | None) -> MessageRecord:
    """SendReviewSingleContact answers with its message record — never billing identifiers."""
    account = caller.account
    return MessageRecord(
        MessageId=c.CampaignId, AccountId=c.AccountId, Type=c.Type, ReferenceId=c.PlaceId, Direction="Outgoing",
        From=account.Phone, To=contact.Phone if contact else "", Body=c.Body, CampaignId=c.CampaignId, Rating=0,
        Segments=c.Segments, Status=c.Status, Deleted=False, CreatedAt=c.CreatedAt,
        Account=MessageRecordAccount(AccountId=account.AccountId, Name=account.Name, ServicePhone=account.Phone,
                                     Status="Active", CreatedAt=account.CreatedAt),
        Contact=(MessageRecordContact(ContactId=contact.ContactId, Phone=contact.Phone, Name=contact.Name,
                                      WelcomeSent=contact.WelcomeSent, Status=contact.Status, Groups=[])
                 if contact else None))


def get(caller: Caller, campaign_id: str) -> Campaign:
    return refresh_counts(require(caller, campaign_id))


def list_campaigns(caller: Caller, query: CampaignQuery) -> Page[CampaignOut]:
    status = query.status.capitalize() if query.status else None
    if status and status not in (SCHEDULED, QUEUED, SENDING, SENT, CANCELLED):
        raise ValidationFailed("status must be one of Scheduled, Queued, Sending, Sent, Cancelled.", field="status")
    after = decode_token(query.skiptoken)
    top = query.top or 100
    items: list[Campaign] = []
    for c in repos().campaigns.list(caller.account_id, after, status):
        if len(items) == top:
            return Page([campaign_data(x) for x in items], encode_token(items[-1].CampaignId))
        items.append(c)
    return Page([campaign_data(x) for x in items])


def list_recipients(caller: Caller, campaign_id: str, query: RecipientQuery) -> Page[RecipientOut]:
    require(caller, campaign_id)
    after = decode_token(query.skiptoken) if query.skiptoken else None
    top = query.top or 500
    wanted = query.status.lower() if query.status else None
    items: list[RecipientOut] = []
    for r in repos().campaigns.list_recipients(campaign_id, after):
        if wanted and r.Status != wanted:
            continue
        if len(items) == top:
            return Page(items, encode_token(items[-1].Phone))  # the RowKey, "+" and all
        items.append(RecipientOut.of_attrs(r))
    return Page(items)


# ---------------------------------------------------------------- change

def cancel(caller: Caller, campaign_id: str) -> Campaign:
    """Nothing is sent after a cancel — also when a queued dispatch or send message fires."""
    store = repos().campaigns
    for _ in range(8):
        c = require(caller, campaign_id)
        if c.Status == CANCELLED:
            return c
        if c.Status == SENT:
            raise Conflict("This campaign was already sent; there is nothing left to cancel.",
                           code="CampaignAlreadySent")
        c.Status, c.CancelledAt = CANCELLED, utcnow()
        try:
            store.replace(c)
        except StorageConflict:
            continue
        store.unschedule(c)
        return c
    raise Conflict("The campaign kept changing; try again.", code="ConcurrentUpdate")


def reschedule(caller: Caller, campaign_id: str, body: RescheduleBody) -> Campaign:
    from ..text.schedule import resolve_send_time

    now = utcnow()
    when = resolve_send_time(now=now, scheduled_at=body.ScheduledAt, scheduled_date=body.ScheduledDate,
                             scheduled_time=body.ScheduledTime)
    if when is None:
        raise ValidationFailed("Give ScheduledAt, or ScheduledDate and ScheduledTime.", field="ScheduledAt")
    store = repos().campaigns
    for _ in range(8):
        c = require(caller, campaign_id)
        if c.Status not in NOT_DISPATCHED:
            raise Conflict(f"Only a scheduled campaign can be rescheduled; this one is {c.Status}.",
                           code="CampaignNotReschedulable")
        old = c.model_copy()
        c.SendDate, c.Version = when, c.Version + 1
        c.Status = QUEUED if when <= now + NOW_SLACK else SCHEDULED
        c.with_etag(old.etag)
        try:
            store.replace(c)
        except StorageConflict:
            continue
        store.unschedule(old)
        enqueue_dispatch(c, now)
        return c
    raise Conflict("The campaign kept changing; try again.", code="ConcurrentUpdate")




