"""multipart/form-data requests (MMS send actions), read at the edge: features get plain fields
and files, never the raw body."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.errors import UnsupportedMediaType, ValidationFailed
from .request import ApiRequest


@dataclass(frozen=True)
class FilePart:
    filename: str
    content_type: str
    data: bytes


def read_form(req: ApiRequest, fields: tuple[str, ...] | None, files: tuple[str, ...] | None, *,
              not_multipart: str = "Send this action as multipart/form-data.") -> tuple[dict[str, str],
                                                                                      dict[str, FilePart]]:
    """The named text fields and files of a multipart/form-data body (others are ignored; the
    last of a repeated name wins; ``None`` takes every field, or every part with a file name).
    415 when the body is not multipart/form-data, 400 when it cannot be read."""
    from email.parser import BytesParser
    from email.policy import HTTP

    ctype = req.header("Content-Type") or ""
    if not ctype.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType(not_multipart)
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.body)
    if not msg.is_multipart():
        raise ValidationFailed("The multipart body could not be read.", code="InvalidMultipart")
    text: dict[str, str] = {}
    found: dict[str, FilePart] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if (name in files) if files is not None else part.get_filename() is not None:
            found[name] = FilePart(part.get_filename() or name.lower(), part.get_content_type(), payload)
        elif fields is None or name in fields:
            text[name] = payload.decode("utf-8", "replace")
    return text, found
