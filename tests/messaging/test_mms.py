"""MMS: one attachment, stored in Blob Storage and sent as a time-limited SAS URL."""

from __future__ import annotations

import requests

from tests.messaging.helpers import PNG, data, make_book, wait_campaign
from tests.support.tenants import new_phone


def _mms(api, form: dict, files: dict | None = None):  # noqa: ANN001, ANN202
    parts = {k: (None, v) for k, v in form.items()}
    parts.update(files or {})
    return api.request("POST", "messages/sendmmsnewcontact", files=parts)


def test_attachment_is_stored_and_sent_as_a_readable_sas_url(api, tenant):
    from shared_code.common.sms.outbox import list_outbox
    from shared_code.common.storage.tables import TableStore

    p = new_phone()
    res = _mms(api, {"ContactNumber": p, "ContactName": "Pic", "Message": "Our new menu"},
               {"Attachment": ("menu.png", PNG, "image/png")})
    c = data(res)
    assert c["Type"] == "MMS"
    wait_campaign(api, c["CampaignId"])
    (row,) = [r for r in list_outbox(TableStore(), tenant.account_id) if r.get("CampaignId") == c["CampaignId"]]
    (url,) = row["MediaUrls"]
    assert "sig=" in url and "se=" in url and "sp=r" in url  # signed, expiring, read-only
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.content == PNG
    assert fetched.headers["Content-Type"] == "image/png"
    assert requests.get(url.split("?")[0], timeout=10).status_code in (401, 403, 404)  # not public


def test_missing_too_large_and_unsupported_attachments_are_rejected(api):
    form = {"ContactNumber": new_phone(), "Message": "x"}
    missing = _mms(api, form)
    assert missing.status_code == 400 and missing.json()["Error"]["Field"] == "Attachment"
    big = _mms(api, form, {"Attachment": ("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), "image/png")})
    assert big.status_code == 413 and big.json()["Error"]["Code"] == "PayloadTooLarge"
    exe = _mms(api, form, {"Attachment": ("tool.exe", b"MZ\x90\x00", "application/x-msdownload")})
    assert exe.status_code == 415 and exe.json()["Error"]["Code"] == "UnsupportedMediaType"
    as_json = api.post("messages/sendmmsnewcontact", form)
    assert as_json.status_code == 415
    assert data(api.get("campaigns")) == []


def test_mms_to_a_group(api, tenant):
    book = make_book(api)
    res = api.request("POST", "messages/sendmmsgroup", files={"GroupName": (None, book.group_id),
                                                             "Message": (None, "Group pic"),
                                                             "Attachment": ("a.gif", b"GIF89a....", "image/gif")})
    c = data(res)
    done = wait_campaign(api, c["CampaignId"])
    assert done["SentCount"] == len(book.group_phones)


def _blobs(account_id: str) -> list[str]:
    """The account's files in the media container, listed with the SDK on Azurite."""
    import os

    from azure.storage.blob import BlobServiceClient

    from shared_code.common.storage.names import MEDIA_CONTAINER

    service = BlobServiceClient.from_connection_string(os.environ["AzureWebJobsStorage"])
    container = service.get_container_client(MEDIA_CONTAINER)
    return [b.name for b in container.list_blobs(name_starts_with=f"{account_id}/")]


def test_rejected_mms_requests_leave_no_file_behind(api, tenant):
    """400 (bad number), 404 (unknown contact), 422 (text too long), 422 (schedule in the past):
    the attachment is only stored for a send that is recorded."""
    pic = {"Attachment": ("pic.png", PNG, "image/png")}
    cases = [("messages/sendmmsnewcontact", {"ContactNumber": "12", "Message": "x"}, 400),
             ("messages/sendmmscontacts", {"To": "01JD000000000000000000000Z", "Message": "x"}, 404),
             ("messages/sendmmsgroup", {"GroupName": "01JD000000000000000000000Z", "Message": "x"}, 404),
             ("messages/sendmmsnewcontact", {"ContactNumber": new_phone(), "Message": "x" * 1601}, 422)]
    statuses = [api.request("POST", route, files={**{k: (None, v) for k, v in form.items()}, **pic}).status_code
                for route, form, _ in cases]
    assert (_blobs(tenant.account_id), statuses) == ([], [status for _, _, status in cases])
    assert data(api.get("campaigns")) == []


def test_five_retries_under_one_idempotency_key_store_one_file(api, tenant):
    """Each retry is a fresh multipart body (a new boundary), as a client resends it."""
    form = {k: (None, v) for k, v in {"ContactNumber": new_phone(), "Message": "Our new menu"}.items()}
    made = set()
    for _ in range(5):
        res = api.request("POST", "messages/sendmmsnewcontact", headers={"Idempotency-Key": "menu-1"},
                          files={**form, "Attachment": ("menu.png", PNG, "image/png")})
        made.add(data(res)["CampaignId"])
    assert len(made) == 1 and len(data(api.get("campaigns"))) == 1
    assert len(_blobs(tenant.account_id)) == 1
