"""The Places page in Chromium: add by Place ID or by a Google Maps link, the review link shown
and openable, edit, delete, and the API's words next to the field when something is wrong."""

from __future__ import annotations

from shared_code.addressbook.models import ListQuery
from tests.support.browser import shoot

PLACE_ID = "ChIJN1t_tDeuEmsRUsoyG83frY4"
OTHER_ID = "ChIJrTLr-GyuEmsRBfy61i59si0"


def _places(business) -> list:  # noqa: ANN001
    from shared_code.addressbook import places

    return places.list_places(business.caller, ListQuery()).items


def test_add_by_place_id_shows_an_openable_review_link(page, business) -> None:  # noqa: ANN001
    page.goto("/places")
    page.get_by_label("Google Place ID or Google Maps link").fill(PLACE_ID)
    page.get_by_label("Place name").fill("Main Street clinic")
    page.get_by_role("button", name="Add place").click()
    assert page.get_by_role("status").inner_text() == "Added Main Street clinic. Review requests can now link to it."
    link = page.get_by_role("link", name="Open the review form of Main Street clinic")
    assert link.get_attribute("href") == f"https://search.google.com/local/writereview?placeid={PLACE_ID}"
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    # the same place the API lists (and the connector's Place dropdown)
    assert [(p.GooglePlaceId, p.Name) for p in _places(business)] == [(PLACE_ID, "Main Street clinic")]
    shoot(page, "places")


def test_a_google_maps_link_gives_its_place_id(page, business) -> None:  # noqa: ANN001
    # a place page's address as Google Maps writes it: the map feature id (!1s0x…:0x…) and the Place ID (!19s…)
    link = ("https://www.google.com/maps/place/Harbour+Bakery/@-33.86,151.20,17z/data=!3m1!4b1!4m6!3m5"
            f"!1s0x6b12ae3f4c3b5a1d:0x1a2b3c4d5e6f7a8b!8m2!3d-33.86!4d151.20!16s%2Fg%2F11abc!19s{OTHER_ID}?entry=ttu")
    page.goto("/places")
    page.get_by_label("Google Place ID or Google Maps link").fill(link)
    page.get_by_label("Place name").fill("Harbour Bakery")
    page.get_by_role("button", name="Add place").click()
    assert page.get_by_role("cell", name=OTHER_ID).is_visible()
    assert [p.GooglePlaceId for p in _places(business)] == [OTHER_ID]


def test_a_link_without_a_place_id_says_why_next_to_the_field(page, business) -> None:  # noqa: ANN001
    page.goto("/places")
    page.get_by_label("Google Place ID or Google Maps link").fill("https://maps.app.goo.gl/AbCdEf123")
    page.get_by_label("Place name").fill("Short link")
    page.get_by_role("button", name="Add place").click()
    error = page.locator("#e-GooglePlaceId")
    assert "a short link (maps.app.goo.gl/…) doesn't contain the Place ID" in error.inner_text()
    assert page.get_by_label("Google Place ID or Google Maps link").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Place name").input_value() == "Short link"  # what was typed stays
    page.get_by_label("Google Place ID or Google Maps link").fill(
        "https://www.google.com/maps/place/X/data=!4m6!3m5!1s0x89c259a9b3117469:0xd134e199a405a163!8m2")
    page.get_by_role("button", name="Add place").click()
    assert "map feature id" in page.locator("#e-GooglePlaceId").inner_text()
    assert _places(business) == []


def test_the_same_place_twice_is_the_apis_conflict(page, business) -> None:  # noqa: ANN001
    for _ in range(2):
        page.goto("/places")
        page.get_by_label("Google Place ID or Google Maps link").fill(PLACE_ID)
        page.get_by_label("Place name").fill("Clinic")
        page.get_by_role("button", name="Add place").click()
    assert page.locator("#e-GooglePlaceId").inner_text() == f"GooglePlaceId: {PLACE_ID} is already saved as a place."
    assert len(_places(business)) == 1


def test_edit_and_delete(page, business) -> None:  # noqa: ANN001
    from shared_code.addressbook import places
    from shared_code.addressbook.models import CreatePlaceBody

    places.create(business.caller, CreatePlaceBody(GooglePlaceId=PLACE_ID, Name="Old name"))
    page.goto("/places")
    page.get_by_role("link", name="Edit Old name").click()
    page.get_by_label("Place name").fill("New name")
    page.get_by_label("Google Place ID or Google Maps link").fill(f"https://www.google.com/maps/place/?q=place_id:{OTHER_ID}")
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").inner_text() == "Saved New name."
    assert [(p.GooglePlaceId, p.Name) for p in _places(business)] == [(OTHER_ID, "New name")]
    page.get_by_role("button", name="Delete New name").click()  # confirmed (the harness accepts confirms)
    assert page.dialogs == ["confirm: Delete the place New name? Flows that name it will fail."]
    assert "Deleted New name." in page.get_by_role("status").inner_text()
    assert _places(business) == []
