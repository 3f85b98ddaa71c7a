"""Account settings: the business's name, number and time zone, the opt-out line appended to
texts and the HELP reply — through shared_code/accounts/accounts.update_settings, whose checks
(and messages) are the ones account creation uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .site import site

if TYPE_CHECKING:
    from .runtime import View

accounts = lazy("shared_code.accounts.accounts")
FIELDS = ("Name", "Phone", "TimeZone", "OptOutText", "HelpText")


def _form(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    from .home import zone_options

    a = view.account
    values = values or {"Name": a.Name, "Phone": a.Phone, "TimeZone": a.TimeZone, "OptOutText": a.OptOutText,
                        "HelpText": a.HelpText}
    return view.render("settings.html", status=status, errors=errors or {}, values=values,
                       zones=zone_options(values.get("TimeZone", "")), limits=accounts)


@site.page("GET", "settings", "PortalSettings", title="Settings", nav=True)
def show(view: View) -> Any:
    return _form(view)


@site.page("POST", "settings", "PortalSaveSettings")
def save(view: View) -> Any:
    from ..common.errors import ApiError

    values = {k: view.form.get(k, "") for k in FIELDS}
    try:
        accounts.update_settings(view.account.AccountId, name=values["Name"], phone=values["Phone"],
                                 time_zone=values["TimeZone"], opt_out_text=values["OptOutText"],
                                 help_text=values["HelpText"])
    except ApiError as err:
        return _form(view, err.status, view.errors_from(err), values)
    return view.redirect("/settings", flash="Settings saved.")
