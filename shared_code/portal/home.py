"""Home: the accounts the signed-in user administers, the account switcher, and on a first
sign-in with none, the form that creates the business's account with the user as its admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .site import site

if TYPE_CHECKING:
    from .runtime import View

accounts = lazy("shared_code.accounts.accounts")
COMMON_ZONES = ("UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
                "America/Vancouver", "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin",
                "Australia/Sydney", "Pacific/Auckland")


def zone_options(current: str = "") -> list[tuple[str, str]]:
    """The time zones offered in a select (with the current one, if it is another)."""
    zones = list(COMMON_ZONES) + ([current] if current and current not in COMMON_ZONES else [])
    return [(z, z.replace("_", " ")) for z in zones]


def create_form(view: View, status: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None) -> Any:
    values = values or {"Region": "US", "TimeZone": "UTC"}
    may_create = bool(view.accounts) or accounts.may_create_accounts(view.user.email)
    return view.render("home.html", status=status, errors=errors or {}, values=values,
                       zones=zone_options(values.get("TimeZone", "")), may_create=may_create)


@site.page("GET", "", "PortalHome", title="Home", nav=True, account=False)
def home(view: View) -> Any:
    return create_form(view)


@site.page("POST", "accounts", "PortalCreateAccount", account=False)
def create_account(view: View) -> Any:
    """Anyone signed in may create a business's account; they become its first admin."""
    from ..common.errors import ApiError

    values = {k: view.form.get(k, "") for k in ("Name", "Phone", "Region", "TimeZone")}
    if not view.accounts and not accounts.may_create_accounts(view.user.email):
        from ..common.errors import Forbidden

        raise Forbidden("Only an admin can create a business's account here. Ask an admin of your business to "
                        "add you on their Admins page.", code="NotAnAdmin")
    try:
        account = accounts.create_account(values["Name"], values["Phone"], values["Region"] or "US",
                                          time_zone=values["TimeZone"] or "UTC", admins=[view.user.email])
    except ApiError as err:
        return create_form(view, err.status, view.errors_from(err), values)
    view.set_account(account.AccountId)
    return view.redirect("/", flash=f"{account.Name} is ready. Next: create an API key for Power Automate.")


@site.page("POST", "account/switch", "PortalSwitchAccount", account=False)
def switch_account(view: View) -> Any:
    """Make another account current; only one the user administers (else the same 404 as an
    unknown id)."""
    account = accounts.administered(view.user.email, view.form.get("AccountId", ""))
    view.set_account(account.AccountId)
    back = view.form.get("next", "/")
    safe = back.startswith("/") and not back.startswith("//") and "\\" not in back
    return view.redirect(back if safe else "/",
                         flash=f"Now working on {account.Name}.")
