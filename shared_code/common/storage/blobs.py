"""MMS media in Blob Storage, handed to the provider as a read-only, time-limited SAS URL
(account key locally, a user delegation key under a managed identity in Azure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from ..config import Settings, get_settings
from .connection import build_client
from .names import MEDIA_CONTAINER

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

SAS_LIFETIME = timedelta(days=6)  # a user delegation key lives at most 7 days


class MediaStore:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._service: BlobServiceClient | None = None
        self._ready = False

    def _svc(self) -> "BlobServiceClient":
        if self._service is None:
            from azure.storage.blob import BlobServiceClient

            self._service = build_client(BlobServiceClient, self.settings, "blob")
        if not self._ready:
            from azure.core.exceptions import ResourceExistsError

            try:
                self._service.create_container(MEDIA_CONTAINER)
            except ResourceExistsError:
                pass
            self._ready = True
        return self._service

    def delete(self, name: str) -> None:
        """Remove a stored file; one already gone is fine."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._svc().get_blob_client(MEDIA_CONTAINER, name).delete_blob()
        except ResourceNotFoundError:
            pass

    def put(self, name: str, data: bytes, content_type: str) -> str:
        """Store the file; returns a URL the provider can fetch for ``SAS_LIFETIME``."""
        from azure.storage.blob import BlobSasPermissions, ContentSettings, generate_blob_sas

        service = self._svc()
        blob = service.get_blob_client(MEDIA_CONTAINER, name)
        blob.upload_blob(data, overwrite=True, content_settings=ContentSettings(content_type=content_type))
        expiry = datetime.now(timezone.utc) + SAS_LIFETIME
        start = datetime.now(timezone.utc) - timedelta(minutes=5)
        credential = service.credential
        account_key = getattr(credential, "account_key", None)
        if account_key:
            sas = generate_blob_sas(service.account_name, MEDIA_CONTAINER, name, account_key=account_key,
                                    permission=BlobSasPermissions(read=True), expiry=expiry, start=start)
        else:
            key = service.get_user_delegation_key(start, expiry)
            sas = generate_blob_sas(service.account_name, MEDIA_CONTAINER, name, user_delegation_key=key,
                                    permission=BlobSasPermissions(read=True), expiry=expiry, start=start)
        return f"{blob.url}?{sas}"
