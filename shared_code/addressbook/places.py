"""Places: a business's Google Place IDs, from which review links are derived."""

from __future__ import annotations

import re
from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import ConcurrentUpdate, Conflict, NotFound
from ..common.ids import new_id
from ..common.paging import Page, matches, paginate
from ..common.storage.rows import StorageConflict, retry_on_conflict
from .models import CreatePlaceBody, DeletedPlace, ListQuery, Place, PlaceOut, UpdatePlaceBody
from .storage import address_book_repo

PLACE_RETRIES = 5


PLACE_REF = re.compile(r"^[A-Za-z0-9_-]{3,512}$")  # a Google Place ID (as CreatePlaceBody checks) or a ULID


def _taken(gpid: str) -> Conflict:
    return Conflict(f"GooglePlaceId: {gpid} is already saved as a place.", code="PlaceExists", field="GooglePlaceId")


def find_place(caller: Caller, ref: str) -> Place | None:
    """A place by its Google Place ID (the dropdown value) or by our id. Anything else (a
    slash, a control character: not a valid table key) is no place, not a storage error."""
    if not PLACE_REF.match(ref or ""):
        return None
    book = address_book_repo()
    place_id = book.place_id_for_google_id(caller.account_id, ref) or ref
    return book.get_place(caller.account_id, place_id)


def require_place(caller: Caller, ref: str, field: str = "placeId") -> Place:
    place = find_place(caller, ref)
    if place is None:
        raise NotFound(f"{field}: no place '{ref}'. Add it first, or pick one from the list.",
                       code="PlaceNotFound", field=field)
    return place


def create(caller: Caller, body: CreatePlaceBody) -> PlaceOut:
    now = utcnow()
    place = Place(PlaceId=new_id(), AccountId=caller.account_id, GooglePlaceId=body.GooglePlaceId,
                  Name=body.Name, CreatedAt=now, UpdatedAt=now)
    book = address_book_repo()
    try:
        book.insert_place(caller.account_id, place)
    except StorageConflict as err:
        raise _taken(body.GooglePlaceId) from err
    return PlaceOut.of(place)


def get(caller: Caller, place_id: str) -> PlaceOut:
    return PlaceOut.of(require_place(caller, place_id))


def update(caller: Caller, place_id: str, body: UpdatePlaceBody) -> PlaceOut:
    acct, book = caller.account_id, address_book_repo()

    def attempt() -> PlaceOut:
        place = require_place(caller, place_id)
        old_google_id = place.GooglePlaceId
        if body.GooglePlaceId:
            place.GooglePlaceId = body.GooglePlaceId
        if body.Name:
            place.Name = body.Name
        place.UpdatedAt = utcnow()
        try:
            book.update_place(acct, place, old_google_id)
        except StorageConflict as err:
            if err.kind == "exists":
                raise _taken(place.GooglePlaceId) from err
            raise
        return PlaceOut.of(place)

    return retry_on_conflict(attempt, tries=PLACE_RETRIES, gave_up=ConcurrentUpdate(
        "The place kept changing while it was updated; try again."))


def delete(caller: Caller, place_id: str) -> DeletedPlace:
    book = address_book_repo()
    place = require_place(caller, place_id)
    try:
        book.delete_place(caller.account_id, place)
    except StorageConflict:
        pass  # deleted or changed concurrently: a second delete is a no-op
    return DeletedPlace(PlaceId=place.PlaceId, Deleted=True)


def list_places(caller: Caller, query: ListQuery) -> Page[PlaceOut]:
    book = address_book_repo()
    page = paginate(lambda after: (p for p in book.list_places(caller.account_id) if not after or p.PlaceId > after),
                    key=lambda p: p.PlaceId, keep=lambda p: matches(query.search, p.Name, p.GooglePlaceId),
                    top=query.top, token=query.skiptoken, sort=lambda p: p.Name.casefold())
    return Page([PlaceOut.of(p) for p in page.items], page.next_token)
