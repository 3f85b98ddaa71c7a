"""The caller's account; also the connector's test-connection call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import Envelope, Feature, lazy

if TYPE_CHECKING:
    from ..web.runtime import Call

accounts = lazy("shared_code.accounts.models")
api = Feature("shared_code.accounts.models")

ACCOUNT = Envelope("AccountResponse", "The account of the connection.", data="AccountOut")


@api.get("account", "GetAccount", ok=ACCOUNT, ok_description="The account.", visibility="advanced",
         summary="Get my account",
         description="Returns the account and API key of this connection; it also tests the connection.")
def get_account(call: Call) -> Any:
    return accounts.AccountOut.of(call.caller.account, call.caller.key)


service = lazy("shared_code.accounts.accounts")
QUIET_HOURS = Envelope("QuietHoursResponse", "The account's quiet hours.", data="QuietHoursOut")


@api.get("account/quiethours", "GetQuietHours", ok=QUIET_HOURS, ok_description="The quiet hours.",
         visibility="advanced", summary="Get my quiet hours",
         description="Returns the window of the recipient's local time in which marketing texts go out, and "
                     "whether it is on.")
def get_quiet_hours(call: Call) -> Any:
    return accounts.QuietHoursOut.of(call.caller.account)


@api.patch("account/quiethours", "UpdateQuietHours", body="QuietHoursBody",
           body_description="The new setting; an empty field keeps its value.", ok=QUIET_HOURS,
           ok_description="The quiet hours as saved.", visibility="advanced", summary="Set my quiet hours",
           description="Turns quiet hours on or off and sets their window: marketing texts that would reach a "
                       "recipient outside it wait until it opens.")
def update_quiet_hours(call: Call) -> Any:
    body = call.body
    account = service.set_quiet_hours(call.caller.account_id, enabled=body.Enabled, start=body.Start, end=body.End)
    return accounts.QuietHoursOut.of(account)
