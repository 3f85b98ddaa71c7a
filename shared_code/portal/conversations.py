"""Conversations: the inbox (threads with the newest texts first, unread badges, search by name
or number) and a thread (texts sent and received, in order, with delivery status and media),
with a reply box that sends through the API's "Send a text" (``compose.send_once``). The open
thread polls ``conversations/{number}/texts`` (JSON with the list as server-rendered, escaped
HTML) every few seconds, so new texts appear without a reload. Opted-out numbers get no reply
box, and the reply is refused for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

threads = lazy("shared_code.conversations.threads")
contacts = lazy("shared_code.addressbook.contacts")
POLL_SECONDS = 3  # how often an open thread asks for new texts
STATUS_READS = 8  # recipient rows read side by side to refresh sent texts' statuses


def _number(view: View) -> str:
    from ..common.text.phones import to_e164

    return to_e164(view.route("number"), region=view.caller.account.Region, field="number")


def _opted_out(view: View, number: str) -> bool:
    from ..inbound.storage import optouts_repo

    state = optouts_repo().get(view.caller.account_id, number)
    return bool(state and state.OptedOut)


@site.page("GET", "conversations", "PortalConversations", title="Conversations", nav=True)
def inbox(view: View) -> Any:
    from ..addressbook.models import ListQuery
    from ..conversations.models import INBOX_PAGE

    search = (view.query.get("search") or "").strip()
    if search:
        found = contacts.list_contacts(view.caller, validated(ListQuery, {"search": search, "top": INBOX_PAGE}))
        listed = threads.search(view.caller.account_id, search, [c.Phone for c in found.items], INBOX_PAGE,
                                view.caller.account.Region)
        next_token = None
    else:
        page = threads.inbox(view.caller.account_id, INBOX_PAGE, view.query.get("skiptoken") or None)
        listed, next_token = page.items, page.next_token
    return view.render("conversations.html", threads=listed, search=search, next_token=next_token,
                       paged=bool(view.query.get("skiptoken")) and not search)


def _with_status(view: View, texts: list[Any]) -> list[Any]:
    """Sent texts whose status may still move are re-read from their recipient rows (the
    status callbacks write those), side by side; changed ones are written back."""
    from ..common.fanout import map_concurrently
    from ..conversations.models import OUT
    from ..conversations.storage import conversations_repo
    from ..messaging.models import FINAL
    from ..messaging.storage import campaigns_repo

    moving = [t for t in texts if t.Direction == OUT and t.CampaignId and t.Status not in FINAL]
    if not moving:
        return texts
    rows = map_concurrently(lambda t: campaigns_repo().get_recipient(t.CampaignId, t.Number), moving, STATUS_READS)
    changed = []
    for t, r in zip(moving, rows):
        if r is not None and (r.Status, r.ErrorCode) != (t.Status, t.ErrorCode):
            t.Status, t.ErrorCode, t.ErrorMessage = r.Status, r.ErrorCode, r.ErrorMessage
            changed.append(t)
    if changed:
        conversations_repo().refresh_status(view.caller.account_id, changed)
    return texts


def _texts(view: View, number: str) -> list[Any]:
    from ..conversations.models import THREAD_PAGE

    listed = _with_status(view, threads.texts(view.caller.account_id, number, THREAD_PAGE))
    threads.mark_read(view.caller.account_id, number)  # the thread is open: what it shows is read
    return listed


def _thread_page(view: View, number: str, status: int = 200, errors: dict[str, str] | None = None,
                 values: dict[str, str] | None = None) -> Any:
    from ..addressbook.recipients import find_contact
    from .compose import KEY_FIELD, form_key

    contact = find_contact(view.caller.account, number, field="number")
    from ..conversations.storage import conversations_repo

    summary = conversations_repo().thread(view.caller.account_id, number)
    name = contact.full_name if contact else (summary.ContactName if summary else "")
    return view.render("thread.html", status=status, number=number, name=name, texts=_texts(view, number),
                       opted_out=_opted_out(view, number), errors=errors or {}, values=values or {},
                       key_field=KEY_FIELD, form_key=form_key(), poll_seconds=POLL_SECONDS)


@site.page("GET", "conversations/{number}", "PortalThread")
def thread(view: View) -> Any:
    return _thread_page(view, _number(view))


@site.page("GET", "conversations/{number}/texts", "PortalThreadTexts")
def thread_texts(view: View) -> Any:
    """The open thread's texts for its poll: the list as the page renders it."""
    from .runtime import environment

    number = _number(view)
    texts = _texts(view, number)
    html = environment().get_template("_texts.html").render(texts=texts)
    return view.json({"Html": html, "Count": len(texts), "Latest": threads.key_of(texts[-1]) if texts else ""})


@site.page("POST", "conversations/{number}", "PortalReply")
def reply(view: View) -> Any:
    from ..common.errors import ApiError, Unprocessable
    from ..messaging.catalog import SEND_TEXT
    from ..messaging.models import SendBody
    from .compose import send_once

    number = _number(view)
    values = {"Body": view.form.get("Body", ""), "ReplySTOPToOptOut": view.form.get("ReplySTOPToOptOut", "")}
    try:
        if _opted_out(view, number):
            raise Unprocessable(f"{number} opted out (replied STOP): it can't be texted until it texts START.",
                                code="OptedOut", field="Body")
        body = validated(SendBody, {"Numbers": [number], "Body": values["Body"],
                                    "ReplySTOPToOptOut": bool(values["ReplySTOPToOptOut"])})
        send_once(view, SEND_TEXT, body)
    except ApiError as err:
        return _thread_page(view, number, err.status, view.errors_from(err), values)
    from urllib.parse import quote

    return view.redirect(f"/conversations/{quote(number)}", flash="Reply sent: it shows here as it goes out.")
