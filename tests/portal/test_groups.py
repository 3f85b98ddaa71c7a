"""The Groups pages in Chromium: create, rename, delete (contacts stay), member counts, add
members with the searchable picker (as you type, and without the script), remove members."""

from __future__ import annotations

from shared_code.addressbook.models import ListQuery
from tests.support.browser import shoot

XSS = "<img src=x onerror=alert(1)>"


def _seed(business, names: list[str]) -> dict[str, str]:  # noqa: ANN001
    from shared_code.addressbook import contacts
    from shared_code.addressbook.models import CreateContactBody
    from tests.support.tenants import new_phone

    out = {}
    for name in names:
        c = contacts.create_or_rename(business.caller, CreateContactBody(Phone=new_phone("303"), Name=name))
        out[name] = c.ContactId
    return out


def _groups(business) -> list:  # noqa: ANN001
    from shared_code.addressbook import groups

    return groups.list_groups(business.caller, ListQuery()).items


def _members(business, group_id: str) -> list[str]:  # noqa: ANN001
    from shared_code.addressbook import groups

    return sorted(m.Name for m in groups.list_members(business.caller, group_id, ListQuery()).items)


def _create(page, name: str) -> None:  # noqa: ANN001
    page.goto("/groups")
    page.get_by_label("Group name").fill(name)
    page.get_by_role("button", name="Create group").click()


def test_create_pick_members_as_you_type_and_see_the_count(page, business) -> None:  # noqa: ANN001
    _seed(business, ["Alice Archer", "Albert Ames", "Bob Baker", "Carol Cruz"])
    _create(page, "Tuesday patients")
    assert page.get_by_role("status").inner_text() == "Created Tuesday patients. Now add its members."
    assert page.get_by_role("heading", level=1).inner_text() == "Tuesday patients"
    picks = page.locator("#picker-results li")
    assert picks.count() == 4  # without a search: the first contacts
    with page.expect_response(lambda r: "/contacts/picker" in r.url):
        page.get_by_label("Find contacts").fill("al")  # typing filters through the JSON endpoint
    page.wait_for_function("document.querySelectorAll('#picker-results li').length === 2")
    page.get_by_label("Alice Archer").check()
    with page.expect_response(lambda r: "/contacts/picker" in r.url and "search=bob" in r.url):
        page.get_by_label("Find contacts").fill("bob")
    page.get_by_label("Bob Baker").wait_for()
    assert page.get_by_label("Alice Archer").is_checked()  # a pick stays while the search changes
    page.get_by_label("Bob Baker").check()
    page.get_by_role("button", name="Add the selected contacts to Tuesday patients").click()
    assert page.get_by_role("status").inner_text() == "Added 2 to Tuesday patients: 2 members now."
    assert page.locator("[data-member-count]").inner_text() == "2"
    assert _members(business, _groups(business)[0].GroupId) == ["Alice Archer", "Bob Baker"]
    assert "(already a member)" in page.get_by_label("Alice Archer").evaluate("e => e.labels[0].textContent")
    shoot(page, "group")
    page.goto("/groups")
    assert page.get_by_role("row", name="Tuesday patients").inner_text().split("\t") == ["Tuesday patients", "2"]
    shoot(page, "groups")


def test_the_picker_works_without_the_script(browser, portal, business) -> None:  # noqa: ANN001
    from tests.support.browser import ACTION_TIMEOUT_MS, sign_in

    _seed(business, ["Dana Dune", "Eve Early"])
    context = browser.new_context(base_url=portal.base_url, java_script_enabled=False)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, business.email)
        _create(page, "Regulars")
        page.get_by_label("Find contacts").fill("eve")
        page.get_by_role("button", name="Find", exact=True).click()
        found = page.locator("#picker-results li").all_inner_texts()
        assert len(found) == 1 and "Eve Early" in found[0]
        page.get_by_label("Eve Early").check()
        page.get_by_role("button", name="Add the selected contacts to Regulars").click()
        assert page.get_by_role("status").inner_text() == "Added 1 to Regulars: 1 member now."
        # nothing ticked: the API's words
        page.get_by_role("button", name="Add the selected contacts to Regulars").click()
        assert page.get_by_role("alert").inner_text().startswith("Contacts: List should have at least 1 item")
    finally:
        context.close()


def test_remove_rename_and_delete(page, business) -> None:  # noqa: ANN001
    from shared_code.addressbook import groups
    from shared_code.addressbook.models import CreateGroupBody

    ids = _seed(business, ["Fay Field", "Gus Grant"])
    group = groups.create(business.caller, CreateGroupBody(Name="Staff", Contacts=list(ids.values())))
    page.goto(f"/groups/{group.GroupId}")
    page.get_by_role("button", name="Remove Fay Field").click()
    assert page.get_by_role("status").inner_text() == "Removed from Staff: 1 member now."
    assert _members(business, group.GroupId) == ["Gus Grant"]
    page.get_by_label("Group name").fill("")
    page.get_by_role("button", name="Rename group").click()
    assert page.locator("#e-Name").inner_text() == "Name: String should have at least 1 character."
    page.get_by_label("Group name").fill("Team")
    page.get_by_role("button", name="Rename group").click()
    assert page.get_by_role("status").inner_text() == "Renamed the group to Team."
    page.get_by_role("button", name="Delete group Team").click()
    assert page.dialogs[-1] == "confirm: Delete the group Team? Its contacts stay in your contacts."
    assert page.get_by_role("status").inner_text() == "Deleted the group Team; its contacts stay in your contacts."
    assert _groups(business) == []
    from shared_code.addressbook import contacts

    assert len(contacts.list_contacts(business.caller, ListQuery()).items) == 2


def test_names_that_are_markup_stay_text(page, business) -> None:  # noqa: ANN001
    _seed(business, [XSS])
    _create(page, XSS)
    assert page.get_by_role("heading", level=1).inner_text() == XSS
    with page.expect_response(lambda r: "/contacts/picker" in r.url):
        page.get_by_label("Find contacts").fill("img")
    page.wait_for_timeout(300)
    assert XSS in page.locator("#picker-results").inner_text()
    assert page.locator("main img").count() == 0
    assert [d for d in page.dialogs if d.startswith("alert")] == []
