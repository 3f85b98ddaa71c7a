"""The one campaign service: every send action is (recipients, content, timing) handed here.

An action writes a Campaign and enqueues ``dispatch`` — delayed by queue visibility to the
exact send time when that is within 7 days, otherwise left to the scheduler timer — and
returns at once, whatever the number of recipients."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..accounts.models import Caller
from ..addressbook.models import Contact
from ..common.clock import utcnow
from ..common.context import repos
from ..common.errors import ConcurrentUpdate, Conflict, NotFound, Unprocessable, ValidationFailed
from ..common.ids import new_desc_id
from ..common.paging import Page, decode_token, encode_token
from ..common.storage.queues import MAX_DELAY_SECONDS
from ..common.storage.rows import StorageConflict, retry_on_conflict
from ..common.storage.tables import MAX_PAGE_ROWS
from .catalog import SendOperation
from .compose import (REVIEW_LINK, Audience, Content, build_content, event_day, is_reminder, resolve_audience,
                      send_times)
from .media import Attachment
from .models import (
    CANCELLED,
    NOT_DISPATCHED,
    PENDING,
    QUEUED,
    QUEUED_R,
    SCHEDULED,
    SENDING,
    SENDING_R,
    SENT,
    SENT_R,
    Campaign,
    CampaignGroup,
    CampaignOut,
    CampaignQuery,
    DispatchMessage,
    MessageRecord,
    MessageRecordAccount,
    MessageRecordContact,
    RecipientOut,
    RecipientQuery,
    RescheduleBody,
    SendBody,
)
from .storage import COUNTED_STATUSES, COUNTS_FROZEN, apply_counts, campaigns_repo

if TYPE_CHECKING:
    from ..web.idempotency import Attempt

NOW_SLACK = timedelta(seconds=1)
LIST_COUNT_READS = 8  # campaigns of a list page whose counters are read at once
KEPT_CHANGING = "The campaign kept changing; try again."


# ---------------------------------------------------------------- create

def request_fingerprint(op: SendOperation, body: SendBody, media: Attachment | None) -> str:
    """What makes two requests the same send: the action, the parsed fields (so JSON spacing,
    key order, unknown fields or a multipart boundary don't matter) and the attachment."""
    from ..web.idempotency import fingerprint_of

    return fingerprint_of({"op": op.operation_id, "body": body.model_dump(mode="json"),
                           "media": media.digest if media else ""})


def create(caller: Caller, op: SendOperation, body: SendBody, attempt: Attempt,
           media: Attachment | None = None) -> list[Campaign]:
    """Validate, record and queue one send action; returns its campaign(s) (several for
    reminders with extra offsets), the first under ``attempt.reserved``. Run once per
    idempotency key (``web.idempotency``); a resumed attempt first looks for what the dead one
    recorded. The MMS attachment is stored only once the request passed validation, and
    removed again if no campaign was recorded."""
    from . import media as media_files

    if attempt.resumed:
        earlier = _recorded(caller, attempt.reserved)
        if earlier:
            return earlier
    now = utcnow()
    stored: str | None = None
    recorded: list[Campaign] = []
    try:
        content = build_content(caller, op, body)
        times = send_times(op, body, now)
        audience = resolve_audience(caller, op, body)
        if media is not None:
            url, stored = media_files.store(caller.account_id, media)
            content.media_urls = [url]
        series = attempt.reserved if len(times) > 1 else ""
        for i, when in enumerate(times):
            campaign_id = attempt.reserved if i == 0 else new_desc_id()
            _record(caller, op, campaign_id, content, audience, when, now, body, series, recorded)
        return recorded
    except Exception:
        if stored and not recorded:
            media_files.discard(stored)
        raise


def _recorded(caller: Caller, campaign_id: str) -> list[Campaign]:
    """What a dead attempt recorded under its reserved id (rare: a crash mid-request; the
    series lookup reads the account's campaigns)."""
    store = campaigns_repo()
    first = store.get(caller.account_id, campaign_id)
    if first is None:
        return []
    if first.SeriesId:
        return [c for c in store.list(caller.account_id) if c.SeriesId == first.SeriesId][::-1]
    return [first]


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
            from ..common.text.segments import count_segments

            info = count_segments(text)
            content = Content(text, content.type, content.place_id, info.segments, info.encoding,
                              content.media_urls, track_link=True)
    campaign = Campaign(
        CampaignId=campaign_id, AccountId=caller.account_id, Operation=op.operation_id, Type=content.type,
        IsReminder=is_reminder(op, body), Body=content.body if not link_code else text, PlaceId=content.place_id, SendDate=when, LinkCode=link_code,
        Status=QUEUED if due_now else SCHEDULED, CreatedAt=now, CreatedBy=caller.key.Name,
        CreatedByKeyId=caller.key.KeyId, Groups=audience.groups, GroupIds=[g.GroupId for g in audience.groups],
        MediaUrls=content.media_urls, Segments=content.segments, Encoding=content.encoding,
        EventDate=event_day(op, body), SeriesId=series, Transactional=body.Transactional,
        Reach=len(audience.numbers) + len(audience.contact_ids) + sum(g.ContactsCount for g in audience.groups))
    store = campaigns_repo()
    store.insert(campaign, audience.numbers, audience.contact_ids)
    recorded.append(campaign)
    enqueue_dispatch(campaign, now)
    return campaign


def enqueue_dispatch(c: Campaign, now: datetime) -> None:
    """Queue the dispatch to fire at the send time (queue visibility, ≤ 7 days); a later send
    waits in the schedule index for the timer. The index row also lets the timer re-queue a
    dispatch that was lost."""
    store = campaigns_repo()
    delay = (c.SendDate - now).total_seconds()
    within = delay <= MAX_DELAY_SECONDS - 3600
    store.schedule(c, enqueued=within)
    if within:
        # queue visibility is whole seconds: the nearest one, so a send is at most half a second
        # off its time either way (rounding up made every send up to a second late)
        repos().queues.put(DispatchMessage(account_id=c.AccountId, campaign_id=c.CampaignId, version=c.Version),
                           max(0, round(delay)))


# ---------------------------------------------------------------- read

def refresh_counts(c: Campaign) -> Campaign:
    """The campaign with its counters as they are now — what GET and the list both answer.

    A campaign dispatched with counter rows reads them (one query of COUNTER_SHARDS rows,
    whatever its size); nothing is written: its writers keep the counters and make it Sent.
    The one exception is recovery: a writer that died between its last recipient write and
    marking the campaign Sent leaves that to the next reader (a retried message finds nothing
    left to move, so no writer would).

    A campaign dispatched before counter rows existed (Counters 0) is counted by a scan, as it
    always was, and the figures written back. Its writers keep no counters, and one that read
    the campaign before a conversion could move a recipient during it, so it is never converted
    to counter rows; once it is Sent and every recipient is final (no receipt can move one
    again) its figures are frozen on the row (COUNTS_FROZEN) and the scan is never run again."""
    if c.Status in NOT_DISPATCHED or c.Counters == COUNTS_FROZEN:
        return c
    store = campaigns_repo()
    if c.Counters > 0:
        counts = store.counts(c.CampaignId)
        apply_counts(c, counts)
        if c.Status == SENDING and c.DispatchCompletedAt is not None and not c.PendingCount:
            done = store.complete_if_done(c.AccountId, c.CampaignId, utcnow())
            if done is not None:
                return done
        return c
    return _scan_counts(c)


def _scan_counts(c: Campaign) -> Campaign:
    """Counters of a pre-counter campaign from its recipients (one projection scan), written
    back when they changed. It is Sent once dispatch has recorded that it stored the whole
    audience and every one of those recipients is out of pending/sending."""
    counts = dict.fromkeys(COUNTED_STATUSES, 0)
    for row in campaigns_repo().list_recipients(c.CampaignId, select=["Status"]):
        counts[row.get("Status", PENDING)] = counts.get(row.get("Status", PENDING), 0) + 1
    total = sum(counts.values())
    changed = apply_counts(c, counts)
    dispatched = c.DispatchCompletedAt is not None and total >= c.DispatchedCount
    done = c.Status == SENDING and dispatched and counts[PENDING] + counts[SENDING_R] == 0
    if done:
        c.Status, c.CompletedAt = SENT, utcnow()
    if c.Status == SENT and not any(counts[s] for s in (PENDING, SENDING_R, QUEUED_R, SENT_R)):
        c.Counters, changed = COUNTS_FROZEN, True
    if changed or done:
        try:
            campaigns_repo().replace(c)
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
    c = campaigns_repo().get(caller.account_id, campaign_id)
    if c is None:
        raise NotFound(f"No campaign {campaign_id}.", code="CampaignNotFound", field="campaignId")
    return c


def campaign_data(c: Campaign) -> CampaignOut:
    return CampaignOut.of_attrs(c, Groups=[CampaignGroup.of_attrs(g, IsVisible=True) for g in c.Groups],
                                LinkClicks=_clicks(c))


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
                                     Status="Active", CreatedAt=account.CreatedAt,
                                     StripeCustomerId="", StripeSubscriptionId=""),
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
    for c in campaigns_repo().list(caller.account_id, after, status):
        if len(items) == top:
            return Page(_with_counts(items), encode_token(items[-1].CampaignId))
        items.append(c)
    return Page(_with_counts(items))


def _with_counts(items: list[Campaign]) -> list[CampaignOut]:
    """The page's campaigns with their counters read as GET reads them (the same source), a
    few at once: one counter query per dispatched campaign."""
    from ..common.fanout import map_concurrently

    return [campaign_data(c) for c in map_concurrently(refresh_counts, items, LIST_COUNT_READS)]


def list_recipients(caller: Caller, campaign_id: str, query: RecipientQuery) -> Page[RecipientOut]:
    require(caller, campaign_id)
    after = decode_token(query.skiptoken) if query.skiptoken else None
    top = query.top or 500
    wanted = query.status.lower() if query.status else None
    items: list[RecipientOut] = []
    # a page and the one row that says there is more, unless a status filter skips rows
    rows = campaigns_repo().list_recipients(campaign_id, after, page_rows=MAX_PAGE_ROWS if wanted else top + 1)
    for r in rows:
        if wanted and r.Status != wanted:
            continue
        if len(items) == top:
            return Page(items, encode_token(items[-1].Phone))  # the RowKey, "+" and all
        items.append(RecipientOut.of_attrs(r))
    return Page(items)


# ---------------------------------------------------------------- change

def cancel(caller: Caller, campaign_id: str) -> Campaign:
    """Nothing is sent after a cancel — also when a queued dispatch or send message fires."""
    store = campaigns_repo()

    def attempt() -> tuple[Campaign, bool]:
        c = require(caller, campaign_id)
        if c.Status == CANCELLED:
            return c, False
        if c.Status == SENT:
            raise Conflict("This campaign was already sent; there is nothing left to cancel.",
                           code="CampaignAlreadySent")
        c.Status, c.CancelledAt = CANCELLED, utcnow()
        store.replace(c)
        return c, True

    c, cancelled = retry_on_conflict(attempt, gave_up=ConcurrentUpdate(KEPT_CHANGING))
    if cancelled:
        store.unschedule(c)
    return c


def reschedule(caller: Caller, campaign_id: str, body: RescheduleBody) -> Campaign:
    from .schedule import resolve_send_time

    now = utcnow()
    when = resolve_send_time(now=now, scheduled_at=body.ScheduledAt, scheduled_date=body.ScheduledDate,
                             scheduled_time=body.ScheduledTime)
    if when is None:
        raise ValidationFailed("Give ScheduledAt, or ScheduledDate and ScheduledTime.", field="ScheduledAt")
    store = campaigns_repo()

    def attempt() -> tuple[Campaign, Campaign]:
        c = require(caller, campaign_id)
        if c.Status not in NOT_DISPATCHED:
            raise Conflict(f"Only a scheduled campaign can be rescheduled; this one is {c.Status}.",
                           code="CampaignNotReschedulable")
        old = c.model_copy()
        c.SendDate, c.Version = when, c.Version + 1
        c.Status = QUEUED if when <= now + NOW_SLACK else SCHEDULED
        c.with_etag(old.etag)
        store.replace(c)
        return c, old

    c, old = retry_on_conflict(attempt, gave_up=ConcurrentUpdate(KEPT_CHANGING))
    store.unschedule(old)
    enqueue_dispatch(c, now)
    return c




