"""Compose: send or schedule a text or a review request to contacts, groups or numbers, through
the API's own send actions ("Send a text", "Send a review request": ``messaging.campaigns.create``,
the same validation and messages), once per form (the form's idempotency key: a double click
or a resubmitted page texts nobody twice). The preview (opt-out line, review link, segments and
encoding) comes from the same ``build_content`` the send uses; ``segments`` answers the page's
script while you type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

campaigns = lazy("shared_code.messaging.campaigns")
book_groups = lazy("shared_code.addressbook.groups")
book_contacts = lazy("shared_code.addressbook.contacts")
places = lazy("shared_code.addressbook.places")
KEY_FIELD = "IdempotencyKey"  # each rendered form's own key (web.idempotency), so a resubmit sends once
PORTAL_KEY_PREFIX = "key:portal:"
KINDS = (("text", "Text"), ("review", "Review request"))
MAX_PICKED = 100  # contacts the compose form lists to tick (more: a group, or their numbers)


def form_key() -> str:
    from ..common.ids import new_id

    return new_id()


def send_once(view: View, op: Any, body: Any) -> str:
    """Make the campaign for ``body`` through ``op`` once per form key; returns its id. An
    ApiError (the API's validation) propagates for the page to show beside its field."""
    from ..common.ids import new_desc_id
    from ..web.idempotency import run_once
    from ..web.request import Result

    key = (view.form.get(KEY_FIELD) or "").strip()
    fingerprint = campaigns.request_fingerprint(op, body, None)

    def action(attempt: Any) -> Result:
        made = campaigns.create(view.caller, op, body, attempt)
        return Result(campaigns.campaign_data(made[0]))

    result = run_once(view.caller.account_id, f"{PORTAL_KEY_PREFIX}{key}" if key else None, fingerprint, action,
                      new_desc_id)
    data = result.data
    return str(data["CampaignId"] if isinstance(data, dict) else data.CampaignId)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def body_from(form: dict[str, str], picked_contacts: list[str], picked_groups: list[str]) -> tuple[Any, Any]:
    """The form as the API's SendText / SendReviewRequest body (its fields, its limits)."""
    from ..messaging.catalog import SEND_REVIEW_REQUEST, SEND_TEXT
    from ..messaging.models import SendBody

    review = form.get("Kind") == "review"
    values: dict[str, Any] = {"Body": form.get("Body", ""), "ReplySTOPToOptOut": bool(form.get("ReplySTOPToOptOut")),
                              "To": picked_contacts or None, "Groups": picked_groups or None,
                              "Numbers": _lines(form.get("Numbers", "")) or None,
                              "PlaceId": form.get("PlaceId") or None}
    if review:
        values["TrackLink"] = bool(form.get("TrackLink"))
    if form.get("When") == "later":
        values["ScheduledAt"] = form.get("ScheduledAt") or ""
    body = validated(SendBody, values)
    return (SEND_REVIEW_REQUEST if review else SEND_TEXT), body


@site.page("POST", "segments", "PortalSegments")
def segments(view: View) -> Any:
    """Segments and encoding of a text as typed (JSON, for the live counter), by the count the
    send uses (common.text.segments)."""
    from ..common.text.segments import count_segments
    from ..messaging.compose import REVIEW_LINK

    text = view.form.get("Body", "")
    if view.form.get("PlaceId"):
        text = f"{text}\n{REVIEW_LINK.format(view.form['PlaceId'])}"
    if view.form.get("ReplySTOPToOptOut") and view.account is not None:
        text = f"{text}\n{view.account.OptOutText}"
    info = count_segments(text)
    return view.json({"Segments": info.segments, "Encoding": info.encoding, "Characters": info.characters,
                      "NonGsm": list(info.non_gsm), "Text": text})


CONTACT_PREFIX, GROUP_PREFIX = "contact_", "group_"  # a picker checkbox: contact_<id>, group_<id>


def _picked(form: dict[str, str], prefix: str) -> list[str]:
    return [k[len(prefix):] for k, v in form.items() if k.startswith(prefix) and v]


def _compose_page(view: View, status: int = 200, errors: dict[str, str] | None = None,
                  values: dict[str, str] | None = None) -> Any:
    from ..addressbook.models import ListQuery

    listed_groups = book_groups.list_groups(view.caller, ListQuery()).items
    listed_contacts = book_contacts.list_contacts(view.caller, validated(ListQuery, {"top": MAX_PICKED})).items
    listed_places = places.list_places(view.caller, ListQuery()).items
    return view.render("compose.html", status=status, errors=errors or {}, values=values or {"Kind": "text",
                       "When": "now"}, groups=listed_groups, contacts=listed_contacts, places=listed_places,
                       kinds=KINDS, key_field=KEY_FIELD, form_key=(values or {}).get(KEY_FIELD) or form_key(),
                       contact_prefix=CONTACT_PREFIX, group_prefix=GROUP_PREFIX, max_picked=MAX_PICKED)


@site.page("GET", "compose", "PortalCompose", title="Compose", nav=True)
def compose(view: View) -> Any:
    return _compose_page(view)


@site.page("POST", "compose", "PortalSend")
def send(view: View) -> Any:
    from ..common.errors import ApiError
    from .campaigns import utc_moment

    form = dict(view.form)
    if form.get("ScheduledAt"):
        form["ScheduledAt"] = utc_moment(form["ScheduledAt"])
    try:
        op, body = body_from(form, _picked(form, CONTACT_PREFIX), _picked(form, GROUP_PREFIX))
        campaign_id = send_once(view, op, body)
    except ApiError as err:
        errors = view.errors_from(err)
        return _compose_page(view, err.status, errors, dict(view.form))
    when = "Scheduled" if form.get("When") == "later" else "Sending"
    return view.redirect(f"/campaigns/{campaign_id}", flash=f"{when}: this page follows it.")
