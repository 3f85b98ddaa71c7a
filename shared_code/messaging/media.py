"""MMS requests: multipart/form-data with the text fields and one ``Attachment``.

Parsing only reads the file; it is stored (``store``) by the campaign service once the request
has passed validation and the idempotency check, and removed again (``discard``) when the
campaign could not be recorded: a rejected request or a replay leaves nothing behind."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..common.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from ..common.ids import new_id
from ..web.multipart import FilePart
from .models import SendBody

MAX_MEDIA_BYTES = 5 * 1024 * 1024
ALLOWED = {"image/jpeg", "image/jpg", "image/png", "image/gif", "image/bmp", "image/webp", "application/pdf",
           "text/vcard", "text/x-vcard", "text/directory", "text/calendar", "video/mp4", "video/3gpp",
           "audio/mpeg", "audio/mp4", "audio/ogg", "text/plain", "text/csv", "application/rtf"}
NOT_MULTIPART = "Send MMS actions as multipart/form-data with an Attachment file."
FILES = ("Attachment",)
FIELDS = ("To", "GroupName", "ContactNumber", "ContactName", "ContactLastName", "Message", "ReplySTOPToOptOut")
_media_store = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def digest(self) -> str:
        """Identifies the file for idempotency: same name, type and bytes."""
        h = hashlib.sha256(f"{self.filename}|{self.content_type}|".encode())
        h.update(self.data)
        return h.hexdigest()


def mms_request(fields: dict[str, str], files: dict[str, FilePart]) -> tuple[SendBody, Attachment]:
    """An MMS action's form (read by ``web.multipart``): the send fields and the checked file."""
    part = files.get("Attachment")
    if part is None or not part.data:
        raise ValidationFailed("Attachment: a file is required for MMS.", field="Attachment")
    attachment = Attachment(part.filename, part.content_type, part.data)
    if len(attachment.data) > MAX_MEDIA_BYTES:
        raise PayloadTooLarge(f"Attachment is {len(attachment.data)} bytes; MMS media may be at most 5 MB.")
    if attachment.content_type not in ALLOWED:
        raise UnsupportedMediaType(f"Attachment type {attachment.content_type} is not supported for MMS "
                                   "(use JPEG, PNG, GIF, PDF, vCard, MP4 …).")
    from pydantic import ValidationError

    from ..web.runtime import validation_error

    try:
        body = SendBody.model_validate(fields)
    except ValidationError as err:
        raise validation_error(err) from err
    return body, attachment


def _store():  # noqa: ANN202 - MediaStore, imported lazily
    global _media_store
    if _media_store is None:
        from ..common.storage.blobs import MediaStore

        _media_store = MediaStore()
    return _media_store


def store(account_id: str, attachment: Attachment) -> tuple[str, str]:
    """Put the file in Blob Storage; returns (the SAS URL the provider fetches, its name)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", attachment.filename)[-100:] or "attachment"
    name = f"{account_id}/{new_id()}/{safe}"
    return _store().put(name, attachment.data, attachment.content_type), name


def discard(name: str) -> None:
    _store().delete(name)


def reset() -> None:
    global _media_store
    _media_store = None
