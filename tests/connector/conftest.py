"""Fixtures for the schemathesis runs: a tenant with something in every list (contacts, a
group, a place, a campaign, a trigger registration, an opt-out), so generated requests reach
real rows as well as missing ones; and the count of cases each definition ran."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

CASES: Counter[str] = Counter()        # cases sent, per definition
STATUSES: dict[str, Counter[str]] = {}  # status classes seen, per definition
OPERATIONS: dict[str, Counter[str]] = {}  # "definition operation" -> status classes (CONNECTOR_STATS=1 prints)
SOON = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%m/%d/%Y")     # a valid schedule date
EVENT = (datetime.now(timezone.utc) + timedelta(days=40)).strftime("%m/%d/%Y")    # a valid event date
PUBLIC_CALLBACK = "https://20.50.2.1/workflows/powertextor-tests/triggers/manual/run"  # public IP literal: no DNS


@dataclass
class Seeded:
    base_url: str
    key: str
    ids: dict[str, str] = field(default_factory=dict)


def _data(response) -> dict:  # noqa: ANN001
    assert response.status_code < 300, response.text
    return response.json()["Data"]


@pytest.fixture()
def seeded(host, tenant) -> Seeded:  # noqa: ANN001
    """A fresh tenant per operation (its own rate-limit budget) with one row of each kind."""
    from tests.support.client import Api
    from tests.support.tenants import new_phone

    api = Api(host.base_url, tenant.key)
    phones = [new_phone() for _ in range(2)]
    contact = _data(api.post("contacts/contactnew", {"Phone": phones[0], "Name": "Ada", "LastName": "Lovelace"}))
    group = _data(api.post("groups", {"Name": "Regulars", "Contacts": phones}))
    place = _data(api.post("places", {"GooglePlaceId": "ChIJN1t_tDeuEmsRUsoyG83frY4", "Name": "Main Street"}))
    campaign = _data(api.post("messages/scheduletext", {"To": phones[0], "Body": "See you soon",
                                                        "ScheduledDate": SOON, "ScheduledTime": "09:00 AM"}))
    ids = {"contactId": contact["ContactId"], "groupId": group["GroupId"], "placeId": place["PlaceId"],
           "campaignId": campaign["CampaignId"], "phone": phones[0], "google": place["GooglePlaceId"]}
    ids["messageId"] = _received_text(tenant.account_id, phones[0], tenant.phone)
    sub = api.post("twilio/registration", {"WebHookUri": PUBLIC_CALLBACK})
    assert sub.status_code == 201, sub.text
    ids["RegistrationId"] = ids["subscriptionId"] = sub.json()["Data"]["RegistrationId"]
    assert api.post("optouts/optout", {"Phone": phones[1], "Reason": "tests"}).status_code == 200
    return Seeded(host.base_url, tenant.key, ids)



def _received_text(account_id: str, sender: str, to: str) -> str:
    """A stored received text, before any registration exists (nobody is notified)."""
    from shared_code.inbound.receive import process
    from shared_code.inbound.storage import inbound_repo

    process(account_id, {"MessageSid": "SM" + "0" * 24 + account_id[-8:], "From": sender, "To": to,
                         "Body": "Is Friday at 3 still free?", "NumMedia": "0", "FromCity": "SAN FRANCISCO"},
            datetime.now(timezone.utc))
    return next(iter(inbound_repo().list(account_id))).MessageId


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    for name, count in sorted(CASES.items()):
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(STATUSES.get(name, Counter()).items()))
        terminalreporter.write_line(f"schemathesis, {name} definition: {count} cases ({statuses})")
    if os.environ.get("CONNECTOR_STATS"):
        for label, counts in sorted(OPERATIONS.items()):
            terminalreporter.write_line(f"  {label}: {dict(sorted(counts.items()))}")
