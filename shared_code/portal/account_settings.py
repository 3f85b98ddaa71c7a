"""Account settings: the business's name, number and time zone, the opt-out line appended to
texts, the HELP reply and the quiet hours (the window of the recipient's local time marketing
texts go out in) — through shared_code/accounts/accounts.update_settings, whose checks
(and messages) are the ones account creation uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .site import site

if TYPE_CHECKING:
    from .runtime import View

accounts = lazy("shared_code.accounts.accounts")
FIELDS = ("Name", "Phone", "TimeZone", "OptOutText", "HelpText", "QuietHoursEnabled", "QuietHoursStart",
          "QuietHoursEnd")
ON, OFF = "on", "off"
QUIET_HOURS_OPTIONS = ((ON, "On: hold marketing texts outside the window"), (OFF, "Off: send at any hour"))


def _form(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    from .home import zone_options

    a = view.account
    values = values or {"Name": a.Name, "Phone": a.Phone, "TimeZone": a.TimeZone, "OptOutText": a.OptOutText,
                        "HelpText": a.HelpText, "QuietHoursEnabled": ON if a.QuietHoursEnabled else OFF,
                        "QuietHoursStart": a.QuietHoursStart, "QuietHoursEnd": a.QuietHoursEnd}
    return view.render("settings.html", status=status, errors=errors or {}, values=values,
                       zones=zone_options(values.get("TimeZone", "")), limits=accounts,
                       quiet_options=QUIET_HOURS_OPTIONS)


@site.page("GET", "settings", "PortalSettings", title="Settings", nav=True)
def show(view: View) -> Any:
    return _form(view)


@site.page("POST", "settings", "PortalSaveSettings")
def save(view: View) -> Any:
    from ..common.errors import ApiError

    a = view.account
    values = {k: view.form.get(k, "") for k in FIELDS}
    # a form without the quiet-hours fields (an older page still open) keeps them as they are
    enabled = a.QuietHoursEnabled if values["QuietHoursEnabled"] not in (ON, OFF) else values["QuietHoursEnabled"] == ON
    values["QuietHoursEnabled"] = ON if enabled else OFF
    values["QuietHoursStart"] = values["QuietHoursStart"] or a.QuietHoursStart
    values["QuietHoursEnd"] = values["QuietHoursEnd"] or a.QuietHoursEnd
    try:
        accounts.update_settings(a.AccountId, name=values["Name"], phone=values["Phone"],
                                 time_zone=values["TimeZone"], opt_out_text=values["OptOutText"],
                                 help_text=values["HelpText"],
                                 quiet_hours=(enabled, values["QuietHoursStart"], values["QuietHoursEnd"]))
    except ApiError as err:
        return _form(view, err.status, view.errors_from(err), values)
    return view.redirect("/settings", flash="Settings saved.")
