"""Table Storage access: one service client per process, tables created on first use.

Works with a connection string (Azurite, or a key-based account) and with identity-based
settings (``AzureWebJobsStorage__accountName``) as deployed on Flex Consumption.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..config import Settings, get_settings
from .connection import build_client

if TYPE_CHECKING:
    from azure.data.tables import TableClient, TableServiceClient

Entity = dict[str, Any]


class TableStore:
    """Hands out TableClients; creates each table once per process."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._service: TableServiceClient | None = None
        self._clients: dict[str, TableClient] = {}
        self._lock = threading.Lock()

    def table(self, name: str) -> "TableClient":
        full = f"{self.settings.table_prefix}{name}"
        client = self._clients.get(full)
        if client is not None:
            return client
        with self._lock:
            if full not in self._clients:
                if self._service is None:
                    from azure.data.tables import TableServiceClient

                    self._service = build_client(TableServiceClient, self.settings, "table")
                self._service.create_table_if_not_exists(full)
                self._clients[full] = self._service.get_table_client(full)
            return self._clients[full]


def prefix_filter(pk: str, prefix: str, after: str | None = None) -> tuple[str, dict[str, str]]:
    """OData filter for rows of one partition whose RowKey starts with ``prefix``."""
    lower = after if after and after > prefix else prefix
    op = "gt" if after and after > prefix else "ge"
    return (f"PartitionKey eq @pk and RowKey {op} @lo and RowKey lt @hi",
            {"pk": pk, "lo": lower, "hi": prefix_end(prefix)})


MAX_PAGE_ROWS = 1000  # the most rows one query page returns (Table Storage's limit)


def query_prefix(table: "TableClient", pk: str, prefix: str, after: str | None = None,
                 select: list[str] | None = None, page_rows: int = MAX_PAGE_ROWS, where: str = "",
                 parameters: dict[str, Any] | None = None) -> Iterator[Entity]:
    """``page_rows``: rows per request; fewer when the caller stops after a few (a listing's
    first page), so the service doesn't send and the SDK doesn't parse 1,000 rows for 50.
    ``where``: a further condition on the rows (its ``parameters`` beside the key range's)."""
    flt, params = prefix_filter(pk, prefix, after)
    if where:
        flt, params = f"{flt} and {where}", {**params, **(parameters or {})}
    yield from table.query_entities(flt, parameters=params, select=select,
                                    results_per_page=max(1, min(page_rows, MAX_PAGE_ROWS)))


def query_ranges_pages(table: "TableClient", pk: str, bounds: Sequence[str],
                       page_rows: int = MAX_PAGE_ROWS) -> Iterator[tuple[list[Entity], bool]]:
    """The rows of one partition from ``bounds[0]`` up to ``bounds[-1]`` (excluded), a
    response at a time, read range by range (``bounds[i]`` to ``bounds[i + 1]``): its rows, and
    whether another response or range follows (a caller that stops at the end of one knows
    whether anything may be left).

    Together the ranges are one query of the whole span, in key order; split, a reader that
    wants the first few rows of a big span (the newest, with descending keys) asks for a
    narrow range first. Table Storage reads only a range either way, but an emulator sorts
    every row a query matches before returning its first page (Azurite: ~0.5 ms per 1,000)."""
    last = len(bounds) - 2
    for i in range(last + 1):
        pager = table.query_entities("PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                                     parameters={"pk": pk, "lo": bounds[i], "hi": bounds[i + 1]},
                                     results_per_page=max(1, min(page_rows, MAX_PAGE_ROWS))).by_page()
        for page in pager:
            rows = list(page)
            yield rows, bool(pager.continuation_token) or i < last


def prefix_end(prefix: str) -> str:
    """The smallest key after every key that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


KEYS_PER_QUERY = 14  # RowKey comparisons per OR filter (the service allows 15 comparisons in all)


def query_keys(table: "TableClient", pk: str, row_keys: Iterable[str]) -> Iterator[Entity]:
    """The rows of one partition with these RowKeys that exist: OR-filter queries of
    ``KEYS_PER_QUERY`` keys each, instead of a point read per key."""
    keys = sorted(set(row_keys))
    for i in range(0, len(keys), KEYS_PER_QUERY):
        params: dict[str, Any] = {"pk": pk}
        ors = []
        for j, key in enumerate(keys[i:i + KEYS_PER_QUERY]):
            params[f"r{j}"] = key
            ors.append(f"RowKey eq @r{j}")
        yield from table.query_entities(f"PartitionKey eq @pk and ( {' or '.join(ors)} )", parameters=params)
