"""Contacts through the HTTP API: the original's operations and ours."""

from __future__ import annotations

from tests.support.tenants import new_phone


def data(res):
    assert res.status_code in (200, 201), res.text
    body = res.json()
    assert body["Success"] is True
    return body["Data"]


def test_create_normalizes_to_e164_and_lists(api):
    national = "(415) 555-0177"
    c = data(api.post("contacts/contactnew", {"Phone": national, "Name": "John", "LastName": "Smith"}))
    assert c["Phone"] == "+14155550177"
    assert (c["Name"], c["LastName"], c["Groups"], c["WelcomeSent"]) == ("John", "Smith", [], False)
    listed = data(api.get("contacts"))
    assert [x["Phone"] for x in listed] == ["+14155550177"]


def test_create_with_existing_phone_renames_instead_of_duplicating(api):
    phone = new_phone()
    first = data(api.post("contacts/contactnew", {"Phone": phone, "Name": "Jon"}))
    again = data(api.post("contacts/contactnew", {"Phone": phone.replace("+1", ""), "Name": "John"}))
    assert again["ContactId"] == first["ContactId"]
    assert again["Name"] == "John"
    assert len(data(api.get("contacts"))) == 1


def test_invalid_phone_is_400_naming_field_and_value(api):
    res = api.post("contacts/contactnew", {"Phone": "555-12", "Name": "X"})
    assert res.status_code == 400
    err = res.json()["Error"]
    assert err["Code"] == "InvalidPhone" and err["Field"] == "Phone" and "555-12" in err["Message"]
    assert data(api.get("contacts")) == []


def test_missing_phone_is_400(api):
    res = api.post("contacts/contactnew", {"Name": "No Number"})
    assert res.status_code == 400 and res.json()["Error"]["Field"] == "Phone"


def test_malformed_json_is_400(api):
    res = api.post("contacts/contactnew", data=b'{"Phone": "+1415', headers={"Content-Type": "application/json"})
    assert res.status_code == 400 and res.json()["Error"]["Code"] == "InvalidJson"


def test_update_name_and_number(api):
    phone = new_phone()
    c = data(api.post("contacts/contactnew", {"Phone": phone, "Name": "Ann"}))
    new = new_phone()
    u = data(api.post("contacts/contactupdate", {"Contact": phone, "UpdatedContactName": "Anne",
                                                 "UpdatedContactLastName": "Lee", "UpdatedContactNumber": new}))
    assert (u["ContactId"], u["Name"], u["LastName"], u["Phone"]) == (c["ContactId"], "Anne", "Lee", new)
    # the old number is free again, the new one finds the contact
    assert data(api.get(f"contacts/{c['ContactId']}"))["Phone"] == new
    fresh = data(api.post("contacts/contactnew", {"Phone": phone, "Name": "Other"}))
    assert fresh["ContactId"] != c["ContactId"]


def test_update_to_a_number_of_another_contact_is_409(api):
    a, b = new_phone(), new_phone()
    data(api.post("contacts/contactnew", {"Phone": a, "Name": "A"}))
    data(api.post("contacts/contactnew", {"Phone": b, "Name": "B"}))
    res = api.post("contacts/contactupdate", {"Contact": a, "UpdatedContactNumber": b})
    assert res.status_code == 409 and res.json()["Error"]["Code"] == "PhoneInUse"
    assert sorted(x["Name"] for x in data(api.get("contacts"))) == ["A", "B"]


def test_update_unknown_contact_is_404(api):
    res = api.post("contacts/contactupdate", {"Contact": new_phone(), "UpdatedContactName": "X"})
    assert res.status_code == 404 and res.json()["Error"]["Code"] == "ContactNotFound"


def test_get_and_delete_by_id(api):
    c = data(api.post("contacts/contactnew", {"Phone": new_phone(), "Name": "Del"}))
    assert data(api.get(f"contacts/{c['ContactId']}"))["Name"] == "Del"
    assert data(api.delete(f"contacts/{c['ContactId']}"))["Deleted"] is True
    assert api.get(f"contacts/{c['ContactId']}").status_code == 404
    assert api.delete(f"contacts/{c['ContactId']}").status_code == 404
    # its phone can be used again
    data(api.post("contacts/contactnew", {"Phone": c["Phone"], "Name": "New"}))


def test_search_and_paging(api):
    names = ["Alice", "Bob", "Alicia", "Carl", "Dana"]
    for n in names:
        data(api.post("contacts/contactnew", {"Phone": new_phone(), "Name": n}))
    assert sorted(x["Name"] for x in data(api.get("contacts", params={"search": "ali"}))) == ["Alice", "Alicia"]
    seen, url = [], "contacts?top=2"
    pages = 0
    while url:
        res = api.get(url) if not url.startswith("http") else api.session.get(url, timeout=30)
        body = res.json()
        seen += [x["Name"] for x in body["Data"]]
        url = body.get("NextLink")
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(names)
    bad = api.get("contacts", params={"top": "0"})
    assert bad.status_code == 400 and bad.json()["Error"]["Field"] == "top"


def test_dropdown_labels_tell_two_johns_apart(api):
    a = data(api.post("contacts/contactnew", {"Phone": new_phone(), "Name": "John"}))
    b = data(api.post("contacts/contactnew", {"Phone": new_phone(), "Name": "John"}))
    labels = {x["Label"] for x in data(api.get("contacts"))}
    assert labels == {f"John ({a['Phone']})", f"John ({b['Phone']})"}


def test_a_contact_stored_before_the_row_codec_keeps_its_groups(api, tenant):
    """Contact rows written by the previous release hold GroupIds comma-joined: they still read
    as the contact's groups, and the next write stores them in the codec's form."""
    from shared_code.addressbook.storage import address_book_repo

    g1 = data(api.post("groups", {"Name": "Old A"}))["GroupId"]
    g2 = data(api.post("groups", {"Name": "Old B"}))["GroupId"]
    c = data(api.post("contacts/contactnew", {"Phone": new_phone(), "Name": "Legacy"}))
    book = address_book_repo()
    row = dict(book.table.get_entity(tenant.account_id, f"c_{c['ContactId']}"))
    row["GroupIds"] = f"{g1},{g2}"
    book.table.upsert_entity(row)
    assert book.get_contact(tenant.account_id, c["ContactId"]).GroupIds == [g1, g2]
    assert sorted(g["GroupId"] for g in data(api.get(f"contacts/{c['ContactId']}"))["Groups"]) == sorted([g1, g2])


def test_a_search_sees_contacts_changed_by_another_instance(storage):
    """A process keeps the searched columns while the contacts' version stays: a contact
    added, renamed, renumbered or deleted through another instance (its own repository on the
    same storage) is found, or not, by this one's next search — and an account whose contacts
    predate the version row is searched all the same."""
    from shared_code.accounts import accounts
    from shared_code.accounts.models import Caller
    from shared_code.addressbook import contacts
    from shared_code.addressbook.models import Contact, CreateContactBody, ListQuery
    from shared_code.addressbook.storage import VERSION_KEY, AddressBookRepository, address_book_repo
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_id
    from shared_code.common.storage.tables import TableStore

    account = accounts.create_account("Search Co", new_phone("628"), "US", admins=["o@example.com"])
    caller = Caller.signed_in(account, "o@example.com")
    acct = account.AccountId

    def found(text: str) -> list[str]:
        return [c.Name for c in contacts.list_contacts(caller, ListQuery(search=text, top=50)).items]

    ada = contacts.create_or_rename(caller, CreateContactBody(Phone=new_phone(), Name="Ada"))
    assert found("ada") == ["Ada"] and found("zed") == []
    other = AddressBookRepository(TableStore())  # another instance: nothing of this one's kept
    now = utcnow()
    zed = Contact(ContactId=new_id(), Phone=new_phone(), Name="Zed", CreatedAt=now, UpdatedAt=now)
    other.insert_contact(acct, zed)
    assert found("zed") == ["Zed"]
    renamed = other.get_contact(acct, ada.ContactId)
    renamed.Name = "Adelaide"
    other.update_contact(acct, renamed, renamed.Phone)
    assert found("adelaide") == ["Adelaide"] and found("ada") == []
    moved = other.get_contact(acct, zed.ContactId)
    old_phone, moved.Phone = moved.Phone, new_phone("212")
    other.update_contact(acct, moved, old_phone)
    assert found(moved.Phone[-7:]) == ["Zed"] and found(old_phone[-7:]) == []
    other.delete_contact(acct, other.get_contact(acct, zed.ContactId))
    assert found("zed") == []
    assert [n.Name for n in address_book_repo().contact_names(acct)] == ["Adelaide"]  # what a search compares
    other.table.delete_entity(acct, VERSION_KEY)  # as an account from before the version row
    other.import_contacts(acct, [Contact(ContactId=new_id(), Phone=new_phone(), Name="Ivy", CreatedAt=now,
                                         UpdatedAt=now)])
    assert found("ivy") == ["Ivy"]
