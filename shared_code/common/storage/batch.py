"""A table transaction (entity group transaction, ``$batch``) sent without the SDK's MIME layer.

``TableClient.submit_transaction`` frames its batch with the standard library's ``email``
package and parses the answer with it (plus a thread pool per answer to run part policies):
measured with py-spy on the send pipeline, that framing was 2/3 of all the app's CPU for a
sent text, more than the Twilio call itself. The work is the same text-building either way, so
here the SDK still builds each operation's request (entity serialization, EDM types, URLs,
ETag conditions: ``TableBatchOperations``) and still sends through the client's own pipeline
(shared-key signing, retries, logging policies); only the multipart framing of the body and
the reading of the multipart answer are done with plain byte joins and splits.

The body is byte for byte what the SDK sends (``tests/unit/test_table_batch.py`` compares the
two with the same boundaries and date), so Azure receives exactly what it received before.

It relies on azure-data-tables internals (``TableBatchOperations``, the generated client's
``send_request``, ``_decode_error``), which is why requirements.txt pins the version: a new
version must pass that test before it is taken."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError  # this module is imported lazily, by transact

if TYPE_CHECKING:
    from azure.data.tables import TableClient

CRLF = b"\r\n"
_INDEX = re.compile(r"^(\d+):")
_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.IGNORECASE)


class BatchOperationError(HttpResponseError):
    """An operation of the transaction was refused: the whole transaction was rolled back.
    ``status_code``/``error_code`` are the refused operation's, ``index`` its place in the
    transaction (as the SDK's TableTransactionError carried them)."""

    def __init__(self, status: int, code: str, message: str, index: int) -> None:
        super().__init__(message=f"{status} {code}: {message}")
        self.status_code, self.error_code, self.index = status, code, index


def _part(request: Any, index: int, date: str) -> bytes:
    """One operation as an ``application/http`` part, as azure-core's serializer frames it
    (request line, the request's headers, the date headers the SDK's part policy adds)."""
    lines = [b"Content-Type: application/http", b"Content-Transfer-Encoding: binary",
             b"Content-ID: " + str(index).encode(), b"",
             f"{request.method} {request.url} HTTP/1.1".encode()]
    lines += [f"{k}: {v}".encode() for k, v in request.headers.items()]
    lines += [f"x-ms-date: {date}".encode(), f"Date: {date}".encode(), b""]
    content = request.content
    body = content.encode() if isinstance(content, str) else (content or b"")
    return CRLF.join(lines) + CRLF + body


def encode(requests: Sequence[Any], batch_boundary: str, changeset_boundary: str, date: str) -> bytes:
    """The ``$batch`` body: one changeset holding every operation."""
    changeset = b"--" + changeset_boundary.encode()
    inner = CRLF.join(changeset + CRLF + _part(r, i, date) for i, r in enumerate(requests))
    return (b"--" + batch_boundary.encode() + CRLF
            + b"Content-Type: multipart/mixed; boundary=" + changeset_boundary.encode() + CRLF + CRLF
            + inner + CRLF + changeset + b"--" + CRLF + CRLF
            + b"--" + batch_boundary.encode() + b"--" + CRLF)


def _boundary(content_type: bytes) -> bytes:
    found = _BOUNDARY.search(content_type)
    if not found:
        raise ValueError("a multipart answer without a boundary")
    return found.group(1)


def decode(content_type: str, body: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """(status, headers with lower-case names, body) of each operation's answer, in order."""
    out: list[tuple[int, dict[str, str], bytes]] = []
    for outer in body.split(b"--" + _boundary(content_type.encode())):
        head, _, rest = outer.partition(CRLF + CRLF)
        if b"multipart/mixed" in head.lower():  # the changeset: its parts are the answers
            parts = rest.split(b"--" + _boundary(head))
        elif b"application/http" in head.lower():  # an answer outside a changeset
            parts = [outer]
        else:
            continue
        for part in parts:
            mime, _, http = part.partition(CRLF + CRLF)
            if b"application/http" not in mime.lower():
                continue
            status_head, _, content = http.partition(CRLF + CRLF)
            lines = status_head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            out.append((status, headers, content.strip()))
    return out


def _refusal(status: int, headers: dict[str, str], body: bytes) -> BatchOperationError:
    import json

    code, message = headers.get("x-ms-error-code", ""), ""
    try:
        error = json.loads(body or b"{}").get("odata.error", {})
        code = error.get("code") or code
        message = (error.get("message") or {}).get("value", "")
    except (ValueError, AttributeError):
        message = body.decode("utf-8", "replace")[:500]
    found = _INDEX.match(message)
    return BatchOperationError(status, code, message, int(found.group(1)) if found else 0)


def submit(table: TableClient, ops: Sequence[tuple]) -> list[dict[str, Any]]:
    """Run ``ops`` (``submit_transaction``'s tuples) as one transaction; each operation's
    answer metadata (``{"etag": ...}``) in order. A refused operation raises
    BatchOperationError; a refused request (auth, size, table missing) the SDK's error."""
    from wsgiref.handlers import format_date_time

    from azure.core.rest import HttpRequest
    from azure.data.tables._error import _decode_error, _validate_tablename_error
    from azure.data.tables._table_batch import TableBatchOperations

    operations = TableBatchOperations(config=table._client._config,
                                      endpoint=f"{table.scheme}://{table._primary_hostname}",
                                      table_name=table.table_name, is_cosmos_endpoint=table._cosmos_endpoint)
    for op in ops:
        operations.add_operation(op)
    batch_boundary, changeset_boundary = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    body = encode(operations.requests, batch_boundary, changeset_boundary, format_date_time(time.time()))
    request = HttpRequest("POST", f"{table.scheme}://{table._primary_hostname}/$batch", headers={
        "x-ms-version": table.api_version, "DataServiceVersion": "3.0", "MaxDataServiceVersion": "3.0;NetFx",
        "Content-Type": f"multipart/mixed; boundary={batch_boundary}", "Accept": "application/json"},
        content=body)
    response = table._client.send_request(request, stream=True)  # as the SDK: no JSON decoding of it
    if response.status_code != 202:
        decoded = _decode_error(response)
        _validate_tablename_error(decoded, table.table_name)
        raise decoded
    answers = decode(response.headers.get("Content-Type", ""), response.read())
    for status, headers, content in answers:
        if not 200 <= status < 300:
            raise _refusal(status, headers, content)
    if len(answers) != len(ops):
        raise ValueError(f"a transaction of {len(ops)} operations was answered with {len(answers)} parts")
    return [{"etag": headers["etag"]} if "etag" in headers else {} for _, headers, _ in answers]
