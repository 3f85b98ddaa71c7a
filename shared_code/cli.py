"""Admin CLI: accounts and API keys, against local (Azurite) or Azure storage.

    python -m shared_code.cli account create --name "Acme" --phone +15551234567 [--region US] [--admin EMAIL ...] [--json]
    python -m shared_code.cli account list [--json]
    python -m shared_code.cli account add-admin ACCOUNTID EMAIL [--json]
    python -m shared_code.cli key create --account ID --name NAME --days {30,60,90,180,365,0} [--json]
    python -m shared_code.cli key list --account ID [--json]
    python -m shared_code.cli key update KEYID --days N [--json]
    python -m shared_code.cli key revoke KEYID [--json]

Storage comes from settings: AzureWebJobsStorage (a connection string) or
AzureWebJobsStorage__accountName (Azure AD identity); local.settings.json is read when the
variable is not already set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .accounts.models import KEY_VALIDITY_DAYS
from .common.clock import iso
from .common.errors import ApiError


def _load_local_settings() -> None:
    """Local defaults for a developer machine; skipped when Azure storage is named by identity
    (the sample's UseDevelopmentStorage would otherwise win and the CLI would write to Azurite)."""
    if os.environ.get("AzureWebJobsStorage__accountName") and not os.environ.get("AzureWebJobsStorage"):
        return
    root = Path(__file__).resolve().parent.parent
    for name in ("local.settings.json", "local.settings.sample.json"):
        path = root / name
        if path.exists():
            values = json.loads(path.read_text()).get("Values", {})
            for k, v in values.items():
                os.environ.setdefault(k, str(v))
            return


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared_code.cli", description="Power Textor admin")
    p.add_argument("--json", action="store_true", help="print JSON")
    sub = p.add_subparsers(dest="noun", required=True)

    acc = sub.add_parser("account").add_subparsers(dest="verb", required=True)
    c = acc.add_parser("create", help="create an account (a business)")
    c.add_argument("--name", required=True)
    c.add_argument("--phone", required=True, help="the account's Twilio number, E.164")
    c.add_argument("--region", default="US", help="region for national phone formats (ISO code)")
    c.add_argument("--admin", action="append", default=[], metavar="EMAIL",
                   help="who may administer it in the portal (their sign-in email); repeatable")
    c.add_argument("--no-quiet-hours", dest="quiet_hours", action="store_false",
                   help="text at any hour: no 08:00-21:00 sending window in the recipient's time "
                        "(on by default; the portal and the API change it later)")
    acc.add_parser("list", help="list accounts")
    aa = acc.add_parser("add-admin", help="let someone administer an account in the portal")
    aa.add_argument("account_id")
    aa.add_argument("email")

    key = sub.add_parser("key").add_subparsers(dest="verb", required=True)
    k = key.add_parser("create", help="create an API key; printed once")
    k.add_argument("--account", required=True)
    k.add_argument("--name", required=True)
    k.add_argument("--days", type=int, required=True, choices=KEY_VALIDITY_DAYS, help="validity; 0 = never")
    kl = key.add_parser("list", help="list an account's keys")
    kl.add_argument("--account", required=True)
    ku = key.add_parser("update", help="change a key's validity")
    ku.add_argument("key_id")
    ku.add_argument("--days", type=int, required=True, choices=KEY_VALIDITY_DAYS)
    kr = key.add_parser("revoke", help="revoke a key")
    kr.add_argument("key_id")
    for sp in (c, acc.choices["list"], aa, k, kl, ku, kr):
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return p


def _account_view(a: Any) -> dict[str, Any]:
    return {"AccountId": a.AccountId, "Name": a.Name, "Phone": a.Phone, "Region": a.Region,
            "Admins": list(a.Admins), "QuietHours": a.QuietHoursEnabled, "CreatedAt": iso(a.CreatedAt)}


def run(argv: list[str]) -> tuple[Any, str]:
    """Execute a command; returns (JSON-able result, human text)."""
    from .accounts import accounts, keys
    from .accounts.storage import accounts_repo

    args = _parser().parse_args(argv)
    if args.noun == "account" and args.verb == "create":
        a = accounts.create_account(args.name, args.phone, args.region, admins=args.admin)
        if not args.quiet_hours:
            a = accounts.set_quiet_hours(a.AccountId, enabled=False)
        return _account_view(a), a.AccountId
    if args.noun == "account" and args.verb == "add-admin":
        a = accounts.add_admin(args.account_id, args.email)
        return _account_view(a), f"Admins of {a.AccountId}: {', '.join(a.Admins)}"
    if args.noun == "account":
        rows = [_account_view(a) for a in accounts_repo().list()]
        return rows, "\n".join(f"{r['AccountId']}  {r['Phone']}  {r['Name']}" for r in rows)
    if args.verb == "create":
        key, text = keys.create_key(args.account, args.name, args.days)
        expires = iso(key.ExpiresAt) or "never"
        return ({**key.public(), "ApiKey": text},
                f"{text}\n\nKey id {key.KeyId}, expires {expires}. This key is shown once: store it now.")
    if args.verb == "list":
        rows = [k.public() for k in keys.list_keys(args.account)]
        return rows, "\n".join(
            f"{r['KeyId']}  {r['Name']:<20} expires {r['ExpiresAt'] or 'never':<24} "
            f"{'REVOKED' if r['RevokedAt'] else 'active'}  last used {r['LastUsedAt'] or '-'}" for r in rows)
    if args.verb == "update":
        key = keys.update_validity(args.key_id, args.days)
        return key.public(), f"Key {key.KeyId} now expires {iso(key.ExpiresAt) or 'never'}."
    key = keys.revoke(args.key_id)
    return key.public(), f"Key {key.KeyId} revoked at {iso(key.RevokedAt)}."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _load_local_settings()
    as_json = "--json" in argv
    try:
        result, text = run(argv)
    except ApiError as err:
        payload = {"Code": err.code, "Message": err.message}
        print(json.dumps(payload) if as_json else f"error: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if as_json else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
