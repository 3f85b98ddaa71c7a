"""API keys in the portal (issue 13 item 3): list, New -> shown once, validity, revoke with a
confirmation; a key made here works on the API at once. Over HTTP against devhost."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import requests

from tests.support.portal_http import text_of, with_account

KEY = re.compile(r'<output id="new-key"[^>]*>(ptx_[A-Za-z0-9_\-]+)</output>')


def api_account(host, key: str) -> requests.Response:  # noqa: ANN001
    return requests.get(f"{host.base_url}/api/account", headers={"ApiKey": key}, timeout=30)


def new_key(client, name: str = "Power Automate", days: str = "90") -> tuple[requests.Response, str]:  # noqa: ANN001
    client.get("/keys")
    created = client.post("/keys", {"Name": name, "Days": days})
    found = KEY.search(created.text)
    assert created.status_code == 201 and found, text_of(created.text)
    return created, found.group(1)


def row_of(page: str, key_id: str) -> str:
    found = re.search(rf'<tr data-key-id="{key_id}">(.*?)</tr>', page, flags=re.S)
    assert found, f"no row for {key_id}"
    return text_of(found.group(1))


def test_a_key_made_in_the_portal_works_on_the_api_at_once(host) -> None:  # noqa: ANN001
    client, account_id = with_account(host.base_url, "Keyed Kitchen")
    created, key = new_key(client)
    page = text_of(created.text)
    assert "won't be shown again" in page and "Copy key" in page
    assert 'data-copy="#new-key"' in created.text  # portal.js copies the key to the clipboard
    answer = api_account(host, key)
    assert answer.status_code == 200
    data = answer.json()["Data"]
    assert (data["AccountId"], data["Name"], data["KeyName"]) == (account_id, "Keyed Kitchen", "Power Automate")


def test_the_list_shows_each_key_and_never_the_key_itself(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    _, never = new_key(client, "Never expires", "0")
    _, thirty = new_key(client, "Monthly", "30")
    api_account(host, thirty)  # used once: "last used" is set
    page = client.get("/keys").text
    assert never not in page and thirty not in page
    today = datetime.now(timezone.utc)
    never_row = row_of(page, never.split("_")[1])
    assert never_row.startswith(f"Never expires {today:%Y-%m-%d} Never Never used Active")
    monthly_row = row_of(page, thirty.split("_")[1])
    assert monthly_row.startswith(f"Monthly {today:%Y-%m-%d} {today + timedelta(days=30):%Y-%m-%d} {today:%Y-%m-%d}")
    assert "Active" in monthly_row and "Change validity" in monthly_row and "Revoke" in monthly_row
    assert [label for label in ("30 days", "60 days", "90 days", "180 days", "365 days", "Never expires")
            if f">{label}</option>" not in page] == []


def test_validity_can_be_changed_and_an_expired_key_says_so(host, clock) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    _, key = new_key(client, "Short", "30")
    key_id = key.split("_")[1]
    client.get("/keys")
    changed = client.post(f"/keys/{key_id}/validity", {"Days": "365"})
    created = datetime.now(timezone.utc)
    assert f"Short is now valid until {created + timedelta(days=365):%Y-%m-%d}" in text_of(changed.text)
    assert f"{created + timedelta(days=365):%Y-%m-%d}" in row_of(changed.text, key_id)
    client.get("/keys")
    client.post(f"/keys/{key_id}/validity", {"Days": "30"})
    clock.advance(days=31)
    assert "Expired" in row_of(client.get("/keys").text, key_id)
    assert api_account(host, key).json()["Error"]["Code"] == "ApiKeyExpired"


def test_revoking_asks_first_and_then_the_api_refuses_the_key(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    _, key = new_key(client, "Old flow")
    key_id = key.split("_")[1]
    confirm = client.get(f"/keys/{key_id}/revoke")
    assert "Revoke “Old flow”?" in text_of(confirm.text) and "stop working at once" in confirm.text
    assert api_account(host, key).status_code == 200  # asking revoked nothing
    done = client.post(f"/keys/{key_id}/revoke", {})
    assert "Old flow is revoked" in text_of(done.text) and "Revoked" in row_of(done.text, key_id)
    refused = api_account(host, key)
    assert refused.status_code == 401 and refused.json()["Error"]["Code"] == "ApiKeyRevoked"


def test_a_bad_name_is_explained_next_to_the_field(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    client.get("/keys")
    response = client.post("/keys", {"Name": "  ", "Days": "90"})
    assert response.status_code == 400
    assert re.search(r'id="e-Name">Name must be 1 to 100 characters.</p>', response.text)
    client.get("/keys")
    response = client.post("/keys", {"Name": "Odd", "Days": "7"})
    assert response.status_code == 400
    assert re.search(r'id="e-Days">Days must be one of 30, 60, 90, 180, 365, 0 \(0 = never expires\).</p>',
                     response.text)


def test_another_accounts_key_cannot_be_touched(host) -> None:  # noqa: ANN001
    owner, _ = with_account(host.base_url, "Owner Optics")
    _, key = new_key(owner)
    key_id = key.split("_")[1]
    stranger, _ = with_account(host.base_url, "Stranger Shoes")
    assert key_id not in stranger.get("/keys").text
    assert stranger.get(f"/keys/{key_id}/revoke").status_code == 404
    stranger.get("/keys")
    assert stranger.post(f"/keys/{key_id}/revoke", {}).status_code == 404
    stranger.get("/keys")
    assert stranger.post(f"/keys/{key_id}/validity", {"Days": "0"}).status_code == 404
    assert api_account(host, key).status_code == 200


# -- in a real browser (tests/portal/conftest.py: devhost + Chromium) ---------------------------------

def test_in_a_browser_a_new_key_is_copied_and_revoking_asks_first(page, business, portal) -> None:  # noqa: ANN001
    from tests.support.browser import shoot

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal.base_url)
    page.goto("/keys")
    page.get_by_label("Key name").fill("Zapier")
    page.get_by_label("Valid for").select_option("180")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    assert page.get_by_text("Copy it now: it won't be shown again.").is_visible()
    page.get_by_role("button", name="Copy key").click()
    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    shoot(page, "keys-copied")
    session = requests.Session()
    session.trust_env = False
    assert session.get(f"{portal.base_url}/api/account", headers={"ApiKey": key}, timeout=30).status_code == 200

    page.get_by_role("link", name="Back to API keys").click()
    row = page.locator(f'tr[data-key-id="{key.split("_")[1]}"]')
    assert "Active" in row.inner_text() and key not in page.content()
    row.get_by_role("link", name="Revoke…").click()
    shoot(page, "keys-revoke")
    page.get_by_role("button", name="Revoke key").focus()
    page.keyboard.press("Enter")  # keyboard only
    assert "Zapier is revoked" in page.get_by_role("status").inner_text()
    assert "Revoked" in page.locator(f'tr[data-key-id="{key.split("_")[1]}"]').inner_text()
    refused = session.get(f"{portal.base_url}/api/account", headers={"ApiKey": key}, timeout=30)
    assert refused.json()["Error"]["Code"] == "ApiKeyRevoked"


def test_in_a_browser_at_phone_width_the_keys_page_fits(page, business) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/keys")
    page.get_by_label("Key name").fill("Phone key")
    page.get_by_role("button", name="Create key").click()
    page.get_by_role("link", name="Back to API keys").click()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # no sideways scrolling of the page (the table scrolls in its own box)
    assert page.get_by_role("button", name="Create key").is_visible()
