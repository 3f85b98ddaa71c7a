"""The caller's account; also the connector's test-connection call."""

from __future__ import annotations

from typing import Any

from ..common.clock import iso
from ..web.runtime import Call, endpoint


@endpoint()
def get_account(call: Call) -> dict[str, Any]:
    account, key = call.caller.account, call.caller.key  # type: ignore[union-attr]
    return {"AccountId": account.AccountId, "Name": account.Name, "Phone": account.Phone,
            "Region": account.Region, "TimeZone": account.TimeZone, "KeyId": key.KeyId, "KeyName": key.Name,
            "KeyExpiresAt": iso(key.ExpiresAt), "KeyCreatedAt": iso(key.CreatedAt)}
