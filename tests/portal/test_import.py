"""CSV import in Chromium: the page's script sends a large file in slices and shows a progress
bar, then the per-row report; header detection, national numbers, known phones updated (not
duplicated), the API's words for rejected rows; and the same import without the script."""

from __future__ import annotations

import time

from shared_code.addressbook.models import MAX_IMPORT_ROWS, ListQuery
from tests.support.browser import shoot

XSS = "<img src=x onerror=alert(1)>"


def _contacts(business) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    from shared_code.addressbook import contacts

    return {c.Phone: (c.Name, c.LastName) for c in contacts.list_contacts(business.caller, ListQuery()).items}


def _choose(page, tmp_path, name: str, text: str, encoding: str = "utf-8") -> None:  # noqa: ANN001
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    page.goto("/contacts/import")
    page.get_by_label("CSV file").set_input_files(str(path))


def _count(page, label: str) -> int:  # noqa: ANN001
    return int(page.locator(f"#import-report dd[data-count='{label}']").inner_text())


def big_csv(n: int, area: str = "646") -> str:
    """A header, then n rows with national numbers; every 100th row's number is bad."""
    lines = ["First Name,Last Name,Mobile"]
    for i in range(n):
        phone = "555-12" if i % 100 == 99 else f"({area}) 555-{i:04d}"
        lines.append(f"Guest{i:04d},Family,{phone}")
    return "\r\n".join(lines) + "\r\n"


def test_a_large_file_goes_in_slices_with_progress_and_a_report(page, business, tmp_path) -> None:  # noqa: ANN001
    calls: list[int] = []
    page.on("request", lambda r: calls.append(1) if r.url.endswith("/contacts/import/rows") else None)
    _choose(page, tmp_path, "guests.csv", big_csv(1200))
    started = time.monotonic()
    page.get_by_role("button", name="Import contacts").click()
    page.get_by_role("heading", name="Import report").wait_for(timeout=120_000)
    seconds = time.monotonic() - started
    assert len(calls) == -(-1201 // MAX_IMPORT_ROWS)  # header + 1,200 rows in slices
    bar = page.locator("progress#import-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "1201"
    assert page.locator("[data-progress-text]").inner_text() == "Done: all 1,201 rows of the file."
    assert (_count(page, "Rows"), _count(page, "Created"), _count(page, "Rejected")) == (1200, 1188, 12)
    problems = page.locator("#import-report .problems tbody tr")
    assert problems.count() == 12
    assert problems.first.inner_text().split("\t") == [
        "101", "Phone", "555-12",
        "Phone: '555-12' is not a valid phone number (use E.164 like +15551234567, or a US national number)."]
    assert page.get_by_text("The first row was read as column names.").is_visible()
    stored = _contacts(business)
    assert len(stored) == 1188 and stored["+16465550000"] == ("Guest0000", "Family")
    assert seconds < 60, f"1,200 rows took {seconds:.1f} s"
    shoot(page, "import-report")


def test_known_numbers_are_updated_not_duplicated(page, business, tmp_path) -> None:  # noqa: ANN001
    from shared_code.addressbook import contacts
    from shared_code.addressbook.models import CreateContactBody

    contacts.create_or_rename(business.caller, CreateContactBody(Phone="+14155550123", Name="Ada", LastName="Old"))
    contacts.create_or_rename(business.caller, CreateContactBody(Phone="+14155550124", Name="Same", LastName="Name"))
    # no header: the columns are Name, LastName, Phone; an empty cell keeps what is stored
    _choose(page, tmp_path, "update.csv", "Ada,Lovelace,415 555 0123\nSame,Name,+14155550124\nNew,,4155550125\n"
                                          ",,\nNew2,,4155550125\n")
    page.get_by_role("button", name="Import contacts").click()
    page.get_by_role("heading", name="Import report").wait_for()
    assert [_count(page, k) for k in ("Rows", "Created", "Updated", "Unchanged", "Rejected")] == [4, 1, 2, 1, 0]
    assert page.get_by_text("The first row was data: columns read as Name, LastName, Phone.").is_visible()
    assert _contacts(business) == {"+14155550123": ("Ada", "Lovelace"), "+14155550124": ("Same", "Name"),
                                   "+14155550125": ("New2", "")}
    # the same file again adds nobody (its two rows for one number rename it twice, back to New2)
    with page.expect_response(lambda r: r.url.endswith("/contacts/import/rows")):
        page.get_by_role("button", name="Import contacts").click()
    page.locator("#import-report dd[data-count='Created']").filter(has_text="0").wait_for()
    assert [_count(page, k) for k in ("Rows", "Created", "Updated", "Unchanged", "Rejected")] == [4, 0, 2, 2, 0]
    assert _contacts(business) == {"+14155550123": ("Ada", "Lovelace"), "+14155550124": ("Same", "Name"),
                                   "+14155550125": ("New2", "")}


def test_rejected_rows_say_why_and_markup_stays_text(page, business, tmp_path) -> None:  # noqa: ANN001
    _choose(page, tmp_path, "bad.csv", f"Phone;Name\n;Nobody\n{XSS};{XSS}\n+14155550130;{'x' * 101}\n"
                                       f"+14155550131;{XSS}\n")
    page.get_by_role("button", name="Import contacts").click()
    page.get_by_role("heading", name="Import report").wait_for()
    rows = [r.split("\t") for r in page.locator("#import-report .problems tbody tr").all_inner_texts()]
    assert rows == [
        ["2", "Phone", "", "Phone is required: give a phone number such as +15551234567."],
        ["3", "Phone", XSS, f"Phone: '{XSS}' is not a valid phone number (use E.164 like +15551234567, or a US "
                            "national number)."],
        ["4", "Name", "x" * 60, "Name: String should have at most 100 characters."]]
    assert _contacts(business) == {"+14155550131": (XSS, "")}
    assert page.locator("main img").count() == 0
    assert [d for d in page.dialogs if d.startswith("alert")] == []


def test_a_header_without_a_phone_column_is_refused_next_to_the_file(page, business, tmp_path) -> None:  # noqa: ANN001
    _choose(page, tmp_path, "noheader.csv", "Name,Email\nAda,ada@example.com\n")
    page.get_by_role("button", name="Import contacts").click()
    error = page.locator("#e-File")
    error.wait_for()
    assert error.inner_text().startswith("Header: the first row (Name, Email) names no Phone column")
    assert _contacts(business) == {}


def test_without_the_script_the_form_imports_the_whole_file(browser, portal, business, tmp_path) -> None:  # noqa: ANN001
    """The same import from a browser with JavaScript off: one multipart post, the report
    rendered by the server (and an Excel file in Windows-1252)."""
    from tests.support.browser import ACTION_TIMEOUT_MS, sign_in

    context = browser.new_context(base_url=portal.base_url, java_script_enabled=False)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, business.email)
        _choose(page, tmp_path, "excel.csv", "Name;LastName;Phone\r\nJosé;Muñoz;(415) 555-0140\r\nBad;;12\r\n",
                encoding="cp1252")
        page.get_by_role("button", name="Import contacts").click()
        assert page.get_by_role("heading", name="Import report").is_visible()
        assert [_count(page, k) for k in ("Rows", "Created", "Rejected")] == [2, 1, 1]
        assert _contacts(business) == {"+14155550140": ("José", "Muñoz")}
    finally:
        context.close()


def test_quoted_fields_with_commas_and_line_breaks_survive_the_slicing(page, business, tmp_path) -> None:  # noqa: ANN001
    """The script cuts the file only between rows: a quoted field holding a comma, a doubled
    quote or a line break stays one field, and row numbers after a slice boundary stay right."""
    lines = ["Name,LastName,Phone", '"Lee, Ann","O""Hara",+14155550150', '"Multi\nLine",Name,+14155550151']
    lines += [f"Row{i},,+1718555{i:04d}" for i in range(MAX_IMPORT_ROWS)]
    lines.append("Last,,not-a-number")
    _choose(page, tmp_path, "quoted.csv", "\n".join(lines) + "\n")
    page.get_by_role("button", name="Import contacts").click()
    page.get_by_role("heading", name="Import report").wait_for(timeout=60_000)
    assert (_count(page, "Rows"), _count(page, "Created"), _count(page, "Rejected")) == (MAX_IMPORT_ROWS + 3,
                                                                                          MAX_IMPORT_ROWS + 2, 1)
    first = page.locator("#import-report .problems tbody tr").first.inner_text().split("\t")
    assert first[:3] == [str(MAX_IMPORT_ROWS + 4), "Phone", "not-a-number"]  # the file's last row
    stored = _contacts(business)
    assert stored["+14155550150"] == ("Lee, Ann", 'O"Hara')
    assert stored["+14155550151"] == ("Multi\nLine", "Name")
