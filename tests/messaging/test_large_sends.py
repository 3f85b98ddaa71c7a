"""Sends far bigger than the demo: long recipient lists pasted from a spreadsheet, every
recipient reached once, and the recipients listing paged to its end."""

from __future__ import annotations

from typing import Any

from tests.messaging.helpers import data, wait_campaign


def numbers(n: int, start: int = 0, area: str = "415") -> list[str]:
    """n distinct valid US numbers (+1 415 300-0000 ...), none of them from new_phone()."""
    return [f"+1{area}{3_000_000 + start + i:07d}" for i in range(n)]


def follow_pages(api: Any, path: str, **params: Any) -> tuple[list[dict], int]:
    """Every item of a paged listing, following NextLink until there is none."""
    res = api.get(path, params=params)
    items, pages = [], 0
    while True:
        assert res.status_code == 200, res.text
        payload = res.json()
        items += payload["Data"]
        pages += 1
        link = payload.get("NextLink")
        if not link:
            return items, pages
        res = api.session.get(link, timeout=30)


def test_recipients_listing_pages_to_the_end(api, tenant):
    phones = numbers(300, start=100_000)
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(phones), "Body": "paged"}))
    wait_campaign(api, c["CampaignId"], timeout=60)
    items, pages = follow_pages(api, f"campaigns/{c['CampaignId']}/recipients", top=50)
    seen = [r["Phone"] for r in items]
    assert len(seen) == len(set(seen)) == 300 and set(seen) == set(phones)
    assert pages == 6


def outbox_counts(account_id: str, campaign_id: str) -> dict[str, int]:
    from shared_code.common.sms.outbox import list_outbox
    from shared_code.common.storage.tables import TableStore

    counts: dict[str, int] = {}
    for row in list_outbox(TableStore(), account_id):
        if row.get("CampaignId") == campaign_id:
            counts[row["To"]] = counts.get(row["To"], 0) + 1
    return counts


def test_3000_numbers_pasted_from_a_spreadsheet_are_each_texted_once(api, tenant):
    from tests.messaging.test_send_operations import CAMPAIGN_FIELDS

    phones = numbers(3000)
    res = api.post("messages/sendtomulticontact", {"ContactNumber": "\n".join(phones), "Body": "Spring sale"})
    assert res.status_code == 200, res.text[:300]
    c = res.json()["Data"]
    assert {k: type(c[k]) for k in CAMPAIGN_FIELDS} == CAMPAIGN_FIELDS and c["Reach"] == 3000
    done = wait_campaign(api, c["CampaignId"], timeout=240)
    assert done["SentCount"] == 3000 and done["Reach"] == 3000
    assert outbox_counts(tenant.account_id, c["CampaignId"]) == {p: 1 for p in phones}


def _contacts(account_id: str, phones: list[str]) -> list[str]:
    """Contacts written straight to the address book (2,000 API calls would be the slow part)."""
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_id
    from shared_code.addressbook.models import Contact
    from shared_code.addressbook.storage import address_book_repo

    now = utcnow()
    contacts = [Contact(ContactId=new_id(), Phone=phone, Name=f"Guest {i}", CreatedAt=now, UpdatedAt=now)
                for i, phone in enumerate(phones)]
    address_book_repo().import_contacts(account_id, contacts)
    return [c.ContactId for c in contacts]


def test_2000_contact_ids_are_each_texted_once_by_name(api, tenant):
    phones = numbers(2000, start=10_000)
    ids = _contacts(tenant.account_id, phones)
    c = data(api.post("messages/send", {"To": ids, "Body": "Thanks for being a member"}))
    assert c["Reach"] == 2000
    done = wait_campaign(api, c["CampaignId"], timeout=240)
    assert done["SentCount"] == 2000
    assert outbox_counts(tenant.account_id, c["CampaignId"]) == {p: 1 for p in phones}
    items, _ = follow_pages(api, f"campaigns/{c['CampaignId']}/recipients", top=500)
    assert {r["Phone"]: r["Name"] for r in items} == {p: f"Guest {i}" for i, p in enumerate(phones)}


def test_a_large_scheduled_send_survives_a_retry_and_a_reschedule(api, tenant):
    from datetime import timedelta

    from tests.messaging.helpers import utc_now

    phones = numbers(600, start=20_000)  # over AUDIENCE_INLINE_CHARS: its own rows
    body = {"To": phones, "Body": "Doors open soon", "ScheduledAt": (utc_now() + timedelta(hours=1)).isoformat()}
    first = data(api.post("messages/scheduletextmulticontacts", body, headers={"Idempotency-Key": "big-1"}))
    again = data(api.post("messages/scheduletextmulticontacts", body, headers={"Idempotency-Key": "big-1"}))
    assert again["CampaignId"] == first["CampaignId"] and first["Status"] == "Scheduled"
    from shared_code.messaging.storage import campaigns_repo

    assert campaigns_repo().get(tenant.account_id, first["CampaignId"]).AudienceRows > 0
    moved = data(api.post(f"campaigns/{first['CampaignId']}/reschedule",
                          {"ScheduledAt": (utc_now() + timedelta(seconds=2)).isoformat()}))
    assert moved["Status"] == "Scheduled"
    done = wait_campaign(api, first["CampaignId"], timeout=240)
    assert done["SentCount"] == 600
    assert outbox_counts(tenant.account_id, first["CampaignId"]) == {p: 1 for p in phones}
    assert len(data(api.get("campaigns"))) == 1


def test_beyond_the_documented_limit_is_a_422_naming_the_field(api, monkeypatch):
    from shared_code.messaging import compose

    monkeypatch.setattr(compose, "MAX_RECIPIENTS_PER_SEND", 50)
    res = api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(numbers(51, start=30_000)), "Body": "x"})
    assert res.status_code == 422, res.text
    err = res.json()["Error"]
    assert (err["Code"], err["Field"]) == ("TooManyRecipients", "ContactNumber") and "at most 50" in err["Message"]
    assert data(api.get("campaigns")) == []


def test_an_unknown_contact_id_is_a_404_naming_it(api, make_api):
    from tests.messaging.helpers import make_book
    from tests.support.tenants import new_tenant

    book = make_book(api)
    mine = data(api.get("contacts"))[0]["ContactId"]
    other = make_api(new_tenant("Other").key)
    theirs = data(other.post("contacts/contactnew", {"Phone": book.p1, "Name": "Not yours"}))["ContactId"]
    unknown = "01JD000000000000000000000Z"
    for ref in (unknown, theirs):
        one = api.post("messages/sendmessagesinglecontact", {"To": ref, "Body": "hi"})
        assert one.status_code == 404, one.text
        assert (one.json()["Error"]["Code"], one.json()["Error"]["Field"]) == ("ContactNotFound", "To")
        many = api.post("messages/send", {"To": [mine, ref], "Body": "hi"})
        assert many.status_code == 404, many.text
        assert (many.json()["Error"]["Code"], many.json()["Error"]["Field"]) == ("ContactNotFound", "To[1]")
        assert ref in many.json()["Error"]["Message"]
    assert data(api.get("campaigns")) == []
