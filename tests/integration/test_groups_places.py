"""Groups (membership counts stay right) and places (review links)."""

from __future__ import annotations

from tests.integration.test_contacts import data
from tests.support.tenants import new_phone


def count(api, gid):
    return data(api.get(f"groups/{gid}"))["ContactsCount"]


def members(api, gid):
    return sorted(m["Phone"] for m in data(api.get(f"groups/{gid}/members")))


def test_group_with_members_new_numbers_become_contacts(api):
    known = data(api.post("contacts/contactnew", {"Phone": new_phone(), "Name": "Known"}))
    fresh = new_phone()
    g = data(api.post("groups", {"Name": "VIP", "Contacts": [known["Phone"], fresh, known["ContactId"]]}))
    assert g["ContactsCount"] == 2  # the known contact twice counts once
    assert members(api, g["GroupId"]) == sorted([known["Phone"], fresh])
    assert len(data(api.get("contacts"))) == 2
    listed = {x["Phone"]: x for x in data(api.get("contacts"))}
    assert listed[fresh]["Groups"] == "VIP"


def test_counts_stay_right_after_adds_removes_and_deletes(api):
    phones = [new_phone() for _ in range(60)]  # more than one transaction chunk
    g = data(api.post("groups", {"Name": "Big", "Contacts": phones[:55]}))
    gid = g["GroupId"]
    assert count(api, gid) == 55
    data(api.post(f"groups/{gid}/members", {"Contacts": phones[50:]}))  # 5 already in, 5 new
    assert count(api, gid) == 60
    data(api.post(f"groups/{gid}/members/remove", {"Contacts": phones[:10]}))
    assert count(api, gid) == 50
    data(api.post(f"groups/{gid}/members/remove", {"Contacts": phones[:10]}))  # again: no change
    assert count(api, gid) == 50
    victim = data(api.post("contacts/contactnew", {"Phone": phones[20]}))
    data(api.delete(f"contacts/{victim['ContactId']}"))
    assert count(api, gid) == 49
    assert members(api, gid) == sorted(phones[10:20] + phones[21:])
    assert len(data(api.get("contacts"))) == 59


def test_contact_in_two_groups_deleted_decrements_both(api):
    p = new_phone()
    g1 = data(api.post("groups", {"Name": "A", "Contacts": [p, new_phone()]}))
    g2 = data(api.post("groups", {"Name": "B", "Contacts": [p]}))
    c = data(api.post("contacts/contactnew", {"Phone": p}))
    assert sorted(x["Name"] for x in c["Groups"]) == ["A", "B"]
    data(api.delete(f"contacts/{c['ContactId']}"))
    assert (count(api, g1["GroupId"]), count(api, g2["GroupId"])) == (1, 0)


def test_rename_and_delete_group_keeps_contacts(api):
    p = new_phone()
    g = data(api.post("groups", {"Name": "Old", "Contacts": [p]}))
    assert data(api.patch(f"groups/{g['GroupId']}", {"Name": "New"}))["Name"] == "New"
    data(api.delete(f"groups/{g['GroupId']}"))
    assert api.get(f"groups/{g['GroupId']}").status_code == 404
    contact = data(api.get("contacts"))[0]
    assert contact["Phone"] == p and contact["Groups"] == ""
    assert data(api.get("groups")) == []


def test_group_name_required_and_unknown_group_404(api):
    res = api.post("groups", {"Name": "  ", "Contacts": []})
    assert res.status_code == 400 and res.json()["Error"]["Field"] == "Name"
    res = api.post("groups/01AAAAAAAAAAAAAAAAAAAAAAAA/members", {"Contacts": [new_phone()]})
    assert res.status_code == 404 and res.json()["Error"]["Code"] == "GroupNotFound"


def test_removing_unknown_number_is_404_and_changes_nothing(api):
    p = new_phone()
    g = data(api.post("groups", {"Name": "G", "Contacts": [p]}))
    res = api.post(f"groups/{g['GroupId']}/members/remove", {"Contacts": [p, new_phone()]})
    assert res.status_code == 404 and res.json()["Error"]["Field"] == "Contacts[1]"
    assert count(api, g["GroupId"]) == 1


def test_places_crud_with_review_link(api):
    p = data(api.post("places", {"GooglePlaceId": "ChIJN1t_tDeuEmsRUsoyG83frY4", "Name": "Main Street"}))
    assert p["ReviewLink"] == "https://search.google.com/local/writereview?placeid=ChIJN1t_tDeuEmsRUsoyG83frY4"
    dup = api.post("places", {"GooglePlaceId": "ChIJN1t_tDeuEmsRUsoyG83frY4", "Name": "Again"})
    assert dup.status_code == 409 and dup.json()["Error"]["Code"] == "PlaceExists"
    u = data(api.patch(f"places/{p['PlaceId']}", {"Name": "Main St.", "GooglePlaceId": "ChIJ2eUgeAK6j4ARbn5u_wAGqWA"}))
    assert u["ReviewLink"].endswith("placeid=ChIJ2eUgeAK6j4ARbn5u_wAGqWA") and u["Name"] == "Main St."
    # found by its Google Place ID too (the dropdown value)
    assert data(api.get("places/ChIJ2eUgeAK6j4ARbn5u_wAGqWA"))["PlaceId"] == p["PlaceId"]
    assert [x["GooglePlaceId"] for x in data(api.get("places"))] == ["ChIJ2eUgeAK6j4ARbn5u_wAGqWA"]
    data(api.delete(f"places/{p['PlaceId']}"))
    assert data(api.get("places")) == []
    bad = api.post("places", {"GooglePlaceId": "not a place id!", "Name": "X"})
    assert bad.status_code == 400 and bad.json()["Error"]["Field"] == "GooglePlaceId"
