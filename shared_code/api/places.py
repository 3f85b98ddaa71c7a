from __future__ import annotations

from ..addressbook.models import CreatePlaceBody, ListQuery, UpdatePlaceBody
from ..addressbook import places
from ..web.runtime import Call, endpoint


@endpoint(query=ListQuery)
def list_places(call: Call):  # noqa: ANN201
    return places.list_places(call.caller, call.query)


@endpoint(body=CreatePlaceBody, status=201)
def create_place(call: Call):  # noqa: ANN201
    return places.create(call.caller, call.body)


@endpoint()
def get_place(call: Call):  # noqa: ANN201
    return places.get(call.caller, call.route("placeId"))


@endpoint(body=UpdatePlaceBody)
def update_place(call: Call):  # noqa: ANN201
    return places.update(call.caller, call.route("placeId"), call.body)


@endpoint()
def delete_place(call: Call):  # noqa: ANN201
    return places.delete(call.caller, call.route("placeId"))
