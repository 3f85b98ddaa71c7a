"""Sign-in, the first account, who sees what, and the defences every page has — over HTTP
against devhost (its Easy Auth emulation) on Azurite."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest
import requests

from tests.support.portal_http import PortalClient, new_email, signed_in, text_of, with_account
from tests.support.tenants import new_phone

XSS = "<img src=x onerror=alert(1)>"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def forged(email: str) -> dict[str, str]:
    claims = {"auth_typ": "aad", "claims": [{"typ": "preferred_username", "val": email},
                                            {"typ": "name", "val": "Mallory"}]}
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(claims).encode()).decode(),
            "X-MS-CLIENT-PRINCIPAL-NAME": email, "X-MS-CLIENT-PRINCIPAL-ID": "forged"}


def test_a_page_sends_a_signed_out_visitor_to_sign_in_and_back(host) -> None:  # noqa: ANN001
    client = PortalClient(host.base_url)
    first = client.session.get(client.url("/keys?x=1"), allow_redirects=False, timeout=30)
    assert first.status_code == 302
    assert first.headers["Location"] == "/.auth/login/aad?post_login_redirect_uri=%2Fkeys%3Fx%3D1"
    login = client.session.get(client.url(first.headers["Location"]), timeout=30)
    assert "Sign in (development)" in login.text and 'name="email"' in login.text
    back = client.session.post(client.url("/.auth/login/aad"), allow_redirects=False, timeout=30,
                               data={"email": new_email(), "post_login_redirect_uri": "/keys?x=1"})
    assert (back.status_code, back.headers["Location"]) == (302, "/keys?x=1")


def test_first_sign_in_offers_to_create_the_business_account_with_you_as_admin(host) -> None:  # noqa: ANN001
    from shared_code.accounts.accounts import accounts_for

    email = new_email("Newcomer")
    client = signed_in(host.base_url, email, "Nia Newcomer")
    page = text_of(client.last.text)
    assert "Welcome, Nia Newcomer" in page and "Create your business's account" in page
    for label in ("Business name", "Business texting number", "Country code", "Time zone"):
        assert re.search(rf'<label for="f-\w+">{label}</label>', client.last.text), label
    phone = new_phone("415")
    done = client.post("/accounts", {"Name": "Nia's Nails", "Phone": phone, "Region": "US",
                                     "TimeZone": "America/Chicago"})
    page = text_of(done.text)
    assert "Nia's Nails is ready" in page and "Your accounts" in page and phone in page
    (account,) = accounts_for(email)
    assert (account.Name, account.Phone, account.TimeZone, account.Admins) == (
        "Nia's Nails", phone, "America/Chicago", [email.lower()])


def test_a_bad_number_is_explained_next_to_its_field_in_the_apis_words(host) -> None:  # noqa: ANN001
    client = signed_in(host.base_url)
    response = client.post("/accounts", {"Name": "Bad Number Bakery", "Phone": "555-12", "Region": "US",
                                         "TimeZone": "UTC"})
    assert response.status_code == 400
    error = re.search(r'<p class="field-error" id="e-Phone">([^<]+)</p>', response.text)
    assert error and "Phone: '555-12' is not a valid phone number" in html.unescape(error.group(1))
    assert 'value="Bad Number Bakery"' in response.text  # what was typed stays


def test_each_user_sees_only_the_accounts_they_administer(host) -> None:  # noqa: ANN001
    alice, account_a = with_account(host.base_url, "Alice Autos")
    bob, account_b = with_account(host.base_url, "Bob Bikes")
    assert "Alice Autos" not in bob.get("/").text and "Bob Bikes" not in alice.get("/").text
    # choosing another business's account: the same 404 as an unknown id
    bob.get("/")
    refused = bob.post("/account/switch", {"AccountId": account_a})
    assert refused.status_code == 404 and f"No account {account_a}." in text_of(refused.text)
    # a cookie naming it picks nothing of Alice's either
    bob.session.cookies.set("ptx_account", account_a)
    assert "Alice Autos" not in bob.get("/settings").text and 'value="Bob Bikes"' in bob.last.text
    assert account_b != account_a


def test_the_account_switcher_moves_between_accounts_you_administer(host) -> None:  # noqa: ANN001
    email = new_email()
    client, first = with_account(host.base_url, "First Florist", email)
    client.get("/")
    client.post("/accounts", {"Name": "Second Salon", "Phone": new_phone("415"), "Region": "US", "TimeZone": "UTC"})
    assert 'value="Second Salon"' in client.get("/settings").text  # the new one is current
    switched = client.post("/account/switch", {"AccountId": first, "next": "/settings"})
    assert switched.url.endswith("/settings") and 'value="First Florist"' in switched.text
    assert "Now working on First Florist." in text_of(switched.text)


def test_a_forged_principal_is_ignored_when_the_platform_says_auth_is_off(storage, monkeypatch) -> None:  # noqa: ANN001
    from shared_code.portal import find
    from shared_code.portal.identity import current_user
    from shared_code.portal.runtime import execute
    from shared_code.web.request import ApiRequest

    request = ApiRequest("GET", "https://app.example/", headers=forged("victim@shop.example"))
    monkeypatch.delenv("WEBSITE_AUTH_ENABLED", raising=False)
    assert current_user(request) is None
    response = execute(find("PortalHome"), request)
    assert response.status == 503 and "Sign-in is not set up" in response.body.decode()
    assert "victim" not in response.body.decode()
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")  # what App Service sets: now the headers are the platform's
    assert current_user(request).email == "victim@shop.example"


def test_devhost_strips_a_principal_the_client_sent(host) -> None:  # noqa: ANN001
    victim, _ = with_account(host.base_url, "Victim Vets")
    anonymous = requests.get(f"{host.base_url}/settings", headers=forged(victim.email), allow_redirects=False,
                             timeout=30)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/.auth/login/aad")
    mallory = signed_in(host.base_url)
    page = mallory.get("/settings", headers=forged(victim.email))
    assert "Victim Vets" not in page.text and "Welcome" in text_of(page.text)  # still Mallory, with no account


def test_a_post_needs_the_users_csrf_token_and_our_origin(host) -> None:  # noqa: ANN001
    client, account = with_account(host.base_url, "Token Toys")
    other = signed_in(host.base_url)
    other_token = other.csrf()
    client.get("/settings")
    form = {"Name": "Renamed", "Phone": "", "TimeZone": "UTC", "OptOutText": "x", "HelpText": "y"}
    assert client.post("/settings", form, csrf=False).status_code == 403
    assert client.post("/settings", {**form, "csrf_token": other_token}).status_code == 403
    client.get("/settings")
    wrong_site = client.post("/settings", form, headers={"Origin": "https://evil.example"})
    assert wrong_site.status_code == 403 and "another site" in text_of(wrong_site.text)
    client.get("/settings")
    cross = client.post("/settings", form, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    from shared_code.accounts.accounts import get_account

    assert get_account(account).Name == "Token Toys"


def test_every_page_sends_the_security_headers(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    for path in ("/", "/keys", "/settings", "/team", "/keys/nope/revoke"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        assert "<script>" not in response.text and "style=" not in response.text and " on" + "click=" not in response.text
    static = client.get(re.search(r'href="(/static/portal\.css\?v=\w+)"', client.get("/").text).group(1))
    assert static.status_code == 200 and static.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert static.headers["Content-Security-Policy"] == CSP and static.headers["Content-Type"].startswith("text/css")
    again = client.get("/static/portal.css", headers={"If-None-Match": static.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/static/..%2Fruntime.py").status_code == 404


def test_user_strings_stay_text_on_every_page(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url, XSS)
    client.get("/keys")
    created = client.post("/keys", {"Name": XSS, "Days": "30"})
    pages = [client.get("/").text, client.get("/keys").text, client.get("/settings").text,
             client.get("/team").text, created.text]
    for page in pages:
        assert XSS not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_an_api_error_a_page_does_not_catch_is_an_error_page_with_its_status_and_words(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    client.get("/keys")
    response = client.post("/keys/01NOSUCHKEY/revoke", {})
    assert response.status_code == 404
    assert "No API key 01NOSUCHKEY." in text_of(response.text) and "Back to the home page" in response.text


def test_a_flash_message_shows_once(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url, "Flash Florist")
    assert "Flash Florist is ready" in client.last.text
    assert "is ready" not in client.get("/").text


def test_sign_out_ends_the_session(host) -> None:  # noqa: ANN001
    client, _ = with_account(host.base_url)
    assert 'href="/.auth/logout?post_logout_redirect_uri=/"' in client.get("/").text
    out = client.session.get(client.url("/.auth/logout?post_logout_redirect_uri=/"), allow_redirects=False,
                             timeout=30)
    assert (out.status_code, out.headers["Location"]) == (302, "/")
    assert client.session.get(client.url("/"), allow_redirects=False, timeout=30).status_code == 302


@pytest.mark.parametrize("how", ["create --admin", "add-admin"])
def test_the_cli_names_an_accounts_admins(host, storage, how) -> None:  # noqa: ANN001
    import os

    from tests.support.processes import cli_json

    email = new_email("Cli")
    env = {**os.environ, "AzureWebJobsStorage": storage}
    if how == "create --admin":
        made = cli_json(env, "account", "create", "--name", "CLI Cafe", "--phone", new_phone("415"), "--admin", email)
    else:
        made = cli_json(env, "account", "create", "--name", "CLI Cafe", "--phone", new_phone("415"))
        assert made["Admins"] == []
        made = cli_json(env, "account", "add-admin", made["AccountId"], email)
    assert made["Admins"] == [email.lower()]
    page = signed_in(host.base_url, email).get("/").text
    assert "CLI Cafe" in page and "Your accounts" in text_of(page)


def test_with_a_first_admin_configured_only_they_and_admins_may_create_accounts(host, monkeypatch) -> None:  # noqa: ANN001
    from shared_code.common.config import reset_settings

    deployer = new_email("Deployer")
    monkeypatch.setenv("PORTAL_FIRST_ADMIN", deployer.upper())
    reset_settings()
    try:
        stranger = signed_in(host.base_url)
        page = text_of(stranger.last.text)
        assert "Ask an admin of your business to add" in page and "Create account" not in page
        refused = stranger.post("/accounts", {"Name": "Squatter", "Phone": new_phone("415"), "Region": "US",
                                              "TimeZone": "UTC"})
        assert refused.status_code == 403 and "Only an admin can create" in text_of(refused.text)
        owner, _ = with_account(host.base_url, "Deployer Deli", deployer)
        owner.get("/")
        second = owner.post("/accounts", {"Name": "Deployer Diner", "Phone": new_phone("415"), "Region": "US",
                                          "TimeZone": "UTC"})
        assert second.status_code == 200 and "Deployer Diner is ready" in text_of(second.text)
    finally:
        monkeypatch.delenv("PORTAL_FIRST_ADMIN")
        reset_settings()


# -- in a real browser (tests/portal/conftest.py: devhost + Chromium) ---------------------------------

def test_in_a_browser_a_newcomer_signs_in_and_creates_the_account_by_keyboard(page, portal) -> None:  # noqa: ANN001
    from tests.support.browser import shoot

    page.goto("/keys")  # signed out: to the sign-in page, and back here after it
    assert "/.auth/login/aad" in page.url
    page.get_by_label("Email").fill(new_email("Kim"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/")  # /keys needs an account: home first
    assert page.get_by_role("heading", name="Create your business's account").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("Business name").fill(XSS)
    page.get_by_label("Business texting number").fill(new_phone("628"))
    page.get_by_label("Time zone").select_option("America/Denver")
    page.get_by_label("Business name").press("Enter")  # submits the form
    assert f"{XSS} is ready" in page.get_by_role("status").inner_text()
    assert page.locator("img").count() == 0  # the name stayed text
    shoot(page, "home-accounts")
    page.get_by_role("link", name="Sign out").click()
    page.goto("/settings")
    assert "/.auth/login/aad" in page.url


def test_what_a_signed_in_user_does_is_recorded_under_their_email(host) -> None:  # noqa: ANN001
    """The services record who acted as ``caller.key.Name``; a portal user's Caller names them."""
    from shared_code.accounts.accounts import accounts_for
    from shared_code.accounts.models import Caller
    from shared_code.inbound import optouts
    from shared_code.inbound.models import OptOutBody

    client, _ = with_account(host.base_url, "Audit Arcade")
    (account,) = accounts_for(client.email)
    caller = Caller.signed_in(account, client.email)
    phone = new_phone("415")
    state = optouts.change(caller, OptOutBody(Phone=phone, Reason="Asked at the counter"), True)
    (event,) = optouts.check(caller, phone).History
    assert (state.ChangedBy, event.ChangedBy) == (client.email, client.email)
