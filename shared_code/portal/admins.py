"""Who administers the account (at /team: the Functions host refuses routes starting "admin"): the list, add someone by their sign-in email, remove someone
(never the last admin) — shared_code/accounts/accounts.add_admin / remove_admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .site import site

if TYPE_CHECKING:
    from .runtime import View

accounts = lazy("shared_code.accounts.accounts")


def _page(view: View, status: int = 200, errors: dict[str, str] | None = None, email: str = "") -> Any:
    return view.render("admins.html", status=status, errors=errors or {}, email=email,
                       admins=view.account.Admins)


@site.page("GET", "team", "PortalAdmins", title="Admins", nav=True)
def show(view: View) -> Any:
    return _page(view)


@site.page("POST", "team", "PortalAddAdmin")
def add(view: View) -> Any:
    from ..common.errors import ApiError

    email = view.form.get("Email", "")
    try:
        accounts.add_admin(view.account.AccountId, email)
    except ApiError as err:
        return _page(view, err.status, view.errors_from(err), email)
    return view.redirect("/team", flash=f"{email.strip().lower()} can now sign in and administer "
                                          f"{view.account.Name}.")


@site.page("POST", "team/remove", "PortalRemoveAdmin")
def remove(view: View) -> Any:
    from ..common.errors import ApiError

    email = view.form.get("Email", "")
    try:
        accounts.remove_admin(view.account.AccountId, email)
    except ApiError as err:
        return _page(view, err.status, {"_form": err.message})
    if email.strip().lower() == view.user.email:
        return view.redirect("/", flash=f"You no longer administer {view.account.Name}.")
    return view.redirect("/team", flash=f"{email.strip().lower()} no longer administers {view.account.Name}.")
