"""The one place storage clients are built from the settings (tables, queues and blobs alike).

A connection string (Azurite, or a key-based account) wins; otherwise the account name and a
managed identity are used, as deployed on Flex Consumption (``AzureWebJobsStorage__accountName``).
``UseDevelopmentStorage=true`` means Azurite on its default ports with its well-known account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from ..config import Settings

ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft; not a secret).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_PORTS = (10000, 10001, 10002)  # blob, queue, table

Service = Literal["blob", "queue", "table"]
C = TypeVar("C")


def development_storage(blob: int, queue: int, table: int, host: str = "127.0.0.1") -> str:
    """The connection string of an Azurite listening on these ports."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://{host}:{blob}/{ACCOUNT};"
        f"QueueEndpoint=http://{host}:{queue}/{ACCOUNT};"
        f"TableEndpoint=http://{host}:{table}/{ACCOUNT};"
    )


DEVELOPMENT_STORAGE = development_storage(*DEFAULT_PORTS)  # what UseDevelopmentStorage=true means


def connection_string(settings: Settings) -> str | None:
    conn = settings.storage_connection
    if conn and conn.strip().lower().startswith("usedevelopmentstorage=true"):
        return DEVELOPMENT_STORAGE
    return conn or None


def credential(settings: Settings) -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=settings.storage_client_id)


def transport() -> Any:
    """The HTTP transport of every storage client: requests without reading the environment
    (``trust_env``). Left on, requests looks for ~/.netrc, the proxy variables and
    REQUESTS_CA_BUNDLE on every call — about a tenth of the app's CPU per received text
    (bench/cost_per_text.py, py-spy) — and a storage account is never reached through a proxy
    or with netrc credentials here."""
    from azure.core.pipeline.transport import RequestsTransport

    return RequestsTransport(use_env_settings=False)


def build_client(cls: type[C], settings: Settings, service: Service, *args: Any, **kwargs: Any) -> C:
    """``cls`` (a TableServiceClient, QueueClient, BlobServiceClient …) for this storage;
    ``args``/``kwargs`` follow the account URL or connection string (a queue's name …)."""
    kwargs.setdefault("transport", transport())
    conn = connection_string(settings)
    if conn:
        return cls.from_connection_string(conn, *args, **kwargs)  # type: ignore[attr-defined]
    if settings.storage_account_name:
        url = f"https://{settings.storage_account_name}.{service}.core.windows.net"
        return cls(url, *args, credential=credential(settings), **kwargs)
    raise RuntimeError("No storage configured: set AzureWebJobsStorage or AzureWebJobsStorage__accountName")
