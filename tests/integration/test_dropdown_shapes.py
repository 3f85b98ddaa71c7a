"""The dropdown operations return what the original connector declares, field for field."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from tests.integration.test_contacts import data
from tests.support.tenants import new_phone

REFERENCE = ROOT / "reference" / "powertextor" / "apiDefinition.swagger.json"
JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "array": list,
              "object": dict}


def item_schema(path: str) -> dict:
    spec = json.loads(REFERENCE.read_text())
    return spec["paths"][path]["get"]["responses"]["200"]["schema"]["properties"]["Data"]["items"]["properties"]


@pytest.mark.parametrize("path", ["/api/contacts", "/api/groups", "/api/places"])
def test_list_items_have_every_declared_field_with_its_type(api, path):
    p = new_phone()
    data(api.post("groups", {"Name": "Team", "Contacts": [p]}))
    data(api.post("contacts/contactnew", {"Phone": p, "Name": "Zed"}))
    data(api.post("places", {"GooglePlaceId": "ChIJN1t_tDeuEmsRUsoyG83frY4", "Name": "HQ"}))
    items = data(api.get(path.removeprefix("/api/")))
    assert items
    for name, schema in item_schema(path).items():
        for item in items:
            assert name in item, f"{path}: {name} missing"
            assert isinstance(item[name], JSON_TYPES[schema["type"]]), f"{path}: {name} is {item[name]!r}"


def test_dropdown_value_paths_hold_what_send_actions_take(api):
    """Contacts are picked by Phone, groups by GroupId, places by GooglePlaceId (value-path)."""
    p = new_phone()
    g = data(api.post("groups", {"Name": "Team", "Contacts": [p]}))
    place = data(api.post("places", {"GooglePlaceId": "ChIJN1t_tDeuEmsRUsoyG83frY4", "Name": "HQ"}))
    assert data(api.get("contacts"))[0]["Phone"] == p
    assert data(api.get("groups"))[0]["GroupId"] == g["GroupId"]
    assert data(api.get("places"))[0]["GooglePlaceId"] == place["GooglePlaceId"]
