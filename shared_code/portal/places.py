"""Places: the business's Google places, whose review links review requests append and which
the connector's Place dropdown lists. Add by Place ID or by pasting a Google Maps link that
carries one (``addressbook.places.place_id_from`` says which links don't), rename, re-point,
delete: all through ``addressbook.places``, as the API does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..web.operations import lazy
from .runtime import validated
from .site import site

if TYPE_CHECKING:
    from .runtime import View

places = lazy("shared_code.addressbook.places")
FIELDS = ("GooglePlaceId", "Name")


def _body(view: View) -> Any:
    """The form as the API's CreatePlace body (both fields required, on the edit form too): a
    link becomes its Place ID, and a bad value is the API's own ValidationFailed, naming the field."""
    from ..addressbook.models import CreatePlaceBody

    values = {k: view.form.get(k, "") for k in FIELDS}
    values["GooglePlaceId"] = places.place_id_from(values["GooglePlaceId"])
    return validated(CreatePlaceBody, values)


def _list(view: View, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Any:
    from ..addressbook.models import ListQuery

    listed = places.list_places(view.caller, ListQuery()).items
    return view.render("places.html", status=status, places=listed, errors=errors or {}, values=values or {})


@site.page("GET", "places", "PortalPlaces", title="Places", nav=True)
def list_places(view: View) -> Any:
    return _list(view)


@site.page("POST", "places", "PortalAddPlace")
def add_place(view: View) -> Any:
    from ..common.errors import ApiError

    try:
        place = places.create(view.caller, _body(view))
    except ApiError as err:
        return _list(view, err.status, view.errors_from(err), {k: view.form.get(k, "") for k in FIELDS})
    return view.redirect("/places", flash=f"Added {place.Name}. Review requests can now link to it.")


@site.page("GET", "places/{placeId}/edit", "PortalEditPlace")
def edit_place(view: View) -> Any:
    place = places.get(view.caller, view.route("placeId"))
    return view.render("places_edit.html", place=place, errors={},
                       values={"GooglePlaceId": place.GooglePlaceId, "Name": place.Name})


@site.page("POST", "places/{placeId}/edit", "PortalUpdatePlace")
def update_place(view: View) -> Any:
    from ..addressbook.models import UpdatePlaceBody
    from ..common.errors import ApiError

    place_id = view.route("placeId")
    place = places.get(view.caller, place_id)
    try:
        body = _body(view)
        saved = places.update(view.caller, place.PlaceId, UpdatePlaceBody(GooglePlaceId=body.GooglePlaceId,
                                                                          Name=body.Name))
    except ApiError as err:
        return view.render("places_edit.html", status=err.status, place=place, errors=view.errors_from(err),
                           values={k: view.form.get(k, "") for k in FIELDS})
    return view.redirect("/places", flash=f"Saved {saved.Name}.")


@site.page("POST", "places/{placeId}/delete", "PortalDeletePlace")
def delete_place(view: View) -> Any:
    place = places.get(view.caller, view.route("placeId"))
    places.delete(view.caller, place.PlaceId)
    return view.redirect("/places", flash=f"Deleted {place.Name}. Flows that name it get PlaceNotFound.")
