"""A newcomer's first session, end to end in Chromium against `python -m devhost` on Azurite
(issue 13, item 8): sign in, create the business's account, create an API key and use it on the
API, add a place, import a CSV of 1,000 contacts and read the report, make a group with members;
a screenshot of each page at desktop and phone width along the way."""

from __future__ import annotations

import requests

from tests.support.browser import shoot, sign_in
from tests.support.tenants import new_phone

PLACE_ID = "ChIJN1t_tDeuEmsRUsoyG83frY4"


def nav(page, title: str) -> None:  # noqa: ANN001
    """Follow a link of the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=title, exact=True).click()


def contacts_csv(n: int) -> str:
    """What a spreadsheet exports: a header, national numbers, a few rows a person got wrong."""
    rows = ["Name,LastName,Phone"]
    for i in range(n):
        phone = "not a number" if i % 250 == 7 else f"(917) 555-{i:04d}"
        rows.append(f"Customer{i:04d},Lane,{phone}")
    return "\n".join(rows) + "\n"


def test_a_newcomer_gets_a_key_a_place_and_a_group_of_imported_contacts(page, portal, tmp_path) -> None:  # noqa: ANN001
    email = f"newcomer-{new_phone()[-7:]}@example.com"
    sign_in(page, email)
    shoot(page, "home-first-sign-in")

    # the business's account, from the first page
    page.get_by_label("Business name").fill("Corner Bakery")
    page.get_by_label("Business texting number").fill(new_phone("628"))
    page.get_by_role("button", name="Create account").click()
    assert "Corner Bakery is ready" in page.get_by_role("status").inner_text()
    shoot(page, "home")

    # an API key, used on the API at once
    nav(page, "API keys")
    page.get_by_label("Key name").fill("Power Automate")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    shoot(page, "keys-new-key")
    api = requests.Session()
    api.trust_env = False
    answer = api.get(f"{portal.base_url}/api/account", headers={"ApiKey": key}, timeout=30)
    assert answer.status_code == 200 and answer.json()["Data"]["Name"] == "Corner Bakery"
    page.get_by_role("link", name="Back to API keys").click()
    shoot(page, "keys")

    # a place: what review requests link to
    nav(page, "Places")
    page.get_by_label("Google Place ID or Google Maps link").fill(
        f"https://www.google.com/maps/search/?api=1&query=Corner%20Bakery&query_place_id={PLACE_ID}")
    page.get_by_label("Place name").fill("Corner Bakery, Main St")
    page.get_by_role("button", name="Add place").click()
    assert page.get_by_role("link", name="Open the review form of Corner Bakery, Main St").is_visible()
    listed = api.get(f"{portal.base_url}/api/places", headers={"ApiKey": key}, timeout=30).json()["Data"]
    assert [(p["GooglePlaceId"], p["Name"]) for p in listed] == [(PLACE_ID, "Corner Bakery, Main St")]

    # 1,000 contacts from a CSV file, with the report
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(contacts_csv(1000))
    nav(page, "Contacts")
    page.get_by_role("link", name="Import contacts from a CSV file").click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    shoot(page, "import")
    page.get_by_role("button", name="Import contacts").click()
    page.get_by_role("heading", name="Import report").wait_for(timeout=120_000)
    counts = {k: page.locator(f"#import-report dd[data-count='{k}']").inner_text()
              for k in ("Rows", "Created", "Rejected")}
    assert counts == {"Rows": "1000", "Created": "996", "Rejected": "4"}
    assert page.locator("#import-report .problems tbody tr").first.inner_text().split("\t")[:3] == [
        "9", "Phone", "not a number"]
    page.get_by_role("link", name="See your contacts").click()
    assert page.locator("table.contacts tbody tr").count() == 50
    shoot(page, "contacts-list")
    via_api = api.get(f"{portal.base_url}/api/contacts", params={"search": "Customer0999"},
                      headers={"ApiKey": key}, timeout=30).json()["Data"]
    assert [c["Phone"] for c in via_api] == ["+19175550999"]

    # a group with members, picked by searching
    nav(page, "Groups")
    page.get_by_label("Group name").fill("Newsletter")
    page.get_by_role("button", name="Create group").click()
    for name in ("Customer0001", "Customer0002", "Customer0500"):
        with page.expect_response(lambda r: "/contacts/picker" in r.url):
            page.get_by_label("Find contacts").fill(name.lower())
        page.get_by_label(f"{name} Lane").check()
    page.get_by_role("button", name="Add the selected contacts to Newsletter").click()
    assert page.get_by_role("status").inner_text() == "Added 3 to Newsletter: 3 members now."
    shoot(page, "group-members")
    groups = api.get(f"{portal.base_url}/api/groups", headers={"ApiKey": key}, timeout=30).json()["Data"]
    assert [(g["Name"], g["ContactsCount"]) for g in groups] == [("Newsletter", 3)]
    nav(page, "Groups")
    shoot(page, "groups-list")
    assert [d for d in page.dialogs if d.startswith("alert")] == []
