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
    from azure.core import MatchConditions
    from azure.data.tables import UpdateMode

    return [
        ("create", {"PartitionKey": "p", "RowKey": "+15550001", "N": 1, "F": 1.5, "B": True,
                    "At": datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc), "S": "héllo “quotes” ✓"}),
        ("update", {"PartitionKey": "p", "RowKey": "~n01", "sent": 2},
         {"mode": UpdateMode.REPLACE, "etag": "W/\"datetime'2026-12-01T08%3A30%3A00.1Z'\"",
          "match_condition": MatchConditions.IfNotModified}),
        ("upsert", {"PartitionKey": "p", "RowKey": "t_+15550001", "LastBody": "a'b"}, {"mode": UpdateMode.MERGE}),
        ("upsert", {"PartitionKey": "p", "RowKey": "o'brien"}, {"mode": UpdateMode.REPLACE}),
        ("delete", {"PartitionKey": "p", "RowKey": "gone"}),
    ]


def test_the_body_is_byte_for_byte_what_the_sdk_sends():
    from azure.core.pipeline.transport import RequestsTransport
    from azure.data.tables import TableClient
    from azure.data.tables._table_batch import TableBatchOperations

    sent: list = []

    class Capture(RequestsTransport):
        def send(self, request, **kwargs):  # noqa: ANN001, ANN003, ANN202
            sent.append(request)
            raise RuntimeError("captured")

    table = TableClient.from_connection_string(CONN, "Things", transport=Capture())
    with pytest.raises(RuntimeError, match="captured"):
        table.submit_transaction(_ops())
    theirs = sent[0].body
    outer = re.search(r"boundary=(batch_[0-9a-f-]+)", sent[0].headers["Content-Type"]).group(1)
    inner = re.search(rb"boundary=(changeset_[0-9a-f-]+)", theirs).group(1).decode()
    date = re.search(rb"x-ms-date: ([^\r]+)", theirs).group(1).decode()
    ops = TableBatchOperations(config=table._client._config, endpoint=f"{table.scheme}://{table._primary_hostname}",
                               table_name=table.table_name)
    for op in _ops():
        ops.add_operation(op)
    assert batch.encode(ops.requests, outer, inner, date) == theirs


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
