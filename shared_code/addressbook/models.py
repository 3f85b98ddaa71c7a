"""Contacts, groups and places: entities and the connector's request bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from ..common.models import EntityModel, RequestModel

NameStr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
RequiredNameStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
GooglePlaceIdStr = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{3,512}$")]
REVIEW_URL = "https://search.google.com/local/writereview?placeid={}"


class Contact(EntityModel):
    ContactId: str
    Phone: str
    Name: str = ""
    LastName: str = ""
    Status: str = "Active"
    WelcomeSent: bool = False
    GroupIds: list[str] = Field(default_factory=list)
    CreatedAt: datetime
    UpdatedAt: datetime

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.Name, self.LastName) if p)

    @property
    def label(self) -> str:
        """Dropdown label: name and number, so two Johns can be told apart."""
        return f"{self.full_name} ({self.Phone})" if self.full_name else self.Phone


class Group(EntityModel):
    GroupId: str
    Name: str
    ContactsCount: int = 0
    IsVisible: bool = True
    CreatedAt: datetime
    UpdatedAt: datetime

    @property
    def label(self) -> str:
        n = self.ContactsCount
        return f"{self.Name} ({n} contact{'s' if n != 1 else ''})"


class Member(EntityModel):
    """A group membership row; carries phone and name so a send can expand a group in one scan."""

    GroupId: str
    ContactId: str
    Phone: str
    Name: str = ""


class Place(EntityModel):
    PlaceId: str
    AccountId: str
    GooglePlaceId: str
    Name: str
    CreatedAt: datetime
    UpdatedAt: datetime

    @property
    def review_link(self) -> str:
        return REVIEW_URL.format(self.GooglePlaceId)

    @property
    def label(self) -> str:
        return f"{self.Name} ({self.GooglePlaceId})"


# ---- request bodies (field names are the connector's) ----

class CreateContactBody(RequestModel):
    Phone: str
    Name: NameStr | None = None
    LastName: NameStr | None = None


class UpdateContactBody(RequestModel):
    Contact: str = Field(description="The contact's phone number (the dropdown value) or id.")
    UpdatedContactName: NameStr | None = None
    UpdatedContactLastName: NameStr | None = None
    UpdatedContactNumber: str | None = None


class ListQuery(RequestModel):
    search: Annotated[str, StringConstraints(max_length=100)] | None = None
    top: int | None = Field(default=None, ge=1, le=1000)
    skiptoken: Annotated[str, StringConstraints(max_length=200)] | None = None


class CreateGroupBody(RequestModel):
    Name: RequiredNameStr
    Contacts: list[str] = Field(default_factory=list, max_length=1000)


class RenameGroupBody(RequestModel):
    Name: RequiredNameStr


class GroupMembersBody(RequestModel):
    Contacts: list[str] = Field(min_length=1, max_length=1000)


class CreatePlaceBody(RequestModel):
    GooglePlaceId: GooglePlaceIdStr
    Name: RequiredNameStr


class UpdatePlaceBody(RequestModel):
    GooglePlaceId: GooglePlaceIdStr | None = None
    Name: RequiredNameStr | None = None
