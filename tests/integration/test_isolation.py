"""Tenant isolation: account A's key can neither read nor change B's rows, even with B's ids."""

from __future__ import annotations

from tests.integration.test_contacts import data
from tests.support.tenants import new_phone, new_tenant


def test_tenants_cannot_see_or_touch_each_other(make_api, storage):
    a, b = make_api(new_tenant("A").key), make_api(new_tenant("B").key)
    phone = new_phone()
    bc = data(b.post("contacts/contactnew", {"Phone": phone, "Name": "B's customer"}))
    bg = data(b.post("groups", {"Name": "B group", "Contacts": [phone]}))
    bp = data(b.post("places", {"GooglePlaceId": "ChIJbbbbbbbbbbbbbbbbbbbbbb", "Name": "B place"}))

    assert data(a.get("contacts")) == [] and data(a.get("groups")) == [] and data(a.get("places")) == []
    assert a.get(f"contacts/{bc['ContactId']}").status_code == 404
    assert a.delete(f"contacts/{bc['ContactId']}").status_code == 404
    assert a.get(f"groups/{bg['GroupId']}").status_code == 404
    assert a.patch(f"groups/{bg['GroupId']}", {"Name": "hijacked"}).status_code == 404
    assert a.post(f"groups/{bg['GroupId']}/members", {"Contacts": [new_phone()]}).status_code == 404
    assert a.delete(f"groups/{bg['GroupId']}").status_code == 404
    assert a.get(f"places/{bp['PlaceId']}").status_code == 404
    assert a.delete(f"places/{bp['PlaceId']}").status_code == 404
    assert a.post("contacts/contactupdate", {"Contact": phone, "UpdatedContactName": "x"}).status_code == 404

    # the same phone in A is A's own, separate contact
    ac = data(a.post("contacts/contactnew", {"Phone": phone, "Name": "A's customer"}))
    assert ac["ContactId"] != bc["ContactId"]
    # the same Google place in A is allowed too
    data(a.post("places", {"GooglePlaceId": "ChIJbbbbbbbbbbbbbbbbbbbbbb", "Name": "A place"}))

    assert data(b.get(f"contacts/{bc['ContactId']}"))["Name"] == "B's customer"
    assert data(b.get(f"groups/{bg['GroupId']}")) == {**bg, "UpdatedAt": bg["UpdatedAt"]}
    assert [x["Name"] for x in data(b.get("places"))] == ["B place"]
