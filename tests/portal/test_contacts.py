"""The Contacts page in Chromium: add, search, pages, edit, delete, opted-out numbers marked,
export, the API's words next to the field, user strings shown as text, keyboard use."""

from __future__ import annotations

import csv
import io

from shared_code.addressbook.models import ListQuery
from tests.support.browser import shoot

XSS = "<img src=x onerror=alert(1)>"


def _contacts(business) -> list:  # noqa: ANN001
    from shared_code.addressbook import contacts

    return contacts.list_contacts(business.caller, ListQuery()).items


def _seed(business, n: int, name: str = "Person") -> list[str]:  # noqa: ANN001
    """n contacts written with the repository's bulk import (the CSV import's write path)."""
    from shared_code.addressbook.models import Contact
    from shared_code.addressbook.storage import address_book_repo
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_id
    from tests.support.tenants import new_phone

    now = utcnow()
    made = [Contact(ContactId=new_id(), Phone=new_phone("212"), Name=f"{name}{i:03d}", CreatedAt=now, UpdatedAt=now)
            for i in range(n)]
    address_book_repo().import_contacts(business.account_id, made)
    return [c.Phone for c in made]


def _add(page, name: str, last: str, phone: str) -> None:  # noqa: ANN001
    page.goto("/contacts")
    page.get_by_label("First name").fill(name)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Phone number").fill(phone)
    page.get_by_role("button", name="Add contact").click()


def test_add_a_contact_with_a_national_number(page, business) -> None:  # noqa: ANN001
    _add(page, "Ada", "Lovelace", "(415) 555-0123")
    assert page.get_by_role("status").inner_text() == "Added Ada Lovelace (+14155550123)."
    row = page.get_by_role("row", name="Ada Lovelace")
    assert "+14155550123" in row.inner_text() and "Can be texted" in row.inner_text()
    assert [(c.Name, c.LastName, c.Phone) for c in _contacts(business)] == [("Ada", "Lovelace", "+14155550123")]
    # a known number renames, as the API's CreateAContact does, and the page says so
    _add(page, "Augusta", "King", "+1 415 555 0123")
    assert page.get_by_role("status").inner_text() == "Augusta King (+14155550123) was already a contact: name updated."
    assert [(c.Name, c.Phone) for c in _contacts(business)] == [("Augusta", "+14155550123")]


def test_a_bad_number_is_the_apis_message_next_to_the_field(page, business) -> None:  # noqa: ANN001
    _add(page, "Bob", "", "555-12")
    error = page.locator("#e-Phone")
    assert error.inner_text() == ("Phone: '555-12' is not a valid phone number (use E.164 like +15551234567, "
                                  "or a US national number).")
    assert page.get_by_label("Phone number").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("First name").input_value() == "Bob"
    _add(page, "x" * 101, "", "+14155550100")
    assert page.locator("#e-Name").inner_text() == "Name: String should have at most 100 characters."
    assert _contacts(business) == []


def test_a_name_that_is_markup_stays_text(page, business) -> None:  # noqa: ANN001
    _add(page, XSS, XSS, "+14155550177")
    assert page.get_by_role("cell", name=f"{XSS} {XSS}", exact=True).is_visible()  # shown as typed
    assert page.locator("main img").count() == 0  # never an element
    page.get_by_role("link", name=f"Edit {XSS} {XSS} (+14155550177)").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Edit {XSS} {XSS} (+14155550177)"
    page.goto("/contacts?search=" + "%3Cimg")
    assert page.get_by_role("heading", name="Contacts matching “<img”").is_visible()
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert [d for d in page.dialogs if d.startswith("alert")] == []


def test_search_and_pages(page, business) -> None:  # noqa: ANN001
    phones = _seed(business, 120)
    page.goto("/contacts")
    rows = page.locator("table.contacts tbody tr")
    assert rows.count() == 50
    first_page = rows.all_inner_texts()
    page.get_by_role("link", name="Next page").click()
    assert rows.count() == 50 and set(rows.all_inner_texts()).isdisjoint(first_page)
    page.get_by_role("link", name="Next page").click()
    assert rows.count() == 20
    assert page.get_by_role("link", name="Next page").count() == 0
    page.get_by_role("link", name="First page").click()
    assert rows.all_inner_texts() == first_page
    # by name, any case; by digits in any format
    page.get_by_label("Search contacts").fill("person117")
    page.get_by_role("button", name="Search").click()
    assert rows.count() == 1 and "Person117" in rows.first.inner_text()
    digits = phones[42][-7:]
    page.get_by_label("Search contacts").fill(f"{digits[:3]} {digits[3:]}")
    page.get_by_role("button", name="Search").click()
    assert rows.count() == 1 and phones[42] in rows.first.inner_text()
    page.get_by_label("Search contacts").fill("nobody-by-that-name")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_text("No contact matches “nobody-by-that-name”.").is_visible()


def test_edit_and_delete(page, business) -> None:  # noqa: ANN001
    _add(page, "Ada", "Lovelace", "+14155550123")
    page.get_by_role("link", name="Edit Ada Lovelace (+14155550123)").click()
    page.get_by_label("Last name").fill("")
    page.get_by_label("Phone number").fill("415 555 0199")
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").inner_text() == "Saved the contact."
    assert [(c.Name, c.LastName, c.Phone) for c in _contacts(business)] == [("Ada", "", "+14155550199")]
    _add(page, "Bob", "", "+14155550100")
    page.get_by_role("link", name="Edit Bob (+14155550100)").click()
    page.get_by_label("Phone number").fill("+14155550199")  # Ada's
    page.get_by_role("button", name="Save changes").click()
    assert page.locator("#e-Phone").inner_text() == "UpdatedContactNumber: +14155550199 already belongs to another contact."
    page.goto("/contacts")
    page.get_by_role("button", name="Delete Bob (+14155550100)").click()
    assert page.dialogs[-1] == "confirm: Delete the contact Bob (+14155550100)? It also leaves its groups."
    assert "Deleted Bob (+14155550100)" in page.get_by_role("status").inner_text()
    assert [c.Name for c in _contacts(business)] == ["Ada"]


def test_opted_out_numbers_are_marked(page, business) -> None:  # noqa: ANN001
    from shared_code.inbound import optouts
    from shared_code.inbound.models import OptOutBody

    _add(page, "Stopper", "", "+14155550155")
    _add(page, "Keeper", "", "+14155550156")
    optouts.change(business.caller, OptOutBody(Phone="+14155550155", Reason="texted STOP"), True)
    page.goto("/contacts")
    assert "Opted out" in page.get_by_role("row", name="Stopper").inner_text()
    assert "Can be texted" in page.get_by_role("row", name="Keeper").inner_text()
    shoot(page, "contacts")
    page.get_by_role("link", name="Edit Stopper (+14155550155)").click()
    assert "This number has opted out" in page.locator(".warning").inner_text()


def test_export_is_the_csv_an_import_reads(page, business) -> None:  # noqa: ANN001
    _add(page, "Ada", "Lovelace", "+14155550123")
    _add(page, "=SUM(A1)", "", "+14155550124")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export contacts as CSV").click()
    download = info.value
    assert download.suggested_filename == "contacts.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows == [["Name", "LastName", "Phone"], ["Ada", "Lovelace", "+14155550123"],
                    ["'=SUM(A1)", "", "+14155550124"]]


def test_keyboard_only(page, business) -> None:  # noqa: ANN001
    """Add a contact and search with the keyboard alone: every control is reachable by Tab
    and works with Enter."""
    page.goto("/contacts")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("First name").focus()
    page.keyboard.type("Kay")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("+14155550142")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Add contact"
    page.keyboard.press("Enter")
    page.wait_for_url("**/contacts")
    assert page.get_by_role("status").inner_text() == "Added Kay (+14155550142)."
    page.get_by_label("Search contacts").focus()
    page.keyboard.type("kay")
    page.keyboard.press("Enter")
    page.wait_for_url("**/contacts?search=kay")
    assert page.locator("table.contacts tbody tr").count() == 1
