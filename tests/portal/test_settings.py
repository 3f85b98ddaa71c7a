"""Account settings (issue 13 item 6) and the account's admins, in the portal. Over HTTP
against devhost; what is saved is checked where the system reads it (the API, the services)."""

from __future__ import annotations

import html
import re

import requests

from tests.support.portal_http import new_email, signed_in, text_of, with_account
from tests.support.tenants import new_phone


def settings_form(**changes: str) -> dict[str, str]:
    base = {"Name": "Renamed Roasters", "Phone": "", "TimeZone": "Europe/London",
            "OptOutText": "Text STOP to quit", "HelpText": "Call us on 0207 946 0000."}
    return {**base, **changes}


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="e-{field}">([^<]+)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def test_settings_are_saved_through_the_accounts_service(host) -> None:  # noqa: ANN001
    from shared_code.accounts.accounts import get_account
    from shared_code.accounts.storage import accounts_repo

    client, account_id = with_account(host.base_url, "Roasters")
    old_phone = get_account(account_id).Phone
    phone = new_phone("415")
    page = client.get("/settings").text
    for label in ("Business name", "Business texting number", "Time zone", "Opt-out line", "HELP reply"):
        assert re.search(rf'<label for="f-\w+">{label}</label>', page), label
    saved = client.post("/settings", settings_form(Phone=phone))
    assert "Settings saved." in text_of(saved.text) and 'value="Renamed Roasters"' in saved.text
    account = get_account(account_id)
    assert (account.Name, account.Phone, account.TimeZone, account.OptOutText, account.HelpText) == (
        "Renamed Roasters", phone, "Europe/London", "Text STOP to quit", "Call us on 0207 946 0000.")
    # texts to the new number route to this account; the old one is free again
    assert accounts_repo().account_id_for_number(phone) == account_id
    assert accounts_repo().account_id_for_number(old_phone) is None
    client.get("/keys")
    key = re.search(r"(ptx_[\w\-]+)</output>", client.post("/keys", {"Name": "k", "Days": "30"}).text).group(1)
    data = requests.get(f"{host.base_url}/api/account", headers={"ApiKey": key}, timeout=30).json()["Data"]
    assert (data["Name"], data["Phone"], data["TimeZone"]) == ("Renamed Roasters", phone, "Europe/London")


def test_each_bad_setting_is_explained_next_to_its_field(host) -> None:  # noqa: ANN001
    from shared_code.accounts.accounts import get_account

    client, account_id = with_account(host.base_url, "Careful Cakes")
    phone = get_account(account_id).Phone
    cases = [
        ({"TimeZone": "Mars/Olympus"}, "TimeZone", "TimeZone: 'Mars/Olympus' is not an IANA time zone"),
        ({"Phone": "555-12"}, "Phone", "Phone: '555-12' is not a valid phone number"),
        ({"Name": ""}, "Name", "Name must be 1 to 100 characters."),
        ({"OptOutText": "x" * 61}, "OptOutText", "OptOutText must be 1 to 60 characters."),
        ({"HelpText": ""}, "HelpText", "HelpText must be 1 to 320 characters."),
    ]
    for change, field, words in cases:
        client.get("/settings")
        response = client.post("/settings", settings_form(**{"Phone": phone, **change}))
        assert response.status_code == 400, field
        assert field_error(response.text, field).startswith(words), (field, field_error(response.text, field))
    assert get_account(account_id).Name == "Careful Cakes"


def test_a_number_another_account_has_is_refused(host) -> None:  # noqa: ANN001
    from shared_code.accounts.accounts import get_account
    from shared_code.accounts.storage import accounts_repo

    _, theirs = with_account(host.base_url, "Their Tailors")
    client, mine = with_account(host.base_url, "My Market")
    taken = get_account(theirs).Phone
    client.get("/settings")
    response = client.post("/settings", settings_form(Phone=taken))
    assert response.status_code == 409
    assert field_error(response.text, "Phone") == f"The number {taken} already belongs to an account."
    assert accounts_repo().account_id_for_number(taken) == theirs and get_account(mine).Name == "My Market"


def test_admins_add_others_and_cannot_remove_the_last(host) -> None:  # noqa: ANN001
    owner, account_id = with_account(host.base_url, "Shared Shop")
    partner_email = new_email("Partner")
    owner.get("/team")
    added = owner.post("/team", {"Email": partner_email})
    assert f"{partner_email.lower()} can now sign in" in text_of(added.text)
    partner = signed_in(host.base_url, partner_email)
    assert "Shared Shop" in partner.last.text
    partner.get("/team")
    partner.post("/team/remove", {"Email": owner.email})
    assert owner.get("/", allow_redirects=True) and "Shared Shop" not in owner.last.text
    partner.get("/team")
    last = partner.post("/team/remove", {"Email": partner_email})
    assert last.status_code == 422
    assert "This is the account's only admin" in text_of(last.text)
    from shared_code.accounts.accounts import get_account

    assert get_account(account_id).Admins == [partner_email.lower()]
    partner.get("/team")
    bad = partner.post("/team", {"Email": "not an email"})
    assert bad.status_code == 400 and field_error(bad.text, "Email").startswith("Email: 'not an email' is not")


# -- in a real browser (tests/portal/conftest.py: devhost + Chromium) ---------------------------------

def test_in_a_browser_a_bad_setting_is_shown_beside_its_field_and_a_good_one_saved(page, business) -> None:  # noqa: ANN001
    from shared_code.accounts.accounts import get_account
    from tests.support.browser import shoot

    page.goto("/settings")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Opt-out line").fill("x" * 61)
    page.get_by_role("button", name="Save settings").click()
    field = page.get_by_label("Opt-out line")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#e-OptOutText").inner_text() == "OptOutText must be 1 to 60 characters."
    assert field.get_attribute("aria-describedby") == "e-OptOutText"
    shoot(page, "settings-error")
    field.fill("Text STOP to quit")
    page.get_by_label("HELP reply").fill("We are open 9-5. Call 415 555 0100.")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_role("status").inner_text() == "Settings saved."
    account = get_account(business.account_id)
    assert (account.TimeZone, account.OptOutText, account.HelpText) == (
        "Europe/London", "Text STOP to quit", "We are open 9-5. Call 415 555 0100.")
    shoot(page, "settings")


def test_in_a_browser_an_admin_adds_a_colleague(page, business, browser, portal) -> None:  # noqa: ANN001
    from tests.support.browser import new_page, sign_in

    colleague = new_email("Colleague")
    page.goto("/team")
    page.get_by_label("Their sign-in email").fill(colleague)
    page.get_by_role("button", name="Add admin").click()
    assert "can now sign in" in page.get_by_role("status").inner_text()
    other = new_page(browser, portal.base_url)
    try:
        sign_in(other, colleague)
        assert other.get_by_role("heading", name="Your accounts").is_visible()
        assert other.get_by_role("heading", name="Acme Dental").is_visible()
    finally:
        other.context.close()
