"""A table transaction (entity group transaction, ``$batch``) sent without the SDK's MIME layer
and without building an SDK request object per operation.

``TableClient.submit_transaction`` frames its batch with the standard library's ``email``
package and parses the answer with it (plus a thread pool per answer to run part policies):
measured with py-spy on the send pipeline, that framing was 2/3 of all the app's CPU for a
sent text, more than the Twilio call itself. What was left after that, building each
operation as an azure-core ``HttpRequest`` (``TableBatchOperations``: generated request
builders, a case-insensitive header dict and a URL serializer per operation), was 40 % of the
send pipeline's CPU. So each operation's part is written here straight from its tuple: the
same request line, headers in the same order and the same JSON (EDM types as the SDK's
``_add_entity_properties`` gives them). A value of a type this does not know (bytes, GUIDs,
explicit EDM tuples, 64-bit integers...) sends that one operation through the SDK's builder,
as before. The batch itself still goes through the client's own pipeline (shared-key
signing, retries, logging policies); only the multipart body and the reading of the multipart
answer are plain byte joins and splits.

The body is byte for byte what the SDK sends (``tests/unit/test_table_batch.py`` compares the
two with the same boundaries and date for every kind of operation and value we write), so
Azure receives exactly what it received before.

It relies on azure-data-tables internals (``TableBatchOperations``, the generated client's
``send_request``, ``_decode_error``), which is why requirements.txt pins the version: a new
version must pass that test before it is taken."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from math import isfinite
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

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


# (method, URL, headers, body) of one operation, as it goes inside the changeset
Part = tuple[str, str, list[tuple[str, str]], bytes]
INT32 = 2 ** 31
_ACCEPT_MINIMAL = "application/json;odata=minimalmetadata"  # the SDK's Accept for inserts and deletes


class _Unknown(Exception):
    """A value this module does not serialize itself: the SDK builds that operation."""


def _edm(name: str, value: Any, out: dict[str, Any]) -> None:
    """One property as ``_add_entity_properties`` writes it (types checked exactly, as there)."""
    kind = type(value)
    if kind is str:
        out[name], out[name + "@odata.type"] = value, "Edm.String"
    elif kind is bool or (kind is int and -INT32 <= value < INT32):
        out[name] = value
    elif kind is float and isfinite(value):
        out[name], out[name + "@odata.type"] = value, "Edm.Double"
    elif isinstance(value, datetime):
        service = getattr(value, "tables_service_value", None)  # a value read back keeps its text
        out[name] = service or value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out[name + "@odata.type"] = "Edm.DateTime"
    elif value is not None:
        raise _Unknown(name)


def _key(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unknown("key")
    return quote(value.replace("'", "''"), safe="")


def _lean_part(op: tuple, table_url: str, version: str) -> Part:
    """The part the SDK's ``TableBatchOperations`` would build for ``op`` (raises _Unknown
    for what it does not cover)."""
    kind, entity, kwargs = (op[0], op[1], op[2] if len(op) > 2 else {})
    kind = str(kind).lower()
    extra = set(kwargs) - {"mode", "etag", "match_condition"}
    if extra:
        raise _Unknown(", ".join(sorted(extra)))
    etag, condition = kwargs.get("etag"), str(getattr(kwargs.get("match_condition"), "name", ""))
    guarded = kind in ("update", "delete")
    if (etag or condition) and not (guarded and ((etag and condition == "IfNotModified")
                                                 or (not etag and condition == "Unconditionally"))):
        raise _Unknown("condition")  # the SDK's own checks and errors
    if kind == "create":
        method, url, accept, if_match = "POST", table_url, _ACCEPT_MINIMAL, None
    else:
        url = f"{table_url}(PartitionKey='{_key(entity['PartitionKey'])}',RowKey='{_key(entity['RowKey'])}')"
        mode = kwargs.get("mode", "merge")
        mode = str(getattr(mode, "value", mode)).lower()  # UpdateMode or its text
        if kind == "delete":
            method, accept, if_match = "DELETE", _ACCEPT_MINIMAL, etag or "*"
        elif kind in ("update", "upsert") and mode in ("replace", "merge"):
            method, accept = ("PUT" if mode == "replace" else "PATCH"), "application/json"
            if_match = (etag or "*") if kind == "update" else None
        else:
            raise _Unknown(kind)
    headers: list[tuple[str, str]] = []
    body = b""
    if kind != "delete":
        properties: dict[str, Any] = {}
        for name, value in entity.items():
            _edm(name, value, properties)
        text = json.dumps(properties)
        body = text.encode()
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    headers += [("x-ms-version", version), ("DataServiceVersion", "3.0"), ("Accept", accept)]
    if if_match is not None:
        headers.append(("If-Match", if_match))
    return method, url, headers, body


def _sdk_part(request: Any) -> Part:
    content = request.content
    body = content.encode() if isinstance(content, str) else (content or b"")
    return request.method, request.url, list(request.headers.items()), body


def parts(ops: Sequence[tuple], base_url: str, table_name: str, version: str, sdk: Any = None) -> list[Part]:
    """Every operation's part; ``sdk()`` gives a ``TableBatchOperations`` for the ones this
    module does not build itself (one partition for all, as the SDK requires)."""
    partitions = {op[1].get("PartitionKey") for op in ops}
    if len(partitions) > 1:
        raise ValueError("Partition Keys in the batch must all be the same.")
    table_url = f"{base_url}/{quote(table_name, safe='')}"
    out: list[Part] = []
    builder = None
    for op in ops:
        try:
            out.append(_lean_part(op, table_url, version))
        except _Unknown:
            if builder is None:
                builder = sdk()
            builder.add_operation(op)
            out.append(_sdk_part(builder.requests[-1]))
    return out


def _part(part: Part, index: int, date: str) -> bytes:
    """One operation as an ``application/http`` part, as azure-core's serializer frames it
    (request line, the request's headers, the date headers the SDK's part policy adds)."""
    method, url, headers, body = part
    lines = [b"Content-Type: application/http", b"Content-Transfer-Encoding: binary",
             b"Content-ID: " + str(index).encode(), b"",
             f"{method} {url} HTTP/1.1".encode()]
    lines += [f"{k}: {v}".encode() for k, v in headers]
    lines += [f"x-ms-date: {date}".encode(), f"Date: {date}".encode(), b""]
    return CRLF.join(lines) + CRLF + body


def encode(operations: Sequence[Part], batch_boundary: str, changeset_boundary: str, date: str) -> bytes:
    """The ``$batch`` body: one changeset holding every operation."""
    changeset = b"--" + changeset_boundary.encode()
    inner = CRLF.join(changeset + CRLF + _part(p, i, date) for i, p in enumerate(operations))
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

    endpoint = f"{table.scheme}://{table._primary_hostname}"

    def sdk() -> TableBatchOperations:
        return TableBatchOperations(config=table._client._config, endpoint=endpoint, table_name=table.table_name,
                                    is_cosmos_endpoint=table._cosmos_endpoint)

    if table._cosmos_endpoint:  # Cosmos DB's Table API takes merges as POSTs: the SDK knows how
        builder = sdk()
        for op in ops:
            builder.add_operation(op)
        operations = [_sdk_part(r) for r in builder.requests]
    else:
        operations = parts(ops, endpoint, table.table_name, table._client._config.version, sdk)
    batch_boundary, changeset_boundary = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    body = encode(operations, batch_boundary, changeset_boundary, format_date_time(time.time()))
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
