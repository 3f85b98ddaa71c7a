"""The review dashboard: per place and date range (and optionally one campaign), review
requests sent, delivered, link clicks and click-through rate (clicks per delivered text), as
bars per day and as a table, exportable as CSV. The numbers are the API's: the review campaigns
``messaging.campaigns.list_campaigns`` lists (ListCampaigns), each with the counts
``messaging.campaigns.get`` gives it (GetCampaign: SentCount, DeliveredCount, LinkClicks as they
are now; the list's stored counters lag behind delivery receipts), summed — no second count of
anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

campaigns = lazy("shared_code.messaging.campaigns")
places = lazy("shared_code.addressbook.places")
DEFAULT_DAYS = 30        # the range shown when none is chosen: the last 30 days
MAX_DAYS = 366           # the longest range one page charts (a bar per day)
LIST_PAGE = 500          # campaigns per call of the campaign list (the API's largest page)
CHART_HEIGHT = 120       # px of the tallest bar
REVIEW = "Review"
CAMPAIGN_READS = 8       # review campaigns read side by side (GetCampaign's counts)


@dataclass
class Totals:
    sent: int = 0
    delivered: int = 0
    clicks: int = 0
    campaigns: int = 0

    def add(self, c: Any) -> None:
        self.sent += c.SentCount
        self.delivered += c.DeliveredCount
        self.clicks += c.LinkClicks
        self.campaigns += 1

    @property
    def ctr(self) -> float | None:
        """Clicks per delivered text (None when nothing was delivered)."""
        return self.clicks / self.delivered if self.delivered else None


@dataclass
class Report:
    since: date
    until: date
    place: str
    campaign: str
    total: Totals = field(default_factory=Totals)
    by_place: dict[str, Totals] = field(default_factory=dict)
    by_day: dict[date, Totals] = field(default_factory=dict)
    review_campaigns: list[Any] = field(default_factory=list)


def _range(view: View) -> tuple[date, date]:
    from ..common.clock import utcnow
    from ..common.errors import ValidationFailed

    today = utcnow().date()
    out = []
    for name, default in (("from", today - timedelta(days=DEFAULT_DAYS - 1)), ("to", today)):
        raw = (view.query.get(name) or "").strip()
        try:
            out.append(date.fromisoformat(raw) if raw else default)
        except ValueError as err:
            raise ValidationFailed(f"{name}: '{raw}' is not a date (use YYYY-MM-DD).", field=name) from err
    since, until = out
    if until < since:
        raise ValidationFailed("to: the range ends before it starts.", field="to")
    if (until - since).days >= MAX_DAYS:
        raise ValidationFailed(f"to: at most {MAX_DAYS} days at a time.", field="to")
    return since, until


def report(view: View) -> Report:
    """Every review campaign sent in the range (by its send date, UTC), filtered by place and
    campaign, summed per place and per day."""
    from ..messaging.models import CampaignQuery

    since, until = _range(view)
    place, only = (view.query.get("place") or "").strip(), (view.query.get("campaign") or "").strip()
    low = datetime.combine(since, datetime.min.time(), timezone.utc)
    high = datetime.combine(until, datetime.min.time(), timezone.utc) + timedelta(days=1)
    out = Report(since, until, place, only)
    day = since
    while day <= until:
        out.by_day[day] = Totals()
        day += timedelta(days=1)
    token = None
    while True:
        page = campaigns.list_campaigns(view.caller, validated(CampaignQuery, {"top": LIST_PAGE, "skiptoken": token}))
        out.review_campaigns += [c for c in page.items if c.Type == REVIEW and low <= c.SendDate < high]
        token = page.next_token
        if not token:
            break
    from ..common.fanout import map_concurrently

    chosen = [c for c in out.review_campaigns if not (place and c.PlaceId != place)
              and not (only and c.CampaignId != only)]
    counted = map_concurrently(lambda c: campaigns.campaign_data(campaigns.get(view.caller, c.CampaignId)), chosen,
                               CAMPAIGN_READS)
    for c in counted:
        out.total.add(c)
        out.by_place.setdefault(c.PlaceId, Totals()).add(c)
        out.by_day[c.SendDate.date()].add(c)
    return out


def _bars(report: Report) -> list[dict[str, Any]]:
    top = max((t.sent for t in report.by_day.values()), default=0) or 1
    return [{"day": d, "sent": t.sent, "delivered": t.delivered, "clicks": t.clicks,
             "h_sent": round(CHART_HEIGHT * t.sent / top), "h_delivered": round(CHART_HEIGHT * t.delivered / top),
             "h_clicks": round(CHART_HEIGHT * t.clicks / top)} for d, t in report.by_day.items()]


def _place_names(view: View) -> dict[str, str]:
    from ..addressbook.models import ListQuery

    return {p.GooglePlaceId: p.Name for p in places.list_places(view.caller, ListQuery()).items}


@site.page("GET", "dashboard", "PortalDashboard", title="Review dashboard", nav=True)
def dashboard(view: View) -> Any:
    from ..common.errors import ApiError

    names = _place_names(view)
    try:
        r = report(view)
    except ApiError as err:
        return view.render("dashboard.html", status=err.status, errors=view.errors_from(err), r=None, names=names,
                           bars=[], chart_height=CHART_HEIGHT, query=view.query)
    return view.render("dashboard.html", errors={}, r=r, names=names, bars=_bars(r), chart_height=CHART_HEIGHT,
                       query=view.query)


@site.page("GET", "dashboard/export", "PortalDashboardExport")
def export(view: View) -> Any:
    """The table as CSV: one row per place, then the total (formula-safe, as every export)."""
    import csv
    import io

    from ..common.text.cells import safe_cell
    from ..web.request import ApiResponse

    r = report(view)
    names = _place_names(view)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Place", "GooglePlaceId", "From", "To", "Campaigns", "Sent", "Delivered", "Clicks", "CTR"])

    def row(name: str, gpid: str, t: Totals) -> None:
        writer.writerow([safe_cell(name), safe_cell(gpid), r.since.isoformat(), r.until.isoformat(), t.campaigns,
                         t.sent, t.delivered, t.clicks, f"{t.ctr:.4f}" if t.ctr is not None else ""])

    for gpid, t in sorted(r.by_place.items(), key=lambda kv: names.get(kv[0], kv[0])):
        row(names.get(gpid, ""), gpid, t)
    row("All places", "", r.total)
    return ApiResponse(200, buf.getvalue().encode("utf-8-sig"), {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="reviews-{r.since}-{r.until}.csv"'}, list(view.cookies))
