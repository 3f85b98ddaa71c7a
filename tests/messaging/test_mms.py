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
    from shared_code.sms.outbox import list_outbox
    from shared_code.storage.tables import TableStore

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
