"""CSV import and export of contacts (the portal's address book).

A file is Name, LastName, Phone: in that order when its first row is data, or in any order
under a header row ("First name", "Mobile", "Surname" … are understood). Numbers go through
the same validation as the API's (E.164, or a national number of the account's region), names
through the API's body model, so a rejected row is explained in the API's words. A known number
is updated, never duplicated; an empty cell keeps what is stored. A file is imported in calls of
at most ``MAX_IMPORT_ROWS`` rows, each cut at a row boundary (the portal's script sends them one
after another and shows the progress), and a repeated call changes nothing more: re-importing
the same rows finds every number known with the same name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from pydantic import ValidationError

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import ApiError, NotFound, PayloadTooLarge, ValidationFailed
from ..common.ids import new_id
from ..common.storage.rows import StorageConflict
from ..common.text.cells import FORMULA_START, safe_cell
from ..common.text.phones import to_e164
from ..web.runtime import validation_error
from .contacts import apply_changes
from .models import (MAX_IMPORT_FILE_BYTES, MAX_IMPORT_ROWS, Contact, CreateContactBody, ImportChunkBody,
                     ImportReport, ImportRowOut)
from .recipients import get_or_create_contact
from .storage import CONTACTS_PER_TRANSACTION, address_book_repo

NAME, LAST, PHONE = "Name", "LastName", "Phone"
COLUMNS = (NAME, LAST, PHONE)  # the columns of a file without a header, and of an export
# Header cells, lower-cased without spaces, dashes, dots and underscores.
HEADINGS = {
    "name": NAME, "firstname": NAME, "first": NAME, "givenname": NAME, "forename": NAME,
    "lastname": LAST, "last": LAST, "surname": LAST, "familyname": LAST,
    "phone": PHONE, "phonenumber": PHONE, "number": PHONE, "mobile": PHONE, "mobilephone": PHONE,
    "mobilenumber": PHONE, "cell": PHONE, "cellphone": PHONE, "telephone": PHONE, "tel": PHONE,
    "contactnumber": PHONE,
}
DELIMITERS = ",;\t"  # Excel writes ";" where the decimal mark is a comma
VALUE_CHARS = 60  # of a rejected cell, echoed in the report


def _heading(cell: str) -> str | None:
    return HEADINGS.get(re.sub(r"[\s_.\-]", "", cell).casefold())


def delimiter_of(first_line: str) -> str:
    """The delimiter the file's first row uses most (outside quotes); a comma by default."""
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter))


def columns_of(first_row: list[str]) -> tuple[list[str | None], bool]:
    """(the column of each cell, whether the first row is a header). A header names its
    columns; a first row whose cells are not headings (or that holds a phone number) is data
    in the order Name, LastName, Phone."""
    headings = [_heading(c) for c in first_row]
    has_number = any(len(re.sub(r"\D", "", c)) >= 7 for c in first_row)
    if not any(headings) or has_number:
        return list(COLUMNS), False
    columns: list[str | None] = []
    for h in headings:
        columns.append(h if h and h not in columns else None)
    if PHONE not in columns:
        raise ValidationFailed(
            f"Header: the first row ({', '.join(c.strip() for c in first_row)[:200]}) names no Phone column: "
            "call one of them Phone, or put Name, LastName, Phone in that order without a header.",
            field="Header", code="ImportNoPhoneColumn")
    return columns, True


def _cell(value: str) -> str:
    value = value.strip()
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_START else value


class _Import:
    """One call's rows, applied in file order: the first row of a new number creates the
    contact, a later one (in this call or a later call) updates its name."""

    def __init__(self, caller: Caller, columns: list[str | None], header: bool) -> None:
        self.caller, self.columns, self.header = caller, columns, header
        self.report = ImportReport(Rows=0, Created=0, Updated=0, Unchanged=0, Rejected=0, HeaderFound=header,
                                   Columns=[c or "" for c in columns], Problems=[])

    def run(self, rows: Iterable[tuple[int, list[str]]]) -> ImportReport:
        valid: list[tuple[int, str, str | None, str | None]] = []
        for number, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            self.report.Rows += 1
            row = self._parse(number, cells)
            if row:
                valid.append(row)
        if valid:
            self._apply(valid)
        return self.report

    def _reject(self, number: int, field: str, value: str, message: str) -> None:
        self.report.Rejected += 1
        self.report.Problems.append(ImportRowOut(Row=number, Outcome="rejected", Field=field,
                                                 Value=value[:VALUE_CHARS], Message=message))

    def _parse(self, number: int, cells: list[str]) -> tuple[int, str, str | None, str | None] | None:
        values = {col: _cell(cells[i]) for i, col in enumerate(self.columns) if col and i < len(cells)}
        try:
            body = CreateContactBody.model_validate({"Phone": values.get(PHONE, ""), "Name": values.get(NAME),
                                                     "LastName": values.get(LAST)})
            phone = to_e164(body.Phone, region=self.caller.account.Region, field=PHONE)
        except ValidationError as err:
            failed = validation_error(err)
            self._reject(number, failed.field or "", values.get(failed.field or "", ""), failed.message)
            return None
        except ApiError as err:
            self._reject(number, err.field or "", values.get(err.field or "", ""), err.message)
            return None
        return number, phone, body.Name or None, body.LastName or None

    def _apply(self, rows: list[tuple[int, str, str | None, str | None]]) -> None:
        acct, book, now = self.caller.account_id, address_book_repo(), utcnow()
        stored = book.contacts_by_phone(acct, list({phone for _, phone, _, _ in rows}))
        names = {phone: (c.Name, c.LastName) for phone, c in stored.items()}
        new: dict[str, Contact] = {}
        for _, phone, name, last in rows:
            if phone not in names:
                new[phone] = Contact(ContactId=new_id(), Phone=phone, CreatedAt=now, UpdatedAt=now)
                names[phone] = (name or "", last or "")
                self.report.Created += 1
                continue
            current = names[phone]
            wanted = (name if name is not None else current[0], last if last is not None else current[1])
            if wanted == current:
                self.report.Unchanged += 1
            else:
                names[phone] = wanted
                self.report.Updated += 1
        for phone, contact in new.items():
            contact.Name, contact.LastName = names[phone]
        self._create(list(new.values()), names)
        for phone, contact in stored.items():
            if names[phone] != (contact.Name, contact.LastName):
                self._rename(contact.ContactId, phone, *names[phone])

    def _create(self, contacts: list[Contact], names: dict[str, tuple[str, str]]) -> None:
        acct, book = self.caller.account_id, address_book_repo()
        for i in range(0, len(contacts), CONTACTS_PER_TRANSACTION):
            chunk = contacts[i:i + CONTACTS_PER_TRANSACTION]
            try:
                book.import_contacts(acct, chunk)
            except StorageConflict:  # a number was added meanwhile (another import, the API): one by one
                for c in chunk:
                    contact, created = get_or_create_contact(self.caller.account, c.Phone, field=PHONE,
                                                             name=c.Name, last_name=c.LastName)
                    if not created and (contact.Name, contact.LastName) != names[c.Phone]:
                        self._rename(contact.ContactId, c.Phone, *names[c.Phone])

    def _rename(self, contact_id: str, phone: str, name: str, last: str) -> None:
        try:
            apply_changes(self.caller, contact_id, name=name, last_name=last)
        except NotFound:  # deleted while the file was imported: the row still stands
            get_or_create_contact(self.caller.account, phone, field=PHONE, name=name, last_name=last)


def import_chunk(caller: Caller, body: ImportChunkBody) -> ImportReport:
    """One call of an import: rows ``FirstRow``… of a file whose first row is ``Header``."""
    delimiter = delimiter_of(body.Header)
    first = read_rows(body.Header, delimiter)
    columns, header = columns_of(first[0] if first else [])
    rows = read_rows(body.Csv, delimiter)
    if len(rows) > MAX_IMPORT_ROWS:
        raise PayloadTooLarge(f"Csv: {len(rows)} rows in one call; send at most {MAX_IMPORT_ROWS} at a time.",
                              field="Csv", code="TooManyRows")
    start = body.FirstRow
    if header and start == 1:
        rows, start = rows[1:], 2
    return _Import(caller, columns, header).run((start + i, r) for i, r in enumerate(rows))


def decode_file(data: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without a BOM), else Windows-1252 as Excel saves it."""
    if len(data) > MAX_IMPORT_FILE_BYTES:
        raise PayloadTooLarge(f"File: {len(data):,} bytes; import at most {MAX_IMPORT_FILE_BYTES:,} at once "
                              "(split the file).", field="File", code="FileTooLarge")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def import_file(caller: Caller, data: bytes) -> ImportReport:
    """A whole file in one request (the page without its script): the same calls in a row."""
    text = decode_file(data)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    rows = read_rows(text, delimiter_of(first_line))
    if not rows:
        raise ValidationFailed("File: the file is empty; choose a CSV file with Name, LastName, Phone.",
                               field="File", code="ImportEmpty")
    columns, header = columns_of(rows[0])
    numbered = list(enumerate(rows, start=1))[1 if header else 0:]
    total = ImportReport(Rows=0, Created=0, Updated=0, Unchanged=0, Rejected=0, HeaderFound=header,
                         Columns=[c or "" for c in columns], Problems=[])
    for i in range(0, len(numbered), MAX_IMPORT_ROWS):
        part = _Import(caller, columns, header).run(numbered[i:i + MAX_IMPORT_ROWS])
        for count in ("Rows", "Created", "Updated", "Unchanged", "Rejected"):
            setattr(total, count, getattr(total, count) + getattr(part, count))
        total.Problems += part.Problems
    return total


def export_csv(caller: Caller) -> str:
    """Every contact as Name, LastName, Phone (with that header), in the order they were added:
    the file an import reads back. A name a spreadsheet would run as a formula gets an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for c in address_book_repo().contact_names(caller.account_id):
        writer.writerow([safe_cell(c.Name), safe_cell(c.LastName), c.Phone])
    return out.getvalue()
