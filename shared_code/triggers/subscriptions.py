"""Power Automate webhook triggers: subscribe (201 + Location of the delete URL), delete
(idempotent, scoped to the caller's account), and the registrations' status."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import NotFound, ValidationFailed
from ..common.ids import new_id
from ..common.text.phones import to_e164
from ..common.text.words import first_word
from .callbacks import check_url
from .models import (D_DEAD, FINAL_STATUSES, KINDS, OPTED_IN, OPTED_OUT, DeadLetter, DeletedSubscription, OptOutSubscribeBody,
                     StatusSubscribeBody, SubscribeBody, Subscription, SubscriptionDetail, SubscriptionOut)
from .storage import deliveries_repo, subscriptions_repo

if TYPE_CHECKING:
    from .storage import SubscriptionRepository

log = logging.getLogger("powertextor.subscriptions")


def _repo() -> SubscriptionRepository:
    return subscriptions_repo()


def same_key(s: Subscription) -> str:
    """Same kind, callback and filters = the same registration (a retried subscribe). The
    direction joins the text only when set, so registrations made before it keep their key."""
    parts = [s.Kind, s.CallbackUrl, s.FromNumber, s.Keyword, ",".join(sorted(s.Statuses))]
    text = "\n".join(parts + [s.Direction] if s.Direction else parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def subscribe(caller: Caller, kind: str,
              body: SubscribeBody | StatusSubscribeBody | OptOutSubscribeBody) -> tuple[Subscription, bool]:
    if kind not in KINDS:
        raise ValidationFailed(f"Unknown trigger kind {kind}.")
    url = body.WebHookUri
    check_url(url)
    from_number, keyword, statuses, direction = "", "", [], ""
    if isinstance(body, SubscribeBody):
        if body.FromNumber:
            from_number = to_e164(body.FromNumber, region=caller.account.Region, field="FromNumber")
        if body.Keyword:
            keyword = first_word(body.Keyword)
            if keyword != body.Keyword.strip().upper():
                raise ValidationFailed("Keyword: give one word, such as JOIN.", field="Keyword")
    elif isinstance(body, StatusSubscribeBody):
        statuses = _statuses(body.Statuses)
    elif body.Direction:
        direction = body.Direction.strip().lower()
        if direction not in (OPTED_OUT, OPTED_IN):
            raise ValidationFailed(f"Direction: give {OPTED_OUT} or {OPTED_IN}, or leave it empty for both.",
                                   field="Direction")
    s = Subscription(SubscriptionId=new_id(), AccountId=caller.account_id, Kind=kind, CallbackUrl=url,
                     Secret=secrets.token_urlsafe(32), FromNumber=from_number, Keyword=keyword,
                     Statuses=statuses, Direction=direction, CreatedAt=utcnow(), CreatedBy=caller.key.Name,
                     CreatedByKeyId=caller.key.KeyId)
    made, created = _repo().create_once(s, same_key(s))
    log.info("subscription %s %s (%s, account %s, host %s)", made.SubscriptionId,
             "created" if created else "exists", kind, caller.account_id, urlsplit(url).hostname)
    return made, created


def _statuses(raw: str | list[str] | None) -> list[str]:
    if raw is None:
        return list(FINAL_STATUSES)
    values = raw if isinstance(raw, list) else str(raw).replace(";", ",").split(",")
    out = sorted({str(v).strip().lower() for v in values if str(v).strip()})
    bad = [v for v in out if v not in FINAL_STATUSES]
    if bad:
        raise ValidationFailed(f"Statuses: {', '.join(bad)} is not one of delivered, undelivered, failed.",
                               field="Statuses")
    return out or list(FINAL_STATUSES)


def delete(caller: Caller, sub_id: str) -> DeletedSubscription:
    """Remove the caller's registration; unknown ids (or another account's) are a no-op."""
    repo = _repo()
    s = repo.get(caller.account_id, sub_id)
    deleted = bool(s) and repo.delete(caller.account_id, sub_id, same_key(s))  # type: ignore[arg-type]
    if deleted:
        log.info("subscription %s deleted (account %s)", sub_id, caller.account_id)
    return DeletedSubscription(RegistrationId=sub_id, Deleted=deleted)


def remove_gone(account_id: str, sub_id: str) -> None:
    """The callback answered 404/410: the flow is gone, so is the registration."""
    repo = _repo()
    s = repo.get(account_id, sub_id)
    if s is not None:
        repo.delete(account_id, sub_id, same_key(s))
        log.info("subscription %s removed: its callback is gone (account %s)", sub_id, account_id)


def list_subscriptions(caller: Caller) -> list[SubscriptionOut]:
    return [SubscriptionOut.of(s) for s in _repo().list(caller.account_id)]


def get(caller: Caller, sub_id: str) -> SubscriptionDetail:
    s = _repo().get(caller.account_id, sub_id)
    if s is None:
        raise NotFound(f"No trigger registration {sub_id[:40]}.", code="RegistrationNotFound", field="subscriptionId")
    dead = deliveries_repo().for_subscription(caller.account_id, sub_id, state=D_DEAD, top=50)
    return SubscriptionDetail.of(s, DeadLetters=[DeadLetter.of_attrs(d, Attempts=d.Attempt) for d in dead])


def for_account(account_id: str) -> list[Subscription]:
    return _repo().list(account_id)
