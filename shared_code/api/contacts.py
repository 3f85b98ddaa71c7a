"""Contacts: the original connector's list, create and update actions, and get/delete by id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import Envelope, Feature, Param, lazy
from ..web.dropdowns import CONTACT_ID

if TYPE_CHECKING:
    from ..web.runtime import Call

contacts = lazy("shared_code.addressbook.contacts")
api = Feature("shared_code.addressbook.models")

CONTACT = Envelope("ContactResponse", "A contact.", data="ContactOut")
CONTACTS = Envelope("ContactListResponse", "Contacts, sorted by name (or one page of them).",
                    items="ContactListItem", paged=True)
DELETED = Envelope("DeletedContactResponse", "The contact that was deleted.", data="DeletedContact")
CONTACT_PATH = {"contactId": Param("Contact", "The contact's id (pick from the list).", CONTACT_ID)}


@api.get("contacts", "GetContacts", query="ListQuery", ok=CONTACTS, ok_description="The contacts.",
         visibility="advanced", summary="Get contacts",
         description="Lists the contacts of your account sorted by name, optionally filtered by a search and paged.")
def list_contacts(call: Call) -> Any:
    return contacts.list_contacts(call.caller, call.query)


@api.post("contacts/contactnew", "CreateAContact", visibility="none", body="CreateContactBody", body_description="The contact to save.",
          ok=CONTACT, ok_description="The contact.", summary="Create a contact",
          description="Saves a new contact from a flow; for a number already saved it renames that contact instead.")
def create_contact(call: Call) -> Any:
    return contacts.create_or_rename(call.caller, call.body)


@api.post("contacts/contactupdate", "UpdateAPowerTextorContact", visibility="none", body="UpdateContactBody",
          body_description="The contact and its new values.", ok=CONTACT, ok_description="The updated contact.",
          summary="Update a contact",
          description="Changes the first name, last name or number of a saved contact.")
def update_contact(call: Call) -> Any:
    return contacts.update(call.caller, call.body)


@api.get("contacts/{contactId}", "GetContact", path=CONTACT_PATH, ok=CONTACT, ok_description="The contact.",
         visibility="advanced", summary="Get a contact", description="Returns one contact with its groups.")
def get_contact(call: Call) -> Any:
    return contacts.get(call.caller, call.route("contactId"))


@api.delete("contacts/{contactId}", "DeleteContact", path=CONTACT_PATH, ok=DELETED, ok_description="Deleted.",
            visibility="advanced", summary="Delete a contact",
            description="Deletes a contact and removes it from its groups; campaigns already made keep their "
                        "recipients.")
def delete_contact(call: Call) -> Any:
    return contacts.delete(call.caller, call.route("contactId"))
