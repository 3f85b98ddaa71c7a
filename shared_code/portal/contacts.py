"""Contacts: the list (search, pages of ``PAGE_SIZE``, opted-out numbers marked), add, edit,
delete, CSV import (a whole file from the form, or the page's script sending it in slices with a
progress bar) and export. Every change goes through ``addressbook`` as the API's do; opt-outs are
read from ``inbound`` (one query of the account's opted-out numbers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

contacts = lazy("shared_code.addressbook.contacts")
imports = lazy("shared_code.addressbook.imports")
PAGE_SIZE = 50  # contacts per page of the list
PICKER_SIZE = 20  # contacts the group page's picker shows per search
FIELDS = ("Name", "LastName", "Phone")
# The API's field names for a contact's new values, as the form calls them.
API_FIELDS = {"UpdatedContactName": "Name", "UpdatedContactLastName": "LastName", "UpdatedContactNumber": "Phone"}


def _query(view: View, top: int) -> Any:
    """The page's search and page token as the API's ListQuery (its limits and messages)."""
    from ..addressbook.models import ListQuery

    return validated(ListQuery, {"search": view.query.get("search") or None, "top": top,
                                 "skiptoken": view.query.get("skiptoken") or None}, "search")


def opted_out(view: View) -> set[str]:
    from ..inbound.storage import optouts_repo

    return optouts_repo().all_opted_out(view.caller.account_id)


def _list(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    query = _query(view, PAGE_SIZE)
    page = contacts.list_contacts(view.caller, query)
    return view.render("contacts.html", status=status, contacts=page.items, next_token=page.next_token,
                       search=query.search or "", paged=bool(query.skiptoken), opted_out=opted_out(view),
                       errors=errors or {}, values=values or {})


def _body(view: View) -> Any:
    """The form as the API's CreateAContact body (its limits, its messages)."""
    from ..addressbook.models import CreateContactBody

    return validated(CreateContactBody, {k: view.form.get(k, "") for k in FIELDS})


@site.page("GET", "contacts", "PortalContacts", title="Contacts", nav=True)
def list_contacts(view: View) -> Any:
    return _list(view)


@site.page("POST", "contacts", "PortalAddContact")
def add_contact(view: View) -> Any:
    """As the API's CreateAContact: a number already in the address book renames that contact
    (and the page says so)."""
    from ..addressbook.recipients import find_contact
    from ..common.errors import ApiError

    values = {k: view.form.get(k, "") for k in FIELDS}
    try:
        body = _body(view)
        known = find_contact(view.caller.account, body.Phone, field="Phone")
        saved = contacts.create_or_rename(view.caller, body)
    except ApiError as err:
        return _list(view, err.status, view.errors_from(err), values)
    who = saved.Label
    return view.redirect("/contacts", flash=f"{who} was already a contact: name updated." if known
                         else f"Added {who}.")


@site.page("GET", "contacts/{contactId}/edit", "PortalEditContact")
def edit_contact(view: View) -> Any:
    contact = contacts.get(view.caller, view.route("contactId"))
    values = {"Name": contact.Name, "LastName": contact.LastName, "Phone": contact.Phone}
    return view.render("contacts_edit.html", contact=contact, errors={}, values=values,
                       opted_out=contact.Phone in opted_out(view))


@site.page("POST", "contacts/{contactId}/edit", "PortalUpdateContact")
def update_contact(view: View) -> Any:
    """Name, last name and number; an emptied name is emptied (unlike the API's update, where
    empty keeps it: here the form shows what is stored)."""
    from ..common.errors import ApiError
    from ..common.text.phones import to_e164

    contact = contacts.get(view.caller, view.route("contactId"))
    values = {k: view.form.get(k, "") for k in FIELDS}
    try:
        body = _body(view)
        phone = to_e164(body.Phone, region=view.caller.account.Region, field="Phone")
        contacts.apply_changes(view.caller, contact.ContactId, name=body.Name or "", last_name=body.LastName or "",
                               phone=phone)
    except ApiError as err:
        errors = {API_FIELDS.get(k, k): v for k, v in view.errors_from(err).items()}
        return view.render("contacts_edit.html", status=err.status, contact=contact, errors=errors, values=values,
                           opted_out=contact.Phone in opted_out(view))
    return view.redirect("/contacts", flash="Saved the contact.")


@site.page("POST", "contacts/{contactId}/delete", "PortalDeleteContact")
def delete_contact(view: View) -> Any:
    contact = contacts.get(view.caller, view.route("contactId"))
    contacts.delete(view.caller, contact.ContactId)
    return view.redirect("/contacts", flash=f"Deleted {contact.Label} (and removed it from its groups).")


@site.page("GET", "contacts/picker", "PortalContactPicker")
def picker(view: View) -> Any:
    """The group page's searchable picker (JSON): a page of contacts matching ``search``,
    each saying whether it is in ``group`` already."""
    page = contacts.list_contacts(view.caller, _query(view, PICKER_SIZE))
    group = view.query.get("group", "")
    return view.json({"Contacts": [{"ContactId": c.ContactId, "Label": c.Label, "InGroup": group in c.GroupIds}
                                   for c in page.items], "NextToken": page.next_token})


@site.page("GET", "contacts/export", "PortalExportContacts")
def export(view: View) -> Any:
    from ..web.request import ApiResponse

    text = imports.export_csv(view.caller)
    return ApiResponse(200, text.encode("utf-8-sig"), {  # the BOM makes Excel read UTF-8 names right
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="contacts.csv"'}, list(view.cookies))


@site.page("GET", "contacts/import", "PortalImport")
def import_page(view: View) -> Any:
    from ..addressbook.models import MAX_IMPORT_ROWS

    return view.render("import.html", report=None, errors={}, chunk_rows=MAX_IMPORT_ROWS)


@site.page("POST", "contacts/import", "PortalImportFile")
def import_file(view: View) -> Any:
    """The whole file in one request (the page without its script)."""
    from ..addressbook.models import MAX_IMPORT_ROWS
    from ..common.errors import ApiError

    upload = view.files.get("File")
    try:
        if upload is None or not upload.data:
            from ..common.errors import ValidationFailed

            raise ValidationFailed("File: choose a CSV file to import.", field="File", code="ImportEmpty")
        report = imports.import_file(view.caller, upload.data)
    except ApiError as err:
        return view.render("import.html", status=err.status, report=None, errors=view.errors_from(err),
                           chunk_rows=MAX_IMPORT_ROWS)
    return view.render("import.html", report=report, errors={}, chunk_rows=MAX_IMPORT_ROWS)


@site.page("POST", "contacts/import/rows", "PortalImportRows")
def import_rows(view: View) -> Any:
    """One slice of a file (JSON, from the page's script): the rows' report. The API's
    envelope on a bad slice (runtime turns the ApiError into it)."""
    from ..addressbook.models import ImportChunkBody

    body = validated(ImportChunkBody, {"Header": view.form.get("Header", ""), "Csv": view.form.get("Csv", ""),
                                       "FirstRow": view.form.get("FirstRow", "")})
    return view.json(imports.import_chunk(view.caller, body).model_dump())
