"""Compliance at a glance: the numbers opted out now, each with its audit history (keyword,
source, when, which key or person), manual opt-out and opt-in (``inbound.optouts.change``, as
the API's OptOutNumber / OptInNumber: audited with the signed-in user and announced to the
opt-out trigger's flows); and the flows subscribed to triggers with their last delivery,
failures and dead letters, and a way to remove one whose flow is dead
(``triggers.subscriptions.delete``, as the platform's unsubscribe call)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

optouts = lazy("shared_code.inbound.optouts")
subscriptions = lazy("shared_code.triggers.subscriptions")
PAGE_SIZE = 50          # opted-out numbers per page
HISTORY_SIZE = 50       # audit rows a number's history shows
DEAD_LETTERS_SHOWN = 20  # dead letters listed per subscription on its page
ACTIONS = {"optout": True, "optin": False}


def _flows(view: View) -> list[dict[str, Any]]:
    """Each subscription with its last delivered notification and its retrying ones (one
    filtered query each: the Deliveries partition's rows of that subscription)."""
    from ..triggers.models import D_DELIVERED, D_RETRY
    from ..triggers.storage import deliveries_repo

    repo = deliveries_repo()
    out = []
    for s in subscriptions.list_subscriptions(view.caller):
        last = repo.for_subscription(view.caller.account_id, s.RegistrationId, state=D_DELIVERED, top=1)
        retrying = repo.for_subscription(view.caller.account_id, s.RegistrationId, state=D_RETRY, top=PAGE_SIZE)
        out.append({"s": s, "last": last[0].DeliveredAt if last else None, "retrying": len(retrying)})
    return out


def _page(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    """The opted-out numbers are the OptOuts rows themselves (one query: the state the API's
    ListOptOuts pages through, with who changed it), a page of ``PAGE_SIZE``."""
    from ..inbound.storage import optouts_repo

    listed = []
    for state in optouts_repo().list(view.caller.account_id, after=view.query.get("skiptoken") or None):
        if len(listed) == PAGE_SIZE:
            break
        listed.append(state)
    next_token = listed[-1].Phone if len(listed) == PAGE_SIZE else None
    return view.render("compliance.html", status=status, opted_out=listed, next_token=next_token,
                       flows=_flows(view), errors=errors or {}, values=values or {})


@site.page("GET", "compliance", "PortalCompliance", title="Compliance", nav=True)
def compliance(view: View) -> Any:
    return _page(view)


@site.page("POST", "compliance/optouts", "PortalChangeOptOut")
def change(view: View) -> Any:
    from ..common.errors import ApiError, ValidationFailed
    from ..inbound.models import OptOutBody

    values = {"Phone": view.form.get("Phone", ""), "Reason": view.form.get("Reason", "")}
    try:
        action = view.form.get("Action", "")
        if action not in ACTIONS:
            raise ValidationFailed("Action: choose Opt out or Opt back in.", field="Action")
        state = optouts.change(view.caller, validated(OptOutBody, {"Phone": values["Phone"],
                                                                   "Reason": values["Reason"] or None}),
                               ACTIONS[action])
    except ApiError as err:
        return _page(view, err.status, view.errors_from(err), values)
    from urllib.parse import quote

    what = "opted out: nothing is sent to it" if state.OptedOut else "opted back in: it can be texted again"
    return view.redirect(f"/compliance/numbers/{quote(state.Phone)}", flash=f"{state.Phone} {what}.")


@site.page("GET", "compliance/numbers/{phone}", "PortalOptOutHistory")
def history(view: View) -> Any:
    """A number's state and its whole audit trail, newest first."""
    from ..common.text.phones import to_e164
    from ..inbound.storage import optouts_repo

    phone = to_e164(view.route("phone"), region=view.caller.account.Region, field="phone")
    repo = optouts_repo()
    return view.render("optout_history.html", phone=phone, state=repo.get(view.caller.account_id, phone),
                       events=repo.history(view.caller.account_id, phone, top=HISTORY_SIZE))


@site.page("GET", "compliance/flows/{subscriptionId}", "PortalFlow")
def flow(view: View) -> Any:
    detail = subscriptions.get(view.caller, view.route("subscriptionId"))
    return view.render("flow.html", s=detail, dead=detail.DeadLetters[:DEAD_LETTERS_SHOWN])


@site.page("POST", "compliance/flows/{subscriptionId}/remove", "PortalRemoveFlow")
def remove(view: View) -> Any:
    """Unsubscribe a flow, as the platform's DELETE does: its trigger gets nothing more."""
    detail = subscriptions.get(view.caller, view.route("subscriptionId"))
    subscriptions.delete(view.caller, detail.RegistrationId)
    return view.redirect("/compliance", flash=f"Removed the {detail.Kind} trigger of {detail.WebHookUri}: "
                                              "that flow is sent nothing more.")
