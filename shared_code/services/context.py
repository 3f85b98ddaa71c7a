"""Process-wide service wiring: one TableStore and the repositories over it.

Built on first use (cold start stays light) and reset by tests that point at another storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from functools import cached_property

from ..config import get_settings, reset_settings
from ..models.accounts import Account, ApiKey
from ..storage.accounts import AccountRepository, ApiKeyRepository
from ..storage.address_book import AddressBookRepository
from ..storage.campaigns import CampaignRepository
from ..storage.inbound import DeliveryRepository, InboundRepository, OptOutRepository, SubscriptionRepository
from ..storage.queues import QueueStore
from ..storage.tables import TableStore

if TYPE_CHECKING:
    from ..idempotency import IdempotencyRepository


@dataclass(frozen=True)
class Caller:
    """Who is calling: the account every read and write is scoped to, and the key used."""

    account: Account
    key: ApiKey

    @property
    def account_id(self) -> str:
        return self.account.AccountId


class Repositories:
    def __init__(self, store: TableStore | None = None) -> None:
        self.store = store or TableStore(get_settings())

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.store)

    @cached_property
    def keys(self) -> ApiKeyRepository:
        return ApiKeyRepository(self.store)

    @cached_property
    def address_book(self) -> AddressBookRepository:
        return AddressBookRepository(self.store)

    @cached_property
    def campaigns(self) -> CampaignRepository:
        return CampaignRepository(self.store)

    @cached_property
    def optouts(self) -> OptOutRepository:
        return OptOutRepository(self.store)

    @cached_property
    def inbound(self) -> InboundRepository:
        return InboundRepository(self.store)

    @cached_property
    def subscriptions(self) -> SubscriptionRepository:
        return SubscriptionRepository(self.store)

    @cached_property
    def deliveries(self) -> DeliveryRepository:
        return DeliveryRepository(self.store)

    @cached_property
    def idempotency(self) -> "IdempotencyRepository":
        from ..idempotency import IdempotencyRepository

        return IdempotencyRepository(self.store)

    @cached_property
    def queues(self) -> QueueStore:
        return QueueStore(self.store.settings)


_repos: Repositories | None = None


def repos() -> Repositories:
    global _repos
    if _repos is None:
        _repos = Repositories()
    return _repos


def reset() -> None:
    """Forget settings and clients (tests that change the environment call this)."""
    global _repos
    _repos = None
    reset_settings()
    try:
        from ..sms.factory import reset_provider
    except ImportError:  # pragma: no cover - before the provider layer exists
        return
    reset_provider()
