"""The table transaction framing (shared_code/common/storage/batch.py) against the SDK's own:
the same operations with the same boundaries and date must give the bytes the SDK sends, so
Azure receives exactly what it did through ``submit_transaction``; and the answer parser reads
Azure's documented answers (every write's ETag; a refused operation's status, code and index)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from shared_code.common.storage import batch

CONN = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        "TableEndpoint=http://127.0.0.1:1/devstoreaccount1;")


def _ops() -> list[tuple]:
    """Every kind of operation and value the repositories write, and some they don't (which
    go through the SDK's builder): the body must be the SDK's either way."""
    from azure.core import MatchConditions
    from azure.data.tables import EdmType, EntityProperty, UpdateMode
    from azure.data.tables._deserialize import TablesEntityDatetime

    etag = "W/\"datetime'2026-12-01T08%3A30%3A00.1Z'\""
    read_back = TablesEntityDatetime(2026, 12, 1, 8, 30, 0, 123456, tzinfo=timezone.utc)
    read_back._service_value = "2026-12-01T08:30:00.1234567Z"
    return [
        ("create", {"PartitionKey": "p", "RowKey": "+15550001", "N": 1, "F": 1.5, "B": True, "Off": False,
                    "At": datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc), "S": "héllo “quotes” ✓",
                    "Big": 2 ** 31 - 1, "Neg": -(2 ** 31), "None": None, "Empty": "", "Zero": 0.0}),
        ("update", {"PartitionKey": "p", "RowKey": "~n01", "sent": 2},
         {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}),
        ("update", {"PartitionKey": "p", "RowKey": "m_1/2#3?4", "Status": "delivered", "Read": read_back},
         {"mode": UpdateMode.MERGE, "etag": etag, "match_condition": MatchConditions.IfNotModified}),
        ("update", {"PartitionKey": "p", "RowKey": "anyhow", "X": 1}, {"mode": UpdateMode.MERGE}),
        ("upsert", {"PartitionKey": "p", "RowKey": "t_+15550001", "LastBody": "a'b"}, {"mode": UpdateMode.MERGE}),
        ("upsert", {"PartitionKey": "p", "RowKey": "o'brien"}, {"mode": UpdateMode.REPLACE}),
        ("upsert", {"PartitionKey": "p", "RowKey": "plain", "Y": "y"}),
        ("delete", {"PartitionKey": "p", "RowKey": "gone"}),
        ("delete", {"PartitionKey": "p", "RowKey": "guarded"}, {"etag": etag, "match_condition": MatchConditions.IfNotModified}),
        # the SDK builds these: a NaN, an explicit EDM type, bytes
        ("create", {"PartitionKey": "p", "RowKey": "odd", "Nan": float("nan"), "L": EntityProperty(5, EdmType.INT64),
                    "Raw": b"\x00\x01"}),
    ]


def _theirs(ops: list[tuple]) -> tuple[bytes, str, str, str]:
    """What submit_transaction sends for ``ops``: its body, boundaries and date."""
    from azure.core.pipeline.transport import RequestsTransport
    from azure.data.tables import TableClient

    sent: list = []

    class Capture(RequestsTransport):
        def send(self, request, **kwargs):  # noqa: ANN001, ANN003, ANN202
            sent.append(request)
            raise RuntimeError("captured")

    table = TableClient.from_connection_string(CONN, "Things", transport=Capture())
    with pytest.raises(RuntimeError, match="captured"):
        table.submit_transaction(ops)
    body = sent[0].body
    outer = re.search(r"boundary=(batch_[0-9a-f-]+)", sent[0].headers["Content-Type"]).group(1)
    inner = re.search(rb"boundary=(changeset_[0-9a-f-]+)", body).group(1).decode()
    date = re.search(rb"x-ms-date: ([^\r]+)", body).group(1).decode()
    return body, outer, inner, date


def _ours(ops: list[tuple], outer: str, inner: str, date: str) -> bytes:
    from azure.data.tables import TableClient
    from azure.data.tables._table_batch import TableBatchOperations

    table = TableClient.from_connection_string(CONN, "Things")
    endpoint = f"{table.scheme}://{table._primary_hostname}"
    built = batch.parts(ops, endpoint, "Things", table._client._config.version,
                        lambda: TableBatchOperations(config=table._client._config, endpoint=endpoint,
                                                     table_name="Things"))
    return batch.encode(built, outer, inner, date)


def test_the_body_is_byte_for_byte_what_the_sdk_sends():
    theirs, outer, inner, date = _theirs(_ops())
    assert _ours(_ops(), outer, inner, date) == theirs


@pytest.mark.parametrize("op", _ops(), ids=lambda op: f"{op[0]}-{op[1]['RowKey']}")
def test_each_operation_alone_is_what_the_sdk_sends(op):  # noqa: ANN001
    theirs, outer, inner, date = _theirs([op])
    assert _ours([op], outer, inner, date) == theirs


def test_what_the_repositories_write_is_built_here_and_only_the_rest_by_the_sdk():
    ours, odd = _ops()[:-1], _ops()[-1:]
    built = batch.parts(ours, "http://x/acct", "Things", "2019-02-02", sdk=None)  # never asks for the SDK
    assert [p[0] for p in built] == ["POST", "PUT", "PATCH", "PATCH", "PATCH", "PUT", "PATCH", "DELETE", "DELETE"]
    asked: list[int] = []

    def sdk() -> object:
        from azure.data.tables import TableClient
        from azure.data.tables._table_batch import TableBatchOperations

        asked.append(1)
        table = TableClient.from_connection_string(CONN, "Things")
        return TableBatchOperations(config=table._client._config, endpoint="http://x/acct", table_name="Things")

    batch.parts(odd, "http://x/acct", "Things", "2019-02-02", sdk=sdk)
    assert asked == [1]


def test_a_batch_across_partitions_is_refused_as_the_sdk_refuses_it():
    with pytest.raises(ValueError, match="Partition Keys"):
        batch.parts([("create", {"PartitionKey": "a", "RowKey": "1"}), ("create", {"PartitionKey": "b", "RowKey": "2"})],
                    "http://x/acct", "Things", "2019-02-02")


ANSWER = (b"--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n"
          b"--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
          b"HTTP/1.1 201 Created\r\nDataServiceVersion: 3.0;\r\nContent-Type: application/json\r\n"
          b"ETag: W/\"datetime'2026-12-01T08%3A30%3A00.1Z'\"\r\n\r\n{\"PartitionKey\":\"p\"}\r\n"
          b"--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
          b"HTTP/1.1 204 No Content\r\nX-Content-Type-Options: nosniff\r\nETag: W/\"datetime'2'\"\r\n\r\n\r\n"
          b"--changesetresponse_2--\r\n--batchresponse_1--\r\n")

REFUSED = (b"--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n"
           b"--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
           b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json;odata=minimalmetadata;charset=utf-8\r\n\r\n"
           b"{\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":"
           b"\"3:The specified entity already exists.\\nRequestId:x\"}}}\r\n"
           b"--changesetresponse_2--\r\n--batchresponse_1--\r\n")


def test_each_write_answers_its_etag_in_order():
    answers = batch.decode("multipart/mixed; boundary=batchresponse_1", ANSWER)
    assert [(s, h.get("etag")) for s, h, _ in answers] == [
        (201, "W/\"datetime'2026-12-01T08%3A30%3A00.1Z'\""), (204, "W/\"datetime'2'\"")]
    assert answers[0][2] == b'{"PartitionKey":"p"}'


def test_a_refused_operation_names_its_status_code_and_place():
    [(status, headers, body)] = batch.decode("multipart/mixed; boundary=batchresponse_1", REFUSED)
    err = batch._refusal(status, headers, body)
    assert (err.status_code, err.error_code, err.index) == (409, "EntityAlreadyExists", 3)
