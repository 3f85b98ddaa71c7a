"""MMS requests: multipart/form-data with the text fields and one ``Attachment``."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from ..errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from ..ids import new_id
from ..models.campaigns import SendBody
from ..web.request import ApiRequest
from .context import Caller

MAX_MEDIA_BYTES = 5 * 1024 * 1024
ALLOWED = {"image/jpeg", "image/jpg", "image/png", "image/gif", "image/bmp", "image/webp", "application/pdf",
           "text/vcard", "text/x-vcard", "text/directory", "text/calendar", "video/mp4", "video/3gpp",
           "audio/mpeg", "audio/mp4", "audio/ogg", "text/plain", "text/csv", "application/rtf"}
FIELDS = ("To", "GroupName", "ContactNumber", "ContactName", "ContactLastName", "Message", "ReplySTOPToOptOut")
_media_store = None


def _parts(req: ApiRequest) -> list[Message]:
    ctype = req.header("Content-Type") or ""
    if not ctype.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType("Send MMS actions as multipart/form-data with an Attachment file.")
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.body)
    if not msg.is_multipart():
        raise ValidationFailed("The multipart body could not be read.", code="InvalidMultipart")
    return list(msg.iter_parts())


def parse_mms(caller: Caller, req: ApiRequest) -> tuple[SendBody, list[str]]:
    global _media_store
    fields: dict[str, str] = {}
    attachment: tuple[str, str, bytes] | None = None
    for part in _parts(req):
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if name == "Attachment":
            filename = part.get_filename() or "attachment"
            attachment = (filename, part.get_content_type(), payload)
        elif name in FIELDS:
            fields[name] = payload.decode("utf-8", "replace")
    if attachment is None or not attachment[2]:
        raise ValidationFailed("Attachment: a file is required for MMS.", field="Attachment")
    filename, content_type, data = attachment
    if len(data) > MAX_MEDIA_BYTES:
        raise PayloadTooLarge(f"Attachment is {len(data)} bytes; MMS media may be at most 5 MB.")
    if content_type not in ALLOWED:
        raise UnsupportedMediaType(f"Attachment type {content_type} is not supported for MMS "
                                   "(use JPEG, PNG, GIF, PDF, vCard, MP4 …).")
    from pydantic import ValidationError

    from ..web.runtime import validation_error

    try:
        body = SendBody.model_validate(fields)
    except ValidationError as err:
        raise validation_error(err) from err
    if _media_store is None:
        from ..storage.blobs import MediaStore

        _media_store = MediaStore()
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[-100:] or "attachment"
    url = _media_store.put(f"{caller.account_id}/{new_id()}/{safe}", data, content_type)
    return body, [url]


def reset() -> None:
    global _media_store
    _media_store = None
