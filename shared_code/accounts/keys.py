"""API keys: ``ptx_<keyid>_<secret>``. Only a SHA-256 of the secret is stored; the key is
shown once at creation. Checks are constant-time, and a key's state (revoked, expired) is
only revealed to a caller who holds the right secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from ..common.clock import iso, utcnow
from ..common.errors import KeyExpired, NotFound, Unauthorized, ValidationFailed
from ..common.ids import new_id
from .accounts import get_account
from .models import KEY_VALIDITY_DAYS, ApiKey, Caller
from .storage import accounts_repo, keys_repo

PREFIX = "ptx"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_days(days: int) -> int:
    if days not in KEY_VALIDITY_DAYS:
        raise ValidationFailed(f"Days must be one of {', '.join(map(str, KEY_VALIDITY_DAYS))} (0 = never expires).",
                               field="Days")
    return days


def create_key(account_id: str, name: str, days: int) -> tuple[ApiKey, str]:
    """Create a key; returns the stored record and the full key text (never stored)."""
    get_account(account_id)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("Name must be 1 to 100 characters.", field="Name")
    now = utcnow()
    days = _check_days(days)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(KeyId=new_id(), AccountId=account_id, Name=name, SecretHash=_hash(secret), Days=days,
                 CreatedAt=now, ExpiresAt=now + timedelta(days=days) if days else None)
    keys_repo().create(key)
    return key, f"{PREFIX}_{key.KeyId}_{secret}"


def _get(key_id: str, account_id: str | None = None) -> ApiKey:
    """The key; with ``account_id``, only if it is that account's (another's is "no such key")."""
    key = keys_repo().get(key_id)
    if key is None or (account_id is not None and key.AccountId != account_id):
        raise NotFound(f"No API key {key_id}.", code="ApiKeyNotFound")
    return key


def status(key: ApiKey) -> str:
    """What the key is now: "revoked", "expired" or "active" (the order ``authenticate`` checks)."""
    if key.RevokedAt is not None:
        return "revoked"
    if key.ExpiresAt is not None and key.ExpiresAt <= utcnow():
        return "expired"
    return "active"


def list_keys(account_id: str) -> list[ApiKey]:
    return sorted(keys_repo().list_for_account(account_id), key=lambda k: k.CreatedAt)


def update_validity(key_id: str, days: int, account_id: str | None = None) -> ApiKey:
    """Edit validity: the new period counts from the key's creation, as the portal does."""
    key = _get(key_id, account_id)
    days = _check_days(days)
    key.Days = days
    key.ExpiresAt = key.CreatedAt + timedelta(days=days) if days else None
    keys_repo().replace(key)
    return key


def revoke(key_id: str, account_id: str | None = None) -> ApiKey:
    key = _get(key_id, account_id)
    if key.RevokedAt is None:
        key.RevokedAt = utcnow()
        keys_repo().replace(key)
    return key


def parse_key(text: str) -> tuple[str, str] | None:
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isalnum() or len(parts[2]) < 32:
        return None
    return parts[1], parts[2]


def authenticate(key_text: str | None) -> Caller:
    """Resolve an ``ApiKey`` header to the calling account, or raise the matching 401."""
    from ..common.config import get_settings

    if not key_text or not key_text.strip():
        raise Unauthorized("The ApiKey header is missing. Add your API key to the connection.",
                           code="ApiKeyMissing")
    parsed = parse_key(key_text)
    key = keys_repo().get(parsed[0]) if parsed else None
    # Compare even when the key is unknown, so timing does not tell which ids exist.
    stored = key.SecretHash if key else _hash("")
    if not (hmac.compare_digest(stored, _hash(parsed[1] if parsed else "")) and key):
        raise Unauthorized("The API key is not valid. Check that it was copied whole.", code="ApiKeyInvalid")
    now = utcnow()
    if key.RevokedAt is not None:
        raise Unauthorized(f"This API key was revoked on {iso(key.RevokedAt)}. Create a new key.",
                           code="ApiKeyRevoked")
    if key.ExpiresAt is not None and key.ExpiresAt <= now:
        raise KeyExpired(key.ExpiresAt)
    account = accounts_repo().get(key.AccountId)
    if account is None:
        raise Unauthorized("The account of this API key no longer exists.", code="ApiKeyInvalid")
    interval = get_settings().key_last_used_interval_seconds
    if key.LastUsedAt is None or (now - key.LastUsedAt).total_seconds() >= interval:
        try:
            keys_repo().touch(key.KeyId, {"LastUsedAt": now})
            key.LastUsedAt = now
        except Exception:  # noqa: BLE001 - bookkeeping must never fail a request
            pass
    return Caller(account=account, key=key)
