"""Campaigns: the list (type, when, status, reach, delivered / failed / skipped, who sent it),
filtered by status and date; a campaign's page with its live progress (``progress``, JSON, polled
while it sends), every recipient's status and error, and cancel / reschedule while it is still
scheduled. Every read and change goes through ``messaging.campaigns``, as the API's campaign
operations do (their counts, their rules and messages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

campaigns = lazy("shared_code.messaging.campaigns")
PAGE_SIZE = 50            # campaigns per page of the list
RECIPIENTS_PAGE = 100     # recipients per page of a campaign's page
POLL_SECONDS = 2          # how often a sending campaign's page asks for its progress
STATUSES = ("", "Scheduled", "Queued", "Sending", "Sent", "Cancelled")
DONE = ("Sent", "Cancelled")


def _day(view: View, name: str) -> date | None:
    from ..common.errors import ValidationFailed

    raw = (view.query.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as err:
        raise ValidationFailed(f"{name}: '{raw}' is not a date (use YYYY-MM-DD).", field=name) from err


@site.page("GET", "campaigns", "PortalCampaigns", title="Campaigns", nav=True)
def list_page(view: View) -> Any:
    """Newest first. The date range filters on the send date; a page reads the API's list a
    page at a time until it has ``PAGE_SIZE`` campaigns in range (or none are left)."""
    from ..messaging.models import CampaignQuery

    status = view.query.get("status") or ""
    since, until = _day(view, "from"), _day(view, "to")
    low = datetime.combine(since, datetime.min.time(), timezone.utc) if since else None
    high = datetime.combine(until, datetime.min.time(), timezone.utc) + timedelta(days=1) if until else None
    token = view.query.get("skiptoken") or None
    shown: list[Any] = []
    next_token = None
    while True:
        page = campaigns.list_campaigns(view.caller, validated(CampaignQuery, {
            "status": status or None, "top": PAGE_SIZE, "skiptoken": token}))
        shown += [c for c in page.items if (low is None or c.SendDate >= low) and (high is None or c.SendDate < high)]
        token = page.next_token
        if len(shown) >= PAGE_SIZE or not token:
            next_token = token
            break
    return view.render("campaigns.html", campaigns=shown, chosen=status, statuses=STATUSES,
                       since=since.isoformat() if since else "", until=until.isoformat() if until else "",
                       next_token=next_token, paged=bool(view.query.get("skiptoken")))


def progress_of(c: Any) -> dict[str, Any]:
    """How far a campaign is: recipients with an outcome out of all of them (skipped count as
    done, cancelled ones are not counted); 100 only once it is Sent."""
    total = c.Reach + c.SkippedCount
    finished = total - c.PendingCount
    done = c.Status in DONE
    share = round(100 * finished / total) if total else 0
    # 100 % means Sent: the recipients so far may all be final before dispatch has stored the rest
    percent = 100 if c.Status == "Sent" else min(share, 99)
    return {"Percent": percent, "Status": c.Status, "Done": done,
            "Counts": {"Reach": c.Reach, "Sent": c.SentCount, "Delivered": c.DeliveredCount, "Failed": c.FailedCount,
                       "Undelivered": c.UndeliveredCount - c.FailedCount, "Skipped": c.SkippedCount,
                       "Pending": c.PendingCount}}


def _campaign_page(view: View, campaign_id: str, status: int = 200, errors: dict[str, str] | None = None) -> Any:
    from ..messaging.models import NOT_DISPATCHED, RecipientQuery

    c = campaigns.get(view.caller, campaign_id)
    recipients = campaigns.list_recipients(view.caller, campaign_id, validated(RecipientQuery, {
        "top": RECIPIENTS_PAGE, "skiptoken": view.query.get("skiptoken") or None}))
    return view.render("campaign.html", status=status, c=campaigns.campaign_data(c), progress=progress_of(c),
                       recipients=recipients.items, next_token=recipients.next_token,
                       changeable=c.Status in NOT_DISPATCHED, errors=errors or {}, poll_seconds=POLL_SECONDS)


@site.page("GET", "campaigns/{campaignId}", "PortalCampaign")
def campaign_page(view: View) -> Any:
    return _campaign_page(view, view.route("campaignId"))


@site.page("GET", "campaigns/{campaignId}/progress", "PortalCampaignProgress")
def progress(view: View) -> Any:
    return view.json(progress_of(campaigns.get(view.caller, view.route("campaignId"))))


@site.page("POST", "campaigns/{campaignId}/cancel", "PortalCancelCampaign")
def cancel(view: View) -> Any:
    from ..common.errors import ApiError

    campaign_id = view.route("campaignId")
    try:
        campaigns.cancel(view.caller, campaign_id)
    except ApiError as err:
        return _campaign_page(view, campaign_id, err.status, {"_form": err.message})
    return view.redirect(f"/campaigns/{campaign_id}", flash="Cancelled: nothing more of this campaign is sent.")


def utc_moment(raw: str) -> str:
    """A datetime-local value (no offset) is read as UTC, as the form says; one with an offset
    is taken as given."""
    raw = raw.strip()
    if raw and "T" in raw and not (raw.endswith("Z") or "+" in raw[10:] or "-" in raw[10:]):
        return raw + "Z"
    return raw


@site.page("POST", "campaigns/{campaignId}/reschedule", "PortalRescheduleCampaign")
def reschedule(view: View) -> Any:
    from ..common.errors import ApiError
    from ..messaging.models import RescheduleBody

    campaign_id = view.route("campaignId")
    try:
        c = campaigns.reschedule(view.caller, campaign_id, validated(RescheduleBody, {
            "ScheduledAt": utc_moment(view.form.get("ScheduledAt", ""))}))
    except ApiError as err:
        return _campaign_page(view, campaign_id, err.status, view.errors_from(err))
    return view.redirect(f"/campaigns/{campaign_id}",
                         flash=f"Rescheduled for {c.SendDate.strftime('%Y-%m-%d %H:%M')} UTC.")
