from __future__ import annotations

from ..addressbook.models import CreateContactBody, ListQuery, UpdateContactBody
from ..addressbook import contacts
from ..web.runtime import Call, endpoint


@endpoint(query=ListQuery)
def list_contacts(call: Call):  # noqa: ANN201
    return contacts.list_contacts(call.caller, call.query)


@endpoint(body=CreateContactBody)
def create_contact(call: Call):  # noqa: ANN201
    return contacts.create_or_rename(call.caller, call.body)


@endpoint(body=UpdateContactBody)
def update_contact(call: Call):  # noqa: ANN201
    return contacts.update(call.caller, call.body)


@endpoint()
def get_contact(call: Call):  # noqa: ANN201
    return contacts.get(call.caller, call.route("contactId"))


@endpoint()
def delete_contact(call: Call):  # noqa: ANN201
    return contacts.delete(call.caller, call.route("contactId"))
