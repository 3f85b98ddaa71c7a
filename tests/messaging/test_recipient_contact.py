"""A text to a bare number that belongs to one of the account's contacts shows that contact on
the recipient row (ContactId and Name), through the API; another account's contact of the same
number is never shown."""

from __future__ import annotations

from tests.messaging.helpers import data, wait_campaign
from tests.support.tenants import new_phone, new_tenant


def recipients(api, campaign_id: str) -> dict[str, dict]:  # noqa: ANN001
    return {r["Phone"]: r for r in data(api.get(f"campaigns/{campaign_id}/recipients"))}


def test_numbers_of_contacts_show_the_contact(api) -> None:  # noqa: ANN001
    ada, stranger = new_phone(), new_phone()
    contact = data(api.post("contacts/contactnew", {"Phone": ada, "Name": "Ada", "LastName": "Lovelace"}))
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{ada}, {stranger}", "Body": "Hello"}))
    wait_campaign(api, c["CampaignId"])
    rows = recipients(api, c["CampaignId"])
    assert rows[ada]["ContactId"] == contact["ContactId"] and rows[ada]["Name"] == "Ada Lovelace"
    assert rows[stranger]["ContactId"] == "" and rows[stranger]["Name"] == ""


def test_the_general_send_text_ties_its_numbers_too(api) -> None:  # noqa: ANN001
    ben = new_phone()
    contact = data(api.post("contacts/contactnew", {"Phone": ben, "Name": "Ben"}))
    national = f"({ben[2:5]}) {ben[5:8]}-{ben[8:]}"  # the same number written nationally
    c = data(api.post("send/text", {"Numbers": [national], "Body": "Hi"}))
    wait_campaign(api, c["CampaignId"])
    assert recipients(api, c["CampaignId"])[ben]["ContactId"] == contact["ContactId"]


def test_another_accounts_contact_is_not_tied(api, make_api) -> None:  # noqa: ANN001
    shared = new_phone()
    other = make_api(new_tenant("Other Co").key)
    data(other.post("contacts/contactnew", {"Phone": shared, "Name": "Theirs"}))
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": shared, "Body": "Hello"}))
    wait_campaign(api, c["CampaignId"])
    row = recipients(api, c["CampaignId"])[shared]
    assert row["ContactId"] == "" and row["Name"] == ""
