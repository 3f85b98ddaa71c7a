"""Places of the business: the Google Place IDs review requests link to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import Envelope, Feature, Param, Reply, lazy
from ..web.dropdowns import PLACE_ID

if TYPE_CHECKING:
    from ..web.runtime import Call

places = lazy("shared_code.addressbook.places")
api = Feature("shared_code.addressbook.models")

PLACE = Envelope("PlaceResponse", "A place.", data="PlaceOut")
PLACES = Envelope("PlaceListResponse", "Places, sorted by name (or one page of them).", items="PlaceOut", paged=True)
DELETED = Envelope("DeletedPlaceResponse", "The place that was deleted.", data="DeletedPlace")
PLACE_PATH = {"placeId": Param("Place", "The place's id or Google Place ID (pick from the list).", PLACE_ID)}


@api.get("places", "GetPlaces", query="ListQuery", ok=PLACES, ok_description="The places.", visibility="advanced",
         summary="Get places",
         description="Lists the places of your business with their review links, sorted by name.")
def list_places(call: Call) -> Any:
    return places.list_places(call.caller, call.query)


@api.post("places", "CreatePlace", body="CreatePlaceBody", body_description="The place.",
          ok=Reply(PLACE, "The place was saved."), status=201, visibility="advanced", summary="Add a place",
          description="Saves a place of your business by its Google Place ID, for review requests.")
def create_place(call: Call) -> Any:
    return places.create(call.caller, call.body)


@api.get("places/{placeId}", "GetPlace", path=PLACE_PATH, ok=PLACE, ok_description="The place.",
         visibility="advanced", summary="Get a place", description="Returns one place with its review link.")
def get_place(call: Call) -> Any:
    return places.get(call.caller, call.route("placeId"))


@api.patch("places/{placeId}", "UpdatePlace", path=PLACE_PATH, body="UpdatePlaceBody",
           body_description="The new values; empty keeps a value.", ok=PLACE, ok_description="The updated place.",
           visibility="advanced", summary="Update a place", description="Changes a place's name or Google Place ID.")
def update_place(call: Call) -> Any:
    return places.update(call.caller, call.route("placeId"), call.body)


@api.delete("places/{placeId}", "DeletePlace", path=PLACE_PATH, ok=DELETED, ok_description="Deleted.",
            visibility="advanced", summary="Delete a place",
            description="Deletes a place; review requests already made keep their link.")
def delete_place(call: Call) -> Any:
    return places.delete(call.caller, call.route("placeId"))
