"""The connector's dropdowns (x-ms-dynamic-values): which list operation fills them, and what
a pick puts in the field (value-path) under which label (value-title: the Label the backend
builds, name and number, so two "John"s can be told apart). Standard library only."""

from __future__ import annotations


def _list(op_id: str, value: str) -> dict[str, str]:
    return {"operationId": op_id, "value-collection": "Data", "value-path": value, "value-title": "Label"}


CONTACT = _list("GetContacts", "Phone")          # what the send actions take
GROUP = _list("GetGroups", "GroupId")
PLACE = _list("GetPlaces", "GooglePlaceId")
CONTACT_ID = _list("GetContacts", "ContactId")   # path parameters take ids
GROUP_ID = _list("GetGroups", "GroupId")
PLACE_ID = _list("GetPlaces", "PlaceId")
