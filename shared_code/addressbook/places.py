"""Places: a business's Google Place IDs, from which review links are derived."""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import ConcurrentUpdate, Conflict, NotFound, ValidationFailed
from ..common.ids import new_id
from ..common.paging import Page, matches, paginate
from ..common.storage.rows import StorageConflict, retry_on_conflict
from .models import CreatePlaceBody, DeletedPlace, ListQuery, Place, PlaceOut, UpdatePlaceBody
from .storage import address_book_repo

PLACE_RETRIES = 5


PLACE_REF = re.compile(r"^[A-Za-z0-9_-]{3,512}$")  # a Google Place ID (as CreatePlaceBody checks) or a ULID

# Where a Google Maps link carries a Place ID: "place_id:ID" in a query (maps/place/?q=place_id:ID,
# maps/search/?api=1&query=…&query_place_id=ID), the review form's ?placeid=ID, and in a place
# page's data= parameter "!19sID" (or "!1sID" when that is a Place ID, not a 0x… feature id).
_ID = r"([A-Za-z0-9_-]{3,512})"
_LINK_IDS = (re.compile(r"place_id:" + _ID), re.compile(r"[?&](?:query_place_id|placeid|place_id)=" + _ID),
             re.compile(r"!19s" + _ID), re.compile(r"!1s(?!0x)(Ch[A-Za-z0-9_-]{10,510})"))
_SHORT_LINK = re.compile(r"(?:^|//)(?:maps\.app\.goo\.gl|goo\.gl|g\.page|g\.co|share\.google)/", re.IGNORECASE)
_FEATURE_ID = re.compile(r"!1s0x[0-9a-f]+:0x[0-9a-f]+|[?&](?:cid|ftid)=", re.IGNORECASE)
PLACE_ID_FINDER = "Google's Place ID Finder (developers.google.com/maps/documentation/places/web-service/place-id)"


def place_id_from(text: str, field: str = "GooglePlaceId") -> str:
    """A Google Place ID as typed, or read from a pasted Google Maps link. A link that doesn't
    carry one (a short link, or one naming the place by its map feature id, which only Google's
    Places API can turn into a Place ID) is a 400 that says so."""
    text = (text or "").strip()
    if "/" not in text and ":" not in text:
        return text  # an ID (CreatePlaceBody validates it)
    decoded = unquote(unquote(text))
    for pattern in _LINK_IDS:
        found = pattern.search(decoded)
        if found:
            return found.group(1)
    if _SHORT_LINK.search(decoded):
        why = ("a short link (maps.app.goo.gl/…) doesn't contain the Place ID. Open it and copy the address bar's "
               "link if it has place_id: or query_place_id=, or look the place up in")
    elif _FEATURE_ID.search(decoded):
        why = ("this link names the place by its map feature id (0x…:0x… or cid=), not by its Place ID, and "
               "only Google's Places API can turn one into the other. Look the place up in")
    else:
        why = ("no Place ID in this link. A link has one when it contains place_id:, query_place_id= or placeid=; "
               "otherwise look the place up in")
    raise ValidationFailed(f"{field}: {why} {PLACE_ID_FINDER} and paste the ID (it looks like "
                           "ChIJN1t_tDeuEmsRUsoyG83frY4).", field=field, code="PlaceIdNotInLink")


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
