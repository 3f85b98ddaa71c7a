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
