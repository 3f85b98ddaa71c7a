"""API keys, as the original portal has them: the list (name, created, expires, last used,
status), New (name, validity) -> the key shown once, edit the validity, revoke with a
confirmation. Every rule is shared_code/accounts/keys.py's; a key made here works at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .site import site

if TYPE_CHECKING:
    from .runtime import View

keys = lazy("shared_code.accounts.keys")
VALIDITY = ((30, "30 days"), (60, "60 days"), (90, "90 days"), (180, "180 days"), (365, "365 days"), (0, "Never expires"))


def _days(text: str) -> int:
    """The form's choice; anything else reaches the service's own check (and its message)."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return -1


def _list(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    rows = [(k, keys.status(k)) for k in reversed(keys.list_keys(view.account.AccountId))]
    return view.render("keys.html", status=status, rows=rows, validity=VALIDITY, errors=errors or {},
                       values=values or {"Days": "90"})


@site.page("GET", "keys", "PortalKeys", title="API keys", nav=True)
def list_keys(view: View) -> Any:
    return _list(view)


@site.page("POST", "keys", "PortalCreateKey")
def create_key(view: View) -> Any:
    """Shown once, on this answer only: the key is not stored and never redirected to."""
    from ..common.errors import ApiError

    values = {"Name": view.form.get("Name", ""), "Days": view.form.get("Days", "")}
    try:
        key, text = keys.create_key(view.account.AccountId, values["Name"], _days(values["Days"]))
    except ApiError as err:
        return _list(view, err.status, view.errors_from(err), values)
    return view.render("key_created.html", status=201, key=key, secret=text)


@site.page("POST", "keys/{keyId}/validity", "PortalKeyValidity")
def change_validity(view: View) -> Any:
    key = keys.update_validity(view.route("keyId"), _days(view.form.get("Days", "")), view.account.AccountId)
    until = f"until {key.ExpiresAt:%Y-%m-%d %H:%M} UTC" if key.ExpiresAt else "with no expiry"
    return view.redirect("/keys", flash=f"{key.Name} is now valid {until}.")


@site.page("GET", "keys/{keyId}/revoke", "PortalConfirmRevokeKey")
def confirm_revoke(view: View) -> Any:
    key = next((k for k in keys.list_keys(view.account.AccountId) if k.KeyId == view.route("keyId")), None)
    if key is None:
        from ..common.errors import NotFound

        raise NotFound(f"No API key {view.route('keyId')}.", code="ApiKeyNotFound")
    return view.render("key_revoke.html", key=key, status_text=keys.status(key))


@site.page("POST", "keys/{keyId}/revoke", "PortalRevokeKey")
def revoke(view: View) -> Any:
    key = keys.revoke(view.route("keyId"), view.account.AccountId)
    return view.redirect("/keys", flash=f"{key.Name} is revoked: flows using it stop working.")
